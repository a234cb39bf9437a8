// 精确检索实现：一次 sgemv 打分 + 大小为 k 的小顶堆选 top-k，复杂度 O(N·d + N·log k)。
#include "index/exact_index.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/kernels.h"

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


}  // namespace

ScanPrecision parse_scan_precision(const std::string& s) {
  if (s == "fp32") return ScanPrecision::kFp32;
  if (s == "fp16") return ScanPrecision::kFp16;
  if (s == "int8") return ScanPrecision::kInt8;
  throw Error(concat("unknown precision '", s, "' (expected fp32, fp16 or int8)"));
}

ExactIndex::ExactIndex(Matrix items, bool cosine, ScanPrecision precision)
    : own_(std::move(items)), items_(own_), cosine_(cosine), precision_(precision) {
  if (cosine_)
    for (int64_t r = 0; r < own_.rows; ++r) normalize(own_.row(r), own_.cols);
  build_copies();
}

ExactIndex::ExactIndex(MatrixView items, ScanPrecision precision)
    : items_(items), cosine_(false), precision_(precision) {
  build_copies();
}

void ExactIndex::build_copies() {
  const size_t n = static_cast<size_t>(items_.rows * items_.cols);
  if (precision_ == ScanPrecision::kFp16) {
    items_f16_.resize(n);
    for (size_t i = 0; i < n; ++i) items_f16_[i] = float_to_half(items_.data[i]);
  } else if (precision_ == ScanPrecision::kInt8) {
    items_sq8_ = Sq8Items(items_);
  }
}

std::vector<Hit> top_k(const float* scores, int64_t n, int k) {
  std::vector<Hit> heap;
  if (k <= 0) return heap;
  heap.reserve(static_cast<size_t>(k) + 1);
  // 先用前 k 个有效得分填满堆（跳过 -inf 与 NaN）。
  int64_t j = 0;
  for (; j < n && static_cast<int>(heap.size()) < k; ++j) {
    if (!(scores[j] > -std::numeric_limits<float>::infinity())) continue;
    heap.push_back({static_cast<int32_t>(j), scores[j]});
    std::push_heap(heap.begin(), heap.end(), better);
  }
  if (heap.empty()) return heap;
  // 之后只有严格大于堆顶的得分才能入选（得分相同时，后出现的下标更大，不会更好）。
  while ((j = next_above(scores, j, n, heap.front().score)) < n) {
    std::pop_heap(heap.begin(), heap.end(), better);
    heap.back() = {static_cast<int32_t>(j), scores[j]};
    std::push_heap(heap.begin(), heap.end(), better);
    ++j;
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

void ExactIndex::prepare_query(const float* query, float* out) const {
  std::copy(query, query + items_.cols, out);
  if (cosine_) normalize(out, items_.cols);
}

void ExactIndex::score_rows(const float* prepared, int64_t r0, int64_t r1, float* out) const {
  const int64_t d = items_.cols;
  // 自带 SIMD 内核：并发请求下不争用 BLAS。
  if (items_f16_.empty()) matvec(items_.data + r0 * d, r1 - r0, d, prepared, out);
  else matvec_f16(items_f16_.data() + r0 * d, r1 - r0, d, prepared, out);
}

std::vector<Hit> ExactIndex::select(float* scores, int k, const std::vector<int32_t>& exclude) const {
  const int64_t n = items_.rows;
  for (int32_t e : exclude)
    if (e >= 0 && e < n) scores[e] = -std::numeric_limits<float>::infinity();
  return top_k(scores, n, k);
}

bool ExactIndex::search_int8(const float* prepared, int k, const std::vector<int32_t>& exclude,
                             std::vector<Hit>& out, SearchScratch& s) const {
  const int64_t n = items_.rows;
  if (k <= 0 || n == 0) return false;
  const Sq8Items::Query q = items_sq8_.quantize(prepared);
  if (!(q.scale > 0)) return false;
  std::vector<float>& approx = s.approx;
  std::vector<int32_t>& cand = s.cand;
  approx.resize(static_cast<size_t>(items_sq8_.padded_rows()));
  items_sq8_.scan(q, approx.data());
  for (int32_t e : exclude)
    if (e >= 0 && e < n) approx[e] = -std::numeric_limits<float>::infinity();
  // 粗分第 k 高为 A_k：精确得分 ≥ A_k − β 的物品至少有 k 个，粗分 < A_k − 2β 的物品精确得分 < A_k − β，
  // 因此不可能入选。阈值再放宽一点以吸收这两次减法的舍入。
  const std::vector<Hit> coarse = top_k(approx.data(), n, k);
  if (static_cast<int>(coarse.size()) < k) return false;  // 可选物品不足 k 个
  const double thr = double(coarse.back().score) - 2.0 * q.bound * (1 + 1e-6);
  const float t = std::nextafter(static_cast<float>(thr), -std::numeric_limits<float>::infinity());
  // 候选过多（误差界相对得分间距太宽，例如点积相似度下范数差异很大）时全量 fp32 更快。
  const size_t max_cand = static_cast<size_t>(std::max<int64_t>(4 * int64_t(k) + 64, n / 8));
  cand.clear();
  for (int64_t j = next_above(approx.data(), 0, n, t); j < n; j = next_above(approx.data(), j + 1, n, t)) {
    cand.push_back(static_cast<int32_t>(j));
    if (cand.size() > max_cand) return false;
  }
  int8_candidates_.fetch_add(cand.size(), std::memory_order_relaxed);
  // 精排：与 fp32 全量扫描逐位相同的单行内核，再按（得分降序，下标升序）取前 k。
  out.clear();
  out.reserve(cand.size());
  for (int32_t c : cand) out.push_back({c, matvec_row(items_.row(c), items_.cols, prepared)});
  const size_t kk = std::min(out.size(), static_cast<size_t>(k));
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kk), out.end(), better);
  out.resize(kk);
  return true;
}

