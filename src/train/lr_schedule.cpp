// 学习率调度的实现。
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace seqrec {

void LrSchedule::check_kind(const std::string& kind) {
  if (kind != "constant" && kind != "linear" && kind != "cosine")
    throw Error(concat("--lr-schedule must be constant, linear or cosine (got ", kind, ")"));
}

double LrSchedule::factor(int64_t step) const {
  const int64_t total = std::max<int64_t>(1, total_steps);
  const int64_t warm = std::clamp<int64_t>(warmup_steps, 0, total);
  step = std::clamp<int64_t>(step, 0, total - 1);
  // 预热：第 0 步为 1/warm，第 warm-1 步到达峰值 1。
  if (step < warm) return static_cast<double>(step + 1) / static_cast<double>(warm);
  if (kind == "constant") return 1.0;
  // 衰减段从 start 开始：默认紧接预热，给了 decay_steps 时是最后 decay_steps 步（此前保持峰值）。
  // 进度 p 从 0（衰减开始）到接近 1（最后一步）；最后一步仍为正，不会出现学习率为 0 的空转步。
  const int64_t decay = decay_steps > 0 ? std::min(decay_steps, total - warm) : total - warm;
  const int64_t start = total - decay;
  if (step < start) return 1.0;
  const double span = static_cast<double>(decay);
  const double p = static_cast<double>(step - start) / span;
  if (kind == "linear") return 1.0 - p;
  constexpr double kPi = 3.14159265358979323846;
  return std::max(0.5 * (1.0 + std::cos(kPi * p)), 1.0 / (2.0 * span * span));
}

}  // namespace seqrec
