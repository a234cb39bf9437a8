// BERT4Rec 与 gSASRec 的测试：BERT4Rec 的 LibTorch 训练模块与原生推理逐位置一致、双向（后面的记号影响前面的输出）、
// 填充与截短不改变输出、encode = 历史 + [MASK]；gBCE 损失与手算一致（β 的公式、accidental hit 不计）；
// 掩码训练与 gbce 训练可复现且学到东西；命令行训练 → 服务 → 评估，以及不适用的选项报错。
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/bert4rec_native.h"
#include "models/sasrec_native.h"
#include "models/seq_torch.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "seq_test_util.h"
#include "test_util.h"
#include "train/losses.h"
#include "train/trainer.h"

namespace seqrec {
namespace {

// 小的 BERT4Rec：30 个物品、d 8、2 块 2 头、前馈 12、max_len 7。
ModelConfig bert_config() {
  ModelConfig c = ModelConfig::defaults_for("bert4rec");
  c.num_items = 30;
  c.dim = 8;
  c.layers = 2;
  c.heads = 2;
  c.ffn_dim = 12;
  c.max_len = 7;
  return c;
}

// 全部参数随机的训练模块（种子 11）。
std::shared_ptr<SeqNetImpl> random_bert(const ModelConfig& c) { return test::random_seq_net(c, 11); }

using test::expect_near;
using test::torch_rows;

constexpr int32_t kMask = 31;  // bert_config() 的 [MASK]：num_items + 1

TEST(Bert4Rec, NativeMatchesTorchAtEveryPosition) {
  const ModelConfig c = bert_config();
  auto net = random_bert(c);
  EXPECT_EQ(net->mask_token(), kMask);
  const auto native = Bert4RecModel::from_tensors(net->to_tensors(), c);
  const std::vector<std::vector<int32_t>> rows = {{3, kMask}, {1, kMask, 3, 4, 5, 6, kMask}, {9, 9, 0, 29}, {kMask}};
  const auto ref = torch_rows(*net, rows, c.max_len);
  for (size_t r = 0; r < rows.size(); ++r)
    expect_near(native.encode_tokens(rows[r].data(), rows[r].size()), ref[r], 1e-4f, "row " + std::to_string(r));
}

TEST(Bert4Rec, EncodeIsTheMaskAfterTheLastMaxLenMinusOneClicks) {
  const ModelConfig c = bert_config();
  auto net = random_bert(c);
  const auto native = Bert4RecModel::from_tensors(net->to_tensors(), c);
  const std::vector<int32_t> clicks = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<int32_t> tok(clicks.end() - (c.max_len - 1), clicks.end());
  tok.push_back(kMask);
  const auto all = torch_rows(*net, {tok}, c.max_len)[0];
  std::vector<float> q(static_cast<size_t>(c.dim)), u(q.size());
  native.encode(-1, clicks.data(), clicks.size(), q.data());
  expect_near(q, std::vector<float>(all.end() - c.dim, all.end()), 1e-4f, "encode");
  native.encode(5, clicks.data(), clicks.size(), u.data());
  EXPECT_EQ(q, u);  // 不用用户
  EXPECT_FALSE(native.uses_user());
  std::vector<float> z(q.size(), 1.0f);
  native.encode(-1, nullptr, 0, z.data());
  EXPECT_EQ(z, std::vector<float>(q.size(), 0.0f));  // 没有点击：零向量（调用方回退到最热门）
  // 物品矩阵不含填充与 [MASK] 两行。
  EXPECT_EQ(native.item_embeddings().rows, c.num_items);
  // 形状不符的权重被拒绝，并指明张量名。
  auto w = net->to_tensors();
  w["item_emb"].shape = {31, 8};
  try {
    Bert4RecModel::from_tensors(w, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("item_emb"), std::string::npos) << e.what();
  }
}

TEST(Bert4Rec, BidirectionalAndPaddingInvariant) {
  const ModelConfig c = bert_config();
  auto net = random_bert(c);
  // 双向：改变最后一个记号，前面位置的输出也变（SASRec 的因果模型不会）。
  std::vector<int32_t> a = {4, 8, 15, 16, 23}, b = a;
  b.back() = 11;
  const auto ra = torch_rows(*net, {a}, c.max_len)[0], rb = torch_rows(*net, {b}, c.max_len)[0];
  EXPECT_NE(std::vector<float>(ra.begin(), ra.begin() + c.dim), std::vector<float>(rb.begin(), rb.begin() + c.dim));
  // 填充：同一序列在截短的批（T = 5）与补满的批中输出相同；与批中其他行无关。
  expect_near(torch_rows(*net, {a}, 5)[0], ra, 1e-5f, "trimmed");
  expect_near(torch_rows(*net, {a, {1, 2, 3, 4, 5, 6, 7}}, c.max_len)[0], ra, 1e-5f, "other rows");
}

// gSASRec：SASRec 的网络，打分用单独的输出嵌入 out_emb；原生模型与 LibTorch 逐位置一致，物品矩阵就是 out_emb。
TEST(GsasRec, ScoresAgainstItsOwnOutputTable) {
  ModelConfig c = bert_config();
  c.type = "gsasrec";
  c.heads = 1;
  auto net = random_bert(c);
  const TensorMap w = net->to_tensors();
  ASSERT_EQ(w.count("out_emb"), 1u);
  EXPECT_EQ(w.at("out_emb").shape, (std::vector<int64_t>{c.num_items, c.dim}));
  const auto native = SasRecModel::from_tensors(w, c);
  const Matrix items = native.item_embeddings();
  EXPECT_EQ(items.data, w.at("out_emb").data);
  EXPECT_TRUE(std::equal(items.data.begin(), items.data.end(), native.item_table()));
  const std::vector<int32_t> clicks = {4, 8, 15, 16, 23};
  const auto ref = torch_rows(*net, {clicks}, c.max_len)[0];
  expect_near(native.encode_all(clicks.data(), clicks.size()), ref, 1e-4f, "gsasrec");
  // item_table() 是训练时打分的那张表（不是输入嵌入）。
  EXPECT_TRUE(net->item_table().equal(net->named_parameters()["out_emb"]));
  auto plain = w;
  plain.erase("out_emb");
  EXPECT_THROW(SasRecModel::from_tensors(plain, c), Error);  // 缺输出嵌入时指名报错
}

// gBCE：β = α·(t·(1 − 1/α) + 1/α)；损失 = Σₚ β·softplus(−s⁺) + Σₙ softplus(s⁻)（与目标相同的负样本不计）。
TEST(Losses, GbceMatchesHandComputedWithItsCalibration) {
  EXPECT_DOUBLE_EQ(gbce_beta(256, 3417, 0.0), 1.0);                    // t = 0：普通 BCE
  EXPECT_NEAR(gbce_beta(256, 3417, 1.0), 256.0 / 3416.0, 1e-12);       // t = 1：β = α
  EXPECT_NEAR(gbce_beta(256, 3417, 0.75), 0.75 * 256.0 / 3416.0 + 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(gbce_beta(50, 11, 0.5), 1.0);                       // 负样本多于物品：α 封顶为 1
  torch::manual_seed(3);
  auto h = torch::randn({4, 5});
  auto items = torch::randn({10, 5});
  LossInputs in;
  in.h = h;
  in.targets = torch::tensor({1, 3, 3, 9}, torch::kInt64);
  // 两行：第 0 行是位置 0..2，负样本 {3, 7, 0}（3 与位置 1、2 的目标相同）；第 1 行是位置 3，负样本 {9, 2, 5}
  // （9 是它的目标）。
  in.negs = torch::tensor({3, 7, 0, 9, 2, 5}, torch::kInt64).view({2, 3});
  in.row_off = torch::tensor({0, 3, 4}, torch::kInt64);
  in.gbce_beta = 0.4;
  double want = 0;
  auto softplus = [](double x) { return std::log1p(std::exp(x)); };
  for (int p = 0; p < 4; ++p) {
    const int64_t t = in.targets[p].item<int64_t>();
    want += 0.4 * softplus(-(h[p] * items[t]).sum().item<double>() * 2.0);
    const int row = p < 3 ? 0 : 1;
    for (int k = 0; k < 3; ++k) {
      const int64_t j = in.negs[row][k].item<int64_t>();
      if (j != t) want += softplus((h[p] * items[j]).sum().item<double>() * 2.0);
    }
  }
  EXPECT_NEAR(loss_sum(LossKind::kGBCE, in, items, 2.0).item<double>(), want, 1e-4);
  EXPECT_EQ(parse_loss("gbce"), LossKind::kGBCE);
}

// 小模型的训练设置（d 16、max_len 10、batch 32）。
std::pair<ModelConfig, TrainOptions> small(const std::string& type, const SequenceData& data) {
  ModelConfig c = ModelConfig::defaults_for(type);
  c.num_users = data.num_users();
  c.num_items = data.num_items();
  c.dim = 16;
  c.ffn_dim = 32;
  c.max_len = 10;
  TrainOptions o = TrainOptions::defaults_for(type);
  o.epochs = 8;
  o.eval_every = 4;
  o.batch_size = 32;
  o.lr = 5e-3;
  o.progress = false;
  return {c, o};
}

TEST(ZooTrainer, Bert4RecAndGsasrecTrainReproduciblyAndLearn) {
  const SequenceData data = test::small_synthetic_data();
  struct Case {
    std::string type, loss;
  };
  for (const Case& k : {Case{"bert4rec", "ce"}, Case{"bert4rec", "sampled"}, Case{"bert4rec", "gbce"},
                        Case{"gsasrec", "gbce"}, Case{"sasrec", "gbce"}}) {
    auto [c, o] = small(k.type, data);
    o.loss = k.loss;
    o.negatives = 20;
    if (k.loss == "gbce") o.epochs = 20;  // 负样本项先把全部打分压低，这么小的数据上学得比 CE 慢
    const std::string what = k.type + "/" + k.loss;
    auto r1 = train_sequence_model(data, c, o, nullptr);
    auto r2 = train_sequence_model(data, c, o, nullptr);
    EXPECT_EQ(r1.weights.at("item_emb").data, r2.weights.at("item_emb").data) << what;
    EXPECT_GT(r1.best_valid["HR@10"].get<double>(), 1.5 * 10.0 / c.num_items) << what;  // 明显好于随机
    // 训练的权重能建成原生模型（服务与评估用的就是它）。
    EXPECT_NO_THROW(make_encoder(r1.weights, c)) << what;
  }
  // 掩码概率改变训练（不同的遮法给出不同的权重）。
  auto [c, o] = small("bert4rec", data);
  o.epochs = 1;
  o.eval_every = 1;
  const auto a = train_sequence_model(data, c, o, nullptr);
  o.mask_prob = 0.5;
  const auto b = train_sequence_model(data, c, o, nullptr);
  EXPECT_NE(a.weights.at("item_emb").data, b.weights.at("item_emb").data);
}

TEST(ZooOptions, RecordedOnlyWhereTheyApplyAndChecked) {
  TrainOptions o = TrainOptions::defaults_for("gsasrec");
  EXPECT_EQ(o.loss, "gbce");
  auto j = o.to_json("gsasrec");
  EXPECT_EQ(j["negatives"], 256);
  EXPECT_EQ(j["neg_sampler"], "uniform");
  EXPECT_EQ(j["gbce_t"], 0.75);
  EXPECT_FALSE(j.contains("mask_prob"));
  auto b = TrainOptions::defaults_for("bert4rec").to_json("bert4rec");
  EXPECT_EQ(b["mask_prob"], 0.2);
  EXPECT_EQ(b["final_mask_prob"], 0.1);
  EXPECT_FALSE(b.contains("gbce_t"));
  // 从 manifest 读回（seqrec retrain 沿用父模型的选项）。
  j["gbce_t"] = 0.5;
  EXPECT_EQ(TrainOptions::from_json(j, "gsasrec").gbce_t, 0.5);
  b["mask_prob"] = 0.3;
  EXPECT_EQ(TrainOptions::from_json(b, "bert4rec").mask_prob, 0.3);
  o.gbce_t = 1.5;
  EXPECT_THROW(o.validate(), Error);
  o.gbce_t = 0.75;
  o.neg_sampler = "pop";
  EXPECT_THROW(o.validate(), Error);
  TrainOptions m = TrainOptions::defaults_for("bert4rec");
  m.mask_prob = 0;
  EXPECT_THROW(m.validate(), Error);
  ModelConfig c = ModelConfig::defaults_for("bert4rec");
  c.num_items = 5;
  c.max_len = 1;
  EXPECT_THROW(c.validate(), Error);  // 历史 + [MASK] 至少两个位置
}

TEST(ZooCli, TrainServeAndEvalBert4RecAndGsasrec) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 120, 50, 5, 12);
  for (const std::string type : {"bert4rec", "gsasrec"}) {
    const std::string out = dir.file(type);
    auto [rc, log] = test::run_cli("train --model " + type + " --data " + dir.file("ratings.csv") + " --out " + out +
                                   " --epochs 2 --eval-every 1 --dim 8 --ffn-dim 16 --max-len 10 --quiet");
    ASSERT_EQ(rc, 0) << log;
    auto bundle = ModelBundle::load(out, ScanPrecision::kInt8);
    EXPECT_EQ(bundle->manifest["model_type"], type);
    EXPECT_EQ(bundle->model->config().type, type);
    RecommendRequest req;
    req.recent_clicks = {bundle->items.id(1), bundle->items.id(2)};
    req.top_k = 5;
    auto r = recommend(*bundle, req);
    EXPECT_EQ(r["strategy"], "model");
    EXPECT_EQ(r["recommended_item_ids"].size(), 5u);
    auto [rc2, ev] = test::run_cli("eval --model " + out + " --json", true);
    ASSERT_EQ(rc2, 0) << ev;
    EXPECT_GT(nlohmann::json::parse(ev)["model"]["HR@10"].get<double>(), 0.0);
  }
  // 不适用的选项报错，而不是默默忽略。
  const std::string base = "train --data " + dir.file("ratings.csv") + " --out " + dir.file("x") + " ";
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--model sasrec --mask-prob 0.3", "--mask-prob does not apply to --model sasrec"},
           {"--model bert4rec --gbce-t 0.5", "--gbce-t applies to --loss gbce"},
           {"--model gsasrec --neg-sampler pop", "--neg-sampler pop does not apply"},
           {"--model gsasrec --gbce-t 2", "--gbce-t must be in [0, 1]"},
           {"--model bert4rec --final-mask-prob -1", "--final-mask-prob must be in [0, 1]"}}) {
    auto [rc, out] = test::run_cli(base + args);
    EXPECT_NE(rc, 0) << args;
    EXPECT_NE(out.find(needle), std::string::npos) << args << ": " << out;
  }
}

}  // namespace
}  // namespace seqrec
