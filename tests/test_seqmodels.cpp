// SASRec / GRU4Rec 测试：LibTorch 训练模块与原生推理逐位置一致（三种 LayerNorm 放法、GRU 投影）；
// 因果性（后面的点击不影响前面的输出）；填充不影响输出；损失与手算/参考实现一致；负样本抽取；
// 训练可复现且学到东西；命令行训练 → 导出 → 推荐 → 评估的完整流程。
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <cmath>
#include <random>

#include "core/error.h"
#include "data/synthetic.h"
#include "eval/evaluator.h"
#include "models/gru4rec_native.h"
#include "models/sasrec_native.h"
#include "models/seq_torch.h"
#include "models/torch_util.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "seq_test_util.h"
#include "test_util.h"
#include "core/files.h"
#include "train/checkpoint.h"
#include "train/losses.h"
#include "train/lr_schedule.h"
#include "train/trainer.h"

namespace seqrec {
namespace {

namespace F = torch::nn::functional;

ModelConfig seq_config(const std::string& type, const std::string& norm = "paper", int hidden = 0) {
  ModelConfig c = ModelConfig::defaults_for(type);
  c.num_items = 30;
  c.dim = 8;
  c.layers = 2;
  c.heads = 2;
  c.ffn_dim = 12;
  c.max_len = 7;
  c.norm = norm;
  c.hidden = hidden;
  return c;
}

// 随机初始化全部参数的训练模块（种子 5）。
std::shared_ptr<SeqNetImpl> random_net(const ModelConfig& c) { return test::random_seq_net(c, 5); }

using test::expect_near;
using test::torch_rows;

const std::vector<std::vector<int32_t>> kRows = {{3}, {1, 2, 3, 4, 5, 6, 7}, {9, 9, 0, 29}, {5, 17}};

class SasRecParity : public ::testing::TestWithParam<std::string> {};

TEST_P(SasRecParity, NativeMatchesTorchAtEveryPosition) {
  const ModelConfig c = seq_config("sasrec", GetParam());
  auto net = random_net(c);
  const auto native = SasRecModel::from_tensors(net->to_tensors(), c);
  const auto ref = torch_rows(*net, kRows, c.max_len);
  for (size_t r = 0; r < kRows.size(); ++r) {
    const auto all = native.encode_all(kRows[r].data(), kRows[r].size());
    expect_near(all, ref[r], 1e-4f, "row " + std::to_string(r));
    // encode() 只算最后一行：等于最后一个位置的输出。
    std::vector<float> last(static_cast<size_t>(c.dim));
    native.encode(-1, kRows[r].data(), kRows[r].size(), last.data());
    expect_near(last, std::vector<float>(all.end() - c.dim, all.end()), 1e-5f, "last row");
  }
}

INSTANTIATE_TEST_SUITE_P(Norms, SasRecParity, ::testing::Values("paper", "pre", "post"));

TEST(SasRec, CausalAndPaddingInvariant) {
  for (const char* norm : {"paper", "pre", "post"}) {
    const ModelConfig c = seq_config("sasrec", norm);
    auto net = random_net(c);
    // 因果：改变最后一个点击，前面位置的输出不变（训练模块与原生推理都如此）。
    std::vector<int32_t> a = {4, 8, 15, 16, 23}, b = a;
    b.back() = 11;
    const auto ra = torch_rows(*net, {a}, c.max_len)[0], rb = torch_rows(*net, {b}, c.max_len)[0];
    const size_t prefix = (a.size() - 1) * static_cast<size_t>(c.dim);
    EXPECT_EQ(std::vector<float>(ra.begin(), ra.begin() + prefix), std::vector<float>(rb.begin(), rb.begin() + prefix)) << norm;
    EXPECT_NE(ra, rb);
    const auto native = SasRecModel::from_tensors(net->to_tensors(), c);
    const auto na = native.encode_all(a.data(), a.size()), nb = native.encode_all(b.data(), b.size());
    EXPECT_EQ(std::vector<float>(na.begin(), na.begin() + prefix), std::vector<float>(nb.begin(), nb.begin() + prefix));
    // 填充：同一序列在截短的批（T = 5）与补满的批（T = max_len）中输出相同；与批中其他行无关。
    const auto short_batch = torch_rows(*net, {a}, 5)[0];
    const auto long_batch = torch_rows(*net, {a, {1, 2, 3, 4, 5, 6, 7}}, c.max_len)[0];
    expect_near(short_batch, ra, 1e-5f, "trimmed");
    expect_near(long_batch, ra, 1e-5f, "other rows");
  }
}

TEST(SasRec, UsesOnlyTheLastMaxLenClicksAndNoUser) {
  const ModelConfig c = seq_config("sasrec");
  auto net = random_net(c);
  const auto native = SasRecModel::from_tensors(net->to_tensors(), c);
  std::vector<int32_t> long_seq = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<int32_t> tail(long_seq.end() - c.max_len, long_seq.end());
  std::vector<float> a(8), b(8), u(8);
  native.encode(-1, long_seq.data(), long_seq.size(), a.data());
  native.encode(-1, tail.data(), tail.size(), b.data());
  native.encode(3, tail.data(), tail.size(), u.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, u);
  EXPECT_FALSE(native.uses_user());
  // 形状不符的权重被拒绝，并指明张量名。
  auto w = net->to_tensors();
  w["pos_emb"].shape = {3, 8};
  try {
    SasRecModel::from_tensors(w, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pos_emb"), std::string::npos);
  }
}

TEST(Gru4Rec, NativeMatchesTorchWithAndWithoutProjection) {
  for (int hidden : {0, 12}) {
    ModelConfig c = seq_config("gru4rec", "paper", hidden);
    c.layers = 2;
    auto net = random_net(c);
    const auto native = Gru4RecModel::from_tensors(net->to_tensors(), c);
    const auto ref = torch_rows(*net, kRows, c.max_len);
    for (size_t r = 0; r < kRows.size(); ++r) {
      expect_near(native.encode_all(kRows[r].data(), kRows[r].size()), ref[r], 1e-4f, "hidden " + std::to_string(hidden));
    }
    // 右侧填充：补满到 max_len 与不补，真实位置的输出相同。
    expect_near(torch_rows(*net, {kRows[2]}, 4)[0], ref[2], 1e-5f, "padding");
  }
}

// ---- 损失 ----

struct LossCase {
  torch::Tensor h, items, targets;
};

LossCase loss_case() {
  torch::manual_seed(9);
  return {torch::randn({5, 4}, torch::requires_grad()), torch::randn({10, 4}, torch::requires_grad()),
          torch::tensor({1, 3, 3, 0, 9}, torch::kInt64)};
}

// dropout：掩码是约定的计数器哈希流（第 c 个 SplitMix64 输出给出元素 4c..4c+3 的 16 位均匀数，
// 小于阈值者丢弃），与块大小、尾长无关；保留处恰为 x·scale，丢弃处为 +0；反向用同一掩码；
// 同一 (seed, 调用次序) 结果相同；丢弃比例接近 p。
TEST(Dropout, FollowsTheCounterStreamAndTheSameMaskBackward) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const double p = 0.3;
  const int64_t thr = static_cast<int64_t>(p * 65536.0 + 0.5);
  const float scale = static_cast<float>(65536.0 / (65536.0 - static_cast<double>(thr)));
  for (int64_t n : {int64_t{1}, int64_t{6}, int64_t{2048}, int64_t{2051}, int64_t{50001}}) {
    torch::manual_seed(3);
    auto x = (torch::rand({n}) + 0.5f).requires_grad_(true);  // 全部非零：0 只来自丢弃
    DropoutRng rng{77, 4};
    auto y = dropout_with(x, p, true, &rng);
    EXPECT_EQ(rng.calls, 5u);
    const uint64_t base = mix(77 * 0x9e3779b97f4a7c15ULL + 5);
    auto w = torch::rand({n});
    (y * w).sum().backward();
    const auto xd = x.detach(), yd = y.detach(), gd = x.grad();
    auto xa = xd.accessor<float, 1>();
    auto ya = yd.accessor<float, 1>();
    auto ga = gd.accessor<float, 1>();
    auto wa = w.accessor<float, 1>();
    int64_t dropped = 0;
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t r = mix(base + static_cast<uint64_t>(i / 4) * 0x9e3779b97f4a7c15ULL);
      const bool keep = ((r >> (16 * (i % 4))) & 0xffff) >= static_cast<uint64_t>(thr);
      dropped += !keep;
      ASSERT_EQ(ya[i], keep ? xa[i] * scale : 0.0f) << "n " << n << " i " << i;
      ASSERT_FALSE(std::signbit(ya[i]));
      ASSERT_EQ(ga[i], keep ? wa[i] * scale : 0.0f) << "n " << n << " i " << i;
    }
    if (n > 10000) EXPECT_NEAR(static_cast<double>(dropped) / n, p, 0.01);
    DropoutRng again{77, 4};
    EXPECT_TRUE(torch::equal(dropout_with(x.detach(), p, true, &again), y.detach()));
  }
  auto x = torch::ones({5});
  EXPECT_TRUE(dropout_with(x, p, false, nullptr).is_same(x));  // 推理时原样返回
}

TEST(Losses, CrossEntropyMatchesTorch) {
  auto c = loss_case();
  LossInputs in;
  in.h = c.h;
  in.targets = c.targets;
  auto got = loss_sum(LossKind::kCE, in, c.items, 2.0);
  auto want = F::cross_entropy(torch::mm(c.h, c.items.t()) * 2.0, c.targets, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  EXPECT_NEAR(got.item<double>(), want.item<double>(), 1e-4);
}

TEST(Losses, BceAndBprMatchHandComputed) {
  auto c = loss_case();
  auto negs = torch::tensor({2, 5, 4, 4, 0, 1, 7, 8, 6, 2}, torch::kInt64).view({5, 2});
  LossInputs in;
  in.h = c.h;
  in.targets = c.targets;
  in.negs = negs;
  double bce = 0, bpr = 0;
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  for (int p = 0; p < 5; ++p) {
    const double s = (c.h[p] * c.items[c.targets[p].item<int64_t>()]).sum().item<double>();
    bce -= std::log(sig(s));
    for (int k = 0; k < 2; ++k) {
      const double n = (c.h[p] * c.items[negs[p][k].item<int64_t>()]).sum().item<double>();
      bce -= std::log(1 - sig(n));
      bpr -= std::log(sig(s - n)) / 2;
    }
  }
  EXPECT_NEAR(loss_sum(LossKind::kBCE, in, c.items, 1.0).item<double>(), bce, 1e-4);
  EXPECT_NEAR(loss_sum(LossKind::kBPR, in, c.items, 1.0).item<double>(), bpr, 1e-4);
}

TEST(Losses, SampledSoftmaxMasksAccidentalHitsAndCorrectsLogQ) {
  auto c = loss_case();
  auto negs = torch::tensor({3, 7, 1}, torch::kInt64);  // 3 与第 1、2 行的目标相同，1 与第 0 行相同
  auto logq = torch::tensor({-1.0f, -2.0f, -0.5f});
  LossInputs in;
  in.h = c.h;
  in.targets = c.targets;
  in.negs = negs;
  in.neg_logq = logq;
  in.tgt_logq = torch::tensor({-0.5f, -1.0f, -1.0f, -3.0f, -2.5f});
  double want = 0;
  for (int p = 0; p < 5; ++p) {
    const int64_t t = c.targets[p].item<int64_t>();
    const double pos = (c.h[p] * c.items[t]).sum().item<double>() - in.tgt_logq[p].item<double>();
    double z = std::exp(pos);
    for (int k = 0; k < 3; ++k) {
      if (negs[k].item<int64_t>() == t) continue;  // accidental hit
      z += std::exp((c.h[p] * c.items[negs[k].item<int64_t>()]).sum().item<double>() - logq[k].item<double>());
    }
    want += std::log(z) - pos;
  }
  EXPECT_NEAR(loss_sum(LossKind::kSampled, in, c.items, 1.0).item<double>(), want, 1e-4);
}

TEST(Losses, InBatchIsSoftmaxOverDistinctBatchTargets) {
  auto c = loss_case();
  LossInputs in;
  in.h = c.h;
  in.targets = c.targets;
  in.negs = torch::tensor({1, 3, 0, 9}, torch::kInt64);          // 批内目标去重
  in.tgt_index = torch::tensor({0, 1, 1, 2, 3}, torch::kInt64);  // 目标在其中的位置
  auto logits = torch::mm(c.h, c.items.index_select(0, in.negs).t());
  auto want = F::cross_entropy(logits, in.tgt_index, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  EXPECT_NEAR(loss_sum(LossKind::kInBatch, in, c.items, 1.0).item<double>(), want.item<double>(), 1e-4);
  // 梯度能传到查询与物品。
  loss_sum(LossKind::kInBatch, in, c.items, 1.0).backward();
  EXPECT_GT(c.h.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(c.items.grad().abs().sum().item<double>(), 0);
  EXPECT_THROW(parse_loss("hinge"), Error);
}

// 按事件类型加权的损失：每种损失的加权和等于逐行损失乘权重之和（逐行 = 只含那一行的输入），
// 权重为 0 的行对损失与梯度都没有贡献，权重全为 1 与不加权相同。
TEST(Losses, WeightedLossIsTheWeightedSumOfRowLosses) {
  auto c = loss_case();
  const auto w = torch::tensor({1.0f, 0.0f, 3.0f, 0.5f, 2.0f});
  auto base = [&](LossKind kind) {
    LossInputs in;
    in.h = c.h;
    in.targets = c.targets;
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      in.negs = torch::tensor({2, 5, 4, 4, 0, 1, 7, 8, 6, 2}, torch::kInt64).view({5, 2});
    } else if (kind == LossKind::kSampled) {
      in.negs = torch::tensor({2, 3, 6, 8}, torch::kInt64);
      in.neg_logq = torch::tensor({-1.0f, -2.0f, -1.5f, -3.0f});
      in.tgt_logq = torch::tensor({-2.0f, -2.0f, -2.0f, -1.0f, -2.5f});
    } else if (kind == LossKind::kInBatch) {
      in.negs = torch::tensor({1, 3, 0, 9}, torch::kInt64);
      in.tgt_index = torch::tensor({0, 1, 1, 2, 3}, torch::kInt64);
    }
    return in;
  };
  // 只含第 r 行的输入（共享的负样本与候选不变）。
  auto row = [&](const LossInputs& in, int64_t r) {
    LossInputs o = in;
    o.h = in.h.narrow(0, r, 1);
    o.targets = in.targets.narrow(0, r, 1);
    if (in.negs.defined() && in.negs.dim() == 2) o.negs = in.negs.narrow(0, r, 1);
    if (in.tgt_logq.defined()) o.tgt_logq = in.tgt_logq.narrow(0, r, 1);
    if (in.tgt_index.defined()) o.tgt_index = in.tgt_index.narrow(0, r, 1);
    return o;
  };
  for (LossKind kind : {LossKind::kCE, LossKind::kBCE, LossKind::kBPR, LossKind::kSampled, LossKind::kInBatch}) {
    LossInputs in = base(kind);
    const double plain = loss_sum(kind, in, c.items, 2.0).item<double>();
    double want = 0;
    for (int64_t r = 0; r < 5; ++r) want += w[r].item<double>() * loss_sum(kind, row(in, r), c.items, 2.0).item<double>();
    in.weights = w;
    auto got = loss_sum(kind, in, c.items, 2.0);
    EXPECT_NEAR(got.item<double>(), want, 1e-4) << loss_name(kind);
    // 权重为 0 的第 1 行：它的查询向量没有梯度。
    const auto g = torch::autograd::grad({got}, {c.h}, {}, true)[0];
    EXPECT_EQ(g[1].abs().sum().item<double>(), 0.0) << loss_name(kind);
    EXPECT_GT(g[2].abs().sum().item<double>(), 0.0) << loss_name(kind);
    in.weights = torch::ones({5});
    EXPECT_NEAR(loss_sum(kind, in, c.items, 2.0).item<double>(), plain, 1e-4) << loss_name(kind);
  }
}

TEST(NegativeSampler, ExcludesHistoryAndFollowsPopularity) {
  std::mt19937_64 rng(1);
  const NegativeSampler uni({5, 0, 0, 0, 0, 0}, 0.0);
  const std::vector<int32_t> seen = {0, 2, 3};
  for (int i = 0; i < 200; ++i) {
    const int32_t j = uni.draw_excluding(rng, seen);
    ASSERT_TRUE(j == 1 || j == 4 || j == 5) << j;
  }
  const NegativeSampler pop({99, 0, 0}, 1.0);  // 权重 100 : 1 : 1
  int hits = 0;
  for (int i = 0; i < 2000; ++i) hits += pop.draw(rng) == 0;
  EXPECT_GT(hits, 1800);
  EXPECT_NEAR(std::exp(pop.log_q(0)) + std::exp(pop.log_q(1)) + std::exp(pop.log_q(2)), 1.0, 1e-5);
  EXPECT_NEAR(uni.log_q(3), -std::log(6.0), 1e-6);
}

// ---- 训练 ----

SequenceData synthetic_data() { return test::small_synthetic_data(); }

TEST(SeqTrainer, EveryLossTrainsReproduciblyAndLearns) {
  const SequenceData data = synthetic_data();
  for (const std::string type : {"sasrec", "gru4rec"}) {
    for (const std::string loss : {"ce", "bce", "bpr", "sampled", "inbatch"}) {
      ModelConfig c = ModelConfig::defaults_for(type);
      c.num_users = data.num_users();
      c.num_items = data.num_items();
      c.dim = 16;
      c.ffn_dim = 16;
      c.hidden = 0;
      c.max_len = 10;
      TrainOptions o = TrainOptions::defaults_for(type);
      o.loss = loss;
      o.negatives = loss == "sampled" ? 20 : 2;
      o.epochs = 6;
      o.eval_every = 3;
      o.batch_size = 32;
      o.lr = 5e-3;
      o.progress = false;
      auto r1 = train_sequence_model(data, c, o, nullptr);
      auto r2 = train_sequence_model(data, c, o, nullptr);
      const std::string what = type + "/" + loss;
      EXPECT_EQ(r1.weights.at("item_emb").data, r2.weights.at("item_emb").data) << what;
      // 两次评估（第 3、6 轮）各一行带验证指标的日志，共 6 行。
      EXPECT_EQ(std::count(r1.epoch_log.begin(), r1.epoch_log.end(), '\n'), 6) << what;
      EXPECT_GT(r1.best_valid["HR@10"].get<double>(), 1.5 * 10.0 / c.num_items) << what;  // 明显好于随机（随机为 10/60）
    }
  }
}

// 训练器测试用的小 SASRec：d 16、max_len 10、batch 32，不显示进度。
std::pair<ModelConfig, TrainOptions> small_sasrec(const SequenceData& data) {
  ModelConfig c = ModelConfig::defaults_for("sasrec");
  c.num_users = data.num_users();
  c.num_items = data.num_items();
  c.dim = 16;
  c.ffn_dim = 16;
  c.max_len = 10;
  TrainOptions o = TrainOptions::defaults_for("sasrec");
  o.batch_size = 32;
  o.progress = false;
  return {c, o};
}

// 停止请求（Ctrl-C）：当前一轮结束后停下，这一轮也验证，返回它的权重并标记 interrupted；清除后照常训练。
TEST(SeqTrainer, StopRequestEndsAfterTheCurrentEpochWithItsWeights) {
  const SequenceData data = synthetic_data();
  auto [c, o] = small_sasrec(data);
  o.epochs = 8;
  o.eval_every = 4;
  int epochs_seen = 0;
  auto stop_at_2 = [&](const nlohmann::json&) {
    if (++epochs_seen == 2) request_training_stop();  // 在第 2 轮结束前请求（回调先于下一轮运行）
  };
  clear_training_stop();
  const TrainResult r = train_sequence_model(data, c, o, stop_at_2);
  clear_training_stop();
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.epochs_run, 3);    // 第 2 轮之后的请求，在第 3 轮结束时生效
  EXPECT_EQ(r.best_epoch, 3);    // 第 3 轮不是验证轮（eval_every 4），但停下时也验证
  EXPECT_FALSE(r.weights.empty());
  const TrainResult full = train_sequence_model(data, c, o, nullptr);
  EXPECT_FALSE(full.interrupted);
  EXPECT_EQ(full.epochs_run, 8);
}

// 检查点续训：在第 3 轮（计划外的验证）或第 4 轮（计划中的验证）之后停下，再从检查点接着训练，
// 结果与不中断的一次训练逐位相同：最佳一轮、验证指标、最佳权重、轮数。带学习率调度与 AdamW，
// 覆盖调度位置与 Adam 矩的恢复。设置不同时拒绝续训并指明哪一项；已结束的检查点续训时不再训练。
TEST(SeqTrainer, ResumeFromCheckpointMatchesAnUninterruptedRun) {
  const SequenceData data = synthetic_data();
  auto [c, o] = small_sasrec(data);
  o.epochs = 6;
  o.eval_every = 2;
  o.patience = 10;
  o.lr_schedule = "cosine";
  o.warmup_epochs = 1;
  o.optimizer = "adamw";
  o.weight_decay = 0.01;
  o.checkpoint_identity = {{"model", "small"}, {"lr", o.lr}};
  test::TempDir dir;
  o.checkpoint = dir.file("full.ckpt");
  clear_training_stop();
  const TrainResult full = train_sequence_model(data, c, o, nullptr);
  {
    const TrainCheckpoint done = TrainCheckpoint::load(o.checkpoint);
    EXPECT_TRUE(done.finished);
    EXPECT_EQ(done.epoch, 6);
    EXPECT_EQ(done.best_epoch, full.best_epoch);
  }
  for (int stop_at : {3, 4}) {
    const std::string what = concat("stopped after epoch ", stop_at);
    TrainOptions p = o;
    p.checkpoint = dir.file(concat("part", stop_at, ".ckpt"));
    p.stop_after_epoch = stop_at;
    const TrainResult first = train_sequence_model(data, c, p, nullptr);
    EXPECT_TRUE(first.interrupted) << what;
    EXPECT_EQ(first.epochs_run, stop_at) << what;
    EXPECT_EQ(TrainCheckpoint::load(p.checkpoint).epoch, stop_at) << what;
    p.stop_after_epoch = 0;
    p.resume = true;
    const TrainResult rest = train_sequence_model(data, c, p, nullptr);
    EXPECT_FALSE(rest.interrupted) << what;
    EXPECT_EQ(rest.epochs_run, 6) << what;
    EXPECT_EQ(rest.best_epoch, full.best_epoch) << what;
    EXPECT_EQ(rest.best_valid, full.best_valid) << what;
    ASSERT_EQ(rest.weights.size(), full.weights.size()) << what;
    for (const auto& [name, t] : full.weights) EXPECT_EQ(rest.weights.at(name).data, t.data) << what << " " << name;
    // 日志：每轮一行（被打断的那一轮也在，带 interrupted 标记）。
    EXPECT_EQ(std::count(rest.epoch_log.begin(), rest.epoch_log.end(), '\n'), 6) << what;
  }
  // 设置不同：拒绝，并指明哪一项、两边的值。
  TrainOptions other = o;
  other.resume = true;
  other.checkpoint_identity["lr"] = 0.5;
  try {
    train_sequence_model(data, c, other, nullptr);
    ADD_FAILURE() << "a checkpoint of other settings was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lr 0.5 (the checkpoint has 0.001)"), std::string::npos) << e.what();
  }
  // 已结束的训练：续训不再训练，直接给出同样的结果。
  TrainOptions again = o;
  again.resume = true;
  const TrainResult same = train_sequence_model(data, c, again, nullptr);
  EXPECT_EQ(same.best_epoch, full.best_epoch);
  EXPECT_EQ(same.epochs_run, 6);
  EXPECT_EQ(same.weights.at("item_emb").data, full.weights.at("item_emb").data);
  // 损坏的检查点：带路径的错误，而不是崩溃。
  write_file_atomic(dir.file("bad.ckpt"), "not a checkpoint");
  TrainOptions bad = o;
  bad.resume = true;
  bad.checkpoint = dir.file("bad.ckpt");
  EXPECT_THROW(train_sequence_model(data, c, bad, nullptr), Error);
}

