// 模型目录里的近似索引：`seqrec index` 的构建、召回率检查与 manifest 更新，以及加载时的选择。
//
// 目录中的索引文件名带内容哈希（index.<sha12>.faiss）：先写新文件，再原子地替换 manifest，最后删除旧文件。
// 任何时刻崩溃，目录都能被加载（manifest 要么指向旧索引，要么指向新索引）。
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/npy.h"
#include "index/exact_index.h"
#include "index/faiss_index.h"

namespace seqrec {

// `seqrec index` 的选项。
struct IndexBuildOptions {
  FaissParams params;
  int threads = 0;              // 构建用的线程数；0 = CPU 核数
  double min_recall = 0.95;     // recall@10 低于它时拒绝写入（warn_only 时只警告）
  bool warn_only = false;
  int recall_queries = 1000;    // 测召回率用的查询数
  std::string queries_file;     // 可选：查询向量 .npy；默认用模型目录的 queries.npy，再没有就用物品向量
  void validate() const;
};

// 召回率：对每个查询，近似检索的前 k 个中有多少在精确检索的前 k 个里，取平均。
double recall_at_k(const Retriever& approx, const ExactIndex& exact, const Matrix& queries, int k);

// 为模型目录构建近似索引并登记到 manifest；返回写入 manifest 的 index 段（含构建耗时与召回率）。
// 召回率低于阈值且未设 warn_only 时抛出 Error，目录保持原样。
nlohmann::ordered_json build_model_index(const std::string& dir, const IndexBuildOptions& opt);

// 删除模型目录的近似索引（manifest 不再引用它），之后服务用精确检索。没有索引时什么也不做。
void remove_model_index(const std::string& dir);

// 服务加载时的检索后端选择：manifest 有 index 段且 mode 为 "auto" 时加载 FAISS 索引，否则用 exact。
// ef_search / nprobe 大于 0 时覆盖 manifest 中的检索参数。
std::shared_ptr<const Retriever> load_retriever(const std::string& dir, const nlohmann::json& manifest,
                                                std::shared_ptr<const ExactIndex> exact, const std::string& mode,
                                                int ef_search = 0, int nprobe = 0);

}  // namespace seqrec
