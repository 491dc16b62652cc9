"""Issue 14.5 scale-out: two gunicorn servers sharing Redis count the same failed logins.

Two single-worker servers (as two hosts, or two workers, would) on one SQLite file and one Redis
(Debian's ``redis-server`` on loopback, started here). Three failures on each from the same client
address reach the limit of five together: the sixth is refused, whichever server takes it. With the
per-process ``memory://`` storage each would have counted only three. Skipped without redis-server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import gen_user
from tests.web.test_login_limits_gunicorn import GUNICORN, Browser, _free_port, _wait_until_serving

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None or not GUNICORN.exists() or bool(os.environ.get("TEST_DATABASE_URL")),
    reason="needs redis-server and gunicorn; runs on a SQLite file",
)


@pytest.fixture
def redis_url(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def two_servers(app, tmp_path, redis_url):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "gunicorn-test-secret-0123456789abcdef",
        "GUANJIA_INSTANCE_PATH": str(tmp_path / "instance"),
        "PROXY_FIX_X_FOR": "1",
        "RATELIMIT_STORAGE_URI": redis_url,
    }
    processes, bases = [], []
    try:
        for n in range(2):
            port = _free_port()
            log = tmp_path / f"gunicorn-{n}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "simulator:create_app()"],
                    cwd=Path(__file__).resolve().parents[2],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=handle,
                )
            processes.append(process)
            bases.append(f"http://127.0.0.1:{port}")
            _wait_until_serving(bases[-1], process, log)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_failed_logins_are_counted_once_across_workers_sharing_redis(app, two_servers):
    with app.app_context():
        name = gen_user("trainee").username
    first, second = (Browser(base, "10.7.7.7") for base in two_servers)
    statuses = [browser.login(name, "wrong") for _ in range(3) for browser in (first, second)]
    assert statuses == [401] * 5 + [429]
    assert Browser(two_servers[0], "10.8.8.8").login(name, "wrong") == 401  # another office is not blocked
