// HTTP 连接状态机的实现。
#include "serve/http_conn.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <ctime>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {

constexpr size_t kMaxHeadBytes = 16384;      // 请求行 + 全部请求头的上限（超出 431）
constexpr size_t kReadChunk = 65536;         // 一次 recv 的上限
constexpr size_t kMaxPendingOut = 1 << 20;   // 待发送超过它时先不处理后面的流水线请求
constexpr double kLingerSeconds = 2.0;       // 关闭前等对端读完回答的最长时间（见 flush）

// RFC 9110 的 Date 头值，例如 "Sun, 06 Dec 2026 02:32:48 GMT"。
std::string http_date() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

HttpConnection::HttpConnection(HttpServer& server, int fd, std::string remote)
    : server_(server), fd_(fd), remote_(std::move(remote)), idle_since_(now_seconds()) {
  last_rx_ = idle_since_;
}

HttpConnection::~HttpConnection() {
  Metrics& m = server_.metrics();
  if (in_request_) m.aborted.fetch_add(1, std::memory_order_relaxed);  // 请求收到了一部分，没有回答
  if (held_ > 0) m.in_flight.fetch_sub(held_, std::memory_order_relaxed);
  ::close(fd_);
}

bool HttpConnection::on_readable() {
  char buf[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      last_rx_ = now_seconds();
      if (lingering_) return true;  // 关闭前的等待：收到的都丢弃
      in_.append(buf, static_cast<size_t>(n));
      break;
    }
    if (n == 0) {  // 对端关闭了写方向：处理已收全的请求，之后关闭
      eof_ = true;
      if (lingering_) return true;
      process();
      if (in_request_ || in_off_ < in_.size()) dead_ = true;  // 半截请求永远不会收全
      closing_ = true;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    return false;
  }
  process();
  return true;
}

bool HttpConnection::flush() {
  while (out_off_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      last_write_ = now_seconds();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    dead_ = true;
    return false;
  }
  out_.clear();
  out_off_ = 0;
  if (answered_ > 0) {  // 排队的回答都已发出：这些请求不再算“进行中”
    server_.metrics().in_flight.fetch_sub(answered_, std::memory_order_relaxed);
    held_ -= answered_;
    answered_ = 0;
  }
  if (closing_ && !lingering_ && !eof_) {
    // 先关闭写方向，再读掉对端还在发的字节（例如超限的请求体）一小段时间：直接 close 会让内核对未读
    // 的数据回 RST，客户端可能因此读不到刚发出的回答（nginx 的 lingering_close 同理）。
    ::shutdown(fd_, SHUT_WR);
    lingering_ = true;
    linger_until_ = now_seconds() + kLingerSeconds;
  }
  // 缓冲里可能还有被背压挡住的流水线请求。
  if (!closing_ && !dead_ && in_off_ < in_.size()) {
    process();
    if (out_off_ < out_.size()) return flush();
  }
  return true;
}

bool HttpConnection::done() const {
  // 要关闭的连接：回答发完、且对端也已关闭（或等待超时，那时 on_deadline 置 dead_）。
  return dead_ || (closing_ && !want_write() && eof_);
}

double HttpConnection::deadline() const {
  const ServeOptions& o = server_.options();
  const double idle = o.idle_timeout_s;
  if (lingering_) return linger_until_;
  if (want_write()) return std::max(last_write_, idle_since_) + idle;  // 一个字节也发不出去
  if (phase_ == Phase::kBody) {
    if (o.request_timeout_ms > 0) return body_start_ + o.request_timeout_ms / 1000.0;
    return last_rx_ + idle;
  }
  if (head_start_ > 0) return std::min(head_start_ + o.header_timeout_s, last_rx_ + idle);
  return idle_since_ + idle;
}

void HttpConnection::on_deadline(double now) {
  if (lingering_ || want_write() || closing_) {
    dead_ = true;
    return;
  }
  const ServeOptions& o = server_.options();
  if (phase_ == Phase::kBody && o.request_timeout_ms > 0) {
    fail(408, concat("request body not received within ", o.request_timeout_ms, " ms (--request-timeout)"));
  } else if (phase_ == Phase::kBody || head_start_ > 0) {
    const bool head = phase_ == Phase::kHead;
    if (head && now >= head_start_ + o.header_timeout_s)
      fail(408, concat("request head not received within ", o.header_timeout_s, " s (--header-timeout)"));
    else
      fail(408, concat("no bytes received for ", o.idle_timeout_s, " s (--idle-timeout)"));
  } else {
    dead_ = true;  // 保持连接空闲太久：静默关闭
  }
}

void HttpConnection::on_drain() {
  // 没有请求在处理、没有回答在发送：立即关闭；否则 respond 会带上 Connection: close。
  if (!in_request_ && !want_write()) dead_ = true;
}

