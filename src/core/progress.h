// 训练进度：在终端上重绘一行（样本/秒、损失、ETA），不是终端时保持安静（参照 fastText 的 printInfo）。
#pragma once

#include <cstdint>
#include <string>

namespace seqrec {

// 单行进度条。update() 内部限频（每 0.2 秒最多重绘一次），可放在热循环里调用。
class Progress {
 public:
  // label：行首标签；total：本轮总样本数；enabled：为 false 时什么都不输出。
  Progress(std::string label, int64_t total, bool enabled);
  // 整次训练的计时：这一轮开始时已用的总时间与这一轮之后最多还有几轮。给出后，进度行另显示整次训练已用的
  // 时间与剩余时间的上限（按本轮的速度估计后面的轮；早停可能提前结束，所以是上限）。
  void set_run(double elapsed_before, int epochs_after);
  // 报告已处理样本数与当前平均损失。
  void update(int64_t done, double loss);
  // 在进度行上显示一个阶段（如 "validating"），直到下一次 update 或 finish。
  void phase(const std::string& what);
  // 结束本行（清除进度行）。
  void finish();
  // stderr 是否连接到终端。
  static bool stderr_is_tty();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  double start_;
  double last_draw_ = 0.0;
  double run_before_ = -1;  // < 0：没有整次训练的计时
  int epochs_after_ = 0;
};

}  // namespace seqrec
