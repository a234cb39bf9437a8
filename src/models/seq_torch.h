// SASRec 与 GRU4Rec 的 LibTorch 训练模块。两者都把一批物品序列映射为每个位置的隐状态 [B, T, d]，
// 训练时每个位置预测下一个物品（“每个位置都训练”，而非只用滑动窗口的最后一个位置）。
// 结构与 sasrec_native.h / gru4rec_native.h 描述的原生推理逐项一致；to_tensors()/load_tensors()
// 使用相同的 safetensors 命名。
#pragma once

#include <torch/torch.h>

#include <memory>

#include "core/safetensors.h"
#include "models/torch_util.h"
#include "models/model_config.h"

namespace seqrec {

// 序列模型的公共接口。
struct SeqNetImpl : torch::nn::Module {
  SeqNetImpl(const ModelConfig& c, double dropout_) : cfg(c), dropout(dropout_) {}
  // seq: [B, T] int64（T <= max_len），填充值为 num_items：SASRec 左侧填充（最新点击在最右），
  // GRU4Rec 右侧填充（序列从第 0 列开始）。返回 [B, T, d]；填充位置的输出无意义（不参与损失）。
  // gen：训练模式下 dropout 的随机数源（每个数据并行分片一个）；可为空。
  virtual torch::Tensor forward(const torch::Tensor& seq, DropoutRng* gen) = 0;
  // 是否左侧填充。
  virtual bool left_padded() const = 0;
  // 掩码物品预测（BERT4Rec）的 [MASK] 在 item_emb 中的行；-1 = 自回归模型（每个位置预测下一个物品）。
  virtual int64_t mask_token() const { return -1; }
  // 打分用的物品矩阵 [num_items, d]：默认是共享的输入嵌入（不含填充行）；gSASRec 用单独的输出嵌入。
  virtual torch::Tensor item_table() { return item_emb->weight.slice(0, 0, cfg.num_items); }
  // 导出/载入命名张量（嵌入表名去掉 ".weight"）。
  TensorMap to_tensors();
  void load_tensors(const TensorMap& t);

  ModelConfig cfg;
  double dropout;
  torch::nn::Embedding item_emb{nullptr};
};

// 按 cfg.type（sasrec | gsasrec | gru4rec | bert4rec）构建训练模块。
std::shared_ptr<SeqNetImpl> make_seq_net(const ModelConfig& cfg, double dropout);

}  // namespace seqrec
