// seqrec 控制台（GET /console）：试推荐、模型、服务状态、用户与事件四个视图。只调用服务已有的接口
// （/recommend、/metrics、/users/{id}/history、/admin/status）与控制台的两个数据文件（/console/model.json、
// /console/catalog.json）；服务有管理令牌时，数据文件与管理接口带上用户给的令牌。
(function () {
  "use strict";
  const { el, fmt, table, chart } = window.SeqrecView;
  const $ = (id) => document.getElementById(id);
  const state = { token: sessionStorage.getItem("seqrec-token") || "", catalog: null, model: null, titles: new Map(), byTitle: new Map(), itemSet: new Set() };

  // 请求一个 JSON 接口；错误时抛出带服务错误消息的 Error（status 在 e.status）。
  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (options.body) headers["Content-Type"] = "application/json";
    const res = await fetch(path, Object.assign({}, options, { headers }));
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.error) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      err.field = body && body.field;
      throw err;
    }
    return body !== null ? body : text;
  }

  function show(id, message) {
    const p = $(id);
    p.textContent = message || "";
    p.hidden = !message;
  }

  // ---- 标签页：按钮与面板一一对应，方向键在按钮之间移动 ----
  const tabs = ["try", "model", "service", "users"];
  function select(name) {
    for (const t of tabs) {
      $("tab-" + t).setAttribute("aria-selected", String(t === name));
      $("tab-" + t).tabIndex = t === name ? 0 : -1;
      $("view-" + t).hidden = t !== name;
    }
    if (name === "model") renderModel();
    if (name === "service") startService();
    if (name === "users") loadRetrain();
    history.replaceState(null, "", "#" + name);
  }
  tabs.forEach((t, i) => {
    const b = $("tab-" + t);
    b.addEventListener("click", () => select(t));
    b.addEventListener("keydown", (e) => {
      const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!d) return;
      const next = tabs[(i + d + tabs.length) % tabs.length];
      select(next);
      $("tab-" + next).focus();
    });
  });

  // ---- 载入模型信息与目录（物品、标题、用户） ----
  async function loadData() {
    show("load-error", "");
    try {
      const [model, catalog] = await Promise.all([api("/console/model.json"), api("/console/catalog.json")]);
      state.model = model;
      state.catalog = catalog;
      $("token-form").hidden = true;
      state.titles = new Map();
      state.byTitle = new Map();
      state.itemSet = new Set(catalog.items);
      catalog.items.forEach((id, i) => {
        const t = catalog.titles ? catalog.titles[i] : "";
        if (t) {
          state.titles.set(id, t);
          state.byTitle.set(t.toLowerCase(), id);
        }
      });
      $("model-meta").textContent = `${model.manifest.model_type} ${model.version} · ${fmt(catalog.item_count)} items · ${fmt(catalog.user_count)} users` +
        (catalog.titles ? " · with titles" : "");
      $("user-list").replaceChildren(...catalog.users.map((u) => el("option", { value: u })));
      $("item-list").replaceChildren(...catalog.items.slice(0, 20000).map((id, i) =>
        el("option", { value: catalog.titles && catalog.titles[i] ? catalog.titles[i] : id }, catalog.titles && catalog.titles[i] ? id : null)));
      if (location.hash.slice(1) === "model") renderModel();
    } catch (e) {
      if (e.status === 401) {
        $("token-form").hidden = false;
        show("load-error", state.token ? "That token was not accepted: " + e.message : "");
      } else {
        show("load-error", "Could not load the model: " + e.message);
      }
    }
  }
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem("seqrec-token", state.token);
    loadData();
  });

  // ---- 试推荐 ----
  const title = (id) => state.titles.get(String(id)) || "";
  // 历史里的一项：已知的物品 ID 原样；否则按标题（不分大小写）找 ID；都不是时原样发给服务（它会列在 unknown_clicks 里）。
  function resolve(token) {
    const t = token.trim();
    if (!t) return null;
    if (state.itemSet.has(t)) return t;
    return state.byTitle.get(t.toLowerCase()) || t;
  }
  const list = (text, sep) => text.split(sep).map(resolve).filter((x) => x !== null);

  $("try-add").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const v = e.target.value.trim();
    if (!v) return;
    const h = $("try-history");
    h.value = (h.value.trim() ? h.value.trim() + "\n" : "") + v;
    e.target.value = "";
  });

  $("try-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    show("try-error", "");
    const body = { user_id: $("try-user").value.trim() || null, recent_clicks: list($("try-history").value, /\n/), top_k: Number($("try-k").value) };
    const ex = $("try-exclude").value;
    if (ex) body.exclude_clicked = ex === "true";
    const allow = list($("try-allow").value, /,/);
    const deny = list($("try-deny").value, /,/);
    if (allow.length) body.allow_items = allow;
    if (deny.length) body.deny_items = deny;
    try {
      const r = await api("/recommend", { method: "POST", body: JSON.stringify(body) });
      renderRecommendation(body, r);
    } catch (err) {
      $("try-result").replaceChildren();
      show("try-error", (err.field ? err.field + ": " : "") + err.message);
    }
  });

  function renderRecommendation(req, r) {
    const rows = r.recommended_item_ids.map((id, i) => [String(i + 1), id, el("span", {}, title(id)), fmt(r.scores[i])]);
    const t = table(["rank", "item", "title", `score (${r.score_type})`], rows);
    t.querySelectorAll("tbody td:nth-child(3), thead th:nth-child(3)").forEach((c) => c.classList.add("text"));
    t.id = "recommendations";
    const facts = [
      ["strategy", r.strategy], ["user known", String(r.user_known)], ["clicked items excluded", String(r.exclude_clicked)],
      ["history used", String(req.recent_clicks.length - (r.unknown_clicks || []).length)],
      ["unknown clicks", (r.unknown_clicks || []).join(", ") || "none"],
      ["allow / deny", `${(req.allow_items || []).length} / ${(req.deny_items || []).length} items`],
      ["model version", r.model_version || state.model?.version || ""],
    ];
    const history = req.recent_clicks.length
      ? table(["#", "history item", "title"], req.recent_clicks.map((id, i) => [String(i + 1), id, title(id)]))
      : el("p", { class: "note" }, "No history: ", r.strategy === "most_popular" ? "most-popular items." : "the model's answer for an empty history.");
    $("try-result").replaceChildren(
      el("h2", {}, "Recommendations"), t,
      table(["", ""], facts), el("h2", {}, "History sent"), history);
  }

  // ---- 模型 ----
  let modelDrawn = false;
  function renderModel() {
    if (!state.model || modelDrawn) return;
    modelDrawn = true;
    const m = state.model;
    window.SeqrecView.renderModels($("view-model"), [{ name: m.manifest.model_type, dir: m.dir, version: m.version, manifest: m.manifest, train_log: m.train_log }]);
  }

  // ---- 服务：解析 Prometheus 文本，算请求率、错误率与延迟分位数 ----
  function parseMetrics(text) {
    const out = [];
    for (const line of text.split("\n")) {
      if (!line || line[0] === "#") continue;
      const m = line.match(/^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/);
      if (!m) continue;
      const labels = {};
      (m[3] || "").replace(/(\w+)="((?:[^"\\]|\\.)*)"/g, (_, k, v) => { labels[k] = v; return ""; });
      out.push({ name: m[1], labels, value: Number(m[4]) });
    }
    return out;
  }
  const sum = (ms, name, f = () => true) => ms.filter((m) => m.name === name && f(m.labels)).reduce((a, m) => a + m.value, 0);
  // 直方图（累计桶）的分位数：线性插值，与 Prometheus histogram_quantile 相同。
  function quantile(q, buckets) {
    const total = buckets.length ? buckets[buckets.length - 1].count : 0;
    if (!total) return null;
    const rank = q * total;
    let prevLe = 0, prevCount = 0;
    for (const b of buckets) {
      if (b.count >= rank) {
        if (!isFinite(b.le)) return prevLe;
        return prevLe + (b.le - prevLe) * (b.count > prevCount ? (rank - prevCount) / (b.count - prevCount) : 0);
      }
      prevLe = b.le;
      prevCount = b.count;
    }
    return prevLe;
  }
  function buckets(ms, prev) {
    const by = new Map();
    for (const m of ms.filter((x) => x.name === "seqrec_http_request_duration_seconds_bucket")) {
      const le = m.labels.le === "+Inf" ? Infinity : Number(m.labels.le);
      by.set(le, (by.get(le) || 0) + m.value);
    }
    const cur = [...by.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
    if (!prev) return cur;
    return cur.map((b, i) => ({ le: b.le, count: b.count - (prev[i] ? prev[i].count : 0) }));
  }

  const svc = { timer: null, prev: null, prevT: 0, prevBuckets: null, rate: null, lat: null, points: 0 };
  function startService() {
    if (svc.timer) return;
    const grid = $("service-charts");
    const line = (label, color) => ({ label, data: [], borderColor: color, backgroundColor: color, pointRadius: 0, tension: 0 });
    const axes = (y) => ({ x: { type: "linear", title: { display: true, text: "seconds" } }, y: { beginAtZero: true, title: { display: true, text: y } } });
    svc.rate = chart(grid, "Requests and events per second", { type: "line", data: { datasets: [line("requests/s", "#2563eb"), line("errors/s", "#dc2626"), line("events stored/s", "#16a34a")] }, options: { scales: axes("per second") } });
    svc.lat = chart(grid, "Latency (ms) over the last interval", { type: "line", data: { datasets: [line("p50", "#16a34a"), line("p95", "#ea580c"), line("p99", "#9333ea")] }, options: { scales: axes("ms") } });
    svc.t0 = performance.now();
    pollService();
    svc.timer = setInterval(pollService, 2000);
  }
  async function pollService() {
    let ms;
    try {
      ms = parseMetrics(await api("/metrics"));
    } catch (e) {
      $("service-stats").replaceChildren(el("p", { class: "error" }, "GET /metrics failed: " + e.message));
      return;
    }
    const now = performance.now();
    const total = sum(ms, "seqrec_http_requests_total");
    const errors = sum(ms, "seqrec_http_requests_total", (l) => l.code >= "400");
    const hasEvents = ms.some((m) => m.name === "seqrec_events_total");
    const events = sum(ms, "seqrec_events_total", (l) => l.outcome === "stored");
    const b = buckets(ms, null);
    const interval = svc.prevBuckets ? buckets(ms, svc.prevBuckets) : b;
    const p = (q) => { const v = quantile(q, interval); return v === null ? null : v * 1000; };
    const info = ms.find((m) => m.name === "seqrec_model_info");
    const stat = (label, value) => el("div", { class: "stat" }, el("b", {}, value), label);
    $("service-stats").replaceChildren(
      stat("requests in all", fmt(total)), stat("errors (4xx, 5xx)", fmt(errors)),
      stat("in flight", fmt(sum(ms, "seqrec_http_requests_in_flight"))),
      stat("p50 / p99 ms", `${fmt(p(0.5), 2)} / ${fmt(p(0.99), 2)}`),
      stat("reloads ok / failed", `${fmt(sum(ms, "seqrec_model_reloads_total", (l) => l.result === "success"))} / ${fmt(sum(ms, "seqrec_model_reloads_total", (l) => l.result === "failure"))}`),
      stat("model", info ? `${info.labels.model_type} ${info.labels.version}` : "–"),
      stat("memory MiB", fmt(sum(ms, "process_resident_memory_bytes") / 1048576, 0)),
      hasEvents ? stat("events stored", fmt(events)) : null,
      hasEvents ? stat("retrains promoted / rejected", `${fmt(sum(ms, "seqrec_retrains_total", (l) => l.result === "promoted"))} / ${fmt(sum(ms, "seqrec_retrains_total", (l) => l.result === "rejected"))}`) : null);
    if (svc.prev) {
      const dt = (now - svc.prevT) / 1000;
      const x = (now - svc.t0) / 1000;
      const push = (ch, i, y) => { const d = ch.data.datasets[i].data; d.push({ x, y }); if (d.length > 90) d.shift(); };
      push(svc.rate, 0, (total - svc.prev.total) / dt);
      push(svc.rate, 1, (errors - svc.prev.errors) / dt);
      if (hasEvents) push(svc.rate, 2, (events - svc.prev.events) / dt);
      push(svc.lat, 0, p(0.5));
      push(svc.lat, 1, p(0.95));
      push(svc.lat, 2, p(0.99));
      svc.rate.update();
      svc.lat.update();
    }
    const routes = [...new Set(ms.filter((m) => m.name === "seqrec_http_requests_total").map((m) => m.labels.route))];
    $("service-routes").replaceChildren(table(["route", "requests", "errors"], routes.map((r) => [r,
      fmt(sum(ms, "seqrec_http_requests_total", (l) => l.route === r)),
      fmt(sum(ms, "seqrec_http_requests_total", (l) => l.route === r && l.code >= "400"))])));
    svc.prev = { total, errors, events };
    svc.prevT = now;
    svc.prevBuckets = b;
  }

  // ---- 用户与事件 ----
  $("history-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    show("history-error", "");
    const user = $("history-user").value.trim();
    try {
      const h = await api("/users/" + encodeURIComponent(user) + "/history");
      const events = h.events || h.history || [];
      $("history-result").replaceChildren(
        el("p", { class: "note" }, `${fmt(events.length)} stored events for user ${user}, oldest first.`),
        table(["#", "item", "type", "time", "title"], events.map((ev, i) => [String(i + 1), ev.item_id ?? ev.item, ev.type ?? "", ev.ts ? new Date(ev.ts).toISOString() : "", title(ev.item_id ?? ev.item)])));
    } catch (err) {
      $("history-result").replaceChildren();
      show("history-error", err.status === 503 ? "This service keeps no history (start seqrec serve with --store)." : err.message);
    }
  });

  async function loadRetrain() {
    const box = $("retrain-status");
    if (!state.token) return;
    try {
      const s = await api("/admin/status");
      const r = s.retrain;
      if (!r) {
        box.replaceChildren(el("p", { class: "note" }, "Background retraining is off (seqrec serve --retrain-dir)."));
        return;
      }
      const runs = (r.history || []).slice().reverse();  // 最新的在前
      box.replaceChildren(
        el("p", { class: "note" }, `${r.running ? "running now" : "idle"}; every ${r.every_s || "–"} s or ${r.after_events || "–"} events; ` +
          `gate ${r.gate_metric}, max regression ${r.max_regression}; promoted ${r.runs.promoted}, rejected ${r.runs.rejected}, failed ${r.runs.failed}`),
        runs.length
          ? table(["started", "result", `candidate ${r.gate_metric}`, "current", "most-popular", "reason"], runs.map((x) => [x.started_at || "", x.result || "",
            fmt(x.gate?.candidate), fmt(x.gate?.current), fmt(x.gate?.most_popular), el("span", {}, x.gate?.reason || x.error || "")]))
          : el("p", { class: "note" }, "No retraining has run since the service started."));
      // 每次重新训练的质量门：候选、当前模型与最热门基线在留出事件上的指标（旧的在左）
      if (runs.length) {
        const old = runs.slice().reverse();
        const grid = el("div", { class: "charts" });
        box.append(grid);
        const set = (label, key, color) => ({ label, borderColor: color, backgroundColor: color, tension: 0,
          data: old.map((x, i) => ({ x: i + 1, y: x.gate ? x.gate[key] : null })) });
        chart(grid, `Quality gate per retrain (${r.gate_metric} on the newest events)`, { type: "line",
          data: { datasets: [set("candidate", "candidate", "#2563eb"), set("current", "current", "#dc2626"), set("most-popular", "most_popular", "#6b7280")] },
          options: { scales: { x: { type: "linear", title: { display: true, text: "retrain" }, ticks: { precision: 0 } }, y: { title: { display: true, text: r.gate_metric } } } } });
      }
    } catch (e) {
      box.replaceChildren(el("p", { class: "error" }, "GET /admin/status: " + e.message));
    }
  }

  select(tabs.includes(location.hash.slice(1)) ? location.hash.slice(1) : "try");
  loadData();
})();
