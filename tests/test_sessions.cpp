// 会话候选生成的测试：JSONL / CSV 流式读取（含块边界、坏行、Diginetica 格式）、共现表（手算权重、窗口、
// 线程数与分遍数不影响结果、保存/加载）、候选生成（加权历史、共现补足、来源开关）、OTTO 切分与指标（手算）、
// 数据生成器，以及命令行的完整流程。全部用小的合成数据，不依赖 ../shared。
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "session/otto_metric.h"
#include "session/candidates.h"
#include "session/covisit.h"
#include "session/generator.h"
#include "session/sessions.h"
#include "session/split.h"
#include "test_util.h"

namespace seqrec {
namespace {

namespace fs = std::filesystem;

const char* kOtto =
    "{\"session\":7,\"events\":[{\"aid\":10,\"ts\":1000,\"type\":\"clicks\"},{\"aid\":11,\"ts\":2000,\"type\":\"carts\"},"
    "{\"aid\":11,\"ts\":3000,\"type\":\"orders\"}]}\n"
    "\n"
    "{\"session\":8,\"events\":[{\"aid\":12,\"ts\":5000,\"type\":0},{\"aid\":\"10\",\"ts\":4000.0,\"type\":2}]}\r\n";

SessionReadOptions jsonl() {
  SessionReadOptions o;
  o.format = "jsonl";
  return o;
}

TEST(Sessions, ReadsOttoJsonlAndSortsEventsByTime) {
  const SessionData d = parse_sessions(kOtto, "t.jsonl", jsonl());
  ASSERT_EQ(d.num_sessions(), 2);
  EXPECT_EQ(d.num_events(), 5);
  EXPECT_EQ(d.num_items(), 3);
  EXPECT_EQ(d.session[1], 8);
  // 会话 8 的两个事件按时间重排：先 aid 10（下单，4000），再 aid 12（点击，5000）
  EXPECT_EQ(d.raw_aid(3), 10);
  EXPECT_EQ(d.type[3], 2);
  EXPECT_EQ(d.ts[3], 4000);
  EXPECT_EQ(d.raw_aid(4), 12);
  EXPECT_EQ(d.stats()["orders"], 2);
}

TEST(Sessions, ChunkBoundariesDoNotChangeTheResult) {
  std::string text;
  for (int s = 0; s < 200; ++s) {
    text += concat("{\"session\":", s, ",\"events\":[");
    for (int e = 0; e <= s % 7; ++e) text += concat(e ? "," : "", "{\"aid\":", (s * 31 + e) % 97, ",\"ts\":", e, ",\"type\":\"clicks\"}");
    text += "]}\n";
  }
  SessionReadOptions small = jsonl();
  small.chunk_bytes = 64;  // 比一行还小：块要加倍，行会跨块
  const SessionData a = parse_sessions(text, "t.jsonl", jsonl()), b = parse_sessions(text, "t.jsonl", small);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.aid, b.aid);
  EXPECT_EQ(a.items.ids(), b.items.ids());
  EXPECT_EQ(a.num_events(), 200 / 7 * 28 + (1 + 2 + 3 + 4));
}

TEST(Sessions, BadLinesNameTheLineOrAreSkippedAndCounted) {
  const std::string bad = std::string(kOtto) +
                          "{\"session\":9,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"views\"}]}\n"
                          "{\"session\":10,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}]} trailing\n"
                          "{\"session\":11,\"events\":[{\"aid\":1,\"type\":\"clicks\"}]}\n"
                          "{\"session\":12,\"events\":[{\"aid\":1,\"ts\":1,\"type\":\"clicks\"}]}\n";
  try {
    parse_sessions(bad, "t.jsonl", jsonl());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.jsonl:4: events[0].type must be clicks, carts or orders"), std::string::npos)
        << e.what();
  }
  SessionReadOptions skip = jsonl();
  skip.skip_bad_lines = true;
  const SessionData d = parse_sessions(bad, "t.jsonl", skip);
  EXPECT_EQ(d.bad_lines, 3);
  EXPECT_EQ(d.num_sessions(), 3);
  EXPECT_EQ(d.session.back(), 12);
  EXPECT_THROW(parse_sessions("\n\n", "e.jsonl", jsonl()), Error);
  EXPECT_THROW(read_sessions("/nonexistent/x.jsonl"), Error);
}

TEST(Sessions, ReadsCsvWithAndWithoutHeaderAndDiginetica) {
  SessionReadOptions csv;
  csv.format = "csv";
  const SessionData a = parse_sessions("session,aid,ts,type\n1,5,10,clicks\n1,6,20,carts\n2,5,30,2\n", "a.csv", csv);
  EXPECT_EQ(a.num_sessions(), 2);
  EXPECT_EQ(a.ts[0], 10000);  // 秒 → 毫秒
  EXPECT_EQ(a.type[1], 1);
  EXPECT_EQ(a.type[2], 2);
  const SessionData b = parse_sessions("1,5,10\n1,6,20\n", "b.csv", csv);  // 无表头、无类型：全部是点击
  EXPECT_EQ(b.num_events(), 2);
  EXPECT_EQ(b.type[1], 0);
  // Diginetica：分号分隔、无类型、timeframe（毫秒）+ 日期，文件中会话内的顺序不是时间顺序
  const SessionData g = parse_sessions(
      "session_id;user_id;item_id;timeframe;eventdate\n1;NA;81766;526309;2016-05-09\n1;NA;31331;75848;2016-05-09\n"
      "2;NA;9;10;2016-05-10\n",
      "d.csv", csv);
  ASSERT_EQ(g.num_sessions(), 2);
  EXPECT_EQ(g.raw_aid(0), 31331);  // 较早的 timeframe 排在前面
  EXPECT_EQ(g.ts[0], 1462752000000LL + 75848);  // 2016-05-09 00:00 UTC
  EXPECT_EQ(g.ts[2], 1462838400000LL + 10);
  try {
    parse_sessions("session,aid,ts\n1,x,3\n", "c.csv", csv);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.csv:2: aid must be an integer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_sessions("session,item,when\n1,2,3\n", "h.csv", csv), Error);  // 找不到时间列
}

TEST(Sessions, AidMapInternsAndFinds) {
  AidMap m;
  for (int64_t k = 0; k < 1000; ++k) EXPECT_EQ(m.add(k * 7919 - 500), k);
  EXPECT_EQ(m.add(-500), 0);
  EXPECT_EQ(m.find(7919 * 999 - 500), 999);
  EXPECT_EQ(m.find(3), -1);
  EXPECT_EQ(m.assign({1, 2, 1}), 2);  // 第一个重复者的位置
  EXPECT_EQ(m.assign({5, 3}), -1);
  EXPECT_EQ(m.find(3), 1);
  // 字符串 ID 用同一个实现
  IdMap ids;
  EXPECT_EQ(ids.add("b"), 0);
  EXPECT_EQ(ids.add("a"), 1);
  EXPECT_EQ(ids.add("b"), 0);
  EXPECT_EQ(ids.find("a"), 1);
  EXPECT_EQ(ids.find("c"), -1);
}

// 手算用的小数据：时间单位为小时（毫秒）。
SessionData tiny_sessions() {
  const int64_t h = 3600 * 1000;
  SessionData d;
  d.add_session(1, {100, 200, 300}, {0, 1 * h, 30 * h}, {0, 1, 0});       // 300 与其他相隔超过 24 小时
  d.add_session(2, {100, 200, 200}, {10 * h, 11 * h, 12 * h}, {0, 0, 2});
  d.add_session(3, {400, 500}, {40 * h, 41 * h}, {1, 2});
  return d;
}

TEST(Covisit, WeightsMatchHandComputedValues) {
  const SessionData d = tiny_sessions();
  CovisitOptions o;
  o.threads = 1;
  const CovisitModel m = build_covisit(d, o);
  auto weight = [&](int kind, int64_t a, int64_t b) -> double {
    const auto& t = m.tables[static_cast<size_t>(kind)];
    const int32_t ia = m.items.find(a), ib = m.items.find(b);
    for (int64_t k = t.begin(ia); k < t.end(ia); ++k)
      if (t.neighbours[static_cast<size_t>(k)] == ib) return t.weights[static_cast<size_t>(k)];
    return 0;
  };
  // clicks：w = 1 + 3 (t_a − t_min) / (t_max − t_min)，t_min = 0，t_max = 41 h；每个会话每对只计一次（取最近的 a）
  const double span = 41.0;
  EXPECT_NEAR(weight(0, 100, 200), (1 + 3 * 0 / span) + (1 + 3 * 10 / span), 1e-4);
  EXPECT_NEAR(weight(0, 200, 100), (1 + 3 * 1 / span) + (1 + 3 * 12 / span), 1e-4);
  EXPECT_EQ(weight(0, 100, 300), 0);  // 超出 24 小时窗口
  EXPECT_NEAR(weight(0, 400, 500), 1 + 3 * 40 / span, 1e-4);
  // carts_orders：w = b 的类型权重，按 (a, b, b 的类型) 去重：会话 2 中 200 有点击与下单两种
  EXPECT_NEAR(weight(1, 100, 200), 6 + 1 + 3, 1e-4);
  EXPECT_NEAR(weight(1, 200, 100), 1 + 1, 1e-4);
  EXPECT_NEAR(weight(1, 400, 500), 3, 1e-4);
  // buy2buy：只有加购/下单事件；会话 1 只有一个购买事件，会话 3 的 400、500 互为邻居
  EXPECT_NEAR(weight(2, 400, 500), 1, 1e-6);
  EXPECT_NEAR(weight(2, 500, 400), 1, 1e-6);
  EXPECT_EQ(weight(2, 100, 200), 0);
  // 邻居按权重降序
  const auto& t = m.tables[1];
  const int32_t i100 = m.items.find(100);
  EXPECT_EQ(t.end(i100) - t.begin(i100), 1);
}

TEST(Covisit, ThreadsPassesAndRoundTripGiveIdenticalTables) {
  SessionGenOptions g;
  g.sessions = 800;
  g.items = 300;
  g.topic_size = 20;
  const SessionData d = generate_sessions(g);
  CovisitOptions o;
  o.threads = 1;
  o.top_m = 5;
  const CovisitModel a = build_covisit(d, o);
  o.threads = 3;
  o.memory_budget = size_t{1} << 20;  // 1 MiB：强制分多遍
  const CovisitModel b = build_covisit(d, o);
  EXPECT_GT(b.info["tables"]["clicks"]["passes"].get<int>(), 1);
  for (int k = 0; k < kCovisitKinds; ++k) {
    EXPECT_EQ(a.tables[k].offsets, b.tables[k].offsets) << k;
    EXPECT_EQ(a.tables[k].neighbours, b.tables[k].neighbours) << k;
    EXPECT_EQ(a.tables[k].weights, b.tables[k].weights) << k;
    for (int32_t i = 0; i < d.num_items(); ++i) {
      EXPECT_LE(a.tables[k].end(i) - a.tables[k].begin(i), 5);
      for (int64_t j = a.tables[k].begin(i) + 1; j < a.tables[k].end(i); ++j)
        EXPECT_GE(a.tables[k].weights[j - 1], a.tables[k].weights[j]);
    }
  }
  test::TempDir dir;
  const std::string p = dir.path() + "/cv";
  a.save(p);
  const CovisitModel c = CovisitModel::load(p);
  EXPECT_EQ(c.items.ids(), a.items.ids());
  EXPECT_EQ(c.tables[2].neighbours, a.tables[2].neighbours);
  EXPECT_EQ(c.tables[0].weights, a.tables[0].weights);
  // 文件被改动：校验和不符
  {
    std::fstream f(p + "/covisit.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  EXPECT_THROW(CovisitModel::load(p), Error);
  EXPECT_THROW(CovisitModel::load(dir.path() + "/missing"), Error);
}

TEST(Candidates, LongSessionsRankHistoryByRecencyAndTypeWeights) {
  SessionData d;
  std::vector<int64_t> aids, ts;
  std::vector<uint8_t> types;
  // 20 个事件：物品 1 在最早被下单，物品 2 在最后被点击，其余 18 个点击各不相同
  for (int i = 0; i < 20; ++i) {
    aids.push_back(i == 0 ? 1 : i == 19 ? 2 : 100 + i);
    ts.push_back(i);
    types.push_back(i == 0 ? 2 : 0);
  }
  d.add_session(5, aids, ts, types);
  CandidateOptions o;
  o.list_size = 3;
  o.use_popular = false;
  const CandidateGenerator gen(d, nullptr, nullptr, o);
  const auto c = gen.generate(0);
  // 权重：w_i = 2^(0.1 + 0.9 i / 19) − 1。物品 1：w_0 · 3；物品 2：w_19 · 1 = 1；物品 118：w_18
  const double w0 = std::pow(2.0, 0.1) - 1, w18 = std::pow(2.0, 0.1 + 0.9 * 18 / 19) - 1;
  ASSERT_EQ(c.clicks.size(), 3u);
  EXPECT_EQ(c.clicks[0].aid, 2);
  EXPECT_NEAR(c.clicks[0].score, 1.0, 1e-5);
  EXPECT_EQ(c.clicks[1].aid, 118);
  EXPECT_NEAR(c.clicks[1].score, w18, 1e-5);
  EXPECT_EQ(c.clicks[2].aid, 117);
  EXPECT_GT(w18, 3 * w0);  // 物品 1 虽被下单，但太久远
  EXPECT_EQ(c.clicks[0].source, static_cast<uint8_t>(CandidateSource::kHistory));
}

// 模型来源只经过整数下标：会话里模型认识的点击（规范的十进制 ID）按时间顺序交给模型，会话内的物品被排除，
// 模型给出的物品按 ID 换回 aid（不是整数 ID 的物品跳过）；会话里没有模型认识的物品时没有模型候选。
TEST(Candidates, ModelSourceWorksOnIntegerIds) {
  IdMap items;
  for (const char* id : {"10", "20", "007", "x30", "40", "50"}) items.add(id);  // 下标 0..5
  std::vector<std::vector<int32_t>> seen;
  CandidateModel m;
  m.items = &items;
  m.top_k = [&](const std::vector<int32_t>& clicks, int k, const SearchFilter& f) {
    seen.push_back(clicks);
    EXPECT_EQ(f.exclude, clicks);
    EXPECT_EQ(k, 6);  // min(2 × list_size, 物品数)
    return std::vector<Hit>{{3, 0.9f}, {4, 0.8f}, {2, 0.7f}, {5, 0.6f}};  // x30 与 007 不对应任何 aid
  };
  SessionData d;
  d.add_session(1, {20, 7, 10}, {0, 1, 2}, {0, 0, 0});  // 7 不是 "007"：模型不认识
  d.add_session(2, {99}, {0}, {0});                     // 模型一个也不认识
  CandidateOptions o;
  o.list_size = 3;
  o.use_history = false;
  o.use_popular = false;
  const CandidateGenerator gen(d, nullptr, &m, o);
  const auto c = gen.generate(0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], (std::vector<int32_t>{1, 0}));  // "20"、"10"，从旧到新
  ASSERT_EQ(c.clicks.size(), 2u);
  EXPECT_EQ(c.clicks[0].aid, 40);
  EXPECT_FLOAT_EQ(c.clicks[0].score, 0.8f);
  EXPECT_EQ(c.clicks[1].aid, 50);
  EXPECT_EQ(c.clicks[0].source, static_cast<uint8_t>(CandidateSource::kModel));
  EXPECT_TRUE(gen.generate(1).clicks.empty());
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Candidates, ShortSessionsKeepRecentHistoryThenCovisitThenPopular) {
  const SessionData train = tiny_sessions();
  CovisitOptions co;
  co.threads = 1;
  const CovisitModel cv = build_covisit(train, co);
  SessionData test;
  test.add_session(9, {300, 100}, {0, 1}, {0, 0});
  test.add_session(10, {777, 777, 400}, {0, 1, 2}, {0, 0, 1});
  CandidateOptions o;
  o.list_size = 4;
  const CandidateGenerator gen(test, &cv, nullptr, o);
  const auto c = gen.generate(0);
  ASSERT_EQ(c.clicks.size(), 4u);
  EXPECT_EQ(c.clicks[0].aid, 100);  // 最近的在前
  EXPECT_EQ(c.clicks[1].aid, 300);
  EXPECT_EQ(c.clicks[2].aid, 200);  // 100 的共现邻居
  EXPECT_EQ(c.clicks[2].source, static_cast<uint8_t>(CandidateSource::kCovisit));
  EXPECT_EQ(c.clicks[3].source, static_cast<uint8_t>(CandidateSource::kPopular));
  // 购买表：400 加购过，buy2buy 与 carts_orders 都给出 500
  const auto c2 = gen.generate(1);
  EXPECT_EQ(c2.buys[0].aid, 400);
  EXPECT_EQ(c2.buys[1].aid, 777);
  EXPECT_EQ(c2.buys[2].aid, 500);
  // 只用共现：没有历史物品
  o.use_history = false;
  o.use_popular = false;
  const auto c3 = CandidateGenerator(test, &cv, nullptr, o).generate(0);
  ASSERT_FALSE(c3.clicks.empty());
  for (const auto& x : c3.clicks) EXPECT_EQ(x.source, static_cast<uint8_t>(CandidateSource::kCovisit));
  // 多线程与逐个生成一致
  const auto all = gen.generate_all();
  EXPECT_EQ(all[1].buys.size(), c2.buys.size());
  EXPECT_EQ(all[1].buys[2].aid, 500);
}

TEST(Otto, SplitTruncatesTestSessionsAndLabelsWhatFollows) {
  SessionData d;
  d.add_session(1, {1, 2}, {0, 10}, {0, 0});
  d.add_session(2, {1, 2, 3}, {5, 100, 200}, {0, 0, 0});  // 开始早于切分点：训练会话，切分点之后的事件删掉
  d.add_session(3, {4, 5, 6, 5, 7}, {150, 160, 170, 180, 190}, {0, 1, 0, 2, 0});
  d.add_session(4, {8}, {160, 160}, {0});
  const SessionSplit sp = split_sessions(d, 0.5, 1);
  EXPECT_EQ(sp.cutoff_ms, 150);
  ASSERT_EQ(sp.train.size(), 2u);
  EXPECT_EQ(sp.train_end[1], d.begin(1) + 2);
  ASSERT_EQ(sp.test.size(), 1u);  // 会话 4 只有一个事件
  const int64_t cut = sp.test_cut[0];
  EXPECT_GT(cut, d.begin(2));
  EXPECT_LT(cut, d.end(2));
  const SessionLabels l = labels_after(d, 2, d.begin(2) + 1);
  EXPECT_EQ(l.click, 6);
  EXPECT_EQ(l.carts, std::vector<int64_t>{5});
  EXPECT_EQ(l.orders, std::vector<int64_t>{5});
  test::TempDir dir;
  write_split(d, sp, dir.path());
  const auto back = read_labels(dir.path() + "/test_labels.jsonl");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].session, 3);
  const SessionData tr = read_sessions(dir.path() + "/train.jsonl");
  EXPECT_EQ(tr.num_events(), 4);
  const SessionData te = read_sessions(dir.path() + "/test_sessions.jsonl");
  EXPECT_EQ(te.num_events(), cut - d.begin(2));
}

