#!/usr/bin/env bash
# 基准程序（不是测试）：生成式检索（issue 4）的准确率、训练时间与服务延迟，结果写入 docs/BENCHMARKS.md §8。
#   bench/bench_generative.sh [ROW...]     ROW：beauty phones latency（默认全部）；beauty-fast 只按名字运行
# beauty-fast（issue 50 的用时目标）：Amazon 类的限时配方，从读数据到导出的整条流程（SASRec 30 轮给语义 ID，
# colarec 10 轮、余弦衰减、稠密头 mix 1），报告各段墙钟时间与测试指标（不过滤 / 排除历史）。
# 每个数据集：LightGCN（语义 ID 的协同过滤向量）→ SASRec（同一切分的对照）→ colarec 有内容 / 无内容；
# 全部用 seqrec eval --json 在测试集上评估（留一法，全量：束搜索在全部物品的前缀树上进行），
# 打印 HR/NDCG@5/10/20，全部用户与长尾用户（目标之前的历史 < 5 个交互）分开。
# latency：用 beauty 的 colarec 模型起 seqrec serve，wrk 单连接测 top_k 10、束宽 20 的 p50 / p99。
# 数据在 ../shared/data，不在时打印原因并以 0 退出。
# 环境变量：WORK（默认 /tmp/seqrec_bench_generative）、SEQREC（默认 build/seqrec）、
#           COLAREC_ARGS（colarec 的额外选项，默认 "--dim 64 --lr 2e-3 --epochs 20 --patience 3 --valid-sample 4000"）、
#           CONTENT_ARGS（有内容那一行 colarec 的内容选项，默认按数据集：beauty 为空，phones 为 "--content-len 16"；
#           例如 "--content-pool --content-len 32"）、DURATION（wrk 秒数，默认 15）、PORT（默认 18282）、
#           SERVE_ARGS（latency 行 seqrec serve 的额外选项，例如稠密头模型的 "--dense-mix 0.5"）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
WORK=${WORK:-/tmp/seqrec_bench_generative}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
COLAREC_ARGS=${COLAREC_ARGS:---dim 64 --lr 2e-3 --epochs 20 --patience 3 --valid-sample 4000}
DURATION=${DURATION:-15}
PORT=${PORT:-18282}
SERVE_ARGS=${SERVE_ARGS:-}
[ -d "$DATA" ] || { echo "bench_generative: $DATA not found; skipping (see ../shared/data/README.md)"; exit 0; }
[ -x "$SEQREC" ] || { echo "bench_generative: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"

# 运行并记录墙钟时间与峰值内存（GNU time）。
timed() {
  local name=$1
  shift
  /usr/bin/time -v "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || { tail -20 "$WORK/$name.err"; exit 1; }
  printf "%-22s wall %s, peak %s MiB\n" "$name" "$(awk -F': ' '/Elapsed/ {print $2}' "$WORK/$name.err")" \
    "$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$WORK/$name.err")"
}

# 模型目录的测试集指标：全部用户与长尾用户（历史 0-4）。
report() {
  local name=$1 dir=$2
  "$SEQREC" eval --model "$dir" --ks 5,10,20 --json 2> /dev/null > "$WORK/$name.eval.json"
  python3 - "$name" "$WORK/$name.eval.json" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
j = json.load(open(path))
def row(label, m):
    print(f"| {name} | {label} ({m['cases']}) | " + " | ".join(f"{m[k]:.4f}" for k in
          ["HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20"]) + " |")
row("all users", j["model"])
row("long-tail users, history 0-4", j["model_by_history_length"]["0-4"])
EOF
}

# 一行：LightGCN → SASRec → colarec（有 / 无内容）。
run_row() {
  local row=$1 data content sasrec_args content_args
  case "$row" in
    beauty)
      data="$DATA/amazon-beauty/Beauty.txt"
      content="$DATA/amazon-beauty/Beauty_item2attributes.json"
      sasrec_args="--max-len 50 --dropout 0.5 --loss ce --epochs 60"
      content_args=${CONTENT_ARGS-""} ;;
    phones)
      # 训练交互 + 每个用户的验证、测试物品（按时间排在最后），拼成一个留一法的 CSV（只在 WORK 中，不入库）。
      data="$WORK/phones.csv"
      awk -F, 'FNR == 1 {next} FILENAME ~ /train/ {print; if ($3 > t[$1]) t[$1] = $3; next}
               FILENAME ~ /valid/ {print $1 "," $2 "," t[$1] + 1; next} {print $1 "," $2 "," t[$1] + 2}' \
        "$DATA/amazon-phones-text/train_time_inter.csv" "$DATA/amazon-phones-text/valid_inter.csv" \
        "$DATA/amazon-phones-text/test_inter.csv" | sed '1i user_id,item_id,timestamp' > "$data"
      content="$DATA/amazon-phones-text/corpus_512.json"
      sasrec_args="--max-len 50 --dropout 0.5 --loss ce --epochs 60"
      content_args=${CONTENT_ARGS-"--content-len 16"} ;;
    *) echo "unknown row $row"; exit 2 ;;
  esac
  echo "== $row"
  timed "${row}_lightgcn" "$SEQREC" train --model lightgcn --data "$data" --quiet --out "$WORK/${row}_lightgcn"
  timed "${row}_sasrec" "$SEQREC" train --model sasrec --data "$data" $sasrec_args --quiet --out "$WORK/${row}_sasrec"
  # shellcheck disable=SC2086
  timed "${row}_colarec" "$SEQREC" train --model colarec --data "$data" --content "$content" $content_args \
    --sid-from "$WORK/${row}_lightgcn" $COLAREC_ARGS --quiet --log "$WORK/${row}_colarec.log" --out "$WORK/${row}_colarec"
  # shellcheck disable=SC2086
  timed "${row}_colarec_nocontent" "$SEQREC" train --model colarec --data "$data" \
    --sid-from "$WORK/${row}_lightgcn" $COLAREC_ARGS --quiet --log "$WORK/${row}_colarec_nocontent.log" \
    --out "$WORK/${row}_colarec_nocontent"
  echo "| model | users | HR@5 | HR@10 | HR@20 | NDCG@5 | NDCG@10 | NDCG@20 |"
  echo "|---|---|---|---|---|---|---|---|"
  for m in sasrec lightgcn colarec colarec_nocontent; do report "${row}_$m" "$WORK/${row}_$m"; done
  for m in colarec colarec_nocontent; do
    python3 -c "import json; m=json.load(open('$WORK/${row}_$m/manifest.json'))['training_result']; print('${row}_$m: %.1f s/epoch, best epoch %d of %d' % (m['seconds_per_epoch'], m['best_epoch'], m['epochs_run']))"
  done
}

