// 服务路径上的小型数值内核（点积、矩阵乘向量、小矩阵乘法）。
// 不调用 BLAS：OpenBLAS 的 OpenMP 版本在大量请求线程同时调用时会在 exec_blas 里自旋争用；
// 这些内核用 GCC 的 target_clones 同时编译 AVX2+FMA 与通用版本，运行时按 CPU 选择。
#pragma once

#include <cstdint>

namespace seqrec {

// a·b，长度 n。
float dot(const float* a, const float* b, int64_t n);
// y[r] = M[r,:]·x，M 为 [rows, cols] 行优先。
void matvec(const float* M, int64_t rows, int64_t cols, const float* x, float* y);
// 半精度（IEEE fp16）存储的矩阵乘向量：y[r] = M[r,:]·x，计算用 fp32。
void matvec_f16(const uint16_t* M, int64_t rows, int64_t cols, const float* x, float* y);
// 从 from 开始找第一个 s[i] > t 的下标（NaN 不算），找不到返回 n。top-k 选择用它跳过大段不可能入选的得分。
int64_t next_above(const float* s, int64_t from, int64_t n, float t);
// fp32 → fp16（就近舍入）与 fp16 → fp32 的转换。
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

// dst += src（逐元素）。
void add_into(float* dst, const float* src, int64_t n);
// 一段连续元素的 Adam/AdamW 更新（训练用；step_size 已含一阶偏差校正，inv_sqrt_bc2 = 1/sqrt(1-β2^t)）。
void adam_update(float* p, float* m, float* v, const float* g, int64_t n, float b1, float b2, float step_size,
                 float inv_sqrt_bc2, float eps, float wd, float decay, bool decoupled);

// Y[r, o] = X[r,:]·W[o,:] + b[o]：X [rows, in]，W [out, in]（PyTorch Linear 的布局），b 可为空。
void linear_rows(const float* X, int64_t rows, int64_t in, const float* W, const float* b, int64_t out, float* Y);

}  // namespace seqrec
