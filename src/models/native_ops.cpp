// 原生推理共用工具的实现。
#include "models/native_ops.h"

#include <cmath>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {

std::vector<float> take_tensor(const TensorMap& t, const std::string& name, const std::vector<int64_t>& shape) {
  auto it = t.find(name);
  if (it == t.end()) throw Error(concat("model weights: tensor '", name, "' is missing"));
  if (it->second.shape != shape) {
    std::string want, got;
    for (auto d : shape) want += std::to_string(d) + ",";
    for (auto d : it->second.shape) got += std::to_string(d) + ",";
    throw Error(concat("model weights: tensor '", name, "' has shape [", got, "], expected [", want, "]"));
  }
  return it->second.data;
}

void layer_norm_rows(const float* x, int rows, int d, const float* w, const float* b, float eps, float* y) {
  // 求均值用的全 1 向量：只读、全进程一份（维度上限见 ModelConfig::validate / GenRecConfig::validate）。
  static const std::vector<float> ones(kMaxLayerNormDim, 1.0f);
  SEQREC_CHECK(d >= 1 && d <= kMaxLayerNormDim, "layer norm width out of range");
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * d;
    float* yr = y + static_cast<size_t>(r) * d;
    // 均值与方差用 SIMD 点积内核计算（先减均值再求平方和，与 PyTorch 的两遍算法一致）。
    const float mean = dot(xr, ones.data(), d) / static_cast<float>(d);
    for (int i = 0; i < d; ++i) yr[i] = xr[i] - mean;
    const float var = dot(yr, yr, d) / static_cast<float>(d);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < d; ++i) yr[i] = yr[i] * inv * w[i] + b[i];
  }
}

void LinearWeights::apply(const float* x, int rows, float* y) const {
  if (!wt.empty()) return linear_rows_t(x, rows, in, wt.data(), out, b.empty() ? nullptr : b.data(), out, y);
  linear_rows(x, rows, in, w.data(), b.empty() ? nullptr : b.data(), out, y);
}

void LinearWeights::transpose() {
  wt.resize(w.size());
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i) wt[static_cast<size_t>(i) * out + o] = w[static_cast<size_t>(o) * in + i];
}

Matrix embedding_rows(const std::vector<float>& emb, int64_t rows, int64_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.assign(emb.begin(), emb.begin() + rows * cols);
  return m;
}

NormWeights take_norm(const TensorMap& t, const std::string& prefix, int64_t d) {
  return {take_tensor(t, prefix + ".weight", {d}), take_tensor(t, prefix + ".bias", {d})};
}

LinearWeights take_linear(const TensorMap& t, const std::string& prefix, int64_t in, int64_t out) {
  LinearWeights l;
  l.w = take_tensor(t, prefix + ".weight", {out, in});
  l.b = take_tensor(t, prefix + ".bias", {out});
  l.in = static_cast<int>(in);
  l.out = static_cast<int>(out);
  l.transpose();
  return l;
}

BlockWeights take_block(const TensorMap& t, const std::string& prefix, int64_t d, int64_t f) {
  BlockWeights b;
  b.ln1 = take_norm(t, prefix + "ln1", d);
  b.ln2 = take_norm(t, prefix + "ln2", d);
  b.in_proj = take_linear(t, prefix + "in_proj", d, 3 * d);
  b.out_proj = take_linear(t, prefix + "out_proj", d, d);
  b.ffn1 = take_linear(t, prefix + "ffn1", d, f);
  b.ffn2 = take_linear(t, prefix + "ffn2", f, d);
  return b;
}

void gelu_inplace(float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * 0.70710678118654752f));
}

}  // namespace seqrec
