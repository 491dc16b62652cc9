#!/usr/bin/env bash
# Set up and run the app on the embedded defaults: SQLite, the bundled model, the shipped content,
# demo logins. Safe to run again: migrations only move forward, content and demo users are upserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export FLASK_APP=simulator HF_HUB_OFFLINE=1
echo "==> 数据库迁移"
.venv/bin/flask db upgrade
echo "==> 加载情景库、题库与测验"
.venv/bin/flask content load
echo "==> 演示账号"
.venv/bin/flask seed-demo
echo "==> 后台任务 worker(导出、证书、评分模型重训)"
.venv/bin/flask jobs worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "==> 启动:http://127.0.0.1:${PORT:-5000} (Ctrl+C 停止)"
GUANJIA_WARMUP=1 .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
