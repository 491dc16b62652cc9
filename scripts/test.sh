#!/usr/bin/env bash
# Run every test: pytest on SQLite (browser tests included), then every database-touching test again
# against a throwaway PostgreSQL 15 server on loopback. Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test

if ! dpkg -s chromium fonts-noto-cjk redis-server >/dev/null 2>&1; then
  echo "==> 安装 Chromium、中文字体与 redis-server(测试 Redis 队列)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk redis-server >/dev/null
fi

export HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest (SQLite)"
.venv/bin/python -m pytest "$@"
echo "==> pytest in random order (SQLite, browser tests left out): the suite must not depend on test order"
.venv/bin/python -m pytest tests --ignore=tests/e2e --random-order -p no:cacheprovider -q "$@"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ "${SKIP_POSTGRES:-0}" = "1" ]; then
  echo "==> SKIP_POSTGRES=1: PostgreSQL run skipped"
  exit 0
fi
echo "==> pytest -m db (PostgreSQL 15)"
pgdir="$(mktemp -d /tmp/guanjia-pg.XXXXXX)"
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$pgdir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
"${as_pg[@]}" "$PG_BIN/initdb" -D "$pgdir/data" -U guanjia --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off -c full_page_writes=off" start >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U guanjia guanjia_test
export TEST_DATABASE_URL="postgresql://guanjia@127.0.0.1:$port/guanjia_test"
.venv/bin/python -m pytest -m db -p no:cacheprovider "$@"
