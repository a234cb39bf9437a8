// 服务运维：就绪探针、指标、管理令牌、热加载（成功切换 / 失败保留旧模型）、批量接口、过滤、
// 访问日志、请求体上传超时与停机排空。全部在回环端口上用真实的 HTTP 服务检查。
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/scratch_pool.h"
#include "data/synthetic.h"
#include "serve/coalescer.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "serve/recommender.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace seqrec {
namespace {

// 两个不同种子训练的小模型（版本不同），以及一个损坏的副本。
class ServingOps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (int i = 0; i < 2; ++i) {
      auto [rc, out] = test::train_tiny(*dir_, 120, 60, 4, 10, dir_->file("m" + std::to_string(i)),
                                        "--epochs 1 --seed " + std::to_string(7 + i));
      ASSERT_EQ(rc, 0) << out;
    }
    fs::copy(dir_->file("m0"), dir_->file("bad"));
    std::fstream f(dir_->file("bad") + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(300);
    f.put('\x11');
  }
  static void TearDownTestSuite() { delete dir_; }

  // 一个带槽、服务与线程的运行实例。
  struct Running {
    ModelSlot slot;
    HttpServer server;
    int port = 0;
    std::thread t;
    Running(const std::string& dir, ServeOptions o)
        : slot(dir, [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); }),
          server(slot, std::move(o)) {
      port = server.bind();
      t = std::thread([this] { server.serve(); });
    }
    ~Running() {
      server.stop();
      t.join();
    }
  };
  static ServeOptions opts() {
    ServeOptions o;
    o.port = 0;
    o.admin_token = "tok";
    o.max_batch = 4;
    return o;
  }
  static test::TempDir* dir_;
};
test::TempDir* ServingOps::dir_ = nullptr;

// 发送请求并解析 JSON（非 JSON 时为 discarded）。
std::pair<int, nlohmann::json> call(int port, const std::string& method, const std::string& path,
                                    const std::string& body = "", const std::string& token = "") {
  httplib::Client cli("127.0.0.1", port);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  httplib::Result r = method == "GET" ? cli.Get(path, h) : cli.Post(path, h, body, "application/json");
  if (!r) return {-1, {}};
  return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
}

// GET 一个返回文本的路由（/metrics），返回回答体。
std::string call_text(int port, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  httplib::Result r = cli.Get(path);
  return r ? r->body : std::string();
}

TEST_F(ServingOps, ReadinessBeforeAndAfterLoad) {
  Running r(dir_->file("m0"), opts());
  EXPECT_EQ(call(r.port, "GET", "/health/live").first, 200);
  auto [s, j] = call(r.port, "GET", "/health/ready");
  EXPECT_EQ(s, 503);
  EXPECT_EQ(j["status"], "no model");
  EXPECT_EQ(call(r.port, "POST", "/recommend", R"({"user_id":null,"recent_clicks":[]})").first, 503);
  ASSERT_TRUE(r.slot.reload_now().ok);
  auto [s2, j2] = call(r.port, "GET", "/health/ready");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(j2["model_version"], r.slot.current()->version);
  EXPECT_EQ(j2["index"], "exact");
}

