// LightGCN 的测试：图传播与手算一致、训练可复现且学到东西、原生推理与训练模块一致、命令行训练与服务。
#include <gtest/gtest.h>

#include <cmath>

#include "data/dataset.h"
#include "data/synthetic.h"
#include "models/encoder.h"
#include "models/lightgcn_torch.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "test_util.h"
#include "train/trainer.h"

namespace seqrec {
namespace {

// 两个用户、三个物品：u0 训练部分 {0, 1}，u1 训练部分 {1, 2}（留一法去掉每个序列最后两个）。
SequenceData tiny_graph() {
  SequenceData d;
  d.users.add("u0");
  d.users.add("u1");
  for (const char* i : {"i0", "i1", "i2"}) d.items.add(i);
  d.seqs = {{0, 1, 2, 2}, {1, 2, 0, 0}};
  return d;
}

// 一层传播：最终表示 = (E0 + Â E0) / 2，Â_ui = 1 / sqrt(deg_u · deg_i)。
TEST(LightGcn, PropagationMatchesHandComputed) {
  const SequenceData d = tiny_graph();
  ModelConfig c = ModelConfig::defaults_for("lightgcn");
  c.num_users = 2;
  c.num_items = 3;
  c.dim = 4;
  c.layers = 1;
  LightGcnNet net(c, d);
  EXPECT_EQ(net->edges, 4);
  auto [uf, itf] = net->propagate();
  const auto U = net->user_emb->weight.detach(), I = net->item_emb->weight.detach();
  // 度：u0 2、u1 2、i0 1、i1 2、i2 1。
  const double s2 = 1.0 / std::sqrt(2.0), s4 = 0.5;
  const auto u0 = (U[0] + (s2 * I[0] + s4 * I[1])) / 2;
  const auto u1 = (U[1] + (s4 * I[1] + s2 * I[2])) / 2;
  const auto i1 = (I[1] + (s4 * U[0] + s4 * U[1])) / 2;
  const auto i2 = (I[2] + s2 * U[1]) / 2;
  EXPECT_TRUE(torch::allclose(uf[0], u0, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(uf[1], u1, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(itf[1], i1, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(itf[2], i2, 1e-5, 1e-6));
}

SequenceData synthetic_data() { return test::small_synthetic_data(); }

// 训练：同一种子结果逐位相同；验证命中率明显好于随机；导出的原生模型与训练模块的传播一致；
// 匿名用户 = 最近点击的物品表示的平均。
TEST(LightGcn, TrainsReproduciblyAndServesTheSameTables) {
  const SequenceData data = synthetic_data();
  ModelConfig c = ModelConfig::defaults_for("lightgcn");
  c.num_users = data.num_users();
  c.num_items = data.num_items();
  c.dim = 16;
  c.layers = 2;
  for (const std::string loss : {"bpr", "ce"}) {
    TrainOptions o = TrainOptions::defaults_for("lightgcn");
    o.loss = loss;
    o.epochs = 10;
    o.eval_every = 5;
    o.batch_size = 256;
    o.lr = 1e-2;
    o.progress = false;
    auto r1 = train_lightgcn(data, c, o, nullptr);
    auto r2 = train_lightgcn(data, c, o, nullptr);
    EXPECT_EQ(r1.weights.at("item_table").data, r2.weights.at("item_table").data) << loss;
    EXPECT_GT(r1.best_valid["HR@10"].get<double>(), 1.5 * 10.0 / c.num_items) << loss;
    auto enc = make_encoder(r1.weights, c);
    EXPECT_TRUE(enc->uses_user());
    std::vector<float> q(static_cast<size_t>(c.dim));
    enc->encode(3, nullptr, 0, q.data());
    const auto& ut = r1.weights.at("user_table").data;
    for (int j = 0; j < c.dim; ++j) EXPECT_EQ(q[static_cast<size_t>(j)], ut[static_cast<size_t>(3 * c.dim + j)]);
    const int32_t clicks[] = {5, 7};
    enc->encode(-1, clicks, 2, q.data());
    const auto& it = r1.weights.at("item_table").data;
    for (int j = 0; j < c.dim; ++j)
      EXPECT_NEAR(q[static_cast<size_t>(j)], (it[static_cast<size_t>(5 * c.dim + j)] + it[static_cast<size_t>(7 * c.dim + j)]) / 2, 1e-6);
  }
}

// 命令行：train --model lightgcn 导出的目录可以服务；已知用户不需要点击，匿名用户靠点击。
TEST(LightGcn, CliTrainAndServe) {
  test::TempDir dir;
  test::write_synthetic_csv(dir.file("ratings.csv"), 120, 50, 5, 12);
  const std::string out = dir.file("lgcn");
  auto [rc, log] = test::run_cli("train --model lightgcn --data " + dir.file("ratings.csv") + " --out " + out +
                                 " --epochs 2 --eval-every 1 --dim 8 --layers 2 --reg-weight 1e-3 --quiet");
  ASSERT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("lightgcn graph"), std::string::npos) << log;
  auto b = ModelBundle::load(out, ScanPrecision::kInt8);
  EXPECT_EQ(b->manifest["model_type"], "lightgcn");
  EXPECT_EQ(b->manifest["training"]["reg_weight"], 1e-3);
  RecommendRequest req;
  req.user_id = b->users.id(0);
  req.top_k = 5;
  auto r = recommend(*b, req);
  EXPECT_EQ(r["strategy"], "model");
  EXPECT_EQ(r["recommended_item_ids"].size(), 5u);
  req.user_id = "someone-new";
  req.recent_clicks = {b->items.id(1)};
  EXPECT_EQ(recommend(*b, req)["strategy"], "model");
  auto [rc2, bad] = test::run_cli("train --model lightgcn --reg-weight -1 --out " + dir.file("x"));
  EXPECT_NE(rc2, 0);
  EXPECT_NE(bad.find("--reg-weight"), std::string::npos) << bad;
}

}  // namespace
}  // namespace seqrec
