// 基准程序：测量当前系统 BLAS 的 sgemm 吞吐（GFLOP/s）。LibTorch 使用系统 BLAS，
// Debian 默认的参考实现很慢，scripts/install_deps.sh 因此安装 libopenblas0-openmp。
// 链接的是通用的 libblas.so.3（Debian 的 alternatives 决定它是哪个实现），与 LibTorch 相同。
// 用法：build/seqrec_bench_blas [n=2048] [threads=1]
//       LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas build/seqrec_bench_blas   # 强制使用参考实现对比
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/blas_core.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2048;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  if (n < 16 || threads < 1) {
    std::fprintf(stderr, "usage: seqrec_bench_blas [n>=16] [threads>=1]\n");
    return 2;
  }
  // 与 seqrec 相同：OpenBLAS 不认识这个 CPU 而退回通用内核时改正（OPENBLAS_CORETYPE 已设置时不动）。
  if (const std::string note = seqrec::ensure_blas_core(); !note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  // OpenBLAS 的线程数（参考实现只有一个线程，什么也不做）。
  seqrec::blas_set_threads(threads);
  std::vector<float> a(static_cast<size_t>(n) * n, 1.0f), b(a), c(a.size());
  // 预热一次，再取 3 次中最快的。
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("sgemm %dx%d, %d thread(s): %.1f GFLOP/s (%s)\n", n, n, threads, 2.0 * n * n * n / best / 1e9,
              seqrec::blas_description().c_str());
  return 0;
}
