#!/usr/bin/env bash
# 基准程序（不是测试）：序列模型的准确率与训练速度（issue 3 的目标表）。
#   bench/bench_sequential.sh accuracy [ROW...]   训练并评估，打印 HR@10/NDCG@10、轮数、耗时、峰值内存
#   bench/bench_sequential.sh speed               与 ../shared/peers/sasrec_torch 并排测每轮训练时间
#   bench/bench_sequential.sh zoo [ROW...]        模型库与用时（issue 50）：整个 train 的墙钟时间拆成各轮训练、验证与其余
#                                                 （读数据、最终评估、导出），到最佳一轮为止的用时，排除历史的测试指标
# 行（ROW）：ml1m-ce ml1m-bce ml1m-gru beauty games（默认全部），以及模型库的行（issue 50，按名字运行）：
#   ml1m-fast（SASRec 全量 CE 的快速配方）、ml1m-long（同一配方 60 轮）、ml1m-gsasrec、ml1m-bert4rec（MovieLens 类：长历史）、
#   beauty-gsasrec、beauty-bert4rec（Amazon 类：短历史）。同一类数据用同一个配方，不按数据集调。
# 数据在 ../shared/data，不在时打印原因并以 0 退出。
# 环境变量：WORK（输出目录，默认 /tmp/seqrec_bench_sequential）、SEQREC（程序路径）、EXTRA（追加给每个 seqrec train 的参数）、
#           SPEED_EPOCHS（速度测量的轮数，默认 3）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
PEER=${PEER:-$ROOT/../shared/peers/sasrec_torch}
WORK=${WORK:-/tmp/seqrec_bench_sequential}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
EXTRA=${EXTRA:-}
MODE=${1:-accuracy}
shift || true
if [ ! -d "$DATA/ml-1m-seq" ]; then echo "bench_sequential: skipped: $DATA/ml-1m-seq not found (real data lives in ../shared/data, outside the repo)"; exit 0; fi
[ -x "$SEQREC" ] || { echo "bench_sequential: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"

ML1M="$DATA/ml-1m-seq/train/input.txt"
# 每行：数据文件、seqrec train 参数、评估协议（full / sampled）
row_args() {
  case "$1" in
    ml1m-ce)  echo "$ML1M|--model sasrec --max-len 200 --dropout 0.2 --loss ce --batch 64 --lr 2e-3 --epochs 200|full" ;;
    # SASRec+ 论文仓库的设置（hidden 64、dropout 0.1、lr 1e-3、batch 128、Adam 默认 β），按过滤已看物品的验证选轮
    ml1m-bce) echo "$ML1M|--model sasrec --max-len 200 --dim 64 --dropout 0.1 --loss bce --negatives 1 --batch 128 --lr 1e-3 --beta2 0.999 --epochs 200 --valid-exclude-history|full" ;;
    ml1m-gru) echo "$ML1M|--model gru4rec --max-len 200 --dim 64 --hidden 128 --batch 64 --lr 2e-3 --loss ce --epochs 30|full" ;;
    beauty)   echo "$DATA/amazon-beauty/Beauty.txt|--model sasrec --max-len 50 --dropout 0.5 --loss ce --epochs 60|full" ;;
    # 论文设置；与论文一样按采样协议的验证选轮
    games)    echo "$DATA/sasrec-games/Video.txt|--model sasrec --max-len 50 --dropout 0.5 --loss bce --negatives 1 --eval-every 10 --epochs 200 --valid-protocol sampled|sampled" ;;
    # 模型库的配方（issue 50）。MovieLens 类：max_len 200、余弦衰减（1 轮预热）、按过滤已看物品的验证选轮。
    # SASRec 全量 CE 的 10 分钟配方：batch 32、dropout 0.1、lr 2e-3 保持到最后 8 轮再线性衰减（warmup–stable–decay）。
    ml1m-fast)     echo "$ML1M|--model sasrec --max-len 200 --dropout 0.1 --loss ce --batch 32 --lr 2e-3 --lr-schedule linear --decay-epochs 8 --epochs 40 --valid-exclude-history|full" ;;
    # 同一配方训练更久（60 轮，最后 12 轮衰减）：对照 HSTU-large 的那一行。
    ml1m-long)     echo "$ML1M|--model sasrec --max-len 200 --dropout 0.1 --loss ce --batch 32 --lr 2e-3 --lr-schedule linear --decay-epochs 12 --epochs 60 --valid-exclude-history|full" ;;
    ml1m-gsasrec)  echo "$ML1M|--model gsasrec --max-len 200 --batch 64 --lr 2e-3 --lr-schedule cosine --warmup-epochs 1 --epochs 40 --valid-exclude-history|full" ;;
    # BERT4Rec：200 的窗口在 20 轮内离不开“最热门”的平台（见 docs/BENCHMARKS.md 第 11 节），用 50；
    # 它学得慢：300 轮，lr 1e-3 保持到最后 60 轮再线性衰减，dropout 0.1。
    ml1m-bert4rec) echo "$ML1M|--model bert4rec --max-len 50 --dropout 0.1 --lr 1e-3 --lr-schedule linear --decay-epochs 60 --epochs 300 --eval-every 10 --patience 6 --valid-exclude-history|full" ;;
    # Amazon 类：max_len 50、dropout 0.5（SASRec 论文的 Amazon 设置），其余同上。
    beauty-gsasrec)  echo "$DATA/amazon-beauty/Beauty.txt|--model gsasrec --max-len 50 --dropout 0.5 --batch 64 --lr 2e-3 --lr-schedule cosine --warmup-epochs 1 --epochs 40 --valid-exclude-history|full" ;;
    beauty-bert4rec) echo "$DATA/amazon-beauty/Beauty.txt|--model bert4rec --max-len 50 --dropout 0.5 --lr 1e-3 --lr-schedule linear --decay-epochs 60 --epochs 300 --eval-every 10 --patience 6 --valid-exclude-history|full" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
  esac
}

