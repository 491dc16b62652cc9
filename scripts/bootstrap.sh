#!/usr/bin/env bash
# Create .venv and install the project into it (idempotent; quick when nothing changed).
#   scripts/bootstrap.sh          runtime dependencies
#   scripts/bootstrap.sh test     runtime + test dependencies
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extras:+-$extras}"
if [ -f "$stamp" ]; then
  # The learned scorer is built from the repository's data; this is quick when it is up to date.
  HF_HUB_OFFLINE=1 .venv/bin/python -m scoring train
  exit 0
fi
echo "==> 安装依赖(首次约需 1–2 分钟)"
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first, pinned to the CPU build; otherwise sentence-transformers pulls a multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
target="."
[ -n "$extras" ] && target=".[$extras]"
.venv/bin/python -m pip install --quiet -e "$target"
touch "$stamp"
echo "==> 训练评分模型(首次约需 1 分钟)"
HF_HUB_OFFLINE=1 .venv/bin/python -m scoring train
