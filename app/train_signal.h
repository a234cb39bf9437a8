// train 子命令（cmd_train.cpp 与 train_genrec.cpp）共用的两件事：训练摘要的打印与 Ctrl-C 的处理。
#pragma once

#include "train/trainer.h"

namespace seqrec::app {

// 训练结束后的一行摘要（最佳一轮、每轮耗时、吞吐、峰值内存）；被信号提前停下时另起一行说明。
void print_train_summary(const TrainResult& r);

// 训练期间的 SIGINT / SIGTERM：第一次只请求训练在本轮结束后停下（该轮照常验证，随后导出最佳一轮），
// 并恢复默认处理，于是第二次信号立即终止进程。析构时恢复默认处理。
class StopTrainingOnSignal {
 public:
  StopTrainingOnSignal();
  ~StopTrainingOnSignal();
  StopTrainingOnSignal(const StopTrainingOnSignal&) = delete;
  StopTrainingOnSignal& operator=(const StopTrainingOnSignal&) = delete;
};

}  // namespace seqrec::app
