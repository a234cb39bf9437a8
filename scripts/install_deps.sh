#!/usr/bin/env bash
# 安装构建与运行 seqrec 所需的全部 Debian 软件包（幂等：已安装则跳过 apt），以及 npm 上的前端依赖
# （web/package-lock.json 锁定的 Chart.js，构建进程序；已装好则跳过）。
# 用法：scripts/install_deps.sh [额外的包名 ...]
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libtorch-dev                             # LibTorch（训练）
  libgloo-dev                              # c10d 的 ProcessGroupGloo 需要的 Gloo 头文件（多进程训练）
  libopenblas0-openmp libopenblas-openmp-dev  # 优化的 BLAS：LibTorch 使用系统 BLAS，默认的参考实现慢约 16 倍
  libcpp-httplib-dev                       # 测试中的 HTTP 客户端
  nlohmann-json3-dev libcli11-dev
  libssl-dev                               # SHA-256 校验和（OpenSSL）
  libgoogle-perftools-dev                  # tcmalloc：大张量的分配不再反复缺页
  libfaiss-dev                             # 近似检索：HNSW / IVF 索引（seqrec index）
  libsimdjson-dev                          # 会话 JSONL 的 SIMD 流式解析（OTTO 规模：seqrec covisit / candidates）
  libsqlite3-dev                           # 用户历史的嵌入式存储（src/store/sqlite_store.cpp，POST /events）
  libhiredis-dev redis-server              # 多副本共享的用户历史（src/store/redis_store.cpp）；测试自己启动 redis-server
  libsentencepiece-dev                     # 物品内容的子词分词器（生成式检索模型）
  libgtest-dev libgmock-dev
  curl
  python3-numpy                            # docs/MODELS.md 的 Python/NumPy 读取示例（tests/check_read_model.sh）；Python 包的数组
  pybind11-dev python3-pytest python3-pandas python3-tqdm  # Python 包 seqrec（python/*.cpp）、pytest 用例、DataFrame 输入、进度条
  python3-pip python3-venv python3-setuptools  # pip install . --no-build-isolation（不联网；tests/python/test_install.py）
  python3-torch                            # Model.to_torch() 与 seqrec_torch.py（与链接的 LibTorch 同一版本 1.13）
  chromium chromium-driver python3-selenium  # 浏览器测试（tests/python/test_console.py）：无头 Chromium 打开控制台与报告
  nginx-light wrk                          # 部署测试（tests/deploy）：两个副本在 nginx 后面；负载由 wrk 产生
  "$@"
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm（前端依赖用）：机器上已有 Node.js 自带的 npm 时不再装 Debian 的。
command -v npm > /dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PKGS[@]} packages already installed"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install_deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# 控制台与 seqrec report 的图表库：按 web/package-lock.json 安装到 web/node_modules（CMake 把它构建进程序）。
WEB="$(cd "$(dirname "$0")/.." && pwd)/web"
if [ ! -f "$WEB/node_modules/chart.js/dist/chart.umd.min.js" ]; then
  echo "install_deps: npm ci in $WEB (Chart.js for the console and reports)"
  npm ci --prefix "$WEB" --no-audit --no-fund
fi
