#!/usr/bin/env bash
# 基准程序（不是测试）：HTTP 传输层的吞吐与延迟，两种并发模型（--io threads / epoll），可与另一个构建并排比较。
#   bench/bench_http.sh                 只测本构建（build/seqrec-serve）
#   OTHER=/path/to/seqrec-serve bench/bench_http.sh   同一台机器、同一个模型上再测另一个构建（例如旧提交）
# 每个（构建, --io）组合：GET /health（没有模型计算，只有 HTTP）与 POST /recommend（bench/wrk/recommend.lua），
# 各用 wrk -t2 -c$CONNS 跑 $DURATION 秒，打印 req/s 与 p50 / p99（毫秒）。wrk 与服务在同一台机器上。
# 环境变量：WORK（默认 /tmp/seqrec_bench_http）、SEQREC（训练用，默认 build/seqrec）、SERVE（默认 build/seqrec-serve）、
#           OTHER（可选）、IOS（默认 "threads epoll"）、DURATION（默认 15）、CONNS（默认 16）、PORT（默认 18383）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/wrk_lib.sh"
WORK=${WORK:-/tmp/seqrec_bench_http}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
SERVE=${SERVE:-$ROOT/build/seqrec-serve}
OTHER=${OTHER:-}
DURATION=${DURATION:-15}
CONNS=${CONNS:-16}
PORT=${PORT:-18383}
command -v wrk > /dev/null || { echo "bench_http: needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$SEQREC" ] && [ -x "$SERVE" ] || { echo "bench_http: build first: scripts/build.sh"; exit 1; }
if [ -n "$OTHER" ] && [ ! -x "$OTHER" ]; then echo "bench_http: OTHER=$OTHER is not an executable seqrec-serve"; exit 1; fi
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"
echo "wrk -t2 -c$CONNS -d${DURATION}s"

# 合成数据上的默认模型（与 quickstart 相同的结构）。
synthetic_model


# 一个构建、一种并发模型：起服务、两个负载、停服务。
run() {
  local label=$1 bin=$2 io=$3
  local loops=()
  [ "$io" = epoll ] && loops=(--threads 2)  # --threads 只属于 epoll 模式（每连接一个线程的模式会拒绝它）
  "$bin" serve --model "$WORK/model" --port "$PORT" --io "$io" "${loops[@]}" > "$WORK/serve_${label}_${io}.log" 2>&1 &
  local pid=$!
  wait_ready_port "$PORT"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/health" > "$WORK/w_health.txt" 2>&1
  ITEMS=5000 USERS=3000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend.lua" \
    "http://127.0.0.1:$PORT" > "$WORK/w_rec.txt" 2>&1
  kill -TERM "$pid"
  wait "$pid" || true
  printf "| %-8s | %-7s | %7s | %5s | %5s | %7s | %5s | %5s | %s %s\n" "$label" "$io" \
    "$(rps "$WORK/w_health.txt")" "$(pct "$WORK/w_health.txt" 50%)" "$(pct "$WORK/w_health.txt" 99%)" \
    "$(rps "$WORK/w_rec.txt")" "$(pct "$WORK/w_rec.txt" 50%)" "$(pct "$WORK/w_rec.txt" 99%)" \
    "$(errs "$WORK/w_health.txt")" "$(errs "$WORK/w_rec.txt")"
}

echo "| build    | --io    | /health req/s | p50 | p99 | /recommend req/s | p50 | p99 |"
echo "|---|---|---|---|---|---|---|---|"
for io in ${IOS:-threads epoll}; do
  run this "$SERVE" "$io"
  [ -n "$OTHER" ] && run other "$OTHER" "$io"
done
