// 由原始交互构建序列数据集：过滤（最低评分、k-core）、重新编号、按时间排序、留一法切分、滑动窗口样本。
//
// 编号约定：过滤后的用户与物品分别编号为 0..U-1、0..I-1（按在文件中首次出现的顺序），
// 即 user_map.json / item_map.json 中的下标；物品下标也是 item_embeddings.npy 的行号。
// 模型内部的填充（padding）使用物品下标 I（紧接在真实物品之后的一个保留行），它永远不会出现在
// item_map.json 或 item_embeddings.npy 中。
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/csv_reader.h"
#include "data/id_map.h"

namespace seqrec {

// 过滤选项。
struct FilterOptions {
  double min_rating = -std::numeric_limits<double>::infinity();  // 低于此评分的交互被丢弃
  int min_user_interactions = 3;  // 每个用户至少的交互数（留一法需要 >= 3）
  int min_item_interactions = 1;  // 每个物品至少的交互数
  // 切分方式：loo = 留一法（每个用户最后一个为测试、倒数第二个为验证）；
  // temporal = 全局时间切分：按全部交互的时间分位数切出最后 test_frac 为测试期、其前 valid_frac 为验证期，
  // 每个用户在验证期/测试期内的每个交互都是一个评估用例（历史 = 它之前的全部交互）。
  std::string split = "loo";
  double valid_frac = 0.1;
  double test_frac = 0.1;
  void validate() const;
};

// 序列数据集：每个用户一条按时间排序的物品序列。
struct SequenceData {
  IdMap users;
  IdMap items;
  std::vector<std::vector<int32_t>> seqs;
  int64_t raw_interactions = 0;  // 过滤前的交互数
  // 显式切分（temporal）：用户 u 的 seqs[u][0, train_end[u]) 为训练，[train_end[u], valid_end[u]) 为验证目标，
  // 其余为测试目标。两者为空表示留一法（train_end = n−2，valid_end = n−1）。
  std::vector<int32_t> train_end, valid_end;
  // 每个位置作为目标的权重（与 seqs 同形；来自 Interactions::weight）。为空 = 都是 1。
  // 训练损失按它加权，权重为 0 的位置只作为输入；验证与测试用例跳过权重为 0 的目标，指标按权重加权平均。
  std::vector<std::vector<float>> weights;
  // 位置 (u, p) 的权重（没有权重时为 1）。
  float weight(int32_t u, int32_t p) const {
    return weights.empty() ? 1.0f : weights[static_cast<size_t>(u)][static_cast<size_t>(p)];
  }
  // 训练部分全部目标位置的平均权重（训练把权重除以它，使平均为 1；没有权重时为 1）。min_pos 与 training_samples 相同。
  double mean_train_weight(int min_pos) const;
  // temporal 切分的两个时间切分点（验证期、测试期从这一刻开始，含）；留一法时为 0。
  double valid_from = 0, test_from = 0;
  // 用户 u 的训练部分长度与“训练 + 验证”长度。
  int32_t train_len(int32_t u) const;
  int32_t valid_len(int32_t u) const;
  int64_t num_interactions() const;
  int32_t num_users() const { return static_cast<int32_t>(users.size()); }
  int32_t num_items() const { return static_cast<int32_t>(items.size()); }
  // 数据集统计（写入 manifest）。
  nlohmann::json stats() const;
  // 重复率：训练部分中，用户再次交互自己之前交互过的物品的比例（每个用户第一个之后的位置中，物品已在
  // 该用户更早的位置出现过的比例）。MovieLens 这类“看过不再看”的数据为 0，购物、音乐数据常常很高。
  double repeat_rate() const;
};

// 过滤 + 重新编号 + 每个用户按时间稳定排序（时间相同时保持文件顺序）。
// 过滤后为空时抛出 Error，说明是哪个过滤条件导致。
SequenceData build_sequences(const Interactions& raw, const FilterOptions& opt);

// 一个训练样本：用 seqs[user] 的 [max(0,pos-L), pos) 预测 seqs[user][pos]。
struct Sample {
  int32_t user;
  int32_t pos;
};

// 训练部分（留一法：每个用户序列去掉最后两个；temporal：验证期之前的交互）。
// 对训练部分中的每个位置 pos（min_pos..train_len-1）生成一个滑动窗口样本；min_pos=1 即“每个前缀预测下一个”，
// min_pos=0 额外加入“空历史预测第一个物品”的样本（训练只依赖长期兴趣的情形）。
std::vector<Sample> training_samples(const SequenceData& data, int min_pos);

// 评估用例：历史是 seqs[user] 的前 end 个物品（取最后 max_len 个），目标是 seqs[user][end]。
struct EvalCase {
  int32_t user;
  int32_t end;
  int32_t target;
  float weight = 1.0f;  // 目标的权重（SequenceData::weights；指标按它加权平均）
};

// 用例的权重；全部为 1 时返回空（summarize_ranks 不加权）。
std::vector<float> case_weights(const std::vector<EvalCase>& cases);

enum class SplitPart { kValid, kTest };
// 验证或测试用例。留一法：每个用户一个（倒数第二个 / 最后一个）；temporal：验证期/测试期内的每个交互一个，
// 没有任何更早交互的（历史为空）不计入。有权重时，权重为 0 的目标不是用例。
std::vector<EvalCase> eval_cases(const SequenceData& data, SplitPart part);

// 训练部分中每个物品的出现次数（用于最热门基线与冷启动回退）。
std::vector<int64_t> train_item_counts(const SequenceData& data);

}  // namespace seqrec
