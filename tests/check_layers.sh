#!/usr/bin/env bash
# 分层检查（ctest 的 layering）：src/ 下的每个文件只能包含本层或更低层的头文件，依赖单向流动：
#   core → data → store（用户历史存储）
#   core → data → models → index → eval → train
#                                  eval → serve
#                                  eval → session
#                          train + serve + store → live（持续训练：重新训练、质量门、后台调度）
# serve 与 session 互不包含，也都不包含 train（服务程序 seqrec-serve 不链接 LibTorch）。
# app/、tests/、bench/ 不受限制。违反时列出 文件:行 与被包含的头文件，以 1 退出。
# 用法：tests/check_layers.sh [仓库根目录]
set -euo pipefail
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
declare -A ALLOWED=(
  [core]="core"
  [data]="core data"
  [store]="core data store"
  [models]="core data models"
  [index]="core data models index"
  [eval]="core data models index eval"
  [train]="core data store models index eval train"
  [live]="core data store models index eval train serve live"
  [serve]="core data store models index eval serve"
  [session]="core data models index eval session"
)
files=0
bad=0
while IFS= read -r -d '' f; do
  rel=${f#"$ROOT/src/"}
  layer=${rel%%/*}
  if [ -z "${ALLOWED[$layer]+x}" ]; then
    echo "layering: $rel is in src/$layer/, which is not a known layer (add it to tests/check_layers.sh)"
    bad=$((bad + 1))
    continue
  fi
  files=$((files + 1))
  while IFS=: read -r line inc; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<< "$inc")
    case " ${ALLOWED[$layer]} " in
      *" $target "*) ;;
      *) echo "layering: src/$rel:$line includes $target/ (${inc#*#include }), a layer above or beside $layer/"
         bad=$((bad + 1)) ;;
    esac
  done < <(grep -nE '^[[:space:]]*#include "[a-z_]+/' "$f" | sed -E 's/^([0-9]+):/\1:/' || true)
done < <(find "$ROOT/src" -type f \( -name '*.h' -o -name '*.cpp' \) -print0)
echo "layering: $files files checked, $bad violations"
[ "$bad" -eq 0 ]