TEST_F(ServingOps, AdminTokenAndReloadSwitchesOrKeepsTheModel) {
  Running r(dir_->file("m0"), opts());
  ASSERT_TRUE(r.slot.reload_now().ok);
  const std::string v0 = r.slot.current()->version;
  const std::string body = R"({"user_id":null,"recent_clicks":[]})";
  EXPECT_EQ(call(r.port, "POST", "/recommend", body).second["model_version"], v0);
  // 令牌：缺失或错误 → 401；未配置令牌的服务 → 403。
  EXPECT_EQ(call(r.port, "POST", "/admin/reload").first, 401);
  EXPECT_EQ(call(r.port, "POST", "/admin/reload", "", "wrong").first, 401);
  EXPECT_EQ(call(r.port, "GET", "/admin/status", "", "tok").first, 200);
  {
    ServeOptions o = opts();
    o.admin_token.clear();
    Running closed(dir_->file("m0"), o);
    EXPECT_EQ(call(closed.port, "POST", "/admin/reload", "", "tok").first, 403);
  }
  // 好的目录：切换，响应带新版本。
  auto [s1, j1] = call(r.port, "POST", "/admin/reload", nlohmann::json{{"model_dir", dir_->file("m1")}}.dump(), "tok");
  ASSERT_EQ(s1, 200) << j1.dump();
  const std::string v1 = j1["model_version"];
  EXPECT_NE(v1, v0);
  EXPECT_EQ(call(r.port, "POST", "/recommend", body).second["model_version"], v1);
  // 损坏的目录与不存在的目录：422 + 原因，旧模型继续服务。
  for (const std::string bad : {dir_->file("bad"), dir_->file("missing")}) {
    auto [s2, j2] = call(r.port, "POST", "/admin/reload", nlohmann::json{{"model_dir", bad}}.dump(), "tok");
    EXPECT_EQ(s2, 422) << j2.dump();
    EXPECT_NE(j2["error"].get<std::string>().find("still serving the previous model"), std::string::npos);
    EXPECT_EQ(call(r.port, "POST", "/recommend", body).second["model_version"], v1);
  }
  // 不等待的热加载：202，之后状态里能看到结果。
  auto [s3, j3] = call(r.port, "POST", "/admin/reload", R"({"wait": false})", "tok");
  EXPECT_EQ(s3, 202);
  r.slot.wait();
  auto [s4, j4] = call(r.port, "GET", "/admin/status", "", "tok");
  EXPECT_EQ(j4["model_version"], v0);  // 默认目录是 m0
  EXPECT_EQ(j4["reloads_failed"], 2);
  EXPECT_EQ(call(r.port, "POST", "/admin/reload", R"({"model_dir": 3})", "tok").first, 400);
  // 指标：重载计数、模型信息。
  httplib::Client cli("127.0.0.1", r.port);
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m->body.find("seqrec_model_reloads_total{result=\"failure\"} 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("seqrec_model_info{version=\"" + v0 + "\""), std::string::npos);
  EXPECT_NE(m->body.find("seqrec_http_requests_total{route=\"/admin/reload\",code=\"422\"} 2"), std::string::npos);
  EXPECT_NE(m->body.find("seqrec_http_request_duration_seconds_bucket{route=\"/recommend\",le=\"+Inf\"}"), std::string::npos);
}

TEST_F(ServingOps, ReloadUnderConcurrentRequestsLosesNothing) {
  Running r(dir_->file("m0"), opts());
  ASSERT_TRUE(r.slot.reload_now().ok);
  const std::string va = r.slot.current()->version;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, answered{0};
  std::set<std::string> versions_seen;
  std::mutex mu;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      httplib::Client cli("127.0.0.1", r.port);
      while (!done) {
        auto res = cli.Post("/recommend", R"({"user_id":null,"recent_clicks":["1","2"]})", "application/json");
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        ++answered;
        std::lock_guard<std::mutex> l(mu);
        versions_seen.insert(nlohmann::json::parse(res->body)["model_version"]);
      }
    });
  std::string vb;
  for (int i = 0; i < 10; ++i) {
    const std::string dir = dir_->file(i % 3 == 2 ? "bad" : (i % 2 ? "m1" : "m0"));
    auto [s, j] = call(r.port, "POST", "/admin/reload", nlohmann::json{{"model_dir", dir}}.dump(), "tok");
    EXPECT_EQ(s, dir == dir_->file("bad") ? 422 : 200) << j.dump();
    if (dir == dir_->file("m1")) vb = j["model_version"];
  }
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(answered.load(), 0);
  for (const auto& v : versions_seen) EXPECT_TRUE(v == va || v == vb) << v;  // 只出现好的版本
}

