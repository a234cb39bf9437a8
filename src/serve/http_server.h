// HTTP 服务。处理函数很薄，所有错误在一处映射为 JSON（STYLE.md 第 13 条）。
//
// 路由全部在一张表里（HttpServer::routes()，http_server.cpp）：路径、方法、是否需要管理令牌、处理函数。
// /metrics 的 route 标签、404 说明里的路由清单、405 的 Allow 头都由这张表生成；加一个路由 = 表里加一行
// 加一个处理函数。现有的路由：
//   POST /recommend          单个推荐请求（见 recommender.h）
//   POST /recommend/batch    批量请求 {"requests": [...]}
//   GET  /health/live        进程活着就 200
//   GET  /health/ready       模型已加载且未在停机排空时 200，否则 503
//   GET  /health             兼容旧版：就绪时 200 + 模型信息，否则 503
//   GET  /metrics            Prometheus 文本格式的指标
//   POST /admin/reload       热加载模型目录（需要管理令牌）：{"model_dir": 可选, "wait": 默认 true}
//   GET  /admin/status       加载状态与最近一次加载的结果（需要管理令牌）
//   POST /events             记下一个或一批事件（需要 --store；有 --events-token 时需要该令牌）
//   GET  /users/{id}/history 用户存下的最近事件（同上）
//   DELETE /users/{id}       擦除一个用户的全部事件（同上）
// 路径里的 {id} 是一段（传输层已按 URL 解码，所以含 '/' 的 ID 不能放进路径），交给处理函数的 HttpRequest::param。
//
// 传输层是自己的 HTTP/1.1 实现（http_wire 解析、http_conn 状态机）：保持连接、流水线、
// Expect: 100-continue、分块上传、严格的分帧（拒绝请求走私）、按阶段的总时限与每个 IP 的连接上限。
// 两种并发模型（--io）：
//   threads（默认）每个连接一个线程，请求在该线程里直接计算。连接数不多时（负载均衡器或后端服务
//                  的连接池）由内核调度均衡各核；
//   epoll          --threads 个 epoll 事件循环，连接在接受时轮流分给各个循环。适合大量空闲的保持连接，
//                  但一个慢请求会挡住同一循环里的其他连接。
// 两种模型都由一个接受线程接受连接，在那里检查总连接数与每个 IP 的连接数上限（超出的连接立即关闭）。
//
// 停机（stop()，SIGTERM）：不再接受新连接、/health/ready 变为 503、响应带 Connection: close，
// 等进行中的请求答完（至多 drain_timeout_s 秒），再关闭所有连接。
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/event_types.h"
#include "serve/metrics.h"
#include "serve/model_slot.h"
#include "serve/retrain_hook.h"


namespace seqrec {

// 服务选项。
struct RecommendRequest;  // 推荐请求，见 serve/recommender.h
class HistoryStore;       // 用户历史存储，见 store/history_store.h

struct ServeOptions {
  std::string host = "127.0.0.1";  // 默认只监听回环地址
  int port = 8080;                 // 0 表示由系统分配
  std::string exclude_clicked = "auto";  // 请求没给 exclude_clicked 时：auto = 模型的默认值，true / false = 一律如此
  std::string io = "threads";      // 并发模型："threads"（每连接一个线程）或 "epoll"
  int threads = 0;                 // epoll 模式的事件循环数；0 = CPU 核数
  int max_connections = 1024;      // 同时打开的连接上限，超出的新连接被拒绝
  int max_connections_per_ip = 256;  // 同一客户端 IP 同时打开的连接上限（0 = 不限）；挡住单一来源占满连接
  int idle_timeout_s = 30;         // 空闲连接在这么多秒后关闭
  int header_timeout_s = 10;       // 请求头（请求行 + 全部头）从第一个字节起必须在这么多秒内收全，否则 408
  size_t max_body_bytes = 1 << 20; // 请求体上限，超出返回 413
  int max_top_k = 1000;
  int max_batch = 256;             // /recommend/batch 一次最多的请求数
  int request_timeout_ms = 10000;  // 单个请求（接收请求体 + 计算）的时间上限；超出返回 408 / 503
  int drain_timeout_s = 30;        // 停机时等待进行中请求的最长时间
  std::string admin_token;         // 管理路由的令牌；为空时管理路由关闭（403）
  std::string events_token;        // 非空时事件与用户路由（/events、/users/...）需要这个令牌
  int history_len = 50;            // 按用户 ID 推荐时从存储读的最近事件数（也是 GET /users/{id}/history 的条数）
  std::string event_types = kDefaultEventTypes;  // 接受的事件类型与权重（name[:weight],...；见 data/event_types.h）
  // 这些类型的存储事件里的物品不再推荐（逗号分隔；空 = 都可以再推荐；请求可改）。
  // auto：--event-types 里有 orders 时为 orders，否则为空。
  std::string consumed_types = "auto";
  // consumed_types 解析 auto 之后的名字列表。
  std::vector<std::string> resolved_consumed_types() const;
  std::string access_log;          // 访问日志：空 = 关闭，"-" = stderr，否则为文件路径（追加）
  bool console = true;             // GET /console 的网页控制台（--no-console 关闭）
  void validate() const;
  // 实际使用的线程数（解析 threads=0）。
  int resolved_threads() const;
};

// 一个完整的请求（传输层读完请求体之后）。
struct HttpRequest {
  std::string method;
  std::string url;            // 不含查询串
  std::string body;
  std::string authorization;  // Authorization 头（管理路由与事件路由用）
  std::string param;          // 路径里 {id} 的值（已 URL 解码；路由没有参数时为空）
  double start = 0;           // 收到请求头的时刻（now_seconds()）
};

// 处理结果。
struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string model_version;  // 非空时作为 X-Model-Version 头
  const char* allow = nullptr;  // 405 时的 Allow 头
};

