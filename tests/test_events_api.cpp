// 事件与用户历史的 HTTP 接口（issue 46 的第一部分）：POST /events（单个与一批、幂等、整批拒绝）、
// GET /users/{id}/history、DELETE /users/{id}（擦除）、按用户 ID 推荐（存下的历史 + 请求的点击，
// 下单过的物品不再推荐）、事件令牌、没有存储时的 503。
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/files.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "store/sqlite_store.h"
#include "test_util.h"

namespace seqrec {
namespace {

// 一个小模型、一个存储、两个服务（一个开放，一个要事件令牌）。
class EventsApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto [rc, out] = test::train_tiny(*dir_, 100, 60, 4, 10, dir_->file("model"), "--epochs 2");
    ASSERT_EQ(rc, 0) << out;
    slot_ = new ModelSlot(dir_->file("model"),
                          [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); });
    ASSERT_TRUE(slot_->reload_now().ok);
    store_ = open_sqlite_store(dir_->file("store")).release();
    ServeOptions o;
    o.port = 0;
    o.max_batch = 4;
    open_ = new Running(*slot_, o, store_);
    o.events_token = "ev-secret";
    locked_ = new Running(*slot_, o, store_);
    o.events_token.clear();
    bare_ = new Running(*slot_, o, nullptr);
    const auto items = nlohmann::json::parse(read_file(dir_->file("model") + "/item_map.json"));
    for (auto it = items.begin(); it != items.end(); ++it) items_->push_back(it.key());
  }
  static void TearDownTestSuite() {
    delete bare_;
    delete locked_;
    delete open_;
    delete store_;
    delete slot_;
    delete dir_;
  }
  // 一个在后台线程里服务的 HttpServer。
  struct Running {
    HttpServer server;
    int port;
    std::thread t;
    Running(ModelSlot& slot, const ServeOptions& o, HistoryStore* store) : server(slot, o, store), port(server.bind()) {
      t = std::thread([this] { server.serve(); });
    }
    ~Running() {
      server.stop();
      t.join();
    }
  };
  // 发一个请求，返回（状态码，JSON）。
  static std::pair<int, nlohmann::json> call(int port, const std::string& method, const std::string& path,
                                             const std::string& body = "", const std::string& token = "") {
    httplib::Client cli("127.0.0.1", port);
    httplib::Headers h;
    if (!token.empty()) h.insert({"Authorization", "Bearer " + token});
    httplib::Result r = method == "GET"    ? cli.Get(path, h)
                        : method == "DELETE" ? cli.Delete(path, h)
                                             : cli.Post(path, h, body, "application/json");
    if (!r) return {-1, {}};
    return {r->status, nlohmann::json::parse(r->body, nullptr, false)};
  }

  static test::TempDir* dir_;
  static ModelSlot* slot_;
  static HistoryStore* store_;
  static Running *open_, *locked_, *bare_;
  static std::vector<std::string>* items_;
};
test::TempDir* EventsApi::dir_ = nullptr;
ModelSlot* EventsApi::slot_ = nullptr;
HistoryStore* EventsApi::store_ = nullptr;
EventsApi::Running* EventsApi::open_ = nullptr;
EventsApi::Running* EventsApi::locked_ = nullptr;
EventsApi::Running* EventsApi::bare_ = nullptr;
std::vector<std::string>* EventsApi::items_ = new std::vector<std::string>();

