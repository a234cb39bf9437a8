// 训练检查点：每轮结束时把“接着训练所需的一切”写进一个文件（<输出目录>.ckpt），
// 训练被 Ctrl-C、断电或被杀打断后，同一条命令加 --resume 从下一轮接着训练，结果与不中断的一次训练逐位相同
// （线程数也相同时）。内容：当前参数、Adam 的一阶 / 二阶矩与步数、随机数发生器状态、调度位置、
// 早停计数、目前最佳一轮的权重与验证指标、逐轮日志；以及这次训练的设置（identity），续训时逐项比对。
// 文件格式是 safetensors：张量按前缀分组（param/、adam_m/、adam_v/、best/），状态是 __metadata__ 里的 JSON。
// 本头文件不包含 LibTorch。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/safetensors.h"

namespace seqrec {

// 检查点的内容（张量之外的部分写成 JSON）。
struct TrainCheckpoint {
  nlohmann::json identity;  // 这次训练的设置（模型、训练选项、数据等）；续训时必须与新命令的完全一致（线程数除外）
  int epoch = 0;            // 已完成的轮数
  bool finished = false;    // 训练已经结束（早停或到了 --epochs），只差评估与导出
  uint64_t step = 0;        // 已完成的优化步数（学习率调度与 dropout 随机数都按它）
  int64_t adam_steps = 0;   // Adam 的偏差校正步数
  std::string rng;          // 组批随机数发生器（mt19937_64）的文本状态
  std::vector<int64_t> order;  // 训练单位的当前次序（每轮在上一轮的次序上再打乱，所以要存）
  double best = -1;         // 目前最佳的验证 NDCG@10（-1 = 还没验证过）
  int since_best = 0;       // 最佳之后的验证次数（早停计数）
  int best_epoch = 0;
  nlohmann::json best_valid;
  std::string epoch_log;           // 到这一轮为止的逐轮日志（JSON Lines）
  double train_seconds_sum = 0;    // 各轮纯训练时间之和
  double elapsed_seconds = 0;      // 到这一轮为止的总耗时（续训时接着累计）
  TensorMap params, adam_m, adam_v;  // 按参数名
  TensorMap best_weights;            // 最佳一轮的权重（导出命名；还没验证过时为空）

  // 原子写入 path（先写临时文件再 rename）：任何时刻被杀，文件要么是上一轮的，要么是这一轮的。
  void save(const std::string& path) const;
  // 读入并校验格式；出错时的消息带上路径。
  static TrainCheckpoint load(const std::string& path);
};

// 输出目录 out 的检查点文件路径（与目录并列：<out>.ckpt）。
std::string checkpoint_path_for(const std::string& out);

// 续训前的比对：identity 与新命令的 current 逐项比较（嵌套对象按 a.b 路径），不同则抛出 Error，
// 列出每一项的新值与检查点里的值。
void check_checkpoint_identity(const nlohmann::json& saved, const nlohmann::json& current, const std::string& path);

}  // namespace seqrec
