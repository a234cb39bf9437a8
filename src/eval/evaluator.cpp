// 评估实现：按批编码查询，批量 sgemm 打分，再逐行数名次（不排序）。
#include "eval/evaluator.h"

#include <algorithm>
#include <thread>

namespace seqrec {

std::vector<int64_t> rank_cases(const SequenceEncoder& enc, const ExactIndex& index, const SequenceData& data,
                                const std::vector<EvalCase>& cases, int max_len, const CaseRanker* ranker,
                                int threads) {
  const int d = enc.dim();
  const int64_t n = index.size();
  const int B = 256;
  std::vector<int64_t> ranks(cases.size());
  std::vector<float> q(static_cast<size_t>(B) * d), s(static_cast<size_t>(B) * n);
  for (size_t b0 = 0; b0 < cases.size(); b0 += B) {
    const int b = static_cast<int>(std::min<size_t>(B, cases.size() - b0));
    // 编码（每个用例独立，线程 w 处理第 w, w+W, ... 个）。
    auto encode_part = [&](int w, int W) {
      for (int i = w; i < b; i += W) {
        const EvalCase& c = cases[b0 + i];
        const auto& seq = data.seqs[static_cast<size_t>(c.user)];
        const int32_t start = std::max(0, c.end - max_len);
        enc.encode(c.user, seq.data() + start, static_cast<size_t>(c.end - start), &q[static_cast<size_t>(i) * d]);
      }
    };
    const int W = std::max(1, std::min(threads, b));
    std::vector<std::thread> pool;
    for (int w = 1; w < W; ++w) pool.emplace_back(encode_part, w, W);
    encode_part(0, W);
    for (auto& t : pool) t.join();
    index.score_batch(q.data(), b, s.data());
    for (int i = 0; i < b; ++i) {
      const float* row = s.data() + static_cast<int64_t>(i) * n;
      ranks[b0 + i] = ranker ? ranker->rank(row, n, cases[b0 + i]) : rank_of_target(row, n, cases[b0 + i].target);
    }
  }
  return ranks;
}

std::vector<int64_t> rank_cases_static(const std::vector<float>& item_scores, const std::vector<EvalCase>& cases,
                                       const CaseRanker* ranker) {
  std::vector<int64_t> ranks;
  ranks.reserve(cases.size());
  const int64_t n = static_cast<int64_t>(item_scores.size());
  for (const auto& c : cases)
    ranks.push_back(ranker ? ranker->rank(item_scores.data(), n, c) : rank_of_target(item_scores.data(), n, c.target));
  return ranks;
}

std::vector<float> popularity_scores(const SequenceData& data) {
  auto counts = train_item_counts(data);
  return std::vector<float>(counts.begin(), counts.end());
}

}  // namespace seqrec
