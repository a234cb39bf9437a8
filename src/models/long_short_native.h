// 长短期兴趣 Transformer 的原生（无 LibTorch）推理实现，供服务与评估使用。
//
// 结构（与 long_short_torch.h 中的训练模块逐项一致，测试保证两者输出相同）：
//   输入 token：最近 n 个点击（n <= max_len）的物品嵌入 + 位置嵌入（右对齐：最新点击的位置恒为 max_len-1），
//   末尾再接一个“查询 token”，其输入为位置嵌入 pos_emb[max_len]；
//   经过 layers 个 pre-LN Transformer 块（多头自注意力 + GELU 前馈）与最终 LayerNorm，
//   取查询 token 的输出作为短期兴趣 s；
//   用户向量 = s + user_emb[用户]（长期兴趣；未知用户使用训练过的第 0 行“未知用户”嵌入）。
// 选择“相加”而非“拼接+投影”：维度与物品嵌入相同，可直接做余弦/内积检索，参数更少；
// 训练时随机丢弃用户 ID 与点击历史，使两部分各自都能单独给出合理的推荐。
//
// 权重张量名（safetensors）：item_emb [I+1,d]（第 I 行为填充）、user_emb [U+1,d]（第 0 行为未知用户）、
// pos_emb [max_len+1,d]、layers.{l}.{ln1,ln2}.{weight,bias}、layers.{l}.{in_proj,out_proj}.{weight,bias}、
// layers.{l}.{ffn1,ffn2}.{weight,bias}、ln_f.{weight,bias}。
#pragma once

#include <string>
#include <vector>

#include "core/scratch_pool.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "models/encoder.h"
#include "models/model_config.h"

namespace seqrec {

// 推理模型：加载后只读，可被多个线程同时调用 encode()。
class LongShortModel : public SequenceEncoder {
 public:
  // 从命名张量构建；逐个校验名字与形状，缺失或不符时抛出 Error。
  static LongShortModel from_tensors(const TensorMap& t, const ModelConfig& cfg);

  const ModelConfig& config() const override { return cfg_; }
  void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const override;
  bool uses_user() const override { return true; }
  // 真实物品的嵌入矩阵 [num_items, dim]（不含填充行）。
  Matrix item_embeddings() const override;
  const float* item_table() const override { return item_emb_.data(); }

 private:
  // 一个 Transformer 块的权重。
  struct Layer {
    std::vector<float> ln1_w, ln1_b, in_w, in_b, out_w, out_b, ln2_w, ln2_b, f1_w, f1_b, f2_w, f2_b;
  };
  ModelConfig cfg_;
  std::vector<float> item_emb_, user_emb_, pos_emb_, lnf_w_, lnf_b_;
  std::vector<Layer> layers_;
  ScratchPool scratch_;  // 每次调用借一份的临时缓冲（见 core/scratch_pool.h）
};

}  // namespace seqrec