TEST_F(EventsApi, IngestIsValidatedAtomicAndIdempotent) {
  const int p = open_->port;
  auto [s1, j1] = call(p, "POST", "/events", R"({"user_id": "a1", "item_id": ")" + (*items_)[0] + R"(", "event_id": "e-1", "ts": 1000})");
  ASSERT_EQ(s1, 200) << j1.dump();
  EXPECT_EQ(j1["stored"], 1);
  auto [s2, j2] = call(p, "POST", "/events", R"({"user_id": "a1", "item_id": ")" + (*items_)[0] + R"(", "event_id": "e-1", "ts": 1000})");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(j2["stored"], 0);
  EXPECT_EQ(j2["duplicates"], 1);
  // 一批里有一个坏事件：400 指明是哪一个，整批都不存
  auto [s3, j3] = call(p, "POST", "/events",
                       R"({"events": [{"user_id": "a1", "item_id": "x"}, {"user_id": "a1", "item_id": "y", "type": "views"}]})");
  EXPECT_EQ(s3, 400);
  EXPECT_EQ(j3.value("field", ""), "events[1].type") << j3.dump();
  EXPECT_EQ(store_->recent("a1", 10).size(), 1u);
  // 拼错的字段、批太大、缺字段
  auto [s4, j4] = call(p, "POST", "/events", R"({"user": "a1", "item_id": "x"})");
  EXPECT_EQ(s4, 400);
  EXPECT_NE(j4["error"].get<std::string>().find("did you mean \"user_id\""), std::string::npos) << j4.dump();
  auto [s5, j5] = call(p, "POST", "/events", R"({"events": [{"user_id":1,"item_id":1},{"user_id":1,"item_id":1},{"user_id":1,"item_id":1},{"user_id":1,"item_id":1},{"user_id":1,"item_id":1}]})");
  EXPECT_EQ(s5, 400);
  EXPECT_NE(j5["error"].get<std::string>().find("--max-batch"), std::string::npos) << j5.dump();
  auto [s6, j6] = call(p, "POST", "/events", R"({"user_id": "a1", "ts": -5, "item_id": "x"})");
  EXPECT_EQ(s6, 400);
  EXPECT_EQ(j6.value("field", ""), "ts");
  EXPECT_EQ(store_->recent("a1", 10).size(), 1u);
  // /metrics 按结果计数
  httplib::Client cli("127.0.0.1", p);
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("seqrec_events_total{outcome=\"duplicate\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("seqrec_event_requests_rejected_total 4"), std::string::npos) << m->body;
}

// 模型不认识的用户，只要存下了点击，就按模型推荐；下单过的物品不再推荐；擦除之后回到最热门。
TEST_F(EventsApi, RecommendByUserIdUsesStoredHistoryAndErasureForgets) {
  const int p = open_->port;
  const std::string& a = (*items_)[1];
  const std::string& b = (*items_)[2];
  auto [s0, before] = call(p, "POST", "/recommend", R"({"user_id": "newcomer", "recent_clicks": []})");
  ASSERT_EQ(s0, 200);
  EXPECT_EQ(before["strategy"], "most_popular");
  auto [s1, j1] = call(p, "POST", "/events",
                       R"({"events": [{"user_id": "newcomer", "item_id": ")" + a + R"(", "ts": 1},
                                      {"user_id": "newcomer", "item_id": ")" + b + R"(", "ts": 2, "type": "orders"}]})");
  ASSERT_EQ(s1, 200) << j1.dump();
  auto [s2, hist] = call(p, "GET", "/users/newcomer/history");
  ASSERT_EQ(s2, 200);
  ASSERT_EQ(hist["events"].size(), 2u) << hist.dump();
  EXPECT_EQ(hist["events"][0]["item_id"], a);
  EXPECT_EQ(hist["events"][1]["type"], "orders");
  auto [s3, rec] = call(p, "POST", "/recommend",
                        R"({"user_id": "newcomer", "recent_clicks": [], "top_k": )" + std::to_string(items_->size()) + "}");
  ASSERT_EQ(s3, 200) << rec.dump();
  EXPECT_EQ(rec["strategy"], "model");
  for (const auto& id : rec["recommended_item_ids"]) EXPECT_NE(id, b) << "an ordered item came back";
  auto [s4, erased] = call(p, "DELETE", "/users/newcomer");
  ASSERT_EQ(s4, 200);
  EXPECT_EQ(erased["erased_events"], 2);
  auto [s5, after] = call(p, "POST", "/recommend", R"({"user_id": "newcomer", "recent_clicks": []})");
  EXPECT_EQ(after["strategy"], "most_popular");
  auto [s6, empty] = call(p, "GET", "/users/newcomer/history");
  EXPECT_TRUE(empty["events"].empty());
}

