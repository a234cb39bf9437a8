// 一个 HTTP 连接的协议状态机：收到的字节 → 请求（http_wire 解析）→ HttpServer::handle → 待发送的字节。
// 两种并发模型（每连接一个线程 / epoll 事件循环）共用它，只是驱动读写的方式不同。
//
// 时限（都是从某一刻起的总时长，不因零星到达的字节而重置，所以一个字节一个字节慢慢发的客户端也会被切断）：
//   空闲：上一个回答发完（或连接建立）后 idle_timeout 秒内没有新请求的字节 → 静默关闭；
//   请求头：第一个字节到达后 header_timeout 秒内请求头没有收全 → 408 并关闭；
//   请求体：请求头收全后 request_timeout 毫秒内请求体没有收全 → 408 并关闭；
//   发送：idle_timeout 秒内回答一个字节也发不出去 → 关闭。
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "serve/http_server.h"
#include "serve/http_wire.h"

namespace seqrec {

class HttpConnection {
 public:
  HttpConnection(HttpServer& server, int fd, std::string remote);
  ~HttpConnection();  // 关闭套接字；正在处理的请求计为中断
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  int fd() const { return fd_; }
  const std::string& remote() const { return remote_; }

  // 从套接字读（非阻塞，读到 EAGAIN 为止）并处理收到的请求。对端关闭或出错时返回 false。
  bool on_readable();
  // 把待发送的字节写出（非阻塞）；发完且要关闭时开始“等对端读完”。出错时返回 false。
  // 驱动在每次 on_readable / on_deadline 之后都调用它。
  bool flush();
  // 还有字节等着发送。
  bool want_write() const { return out_off_ < out_.size(); }
  // 是否还想读：对端不读回答、缓冲里又积了很多未处理的字节时先不读（背压）；关闭前的等待仍要读（丢弃）。
  bool want_read() const { return !eof_ && !(want_write() && in_.size() - in_off_ > 65536); }
  // 该关闭了：已判定必须立即关闭，或回答已发完且对端已关闭。
  bool done() const;

  // 下一个时限（单调时钟秒）；到时调用 on_deadline。
  double deadline() const;
  // 时限已到：按所处阶段回答 408 或直接关闭。
  void on_deadline(double now);
  // 服务开始排空：空闲的连接立即关闭，进行中的请求答完后关闭。
  void on_drain();

 private:
  enum class Phase { kHead, kBody };
  // 处理缓冲里已收全的请求（流水线请求依次处理）。
  void process();
  // 请求头刚解析完：开始计时、记下请求的字段。
  void begin_request(double now);
  // 请求收全：调用处理函数并排队回答。
  void finish_request();
  // 排队一个回答（状态行、头、体）；close 时回答后关闭连接。记下指标与访问日志。
  void respond(const HttpResponse& res, bool close);
  // 协议错误（没有完整请求时也可以调用）：回答 status 并关闭连接。
  void fail(int status, const std::string& message);

  HttpServer& server_;
  int fd_;
  std::string remote_;
  std::string in_;             // 收到、尚未处理的字节
  size_t in_off_ = 0;          // in_ 中已处理的前缀
  std::string out_;            // 待发送的字节
  size_t out_off_ = 0;
  Phase phase_ = Phase::kHead;
  http::RequestHead head_;
  http::ChunkedDecoder chunked_;
  uint64_t body_left_ = 0;     // Content-Length 请求体还没读的字节
  HttpRequest req_;
  bool in_request_ = false;    // 请求头已收到、回答尚未生成
  int64_t held_ = 0;           // 计入 in_flight 的请求数：从请求头收到到回答发完
  int64_t answered_ = 0;       // 其中回答已排队、尚未发完的
  bool closing_ = false;       // 回答发完后关闭
  bool dead_ = false;          // 立即关闭
  bool eof_ = false;           // 对端已关闭写方向
  bool lingering_ = false;     // 回答已发完、写方向已关闭，等对端关闭
  double linger_until_ = 0;
  double idle_since_;          // 空闲开始的时刻（连接建立或上一个回答生成）
  double head_start_ = 0;      // 当前请求第一个字节到达的时刻（0 = 还没有字节）
  double body_start_ = 0;      // 请求头收全的时刻
  double last_write_ = 0;      // 最近一次发送有进展的时刻
  double last_rx_ = 0;         // 最近一次收到字节的时刻
};

}  // namespace seqrec
