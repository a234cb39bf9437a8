// `seqrec serve`：在回环地址上提供 HTTP 服务并加载模型目录（校验失败则拒绝启动）。
// SIGINT/SIGTERM/SIGHUP 由专门的线程用 sigwait 接收：前两者排空后退出，SIGHUP 在后台热加载。
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "core/manifest.h"
#include "store/open_store.h"
#include "core/files.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"

namespace seqrec::app {

namespace {

// serve 子命令的全部选项。
struct ServeFlags {
  std::string model;
  double load_timeout_s = 600;  // 一次模型加载的时限（秒，0 = 不限）
  std::string precision = "int8";
  BundleOptions bundle;
  ServeOptions opt;
  std::string store;            // 用户历史存储的目录（空 = 不存事件，/events 与 /users 回答 503）
  SqliteStoreOptions store_opt;
  size_t history_cache = 100000;  // 内存里缓存最近历史的用户数（0 = 不缓存）
  std::string retrain_every;    // 后台重新训练的间隔（如 30m、6h；空 = 不按时间）
  RetrainSchedule retrain;      // 其余的后台重新训练选项
};

// 时长：数字加单位 s / m / h / d（没有单位时为秒）。不合法时抛出 Error，指明选项。
double parse_duration(const std::string& text, const char* flag) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used ? text.substr(used) : "";
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (!used || scale == 0 || !(v > 0))
    throw Error(concat(flag, " must be a positive duration such as 90s, 30m, 6h or 1d, got '", text, "'"));
  return v * scale;
}

// 启动服务：屏蔽信号 → 绑定端口并开始应答（/health/ready 在模型加载完之前是 503）→ 加载并校验模型
// （失败则退出）→ 处理请求，直到 SIGINT/SIGTERM（排空后退出）；SIGHUP 在后台重新加载 --model 目录。
void run_serve(ServeFlags f, const CLI::App* cmd) {
  f.opt.validate();
  // --threads 只对 --io epoll 有意义（每连接一个线程的模式没有事件循环）：给了却用不上时报错，而不是忽略。
  if (cmd->count("--threads") > 0 && f.opt.io != "epoll")
    throw Error("--threads sets the event loops of --io epoll; with --io threads every connection has its own thread "
                "(bound by --max-connections)");
  if (f.opt.admin_token.empty())
    if (const char* t = std::getenv("SEQREC_ADMIN_TOKEN")) f.opt.admin_token = t;
  f.bundle.precision = parse_scan_precision(f.precision);
  // 先屏蔽信号，之后创建的所有线程都继承这个屏蔽字，信号只由等待线程接收。
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (f.opt.events_token.empty())
    if (const char* t = std::getenv("SEQREC_EVENTS_TOKEN")) f.opt.events_token = t;
  // 事件存储在绑定端口之前打开：打不开、版本不对或损坏时立即报错，不先宣布在监听。
  std::unique_ptr<HistoryStore> store;
  if (!f.store.empty()) {
    if (is_redis_store(f.store) && cmd->count("--durability") > 0)
      throw Error("--durability applies to the SQLite store; a Redis store is as durable as the Redis server's "
                  "appendonly / appendfsync settings");
    if (is_redis_store(f.store) && cmd->count("--store-max-mb") > 0)
      throw Error("--store-max-mb applies to the SQLite store; bound a Redis store with the server's maxmemory "
                  "(POST /events then answers 507 when it is reached)");
    HistoryCacheOptions co;
    co.max_users = f.history_cache;
    co.per_user = static_cast<size_t>(std::max(1, f.opt.history_len));
    store = open_history_store(f.store, f.store_opt, false, &co);
    std::fprintf(stderr, "event store: %s\n", store->stats().dump().c_str());
  } else {
    for (const char* flag : {"--durability", "--store-max-mb", "--history-cache", "--history-len", "--consumed-types",
                             "--event-types", "--events-token"})
      if (cmd->count(flag) > 0) throw Error(concat(flag, " needs --store DIR (the event store it configures)"));
  }
  // 后台重新训练：任何一个 --retrain-* 选项都打开它（只有 --retrain-dir 时只按 POST /admin/retrain 训练）。
  bool retraining = false;
  for (const auto* o : cmd->get_options())
    if (o->get_name().rfind("--retrain-", 0) == 0 && o->count() > 0) retraining = true;
  std::string model_dir = f.model;
  if (retraining) {
    if (!store) throw Error("--retrain-* options need --store (the events a retrain learns from)");
    if (!retrain_support().make)
      throw Error("seqrec-serve cannot train (it has no LibTorch): run `seqrec serve` for background retraining, "
                  "or schedule `seqrec retrain` and POST /admin/reload");
    if (!f.retrain_every.empty()) f.retrain.every_s = parse_duration(f.retrain_every, "--retrain-every");
    if (f.retrain.dir.empty()) {
      if (is_redis_store(f.store))
        throw Error("with a Redis store, give --retrain-dir (a directory for the retrained models)");
      f.retrain.dir = f.store + "/models";
    }
    f.retrain.base_model = f.model;
    // 后台训练的类型权重：serve 给了 --event-types 就用它；否则沿用模型记下的（见 RetrainOptions::event_types）。
    if (cmd->count("--event-types") > 0) f.retrain.retrain.event_types = f.opt.event_types;
    retrain_support().validate(f.retrain);
    const std::string resumed = retrain_support().resume_dir(f.retrain.dir, f.model);
    if (!resumed.empty()) {
      std::fprintf(stderr, "serving %s, the last model promoted by background retraining from %s (%s/current.json)\n",
                   resumed.c_str(), f.model.c_str(), f.retrain.dir.c_str());
      model_dir = resumed;
    }
  }
  // 绑定端口、打印 listening 之前先看一眼模型目录（存在、manifest 可读、格式版本认识）：拼错的目录
  // 立即报错，而不是先宣布在监听。完整的校验（每个文件的 sha256）仍在后台加载时做。
  try {
    (void)load_manifest(f.model);
  } catch (const Error& e) {
    throw Error(concat("cannot serve ", f.model, ": ", e.what()));
  }
  const BundleOptions bo = f.bundle;
  ModelSlot slot(model_dir, [bo](const std::string& dir) -> std::shared_ptr<const ModelBundle> {
    const double t0 = now_seconds();
    try {
      std::shared_ptr<const ModelBundle> b = ModelBundle::load(dir, bo);
      std::fprintf(stderr, "loaded %s: version %s, %zu items, %zu users, %s retrieval, %.2fs\n", dir.c_str(),
                   b->version.c_str(), b->items.size(), b->users.size(), b->index_kind().c_str(), now_seconds() - t0);
      if (b->items.size() > 100000 && b->index_kind() == "exact")
        std::fprintf(stderr, "note: %zu items with exact retrieval; `seqrec index --model %s --type hnsw` builds a "
                     "FAISS index for faster answers\n", b->items.size(), dir.c_str());
      return b;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "load of %s failed (%.2fs): %s\n", dir.c_str(), now_seconds() - t0, e.what());
      throw;
    }
  }, f.load_timeout_s);
  HttpServer server(slot, f.opt, store.get());
  const int port = server.bind();
  std::thread serving([&server] { server.serve(); });
  if (f.opt.io == "epoll")
    std::fprintf(stderr, "listening on http://%s:%d (%d epoll threads)\n", f.opt.host.c_str(), port, f.opt.resolved_threads());
  else
    std::fprintf(stderr, "listening on http://%s:%d (one thread per connection, at most %d)\n", f.opt.host.c_str(), port,
                 f.opt.max_connections);
  if (f.opt.console)
    std::fprintf(stderr, "console at http://%s:%d/console%s\n", f.opt.host.c_str(), port,
                 f.opt.admin_token.empty() ? "" : " (its data needs the admin token)");
  // 信号等待线程在第一次加载之前就开始工作：加载中收到 SIGTERM 也立即排空退出，不等加载完。
  // SIGHUP → 后台重新加载；SIGINT/SIGTERM → 排空并退出。
  std::thread waiter([&server, &slot, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        std::fprintf(stderr, "SIGHUP: reloading %s\n", slot.default_dir().c_str());
        if (!slot.start_reload()) std::fprintf(stderr, "SIGHUP ignored: a reload is already in progress\n");
        continue;
      }
      std::fprintf(stderr, "signal %d: draining (at most %ds) and shutting down\n", sig, server.options().drain_timeout_s);
      server.stop();
      return;
    }
  });
  // 结束时让等待线程退出（它可能已因信号退出；那时这个信号被屏蔽、无人接收，不会有影响）。
  auto stop_waiter = [&waiter] {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  };
  slot.start_reload();
  const ModelSlot::Outcome first = slot.wait([&server] { return server.draining(); });
  if (!first.ok) {
    server.stop();
    serving.join();
    stop_waiter();
    if (server.draining() && first.version.empty() && first.error.rfind("stopped waiting", 0) == 0) {
      std::fprintf(stderr, "shut down before the model in %s finished loading\n", f.model.c_str());
      return;
    }
    throw Error(concat("cannot serve ", f.model, ": ", first.error));
  }
  // 后台重新训练在第一个模型加载之后开始（它从正在服务的模型热启动）；在服务停下之后、存储关闭之前结束。
  std::unique_ptr<RetrainHook> retrainer;
  if (retraining) {
    retrainer = retrain_support().make(*store, f.store, slot, f.retrain);
    server.set_retrain_hook(retrainer.get());
    std::fprintf(stderr, "background retraining: %s%s%scandidates in %s, gate %s with --max-regression %g\n",
                 f.retrain.every_s > 0 ? concat("every ", f.retrain.every_s, " s, ").c_str() : "",
                 f.retrain.after_events > 0 ? concat("after ", f.retrain.after_events, " new events, ").c_str() : "",
                 f.opt.admin_token.empty() ? "" : "on POST /admin/retrain, ", f.retrain.dir.c_str(),
                 f.retrain.retrain.gate_metric.c_str(), f.retrain.retrain.max_regression);
  }
  const auto b = slot.current();
  const std::string example_user = b->users.size() ? b->users.id(0) : "";
  const std::string example_item = b->items.size() ? b->items.id(0) : "";
  std::fprintf(stderr,
               "try: curl -s -X POST http://%s:%d/recommend -H 'Content-Type: application/json' "
               "-d '{\"user_id\": \"%s\", \"recent_clicks\": [\"%s\"], \"top_k\": 10}'\n",
               f.opt.host.c_str(), port, example_user.c_str(), example_item.c_str());
  if (f.opt.admin_token.empty()) std::fprintf(stderr, "admin routes disabled (no --admin-token / SEQREC_ADMIN_TOKEN)\n");
  serving.join();
  server.set_retrain_hook(nullptr);
  retrainer.reset();
  // serve() 也可能因其他原因返回：向等待线程发信号让它结束。进行中的热加载不等（见 ModelSlot）。
  stop_waiter();
}

}  // namespace

