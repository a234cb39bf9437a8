#!/usr/bin/env bash
# 测试命令（README 与 .ci/run 使用同一条）：安装依赖 → 编译 → 运行全部 GoogleTest 用例（ctest）。
# 不需要 ../shared 中的真实数据。
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh build
cd build
ctest --output-on-failure -j 2 --timeout 600
