#!/usr/bin/env bash
# 部署测试（ctest 的 deploy_nginx）：两个 seqrec serve 副本在 nginx 后面服务同一个模型目录（docs/DEPLOY.md 的配置）。
# 在持续的负载下：副本 A 收到 SIGHUP 热加载、副本 B 收到 SIGTERM 排空退出，经 nginx 的请求一个都不能失败；
# 之后只剩 A 时 nginx 仍然正常服务。没有 nginx 或 wrk 时以 77 退出（ctest 记为跳过）。
# 用法：tests/deploy/nginx_replicas.sh [seqrec 程序路径]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SEQREC=${1:-$ROOT/build/seqrec}
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [ -z "$NGINX" ] || ! command -v wrk > /dev/null; then echo "deploy test skipped: needs nginx and wrk (scripts/install_deps.sh)"; exit 77; fi
T=$(mktemp -d /tmp/seqrec-deploy-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$T"/*.log; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }

# 一个小模型。
"$SEQREC" generate --out "$T/ratings.csv" --users 300 --items 200 > /dev/null
"$SEQREC" train --data "$T/ratings.csv" --out "$T/model" --epochs 1 --dim 16 --ffn-dim 32 --max-len 8 --quiet > /dev/null 2>&1

# 启动一个副本（系统分配端口）。在主 shell 里启动，之后才能 wait 它的退出状态。
start_replica() {
  "$SEQREC" serve --model "$T/model" --port 0 --drain-timeout 10 > "$T/$1.log" 2>&1 &
  PIDS+=($!)
  echo $! > "$T/$1.pid"
}
# 等副本就绪，输出它的端口。
port_of() {
  for _ in $(seq 1 200); do
    local port
    port=$(sed -n 's#^listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$T/$1.log" | head -n 1)
    if [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null; then echo "$port"; return 0; fi
    sleep 0.05
  done
  return 1
}
start_replica a
start_replica b
PA=$(port_of a) || fail "replica a did not become ready"
PB=$(port_of b) || fail "replica b did not become ready"

# nginx：与 docs/DEPLOY.md 相同的上游配置。
PN=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$T/nginx"
sed -e "s#@A@#127.0.0.1:$PA#; s#@B@#127.0.0.1:$PB#; s#@LISTEN@#127.0.0.1:$PN#; s#@T@#$T/nginx#g" \
  "$ROOT/docs/deploy/nginx.conf" > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g "daemon off; pid $T/nginx/nginx.pid;" > "$T/nginx.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PN/health/ready" > /dev/null && break; sleep 0.05; done
curl -sf "http://127.0.0.1:$PN/health/ready" > /dev/null || fail "nginx did not come up"

# 经 nginx 的请求由两个副本分担。
body='{"user_id": null, "recent_clicks": ["1", "2"], "top_k": 5}'
for _ in $(seq 1 20); do curl -sf -X POST "http://127.0.0.1:$PN/recommend" -d "$body" > /dev/null || fail "request through nginx"; done

# 负载 6 秒；第 2 秒副本 A 热加载，第 3 秒副本 B 排空退出。
cat > "$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"user_id": null, "recent_clicks": ["1", "2"], "top_k": 5}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t1 -c4 -d6s -s "$T/post.lua" "http://127.0.0.1:$PN/recommend" > "$T/wrk.log" 2>&1 &
WRK=$!
sleep 2
kill -HUP "$(cat "$T/a.pid")"
sleep 1
kill -TERM "$(cat "$T/b.pid")"
wait "$WRK"
cat "$T/wrk.log"
grep -q "Non-2xx" "$T/wrk.log" && fail "some requests through nginx failed during reload / drain"
grep -q "Socket errors" "$T/wrk.log" && fail "socket errors through nginx during reload / drain"
REQS=$(awk '/requests in/ {print $1}' "$T/wrk.log")
[ "${REQS:-0}" -gt 100 ] || fail "too few requests went through ($REQS)"
grep -q "SIGHUP: reloading" "$T/a.log" || fail "replica a did not reload"
wait "$(cat "$T/b.pid")" || fail "replica b did not exit cleanly after SIGTERM"
grep -q "draining" "$T/b.log" || fail "replica b did not drain"

# B 已退出：nginx 把请求都交给 A。
for _ in $(seq 1 20); do curl -sf -X POST "http://127.0.0.1:$PN/recommend" -d "$body" > /dev/null || fail "request after replica b left"; done
echo "deploy test passed: $REQS requests through nginx, 0 failed, during a reload of one replica and the drain of the other"
