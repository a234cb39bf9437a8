// 持续训练（issue 46）：热启动的行映射、seqrec retrain（从存储重建数据、热启动、质量门的通过与拒绝、
// lineage、新物品、擦除名单对 --data 生效）、服务里的后台重新训练（触发、热加载、拒绝时不换模型、
// current.json 与重启后的沿用、/admin/retrain、/admin/status 与 /metrics）。
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "data/csv_reader.h"
#include "live/retrain.h"
#include "live/retrainer.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "store/sqlite_store.h"
#include "test_util.h"
#include "train/warm_start.h"

namespace seqrec {
namespace {

// 一个 [rows, 2] 的张量，第 r 行为 (r + base, r + base)。
Tensor rows_tensor(int64_t rows, float base) {
  Tensor t;
  t.shape = {rows, 2};
  for (int64_t r = 0; r < rows; ++r) t.data.insert(t.data.end(), {static_cast<float>(r) + base, static_cast<float>(r) + base});
  return t;
}

TEST(WarmStart, CopiesRowsByIdKeepsFreshRowsForNewIdsAndCarriesSpecialRows) {
  IdMap old_items, new_items, old_users, new_users;
  for (const char* s : {"a", "b", "c"}) old_items.add(s);
  for (const char* s : {"c", "x", "a"}) new_items.add(s);  // b 不在了，x 是新物品
  for (const char* s : {"u1", "u2"}) old_users.add(s);
  for (const char* s : {"u2", "u3"}) new_users.add(s);
  TensorMap old = {{"item_emb", rows_tensor(4, 0)}, {"user_emb", rows_tensor(3, 10)}, {"w", rows_tensor(2, 20)}};
  TensorMap fresh = {{"item_emb", rows_tensor(4, 100)}, {"user_emb", rows_tensor(3, 200)}, {"w", rows_tensor(2, 300)}};
  WarmStartStats st;
  const TensorMap w = warm_start_tensors(fresh, old, old_users, old_items, new_users, new_items, &st);
  const auto& it = w.at("item_emb").data;
  EXPECT_EQ(it[0], 2);    // c ← 旧第 2 行
  EXPECT_EQ(it[2], 101);  // x：新物品，保留新的初始值
  EXPECT_EQ(it[4], 0);    // a ← 旧第 0 行
  EXPECT_EQ(it[6], 3);    // 物品之后的特殊行（填充；bert4rec 的 [MASK]）沿用旧的
  const auto& us = w.at("user_emb").data;  // long_short 式：第 0 行是未知用户
  EXPECT_EQ(us[0], 10);   // 未知用户行沿用
  EXPECT_EQ(us[2], 12);   // u2 ← 旧第 1 + 1 行
  EXPECT_EQ(us[4], 202);  // u3：新用户
  EXPECT_EQ(w.at("w").data, old.at("w").data);
  EXPECT_EQ(st.items_kept, 2);
  EXPECT_EQ(st.items_new, 1);
  EXPECT_EQ(st.users_kept, 1);
  EXPECT_EQ(st.users_new, 1);
  // 结构不同（形状不符）时说明是哪个张量。
  TensorMap bad = fresh;
  bad["w"] = rows_tensor(3, 0);
  try {
    warm_start_tensors(bad, old, old_users, old_items, new_users, new_items, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'w'"), std::string::npos) << e.what();
  }
}

// 共用的数据与模型：合成交互（时间排序），parent 学前 70%，strong 学全部（学过留出期，门偏向它）；
// 存储里是全部交互，外加只在存储里出现的新物品 "brand-new"。
class Retrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::write_synthetic_csv(dir_->file("all.csv"), 120, 50, 4, 14);
    const Interactions all = read_interactions(dir_->file("all.csv"), {});
    std::vector<size_t> order(all.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return all.time[a] < all.time[b]; });
    {
      std::ofstream first(dir_->file("first.csv"));
      first << "user_id,item_id,timestamp\n";
      for (size_t k = 0; k < order.size() * 7 / 10; ++k) {
        const size_t i = order[k];
        first << all.users.id(all.user[i]) << "," << all.items.id(all.item[i]) << "," << static_cast<int64_t>(all.time[i]) << "\n";
      }
    }
    const std::string arch = " --model sasrec --dim 16 --ffn-dim 16 --layers 1 --max-len 8 --quiet";
    auto [rc, out] = test::run_cli("train --data " + dir_->file("first.csv") + " --out " + dir_->file("parent") + arch + " --epochs 5");
    ASSERT_EQ(rc, 0) << out;
    std::tie(rc, out) = test::run_cli("train --data " + dir_->file("all.csv") + " --out " + dir_->file("strong") + arch + " --epochs 20");
    ASSERT_EQ(rc, 0) << out;
    store_ = open_sqlite_store(dir_->file("store")).release();
    std::vector<StoredEvent> evs;
    int64_t last_ts = 0;
    for (size_t i : order) {
      evs.push_back({all.users.id(all.user[i]), all.items.id(all.item[i]), 0, static_cast<int64_t>(all.time[i]) * 1000, ""});
      last_ts = evs.back().ts_ms;
    }
    for (int u = 0; u < 12; ++u) evs.push_back({all.users.id(u), "brand-new", 0, last_ts + 1000 + u, ""});
    store_->append(evs);
  }
  static void TearDownTestSuite() {
    delete store_;
    delete dir_;
  }
  static RetrainOptions options(const std::string& current, const std::string& out) {
    RetrainOptions o;
    o.current = current;
    o.out = out;
    o.epochs = 3;
    o.progress = false;
    return o;
  }
  static test::TempDir* dir_;
  static HistoryStore* store_;
};
test::TempDir* Retrain::dir_ = nullptr;
HistoryStore* Retrain::store_ = nullptr;

