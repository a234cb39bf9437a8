// 评估协议实现。
#include "eval/protocol.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "eval/metrics.h"

namespace seqrec {

namespace {

// SplitMix64：由 (seed, 用户, 位置) 得到每个用例独立、可复现的随机流。
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // [0, n) 上的均匀整数（n 远小于 2^64，取模偏差可以忽略）。
  uint64_t below(uint64_t n) { return next() % n; }
  // [0, 1) 上的均匀实数。
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

}  // namespace

EvalProtocol::Candidates EvalProtocol::parse_candidates(const std::string& s) {
  if (s == "full") return Candidates::kAll;
  if (s == "sampled") return Candidates::kSampledUniform;
  if (s == "sampled-pop") return Candidates::kSampledPopularity;
  throw Error(concat("--protocol must be full, sampled or sampled-pop, got '", s, "'"));
}

void EvalProtocol::validate() const {
  if (candidates != Candidates::kAll && negatives < 1)
    throw Error(concat("--negatives must be >= 1, got ", negatives));
}

std::string EvalProtocol::describe() const {
  if (candidates == Candidates::kAll)
    return exclude_history ? "full ranking over all items, the user's earlier items excluded, pessimistic ties"
                           : "full ranking over all items, nothing filtered, pessimistic ties";
  return concat("target ranked among ", negatives, " negatives drawn ",
                candidates == Candidates::kSampledUniform ? "uniformly" : "by training popularity",
                " from items the user never interacted with (seed ", seed, "), pessimistic ties");
}

nlohmann::ordered_json EvalProtocol::to_json() const {
  nlohmann::ordered_json j;
  j["candidates"] = candidates == Candidates::kAll              ? "full"
                    : candidates == Candidates::kSampledUniform ? "sampled"
                                                                : "sampled-pop";
  if (candidates != Candidates::kAll) {
    j["negatives"] = negatives;
    j["seed"] = seed;
  }
  j["exclude_history"] = exclude_history;
  j["description"] = describe();
  return j;
}

CaseRanker::CaseRanker(const SequenceData& data, EvalProtocol protocol) : data_(data), p_(protocol) {
  p_.validate();
  if (p_.candidates == EvalProtocol::Candidates::kSampledPopularity) {
    const auto counts = train_item_counts(data_);
    cdf_.resize(counts.size());
    double acc = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cdf_[i] = acc += static_cast<double>(counts[i]);
      if (counts[i] > 0) ++seen_items_;
    }
  }
}

std::vector<int32_t> CaseRanker::negatives(const EvalCase& c) const {
  std::vector<int32_t> out;
  if (p_.candidates == EvalProtocol::Candidates::kAll) return out;
  const int64_t n = data_.num_items();
  // 用户的全部交互（包括验证与测试目标）都不能作负例。
  std::vector<int32_t> touched = data_.seqs[static_cast<size_t>(c.user)];
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  const int64_t available = n - static_cast<int64_t>(touched.size());
  const bool pop = p_.candidates == EvalProtocol::Candidates::kSampledPopularity;
  // 流行度抽样只能抽到训练中出现过的物品；可抽的不够时全部拿来。
  int64_t pool = available;
  if (pop) {
    pool = seen_items_;
    for (int32_t t : touched)
      if ((t == 0 ? cdf_[0] : cdf_[static_cast<size_t>(t)] - cdf_[static_cast<size_t>(t) - 1]) > 0) --pool;
  }
  const int64_t want = std::min<int64_t>(p_.negatives, pool);
  SplitMix64 rng{p_.seed ^ (0x51ed270b27a3ull * (static_cast<uint64_t>(c.user) + 1)) ^
                 (static_cast<uint64_t>(c.end) << 40)};
  std::vector<int32_t> chosen;  // 已选的（排序，便于查重）
  while (static_cast<int64_t>(out.size()) < want) {
    int32_t j;
    if (pop) {
      const double r = rng.unit() * cdf_.back();
      j = static_cast<int32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), r) - cdf_.begin());
      if (j >= n) continue;
    } else {
      j = static_cast<int32_t>(rng.below(static_cast<uint64_t>(n)));
    }
    if (std::binary_search(touched.begin(), touched.end(), j)) continue;
    auto it = std::lower_bound(chosen.begin(), chosen.end(), j);
    if (it != chosen.end() && *it == j) continue;
    chosen.insert(it, j);
    out.push_back(j);
  }
  return out;
}

int64_t CaseRanker::rank(const float* scores, int64_t n, const EvalCase& c) const {
  if (p_.candidates == EvalProtocol::Candidates::kAll) {
    if (!p_.exclude_history) return rank_of_target(scores, n, c.target);
    static thread_local std::vector<char> mask;
    mask.assign(static_cast<size_t>(n), 0);
    const auto& seq = data_.seqs[static_cast<size_t>(c.user)];
    for (int32_t i = 0; i < c.end; ++i)
      if (seq[static_cast<size_t>(i)] != c.target) mask[static_cast<size_t>(seq[static_cast<size_t>(i)])] = 1;
    return rank_of_target(scores, n, c.target, &mask);
  }
  const float st = scores[c.target];
  int64_t r = 0;
  for (int32_t j : negatives(c))
    if (scores[j] >= st || std::isnan(scores[j]) || std::isnan(st)) ++r;
  return r;
}

nlohmann::ordered_json summarize_by_history_length(const std::vector<int64_t>& ranks, const std::vector<EvalCase>& cases,
                                                   const std::vector<int>& ks, const std::vector<int>& thresholds) {
  nlohmann::ordered_json out;
  std::vector<int> edges = {0};
  edges.insert(edges.end(), thresholds.begin(), thresholds.end());
  for (size_t g = 0; g < edges.size(); ++g) {
    const int lo = edges[g];
    const bool last = g + 1 == edges.size();
    const int hi = last ? 0 : edges[g + 1];
    std::vector<int64_t> sub;
    for (size_t i = 0; i < cases.size(); ++i)
      if (cases[i].end >= lo && (last || cases[i].end < hi)) sub.push_back(ranks[i]);
    const std::string name = last ? concat(">=", lo) : concat(lo, "-", hi - 1);
    out[name] = summarize_ranks(sub, ks);
  }
  return out;
}

nlohmann::ordered_json topk_categorical_accuracy(const std::vector<int64_t>& ranks) {
  nlohmann::ordered_json out;
  const double n = ranks.empty() ? 1.0 : static_cast<double>(ranks.size());
  for (int k : {1, 5, 10, 50, 100}) {
    double s = 0;
    for (int64_t r : ranks) s += hit_at(r, k);
    out[concat("top_", k, "_categorical_accuracy")] = s / n;
  }
  return out;
}

std::vector<int> parse_thresholds(const std::string& s) {
  std::vector<int> out;
  if (s.empty()) return out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != tok.size() || v < 1 || (!out.empty() && v <= out.back()))
      throw Error(concat("--length-buckets: expected increasing positive integers separated by commas, got '", s, "'"));
    out.push_back(v);
  }
  return out;
}

}  // namespace seqrec
