// 模型测试：LibTorch 训练模块与原生推理逐项一致；填充位置不影响输出；形状；
// 分块 softmax 交叉熵与参考实现的数值和梯度一致；融合 Adam 与 torch::optim::Adam 一致；训练可复现。
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "core/error.h"
#include "data/synthetic.h"
#include "models/long_short_native.h"
#include "models/long_short_torch.h"
#include "train/adam.h"
#include "train/softmax_loss.h"
#include "train/trainer.h"

namespace seqrec {
namespace {

ModelConfig small_config(int layers) {
  ModelConfig c;
  c.num_users = 7;
  c.num_items = 30;
  c.dim = 16;
  c.layers = layers;
  c.heads = 2;
  c.ffn_dim = 24;
  c.max_len = 6;
  return c;
}

// 随机初始化（包括 LayerNorm 与偏置），确保比较覆盖所有参数。
LongShortTransformer random_model(const ModelConfig& c) {
  torch::manual_seed(3);
  LongShortTransformer m(c, 0.0);
  torch::NoGradGuard ng;
  for (auto& p : m->parameters()) p.normal_(0.0, 0.3);
  m->item_emb->weight[c.num_items].zero_();
  m->eval();
  return m;
}

// 用训练模块计算一个（用户，点击）的用户向量（左侧填充）。
std::vector<float> torch_encode(LongShortTransformer& m, int32_t user, const std::vector<int32_t>& clicks) {
  const int L = m->cfg.max_len;
  std::vector<int64_t> seq(static_cast<size_t>(L), m->cfg.num_items);
  const size_t n = std::min<size_t>(clicks.size(), static_cast<size_t>(L));
  for (size_t t = 0; t < n; ++t) seq[L - n + t] = clicks[clicks.size() - n + t];
  auto s = torch::tensor(seq).view({1, L});
  auto u = torch::tensor({static_cast<int64_t>(user < 0 ? 0 : user + 1)});
  torch::NoGradGuard ng;
  auto out = m->forward(u, s).contiguous();
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

class ModelParity : public ::testing::TestWithParam<int> {};

TEST_P(ModelParity, NativeMatchesTorch) {
  const ModelConfig c = small_config(GetParam());
  auto m = random_model(c);
  LongShortModel native = LongShortModel::from_tensors(m->to_tensors(), c);
  std::mt19937 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = trial % 9;  // 0..8：覆盖空历史、少于与多于 max_len
    std::vector<int32_t> clicks;
    for (int i = 0; i < n; ++i) clicks.push_back(static_cast<int32_t>(rng() % c.num_items));
    const int32_t user = trial % 3 == 0 ? -1 : static_cast<int32_t>(rng() % c.num_users);
    auto ref = torch_encode(m, user, clicks);
    std::vector<float> got(static_cast<size_t>(c.dim));
    native.encode(user, clicks.data(), clicks.size(), got.data());
    for (int i = 0; i < c.dim; ++i) EXPECT_NEAR(got[i], ref[i], 2e-4) << "trial " << trial << " dim " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, ModelParity, ::testing::Values(1, 2, 3));

TEST(Model, PaddingDoesNotChangeOutputAndShapes) {
  const ModelConfig c = small_config(2);
  auto m = random_model(c);
  auto a = torch_encode(m, 1, {3, 4});
  {
    // 改写填充行的嵌入：被掩码的位置不得影响结果。
    torch::NoGradGuard ng;
    m->item_emb->weight[c.num_items].fill_(5.0);
  }
  auto b = torch_encode(m, 1, {3, 4});
  for (int i = 0; i < c.dim; ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
  auto users = torch::tensor({1, 2, 0}, torch::kInt64);
  auto seq = torch::full({3, c.max_len}, c.num_items, torch::kInt64);
  torch::NoGradGuard ng;
  auto out = m->forward(users, seq);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, c.dim}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());  // 全空历史也不产生 NaN
  // 未知用户与已知用户的输出不同（长期兴趣确实参与）。
  auto known = torch_encode(m, 2, {});
  auto unknown = torch_encode(m, -1, {});
  double diff = 0;
  for (int i = 0; i < c.dim; ++i) diff += std::abs(known[i] - unknown[i]);
  EXPECT_GT(diff, 1e-3);
}

TEST(Model, RejectsWrongWeights) {
  const ModelConfig c = small_config(1);
  auto m = random_model(c);
  TensorMap t = m->to_tensors();
  t.erase("ln_f.bias");
  EXPECT_THROW(LongShortModel::from_tensors(t, c), Error);
  TensorMap t2 = m->to_tensors();
  t2["item_emb"].shape = {1, static_cast<int64_t>(t2["item_emb"].data.size())};
  EXPECT_THROW(LongShortModel::from_tensors(t2, c), Error);
}

TEST(SoftmaxLoss, MatchesReferenceValueAndGradients) {
  torch::manual_seed(0);
  for (double scale : {1.0, 10.0}) {
    for (int64_t chunk : {7, 64, 1000}) {
      auto u = torch::randn({9, 5}, torch::requires_grad());
      auto e = torch::randn({50, 5}, torch::requires_grad());
      auto t = torch::tensor({0, 3, 3, 49, 7, 7, 7, 12, 1}, torch::kInt64);
      auto ref = torch::nn::functional::cross_entropy(torch::matmul(u, e.t()) * scale, t);
      auto gref = torch::autograd::grad({ref}, {u, e});
      auto got = chunked_softmax_cross_entropy(u, e, t, scale, chunk);
      auto ggot = torch::autograd::grad({got * 1.0}, {u, e});
      EXPECT_NEAR(got.item<double>(), ref.item<double>(), 1e-4);
      EXPECT_TRUE(torch::allclose(ggot[0], gref[0], 1e-4, 1e-5));
      EXPECT_TRUE(torch::allclose(ggot[1], gref[1], 1e-4, 1e-5));
    }
  }
  // 很大的 logits 走在线最大值分支，仍然数值稳定。
  auto u = (torch::randn({4, 3}) * 100).requires_grad_();
  auto e = torch::randn({20, 3}, torch::requires_grad());
  auto t = torch::tensor({0, 1, 2, 3}, torch::kInt64);
  auto ref = torch::nn::functional::cross_entropy(torch::matmul(u, e.t()), t);
  auto got = chunked_softmax_cross_entropy(u, e, t, 1.0, 6);
  EXPECT_NEAR(got.item<double>(), ref.item<double>(), 1e-3 * std::max(1.0, ref.item<double>()));
}

// 加权：与参考实现 mean_b w_b·CE_b 的数值和梯度相同（两个分支：存下指数的与逐块重算的），权重 0 的行没有梯度。
TEST(SoftmaxLoss, WeightedMatchesReference) {
  torch::manual_seed(2);
  for (double mag : {1.0, 100.0}) {
    auto u = (torch::randn({6, 4}) * mag).requires_grad_();
    auto e = torch::randn({30, 4}, torch::requires_grad());
    auto t = torch::tensor({0, 5, 5, 29, 3, 1}, torch::kInt64);
    auto w = torch::tensor({1.0f, 0.0f, 2.5f, 0.5f, 1.0f, 4.0f});
    namespace F = torch::nn::functional;
    auto per_row = F::cross_entropy(torch::matmul(u, e.t()), t, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto ref = (per_row * w).mean();
    auto gref = torch::autograd::grad({ref}, {u, e});
    auto got = chunked_softmax_cross_entropy(u, e, t, 1.0, 7, w);
    auto ggot = torch::autograd::grad({got}, {u, e});
    const double tol = 1e-4 * std::max(1.0, std::abs(ref.item<double>()));
    EXPECT_NEAR(got.item<double>(), ref.item<double>(), tol) << mag;
    EXPECT_TRUE(torch::allclose(ggot[0], gref[0], 1e-3, 1e-4)) << mag;
    EXPECT_TRUE(torch::allclose(ggot[1], gref[1], 1e-3, 1e-4)) << mag;
    EXPECT_EQ(ggot[0][1].abs().sum().item<double>(), 0.0);
  }
}

TEST(FusedAdam, MatchesTorchAdamAndAdamW) {
  for (bool decoupled : {false, true}) {
    torch::manual_seed(1);
    auto a = torch::randn({37});
    auto b = a.clone();
    FusedAdam mine({a}, 0.01, 0.1, decoupled, 2);
    auto pb = b.clone().requires_grad_();
    std::unique_ptr<torch::optim::Optimizer> ref;
    if (decoupled) ref = std::make_unique<torch::optim::AdamW>(std::vector<torch::Tensor>{pb}, torch::optim::AdamWOptions(0.01).weight_decay(0.1));
    else ref = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{pb}, torch::optim::AdamOptions(0.01).weight_decay(0.1));
    for (int step = 0; step < 5; ++step) {
      auto g1 = torch::randn({37}), g2 = torch::randn({37});
      pb.mutable_grad() = g1 + g2;
      mine.step({{g1}, {g2}});  // 会改写 g1
      ref->step();
    }
    EXPECT_TRUE(torch::allclose(a, pb.detach(), 1e-5, 1e-6)) << "decoupled=" << decoupled;
  }
}

// decay_matrices_only：一维参数（偏置、LayerNorm 增益）不衰减，矩阵照常衰减；Adam（L2）与 AdamW（解耦）都一样。
TEST(FusedAdam, DecayMatricesOnlySparesVectors) {
  for (bool decoupled : {false, true}) {
    for (bool matrices_only : {false, true}) {
      torch::manual_seed(2);
      auto w = torch::randn({4, 3}), b = torch::randn({5});
      const auto w0 = w.clone(), b0 = b.clone();
      FusedAdam opt({w, b}, 0.1, 0.5, decoupled, 2);
      if (matrices_only) opt.decay_matrices_only();
      opt.step({{torch::zeros({4, 3}), torch::zeros({5})}});  // 梯度为 0：只有权重衰减会移动参数
      EXPECT_FALSE(torch::equal(w, w0)) << decoupled << matrices_only;
      EXPECT_LT(w.abs().sum().item<double>(), w0.abs().sum().item<double>());
      EXPECT_EQ(torch::equal(b, b0), matrices_only) << "decoupled=" << decoupled;
      if (decoupled) EXPECT_TRUE(torch::allclose(w, w0 * (1 - 0.1 * 0.5)));
    }
  }
}

TEST(Trainer, SameSeedSameResultAndLearns) {
  SyntheticOptions so;
  so.users = 120;
  so.items = 60;
  so.groups = 4;
  so.mean_length = 15;
  SequenceData data = build_sequences(generate_synthetic(so), {});
  ModelConfig c;
  c.num_users = data.num_users();
  c.num_items = data.num_items();
  c.dim = 16;
  c.layers = 1;
  c.ffn_dim = 32;
  c.max_len = 8;
  TrainOptions o;
  o.epochs = 3;
  o.batch_size = 64;
  o.lr = 5e-3;
  o.threads = 2;
  o.progress = false;
  auto r1 = train_long_short(data, c, o, nullptr);
  auto r2 = train_long_short(data, c, o, nullptr);
  EXPECT_EQ(r1.best_valid.dump(), r2.best_valid.dump());
  EXPECT_EQ(r1.weights.at("item_emb").data, r2.weights.at("item_emb").data);
  EXPECT_EQ(r1.epochs_run, 3);
  // 每轮一行 JSON 日志。
  EXPECT_EQ(std::count(r1.epoch_log.begin(), r1.epoch_log.end(), '\n'), 3);
  EXPECT_GT(r1.best_valid["HR@10"].get<double>(), 10.0 / c.num_items);  // 明显好于随机
}

}  // namespace
}  // namespace seqrec
