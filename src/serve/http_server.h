// HTTP 服务：POST /recommend、GET /health。处理函数很薄，所有错误在一处映射为 JSON（STYLE.md 第 13 条）。
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "serve/model_bundle.h"

namespace httplib {
class Server;
}

namespace seqrec {

// 服务选项。
struct ServeOptions {
  std::string host = "127.0.0.1";  // 默认只监听回环地址
  int port = 8080;                 // 0 表示由系统分配
  int threads = 64;                // 工作线程数（每个保持连接占用一个线程）
  size_t max_body_bytes = 1 << 20; // 请求体上限，超出返回 413
  int max_top_k = 1000;
  void validate() const;
};

// 一个正在运行（或即将运行）的服务。bundle 的生命周期必须长于服务。
class HttpServer {
 public:
  HttpServer(const ModelBundle& bundle, ServeOptions opt);
  ~HttpServer();
  // 绑定端口；失败时抛出 Error。返回实际端口（port=0 时由系统分配）。
  int bind();
  // 阻塞地处理请求，直到 stop()。
  void serve();
  // 停止服务（可从其他线程调用；在 serve() 开始之前或之后调用都有效）。
  void stop();

 private:
  const ModelBundle& bundle_;
  ServeOptions opt_;
  std::unique_ptr<httplib::Server> svr_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serving_{false};
};

}  // namespace seqrec
