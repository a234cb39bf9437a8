// 8 位标量量化（SQ8）的物品矩阵：用于“先粗打分、再精排”的精确检索。
//
// 每个物品行 x 按自己的尺度 s = max|x_j| / 127 量化为 x̂ ∈ [-127, 127]，并记下量化残差的范数
// r = ||x − s·x̂|| 与量化后向量的范数 ||s·x̂||。查询 q 同样量化（尺度 s_q，残差范数 e_q）。于是
//   |q·x − s_q·s·(q̂·x̂)| ≤ ||q||·r + e_q·||s·x̂||，
// 对所有物品取最大值得到一个统一的误差界 β（再加上浮点舍入的余量）。粗分第 k 高为 A_k 时，
// 粗分低于 A_k − 2β 的物品不可能进入精确的 top-k；其余候选用 fp32 重新打分，结果与全量 fp32 相同。
// 扫描的内存流量是 fp32 的四分之一（9.7k×64 的矩阵 0.6 MB，放得进 L2）。
#pragma once

#include <cstdint>
#include <vector>

#include "core/npy.h"

namespace seqrec {

class Sq8Items {
 public:
  static constexpr int kBlock = 16;  // 每块物品数（与内核一致）

  // 量化后的查询。
  struct Query {
    std::vector<int32_t> q4;  // 每 4 维打包成一个 int32 的 s8 量化值
    float scale = 0;          // s_q；为 0 表示零向量（无法用粗分区分物品）
    int32_t correction = 0;   // 128·Σq̂：内核里物品字节带 +128 偏移，要减去它
    double bound = 0;         // 对所有物品成立的 |精确 fp32 得分 − 粗分| 上界
  };

  Sq8Items() = default;
  explicit Sq8Items(MatrixView items);

  int64_t padded_rows() const { return blocks_ * kBlock; }
  // 量化副本占用的字节数。
  size_t memory_bytes() const { return packed_.size() + scale_.size() * sizeof(float); }

  // 量化查询并计算误差界。
  Query quantize(const float* q) const;
  // 粗打分：out[i] = s_q·s_i·(q̂·x̂_i)。out 须能容纳 padded_rows() 个值（填充行得 0）。线程安全。
  void scan(const Query& q, float* out) const;

 private:
  int64_t rows_ = 0, cols_ = 0, groups_ = 0, blocks_ = 0;
  std::vector<uint8_t> packed_;  // [blocks][groups][16][4]
  std::vector<float> scale_;     // 每行的量化尺度
  double max_resid_ = 0;         // max_i ||x_i − s_i·x̂_i||
  double max_qnorm_ = 0;         // max_i ||s_i·x̂_i||
  double max_norm_ = 0;          // max_i ||x_i||
};

}  // namespace seqrec
