// 生成式检索模型的测试：原生推理与 LibTorch 训练模块逐层一致；约束束搜索只生成真实物品、
// 足够宽时与穷举一致、排除的物品不出现且仍返回 top_k 个。
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/safetensors.h"
#include "data/csv_reader.h"
#include "data/synthetic.h"
#include "eval/evaluator.h"
#include "eval/generative_eval.h"
#include "train/genrec_trainer.h"
#include "models/genrec_native.h"
#include "models/genrec_torch.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "test_util.h"

namespace seqrec {
namespace {

// 一个随机初始化的小模型及其配套数据。
struct Fixture {
  GenRecConfig cfg;
  SemanticIds sids;
  ItemTokens content;
  GenRecNet net{nullptr};
  std::unique_ptr<GenRecModel> native;
};

Fixture make_fixture(bool with_content, bool sid_input = false, bool pos_from_end = false,
                     bool sid_input_only = false, bool content_pool = false) {
  Fixture f;
  f.cfg.num_items = 30;
  f.cfg.num_users = 10;
  f.cfg.content_vocab = with_content ? 20 : 0;
  f.cfg.content_len = 3;
  f.cfg.max_len = 5;
  f.cfg.index_users = 2;
  f.cfg.dim = 16;
  f.cfg.heads = 2;
  f.cfg.ffn_dim = 32;
  f.cfg.enc_layers = 2;
  f.cfg.dec_layers = 2;
  // 语义 ID：随机向量上的层次 k-means（k = 4，2 层 + 消歧）。
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g(0, 1);
  Matrix e;
  e.rows = 30;
  e.cols = 8;
  for (int i = 0; i < 240; ++i) e.data.push_back(g(rng));
  SemanticIdOptions so;
  so.k = 4;
  so.levels = 2;
  f.sids = build_semantic_ids(e, so);
  f.cfg.codebook_sizes = f.sids.codebook_sizes;
  f.cfg.sid_input = sid_input;
  f.cfg.pos_from_end = pos_from_end;
  f.cfg.sid_input_only = sid_input_only;
  f.cfg.content_pool = content_pool;
  f.content.resize(30);
  if (with_content)
    for (int i = 0; i < 30; ++i)
      for (int k = 0; k < i % 4; ++k) f.content[static_cast<size_t>(i)].push_back(f.cfg.content_offset() + (i * 7 + k) % 20);
  torch::manual_seed(3);
  f.net = GenRecNet(f.cfg, 0.0, &f.sids, &f.content);
  f.net->eval();
  // 让 LayerNorm 与偏置不是平凡的初值，比对更有力。
  {
    torch::NoGradGuard ng;
    for (auto& p : f.net->parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  TensorMap w = f.net->to_tensors();
  w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
  f.native = std::make_unique<GenRecModel>(GenRecModel::from_tensors(w, f.cfg, f.sids));
  return f;
}

// 原生的编码与教师强制解码与 LibTorch 一致；批内填充不影响结果。
TEST(GenRec, NativeMatchesTorch) {
  // 变体 5、6：内容取平均（content_pool），6 再加 sid_input_only 与 pos_from_end。
  for (int variant = 0; variant < 7; ++variant) {
    const bool with_content = variant != 1, sid_input = variant >= 2 && variant != 5;
    const bool pos_from_end = variant >= 3 && variant != 5, sid_input_only = variant == 4 || variant == 6;
    const bool content_pool = variant >= 5;
    Fixture f = make_fixture(with_content, sid_input, pos_from_end, sid_input_only, content_pool);
    const std::vector<int32_t> h1 = {3, 17, 8, 22, 5, 11}, h2 = {9};
    const auto t1 = rec_input(f.cfg, f.content, h1.data(), h1.size());
    const auto t2 = rec_input(f.cfg, f.content, h2.data(), h2.size());
    const int64_t T = static_cast<int64_t>(t1.size());
    auto tokens = torch::zeros({2, T}, torch::kInt64);
    for (size_t i = 0; i < t1.size(); ++i) tokens[0][static_cast<int64_t>(i)] = t1[i];
    for (size_t i = 0; i < t2.size(); ++i) tokens[1][static_cast<int64_t>(i)] = t2[i];
    const int32_t target = 14;
    auto codes = torch::zeros({2, f.cfg.levels()}, torch::kInt64);
    for (int t = 0; t < f.cfg.levels(); ++t) codes[0][t] = codes[1][t] = f.sids.code(target)[t];
    torch::NoGradGuard ng;
    {
      // 物品索引任务的一行（物品侧输入）：原生与 LibTorch 的编码也一致。
      const std::vector<int32_t> users = {1, 4};
      const auto ti = index_input(f.cfg, f.content, 17, users.data(), users.size());
      auto it = torch::zeros({1, static_cast<int64_t>(ti.size())}, torch::kInt64);
      for (size_t i = 0; i < ti.size(); ++i) it[0][static_cast<int64_t>(i)] = ti[i];
      auto im = f.net->encode(it, nullptr);
      std::vector<float> memory;
      f.native->encode(ti.data(), static_cast<int>(ti.size()), &memory);
      for (size_t j = 0; j < ti.size(); ++j)
        for (int c = 0; c < f.cfg.dim; ++c)
          ASSERT_NEAR(memory[j * f.cfg.dim + static_cast<size_t>(c)], im[0][static_cast<int64_t>(j)][c].item<float>(), 1e-4)
              << "index row, variant " << variant;
    }
    auto mem = f.net->encode(tokens, nullptr);
    auto logits = f.net->decode(mem, tokens, codes, nullptr);
    for (int row = 0; row < 2; ++row) {
      const auto& tk = row == 0 ? t1 : t2;
      std::vector<float> memory;
      f.native->encode(tk.data(), static_cast<int>(tk.size()), &memory);
      for (size_t j = 0; j < tk.size(); ++j)
        for (int c = 0; c < f.cfg.dim; ++c)
          ASSERT_NEAR(memory[j * f.cfg.dim + static_cast<size_t>(c)], mem[row][static_cast<int64_t>(j)][c].item<float>(), 1e-4);
      const auto nl = f.native->decode_logits(memory, static_cast<int>(tk.size()), f.sids.code(target));
      size_t off = 0;
      for (int t = 0; t < f.cfg.levels(); ++t) {
        for (int k = 0; k < f.cfg.codebook_sizes[static_cast<size_t>(t)]; ++k)
          EXPECT_NEAR(nl[off + static_cast<size_t>(k)], logits[static_cast<size_t>(t)][row][k].item<float>(), 1e-4)
              << "content " << with_content << " sid_input " << sid_input << " pos_from_end " << pos_from_end << " only " << sid_input_only
              << " pool " << content_pool << " row " << row << " level " << t;
        off += static_cast<size_t>(f.cfg.codebook_sizes[static_cast<size_t>(t)]);
      }
    }
  }
}

// 两个原生模型对同一编码器输入的输出之差（逐元素绝对值的最大值）。
float max_encode_diff(const GenRecModel& a, const GenRecModel& b, const std::vector<int32_t>& tk) {
  std::vector<float> x, y;
  a.encode(tk.data(), static_cast<int>(tk.size()), &x);
  b.encode(tk.data(), static_cast<int>(tk.size()), &y);
  float m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

// sid_input：推荐任务输入的物品记号加上语义 ID 的码本嵌入（改变编码结果），物品索引任务的输入不受影响；
// 缺少语义 ID 时训练模块拒绝构建。
TEST(GenRec, SidInputAddsCodebookEmbeddingsToRecInputsOnly) {
  Fixture f = make_fixture(true, true);
  TensorMap w = f.net->to_tensors();
  w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
  GenRecConfig plain_cfg = f.cfg;
  plain_cfg.sid_input = false;
  const GenRecModel plain = GenRecModel::from_tensors(w, plain_cfg, f.sids);
  auto max_diff = [&](const std::vector<int32_t>& tk) { return max_encode_diff(*f.native, plain, tk); };
  const std::vector<int32_t> hist = {3, 17, 8};
  EXPECT_GT(max_diff(rec_input(f.cfg, f.content, hist.data(), hist.size())), 1e-3f);
  const std::vector<int32_t> users = {1, 4};
  EXPECT_EQ(max_diff(index_input(f.cfg, f.content, 17, users.data(), users.size())), 0.0f);
  // 配置文件里记下了这个选项，读回来仍是它；旧的配置（没有这一项）读作关闭。
  EXPECT_TRUE(GenRecConfig::from_json(f.cfg.to_json()).sid_input);
  auto old_json = f.cfg.to_json();
  old_json.erase("sid_input");
  EXPECT_FALSE(GenRecConfig::from_json(old_json).sid_input);
  EXPECT_THROW(GenRecNet(f.cfg, 0.0), Error);
}

// sid_input_only：物品记号自己的嵌入在推荐任务与物品索引任务的输入里都不起作用（改它不改编码），
// 索引输入仍随用户记号变化；没有 sid_input 时配置被拒绝；配置读写保留这个选项，旧配置读作关闭。
TEST(GenRec, SidInputOnlyDropsTheItemTokenFromAllInputs) {
  Fixture f = make_fixture(true, true, false, true);
  TensorMap w = f.net->to_tensors();
  w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
  Tensor& te = w.at("tok_emb.weight");
  const size_t d = static_cast<size_t>(f.cfg.dim);
  const int32_t item = 17;
  // 不是常数的改动（常数偏移会被 LayerNorm 抵消）。
  for (size_t c = 0; c < d; ++c) te.data[static_cast<size_t>(f.cfg.item_offset() + item) * d + c] += c % 2 ? 0.5f : -0.5f;
  const GenRecModel changed = GenRecModel::from_tensors(w, f.cfg, f.sids);
  auto max_diff = [&](const std::vector<int32_t>& tk) { return max_encode_diff(*f.native, changed, tk); };
  const std::vector<int32_t> hist = {3, item, 8};
  EXPECT_EQ(max_diff(rec_input(f.cfg, f.content, hist.data(), hist.size())), 0.0f);
  const std::vector<int32_t> users = {1, 4};
  EXPECT_EQ(max_diff(index_input(f.cfg, f.content, item, users.data(), users.size())), 0.0f);
  // 同一物品、换一个用户：索引输入的编码随之改变（用户记号仍在起作用）。
  const std::vector<int32_t> other_users = {2, 4};
  std::vector<float> a, b;
  const auto ia = index_input(f.cfg, f.content, item, users.data(), users.size());
  const auto ib = index_input(f.cfg, f.content, item, other_users.data(), other_users.size());
  f.native->encode(ia.data(), static_cast<int>(ia.size()), &a);
  f.native->encode(ib.data(), static_cast<int>(ib.size()), &b);
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  EXPECT_GT(m, 1e-3f);
  EXPECT_TRUE(GenRecConfig::from_json(f.cfg.to_json()).sid_input_only);
  auto old_json = f.cfg.to_json();
  old_json.erase("sid_input_only");
  EXPECT_FALSE(GenRecConfig::from_json(old_json).sid_input_only);
  GenRecConfig bad = f.cfg;
  bad.sid_input = false;
  EXPECT_THROW(bad.validate(), Error);
}

// pos_from_end：位置从最后一个记号往前数。长度为 n 的输入，等同于从前往后数、但位置嵌入前 n 行倒序的模型；
// 配置里记下了这个选项，旧的配置读作关闭。
TEST(GenRec, PosFromEndCountsBackFromTheLastToken) {
  Fixture f = make_fixture(true, false, true);
  const std::vector<int32_t> hist = {3, 17, 8, 22};
  const auto tk = rec_input(f.cfg, f.content, hist.data(), hist.size());
  const int n = static_cast<int>(tk.size());
  TensorMap w = f.net->to_tensors();
  w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
  const std::string key = w.count("pos_emb.weight") ? "pos_emb.weight" : "pos_emb";
  Tensor& pe = w.at(key);
  const size_t d = static_cast<size_t>(f.cfg.dim);
  ASSERT_GE(pe.shape.at(0), n);
  std::vector<float> rev(pe.data);
  for (int i = 0; i < n; ++i)
    std::copy_n(pe.data.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(n - 1 - i) * d), d,
                rev.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * d));
  GenRecConfig front_cfg = f.cfg;
  front_cfg.pos_from_end = false;
  const GenRecModel front = GenRecModel::from_tensors(w, front_cfg, f.sids);
  pe.data = rev;
  const GenRecModel front_rev = GenRecModel::from_tensors(w, front_cfg, f.sids);
  EXPECT_LT(max_encode_diff(*f.native, front_rev, tk), 1e-5f);
  EXPECT_GT(max_encode_diff(*f.native, front, tk), 1e-3f);
  EXPECT_TRUE(GenRecConfig::from_json(f.cfg.to_json()).pos_from_end);
  auto old_json = f.cfg.to_json();
  old_json.erase("pos_from_end");
  EXPECT_FALSE(GenRecConfig::from_json(old_json).pos_from_end);
}

// 每个物品的生成得分（各层 log-softmax 之和），用于穷举对照。
std::vector<float> exhaustive_scores(const Fixture& f, const std::vector<int32_t>& hist) {
  const auto tk = rec_input(f.cfg, f.content, hist.data(), hist.size());
  std::vector<float> memory;
  f.native->encode(tk.data(), static_cast<int>(tk.size()), &memory);
  std::vector<float> out;
  for (int32_t i = 0; i < f.cfg.num_items; ++i) {
    const auto lg = f.native->decode_logits(memory, static_cast<int>(tk.size()), f.sids.code(i));
    float s = 0;
    size_t off = 0;
    for (int t = 0; t < f.cfg.levels(); ++t) {
      const int K = f.cfg.codebook_sizes[static_cast<size_t>(t)];
      float mx = -1e30f;
      for (int k = 0; k < K; ++k) mx = std::max(mx, lg[off + static_cast<size_t>(k)]);
      double z = 0;
      for (int k = 0; k < K; ++k) z += std::exp(lg[off + static_cast<size_t>(k)] - mx);
      s += lg[off + static_cast<size_t>(f.sids.code(i)[t])] - mx - static_cast<float>(std::log(z));
      off += static_cast<size_t>(K);
    }
    out.push_back(s);
  }
  return out;
}

// 足够宽的束搜索 = 穷举；窄的束也只给出真实、不重复、按得分降序的物品。
TEST(GenRec, BeamSearchIsExactWhenWideAndValidWhenNarrow) {
  Fixture f = make_fixture(true);
  const std::vector<int32_t> hist = {4, 12, 25};
  const auto all = exhaustive_scores(f, hist);
  std::vector<int32_t> order(30);
  for (int i = 0; i < 30; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return all[static_cast<size_t>(a)] > all[static_cast<size_t>(b)]; });
  const auto wide = f.native->generate(hist.data(), hist.size(), 10, 30);
  ASSERT_EQ(wide.size(), 10u);
  for (size_t r = 0; r < 10; ++r) {
    EXPECT_EQ(wide[r].item, order[r]) << r;
    EXPECT_NEAR(wide[r].score, all[static_cast<size_t>(order[r])], 1e-4);
  }
  const auto narrow = f.native->generate(hist.data(), hist.size(), 5, 2);  // beam < top_k：按 top_k
  ASSERT_EQ(narrow.size(), 5u);
  std::set<int32_t> seen;
  for (size_t r = 0; r < narrow.size(); ++r) {
    EXPECT_TRUE(seen.insert(narrow[r].item).second);
    EXPECT_GE(narrow[r].item, 0);
    EXPECT_LT(narrow[r].item, 30);
    EXPECT_NEAR(narrow[r].score, all[static_cast<size_t>(narrow[r].item)], 1e-4);
    if (r) EXPECT_GE(narrow[r - 1].score, narrow[r].score);
  }
}

// 稠密头（LIGER 式）：原生的稠密 log 概率与 LibTorch 的 last_state · item_vectors 一致；dense_mix = 0 即束搜索，
// = 1 即稠密得分的 top_k；其间每个结果的得分 = (1 - m)·精确生成 log 概率 + m·稠密 log 概率，束宽覆盖全部物品时
// 与穷举的混合排序一致，窄束时束外的稠密候选也按精确生成 log 概率计分；排除的物品不出现；没有稠密头的模型
// 不能取稠密得分。
TEST(GenRec, DenseHeadMatchesTorchAndMixesWithTheBeam) {
  for (int variant = 0; variant < 2; ++variant) {
    Fixture f = variant == 0 ? make_fixture(true, true, true, true, true) : make_fixture(false);
    const std::vector<int32_t> hist = {3, 17, 8, 22};
    std::vector<float> memory, dlp;
    const auto tk = rec_input(f.cfg, f.content, hist.data(), hist.size());
    f.native->encode(tk.data(), static_cast<int>(tk.size()), &memory);
    EXPECT_THROW(f.native->dense_log_probs(memory, static_cast<int>(tk.size()), &dlp), Error);
    f.cfg.dense_head = true;
    TensorMap w = f.net->to_tensors();
    w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
    f.native = std::make_unique<GenRecModel>(GenRecModel::from_tensors(w, f.cfg, f.sids));
    f.native->dense_log_probs(memory, static_cast<int>(tk.size()), &dlp);
    {
      // 一批两行（第二行更短，右侧填充）：LibTorch 取每行最后一个非 PAD 记号。
      torch::NoGradGuard ng;
      const std::vector<int32_t> h2 = {9};
      const auto t2 = rec_input(f.cfg, f.content, h2.data(), h2.size());
      auto tokens = torch::zeros({2, static_cast<int64_t>(tk.size())}, torch::kInt64);
      for (size_t i = 0; i < tk.size(); ++i) tokens[0][static_cast<int64_t>(i)] = tk[i];
      for (size_t i = 0; i < t2.size(); ++i) tokens[1][static_cast<int64_t>(i)] = t2[i];
      auto lp = torch::log_softmax(
          torch::matmul(GenRecNetImpl::last_state(f.net->encode(tokens, nullptr), tokens), f.net->item_vectors().t()), 1);
      std::vector<float> m2, d2;
      f.native->encode(t2.data(), static_cast<int>(t2.size()), &m2);
      f.native->dense_log_probs(m2, static_cast<int>(t2.size()), &d2);
      for (int i = 0; i < 30; ++i) {
        ASSERT_NEAR(dlp[static_cast<size_t>(i)], lp[0][i].item<float>(), 1e-4) << "variant " << variant << " item " << i;
        ASSERT_NEAR(d2[static_cast<size_t>(i)], lp[1][i].item<float>(), 1e-4) << "variant " << variant << " item " << i;
      }
    }
    const auto all = exhaustive_scores(f, hist);
    auto ranked = [&](double m, const std::vector<int32_t>& cand) {
      std::vector<std::pair<float, int32_t>> v;
      for (int32_t i : cand)
        v.push_back({static_cast<float>(1 - m) * all[static_cast<size_t>(i)] + static_cast<float>(m) * dlp[static_cast<size_t>(i)], i});
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      return v;
    };
    std::vector<int32_t> every(30);
    for (int i = 0; i < 30; ++i) every[static_cast<size_t>(i)] = i;
    // dense_mix = 0：与不给时的束搜索逐项相同。
    const auto g0 = f.native->generate(hist.data(), hist.size(), 6, 8, nullptr, 0.0);
    const auto plain = f.native->generate(hist.data(), hist.size(), 6, 8);
    ASSERT_EQ(g0.size(), plain.size());
    for (size_t r = 0; r < g0.size(); ++r) EXPECT_EQ(g0[r].item, plain[r].item);
    // dense_mix = 1：稠密得分的 top_k。
    const auto d1 = f.native->generate(hist.data(), hist.size(), 6, 8, nullptr, 1.0);
    const auto want1 = ranked(1.0, every);
    ASSERT_EQ(d1.size(), 6u);
    for (size_t r = 0; r < 6; ++r) {
      EXPECT_EQ(d1[r].item, want1[r].second) << r;
      EXPECT_NEAR(d1[r].score, want1[r].first, 1e-5);
    }
    // 束宽覆盖全部物品：混合排序与穷举一致。
    const auto wide = f.native->generate(hist.data(), hist.size(), 10, 30, nullptr, 0.4);
    const auto want = ranked(0.4, every);
    ASSERT_EQ(wide.size(), 10u);
    for (size_t r = 0; r < 10; ++r) {
      EXPECT_EQ(wide[r].item, want[r].second) << "variant " << variant << " rank " << r;
      EXPECT_NEAR(wide[r].score, want[r].first, 1e-4);
    }
    // 窄束（宽 3）：候选 = 束搜索的 3 个 ∪ 稠密得分最高的 3 个，每个按精确的混合得分排序。
    const auto beam3 = f.native->generate(hist.data(), hist.size(), 3, 3);
    std::set<int32_t> cand;
    for (const auto& h : beam3) cand.insert(h.item);
    for (size_t r = 0; r < 3; ++r) cand.insert(want1[r].second);
    const auto want3 = ranked(0.5, std::vector<int32_t>(cand.begin(), cand.end()));
    const auto narrow = f.native->generate(hist.data(), hist.size(), 3, 3, nullptr, 0.5);
    ASSERT_EQ(narrow.size(), 3u);
    for (size_t r = 0; r < 3; ++r) {
      EXPECT_EQ(narrow[r].item, want3[r].second) << "variant " << variant << " rank " << r;
      EXPECT_NEAR(narrow[r].score, want3[r].first, 1e-4);
    }
    // 排除：被排除的物品（混合排序的前 4 个）不出现，仍返回 top_k 个，即去掉它们之后的排序。
    const std::vector<int32_t> ex = {want[0].second, want[1].second, want[2].second, want[3].second};
    const auto rest = f.native->generate(hist.data(), hist.size(), 5, 30, &ex, 0.4);
    ASSERT_EQ(rest.size(), 5u);
    for (size_t r = 0; r < 5; ++r) EXPECT_EQ(rest[r].item, want[r + 4].second) << r;
    EXPECT_THROW(f.native->generate(hist.data(), hist.size(), 5, 30, nullptr, 1.5), Error);
    // 束外候选的教师强制（复用束搜索算过的前缀）与束搜索本身给同一物品的生成 log 概率逐位相同：
    // 宽 30 时每个物品都来自束搜索，宽 3 时稠密候选多在束外。
    const auto c30 = f.native->hybrid_candidates(hist.data(), hist.size(), 30, nullptr, true);
    const auto c3 = f.native->hybrid_candidates(hist.data(), hist.size(), 3, nullptr, true);
    std::map<int32_t, float> gen30;
    for (const auto& c : c30) {
      EXPECT_TRUE(c.from_beam);
      gen30[c.item] = c.gen;
    }
    int teacher_forced = 0;
    for (const auto& c : c3) {
      ASSERT_TRUE(gen30.count(c.item));
      EXPECT_EQ(c.gen, gen30[c.item]) << "item " << c.item << (c.from_beam ? " (beam)" : " (teacher-forced)");
      teacher_forced += c.from_beam ? 0 : 1;
    }
    EXPECT_GT(teacher_forced, 0);
  }
}

// 排除在搜索内部生效：被排除的物品不出现，仍返回 top_k 个（与去掉这些物品后的穷举一致）；
// 剩下的物品不足 top_k 时返回全部剩余。
TEST(GenRec, ExclusionInsideTheSearch) {
  Fixture f = make_fixture(true);
  const std::vector<int32_t> hist = {7, 1};
  const auto all = exhaustive_scores(f, hist);
  const auto top = f.native->generate(hist.data(), hist.size(), 3, 30);
  std::vector<int32_t> ex = {top[0].item, top[1].item, top[2].item};
  const auto rest = f.native->generate(hist.data(), hist.size(), 10, 30, &ex);
  ASSERT_EQ(rest.size(), 10u);
  std::vector<int32_t> order;
  for (int i = 0; i < 30; ++i)
    if (std::find(ex.begin(), ex.end(), i) == ex.end()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return all[static_cast<size_t>(a)] > all[static_cast<size_t>(b)]; });
  for (size_t r = 0; r < 10; ++r) EXPECT_EQ(rest[r].item, order[r]) << r;
  std::vector<int32_t> most;
  for (int i = 2; i < 30; ++i) most.push_back(i);
  const auto two = f.native->generate(hist.data(), hist.size(), 10, 4, &most);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(std::set<int32_t>({two[0].item, two[1].item}), std::set<int32_t>({0, 1}));
}

// content_pool：输入序列里不再有内容记号（每个物品一个位置）；物品的内容经平均进入它的输入向量，
// 推荐与物品索引两种任务都受内容嵌入影响，没有内容的物品不受影响；配置读写保留选项，旧配置读作关闭；
// 没有内容时配置被拒绝，训练模块缺内容表时拒绝构建。
TEST(GenRec, ContentPoolAddsMeanContentEmbeddingToItemTokens) {
  Fixture f = make_fixture(true, true, false, true, true);
  const std::vector<int32_t> hist = {3, 17, 8};
  const auto tk = rec_input(f.cfg, f.content, hist.data(), hist.size());
  EXPECT_EQ(tk, (std::vector<int32_t>{GenRecConfig::kRec, f.cfg.item_offset() + 3, f.cfg.item_offset() + 17,
                                      f.cfg.item_offset() + 8}));
  EXPECT_EQ(f.cfg.max_rec_tokens(), 1 + f.cfg.max_len);
  const std::vector<int32_t> users = {1, 4};
  EXPECT_EQ(index_input(f.cfg, f.content, 17, users.data(), users.size()).size(), 1u + 1u + 2u);
  // 改物品 17 的第一个内容记号的嵌入（17 % 4 = 1：它有一个内容记号）。
  ASSERT_EQ(f.content[17].size(), 1u);
  TensorMap w = f.net->to_tensors();
  w["content_tokens"] = content_tokens_tensor(f.cfg, f.content);
  Tensor& te = w.at("tok_emb.weight");
  const size_t d = static_cast<size_t>(f.cfg.dim);
  for (size_t c = 0; c < d; ++c) te.data[static_cast<size_t>(f.content[17][0]) * d + c] += c % 2 ? 0.5f : -0.5f;
  const GenRecModel changed = GenRecModel::from_tensors(w, f.cfg, f.sids);
  auto max_diff = [&](const std::vector<int32_t>& t) { return max_encode_diff(*f.native, changed, t); };
  EXPECT_GT(max_diff(tk), 1e-3f);
  EXPECT_GT(max_diff(index_input(f.cfg, f.content, 17, users.data(), users.size())), 1e-3f);
  // 物品 4 没有内容（4 % 4 = 0），物品 13 的内容记号是另一个：它们的编码不变。
  ASSERT_TRUE(f.content[4].empty());
  ASSERT_EQ(f.content[13].size(), 1u);
  ASSERT_NE(f.content[13][0], f.content[17][0]);
  const std::vector<int32_t> other = {4, 13};
  EXPECT_EQ(max_diff(rec_input(f.cfg, f.content, other.data(), other.size())), 0.0f);
  EXPECT_TRUE(GenRecConfig::from_json(f.cfg.to_json()).content_pool);
  auto old_json = f.cfg.to_json();
  old_json.erase("content_pool");
  EXPECT_FALSE(GenRecConfig::from_json(old_json).content_pool);
  GenRecConfig bad = f.cfg;
  bad.content_vocab = 0;
  EXPECT_THROW(bad.validate(), Error);
  EXPECT_THROW(GenRecNet(f.cfg, 0.0, &f.sids), Error);
}

// 输入拼装：只取最近 max_len 个物品；内容记号截到 content_len；物品索引任务的用户数有上限。
TEST(GenRec, EncoderInputs) {
  GenRecConfig c;
  c.num_items = 10;
  c.num_users = 4;
  c.content_vocab = 6;
  c.content_len = 2;
  c.max_len = 2;
  c.index_users = 1;
  c.codebook_sizes = {3, 4};
  ItemTokens content(10);
  content[1] = {4, 5, 6};
  content[2] = {7};
  const std::vector<int32_t> h = {0, 1, 2};
  const auto t = rec_input(c, content, h.data(), h.size());
  const int io = c.item_offset();
  EXPECT_EQ(t, (std::vector<int32_t>{GenRecConfig::kRec, 4, 5, io + 1, 7, io + 2}));
  const std::vector<int32_t> users = {3, 0};
  EXPECT_EQ(index_input(c, content, 2, users.data(), 2), (std::vector<int32_t>{GenRecConfig::kIdx, 7, io + 2, c.user_offset() + 3}));
  EXPECT_EQ(c.max_rec_tokens(), 1 + 2 * 3);
  c.content_vocab = 0;
  EXPECT_EQ(rec_input(c, content, h.data(), h.size()), (std::vector<int32_t>{GenRecConfig::kRec, c.item_offset() + 1, c.item_offset() + 2}));
}

// 命令行全流程：LightGCN → colarec（带文本内容）→ 加载服务 → 推荐（排除、黑名单、白名单）→ eval；
// 向量索引对生成式模型给出清楚的错误；缺 --sid-from 时也一样。
TEST(GenRec, CliTrainServeAndEval) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 150, 60, 6, 12);
  {
    std::ofstream c(dir.file("content.json"));
    c << "{";
    for (int i = 0; i < 60; ++i)
      c << (i ? "," : "") << "\"" << i << "\": {\"title\": \"gadget model" << i << " for group" << i % 6
        << "\", \"brand\": \"brand" << i % 4 << "\"}";
    c << "}";
  }
  const std::string lg = dir.file("lgcn"), gm = dir.file("gen");
  auto [rc1, log1] = test::run_cli("train --model lightgcn --data " + dir.file("ratings.csv") + " --out " + lg +
                                   " --epochs 2 --dim 8 --quiet");
  ASSERT_EQ(rc1, 0) << log1;
  auto [rc2, log2] = test::run_cli("train --model colarec --data " + dir.file("ratings.csv") + " --out " + gm +
                                   " --content " + dir.file("content.json") + " --sid-from " + lg +
                                   " --sid-k 4 --sid-levels 2 --vocab-size 40 --epochs 2 --eval-every 1 --dim 16 "
                                   "--heads 2 --ffn-dim 32 --layers 1 --dec-layers 1 --max-len 5 --beam 10 --quiet" +
                                   std::string(test::kSentencePieceLoadable ? "" : " --tokenizer word"));
  ASSERT_EQ(rc2, 0) << log2;
  EXPECT_NE(log2.find(test::kSentencePieceLoadable ? "unigram tokenizer" : "word tokenizer"), std::string::npos) << log2;
  EXPECT_NE(log2.find("by history length"), std::string::npos) << log2;
  auto b = ModelBundle::load(gm);
  ASSERT_TRUE(b->generative);
  EXPECT_EQ(b->manifest["model_type"], "colarec");
  EXPECT_FALSE(b->manifest.value("blas", "").empty());  // 训练所用的 BLAS 与内核
  EXPECT_EQ(b->beam, 10);
  EXPECT_EQ(b->index_kind(), "beam_search");
  EXPECT_TRUE(b->manifest["files"].contains("tokenizer.bin"));
  RecommendRequest req;
  req.user_id = b->users.id(0);
  req.recent_clicks = {b->items.id(1), b->items.id(2), "no-such-item"};
  req.top_k = 8;
  auto r = recommend(*b, req);
  EXPECT_EQ(r["strategy"], "model");
  ASSERT_EQ(r["recommended_item_ids"].size(), 8u);
  EXPECT_EQ(r["unknown_clicks"].size(), 1u);
  const std::string first = r["recommended_item_ids"][0];
  req.exclude_clicked = true;
  req.deny_items = {first};
  auto r2 = recommend(*b, req);
  ASSERT_EQ(r2["recommended_item_ids"].size(), 8u);
  for (const auto& id : r2["recommended_item_ids"]) {
    EXPECT_NE(id, first);
    EXPECT_NE(id, b->items.id(1));
    EXPECT_NE(id, b->items.id(2));
  }
  // 白名单：3 个既没被点击、也不在黑名单中的物品。
  std::vector<std::string> allow;
  for (int32_t i = 5; allow.size() < 3; ++i)
    if (b->items.id(i) != first) allow.push_back(b->items.id(i));
  req.allow_items = allow;
  auto r3 = recommend(*b, req);
  EXPECT_EQ(r3["recommended_item_ids"].size(), 3u);
  // 没有已知点击：生成式模型不用用户 ID，回退到最热门。
  RecommendRequest empty;
  empty.user_id = b->users.id(0);
  EXPECT_EQ(recommend(*b, empty)["strategy"], "most_popular");
  auto batch = recommend_batch(*b, {req, empty});
  r3.erase("model_version");  // 批量响应只在外层给出模型版本
  EXPECT_EQ(batch["results"][0], r3);
  EXPECT_EQ(batch["results"][1]["strategy"], "most_popular");
  auto [rc3, ev] = test::run_cli("eval --model " + gm + " --ks 5,10 --json", true);
  ASSERT_EQ(rc3, 0) << ev;
  auto j = nlohmann::json::parse(ev);
  EXPECT_EQ(j["model_type"], "colarec");
  EXPECT_EQ(j["beam"], 10);
  EXPECT_GT(j["model"]["HR@10"].get<double>(), 0.0);
  auto [rc4, bad] = test::run_cli("index --model " + gm + " --type hnsw");
  EXPECT_NE(rc4, 0);
  EXPECT_NE(bad.find("beam search"), std::string::npos) << bad;
  auto [rc5, bad2] = test::run_cli("train --model colarec --data " + dir.file("ratings.csv") + " --out " + dir.file("x") +
                                   " --epochs 1 --quiet");
  EXPECT_NE(rc5, 0);
  EXPECT_NE(bad2.find("--sid-from"), std::string::npos) << bad2;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  // 内容只用于语义 ID（--content-len 0 --sid-content-weight）：模型输入没有内容，不存分词器，
  // 语义 ID 记下权重；--content-pool 训练出内容取平均的模型；--content-len 0 而不用于语义 ID 是错误。
  const std::string small = " --sid-from " + lg + " --content " + dir.file("content.json") +
                            " --sid-k 4 --sid-levels 2 --vocab-size 40 --epochs 1 --dim 16 --heads 2 --ffn-dim 32 "
                            "--layers 1 --dec-layers 1 --max-len 5 --beam 10 --quiet" +
                            std::string(test::kSentencePieceLoadable ? "" : " --tokenizer word");
  const std::string gi = dir.file("gen_ids"), gp = dir.file("gen_pool");
  auto [rc6, log6] = test::run_cli("train --model colarec --data " + dir.file("ratings.csv") + " --out " + gi + small +
                                   " --content-len 0 --sid-content-weight 1 --sid-input-only");
  ASSERT_EQ(rc6, 0) << log6;
  auto bi = ModelBundle::load(gi);
  EXPECT_EQ(bi->manifest["model"]["content_vocab"], 0);
  EXPECT_FALSE(bi->manifest["files"].contains("tokenizer.bin"));
  const auto sj = nlohmann::json::parse(read_file(gi + "/semantic_ids.json"));
  EXPECT_EQ(sj["info"]["content_weight"].get<double>(), 1.0);
  RecommendRequest q;
  q.recent_clicks = {b->items.id(1), b->items.id(2)};
  q.top_k = 5;
  EXPECT_EQ(recommend(*bi, q)["recommended_item_ids"].size(), 5u);
  auto [rc7, log7] = test::run_cli("train --model colarec --data " + dir.file("ratings.csv") + " --out " + gp + small +
                                   " --content-pool --content-len 6");
  ASSERT_EQ(rc7, 0) << log7;
  auto bp = ModelBundle::load(gp);
  EXPECT_TRUE(bp->manifest["model"]["content_pool"].get<bool>());
  EXPECT_GT(bp->manifest["model"]["content_vocab"].get<int>(), 0);
  EXPECT_EQ(recommend(*bp, q)["recommended_item_ids"].size(), 5u);
  auto [rc8, bad3] = test::run_cli("train --model colarec --data " + dir.file("ratings.csv") + " --out " +
                                   dir.file("y") + small + " --content-len 0");
  EXPECT_NE(rc8, 0);
  EXPECT_NE(bad3.find("--sid-content-weight"), std::string::npos) << bad3;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y")));
}