// 学习率调度：预热线性上升，之后恒定、线性或余弦下降，始终在 (0, 1] 内，最后一步仍大于 0。
TEST(LrSchedule, WarmupThenDecay) {
  const LrSchedule constant{"constant", 4, 10};
  EXPECT_DOUBLE_EQ(constant.factor(0), 0.25);
  EXPECT_DOUBLE_EQ(constant.factor(3), 1.0);
  EXPECT_DOUBLE_EQ(constant.factor(9), 1.0);
  const LrSchedule linear{"linear", 0, 10};
  EXPECT_DOUBLE_EQ(linear.factor(0), 1.0);
  EXPECT_DOUBLE_EQ(linear.factor(5), 0.5);
  EXPECT_DOUBLE_EQ(linear.factor(9), 0.1);
  const LrSchedule cosine{"cosine", 2, 12};
  EXPECT_DOUBLE_EQ(cosine.factor(0), 0.5);
  EXPECT_DOUBLE_EQ(cosine.factor(2), 1.0);
  EXPECT_NEAR(cosine.factor(7), 0.5, 1e-12);  // 衰减段的正中
  double prev = 1.0;
  for (int64_t s = 2; s < 12; ++s) {
    const double f = cosine.factor(s);
    EXPECT_LE(f, prev) << s;
    EXPECT_GT(f, 0.0) << s;
    prev = f;
  }
  EXPECT_THROW(LrSchedule::check_kind("step"), Error);
  // warmup–stable–decay：预热 2 步，峰值保持到最后 4 步，再线性降到 1/4。
  const LrSchedule wsd{"linear", 2, 12, 4};
  EXPECT_DOUBLE_EQ(wsd.factor(0), 0.5);
  for (int64_t s = 1; s < 8; ++s) EXPECT_DOUBLE_EQ(wsd.factor(s), 1.0) << s;
  EXPECT_DOUBLE_EQ(wsd.factor(8), 1.0);
  EXPECT_DOUBLE_EQ(wsd.factor(9), 0.75);
  EXPECT_DOUBLE_EQ(wsd.factor(11), 0.25);
  // 衰减步数比预热之后剩下的还多时，等于全程衰减。
  const LrSchedule longer{"cosine", 2, 12, 100}, whole{"cosine", 2, 12};
  for (int64_t s = 0; s < 12; ++s) EXPECT_DOUBLE_EQ(longer.factor(s), whole.factor(s)) << s;
}

