// train 子命令（cmd_train.cpp 与 train_genrec.cpp）共用的三件事：训练摘要的打印、Ctrl-C 的处理、训练检查点的收尾。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "train/trainer.h"

namespace seqrec::app {

// 训练结束后的一行摘要（最佳一轮、每轮耗时、吞吐、峰值内存）；被信号提前停下时另起一行说明。
void print_train_summary(const TrainResult& r);

// 最佳一轮在验证集上（NDCG@10）不如最热门基线时打印警告，并说出可能的原因（轮数太少、验证还在上升、学习率）。
// metrics 是 evaluate_and_report 的结果。返回是否警告了。
bool warn_if_below_baseline(const nlohmann::ordered_json& metrics, const TrainResult& r, const TrainOptions& t);

// 读数据之前检查检查点文件 path 与 --resume 是否相符：--resume 而文件不存在、或没有 --resume 而文件存在
// （上一次同一输出目录的训练没有结束）都报错，后者不会被新的训练悄悄覆盖。
void check_checkpoint_file(const std::string& path, bool resume);

// 模型导出之后：训练正常结束则删除检查点；被信号或 --stop-after-epoch 停下则保留它并提示如何接着训练。
void finish_checkpoint(const TrainResult& r, const std::string& path);

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
