#!/usr/bin/env bash
# 基准程序（不是测试）：事件类型的权重对重新训练的影响（issue 46 的 --event-types）。
# 数据：ml-latest-small 的评分按时间当作事件，评分 >= 4 是 "like"，其余是 "watch"（看过但没说喜欢）。
#   1. 用前一半（按时间）训练一个 SASRec 作为当前模型；
#   2. 起 seqrec serve --store --event-types watch,like，把全部事件按时间写进存储；
#   3. 对每种权重（WEIGHTS，空格分隔）从同一个当前模型 seqrec retrain 一次（热启动，$EPOCHS 轮）；
#   4. 在同一个留出期（最近 5% 的事件）上给每个候选打分两次：只数 like 的目标（watch:0,like:1），
#      与全部目标不加权（watch,like）。打分借 retrain 的质量门：以候选为当前模型，门里 "current" 就是它的分数。
# 环境变量：WORK（默认 /tmp/seqrec_bench_weights）、SEQREC（默认 build/seqrec）、EPOCHS（默认 20）、
#           THREADS（默认 2）、PORT（默认 18396）、WEIGHTS（默认 "watch,like watch:0.25,like:1 watch:0,like:1"）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/wrk_lib.sh"  # wait_ready_port
DATA=${DATA:-$ROOT/../shared/data/ml-latest-small/ratings.csv}
WORK=${WORK:-/tmp/seqrec_bench_weights}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
EPOCHS=${EPOCHS:-20}
THREADS=${THREADS:-2}
PORT=${PORT:-18396}
WEIGHTS=${WEIGHTS:-"watch,like watch:0.25,like:1 watch:0,like:1"}
[ -f "$DATA" ] || { echo "bench_event_weights: $DATA not found (../shared/data is not here); skipped"; exit 0; }
[ -x "$SEQREC" ] || { echo "bench_event_weights: build first: scripts/build.sh"; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"
echo "data $DATA, EPOCHS=$EPOCHS THREADS=$THREADS"

# 按时间排序；前一半给当前模型；事件带类型
/usr/bin/python3 - "$DATA" "$WORK" <<'PY'
import csv, sys
src, w = sys.argv[1], sys.argv[2]
rows = [(r["userId"], r["movieId"], float(r["rating"]), int(r["timestamp"])) for r in csv.DictReader(open(src))]
rows.sort(key=lambda r: r[3])
cut = len(rows) // 2
with open(f"{w}/first.csv", "w") as f:
    f.write("user_id,item_id,timestamp\n")
    f.writelines(f"{u},{i},{t}\n" for u, i, _, t in rows[:cut])
with open(f"{w}/events.csv", "w") as f:
    f.writelines(f"{u},{i},{'like' if r >= 4 else 'watch'},{t}\n" for u, i, r, t in rows)
likes = sum(1 for r in rows if r[2] >= 4)
print(f"{len(rows)} events ({likes} like, {len(rows) - likes} watch); the current model learns the first {cut}")
PY
"$SEQREC" train --data "$WORK/first.csv" --model sasrec --threads "$THREADS" --out "$WORK/current" --quiet \
  > "$WORK/train.log" 2>&1

"$SEQREC" serve --model "$WORK/current" --store "$WORK/store" --event-types watch,like --port "$PORT" \
  --max-batch 1000 > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2> /dev/null || true; wait $PID 2> /dev/null || true' EXIT
wait_ready_port "$PORT" || { echo "$(basename "$0"): the server did not become ready:"; tail -5 "$WORK/serve.log"; exit 1; }
/usr/bin/python3 - "$WORK" "$PORT" <<'PY'
import http.client, json, sys
w, port = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip("\n").split(",") for l in open(f"{w}/events.csv")]
c = http.client.HTTPConnection("127.0.0.1", port)
for k in range(0, len(rows), 1000):
    body = json.dumps({"events": [{"user_id": u, "item_id": i, "type": ty, "ts": int(t) * 1000}
                                  for u, i, ty, t in rows[k:k + 1000]]})
    c.request("POST", "/events", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
print(f"stored {len(rows)} events")
PY
kill -TERM $PID; wait $PID || true
trap - EXIT

# 候选 $1 在留出期上的分数（权重 $2）：以它为当前模型跑一次只训练 1 轮的 retrain，读门里的 current。
score() {
  "$SEQREC" retrain --store "$WORK/store" --model "$1" --out "$WORK/probe" --event-types "$2" --epochs 1 \
    --threads "$THREADS" --max-regression 0.99 --quiet 2> /dev/null |
    /usr/bin/python3 -c "import json,sys; g=json.load(sys.stdin)['gate']; print(f\"{g['current']:.4f} ({g['cases']})\")"
}
echo
echo "| event weights | like-only NDCG@10 (cases) | all-events NDCG@10 (cases) | retrain wall |"
echo "|---|---|---|---|"
echo "| (current model, first half only) | $(score "$WORK/current" watch:0,like:1) | $(score "$WORK/current" watch,like) | |"
n=0
for w in $WEIGHTS; do
  n=$((n + 1))
  T0=$(date +%s.%N)
  set +e
  "$SEQREC" retrain --store "$WORK/store" --model "$WORK/current" --out "$WORK/cand$n" --event-types "$w" \
    --epochs "$EPOCHS" --threads "$THREADS" --max-regression 0.99 --quiet > "$WORK/cand$n.json" 2> "$WORK/cand$n.log"
  RC=$?
  set -e
  [ "$RC" -le 3 ] || { echo "retrain with $w failed:"; tail -5 "$WORK/cand$n.log"; exit 1; }
  WALL=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f s", b-a}')
  echo "| \`$w\` | $(score "$WORK/cand$n" watch:0,like:1) | $(score "$WORK/cand$n" watch,like) | $WALL |"
done
