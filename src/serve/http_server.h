// HTTP 服务：POST /recommend、GET /health。处理函数很薄，所有错误在一处映射为 JSON（STYLE.md 第 13 条）。
//
// 传输层是 GNU libmicrohttpd（Debian libmicrohttpd-dev），HTTP/1.1 的保持连接、流水线、
// Expect: 100-continue、分块上传都由它处理。两种并发模型（--io）：
//   threads（默认）每个连接一个线程，请求在该线程里直接计算。连接数不多时（负载均衡器或后端服务
//                  的连接池）由内核调度均衡各核，实测吞吐与 p99 都最好；
//   epoll          --threads 个 epoll 事件循环，连接在接受时分给某个循环。适合大量空闲的保持连接，
//                  但连接分配不均时尾延迟更高。
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "serve/model_bundle.h"

struct MHD_Daemon;

namespace seqrec {

// 服务选项。
struct ServeOptions {
  std::string host = "127.0.0.1";  // 默认只监听回环地址
  int port = 8080;                 // 0 表示由系统分配
  std::string io = "threads";      // 并发模型："threads"（每连接一个线程）或 "epoll"
  int threads = 0;                 // epoll 模式的事件循环数；0 = CPU 核数
  int max_connections = 1024;      // 同时打开的连接上限，超出的新连接被拒绝
  int idle_timeout_s = 30;         // 空闲连接在这么多秒后关闭
  size_t max_body_bytes = 1 << 20; // 请求体上限，超出返回 413
  int max_top_k = 1000;
  void validate() const;
  // 实际使用的线程数（解析 threads=0）。
  int resolved_threads() const;
};

// 一个正在运行（或即将运行）的服务。bundle 的生命周期必须长于服务。
class HttpServer {
 public:
  HttpServer(const ModelBundle& bundle, ServeOptions opt);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // 绑定并监听端口；失败时抛出 Error。返回实际端口（port=0 时由系统分配）。
  int bind();
  // 启动事件循环并阻塞，直到 stop()；返回时所有连接都已关闭、所有请求都已结束。
  void serve();
  // 停止服务（可从其他线程或信号等待线程调用；在 serve() 开始之前或之后调用都有效）。
  void stop();

  // 处理一个完整的请求（路由 + 错误映射），返回状态码并写出响应体。供传输层回调使用。
  int handle(const std::string& method, const std::string& url, const std::string& body, std::string& out) const;
  const ServeOptions& options() const { return opt_; }

 private:
  const ModelBundle& bundle_;
  ServeOptions opt_;
  int listen_fd_ = -1;  // bind() 创建；交给 libmicrohttpd 后由它关闭
  bool ipv6_ = false;   // 监听套接字是否是 IPv6（bind() 时确定）
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
};

}  // namespace seqrec
