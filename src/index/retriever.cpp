// 检索接口的公共部分：默认的批量检索与过滤条件的辅助函数。
#include "index/retriever.h"

#include <algorithm>

namespace seqrec {

std::vector<std::vector<Hit>> Retriever::retrieve_batch(const float* queries, int n, int k,
                                                        const std::vector<SearchFilter>& filters) const {
  static const SearchFilter kNone;
  std::vector<std::vector<Hit>> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    out[static_cast<size_t>(i)] =
        retrieve(queries + static_cast<int64_t>(i) * dim(), k, filters.empty() ? kNone : filters[static_cast<size_t>(i)]);
  return out;
}

std::vector<int32_t> sorted_unique(const std::vector<int32_t>& ids, int64_t n) {
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (int32_t i : ids)
    if (i >= 0 && i < n) out.push_back(i);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int64_t count_allowed(int64_t n, const SearchFilter& f) {
  const std::vector<int32_t> ex = sorted_unique(f.exclude, n);
  if (!f.allow) return n - static_cast<int64_t>(ex.size());
  int64_t c = 0;
  for (int32_t a : sorted_unique(*f.allow, n))
    if (!std::binary_search(ex.begin(), ex.end(), a)) ++c;
  return c;
}

}  // namespace seqrec
