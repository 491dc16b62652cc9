"""Load test of scenario play under gunicorn: concurrent trainees replying with think time.

Starts gunicorn (several sync workers) on 127.0.0.1 with a temporary SQLite database (or
``DATABASE_URL`` when set), seeds N trainees, and lets them play scenarios through the real HTTP
interface: log in, start an attempt, reply (htmx POST) with a 2–5 s think time, start again when an
attempt ends. Then the same trainees reply with no think time to find the saturation throughput.
Every phase has a fixed duration, so the run stops by itself; gunicorn is stopped at the end.

Prints replies per second, p50/p95/max reply round-trip latency and errors (must be 0).

    .venv/bin/python bench/play_load.py                       # 50 trainees, 60 s + 20 s saturation
    .venv/bin/python bench/play_load.py --trainees 20 --duration 30 --workers 3
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIOS = ["leak-repeated", "elevator-entrapment", "night-power-cut", "parking-occupied"]
PASSWORD = "bench-password-123"
WEAK_REPLIES = [
    "您好,请问有什么可以帮您?",
    "好的,我们会尽快处理的。",
    "我了解了,我马上跟同事说一下。",
]

GUNICORN_CONF = """
import os, pathlib

def post_worker_init(worker):
    # Benchmark warm-up: load the encoder and cache the played nodes' embeddings before serving,
    # so the figures show steady state rather than each worker's first-request model load.
    import scenarios, scoring
    library = scenarios.load_library()
    for key in os.environ["BENCH_SCENARIOS"].split(","):
        for node in library[key].nodes.values():
            scoring.score(node.references[0], node.references, node.rubric)
    pathlib.Path(os.environ["BENCH_READY_DIR"], str(os.getpid())).touch()
