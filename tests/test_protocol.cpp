// 评估协议测试：全量排序（含平局、排除历史）、采样负例（不含用户交互过的物品、不重复、可复现、
// 流行度抽样只抽训练中出现过的物品）、按历史长度分组与 top-K categorical accuracy，全部对照手算结果。
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/protocol.h"

namespace seqrec {
namespace {

// 10 个物品；用户 0：1 2 3 4（训练 1 2，验证 3，测试 4）；用户 1：5 6 7 8 9 5 6（训练 5 6 7 8 9）。
SequenceData tiny() {
  SequenceData d;
  for (int i = 0; i < 10; ++i) d.items.add(std::to_string(i));
  d.users.add("a");
  d.users.add("b");
  d.seqs = {{1, 2, 3, 4}, {5, 6, 7, 8, 9, 5, 6}};
  return d;
}

TEST(Protocol, FullRankingPessimisticTiesAndNothingFiltered) {
  const auto d = tiny();
  const CaseRanker r(d, EvalProtocol{});
  const EvalCase c{0, 3, 4};
  //                         0    1    2    3    4    5    6    7    8    9
  const float s[10] = {0.1f, 0.9f, 0.5f, 0.2f, 0.5f, 0.3f, 0.0f, 0.6f, 0.1f, 0.5f};
  // 比目标 4（0.5）高或相等的其他物品：1 (0.9)、2 (0.5 平局)、7 (0.6)、9 (0.5 平局) → 名次 4
  EXPECT_EQ(r.rank(s, 10, c), 4);
  const float top[10] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  EXPECT_EQ(r.rank(top, 10, c), 0);  // 目标第一
}

TEST(Protocol, ExcludeHistoryDropsEarlierItemsOnly) {
  const auto d = tiny();
  EvalProtocol p;
  p.exclude_history = true;
  const CaseRanker r(d, p);
  const float s[10] = {0.1f, 0.9f, 0.5f, 0.2f, 0.5f, 0.3f, 0.0f, 0.6f, 0.1f, 0.5f};
  // 历史 1 2 3 被排除：剩下 7 (0.6) 与 9 (0.5 平局) → 名次 2
  EXPECT_EQ(r.rank(s, 10, EvalCase{0, 3, 4}), 2);
  // 用户 1 的目标 6 在历史中也出现过：目标自己不被排除
  const float s2[10] = {0, 0, 0, 0, 0, 0.2f, 0.5f, 0.9f, 0.1f, 0.8f};
  EXPECT_EQ(r.rank(s2, 10, EvalCase{1, 6, 6}), 0);
}

TEST(Protocol, SampledNegativesAreUntouchedDistinctAndReproducible) {
  const auto d = tiny();
  EvalProtocol p;
  p.candidates = EvalProtocol::Candidates::kSampledUniform;
  p.negatives = 3;
  const CaseRanker r(d, p);
  const EvalCase c{0, 3, 4};
  const auto neg = r.negatives(c);
  ASSERT_EQ(neg.size(), 3u);
  std::set<int32_t> uniq(neg.begin(), neg.end());
  EXPECT_EQ(uniq.size(), 3u);
  for (int32_t j : neg) EXPECT_TRUE(j == 0 || j >= 5) << j;  // 用户 0 交互过 1..4
  EXPECT_EQ(r.negatives(c), neg);                            // 同一用例同一组负例
  // 名次只数负例：得分 = 物品下标，目标 4 → 负例中下标 >= 4 的个数
  float s[10];
  for (int i = 0; i < 10; ++i) s[i] = static_cast<float>(i);
  EXPECT_EQ(r.rank(s, 10, c), std::count_if(neg.begin(), neg.end(), [](int32_t j) { return j >= 4; }));
  // 负例多于可选物品时用全部未交互物品（0 5 6 7 8 9）：得分 = 下标时名次 5
  p.negatives = 100;
  const CaseRanker all(d, p);
  EXPECT_EQ(all.negatives(c).size(), 6u);
  EXPECT_EQ(all.rank(s, 10, c), 5);
  // 种子不同 → 负例不同（6 选 3 共 20 种，换 10 个种子总会有不同的）
  bool differs = false;
  for (uint64_t seed = 1; seed <= 10 && !differs; ++seed) {
    EvalProtocol q = p;
    q.negatives = 3;
    q.seed = seed;
    auto other = CaseRanker(d, q).negatives(c);
    std::sort(other.begin(), other.end());
    auto mine = neg;
    std::sort(mine.begin(), mine.end());
    differs = other != mine;
  }
  EXPECT_TRUE(differs);
}

TEST(Protocol, PopularitySamplingOnlyDrawsTrainedItems) {
  const auto d = tiny();  // 训练中出现过：1 2 5 6 7 8 9
  EvalProtocol p;
  p.candidates = EvalProtocol::Candidates::kSampledPopularity;
  p.negatives = 100;
  const CaseRanker r(d, p);
  auto neg = r.negatives(EvalCase{0, 3, 4});
  std::sort(neg.begin(), neg.end());
  EXPECT_EQ(neg, (std::vector<int32_t>{5, 6, 7, 8, 9}));  // 0 从未出现在训练中，1 2 是用户自己的
}

TEST(Protocol, ModelAndBaselineSeeTheSameNegatives) {
  const auto d = tiny();
  EvalProtocol p;
  p.candidates = EvalProtocol::Candidates::kSampledUniform;
  p.negatives = 2;
  const CaseRanker r(d, p);
  const auto cases = eval_cases(d, SplitPart::kTest);
  std::vector<float> pop(10);
  for (int i = 0; i < 10; ++i) pop[static_cast<size_t>(i)] = static_cast<float>(10 - i);
  const auto a = rank_cases_static(pop, cases, &r), b = rank_cases_static(pop, cases, &r);
  EXPECT_EQ(a, b);
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto neg = r.negatives(cases[i]);
    const float st = pop[static_cast<size_t>(cases[i].target)];
    EXPECT_EQ(a[i], std::count_if(neg.begin(), neg.end(), [&](int32_t j) { return pop[static_cast<size_t>(j)] >= st; }));
  }
}

TEST(Protocol, HistoryLengthBucketsAndTopKAccuracy) {
  const std::vector<EvalCase> cases = {{0, 2, 0}, {0, 4, 0}, {0, 5, 0}, {0, 19, 0}, {0, 20, 0}};
  const std::vector<int64_t> ranks = {0, 4, 9, 60, 200};
  auto b = summarize_by_history_length(ranks, cases, {1, 10}, {5, 20});
  EXPECT_EQ(b["0-4"]["cases"], 2);
  EXPECT_DOUBLE_EQ(b["0-4"]["HR@1"].get<double>(), 0.5);
  EXPECT_EQ(b["5-19"]["cases"], 2);
  EXPECT_DOUBLE_EQ(b["5-19"]["HR@10"].get<double>(), 0.5);
  EXPECT_EQ(b[">=20"]["cases"], 1);
  EXPECT_DOUBLE_EQ(b[">=20"]["HR@10"].get<double>(), 0.0);
  auto t = topk_categorical_accuracy(ranks);
  EXPECT_DOUBLE_EQ(t["top_1_categorical_accuracy"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(t["top_5_categorical_accuracy"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(t["top_10_categorical_accuracy"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(t["top_50_categorical_accuracy"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(t["top_100_categorical_accuracy"].get<double>(), 0.8);
}

TEST(Protocol, FlagErrors) {
  EXPECT_THROW(EvalProtocol::parse_candidates("sampled-100"), Error);
  EXPECT_THROW(parse_thresholds("20,5"), Error);
  EXPECT_THROW(parse_thresholds("a"), Error);
  EXPECT_TRUE(parse_thresholds("").empty());
  EvalProtocol p;
  p.candidates = EvalProtocol::Candidates::kSampledUniform;
  p.negatives = 0;
  EXPECT_THROW(p.validate(), Error);
}

}  // namespace
}  // namespace seqrec
