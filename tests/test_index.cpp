// 检索后端：精确检索的过滤与批量、FAISS（HNSW / IVF）的召回率与过滤保证、索引文件的读写，
// 以及 `seqrec index` 对模型目录的构建、拒绝、删除与服务加载。
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"
#include "data/synthetic.h"
#include "index/exact_index.h"
#include "index/faiss_index.h"
#include "index/model_index.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace seqrec {
namespace {

// 带簇结构的物品向量（像真实的嵌入：簇中心 + 噪声）。
Matrix clustered(int64_t n, int64_t d, int clusters, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd;
  Matrix c;
  c.rows = clusters;
  c.cols = d;
  for (int64_t i = 0; i < clusters * d; ++i) c.data.push_back(nd(g));
  Matrix m;
  m.rows = n;
  m.cols = d;
  m.data.resize(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = static_cast<int64_t>(g() % static_cast<uint64_t>(clusters));
    for (int64_t j = 0; j < d; ++j) m.data[static_cast<size_t>(i * d + j)] = c.row(k)[j] + 0.5f * nd(g);
  }
  return m;
}

// 暴力 top-k（得分降序、下标升序），按过滤条件。
std::vector<int32_t> brute(const ExactIndex& ix, const float* q, int k, const SearchFilter& f) {
  std::vector<float> pq(static_cast<size_t>(ix.dim()));
  ix.prepare_query(q, pq.data());
  std::vector<std::pair<float, int32_t>> all;
  std::set<int32_t> ex(f.exclude.begin(), f.exclude.end());
  std::set<int32_t> al;
  if (f.allow) al.insert(f.allow->begin(), f.allow->end());
  for (int32_t i = 0; i < ix.size(); ++i) {
    if (ex.count(i) || (f.allow && !al.count(i))) continue;
    double s = 0;
    for (int j = 0; j < ix.dim(); ++j) s += double(ix.items().row(i)[j]) * pq[static_cast<size_t>(j)];
    all.push_back({static_cast<float>(s), i});
  }
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<int32_t> out;
  for (size_t i = 0; i < all.size() && static_cast<int>(i) < k; ++i) out.push_back(all[i].second);
  return out;
}

std::vector<int32_t> ids(const std::vector<Hit>& h) {
  std::vector<int32_t> o;
  for (auto& x : h) o.push_back(x.item);
  return o;
}

TEST(ExactRetrieve, FiltersMatchBruteForce) {
  auto ix = std::make_shared<ExactIndex>(clustered(500, 16, 10, 1), true, ScanPrecision::kInt8);
  const Matrix q = clustered(20, 16, 10, 2);
  for (int i = 0; i < q.rows; ++i) {
    SearchFilter f;
    f.exclude = {1, 2, 3, 400, 1000, -5, 2};  // 越界与重复被忽略
    EXPECT_EQ(ids(ix->retrieve(q.row(i), 10, f)), brute(*ix, q.row(i), 10, f));
    f.allow = std::vector<int32_t>{5, 6, 7, 8, 9, 10, 3, 499, 600};
    EXPECT_EQ(ids(ix->retrieve(q.row(i), 4, f)), brute(*ix, q.row(i), 4, f));
    // 白名单中可选的只有 7 个（3 被排除、600 越界）：返回 7 个而不是 10 个。
    EXPECT_EQ(ix->retrieve(q.row(i), 10, f).size(), 7u);
    f.allow = std::vector<int32_t>{};
    EXPECT_TRUE(ix->retrieve(q.row(i), 10, f).empty());
  }
}

TEST(ExactRetrieve, BatchEqualsSingle) {
  auto ix = std::make_shared<ExactIndex>(clustered(3000, 24, 12, 3), false, ScanPrecision::kFp32);
  const Matrix q = clustered(37, 24, 12, 4);
  std::vector<SearchFilter> fs(static_cast<size_t>(q.rows));
  for (size_t i = 0; i < fs.size(); ++i) {
    if (i % 3 == 1) fs[i].exclude = {static_cast<int32_t>(i), 17, 2999};
    if (i % 5 == 2) fs[i].allow = std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  }
  const auto batch = ix->retrieve_batch(q.data.data(), static_cast<int>(q.rows), 10, fs);
  ASSERT_EQ(batch.size(), fs.size());
  for (int i = 0; i < q.rows; ++i) {
    const auto single = ix->retrieve(q.row(i), 10, fs[static_cast<size_t>(i)]);
    ASSERT_EQ(batch[static_cast<size_t>(i)].size(), single.size());
    for (size_t t = 0; t < single.size(); ++t) {
      EXPECT_EQ(batch[static_cast<size_t>(i)][t].item, single[t].item) << i << " " << t;
      EXPECT_NEAR(batch[static_cast<size_t>(i)][t].score, single[t].score, 1e-4);
    }
  }
}

// 两种 FAISS 索引：召回率、过滤保证（总能拿到 k 个）、保存与加载。
class FaissKinds : public ::testing::TestWithParam<std::string> {};

TEST_P(FaissKinds, RecallFiltersAndRoundTrip) {
  auto exact = std::make_shared<ExactIndex>(clustered(4000, 32, 40, 5), true, ScanPrecision::kFp32);
  FaissParams p;
  p.type = GetParam();
  p.nprobe = 16;
  auto ix = FaissIndex::build(exact, p, 2);
  EXPECT_EQ(ix->kind(), GetParam());
  EXPECT_EQ(ix->size(), 4000);
  EXPECT_GT(ix->memory_bytes(), size_t(4000 * 32 * 4));
  const Matrix q = clustered(200, 32, 40, 6);
  EXPECT_GE(recall_at_k(*ix, *exact, q, 10), 0.95);

  // 排除前 500 个真结果中的大部分：仍然返回 k 个，且没有一个被排除或重复。
  for (int i = 0; i < 20; ++i) {
    const auto top = exact->search(q.row(i), 500);
    SearchFilter f;
    for (size_t t = 0; t < top.size(); t += 1) f.exclude.push_back(top[t].item);
    const auto got = ix->retrieve(q.row(i), 10, f);
    ASSERT_EQ(got.size(), 10u);
    std::set<int32_t> seen;
    for (const Hit& h : got) {
      EXPECT_EQ(std::count(f.exclude.begin(), f.exclude.end(), h.item), 0);
      EXPECT_TRUE(seen.insert(h.item).second);
    }
    for (size_t t = 1; t < got.size(); ++t) EXPECT_GE(got[t - 1].score, got[t].score);
  }
  // 大白名单（走 FAISS 选择器）与小白名单（精确子集打分）都只返回允许的物品，且个数正确。
  SearchFilter big;
  big.allow.emplace();
  for (int32_t i = 0; i < 4000; i += 2) big.allow->push_back(i);
  big.exclude = {0, 2, 4};
  const auto gb = ix->retrieve(q.row(0), 25, big);
  ASSERT_EQ(gb.size(), 25u);
  for (const Hit& h : gb) EXPECT_TRUE(h.item % 2 == 0 && h.item > 4);
  SearchFilter small;
  small.allow = std::vector<int32_t>{11, 12, 13};
  EXPECT_EQ(ids(ix->retrieve(q.row(0), 10, small)), brute(*exact, q.row(0), 10, small));

  // 批量（无过滤）与单个一致。
  const auto batch = ix->retrieve_batch(q.data.data(), 8, 10, {});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(ids(batch[static_cast<size_t>(i)]), ids(ix->retrieve(q.row(i), 10, {})));

  // 保存 → 加载：答案相同；物品数不符的模型拒绝加载。
  test::TempDir d;
  ix->save(d.file("x.faiss"));
  auto back = FaissIndex::load(d.file("x.faiss"), exact, p);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ids(back->retrieve(q.row(i), 10, {})), ids(ix->retrieve(q.row(i), 10, {})));
  auto other = std::make_shared<ExactIndex>(clustered(100, 32, 4, 7), true, ScanPrecision::kFp32);
  EXPECT_THROW(FaissIndex::load(d.file("x.faiss"), other, p), Error);
  FaissParams wrong = p;
  wrong.type = GetParam() == "hnsw" ? "ivf" : "hnsw";
  EXPECT_THROW(FaissIndex::load(d.file("x.faiss"), exact, wrong), Error);
  write_file_atomic(d.file("junk.faiss"), "not an index at all");
  EXPECT_THROW(FaissIndex::load(d.file("junk.faiss"), exact, p), Error);
}

