#!/usr/bin/env bash
# 配置并编译（Release）。用法：scripts/build.sh [构建目录，默认 build]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
