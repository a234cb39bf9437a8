// OTTO 评估：每个测试会话有三种标签（下一次点击、之后的加购、之后的下单），预测是每种类型一个有序物品列表。
//   Recall@K（每种类型）= Σ_会话 |前 K 个预测 ∩ 标签| / Σ_会话 min(K, |标签|)（点击的标签只有一个）
//   加权得分 = 0.1·clicks + 0.3·carts + 0.6·orders（Kaggle OTTO 的评分，K = 20）
// 同一公式在 K = 50 时即候选召回率（候选表是否包含了标签）。没有预测的会话计 0 命中，分母照算。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "session/split.h"

namespace seqrec {

// 一个会话的预测：每种类型（clicks / carts / orders）一个有序列表，及每个物品的来源（未知为 255）。
struct OttoPrediction {
  std::vector<int64_t> aids[3];
  std::vector<uint8_t> sources[3];
};
using OttoPredictions = std::unordered_map<int64_t, OttoPrediction>;

// 读取 seqrec candidates 的候选 CSV（session,aid,score,source,list；list 为 clicks 或 buys，
// buys 同时作为 carts 与 orders 的预测），行的顺序即排名。
OttoPredictions read_candidates_csv(const std::string& path);
// 读取 Kaggle 提交格式（session_type,labels：如 "12_clicks","1 2 3"）。
OttoPredictions read_submission_csv(const std::string& path);

// 计算每个 K 的各类型召回率与加权得分，以及前 K 个命中按来源的分布。
nlohmann::ordered_json otto_score(const std::vector<SessionLabels>& labels, const OttoPredictions& preds,
                                  const std::vector<int>& ks = {20, 50});

}  // namespace seqrec
