#!/usr/bin/env bash
# 基准程序（不是测试）：负载、故障与热加载下的服务（issue 6 的 Proof 一节，结果在 docs/BENCHMARKS.md §6）。
#   bench/bench_load.sh load     DURATION 秒饱和负载（wrk，CONNS 个连接），合法与非法请求混合（bench/wrk/mixed.lua）：
#                                打印各类状态码数、连接错误数与每 5 秒的常驻内存
#   bench/bench_load.sh reload   同样的负载下做 RELOADS 次热加载：两个好目录交替，每第 3 次换成一个坏目录
#                                （校验和不符 / 缺文件 / 格式版本不对 / 不存在），检查好的都切换、坏的都被拒绝并说明原因、
#                                请求零失败、响应里只出现好目录的版本
# 环境变量：WORK（默认 /tmp/seqrec_bench_load）、SEQREC、DURATION（默认 60）、CONNS（默认 8）、RELOADS（默认 100）、PORT（默认 18282）
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/seqrec_bench_load}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
DURATION=${DURATION:-60}
CONNS=${CONNS:-8}
RELOADS=${RELOADS:-100}
PORT=${PORT:-18282}
MODE=${1:-load}
command -v wrk > /dev/null || { echo "bench_load: needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$SEQREC" ] || { echo "bench_load: build first: scripts/build.sh"; exit 1; }
mkdir -p "$WORK"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(date -u +%FT%TZ)"

# 两个好模型（不同种子）与四种坏目录。
if [ ! -f "$WORK/b/manifest.json" ]; then
  "$SEQREC" generate --out "$WORK/ratings.csv" --users 3000 --items 5000 > /dev/null
  "$SEQREC" train --data "$WORK/ratings.csv" --out "$WORK/a" --epochs 3 --seed 1 --quiet > /dev/null 2>&1
  "$SEQREC" train --data "$WORK/ratings.csv" --out "$WORK/b" --epochs 3 --seed 2 --quiet > /dev/null 2>&1
fi
rm -rf "$WORK"/bad_*
cp -r "$WORK/a" "$WORK/bad_checksum"; printf '\x42' | dd of="$WORK/bad_checksum/model.safetensors" bs=1 seek=500 conv=notrunc status=none
cp -r "$WORK/a" "$WORK/bad_missing"; rm "$WORK/bad_missing/item_embeddings.npy"
cp -r "$WORK/a" "$WORK/bad_version"; sed -i 's/"format_version": 1/"format_version": 99/' "$WORK/bad_version/manifest.json"
BADS=("$WORK/bad_checksum" "$WORK/bad_missing" "$WORK/bad_version" "$WORK/does_not_exist")

export SEQREC_ADMIN_TOKEN=bench-token
"$SEQREC" serve --model "$WORK/a" --port "$PORT" > "$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && break; sleep 0.1; done
VA=$(curl -sf "http://127.0.0.1:$PORT/health/ready" | sed 's/.*"model_version":"\([0-9a-f]*\)".*/\1/')

# 负载（后台）与内存采样。
export ITEMS=5000 USERS=3000 ID_PREFIX="" USER_PREFIX=u
wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 5s -s "$ROOT/bench/wrk/mixed.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk_$MODE.txt" 2>&1 &
WRK=$!
( while kill -0 "$WRK" 2>/dev/null; do awk '/VmRSS/ {printf "%.0f ", $2/1024}' "/proc/$PID/status"; sleep 5; done; echo ) > "$WORK/rss_$MODE.txt" &
SAMPLER=$!

OK_RELOADS=0; BAD_REFUSED=0; WRONG=0; VB=""
if [ "$MODE" = reload ]; then
  sleep 1
  : > "$WORK/reloads.txt"
  for i in $(seq 1 "$RELOADS"); do
    if [ $((i % 3)) -eq 0 ]; then DIR=${BADS[$(( (i / 3) % 4 ))]}; EXPECT=422
    elif [ $((i % 2)) -eq 0 ]; then DIR=$WORK/b; EXPECT=200
    else DIR=$WORK/a; EXPECT=200; fi
    OUT=$(curl -s -w ' HTTP%{http_code}' -X POST -H "Authorization: Bearer $SEQREC_ADMIN_TOKEN" \
          "http://127.0.0.1:$PORT/admin/reload" -d "{\"model_dir\": \"$DIR\"}")
    CODE=${OUT##* HTTP}
    echo "$i $DIR $CODE ${OUT% HTTP*}" >> "$WORK/reloads.txt"
    if [ "$CODE" != "$EXPECT" ]; then WRONG=$((WRONG + 1)); fi
    if [ "$CODE" = 200 ]; then OK_RELOADS=$((OK_RELOADS + 1)); fi
    if [ "$CODE" = 422 ]; then BAD_REFUSED=$((BAD_REFUSED + 1)); fi
    if [ "$DIR" = "$WORK/b" ] && [ -z "$VB" ]; then VB=$(echo "$OUT" | sed 's/.*"model_version":"\([0-9a-f]*\)".*/\1/'); fi
    kill -0 "$WRK" 2>/dev/null || { echo "load ended before reload $i: raise DURATION"; break; }
    sleep 0.2
  done
fi
wait "$WRK" || true
wait "$SAMPLER" || true
cat "$WORK/wrk_$MODE.txt"
echo "RSS MiB every 5 s: $(cat "$WORK/rss_$MODE.txt")"
if [ "$MODE" = reload ]; then
  echo "reloads: $OK_RELOADS good ones switched, $BAD_REFUSED bad ones refused (422), $WRONG with an unexpected status"
  echo "versions: a=$VA b=$VB; versions seen in answers:"; grep VERSION "$WORK/wrk_$MODE.txt" || true
  grep -E "reload|failed" "$WORK/serve.log" | grep -v "^loaded" | sort | uniq -c | sort -rn | head -5
fi
FIVE=$(sed -n 's/.*5xx=\([0-9]*\).*/\1/p' "$WORK/wrk_$MODE.txt")
CONN=$(sed -n 's/ERRORS connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) timeout=\([0-9]*\).*/\1 \2 \3 \4/p' "$WORK/wrk_$MODE.txt")
echo "RESULT mode=$MODE 5xx=$FIVE connection_errors(connect read write timeout)=$CONN"
