#!/usr/bin/env bash
# 基准程序（不是测试）：libFuzzer + ASan + UBSan 模糊测试（clang）。
#   bench/fuzz.sh [REQUEST_SECONDS=600] [READER_SECONDS=120] [WIRE_SECONDS=120]
# fuzz_request：请求解析与处理的整条路径（tests/fuzz/fuzz_request.cpp），至少跑 REQUEST_SECONDS 秒；
# fuzz_readers：每一种数据文件读取器（tests/fuzz/fuzz_readers.cpp），跑 READER_SECONDS 秒；
# fuzz_http_wire：HTTP/1.1 请求头与 chunked 请求体的解析（tests/fuzz/fuzz_http_wire.cpp），跑 WIRE_SECONDS 秒。
# 任何崩溃、检测工具报告、500 或读取器抛出 seqrec::Error 以外的异常都会让程序以非零状态结束，并留下重现输入。
# 环境变量：BUILD（默认 build-fuzz）、SEQREC（训练小模型用的正常构建，默认 build/seqrec）、WORK（默认 /tmp/seqrec_fuzz）。
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T_REQ=${1:-600}
T_READ=${2:-120}
T_WIRE=${3:-120}
BUILD=${BUILD:-$ROOT/build-fuzz}
SEQREC=${SEQREC:-$ROOT/build/seqrec}
WORK=${WORK:-/tmp/seqrec_fuzz}
command -v clang++ > /dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 1; }
[ -x "$SEQREC" ] || { echo "fuzz: build first: scripts/build.sh"; exit 1; }
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%FT%TZ)"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQREC_FUZZ=ON > /dev/null
cmake --build "$BUILD" -j "$(nproc)" --target fuzz_request fuzz_readers fuzz_http_wire
mkdir -p "$WORK"

# 小模型（请求路径需要一个加载好的模型）。
if [ ! -f "$WORK/model/manifest.json" ]; then
  "$SEQREC" generate --out "$WORK/ratings.csv" --users 200 --items 100 --groups 5 > /dev/null
  "$SEQREC" train --data "$WORK/ratings.csv" --out "$WORK/model" --epochs 1 --dim 16 --ffn-dim 32 --max-len 8 --quiet > /dev/null 2>&1
fi

# 种子语料：第 1 个字节选路由 / 读取器（见两个目标的源文件）。
REQ="$WORK/corpus_request"; RD="$WORK/corpus_readers"; WIRE="$WORK/corpus_wire"
mkdir -p "$REQ" "$RD" "$WIRE"
seed() { printf "$1" > "$2"; cat >> "$2"; }
echo '{"user_id": "u1", "recent_clicks": ["1", "2"], "top_k": 5, "exclude_clicked": true}' | seed '\x00\x00' "$REQ/recommend"
echo '{"user_id": null, "recent_clicks": [3], "allow_items": ["1", "2", "3"], "deny_items": [2]}' | seed '\x00\x00' "$REQ/filters"
echo '{"requests": [{"user_id": "u1", "recent_clicks": ["1"]}, {"user_id": 7, "recent_clicks": [], "top_k": 3}]}' | seed '\x01\x00' "$REQ/batch"
echo '' | seed '\x14\x00' "$REQ/health"
echo '{"model_dir": "/nonexistent", "wait": true}' | seed '\x06\x01' "$REQ/reload"
echo '' | seed '\x17\x01' "$REQ/status"
printf 'user_id,item_id,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\n' | seed '\x00' "$RD/csv"
printf '1 5 6 7\n2 6 7 8\n' | seed '\x01' "$RD/seq_uid"
printf '5 6 7\n6 7 8\n' | seed '\x02' "$RD/seq_plain"
printf '1 5\n1 6\n2 6\n' | seed '\x03' "$RD/seq_pairs"
printf 'session:token\taid:token\tts:float\n1\t5\t1.0\n1\t6\t2.0\n' | seed '\x04' "$RD/inter"
printf '{"session":1,"events":[{"aid":5,"ts":1000,"type":"clicks"},{"aid":6,"ts":2000,"type":"carts"}]}\n' | seed '\x05' "$RD/otto"
seed '\x06' "$RD/npy" < "$WORK/model/item_embeddings.npy"
seed '\x07' "$RD/safetensors" < "$WORK/model/model.safetensors"
seed '\x09' "$RD/idmap" < "$WORK/model/item_map.json"
printf 'userId,movieId,rating,timestamp\n1,10,4.0,100\n1,11,3.5,101\n' | seed '\x0a' "$RD/auto_csv"
printf 'POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' > "$WIRE/length"
printf 'POST /a%%2Fb?q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n' > "$WIRE/chunked"
printf 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' > "$WIRE/http10"

status=0
echo "== fuzz_request for ${T_REQ}s"
SEQREC_FUZZ_MODEL="$WORK/model" "$BUILD/fuzz_request" -max_total_time="$T_REQ" -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$WORK/request-" "$REQ" > "$WORK/request.log" 2>&1 || status=1
grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|ERROR|SUMMARY|500 for" "$WORK/request.log" | tail -n 8
echo "== fuzz_readers for ${T_READ}s"
"$BUILD/fuzz_readers" -max_total_time="$T_READ" -max_len=70000 -print_final_stats=1 \
  -artifact_prefix="$WORK/readers-" "$RD" > "$WORK/readers.log" 2>&1 || status=1
grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|ERROR|SUMMARY|threw" "$WORK/readers.log" | tail -n 8
echo "== fuzz_http_wire for ${T_WIRE}s"
"$BUILD/fuzz_http_wire" -max_total_time="$T_WIRE" -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$WORK/wire-" "$WIRE" > "$WORK/wire.log" 2>&1 || status=1
grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|ERROR|SUMMARY" "$WORK/wire.log" | tail -n 8
if ls "$WORK"/request-* "$WORK"/readers-* "$WORK"/wire-* > /dev/null 2>&1; then
  ls "$WORK"/request-* "$WORK"/readers-* "$WORK"/wire-* 2>/dev/null
  status=1
fi
if [ $status -eq 0 ]; then echo "fuzz: no crashes"; else echo "fuzz: FAILED (logs: $WORK/request.log, $WORK/readers.log, $WORK/wire.log)"; fi
exit $status
