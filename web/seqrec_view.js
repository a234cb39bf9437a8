// seqrec 的模型视图：控制台的 Model 页与 `seqrec report` 生成的 HTML 共用这一份代码。
// 输入是模型目录里已有的东西（manifest.json 与 train_log.jsonl），图表用 Chart.js（全局 Chart），不依赖别的。
(function (global) {
  "use strict";

  // 各模型的颜色（第 i 个模型用第 i 种）；最热门基线总是灰色。
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
  const BASELINE = "#6b7280";

  // 建一个元素：attrs 里的 on* 是事件，其余是属性；children 是元素或文本。
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  // 数字的显示：指标 4 位小数，整数加千位分隔。
  function fmt(v, digits = 4) {
    if (v === null || v === undefined) return "–";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return v.toFixed(digits);
  }

  // 指标值：总是 4 位小数（0 也写成 0.0000，与命令行的表相同）。
  const metric = (v) => (typeof v === "number" ? v.toFixed(4) : "–");

  // 一张表：head 是列名，rows 是单元格数组（第一列作为行头）。
  function table(head, rows, caption) {
    return el("div", { class: "table-wrap" },
      el("table", {},
        caption ? el("caption", {}, caption) : null,
        el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => (i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))))));
  }

  // 一张图：外层定高的容器（Chart.js 按容器缩放，窄屏也可读），canvas 带文字说明。
  function chart(parent, label, config) {
    const canvas = el("canvas", { role: "img", "aria-label": label });
    parent.append(el("figure", { class: "chart" }, el("div", { class: "chart-box" }, canvas), el("figcaption", {}, label)));
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    return new global.Chart(canvas, config);
  }

  // 指标名按类型与 K 排序：HR@1, HR@5, ..., NDCG@1, ..., MRR@...
  function metricNames(m) {
    const order = { HR: 0, NDCG: 1, MRR: 2 };
    return Object.keys(m || {})
      .filter((k) => k.includes("@") && k.split("@")[0] in order)
      .sort((a, b) => {
        const [ma, ka] = a.split("@");
        const [mb, kb] = b.split("@");
        return order[ma] - order[mb] || Number(ka) - Number(kb);
      });
  }

  // 第一节：每个模型一列的概要（类型、版本、规模、训练结果、来历）。
  function summary(models) {
    const rows = [
      ["model type", (m) => m.manifest.model_type],
      ["directory", (m) => m.dir || "–"],
      ["version", (m) => m.version || "–"],
      ["seqrec commit", (m) => m.manifest.seqrec_commit],
      ["items / users", (m) => `${fmt(m.manifest.model?.num_items)} / ${fmt(m.manifest.model?.num_users)}`],
      ["dim, layers, max_len", (m) => `${m.manifest.model?.dim}, ${m.manifest.model?.layers}, ${m.manifest.model?.max_len}`],
      ["similarity", (m) => m.manifest.model?.similarity],
      ["epochs run (best)", (m) => `${m.manifest.training_result?.epochs_run ?? "–"} (${m.manifest.training_result?.best_epoch ?? "–"})`],
      ["training seconds", (m) => fmt(m.manifest.training_result?.train_seconds, 1)],
      ["data", (m) => m.manifest.data?.options?.source ?? "–"],
      ["lineage", (m) => lineageText(m.manifest.lineage)],
    ];
    return el("section", { id: "summary" }, el("h2", {}, "Model"),
      table(["", ...models.map((m) => m.name)], rows.map(([name, f]) => [name, ...models.map((m) => f(m) ?? "–")])));
  }

  // seqrec retrain 写下的来历：父模型与质量门的决定。
  function lineageText(l) {
    if (!l) return "trained by seqrec train";
    const parts = [];
    if (l.parent) parts.push(`parent ${l.parent.version || l.parent.dir || ""}`);
    if (l.gate) parts.push(`gate: ${l.gate.decision || (l.gate.passed ? "passed" : "rejected")}`);
    return parts.join("; ") || "retrained";
  }

  // 第二节：训练曲线（每轮的损失；验证集 NDCG@10 与 HR@10，只在评估过的轮次有点）。
  function curves(models) {
    const sec = el("section", { id: "curves" }, el("h2", {}, "Training curves"));
    const logs = models.filter((m) => (m.train_log || []).length > 0);
    if (logs.length === 0) {
      sec.append(el("p", {}, "No training log in these model directories (train_log.jsonl is empty or missing)."));
      return sec;
    }
    const grid = el("div", { class: "charts" });
    sec.append(grid);
    const line = (key) => logs.map((m, i) => ({
      label: m.name,
      data: m.train_log.filter((r) => typeof r[key] === "number").map((r) => ({ x: r.epoch, y: r[key] })),
      borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length], tension: 0, pointRadius: 2,
    }));
    const axes = (y) => ({ x: { type: "linear", title: { display: true, text: "epoch" }, ticks: { precision: 0 } },
      y: { title: { display: true, text: y } } });
    chart(grid, "Training loss per epoch", { type: "line", data: { datasets: line("loss") }, options: { scales: axes("loss") } });
    const valid = line("valid_NDCG@10");
    if (valid.some((d) => d.data.length)) {
      chart(grid, "Validation NDCG@10 per evaluated epoch", { type: "line", data: { datasets: valid }, options: { scales: axes("NDCG@10") } });
    }
    return sec;
  }

  // 第三节：测试集与验证集的指标表（模型与最热门基线），以及 NDCG@K 的柱状图。
  function evaluation(models) {
    const sec = el("section", { id: "evaluation" }, el("h2", {}, "Evaluation"));
    for (const split of ["test", "valid"]) {
      const withSplit = models.filter((m) => m.manifest.metrics?.[split]?.model);
      if (withSplit.length === 0) continue;
      const names = metricNames(withSplit[0].manifest.metrics[split].model);
      const rows = [];
      withSplit.forEach((m) => rows.push([m.name, ...names.map((n) => metric(m.manifest.metrics[split].model[n])), fmt(m.manifest.metrics[split].model.cases)]));
      const base = withSplit[0].manifest.metrics[split].most_popular;
      if (base) rows.push(["most-popular", ...names.map((n) => metric(base[n])), fmt(base.cases)]);
      sec.append(table(["", ...names, "cases"], rows, `${split} split (${describeSplit(withSplit[0].manifest)})`));
      if (split === "test") {
        const ndcg = names.filter((n) => n.startsWith("NDCG@"));
        const sets = withSplit.map((m, i) => ({ label: m.name, data: ndcg.map((n) => m.manifest.metrics.test.model[n]), backgroundColor: COLORS[i % COLORS.length] }));
        if (base) sets.push({ label: "most-popular", data: ndcg.map((n) => base[n]), backgroundColor: BASELINE });
        const grid = el("div", { class: "charts" });
        sec.append(grid);
        chart(grid, "Test NDCG@K, model against most-popular", { type: "bar", data: { labels: ndcg, datasets: sets } });
        const byLen = withSplit.filter((m) => m.manifest.metrics.test.model_by_history_length);
        if (byLen.length) grid.lastChild.after(historyChart(byLen));
      }
    }
    if (!sec.querySelector("table")) sec.append(el("p", {}, "No evaluation recorded in the manifest."));
    return sec;
  }

  function describeSplit(manifest) {
    const p = manifest.training?.valid_protocol?.description;
    return p || "full ranking";
  }

  // 按历史长度分组的测试集 NDCG@10（每组一簇柱子：各模型与最热门基线）。
  function historyChart(models) {
    const wrap = el("div", {});
    const groups = Object.keys(models[0].manifest.metrics.test.model_by_history_length);
    const key = "NDCG@10";
    const sets = models.map((m, i) => ({ label: m.name, backgroundColor: COLORS[i % COLORS.length],
      data: groups.map((g) => m.manifest.metrics.test.model_by_history_length[g]?.[key] ?? null) }));
    const base = models[0].manifest.metrics.test.most_popular_by_history_length;
    if (base) sets.push({ label: "most-popular", backgroundColor: BASELINE, data: groups.map((g) => base[g]?.[key] ?? null) });
    const cases = groups.map((g) => `${g} (${fmt(models[0].manifest.metrics.test.model_by_history_length[g]?.cases)} cases)`);
    chart(wrap, `Test ${key} by history length`, { type: "bar", data: { labels: cases, datasets: sets } });
    return wrap.firstChild;
  }

  // 按历史长度分组的表（每个模型一张）。
  function historyTables(models) {
    const sec = el("section", { id: "history-length" }, el("h2", {}, "By history length (test)"));
    let any = false;
    for (const m of models) {
      const by = m.manifest.metrics?.test?.model_by_history_length;
      if (!by) continue;
      any = true;
      const groups = Object.keys(by);
      const names = metricNames(by[groups[0]]).filter((n) => /@(10|20)$/.test(n));
      sec.append(table(["history", ...names, "cases"], groups.map((g) => [g, ...names.map((n) => (by[g].cases ? metric(by[g][n]) : "–")), fmt(by[g].cases)]), m.name));
    }
    if (!any) sec.append(el("p", {}, "Not recorded in these manifests (models trained before it was recorded); `seqrec eval --json` computes it."));
    return sec;
  }

  // 训练选项：每个模型一列（值不同的行标出来）。
  function optionsTable(models) {
    const keys = [...new Set(models.flatMap((m) => Object.keys(m.manifest.training || {})))].sort();
    const show = (v) => (v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
    const rows = keys.map((k) => [k, ...models.map((m) => show(m.manifest.training?.[k]))]);
    const t = table(["option", ...models.map((m) => m.name)], rows);
    if (models.length > 1)
      t.querySelectorAll("tbody tr").forEach((tr, i) => { if (new Set(rows[i].slice(1)).size > 1) tr.classList.add("differs"); });
    return el("section", { id: "options" }, el("details", { open: models.length > 1 }, el("summary", {}, "Training options"), t));
  }

  // 整页：概要、曲线、评估、分组、选项。models = [{name, dir, version, manifest, train_log}]。
  function renderModels(root, models) {
    root.replaceChildren(summary(models), curves(models), evaluation(models), historyTables(models), optionsTable(models));
  }

  global.SeqrecView = { el, fmt, table, chart, renderModels, COLORS };
})(window);
