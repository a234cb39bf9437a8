// 生成式检索的离线评估：每个用例用约束束搜索生成 top_k 个物品，目标在其中的名次即排名；
// 不在其中时名次记为物品总数（对 K <= top_k 的 HR@K / NDCG@K / MRR@K 没有影响）。
// 这就是"每个合法语义 ID 都是候选"的全量排序：束搜索在全部物品的前缀树上进行。
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "models/genrec_native.h"

namespace seqrec {

// cases 的目标名次（从 0 开始，与 metrics.h 相同）。历史为 seqs[user] 的前 end 个物品；exclude_history 为 true 时在搜索中排除
// 历史物品。threads 个线程并行；结果与线程数无关。dense_mix 见 GenRecModel::generate（只对带稠密头的模型有效）。
std::vector<int64_t> rank_cases_generative(const GenRecModel& model, const SequenceData& data,
                                           const std::vector<EvalCase>& cases, int top_k, int beam,
                                           bool exclude_history, int threads, double dense_mix = 0);

// 同上，一次搜索评估多个 dense_mix（带稠密头的模型：每个用例的候选只算一次，再按每个比例排序；
// 没有稠密头时每个比例都是束搜索本身）。结果与逐个比例调用 rank_cases_generative 相同（得分完全相同的物品之间
// 的先后除外）。
std::vector<std::vector<int64_t>> rank_cases_generative_mixes(const GenRecModel& model, const SequenceData& data,
                                                              const std::vector<EvalCase>& cases, int top_k, int beam,
                                                              bool exclude_history, int threads,
                                                              const std::vector<double>& mixes);

// 从 cases 中按种子均匀抽取至多 n 个（保持原顺序）；n <= 0 或不少于总数时原样返回。
std::vector<EvalCase> sample_cases(const std::vector<EvalCase>& cases, int64_t n, uint64_t seed);

}  // namespace seqrec
