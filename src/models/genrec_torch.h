// 生成式检索模型的 LibTorch 训练模块：pre-LN Transformer 编码器–解码器（从零训练）。
// 结构与 genrec_native.h 的原生推理逐项一致（测试比对两者的 logits）；权重命名见 genrec_native.h。
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/safetensors.h"
#include "models/semantic_ids.h"
#include "models/genrec_config.h"
#include "models/torch_util.h"

namespace seqrec {

struct GenRecNetImpl : torch::nn::Module {
  // cfg.sid_input 为真时必须给出 sids（每个物品的语义 ID，编码器输入要用），cfg.content_pool 为真时必须给出
  // content（每个物品的内容记号），否则抛出 Error。
  GenRecNetImpl(const GenRecConfig& c, double dropout, const SemanticIds* sids = nullptr,
                const ItemTokens* content = nullptr);

  // 编码：tokens [B, T] int64（PAD = 0 为填充）→ 最终 LayerNorm 之后的隐状态 [B, T, d]。
  torch::Tensor encode(const torch::Tensor& tokens, DropoutRng* gen);
  // 解码（教师强制）：codes [B, L] 为目标的语义 ID；返回每层的 logits（第 t 个为 [B, K_t]）。
  std::vector<torch::Tensor> decode(const torch::Tensor& memory, const torch::Tensor& tokens,
                                    const torch::Tensor& codes, DropoutRng* gen);
  // 编码器状态的汇总向量：任务记号（第 0 个位置）的输出 [B, d]。
  static torch::Tensor pooled(const torch::Tensor& memory) { return memory.select(1, 0); }
  // 稠密头的用户向量：每行最后一个非 PAD 记号的输出 [B, d]（PAD 只在右侧）。
  static torch::Tensor last_state(const torch::Tensor& memory, const torch::Tensor& tokens);
  // 稠密头的物品向量 [I, d]：每个物品在推荐任务输入里的向量（不含位置），与 encode 的做法逐项相同。
  // id_scale 给出时（[I, 1]，只在训练中用），物品记号自己的嵌入先逐行乘以它再与码本、内容部分相加：
  // 见 GenRecTrainOptions::dense_id_dropout。
  torch::Tensor item_vectors(const torch::Tensor& id_scale = {});

  TensorMap to_tensors();
  void load_tensors(const TensorMap& t);

  GenRecConfig cfg;
  double dropout;
  torch::nn::Embedding tok_emb{nullptr}, pos_emb{nullptr}, bos{nullptr}, dec_pos{nullptr};
  torch::nn::ModuleList enc{nullptr}, dec{nullptr}, code_emb{nullptr};
  torch::nn::LayerNorm enc_ln{nullptr}, dec_ln{nullptr};
  torch::Tensor item_codes;  // [I, L] int64：每个物品的语义 ID（只在 sid_input 时有；不是参数，不存入权重）
  // content_pool 时每个物品的内容记号 [I, C] int64（空位填 PAD）与平均用的权重 [I, C] float（1/记号数，空位 0）。
  torch::Tensor item_content, content_weight;
};
TORCH_MODULE(GenRecNet);

}  // namespace seqrec
