// 指标与检索测试：手算的 HR/NDCG/MRR、平局处理、名次计算、top-k 选择与排除、余弦检索。
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/kernels.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "eval/report.h"
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

// SIMD 内核与朴素实现比较（行数、列数都不是 8 的倍数，覆盖所有尾部分支）。
namespace seqrec {
namespace {

TEST(Kernels, MatvecMatchesNaiveForAllShapes) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  for (int rows : {1, 3, 8, 13, 64}) {
    for (int cols : {1, 7, 8, 20, 64, 70}) {
      std::vector<float> m(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
      for (auto& v : m) v = g(rng);
      for (auto& v : x) v = g(rng);
      matvec(m.data(), rows, cols, x.data(), y.data());
      std::vector<uint16_t> h(m.size());
      for (size_t i = 0; i < m.size(); ++i) h[i] = float_to_half(m[i]);
      std::vector<float> yh(static_cast<size_t>(rows));
      matvec_f16(h.data(), rows, cols, x.data(), yh.data());
      for (int r = 0; r < rows; ++r) {
        double ref = 0, refh = 0;
        for (int c = 0; c < cols; ++c) {
          ref += double(m[r * cols + c]) * x[c];
          refh += double(half_to_float(h[r * cols + c])) * x[c];
        }
        EXPECT_NEAR(y[r], ref, 1e-4 * (1 + std::abs(ref))) << rows << "x" << cols;
        EXPECT_NEAR(yh[r], refh, 1e-4 * (1 + std::abs(refh))) << rows << "x" << cols;
        EXPECT_NEAR(dot(&m[static_cast<size_t>(r * cols)], x.data(), cols), ref, 1e-4 * (1 + std::abs(ref)));
      }
    }
  }
}

TEST(Kernels, HalfConversion) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 0.333333f, 65504.0f, 6.1e-5f, 3.0e-7f, -1e-8f}) {
    const float back = half_to_float(float_to_half(f));
    EXPECT_NEAR(back, f, std::abs(f) * 1e-3 + 6e-8) << f;
  }
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
}

// dropout 的 y = keep ? x·s : +0：按位与的可向量化写法与三元式逐位相同（含负数、−0、无穷、各种尾长）。
TEST(Kernels, MaskedScaleIsBitIdenticalToTheTernary) {
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  for (int n : {1, 3, 7, 8, 9, 31, 64, 1000, 2051}) {
    std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n), 7.0f);
    std::vector<uint8_t> keep(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      x[i] = g(rng);
      keep[i] = static_cast<uint8_t>(rng() % 3 != 0);
    }
    x[0] = -0.0f;
    if (n > 2) x[2] = -std::numeric_limits<float>::infinity();
    const float s = 1.0f / 0.7f;
    masked_scale(x.data(), keep.data(), s, y.data(), n);
    for (int i = 0; i < n; ++i) {
      const float ref = keep[i] ? x[i] * s : 0.0f;
      uint32_t a, b;
      std::memcpy(&a, &y[i], 4);
      std::memcpy(&b, &ref, 4);
      EXPECT_EQ(a, b) << "n " << n << " i " << i;
    }
  }
}

TEST(Kernels, NextAbove) {
  std::vector<float> s(37, 0.0f);
  s[20] = 2.0f;
  s[36] = 3.0f;
  EXPECT_EQ(next_above(s.data(), 0, 37, 1.0f), 20);
  EXPECT_EQ(next_above(s.data(), 21, 37, 1.0f), 36);
  EXPECT_EQ(next_above(s.data(), 0, 37, 5.0f), 37);
}

TEST(ExactIndex, Fp16AgreesWithFp32) {
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  Matrix m;
  m.rows = 500;
  m.cols = 24;
  m.data.resize(500 * 24);
  for (auto& v : m.data) v = g(rng);
  ExactIndex exact(m, true), half(m, true, ScanPrecision::kFp16);
  int same = 0, total = 0;
  for (int t = 0; t < 20; ++t) {
    std::vector<float> q(24);
    for (auto& v : q) v = g(rng);
    auto a = exact.search(q.data(), 10), b = half.search(q.data(), 10);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(a[i].score, b[i].score, 2e-3);
      for (const auto& h : b) same += h.item == a[i].item;
      ++total;
    }
  }
  EXPECT_GE(same, total * 9 / 10);  // 半精度只可能交换得分极接近的物品
}

}  // namespace
}  // namespace seqrec

