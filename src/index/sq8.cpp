// SQ8 物品矩阵的构建、查询量化与粗打分。
#include "index/sq8.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/kernels.h"

namespace seqrec {

namespace {

// 把 [-limit, limit] 之外的值截断后四舍五入（尺度由最大绝对值决定，正常情况下不会越界）。
int quantize_value(double v, int limit) {
  const long r = std::lround(v);
  return static_cast<int>(std::clamp<long>(r, -limit, limit));
}

}  // namespace

Sq8Items::Sq8Items(MatrixView items) : rows_(items.rows), cols_(items.cols) {
  groups_ = (cols_ + 3) / 4;
  blocks_ = (rows_ + kBlock - 1) / kBlock;
  // 填充的维度与物品用量化值 0（字节 128），对结果没有贡献。
  packed_.assign(static_cast<size_t>(blocks_ * groups_ * 64), 128);
  scale_.assign(static_cast<size_t>(blocks_ * kBlock), 0.0f);  // 填充行的尺度为 0
  for (int64_t r = 0; r < rows_; ++r) {
    const float* x = items.row(r);
    float amax = 0;
    for (int64_t j = 0; j < cols_; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float s = amax > 0 ? amax / 127.0f : 0.0f;
    scale_[r] = s;
    double resid = 0, qn = 0, n = 0;
    const int64_t b = r / kBlock, i = r % kBlock;
    for (int64_t j = 0; j < cols_; ++j) {
      const int v = s > 0 ? quantize_value(double(x[j]) / s, 127) : 0;
      packed_[static_cast<size_t>(((b * groups_ + j / 4) * kBlock + i) * 4 + j % 4)] = static_cast<uint8_t>(v + 128);
      const double back = double(s) * v;
      resid += (x[j] - back) * (x[j] - back);
      qn += back * back;
      n += double(x[j]) * x[j];
    }
    max_resid_ = std::max(max_resid_, std::sqrt(resid));
    max_qnorm_ = std::max(max_qnorm_, std::sqrt(qn));
    max_norm_ = std::max(max_norm_, std::sqrt(n));
  }
}

Sq8Items::Query Sq8Items::quantize(const float* q) const {
  Query out;
  out.q4.assign(static_cast<size_t>(groups_), 0);
  float amax = 0;
  double qnorm = 0;
  for (int64_t j = 0; j < cols_; ++j) {
    amax = std::max(amax, std::fabs(q[j]));
    qnorm += double(q[j]) * q[j];
  }
  qnorm = std::sqrt(qnorm);
  if (!(amax > 0) || !std::isfinite(amax)) return out;  // 零向量或非有限值：调用方退回全量 fp32
  const int limit = int8_query_limit();
  out.scale = amax / static_cast<float>(limit);
  std::vector<int8_t> bytes(static_cast<size_t>(groups_ * 4), 0);
  double err = 0;
  int32_t sum = 0;
  for (int64_t j = 0; j < cols_; ++j) {
    const int v = quantize_value(double(q[j]) / out.scale, limit);
    bytes[static_cast<size_t>(j)] = static_cast<int8_t>(v);
    sum += v;
    const double d = q[j] - double(out.scale) * v;
    err += d * d;
  }
  std::memcpy(out.q4.data(), bytes.data(), bytes.size());  // 小端：第 4g+t 维在 int32 的第 t 个字节
  out.correction = 128 * sum;
  // 数学误差界 + 浮点舍入余量（fp32 打分本身的舍入与粗分换算的舍入都远小于这一项）。
  const double e_q = std::sqrt(err);
  const double math = qnorm * max_resid_ + e_q * max_qnorm_;
  const double rounding = 4.0 * double(cols_ + 16) * FLT_EPSILON * (qnorm + e_q) * (max_norm_ + max_resid_);
  out.bound = (math + rounding) * (1 + 1e-6) + 1e-30;
  return out;
}

void Sq8Items::scan(const Query& q, float* out) const {
  Int8Scan s;
  s.packed = packed_.data();
  s.blocks = blocks_;
  s.groups = groups_;
  s.q4 = q.q4.data();
  s.correction = q.correction;
  s.query_scale = q.scale;
  s.row_scale = scale_.data();
  int8_scan(s, out);
}

}  // namespace seqrec