"""


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    endings: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str, trainees: int) -> None:
    """Migrate, load the shipped content and create the bench trainees (idempotent)."""
    from flask_migrate import upgrade

    from simulator import create_app
    from simulator.content import sync_content
    from simulator.extensions import db
    from simulator.models import Role, Site, User
    from simulator.shipped import shipped_content

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        for kind, items in shipped_content():
            sync_content(kind, items)
        site = db.session.execute(db.select(Site).filter_by(name="压测管理处")).scalar_one_or_none()
        if site is None:
            site = Site(name="压测管理处")
            db.session.add(site)
        for n in range(trainees):
            username = f"bench{n:03d}"
            if db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none():
                continue
            user = User(username=username, display_name=f"压测学员{n}", role=Role.TRAINEE.value, site=site)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        db.engine.dispose()


class Trainee:
    """One simulated trainee with its own cookie jar."""

    def __init__(self, base: str, username: str, library, stats: Stats, rng: random.Random) -> None:
        self.base, self.username, self.library, self.stats, self.rng = base, username, library, stats, rng
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""
        self.attempt_url = ""
        self.html = ""

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as response:
                self.last_url = response.geturl()
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def login(self) -> None:
        status, html = self.request("/auth/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        form = {"username": self.username, "password": PASSWORD, "csrf_token": token}
        status, html = self.request("/auth/login", form)
        if status != 200 or "退出" not in html:
            raise RuntimeError(f"{self.username}: login failed ({status})")
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    def start(self) -> None:
        key = self.rng.choice(SCENARIOS)
        status, html = self.request(f"/play/start/{key}", {"mode": "practice"}, {"X-CSRFToken": self.csrf})
        if status != 200 or 'id="play-panel"' not in html:
            raise RuntimeError(f"{self.username}: start {key} failed ({status})")
        self.key, self.html = key, html
        self.attempt_url = urllib.parse.urlparse(self.last_url).path

    def reply(self) -> bool:
        """Send one reply; returns True when the attempt ended."""
        turn = re.search(r'name="turn" value="(\d+)"', self.html).group(1)
        token = re.search(r'name="client_token" value="(\w+)"', self.html).group(1)
        node = re.search(r'data-node="([^"]*)"', self.html).group(1)
        references = self.library[self.key].nodes[node].references
        text = self.rng.choice(references) if self.rng.random() < 0.8 else self.rng.choice(WEAK_REPLIES)
        started = time.perf_counter()
        status, html = self.request(
            self.attempt_url + "/reply", {"reply": text, "turn": turn, "client_token": token},
            {"X-CSRFToken": self.csrf, "HX-Request": "true"},
        )
        elapsed = time.perf_counter() - started
        if status != 200 or 'id="play-panel"' not in html:
            self.stats.error(f"{self.username}: reply -> {status}")
            return True
        self.stats.record(elapsed)
        self.html = html
        if 'data-ended="true"' in html:
            kind = re.search(r'class="card ending ending-(\w+)"', html)
            with self.stats.lock:
                name = kind.group(1) if kind else "?"
                self.stats.endings[name] = self.stats.endings.get(name, 0) + 1
            return True
        return False

    def run(self, until: float, think: tuple[float, float]) -> None:
        try:
            if not self.csrf:
                self.login()
            if not self.attempt_url or 'data-ended="true"' in self.html:
                self.start()
            while time.monotonic() < until:
                if think[1] > 0:
                    pause = self.rng.uniform(*think)
                    if time.monotonic() + pause >= until:
                        break
                    time.sleep(pause)
                if self.reply() and time.monotonic() < until:
                    self.start()
        except Exception as error:  # every failure counts as an error in the report
            self.stats.error(f"{self.username}: {type(error).__name__}: {error}")


def run_phase(trainees: list[Trainee], seconds: float, think: tuple[float, float]) -> tuple[Stats, float]:
    stats = Stats()
    for trainee in trainees:
        trainee.stats = stats
    began = time.monotonic()
    until = began + seconds
    threads = [threading.Thread(target=t.run, args=(until, think), daemon=True) for t in trainees]
    for thread in threads:
        thread.start()
        if think[1] > 0:
            time.sleep(think[0] / len(threads))  # spread the logins over the first think time
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return stats, time.monotonic() - began


def report(title: str, stats: Stats, seconds: float) -> None:
    latencies = sorted(stats.latencies)
    count = len(latencies)
    print(f"\n{title}")
    print(f"  replies: {count} in {seconds:.1f} s = {count / seconds:.1f} replies/s")
    if latencies:
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[min(count - 1, int(round(0.95 * count)) - 1)] * 1000
        print(f"  reply latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"  endings reached: {dict(sorted(stats.endings.items()))}")
    print(f"  errors: {len(stats.errors)}")
    for message in stats.errors[:10]:
        print(f"    {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the think-time phase")
    parser.add_argument("--saturation", type=float, default=20.0, help="seconds of the no-think-time phase")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import scenarios

    library = scenarios.load_library()
    workdir = Path(tempfile.mkdtemp(prefix="play-load-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    from simulator.config import normalise_database_url

    print(f"database: {url.split('@')[-1]}; trainees: {args.trainees}; gunicorn workers: {args.workers}")
    prepare_database(normalise_database_url(url), args.trainees)
    ready = workdir / "ready"
    ready.mkdir()
    conf = workdir / "gunicorn_conf.py"
    conf.write_text(GUNICORN_CONF, encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-" + "x" * 40,
        "GUANJIA_INSTANCE_PATH": str(workdir),
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "BENCH_SCENARIOS": ",".join(SCENARIOS),
        "BENCH_READY_DIR": str(ready),
        "PYTHONPATH": str(REPO),
    }
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")), "-c", str(conf), "-w", str(args.workers),
        "-b", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning", "simulator:create_app()",
    ]
    server = subprocess.Popen(gunicorn, cwd=REPO, env=env, start_new_session=True)
    try:
        began = time.monotonic()
        while len(list(ready.iterdir())) < args.workers:
            if server.poll() is not None:
                print("gunicorn exited early", file=sys.stderr)
                return 1
            if time.monotonic() - began > 600:
                print("workers did not warm up within 600 s", file=sys.stderr)
                return 1
            time.sleep(0.5)
        print(f"{args.workers} workers warm after {time.monotonic() - began:.0f} s")
        base = f"http://127.0.0.1:{port}"
        rng = random.Random(args.seed)
        trainees = [
            Trainee(base, f"bench{n:03d}", library, Stats(), random.Random(rng.random()))
            for n in range(args.trainees)
        ]
        stats, seconds = run_phase(trainees, args.duration, tuple(args.think))
        report(f"{args.trainees} trainees, think time {args.think[0]:g}–{args.think[1]:g} s", stats, seconds)
        saturation, sat_seconds = run_phase(trainees, args.saturation, (0.0, 0.0))
        report(f"saturation: {args.trainees} trainees, no think time", saturation, sat_seconds)
        return 0 if not stats.errors and not saturation.errors else 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
