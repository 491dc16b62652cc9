"""Issue 14.5 under gunicorn behind a (simulated) reverse proxy: the limit counts failures per client.

One worker: ``memory://`` counters are per process, so several workers need Redis
(``RATELIMIT_STORAGE_URI=redis://…``, see the README); that is the deployment's job, not this test's.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, gen_user

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GUNICORN = Path(sys.executable).with_name("gunicorn")
pytestmark = pytest.mark.skipif(
    not GUNICORN.exists() or bool(os.environ.get("TEST_DATABASE_URL")), reason="runs gunicorn on a SQLite file"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping client that does not follow redirects and sends X-Forwarded-For as a proxy would."""

    def __init__(self, base: str, forwarded_for: str):
        self.base, self.forwarded_for = base, forwarded_for
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"X-Forwarded-For": self.forwarded_for})
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, username: str, password: str) -> int:
        _, page = self.request("/auth/login")
        token = CSRF.search(page).group(1)
        status, _ = self.request("/auth/login", {"csrf_token": token, "username": username, "password": password})
        if status == 303:
            _, home = self.request("/")
            token = CSRF.search(home)
            if token:
                self.request("/auth/logout", {"csrf_token": token.group(1)})
        return status


@pytest.fixture
def server(app, tmp_path):
    port = _free_port()
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "gunicorn-test-secret-0123456789abcdef",
        "GUANJIA_INSTANCE_PATH": str(tmp_path / "instance"),
        "PROXY_FIX_X_FOR": "1",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "simulator:create_app()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process, tmp_path / "gunicorn.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(tmp_path / "instance", ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + log.read_text(errors="replace")[-2000:])
        try:
            # The worker accepts the connection before the app (torch, the encoder) is imported: a
            # slow first answer is a socket timeout (an OSError, not a URLError), so keep waiting.
            urllib.request.urlopen(base + "/auth/login", timeout=10).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


def test_under_gunicorn_only_failures_count_and_each_client_has_its_own_counter(app, server):
    with app.app_context():
        names = [gen_user("trainee").username for _ in range(4)]
    colleagues = Browser(server, "10.1.0.1")  # the whole office, behind one NAT address
    assert [colleagues.login(name, PASSWORD) for name in names + names] == [303] * 8
    attacker = Browser(server, "10.9.9.9")
    assert [attacker.login(names[0], "wrong") for _ in range(6)] == [401] * 5 + [429]
    status, page = attacker.request("/auth/login")
    assert status == 200  # only the POST is limited
    assert colleagues.login(names[0], PASSWORD) == 303  # five failures leave the named account usable
