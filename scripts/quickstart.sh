#!/usr/bin/env bash
# 全新机器上的一条命令：安装依赖 → 编译 → 让 python3 能 import seqrec → 在内置合成数据上训练 → 启动推荐服务
# （并打印控制台的地址与模型报告）。
# 环境变量：PORT（默认 8080）、MODEL（默认 model/）、TRAIN_ARGS（附加给 seqrec train 的参数）。
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
MODEL=${MODEL:-model}
scripts/install_deps.sh
scripts/build.sh
scripts/install_python.sh
./build/seqrec train --out "$MODEL" ${TRAIN_ARGS:-}
./build/seqrec report --model "$MODEL" --out "$MODEL-report.html"
echo
echo "starting the service; stop it with Ctrl-C"
echo "console: http://localhost:$PORT/console   (try recommendations, training curves, service counters)"
echo "report:  $MODEL-report.html   (open it in a browser; no server needed)"
exec ./build/seqrec serve --model "$MODEL" --port "$PORT"
