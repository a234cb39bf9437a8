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
#include <chrono>
#include <cmath>
#include <ctime>
#include <fcntl.h>
#include <iomanip>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "serve/recommender.h"

namespace seqrec {

namespace {

// 生成 JSON 错误响应体。
std::string json_error(const std::string& msg, const std::string& field = "") {
  nlohmann::json j = {{"error", msg}};
  if (!field.empty()) j["field"] = field;
  return j.dump();
}

// 请求体过大时的错误消息。
std::string too_large_msg(size_t limit) { return concat("request body too large (limit ", limit, " bytes)"); }

// 一个请求在各次回调之间的状态：累积的请求体，以及是否已超过上限或时限。
struct PendingRequest {
  HttpRequest req;
  std::string remote;
  bool too_large = false;
  bool timed_out = false;
  bool answered = false;
};

// 客户端地址（访问日志用）。
std::string remote_of(MHD_Connection* c) {
  const MHD_ConnectionInfo* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return "";
  char buf[INET6_ADDRSTRLEN] = {0};
  const sockaddr* sa = ci->client_addr;
  if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

// 发出响应，并记下指标与访问日志。返回 libmicrohttpd 的结果码。
MHD_Result respond(HttpServer* server, MHD_Connection* c, PendingRequest* p, const HttpResponse& res) {
  MHD_Response* r =
      MHD_create_response_from_buffer(res.body.size(), const_cast<char*>(res.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res.content_type.c_str());
  if (res.allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res.allow);
  if (!res.model_version.empty()) MHD_add_response_header(r, "X-Model-Version", res.model_version.c_str());
  if (res.status == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  // 停机排空时让客户端（负载均衡器）换一个连接；请求体没读完就回答时也必须关闭连接。
  if (server->draining() || p->too_large || p->timed_out) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  const MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(res.status), r);
  MHD_destroy_response(r);
  p->answered = true;
  server->metrics().observe(HttpServer::route_of(p->req.url), res.status, now_seconds() - p->req.start);
  server->access_log(p->req, p->remote, res.status, res.body.size(), res.model_version);
  return ok;
}

// 只有状态码与错误消息的响应。
HttpResponse error_response(int status, const std::string& msg) {
  HttpResponse r;
  r.status = status;
  r.body = json_error(msg);
  return r;
}

// libmicrohttpd 的请求回调。一个请求会被回调多次：第一次只有请求头；之后每次带一段请求体；
// 最后一次 *upload_data_size == 0，此时处理并排队响应。任何异常都不能越过 C 边界。
MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char* /*version*/,
                      const char* upload_data, size_t* upload_data_size, void** con_cls) noexcept {
  auto* server = static_cast<HttpServer*>(cls);
  const ServeOptions& opt = server->options();
  try {
    auto* p = static_cast<PendingRequest*>(*con_cls);
    if (!p) {
      // 第一次回调：只有请求头。声明的长度已超限时立即回答 413（之后连接会被关闭，不读请求体）。
      p = new PendingRequest;
      *con_cls = p;
      server->metrics().in_flight.fetch_add(1, std::memory_order_relaxed);
      p->req.start = now_seconds();
      p->req.method = method;
      p->req.url = url;
      if (const char* a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
        p->req.authorization = a;
      p->remote = remote_of(c);
      const char* cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (cl) {
        errno = 0;
        char* end = nullptr;
        const unsigned long long n = std::strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && n > opt.max_body_bytes) {
          p->too_large = true;
          return respond(server, c, p, error_response(413, too_large_msg(opt.max_body_bytes)));
        }
      }
      return MHD_YES;
    }
    if (p->answered) {  // 已提前回答（413）：丢弃剩余的请求体
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      // 一段请求体：累积；超限后只丢弃，读完再回答 413（分块上传没有事先声明的长度）。
      if (opt.request_timeout_ms > 0 && (now_seconds() - p->req.start) * 1000.0 > opt.request_timeout_ms) {
        // 请求体上传太慢（例如每隔几秒发一个字节）：不再等待，关闭连接。libmicrohttpd 不允许在请求体
        // 读完之前排队响应，所以这里只能断开；指标与访问日志按 408 记录。
        p->timed_out = p->answered = true;
        server->metrics().observe(HttpServer::route_of(p->req.url), 408, now_seconds() - p->req.start);
        server->access_log(p->req, p->remote, 408, 0, "");
        return MHD_NO;
      }
      if (!p->too_large) {
        if (p->req.body.size() + *upload_data_size > opt.max_body_bytes) {
          p->too_large = true;
          std::string().swap(p->req.body);
        } else {
          p->req.body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (p->too_large) return respond(server, c, p, error_response(413, too_large_msg(opt.max_body_bytes)));
    return respond(server, c, p, server->handle(p->req));
  } catch (...) {
    // 只可能是内存不足：关闭这个连接，服务继续。
    return MHD_NO;
  }
}

// 请求结束（成功、出错或连接断开）时释放状态。
void on_completed(void* cls, MHD_Connection* /*c*/, void** con_cls, MHD_RequestTerminationCode /*toe*/) noexcept {
  auto* p = static_cast<PendingRequest*>(*con_cls);
  if (!p) return;
  auto* server = static_cast<HttpServer*>(cls);
  if (!p->answered) server->metrics().aborted.fetch_add(1, std::memory_order_relaxed);
  server->metrics().in_flight.fetch_sub(1, std::memory_order_relaxed);
  delete p;
  *con_cls = nullptr;
}

// libmicrohttpd 的内部消息（例如客户端异常断开）写到 stderr，带上前缀。
void on_log(void* /*cls*/, const char* fmt, va_list ap) {
  std::fputs("http: ", stderr);
  std::vfprintf(stderr, fmt, ap);
}

// 常数时间比较（不因第一个不同字节的位置泄露令牌）。
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char d = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    d |= static_cast<unsigned char>(x ^ y);
  }
  return d == 0;
}

// Unix 时间（秒）。
double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// ISO 8601 UTC 时间戳（毫秒），访问日志用。
std::string iso_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // 足够放下任意 int 字段（避免 -Wformat-truncation 的误报）
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// 当前进程的常驻内存（字节），读取 /proc/self/statm。
double resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages = 0, rss = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &rss);
  std::fclose(f);
  return n == 2 ? double(rss) * double(::sysconf(_SC_PAGESIZE)) : 0;
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
  if (max_batch < 1 || max_batch > 100000) throw Error(concat("--max-batch must be in [1, 100000], got ", max_batch));
  if (request_timeout_ms < 0) throw Error(concat("--request-timeout must be >= 0 ms (0 = no limit), got ", request_timeout_ms));
  if (drain_timeout_s < 0) throw Error(concat("--drain-timeout must be >= 0 seconds, got ", drain_timeout_s));
}

int ServeOptions::resolved_threads() const {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

HttpServer::HttpServer(ModelSlot& slot, ServeOptions opt) : slot_(slot), opt_(std::move(opt)) {
  opt_.validate();
  started_unix_ = unix_now();
  if (opt_.access_log == "-") {
    log_fd_ = STDERR_FILENO;
  } else if (!opt_.access_log.empty()) {
    log_fd_ = ::open(opt_.access_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd_ < 0) throw Error(concat("cannot open --access-log ", opt_.access_log, ": ", std::strerror(errno)));
    own_log_fd_ = true;
  }
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (own_log_fd_) ::close(log_fd_);
}

Route HttpServer::route_of(const std::string& url) {
  if (url == "/recommend") return Route::kRecommend;
  if (url == "/recommend/batch") return Route::kBatch;
  if (url == "/health") return Route::kHealth;
  if (url == "/health/live") return Route::kLive;
  if (url == "/health/ready") return Route::kReady;
  if (url == "/metrics") return Route::kMetrics;
  if (url == "/admin/reload") return Route::kAdminReload;
  if (url == "/admin/status") return Route::kAdminStatus;
  return Route::kOther;
}

void HttpServer::access_log(const HttpRequest& req, const std::string& remote, int status, size_t bytes_out,
                            const std::string& version) const {
  if (log_fd_ < 0) return;
  nlohmann::ordered_json j;
  j["ts"] = iso_now();
  j["remote"] = remote;
  j["method"] = req.method;
  j["path"] = req.url;
  j["status"] = status;
  j["ms"] = std::round((now_seconds() - req.start) * 1e6) / 1e3;
  j["bytes_in"] = req.body.size();
  j["bytes_out"] = bytes_out;
  if (!version.empty()) j["model_version"] = version;
  // 非法 UTF-8 的路径用替换字符输出，日志行永远是合法 JSON。
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // 一次 write：O_APPEND 文件与小于 PIPE_BUF 的管道写入都是原子的，多线程的行不会交错。
  const ssize_t n = ::write(log_fd_, line.data(), line.size());
  (void)n;
}

HttpResponse HttpServer::handle(const HttpRequest& req) {
  // 统一的异常映射：请求错误 → 400（指明字段），超时 → 503，其余 → 500；服务绝不因输入而崩溃。
  HttpResponse res;
  const std::string& method = req.method;
  try {
    const Route route = route_of(req.url);
    auto only = [&](const char* allowed) {
      res = error_response(405, concat("method ", method, " not allowed on ", req.url, " (use ", allowed, ")"));
      res.allow = allowed;
      return res;
    };
    switch (route) {
      case Route::kRecommend:
      case Route::kBatch: {
        if (method != "POST") return only("POST");
        const auto b = slot_.current();  // 整个请求都用这一个模型版本
        if (!b) return error_response(503, "model not loaded yet (see GET /health/ready)");
        res.model_version = b->version;
        if (route == Route::kRecommend) {
          res.body = recommend(*b, parse_recommend_request(req.body, opt_.max_top_k)).dump();
        } else {
          const double deadline = opt_.request_timeout_ms > 0 ? req.start + opt_.request_timeout_ms / 1000.0 : 0;
          res.body = recommend_batch(*b, parse_batch_request(req.body, opt_.max_top_k, opt_.max_batch), deadline).dump();
        }
        return res;
      }
      case Route::kLive:
        if (method != "GET" && method != "HEAD") return only("GET");
        res.body = R"({"status":"alive"})";
        return res;
      case Route::kReady:
      case Route::kHealth: {
        if (method != "GET" && method != "HEAD") return only("GET");
        const auto b = slot_.current();
        nlohmann::ordered_json j;
        if (draining()) {
          res.status = 503;
          j["status"] = "draining";
        } else if (!b) {
          res.status = 503;
          j["status"] = slot_.stats().loading ? "loading" : "no model";
        } else {
          j["status"] = route == Route::kHealth ? "ok" : "ready";
        }
        if (b) {
          res.model_version = b->version;
          j["model_version"] = b->version;
          j["model_type"] = b->manifest.value("model_type", "");
          j["index"] = b->index_kind();
          j["items"] = b->items.size();
          j["users"] = b->users.size();
        }
        res.body = j.dump();
        return res;
      }
      case Route::kMetrics:
        if (method != "GET" && method != "HEAD") return only("GET");
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = render_metrics();
        return res;
      case Route::kAdminReload:
      case Route::kAdminStatus:
        return handle_admin(req, route);
      default:
        return error_response(404, concat("no route for ", method, " ", req.url,
                                          " (routes: POST /recommend, POST /recommend/batch, GET /health/live, "
                                          "GET /health/ready, GET /metrics, POST /admin/reload, GET /admin/status)"));
    }
  } catch (const RequestError& e) {
    res.status = 400;
    res.body = json_error(e.what(), e.field());
    return res;
  } catch (const RequestTimeout& e) {
    return error_response(503, e.what());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

HttpResponse HttpServer::handle_admin(const HttpRequest& req, Route r) {
  if (opt_.admin_token.empty())
    return error_response(403, "admin routes are disabled: start seqrec serve with --admin-token or SEQREC_ADMIN_TOKEN");
  const std::string prefix = "Bearer ";
  const std::string& a = req.authorization;
  if (a.compare(0, prefix.size(), prefix) != 0 || !same_secret(a.substr(prefix.size()), opt_.admin_token))
    return error_response(401, "admin routes need the header 'Authorization: Bearer <admin token>'");
  HttpResponse res;
  auto stats_json = [this] {
    const ModelSlot::Stats s = slot_.stats();
    const auto b = slot_.current();
    nlohmann::ordered_json j;
    j["model_version"] = b ? b->version : "";
    j["model_dir"] = b ? b->dir : "";
    j["loading"] = s.loading;
    j["reloads_succeeded"] = s.successes;
    j["reloads_failed"] = s.failures;
    j["last"] = {{"ok", s.last.ok}, {"dir", s.last.dir}, {"version", s.last.version}, {"error", s.last.error},
                 {"seconds", s.last.seconds}};
    return j;
  };
  if (r == Route::kAdminStatus) {
    if (req.method != "GET") {
      res = error_response(405, "use GET on /admin/status");
      res.allow = "GET";
      return res;
    }
    res.body = stats_json().dump();
    return res;
  }
  if (req.method != "POST") {
    res = error_response(405, "use POST on /admin/reload");
    res.allow = "POST";
    return res;
  }
  std::string dir;
  bool wait = true;
  if (!req.body.empty()) {
    const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw RequestError("", "reload body must be a JSON object {\"model_dir\": ..., \"wait\": true}");
    if (j.contains("model_dir")) {
      if (!j["model_dir"].is_string() || j["model_dir"].get<std::string>().empty())
        throw RequestError("model_dir", "'model_dir' must be a non-empty string");
      dir = j["model_dir"].get<std::string>();
    }
    if (j.contains("wait")) {
      if (!j["wait"].is_boolean()) throw RequestError("wait", "'wait' must be true or false");
      wait = j["wait"].get<bool>();
    }
  }
  if (!slot_.start_reload(dir)) return error_response(409, "a reload is already in progress; try again later");
  if (!wait) {
    res.status = 202;
    res.body = R"({"status":"loading","see":"GET /admin/status"})";
    return res;
  }
  const ModelSlot::Outcome o = slot_.wait();
  nlohmann::ordered_json j = stats_json();
  j["ok"] = o.ok;
  if (!o.ok) {
    // 加载失败：旧模型继续服务，说明原因（422：请求本身合法，但给出的目录无法加载）。
    res.status = 422;
    j["error"] = concat("reload of ", o.dir, " failed; still serving the previous model: ", o.error);
  }
  res.body = j.dump();
  return res;
}

std::string HttpServer::render_metrics() const {
  std::ostringstream o;
  o << metrics_.render();
  const auto b = slot_.current();
  const ModelSlot::Stats s = slot_.stats();
  o << "# HELP seqrec_model_info The model being served (value 1).\n# TYPE seqrec_model_info gauge\n";
  if (b)
    o << "seqrec_model_info{version=\"" << prom_escape(b->version) << "\",model_type=\""
      << prom_escape(b->manifest.value("model_type", "")) << "\",index=\"" << b->index_kind() << "\",dir=\""
      << prom_escape(b->dir) << "\"} 1\n";
  if (b && b->coalescer)
    o << "# HELP seqrec_coalesced_batches_total Retrieval batches formed from concurrent single requests (current model).\n"
         "# TYPE seqrec_coalesced_batches_total counter\n"
      << "seqrec_coalesced_batches_total " << b->coalescer->batches() << "\n"
      << "# HELP seqrec_coalesced_queries_total Single requests answered through those batches (current model).\n"
         "# TYPE seqrec_coalesced_queries_total counter\n"
      << "seqrec_coalesced_queries_total " << b->coalescer->queries() << "\n";
  o << "# HELP seqrec_model_items Items in the served catalogue.\n# TYPE seqrec_model_items gauge\n"
    << "seqrec_model_items " << (b ? b->items.size() : 0) << "\n";
  o << "# HELP seqrec_ready 1 when a model is loaded and the server is not draining.\n# TYPE seqrec_ready gauge\n"
    << "seqrec_ready " << ((b && !draining_.load()) ? 1 : 0) << "\n";
  o << "# HELP seqrec_model_reloads_total Model loads (the first one included), by result.\n"
       "# TYPE seqrec_model_reloads_total counter\n"
    << "seqrec_model_reloads_total{result=\"success\"} " << s.successes << "\n"
    << "seqrec_model_reloads_total{result=\"failure\"} " << s.failures << "\n";
  o << "# HELP seqrec_model_loaded_timestamp_seconds When the served model was switched in (Unix time).\n"
       "# TYPE seqrec_model_loaded_timestamp_seconds gauge\n"
    << "seqrec_model_loaded_timestamp_seconds " << std::fixed << std::setprecision(3) << s.loaded_at << "\n";
  o << "# HELP process_start_time_seconds Start time of the process (Unix time).\n"
       "# TYPE process_start_time_seconds gauge\n"
    << "process_start_time_seconds " << started_unix_ << "\n";
  o << "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
       "# TYPE process_resident_memory_bytes gauge\n"
    << "process_resident_memory_bytes " << std::setprecision(0) << resident_bytes() << "\n";
  return o.str();
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
  // 选项表：每连接一个线程时不能再用线程池（libmicrohttpd 的限制），只有 epoll 模式才设线程池大小。
  std::vector<MHD_OptionItem> ops = {
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&on_log), nullptr},
      {MHD_OPTION_LISTEN_SOCKET, listen_fd_, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, opt_.max_connections, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, opt_.idle_timeout_s, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&on_completed), this},
  };
  if (epoll) ops.push_back({MHD_OPTION_THREAD_POOL_SIZE, opt_.resolved_threads(), nullptr});
  ops.push_back({MHD_OPTION_END, 0, nullptr});
  MHD_Daemon* d = MHD_start_daemon(flags, 0, nullptr, nullptr, &on_request, this,  //
                                   MHD_OPTION_ARRAY, ops.data(), MHD_OPTION_END);
  if (!d) throw Error(concat("cannot start the HTTP server on ", opt_.host, ":", opt_.port));
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stop_requested_; });
  }
  // 排空：先停止接受新连接（取回并关闭监听套接字），就绪探针变为 503、响应带 Connection: close；
  // 等进行中的请求答完（至多 drain_timeout_s），再关闭所有连接并等待工作线程结束。
  draining_.store(true);
  const MHD_socket fd = MHD_quiesce_daemon(d);
  if (fd != MHD_INVALID_SOCKET) ::close(fd);
  listen_fd_ = -1;
  const double until = now_seconds() + opt_.drain_timeout_s;
  while (metrics_.in_flight.load() > 0 && now_seconds() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t left = metrics_.in_flight.load();
  if (left > 0) std::fprintf(stderr, "drain timeout: closing %lld unfinished requests\n", static_cast<long long>(left));
  MHD_stop_daemon(d);
}

void HttpServer::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

}  // namespace seqrec
