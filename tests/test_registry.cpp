// 模型表测试：名字与 manifest 名字互相对应；默认值来自表；不认识的名字报出可选值；
// 每个向量模型都能由原生工厂从训练模块的权重构建（加一行而漏了工厂时这里失败）。
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "models/registry.h"
#include "train/trainer.h"

namespace seqrec {
namespace {

// 名字唯一，manifest 名字唯一且能查回同一行；第一行是默认模型 long_short。
TEST(Registry, NamesAreUniqueAndRoundTrip) {
  std::set<std::string> names, manifests;
  for (const auto& k : model_kinds()) {
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
    EXPECT_TRUE(manifests.insert(k.manifest_name).second) << k.manifest_name;
    EXPECT_EQ(find_model_kind(k.name), &k);
    EXPECT_EQ(find_model_kind_by_manifest(k.manifest_name), &k);
    EXPECT_EQ(k.model.type, k.name);
    EXPECT_FALSE(k.help.empty()) << k.name;
    // 只有生成式模型没有原生向量工厂
    EXPECT_EQ(k.make_native == nullptr, k.family == ModelFamily::kGenerative) << k.name;
  }
  EXPECT_EQ(ModelConfig().type, model_kinds().front().name);
  EXPECT_EQ(model_type_name(ModelConfig::defaults_for("long_short")), "long_short_transformer");
  EXPECT_EQ(config_type_from_manifest("long_short_transformer"), "long_short");
  EXPECT_EQ(config_type_from_manifest("colarec"), "");  // 生成式模型没有 ModelConfig
  EXPECT_EQ(config_type_from_manifest("nope"), "");
  EXPECT_TRUE(is_generative_model_type("colarec"));
  EXPECT_FALSE(is_generative_model_type("sasrec"));
}

// 默认值取自表；不认识的类型给基础默认值并由 validate 报出可选的向量模型。
TEST(Registry, DefaultsComeFromTheTable) {
  for (const auto& k : model_kinds()) {
    const ModelConfig c = ModelConfig::defaults_for(k.name);
    EXPECT_EQ(c.dim, k.model.dim) << k.name;
    EXPECT_EQ(c.max_len, k.model.max_len) << k.name;
    const TrainOptions o = TrainOptions::defaults_for(k.name);
    EXPECT_EQ(o.epochs, k.train.epochs) << k.name;
    EXPECT_EQ(o.loss, k.train.loss) << k.name;
    EXPECT_EQ(o.lr, k.train.lr) << k.name;
    if (k.family != ModelFamily::kGenerative) {
      ModelConfig v = c;
      v.num_items = 5;
      EXPECT_NO_THROW(v.validate()) << k.name;
    }
  }
  ModelConfig bad = ModelConfig::defaults_for("hstu");
  bad.num_items = 5;
  try {
    bad.validate();
    FAIL() << "hstu validated";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("long_short, sasrec, gsasrec, bert4rec, gru4rec or lightgcn"), std::string::npos) << e.what();
  }
  try {
    model_kind("hstu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lightgcn or colarec"), std::string::npos) << e.what();
  }
  EXPECT_EQ(join_or({"a"}), "a");
  EXPECT_EQ(join_or({"a", "b", "c"}), "a, b or c");
}

// make_encoder 拒绝生成式模型与不认识的类型，而不是崩溃。
TEST(Registry, MakeEncoderRefusesWhatItCannotBuild) {
  ModelConfig c = ModelConfig::defaults_for("colarec");
  EXPECT_THROW(make_encoder({}, c), Error);
  c.type = "nope";
  EXPECT_THROW(make_encoder({}, c), Error);
  c = ModelConfig::defaults_for("sasrec");
  c.num_items = 5;
  EXPECT_THROW(make_encoder({}, c), Error);  // 缺权重：报错而不是越界
}

}  // namespace
}  // namespace seqrec