TEST_F(Retrain, WarmStartsLearnsNewItemsPassesTheGateAndRecordsLineage) {
  RetrainOptions o = options(dir_->file("parent"), dir_->file("cand"));
  o.max_regression = 0.5;  // 这里只看流程；质量门的判定由下一个用例检查
  const RetrainResult r = retrain(*store_, "store", o, nullptr);
  EXPECT_TRUE(r.promoted) << r.reason;
  const auto m = nlohmann::json::parse(read_file(dir_->file("cand") + "/manifest.json"));
  const auto& lin = m.at("lineage");
  const auto parent = nlohmann::json::parse(read_file(dir_->file("parent") + "/manifest.json"));
  EXPECT_EQ(lin["parent"]["model_type"], "sasrec");
  EXPECT_EQ(lin["parent"]["version"], ModelBundle::load(dir_->file("parent"))->version);
  EXPECT_TRUE(lin["warm_start"]["used"].get<bool>());
  EXPECT_EQ(lin["warm_start"]["rows"]["items_kept"], parent["model"]["num_items"]);
  EXPECT_GE(lin["warm_start"]["rows"]["items_new"].get<int>(), 1);
  EXPECT_EQ(lin["gate"]["decision"], "promoted");
  EXPECT_GT(lin["gate"]["cases"].get<int>(), 0);
  EXPECT_DOUBLE_EQ(lin["gate"]["candidate"].get<double>(), r.candidate);
  EXPECT_GT(lin["events"]["events"].get<int64_t>(), 0);
  EXPECT_LT(lin["events"]["first_ts_ms"].get<int64_t>(), lin["events"]["last_ts_ms"].get<int64_t>());
  // 只在存储里出现过的新物品，重新训练之后可以推荐了。
  const auto items = nlohmann::json::parse(read_file(dir_->file("cand") + "/item_map.json"));
  EXPECT_TRUE(items.contains("brand-new"));
  const auto old_items = nlohmann::json::parse(read_file(dir_->file("parent") + "/item_map.json"));
  EXPECT_FALSE(old_items.contains("brand-new"));
}

