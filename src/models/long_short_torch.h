// 长短期兴趣 Transformer 的 LibTorch 训练模块。结构与 long_short_native.h 描述的完全一致；
// to_tensors()/load_tensors() 在两者之间转换权重（safetensors 命名）。
#pragma once

#include <torch/torch.h>

#include "core/safetensors.h"
#include "models/torch_util.h"
#include "models/model_config.h"

namespace seqrec {


// 一个 pre-LN Transformer 块：x + Attn(LN1(x))，再 x + FFN(LN2(x))。
struct BlockImpl : torch::nn::Module {
  BlockImpl(int dim, int heads, int ffn_dim, double dropout);
  // x: [B,T,d]；key_pad: [B,T]（true 为填充）；last_only 时只计算最后一个 token 并返回 [B,1,d]。
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& key_pad, bool last_only, DropoutRng* gen);

  int heads;
  double dropout;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear in_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(Block);

// 整个模型。
struct LongShortTransformerImpl : torch::nn::Module {
  LongShortTransformerImpl(const ModelConfig& cfg, double dropout);
  // user_rows: [B] int64，user_emb 的行号（0 = 未知用户，内部用户 u 为 u+1）；
  // seq: [B, max_len] int64，左侧用 num_items 填充，最新点击在最右。返回用户向量 [B, d]。
  // gen：训练模式下 dropout 使用的随机数发生器（每个数据并行分片一个，保证可复现）；可为空（用线程局部的默认源）。
  torch::Tensor forward(const torch::Tensor& user_rows, const torch::Tensor& seq, DropoutRng* gen = nullptr);

  // 导出为命名张量（safetensors 命名，与原生推理一致）。
  TensorMap to_tensors();
  // 从命名张量载入权重（形状必须一致）。
  void load_tensors(const TensorMap& t);

  ModelConfig cfg;
  torch::nn::Embedding item_emb{nullptr}, user_emb{nullptr}, pos_emb{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  double dropout;
};
TORCH_MODULE(LongShortTransformer);

}  // namespace seqrec
