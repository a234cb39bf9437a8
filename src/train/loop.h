// 通用的数据并行训练循环（trainer.cpp 中的各模型与 genrec_trainer.cpp 共用）。包含 LibTorch。
#pragma once

#include <torch/torch.h>

#include <functional>
#include <random>

#include "core/files.h"
#include "models/torch_util.h"
#include "train/adam.h"
#include "train/trainer.h"

namespace seqrec {

// 通用训练循环的输入：组批与分片损失由调用方提供。
struct LoopSpec {
  ModelConfig cfg;
  std::vector<torch::Tensor> params;
  torch::nn::Module* module = nullptr;
  int64_t units = 0;  // 每轮打乱后逐批处理的单位数（样本或用户）
  // 可选：单位的长度（训练位置数）。给出且 opt.bucket 时按长度分桶组批，减少填充。
  std::function<int64_t(int64_t unit)> unit_length;
  // 组装一批：ids 为本批的 n 个单位编号，每个单位一行。单线程调用，可使用 rng。
  std::function<void(const int64_t* ids, int64_t n, std::mt19937_64& rng)> prepare;
  // 第 [lo, hi) 行的损失（已除以整批的预测位置数，各分片之和 = 整批平均损失）。在分片线程中调用。
  std::function<torch::Tensor(int64_t lo, int64_t hi, DropoutRng* gen)> shard_loss;
  std::function<int64_t()> batch_positions;  // 本批的预测位置数
  std::function<double()> batch_denominator; // 本批损失之和除以的数（见 loss_for）
  std::function<TensorMap()> weights;        // 当前权重（safetensors 命名）
  // 可选：自定义验证（返回至少含 HR@10、NDCG@10 的 JSON）；为空时按 cfg 导出原生模型做全量排序验证。
  std::function<nlohmann::json(const TensorMap&)> validate;
};

// 训练循环在轮与轮之间的全部状态：检查点保存与恢复的就是它（加上参数、Adam 矩与最佳一轮）。
struct LoopState {
  uint64_t step = 0;            // 已完成的优化步数（学习率调度与 dropout 随机数都按它）
  std::mt19937_64 rng;          // 组批随机数发生器
  std::vector<int64_t> order;   // 训练单位的当前次序（每轮在上一轮的次序上再打乱）
  double best = -1;             // 目前最佳的验证 NDCG@10（-1 = 还没验证过）
  int since_best = 0;           // 最佳之后的验证次数（早停计数）
  double train_time_sum = 0;    // 各轮纯训练时间之和
  double t_start = 0;           // 本次运行开始的时刻
  double elapsed_before = 0;    // 续训：之前各次运行已用的总时间
  int first_epoch = 1;          // 本次运行从这一轮开始
  // 到现在为止的总耗时（含之前各次运行）。
  double elapsed() const { return elapsed_before + (now_seconds() - t_start); }
};

// 数据并行训练循环：每批按线程数切成连续的行分片，每个线程单线程地前向/反向，梯度按固定顺序相加，
// 因此给定种子与线程数，结果逐位可复现。每 eval_every 轮验证一次，连续 patience 次不提升则早停。
// 给了 opt.checkpoint 时每轮结束写检查点；opt.resume 时先从检查点恢复，续训的结果与不中断的训练逐位相同。
TrainResult run_loop(const LoopSpec& spec, const SequenceData& data, const TrainOptions& opt,
                     const EpochCallback& on_epoch);

// 检查点（实现在 checkpoint.cpp）：参数必须与 module 的 named_parameters() 同序；
// 写检查点失败只警告（训练照常继续）；恢复时设置、单位数与参数形状都必须与本次一致，否则抛出 Error。
void check_loop_parameters(const LoopSpec& spec);
void save_loop_checkpoint(const LoopSpec& spec, const TrainOptions& opt, const LoopState& st, const FusedAdam& optim,
                          const TrainResult& res, int epoch, bool finished, const std::string& log);
void restore_loop_checkpoint(const LoopSpec& spec, const TrainOptions& opt, LoopState* st, FusedAdam* optim,
                             TrainResult* res);

// 设置线程：并行方式是数据并行（每个线程一个分片），算子内部与 BLAS 都保持单线程。
void init_threads(const TrainOptions& opt);

}  // namespace seqrec
