// HTTP 服务实现（cpp-httplib）。
#include "serve/http_server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "serve/recommender.h"

namespace seqrec {

namespace {

// 写出 JSON 错误响应。
void json_error(httplib::Response& res, int status, const std::string& msg, const std::string& field = "") {
  nlohmann::json j = {{"error", msg}};
  if (!field.empty()) j["field"] = field;
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

}  // namespace

void ServeOptions::validate() const {
  if (port < 0 || port > 65535) throw Error(concat("--port must be in [0, 65535], got ", port));
  if (threads < 1 || threads > 1024) throw Error(concat("--threads must be in [1, 1024], got ", threads));
  if (max_body_bytes < 64) throw Error(concat("--max-body must be at least 64 bytes, got ", max_body_bytes));
  if (max_top_k < 1) throw Error(concat("--max-top-k must be >= 1, got ", max_top_k));
}

HttpServer::HttpServer(const ModelBundle& bundle, ServeOptions opt)
    : bundle_(bundle), opt_(std::move(opt)), svr_(std::make_unique<httplib::Server>()) {
  opt_.validate();
  const int threads = opt_.threads;
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr_->set_keep_alive_max_count(10000);
  svr_->set_tcp_nodelay(true);  // 小响应立即发出，避免 Nagle 与延迟确认叠加出几十毫秒的延迟
  svr_->set_payload_max_length(opt_.max_body_bytes);
  svr_->set_read_timeout(10, 0);
  svr_->set_write_timeout(10, 0);

  svr_->Post("/recommend", [this](const httplib::Request& req, httplib::Response& res) {
    RecommendRequest r = parse_recommend_request(req.body, opt_.max_top_k);
    res.set_content(recommend(bundle_, r).dump(), "application/json");
  });
  svr_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"status", "ok"},
                        {"model_type", bundle_.manifest.value("model_type", "")},
                        {"items", bundle_.items.size()},
                        {"users", bundle_.users.size()}};
    res.set_content(j.dump(), "application/json");
  });
  // 统一的异常映射：请求错误 → 400（指明字段），其余 → 500；服务绝不因输入而崩溃。
  svr_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const RequestError& e) {
      json_error(res, 400, e.what(), e.field());
    } catch (const std::exception& e) {
      json_error(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      json_error(res, 500, "internal error");
    }
  });
  // 路由不存在、方法不对、请求体过大等由 httplib 产生的错误：补上 JSON 说明。
  svr_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      json_error(res, 413, concat("request body too large (limit ", opt_.max_body_bytes, " bytes)"));
    else if (res.status == 404)
      json_error(res, 404, concat("no route for ", req.method, " ", req.path, " (routes: POST /recommend, GET /health)"));
    else
      json_error(res, res.status, concat("HTTP error ", res.status));
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  if (opt_.port == 0) {
    const int p = svr_->bind_to_any_port(opt_.host);
    if (p <= 0) throw Error(concat("cannot bind to ", opt_.host, " on any port"));
    return p;
  }
  if (!svr_->bind_to_port(opt_.host, opt_.port))
    throw Error(concat("cannot bind to ", opt_.host, ":", opt_.port, " (address in use or not allowed)"));
  return opt_.port;
}

void HttpServer::serve() {
  serving_ = true;
  if (!stop_requested_) svr_->listen_after_bind();
  serving_ = false;
}

void HttpServer::stop() {
  // httplib 的 stop() 只对已在运行的服务生效：若 serve() 已开始但尚未进入监听循环，等它进入后再停，
  // 否则 accept 会永远阻塞。serve() 尚未开始时，它会看到 stop_requested_ 而直接返回。
  stop_requested_ = true;
  while (serving_ && !svr_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  svr_->stop();
}

}  // namespace seqrec