// 命令行测试的共同准备：在 dir 里写合成数据 ratings.csv，并训练一个 1 轮的 LightGCN（lgcn，语义 ID 的来源）。
void write_data_and_lightgcn(test::TempDir& dir, int users, int items, int groups, double mean_length) {
  test::write_synthetic_csv(dir.file("ratings.csv"), users, items, groups, mean_length);
  auto [rc, log] = test::run_cli("train --model lightgcn --data " + dir.file("ratings.csv") + " --out " +
                                 dir.file("lgcn") + " --epochs 1 --dim 8 --quiet");
  ASSERT_EQ(rc, 0) << log;
}

// 小模型 colarec 训练的公共参数：write_data_and_lightgcn 写下的数据与语义 ID 来源、每层 4 个码、d 16、
// 编码与解码各 1 块、max_len 5、束宽 10；训练 epochs 轮、只在最后一轮验证。extra 是测试自己的选项。
std::string small_colarec_flags(test::TempDir& dir, int epochs, const std::string& extra) {
  const std::string e = std::to_string(epochs);
  return " --data " + dir.file("ratings.csv") + " --sid-from " + dir.file("lgcn") + " --sid-k 4" + extra +
         " --epochs " + e + " --eval-every " + e +
         " --dim 16 --heads 2 --ffn-dim 32 --layers 1 --dec-layers 1 --max-len 5 --beam 10 --quiet";
}

