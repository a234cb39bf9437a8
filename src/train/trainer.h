// 训练循环：下一次点击预测，查询向量与全部物品嵌入打分，softmax 交叉熵，Adam/AdamW，
// 每轮在验证集上做全量排序评估（HR@10/NDCG@10），早停，保留最佳一轮的权重。
// 本头文件不包含 LibTorch，调用方（如 seqrec train）无需承担其编译开销。
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/safetensors.h"
#include "data/dataset.h"
#include "models/long_short_config.h"

namespace seqrec {

// 训练选项（全部有默认值，写入 manifest）。
struct TrainOptions {
  int epochs = 30;               // 最多训练轮数
  int batch_size = 512;
  double lr = 2e-3;
  double weight_decay = 0.0;
  std::string optimizer = "adam";  // "adam" 或 "adamw"
  double dropout = 0.2;
  double temperature = 0.1;      // similarity=cosine 时 logits = cos / temperature
  double user_dropout = 0.1;     // 以此概率把用户换成“未知用户”，训练只靠短期兴趣
  double history_dropout = 0.1;  // 以此概率清空点击历史，训练只靠长期兴趣
  int patience = 3;              // 验证 NDCG@10 连续这么多轮不提升则停止
  uint64_t seed = 42;
  int threads = 2;               // LibTorch 线程数
  bool progress = true;          // 是否在终端显示进度行（非终端时总是安静）

  void validate() const;
  nlohmann::json to_json() const;
};

// 训练结果。
struct TrainResult {
  TensorMap weights;              // 最佳一轮的权重（safetensors 命名）
  int best_epoch = 0;
  nlohmann::json best_valid;      // 最佳一轮的验证指标
  std::string epoch_log;          // 每轮一行 JSON（train_log.jsonl 的内容）
  int epochs_run = 0;
  double train_seconds = 0;
  double seconds_per_epoch = 0;   // 纯训练部分（不含验证）的平均值
  double samples_per_second = 0;
  int64_t samples_per_epoch = 0;
};

// 训练模型。on_epoch 在每轮结束后以该轮的 JSON 记录调用（可为空）。
TrainResult train_long_short(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                             const std::function<void(const nlohmann::json&)>& on_epoch);

}  // namespace seqrec
