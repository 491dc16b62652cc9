"""Serving: liveness and readiness probes, a Server header that names no stack, gunicorn with a shared model.

The gunicorn test runs the production settings (``simulator/gunicorn.conf.py``): the master warms
the model and forks two workers, which then score replies (torch and numpy after fork, one thread).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import scenarios
from bench.play_load import PASSWORD as BENCH_PASSWORD
from bench.play_load import Stats, Trainee, free_port
from simulator import create_app, warmup
from simulator.extensions import db
from simulator.models import Role, Site, User

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
STACK_NAMES = ("werkzeug", "python", "gunicorn", "flask")


@pytest.fixture
def not_warm(monkeypatch):
    """This process's model counts as not loaded, and /readyz starts no real warm-up."""
    started = []
    monkeypatch.setattr(warmup, "_ready", threading.Event())
    monkeypatch.setattr(warmup, "start_background_warmup", lambda: started.append(True) or True)
    return started


def test_readyz_waits_for_the_model_and_healthz_does_not(client, not_warm):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"scoring": False, "database": True}
    assert not_warm == [True]  # asking for readiness starts the warm-up nothing else started
    warmup._ready.set()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "ready"
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_not_ready_when_the_database_does_not_answer(tmp_path, not_warm):
    warmup._ready.set()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3"})
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"] == {"scoring": True, "database": False}
    assert client.get("/healthz").status_code == 200


def test_the_development_server_names_no_stack(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 200
        assert response.getheader("Server") == "guanjia"  # not "Werkzeug/3.1.x Python/3.11.x"
    finally:
        server.shutdown()


def _raw_headers(base: str, path: str) -> list[tuple[str, str]]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.getheaders()
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(
    not GUNICORN.exists() or bool(os.environ.get("TEST_DATABASE_URL")), reason="runs gunicorn on a SQLite file"
)
def test_gunicorn_preloads_the_model_once_and_its_workers_score_replies(app, tmp_path):
    with app.app_context():
        site = db.session.execute(db.select(Site)).scalars().first()
        for n in range(2):
            user = User(username=f"bench{n:03d}", display_name=f"压测学员{n}", role=Role.TRAINEE.value, site=site)
            user.set_password(BENCH_PASSWORD)
            db.session.add(user)
        db.session.commit()
        from simulator.content import sync_content
        from simulator.shipped import shipped_content

        for kind, items in shipped_content():
            sync_content(kind, items)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "gunicorn-test-secret-0123456789abcdef",
        "GUANJIA_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUANJIA_WARMUP_SCENARIOS": "0",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "simulator/gunicorn.conf.py"], cwd=REPO, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:  # the port opens only once the master has warmed the model
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "gunicorn was not ready within 300 s"
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
                    if response.status == 200:
                        break
            except urllib.error.HTTPError as error:  # 503: not ready yet
                error.close()
                time.sleep(0.5)
            except OSError:
                time.sleep(0.5)
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the first worker may answer before the second is forked
        assert len(_children(process.pid)) == 2
        headers = _raw_headers(base, "/healthz")
        servers = [value for name, value in headers if name.lower() == "server"]
        assert all(not any(stack in value.lower() for stack in STACK_NAMES) for value in servers), servers
        # Both workers answer as ready at once: neither loads the model on its first request.
        for _ in range(6):
            with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
                assert response.status == 200
        library = scenarios.load_library()
        stats = Stats()
        trainees = [Trainee(base, f"bench{n:03d}", library, stats, __import__("random").Random(n)) for n in range(2)]
        threads = [threading.Thread(target=t.run, args=(time.monotonic() + 6, (0.0, 0.0))) for t in trainees]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert stats.errors == [] and len(stats.latencies) >= 4  # replies scored in the forked workers
    finally:
        process.send_signal(signal.SIGQUIT)  # quick shutdown: keep-alive connections need not drain
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