// 训练日志（train_log.jsonl）第一行记下的第一轮训练损失：同一种子下比较两次训练，看某个选项是否真的作用在损失上。
double first_epoch_loss(const std::string& model_dir) {
  const std::string log = read_file(model_dir + "/train_log.jsonl");
  return nlohmann::json::parse(log.substr(0, log.find('\n')))["loss"].get<double>();
}

// 稠密头测试的共同准备：写合成数据与 LightGCN，训练两个小模型：dir/dense（--w-dense 1，记录的 mix 0.3）与
// dir/plain（没有稠密头）。small 非空时得到小模型的训练参数，测试自己再训练别的模型时用。
void train_dense_and_plain(test::TempDir& dir, std::string* small = nullptr) {
  ASSERT_NO_FATAL_FAILURE(write_data_and_lightgcn(dir, 150, 60, 6, 12));
  const std::string flags = small_colarec_flags(dir, 4, " --sid-input-only");
  if (small) *small = flags;
  auto [rc0, log0] =
      test::run_cli("train --model colarec --out " + dir.file("dense") + flags + " --w-dense 1 --dense-mix 0.3");
  ASSERT_EQ(rc0, 0) << log0;
  auto [rc1, log1] = test::run_cli("train --model colarec --out " + dir.file("plain") + flags);
  ASSERT_EQ(rc1, 0) << log1;
}

