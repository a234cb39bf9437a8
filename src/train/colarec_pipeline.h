// colarec 流水线（生成式检索）：物品内容 → 分词器 → 语义 ID → 多任务训练 → 束搜索评估 → 导出。
// 程序（app/train_genrec.cpp）只解析选项；这里做事。分阶段调用，让程序只在训练阶段接管 Ctrl-C：
//   ColarecPipeline p(opt, data, m, t);   // 内容、分词器、语义 ID（或 --init-from 的来源）
//   TrainResult r = p.train(on_epoch);
//   auto metrics = p.evaluate(r);          // 打印验证与测试的表格
//   p.export_model(out, r, metrics, data_options);
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "data/item_content.h"
#include "data/tokenizer.h"
#include "models/genrec_config.h"
#include "models/model_config.h"
#include "models/semantic_ids.h"
#include "train/genrec_trainer.h"
#include "train/trainer.h"

namespace seqrec {

// colarec 的选项（命令行的 colarec 分组逐项对应，见 app/train_genrec.cpp）。
struct ColarecOptions {
  std::string content;          // 物品内容文件（空 = 不用内容）
  ContentOptions content_opt;
  std::string content_cols, content_fields;  // 逗号分隔的列名 / JSON 字段名
  TokenizerOptions tokenizer;
  int content_len = 8;
  int index_users = 5;
  int dec_layers = 2;
  bool sid_input = false;       // 推荐任务输入的物品嵌入加上其语义 ID 的码本嵌入
  bool sid_input_only = false;  // 同上，且不用物品记号自己的嵌入（TIGER 式：输入只有语义 ID）
  bool pos_from_end = false;    // 编码器位置从最后一个记号往前数
  bool content_pool = false;    // 内容记号取平均加到物品记号上，不逐个放进输入序列
  double sid_content_weight = 0;  // > 0 时语义 ID 的输入向量拼上物品内容的随机投影草图（乘此权重）
  std::string sid_from;         // 协同过滤物品向量：模型目录（item_map.json + item_embeddings.npy）或 .npy
  std::string init_from;        // 已有 colarec 模型目录：沿用其结构、内容记号、分词器与语义 ID，从其权重接着训练
  SemanticIdOptions sid;
  GenRecTrainOptions gen;
};

// --init-from 的来源必须是 colarec 模型目录（manifest 的 model_type），否则抛出 Error。
void require_colarec(const nlohmann::json& manifest, const std::string& dir);

// 一次 colarec 训练的全部阶段。构造时读内容、训练分词器、构建语义 ID（或从 --init-from 载入），
// 校验选项之间的矛盾；m 提供 dim / layers（编码器层数）/ heads / ffn_dim / max_len。
class ColarecPipeline {
 public:
  ColarecPipeline(const ColarecOptions& opt, const SequenceData& data, const ModelConfig& m, const TrainOptions& t);
  // 模型结构（构造后已确定）。
  const GenRecConfig& config() const { return cfg_; }
  // 训练（检查点记下结构、生成式选项与训练输入的摘要：续训时它们必须不变）。
  TrainResult train(const EpochCallback& on_epoch) const;
  // 验证与测试：束搜索生成 top-20，与最热门对比并按历史长度分组；打印表格，返回写进 manifest 的指标。
  nlohmann::ordered_json evaluate(const TrainResult& res) const;
  // 原子导出模型目录。
  void export_model(const std::string& out, const TrainResult& res, const nlohmann::ordered_json& metrics,
                    const nlohmann::json& data_options) const;

 private:
  const ColarecOptions& f_;
  const SequenceData& data_;
  TrainOptions train_;
  GenRecConfig cfg_;
  GenRecInputs in_;
  std::unique_ptr<ContentTokenizer> tok_;
  nlohmann::json content_info_;
  nlohmann::json init_source_;
};

}  // namespace seqrec
