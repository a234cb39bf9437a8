#!/usr/bin/env bash
# 基准程序（不是测试）：在 ml-latest-small 上与 ../shared/peers/seed004_flask（同一规格的 Python/PyTorch/Flask 实现）
# 并排测量训练速度、峰值内存、测试集 HR@10/NDCG@10（对比最热门基线），以及服务的 requests/s 与 p50/p99。
# 用法（先 scripts/build.sh）：bench/bench_foundation.sh
# 环境变量：WORK（输出目录）、TRAIN_ARGS（seqrec train 参数）、WRK_ARGS、SKIP_PEER=1（不跑对照）。
# 数据不在时打印原因并以 0 退出。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data/ml-latest-small/ratings.csv}
PEER=${PEER:-$ROOT/../shared/peers/seed004_flask}
WORK=${WORK:-/tmp/seqrec_bench_foundation}
TRAIN_ARGS=${TRAIN_ARGS:---layers 1 --epochs 30 --threads 2}
WRK_ARGS=${WRK_ARGS:--t2 -c16 -d20s}
PORT=${PORT:-18181}
SEQREC=$ROOT/build/seqrec
if [ ! -f "$DATA" ]; then echo "bench_foundation: skipped: $DATA not found (real data lives in ../shared/data, outside the repo)"; exit 0; fi
# 请求体（post.lua）由对照的脚本生成，所以即使 SKIP_PEER=1 也需要对照目录。
if [ ! -f "$PEER/make_post_lua.py" ]; then echo "bench_foundation: skipped: peer scripts not found in $PEER"; exit 0; fi
[ -x "$SEQREC" ] || { echo "bench_foundation: build first: scripts/build.sh"; exit 1; }
command -v wrk >/dev/null || "$ROOT/scripts/install_deps.sh" wrk
# 只清理本脚本自己写的东西，绝不整体删除 $WORK
rm -rf "$WORK/results" "$WORK/model" "$WORK/peer" "$WORK/peer_holdout"; mkdir -p "$WORK/results"; OUT=$WORK/results
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)" | tee "$OUT/env.txt"

wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "server did not come up: $1"; return 1; }

# 1) seqrec：训练（留一法：每个用户最后一个为测试、倒数第二个为验证），峰值内存用 /usr/bin/time 测
/usr/bin/time -v -o "$OUT/seqrec_train.time" "$SEQREC" train --data "$DATA" --out "$WORK/model" $TRAIN_ARGS --quiet \
  > "$OUT/seqrec_train.log" 2>&1
cat "$OUT/seqrec_train.log"

# 2) seqrec：服务。请求与对照相同：用户 1 最近 20 次点击，top_k 10（由对照的脚本生成 post.lua）
(cd "$WORK" && /usr/bin/python3 "$PEER/convert_ratings.py" "$DATA" ratings_spec.csv >/dev/null \
  && /usr/bin/python3 "$PEER/make_post_lua.py" ratings_spec.csv 1 >/dev/null)
for P in int8 fp32 fp16; do
  "$SEQREC" serve --model "$WORK/model" --port "$PORT" --precision "$P" 2> "$OUT/seqrec_serve_$P.log" &
  SPID=$!
  wait_up "http://127.0.0.1:$PORT/health"
  curl -s -X POST --data @"$WORK/request.json" "http://127.0.0.1:$PORT/recommend" > "$OUT/seqrec_sample_$P.json"
  (cd "$WORK" && wrk $WRK_ARGS --latency -s post.lua "http://127.0.0.1:$PORT/recommend") > "$OUT/seqrec_wrk_$P.txt"
  awk '/VmHWM/{print $2}' /proc/$SPID/status > "$OUT/seqrec_serve_$P.rss_kb"
  kill -TERM $SPID; wait $SPID || true
done

