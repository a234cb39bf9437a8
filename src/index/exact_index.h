// 精确检索：查询向量与全部物品向量做内积（余弦时两侧先归一化），取 top-K（不做全排序）。
// 这是检索后端接口的默认实现；打分用 OpenBLAS（sgemv / sgemm）。
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/npy.h"

namespace seqrec {

// 一个检索结果：物品下标与得分。
struct Hit {
  int32_t item;
  float score;
};

class ExactIndex {
 public:
  ExactIndex() = default;
  // items：[N, d] 物品向量；cosine 为 true 时按行 L2 归一化（零向量保持为零）。
  // fp16 为 true 时，search() 与 score_batch() 都使用半精度副本打分（内存流量减半，得分误差约 1e-3）。
  ExactIndex(Matrix items, bool cosine, bool fp16 = false);

  int64_t size() const { return items_.rows; }
  int dim() const { return static_cast<int>(items_.cols); }
  bool cosine() const { return cosine_; }
  bool fp16() const { return !items_f16_.empty(); }

  // 单个查询的 top-k（按得分降序，平局时下标小者在前）。exclude 中的物品被跳过，
  // 因此只要还有足够的物品，总能返回 k 个。线程安全。
  std::vector<Hit> search(const float* query, int k, const std::vector<int32_t>& exclude = {}) const;

  // 以下三步组成 search()（分开是为了以后的批量/合并检索可以复用）：
  // 查询预处理（余弦时归一化）→ 给 [r0, r1) 行物品打分 → 排除并选 top-k（会改写 scores 中被排除的项）。
  void prepare_query(const float* query, float* out) const;
  void score_rows(const float* prepared, int64_t r0, int64_t r1, float* out) const;
  std::vector<Hit> select(float* scores, int k, const std::vector<int32_t>& exclude) const;

  // 批量打分：queries [b, d] → out [b, N]（余弦时查询也会被归一化）。fp32 时用 sgemm。
  void score_batch(const float* queries, int b, float* out) const;

 private:
  Matrix items_;
  std::vector<uint16_t> items_f16_;  // 可选的半精度副本
  bool cosine_ = false;
};

// 从 [N] 个得分中取 top-k（不做全排序；-inf 视为不可选）。
std::vector<Hit> top_k(const float* scores, int64_t n, int k);

}  // namespace seqrec