// 父模型的衰减段按 retrain --epochs 等比缩放：8 轮里最后 4 轮衰减的模型用 2 轮重训，衰减占最后 1 轮。
TEST_F(Retrain, TheDecayOfTheParentScalesWithEpochs) {
  auto [rc, out] = test::run_cli("train --data " + dir_->file("first.csv") + " --out " + dir_->file("wsd") +
                                 " --model sasrec --dim 16 --ffn-dim 16 --layers 1 --max-len 8 --quiet"
                                 " --lr-schedule linear --decay-epochs 4 --epochs 8");
  ASSERT_EQ(rc, 0) << out;
  RetrainOptions o = options(dir_->file("wsd"), dir_->file("wsd2"));
  o.epochs = 2;
  o.max_regression = 0.5;  // 这里只看训练选项（候选被拒也写出清单）
  retrain(*store_, "store", o, nullptr);
  const auto m = nlohmann::json::parse(read_file(dir_->file("wsd2") + "/manifest.json"));
  EXPECT_EQ(m["training"]["epochs"], 2);
  EXPECT_DOUBLE_EQ(m["training"]["decay_epochs"].get<double>(), 1.0);
}

TEST_F(Retrain, TheGateRefusesAWorseCandidateAndSaysWhy) {
  RetrainOptions o = options(dir_->file("strong"), dir_->file("worse"));
  o.warm_start = false;
  o.epochs = 1;
  o.max_regression = 0;
  const RetrainResult r = retrain(*store_, "store", o, nullptr);
  EXPECT_FALSE(r.promoted) << r.reason;
  EXPECT_LT(r.candidate, r.current);
  const auto lin = nlohmann::json::parse(read_file(dir_->file("worse") + "/manifest.json")).at("lineage");
  EXPECT_EQ(lin["gate"]["decision"], "rejected");
  EXPECT_NE(lin["gate"]["reason"].get<std::string>().find(" < "), std::string::npos);
  EXPECT_EQ(lin["warm_start"]["used"], false);
  EXPECT_EQ(lin["warm_start"]["reason"], "--no-warm-start");
}

// 事件类型的权重：列出的权重进 manifest 与 lineage；权重为 0 的类型只作为历史（留出用例里没有它的目标），
// 列表之外的类型也是；下一次不给 --event-types 的重新训练沿用模型记下的权重。
TEST_F(Retrain, EventTypeWeightsShapeTargetsAndAreRecorded) {
  test::TempDir d;
  auto store = open_sqlite_store(d.file("store"));
  const int view = store->type_code("view");
  std::vector<StoredEvent> evs;
  int64_t k = 0;
  store_->scan([&](const StoredEvent& e) {
    evs.push_back(e);
    if (++k % 3 == 0) evs.back().type = static_cast<uint8_t>(view);
    else if (k % 3 == 1) evs.back().type = 2;  // orders
    return true;
  });
  store->append(evs);
  RetrainOptions o = options(dir_->file("parent"), d.file("uniform"));
  o.max_regression = 0.9;
  o.event_types = "clicks,orders,view";
  const RetrainResult all = retrain(*store, "store", o, nullptr);
  o.out = d.file("weighted");
  o.event_types = "orders:5,view:0";
  const RetrainResult w = retrain(*store, "store", o, nullptr);
  const auto m = nlohmann::json::parse(read_file(d.file("weighted") + "/manifest.json"));
  EXPECT_EQ(m["data"]["options"]["event_types"], "orders:5,view:0");
  const auto& types = m["lineage"]["events"]["types"];
  EXPECT_EQ(types["view"]["weight"], 0.0);
  EXPECT_EQ(types["orders"]["weight"], 5.0);
  EXPECT_EQ(types["clicks"]["weight"], 0.0);  // 列表之外：只作为历史
  EXPECT_EQ(types["view"]["events"].get<int64_t>() + types["orders"]["events"].get<int64_t>() +
                types["clicks"]["events"].get<int64_t>(),
            static_cast<int64_t>(evs.size()));
  // 只有 orders 的事件是目标：留出用例大约是全部的三分之一
  const int64_t cases_all = all.lineage["gate"]["cases"], cases_w = w.lineage["gate"]["cases"];
  EXPECT_LT(cases_w, cases_all * 2 / 3) << cases_w << " vs " << cases_all;
  EXPECT_GT(cases_w, 0);
  EXPECT_NE(w.lineage["gate"]["protocol"].get<std::string>().find("weighted"), std::string::npos);
  // 不给 --event-types：沿用当前模型记下的
  RetrainOptions again = options(d.file("weighted"), d.file("again"));
  again.max_regression = 0.9;
  retrain(*store, "store", again, nullptr);
  const auto m2 = nlohmann::json::parse(read_file(d.file("again") + "/manifest.json"));
  EXPECT_EQ(m2["data"]["options"]["event_types"], m["data"]["options"]["event_types"]);
  // 坏的列表在读存储之前就拒绝
  o.event_types = "view:0";
  o.out = d.file("never");
  EXPECT_THROW(retrain(*store, "store", o, nullptr), Error);
  EXPECT_FALSE(std::filesystem::exists(d.file("never")));
}