TEST_F(ServingOps, BatchEqualsSinglesAndFiltersHold) {
  Running r(dir_->file("m0"), opts());
  ASSERT_TRUE(r.slot.reload_now().ok);
  const auto b = r.slot.current();
  const std::string i1 = b->items.id(1), i2 = b->items.id(2), i3 = b->items.id(3);
  nlohmann::json reqs = nlohmann::json::array();
  reqs.push_back({{"user_id", b->users.id(0)}, {"recent_clicks", {i1, i2}}, {"top_k", 5}});
  reqs.push_back({{"user_id", nullptr}, {"recent_clicks", {i3}}, {"top_k", 3}, {"exclude_clicked", true}, {"deny_items", {i1}}});
  reqs.push_back({{"user_id", b->users.id(1)}, {"recent_clicks", {i2}}, {"allow_items", {i1, i2, i3, "nope"}}, {"top_k", 10}});
  reqs.push_back({{"user_id", "unknown-user"}, {"recent_clicks", nlohmann::json::array()}, {"top_k", 2}});
  auto [s, j] = call(r.port, "POST", "/recommend/batch", nlohmann::json{{"requests", reqs}}.dump());
  ASSERT_EQ(s, 200) << j.dump();
  ASSERT_EQ(j["results"].size(), 4u);
  EXPECT_EQ(j["model_version"], b->version);
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto [s1, j1] = call(r.port, "POST", "/recommend", reqs[i].dump());
    ASSERT_EQ(s1, 200);
    EXPECT_EQ(j["results"][i]["recommended_item_ids"], j1["recommended_item_ids"]) << i;
    EXPECT_EQ(j["results"][i]["strategy"], j1["strategy"]);
  }
  // 过滤：黑名单与已点击不出现；白名单只返回其中已知的物品（3 个，少于 top_k）。
  for (const auto& id : j["results"][1]["recommended_item_ids"]) {
    EXPECT_NE(id, i1);
    EXPECT_NE(id, i3);
  }
  EXPECT_EQ(j["results"][1]["recommended_item_ids"].size(), 3u);
  EXPECT_EQ(j["results"][2]["recommended_item_ids"].size(), 3u);
  EXPECT_EQ(j["results"][3]["strategy"], "most_popular");
  // 批量的限制与错误定位。
  nlohmann::json five = nlohmann::json::array();
  for (int i = 0; i < 5; ++i) five.push_back(reqs[0]);
  auto [s2, j2] = call(r.port, "POST", "/recommend/batch", nlohmann::json{{"requests", five}}.dump());
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(j2["field"], "requests");
  reqs[2]["top_k"] = "ten";
  auto [s3, j3] = call(r.port, "POST", "/recommend/batch", nlohmann::json{{"requests", reqs}}.dump());
  EXPECT_EQ(s3, 400);
  EXPECT_EQ(j3["field"], "requests[2].top_k");
  EXPECT_EQ(call(r.port, "POST", "/recommend/batch", R"({"requests": []})").first, 400);
  EXPECT_EQ(call(r.port, "POST", "/recommend", R"({"user_id":null,"recent_clicks":[],"allow_items":"x"})").second["field"],
            "allow_items");
  EXPECT_EQ(call(r.port, "POST", "/recommend", R"({"user_id":null,"recent_clicks":[],"deny_items":[1.5]})").second["field"],
            "deny_items[0]");
}

