// 语义 ID 的测试：唯一、覆盖每个物品、遵守码本与簇大小的上界、确定性，以及前缀树。
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/error.h"
#include "models/semantic_ids.h"
#include "test_util.h"

namespace seqrec {
namespace {

// 有簇结构的随机向量：clusters 个中心，每个物品 = 中心 + 小噪声。
Matrix clustered(int64_t n, int64_t dim, int clusters, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> centers(static_cast<size_t>(clusters * dim));
  for (auto& v : centers) v = g(rng);
  Matrix m;
  m.rows = n;
  m.cols = dim;
  m.data.resize(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) m.data[static_cast<size_t>(i * dim + j)] = centers[static_cast<size_t>((i % clusters) * dim + j)] + 0.1f * g(rng);
  return m;
}

// 约束 k-means：每簇不超过上界；有明显簇结构时把同一中心的点分到同一簇。
TEST(SemanticIds, ConstrainedKmeansRespectsCapacity) {
  const Matrix m = clustered(400, 8, 4, 1);
  std::vector<float> c;
  const auto a = constrained_kmeans(m.data.data(), 400, 8, 4, 100, 20, 7, &c);
  std::map<int32_t, int> load;
  for (int32_t v : a) ++load[v];
  ASSERT_EQ(load.size(), 4u);
  for (auto [k, v] : load) EXPECT_EQ(v, 100);
  for (int64_t i = 4; i < 400; ++i) EXPECT_EQ(a[static_cast<size_t>(i)], a[static_cast<size_t>(i % 4)]) << i;
  EXPECT_EQ(c.size(), 32u);
  // 上界更紧：仍然全部分配且不超界。
  const auto b = constrained_kmeans(m.data.data(), 400, 8, 5, 80, 10, 7, nullptr);
  std::map<int32_t, int> lb;
  for (int32_t v : b) ++lb[v];
  for (auto [k, v] : lb) EXPECT_LE(v, 80);
  EXPECT_THROW(constrained_kmeans(m.data.data(), 400, 8, 3, 100, 10, 7, nullptr), Error);
}

// 检查一组语义 ID 的性质：长度、范围、唯一，以及每层每个前缀下的子节点数不超过 k。
void expect_valid(const SemanticIds& s, int64_t n, int k) {
  ASSERT_EQ(s.num_items(), n);
  std::set<std::vector<int32_t>> uniq;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int32_t> v(s.code(i), s.code(i) + s.length);
    for (int t = 0; t < s.length; ++t) {
      EXPECT_GE(v[static_cast<size_t>(t)], 0);
      EXPECT_LT(v[static_cast<size_t>(t)], s.codebook_sizes[static_cast<size_t>(t)]);
    }
    uniq.insert(v);
  }
  EXPECT_EQ(static_cast<int64_t>(uniq.size()), n) << "semantic ids are not unique";
  for (int t = 0; t < s.length; ++t) EXPECT_LE(s.codebook_sizes[static_cast<size_t>(t)], std::max(k, 1)) << t;
}

// 层次约束 k-means：唯一、覆盖、码本不超过 k、子簇大小不超过 balance 倍平均值。
TEST(SemanticIds, HierarchicalKmeansIsUniqueAndBounded) {
  const int64_t n = 1000;
  const Matrix m = clustered(n, 16, 10, 2);
  SemanticIdOptions opt;
  opt.k = 8;
  opt.levels = 3;
  opt.balance = 1.5;
  const SemanticIds s = build_semantic_ids(m, opt);
  EXPECT_EQ(s.length, 4);  // 1000 > 8³ 个叶子：需要消歧记号
  expect_valid(s, n, opt.k);
  // 第一层每个簇不超过 ceil(1.5 · 1000 / 8) = 188 个物品。
  std::map<int32_t, int> top;
  for (int64_t i = 0; i < n; ++i) ++top[s.code(i)[0]];
  for (auto [k, v] : top) EXPECT_LE(v, 188) << k;
  EXPECT_EQ(s.info["max_leaf_size"].get<int>(), s.codebook_sizes[3]);
  // 同一种子结果相同；往返 JSON 不变。
  const SemanticIds t = build_semantic_ids(m, opt);
  EXPECT_EQ(t.codes, s.codes);
  const SemanticIds u = SemanticIds::from_json(s.to_json(), "sid");
  EXPECT_EQ(u.codes, s.codes);
  EXPECT_EQ(u.length, s.length);
}

// 容量刚好够：k^(levels+1) = 物品数；物品太多时给出清楚的错误。
TEST(SemanticIds, HierarchicalKmeansCapacity) {
  const Matrix m = clustered(64, 4, 3, 3);
  SemanticIdOptions opt;
  opt.k = 4;
  opt.levels = 2;
  opt.balance = 3.0;
  const SemanticIds s = build_semantic_ids(m, opt);
  expect_valid(s, 64, 4);
  const Matrix big = clustered(65, 4, 3, 3);
  try {
    build_semantic_ids(big, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not fit"), std::string::npos) << e.what();
  }
  // 物品很少：叶子各 1 个物品时没有消歧记号。
  const Matrix few = clustered(5, 4, 5, 4);
  opt.levels = 1;
  opt.k = 8;
  const SemanticIds f = build_semantic_ids(few, opt);
  EXPECT_EQ(f.length, 1);
  expect_valid(f, 5, 8);
}

// 残差 k-means：唯一（必要时加消歧记号），同一中心的物品共享第一位。
TEST(SemanticIds, ResidualKmeans) {
  const int64_t n = 600;
  const Matrix m = clustered(n, 16, 6, 5);
  SemanticIdOptions opt;
  opt.method = "rqkmeans";
  opt.k = 6;
  opt.levels = 2;
  const SemanticIds s = build_semantic_ids(m, opt);
  ASSERT_EQ(s.num_items(), n);
  std::set<std::vector<int32_t>> uniq;
  for (int64_t i = 0; i < n; ++i) uniq.insert(std::vector<int32_t>(s.code(i), s.code(i) + s.length));
  EXPECT_EQ(static_cast<int64_t>(uniq.size()), n);
  for (int64_t i = 6; i < n; ++i) EXPECT_EQ(s.code(i)[0], s.code(i % 6)[0]);
  EXPECT_TRUE(s.info.contains("residual_mse"));
}

TEST(SemanticIds, RejectsBadInput) {
  SemanticIdOptions opt;
  opt.k = 1;
  EXPECT_THROW(opt.validate(), Error);
  opt = {};
  opt.method = "pq";
  EXPECT_THROW(opt.validate(), Error);
  Matrix m = clustered(10, 4, 2, 1);
  m.data[3] = std::nanf("");
  EXPECT_THROW(build_semantic_ids(m, SemanticIdOptions{}), Error);
  // 重复的 ID、越界的记号在读入时被发现。
  nlohmann::json j = {{"length", 2}, {"codebook_sizes", {2, 2}}, {"codes", {{0, 1}, {0, 1}}}};
  EXPECT_THROW(SemanticIds::from_json(j, "sid.json"), Error);
  j["codes"] = {{0, 1}, {2, 0}};
  EXPECT_THROW(SemanticIds::from_json(j, "sid.json"), Error);
}

// 前缀树：每个前缀的子记号升序且只含存在的路径，叶子对应唯一物品。
TEST(SemanticIds, TrieFollowsEveryCode) {
  SemanticIds s;
  s.length = 2;
  s.codebook_sizes = {3, 2};
  s.codes = {2, 1, 0, 0, 2, 0, 0, 1};  // 物品 0: (2,1)  1: (0,0)  2: (2,0)  3: (0,1)
  s.check("t");
  const SidTrie trie(s);
  const auto root = trie.children(0);
  ASSERT_EQ(root.size, 2);
  EXPECT_EQ(root.tokens[0], 0);
  EXPECT_EQ(root.tokens[1], 2);
  EXPECT_EQ(trie.child(0, 1), -1);
  for (int32_t item = 0; item < 4; ++item) {
    int32_t node = 0;
    for (int t = 0; t < 2; ++t) node = trie.child(node, s.code(item)[t]);
    EXPECT_EQ(trie.item_of(node), item);
    EXPECT_EQ(trie.leaf_of(item), node);
  }
  EXPECT_EQ(trie.item_of(0), -1);
  // 大一些的随机例子：所有叶子恰好对应所有物品。
  const Matrix m = clustered(300, 8, 7, 9);
  SemanticIdOptions opt;
  opt.k = 5;
  opt.levels = 3;
  const SemanticIds big = build_semantic_ids(m, opt);
  const SidTrie t2(big);
  std::set<int32_t> seen;
  for (int32_t i = 0; i < 300; ++i) {
    int32_t node = 0;
    for (int t = 0; t < big.length; ++t) node = t2.child(node, big.code(i)[t]);
    ASSERT_GE(node, 0);
    seen.insert(t2.item_of(node));
  }
  EXPECT_EQ(seen.size(), 300u);
}

// 两行的余弦（零向量记为 0）。
double row_cos(const Matrix& m, int64_t a, int64_t b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t j = 0; j < m.cols; ++j) {
    ab += static_cast<double>(m.row(a)[j]) * m.row(b)[j];
    aa += static_cast<double>(m.row(a)[j]) * m.row(a)[j];
    bb += static_cast<double>(m.row(b)[j]) * m.row(b)[j];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

// 内容草图：记号相同的物品向量相同；共享记号的物品比不共享的更近；只出现一次的记号不计入（只有这种
// 记号的物品是零向量）；同一种子结果相同；拼接后两部分的范数是 1 与 w。
TEST(SemanticIds, ContentSketchFollowsSharedTokens) {
  std::vector<std::vector<int32_t>> toks = {
      {1, 2, 3}, {1, 2, 3}, {1, 2, 9}, {4, 5, 6}, {4, 5, 6, 6}, {100}, {}, {7, 8}, {7, 8}, {10, 11}, {10, 11}};
  const Matrix s = content_sketch(toks, 64, 7);
  ASSERT_EQ(s.rows, 11);
  ASSERT_EQ(s.cols, 64);
  EXPECT_NEAR(row_cos(s, 0, 1), 1.0, 1e-5);
  EXPECT_GT(row_cos(s, 0, 2), 0.5);
  EXPECT_LT(std::fabs(row_cos(s, 0, 3)), row_cos(s, 0, 2));
  EXPECT_GT(row_cos(s, 3, 4), 0.9);
  for (int64_t r : {5, 6})
    for (int64_t j = 0; j < s.cols; ++j) EXPECT_EQ(s.row(r)[j], 0.0f) << r;
  EXPECT_EQ(content_sketch(toks, 64, 7).data, s.data);
  EXPECT_NE(content_sketch(toks, 64, 8).data, s.data);
  // 拼接：协同向量（这里用草图本身的一个变体）归一化，内容部分范数为 w；零向量保持为零。
  Matrix a;
  a.rows = 11;
  a.cols = 2;
  for (int i = 0; i < 11; ++i) {
    a.data.push_back(static_cast<float>(i + 1));
    a.data.push_back(3.0f);
  }
  const Matrix j = join_item_vectors(a, s, 0.5);
  ASSERT_EQ(j.cols, 66);
  for (int64_t r = 0; r < j.rows; ++r) {
    double na = 0, nb = 0;
    for (int64_t c = 0; c < 2; ++c) na += static_cast<double>(j.row(r)[c]) * j.row(r)[c];
    for (int64_t c = 2; c < 66; ++c) nb += static_cast<double>(j.row(r)[c]) * j.row(r)[c];
    EXPECT_NEAR(na, 1.0, 1e-5) << r;
    EXPECT_NEAR(nb, r == 5 || r == 6 ? 0.0 : 0.25, 1e-5) << r;
  }
}

}  // namespace seqrec