TEST_F(Retrain, ErasedUsersAreLeftOutOfTheDataFileToo) {
  test::TempDir d;
  auto store = open_sqlite_store(d.file("store"));
  std::vector<StoredEvent> evs;
  store_->scan([&](const StoredEvent& e) {
    evs.push_back(e);
    return true;
  });
  store->append(evs);
  const std::string gone = evs.front().user_id;
  EXPECT_GT(store->erase_user(gone), 0);
  EXPECT_EQ(store->erased_users(), std::vector<std::string>{gone});
  RetrainOptions o = options(dir_->file("parent"), d.file("cand"));
  o.max_regression = 0.9;
  o.data = dir_->file("all.csv");  // 原始文件里还有这个用户
  const RetrainResult r = retrain(*store, d.file("store"), o, nullptr);
  EXPECT_EQ(r.lineage["events"]["erased_users"], 1);
  EXPECT_GT(r.lineage["events"]["erased_rows_left_out"].get<int64_t>(), 0);
  const auto users = nlohmann::json::parse(read_file(d.file("cand") + "/user_map.json"));
  EXPECT_FALSE(users.contains(gone));
}

TEST_F(Retrain, RefusesBadOptionsAndModelsItCannotRetrain) {
  auto expect_error = [&](RetrainOptions o, const std::string& part) {
    try {
      retrain(*store_, "store", o, nullptr);
      FAIL() << "expected an error containing " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  RetrainOptions o = options(dir_->file("parent"), dir_->file("x"));
  o.gate_metric = "MAP@3";
  expect_error(o, "--gate-metric");
  o = options(dir_->file("parent"), dir_->file("parent"));
  expect_error(o, "current model's directory");
  o = options(dir_->file("parent"), dir_->file("x"));
  o.min_events = 1000000;
  expect_error(o, "--min-events");
  o = options(dir_->file("nowhere"), dir_->file("x"));
  expect_error(o, "nowhere");
  EXPECT_FALSE(std::filesystem::exists(dir_->file("x")));  // 出错时什么也不写
}

// 命令行：退出码说出质量门的结论（0 通过，3 拒绝，1 出错）；seqrec-serve 没有训练，拒绝 --retrain-* 并指路。
TEST_F(Retrain, CommandLineExitStatusSaysWhatTheGateDecided) {
  test::TempDir d;
  const std::string common = " --store " + dir_->file("store") + " --epochs 1 --quiet";
  auto [rc, out] = test::run_cli("retrain --model " + dir_->file("parent") + " --out " + d.file("ok") + common +
                                 " --max-regression 0.9", true);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["gate"]["decision"], "promoted");
  std::tie(rc, out) = test::run_cli("retrain --model " + dir_->file("strong") + " --out " + d.file("no") + common +
                                    " --no-warm-start --max-regression 0", true);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["gate"]["decision"], "rejected");
  EXPECT_TRUE(std::filesystem::exists(d.file("no") + "/manifest.json"));  // 拒绝的候选也写出，便于查看
  std::tie(rc, out) = test::run_cli("retrain --model " + dir_->file("parent") + " --out " + d.file("x") +
                                    " --store " + d.file("empty") + " --quiet");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("no event store there"), std::string::npos) << out;
  const std::string serve_only = (std::filesystem::path(SEQREC_BINARY).parent_path() / "seqrec-serve").string();
  const std::string cmd = serve_only + " serve --model " + dir_->file("parent") + " --store " + d.file("s") +
                          " --retrain-every 1h --port 0 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string text;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  EXPECT_NE(::pclose(p), 0);
  EXPECT_NE(text.find("seqrec-serve cannot train"), std::string::npos) << text;
}

