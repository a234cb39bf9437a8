#!/usr/bin/env bash
# 基准程序（不是测试）：ML-1M 大小的模型从事件存储重新训练一次的墙钟时间与峰值内存（issue 46）。
#   1. 生成与 ML-1M 同样大小的合成数据（6,040 个用户、3,416 个物品、平均 163 个交互，约 98 万个事件，带时间戳；
#      ml-1m-seq 没有时间戳，不能做时间切分）；
#   2. 用前 90%（按时间）训练一个 SASRec 作为当前模型（--max-len 200，与 ML-1M 的配方相同）；
#   3. 起 seqrec serve --store，把全部事件按时间以每批 1000 个 POST /events 写进存储（同时量写入速度）；
#   4. /usr/bin/time -v seqrec retrain --store ... --epochs $EPOCHS：墙钟时间、峰值常驻内存与各阶段的日志。
# 环境变量：WORK（默认 /tmp/seqrec_bench_retrain）、SEQREC（默认 build/seqrec）、EPOCHS（默认 10）、
#           PARENT_EPOCHS（默认 10）、THREADS（默认 2）、PORT（默认 18395）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/wrk_lib.sh"  # wait_ready_port
WORK=${WORK:-/tmp/seqrec_bench_retrain}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
EPOCHS=${EPOCHS:-10}
PARENT_EPOCHS=${PARENT_EPOCHS:-10}
THREADS=${THREADS:-2}
PORT=${PORT:-18395}
[ -x "$SEQREC" ] || { echo "bench_retrain: build first: scripts/build.sh"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_retrain: needs /usr/bin/time (apt-get install time)"; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"
echo "EPOCHS=$EPOCHS PARENT_EPOCHS=$PARENT_EPOCHS THREADS=$THREADS"

"$SEQREC" generate --out "$WORK/all.csv" --users 6040 --items 3416 --mean-length 163 > /dev/null
# 按时间排序，前 90% 给当前模型
/usr/bin/python3 - "$WORK" <<'EOF'
import csv, sys
w = sys.argv[1]
rows = list(csv.reader(open(f"{w}/all.csv")))[1:]
rows.sort(key=lambda r: float(r[2]))
cut = len(rows) * 9 // 10
with open(f"{w}/first.csv", "w") as f:
    f.write("user_id,item_id,timestamp\n")
    f.writelines(f"{u},{i},{t}\n" for u, i, t in rows[:cut])
with open(f"{w}/sorted.csv", "w") as f:
    f.writelines(f"{u},{i},{t}\n" for u, i, t in rows)
print(f"{len(rows)} events; the current model learns the first {cut}")
EOF
T0=$(date +%s.%N)
"$SEQREC" train --data "$WORK/first.csv" --model sasrec --max-len 200 --epochs "$PARENT_EPOCHS" --threads "$THREADS" \
  --out "$WORK/current" --quiet > "$WORK/train.log" 2>&1
echo "current model: sasrec, $PARENT_EPOCHS epochs, $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s"

"$SEQREC" serve --model "$WORK/current" --store "$WORK/store" --port "$PORT" --max-batch 1000 > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2> /dev/null || true; wait $PID 2> /dev/null || true' EXIT
wait_ready_port "$PORT" || { echo "$(basename "$0"): the server did not become ready:"; tail -5 "$WORK/serve.log"; exit 1; }
/usr/bin/python3 - "$WORK" "$PORT" <<'EOF'
import http.client, json, sys, time
w, port = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip("\n").split(",") for l in open(f"{w}/sorted.csv")]
c = http.client.HTTPConnection("127.0.0.1", port)
t0 = time.time()
for k in range(0, len(rows), 1000):
    body = json.dumps({"events": [{"user_id": u, "item_id": i, "ts": int(float(t) * 1000)} for u, i, t in rows[k:k + 1000]]})
    c.request("POST", "/events", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
print(f"stored {len(rows)} events in {time.time() - t0:.1f} s ({len(rows) / (time.time() - t0):.0f} events/s, one client, batches of 1000)")
EOF
kill -TERM $PID; wait $PID || true
trap - EXIT

set +e
/usr/bin/time -v "$SEQREC" retrain --store "$WORK/store" --model "$WORK/current" --out "$WORK/next" \
  --epochs "$EPOCHS" --threads "$THREADS" --quiet > "$WORK/lineage.json" 2> "$WORK/retrain.log"
RC=$?
set -e
grep '^retrain:' "$WORK/retrain.log"
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/retrain.log")
RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/retrain.log")
echo "| events in the store | epochs | wall (m:ss) | peak memory | gate | exit |"
echo "|---|---|---|---|---|---|"
echo "| $(wc -l < "$WORK/sorted.csv") | $EPOCHS | $WALL | $RSS MiB | $(/usr/bin/python3 -c "import json,sys; g=json.load(open(sys.argv[1]))['gate']; print(g['decision'], round(g['candidate'],4), 'vs', round(g['current'],4))" "$WORK/lineage.json") | $RC |"
