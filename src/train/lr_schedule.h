// 学习率调度：预热（线性升到峰值）之后保持不变、线性衰减或余弦衰减到训练计划的最后一步。
// 与 LibTorch 无关的纯函数，训练循环每步调用一次，测试可以直接检查它的取值。
#pragma once

#include <cstdint>
#include <string>

namespace seqrec {

// 一种调度：kind 为 constant | linear | cosine；warmup_steps 为预热步数（0 = 不预热）；
// total_steps 为计划的总步数（轮数 × 每轮批数），衰减在这一步降到接近 0；
// decay_steps > 0 时衰减只占最后这么多步，此前保持峰值（warmup–stable–decay），0 = 预热之后全程衰减。
struct LrSchedule {
  std::string kind = "constant";
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  int64_t decay_steps = 0;

  // 第 step 步（从 0 开始）的学习率倍数，取值在 (0, 1]。
  double factor(int64_t step) const;
  // kind 是否合法；不合法时抛出 Error，指明 --lr-schedule。
  static void check_kind(const std::string& kind);
};

}  // namespace seqrec
