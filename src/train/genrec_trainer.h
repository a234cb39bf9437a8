// 生成式检索模型的多任务训练（ColaRec）：
//   rec    用户 → 物品：读历史（内容记号 + 物品记号），逐层生成下一个物品的语义 ID（交叉熵之和，可加标签平滑）；
//   index  物品索引：读物品自己的内容、物品记号和几个交互过它的用户，生成它自己的语义 ID（标签平滑同 rec）；
//   bpr    用户与物品编码器状态之间的 BPR 排序损失（任务记号位置的输出做内积，负例均匀抽取）；
//   cl     对比损失：语义 ID 前缀相同的物品互为正例（InfoNCE，分片内其他物品为负例，余弦 / 温度）；
//   dense  稠密头（LIGER 式，须 cfg.dense_head）：推荐任务中最后一个记号的输出与全部物品向量做内积，
//          对下一个物品做全量 softmax 交叉熵（物品向量见 genrec_config.h）；dense_dropout > 0 时训练中
//          对这些物品向量逐元素做 dropout（只影响这一损失，评估与服务不变）。
// 每个损失的权重可调，设为 0 即关闭（消融）。训练样本是训练部分的每个位置（历史 = 之前最近 max_len 个）。
// 验证：导出到原生模型，用约束束搜索在验证用例上计算 HR@10 / NDCG@10，按 NDCG@10 选最佳一轮。
// 本头文件不包含 LibTorch。
#pragma once

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "models/semantic_ids.h"
#include "models/genrec_config.h"
#include "train/trainer.h"

namespace seqrec {

struct GenRecTrainOptions {
  double w_rec = 1.0;
  double w_index = 1.0;
  double w_bpr = 0.1;
  double w_cl = 0.1;
  double w_dense = 0;  // 稠密头损失的权重；> 0 时须 cfg.dense_head，= 0 时须没有稠密头
  double cl_temperature = 0.1;
  double dense_dropout = 0;  // 稠密头训练时对被打分的物品向量做 dropout 的概率（正则化；须 w_dense > 0）
  // 稠密头训练时整行丢掉物品记号自己嵌入的概率（每个物品独立，保留的行放大 1/(1-q)）：被丢的物品只凭
  // 语义 ID 码本与内容部分被打分，逼这两部分独自也能排序，物品记号行不再独占打分。须 w_dense > 0，
  // 且物品向量里另有码本（sid_input）或内容（content_pool）部分。
  double dense_id_dropout = 0;
  // 训练时逐条样本随机删去历史里的物品（最近一次点击总保留，之前的每个以概率 r 删去，剩下的按原顺序
  // 重新排位）：同一段历史以更短、不完整的形式多次出现，针对历史很短的用户做数据增强（见 GENERATIVE.md）。
  // 只改训练输入，验证、评估与服务读完整历史。
  double history_item_dropout = 0;
  double dense_mix = 0.5;  // 验证与评估时稠密得分的混合比例（只对带稠密头的模型有效；见 genrec_native.h）
  double label_smoothing = 0;  // 逐层语义 ID 交叉熵（rec 与 index）的标签平滑 ε：目标得 1-ε，ε 均分给本层所有码
  int beam = 20;            // 验证与评估的束宽
  int64_t valid_sample = 0; // 验证时抽取的用例数（0 = 全部）；最终评估总是全部
  int64_t valid_sample_seed = -1;  // 抽取验证用例的种子；-1 = 随 --seed（旧行为）。固定它，不同种子的训练在同一批用例上验证
  void validate() const;
  nlohmann::json to_json() const;
  // 抽取验证用例实际用的种子：给出了 valid_sample_seed 就用它，否则用训练种子 seed。
  uint64_t resolved_valid_seed(uint64_t seed) const {
    return valid_sample_seed >= 0 ? static_cast<uint64_t>(valid_sample_seed) : seed;
  }
};

// 训练所需的物品侧输入。
struct GenRecInputs {
  ItemTokens content;  // 每个物品的内容记号（已加偏移；无内容时为空表）
  SemanticIds sids;    // 每个物品的语义 ID
  TensorMap init;      // 起始权重（--init-from：接着已有模型训练）；空表 = 随机初始化
};

// 训练；返回的权重含 content_tokens，可直接交给 GenRecModel::from_tensors。
TrainResult train_genrec(const SequenceData& data, const GenRecConfig& cfg, const GenRecInputs& in,
                         const GenRecTrainOptions& g, const TrainOptions& opt, const EpochCallback& on_epoch);

}  // namespace seqrec