// --w-dense：训练出带稠密头的模型，清单记下 dense_head 与 dense_mix，服务与评估默认用记录的比例，
// eval --dense-mix 可以覆盖（纯稠密检索在有顺序结构的合成数据上胜过最热门）；没有稠密头的模型给
// --dense-mix 报错；比例越界报错。
TEST(GenRec, CliDenseHead) {
  test::TempDir dir;
  std::string small;
  ASSERT_NO_FATAL_FAILURE(train_dense_and_plain(dir, &small));
  const std::string gd = dir.file("dense"), g0 = dir.file("plain");
  auto b = ModelBundle::load(gd);
  EXPECT_TRUE(b->manifest["model"]["dense_head"].get<bool>());
  EXPECT_DOUBLE_EQ(b->manifest["generative"]["dense_mix"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(b->manifest["generative"]["w_dense"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(b->dense_mix, 0.3);
  RecommendRequest q;
  q.recent_clicks = {b->items.id(1), b->items.id(2)};
  q.top_k = 7;
  EXPECT_EQ(recommend(*b, q)["recommended_item_ids"].size(), 7u);
  BundleOptions bo;
  bo.dense_mix = 1;
  EXPECT_DOUBLE_EQ(ModelBundle::load(gd, bo)->dense_mix, 1.0);
  auto [rc3, ev] = test::run_cli("eval --model " + gd + " --ks 10 --json --dense-mix 1", true);
  ASSERT_EQ(rc3, 0) << ev;
  auto j = nlohmann::json::parse(ev);
  EXPECT_DOUBLE_EQ(j["dense_mix"].get<double>(), 1.0);
  EXPECT_GT(j["model"]["HR@10"].get<double>(), j["most_popular"]["HR@10"].get<double>()) << ev;
  auto [rc4, ev0] = test::run_cli("eval --model " + gd + " --ks 10 --json --dense-mix 0", true);
  ASSERT_EQ(rc4, 0) << ev0;
  EXPECT_NE(nlohmann::json::parse(ev0)["model"], j["model"]);  // 纯束搜索与纯稠密检索是两种排序
  // 一次评估多个比例：每个比例的结果与单独评估它相同（第一个也是主结果）。
  auto [rc8, evs] = test::run_cli("eval --model " + gd + " --ks 10 --json --dense-mix 1,0,0.3", true);
  ASSERT_EQ(rc8, 0) << evs;
  const auto js = nlohmann::json::parse(evs);
  ASSERT_EQ(js["dense_mix_sweep"].size(), 3u);
  EXPECT_EQ(js["model"], j["model"]);
  EXPECT_EQ(js["dense_mix_sweep"][0]["model"], j["model"]);
  EXPECT_EQ(js["dense_mix_sweep"][1]["model"], nlohmann::json::parse(ev0)["model"]);
  auto [rc9, ev3] = test::run_cli("eval --model " + gd + " --ks 10 --json", true);  // 默认：训练时记录的 0.3
  ASSERT_EQ(rc9, 0) << ev3;
  EXPECT_EQ(js["dense_mix_sweep"][2]["model"], nlohmann::json::parse(ev3)["model"]);
  EXPECT_FALSE(nlohmann::json::parse(ev3).contains("dense_mix_sweep"));
  auto [rc10, e10] = test::run_cli("eval --model " + gd + " --ks 10 --dense-mix 0,x");
  EXPECT_NE(rc10, 0);
  EXPECT_NE(e10.find("'x' is not a number in [0, 1]"), std::string::npos) << e10;
  // 没有稠密头的模型：清单里没有这两项，--dense-mix 报错。
  auto b0 = ModelBundle::load(g0);
  EXPECT_FALSE(b0->manifest["model"]["dense_head"].get<bool>());
  EXPECT_FALSE(b0->manifest["generative"].contains("dense_mix"));
  EXPECT_DOUBLE_EQ(b0->dense_mix, 0.0);
  for (const char* m : {"0.5", "0,0.5"}) {
    auto [rc6, e6] = test::run_cli("eval --model " + g0 + " --ks 10 --dense-mix " + m);
    EXPECT_NE(rc6, 0);
    EXPECT_NE(e6.find("no dense head"), std::string::npos) << e6;
  }
  auto [rc7, e7] = test::run_cli("train --model colarec --out " + dir.file("x") + small + " --w-dense 1 --dense-mix 2");
  EXPECT_NE(rc7, 0);
  EXPECT_NE(e7.find("--dense-mix"), std::string::npos) << e7;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
}

// eval --choose-mix：在验证集上评估几个比例，把指标最高的（并列取靠前的）连同依据写进 manifest.json；之后 eval 与
// 服务默认用它，模型版本随之改变，files 表不变。在测试集上选、只给一个比例、指标不在 --ks 里、模型没有稠密头时
// 报错且 manifest 一字不变；manifest 在读入之后被改过时 edit_manifest 拒绝覆盖。
TEST(GenRec, CliChooseMix) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(train_dense_and_plain(dir));
  const std::string gd = dir.file("dense"), g0 = dir.file("plain");
  const auto before = ModelBundle::load(gd);
  const auto raw0 = nlohmann::ordered_json::parse(read_file(gd + "/manifest.json"));
  auto [rc1, out1] = test::run_cli(
      "eval --model " + gd + " --split valid --ks 5,10 --json --dense-mix 0,1,0.5 --choose-mix ndcg@10", true);
  ASSERT_EQ(rc1, 0) << out1;
  const auto j = nlohmann::json::parse(out1);
  size_t best = 0;
  for (size_t k = 1; k < 3; ++k)
    if (j["dense_mix_sweep"][k]["model"]["NDCG@10"].get<double>() > j["dense_mix_sweep"][best]["model"]["NDCG@10"].get<double>())
      best = k;
  const double want = j["dense_mix_sweep"][best]["dense_mix"].get<double>();
  EXPECT_DOUBLE_EQ(j["dense_mix_chosen"]["dense_mix"].get<double>(), want);
  EXPECT_EQ(j["dense_mix_chosen"]["metric"], "NDCG@10");
  const auto after = ModelBundle::load(gd);  // 仍能通过全部校验
  EXPECT_DOUBLE_EQ(after->dense_mix, want);  // 0.3 不在候选里，所以这里必然变了
  const auto& choice = after->manifest["generative"]["dense_mix_choice"];
  EXPECT_EQ(choice["split"], "valid");
  EXPECT_EQ(choice["metric"], "NDCG@10");
  EXPECT_DOUBLE_EQ(choice["previous_dense_mix"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(choice["value"].get<double>(), j["dense_mix_sweep"][best]["model"]["NDCG@10"].get<double>());
  EXPECT_EQ(choice["candidates"].size(), 3u);
  EXPECT_EQ(choice["beam"], 10);  // 训练时记录的束宽（不小于最大的 K）
  EXPECT_FALSE(choice["exclude_history"].get<bool>());
  EXPECT_NE(after->version, before->version);
  EXPECT_EQ(after->manifest["files"], before->manifest["files"]);
  // 除了 generative 里这两项，文件逐字不变（键的顺序也不变；新键排在 generative 的末尾）。
  auto raw1 = nlohmann::ordered_json::parse(read_file(gd + "/manifest.json"));
  EXPECT_EQ(raw1["generative"].begin().key(), raw0["generative"].begin().key());
  std::string last_key;
  for (auto it = raw1["generative"].begin(); it != raw1["generative"].end(); ++it) last_key = it.key();
  EXPECT_EQ(last_key, "dense_mix_choice");
  raw1["generative"].erase("dense_mix_choice");
  raw1["generative"]["dense_mix"] = raw0["generative"]["dense_mix"];
  EXPECT_EQ(raw1.dump(2), raw0.dump(2));
  // 之后不给 --dense-mix 的评估就用选出的比例，结果与扫描里那一项相同。
  auto [rc2, out2] = test::run_cli("eval --model " + gd + " --split valid --ks 5,10 --json", true);
  ASSERT_EQ(rc2, 0) << out2;
  const auto j2 = nlohmann::json::parse(out2);
  EXPECT_DOUBLE_EQ(j2["dense_mix"].get<double>(), want);
  EXPECT_EQ(j2["model"], j["dense_mix_sweep"][best]["model"]);
  // 错误的用法：清楚地报错，manifest 不动。
  const std::string raw = read_file(gd + "/manifest.json");
  struct Bad {
    std::string args;
    const char* message;
  };
  for (const Bad& c : {Bad{gd + " --ks 10 --dense-mix 0,1 --choose-mix NDCG@10", "add --split valid"},
                       Bad{gd + " --split valid --ks 10 --dense-mix 1 --choose-mix NDCG@10", "at least two"},
                       Bad{gd + " --split valid --ks 10 --dense-mix 0,1 --choose-mix NDCG@20", "not a metric"},
                       Bad{gd + " --split valid --ks 10 --dense-mix 0,1 --choose-mix recall@10", "not a metric"},
                       Bad{g0 + " --split valid --ks 10 --dense-mix 0,0 --choose-mix HR@10", "has no dense head"}}) {
    auto [rc, e] = test::run_cli("eval --model " + c.args);
    EXPECT_NE(rc, 0) << c.args;
    EXPECT_NE(e.find(c.message), std::string::npos) << e;
  }
  EXPECT_EQ(read_file(gd + "/manifest.json"), raw);
  // edit_manifest：版本不是读入时的那一份，或要改 files 表、格式版本，都不写。
  auto set_zero = [](nlohmann::ordered_json& m) { m["generative"]["dense_mix"] = 0.0; };
  EXPECT_THROW(edit_manifest(gd, before->version, set_zero), Error);
  EXPECT_THROW(edit_manifest(gd, after->version, [](nlohmann::ordered_json& m) { m["files"].erase("popularity.json"); }),
               Error);
  EXPECT_THROW(edit_manifest(gd, after->version, [](nlohmann::ordered_json& m) { m["format_version"] = 2; }), Error);
  EXPECT_EQ(read_file(gd + "/manifest.json"), raw);
  edit_manifest(gd, after->version, set_zero);
  EXPECT_DOUBLE_EQ(ModelBundle::load(gd)->dense_mix, 0.0);
}

// --dense-dropout：只在训练稠密头时对被打分的物品向量做 dropout。清单只在开启时记下它；同一种子下第一轮的
// 损失必然与不开时不同（掩码确实作用在损失上），而评估与服务照常；没有稠密头或概率越界时报错且不留产物。
TEST(GenRec, CliDenseDropout) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_data_and_lightgcn(dir, 100, 40, 4, 10));
  const std::string small = small_colarec_flags(dir, 2, " --sid-input-only");
  const std::string g0 = dir.file("g0"), g1 = dir.file("g1");
  auto [rc0, log0] = test::run_cli("train --model colarec --out " + g0 + small + " --w-dense 1");
  ASSERT_EQ(rc0, 0) << log0;
  auto [rc1, log1] = test::run_cli("train --model colarec --out " + g1 + small + " --w-dense 1 --dense-dropout 0.5");
  ASSERT_EQ(rc1, 0) << log1;
  auto b0 = ModelBundle::load(g0), b1 = ModelBundle::load(g1);
  EXPECT_FALSE(b0->manifest["generative"].contains("dense_dropout"));  // 默认关闭时不写，旧清单不变
  EXPECT_DOUBLE_EQ(b1->manifest["generative"]["dense_dropout"].get<double>(), 0.5);
  EXPECT_GT(std::abs(first_epoch_loss(g1) - first_epoch_loss(g0)), 1e-3);
  RecommendRequest q;
  q.recent_clicks = {b1->items.id(1), b1->items.id(2)};
  q.top_k = 5;
  EXPECT_EQ(recommend(*b1, q)["recommended_item_ids"].size(), 5u);
  struct Bad {
    const char* flags;
    const char* message;
  };
  for (const Bad& c : {Bad{" --dense-dropout 0.3", "--dense-dropout needs --w-dense > 0"},
                       Bad{" --w-dense 1 --dense-dropout 1", "--dense-dropout must be in [0, 1)"},
                       Bad{" --w-dense 1 --dense-dropout -0.1", "--dense-dropout must be in [0, 1)"}}) {
    auto [rc, e] = test::run_cli("train --model colarec --out " + dir.file("x") + small + c.flags);
    EXPECT_NE(rc, 0) << c.flags;
    EXPECT_NE(e.find(c.message), std::string::npos) << e;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  }
}

// --dense-id-dropout：item_vectors(id_scale) 只缩放物品记号自己的那一部分。全 1 时与不给相同；全 0 时只剩码本与
// 内容部分（= 把物品记号行清零后的 item_vectors）；逐行缩放时每行按自己的系数插值，其他部分不动。
TEST(GenRec, ItemVectorsScaleOnlyTheItemsOwnToken) {
  Fixture f = make_fixture(true, true, false, true, true);
  torch::NoGradGuard ng;
  const int64_t I = f.cfg.num_items;
  auto full = f.net->item_vectors();
  EXPECT_TRUE(torch::allclose(f.net->item_vectors(torch::ones({I, 1})), full));
  auto own = f.net->tok_emb->weight.slice(0, f.cfg.item_offset(), f.cfg.item_offset() + I).clone();
  ASSERT_GT(own.abs().max().item<float>(), 0.01f);
  auto rest = full - own;
  EXPECT_TRUE(torch::allclose(f.net->item_vectors(torch::zeros({I, 1})), rest, 1e-5, 1e-6));
  auto scale = torch::arange(I, torch::kFloat32).remainder(3).unsqueeze(1);  // 0, 1, 2, 0, 1, 2, ...
  auto v = f.net->item_vectors(scale);
  for (int64_t i = 0; i < I; ++i)
    ASSERT_TRUE(torch::allclose(v[i], rest[i] + own[i] * static_cast<float>(i % 3), 1e-5, 1e-6)) << "item " << i;
}

// --dense-id-dropout 的命令行：清单只在开启时记下它；关掉其他一切 dropout 后，同一种子的两次训练第一轮损失
// 逐位相同，而加上它就不同（只有它的掩码能造成差别，证明它确实作用在损失上）；评估与服务照常；没有稠密头、
// 概率越界、或物品向量只有物品记号时报错且不留产物。
TEST(GenRec, CliDenseIdDropout) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_data_and_lightgcn(dir, 100, 40, 4, 10));
  const std::string small = small_colarec_flags(dir, 2, " --sid-input-only");
  const std::string base = small + " --w-dense 1 --dropout 0";
  const std::string g0 = dir.file("g0"), g0b = dir.file("g0b"), g1 = dir.file("g1");
  for (const auto& [out, extra] : {std::pair{g0, std::string()}, std::pair{g0b, std::string()},
                                   std::pair{g1, std::string(" --dense-id-dropout 0.5")}}) {
    auto [rc, log] = test::run_cli("train --model colarec --out " + out + base + extra);
    ASSERT_EQ(rc, 0) << log;
  }
  auto b0 = ModelBundle::load(g0), b1 = ModelBundle::load(g1);
  EXPECT_FALSE(b0->manifest["generative"].contains("dense_id_dropout"));  // 默认关闭时不写，旧清单不变
  EXPECT_DOUBLE_EQ(b1->manifest["generative"]["dense_id_dropout"].get<double>(), 0.5);
  EXPECT_EQ(first_epoch_loss(g0b), first_epoch_loss(g0));
  EXPECT_NE(first_epoch_loss(g1), first_epoch_loss(g0));
  RecommendRequest q;
  q.recent_clicks = {b1->items.id(1), b1->items.id(2)};
  q.top_k = 5;
  EXPECT_EQ(recommend(*b1, q)["recommended_item_ids"].size(), 5u);
  // 没有码本与内容部分的物品向量：--sid-input-only 换成什么都不加，且不给内容。
  const std::string plain = small_colarec_flags(dir, 2, "");
  struct Bad {
    std::string flags;
    const char* message;
  };
  for (const Bad& c : {Bad{small + " --dense-id-dropout 0.3", "--dense-id-dropout needs --w-dense > 0"},
                       Bad{small + " --w-dense 1 --dense-id-dropout 1", "--dense-id-dropout must be in [0, 1)"},
                       Bad{small + " --w-dense 1 --dense-id-dropout -0.2", "--dense-id-dropout must be in [0, 1)"},
                       Bad{plain + " --w-dense 1 --dense-id-dropout 0.3", "--dense-id-dropout needs --sid-input"}}) {
    auto [rc, e] = test::run_cli("train --model colarec --out " + dir.file("x") + c.flags);
    EXPECT_NE(rc, 0) << c.flags;
    EXPECT_NE(e.find(c.message), std::string::npos) << c.flags << "\n" << e;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  }
}

// --history-item-dropout：只在开启时写进清单；关闭时两次训练的首轮损失完全相同，开启后（其他 dropout 全关，
// 只有删历史物品能造成差别）首轮损失改变；删到几乎只剩最近一次点击（0.95）也照常训练、照常推荐；
// 超出 [0, 1) 清楚地报错且不留下输出目录。
TEST(GenRec, CliHistoryItemDropout) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_data_and_lightgcn(dir, 100, 40, 4, 10));
  const std::string base = small_colarec_flags(dir, 2, " --sid-input-only") + " --dropout 0";
  const std::string h0 = dir.file("h0"), h0b = dir.file("h0b"), h1 = dir.file("h1"), h9 = dir.file("h9");
  for (const auto& [out, extra] : {std::pair{h0, std::string()}, std::pair{h0b, std::string()},
                                   std::pair{h1, std::string(" --history-item-dropout 0.5")},
                                   std::pair{h9, std::string(" --history-item-dropout 0.95")}}) {
    auto [rc, log] = test::run_cli("train --model colarec --out " + out + base + extra);
    ASSERT_EQ(rc, 0) << log;
  }
  auto b0 = ModelBundle::load(h0), b1 = ModelBundle::load(h1), b9 = ModelBundle::load(h9);
  EXPECT_FALSE(b0->manifest["generative"].contains("history_item_dropout"));  // 默认关闭时不写，旧清单不变
  EXPECT_DOUBLE_EQ(b1->manifest["generative"]["history_item_dropout"].get<double>(), 0.5);
  EXPECT_EQ(first_epoch_loss(h0b), first_epoch_loss(h0));
  EXPECT_NE(first_epoch_loss(h1), first_epoch_loss(h0));
  EXPECT_NE(first_epoch_loss(h9), first_epoch_loss(h1));
  RecommendRequest q;
  q.recent_clicks = {b9->items.id(1), b9->items.id(2), b9->items.id(3)};
  q.top_k = 5;
  EXPECT_EQ(recommend(*b9, q)["recommended_item_ids"].size(), 5u);
  for (const char* bad : {" --history-item-dropout 1", " --history-item-dropout -0.1"}) {
    auto [rc, e] = test::run_cli("train --model colarec --out " + dir.file("x") + base + bad);
    EXPECT_NE(rc, 0) << bad;
    EXPECT_NE(e.find("--history-item-dropout must be in [0, 1)"), std::string::npos) << bad << "\n" << e;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  }
  // colarec 的选项给别的模型：报错并列出它们，而不是默默忽略。
  auto [rc, e] = test::run_cli("train --model sasrec --data " + dir.file("ratings.csv") + " --out " + dir.file("x") +
                               " --epochs 1 --quiet --history-item-dropout 0.2 --beam 5");
  EXPECT_NE(rc, 0);
  EXPECT_NE(e.find("--history-item-dropout, --beam apply only to --model colarec (got --model sasrec)"),
            std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
  // 测得更差的选项在 --help 里单独成组，给别的模型时同样被拒绝。
  const std::string help = test::run_cli("train --help", true).second;
  const size_t exp = help.find("colarec, experimental (measured worse");
  ASSERT_NE(exp, std::string::npos) << help;
  for (const char* flag : {"--pos-from-end", "--dense-id-dropout", "--sid-input "})
    EXPECT_GT(help.find(flag), exp) << flag;
  EXPECT_LT(help.find("--sid-input-only"), exp);
  auto [rc2, e2] = test::run_cli("train --model gru4rec --data " + dir.file("ratings.csv") + " --out " + dir.file("x") +
                                 " --epochs 1 --quiet --pos-from-end");
  EXPECT_NE(rc2, 0);
  EXPECT_NE(e2.find("--pos-from-end applies only to --model colarec"), std::string::npos) << e2;
}