# 峰值内存（MiB）与墙钟时间（s），从 /usr/bin/time -v 的输出中取。
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.0f", s}' "$1"; }

# 训练一行：设置 FILE、ARGS、PROTO、OUTDIR、CMD，计时训练（/usr/bin/time -v → $WORK/ROW.time，
# 每轮日志 → $WORK/ROW.epochs.jsonl，先删掉上次的日志与检查点）。数据不在时打印原因并返回 1；训练失败时退出。
train_row() {
  IFS='|' read -r FILE ARGS PROTO <<< "$(row_args "$1")"
  if [ ! -f "$FILE" ]; then echo "$1: skipped: $FILE not found"; return 1; fi
  OUTDIR="$WORK/$1"
  CMD="seqrec train --data $FILE $ARGS $EXTRA --out $OUTDIR --quiet"
  echo "== $1: $CMD"
  rm -rf "$WORK/$1.epochs.jsonl" "$OUTDIR.ckpt"  # 上次停下的训练留下的检查点会让 train 拒绝（基准总是从头训练）
  /usr/bin/time -v -o "$WORK/$1.time" "$SEQREC" train --data "$FILE" $ARGS $EXTRA --out "$OUTDIR" --quiet \
    --log "$WORK/$1.epochs.jsonl" > "$WORK/$1.train.log" 2> "$WORK/$1.train.err" || { tail "$WORK/$1.train.err"; exit 1; }
}

if [ "$MODE" = accuracy ]; then
  ROWS=${*:-beauty games ml1m-bce ml1m-gru ml1m-ce}
  # full 行还报告 --exclude-history（已看过的物品不参与排名）：SASRec+ 与 RecBole 发表的数字都是这样算的。
  printf "| row | protocol | HR@10 | NDCG@10 | HR@10 / NDCG@10, history excluded | best / run epochs | s/epoch | wall s | peak MiB | command |\n|---|---|---|---|---|---|---|---|---|---|\n" > "$WORK/table.md"
  for R in $ROWS; do
    train_row "$R" || continue
    tail -n 3 "$WORK/$R.train.err"
    "$SEQREC" eval --model "$OUTDIR" --protocol "$PROTO" --json > "$WORK/$R.eval.json" 2>/dev/null
    XH=""
    if [ "$PROTO" = full ]; then
      "$SEQREC" eval --model "$OUTDIR" --exclude-history --json > "$WORK/$R.eval_xh.json" 2>/dev/null
      XH="$WORK/$R.eval_xh.json"
    fi
    /usr/bin/python3 - "$WORK/$R.eval.json" "$OUTDIR/manifest.json" "$R" "$PROTO" "$(wall_s "$WORK/$R.time")" \
        "$(peak_mib "$WORK/$R.time")" "$CMD" "$XH" >> "$WORK/table.md" <<'PY'