// int8 粗打分 + fp32 精排：内核与可移植实现逐位一致；检索结果（物品与得分）与 fp32 全量扫描完全相同。
namespace seqrec {
namespace {

TEST(Kernels, MatvecRowIsBitIdenticalToMatvec) {
  std::mt19937 rng(11);
  std::normal_distribution<float> g;
  for (int rows : {1, 9, 17}) {
    for (int cols : {5, 8, 37, 64}) {
      std::vector<float> m(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
      for (auto& v : m) v = g(rng);
      for (auto& v : x) v = g(rng);
      matvec(m.data(), rows, cols, x.data(), y.data());
      for (int r = 0; r < rows; ++r) EXPECT_EQ(matvec_row(&m[static_cast<size_t>(r * cols)], cols, x.data()), y[r]);
    }
  }
}

TEST(Kernels, Int8KernelMatchesPortable) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> byte(0, 255), qv(-int8_query_limit(), int8_query_limit());
  for (int blocks : {1, 3, 4, 9}) {
    for (int groups : {1, 5, 16}) {
      std::vector<uint8_t> p(static_cast<size_t>(blocks * groups * 64));
      for (auto& v : p) v = static_cast<uint8_t>(byte(rng));
      std::vector<int8_t> q(static_cast<size_t>(groups * 4));
      for (auto& v : q) v = static_cast<int8_t>(qv(rng));
      std::vector<int32_t> q4(static_cast<size_t>(groups));
      std::memcpy(q4.data(), q.data(), q.size());
      std::vector<float> scale(static_cast<size_t>(blocks * 16)), a(scale.size()), b(scale.size());
      for (auto& v : scale) v = 0.01f * static_cast<float>(byte(rng) + 1);
      Int8Scan s;
      s.packed = p.data();
      s.blocks = blocks;
      s.groups = groups;
      s.q4 = q4.data();
      s.correction = 1234;
      s.query_scale = 0.37f;
      s.row_scale = scale.data();
      int8_scan(s, a.data());
      int8_scan_portable(s, b.data());
      EXPECT_EQ(a, b) << int8_kernel_name() << " blocks " << blocks << " groups " << groups;
      // 与直接按定义计算的整数和对照一个元素
      int32_t raw = 0;
      for (int g2 = 0; g2 < groups; ++g2)
        for (int t = 0; t < 4; ++t) raw += int32_t(p[static_cast<size_t>(g2 * 64 + t)]) * q[static_cast<size_t>(g2 * 4 + t)];
      EXPECT_EQ(b[0], static_cast<float>(raw - 1234) * (0.37f * scale[0]));
    }
  }
}

// 随机矩阵（含重复行造成的平局、点积相似度下差异很大的范数）上，int8 与 fp32 的结果逐位相同。
void expect_int8_same_as_fp32(bool cosine, int rows, int cols, float norm_spread, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.resize(static_cast<size_t>(rows * cols));
  for (int r = 0; r < rows; ++r) {
    const float s = 1.0f + norm_spread * u(rng);
    for (int c = 0; c < cols; ++c) m.data[static_cast<size_t>(r * cols + c)] = s * g(rng);
  }
  for (int r = 10; r < 20; ++r)  // 重复行：得分完全相同，按下标决胜
    std::copy(m.row(0), m.row(0) + cols, m.row(r));
  ExactIndex f32(m, cosine, ScanPrecision::kFp32), i8(m, cosine, ScanPrecision::kInt8);
  for (int t = 0; t < 50; ++t) {
    std::vector<float> q(static_cast<size_t>(cols));
    for (auto& v : q) v = g(rng);
    if (t == 0) std::copy(m.row(0), m.row(0) + cols, q.begin());  // 查询正对一组平局的物品
    std::vector<int32_t> exclude;
    if (t % 3 == 1)
      for (int e = 0; e < 30; ++e) exclude.push_back(static_cast<int32_t>(rng() % rows));
    for (int k : {1, 10, 50, rows, rows + 5}) {
      auto a = f32.search(q.data(), k, exclude), b = i8.search(q.data(), k, exclude);
      ASSERT_EQ(a.size(), b.size()) << "k " << k;
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].item, b[i].item) << "query " << t << " k " << k << " rank " << i;
        EXPECT_EQ(a[i].score, b[i].score) << "query " << t << " k " << k << " rank " << i;
      }
    }
  }
  // 大多数查询确实走了粗打分 + 精排（而不是每次都退回全量 fp32）。
  const auto st = i8.int8_stats();
  EXPECT_GT(st.searches, 0u);
  EXPECT_LT(st.fallbacks * 2, st.searches) << "fallbacks " << st.fallbacks << " of " << st.searches;
  // 零查询：退回全量 fp32，同样一致。
  std::vector<float> zero(static_cast<size_t>(cols), 0.0f);
  auto a = f32.search(zero.data(), 5), b = i8.search(zero.data(), 5);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].item, b[i].item);
}

TEST(ExactIndex, Int8IsIdenticalToFp32Cosine) { expect_int8_same_as_fp32(true, 3001, 64, 0.0f, 21); }
TEST(ExactIndex, Int8IsIdenticalToFp32OddDims) { expect_int8_same_as_fp32(true, 777, 37, 0.0f, 22); }
TEST(ExactIndex, Int8IsIdenticalToFp32DotWithSpreadNorms) { expect_int8_same_as_fp32(false, 2000, 32, 20.0f, 23); }

TEST(ExactIndex, ParsePrecision) {
  EXPECT_EQ(parse_scan_precision("int8"), ScanPrecision::kInt8);
  EXPECT_EQ(parse_scan_precision("fp16"), ScanPrecision::kFp16);
  EXPECT_THROW(parse_scan_precision("int4"), Error);
}

}  // namespace
// 空分组没有可报告的数：JSON 里是 null，表格里是 n/a，而不是一行 0。
TEST(Metrics, EmptyGroupIsNotZero) {
  const auto m = summarize_ranks({}, {10});
  EXPECT_TRUE(m["HR@10"].is_null());
  EXPECT_EQ(m["cases"].get<size_t>(), 0u);
  const std::string t = metrics_table({{"model, history 0-4 (0)", m}, {"model", summarize_ranks({0, 3}, {10})}}, {10});
  EXPECT_NE(t.find("n/a"), std::string::npos) << t;
  EXPECT_NE(t.find("1.0000"), std::string::npos) << t;
}

}  // namespace seqrec
