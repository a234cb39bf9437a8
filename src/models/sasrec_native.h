// SASRec（Kang & McAuley, ICDM 2018）的原生（无 LibTorch）推理实现，供服务与评估使用。
//
// 结构（与 sasrec_torch.h 的训练模块逐项一致，测试保证两者输出相同）：
//   输入：最近 n 个点击（n <= max_len）的物品嵌入 × sqrt(d) + 学习的位置嵌入（右对齐：最新点击的位置恒为
//   max_len-1，与训练时左侧填充的窗口一致）；
//   blocks 个因果自注意力块（位置 i 只看 j <= i），每块 = 多头注意力 + 逐位置前馈（Linear-ReLU-Linear）；
//   取最后一个位置的输出作为查询向量，与共享的物品嵌入做内积（或余弦）打分。
// LayerNorm 的三种放法（--norm）：
//   paper：作者 TensorFlow 代码（及 pmixer 的 PyTorch 复现）的做法：q = LN1(x)，x = q + Attn(q, x, x)；
//          y = LN2(x)，x = y + FFN(y)；最后再 LN_f。K、V 取未归一化的 x，残差接在归一化后的 q 上。
//   pre：  标准 pre-LN：a = LN1(x)，x = x + Attn(a, a, a)；x = x + FFN(LN2(x))；最后 LN_f。
//   post： 原始 Transformer / RecBole 的 post-LN：x = LN_f(输入)；x = LN1(x + Attn(x, x, x))；
//          x = LN2(x + FFN(x))；输出不再归一化（LN_f 用在输入上）。
// LayerNorm 的 eps 为 1e-8（与作者代码一致）。
//
// gSASRec（type gsasrec）结构相同，只是打分用单独的输出嵌入 out_emb [I,d]，不与输入嵌入共用。
// 权重张量名（safetensors）：item_emb [I+1,d]（第 I 行为填充）、pos_emb [max_len,d]、
// blocks.{l}.{ln1,ln2}.{weight,bias}、blocks.{l}.{in_proj,out_proj,ffn1,ffn2}.{weight,bias}、ln_f.{weight,bias}。
// in_proj 的前 d 行产生 Q，接着 d 行产生 K，最后 d 行产生 V（与 torch.nn.MultiheadAttention 相同）。
#pragma once

#include <vector>

#include "core/scratch_pool.h"
#include "models/encoder.h"
#include "models/native_ops.h"

namespace seqrec {

// SASRec 的 LayerNorm eps。
constexpr float kSasRecLnEps = 1e-8f;

// 推理模型：加载后只读，可被多个线程同时调用 encode()。
class SasRecModel : public SequenceEncoder {
 public:
  // 从命名张量构建；逐个校验名字与形状，缺失或不符时抛出 Error。
  static SasRecModel from_tensors(const TensorMap& t, const ModelConfig& cfg);

  const ModelConfig& config() const override { return cfg_; }
  // 不使用用户 ID：查询向量只取决于最近的点击；n = 0 时输出全零向量（调用方应回退到最热门）。
  void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const override;
  bool uses_user() const override { return false; }
  Matrix item_embeddings() const override;
  const float* item_table() const override { return out_emb_.empty() ? item_emb_.data() : out_emb_.data(); }
  // 最近 min(n, max_len) 个点击每个位置的输出 [T, d]（测试用：与 LibTorch 的训练前向逐位置比对）。
  std::vector<float> encode_all(const int32_t* clicks, size_t n) const;

 private:
  // 前向：all_rows 为 false 时最后一块只计算最后一行，结果（1 行或 T 行）写入 out。
  void forward(const int32_t* clicks, int n, bool all_rows, float* out) const;

  ModelConfig cfg_;
  std::vector<float> item_emb_, pos_emb_;
  std::vector<float> out_emb_;  // gsasrec：打分用的输出嵌入 [I, d]（sasrec 为空：与输入嵌入共用）
  NormWeights ln_f_;
  std::vector<BlockWeights> blocks_;
  ScratchPool scratch_;  // 每次调用借一份的临时缓冲（见 core/scratch_pool.h）
};

}  // namespace seqrec
