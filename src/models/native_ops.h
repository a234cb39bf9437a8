// 原生推理模型共用的小工具：取出并校验权重张量、逐行 LayerNorm、线性层。
#pragma once

#include <string>
#include <vector>

#include "core/npy.h"
#include "core/safetensors.h"

namespace seqrec {

// 取出名为 name 的张量并校验形状，返回数据；缺失或形状不符时抛出 Error（指明张量名与两种形状）。
std::vector<float> take_tensor(const TensorMap& t, const std::string& name, const std::vector<int64_t>& shape);

// 逐行 LayerNorm：y = (x − mean) / sqrt(var + eps) · w + b。x 与 y 可以是同一块内存。
// LayerNorm 的最大宽度（等于 --dim 的上限）。
inline constexpr int kMaxLayerNormDim = 4096;
void layer_norm_rows(const float* x, int rows, int d, const float* w, const float* b, float eps, float* y);

// LayerNorm 的权重（weight、bias）。
struct NormWeights {
  std::vector<float> w, b;
  void apply(const float* x, int rows, int d, float eps, float* y) const {
    layer_norm_rows(x, rows, d, w.data(), b.data(), eps, y);
  }
};
// 线性层的权重（PyTorch 布局：weight [out, in]，bias [out]）。
struct LinearWeights {
  std::vector<float> w, b;
  std::vector<float> wt;  // w 的转置 [in, out]（transpose() 填写；有它时 apply 用成块的 gemm_nn）
  int in = 0, out = 0;
  // Y[rows, out] = X[rows, in]·Wᵀ + b
  void apply(const float* x, int rows, float* y) const;
  // 由 w 算出 wt（take_linear 会调用；手工填写 w 之后调用它）。
  void transpose();
};

// 一个 Transformer 块的权重：两个 LayerNorm、注意力的输入（Q、K、V 依次叠放）与输出投影、两层前馈。
// LayerNorm 的位置与激活函数由各模型的前向决定（SASRec、BERT4Rec、colarec 的编码器都用这套命名）。
struct BlockWeights {
  NormWeights ln1, ln2;
  LinearWeights in_proj, out_proj, ffn1, ffn2;
};

// 从 prefix + "ln1"、"ln2"、"in_proj"、"out_proj"、"ffn1"、"ffn2" 读取一个块（宽度 d，前馈宽度 f）。
BlockWeights take_block(const TensorMap& t, const std::string& prefix, int64_t d, int64_t f);

// 原地精确 GELU（与 torch::gelu 的默认相同）：0.5·v·(1 + erf(v/√2))。
void gelu_inplace(float* v, size_t n);

// 嵌入表 emb（[rows + 1, cols]，最后一行为填充）的前 rows 行，作为打分用的物品矩阵。
Matrix embedding_rows(const std::vector<float>& emb, int64_t rows, int64_t cols);

// 从 prefix + ".weight"/".bias" 读取 LayerNorm（形状 [d]）。
NormWeights take_norm(const TensorMap& t, const std::string& prefix, int64_t d);
// 从 prefix + ".weight"/".bias" 读取线性层（形状 [out, in] 与 [out]）。
LinearWeights take_linear(const TensorMap& t, const std::string& prefix, int64_t in, int64_t out);

}  // namespace seqrec