# 限时配方：SASRec（语义 ID 的来源）→ colarec，两段都计时，合计即“整个 train”的用时。
run_fast() {
  local D="$DATA/amazon-beauty"
  [ -f "$D/Beauty.txt" ] || { echo "beauty-fast: skipped: $D/Beauty.txt not found"; return 0; }
  echo "== beauty-fast"
  timed fast_sasrec "$SEQREC" train --model sasrec --data "$D/Beauty.txt" --max-len 50 --dropout 0.5 --loss ce \
    --epochs 30 --quiet --out "$WORK/fast_sasrec"
  timed fast_colarec "$SEQREC" train --model colarec --data "$D/Beauty.txt" --sid-from "$WORK/fast_sasrec" \
    --content "$D/Beauty_item2attributes.json" --content-pool --content-len 8 --sid-input-only --sid-method rqkmeans \
    --sid-k 256 --sid-levels 3 --dim 128 --ffn-dim 512 --layers 4 --dec-layers 4 --optimizer adamw \
    --weight-decay 0.05 --weight-decay-scope matrices --lr 2e-3 --lr-schedule cosine --warmup-epochs 1 --epochs 10 \
    --patience 3 --valid-sample 4000 --w-index 0 --w-bpr 0 --w-cl 0 --w-dense 1 --dense-dropout 0.5 --dense-mix 1 \
    --history-item-dropout 0.2 --threads 2 --quiet --log "$WORK/fast_colarec.log" --out "$WORK/fast_colarec"
  echo "| model | users | HR@5 | HR@10 | HR@20 | NDCG@5 | NDCG@10 | NDCG@20 |"
  echo "|---|---|---|---|---|---|---|---|"
  report fast_colarec "$WORK/fast_colarec"
  "$SEQREC" eval --model "$WORK/fast_colarec" --exclude-history --json 2> /dev/null > "$WORK/fast_colarec.xh.json"
  python3 - "$WORK" <<'EOF'
import json, re, sys
w = sys.argv[1]
def wall(name):
    t = re.search(r"Elapsed \(wall clock\) time.*: (.*)", open(f"{w}/{name}.err").read()).group(1).split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
x = json.load(open(f"{w}/fast_colarec.xh.json"))["model"]
r = json.load(open(f"{w}/fast_colarec/manifest.json"))["training_result"]
s, c = wall("fast_sasrec"), wall("fast_colarec")
print(f"history excluded: HR@10 {x['HR@10']:.4f} NDCG@10 {x['NDCG@10']:.4f}; colarec {r['seconds_per_epoch']:.1f} s/epoch, "
      f"best epoch {r['best_epoch']} of {r['epochs_run']}; wall: SASRec {s:.0f} s + colarec {c:.0f} s = {s + c:.0f} s")
EOF
}

# 服务延迟：单连接，top_k 10，束宽 20，每个请求 8 个随机点击（Beauty 的物品 ID 为 1..12101）。
run_latency() {
  local dir="$WORK/beauty_colarec"
  [ -d "$dir" ] || { echo "latency: run the beauty row first"; exit 1; }
  command -v wrk > /dev/null || { echo "latency: needs wrk"; exit 1; }
  # shellcheck disable=SC2086  # SERVE_ARGS 有意按空格拆成多个选项
  "$SEQREC" serve --model "$dir" --port "$PORT" --beam 20 $SERVE_ARGS > "$WORK/serve.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null 2>&1 && break; sleep 0.1; done
  ITEMS=12101 CLICKS=8 TOPK=10 wrk -t1 -c1 -d3s -s "$ROOT/bench/wrk/recommend_ids.lua" "http://127.0.0.1:$PORT" > /dev/null
  ITEMS=12101 CLICKS=8 TOPK=10 wrk -t1 -c1 -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/recommend_ids.lua" \
    "http://127.0.0.1:$PORT" > "$WORK/wrk_latency.txt"
  awk '/ 50%| 99%|Requests\/sec|Non-2xx/' "$WORK/wrk_latency.txt"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  trap - EXIT
}

ROWS=${*:-beauty phones latency}
for r in $ROWS; do
  case "$r" in
    latency) run_latency ;;
    beauty-fast) run_fast ;;
    *) run_row "$r" ;;
  esac
done