// 后台重新训练：服务中的模型在触发后被替换（通过质量门时），拒绝时不变；状态、指标与重启后的沿用。
TEST_F(Retrain, BackgroundRetrainHotReloadsPromotedModelsAndKeepsTheCurrentOneOtherwise) {
  test::TempDir d;
  auto loader = [](const std::string& dir) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(dir)); };
  ModelSlot slot(dir_->file("parent"), loader);
  ASSERT_TRUE(slot.reload_now().ok);
  const std::string v0 = slot.current()->version;
  RetrainSchedule sched;
  sched.dir = d.file("models");
  sched.base_model = dir_->file("parent");
  sched.retrain = options("", "");
  sched.retrain.max_regression = 0.5;
  ServeOptions so;
  so.port = 0;
  so.admin_token = "adm";
  HttpServer server(slot, so, store_);
  const int port = server.bind();
  std::thread t([&] { server.serve(); });
  httplib::Client cli("127.0.0.1", port);
  const httplib::Headers auth = {{"Authorization", "Bearer adm"}};
  // 没有接上后台重新训练时：503，说明怎样打开。
  auto res = cli.Post("/admin/retrain", auth, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  {
    BackgroundRetrainer rt(*store_, "store", slot, sched);
    server.set_retrain_hook(&rt);
    res = cli.Post("/admin/retrain", auth, R"({"wait": true})", "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const auto j = nlohmann::json::parse(res->body);
    EXPECT_EQ(j["result"], "promoted") << res->body;
    EXPECT_EQ(slot.current()->dir, j["candidate_dir"].get<std::string>());
    EXPECT_NE(slot.current()->version, v0);
    EXPECT_EQ(slot.default_dir(), j["candidate_dir"].get<std::string>());  // SIGHUP 重新加载的是它
    EXPECT_EQ(BackgroundRetrainer::resume_dir(sched.dir, sched.base_model),
              std::filesystem::weakly_canonical(j["candidate_dir"].get<std::string>()).string());
    res = cli.Get("/admin/status", auth);
    ASSERT_TRUE(res);
    const auto st = nlohmann::json::parse(res->body);
    EXPECT_EQ(st["retrain"]["runs"]["promoted"], 1);
    EXPECT_EQ(st["retrain"]["last"]["gate"]["decision"], "promoted");
    res = cli.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("seqrec_retrains_total{result=\"promoted\"} 1"), std::string::npos);
    // 新事件计数：存入事件后 status 里看得到（--retrain-after-events 按它触发）。
    res = cli.Post("/events", R"({"user_id": "someone", "item_id": "never-seen"})", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    res = cli.Get("/admin/status", auth);
    EXPECT_EQ(nlohmann::json::parse(res->body)["retrain"]["events_since_last_start"], 1);
    // 模型不认识的物品照样存下，并且计数。
    res = cli.Get("/metrics");
    EXPECT_NE(res->body.find("seqrec_events_unknown_items_total 1"), std::string::npos);
    server.set_retrain_hook(nullptr);
  }
  {
    // 拒绝：从随机初始化只训练一轮、不容许任何退步，对学过全部数据的模型——服务的模型不变。
    ASSERT_TRUE(slot.reload_now(dir_->file("strong")).ok);
    const std::string v1 = slot.current()->version;
    RetrainSchedule worse = sched;
    worse.retrain.warm_start = false;
    worse.retrain.epochs = 1;
    worse.retrain.max_regression = 0;
    BackgroundRetrainer rt(*store_, "store", slot, worse);
    ASSERT_TRUE(rt.trigger());
    EXPECT_FALSE(rt.trigger());  // 同一时刻只有一次
    const auto j = rt.wait();
    EXPECT_EQ(j["result"], "rejected") << j.dump();
    EXPECT_EQ(slot.current()->version, v1);
    EXPECT_EQ(rt.counters().rejected, 1u);
  }
  server.stop();
  t.join();
}

}  // namespace
}  // namespace seqrec
