// 精确检索实现：一次 sgemv 打分 + 大小为 k 的小顶堆选 top-k，复杂度 O(N·d + N·log k)。
#include "index/exact_index.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace seqrec {

namespace {

// 把一行向量 L2 归一化（全零则不变）。
void normalize(float* v, int64_t d) {
  double s = 0;
  for (int64_t i = 0; i < d; ++i) s += double(v[i]) * v[i];
  if (s <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(s));
  for (int64_t i = 0; i < d; ++i) v[i] *= inv;
}

// 堆比较：“更差”的结果在堆顶（得分低者更差；得分相同则下标大者更差）。
bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.item < b.item); }

}  // namespace

ExactIndex::ExactIndex(Matrix items, bool cosine) : items_(std::move(items)), cosine_(cosine) {
  if (cosine_)
    for (int64_t r = 0; r < items_.rows; ++r) normalize(items_.row(r), items_.cols);
}

std::vector<Hit> top_k(const float* scores, int64_t n, int k) {
  std::vector<Hit> heap;
  if (k <= 0) return heap;
  heap.reserve(static_cast<size_t>(k) + 1);
  for (int64_t j = 0; j < n; ++j) {
    const float s = scores[j];
    if (!(s > -std::numeric_limits<float>::infinity())) continue;  // 排除 -inf 与 NaN
    Hit h{static_cast<int32_t>(j), s};
    if (static_cast<int>(heap.size()) < k) {
      heap.push_back(h);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(h, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = h;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

std::vector<Hit> ExactIndex::search(const float* query, int k, const std::vector<int32_t>& exclude) const {
  static thread_local std::vector<float> scores, q;
  const int64_t n = items_.rows, d = items_.cols;
  q.assign(query, query + d);
  if (cosine_) normalize(q.data(), d);
  scores.resize(static_cast<size_t>(n));
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(d), 1.0f,
              items_.data.data(), static_cast<int>(d), q.data(), 1, 0.0f, scores.data(), 1);
  for (int32_t e : exclude)
    if (e >= 0 && e < n) scores[static_cast<size_t>(e)] = -std::numeric_limits<float>::infinity();
  return top_k(scores.data(), n, k);
}

void ExactIndex::score_batch(const float* queries, int b, float* out) const {
  const int64_t n = items_.rows, d = items_.cols;
  std::vector<float> q(queries, queries + static_cast<int64_t>(b) * d);
  if (cosine_)
    for (int i = 0; i < b; ++i) normalize(q.data() + i * d, d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, static_cast<int>(n), static_cast<int>(d), 1.0f,
              q.data(), static_cast<int>(d), items_.data.data(), static_cast<int>(d), 0.0f, out,
              static_cast<int>(n));
}

}  // namespace seqrec
