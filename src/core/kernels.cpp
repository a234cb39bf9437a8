// 小型数值内核实现。
// x86-64 上提供 AVX2+FMA 版本（用 target 属性单独编译，运行时用 __builtin_cpu_supports 选择），
// 其余 CPU 用可移植的标量版本；两者数学上相同，仅求和顺序不同。
#include "core/kernels.h"

#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SEQREC_X86 1
#endif

namespace seqrec {

namespace {

// 可移植版本：8 路独立累加，编译器可自动向量化。
float dot_portable(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) acc[k] += a[j + k] * b[j + k];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

void matvec_portable(const float* M, int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) y[r] = dot_portable(M + r * cols, x, cols);
}

void matvec_f16_portable(const uint16_t* M, int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    float s = 0;
    for (int64_t j = 0; j < cols; ++j) s += half_to_float(M[r * cols + j]) * x[j];
    y[r] = s;
  }
}

int64_t next_above_portable(const float* s, int64_t from, int64_t n, float t) {
  for (int64_t i = from; i < n; ++i)
    if (s[i] > t) return i;
  return n;
}

#ifdef SEQREC_X86
// 一次比较 8 个得分，整块都不超过阈值就跳过。
__attribute__((target("avx2"))) int64_t next_above_avx2(const float* s, int64_t from, int64_t n, float t) {
  const __m256 tv = _mm256_set1_ps(t);
  int64_t i = from;
  for (; i + 8 <= n; i += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(s + i), tv, _CMP_GT_OQ));
    if (mask) return i + __builtin_ctz(static_cast<unsigned>(mask));
  }
  return next_above_portable(s, i, n, t);
}

// 8 个 float 的水平求和。
__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), acc1);
  }
  for (; j + 8 <= n; j += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

// 与 8 行块中 hadd 树相同顺序的水平求和：((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))。
__attribute__((target("avx2,fma"))) inline float hsum_like_block(__m256 a) {
  __m256 h = _mm256_hadd_ps(a, a);
  h = _mm256_hadd_ps(h, h);
  return _mm_cvtss_f32(_mm256_castps256_ps128(h)) + _mm_cvtss_f32(_mm256_extractf128_ps(h, 1));
}

// 加载 8 个元素并转换为 fp32（fp32 或 fp16 存储）。
template <bool F16>
__attribute__((target("avx2,fma,f16c"))) inline __m256 load8(const void* p) {
  if constexpr (F16) return _mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i*>(p)));
  else return _mm256_loadu_ps(static_cast<const float*>(p));
}

// 矩阵乘向量：一次处理 8 行，8 条独立的 FMA 依赖链（FMA 延迟约 4 个周期，少于 8 条链时会卡在延迟上），
// 最后用一棵 hadd 树把 8 个累加器一次归约成 8 个结果。T 为存储类型（float 或 fp16 的 uint16_t）。
template <bool F16, typename T>
__attribute__((target("avx2,fma,f16c"))) void matvec_avx2_impl(const T* M, int64_t rows, int64_t cols,
                                                              const float* x, float* y) {
  int64_t r = 0;
  const int64_t c8 = cols & ~int64_t(7);
  for (; r + 8 <= rows; r += 8) {
    const T* m = M + r * cols;
    __m256 a[8];
    for (int k = 0; k < 8; ++k) a[k] = _mm256_setzero_ps();
    for (int64_t j = 0; j < c8; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      for (int k = 0; k < 8; ++k) a[k] = _mm256_fmadd_ps(load8<F16>(m + k * cols + j), xv, a[k]);
    }
    const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    __m256 out = _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
    if (c8 != cols) {  // 列数不是 8 的倍数：补上尾部
      alignas(32) float t[8];
      _mm256_store_ps(t, out);
      for (int k = 0; k < 8; ++k)
        for (int64_t j = c8; j < cols; ++j) {
          if constexpr (F16) t[k] += half_to_float(m[k * cols + j]) * x[j];
          else t[k] += m[k * cols + j] * x[j];
        }
      out = _mm256_load_ps(t);
    }
    _mm256_storeu_ps(y + r, out);
  }
  // 剩余不足 8 行：逐行计算，求和顺序与上面的 8 行块完全相同（matvec_row 依赖这一点）。
  for (; r < rows; ++r) {
    const T* m = M + r * cols;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < c8; j += 8) acc = _mm256_fmadd_ps(load8<F16>(m + j), _mm256_loadu_ps(x + j), acc);
    float v = hsum_like_block(acc);
    for (int64_t j = c8; j < cols; ++j) {
      if constexpr (F16) v += half_to_float(m[j]) * x[j];
      else v += m[j] * x[j];
    }
    y[r] = v;
  }
}

