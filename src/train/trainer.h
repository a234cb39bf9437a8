// 训练循环：下一次点击预测，查询向量与物品嵌入打分，损失可选（见 losses.h），Adam/AdamW，
// 数据并行（每个线程一个分片，梯度按固定顺序相加），定期在验证集上做全量排序评估（HR@10/NDCG@10），
// 早停，保留最佳一次评估的权重。
//   long_short：每个训练位置一个滑动窗口样本（用户 + 之前的 max_len 个点击 → 下一个物品）；
//   sasrec / gsasrec / gru4rec：每轮每个用户一行（训练部分最后 max_len+1 个物品），每个位置都预测下一个物品；
//   bert4rec：每轮每个用户一行（训练部分最后 max_len 个物品），随机遮住的位置预测原物品。
// 本头文件不包含 LibTorch，调用方（如 seqrec train）无需承担其编译开销。
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/safetensors.h"
#include "data/dataset.h"
#include "eval/protocol.h"
#include "models/model_config.h"

namespace seqrec {

class DistGroup;  // train/distributed.h

// 训练选项（全部有默认值，写入 manifest）。
struct TrainOptions {
  int epochs = 30;               // 最多训练轮数
  std::string loss = "ce";       // ce | bce | bpr | sampled | inbatch | gbce（见 losses.h）
  int negatives = 0;             // 负样本数：0 = 按损失的默认值（bce/bpr 为 1，sampled/gbce 为 256）
  std::string neg_sampler;       // uniform | pop：空 = 按损失的默认值（bce/bpr/gbce 均匀，sampled 按流行度）
  double gbce_t = 0.75;          // gbce 的校准参数 t ∈ [0, 1]（gSASRec 论文的 ML-1M 设置为 0.75）
  double mask_prob = 0.2;        // bert4rec：每个位置换成 [MASK] 的概率（BERT4Rec 论文 ML-1M 的 ρ）
  double final_mask_prob = 0.1;  // bert4rec：一行只遮住最后一个物品的概率（论文为对齐下一个物品预测加的样本）
  bool logq = true;              // sampled / inbatch 是否做 logQ 校正
  double beta1 = 0.9, beta2 = 0.999;  // Adam 的动量系数
  int eval_every = 1;            // 每隔几轮在验证集上评估一次（最后一轮总会评估）
  bool bucket = true;            // sasrec/gru4rec/colarec：按长度分桶组批（打乱后每 64 批内按长度排序，批的次序再打乱）
  int batch_size = 512;
  double lr = 2e-3;
  std::string lr_schedule = "constant";  // 学习率调度：constant | linear | cosine（衰减到 --epochs 的最后一步）
  double warmup_epochs = 0.0;            // 学习率从接近 0 线性升到 lr 所用的轮数（可为小数；0 = 不预热）
  double decay_epochs = 0.0;             // linear/cosine 衰减只占最后这么多轮，此前保持 lr（0 = 预热之后全程衰减）
  double weight_decay = 0.0;
  std::string weight_decay_scope = "all";  // all：每个参数都衰减；matrices：只衰减矩阵与嵌入表，偏置与 LayerNorm 增益不衰减
  double reg_weight = 0.0;       // lightgcn：本批用到的第 0 层嵌入的 L2 惩罚系数（LightGCN 论文与 RecBole 的 reg_weight）
  std::string optimizer = "adam";  // "adam" 或 "adamw"
  double dropout = 0.2;
  double temperature = 0.1;      // similarity=cosine 时 logits = cos / temperature
  double user_dropout = 0.1;     // 以此概率把用户换成“未知用户”，训练只靠短期兴趣
  double history_dropout = 0.1;  // 以此概率清空点击历史，训练只靠长期兴趣
  int patience = 3;              // 验证 NDCG@10 连续这么多次评估不提升则停止
  // 选择最佳一轮所用的验证协议（默认全量排序、不过滤；采样协议的负例种子取 seed）。
  // 报告采样协议的结果时（如 SASRec 论文），应以同一协议挑选检查点。
  EvalProtocol valid_protocol;
  uint64_t seed = 42;
  int threads = 2;               // LibTorch 线程数
  bool progress = true;          // 是否在终端显示进度行（非终端时总是安静）
  // 训练检查点（见 checkpoint.h；不写入 manifest）：checkpoint 非空时每轮结束写入该文件；
  // resume 时先从它恢复，再接着训练下一轮。checkpoint_identity 是这次训练的设置，写入检查点、续训时逐项比对。
  std::string checkpoint;
  bool resume = false;
  nlohmann::json checkpoint_identity;
  int stop_after_epoch = 0;  // > 0：这一轮（早于最后一轮时）结束后像收到停止请求一样停下
  // 热启动（seqrec retrain）：非空时，模型按随机初始化建好之后以它的全部权重（safetensors 命名）调用一次，
  // 返回的权重（形状必须相同）替换初始值再开始训练。不写入 manifest（来源记在 lineage 里）。
  std::function<TensorMap(const TensorMap& fresh)> warm_start;
  // 多进程数据并行（seqrec launch / torchrun 的环境变量；见 distributed.h）：非空时每批按 进程数 × threads
  // 个分片切开，本进程只算自己的分片，梯度经 Gloo 求和；只有 rank 0 验证、写检查点。不写入选项的 JSON。
  std::shared_ptr<DistGroup> dist;

