// 排序指标：给定目标物品的名次（0 起始；名次 = 得分不低于目标的其他物品数，平局按不利于目标计），
// 计算 HR@K（单目标时即 Recall@K）、NDCG@K、MRR@K。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seqrec {

// 单个用例的指标。
double hit_at(int64_t rank, int k);   // rank < k 时为 1
double ndcg_at(int64_t rank, int k);  // rank < k 时为 1/log2(rank+2)
double mrr_at(int64_t rank, int k);   // rank < k 时为 1/(rank+1)

// 由一组名次计算平均指标；键形如 "HR@10"、"NDCG@10"、"MRR@10"，另有 "cases"。
// 没有用例时各指标为 null（而不是 0），"cases" 为 0。
// weights 非空时（与 ranks 等长）为加权平均：Σ wᵢ·mᵢ / Σ wᵢ（按事件类型加权的用例，见 data/event_types.h）。
nlohmann::ordered_json summarize_ranks(const std::vector<int64_t>& ranks, const std::vector<int>& ks,
                                       const std::vector<float>& weights = {});

// 给定全部物品得分与目标下标，计算目标的名次（不利平局）：#{j != target : s_j >= s_target}。
// exclude（可为空）中标记为 1 的物品不参与排名。
int64_t rank_of_target(const float* scores, int64_t n, int64_t target, const std::vector<char>* exclude = nullptr);

// 解析 "1,5,10" 形式的 K 列表；非法时抛出 Error。
std::vector<int> parse_ks(const std::string& s);

}  // namespace seqrec