TEST(Otto, RecallAndWeightedScoreMatchHandComputed) {
  std::vector<SessionLabels> labels(2);
  labels[0].session = 1;
  labels[0].click = 5;
  labels[0].carts = {1, 2, 3};
  labels[0].orders = {9};
  labels[1].session = 2;
  labels[1].click = 7;
  OttoPredictions p;
  p[1].aids[0] = {4, 5};
  p[1].aids[1] = {1, 3, 3, 8};  // 重复的 3 只算一次
  p[1].aids[2] = {8};
  for (auto& s : p[1].sources) s.assign(4, 0);
  const auto r = otto_score(labels, p, {1, 20});
  // K = 20：clicks 1/2（会话 2 没有预测），carts 2/3，orders 0/1
  EXPECT_NEAR(r["recall@20"]["clicks"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(r["recall@20"]["carts"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r["recall@20"]["orders"].get<double>(), 0.0, 1e-12);
  EXPECT_NEAR(r["score@20"].get<double>(), 0.1 * 0.5 + 0.3 * 2.0 / 3, 1e-12);
  // K = 1：clicks 0/2，carts 命中 1 个，分母 min(1, 3) = 1
  EXPECT_NEAR(r["recall@1"]["carts"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(r["recall@1"]["clicks"].get<double>(), 0.0, 1e-12);
  EXPECT_EQ(r["sessions_without_prediction"], 1);
  EXPECT_EQ(r["hits_by_source@20"]["carts"]["history"], 2);

  test::TempDir dir;
  write_file_atomic(dir.path() + "/sub.csv", "session_type,labels\n1_clicks,4 5\n1_carts,1 3\n1_orders,\n");
  const auto s = read_submission_csv(dir.path() + "/sub.csv");
  EXPECT_EQ(s.at(1).aids[0], (std::vector<int64_t>{4, 5}));
  EXPECT_TRUE(s.at(1).aids[2].empty());
  write_file_atomic(dir.path() + "/bad.csv", "session_type,labels\n1_views,4 5\n");
  EXPECT_THROW(read_submission_csv(dir.path() + "/bad.csv"), Error);
  write_file_atomic(dir.path() + "/c.csv", "session,aid,score,source,list\n1,5,1,history,clicks\n1,3,1,covisit,buys\n");
  const auto c = read_candidates_csv(dir.path() + "/c.csv");
  EXPECT_EQ(c.at(1).aids[2], std::vector<int64_t>{3});
  EXPECT_EQ(c.at(1).sources[1][0], static_cast<uint8_t>(CandidateSource::kCovisit));
}

TEST(Generator, IsDeterministicWithFunnelsAndStructure) {
  SessionGenOptions g;
  g.sessions = 2000;
  g.items = 1000;
  const SessionData a = generate_sessions(g), b = generate_sessions(g);
  EXPECT_EQ(a.aid, b.aid);
  EXPECT_EQ(a.ts, b.ts);
  const auto st = a.stats();
  EXPECT_GT(st["carts"].get<int64_t>(), 0);
  EXPECT_GT(st["orders"].get<int64_t>(), 0);
  EXPECT_NEAR(static_cast<double>(a.num_events()) / a.num_sessions(), g.mean_length, g.mean_length * 0.3);
  // 每个下单的物品都在同一会话中先被加购过
  for (int64_t s = 0; s < a.num_sessions(); ++s)
    for (int64_t i = a.begin(s); i < a.end(s); ++i)
      if (a.type[i] == 2) {
        bool carted = false;
        for (int64_t j = a.begin(s); j < i; ++j) carted |= a.type[j] == 1 && a.aid[j] == a.aid[i];
        EXPECT_TRUE(carted);
      }
  test::TempDir dir;
  const auto js = generate_sessions_jsonl(dir.path() + "/g.jsonl", g);
  const SessionData c = read_sessions(dir.path() + "/g.jsonl");
  EXPECT_EQ(c.num_events(), js["events"].get<int64_t>());
  EXPECT_EQ(c.num_events(), a.num_events());
}

TEST(SessionCli, GenerateSplitCovisitCandidatesAndEvaluate) {
  test::TempDir dir;
  const std::string d = dir.path();
  ASSERT_EQ(test::run_cli(concat("generate-sessions --out ", d, "/all.jsonl --sessions 3000 --items 800 --seed 3")).first, 0);
  ASSERT_EQ(test::run_cli(concat("split-sessions --data ", d, "/all.jsonl --out ", d, "/split --test-fraction 0.2")).first, 0);
  ASSERT_EQ(test::run_cli(concat("covisit --data ", d, "/split/train.jsonl --out ", d, "/cv --threads 2")).first, 0);
  auto score = [&](const std::string& sources) {
    const std::string tag = sources.substr(0, sources.find(','));
    EXPECT_EQ(test::run_cli(concat("candidates --data ", d, "/split/test_sessions.jsonl --covisit ", d, "/cv --sources ",
                                      sources, " --out ", d, "/c_", tag, ".csv --submission ", d, "/s_", tag, ".csv")).first,
              0);
    const auto [rc, out] = test::run_cli(concat("eval --protocol otto --labels ", d, "/split/test_labels.jsonl --candidates ",
                                                d, "/c_", tag, ".csv --json"), true);
    EXPECT_EQ(rc, 0) << out;
    return nlohmann::json::parse(out);
  };
  const auto all = score("history,covisit,popular");
  const auto pop = score("popular");
  EXPECT_GT(all["score@20"].get<double>(), 2 * pop["score@20"].get<double>());
  EXPECT_GE(all["recall@50"]["clicks"].get<double>(), all["recall@20"]["clicks"].get<double>());
  EXPECT_EQ(all["sessions_without_prediction"], 0);
  // 提交文件与候选 CSV 给出相同的 Recall@20
  const auto [rc, out] = test::run_cli(concat("eval --protocol otto --labels ", d, "/split/test_labels.jsonl --submission ", d,
                                              "/s_history.csv --json"), true);
  ASSERT_EQ(rc, 0) << out;
  const auto sub = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(sub["score@20"].get<double>(), all["score@20"].get<double>());
  // 错误的输入：清楚的错误与非零退出码
  EXPECT_NE(test::run_cli(concat("candidates --data ", d, "/split/test_sessions.jsonl --sources covisit --out ", d, "/x.csv")).first, 0);
  EXPECT_NE(test::run_cli(concat("eval --protocol otto --labels ", d, "/split/test_labels.jsonl")).first, 0);
  EXPECT_FALSE(fs::exists(d + "/x.csv"));
}

}  // namespace
}  // namespace seqrec
