// BERT4Rec（Sun et al., CIKM 2019）的原生（无 LibTorch）推理实现，供服务与评估使用。
//
// 结构（与 bert4rec_torch.h 的训练模块逐项一致，测试保证两者输出相同）：
//   输入：最近 n 个点击（n <= max_len − 1）之后接一个 [MASK]；x = LN_emb(物品嵌入 + 位置嵌入)，位置右对齐
//   （[MASK] 的位置恒为 max_len − 1，与训练时左侧填充的窗口一致）；
//   blocks 个双向（post-LN）Transformer 块：x = LN1(x + Attn(x, x, x))；x = LN2(x + FFN(x))，FFN 为
//   Linear-GELU-Linear；
//   输出头：[MASK] 位置的 h = LN_head(GELU(head(x)))，作为查询向量与共享的物品嵌入做内积打分
//   （论文的输出层；不带逐物品的输出偏置，使打分仍是一次内积检索）。
// 训练：每个用户的最后 max_len 个训练物品，每个位置以 --mask-prob 的概率换成 [MASK]、预测原物品；
// 以 --final-mask-prob 的概率一行只遮住最后一个物品（论文为对齐“预测下一个”而加的样本）。
// LayerNorm 的 eps 为 1e-5。
//
// 权重张量名（safetensors）：item_emb [I+2,d]（第 I 行为填充、第 I+1 行为 [MASK]）、pos_emb [max_len,d]、
// ln_emb.{weight,bias}、blocks.{l}.{ln1,ln2}.{weight,bias}、blocks.{l}.{in_proj,out_proj,ffn1,ffn2}.{weight,bias}、
// head.{weight,bias}、ln_head.{weight,bias}。in_proj 依次产生 Q、K、V（与 SASRec 相同）。
#pragma once

#include <vector>

#include "core/scratch_pool.h"
#include "models/encoder.h"
#include "models/native_ops.h"

namespace seqrec {

// BERT4Rec 的 LayerNorm eps。
constexpr float kBert4RecLnEps = 1e-5f;

// 推理模型：加载后只读，可被多个线程同时调用 encode()。
class Bert4RecModel : public SequenceEncoder {
 public:
  // 从命名张量构建；逐个校验名字与形状，缺失或不符时抛出 Error。
  static Bert4RecModel from_tensors(const TensorMap& t, const ModelConfig& cfg);

  const ModelConfig& config() const override { return cfg_; }
  // 不使用用户 ID：查询向量 = 最近 max_len − 1 个点击之后 [MASK] 位置的输出；n = 0 时输出全零向量
  // （调用方回退到最热门）。
  void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const override;
  bool uses_user() const override { return false; }
  Matrix item_embeddings() const override;
  const float* item_table() const override { return item_emb_.data(); }
  // 任意记号序列（物品下标，或 mask_token() 表示 [MASK]；n <= max_len）每个位置经输出头后的结果 [n, d]
  // （测试用：与 LibTorch 的训练前向逐位置比对）。
  std::vector<float> encode_tokens(const int32_t* tokens, size_t n) const;
  int32_t mask_token() const { return cfg_.num_items + 1; }

 private:
  // 前向：all_rows 为 false 时最后一块只计算最后一行；经输出头的结果（1 行或 n 行）写入 out。
  void forward(const int32_t* tokens, int n, bool all_rows, float* out) const;

  ModelConfig cfg_;
  std::vector<float> item_emb_, pos_emb_;
  NormWeights ln_emb_, ln_head_;
  LinearWeights head_;
  std::vector<BlockWeights> blocks_;
  ScratchPool scratch_;  // 每次调用借一份的临时缓冲（见 core/scratch_pool.h）
};

}  // namespace seqrec
