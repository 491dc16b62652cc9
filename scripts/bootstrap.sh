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
# Certificate PDFs embed a TrueType Chinese font (simulator/certification/pdf.py): Debian's WenQuanYi Zen Hei.
if [ -z "${CERT_FONT_PATH:-}" ] && [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then
  echo "==> 安装证书 PDF 所需的中文字体 fonts-wqy-zenhei"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }; then
    echo "错误:无法安装中文字体 fonts-wqy-zenhei,证书 PDF 将无法生成。" >&2
    echo "请手动运行 sudo apt-get install fonts-wqy-zenhei,或设置 CERT_FONT_PATH 指向一个 TrueType 中文字体文件。" >&2
    exit 1
  fi
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
