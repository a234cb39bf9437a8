#!/usr/bin/env bash
# 基准程序（不是测试）：事件写入与按用户 ID 推荐（issue 46 的目标）。在同一个合成模型上起 seqrec serve --store，
#   1. POST /events 单个事件与每批 BATCHES（默认 100）个事件，--durability fsync（默认，group commit）；
#      再测一次每批写入，旁边同时有一个连接不停地按用户 ID 推荐（服务在写入的同时也在回答推荐）；
#   2. POST /recommend 按用户 ID（只给 user_id，历史从存储读；SQLite 时经过内存里的历史缓存）：一个连接、
#      $CONNS 个连接、以及旁边同时有写入；
#   3. 对照：没有存储的服务，max_len 个点击放在请求里的 POST /recommend（一个连接与 $CONNS 个连接）。
# 每项用 wrk -t2 -c$CONNS 跑 $DURATION 秒，打印 req/s、事件/秒与 p50 / p99（毫秒）。wrk 与服务在同一台机器上。
# 环境变量：WORK（默认 /tmp/seqrec_bench_events）、SEQREC（默认 build/seqrec）、DURATION（默认 15）、CONNS（默认 16）、
#           PORT（默认 18384）、STORE（默认 $WORK/store；redis://... 测 Redis）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/wrk_lib.sh"
WORK=${WORK:-/tmp/seqrec_bench_events}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
DURATION=${DURATION:-15}
CONNS=${CONNS:-16}
PORT=${PORT:-18384}
BATCHES=${BATCHES:-100}
STORE=${STORE:-$WORK/store}
command -v wrk > /dev/null || { echo "bench_events: needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$SEQREC" ] || { echo "bench_events: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"
echo "wrk -t2 -c$CONNS -d${DURATION}s, store $STORE"

# 合成数据上的默认模型，物品 ID 是 i<k>、用户 ID 是 u<k>（与 bench_http.sh 相同）。
synthetic_model
case "$STORE" in redis://*) ;; *) rm -rf "$STORE" ;; esac

"$SEQREC" serve --model "$WORK/model" --store "$STORE" --port "$PORT" --max-batch 256 > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2> /dev/null || true; wait $PID 2> /dev/null || true' EXIT
wait_ready_port "$PORT"

row() {  # 名称、wrk 输出文件、每个请求的事件数（0 = 不是写入）
  local r; r=$(rps "$2")
  local ev="–"; [ "$3" -gt 0 ] && ev=$((r * $3))
  printf "| %-44s | %7s | %9s | %5s | %5s | %s\n" "$1" "$r" "$ev" "$(pct "$2" 50%)" "$(pct "$2" 99%)" "$(errs "$2")"
}

echo "| load | req/s | events/s | p50 ms | p99 ms | errors"
echo "|---|---|---|---|---|---|"
RUN=single BATCH=1 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/events.lua" "http://127.0.0.1:$PORT" > "$WORK/w1.txt" 2>&1
row "POST /events, 1 event per request" "$WORK/w1.txt" 1
RUN=batch BATCH=$BATCHES wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/events.lua" "http://127.0.0.1:$PORT" > "$WORK/wb.txt" 2>&1
row "POST /events, $BATCHES events per request" "$WORK/wb.txt" "$BATCHES"
# 写入的同时服务也在回答推荐：旁边一个连接不停地按用户 ID 推荐（写入仍是 $CONNS 个连接）
USERS=3000 wrk -t1 -c1 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend_user.lua" "http://127.0.0.1:$PORT" > "$WORK/wrb.txt" 2>&1 &
BG=$!
RUN=batch2 BATCH=$BATCHES wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/events.lua" "http://127.0.0.1:$PORT" > "$WORK/wb2.txt" 2>&1
wait $BG
row "POST /events, $BATCHES per request, recommending beside" "$WORK/wb2.txt" "$BATCHES"
row "  (recommend by user id beside it, 1 connection)" "$WORK/wrb.txt" 0
# 按用户 ID 推荐（历史从存储读）：一个连接（p99 目标）、$CONNS 个连接（吞吐，与下面的对照比），再加上旁边有写入。
USERS=3000 wrk -t1 -c1 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend_user.lua" "http://127.0.0.1:$PORT" > "$WORK/wr1.txt" 2>&1
row "POST /recommend by user id, 1 connection" "$WORK/wr1.txt" 0
USERS=3000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend_user.lua" "http://127.0.0.1:$PORT" > "$WORK/wrn.txt" 2>&1
row "POST /recommend by user id, $CONNS connections" "$WORK/wrn.txt" 0
RUN=beside BATCH=$BATCHES wrk -t1 -c4 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/events.lua" "http://127.0.0.1:$PORT" > "$WORK/wbg.txt" 2>&1 &
BG=$!
USERS=3000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend_user.lua" "http://127.0.0.1:$PORT" > "$WORK/wr.txt" 2>&1
wait $BG
row "POST /recommend by user id, ingest beside it" "$WORK/wr.txt" 0
row "  (the ingest beside it, $BATCHES per request)" "$WORK/wbg.txt" "$BATCHES"
curl -s "http://127.0.0.1:$PORT/metrics" | grep '^seqrec_events_total\|^seqrec_event_requests_rejected_total' > "$WORK/counts.txt" || true
# 对照：同一个模型、没有存储的服务，点击（max_len 个，即模型读的全部）放在请求里
kill -TERM $PID; wait $PID || true
"$SEQREC" serve --model "$WORK/model" --port "$PORT" > "$WORK/serve_plain.log" 2>&1 &
PID=$!
wait_ready_port "$PORT"
MAXLEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['model']['max_len'])" "$WORK/model/manifest.json")
CLICKS=$MAXLEN ITEMS=5000 USERS=3000 wrk -t1 -c1 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" > "$WORK/wc1.txt" 2>&1
row "POST /recommend, $MAXLEN clicks in the request, 1 connection" "$WORK/wc1.txt" 0
CLICKS=$MAXLEN ITEMS=5000 USERS=3000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend.lua" "http://127.0.0.1:$PORT" > "$WORK/wc.txt" 2>&1
row "POST /recommend, $MAXLEN clicks in the request, $CONNS conns" "$WORK/wc.txt" 0
cat "$WORK/counts.txt"