// --init-from：沿用来源的结构、内容与语义 ID，从它的权重接着训练（学习率极小时导出的权重几乎不变，
// 证明确实载入了而不是随机初始化）；来源不是 colarec、数据不同、或同时给了 --content 时清楚地报错。
TEST(GenRec, CliInitFromContinuesAModel) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 120, 40, 4, 10);
  test::write_synthetic_csv(dir.file("other.csv"), 100, 40, 4, 10);
  {
    std::ofstream c(dir.file("content.json"));
    c << "{";
    for (int i = 0; i < 40; ++i) c << (i ? "," : "") << "\"" << i << "\": \"thing" << i % 7 << " kind" << i % 4 << "\"";
    c << "}";
  }
  const std::string data = " --data " + dir.file("ratings.csv");
  const std::string lg = dir.file("lgcn"), gm = dir.file("gen"), gm2 = dir.file("gen2");
  auto [rc1, log1] = test::run_cli("train --model lightgcn" + data + " --out " + lg + " --epochs 1 --dim 8 --quiet");
  ASSERT_EQ(rc1, 0) << log1;
  const std::string small = " --epochs 1 --dim 16 --heads 2 --ffn-dim 32 --layers 1 --dec-layers 1 --max-len 5 --beam 10 --quiet";
  auto [rc2, log2] = test::run_cli("train --model colarec" + data + " --out " + gm + " --content " +
                                   dir.file("content.json") + " --tokenizer word --sid-from " + lg + " --sid-k 4 --sid-input" +
                                   " --pos-from-end" + small);
  ASSERT_EQ(rc2, 0) << log2;
  // 重复来源自己的结构、内容与语义 ID 选项（同样的值）照常接受；其余结构以来源为准。
  auto [rc3, log3] = test::run_cli("train --model colarec" + data + " --out " + gm2 + " --init-from " + gm +
                                   " --lr 1e-9 --dropout 0 --epochs 1 --dim 16 --heads 2 --sid-input --sid-k 4 "
                                   "--content " + dir.file("content.json") + " --sid-from " + lg + " --quiet");
  ASSERT_EQ(rc3, 0) << log3;
  EXPECT_NE(log3.find("init from"), std::string::npos) << log3;
  auto b1 = ModelBundle::load(gm), b2 = ModelBundle::load(gm2);
  ASSERT_TRUE(b2->generative);
  EXPECT_EQ(b1->manifest["model"]["sid_input"], true);
  EXPECT_EQ(b1->manifest["model"]["pos_from_end"], true);
  EXPECT_EQ(b2->manifest["model"], b1->manifest["model"]);  // sid_input、pos_from_end 随来源沿用
  EXPECT_EQ(b2->manifest["init_from"]["dir"], gm);
  EXPECT_EQ(b2->manifest["init_from"]["model_version"], b1->version);
  EXPECT_EQ(read_file(gm2 + "/semantic_ids.json"), read_file(gm + "/semantic_ids.json"));
  EXPECT_EQ(read_file(gm2 + "/tokenizer.bin"), read_file(gm + "/tokenizer.bin"));
  const auto w1 = safetensors_decode(read_file(gm + "/model.safetensors"), "w1");
  const auto w2 = safetensors_decode(read_file(gm2 + "/model.safetensors"), "w2");
  ASSERT_EQ(w1.size(), w2.size());
  for (const auto& [name, t] : w1) {
    ASSERT_EQ(w2.at(name).shape, t.shape) << name;
    float diff = 0;
    for (size_t k = 0; k < t.data.size(); ++k) diff = std::max(diff, std::abs(t.data[k] - w2.at(name).data[k]));
    EXPECT_LT(diff, 1e-4f) << name;
  }
  // 错误：来源不是 colarec；数据不同；结构、内容或语义 ID 选项与来源不同（逐个列出给出的值与来源的值）。
  // 都不留下输出目录。
  const std::string x = " --out " + dir.file("x") + " --epochs 1 --quiet";
  auto [rc4, e4] = test::run_cli("train --model colarec" + data + " --init-from " + lg + x);
  EXPECT_NE(rc4, 0);
  EXPECT_NE(e4.find("must be a colarec model directory"), std::string::npos) << e4;
  auto [rc5, e5] = test::run_cli("train --model colarec --data " + dir.file("other.csv") + " --init-from " + gm + x);
  EXPECT_NE(rc5, 0);
  EXPECT_NE(e5.find("same data"), std::string::npos) << e5;
  auto [rc6, e6] = test::run_cli("train --model colarec" + data + " --init-from " + gm + " --content " +
                                 dir.file("other.csv") + x);
  EXPECT_NE(rc6, 0);
  EXPECT_NE(e6.find("--content " + dir.file("other.csv") + " (the model has \"" + dir.file("content.json") + "\")"),
            std::string::npos) << e6;
  auto [rc7, e7] = test::run_cli("train --model colarec" + data + " --init-from " + gm +
                                 " --dim 32 --dec-layers 2 --sid-input-only --pos-from-end --sid-k 8" + x);
  EXPECT_NE(rc7, 0);
  EXPECT_NE(e7.find("--dim 32 (the model has 16), --dec-layers 2 (the model has 1), --sid-input-only true (the model "
                    "has false), --sid-k 8 (the model has 4); drop them"),
            std::string::npos) << e7;
  EXPECT_EQ(e7.find("--pos-from-end"), std::string::npos) << e7;  // 与来源相同，不列出
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
}

