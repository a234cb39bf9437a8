// 检索后端接口：给定查询向量，返回得分最高的 k 个物品。精确检索（ExactIndex，默认）与
// FAISS 近似索引（FaissIndex：HNSW、IVF）都实现它，服务端只通过这个接口检索。
//
// 过滤语义（所有后端一致）：exclude 中的物品绝不返回；allow 有值时只从其中选。只要满足条件的
// 物品不少于 k 个，就一定返回 k 个（近似索引不够时会加大候选数重查，最后退回精确扫描）。
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seqrec {

// 一个检索结果：物品下标与得分。
struct Hit {
  int32_t item;
  float score;
};

// 结果的顺序：得分高者在前，得分相同则下标小者在前（所有后端一致）。
inline bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.item < b.item); }

// 检索时的过滤条件。
struct SearchFilter {
  std::vector<int32_t> exclude;               // 不得返回的物品（任意顺序，可重复，越界的忽略）
  std::optional<std::vector<int32_t>> allow;  // 有值时只在这些物品中选（空列表 → 没有结果）
  bool empty() const { return exclude.empty() && !allow; }
};

// 检索后端。所有方法线程安全。
class Retriever {
 public:
  virtual ~Retriever() = default;
  // 后端名："exact"、"hnsw" 或 "ivf"。
  virtual std::string kind() const = 0;
  virtual int64_t size() const = 0;
  virtual int dim() const = 0;
  // 单个查询的 top-k（得分降序）。query 是模型输出的原始向量（余弦相似度时由后端归一化）。
  virtual std::vector<Hit> retrieve(const float* query, int k, const SearchFilter& filter) const = 0;
  // 批量检索：queries [n, dim]，filters 为空表示都不过滤，否则长度为 n。默认逐个调用 retrieve。
  virtual std::vector<std::vector<Hit>> retrieve_batch(const float* queries, int n, int k,
                                                       const std::vector<SearchFilter>& filters) const;
  // 检索结构占用的内存（字节，估计值，用于日志与 /metrics）。
  virtual size_t memory_bytes() const = 0;
};

// 在 n 个物品中满足过滤条件的物品数。
int64_t count_allowed(int64_t n, const SearchFilter& filter);

// 把越界与重复去掉后的有序物品列表（过滤条件的规范形式）。
std::vector<int32_t> sorted_unique(const std::vector<int32_t>& ids, int64_t n);

}  // namespace seqrec
