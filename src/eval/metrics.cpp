// 排序指标实现。
#include "eval/metrics.h"

#include <cmath>
#include <sstream>

#include "core/error.h"

namespace seqrec {

double hit_at(int64_t rank, int k) { return rank < k ? 1.0 : 0.0; }
double ndcg_at(int64_t rank, int k) { return rank < k ? 1.0 / std::log2(static_cast<double>(rank) + 2.0) : 0.0; }
double mrr_at(int64_t rank, int k) { return rank < k ? 1.0 / (static_cast<double>(rank) + 1.0) : 0.0; }

nlohmann::ordered_json summarize_ranks(const std::vector<int64_t>& ranks, const std::vector<int>& ks,
                                       const std::vector<float>& weights) {
  SEQREC_CHECK(weights.empty() || weights.size() == ranks.size(), "case weights do not match the ranks");
  nlohmann::ordered_json out;
  double n = ranks.empty() ? 1.0 : static_cast<double>(ranks.size());
  if (!weights.empty()) {
    n = 0;
    for (float w : weights) n += w;
    if (!(n > 0)) n = 1.0;
  }
  for (const char* name : {"HR", "NDCG", "MRR"}) {
    for (int k : ks) {
      double s = 0;  // 按固定顺序累加，结果与线程数无关
      for (size_t i = 0; i < ranks.size(); ++i) {
        const int64_t r = ranks[i];
        const double m = name[0] == 'H' ? hit_at(r, k) : name[0] == 'N' ? ndcg_at(r, k) : mrr_at(r, k);
        s += weights.empty() ? m : m * weights[i];
      }
      // 没有用例（如某个历史长度分组为空）时没有可报告的数：写 null（表格里是 n/a），而不是 0。
      out[std::string(name) + "@" + std::to_string(k)] = ranks.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s / n);
    }
  }
  out["cases"] = ranks.size();
  return out;
}

int64_t rank_of_target(const float* scores, int64_t n, int64_t target, const std::vector<char>* exclude) {
  const float st = scores[target];
  int64_t r = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (j == target || (exclude && (*exclude)[static_cast<size_t>(j)])) continue;
    // NaN 得分视为与目标平局（计入名次），避免坏模型得到好指标
    if (scores[j] >= st || std::isnan(scores[j]) || std::isnan(st)) ++r;
  }
  return r;
}

std::vector<int> parse_ks(const std::string& s) {
  std::vector<int> ks;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    try {
      size_t used = 0;
      int k = std::stoi(tok, &used);
      if (used != tok.size() || k < 1) throw std::invalid_argument(tok);
      ks.push_back(k);
    } catch (const std::exception&) {
      throw Error(concat("--ks: expected positive integers separated by commas, got '", s, "'"));
    }
  }
  if (ks.empty()) throw Error("--ks must list at least one K");
  return ks;
}

}  // namespace seqrec
