// HTTP 服务实现：路由与错误映射、接受线程、每连接一个线程或 epoll 事件循环（见 ServeOptions::io），
// 以及停机排空。协议细节在 http_conn.cpp（连接状态机）与 http_wire.cpp（解析）。
#include "serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
#include "serve/http_conn.h"
#include "serve/events_api.h"
#include "serve/recommender.h"
#include "store/history_store.h"

namespace seqrec {

namespace {

// "a,b" → {"a", "b"}（去掉空项）。
std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

HttpResponse error_response(int status, const std::string& msg) {
  HttpResponse r;
  r.status = status;
  r.body = json_error_body(msg);
  return r;
}

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

namespace {

// 客户端地址（文本形式）。
std::string ip_of(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  return buf;
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

std::string json_error_body(const std::string& msg, const std::string& field) {
  nlohmann::json j = {{"error", msg}};
  if (!field.empty()) j["field"] = field;
  return dump_json(j);
}

std::vector<std::string> ServeOptions::resolved_consumed_types() const {
  if (consumed_types != "auto") return split_names(consumed_types);
  const EventTypes types = EventTypes::parse(event_types, "--event-types");
  return types.find("orders") ? std::vector<std::string>{"orders"} : std::vector<std::string>{};
}

void ServeOptions::validate() const {
  if (port < 0 || port > 65535) throw Error(concat("--port must be in [0, 65535], got ", port));
  if (threads < 0 || threads > 1024) throw Error(concat("--threads must be in [0, 1024] (0 = one per core), got ", threads));
  if (io != "threads" && io != "epoll") throw Error(concat("--io must be threads or epoll, got '", io, "'"));
  if (history_len < 0 || history_len > 10000) throw Error(concat("--history-len must be in [0, 10000], got ", history_len));
  const EventTypes types = EventTypes::parse(event_types, "--event-types");
  for (const auto& name : resolved_consumed_types())
    if (!types.find(name))
      throw Error(concat("--consumed-types: '", name, "' is not one of --event-types (", types.names(), ")"));
  if (exclude_clicked != "auto" && exclude_clicked != "true" && exclude_clicked != "false")
    throw Error(concat("--exclude-clicked must be auto, true or false, got '", exclude_clicked, "'"));
  if (max_connections < 1 || max_connections > 1000000)
    throw Error(concat("--max-connections must be in [1, 1000000], got ", max_connections));
  if (max_connections_per_ip < 0 || max_connections_per_ip > max_connections)
    throw Error(concat("--max-connections-per-ip must be in [0, --max-connections = ", max_connections,
                       "] (0 = no per-IP limit), got ", max_connections_per_ip));
  if (idle_timeout_s < 1) throw Error(concat("--idle-timeout must be at least 1 second, got ", idle_timeout_s));
  if (header_timeout_s < 1 || header_timeout_s > 3600)
    throw Error(concat("--header-timeout must be in [1, 3600] seconds, got ", header_timeout_s));
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

namespace {

// 路由表里的路径，作为 /metrics 的 route 标签。
std::vector<std::string> route_labels() { return HttpServer::route_paths(); }

// 路径模式（可含一段 {id}）是否匹配 url；匹配时 param 得到那一段的原文。
bool path_matches(const char* pattern, const std::string& url, std::string* param) {
  const std::string p = pattern;
  const size_t brace = p.find('{');
  if (brace == std::string::npos) return url == p;
  const size_t close = p.find('}', brace);
  const std::string head = p.substr(0, brace), tail = p.substr(close + 1);
  if (url.size() <= head.size() + tail.size() || url.compare(0, head.size(), head) != 0 ||
      url.compare(url.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  const std::string mid = url.substr(head.size(), url.size() - head.size() - tail.size());
  if (mid.empty() || mid.find('/') != std::string::npos) return false;
  if (param) *param = mid;
  return true;
}


}  // namespace

HttpServer::HttpServer(ModelSlot& slot, ServeOptions opt, HistoryStore* store)
    : slot_(slot), store_(store), opt_(std::move(opt)), metrics_(route_labels()) {
  opt_.validate();
  types_ = EventTypes::parse(opt_.event_types, "--event-types");
  if (store_) {
    // 新类型在存储里登记编号（已有的沿用），各副本与重新训练看到同一套编号。
    types_.assign_codes([this](const std::string& name) { return store_->type_code(name); });
    type_names_ = store_->type_names();
  }
  consumed_types_ = type_codes(opt_.resolved_consumed_types(), "--consumed-types");
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

const std::vector<HttpServer::RouteEntry>& HttpServer::routes() {
  static const std::vector<RouteEntry> table = {
      {"/recommend", "POST", Auth::kNone, &HttpServer::on_recommend},
      {"/recommend/batch", "POST", Auth::kNone, &HttpServer::on_batch},
      {"/health", "GET", Auth::kNone, &HttpServer::on_health},
      {"/health/live", "GET", Auth::kNone, &HttpServer::on_live},
      {"/health/ready", "GET", Auth::kNone, &HttpServer::on_ready},
      {"/metrics", "GET", Auth::kNone, &HttpServer::on_metrics},
      {"/admin/reload", "POST", Auth::kAdmin, &HttpServer::on_reload},
      {"/admin/status", "GET", Auth::kAdmin, &HttpServer::on_status},
      {"/admin/retrain", "POST", Auth::kAdmin, &HttpServer::on_retrain},
      {"/events", "POST", Auth::kEvents, &HttpServer::on_events},
      {"/users/{id}/history", "GET", Auth::kEvents, &HttpServer::on_user_history},
      {"/users/{id}", "DELETE", Auth::kEvents, &HttpServer::on_user_erase},
      {"/console", "GET", Auth::kNone, &HttpServer::on_console},
      {"/console/{id}", "GET", Auth::kNone, &HttpServer::on_console_file},
  };
  return table;
}

const std::vector<std::string>& HttpServer::route_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    for (const auto& r : routes())
      if (std::find(out.begin(), out.end(), r.path) == out.end()) out.push_back(r.path);
    return out;
  }();
  return paths;
}

size_t HttpServer::route_of(const std::string& url, std::string* param) {
  const auto& p = route_paths();
  for (size_t i = 0; i < p.size(); ++i)
    if (path_matches(p[i].c_str(), url, param)) return i;
  return p.size();
}

namespace {
// 每个路径允许的方法（405 的 Allow 头），与 route_paths() 一一对应；静态存储，指针一直有效。
const std::vector<std::string>& route_allows() {
  static const std::vector<std::string> allows = [] {
    std::vector<std::string> out(HttpServer::route_paths().size());
    for (const auto& r : HttpServer::routes()) {
      const size_t i = HttpServer::route_of(r.path);
      out[i] += (out[i].empty() ? "" : ", ") + std::string(r.method);
    }
    return out;
  }();
  return allows;
}
}  // namespace

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
  try {
    const auto& table = routes();
    std::string raw_param;
    const size_t path = route_of(req.url, &raw_param);
    if (path == route_paths().size()) {
      std::string list;
      for (const auto& e : table) list += concat(list.empty() ? "" : ", ", e.method, " ", e.path);
      return error_response(404, concat("no route for ", req.method, " ", req.url, " (routes: ", list, ")"));
    }
    // 这个路径上与方法相符的一行（HEAD 当作 GET）；没有时取这个路径的第一行，用来先查令牌再答 405。
    const RouteEntry* found = nullptr;
    const RouteEntry* first = nullptr;
    for (const auto& e : table) {
      if (e.path != route_paths()[path]) continue;
      if (!first) first = &e;
      if (req.method == e.method || (req.method == "HEAD" && std::string(e.method) == "GET")) found = &e;
    }
    const RouteEntry& route = found ? *found : *first;
    if (route.auth == Auth::kEvents && !opt_.events_token.empty()) {
      const std::string prefix = "Bearer ";
      const std::string& a = req.authorization;
      if (a.compare(0, prefix.size(), prefix) != 0 || !same_secret(a.substr(prefix.size()), opt_.events_token))
        return error_response(401, "event and user routes need the header 'Authorization: Bearer <events token>'");
    }
    if (route.auth == Auth::kAdmin) {  // 先查令牌：没有令牌的人看不到管理路由接受什么方法
      if (opt_.admin_token.empty())
        return error_response(403, "admin routes are disabled: start seqrec serve with --admin-token or SEQREC_ADMIN_TOKEN");
      if (!admin_authorized(req))
        return error_response(401, "admin routes need the header 'Authorization: Bearer <admin token>'");
    }
    if (!found) {
      HttpResponse res = error_response(405, concat("method ", req.method, " not allowed on ", req.url, " (use ",
                                                    route_allows()[path], ")"));
      res.allow = route_allows()[path].c_str();
      return res;
    }
    // JSON 文本里不会有 NUL 字节；有的话说明请求体被截断或拼接过（否则解析器可能只读到 NUL 之前）。
    if (const size_t nul = req.body.find('\0'); nul != std::string::npos)
      throw RequestError("", concat("request body has a NUL byte at offset ", nul, "; JSON text cannot contain one"));
    if (std::string(route.path).find('{') != std::string::npos) {
      HttpRequest with_param = req;
      with_param.param = raw_param;  // 传输层已经按 URL 解码了路径
      return (this->*route.handler)(with_param);
    }
    return (this->*route.handler)(req);
  } catch (const RequestError& e) {
    HttpResponse res;
    res.status = 400;
    res.body = json_error_body(e.what(), e.field());
    return res;
  } catch (const RequestTimeout& e) {
    return error_response(503, e.what());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

HttpResponse HttpServer::on_recommend(const HttpRequest& req) {
  HttpResponse res;
  const auto b = slot_.current();  // 整个请求都用这一个模型版本
  if (!b) return error_response(503, "model not loaded yet (see GET /health/ready)");
  res.model_version = b->version;
  RecommendRequest r = parse_recommend_request(req.body, opt_.max_top_k);
  apply_server_defaults(r);
  add_stored_history(r);
  res.body = dump_json(recommend(*b, r));
  return res;
}

HttpResponse HttpServer::on_batch(const HttpRequest& req) {
  HttpResponse res;
  const auto b = slot_.current();  // 整批都用这一个模型版本
  if (!b) return error_response(503, "model not loaded yet (see GET /health/ready)");
  res.model_version = b->version;
  const double deadline = opt_.request_timeout_ms > 0 ? req.start + opt_.request_timeout_ms / 1000.0 : 0;
  std::vector<RecommendRequest> rs = parse_batch_request(req.body, opt_.max_top_k, opt_.max_batch);
  for (size_t i = 0; i < rs.size(); ++i) {
    apply_server_defaults(rs[i]);
    try {
      add_stored_history(rs[i]);
    } catch (const RequestError& e) {
      throw RequestError(concat("requests[", i, "].", e.field()), concat("requests[", i, "]: ", e.what()));
    }
  }
  res.body = dump_json(recommend_batch(*b, rs, deadline));
  return res;
}

HttpResponse HttpServer::on_live(const HttpRequest&) {
  HttpResponse res;
  res.body = R"({"status":"alive"})";
  return res;
}

HttpResponse HttpServer::on_ready(const HttpRequest&) { return readiness(false); }

HttpResponse HttpServer::on_health(const HttpRequest&) { return readiness(true); }

HttpResponse HttpServer::readiness(bool legacy) {
  HttpResponse res;
  const auto b = slot_.current();
  nlohmann::ordered_json j;
  if (draining()) {
    res.status = 503;
    j["status"] = "draining";
  } else if (!b) {
    res.status = 503;
    j["status"] = slot_.stats().loading ? "loading" : "no model";
  } else {
    j["status"] = legacy ? "ok" : "ready";
  }
  if (b) {
    res.model_version = b->version;
    j["model_version"] = b->version;
    j["model_type"] = b->manifest.value("model_type", "");
    j["index"] = b->index_kind();
    j["items"] = b->items.size();
    j["users"] = b->users.size();
  }
  res.body = dump_json(j);
  return res;
}

HttpResponse HttpServer::on_metrics(const HttpRequest&) {
  HttpResponse res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = render_metrics();
  return res;
}

nlohmann::ordered_json HttpServer::load_status() const {
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
  if (store_) j["store"] = store_->stats();
  if (retrain_) j["retrain"] = retrain_->status();
  return j;
}

void HttpServer::apply_server_defaults(RecommendRequest& r) const {
  // 请求自己给了 exclude_clicked 就照它；否则 --exclude-clicked true / false 优先于模型的默认值。
  if (!r.exclude_clicked && opt_.exclude_clicked != "auto") r.exclude_clicked = opt_.exclude_clicked == "true";
}

std::string HttpServer::type_name(uint8_t code) const {
  std::lock_guard<std::mutex> lock(type_names_mu_);
  if (code >= type_names_.size() || type_names_[code].empty()) type_names_ = store_->type_names();
  return code < type_names_.size() && !type_names_[code].empty() ? type_names_[code] : concat("type", int(code));
}

std::vector<uint8_t> HttpServer::type_codes(const std::vector<std::string>& names, const std::string& what) const {
  std::vector<uint8_t> out;
  for (const auto& name : names) {
    const EventType* t = types_.find(name);
    if (!t) throw Error(concat(what, ": '", printable(name), "' is not one of --event-types (", types_.names(), ")"));
    out.push_back(static_cast<uint8_t>(t->code));
  }
  return out;
}

void HttpServer::add_stored_history(RecommendRequest& r) const {
  // 请求自己给了 consumed_types 时先核对（即使没有存储或没有 user_id，写错的名字也要说出来）。
  std::vector<uint8_t> request_consumed;
  if (r.consumed_types) {
    try {
      request_consumed = type_codes(*r.consumed_types, "consumed_types");
    } catch (const Error& e) {
      throw RequestError("consumed_types", e.what());
    }
  }
  if (!store_ || !r.user_id || opt_.history_len == 0) return;
  const std::vector<uint8_t>& consumed = r.consumed_types ? request_consumed : consumed_types_;
  const std::vector<StoredEvent> hist = store_->recent(*r.user_id, static_cast<size_t>(opt_.history_len));
  if (hist.empty()) return;
  // 存下的历史在前（从旧到新），请求里的点击在后（它们更新）。
  std::vector<std::string> clicks;
  clicks.reserve(hist.size() + r.recent_clicks.size());
  for (const auto& e : hist) {
    clicks.push_back(e.item_id);
    // 消费过的（默认：下单的）物品不再推荐；只看过的可以再推荐。
    if (std::find(consumed.begin(), consumed.end(), e.type) != consumed.end())
      r.deny_items.push_back(e.item_id);
  }
  clicks.insert(clicks.end(), r.recent_clicks.begin(), r.recent_clicks.end());
  r.recent_clicks = std::move(clicks);
}

namespace {
// 没有 --store 时事件与用户路由的回答。
HttpResponse no_store() {
  return error_response(503, "no event store: start seqrec serve with --store DIR to accept events and keep histories");
}
}  // namespace

HttpResponse HttpServer::on_events(const HttpRequest& req) {
  if (!store_) return no_store();
  const int64_t now_ms = static_cast<int64_t>(std::llround(unix_now() * 1000.0));
  std::vector<StoredEvent> events;
  try {
    events = parse_events_request(req.body, opt_.max_batch, now_ms, types_);
  } catch (const RequestError&) {
    events_rejected_.fetch_add(1, std::memory_order_relaxed);
    throw;  // 由 handle() 映射为 400
  }
  AppendResult r;
  try {
    r = store_->append(events);  // 全有或全无；返回即按 --durability 持久
  } catch (const StoreFull& e) {
    // 507 Insufficient Storage：存储满了（磁盘或 --store-max-mb），这个请求什么也没存；已存的完好无损。
    events_rejected_.fetch_add(1, std::memory_order_relaxed);
    return error_response(507, concat("the events were not stored: ", e.what()));
  } catch (const Error& e) {
    events_rejected_.fetch_add(1, std::memory_order_relaxed);
    return error_response(503, concat("the events were not stored: ", e.what()));
  }
  events_stored_.fetch_add(static_cast<uint64_t>(r.stored), std::memory_order_relaxed);
  if (retrain_ && r.stored > 0) retrain_->note_events(r.stored);
  // 模型还不认识的物品：照样存下并计数，下一次重新训练之后就能推荐了。
  if (const auto b = slot_.current(); b && r.stored > 0) {
    uint64_t unknown = 0;
    for (const auto& e : events) unknown += b->items.find(e.item_id) < 0 ? 1 : 0;
    if (unknown) events_unknown_items_.fetch_add(unknown, std::memory_order_relaxed);
  }
  events_duplicates_.fetch_add(static_cast<uint64_t>(r.duplicates), std::memory_order_relaxed);
  HttpResponse res;
  res.body = dump_json(nlohmann::ordered_json{{"stored", r.stored}, {"duplicates", r.duplicates}});
  return res;
}

HttpResponse HttpServer::on_user_history(const HttpRequest& req) {
  if (!store_) return no_store();
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (const auto& e : store_->recent(req.param, static_cast<size_t>(opt_.history_len))) {
    nlohmann::ordered_json j = {{"item_id", e.item_id}, {"type", type_name(e.type)}, {"ts", e.ts_ms}};
    if (!e.event_id.empty()) j["event_id"] = e.event_id;
    events.push_back(std::move(j));
  }
  HttpResponse res;
  res.body = dump_json(nlohmann::ordered_json{{"user_id", req.param}, {"events", std::move(events)}});
  return res;
}

HttpResponse HttpServer::on_user_erase(const HttpRequest& req) {
  if (!store_) return no_store();
  int64_t n = 0;
  try {
    n = store_->erase_user(req.param);
  } catch (const StoreFull& e) {
    return error_response(507, concat("the user was not erased: ", e.what()));
  } catch (const Error& e) {
    return error_response(503, concat("the user was not erased: ", e.what()));
  }
  HttpResponse res;
  res.body = dump_json(nlohmann::ordered_json{{"user_id", req.param}, {"erased_events", n}});
  return res;
}

bool HttpServer::admin_authorized(const HttpRequest& req) const {
  const std::string prefix = "Bearer ";
  const std::string& a = req.authorization;
  return !opt_.admin_token.empty() && a.compare(0, prefix.size(), prefix) == 0 &&
         same_secret(a.substr(prefix.size()), opt_.admin_token);
}

HttpResponse HttpServer::on_status(const HttpRequest&) {
  HttpResponse res;
  res.body = dump_json(load_status());
  return res;
}

HttpResponse HttpServer::on_reload(const HttpRequest& req) {
  HttpResponse res;
  std::string dir;
  bool wait = true;
  if (!req.body.empty()) {
    const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw RequestError("", "reload body must be a JSON object {\"model_dir\": ..., \"wait\": true}");
    check_fields(j, {"model_dir", "wait"}, "a reload request");
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
  nlohmann::ordered_json j = load_status();
  j["ok"] = o.ok;
  if (!o.ok) {
    // 加载失败：旧模型继续服务，说明原因（422：请求本身合法，但给出的目录无法加载）。
    res.status = 422;
    j["error"] = concat("reload of ", o.dir, " failed; still serving the previous model: ", o.error);
  }
  res.body = dump_json(j);
  return res;
}

// POST /admin/retrain：立即重新训练一次（{"wait": true} 时等到质量门的结论与热加载之后再回答）。
HttpResponse HttpServer::on_retrain(const HttpRequest& req) {
  if (!retrain_)
    return error_response(503, "retraining is not configured: start seqrec serve (not seqrec-serve) with --store and "
                               "--retrain-dir, --retrain-every or --retrain-after-events");
  bool wait = false;
  if (!req.body.empty()) {
    const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw RequestError("", "retrain body must be a JSON object {\"wait\": true}");
    check_fields(j, {"wait"}, "a retrain request");
    if (j.contains("wait")) {
      if (!j["wait"].is_boolean()) throw RequestError("wait", "'wait' must be true or false");
      wait = j["wait"].get<bool>();
    }
  }
  if (!retrain_->trigger()) return error_response(409, "a retrain is already running; see GET /admin/status");
  HttpResponse res;
  if (!wait) {
    res.status = 202;
    res.body = R"({"status":"retraining","see":"GET /admin/status"})";
    return res;
  }
  res.body = dump_json(retrain_->wait());
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
  const ConnectionStats cs = connection_stats();
  o << "# HELP seqrec_http_connections_open Client connections open now.\n# TYPE seqrec_http_connections_open gauge\n"
    << "seqrec_http_connections_open " << cs.open << "\n"
    << "# HELP seqrec_http_connections_refused_total Connections closed at accept, by the limit they hit.\n"
       "# TYPE seqrec_http_connections_refused_total counter\n"
    << "seqrec_http_connections_refused_total{limit=\"max_connections\"} " << cs.refused_total_limit << "\n"
    << "seqrec_http_connections_refused_total{limit=\"per_ip\"} " << cs.refused_per_ip_limit << "\n";
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
  if (store_) {
    o << "# HELP seqrec_events_total Events posted to /events since start, by outcome (stored, or skipped as a "
         "repeated event_id).\n# TYPE seqrec_events_total counter\n"
      << "seqrec_events_total{outcome=\"stored\"} " << events_stored_.load() << "\n"
      << "seqrec_events_total{outcome=\"duplicate\"} " << events_duplicates_.load() << "\n";
    o << "# HELP seqrec_events_unknown_items_total Posted events whose item the served model does not know yet "
         "(stored; recommendable after the next retrain).\n# TYPE seqrec_events_unknown_items_total counter\n"
      << "seqrec_events_unknown_items_total " << events_unknown_items_.load() << "\n";
    o << "# HELP seqrec_event_requests_rejected_total /events requests of which nothing was stored (400 or 503).\n"
         "# TYPE seqrec_event_requests_rejected_total counter\n"
      << "seqrec_event_requests_rejected_total " << events_rejected_.load() << "\n";
  }
  if (retrain_) {
    const RetrainCounters c = retrain_->counters();
    o << "# HELP seqrec_retrains_total Background retrains finished, by result (promoted and hot-reloaded, "
         "rejected by the quality gate, or failed).\n# TYPE seqrec_retrains_total counter\n"
      << "seqrec_retrains_total{result=\"promoted\"} " << c.promoted << "\n"
      << "seqrec_retrains_total{result=\"rejected\"} " << c.rejected << "\n"
      << "seqrec_retrains_total{result=\"failed\"} " << c.failed << "\n"
      << "# HELP seqrec_retrain_running 1 while a retrain runs.\n# TYPE seqrec_retrain_running gauge\n"
      << "seqrec_retrain_running " << (c.running ? 1 : 0) << "\n"
      << "# HELP seqrec_last_retrain_timestamp_seconds When the last retrain finished (Unix time; 0 = none yet).\n"
         "# TYPE seqrec_last_retrain_timestamp_seconds gauge\n"
      << "seqrec_last_retrain_timestamp_seconds " << std::fixed << std::setprecision(3) << c.last_finished_at << "\n"
      << "# HELP seqrec_last_retrain_duration_seconds Wall time of the last retrain.\n"
         "# TYPE seqrec_last_retrain_duration_seconds gauge\n"
      << "seqrec_last_retrain_duration_seconds " << c.last_seconds << "\n"
      << "# HELP seqrec_last_retrain_gate_metric The gate metric on the hold-out at the last retrain, by model.\n"
         "# TYPE seqrec_last_retrain_gate_metric gauge\n" << std::setprecision(6)
      << "seqrec_last_retrain_gate_metric{model=\"candidate\"} " << c.last_candidate << "\n"
      << "seqrec_last_retrain_gate_metric{model=\"current\"} " << c.last_current << "\n";
  }
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

// epoll 模型的一个事件循环：拥有分给它的连接，在一个线程里读、处理、写，并每 100 ms 检查一次各连接的时限。
class HttpServer::EventLoop {
 public:
  explicit EventLoop(HttpServer& s) : s_(s) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    inbox_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ep_ < 0 || inbox_fd_ < 0) throw Error(concat("cannot create an epoll event loop: ", std::strerror(errno)));
    watch(inbox_fd_, EPOLLIN);
    watch(s_.wake_fd_, EPOLLIN);
    thread_ = std::thread([this] { run(); });
  }
  ~EventLoop() {
    if (thread_.joinable()) thread_.join();
    ::close(ep_);
    ::close(inbox_fd_);
  }
  // 接受线程交来一个新连接。
  void add(int fd, const std::string& ip) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      inbox_.emplace_back(fd, ip);
    }
    const uint64_t one = 1;
    const ssize_t n = ::write(inbox_fd_, &one, sizeof one);
    (void)n;
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  // 一个连接及其当前登记在 epoll 里的事件。
  struct Entry {
    std::unique_ptr<HttpConnection> c;
    std::string ip;
    uint32_t mask = 0;
  };
  void watch(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }
  // 按连接现在想读 / 想写更新 epoll 登记；连接该关了就关闭并返回 false。
  bool update(Entry& e) {
    if (e.c->done()) {
      close_entry(e);
      return false;
    }
    const uint32_t want = (e.c->want_read() ? EPOLLIN : 0u) | (e.c->want_write() ? EPOLLOUT : 0u);
    if (want != e.mask) {
      epoll_event ev{};
      ev.events = want;
      ev.data.fd = e.c->fd();
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, e.c->fd(), &ev);
      e.mask = want;
    }
    return true;
  }
  void close_entry(Entry& e) {
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, e.c->fd(), nullptr);
    const std::string ip = e.ip;
    const int fd = e.c->fd();
    e.c.reset();
    conns_.erase(fd);
    s_.release(ip);
  }
  void run() {
    bool drain_seen = false;
    double next_scan = now_seconds() + 0.1;
    epoll_event evs[256];
    while (!s_.force_close_.load()) {
      const int n = ::epoll_wait(ep_, evs, 256, drain_seen ? 20 : 100);
      for (int i = 0; i < n; ++i) {
        const int fd = evs[i].data.fd;
        if (fd == inbox_fd_) {
          uint64_t v;
          while (::read(inbox_fd_, &v, sizeof v) > 0) {
          }
          std::vector<std::pair<int, std::string>> got;
          {
            std::lock_guard<std::mutex> lock(mu_);
            got.swap(inbox_);
          }
          for (auto& [cfd, ip] : got) {
            Entry& e = conns_[cfd];
            e.c = std::make_unique<HttpConnection>(s_, cfd, ip);
            e.ip = ip;
            e.mask = EPOLLIN;
            watch(cfd, EPOLLIN);
            if (drain_seen) e.c->on_drain();
            update(e);
          }
          continue;
        }
        if (fd == s_.wake_fd_) {  // 开始排空：之后不再监听它（它一直可读）
          drain_seen = true;
          ::epoll_ctl(ep_, EPOLL_CTL_DEL, s_.wake_fd_, nullptr);
          std::vector<int> fds;
          for (auto& kv : conns_) fds.push_back(kv.first);
          for (int cfd : fds) {
            auto it = conns_.find(cfd);
            it->second.c->on_drain();
            update(it->second);
          }
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        Entry& e = it->second;
        bool ok = true;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ok = e.c->on_readable();
        if (ok) ok = e.c->flush();
        if (!ok) {
          close_entry(e);
          continue;
        }
        update(e);
      }
      // 时限：每 100 ms 扫一遍本循环的连接。
      const double now = now_seconds();
      if (now >= next_scan) {
        next_scan = now + 0.1;
        std::vector<int> fds;
        for (auto& kv : conns_)
          if (now >= kv.second.c->deadline()) fds.push_back(kv.first);
        for (int cfd : fds) {
          Entry& e = conns_[cfd];
          e.c->on_deadline(now);
          if (!e.c->flush()) {
            close_entry(e);
            continue;
          }
          update(e);
        }
      }
    }
    // 排空结束：关闭剩下的连接。
    std::vector<int> fds;
    for (auto& kv : conns_) fds.push_back(kv.first);
    for (int cfd : fds) close_entry(conns_[cfd]);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [cfd, ip] : inbox_) {
      ::close(cfd);
      s_.release(ip);
    }
    inbox_.clear();
  }

  HttpServer& s_;
  int ep_ = -1, inbox_fd_ = -1;
  std::mutex mu_;
  std::vector<std::pair<int, std::string>> inbox_;  // 接受线程交来、还没登记的连接
  std::unordered_map<int, Entry> conns_;
  std::thread thread_;
};

bool HttpServer::admit(const std::string& ip) {
  std::lock_guard<std::mutex> lock(conn_mu_);
  if (conn_stats_.open >= opt_.max_connections) {
    ++conn_stats_.refused_total_limit;
    return false;
  }
  int& n = per_ip_[ip];
  if (opt_.max_connections_per_ip > 0 && n >= opt_.max_connections_per_ip) {
    ++conn_stats_.refused_per_ip_limit;
    return false;
  }
  ++n;
  ++conn_stats_.open;
  return true;
}

void HttpServer::release(const std::string& ip) {
  std::lock_guard<std::mutex> lock(conn_mu_);
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  --conn_stats_.open;
  conn_cv_.notify_all();
}

HttpServer::ConnectionStats HttpServer::connection_stats() const {
  std::lock_guard<std::mutex> lock(conn_mu_);
  return conn_stats_;
}

void HttpServer::run_connection_thread(int fd, const std::string& ip) {
  {
    HttpConnection c(*this, fd, ip);
    bool drain_seen = false;
    while (!c.done() && !force_close_.load()) {
      if (!drain_seen && draining()) {
        drain_seen = true;
        c.on_drain();
        if (c.done()) break;
      }
      const double now = now_seconds();
      const double dl = c.deadline();
      if (now >= dl) {
        c.on_deadline(now);
        if (!c.flush()) break;
        continue;
      }
      // 等套接字、排空信号或时限；排空开始后改为短轮询，以便及时看到 force_close_。
      pollfd p[2] = {{fd, static_cast<short>((c.want_read() ? POLLIN : 0) | (c.want_write() ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0}};
      double wait_s = dl - now;
      if (drain_seen) wait_s = std::min(wait_s, 0.02);
      const int ms = static_cast<int>(std::min(wait_s * 1000.0 + 1.0, 3600000.0));
      const int r = ::poll(p, drain_seen ? 1 : 2, ms);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) continue;
      if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !c.on_readable()) break;
      if (!c.flush()) break;
    }
  }
  release(ip);
}

void HttpServer::accept_loop(std::vector<std::unique_ptr<EventLoop>>& loops) {
  size_t next = 0;
  double last_warning = 0;
  while (!draining()) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (draining()) break;
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // 文件描述符用尽：稍等再试，不要空转；每分钟至多说一次。
          if (now_seconds() - last_warning > 60) {
            std::fprintf(stderr, "http: cannot accept connections: %s\n", std::strerror(errno));
            last_warning = now_seconds();
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        break;
      }
      const std::string ip = ip_of(ss);
      if (!admit(ip)) {
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (!loops.empty()) {
        loops[next++ % loops.size()]->add(fd, ip);
      } else {
        try {
          std::thread([this, fd, ip] { run_connection_thread(fd, ip); }).detach();
        } catch (const std::exception&) {  // 线程数到了系统上限：拒绝这个连接
          ::close(fd);
          release(ip);
        }
      }
    }
  }
}

void HttpServer::serve() {
  SEQREC_CHECK(listen_fd_ >= 0, "HttpServer::serve called before bind()");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_requested_) return;
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw Error(concat("cannot create an eventfd: ", std::strerror(errno)));
  std::vector<std::unique_ptr<EventLoop>> loops;
  if (opt_.io == "epoll")
    for (int i = 0; i < opt_.resolved_threads(); ++i) loops.push_back(std::make_unique<EventLoop>(*this));
  std::thread acceptor([this, &loops] { accept_loop(loops); });
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stop_requested_; });
  }
  // 排空：停止接受新连接，就绪探针变为 503、回答带 Connection: close，空闲连接立即关闭；
  // 等进行中的请求答完（至多 drain_timeout_s），再关闭所有连接并等待各线程结束。
  draining_.store(true);
  const uint64_t one = 1;
  const ssize_t w = ::write(wake_fd_, &one, sizeof one);
  (void)w;
  acceptor.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  const double until = now_seconds() + opt_.drain_timeout_s;
  while (metrics_.in_flight.load() > 0 && now_seconds() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t left = metrics_.in_flight.load();
  if (left > 0) std::fprintf(stderr, "drain timeout: closing %lld unfinished requests\n", static_cast<long long>(left));
  force_close_.store(true);
  for (auto& l : loops) l->join();
  {
    std::unique_lock<std::mutex> lock(conn_mu_);
    conn_cv_.wait(lock, [this] { return conn_stats_.open == 0; });
  }
  loops.clear();
  ::close(wake_fd_);
  wake_fd_ = -1;
}

void HttpServer::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

}  // namespace seqrec