TEST_F(ServingOps, SlowBodyIsCutOffAndAccessLogIsJson) {
  ServeOptions o = opts();
  o.request_timeout_ms = 300;
  o.access_log = dir_->file("access.log");
  Running r(dir_->file("m0"), o);
  ASSERT_TRUE(r.slot.reload_now().ok);
  const std::string body = R"({"user_id":null,"recent_clicks":[]})";
  const int fd = test::raw_open(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                                      "\r\n\r\n" + body.substr(0, 5));
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::send(fd, body.data() + 5, 5, MSG_NOSIGNAL);
  const double t0 = now_seconds();
  const std::string got = test::raw_read_all(fd);
  EXPECT_EQ(got.find("HTTP/1.1 200"), std::string::npos) << got;  // 连接被断开，没有回答
  EXPECT_LT(now_seconds() - t0, 3.0);                             // 不必等到空闲超时
  EXPECT_EQ(call(r.port, "POST", "/recommend", body).first, 200);  // 服务照常
  // 访问日志：每行一个 JSON 对象，含状态码与路径。
  std::ifstream in(dir_->file("access.log"));
  std::string line;
  int n = 0, n408 = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    ++n;
    n408 += j["status"] == 408;
    EXPECT_TRUE(j.contains("ts") && j.contains("ms") && j.contains("path"));
  }
  EXPECT_GE(n, 2);
  EXPECT_EQ(n408, 1);
}