std::vector<Hit> ExactIndex::search(const float* query, int k, const std::vector<int32_t>& exclude) const {
  const auto lease = scratch_.acquire<SearchScratch>();  // 本次检索的临时缓冲
  std::vector<float>& scores = lease->scores;
  std::vector<float>& q = lease->q;
  q.resize(static_cast<size_t>(items_.cols));
  prepare_query(query, q.data());
  if (precision_ == ScanPrecision::kInt8) {
    std::vector<Hit> hits;
    int8_searches_.fetch_add(1, std::memory_order_relaxed);
    if (search_int8(q.data(), k, exclude, hits, *lease)) return hits;
    int8_fallbacks_.fetch_add(1, std::memory_order_relaxed);
  }
  scores.resize(static_cast<size_t>(items_.rows));
  score_rows(q.data(), 0, items_.rows, scores.data());
  return select(scores.data(), k, exclude);
}

size_t ExactIndex::memory_bytes() const {
  // 借来的矩阵不计（它算在模型里）。
  return own_.data.size() * sizeof(float) + items_f16_.size() * sizeof(uint16_t) + items_sq8_.memory_bytes();
}

std::vector<Hit> ExactIndex::search_subset(const float* prepared, int k, const std::vector<int32_t>& allow,
                                           const std::vector<int32_t>& exclude) const {
  const std::vector<int32_t> ex = sorted_unique(exclude, items_.rows);
  std::vector<Hit> hits;
  for (int32_t a : sorted_unique(allow, items_.rows))
    if (!std::binary_search(ex.begin(), ex.end(), a))
      hits.push_back({a, matvec_row(items_.row(a), items_.cols, prepared)});  // 与全量扫描相同的单行内核
  const size_t kk = std::min(hits.size(), static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(kk), hits.end(), better);
  hits.resize(kk);
  return hits;
}

std::vector<Hit> ExactIndex::retrieve(const float* query, int k, const SearchFilter& filter) const {
  if (!filter.allow) return search(query, k, filter.exclude);
  const auto lease = scratch_.acquire<SearchScratch>();
  std::vector<float>& q = lease->q;
  q.resize(static_cast<size_t>(items_.cols));
  prepare_query(query, q.data());
  return search_subset(q.data(), k, *filter.allow, filter.exclude);
}