INSTANTIATE_TEST_SUITE_P(Index, FaissKinds, ::testing::Values("hnsw", "ivf"));

TEST(FaissParams, ValidationAndJson) {
  FaissParams p;
  p.type = "lsh";
  EXPECT_THROW(p.validate(), Error);
  p.type = "hnsw";
  p.ef_search = 0;
  EXPECT_THROW(p.validate(), Error);
  p.ef_search = 64;
  p.hnsw_m = 12;
  EXPECT_EQ(FaissParams::from_json(p.to_json()).hnsw_m, 12);
  EXPECT_THROW(FaissParams::from_json(nlohmann::json{{"type", "hnsw"}, {"hnsw_m", "x"}}), Error);
  EXPECT_EQ(p.resolved_nlist(10000), 256);
  EXPECT_EQ(p.resolved_nlist(10), 1);
}

// 在训练好的小模型目录上：构建、登记、服务加载、拒绝低召回、删除，以及损坏的索引文件被拒绝。
TEST(ModelIndex, BuildRefuseRemoveAndServe) {
  test::TempDir d;
  const std::string model = d.file("model");
  auto [rc, out] = test::train_tiny(d, 300, 400, 8, 15, model);
  ASSERT_EQ(rc, 0) << out;
  const std::string manifest_before = read_file(model + "/manifest.json");

  // 只查 1 个桶的 IVF：召回率低于阈值 → 拒绝，目录不变；--on-low-recall warn 则照样写入并带上警告。
  auto [rc1, out1] = test::run_cli("index --model " + model + " --type ivf --nlist 9 --nprobe 1");
  EXPECT_EQ(rc1, 1) << out1;
  EXPECT_NE(out1.find("below --min-recall"), std::string::npos) << out1;
  EXPECT_TRUE(read_file(model + "/manifest.json") == manifest_before);
  for (auto& e : fs::directory_iterator(model)) EXPECT_NE(e.path().extension(), ".faiss") << e.path();
  const std::string v0 = ModelBundle::load(model)->version;
  auto [rcw, outw] = test::run_cli("index --model " + model + " --type ivf --nlist 9 --nprobe 1 --on-low-recall warn");
  EXPECT_EQ(rcw, 0) << outw;
  EXPECT_NE(outw.find("warning: recall@10"), std::string::npos) << outw;
  EXPECT_TRUE(nlohmann::json::parse(read_file(model + "/manifest.json"))["index"].contains("warning"));

  // 正常构建：manifest 登记索引段与带校验和的文件，召回率来自 queries.npy。
  auto [rc2, out2] = test::run_cli("index --model " + model + " --type hnsw", true);
  ASSERT_EQ(rc2, 0) << out2;
  auto m = nlohmann::json::parse(read_file(model + "/manifest.json"));
  ASSERT_TRUE(m.contains("index"));
  EXPECT_EQ(m["index"]["type"], "hnsw");
  EXPECT_GE(m["index"]["recall_at_10"].get<double>(), 0.95);
  EXPECT_NE(m["index"]["recall_query_source"].get<std::string>().find("queries.npy"), std::string::npos);
  const std::string file = m["index"]["file"];
  EXPECT_TRUE(m["files"].contains(file));
  EXPECT_TRUE(fs::exists(model + "/" + file));

  auto b = ModelBundle::load(model);
  EXPECT_EQ(b->retriever->kind(), "hnsw");
  auto bx = ModelBundle::load(model, BundleOptions{ScanPrecision::kFp32, "exact", 0, 0});
  EXPECT_EQ(bx->retriever->kind(), "exact");
  EXPECT_NE(b->version, v0);  // 目录内容变了（多了索引），版本随之改变
  // 同一请求：HNSW 与精确检索在这个小目录上给出相同的答案（召回率 1）。
  RecommendRequest r;
  r.user_id = b->users.id(1);
  r.recent_clicks = {b->items.id(3), b->items.id(4)};
  r.top_k = 5;
  EXPECT_EQ(recommend(*b, r)["recommended_item_ids"], recommend(*bx, r)["recommended_item_ids"]);

  // 换成 IVF：旧索引文件被删除，manifest 只引用新文件。
  auto [rc3, out3] = test::run_cli("index --model " + model + " --type ivf --nprobe 64", true);
  ASSERT_EQ(rc3, 0) << out3;
  auto m2 = nlohmann::json::parse(read_file(model + "/manifest.json"));
  EXPECT_EQ(m2["index"]["type"], "ivf");
  EXPECT_FALSE(fs::exists(model + "/" + file));
  EXPECT_EQ(ModelBundle::load(model)->retriever->kind(), "ivf");

  // --type exact：删除索引，恢复精确检索。
  auto [rc4, out4] = test::run_cli("index --model " + model + " --type exact");
  ASSERT_EQ(rc4, 0) << out4;
  EXPECT_EQ(ModelBundle::load(model)->retriever->kind(), "exact");
  EXPECT_FALSE(nlohmann::json::parse(read_file(model + "/manifest.json")).contains("index"));
  for (auto& e : fs::directory_iterator(model)) EXPECT_NE(e.path().extension(), ".faiss") << e.path();

  // 索引文件被改坏：校验和不符，拒绝加载；`seqrec index` 也先校验目录，拒绝改动。
  auto [rc5, out5] = test::run_cli("index --model " + model + " --type ivf --nprobe 64", true);
  ASSERT_EQ(rc5, 0) << out5;
  const std::string f2 = nlohmann::json::parse(read_file(model + "/manifest.json"))["index"]["file"];
  {
    std::fstream f(model + "/" + f2, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x55');
  }
  EXPECT_THROW(ModelBundle::load(model), Error);
  auto [rc6, out6] = test::run_cli("index --model " + model + " --type exact");
  EXPECT_EQ(rc6, 1);
  EXPECT_NE(out6.find("corrupt"), std::string::npos) << out6;
}

}  // namespace
}  // namespace seqrec

namespace seqrec {
namespace {

// 内积相似度的模型（SASRec）：精确检索借用模型自己的物品表，答案与自己持有一份副本时相同。
TEST(ModelIndex, DotModelsShareTheItemTable) {
  test::TempDir d;
  const std::string model = d.file("sasrec");
  auto [rc, out] = test::train_tiny(d, 200, 150, 6, 12, model, "--epochs 1 --model sasrec --heads 1");
  ASSERT_EQ(rc, 0) << out;
  auto b = ModelBundle::load(model);
  ASSERT_TRUE(b->exact->borrowed());
  EXPECT_EQ(b->exact->items().data, b->model->item_table());
  ExactIndex own(npy_load(model + "/item_embeddings.npy"), false, ScanPrecision::kFp32);
  EXPECT_FALSE(own.borrowed());
  std::vector<float> q(static_cast<size_t>(b->model->dim()));
  for (int32_t u = 0; u < 20; ++u) {
    const int32_t clicks[2] = {u % 150, (u * 7) % 150};
    b->model->encode(u, clicks, 2, q.data());
    const auto x = b->exact->search(q.data(), 10), y = own.search(q.data(), 10);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i].item, y[i].item);
  }
}

}  // namespace
}  // namespace seqrec