TEST_F(ServingOps, StopDrainsInFlightRequests) {
  auto r = std::make_unique<Running>(dir_->file("m0"), opts());
  ASSERT_TRUE(r->slot.reload_now().ok);
  // 一个请求正在上传请求体时开始停机：它仍然得到完整的 200 回答，之后新连接被拒绝。
  const std::string body = R"({"user_id":null,"recent_clicks":[],"top_k":2})";
  const int fd = test::raw_open(r->port, "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                                       "\r\n\r\n" + body.substr(0, 8));
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int port = r->port;
  std::thread stopper([&] { r->server.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(r->server.draining());
  ::send(fd, body.data() + 8, body.size() - 8, MSG_NOSIGNAL);
  const std::string got = test::raw_read_all(fd);
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("recommended_item_ids"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  stopper.join();
  r.reset();
  EXPECT_EQ(call(port, "GET", "/health/live").first, -1);
}

// 路由表是唯一的来源：每一条路由都在 404 的清单里、有自己的 /metrics 标签、用错方法时 405 的 Allow
// 就是表里的方法；GET 路由接受 HEAD；未知路径记在 "other"。
TEST_F(ServingOps, RouteTableDrivesRoutingMetricsAnd404) {
  Running r(dir_->file("m0"), opts());
  ASSERT_TRUE(r.slot.reload_now().ok);
  HttpServer& s = r.server;
  auto req = [&](const std::string& method, const std::string& url) {
    HttpRequest q;
    q.method = method;
    q.url = url;
    q.authorization = "Bearer tok";
    q.start = now_seconds();
    return s.handle(q);
  };
  const HttpResponse nf = req("GET", "/nope");
  EXPECT_EQ(nf.status, 404);
  for (const auto& e : HttpServer::routes()) {
    EXPECT_NE(nf.body.find(std::string(e.method) + " " + e.path), std::string::npos) << e.path << ": " << nf.body;
    // 路径模式里的 {id} 换成一个具体的值
    std::string url = e.path;
    if (const size_t b = url.find("{id}"); b != std::string::npos) url.replace(b, 4, "u%2F1");
    EXPECT_EQ(HttpServer::route_paths()[HttpServer::route_of(url)], e.path) << url;
    const HttpResponse w = req("PUT", url);  // 没有路由接受 PUT
    EXPECT_EQ(w.status, 405) << e.path;
    ASSERT_NE(w.allow, nullptr);
    EXPECT_NE(std::string(w.allow).find(e.method), std::string::npos) << w.allow;
    if (std::string(e.method) == "GET") EXPECT_NE(req("HEAD", url).status, 405) << e.path;
  }
  EXPECT_EQ(HttpServer::route_of("/users//history"), HttpServer::route_paths().size());  // 空的 {id} 不匹配
  EXPECT_EQ(HttpServer::route_of("/nope"), HttpServer::route_paths().size());
  // 经过真实连接的请求按路由计数；每个路由标签都来自表。
  for (const auto& e : HttpServer::routes())
    if (std::string(e.method) == "GET" && e.auth == HttpServer::Auth::kNone) call(r.port, "GET", e.path);
  call(r.port, "GET", "/nope");
  const std::string m = call_text(r.port, "/metrics");
  for (const auto& e : HttpServer::routes())
    if (std::string(e.method) == "GET" && e.auth == HttpServer::Auth::kNone)
      EXPECT_NE(m.find(std::string("seqrec_http_requests_total{route=\"") + e.path + "\""), std::string::npos) << e.path;
  EXPECT_NE(m.find("seqrec_http_requests_total{route=\"other\",code=\"404\"}"), std::string::npos) << m;
}

// 一个慢的假检索后端：结果由查询决定（item = 查询第一维），记录每批的大小。
class SlowRetriever : public Retriever {
 public:
  std::string kind() const override { return "fake"; }
  int64_t size() const override { return 1000; }
  int dim() const override { return 2; }
  size_t memory_bytes() const override { return 0; }
  std::vector<Hit> retrieve(const float* q, int k, const SearchFilter&) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    singles++;
    return answer(q, k);
  }
  std::vector<std::vector<Hit>> retrieve_batch(const float* q, int n, int k, const std::vector<SearchFilter>&) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    max_batch = std::max(max_batch.load(), n);
    std::vector<std::vector<Hit>> out;
    for (int i = 0; i < n; ++i) out.push_back(answer(q + 2 * i, k));
    return out;
  }
  static std::vector<Hit> answer(const float* q, int k) {
    std::vector<Hit> h;
    for (int i = 0; i < k; ++i) h.push_back({static_cast<int32_t>(q[0]) + i, q[1] - float(i)});
    return h;
  }
  mutable std::atomic<int> singles{0}, max_batch{0};
};

TEST(Coalescer, ConcurrentRequestsShareBatchesAndGetTheirOwnAnswers) {
  SlowRetriever r;
  Coalescer c(r, 4);
  std::vector<std::thread> ts;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 12; ++t)
    ts.emplace_back([&, t] {
      const float q[2] = {float(10 * t), float(t)};
      const int k = 1 + t % 3;  // 每个请求自己的 k
      const auto got = c.retrieve(q, k, {});
      if (got.size() != static_cast<size_t>(k) || got[0].item != 10 * t || got[0].score != float(t)) ++wrong;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(c.queries(), 12u);
  EXPECT_LT(c.batches(), 12u);          // 至少有一批合并了多个请求
  EXPECT_LE(r.max_batch.load(), 4);     // 不超过上限
  EXPECT_GE(r.max_batch.load(), 2);
}

}  // namespace
}  // namespace seqrec

namespace seqrec {
namespace {

// 缓冲池：归还的缓冲被下一次借用复用；同时借出的缓冲互不相同；空闲份数不超过上限（多出的用完即释放）；
// 拷贝得到空池（模型按值返回时不共享缓冲）。
TEST(ScratchPool, ReusesBoundsAndSeparatesLeases) {
  ScratchPool pool(2);
  std::vector<float>* first = nullptr;
  {
    auto a = pool.acquire<std::vector<float>>();
    a->assign(1000, 1.0f);
    first = &*a;
  }
  EXPECT_EQ(pool.idle(), 1u);
  {
    auto b = pool.acquire<std::vector<float>>();
    EXPECT_EQ(&*b, first);  // 复用
    EXPECT_EQ(b->size(), 1000u);
    auto c = pool.acquire<std::vector<float>>();
    EXPECT_NE(&*c, &*b);  // 同时借出的不共享
    auto d = pool.acquire<std::vector<float>>();
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 2u);  // 三份归还，只留两份
  ScratchPool copy(pool);
  EXPECT_EQ(copy.idle(), 0u);
  // 多个线程同时借用：每个线程写自己的缓冲，读回的总是自己写的值。
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto s = pool.acquire<std::vector<float>>();
        s->assign(64, static_cast<float>(t));
        std::this_thread::yield();
        for (float x : *s) bad += x != static_cast<float>(t);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(pool.idle(), 2u);
}

}  // namespace
}  // namespace seqrec
