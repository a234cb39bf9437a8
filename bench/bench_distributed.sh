#!/usr/bin/env bash
# 基准（不是测试）：多进程训练的每轮耗时与通信量（issue 49）。SASRec、全量 softmax（--loss ce）在 ml-1m-seq 上，
# 1 个进程 × 2 线程 与 2 个进程 × 1 线程各训练 EPOCHS 轮（不验证：--eval-every 大于轮数时只在最后一轮验证），
# 打印每轮秒数、每步 all-reduce 的字节数与耗时，以及最后一轮的验证 NDCG@10。
# 第二张表：colarec 在 amazon-beauty 上（语义 ID 取自一个短训的 LightGCN，只为计时），同样两种切法各训练
# COLAREC_EPOCHS 轮（每轮后验证 500 个用户的束搜索，不计入每轮秒数）。
# 用法：bench/bench_distributed.sh [EPOCHS=3] [COLAREC_EPOCHS=2]；没有 ../shared/data 时跳过；
#       SKIP_SASREC=1 只跑 colarec 那张表。
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-3}
COLAREC_EPOCHS=${2:-2}
DATA=../shared/data/ml-1m-seq/train/input.txt
if [ ! -f "$DATA" ]; then echo "bench_distributed: $DATA not found (../shared/data is not here); skipped"; exit 0; fi
S=build/seqrec
OUT=$(mktemp -d /tmp/seqrec-bench-dist-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ARGS=(--data "$DATA" --model sasrec --max-len 200 --dropout 0.2 --loss ce --batch 64 --lr 2e-3 --epochs "$EPOCHS"
      --eval-every 1000 --no-checkpoint --quiet)
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
# 打印两次运行（one、two）的对照表；$1 = 这张表的标题。
table() {
/usr/bin/python3 - "$1" <<'PY'
import json, sys
out = sys.argv[1]
print("| run | seconds per epoch | all-reduce bytes per step | all-reduce seconds (all epochs) | valid NDCG@10 (last epoch) |")
print("|---|---|---|---|---|")
for name, label in (("one", "1 process x 2 threads"), ("two", "2 processes x 1 thread")):
    m = json.load(open(f"{out}/{name}/manifest.json"))
    r = m["training_result"]
    d = r.get("distributed", {})
    log = [json.loads(l) for l in open(f"{out}/{name}/train_log.jsonl")]
    print(f"| {label} | {r['seconds_per_epoch']:.1f} | {d.get('allreduce_bytes_per_step', 0):,} | "
          f"{d.get('allreduce_seconds', 0):.1f} | {log[-1].get('valid_NDCG@10', float('nan')):.4f} |")
PY
}
if [ "${SKIP_SASREC:-0}" != 1 ]; then
  echo "== sasrec, ml-1m-seq, full CE, $EPOCHS epochs"
  $S train "${ARGS[@]}" --threads 2 --out "$OUT/one" > /dev/null 2>&1
  $S launch --nproc 2 -- train "${ARGS[@]}" --threads 1 --out "$OUT/two" > /dev/null 2>&1
  table "$OUT"
fi
BEAUTY=../shared/data/amazon-beauty
if [ -f "$BEAUTY/Beauty.txt" ]; then
  echo "== colarec, amazon-beauty, $COLAREC_EPOCHS epochs"
  $S train --model lightgcn --data "$BEAUTY/Beauty.txt" --epochs 10 --quiet --out "$OUT/lgcn" > /dev/null 2>&1
  CARGS=(--model colarec --data "$BEAUTY/Beauty.txt" --content "$BEAUTY/Beauty_item2attributes.json"
         --sid-from "$OUT/lgcn" --epochs "$COLAREC_EPOCHS" --eval-every 1 --valid-sample 500 --no-checkpoint --quiet)
  mkdir -p "$OUT/c"
  $S train "${CARGS[@]}" --threads 2 --out "$OUT/c/one" > /dev/null 2>&1
  $S launch --nproc 2 -- train "${CARGS[@]}" --threads 1 --out "$OUT/c/two" > /dev/null 2>&1
  table "$OUT/c"
fi
