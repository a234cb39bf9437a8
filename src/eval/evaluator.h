// 离线评估：留一法的验证/测试用例，对全部物品排序（不采样），计算目标名次与指标。
// 模型与“最热门”基线走同一条路径，以保证可比。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/dataset.h"
#include "eval/metrics.h"
#include "eval/protocol.h"
#include "index/exact_index.h"
#include "models/encoder.h"

namespace seqrec {

// 用模型为每个用例计算目标名次：编码（用户，最近 max_len 个历史），与全部物品打分，再按协议数名次
// （ranker 为空时：全量排序，不过滤）。threads 个线程并行编码；结果只依赖输入，与线程数无关。
std::vector<int64_t> rank_cases(const SequenceEncoder& enc, const ExactIndex& index, const SequenceData& data,
                                const std::vector<EvalCase>& cases, int max_len, const CaseRanker* ranker = nullptr,
                                int threads = 1);

// 用固定的物品得分（如训练集流行度）为每个用例计算目标名次。
std::vector<int64_t> rank_cases_static(const std::vector<float>& item_scores, const std::vector<EvalCase>& cases,
                                       const CaseRanker* ranker = nullptr);

// 训练集流行度作为得分（最热门基线）。
std::vector<float> popularity_scores(const SequenceData& data);

}  // namespace seqrec