// 训练循环按调度改变学习率：线性衰减时每轮日志的 lr 递减，最后一轮末是 lr / 总步数；
// 预热不能长于训练，未知的调度名被拒绝并指明选项。
TEST(SeqTrainer, LearningRateFollowsTheSchedule) {
  const SequenceData data = synthetic_data();
  auto [c, o] = small_sasrec(data);
  o.epochs = 3;
  o.eval_every = 3;
  o.lr = 2e-3;
  o.lr_schedule = "linear";
  o.warmup_epochs = 0.5;
  std::vector<double> lrs;
  const TrainResult r = train_sequence_model(data, c, o, [&](const nlohmann::json& rec) { lrs.push_back(rec.at("lr").get<double>()); });
  ASSERT_EQ(lrs.size(), 3u);
  EXPECT_GT(lrs[0], lrs[1]);
  EXPECT_GT(lrs[1], lrs[2]);
  const int64_t per_epoch = (r.samples_per_epoch + o.batch_size - 1) / o.batch_size;
  const int64_t steps = 3 * per_epoch, warm = std::llround(o.warmup_epochs * static_cast<double>(per_epoch));
  EXPECT_NEAR(lrs[2], o.lr / static_cast<double>(steps - warm), 1e-3 * o.lr);
  EXPECT_EQ(o.to_json("sasrec")["lr_schedule"], "linear");
  {
    // --decay-epochs 1：前两轮末仍是峰值，最后一轮线性降到 lr / 每轮批数。
    TrainOptions w = o;
    w.decay_epochs = 1;
    std::vector<double> wl;
    train_sequence_model(data, c, w, [&](const nlohmann::json& rec) { wl.push_back(rec.at("lr").get<double>()); });
    ASSERT_EQ(wl.size(), 3u);
    EXPECT_DOUBLE_EQ(wl[0], o.lr);
    EXPECT_DOUBLE_EQ(wl[1], o.lr);
    EXPECT_NEAR(wl[2], o.lr / static_cast<double>(per_epoch), 1e-3 * o.lr);
  }
  EXPECT_FALSE(TrainOptions::defaults_for("sasrec").to_json("sasrec").contains("lr_schedule"));  // 默认不写，旧清单不变
  EXPECT_FALSE(o.to_json("sasrec").contains("weight_decay_scope"));  // 默认（all）不写，旧清单不变
  {
    TrainOptions s = o;
    s.weight_decay_scope = "matrices";
    EXPECT_EQ(s.to_json("sasrec")["weight_decay_scope"], "matrices");
    s.weight_decay_scope = "biases";
    EXPECT_THROW(s.validate(), Error);
  }
  // 用户 / 历史 dropout 只属于 long_short：别的模型的记录里没有它们。
  EXPECT_EQ(o.to_json("long_short")["user_dropout"], o.user_dropout);
  EXPECT_EQ(o.to_json("long_short")["history_dropout"], o.history_dropout);
  for (const char* m : {"sasrec", "gru4rec", "lightgcn", "colarec"}) {
    EXPECT_FALSE(o.to_json(m).contains("user_dropout")) << m;
    EXPECT_FALSE(o.to_json(m).contains("history_dropout")) << m;
  }
  // 错误信息指明出错的选项。
  auto error_of = [](TrainOptions t) -> std::string {
    try {
      t.validate();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  TrainOptions bad = o;
  bad.warmup_epochs = 4;
  EXPECT_NE(error_of(bad).find("--warmup-epochs"), std::string::npos);
  bad = o;
  bad.lr_schedule = "step";
  EXPECT_NE(error_of(bad).find("--lr-schedule"), std::string::npos);
  bad = o;
  bad.decay_epochs = 2.75;  // 3 轮，预热 0.5 轮：衰减至多 2.5 轮
  EXPECT_NE(error_of(bad).find("--decay-epochs"), std::string::npos);
  bad.decay_epochs = 1;
  EXPECT_EQ(error_of(bad), "");
  EXPECT_EQ(bad.to_json("sasrec")["decay_epochs"], 1.0);
  EXPECT_EQ(TrainOptions::from_json(bad.to_json("sasrec"), "sasrec").decay_epochs, 1.0);
  bad.lr_schedule = "constant";
  EXPECT_NE(error_of(bad).find("--decay-epochs"), std::string::npos);
}

// 验证协议可选：最佳一轮的验证指标与用同一协议评估导出权重的结果完全一致，且与全量排序不同。
TEST(SeqTrainer, ValidationFollowsTheChosenProtocol) {
  const SequenceData data = synthetic_data();
  auto [c, o] = small_sasrec(data);
  o.epochs = 2;
  o.eval_every = 1;
  o.valid_protocol.candidates = EvalProtocol::Candidates::kSampledUniform;
  o.valid_protocol.negatives = 20;
  o.valid_protocol.seed = 7;
  const auto r = train_sequence_model(data, c, o, nullptr);
  const auto enc = make_encoder(r.weights, c);
  ExactIndex index(enc->item_embeddings(), false);
  const auto cases = eval_cases(data, SplitPart::kValid);
  const CaseRanker sampled(data, o.valid_protocol);
  const auto m = summarize_ranks(rank_cases(*enc, index, data, cases, c.max_len, &sampled, 1), {10});
  EXPECT_DOUBLE_EQ(r.best_valid["HR@10"].get<double>(), m["HR@10"].get<double>());
  EXPECT_DOUBLE_EQ(r.best_valid["NDCG@10"].get<double>(), m["NDCG@10"].get<double>());
  const auto full = summarize_ranks(rank_cases(*enc, index, data, cases, c.max_len, nullptr, 1), {10});
  EXPECT_GT(m["HR@10"].get<double>(), full["HR@10"].get<double>());  // 21 个候选比 60 个容易
  EXPECT_EQ(o.to_json("sasrec")["valid_protocol"]["candidates"], "sampled");
  o.valid_protocol.negatives = 0;
  EXPECT_THROW(o.validate(), Error);
}

TEST(SeqTrainer, LongShortAcceptsTheNewLosses) {
  const SequenceData data = synthetic_data();
  ModelConfig c;
  c.num_users = data.num_users();
  c.num_items = data.num_items();
  c.dim = 16;
  c.ffn_dim = 32;
  c.max_len = 8;
  for (const std::string loss : {"bce", "sampled", "inbatch"}) {
    TrainOptions o;
    o.loss = loss;
    o.negatives = loss == "sampled" ? 20 : 1;
    o.epochs = 3;
    o.batch_size = 64;
    o.lr = 5e-3;
    o.progress = false;
    auto r = train_long_short(data, c, o, nullptr);
    EXPECT_GT(r.best_valid["HR@10"].get<double>(), 10.0 / c.num_items) << loss;
  }
}

TEST(SeqEval, RanksDoNotDependOnThreads) {
  const SequenceData data = synthetic_data();
  ModelConfig c = seq_config("sasrec");
  c.num_items = data.num_items();
  auto net = random_net(c);
  const auto native = SasRecModel::from_tensors(net->to_tensors(), c);
  ExactIndex index(native.item_embeddings(), false);
  const auto cases = eval_cases(data, SplitPart::kTest);
  const auto r1 = rank_cases(native, index, data, cases, c.max_len, nullptr, 1);
  EXPECT_EQ(r1, rank_cases(native, index, data, cases, c.max_len, nullptr, 2));
  EXPECT_EQ(r1, rank_cases(native, index, data, cases, c.max_len, nullptr, 7));
}

// ---- 命令行：训练 → 导出 → 加载 → 推荐 → 评估 ----

TEST(SeqCli, TrainServeAndEvalSasRecAndGru4Rec) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 120, 50, 5, 12);
  for (const std::string type : {"sasrec", "gru4rec"}) {
    const std::string out = dir.file(type);
    auto [rc, log] = test::run_cli("train --model " + type + " --data " + dir.file("ratings.csv") + " --out " + out +
                                   " --epochs 2 --eval-every 1 --dim 8 --max-len 10 --loss bce --quiet");
    ASSERT_EQ(rc, 0) << log;
    EXPECT_NE(log.find("\"type\":\"" + type + "\""), std::string::npos) << log;
    auto b = ModelBundle::load(out, ScanPrecision::kInt8);
    EXPECT_EQ(b->manifest["model_type"], type);
    EXPECT_EQ(b->model->config().type, type);
    EXPECT_EQ(b->manifest["training"]["loss"], "bce");
    EXPECT_FALSE(b->manifest["training"].contains("user_dropout"));  // long_short 专有的选项不写进别的模型
    // 有点击：模型推荐；没有点击（即使用户已知）：这些模型不用用户 ID，回退到最热门。
    RecommendRequest req;
    req.user_id = b->users.id(0);
    req.recent_clicks = {b->items.id(1), b->items.id(2)};
    req.top_k = 5;
    auto r = recommend(*b, req);
    EXPECT_EQ(r["strategy"], "model");
    EXPECT_EQ(r["recommended_item_ids"].size(), 5u);
    req.recent_clicks.clear();
    EXPECT_EQ(recommend(*b, req)["strategy"], "most_popular");
    auto [rc2, ev] = test::run_cli("eval --model " + out + " --json", true);
    ASSERT_EQ(rc2, 0) << ev;
    auto j = nlohmann::json::parse(ev);
    EXPECT_GT(j["model"]["HR@10"].get<double>(), 0.0);
  }
  // 时间切分：训练与评估都按同一切分（eval 从 manifest 重建数据集）。
  const std::string tmodel = dir.file("temporal");
  auto [rct, logt] = test::run_cli("train --model sasrec --split-mode temporal --data " + dir.file("ratings.csv") +
                                   " --out " + tmodel + " --epochs 1 --dim 8 --max-len 10 --quiet");
  ASSERT_EQ(rct, 0) << logt;
  EXPECT_NE(logt.find("temporal split"), std::string::npos) << logt;
  auto [rce, evt] = test::run_cli("eval --model " + tmodel, true);
  ASSERT_EQ(rce, 0) << evt;
  EXPECT_NE(evt.find("temporal"), std::string::npos) << evt;
  auto [rc3, bad] = test::run_cli("train --model sasrec --norm sideways --out " + dir.file("x"));
  EXPECT_NE(rc3, 0);
  EXPECT_NE(bad.find("--norm"), std::string::npos) << bad;
  auto [rc4, bad2] = test::run_cli("train --model transformerxl --out " + dir.file("x"));
  EXPECT_NE(rc4, 0);
  EXPECT_NE(bad2.find("--model"), std::string::npos) << bad2;
}

}  // namespace
}  // namespace seqrec
