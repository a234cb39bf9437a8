// LightGCN（He et al., SIGIR 2020）的原生推理实现。
//
// 训练（lightgcn_torch.h）在用户–物品二部图上做 L 层无参数的邻居平均传播：
//   E^{(l+1)} = D^{-1/2} A D^{-1/2} E^{(l)}，最终表示 = 各层（含第 0 层）的平均，
// 用 BPR 损失学习第 0 层嵌入。推理只需要传播后的最终表示，训练结束时算好导出：
//   user_table [U, d]：每个训练用户的最终表示；item_table [I, d]：每个物品的最终表示。
// 打分为内积。已知用户用其 user_table 行（最近点击不改变结果——这是一个协同过滤模型，不是序列模型）；
// 匿名或新用户用最近点击（最多 max_len 个）的 item_table 行的平均值（fold-in），没有点击时输出全零
// （调用方回退到最热门）。item_table 也是语义 ID 的输入（协同过滤物品向量）。
#pragma once

#include <vector>

#include "models/encoder.h"

namespace seqrec {

class LightGcnModel : public SequenceEncoder {
 public:
  static LightGcnModel from_tensors(const TensorMap& t, const ModelConfig& cfg);

  const ModelConfig& config() const override { return cfg_; }
  void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const override;
  bool uses_user() const override { return true; }
  Matrix item_embeddings() const override;
  const float* item_table() const override { return item_table_.data(); }

 private:
  ModelConfig cfg_;
  std::vector<float> user_table_;  // [num_users, d]
  std::vector<float> item_table_;  // [num_items, d]
};

}  // namespace seqrec
