// 评估与报告：train（向量模型与 colarec）和 eval 共用的一条路径——对一个划分算出模型与最热门基线的名次，
// 汇总成指标，排成对齐的文本表格；train 对验证集与测试集各打印一张表并把指标写进 manifest。
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "eval/protocol.h"

namespace seqrec {

// 为一组用例给出目标名次的模型（向量检索、束搜索……由调用方包装）。
using CaseRankFn = std::function<std::vector<int64_t>(const std::vector<EvalCase>& cases)>;

// 一个划分上的评估结果：用例、模型与最热门基线的名次、模型所用的秒数。
struct SplitEvaluation {
  std::vector<EvalCase> cases;
  std::vector<int64_t> model_ranks;
  std::vector<int64_t> popular_ranks;
  double seconds = 0;  // 只计模型的名次
};

// 评估一个划分：模型与最热门基线按同一个 ranker（协议；空 = 全量排序、不过滤）数名次。
SplitEvaluation evaluate_split(const SequenceData& data, SplitPart part, const CaseRankFn& model,
                               const CaseRanker* ranker = nullptr);

// train 结束时的报告选项。
struct EvalReportOptions {
  std::vector<int> ks = {1, 5, 10, 20, 50};
  std::vector<int> length_buckets;  // 非空时再按历史长度分组打印一张表（如 {5, 20}）；指标里总有分组（空 = {5, 20}）
  std::string method;               // 表头里的方法，如 "full ranking over 1000 items"
  bool timing = false;              // 表头与指标里写出模型所用的秒数
  nlohmann::ordered_json extra;     // 每个划分的指标里附加的字段（如束宽），写在 seconds 之前
};

// 对验证集与测试集各评估一次，向 out 打印表格（模型与最热门两行；可选按历史长度分组），
// 返回 {"valid": {...}, "test": {...}}，写进 manifest 的 metrics。
nlohmann::ordered_json evaluate_and_report(const SequenceData& data, const CaseRankFn& model,
                                           const EvalReportOptions& opt, std::FILE* out = stdout);

// 把若干行指标（名字 → summarize_ranks 的结果）排成对齐的文本表格。
std::string metrics_table(const std::vector<std::pair<std::string, nlohmann::ordered_json>>& rows,
                          const std::vector<int>& ks);

// summarize_by_history_length 的结果排成表格行："<prefix>history <组> (<用例数>)"。
std::vector<std::pair<std::string, nlohmann::ordered_json>> history_rows(const nlohmann::ordered_json& by_len,
                                                                        const std::string& prefix);

}  // namespace seqrec