// 错误响应体 {"error": msg, "field": field}；非法 UTF-8 的字节用替换字符输出，永远是合法 JSON。
std::string json_error_body(const std::string& msg, const std::string& field = "");
// 只有状态码与错误消息的响应。
HttpResponse error_response(int status, const std::string& msg);
// JSON 文本：非法 UTF-8（例如请求路径里的 %ff、物品 ID 里的二进制字节）用替换字符输出，而不是抛出异常。
std::string dump_json(const nlohmann::json& j);

// 一个正在运行（或即将运行）的服务。slot 的生命周期必须长于服务。
class HttpServer {
 public:
  // store 可为空（没有 --store 时事件与用户路由回答 503）；非空时由调用方持有，须比服务活得久。
  HttpServer(ModelSlot& slot, ServeOptions opt, HistoryStore* store = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // 绑定并监听端口；失败时抛出 Error。返回实际端口（port=0 时由系统分配）。
  int bind();
  // 启动事件循环并阻塞，直到 stop()；返回时进行中的请求已答完（或排空超时）、所有连接都已关闭。
  void serve();
  // 开始停机（可从其他线程或信号等待线程调用；在 serve() 开始之前或之后调用都有效）。
  void stop();

  // 路由需要的令牌。
  enum class Auth { kNone, kAdmin, kEvents };
  // 路由表的一行。GET 路由也接受 HEAD（只回答头）。同一路径可以有几行（不同方法）。
  struct RouteEntry {
    const char* path;    // 可含一段 {id}
    const char* method;  // "GET"、"POST" 或 "DELETE"
    Auth auth;
    HttpResponse (HttpServer::*handler)(const HttpRequest&);
  };
  // 全部路由。
  static const std::vector<RouteEntry>& routes();
  // 不同的路径（按表中首次出现的次序），即 /metrics 的 route 标签。
  static const std::vector<std::string>& route_paths();
  // url 对应的路径下标（route_paths() 中）；没有时返回 route_paths().size()（指标里记为 "other"）。
  // param 非空时写入 {id} 段的原文（未解码）。
  static size_t route_of(const std::string& url, std::string* param = nullptr);

  // 路由 + 错误映射。供传输层回调使用；也便于单元测试与模糊测试直接调用。
  HttpResponse handle(const HttpRequest& req);

  // 接上后台重新训练（serve 之前调用；hook 须比服务活得久）。之后新存入的事件报告给它，
  // POST /admin/retrain 触发它，/admin/status 与 /metrics 显示它的状态。
  void set_retrain_hook(RetrainHook* hook) { retrain_ = hook; }

  const ServeOptions& options() const { return opt_; }
  Metrics& metrics() { return metrics_; }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // 连接层面的计数（/metrics）：打开的连接、因总数或单 IP 上限被拒绝的连接。
  struct ConnectionStats {
    int64_t open = 0;
    uint64_t refused_total_limit = 0, refused_per_ip_limit = 0;
  };
  ConnectionStats connection_stats() const;
  // 写一行访问日志（未开启时什么也不做）。
  void access_log(const HttpRequest& req, const std::string& remote, int status, size_t bytes_out,
                  const std::string& version) const;

 private:
  class EventLoop;
  // 各路由的处理函数（方法与令牌已由 handle 检查过）。
  HttpResponse on_recommend(const HttpRequest& req);
  HttpResponse on_batch(const HttpRequest& req);
  HttpResponse on_live(const HttpRequest& req);
  HttpResponse on_ready(const HttpRequest& req);
  HttpResponse on_health(const HttpRequest& req);
  HttpResponse on_metrics(const HttpRequest& req);
  HttpResponse on_reload(const HttpRequest& req);
  HttpResponse on_status(const HttpRequest& req);
  HttpResponse on_retrain(const HttpRequest& req);
  HttpResponse on_events(const HttpRequest& req);
  HttpResponse on_user_history(const HttpRequest& req);
  HttpResponse on_user_erase(const HttpRequest& req);
  HttpResponse on_console(const HttpRequest& req);       // console.cpp
  HttpResponse on_console_file(const HttpRequest& req);  // console.cpp
  // 请求带着正确的管理令牌（'Authorization: Bearer <admin token>'）。
  bool admin_authorized(const HttpRequest& req) const;
  // 按用户 ID 推荐：存储里的最近历史放在请求的点击之前，消费过的物品（consumed_types）加进排除名单。
  void add_stored_history(RecommendRequest& r) const;
  // 请求没给的字段按服务端选项补上（目前是 --exclude-clicked）。
  void apply_server_defaults(RecommendRequest& r) const;
  // /health 与 /health/ready 共用：legacy 为真时就绪状态写 "ok"。
  HttpResponse readiness(bool legacy);
  // /admin/status 与 /admin/reload 回答里的加载状态。
  nlohmann::ordered_json load_status() const;
  std::string render_metrics() const;
  // 接受线程：接受连接、检查上限，交给连接线程（threads）或事件循环（epoll）。
  void accept_loop(std::vector<std::unique_ptr<EventLoop>>& loops);
  // threads 模型：一个连接的线程主体。
  void run_connection_thread(int fd, const std::string& ip);
  // 连接上限：能接受来自 ip 的连接时计数并返回 true。
  bool admit(const std::string& ip);
  // 连接关闭：减计数。
  void release(const std::string& ip);

  ModelSlot& slot_;
  HistoryStore* store_ = nullptr;
  RetrainHook* retrain_ = nullptr;  // 后台重新训练（可为空；见 set_retrain_hook）
  EventTypes types_;                     // opt_.event_types 解析后的类型（有存储时编号已由存储分配）
  std::vector<uint8_t> consumed_types_;  // opt_.consumed_types 解析后的类型编号
  // 存储登记的全部类型名（下标 = 编号；历史里出现没见过的编号时重读，别的副本可能登记了新类型）。
  mutable std::mutex type_names_mu_;
  mutable std::vector<std::string> type_names_;
  // 编号 → 名字（历史的回答用）。
  std::string type_name(uint8_t code) const;
  // 类型名列表（逗号分隔）→ 编号；不在 types_ 里的名字抛出 Error（what 说明来源，如 --consumed-types）。
  std::vector<uint8_t> type_codes(const std::vector<std::string>& names, const std::string& what) const;
  ServeOptions opt_;
  Metrics metrics_;
  int listen_fd_ = -1;  // bind() 创建；停机时关闭
  bool ipv6_ = false;   // 监听套接字是否是 IPv6（bind() 时确定）
  int log_fd_ = -1;     // 访问日志的文件描述符（-1 = 关闭）
  bool own_log_fd_ = false;
  double started_unix_ = 0;
  std::atomic<bool> draining_{false};
  // 事件计数（/metrics）：新存下的、因 event_id 重复而跳过的、整批被拒绝（400 / 503）的事件请求。
  std::atomic<uint64_t> events_stored_{0}, events_duplicates_{0}, events_rejected_{0};
  std::atomic<uint64_t> events_unknown_items_{0};  // 存下的事件中，物品不在正在服务的模型里的（下次重新训练后才能推荐）
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  int wake_fd_ = -1;                   // eventfd：开始排空时置为可读，唤醒所有在等待的线程
  std::atomic<bool> force_close_{false};  // 排空结束（或超时）：所有连接立即关闭
  mutable std::mutex conn_mu_;         // 保护下面的连接计数
  std::condition_variable conn_cv_;
  std::unordered_map<std::string, int> per_ip_;
  ConnectionStats conn_stats_;
};

}  // namespace seqrec