void HttpConnection::process() {
  const ServeOptions& o = server_.options();
  while (!dead_ && !closing_) {
    if (out_.size() - out_off_ > kMaxPendingOut) break;  // 对端不读回答：先不处理后面的请求
    const std::string_view avail(in_.data() + in_off_, in_.size() - in_off_);
    if (phase_ == Phase::kHead) {
      if (avail.empty()) break;
      const double now = now_seconds();
      if (head_start_ == 0) head_start_ = now;
      http::WireError e;
      size_t used = 0;
      const http::Parse r = http::parse_head(avail, kMaxHeadBytes, &head_, &used, &e);
      if (r == http::Parse::kNeedMore) break;
      if (r == http::Parse::kError) {
        fail(e.status, e.message);
        break;
      }
      in_off_ += used;
      begin_request(now);
      if (head_.content_length > o.max_body_bytes) {
        fail(413, concat("request body too large (limit ", o.max_body_bytes, " bytes)"));
        break;
      }
      if (!head_.has_body()) {
        finish_request();
        continue;
      }
      phase_ = Phase::kBody;
      body_start_ = now;
      body_left_ = head_.content_length;
      // 客户端在等 100 Continue 才发请求体（curl 对大请求体这样做）。
      if (head_.expect_continue && in_off_ == in_.size()) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
      continue;
    }
    if (head_.chunked) {
      http::WireError e;
      size_t used = 0;
      const http::Parse r = chunked_.feed(avail, o.max_body_bytes, &req_.body, &used, &e);
      in_off_ += used;
      if (r == http::Parse::kNeedMore) break;
      if (r == http::Parse::kError) {
        fail(e.status, e.message);
        break;
      }
    } else {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, avail.size()));
      req_.body.append(avail.data(), take);
      in_off_ += take;
      body_left_ -= take;
      if (body_left_ > 0) break;
    }
    finish_request();
  }
  // 丢掉已处理的前缀（流水线请求留在缓冲里等下一轮）。
  if (in_off_ == in_.size()) {
    in_.clear();
    in_off_ = 0;
  } else if (in_off_ > kReadChunk) {
    in_.erase(0, in_off_);
    in_off_ = 0;
  }
}

void HttpConnection::begin_request(double now) {
  in_request_ = true;
  ++held_;
  server_.metrics().in_flight.fetch_add(1, std::memory_order_relaxed);
  req_ = HttpRequest();
  req_.start = head_start_ > 0 ? head_start_ : now;
  req_.method = head_.method;
  req_.url = head_.path;
  if (const std::string* a = head_.find("authorization")) req_.authorization = *a;
  chunked_ = http::ChunkedDecoder();
}

void HttpConnection::finish_request() {
  const HttpResponse res = server_.handle(req_);
  respond(res, false);
}

void HttpConnection::fail(int status, const std::string& message) {
  if (!in_request_) {  // 请求头没能解析：按能知道的记下（路径可能为空）
    req_ = HttpRequest();
    req_.start = head_start_ > 0 ? head_start_ : now_seconds();
    req_.method = head_.method;
    req_.url = head_.path;
  }
  HttpResponse res;
  res.status = status;
  res.body = json_error_body(message);
  respond(res, true);
}

void HttpConnection::respond(const HttpResponse& res, bool close) {
  const double now = now_seconds();
  close = close || !head_.keep_alive || server_.draining();
  if (out_.empty()) last_write_ = now;
  out_ += concat("HTTP/1.1 ", res.status, " ", http::reason_phrase(res.status), "\r\nDate: ", http_date(),
                 "\r\nContent-Type: ", res.content_type, "\r\nContent-Length: ", res.body.size(), "\r\n");
  if (!res.model_version.empty()) out_ += "X-Model-Version: " + res.model_version + "\r\n";
  if (res.allow) out_ += std::string("Allow: ") + res.allow + "\r\n";
  if (res.status == 401) out_ += "WWW-Authenticate: Bearer\r\n";
  if (close) out_ += "Connection: close\r\n";
  else if (head_.minor_version == 0) out_ += "Connection: keep-alive\r\n";  // HTTP/1.0 只有明说才保持
  out_ += "\r\n";
  if (req_.method != "HEAD") out_ += res.body;
  server_.metrics().observe(HttpServer::route_of(req_.url), res.status, now - req_.start);
  server_.access_log(req_, remote_, res.status, res.body.size(), res.model_version);
  if (in_request_) ++answered_;
  in_request_ = false;
  if (close) closing_ = true;
  phase_ = Phase::kHead;
  head_start_ = 0;
  idle_since_ = now;
}

}  // namespace seqrec
