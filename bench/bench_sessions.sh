#!/usr/bin/env bash
# 基准程序（不是测试）：会话候选生成（issue 5）。
#   bench/bench_sessions.sh scale       生成 1M 会话 / ~10M 事件 / 200k 物品，测解析速度、共现构建、候选生成的耗时与峰值内存
#   bench/bench_sessions.sh accuracy    生成有已知结构的数据（200k 会话），OTTO 切分，训练 GRU4Rec，
#                                       报告每个来源单独与组合的 Recall@20（clicks/carts/orders）、加权得分与候选召回率@50
#   bench/bench_sessions.sh real        ../shared/data 的 OTTO 样本与 Diginetica 样本：能解析、能生成候选、能计算指标；
#                                       Diginetica 的留出切分上同样报告每个来源的得分（不在时打印原因并跳过）
# 环境变量：WORK（输出目录，默认 /tmp/seqrec_bench_sessions）、SEQREC（默认 build/seqrec；scale 只需要 seqrec-serve 的功能）、
#           GRU_EPOCHS（accuracy 中 GRU4Rec 的最多轮数，默认 20）、THREADS（默认 2）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
WORK=${WORK:-/tmp/seqrec_bench_sessions}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
THREADS=${THREADS:-2}
GRU_EPOCHS=${GRU_EPOCHS:-20}
MODE=${1:-scale}
[ -x "$SEQREC" ] || { echo "bench_sessions: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ), $SEQREC"

peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.1f", s}' "$1"; }
timed() { local name=$1; shift; /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || { cat "$WORK/$name.err"; exit 1; }; }

# 每个来源单独与组合：生成候选并评估，打印一行表格。参数：目录（含 split/ 与 cv/）、模型目录（可为空）、标签。
sources_table() {
  local dir=$1 model=$2 label=$3
  local sets="history covisit popular history,covisit history,covisit,popular"
  if [ -n "$model" ]; then sets="history covisit model popular history,covisit history,covisit,popular history,covisit,model,popular"; fi
  printf "| data | sources | clicks R@20 | carts R@20 | orders R@20 | score@20 | clicks R@50 | carts R@50 | orders R@50 | score@50 |\n|---|---|---|---|---|---|---|---|---|---|\n"
  for S in $sets; do
    local tag=${S//,/+}
    local M=""
    [ -n "$model" ] && M="--model $model"
    "$SEQREC" candidates --data "$dir/split/test_sessions.jsonl" --covisit "$dir/cv" $M --sources "$S" \
      --out "$dir/c_$tag.csv" --threads "$THREADS" > /dev/null 2>&1
    "$SEQREC" eval --protocol otto --labels "$dir/split/test_labels.jsonl" --candidates "$dir/c_$tag.csv" --json \
      2>/dev/null > "$dir/e_$tag.json"
    /usr/bin/python3 - "$dir/e_$tag.json" "$label" "$S" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); a, b = e["recall@20"], e["recall@50"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {a['clicks']:.4f} | {a['carts']:.4f} | {a['orders']:.4f} | {e['score@20']:.4f} "
      f"| {b['clicks']:.4f} | {b['carts']:.4f} | {b['orders']:.4f} | {e['score@50']:.4f} |")
PY
    rm -f "$dir/c_$tag.csv"
  done
}

if [ "$MODE" = scale ]; then
  G="$WORK/scale.jsonl"
  [ -f "$G" ] || "$SEQREC" generate-sessions --out "$G" --sessions 1000000 --items 200000 --mean-length 10 --seed 7
  timed covisit "$SEQREC" covisit --data "$G" --out "$WORK/scale_cv" --threads "$THREADS"
  timed candidates "$SEQREC" candidates --data "$G" --covisit "$WORK/scale_cv" --sources history,covisit,popular \
    --out "$WORK/scale_candidates.csv" --submission "$WORK/scale_submission.csv" --threads "$THREADS"
  cat "$WORK/covisit.err" "$WORK/covisit.out" "$WORK/candidates.out"
  printf "\n| step | wall s | peak MiB | figures |\n|---|---|---|---|\n"
  printf "| seqrec covisit | %s | %s | %s |\n" "$(wall_s "$WORK/covisit.time")" "$(peak_mib "$WORK/covisit.time")" \
    "$(grep -o 'in [0-9.]*s ([0-9.]*M events/min)' "$WORK/covisit.err" | head -1); build $(grep -o 'built in [0-9.]*s' "$WORK/covisit.out")"
  printf "| seqrec candidates | %s | %s | %s |\n" "$(wall_s "$WORK/candidates.time")" "$(peak_mib "$WORK/candidates.time")" \
    "$(grep -o 'in [0-9.]*s ([0-9.]* sessions/s)' "$WORK/candidates.out"); write $(grep -o 'in [0-9.]*s (' "$WORK/candidates.out" | tail -1 | tr -d '(')"
  rm -f "$WORK/scale_candidates.csv"
elif [ "$MODE" = accuracy ]; then
  A="$WORK/acc"
  mkdir -p "$A"
  "$SEQREC" generate-sessions --out "$A/all.jsonl" --sessions 200000 --items 20000 --seed 11 > /dev/null
  "$SEQREC" split-sessions --data "$A/all.jsonl" --out "$A/split" --test-fraction 0.1 2>/dev/null
  "$SEQREC" covisit --data "$A/split/train.jsonl" --out "$A/cv" --threads "$THREADS" > /dev/null 2>&1
  # GRU4Rec 按 RecBole 的会话配置：BPR、max_len 20、少于 5 次交互的会话与物品过滤掉
  timed gru "$SEQREC" train --data "$A/split/train.jsonl" --format otto --model gru4rec --loss bpr --max-len 20 \
    --min-user-inter 5 --min-item-inter 5 --epochs "$GRU_EPOCHS" --out "$A/gru" --quiet
  tail -n 1 "$WORK/gru.err"
  sources_table "$A" "$A/gru" generated
elif [ "$MODE" = real ]; then
  if [ ! -d "$DATA/otto-sample" ] || [ ! -d "$DATA/diginetica-sample" ]; then
    echo "bench_sessions real: skipped: $DATA/otto-sample or diginetica-sample not found (real data lives in ../shared/data)"; exit 0
  fi
  O="$WORK/otto"
  mkdir -p "$O"
  "$SEQREC" covisit --data "$DATA/otto-sample/train.jsonl" --out "$O/cv_all" 2>&1 | grep -E "read|built"
  "$SEQREC" candidates --data "$DATA/otto-sample/train.jsonl" --covisit "$O/cv_all" --sources history,covisit,popular \
    --out "$O/candidates.csv" --submission "$O/submission.csv" 2>&1 | head -2
  "$SEQREC" split-sessions --data "$DATA/otto-sample/train.jsonl" --out "$O/split" --test-fraction 0.3 2>/dev/null
  "$SEQREC" covisit --data "$O/split/train.jsonl" --out "$O/cv" > /dev/null 2>&1
  sources_table "$O" "" otto-sample
  Dg="$WORK/diginetica"
  mkdir -p "$Dg"
  "$SEQREC" split-sessions --data "$DATA/diginetica-sample/sample_train-item-views.csv" --out "$Dg/split" \
    --test-fraction 0.2 2>&1 | tail -2
  "$SEQREC" covisit --data "$Dg/split/train.jsonl" --out "$Dg/cv" > /dev/null 2>&1
  # 样本很小（约 2.4k 个训练会话，平均 4 个事件）：过滤放宽到会话 ≥ 3、物品 ≥ 2 次
  "$SEQREC" train --data "$Dg/split/train.jsonl" --format otto --model gru4rec --loss bpr --max-len 20 \
    --min-user-inter 3 --min-item-inter 2 --epochs 30 --out "$Dg/gru" --quiet > /dev/null 2>&1
  sources_table "$Dg" "$Dg/gru" diginetica
else
  echo "usage: bench/bench_sessions.sh scale|accuracy|real"; exit 2
fi