  // 按模型类型给出训练默认值（sasrec 为论文设置：lr 1e-3、batch 128、β2 0.98、dropout 0.2）。
  static TrainOptions defaults_for(const std::string& model_type);
  // 这个进程负责验证、检查点、评估与导出（单进程，或多进程里的 rank 0）。
  bool lead() const;
  void validate() const;
  // 写入日志与 manifest 的选项；只对 model_type 起作用的选项才写出（如 user_dropout 只属于 long_short）。
  nlohmann::json to_json(const std::string& model_type) const;
  // 反过来：manifest 的 training 段 → 选项（没写的取 model_type 的默认值；seqrec retrain 沿用父模型的选项）。
  // 字段类型不对时抛出 Error。
  static TrainOptions from_json(const nlohmann::json& j, const std::string& model_type);
  // 实际使用的负样本数与抽样方式（把 0 / 空 解析为按损失的默认值）。
  int negatives_resolved() const;
  std::string neg_sampler_resolved() const;
};

// 训练结果。
struct TrainResult {
  TensorMap weights;              // 最佳一轮的权重（safetensors 命名）
  int best_epoch = 0;
  nlohmann::json best_valid;      // 最佳一轮的验证指标
  std::string epoch_log;          // 每轮一行 JSON（train_log.jsonl 的内容）
  int epochs_run = 0;
  double train_seconds = 0;
  double seconds_per_epoch = 0;   // 纯训练部分（不含验证）的平均值
  double samples_per_second = 0;
  int64_t samples_per_epoch = 0;
  bool interrupted = false;       // 因 request_training_stop()（SIGINT/SIGTERM）或 stop_after_epoch 提前结束
  int resumed_after_epoch = 0;    // 从检查点续训时，检查点的轮数（0 = 没有续训）
  nlohmann::json distributed;     // 多进程训练时：进程数、每进程线程数、批的切法、每步同步的字节数（否则 null）
};

// 请求正在进行的训练在本轮结束后停下：该轮照常验证，然后返回目前最佳一轮的权重（照常导出）。
// 只写一个无锁原子量，可以在信号处理函数中调用。
void request_training_stop();
// 是否已请求停止；clear_training_stop() 清除请求（新的训练开始前、测试之间）。
bool training_stop_requested();
void clear_training_stop();

using EpochCallback = std::function<void(const nlohmann::json&)>;

// 训练长短期兴趣 Transformer。on_epoch 在每轮结束后以该轮的 JSON 记录调用（可为空）。
TrainResult train_long_short(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                             const EpochCallback& on_epoch);
// 训练序列模型：SASRec、gSASRec、GRU4Rec（自回归）或 BERT4Rec（掩码物品预测），按 cfg.type。
TrainResult train_sequence_model(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                                 const EpochCallback& on_epoch);
// 训练 LightGCN（用户–物品图，默认 BPR；损失可选，与序列模型共用 losses.h）。
TrainResult train_lightgcn(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                           const EpochCallback& on_epoch);
// 按 cfg.type 选择上面三者之一。
TrainResult train_model(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                        const EpochCallback& on_epoch);

}  // namespace seqrec
