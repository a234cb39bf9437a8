// BERT4Rec（Sun et al., CIKM 2019）的 LibTorch 训练模块：双向 Transformer 编码器 + 掩码物品预测（Cloze）。
// 结构与 bert4rec_native.h 描述的原生推理逐项一致，张量名相同（见那里）。训练循环与 SASRec 共用
// （train/trainer.cpp 的 train_sequence_model）：mask_token() >= 0 的模块按掩码方式组批。
#pragma once

#include <memory>

#include "models/seq_torch.h"

namespace seqrec {

// 按 cfg（type = bert4rec）构建训练模块。
std::shared_ptr<SeqNetImpl> make_bert4rec_net(const ModelConfig& cfg, double dropout);

}  // namespace seqrec