# 3) 对照：它自己的 run.sh（全量数据训练 3 轮 + gunicorn 2 workers + 同样的 wrk）
if [ "${SKIP_PEER:-0}" != 1 ]; then
  WORK="$WORK/peer" PORT=$((PORT + 1)) WRK_ARGS="$WRK_ARGS" bash "$PEER/run.sh" > "$OUT/peer_run.log" 2>&1
  # 对照的准确率：去掉每个用户最后一次交互后训练（同样 3 轮），再在被留出的交互上按同一协议评估
  /usr/bin/python3 "$ROOT/bench/peer_eval.py" split "$DATA" "$WORK/peer_trainval.csv" "$WORK/peer_test.csv" > /dev/null
  (cd "$PEER" && /usr/bin/python3 train.py --ratings "$WORK/peer_trainval.csv" --out "$WORK/peer_holdout" --epochs 3 --threads 2) \
    > "$OUT/peer_holdout_train.log" 2>&1
  /usr/bin/python3 "$ROOT/bench/peer_eval.py" eval "$PEER" "$WORK/peer_holdout" "$WORK/peer_trainval.csv" "$WORK/peer_test.csv" \
    > "$OUT/peer_eval.json"
fi

# 4) 汇总
/usr/bin/python3 - "$WORK" <<'PY'
import json, re, statistics, sys, os
W = sys.argv[1]; R = f"{W}/results"
def wrk(path):
    m = re.search(r"RESULT .*", open(path).read()); d = dict(kv.split("=") for kv in m.group(0).split()[1:])
    return float(d["rps"]), float(d["p50_ms"]), float(d["p99_ms"]), int(d["errors_status"]) + int(d["errors_other"])
def peak(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()); return int(m.group(1)) / 1024
man = json.load(open(f"{W}/model/manifest.json"))
log = [json.loads(l) for l in open(f"{W}/model/train_log.jsonl")]
ep = statistics.median(r["epoch_seconds"] for r in log)
t = man["metrics"]["test"]; v = man["metrics"]["valid"]
print("\n== training (ml-latest-small, leave-one-out, full ranking over all items) ==")
print(f"seqrec: {man['training_result']['samples_per_epoch']} samples/epoch, median {ep:.2f} s/epoch "
      f"({man['training_result']['samples_per_epoch']/ep:.0f} samples/s), {len(log)} epochs (best {man['training_result']['best_epoch']}), "
      f"total {man['training_result']['train_seconds']:.1f} s, peak {peak(R+'/seqrec_train.time'):.0f} MiB")
print(f"seqrec valid HR@10 {v['model']['HR@10']:.4f} NDCG@10 {v['model']['NDCG@10']:.4f} | "
      f"test HR@10 {t['model']['HR@10']:.4f} NDCG@10 {t['model']['NDCG@10']:.4f} | "
      f"most-popular test HR@10 {t['most_popular']['HR@10']:.4f} NDCG@10 {t['most_popular']['NDCG@10']:.4f}")
for p in ("int8", "fp32", "fp16"):
    rps, p50, p99, err = wrk(f"{R}/seqrec_wrk_{p}.txt")
    rss = int(open(f"{R}/seqrec_serve_{p}.rss_kb").read()) / 1024
    print(f"seqrec serve --precision {p}: {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, errors {err}, peak RSS {rss:.0f} MiB")
if os.path.exists(f"{R}/peer_run.log"):
    pl = open(f"{R}/peer_run.log").read()
    pe = json.loads(re.findall(r'\{"median_epoch_s".*\}', pl)[0])["median_epoch_s"]
    ev = json.load(open(f"{R}/peer_eval.json"))
    print(f"peer seed004_flask: median {pe:.2f} s/epoch, peak {peak(W+'/peer/results/train.time'):.0f} MiB; "
          f"test (trained without held-out items, 3 epochs) cosine HR@10 {ev['cosine']['HR@10']:.4f} NDCG@10 {ev['cosine']['NDCG@10']:.4f}, "
          f"dot HR@10 {ev['dot']['HR@10']:.4f} NDCG@10 {ev['dot']['NDCG@10']:.4f}")
    import glob
    rps, p50, p99, err = wrk(glob.glob(f"{W}/peer/results/wrk_tt*.txt")[0])
    print(f"peer serve (gunicorn 2 workers): {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, errors {err}")
    print(f"ratios: training {pe/ep:.2f}x faster per epoch; serving int8 (default) {wrk(R+'/seqrec_wrk_int8.txt')[0]/rps:.1f}x, "
          f"fp32 {wrk(R+'/seqrec_wrk_fp32.txt')[0]/rps:.1f}x, fp16 {wrk(R+'/seqrec_wrk_fp16.txt')[0]/rps:.1f}x requests/s")
PY
