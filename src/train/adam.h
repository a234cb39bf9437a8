// 融合的 Adam / AdamW 优化器：一次遍历完成“分片梯度求和 + 矩估计 + 参数更新”，并按元素范围多线程执行。
// 与 torch::optim::Adam/AdamW 的数学定义一致（偏差校正、L2 或解耦的权重衰减），
// 但省去了逐算子的多次遍历与临时张量；全量 softmax 让物品嵌入每步都有稠密梯度，这一步的开销不可忽略。
#pragma once

#include <torch/torch.h>

#include <vector>

namespace seqrec {

class FusedAdam {
 public:
  // decoupled=true 即 AdamW。threads：更新时使用的线程数。
  FusedAdam(std::vector<torch::Tensor> params, double lr, double weight_decay, bool decoupled, int threads,
            double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  // shard_grads[w][i] 是第 w 个分片对第 i 个参数的梯度（可未定义，视为 0）；按 w 的固定顺序相加。
  // 注意：求和结果写入第一个已定义分片的梯度张量（调用方的该张量会被改写）。
  void step(const std::vector<std::vector<torch::Tensor>>& shard_grads);
  // 改变之后各步的学习率（学习率调度用；AdamW 的解耦衰减也随之按 lr × weight_decay 计算）。
  void set_lr(double lr) { lr_ = lr; }
  // 只衰减矩阵与嵌入表（维数 >= 2 的参数），偏置与 LayerNorm 增益等一维参数不衰减（nanoGPT、HF Transformers 的做法）。
  // 默认（不调用）所有参数都衰减。
  void decay_matrices_only();
  // 检查点用：一阶 / 二阶矩（与构造时的参数一一对应；张量句柄，可原地写入）与偏差校正的步数。
  const std::vector<torch::Tensor>& first_moments() const { return m_; }
  const std::vector<torch::Tensor>& second_moments() const { return v_; }
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  std::vector<char> decays_;  // 第 i 个参数是否做权重衰减
  double lr_, wd_, b1_, b2_, eps_;
  bool decoupled_;
  int threads_;
  int64_t t_ = 0;
};

}  // namespace seqrec
