// HTTP 服务实现（libmicrohttpd：每连接一个线程，或 epoll 事件循环，见 ServeOptions::io）。
#include "serve/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "serve/recommender.h"

namespace seqrec {

namespace {

// 生成 JSON 错误响应体。
std::string json_error(const std::string& msg, const std::string& field = "") {
  nlohmann::json j = {{"error", msg}};
  if (!field.empty()) j["field"] = field;
  return j.dump();
}

// 一个请求在各次回调之间的状态：累积的请求体，以及是否已超过上限。
struct PendingRequest {
  std::string body;
  bool too_large = false;
};

// 发出响应（JSON）。返回 libmicrohttpd 的结果码。
MHD_Result send_json(MHD_Connection* c, int status, const std::string& body) {
  MHD_Response* r =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (status == 405) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
  const MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(status), r);
  MHD_destroy_response(r);
  return ok;
}

// 请求体过大时的响应体。
std::string too_large_body(size_t limit) { return json_error(concat("request body too large (limit ", limit, " bytes)")); }

// libmicrohttpd 的请求回调。一个请求会被回调多次：第一次只有请求头；之后每次带一段请求体；
// 最后一次 *upload_data_size == 0，此时处理并排队响应。任何异常都不能越过 C 边界。
MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char* /*version*/,
                      const char* upload_data, size_t* upload_data_size, void** con_cls) noexcept {
  auto* server = static_cast<const HttpServer*>(cls);
  const size_t limit = server->options().max_body_bytes;
  try {
    auto* req = static_cast<PendingRequest*>(*con_cls);
    if (!req) {
      // 第一次回调：只有请求头。声明的长度已超限时立即回答 413（之后连接会被关闭，不读请求体）。
      req = new PendingRequest;
      *con_cls = req;
      const char* cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (cl) {
        errno = 0;
        char* end = nullptr;
        const unsigned long long n = std::strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && n > limit) {
          req->too_large = true;
          return send_json(c, 413, too_large_body(limit));
        }
      }
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      // 一段请求体：累积；超限后只丢弃，读完再回答 413（分块上传没有事先声明的长度）。
      if (!req->too_large) {
        if (req->body.size() + *upload_data_size > limit) {
          req->too_large = true;
          std::string().swap(req->body);
        } else {
          req->body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (req->too_large) return send_json(c, 413, too_large_body(limit));
    std::string out;
    const int status = server->handle(method, url, req->body, out);
    return send_json(c, status, out);
  } catch (...) {
    // 只可能是内存不足：关闭这个连接，服务继续。
    return MHD_NO;
  }
}

// 请求结束（成功、出错或连接断开）时释放状态。
void on_completed(void* /*cls*/, MHD_Connection* /*c*/, void** con_cls, MHD_RequestTerminationCode /*toe*/) noexcept {
  delete static_cast<PendingRequest*>(*con_cls);
  *con_cls = nullptr;
}

// libmicrohttpd 的内部消息（例如客户端异常断开）写到 stderr，带上前缀。
void on_log(void* /*cls*/, const char* fmt, va_list ap) {
  std::fputs("http: ", stderr);
  std::vfprintf(stderr, fmt, ap);
}

}  // namespace

void ServeOptions::validate() const {
  if (port < 0 || port > 65535) throw Error(concat("--port must be in [0, 65535], got ", port));
  if (threads < 0 || threads > 1024) throw Error(concat("--threads must be in [0, 1024] (0 = one per core), got ", threads));
  if (io != "threads" && io != "epoll") throw Error(concat("--io must be threads or epoll, got '", io, "'"));
  if (max_connections < 1 || max_connections > 1000000)
    throw Error(concat("--max-connections must be in [1, 1000000], got ", max_connections));
  if (idle_timeout_s < 1) throw Error(concat("--idle-timeout must be at least 1 second, got ", idle_timeout_s));
  if (max_body_bytes < 64) throw Error(concat("--max-body must be at least 64 bytes, got ", max_body_bytes));
  if (max_top_k < 1) throw Error(concat("--max-top-k must be >= 1, got ", max_top_k));
}

int ServeOptions::resolved_threads() const {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

HttpServer::HttpServer(const ModelBundle& bundle, ServeOptions opt) : bundle_(bundle), opt_(std::move(opt)) {
  opt_.validate();
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int HttpServer::handle(const std::string& method, const std::string& url, const std::string& body,
                       std::string& out) const {
  // 统一的异常映射：请求错误 → 400（指明字段），其余 → 500；服务绝不因输入而崩溃。
  try {
    if (url == "/recommend") {
      if (method != "POST") {
        out = json_error(concat("method ", method, " not allowed on /recommend (use POST)"));
        return 405;
      }
      const RecommendRequest r = parse_recommend_request(body, opt_.max_top_k);
      out = recommend(bundle_, r).dump();
      return 200;
    }
    if (url == "/health" && (method == "GET" || method == "HEAD")) {
      nlohmann::json j = {{"status", "ok"},
                          {"model_type", bundle_.manifest.value("model_type", "")},
                          {"items", bundle_.items.size()},
                          {"users", bundle_.users.size()}};
      out = j.dump();
      return 200;
    }
    out = json_error(concat("no route for ", method, " ", url, " (routes: POST /recommend, GET /health)"));
    return 404;
  } catch (const RequestError& e) {
    out = json_error(e.what(), e.field());
    return 400;
  } catch (const std::exception& e) {
    out = json_error(std::string("internal error: ") + e.what());
    return 500;
  }
}

int HttpServer::bind() {
  SEQREC_CHECK(listen_fd_ < 0, "HttpServer::bind called twice");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opt_.port);
  const int rc = ::getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) throw Error(concat("cannot resolve --host ", opt_.host, ": ", gai_strerror(rc)));
  std::string last_error = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) throw Error(concat("cannot bind to ", opt_.host, ":", opt_.port, ": ", last_error));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  ipv6_ = ss.ss_family == AF_INET6;
  if (ipv6_) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void HttpServer::serve() {
  SEQREC_CHECK(listen_fd_ >= 0, "HttpServer::serve called before bind()");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_requested_) return;
  }
  // 两种并发模型（见 ServeOptions::io）：每连接一个线程（poll），或固定数目的 epoll 事件循环。
  const bool epoll = opt_.io == "epoll";
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  flags |= epoll ? MHD_USE_EPOLL : (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL);
  if (ipv6_) flags |= MHD_USE_IPv6;
  // 每连接一个线程时不能再用线程池（libmicrohttpd 的限制）：只有一个接受连接的线程。
  const unsigned threads = epoll ? static_cast<unsigned>(opt_.resolved_threads()) : 1u;
  MHD_Daemon* d = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request, const_cast<HttpServer*>(this),  //
      MHD_OPTION_EXTERNAL_LOGGER, &on_log, nullptr,                              // 须是第一个选项
      MHD_OPTION_LISTEN_SOCKET, listen_fd_,                                      //
      MHD_OPTION_THREAD_POOL_SIZE, threads,                                      //
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(opt_.max_connections),  //
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(opt_.idle_timeout_s), //
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr,                       //
      MHD_OPTION_END);
  if (!d) throw Error(concat("cannot start the HTTP server on ", opt_.host, ":", opt_.port));
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stop_requested_; });
  }
  // 先停止接受新连接（取回监听套接字），再关闭现有连接并等待工作线程结束。
  const MHD_socket fd = MHD_quiesce_daemon(d);
  MHD_stop_daemon(d);
  if (fd != MHD_INVALID_SOCKET) ::close(fd);
  listen_fd_ = -1;
}

void HttpServer::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

}  // namespace seqrec
