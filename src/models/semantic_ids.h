// 语义 ID：把每个物品编码成一串短记号（每层一个，取值在该层的码本内），相似的物品共享前缀。
// 生成式检索模型逐层"写出"下一个物品的语义 ID（ColaRec / TIGER）。
//
// 两种构造方法（输入是协同过滤得到的物品向量，如 LightGCN 的 item_embeddings.npy）：
//   hkmeans  层次约束 k-means（ColaRec）：第 t 层把每个簇再分成至多 K 个子簇，每个子簇的大小有上界
//            （--sid-balance 倍的平均大小，且不超过剩余层数能容纳的物品数 K^r），所以 levels 层之后
//            每个叶子簇至多 K 个物品；叶子内再加一个消歧记号（叶子都只有 1 个物品时省略）。
//   rqkmeans 残差 k-means（RQ-KMeans）：第 t 层对上一层的残差做 k-means（码本大小 K）；路径相同的
//            物品再按与最后一层码字的距离加消歧记号（该层码本大小 = 最大碰撞数）。
// 所有物品的 ID 长度相同；ID 唯一；构造对给定种子是确定的（单线程，与 BLAS 线程数无关）。
// 前缀树（SidTrie）给出每个前缀允许的下一个记号，供约束束搜索只生成真实存在的物品。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/npy.h"

namespace seqrec {

// 构造选项。
struct SemanticIdOptions {
  std::string method = "hkmeans";  // hkmeans | rqkmeans
  int k = 32;                      // 每层的分支数 / 码本大小
  int levels = 2;                  // 聚类层数（不含消歧记号）
  double balance = 2.0;            // hkmeans：子簇大小上界 = ceil(balance · n / K)（>= 1；1 为完全均衡）
  int iters = 20;                  // 每次 k-means 的迭代次数
  bool normalize = true;           // 聚类前把向量归一化（余弦相似的模型应当归一化）
  uint64_t seed = 42;
  void validate() const;
  nlohmann::json to_json() const;
};

// 全部物品的语义 ID。
struct SemanticIds {
  int length = 0;                      // 每个物品的记号数（levels，或 levels + 1 含消歧记号）
  std::vector<int32_t> codebook_sizes; // [length] 每一位的取值范围 [0, size)
  std::vector<int32_t> codes;          // [num_items * length]，第 i 行是内部下标 i 的物品
  nlohmann::json info;                 // 构造选项与统计（写入 manifest）

  int64_t num_items() const { return length ? static_cast<int64_t>(codes.size()) / length : 0; }
  const int32_t* code(int64_t item) const { return codes.data() + item * length; }
  // 检查：每一位在码本范围内、所有物品的 ID 互不相同；不满足时抛出 Error（what 用于消息）。
  void check(const std::string& what) const;

  // JSON：{"length", "codebook_sizes", "codes": [[...], ...], "info"}（原子写入）。
  nlohmann::json to_json() const;
  static SemanticIds from_json(const nlohmann::json& j, const std::string& what);
  void save(const std::string& path) const;
  static SemanticIds load(const std::string& path);
};

// 由物品向量 [num_items, dim] 构造语义 ID。
SemanticIds build_semantic_ids(MatrixView emb, const SemanticIdOptions& opt);

// 物品内容的随机投影草图 [num_items, dim]：每个记号一个由 (seed, 记号) 决定的高斯随机向量，物品向量是其
// 记号向量按 TF-IDF（(1 + ln tf) · ln(n / df)）加权之和，再归一化。只出现在一个物品里的记号不连接任何
// 物品，不计入；没有可用记号的物品为零向量。随机投影近似保持 TF-IDF 向量间的余弦（Johnson–Lindenstrauss）。
Matrix content_sketch(const std::vector<std::vector<int32_t>>& item_tokens, int64_t dim, uint64_t seed);

// 语义 ID 的输入向量：每行为 [a_i / |a_i|, w · b_i / |b_i|]（零向量保持为零）。a、b 行数须相同。
Matrix join_item_vectors(MatrixView a, MatrixView b, double w);

// 约束 k-means（构造的一步，公开以便测试）：把 x 的 n 行分成 k 簇，每簇至多 cap 行（k·cap >= n）。
// 返回每行的簇号 [n]；centroids（可为空）返回 [k, dim] 的质心。
std::vector<int32_t> constrained_kmeans(const float* x, int64_t n, int64_t dim, int k, int64_t cap, int iters,
                                        uint64_t seed, std::vector<float>* centroids);

// 语义 ID 的前缀树：节点按层编号，根为 0。约束束搜索用 children() 取某前缀允许的下一个记号。
class SidTrie {
 public:
  SidTrie() = default;
  explicit SidTrie(const SemanticIds& ids);
  int length() const { return length_; }
  // 节点 node 的子节点：记号 tokens[i] 通向节点 nodes[i]（记号升序）。
  struct Span {
    const int32_t* tokens;
    const int32_t* nodes;
    int32_t size;
  };
  Span children(int32_t node) const;
  // 节点 node 下记号 token 的子节点；不存在时返回 -1。
  int32_t child(int32_t node, int32_t token) const;
  // 深度为 length() 的叶子节点对应的物品；不是叶子时返回 -1。
  int32_t item_of(int32_t node) const;
  // 物品的叶子节点。
  int32_t leaf_of(int32_t item) const { return item_leaf_[static_cast<size_t>(item)]; }
  int64_t num_nodes() const { return static_cast<int64_t>(first_.size()) - 1; }
  // 节点下的物品数（叶子为 1）。
  int32_t subtree_size(int32_t node) const { return size_[static_cast<size_t>(node)]; }
  // 父节点（根为 -1）。
  int32_t parent(int32_t node) const { return parent_[static_cast<size_t>(node)]; }

 private:
  int length_ = 0;
  std::vector<int32_t> first_;      // [nodes + 1] 子节点区间的起点（CSR）
  std::vector<int32_t> tok_;        // 子节点的记号
  std::vector<int32_t> child_;      // 子节点编号
  std::vector<int32_t> leaf_item_;  // [nodes] 叶子对应的物品，非叶子为 -1
  std::vector<int32_t> item_leaf_;  // [items]
  std::vector<int32_t> size_;       // [nodes] 子树中的物品数
  std::vector<int32_t> parent_;     // [nodes]
};

}  // namespace seqrec