import json, sys
ev, man, row, proto, wall, peak, cmd, xh = sys.argv[1:]
e = json.load(open(ev)); m = json.load(open(man))
r = m["training_result"]
x = json.load(open(xh))["model"] if xh else None
xs = f"{x['HR@10']:.4f} / {x['NDCG@10']:.4f}" if x else "n/a"
print(f"| {row} | {proto} | {e['model']['HR@10']:.4f} | {e['model']['NDCG@10']:.4f} | {xs} | {r['best_epoch']} / {r['epochs_run']} "
      f"| {r['seconds_per_epoch']:.2f} | {wall} | {peak} | `{cmd}` |")
PY
    tail -n 1 "$WORK/table.md"
  done
  echo; cat "$WORK/table.md"
elif [ "$MODE" = zoo ]; then
  ROWS=${*:-ml1m-fast ml1m-long ml1m-gsasrec ml1m-bert4rec beauty-gsasrec beauty-bert4rec}
  printf "| row | test HR@10 / NDCG@10, history excluded | best / run epochs | wall s (whole train) | epochs s | validation s | other s | s to best epoch | peak MiB | command |\n|---|---|---|---|---|---|---|---|---|---|\n" > "$WORK/zoo.md"
  for R in $ROWS; do
    train_row "$R" || continue
    "$SEQREC" eval --model "$OUTDIR" --exclude-history --json > "$WORK/$R.eval_xh.json" 2>/dev/null
    /usr/bin/python3 - "$WORK/$R.eval_xh.json" "$OUTDIR/manifest.json" "$WORK/$R.epochs.jsonl" "$R" \
        "$(wall_s "$WORK/$R.time")" "$(peak_mib "$WORK/$R.time")" "$CMD" >> "$WORK/zoo.md" <<'PY'
import json, sys
ev, man, log, row, wall, peak, cmd = sys.argv[1:]
x = json.load(open(ev))["model"]
r = json.load(open(man))["training_result"]
epochs = [json.loads(l) for l in open(log)]
train_s = sum(e["epoch_seconds"] for e in epochs)
valid_s = sum(e.get("valid_seconds", 0) for e in epochs)
best = next(e for e in epochs if e["epoch"] == r["best_epoch"])
print(f"| {row} | {x['HR@10']:.4f} / {x['NDCG@10']:.4f} | {r['best_epoch']} / {r['epochs_run']} | {wall} | {train_s:.0f} | "
      f"{valid_s:.0f} | {float(wall) - train_s - valid_s:.0f} | {best['elapsed_seconds']:.0f} | {peak} | `{cmd}` |")
PY
    tail -n 1 "$WORK/zoo.md"
  done
  echo; cat "$WORK/zoo.md"
elif [ "$MODE" = speed ]; then
  # 同一配置（ML-1M，maxlen 200，d 50，2 块，1 头，batch 128，2 线程），每轮训练时间（不含评估）。
  E=${SPEED_EPOCHS:-3}
  printf "| loss | seqrec s/epoch | sasrec_torch s/epoch | speed-up |\n|---|---|---|---|\n" > "$WORK/speed.md"
  for LOSS in bce ce; do
    "$SEQREC" train --model sasrec --data "$ML1M" --max-len 200 --dim 50 --layers 2 --heads 1 --batch 128 --threads 2 \
      --loss "$LOSS" --epochs "$E" --eval-every 1000 --out "$WORK/speed_$LOSS" --quiet --log "$WORK/speed_$LOSS.jsonl" \
      > /dev/null 2>&1
    /usr/bin/python3 "$PEER/sasrec.py" --data "$ML1M" --maxlen 200 --hidden 50 --blocks 2 --heads 1 --batch 128 \
      --threads 2 --loss "$LOSS" --epochs "$E" --eval-every 0 > "$WORK/peer_$LOSS.jsonl"
    /usr/bin/python3 - "$WORK/speed_$LOSS.jsonl" "$WORK/peer_$LOSS.jsonl" "$LOSS" >> "$WORK/speed.md" <<'PY'
import json, sys
mine = [json.loads(l)["epoch_seconds"] for l in open(sys.argv[1])]
peer = [j["epoch_s"] for j in map(json.loads, open(sys.argv[2])) if j.get("event") == "epoch"]
a, b = sum(mine) / len(mine), sum(peer) / len(peer)
print(f"| {sys.argv[3]} | {a:.2f} | {b:.2f} | {b / a:.1f}x |")
PY
    tail -n 1 "$WORK/speed.md"
  done
  echo; cat "$WORK/speed.md"
else
  echo "usage: $0 accuracy [ROW...] | zoo [ROW...] | speed"; exit 2
fi
