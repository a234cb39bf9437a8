// GRU4Rec（Hidasi et al., ICLR 2016；按 RecBole 的实现方式）的原生推理实现。
//
// 结构（与 gru4rec_torch.h 的训练模块一致）：物品嵌入 → layers 层 GRU（隐状态宽度 H）→
// 取最后一个点击处的隐状态；H 与嵌入维度 d 不同时再经过一个线性投影 proj [d, H] 回到 d 维；
// 与共享的物品嵌入做内积（或余弦）打分。GRU 的门顺序与公式与 PyTorch 相同：
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)，z = σ(W_iz x + b_iz + W_hz h + b_hz)，
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))，h' = (1 − z) ⊙ n + z ⊙ h。
//
// 权重张量名：item_emb [I+1,d]（第 I 行为填充）、gru.weight_ih_l{k} [3H,in]、gru.weight_hh_l{k} [3H,H]、
// gru.bias_ih_l{k} [3H]、gru.bias_hh_l{k} [3H]、（H ≠ d 时）proj.{weight,bias}。
#pragma once

#include <vector>

#include "core/scratch_pool.h"
#include "models/encoder.h"
#include "models/native_ops.h"

namespace seqrec {

// 推理模型：加载后只读，可被多个线程同时调用 encode()。
class Gru4RecModel : public SequenceEncoder {
 public:
  static Gru4RecModel from_tensors(const TensorMap& t, const ModelConfig& cfg);

  const ModelConfig& config() const override { return cfg_; }
  // 不使用用户 ID；n = 0 时输出全零向量（调用方应回退到最热门）。
  void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const override;
  bool uses_user() const override { return false; }
  Matrix item_embeddings() const override;
  const float* item_table() const override { return item_emb_.data(); }
  // 最近 min(n, max_len) 个点击每个位置的输出 [T, d]（测试用）。
  std::vector<float> encode_all(const int32_t* clicks, size_t n) const;

 private:
  // 一层 GRU 的权重。
  struct Layer {
    LinearWeights ih, hh;
  };
  // 前向：all_rows 为 true 时输出每个位置，否则只输出最后一个位置。
  void forward(const int32_t* clicks, int n, bool all_rows, float* out) const;

  ModelConfig cfg_;
  std::vector<float> item_emb_;
  std::vector<Layer> layers_;
  LinearWeights proj_;  // H == d 时为空
  ScratchPool scratch_;  // 每次调用借一份的临时缓冲（见 core/scratch_pool.h）
};

}  // namespace seqrec