// 单行版本：与 matvec_avx2_impl<false> 对同一行给出逐位相同的结果。
__attribute__((target("avx2,fma"))) float matvec_row_avx2(const float* m, int64_t cols, const float* x) {
  float y;
  matvec_avx2_impl<false>(m, 1, cols, x, &y);
  return y;
}

// ---- int8 粗打分内核（布局见 kernels.h 的 Int8Scan）----
// AVX-512 与 AVX2 版本形状相同，只是寄存器宽度与乘加指令不同；可移植版本是两者的参照。

// 把 16 个原始整数和换算成粗分：(raw − corr) · (qscale · row_scale)。
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline void store_scores16(__m512i acc, const Int8Scan& s,
                                                                                  int64_t i0, float* out) {
  const __m512 t = _mm512_mul_ps(_mm512_set1_ps(s.query_scale), _mm512_loadu_ps(s.row_scale + i0));
  const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_set1_epi32(s.correction)));
  _mm512_storeu_ps(out + i0, _mm512_mul_ps(v, t));
}

// AVX-512 VNNI：vpdpbusd 一条指令完成 16 个物品 × 4 维的 u8·s8 乘加；一次处理 4 块以隐藏指令延迟。
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void u8s8_vnni(const Int8Scan& s, float* out) {
  const uint8_t* P = s.packed;
  const int64_t blocks = s.blocks, G = s.groups;
  const int32_t* q4 = s.q4;
  int64_t b = 0;
  const int64_t stride = G * 64;
  for (; b + 4 <= blocks; b += 4) {
    const uint8_t* p = P + b * stride;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t g = 0; g < G; ++g) {
      const __m512i qv = _mm512_set1_epi32(q4[g]);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(p + g * 64), qv);
      a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(p + stride + g * 64), qv);
      a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(p + 2 * stride + g * 64), qv);
      a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(p + 3 * stride + g * 64), qv);
    }
    store_scores16(a0, s, b * 16, out);
    store_scores16(a1, s, b * 16 + 16, out);
    store_scores16(a2, s, b * 16 + 32, out);
    store_scores16(a3, s, b * 16 + 48, out);
  }
  for (; b < blocks; ++b) {
    const uint8_t* p = P + b * stride;
    __m512i a = _mm512_setzero_si512();
    for (int64_t g = 0; g < G; ++g) a = _mm512_dpbusd_epi32(a, _mm512_loadu_si512(p + g * 64), _mm512_set1_epi32(q4[g]));
    store_scores16(a, s, b * 16, out);
  }
}

// AVX2：vpmaddubsw（u8·s8 相邻两对相加成 s16）+ vpmaddwd（再两两相加成 s32）。
// vpmaddubsw 会饱和，所以查询只用 [-63, 63]（255·63·2 < 32767）。
__attribute__((target("avx2"))) inline void store_scores8(__m256i acc, const Int8Scan& s, int64_t i0, float* out) {
  const __m256 t = _mm256_mul_ps(_mm256_set1_ps(s.query_scale), _mm256_loadu_ps(s.row_scale + i0));
  const __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc, _mm256_set1_epi32(s.correction)));
  _mm256_storeu_ps(out + i0, _mm256_mul_ps(v, t));
}

__attribute__((target("avx2"))) void u8s8_avx2(const Int8Scan& s, float* out) {
  const uint8_t* P = s.packed;
  const int64_t blocks = s.blocks, G = s.groups;
  const int32_t* q4 = s.q4;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* p = P + b * G * 64;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0;
    for (int64_t g = 0; g < G; ++g) {
      const __m256i qv = _mm256_set1_epi32(q4[g]);
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + g * 64));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + g * 64 + 32));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(x0, qv), ones));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(x1, qv), ones));
    }
    store_scores8(a0, s, b * 16, out);
    store_scores8(a1, s, b * 16 + 8, out);
  }
}

// 启动时检测一次 CPU 能力。clang 14 的 __builtin_cpu_supports 不认识 "f16c"（模糊测试用 clang 编译）；
// 所有支持 AVX2 的 x86 处理器（Intel Haswell、AMD Piledriver 起）都有 F16C，所以那里只查 avx2 与 fma。
#if defined(__clang__)
const bool kHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
const bool kHasAvx2 =
    __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