// 检查点续训（命令行）：--stop-after-epoch 2 像 Ctrl-C 一样停下，导出目前最佳一轮并保留 <out>.ckpt；
// 同一条命令加 --resume 接着训练，权重与不中断的一次训练逐位相同，之后检查点被删除。
// 错误：检查点在而没有 --resume（不覆盖）；设置不同（指明哪一项）；没有检查点却 --resume。
TEST(GenRec, CliResumeContinuesAnInterruptedRun) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 120, 40, 4, 10);
  const std::string data = " --data " + dir.file("ratings.csv");
  const std::string lg = dir.file("lgcn"), full = dir.file("full"), part = dir.file("part");
  auto [rc1, log1] = test::run_cli("train --model lightgcn" + data + " --out " + lg + " --epochs 1 --dim 8 --quiet");
  ASSERT_EQ(rc1, 0) << log1;
  const std::string flags = "train --model colarec" + data + " --sid-from " + lg +
                            " --sid-k 4 --epochs 4 --eval-every 1 --patience 5 --lr-schedule cosine --dim 16 --heads 2"
                            " --ffn-dim 32 --layers 1 --dec-layers 1 --max-len 5 --beam 10 --quiet";
  auto [rc2, log2] = test::run_cli(flags + " --out " + full);
  ASSERT_EQ(rc2, 0) << log2;
  EXPECT_FALSE(std::filesystem::exists(full + ".ckpt"));  // 正常结束：检查点已删除
  auto [rc3, log3] = test::run_cli(flags + " --out " + part + " --stop-after-epoch 2");
  ASSERT_EQ(rc3, 0) << log3;
  EXPECT_NE(log3.find("checkpoint kept: " + part + ".ckpt"), std::string::npos) << log3;
  EXPECT_TRUE(std::filesystem::exists(part + "/model.safetensors"));  // 目前最佳一轮照常导出
  ASSERT_TRUE(std::filesystem::exists(part + ".ckpt"));
  // 没有 --resume：拒绝，检查点不被覆盖。
  auto [rc4, e4] = test::run_cli(flags + " --out " + part);
  EXPECT_NE(rc4, 0);
  EXPECT_NE(e4.find("holds an unfinished training run"), std::string::npos) << e4;
  // 设置不同：指明哪一项。
  auto [rc5, e5] = test::run_cli(flags + " --out " + part + " --resume --lr 0.5");
  EXPECT_NE(rc5, 0);
  EXPECT_NE(e5.find("training.lr 0.5"), std::string::npos) << e5;
  auto [rc6, log6] = test::run_cli(flags + " --out " + part + " --resume");
  ASSERT_EQ(rc6, 0) << log6;
  EXPECT_NE(log6.find("resumed from " + part + ".ckpt after epoch 2 of 4"), std::string::npos) << log6;
  EXPECT_FALSE(std::filesystem::exists(part + ".ckpt"));
  const auto w1 = safetensors_decode(read_file(full + "/model.safetensors"), "full");
  const auto w2 = safetensors_decode(read_file(part + "/model.safetensors"), "part");
  ASSERT_EQ(w1.size(), w2.size());
  for (const auto& [name, t] : w1) EXPECT_EQ(w2.at(name).data, t.data) << name;
  auto b1 = ModelBundle::load(full), b2 = ModelBundle::load(part);
  EXPECT_EQ(b2->manifest["training_result"]["best_epoch"], b1->manifest["training_result"]["best_epoch"]);
  EXPECT_EQ(b2->manifest["training_result"]["resumed_after_epoch"], 2);
  EXPECT_EQ(b2->manifest["metrics"]["test"]["model"], b1->manifest["metrics"]["test"]["model"]);
  const std::string lines = read_file(part + "/train_log.jsonl");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 4) << lines;
  auto [rc7, e7] = test::run_cli(flags + " --out " + part + " --resume");
  EXPECT_NE(rc7, 0);
  EXPECT_NE(e7.find("--resume: no checkpoint"), std::string::npos) << e7;
  // --no-checkpoint：停下时也不写检查点。
  auto [rc8, log8] = test::run_cli(flags + " --out " + dir.file("nock") + " --stop-after-epoch 1 --no-checkpoint");
  ASSERT_EQ(rc8, 0) << log8;
  EXPECT_TRUE(std::filesystem::exists(dir.file("nock") + "/model.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("nock") + ".ckpt"));
  EXPECT_EQ(log8.find("checkpoint kept"), std::string::npos) << log8;
}

// --label-smoothing：写进清单；同一种子下改变训练损失（没被忽略）；越界时指明选项且不留输出目录。
TEST(GenRec, CliLabelSmoothing) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(write_data_and_lightgcn(dir, 100, 40, 4, 10));
  const std::string small = small_colarec_flags(dir, 2, "");
  const std::string g0 = dir.file("g0"), g1 = dir.file("g1");
  auto [rc2, log2] = test::run_cli("train --model colarec --out " + g0 + small);
  ASSERT_EQ(rc2, 0) << log2;
  auto [rc3, log3] = test::run_cli("train --model colarec --out " + g1 + small + " --label-smoothing 0.3");
  ASSERT_EQ(rc3, 0) << log3;
  auto b0 = ModelBundle::load(g0), b1 = ModelBundle::load(g1);
  EXPECT_FALSE(b0->manifest["generative"].contains("label_smoothing"));  // 默认关闭时不写，旧清单不变
  EXPECT_FALSE(b0->manifest["training"].contains("user_dropout"));  // long_short 专有的选项不进 colarec 的清单
  EXPECT_EQ(log2.find("user_dropout"), std::string::npos) << log2;  // 训练日志同样不写
  EXPECT_DOUBLE_EQ(b1->manifest["generative"]["label_smoothing"].get<double>(), 0.3);
  // 第一轮的训练损失：平滑后的目标分布不同，损失必然不同（同一种子、同一批次顺序）。
  EXPECT_GT(std::abs(first_epoch_loss(g1) - first_epoch_loss(g0)), 1e-3);
  auto [rc4, e4] = test::run_cli("train --model colarec --out " + dir.file("x") + small + " --label-smoothing 1");
  EXPECT_NE(rc4, 0);
  EXPECT_NE(e4.find("--label-smoothing must be in [0, 1)"), std::string::npos) << e4;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
}

}  // namespace
// --valid-sample-seed：固定时，不同训练种子抽到同样的验证用例；不给时随 --seed（旧行为）。
// 只在给出时写入清单；小于 -1 的值报错。
TEST(GenRec, ValidSampleSeedFixesTheValidationCases) {
  const SequenceData data = test::small_synthetic_data();
  const auto all = eval_cases(data, SplitPart::kValid);
  auto picked = [&](const GenRecTrainOptions& g, uint64_t seed) {
    std::vector<int32_t> users;
    for (const auto& c : sample_cases(all, 40, g.resolved_valid_seed(seed))) users.push_back(c.user);
    return users;
  };
  GenRecTrainOptions follow;  // -1：随训练种子
  EXPECT_NE(picked(follow, 42), picked(follow, 43));
  EXPECT_EQ(picked(follow, 42), picked(follow, 42));
  EXPECT_FALSE(follow.to_json().contains("valid_sample_seed"));
  GenRecTrainOptions fixed;
  fixed.valid_sample_seed = 7;
  EXPECT_EQ(picked(fixed, 42), picked(fixed, 43));
  EXPECT_EQ(picked(fixed, 42), picked(follow, 7));
  EXPECT_EQ(fixed.to_json()["valid_sample_seed"], 7);
  fixed.valid_sample_seed = -2;
  EXPECT_THROW(fixed.validate(), Error);
}

}  // namespace seqrec
