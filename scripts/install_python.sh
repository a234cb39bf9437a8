#!/usr/bin/env bash
# 让 Debian 的 /usr/bin/python3 能 import seqrec：在它的 site-packages 里放一个 .pth 文件，指向 build/python
# （重新编译之后不用再装）。需要 root 或 sudo（与 apt-get 相同）。用法：scripts/install_python.sh [构建目录，默认 build]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
ls "$BUILD"/python/seqrec/_seqrec*.so > /dev/null 2>&1 || { echo "install_python: build first (scripts/build.sh)"; exit 1; }
SITE=$(/usr/bin/python3 -c "import site; print(site.getsitepackages()[0])")
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO mkdir -p "$SITE"
echo "$BUILD/python" | $SUDO tee "$SITE/seqrec-build.pth" > /dev/null
/usr/bin/python3 -c "import seqrec; print('install_python: import seqrec', seqrec.__version__, 'from', seqrec.__file__)"
