// LightGCN 的 LibTorch 训练模块（推理见 lightgcn_native.h）。
// 参数只有第 0 层的用户与物品嵌入；传播矩阵 Â = D^{-1/2} A D^{-1/2} 由训练部分的用户–物品交互构成
// （二部图，重复交互只算一条边），以稀疏 COO 张量保存，前向为 layers 次稀疏 × 稠密矩阵乘法。
#pragma once

#include <torch/torch.h>

#include <utility>

#include "core/safetensors.h"
#include "data/dataset.h"
#include "models/model_config.h"

namespace seqrec {

struct LightGcnNetImpl : torch::nn::Module {
  // 由数据的训练部分建图（留一法：每个用户去掉最后两个；temporal：验证期之前）。
  LightGcnNetImpl(const ModelConfig& c, const SequenceData& data);
  // 传播后的最终表示：{用户 [U, d]，物品 [I, d]}（各层平均）。
  std::pair<torch::Tensor, torch::Tensor> propagate();
  // 导出推理用的 user_table / item_table（不求导）。
  TensorMap to_tensors();

  ModelConfig cfg;
  torch::nn::Embedding user_emb{nullptr}, item_emb{nullptr};
  torch::Tensor adj;     // [U+I, U+I] 稀疏，已归一化
  int64_t edges = 0;     // 无向边数（不同的用户–物品对）
};
TORCH_MODULE(LightGcnNet);

}  // namespace seqrec
