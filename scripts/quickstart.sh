#!/usr/bin/env bash
# 全新机器上的一条命令：安装依赖 → 编译 → 让 python3 能 import seqrec → 在内置合成数据上训练 → 启动推荐服务
# （并打印 curl 示例）。
# 环境变量：PORT（默认 8080）、MODEL（默认 model/）、TRAIN_ARGS（附加给 seqrec train 的参数）。
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
MODEL=${MODEL:-model}
scripts/install_deps.sh
scripts/build.sh
scripts/install_python.sh
./build/seqrec train --out "$MODEL" ${TRAIN_ARGS:-}
echo
echo "starting the service; stop it with Ctrl-C"
exec ./build/seqrec serve --model "$MODEL" --port "$PORT"