TEST_F(EventsApi, TokenAndMissingStore) {
  auto [s1, j1] = call(locked_->port, "POST", "/events", R"({"user_id": "t", "item_id": "x"})");
  EXPECT_EQ(s1, 401);
  auto [s2, j2] = call(locked_->port, "POST", "/events", R"({"user_id": "t", "item_id": "x"})", "ev-secret");
  EXPECT_EQ(s2, 200) << j2.dump();
  auto [s3, j3] = call(locked_->port, "DELETE", "/users/t");
  EXPECT_EQ(s3, 401);
  auto [s4, j4] = call(bare_->port, "POST", "/events", R"({"user_id": "t", "item_id": "x"})");
  EXPECT_EQ(s4, 503);
  EXPECT_NE(j4["error"].get<std::string>().find("--store"), std::string::npos);
  // 用户 ID 在路径里按 URL 解码
  call(open_->port, "POST", "/events", R"({"user_id": "a b", "item_id": "x"})");
  auto [s5, h] = call(open_->port, "GET", "/users/a%20b/history");
  EXPECT_EQ(s5, 200);
  EXPECT_EQ(h["user_id"], "a b");
  EXPECT_EQ(h["events"].size(), 1u);
}

// 可配置的事件类型：--event-types 列出的类型都接受（编号由存储登记，另一个同存储的服务看到同样的名字），
// 没给类型的事件是列表里的第一个，列表之外的 400 并列出可用的；--consumed-types 只能用列出的类型；
// 请求可以用 consumed_types 改变“不再推荐”的类型，写错的名字 400。
TEST_F(EventsApi, EventTypesAreConfigurableAndConsumedTypesPerRequest) {
  ServeOptions o;
  o.port = 0;
  o.event_types = "view:0.5,cart:3,order:6";
  o.consumed_types = "order";
  test::TempDir d;
  auto store = open_sqlite_store(d.file("store"));
  Running typed(*slot_, o, store.get());
  const int p = typed.port;
  const std::string& a = (*items_)[3];
  const std::string& b = (*items_)[4];
  auto [s1, j1] = call(p, "POST", "/events",
                       R"({"events": [{"user_id": "t1", "item_id": ")" + a + R"(", "ts": 1},
                                      {"user_id": "t1", "item_id": ")" + b + R"(", "ts": 2, "type": "cart"}]})");
  ASSERT_EQ(s1, 200) << j1.dump();
  auto [s2, h] = call(p, "GET", "/users/t1/history");
  ASSERT_EQ(h["events"].size(), 2u) << h.dump();
  EXPECT_EQ(h["events"][0]["type"], "view");  // 没给类型：列表里的第一个
  EXPECT_EQ(h["events"][1]["type"], "carts");
  EXPECT_EQ(store->type_code("view"), 3);      // 新类型在存储里登记了编号
  // 默认类型列表的服务读同一个存储：历史里的类型名来自存储（而不是它自己的列表）。
  {
    ServeOptions plain;
    plain.port = 0;
    Running other(*slot_, plain, store.get());
    auto [s2b, h2] = call(other.port, "GET", "/users/t1/history");
    EXPECT_EQ(h2["events"][0]["type"], "view") << h2.dump();
  }
  // 列表之外的类型（包括默认列表里的 clicks）：400，说出可用的类型
  auto [s3, j3] = call(p, "POST", "/events", R"({"user_id": "t1", "item_id": "x", "type": "click"})");
  EXPECT_EQ(s3, 400);
  EXPECT_EQ(j3.value("field", ""), "type");
  EXPECT_NE(j3["error"].get<std::string>().find("view, carts, orders"), std::string::npos) << j3.dump();
  // 默认（--consumed-types order）：加购过的 b 还会被推荐；请求说 carts 也算消费过时就不会了
  const std::string all = std::to_string(items_->size());
  auto [s4, r4] = call(p, "POST", "/recommend", R"({"user_id": "t1", "recent_clicks": [], "exclude_clicked": false, "top_k": )" + all + "}");
  ASSERT_EQ(s4, 200) << r4.dump();
  bool has_b = false;
  for (const auto& id : r4["recommended_item_ids"]) has_b = has_b || id == b;
  EXPECT_TRUE(has_b);
  auto [s5, r5] = call(p, "POST", "/recommend",
                       R"({"user_id": "t1", "recent_clicks": [], "exclude_clicked": false, "consumed_types": ["carts"], "top_k": )" + all + "}");
  ASSERT_EQ(s5, 200) << r5.dump();
  for (const auto& id : r5["recommended_item_ids"]) EXPECT_NE(id, b);
  auto [s6, j6] = call(p, "POST", "/recommend", R"({"user_id": "t1", "recent_clicks": [], "consumed_types": ["likes"]})");
  EXPECT_EQ(s6, 400);
  EXPECT_EQ(j6.value("field", ""), "consumed_types") << j6.dump();
  auto [s7, j7] = call(p, "POST", "/recommend/batch",
                       R"({"requests": [{"user_id": "t1", "recent_clicks": []}, {"user_id": "t1", "recent_clicks": [], "consumed_types": "carts"}]})");
  EXPECT_EQ(s7, 400);
  EXPECT_EQ(j7.value("field", ""), "requests[1].consumed_types") << j7.dump();
  // 配置错误在启动时说出来
  ServeOptions bad = o;
  bad.consumed_types = "clicks";
  EXPECT_THROW(HttpServer(*slot_, bad, store.get()), Error);
  bad = o;
  bad.event_types = "view:-1";
  EXPECT_THROW(HttpServer(*slot_, bad, store.get()), Error);
  // 默认的 --consumed-types（auto）在没有 orders 的列表上是空的，而不是启动错误。
  ServeOptions no_orders;
  no_orders.event_types = "watch,like";
  EXPECT_NO_THROW(HttpServer(*slot_, no_orders, store.get()));
  EXPECT_TRUE(no_orders.resolved_consumed_types().empty());
  EXPECT_EQ(ServeOptions().resolved_consumed_types(), std::vector<std::string>{"orders"});
}

