// FAISS 近似检索后端（Debian libfaiss-dev）：HNSW（IndexHNSWFlat）与 IVF（IndexIVFFlat）。
// 由 `seqrec index` 离线构建并写入模型目录，服务启动或热加载时读入。
//
// 最大内积检索先化为 L2 最近邻（物品增广一维 sqrt(R² − ||x||²)，查询增广 0），两种索引都在 d+1 维上用 L2；
// 候选的得分用精确内积重算。内积不是度量（没有三角不等式），范数大的物品会主导图的邻接与 k-means 的分桶；
// 增广后在 L2 上构图、分桶，是最大内积检索的标准化归（Bachrach 等，2014）。
//
// 过滤：exclude / allow 先交给 FAISS 的 IDSelector，结果再按同样的条件过滤一遍（不依赖某个 FAISS
// 版本是否在图搜索中支持选择器）；不足 k 个时把候选数翻倍重查，最后退回精确扫描——只要满足条件的
// 物品不少于 k 个，就一定返回 k 个。allow 很小时直接精确地给这些物品打分（更快，且结果精确）。
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/scratch_pool.h"
#include "index/exact_index.h"
#include "index/retriever.h"

namespace faiss {
struct Index;
}

namespace seqrec {

// 索引的构建与检索参数（写入 manifest 的 index 段）。
struct FaissParams {
  std::string type = "hnsw";  // hnsw | ivf
  // HNSW
  int hnsw_m = 32;             // 每个节点的邻居数（第 0 层为 2M）
  int ef_construction = 200;   // 构建时的候选队列长度
  int ef_search = 128;         // 检索时的候选队列长度（至少为 k）
  // IVF
  int nlist = 0;               // 倒排桶数；0 = 自动（约 4·√N，至少 1）
  int nprobe = 32;             // 检索时查看的桶数
  int64_t train_sample = 0;    // 训练 k-means 的样本数；0 = 自动（min(N, 64·nlist)）

  // 检查取值范围，不合法时抛出 Error（指明选项）。
  void validate() const;
  // 给定物品数时实际使用的 nlist（解析 0 = 自动）。
  int resolved_nlist(int64_t n) const;
  nlohmann::json to_json() const;
  // 从 manifest 的 index 段读取；缺失字段用默认值，类型错误抛出 Error。
  static FaissParams from_json(const nlohmann::json& j);
};

class FaissIndex : public Retriever {
 public:
  ~FaissIndex() override;
  // 在 exact 的物品矩阵上构建（余弦时 exact 已把物品归一化）。threads：构建用的 OpenMP 线程数。
  static std::unique_ptr<FaissIndex> build(std::shared_ptr<const ExactIndex> exact, const FaissParams& p, int threads);
  // 从文件读入并与 exact 核对（物品数、维度、类型）；不符时抛出 Error（指明文件与原因）。
  static std::unique_ptr<FaissIndex> load(const std::string& path, std::shared_ptr<const ExactIndex> exact,
                                          const FaissParams& p);
  // 原子地写出（临时文件 + fsync + rename）。
  void save(const std::string& path) const;

  std::string kind() const override { return params_.type; }
  int64_t size() const override { return exact_->size(); }
  int dim() const override { return exact_->dim(); }
  size_t memory_bytes() const override;
  const FaissParams& params() const { return params_; }

  std::vector<Hit> retrieve(const float* query, int k, const SearchFilter& filter) const override;
  // 没有过滤条件的查询一起交给 FAISS（OpenMP 按查询并行），其余逐个检索。
  std::vector<std::vector<Hit>> retrieve_batch(const float* queries, int n, int k,
                                               const std::vector<SearchFilter>& filters) const override;

  // allow 不超过这么多个物品时直接精确打分。
  static constexpr size_t kExactAllowLimit = 20000;

 private:
  FaissIndex(std::shared_ptr<const ExactIndex> exact, const FaissParams& p);
  // 在已归一化的查询上用 FAISS 取前 kk 个（带可选的选择器），结果写入 hits（去掉无效标签）。
  void faiss_search(const float* prepared, int64_t kk, const SearchFilter* filter, std::vector<Hit>& hits) const;
  // 把检索参数（efSearch / nprobe）写进索引对象；只在构建与加载时调用（之后只读）。
  void apply_search_params();

  std::shared_ptr<const ExactIndex> exact_;  // 归一化后的物品矩阵：精确退路与子集打分
  FaissParams params_;
  std::unique_ptr<faiss::Index> index_;
  // 一次检索的临时缓冲（从 scratch_ 借出；见 core/scratch_pool.h）。
  struct SearchScratch {
    std::vector<float> dist, qa, q;
    std::vector<int64_t> labels;
  };
  ScratchPool scratch_;
};

// FAISS 的版本号（"1.7.3"），记录在 manifest 中。
std::string faiss_version();

}  // namespace seqrec
