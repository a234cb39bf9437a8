// 训练损失（所有模型共用）。每个损失都以“查询向量 h 与物品嵌入的打分”为 logits：
//   ce       全量 softmax 交叉熵（对全部物品；分块实现，见 softmax_loss.h）；
//   bce      二元交叉熵 + 每个位置 N 个负样本（SASRec 论文，N = 1）：−log σ(s⁺) − Σₙ log σ(−s⁻ₙ)；
//   bpr      BPR（RecBole 训练 GRU4Rec 的方式）：每个位置 N 个负样本，mean_n −log σ(s⁺ − s⁻ₙ)；
//   sampled  采样 softmax：整批共享 N 个按提议分布 Q 抽取的负样本，logits 减去 log Q（logQ 校正），
//            与目标相同的负样本（accidental hit）被屏蔽；
//   inbatch  批内 softmax（TensorFlow Recommenders 的双塔检索任务）：候选 = 整批目标物品（去重），
//            可选 logQ 校正（Q = 训练集中的物品频率，Yi et al. 2019）；
//   gbce     gSASRec 的广义二元交叉熵（Petrov & Macdonald, RecSys'23）：每行（一个用户）N 个均匀抽取的负样本，
//            由该行的各位置共用（整批共用一组时，Adam 的二阶矩被“这一步恰好是负例”的大梯度主导，正例几乎推不动
//            物品嵌入，ML-1M 上训练塌缩到随机水平）；
//            每个位置 −β·log σ(s⁺) − Σₙ log σ(−s⁻ₙ)，β = α·(t·(1 − 1/α) + 1/α)，α = N / (物品数 − 1) 为抽样率，
//            t ∈ [0, 1] 为校准参数（t = 0 即 BCE，t = 1 完全校正负采样带来的过度自信）；与目标相同的负样本不计。
// 负样本由调用方抽取（见 NegativeSampler），本文件只做数学。
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace seqrec {

enum class LossKind { kCE, kBCE, kBPR, kSampled, kInBatch, kGBCE };

// 解析 --loss 的取值；无效时抛出 Error。
LossKind parse_loss(const std::string& name);
const char* loss_name(LossKind k);

// 一个批（或数据并行分片）的损失输入。
struct LossInputs {
  torch::Tensor h;          // [P, d] 查询向量（余弦打分时已归一化）
  torch::Tensor targets;    // [P] int64 目标物品
  torch::Tensor negs;       // bce/bpr：[P, N]；sampled：[N]；gbce：[R, N] 每行一组；inbatch：[U] 去重后的批内目标
  torch::Tensor row_off;    // gbce：[R+1] 每行的位置区间（相对本分片的第一个位置）
  torch::Tensor neg_logq;   // sampled/inbatch：negs 的 log Q（未定义 = 不做 logQ 校正）
  torch::Tensor tgt_logq;   // sampled：[P] 目标的 log Q（与 neg_logq 同时定义）
  torch::Tensor tgt_index;  // inbatch：[P] 目标在 negs 中的下标
  torch::Tensor weights;    // [P] float 每个位置的损失权重（按事件类型；未定义 = 都是 1）
  double gbce_beta = 1.0;   // gbce：正例项的指数 β（见 gbce_beta()）
};

// gbce 的 β：negatives 个均匀负样本、num_items 个物品、校准参数 t 时 β = α·(t·(1 − 1/α) + 1/α)，α = N/(I − 1)。
double gbce_beta(int negatives, int64_t num_items, double t);

// 返回 P 行损失之和（调用方除以整批的行数得到平均）；定义了 in.weights 时为加权和 Σ wₚ·lossₚ。items: [N, d]（余弦打分时已归一化）；
// scale：logits 的倍数（余弦打分时为 1/温度，内积为 1）。
torch::Tensor loss_sum(LossKind kind, const LossInputs& in, const torch::Tensor& items, double scale);

// 负样本抽取器：均匀（排除用户训练集中的物品）或按流行度（counts + 1）^alpha。
class NegativeSampler {
 public:
  // counts：训练集中每个物品的次数；alpha：流行度的指数（0 = 均匀）。
  NegativeSampler(const std::vector<int64_t>& counts, double alpha);
  // 从提议分布抽一个物品。
  int32_t draw(std::mt19937_64& rng) const;
  // 抽一个不在 sorted_exclude（升序）中的物品；尝试 64 次仍不行时放弃排除（极端情形：用户几乎看过所有物品）。
  int32_t draw_excluding(std::mt19937_64& rng, const std::vector<int32_t>& sorted_exclude) const;
  // 物品 i 的 log Q（抽取概率的对数）。
  float log_q(int32_t i) const { return log_q_[static_cast<size_t>(i)]; }
  bool uniform() const { return cdf_.empty(); }

 private:
  int32_t n_ = 0;
  std::vector<double> cdf_;   // 均匀时为空
  std::vector<float> log_q_;
};

}  // namespace seqrec
