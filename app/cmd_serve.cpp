// `seqrec serve`：加载模型目录（校验失败则拒绝启动），然后在回环地址上提供 HTTP 服务。
// SIGINT/SIGTERM 由专门的线程用 sigwait 接收，再调用 stop()，以便正常退出。
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"

namespace seqrec::app {

namespace {

// serve 子命令的全部选项。
struct ServeFlags {
  std::string model;
  std::string precision = "int8";
  ServeOptions opt;
};

// 启动服务：屏蔽信号 → 加载并校验模型 → 绑定端口 → 处理请求，直到收到 SIGINT/SIGTERM。
void run_serve(const ServeFlags& f) {
  f.opt.validate();
  // 先屏蔽信号，之后创建的所有线程都继承这个屏蔽字，信号只由等待线程接收。
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const double t0 = now_seconds();
  auto bundle = ModelBundle::load(f.model, parse_scan_precision(f.precision));
  HttpServer server(*bundle, f.opt);
  const int port = server.bind();
  std::fprintf(stderr, "loaded %s (%zu items, %zu users) in %.2fs\n", f.model.c_str(), bundle->items.size(),
               bundle->users.size(), now_seconds() - t0);
  std::string example_user = bundle->users.size() ? bundle->users.id(0) : "";
  std::string example_item = bundle->items.size() ? bundle->items.id(0) : "";
  if (f.opt.io == "epoll")
    std::fprintf(stderr, "listening on http://%s:%d (%d epoll threads)\n", f.opt.host.c_str(), port, f.opt.resolved_threads());
  else
    std::fprintf(stderr, "listening on http://%s:%d (one thread per connection, at most %d)\n", f.opt.host.c_str(), port,
                 f.opt.max_connections);
  std::fprintf(stderr,
               "try: curl -s -X POST http://%s:%d/recommend -H 'Content-Type: application/json' "
               "-d '{\"user_id\": \"%s\", \"recent_clicks\": [\"%s\"], \"top_k\": 10}'\n",
               f.opt.host.c_str(), port, example_user.c_str(), example_item.c_str());
  std::thread waiter([&server, set] {
    int sig = 0;
    sigwait(&set, &sig);
    std::fprintf(stderr, "signal %d: shutting down\n", sig);
    server.stop();
  });
  server.serve();
  // serve() 也可能因其他原因返回：向等待线程发信号让它结束。
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
}

}  // namespace

// 注册 serve 子命令。
void setup_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "serve POST /recommend and GET /health over HTTP");
  cmd->add_option("--model", f->model, "model directory")->required();
  cmd->add_option("--precision", f->precision, "scan of the item vectors: int8 (int8 scan + exact fp32 re-rank; same answers as fp32, 4x less memory traffic), fp32, or fp16 (approximate scores)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
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
  cmd->add_option("--idle-timeout", f->opt.idle_timeout_s, "close a connection idle for this many seconds")
      ->capture_default_str();
  cmd->add_option("--max-body", f->opt.max_body_bytes, "maximum request body in bytes")->capture_default_str();
  cmd->add_option("--max-top-k", f->opt.max_top_k, "maximum top_k a request may ask for")->capture_default_str();
  cmd->callback([f] { run_serve(*f); });
}

}  // namespace seqrec::app
