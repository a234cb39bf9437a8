#!/usr/bin/env bash
# 用 AddressSanitizer + UndefinedBehaviorSanitizer 编译并运行整个测试套件（GCC；不链接 tcmalloc）。
# 用法：scripts/sanitize.sh [构建目录，默认 build-asan]。第一次编译约需十几分钟（2 核）。
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-asan}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQREC_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
cd "$BUILD"
# 泄漏检测关闭：LibTorch 与 OpenMP 的运行时在进程退出时有意不释放的全局对象会被报告；越界、释放后使用、
# 未定义行为都会让测试失败（halt_on_error）。
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j 2 --timeout 1200
