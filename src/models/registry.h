// 模型表：每种可训练的模型一行（名字、manifest 里的名字、一句话说明、家族、结构与训练默认值、原生推理工厂）。
// train 的 --model 取值与帮助、manifest 的 model_type、默认值与原生模型的构建都从这里取，
// 别处不再按类型名做字符串比较。加一个模型 = 这里加一行，再加它自己的文件。
// 训练入口按家族分派（train/trainer.cpp 的 train_model）：同一家族的新模型不必改训练循环。
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "models/encoder.h"
#include "models/model_config.h"

namespace seqrec {

// 模型家族：决定用哪个训练循环、服务端如何检索。
enum class ModelFamily {
  kLongShort,   // 用户嵌入 + 最近点击（滑动窗口样本）
  kSequence,    // 每个位置预测下一个物品（SASRec、GRU4Rec）
  kGraph,       // 用户–物品图上的传播（LightGCN）
  kGenerative,  // 语义 ID 的编码器–解码器 + 受约束束搜索（colarec）
};

// 训练选项里按模型而定的默认值（其余训练选项对所有模型相同，见 train/trainer.h 的 TrainOptions）。
struct TrainDefaults {
  int epochs = 30;
  std::string loss = "ce";
  int batch_size = 512;
  double lr = 2e-3;
  double beta2 = 0.999;
  double dropout = 0.2;
  double reg_weight = 0.0;
  int eval_every = 1;
  int patience = 3;
};

// 由命名张量构建原生推理模型（生成式模型另有自己的载入路径，见 models/genrec_native.h）。
using NativeFactory = std::unique_ptr<SequenceEncoder> (*)(const TensorMap& weights, const ModelConfig& cfg);

// 模型表中的一行。
struct ModelKind {
  std::string name;           // --model 的取值，也是 ModelConfig::type
  std::string manifest_name;  // manifest.json 与 model.safetensors 元数据里的 model_type
  std::string help;           // --model 帮助里的一句话
  ModelFamily family;
  ModelConfig model;          // 结构默认值（type 即 name）
  bool ffn_follows_dim;       // 只给了 --dim 时前馈宽度随之等于 dim（SASRec 论文的设置）
  TrainDefaults train;
  NativeFactory make_native;  // 生成式模型为空
  // 这个模型不读的 train 选项：命令行上给了就报错（而不是默默忽略），训练日志的摘要也不列出它们。
  std::vector<std::string> unused_flags;
  // seqrec retrain 能否从上一个模型热启动（沿用已有用户与物品的行）：空 = 能；否则是不能的原因（写进
  // 日志与 lineage，这时从随机初始化重新训练）。
  std::string warm_start_limit;
  // seqrec retrain 能否重新训练这种模型：空 = 能；否则是不能的原因（retrain 以它拒绝）。
  std::string retrain_limit;
};

// 全部模型，第一行是默认模型。
const std::vector<ModelKind>& model_kinds();
// 按 --model 名字查找；不认识时返回空指针。
const ModelKind* find_model_kind(const std::string& name);
// 按 manifest 的 model_type 查找；不认识时返回空指针。
const ModelKind* find_model_kind_by_manifest(const std::string& manifest_name);
// 按名字查找；不认识时抛出 Error，消息列出可选的名字。
const ModelKind& model_kind(const std::string& name);
// manifest 的 model_type 是否是生成式模型（colarec）。
bool is_generative_model_type(const std::string& manifest_name);
// 全部模型的名字，按表中次序；vector_only 时不含生成式模型（它们没有查询向量）。
std::vector<std::string> model_kind_names(bool vector_only = false);
// 全部模型在 manifest 里的 model_type，按表中次序。
std::vector<std::string> manifest_names();
// "a, b, c or d"：错误消息里列出可选值。
std::string join_or(const std::vector<std::string>& names);

}  // namespace seqrec