// 存储满了：507，这个请求什么也没存，之前确认过的都还在。
TEST_F(EventsApi, FullStoreAnswers507AndKeepsWhatWasAcknowledged) {
  test::TempDir d;
  SqliteStoreOptions so;
  so.max_mb = 1;
  auto store = open_sqlite_store(d.file("store"), so);
  ServeOptions o;
  o.port = 0;
  o.max_batch = 100;
  Running srv(*slot_, o, store.get());
  int64_t acked = 0;
  int status = 200;
  for (int b = 0; b < 1000 && status == 200; ++b) {
    nlohmann::json evs = nlohmann::json::array();
    for (int i = 0; i < 100; ++i)
      evs.push_back({{"user_id", concat("u", i)}, {"item_id", concat(std::string(150, 'i'), b, "-", i)}, {"ts", b * 100 + i}});
    auto [st, j] = call(srv.port, "POST", "/events", nlohmann::json{{"events", evs}}.dump());
    status = st;
    if (st == 200) acked += j["stored"].get<int64_t>();
    else EXPECT_NE(j["error"].get<std::string>().find("full"), std::string::npos) << j.dump();
  }
  EXPECT_EQ(status, 507);
  EXPECT_GT(acked, 0);
  EXPECT_EQ(store->stats()["events"], acked);
}

}  // namespace
}  // namespace seqrec
