#!/usr/bin/env bash
# 基准程序（不是测试）：大目录上的服务延迟、吞吐、近似索引召回率、构建时间与常驻内存（issue 6 的 Scale 表）。
#   bench/bench_serving.sh scale [ITEMS...]     默认 100000 1000000；合成目录由 seqrec_make_catalogue 写出（dim 64）
# 每个目录测四种检索：exact（int8 扫描 + fp32 精排，默认）、exact + --coalesce 16、hnsw、ivf。
# 每种先用 1 个连接测延迟（p50/p99），再用 CONNS 个连接测吞吐（饱和）；wrk 与服务在同一台 2 核机器上。
# 环境变量：WORK（默认 /tmp/seqrec_bench_serving）、SEQREC（默认 build/seqrec-serve）、MAKECAT（程序路径）、DURATION（每次 wrk 的秒数，默认 15）、
#           CONNS（饱和时的连接数，默认 8）、PORT（默认 18181）、KINDS（默认 "exact coalesce hnsw ivf"）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/wrk_lib.sh"
WORK=${WORK:-/tmp/seqrec_bench_serving}
SEQREC=${SEQREC:-$ROOT/build/seqrec-serve}
MAKECAT=${MAKECAT:-$ROOT/build/seqrec_make_catalogue}
DURATION=${DURATION:-15}
CONNS=${CONNS:-8}
PORT=${PORT:-18181}
KINDS=${KINDS:-exact coalesce hnsw ivf}
MODE=${1:-scale}
shift || true
command -v wrk > /dev/null || { echo "bench_serving: needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$SEQREC" ] && [ -x "$MAKECAT" ] || { echo "bench_serving: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"

non2xx() { awk '/Non-2xx/ {print $NF} END {}' "$1" | tail -1; }

# 等服务就绪（/health/ready 返回 200），最多 600 秒。
wait_ready() {
  for _ in $(seq 1 6000); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null 2>&1 && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$MODE" != scale ]; then echo "usage: $0 scale [ITEMS...]"; exit 2; fi
SIZES=${*:-100000 1000000}
TABLE="$WORK/scale.md"
printf "| items | retrieval | recall@10 | build s | p50 ms (1 conn) | p99 ms (1 conn) | req/s ($CONNS conns) | p50 / p99 ms ($CONNS conns) | RSS MiB | embeddings + index MiB | RSS budget MiB |\n|---|---|---|---|---|---|---|---|---|---|---|\n" > "$TABLE"
for N in $SIZES; do
  CAT="$WORK/cat$N"
  if [ ! -f "$CAT/manifest.json" ]; then "$MAKECAT" --items "$N" --dim 64 --out "$CAT"; fi
  EMB_BYTES=$(stat -c %s "$CAT/item_embeddings.npy")
  for KIND in $KINDS; do
    DIR="$CAT"
    SERVE_ARGS="--index exact"
    RECALL="1 (exact)"; BUILD="-"; IDX_BYTES=0
    if [ "$KIND" = coalesce ]; then SERVE_ARGS="--index exact --coalesce 16"; fi
    if [ "$KIND" = hnsw ] || [ "$KIND" = ivf ]; then
      DIR="$WORK/cat${N}_$KIND"
      if [ ! -f "$DIR/manifest.json" ] || ! grep -q "\"type\": \"$KIND\"" "$DIR/manifest.json"; then
        rm -rf "$DIR"; cp -r "$CAT" "$DIR"
        echo "== building $KIND index for $N items"
        "$SEQREC" index --model "$DIR" --type "$KIND" --on-low-recall warn > "$WORK/index_${N}_$KIND.json"
      fi
      read -r RECALL BUILD IDX_FILE <<< "$(python3 -c "import json,sys; m=json.load(open('$DIR/manifest.json'))['index']; print(round(m['recall_at_10'],4), round(m['build_seconds'],1), m['file'])")"
      IDX_BYTES=$(stat -c %s "$DIR/$IDX_FILE")
      SERVE_ARGS="--index auto"
    fi
    echo "== $N items, $KIND: seqrec serve --model $DIR $SERVE_ARGS"
    "$SEQREC" serve --model "$DIR" --port "$PORT" $SERVE_ARGS > "$WORK/serve_${N}_$KIND.log" 2>&1 &
    PID=$!
    wait_ready "$PID" || { cat "$WORK/serve_${N}_$KIND.log"; exit 1; }
    export ITEMS=$N USERS=5000
    wrk -t1 -c1 -d3s -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" > /dev/null  # 预热
    wrk -t1 -c1 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk1_${N}_$KIND.txt"
    wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" > "$WORK/wrkN_${N}_$KIND.txt"
    RSS=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$PID/status")
    kill -TERM "$PID"; wait "$PID" || true
    for F in "$WORK/wrk1_${N}_$KIND.txt" "$WORK/wrkN_${N}_$KIND.txt"; do
      if grep -q "Non-2xx" "$F"; then echo "non-2xx answers in $F"; grep -E "Non-2xx|Socket errors" "$F"; fi
    done
    SIZE_MIB=$(( (EMB_BYTES + IDX_BYTES) / 1048576 ))
    BUDGET=$(( SIZE_MIB * 3 / 2 + 100 ))
    printf "| %s | %s | %s | %s | %.2f | %.2f | %s | %.2f / %.2f | %s | %s | %s |\n" "$N" "$KIND" "$RECALL" "$BUILD" \
      "$(pct "$WORK/wrk1_${N}_$KIND.txt" 50%)" "$(pct "$WORK/wrk1_${N}_$KIND.txt" 99%)" "$(rps "$WORK/wrkN_${N}_$KIND.txt")" \
      "$(pct "$WORK/wrkN_${N}_$KIND.txt" 50%)" "$(pct "$WORK/wrkN_${N}_$KIND.txt" 99%)" "$RSS" "$SIZE_MIB" "$BUDGET" >> "$TABLE"
    tail -n 1 "$TABLE"
  done
done
echo; cat "$TABLE"
