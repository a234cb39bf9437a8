#!/usr/bin/env bash
# 基准（不是测试）：多进程训练的每轮耗时与通信量（issue 49）。SASRec、全量 softmax（--loss ce）在 ml-1m-seq 上，
# 1 个进程 × 2 线程 与 2 个进程 × 1 线程各训练 EPOCHS 轮（不验证：--eval-every 大于轮数时只在最后一轮验证），
# 打印每轮秒数、每步 all-reduce 的字节数与耗时，以及最后一轮的验证 NDCG@10。
# 用法：bench/bench_distributed.sh [EPOCHS=3]；没有 ../shared/data 时跳过。
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-3}
DATA=../shared/data/ml-1m-seq/train/input.txt
if [ ! -f "$DATA" ]; then echo "bench_distributed: $DATA not found (../shared/data is not here); skipped"; exit 0; fi
S=build/seqrec
OUT=$(mktemp -d /tmp/seqrec-bench-dist-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ARGS=(--data "$DATA" --model sasrec --max-len 200 --dropout 0.2 --loss ce --batch 64 --lr 2e-3 --epochs "$EPOCHS"
      --eval-every 1000 --no-checkpoint --quiet)
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
$S train "${ARGS[@]}" --threads 2 --out "$OUT/one" > /dev/null 2>&1
$S launch --nproc 2 -- train "${ARGS[@]}" --threads 1 --out "$OUT/two" > /dev/null 2>&1
/usr/bin/python3 - "$OUT" <<'PY'
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
