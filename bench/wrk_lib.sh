# 基准脚本共用的小函数（由 bench_http.sh、bench_events.sh、bench_serving.sh、bench_retrain.sh、bench_event_weights.sh
# 以 source 载入，不单独运行）。

# wrk 的延迟（"1.23ms" / "850.00us" / "1.02s"）换算成毫秒。
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v+0} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000} else print v}'; }
# wrk --latency 输出文件 $1 里百分位 $2（如 99%）的延迟，毫秒。
pct() { awk -v p="$2" '$1 == p {print $2}' "$1" | to_ms; }
# wrk 输出文件 $1 的每秒请求数（整数）。
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
# wrk 输出文件 $1 里的非 2xx 与套接字错误行（一行）。
errs() { awk '/Non-2xx|Socket errors/ {print}' "$1" | tr '\n' ' '; }

# 等 127.0.0.1:$1 的服务就绪（/health/ready 返回 200），至多 30 秒。
wait_ready_port() {
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$1/health/ready" > /dev/null && return 0; sleep 0.1; done
  return 1
}

# 合成数据上的默认模型（与 quickstart 相同的结构）到 $WORK/model，物品 ID 是 i<k>、用户 ID 是 u<k>；已有则不动。
# 用 $SEQREC 与 $WORK。
synthetic_model() {
  [ -f "$WORK/model/manifest.json" ] && return 0
  "$SEQREC" generate --out "$WORK/ratings.csv" --users 3000 --items 5000 > /dev/null
  sed -i '1!s/^\([^,]*\),\([^,]*\),/u\1,i\2,/' "$WORK/ratings.csv"
  "$SEQREC" train --data "$WORK/ratings.csv" --out "$WORK/model" --epochs 2 --quiet > /dev/null 2>&1
}
