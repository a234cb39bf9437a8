// 生成式检索评估的实现：按用例并行束搜索。
#include "eval/generative_eval.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <thread>

#include "core/error.h"

namespace seqrec {

std::vector<std::vector<int64_t>> rank_cases_generative_mixes(const GenRecModel& model, const SequenceData& data,
                                                              const std::vector<EvalCase>& cases, int top_k, int beam,
                                                              bool exclude_history, int threads,
                                                              const std::vector<double>& mixes) {
  if (mixes.empty()) throw Error("no dense_mix values to evaluate");
  bool any_dense = false, any_beam = false;
  for (double m : mixes) {
    if (!(m >= 0 && m <= 1)) throw Error(concat("dense_mix must be in [0, 1] (got ", m, ")"));
    any_dense = any_dense || m > 0;
    any_beam = any_beam || m < 1;
  }
  // 有稠密头且要混合时，每个用例只搜索一次（候选与两种得分），再按每个比例排序。
  const bool hybrid = model.config().dense_head && any_dense;
  const int64_t n = static_cast<int64_t>(cases.size());
  const int64_t miss = model.config().num_items;
  std::vector<std::vector<int64_t>> ranks(mixes.size(), std::vector<int64_t>(static_cast<size_t>(n), miss));
  const int W = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::vector<std::string> errors(static_cast<size_t>(W));
  auto work = [&](int w) {
    try {
      for (int64_t c = w; c < n; c += W) {
        const EvalCase& e = cases[static_cast<size_t>(c)];
        const auto& s = data.seqs[static_cast<size_t>(e.user)];
        std::vector<int32_t> hist(s.begin(), s.begin() + e.end);
        const std::vector<int32_t>* ex = exclude_history ? &hist : nullptr;
        std::vector<GenRecModel::Candidate> cands;
        if (hybrid) cands = model.hybrid_candidates(hist.data(), hist.size(), std::max(beam, top_k), ex, any_beam);
        for (size_t k = 0; k < mixes.size(); ++k) {
          const auto hits = hybrid ? GenRecModel::mix_candidates(cands, mixes[k], top_k)
                                   : model.generate(hist.data(), hist.size(), top_k, beam, ex);
          for (size_t r = 0; r < hits.size(); ++r)
            if (hits[r].item == e.target) {
              ranks[k][static_cast<size_t>(c)] = static_cast<int64_t>(r);
              break;
            }
          if (!hybrid) {  // 没有稠密头：每个比例都是同一次束搜索
            for (size_t j = 1; j < mixes.size(); ++j) ranks[j][static_cast<size_t>(c)] = ranks[0][static_cast<size_t>(c)];
            break;
          }
        }
      }
    } catch (const std::exception& ex) {
      errors[static_cast<size_t>(w)] = ex.what();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < W; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (!e.empty()) throw Error(e);
  return ranks;
}

std::vector<int64_t> rank_cases_generative(const GenRecModel& model, const SequenceData& data,
                                           const std::vector<EvalCase>& cases, int top_k, int beam,
                                           bool exclude_history, int threads, double dense_mix) {
  return rank_cases_generative_mixes(model, data, cases, top_k, beam, exclude_history, threads, {dense_mix})[0];
}

std::vector<EvalCase> sample_cases(const std::vector<EvalCase>& cases, int64_t n, uint64_t seed) {
  if (n <= 0 || n >= static_cast<int64_t>(cases.size())) return cases;
  std::vector<size_t> idx(cases.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(static_cast<size_t>(n));
  std::sort(idx.begin(), idx.end());
  std::vector<EvalCase> out;
  for (size_t i : idx) out.push_back(cases[i]);
  return out;
}

}  // namespace seqrec
