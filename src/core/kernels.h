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
// 与 matvec 对同一行给出逐位相同的结果（精排时只重算少数候选行，结果与全量 fp32 打分一致）。
float matvec_row(const float* m, int64_t cols, const float* x);

// int8 粗打分的输入。物品以 16 个为一块交错存放：块 b、维度组 g（4 维）处连续 64 字节，
// 第 i 个物品的 4 个字节在 [i*4, i*4+4)；字节是 u8 = 量化值 + 128。q4[g] 是查询第 4g..4g+3 维
// 的 4 个 s8 打包成的 int32（小端）。
struct Int8Scan {
  const uint8_t* packed = nullptr;    // [blocks][groups][16][4]
  int64_t blocks = 0, groups = 0;
  const int32_t* q4 = nullptr;        // [groups]
  int32_t correction = 0;             // 128·Σq：抵消物品字节的 +128 偏移
  float query_scale = 0;              // 查询的量化尺度
  const float* row_scale = nullptr;   // [blocks*16] 每个物品的量化尺度（填充行为 0）
};
// out[i] = float(Σ u8·q − correction) · (query_scale · row_scale[i])，i ∈ [0, blocks*16)。
void int8_scan(const Int8Scan& s, float* out);
// 同上，强制使用可移植实现（测试用它核对 SIMD 版本：整数部分精确，换算的浮点运算顺序相同，结果逐位一致）。
void int8_scan_portable(const Int8Scan& s, float* out);
// 查询量化可用的最大绝对值：AVX-512 VNNI 与可移植版本为 127；仅有 AVX2 时为 63（避免 vpmaddubsw 饱和）。
int int8_query_limit();
// 当前 CPU 上使用的 int8 内核名（日志用）。
const char* int8_kernel_name();

// 半精度（IEEE fp16）存储的矩阵乘向量：y[r] = M[r,:]·x，计算用 fp32。
void matvec_f16(const uint16_t* M, int64_t rows, int64_t cols, const float* x, float* y);
// 从 from 开始找第一个 s[i] > t 的下标（NaN 不算），找不到返回 n。top-k 选择用它跳过大段不可能入选的得分。
int64_t next_above(const float* s, int64_t from, int64_t n, float t);
// fp32 → fp16（就近舍入）与 fp16 → fp32 的转换。
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

// dst += src（逐元素）。
void add_into(float* dst, const float* src, int64_t n);
// y[j] = keep[j] ? x[j]·s : +0（dropout 的前向与反向）；按位与实现，可向量化，与逐元素三元式逐位相同。
void masked_scale(const float* x, const uint8_t* keep, float s, float* y, int64_t n);
// 一段连续元素的 Adam/AdamW 更新（训练用；step_size 已含一阶偏差校正，inv_sqrt_bc2 = 1/sqrt(1-β2^t)）。
void adam_update(float* p, float* m, float* v, const float* g, int64_t n, float b1, float b2, float step_size,
                 float inv_sqrt_bc2, float eps, float wd, float decay, bool decoupled);

// Y[r, o] = X[r,:]·W[o,:] + b[o]：X [rows, in]，W [out, in]（PyTorch Linear 的布局），b 可为空。
void linear_rows(const float* X, int64_t rows, int64_t in, const float* W, const float* b, int64_t out, float* Y);

// C[i, j] = Σ_l A[i, l]·B[l, j]：A [m, k]、B [k, n]、C [m, n]，行主序，行距分别为 lda、ldb、ldc（可以是更宽矩阵
// 里的一块）；覆盖 C。AVX2 版本是 4 行 × 16 列的寄存器分块；两个版本都按 l 从小到大累加（AVX2 用 FMA，末位舍入可能不同）。
void gemm_nn(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc, int64_t m, int64_t n,
             int64_t k);
// Y[r, o] = X[r,:]·WT[:, o] + b[o]：与 linear_rows 相同的线性层，但权重已转置为 WT [in, 行距 ldw]（取它的前 out 列），
// 用 gemm_nn 成块计算（行数多时比逐行的 linear_rows 快得多）。
void linear_rows_t(const float* X, int64_t rows, int64_t in, const float* WT, int64_t ldw, const float* b, int64_t out,
                   float* Y);

}  // namespace seqrec
