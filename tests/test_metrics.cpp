// 指标与检索测试：手算的 HR/NDCG/MRR、平局处理、名次计算、top-k 选择与排除、余弦检索。
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "index/exact_index.h"

namespace seqrec {
namespace {

TEST(Metrics, HandComputedSingleCase) {
  // 名次 0（第一名）。
  EXPECT_DOUBLE_EQ(hit_at(0, 1), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at(0, 1), 1.0);
  EXPECT_DOUBLE_EQ(mrr_at(0, 10), 1.0);
  // 名次 2（第三名）：NDCG = 1/log2(4) = 0.5，MRR = 1/3。
  EXPECT_DOUBLE_EQ(hit_at(2, 3), 1.0);
  EXPECT_DOUBLE_EQ(hit_at(2, 2), 0.0);
  EXPECT_DOUBLE_EQ(ndcg_at(2, 5), 0.5);
  EXPECT_DOUBLE_EQ(mrr_at(2, 5), 1.0 / 3.0);
  // 超出 K：全部为 0。
  EXPECT_DOUBLE_EQ(ndcg_at(10, 10), 0.0);
  EXPECT_DOUBLE_EQ(mrr_at(10, 10), 0.0);
}

TEST(Metrics, SummaryAverages) {
  auto m = summarize_ranks({0, 2, 50}, {1, 5});
  EXPECT_DOUBLE_EQ(m["HR@1"].get<double>(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["HR@5"].get<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["NDCG@5"].get<double>(), (1.0 + 0.5) / 3.0);
  EXPECT_DOUBLE_EQ(m["MRR@5"].get<double>(), (1.0 + 1.0 / 3.0) / 3.0);
  EXPECT_EQ(m["cases"].get<int>(), 3);
}

TEST(Metrics, RankCountsTiesAgainstTheTarget) {
  const float s[] = {0.5f, 0.9f, 0.5f, 0.1f, 0.5f};
  EXPECT_EQ(rank_of_target(s, 5, 1), 0);  // 最高分
  EXPECT_EQ(rank_of_target(s, 5, 0), 3);  // 0.9 更高，另两个 0.5 平局都算在前
  EXPECT_EQ(rank_of_target(s, 5, 3), 4);  // 最后
  std::vector<char> ex = {0, 1, 0, 0, 0};
  EXPECT_EQ(rank_of_target(s, 5, 0, &ex), 2);  // 排除第 1 个物品
  const float flat[] = {1, 1, 1, 1};
  EXPECT_EQ(rank_of_target(flat, 4, 2), 3);  // 常数模型不能得到好名次
}

TEST(Metrics, ParseKs) {
  EXPECT_EQ(parse_ks("1,5,10"), (std::vector<int>{1, 5, 10}));
  EXPECT_THROW(parse_ks("1,x"), Error);
  EXPECT_THROW(parse_ks("0"), Error);
  EXPECT_THROW(parse_ks(""), Error);
}

TEST(TopK, OrderTiesAndExclusion) {
  const float s[] = {0.3f, 0.9f, 0.3f, -1.0f, 0.7f};
  auto h = top_k(s, 5, 3);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].item, 1);
  EXPECT_EQ(h[1].item, 4);
  EXPECT_EQ(h[2].item, 0);  // 平局时下标小者在前
  EXPECT_EQ(top_k(s, 5, 10).size(), 5u);
  EXPECT_TRUE(top_k(s, 5, 0).empty());
}

TEST(ExactIndex, CosineSearchMatchesBruteForce) {
  Matrix m;
  m.rows = 4;
  m.cols = 2;
  m.data = {1, 0, 0, 10, 1, 1, -1, 0};
  ExactIndex idx(m, /*cosine=*/true);
  const float q[] = {2, 2};
  auto h = idx.search(q, 2);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].item, 2);  // 与 (1,1) 方向相同
  EXPECT_NEAR(h[0].score, 1.0f, 1e-6);
  EXPECT_NEAR(h[1].score, std::sqrt(0.5f), 1e-6);  // 平局 (1,0) 与 (0,10)：下标小者在前
  EXPECT_EQ(h[1].item, 0);
  auto ex = idx.search(q, 2, {2, 0});
  EXPECT_EQ(ex[0].item, 1);
  EXPECT_EQ(ex[1].item, 3);
  std::vector<float> out(8);
  idx.score_batch(q, 1, out.data());
  EXPECT_NEAR(out[2], 1.0f, 1e-6);
}

TEST(Evaluator, StaticScoresRankTargets) {
  std::vector<float> pop = {5, 1, 3};
  std::vector<EvalCase> cases = {{0, 1, 0}, {1, 1, 2}, {2, 1, 1}};
  auto r = rank_cases_static(pop, cases);
  EXPECT_EQ(r, (std::vector<int64_t>{0, 1, 2}));
}

}  // namespace
}  // namespace seqrec