std::vector<std::vector<Hit>> ExactIndex::retrieve_batch(const float* queries, int n, int k,
                                                         const std::vector<SearchFilter>& filters) const {
  std::vector<std::vector<Hit>> out(static_cast<size_t>(std::max(n, 0)));
  static const SearchFilter kNone;
  auto filter_of = [&](int i) -> const SearchFilter& { return filters.empty() ? kNone : filters[static_cast<size_t>(i)]; };
  // 有 allow 的查询逐个走子集打分；其余（以及半精度存储时全部）一起分块打分。
  std::vector<int> dense;
  for (int i = 0; i < n; ++i) {
    if (filter_of(i).allow || !items_f16_.empty() || n == 1) out[static_cast<size_t>(i)] = retrieve(queries + int64_t(i) * items_.cols, k, filter_of(i));
    else dense.push_back(i);
  }
  if (dense.empty() || k <= 0) return out;
  const int64_t d = items_.cols, N = items_.rows;
  const int b = static_cast<int>(dense.size());
  std::vector<float> q(static_cast<size_t>(b) * d);
  for (int j = 0; j < b; ++j) prepare_query(queries + int64_t(dense[static_cast<size_t>(j)]) * d, q.data() + int64_t(j) * d);
  // 物品按块处理：块内 sgemm 得到 [b, chunk] 的得分，每个查询在块内取 top-k 并入候选，最后合并。
  // 块的大小让得分缓冲区保持在约 16 MiB 以内，百万物品的目录也不需要 b×N 的大矩阵。
  const int64_t chunk = std::max<int64_t>(1024, (int64_t(4) << 20) / b);
  std::vector<float> buf(static_cast<size_t>(b * std::min(chunk, N)));
  std::vector<std::vector<Hit>> cand(static_cast<size_t>(b));
  std::vector<std::vector<int32_t>> ex(static_cast<size_t>(b));
  for (int j = 0; j < b; ++j) ex[static_cast<size_t>(j)] = sorted_unique(filter_of(dense[static_cast<size_t>(j)]).exclude, N);
  for (int64_t r0 = 0; r0 < N; r0 += chunk) {
    const int64_t r1 = std::min(N, r0 + chunk), m = r1 - r0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, static_cast<int>(m), static_cast<int>(d), 1.0f, q.data(),
                static_cast<int>(d), items_.row(r0), static_cast<int>(d), 0.0f, buf.data(), static_cast<int>(m));
    for (int j = 0; j < b; ++j) {
      float* s = buf.data() + int64_t(j) * m;
      const auto& e = ex[static_cast<size_t>(j)];
      for (auto it = std::lower_bound(e.begin(), e.end(), static_cast<int32_t>(r0)); it != e.end() && *it < r1; ++it)
        s[*it - r0] = -std::numeric_limits<float>::infinity();
      for (Hit h : top_k(s, m, k)) cand[static_cast<size_t>(j)].push_back({static_cast<int32_t>(h.item + r0), h.score});
    }
  }
  for (int j = 0; j < b; ++j) {
    auto& c = cand[static_cast<size_t>(j)];
    const size_t kk = std::min(c.size(), static_cast<size_t>(k));
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(kk), c.end(), better);
    c.resize(kk);
    out[static_cast<size_t>(dense[static_cast<size_t>(j)])] = std::move(c);
  }
  return out;
}

void ExactIndex::score_batch(const float* queries, int b, float* out) const {
  const int64_t n = items_.rows, d = items_.cols;
  if (!items_f16_.empty()) {
    // 半精度存储：逐个查询走与 search() 相同的内核，评估结果与服务完全一致。
    std::vector<float> q(static_cast<size_t>(d));
    for (int i = 0; i < b; ++i) {
      prepare_query(queries + i * d, q.data());
      score_rows(q.data(), 0, n, out + i * n);
    }
    return;
  }
  std::vector<float> q(queries, queries + static_cast<int64_t>(b) * d);
  if (cosine_)
    for (int i = 0; i < b; ++i) normalize(q.data() + i * d, d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, static_cast<int>(n), static_cast<int>(d), 1.0f,
              q.data(), static_cast<int>(d), items_.data, static_cast<int>(d), 0.0f, out,
              static_cast<int>(n));
}

}  // namespace seqrec
