#!/usr/bin/env bash
# ctest 的 read_model_py：docs/MODELS.md 的 Python/NumPy 读取方法在新训练的模型上照写的那样运行——
# scripts/read_model.py 读出全部张量，item_embeddings.npy 与 model.safetensors 中的物品表逐位相同，
# 按 queries.npy 算出的 top-10 都是 item_map.json 中的物品。没有 NumPy 时以 77 退出（ctest 记为跳过）。
# 用法：tests/check_read_model.sh [seqrec 程序路径]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEQREC=${1:-$ROOT/build/seqrec}
PY=/usr/bin/python3
if ! "$PY" -c "import numpy" 2> /dev/null; then echo "read_model test skipped: needs python3-numpy (scripts/install_deps.sh)"; exit 77; fi
T=$(mktemp -d /tmp/seqrec-readmodel-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$SEQREC" generate --out "$T/ratings.csv" --users 300 --items 200 > /dev/null
for m in long_short sasrec lightgcn; do
  "$SEQREC" train --model "$m" --data "$T/ratings.csv" --out "$T/$m" --epochs 1 --quiet --no-checkpoint > /dev/null 2>&1
  out=$("$PY" "$ROOT/scripts/read_model.py" "$T/$m")
  echo "$out"
  echo "$out" | grep -q "top-10 for the first query" || { echo "FAIL: $m: no top-10"; exit 1; }
  # 物品表：sasrec / long_short 的 item_emb 去掉最后一行填充，lightgcn 的 item_table，都应等于 item_embeddings.npy。
  SEQREC_ROOT="$ROOT" "$PY" - "$T/$m" <<'PYEOF'
import sys, runpy
import numpy as np
import os
mod = runpy.run_path(os.environ["SEQREC_ROOT"] + "/scripts/read_model.py", run_name="lib")
d = sys.argv[1]
meta, w = mod["read_safetensors"](f"{d}/model.safetensors")
items = np.load(f"{d}/item_embeddings.npy")
table = w["item_table"] if "item_table" in w else w["item_emb"][:-1]
assert np.array_equal(items, table), "item_embeddings.npy differs from the weights' item table"
PYEOF
done
echo "read_model: ok"
