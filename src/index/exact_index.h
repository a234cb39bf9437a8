// 精确检索：查询向量与全部物品向量做内积（余弦时两侧先归一化），取 top-K（不做全排序）。
// 这是检索后端接口的默认实现：单个查询用自带的 SIMD 内核（fp32、fp16，或 int8 粗打分 + fp32 精排），
// 批量打分用 OpenBLAS sgemm。
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/scratch_pool.h"
#include "core/npy.h"
#include "index/retriever.h"
#include "index/sq8.h"

namespace seqrec {

// search() 扫描全部物品时使用的数值格式。
enum class ScanPrecision {
  kFp32,  // 直接用 fp32 打分
  kFp16,  // 半精度副本打分：内存流量减半，得分误差约 1e-3（近似）
  kInt8,  // int8 粗打分 + 可能入选的候选用 fp32 精排：结果与 kFp32 逐位相同，扫描流量是其四分之一
};

// 解析 "fp32" / "fp16" / "int8"；其他值抛出 Error。
ScanPrecision parse_scan_precision(const std::string& s);

class ExactIndex : public Retriever {
 public:
  ExactIndex() = default;
  ExactIndex(ExactIndex&& o) noexcept { *this = std::move(o); }
  // 移动时统计计数不随之移动（原子量不可移动；新索引从 0 开始计数）。
  ExactIndex& operator=(ExactIndex&& o) noexcept {
    own_ = std::move(o.own_);  // vector 的移动保留缓冲区地址，items_ 仍然有效
    items_ = o.items_;
    items_f16_ = std::move(o.items_f16_);
    items_sq8_ = std::move(o.items_sq8_);
    cosine_ = o.cosine_;
    precision_ = o.precision_;
    return *this;
  }
  // items：[N, d] 物品向量；cosine 为 true 时按行 L2 归一化（零向量保持为零）。
  ExactIndex(Matrix items, bool cosine, ScanPrecision precision = ScanPrecision::kFp32);
  // 借用别处的物品矩阵（内积相似度，不复制）：服务时与模型自己的物品表共用一份内存。
  // 调用方保证 items 指向的数据比索引活得久（ModelBundle 先析构索引、后析构模型）。
  ExactIndex(MatrixView items, ScanPrecision precision);

  int64_t size() const override { return items_.rows; }
  int dim() const override { return static_cast<int>(items_.cols); }
  std::string kind() const override { return "exact"; }
  size_t memory_bytes() const override;
  bool cosine() const { return cosine_; }
  // 检索用的物品矩阵（余弦时已按行归一化）。
  MatrixView items() const { return items_; }
  // 物品矩阵是否借自别处（见借用的构造函数）。
  bool borrowed() const { return own_.data.empty() && items_.rows > 0; }

  // Retriever 接口：带过滤的 top-k。有 allow 时只给这些物品打分（与候选数成正比，而不是 N）。
  std::vector<Hit> retrieve(const float* query, int k, const SearchFilter& filter) const override;
  // 批量：没有 allow 的查询一起用 sgemm 分块打分（每块物品只读一次内存），其余逐个检索。
  std::vector<std::vector<Hit>> retrieve_batch(const float* queries, int n, int k,
                                               const std::vector<SearchFilter>& filters) const override;
  // 只在 allow 中（去掉 exclude）选 top-k；prepared 是 prepare_query 的输出。
  std::vector<Hit> search_subset(const float* prepared, int k, const std::vector<int32_t>& allow,
                                 const std::vector<int32_t>& exclude) const;
  ScanPrecision precision() const { return precision_; }

  // 单个查询的 top-k（按得分降序，平局时下标小者在前）。exclude 中的物品被跳过，
  // 因此只要还有足够的物品，总能返回 k 个。线程安全。
  std::vector<Hit> search(const float* query, int k, const std::vector<int32_t>& exclude = {}) const;

  // 以下三步组成 search()（分开是为了以后的批量/合并检索可以复用）：
  // 查询预处理（余弦时归一化）→ 给 [r0, r1) 行物品打分 → 排除并选 top-k（会改写 scores 中被排除的项）。
  void prepare_query(const float* query, float* out) const;
  void score_rows(const float* prepared, int64_t r0, int64_t r1, float* out) const;
  std::vector<Hit> select(float* scores, int k, const std::vector<int32_t>& exclude) const;

  // kInt8 的运行统计：走粗打分的查询数、其中退回全量 fp32 的次数、精排的候选总数。
  struct Int8Stats {
    uint64_t searches = 0, fallbacks = 0, candidates = 0;
  };
  Int8Stats int8_stats() const {
    return {int8_searches_.load(std::memory_order_relaxed), int8_fallbacks_.load(std::memory_order_relaxed),
            int8_candidates_.load(std::memory_order_relaxed)};
  }

  // 批量打分：queries [b, d] → out [b, N]（余弦时查询也会被归一化）。fp32 与 int8 时用 sgemm。
  void score_batch(const float* queries, int b, float* out) const;

 private:
  // 一次检索的临时缓冲（从 scratch_ 借出；见 core/scratch_pool.h）。
  struct SearchScratch {
    std::vector<float> scores, q, approx;
    std::vector<int32_t> cand;
  };
  // 按 precision 建立 fp16 / int8 副本（两个构造函数共用）。
  void build_copies();
  // kInt8 的 search：粗打分 → 误差界内的候选 → fp32 精排。无法保证精确时返回 false，由调用方全量打分。
  bool search_int8(const float* prepared, int k, const std::vector<int32_t>& exclude, std::vector<Hit>& out,
                   SearchScratch& s) const;

  Matrix own_;         // 自己持有的物品矩阵（借用时为空）
  MatrixView items_;   // 检索用的物品矩阵：指向 own_ 或借来的数据
  std::vector<uint16_t> items_f16_;  // kFp16 的半精度副本
  Sq8Items items_sq8_;               // kInt8 的量化副本
  bool cosine_ = false;
  ScanPrecision precision_ = ScanPrecision::kFp32;
  mutable std::atomic<uint64_t> int8_searches_{0}, int8_fallbacks_{0}, int8_candidates_{0};
  ScratchPool scratch_;
};

// 从 [N] 个得分中取 top-k（不做全排序；-inf 视为不可选）。
std::vector<Hit> top_k(const float* scores, int64_t n, int k);

}  // namespace seqrec
