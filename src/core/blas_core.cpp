// OpenBLAS 内核选择的修正（说明见 blas_core.h）。
#include "core/blas_core.h"

#include <dlfcn.h>
#include <strings.h>

#include <cstdlib>
#include <sstream>

namespace seqrec {

// 只在 OpenBLAS 退回通用的 Prescott 内核、而 CPU 有更宽的向量指令时升级：真正的 Prescott 级 CPU
// 没有 AVX，不会被误判。AVX-512（F/BW/VL/DQ 俱全）用 SkylakeX，AVX2 + FMA 用 Haswell，只有 AVX 用 Sandybridge。
std::string blas_core_upgrade(const std::string& current, bool avx512, bool avx2_fma, bool avx) {
  if (strcasecmp(current.c_str(), "Prescott") != 0) return "";
  if (avx512) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  if (avx) return "Sandybridge";
  return "";
}

namespace {
// 第一次修正的说明与是否已调用过（只在程序开头单线程地写入）。
std::string g_note;
bool g_called = false;

// OpenBLAS 特有的函数用 dlsym 查找：链接的是别的 BLAS 时它们不存在，返回空指针。
template <class Fn>
Fn* openblas_fn(const char* name) {
  return reinterpret_cast<Fn*>(dlsym(RTLD_DEFAULT, name));
}

// 实际的检查与修正（ensure_blas_core 记下第一次的结果）。
std::string fix_blas_core() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";  // 用户指定的内核优先
  auto corename = openblas_fn<char*()>("openblas_get_corename");
  if (corename == nullptr) return "";  // 不是 OpenBLAS：什么也不做
  const std::string current = corename();
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx = __builtin_cpu_supports("avx");
#else
  const bool avx512 = false, avx2_fma = false, avx = false;
#endif
  const std::string want = blas_core_upgrade(current, avx512, avx2_fma, avx);
  if (want.empty()) return "";
  // DYNAMIC_ARCH 版本导出这两个函数：quit 清掉已选的内核，init 重新按 OPENBLAS_CORETYPE 选择。
  auto quit = openblas_fn<void()>("gotoblas_dynamic_quit");
  auto init = openblas_fn<void()>("gotoblas_dynamic_init");
  if (quit == nullptr || init == nullptr)
    return "blas: OpenBLAS chose its generic " + current + " kernels for this CPU; set OPENBLAS_CORETYPE=" + want +
           " before starting seqrec for kernels several times faster";
  setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
  quit();
  init();
  const std::string now = corename();
  return "blas: OpenBLAS did not recognise this CPU and chose its generic " + current + " kernels; switched to " + now +
         " (set OPENBLAS_CORETYPE to choose another)";
}
}  // namespace

std::string ensure_blas_core() {
  std::string note = fix_blas_core();
  if (!g_called) g_note = note;
  g_called = true;
  return note;
}

const std::string& blas_core_note() { return g_note; }

std::string blas_join_description(const std::string& config, const std::string& core) {
  // 逐词比较：DYNAMIC_ARCH 版本的配置串形如 "OpenBLAS 0.3.21 ... SkylakeX MAX_THREADS=64"
  std::istringstream words(config);
  for (std::string w; words >> w;)
    if (strcasecmp(w.c_str(), core.c_str()) == 0) return config;
  return config + ", core " + core;
}

std::string blas_description() {
  auto corename = openblas_fn<char*()>("openblas_get_corename");
  auto config = openblas_fn<char*()>("openblas_get_config");
  if (corename == nullptr) return "not OpenBLAS";
  const std::string d = config != nullptr ? std::string(config()) : std::string("OpenBLAS");
  return blas_join_description(d, corename());
}

bool blas_set_threads(int n) {
  auto set_threads = openblas_fn<void(int)>("openblas_set_num_threads");
  if (set_threads == nullptr) return false;
  set_threads(n);
  return true;
}

}  // namespace seqrec
