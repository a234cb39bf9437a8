// 评估协议：目标与哪些物品比较（全部物品，或论文中的“采样 100 个负例”），是否排除用户历史，
// 以及按用户历史长度分组、TensorFlow Recommenders 风格的 top-K categorical accuracy。
//
// 名次的定义处处相同：名次 = 参与比较的其他物品中得分不低于目标的个数（平局按不利于目标计）。
//   full            与全部物品比较（默认；什么都不过滤，除非 exclude_history）
//   sampled         SASRec 论文的协议：从用户从未交互过的物品中均匀抽 N 个（默认 100，不重复）负例
//   sampled-pop     同上，但按训练集流行度抽样
// 负例只由 (seed, 用户, 目标位置) 决定：模型与基线、1 个或多个线程，看到的都是同一组负例。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace seqrec {

struct EvalProtocol {
  enum class Candidates { kAll, kSampledUniform, kSampledPopularity };
  Candidates candidates = Candidates::kAll;
  int negatives = 100;           // 采样协议的负例数
  uint64_t seed = 42;            // 采样的随机种子
  bool exclude_history = false;  // 全量排序时排除目标之前的历史物品（采样协议本来就不含历史）

  // 解析 --protocol（full, sampled, sampled-pop）。
  static Candidates parse_candidates(const std::string& s);
  void validate() const;
  // 一句话描述（写进报告与 JSON）。
  std::string describe() const;
  nlohmann::ordered_json to_json() const;
};

// 按协议计算一个用例的目标名次。构造时预先计算流行度抽样表；rank() 线程安全、结果确定。
class CaseRanker {
 public:
  CaseRanker(const SequenceData& data, EvalProtocol protocol);

  // scores：全部 n 个物品的得分（模型或基线）。
  int64_t rank(const float* scores, int64_t n, const EvalCase& c) const;
  // 该用例的负例（采样协议时；全量协议返回空）。测试用。
  std::vector<int32_t> negatives(const EvalCase& c) const;

  const EvalProtocol& protocol() const { return p_; }

 private:
  const SequenceData& data_;
  EvalProtocol p_;
  std::vector<double> cdf_;  // 流行度抽样的累积分布（训练集次数）
  int64_t seen_items_ = 0;   // 训练集中出现过的物品数
};

// 用户历史长度分组：thresholds = {5, 20} → [0,5)、[5,20)、[20,∞)。按用例的历史长度（目标之前的交互数）分组，
// 每组给出与 summarize_ranks 相同的指标。
nlohmann::ordered_json summarize_by_history_length(const std::vector<int64_t>& ranks, const std::vector<EvalCase>& cases,
                                                   const std::vector<int>& ks, const std::vector<int>& thresholds);

// TensorFlow Recommenders 报告的 top-K categorical accuracy（K = 1, 5, 10, 50, 100）：
// 目标是否在前 K 名，单目标时与 HR@K 相同，这里用同一个不利平局的名次计算。
nlohmann::ordered_json topk_categorical_accuracy(const std::vector<int64_t>& ranks);

// 解析 "5,20" 形式的分组阈值（严格递增的正整数）；空串表示不分组。
std::vector<int> parse_thresholds(const std::string& s);

}  // namespace seqrec