const bool kHasVnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vnni");
#endif

// ---- 小矩阵乘法 C = A·B（推理的线性层与注意力）----

// 可移植版本：i-l-j 顺序，最内层对 C 的一行连续累加（编译器可自动向量化）。
void gemm_nn_portable(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc, int64_t m,
                      int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    for (int64_t j = 0; j < n; ++j) c[j] = 0.0f;
    for (int64_t l = 0; l < k; ++l) {
      const float a = A[i * lda + l];
      const float* b = B + l * ldb;
      for (int64_t j = 0; j < n; ++j) c[j] += a * b[j];
    }
  }
}

#ifdef SEQREC_X86
// 尾部列的掩码：前 w 个通道（0..8）为真。
__attribute__((target("avx2"))) inline __m256i lane_mask(int64_t w) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(w)), idx);
}

// 微内核：C 的 R 行 × 16 列（R ≤ 4）一块，8 个 ymm 累加器留在寄存器里；每个 l 读 B 的一行 16 个数
// （不足 16 列时用掩码读写），与 A 的 R 个元素的广播相乘累加。没有水平求和。
template <int R>
__attribute__((target("avx2,fma"))) inline void gemm_block(const float* A, int64_t lda, const float* B, int64_t ldb,
                                                          float* C, int64_t ldc, int64_t w, int64_t k) {
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  if (w == 16) {
    for (int64_t l = 0; l < k; ++l) {
      const __m256 b0 = _mm256_loadu_ps(B + l * ldb), b1 = _mm256_loadu_ps(B + l * ldb + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(A + r * lda + l);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(C + r * ldc, acc[r][0]);
      _mm256_storeu_ps(C + r * ldc + 8, acc[r][1]);
    }
    return;
  }
  const __m256i m0 = lane_mask(w < 8 ? w : 8), m1 = lane_mask(w > 8 ? w - 8 : 0);
  for (int64_t l = 0; l < k; ++l) {
    const __m256 b0 = _mm256_maskload_ps(B + l * ldb, m0), b1 = _mm256_maskload_ps(B + l * ldb + 8, m1);
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(A + r * lda + l);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm256_maskstore_ps(C + r * ldc, m0, acc[r][0]);
    _mm256_maskstore_ps(C + r * ldc + 8, m1, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) void gemm_nn_avx2(const float* A, int64_t lda, const float* B, int64_t ldb,
                                                      float* C, int64_t ldc, int64_t m, int64_t n, int64_t k) {
  for (int64_t j = 0; j < n; j += 16) {  // 列块在外：B 的这 16 列（k 行）在各行块之间留在 L1 里
    const int64_t w = n - j < 16 ? n - j : 16;
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) gemm_block<4>(A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, w, k);
    switch (m - i) {
      case 3: gemm_block<3>(A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, w, k); break;
      case 2: gemm_block<2>(A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, w, k); break;
      case 1: gemm_block<1>(A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, w, k); break;
      default: break;
    }
  }
}
#endif

// 可移植版本：逐字节计算，与 SIMD 版本结果完全相同（整数运算没有舍入）。
void u8s8_portable(const Int8Scan& s, float* out) {
  const uint8_t* P = s.packed;
  const int64_t blocks = s.blocks, G = s.groups;
  const int32_t* q4 = s.q4;
  for (int64_t b = 0; b < blocks; ++b) {
    int32_t acc[16] = {0};
    for (int64_t g = 0; g < G; ++g) {
      int8_t q[4];
      std::memcpy(q, &q4[g], 4);
      const uint8_t* p = P + (b * G + g) * 64;
      for (int i = 0; i < 16; ++i)
        for (int t = 0; t < 4; ++t) acc[i] += int32_t(p[i * 4 + t]) * q[t];
    }
    for (int i = 0; i < 16; ++i) {
      const float t = s.query_scale * s.row_scale[b * 16 + i];
      out[b * 16 + i] = static_cast<float>(acc[i] - s.correction) * t;
    }
  }
}

}  // namespace

float dot(const float* a, const float* b, int64_t n) {
#ifdef SEQREC_X86
  if (kHasAvx2) return dot_avx2(a, b, n);
#endif
  return dot_portable(a, b, n);
}

void matvec(const float* M, int64_t rows, int64_t cols, const float* x, float* y) {
#ifdef SEQREC_X86
  if (kHasAvx2) return matvec_avx2_impl<false>(M, rows, cols, x, y);
#endif
  matvec_portable(M, rows, cols, x, y);
}

float matvec_row(const float* m, int64_t cols, const float* x) {
#ifdef SEQREC_X86
  if (kHasAvx2) return matvec_row_avx2(m, cols, x);
#endif
  return dot_portable(m, x, cols);
}

int int8_query_limit() {
#ifdef SEQREC_X86
  if (!kHasVnni && kHasAvx2) return 63;
#endif
  return 127;
}

const char* int8_kernel_name() {
#ifdef SEQREC_X86
  if (kHasVnni) return "avx512-vnni";
  if (kHasAvx2) return "avx2";
#endif
  return "portable";
}

void int8_scan(const Int8Scan& s, float* out) {
#ifdef SEQREC_X86
  if (kHasVnni) return u8s8_vnni(s, out);
  if (kHasAvx2) return u8s8_avx2(s, out);
#endif
  u8s8_portable(s, out);
}

void int8_scan_portable(const Int8Scan& s, float* out) { u8s8_portable(s, out); }

int64_t next_above(const float* s, int64_t from, int64_t n, float t) {
#ifdef SEQREC_X86
  if (kHasAvx2) return next_above_avx2(s, from, n, t);
#endif
  return next_above_portable(s, from, n, t);
}

void matvec_f16(const uint16_t* M, int64_t rows, int64_t cols, const float* x, float* y) {
#ifdef SEQREC_X86
  if (kHasAvx2) return matvec_avx2_impl<true>(M, rows, cols, x, y);
#endif
  matvec_f16_portable(M, rows, cols, x, y);
}

// IEEE 754 binary16 转换（处理非规格化数、无穷与 NaN；就近偶数舍入）。
uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // 溢出为无穷
  if (absx < 0x38800000u) {                                             // 非规格化数或 0
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 113 - static_cast<int>(absx >> 23) + 13;
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((absx - 0x38000000u) >> 13);
  const uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {  // 非规格化数：规格化后再组装
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) mant <<= 1, --exp;
      x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SEQREC_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define SEQREC_CLONES
#endif

SEQREC_CLONES void add_into(float* dst, const float* src, int64_t n) {
  for (int64_t j = 0; j < n; ++j) dst[j] += src[j];
}

// 三元式 keep ? x·s : 0 在 GCC 下不向量化（字节条件选浮点）；改为把 x·s 的位与 0 或全 1 相与，
// 结果逐位相同（丢弃处恰为 +0），循环可按 8 个 float 一组执行。
SEQREC_CLONES void masked_scale(const float* x, const uint8_t* keep, float s, float* y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    const float v = x[j] * s;
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bits &= 0u - static_cast<uint32_t>(keep[j] != 0);
    std::memcpy(&y[j], &bits, sizeof bits);
  }
}

SEQREC_CLONES void adam_update(float* p, float* m, float* v, const float* g, int64_t n, float b1, float b2,
                               float step_size, float inv_sqrt_bc2, float eps, float wd, float decay,
                               bool decoupled) {
  if (decoupled) {
    for (int64_t j = 0; j < n; ++j) {
      const float gj = g[j];
      const float pj = p[j] * decay;
      m[j] = b1 * m[j] + (1.0f - b1) * gj;
      v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
      p[j] = pj - step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_bc2 + eps);
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const float gj = g[j] + wd * p[j];
      m[j] = b1 * m[j] + (1.0f - b1) * gj;
      v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
      p[j] -= step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_bc2 + eps);
    }
  }
}


void gemm_nn(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc, int64_t m, int64_t n,
             int64_t k) {
#ifdef SEQREC_X86
  if (kHasAvx2) return gemm_nn_avx2(A, lda, B, ldb, C, ldc, m, n, k);
#endif
  gemm_nn_portable(A, lda, B, ldb, C, ldc, m, n, k);
}

void linear_rows_t(const float* X, int64_t rows, int64_t in, const float* WT, int64_t ldw, const float* b, int64_t out,
                   float* Y) {
  gemm_nn(X, in, WT, ldw, Y, out, rows, out, in);
  if (b)
    for (int64_t r = 0; r < rows; ++r) add_into(Y + r * out, b, out);
}

void linear_rows(const float* X, int64_t rows, int64_t in, const float* W, const float* b, int64_t out, float* Y) {
  for (int64_t r = 0; r < rows; ++r) {
    matvec(W, out, in, X + r * in, Y + r * out);
    if (b)
      for (int64_t o = 0; o < out; ++o) Y[r * out + o] += b[o];
  }
}

}  // namespace seqrec
