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