// 注册 serve 子命令。
void setup_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "serve POST /recommend (and /recommend/batch, health, metrics, admin) over HTTP");
  cmd->add_option("--model", f->model, "model directory (SIGHUP and POST /admin/reload re-read it)")->required();
  cmd->add_option("--precision", f->precision, "exact scan of the item vectors: int8 (int8 scan + exact fp32 re-rank; same answers as fp32, 4x less memory traffic), fp32, or fp16 (approximate scores)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
  cmd->add_option("--index", f->bundle.index, "retrieval: auto (the FAISS index built by `seqrec index` when the model has one, else exact) or exact")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "exact"}));
  cmd->add_option("--ef-search", f->bundle.ef_search, "HNSW index: candidate list length at search time (0 = as built)")->capture_default_str();
  cmd->add_option("--nprobe", f->bundle.nprobe, "IVF index: inverted lists visited per query (0 = as built)")->capture_default_str();
  cmd->add_option("--coalesce", f->bundle.coalesce,
                  "concurrent single requests share one batched retrieval, at most this many per batch (0 = off)")
      ->capture_default_str();
  cmd->add_option("--beam", f->bundle.beam,
                  "generative (colarec) models: beam width of the constrained search (0 = the one recorded at training; "
                  "never below top_k)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--dense-mix", f->bundle.dense_mix,
                  "generative (colarec) models trained with --w-dense: weight of the dense score against the beam "
                  "search's log-probability, in [0, 1] (default: the one recorded at training)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--host", f->opt.host, "address to bind")->capture_default_str();
  cmd->add_option("--port", f->opt.port, "port (0 = any free port)")->capture_default_str();
  cmd->add_option("--io", f->opt.io,
                  "concurrency model: threads (one thread per open connection; best latency with tens of connections) "
                  "or epoll (--threads event loops; for many idle keep-alive connections)")
      ->capture_default_str()
      ->check(CLI::IsMember({"threads", "epoll"}));
  cmd->add_option("--threads", f->opt.threads, "--io epoll: event loops that parse and answer requests (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("--max-connections", f->opt.max_connections, "open connections allowed at once; more are refused")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-ip", f->opt.max_connections_per_ip,
                  "open connections allowed from one client IP at once; more are refused (0 = no per-IP limit; "
                  "behind a proxy every connection comes from the proxy's address)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", f->opt.idle_timeout_s, "close a connection idle for this many seconds")
      ->capture_default_str();
  cmd->add_option("--header-timeout", f->opt.header_timeout_s,
                  "a request's head (request line and headers) must arrive in full within this many seconds of its "
                  "first byte, or the connection gets 408 and is closed")
      ->capture_default_str();
  cmd->add_option("--max-body", f->opt.max_body_bytes, "maximum request body in bytes (413 above)")->capture_default_str();
  cmd->add_option("--max-top-k", f->opt.max_top_k, "maximum top_k a request may ask for")->capture_default_str();
  cmd->add_option("--exclude-clicked", f->opt.exclude_clicked,
                  "for requests without exclude_clicked: auto (the model's default, from how often its training data "
                  "repeats items; see the manifest's serving section), true or false")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "true", "false"}));
  cmd->add_option("--max-batch", f->opt.max_batch, "maximum requests in one POST /recommend/batch")->capture_default_str();
  cmd->add_option("--request-timeout", f->opt.request_timeout_ms,
                  "per-request time limit in ms: a body not received in time gets 408, a batch not answered in time 503 (0 = none)")
      ->capture_default_str();
  cmd->add_option("--load-timeout", f->load_timeout_s,
                  "seconds a model load (start-up, SIGHUP, POST /admin/reload) may take before it is abandoned "
                  "and reported as failed; the previous model keeps serving (0 = no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--drain-timeout", f->opt.drain_timeout_s, "on SIGTERM, seconds to let in-flight requests finish")
      ->capture_default_str();
  cmd->add_option("--admin-token", f->opt.admin_token,
                  "token for POST /admin/reload and GET /admin/status (header 'Authorization: Bearer TOKEN'); "
                  "default: $SEQREC_ADMIN_TOKEN; none = admin routes disabled");
  cmd->add_option("--store", f->store,
                  "event store: a directory (SQLite, created if missing) or redis://HOST:PORT[/PREFIX] (shared by "
                  "replicas): POST /events records events, "
                  "GET /users/{id}/history and DELETE /users/{id} read and erase them, and /recommend reads a known "
                  "user's stored history (default: no store)");
  cmd->add_option("--durability", f->store_opt.durability,
                  "when POST /events answers: fsync (the events are on disk, group-committed) or async (safe against "
                  "a crash of seqrec, not of the machine)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fsync", "async"}));
  cmd->add_option("--store-max-mb", f->store_opt.max_mb,
                  "SQLite store: at most this many MiB on disk; when full, POST /events answers 507 and stores nothing "
                  "of that request (as when the disk fills up) [0 = no limit]");
  cmd->add_option("--history-cache", f->history_cache,
                  "users whose recent history is kept in memory (LRU), so recommending by user id does not read the "
                  "store: SQLite writes go to the store first, then into the cache; with Redis, Redis tells every "
                  "replica which users changed (CLIENT TRACKING); 0 = off")
      ->capture_default_str();
  cmd->add_option("--history-len", f->opt.history_len,
                  "stored events of a user that /recommend reads (and GET /users/{id}/history returns)")
      ->capture_default_str();
  cmd->add_option("--event-types", f->opt.event_types,
                  "event types POST /events accepts, with their weights as training targets for retraining, e.g. "
                  "click:1,cart:3,order:6,view:0 (0 = history only; an event without a type is the first listed)")
      ->capture_default_str();
  cmd->add_option("--consumed-types", f->opt.consumed_types,
                  "event types whose items are not recommended again to that user (comma-separated; '' = none; auto = "
                  "orders when --event-types lists it, else none)")
      ->capture_default_str();
  cmd->add_option("--events-token", f->opt.events_token,
                  "token the event and user routes require (header 'Authorization: Bearer TOKEN'); default: "
                  "$SEQREC_EVENTS_TOKEN; none = open");
  auto& r = f->retrain;
  r.retrain.threads = 1;  // 服务进程里训练默认只占一个核，另一个留给请求
  cmd->add_option("--retrain-every", f->retrain_every,
                  "background retraining (seqrec serve only, needs --store): retrain the served model this often when "
                  "new events arrived, e.g. 30m, 6h, 1d; a candidate that passes the quality gate is hot-reloaded");
  cmd->add_option("--retrain-after-events", r.after_events, "background retraining: retrain after this many new events");
  cmd->add_option("--retrain-dir", r.dir,
                  "where retrained models go (default: <store>/models); with only this flag, retraining runs on "
                  "POST /admin/retrain");
  cmd->add_option("--retrain-epochs", r.retrain.epochs, "background retraining: maximum epochs (0 = the served model's)")
      ->capture_default_str();
  cmd->add_option("--retrain-threads", r.retrain.threads,
                  "background retraining: training threads (they share the cores with serving)")
      ->capture_default_str();
  cmd->add_option("--retrain-max-regression", r.retrain.max_regression,
                  "quality gate: promote when the candidate's metric is at least the served model's times (1 - this)")
      ->capture_default_str();
  cmd->add_option("--retrain-gate-metric", r.retrain.gate_metric, "quality gate metric: HR@K or NDCG@K")->capture_default_str();
  cmd->add_option("--retrain-holdout", r.retrain.holdout_frac,
                  "quality gate: fraction of the most recent events both models are compared on")
      ->capture_default_str();
  cmd->add_option("--retrain-data", r.retrain.data,
                  "background retraining: also train on this interactions file (erased users are left out)");
  cmd->add_option("--access-log", f->opt.access_log, "JSON-lines access log: - (stderr) or a file to append to (default: off)");
  cmd->add_flag("!--no-console", f->opt.console,
                "turn off the web console at GET /console (try recommendations, the model, service counters, "
                "histories; its data needs --admin-token when one is set)");
  cmd->callback([f, cmd] { run_serve(*f, cmd); });
}

}  // namespace seqrec::app
