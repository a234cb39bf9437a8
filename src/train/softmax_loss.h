// 全量 softmax 交叉熵的分块实现：不物化 [B, N] 的 logits，而是按物品分块计算（在线 log-sum-exp），
// 反向时逐块重算 logits。每块的临时矩阵能放进 CPU 缓存，避免大张量的分配与缺页，
// 在几千到几十万物品的目录上比“先算全部 logits 再 cross_entropy”更快、更省内存。
// 数学上与 cross_entropy(scale · U·Eᵀ, targets) 完全相同（测试中与参考实现比对数值和梯度）。
#pragma once

#include <torch/torch.h>

namespace seqrec {

// 返回 mean_b w_b·[ logsumexp_j(scale·u_b·e_j) − scale·u_b·e_{t_b} ]（weights 未定义时 w_b = 1）。
// u: [B, d]；items: [N, d]；targets: [B] int64；chunk：每块物品数；weights：[B] float，≥ 0。
torch::Tensor chunked_softmax_cross_entropy(const torch::Tensor& u, const torch::Tensor& items,
                                            const torch::Tensor& targets, double scale, int64_t chunk = 2048,
                                            const torch::Tensor& weights = {});

}  // namespace seqrec
