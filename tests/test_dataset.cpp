// 数据集测试：过滤（评分、k-core）、按时间稳定排序、留一法切分、滑动窗口样本、合成数据。
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/csv_reader.h"
#include "data/dataset.h"
#include "data/event_types.h"
#include "data/synthetic.h"
#include "eval/metrics.h"

namespace seqrec {
namespace {

Interactions parse(const std::string& s) { return parse_interactions(s, "t.csv", {}); }

// 事件类型列表：别名并成内置名（编号 0..2），权重可省略（= 1），重复、坏名字、负权重、全 0 都说清楚。
TEST(EventTypes, ParsesAliasesWeightsAndRefusesBadLists) {
  const EventTypes t = EventTypes::parse("click:1,cart:3,order:6,view:0", "--event-types");
  ASSERT_EQ(t.list().size(), 4u);
  EXPECT_EQ(t.list()[0].name, "clicks");
  EXPECT_EQ(t.list()[0].code, 0);
  EXPECT_EQ(t.find("orders")->weight, 6.0);
  EXPECT_EQ(t.find("order")->code, 2);
  EXPECT_EQ(t.find("view")->code, -1);  // 由存储分配
  EXPECT_EQ(t.find("likes"), nullptr);
  EXPECT_FALSE(t.uniform());
  EXPECT_TRUE(EventTypes::parse(kDefaultEventTypes, "x").uniform());
  EXPECT_EQ(t.spec(), "clicks:1,carts:3,orders:6,view:0");
  EXPECT_EQ(EventTypes::parse(t.spec(), "m").spec(), t.spec());
  EventTypes v = EventTypes::parse("view,clicks", "--event-types");
  v.assign_codes([](const std::string& name) { return name == "view" ? 7 : -1; });
  EXPECT_EQ(v.by_code(7)->name, "view");
  EXPECT_EQ(v.by_code(0)->name, "clicks");
  auto expect_error = [](const std::string& spec, const std::string& want) {
    try {
      EventTypes::parse(spec, "--event-types");
      ADD_FAILURE() << spec << ": expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  expect_error("click,clicks", "listed twice");
  expect_error("View", "not an event type name");
  expect_error("view:-1", ">= 0");
  expect_error("view:x", "not a number");
  expect_error("view:0,order:0", "every weight is 0");
  expect_error("view,,order", "empty entry");
  expect_error("", "empty entry");
}

// 按交互的权重：随排序进入 SequenceData，权重为 0 的目标不是评估用例，用例带着权重，加权指标是加权平均。
TEST(Dataset, InteractionWeightsFollowTheSortAndWeighTheCases) {
  auto raw = parse("user_id,item_id,timestamp\nu1,d,9\nu1,b,5\nu1,c,6\nu1,a,1\nu2,a,1\nu2,b,2\nu2,c,3\n");
  raw.weight = {4, 2, 0, 1, 1, 1, 3};  // 文件顺序
  SequenceData d = build_sequences(raw, {});
  EXPECT_EQ(d.weight(0, 0), 1.0f);  // a
  EXPECT_EQ(d.weight(0, 1), 2.0f);  // b
  EXPECT_EQ(d.weight(0, 2), 0.0f);  // c
  EXPECT_EQ(d.weight(0, 3), 4.0f);  // d
  auto valid = eval_cases(d, SplitPart::kValid);  // u1 的验证目标 c 权重 0：不是用例
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid[0].user, 1);
  auto test = eval_cases(d, SplitPart::kTest);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].weight, 4.0f);
  EXPECT_EQ(test[1].weight, 3.0f);
  EXPECT_EQ(case_weights(test), (std::vector<float>{4.0f, 3.0f}));
  EXPECT_TRUE(case_weights(valid).empty());  // 全是 1：不加权
  // 训练部分（留一法：每个用户去掉最后两个）：位置 0 起是 u1 的 a(1)、b(2) 与 u2 的 a(1)；位置 1 起只有 u1 的 b
  EXPECT_DOUBLE_EQ(d.mean_train_weight(0), 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(d.mean_train_weight(1), 2.0);
  const auto m = summarize_ranks({0, 100}, {10}, case_weights(test));
  EXPECT_NEAR(m["HR@10"].get<double>(), 4.0 / 7.0, 1e-12);
  EXPECT_EQ(m["cases"], 2);
}

TEST(Dataset, SortsByTimeStablyAndSplits) {
  // u1 的 b 与 c 时间相同：保持文件顺序（b 在前）。
  auto raw = parse("user_id,item_id,timestamp\nu1,d,9\nu1,b,5\nu1,c,5\nu1,a,1\nu2,a,1\nu2,b,2\nu2,c,3\n");
  SequenceData d = build_sequences(raw, {});
  ASSERT_EQ(d.num_users(), 2);
  const auto& s = d.seqs[0];
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(d.items.id(s[0]), "a");
  EXPECT_EQ(d.items.id(s[1]), "b");
  EXPECT_EQ(d.items.id(s[2]), "c");
  EXPECT_EQ(d.items.id(s[3]), "d");
  auto test = eval_cases(d, SplitPart::kTest);
  auto valid = eval_cases(d, SplitPart::kValid);
  EXPECT_EQ(d.items.id(test[0].target), "d");
  EXPECT_EQ(test[0].end, 3);
  EXPECT_EQ(d.items.id(valid[0].target), "c");
  EXPECT_EQ(valid[0].end, 2);
}

TEST(Dataset, TemporalSplitByGlobalTime) {
  // valid 0.2、test 0.2：t < 8 训练，8 <= t < 10 验证，t >= 10 测试。
  auto raw = parse("user_id,item_id,timestamp\nu1,a,1\nu1,b,2\nu1,c,7\nu1,d,9\n"
                   "u2,a,3\nu2,c,4\nu2,e,5\nu2,b,6\nu3,e,8\nu3,a,10\nu3,b,11\nu3,c,12\n");
  FilterOptions f;
  f.split = "temporal";
  f.valid_frac = 0.2;
  f.test_frac = 0.2;
  f.min_user_interactions = 3;
  SequenceData d = build_sequences(raw, f);
  // 12 个交互：分位点下标 floor(0.6·12) = 7 → t = 8，floor(0.8·12) = 9 → t = 10。
  ASSERT_EQ(d.num_users(), 3);
  EXPECT_EQ(d.train_end, (std::vector<int32_t>{3, 4, 0}));  // u1: 1,2,7 < 8；u2 全部；u3 的 8 不算
  EXPECT_EQ(d.valid_end, (std::vector<int32_t>{4, 4, 1}));  // u1: 9；u3: 8
  auto valid = eval_cases(d, SplitPart::kValid);
  ASSERT_EQ(valid.size(), 1u);  // u1 的 d（u3 的 e 没有更早的历史，不计入）
  EXPECT_EQ(valid[0].end, 3);
  EXPECT_EQ(d.items.id(valid[0].target), "d");
  auto test = eval_cases(d, SplitPart::kTest);
  ASSERT_EQ(test.size(), 3u);  // u3 的 a、b、c，历史逐个增长
  EXPECT_EQ(test[0].end, 1);
  EXPECT_EQ(test[2].end, 3);
  EXPECT_EQ(d.items.id(test[2].target), "c");
  // 训练样本与流行度只用训练部分。
  auto samples = training_samples(d, 0);
  EXPECT_EQ(samples.size(), 7u);
  auto counts = train_item_counts(d);
  EXPECT_EQ(counts[static_cast<size_t>(d.items.find("e"))], 1);
  EXPECT_EQ(counts[static_cast<size_t>(d.items.find("d"))], 0);
  f.valid_frac = 0.6;
  f.test_frac = 0.5;
  EXPECT_THROW(build_sequences(raw, f), Error);
}

TEST(Dataset, SlidingWindowSamplesUseTrainingPartOnly) {
  auto raw = parse("user_id,item_id,timestamp\nu,a,1\nu,b,2\nu,c,3\nu,d,4\nu,e,5\n");
  SequenceData d = build_sequences(raw, {});
  // 训练部分为 a,b,c：样本是 [a]→b、[a,b]→c（以及空历史 → a）。
  auto s1 = training_samples(d, 1);
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s1[0].pos, 1);
  EXPECT_EQ(s1[1].pos, 2);
  auto s0 = training_samples(d, 0);
  ASSERT_EQ(s0.size(), 3u);
  EXPECT_EQ(s0[0].pos, 0);
}

TEST(Dataset, KCoreIsIterative) {
  // 物品 z 只出现一次；去掉它后 u3 只剩 2 次交互，也必须被去掉。
  auto raw = parse(
      "user_id,item_id,timestamp\n"
      "u1,a,1\nu1,b,2\nu1,c,3\n"
      "u2,a,1\nu2,b,2\nu2,c,3\n"
      "u3,a,1\nu3,b,2\nu3,z,3\n");
  FilterOptions f;
  f.min_item_interactions = 2;
  SequenceData d = build_sequences(raw, f);
  EXPECT_EQ(d.num_users(), 2);
  EXPECT_EQ(d.num_items(), 3);
  EXPECT_EQ(d.items.find("z"), -1);
  EXPECT_EQ(d.users.find("u3"), -1);
  EXPECT_EQ(d.raw_interactions, 9);
  EXPECT_EQ(d.num_interactions(), 6);
}

TEST(Dataset, MinRatingAndNothingLeft) {
  auto raw = parse_interactions("user_id,item_id,rating,timestamp\nu,a,5,1\nu,b,1,2\nu,c,4,3\nu,d,5,4\n", "t", {});
  FilterOptions f;
  f.min_rating = 4;
  SequenceData d = build_sequences(raw, f);
  EXPECT_EQ(d.num_interactions(), 3);
  f.min_rating = 6;
  try {
    build_sequences(raw, f);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing left after filtering"), std::string::npos);
  }
  auto short_users = parse("user_id,item_id,timestamp\nu,a,1\nu,b,2\nv,a,1\n");
  EXPECT_THROW(build_sequences(short_users, {}), Error);
  FilterOptions bad;
  bad.min_user_interactions = 2;
  EXPECT_THROW(build_sequences(raw, bad), Error);
  auto no_rating = parse("user_id,item_id,timestamp\nu,a,1\nu,b,2\nu,c,3\n");
  FilterOptions fr;
  fr.min_rating = 3;
  EXPECT_THROW(build_sequences(no_rating, fr), Error);
}

TEST(Dataset, TrainCountsExcludeHeldOutItems) {
  auto raw = parse("user_id,item_id,timestamp\nu,a,1\nu,a,2\nu,b,3\nu,c,4\n");
  SequenceData d = build_sequences(raw, {});
  auto c = train_item_counts(d);
  EXPECT_EQ(c[static_cast<size_t>(d.items.find("a"))], 2);
  EXPECT_EQ(c[static_cast<size_t>(d.items.find("b"))], 0);
}

TEST(Synthetic, DeterministicAndStructured) {
  SyntheticOptions o;
  o.users = 50;
  o.items = 100;
  o.groups = 5;
  auto a = generate_synthetic(o);
  auto b = generate_synthetic(o);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.item, b.item);
  EXPECT_EQ(a.time, b.time);
  EXPECT_GT(a.size(), 50u * 5u);
  // 时间戳在每个用户内单调递增。
  for (size_t i = 1; i < a.size(); ++i)
    if (a.user[i] == a.user[i - 1]) EXPECT_GT(a.time[i], a.time[i - 1]);
  o.seed = 7;
  EXPECT_NE(generate_synthetic(o).item, a.item);
  o.groups = 1;
  EXPECT_THROW(generate_synthetic(o), Error);
}

}  // namespace
}  // namespace seqrec
