"""Benchmark of the HR attempts export: 100,000 attempts to XLSX (and CSV) as a background job.

Seeds a temporary SQLite database (or ``DATABASE_URL``, which is emptied first: use a throwaway one)
by bulk insert: trainees across sites, scenario versions, attempts and their scored turns with a
realistic ``Turn.breakdown``. Then each export runs in a fresh child process, through the real
job path (``reports.exports.start_export`` with the job run in-process), and the child reports its
wall time, its row count and its peak RSS (``ru_maxrss``). Goal: <= 30 s and <= 300 MB.

    .venv/bin/python bench/export_attempts.py                      # 100,000 attempts, XLSX then CSV
    .venv/bin/python bench/export_attempts.py --attempts 20000 --formats xlsx
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIOS = [("leak-repeated", "complaint"), ("gas-leak", "emergency"), ("parking-fee", "inquiry"),
             ("noise-night", "complaint")]  # fmt: skip
SKILLS = ["listening", "empathy", "apology", "restating", "problem_solving", "time_commitment", "follow_up",
          "calming", "safety", "courtesy"]  # fmt: skip


def _config(url: str, folder: Path) -> dict:
    return {
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "JOBS_IMMEDIATE": True,
        "JOBS_FOLDER": str(folder / "jobs"), "RATELIMIT_ENABLED": False,
    }  # fmt: skip


def _breakdown(rng: random.Random, score: int) -> dict:
    """A Turn.breakdown shaped like ScoreResult.to_dict() (hits, misses, blockers, tone, feedback)."""
    hits = rng.sample(SKILLS, rng.randint(2, 5))
    misses = rng.sample([s for s in SKILLS if s not in hits], rng.randint(0, 3))
    return {
        "score": score, "band": "良好", "decided_by": "model", "grade": 2.1, "scorer_version": "bench0000",
        "semantic": {"best": 0.71, "reference": 1},
        "hits": [{"item": f"{s}_item", "label": f"{s} 要点", "skill": s, "span": "非常抱歉给您带来不便",
                  "start": 3, "end": 13, "via": "classifier", "credit": 1.0, "confidence": 0.82,
                  "evidence": f"c{n:04d}: 非常抱歉"} for n, s in enumerate(hits)],
        "misses": [{"item": f"{s}_item", "label": f"{s} 要点", "skill": s, "confidence": 0.31} for s in misses],
        "blockers": [], "wrong_facts": [], "tone": {"label": "礼貌", "score": 0.8},
        "feedback": "回复较好,还有提升空间。做到了:致歉、共情。还缺少:时限承诺。", "rubric": "complaint",
    }  # fmt: skip


def seed(url: str, folder: Path, attempts: int, turns_per: int) -> int:
    from sqlalchemy import insert

    from simulator import create_app
    from simulator.extensions import db
    from simulator.models import Attempt, ContentVersion, Role, Site, Turn, TurnSkill, User
    from simulator.reports.skills import skill_rows

    app = create_app(_config(url, folder))
    rng = random.Random(13)
    with app.app_context():
        db.drop_all()
        db.create_all()
        sites = [Site(name=f"第{i + 1}管理处") for i in range(5)]
        db.session.add_all(sites)
        db.session.flush()
        hr = User(username="bench-hr", display_name="基准管理员", role=Role.ADMIN.value, site_id=sites[0].id,
                  password_hash="x")  # fmt: skip
        db.session.add(hr)
        contents = []
        for key, category in SCENARIOS:
            row = ContentVersion(kind="scenario", key=key, version="v1", title=f"基准情景 {key}",
                                 data={"id": key, "category": category,
                                       "endings": {"resolved": {"kind": "resolved", "title": "业主接受处理方案"},
                                                   "escalated": {"kind": "escalated", "title": "矛盾升级"}}},
                                 )  # fmt: skip
            db.session.add(row)
            contents.append(row)
        db.session.flush()
        users = [{"username": f"GJ{n:05d}", "display_name": f"学员{n}", "role": Role.TRAINEE.value,
                  "site_id": sites[n % len(sites)].id, "password_hash": "x", "position": "管家"}
                 for n in range(1000)]  # fmt: skip
        db.session.execute(insert(User), users)
        user_ids = list(db.session.scalars(db.select(User.id).where(User.role == Role.TRAINEE.value)))
        hr_id = hr.id
        db.session.commit()
        start = datetime(2026, 1, 1)
        batch = 5000
        attempt_id = turn_id = 0
        for offset in range(0, attempts, batch):
            attempt_rows, turn_rows, tally_rows = [], [], []
            for _ in range(min(batch, attempts - offset)):
                attempt_id += 1
                content = contents[attempt_id % len(contents)]
                began = start + timedelta(minutes=attempt_id * 4)
                score = rng.randint(20, 98)
                attempt_rows.append({
                    "id": attempt_id, "user_id": rng.choice(user_ids), "content_id": content.id,
                    "scenario_key": content.key, "scenario_version": "v1",
                    "mode": "assessment" if attempt_id % 3 else "practice", "seed": attempt_id, "state": {},
                    "node_started_at": began, "started_at": began, "finished_at": began + timedelta(minutes=6),
                    "ending": "resolved" if score >= 55 else "escalated",
                    "ending_kind": "resolved" if score >= 55 else "escalated", "final_score": score,
                })  # fmt: skip
                for index in range(turns_per):
                    turn_id += 1
                    turn_score = max(0, min(100, score + rng.randint(-10, 10)))
                    breakdown = _breakdown(rng, turn_score)
                    # the tallies the app writes beside each turn as it is recorded (reports/skills.py)
                    tally_rows += skill_rows(turn_id, attempt_id, breakdown)
                    turn_rows.append({
                        "id": turn_id, "attempt_id": attempt_id, "index": index, "node": f"n{index}",
                        "resident_line": "你们怎么回事?",
                        "reply": "您好,非常抱歉给您带来不便,我马上安排维修师傅 30 分钟内上门。", "score": turn_score,
                        "band": "良好", "breakdown": breakdown, "elapsed_s": 20.0,
                        "emotion_after": 40, "shown_at": began, "submitted_at": began + timedelta(seconds=40),
                    })  # fmt: skip
            db.session.execute(insert(Attempt), attempt_rows)
            db.session.execute(insert(Turn), turn_rows)
            db.session.execute(insert(TurnSkill), tally_rows)
            db.session.commit()
        db.engine.dispose()
    return hr_id


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; ``ru_maxrss`` would include the parent's before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_export(url: str, folder: Path, user_id: int, fmt: str) -> None:
    """In the child process: one export through the job path; prints a JSON line of figures."""
    from simulator import create_app
    from simulator.extensions import db
    from simulator.jobs.core import jobs_folder
    from simulator.models import User
    from simulator.reports import exports
    from simulator.reports.service import parse_filters

    app = create_app(_config(url, folder))
    with app.test_request_context():
        before_mb = peak_rss_mb()  # the app and its imports
        user = db.session.get(User, user_id)
        f = parse_filters({"from": "2025-12-01", "to": "2026-12-31", "period": "month"}, user)
        began, cpu = time.perf_counter(), time.process_time()
        job = exports.start_export(user, "attempts", fmt, f)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        path = jobs_folder(app) / job.result_file if job.result_file else None
        print(json.dumps({
            "format": fmt, "status": job.status, "error": job.error, "rows": (job.result or {}).get("rows"),
            "seconds": round(seconds, 1), "cpu_s": round(cpu, 1), "before_mb": round(before_mb),
            "peak_rss_mb": round(peak_rss_mb()),
            "file_mb": round(path.stat().st_size / 1e6, 1) if path else None,
        }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=4, help="turns per attempt")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--child", nargs=4, metavar=("URL", "FOLDER", "USER", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, folder, user, fmt = args.child
        run_export(url, Path(folder), int(user), fmt)
        return
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        folder = Path(tmp)
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
        from simulator.config import normalise_database_url

        url = normalise_database_url(url)
        began = time.perf_counter()
        user_id = seed(url, folder, args.attempts, args.turns)
        print(f"seeded {args.attempts:,} attempts x {args.turns} turns in {time.perf_counter() - began:.1f} s "
              f"({url.split(':', 1)[0]})")  # fmt: skip
        for fmt in args.formats.split(","):
            load = os.getloadavg()[0]
            child = subprocess.run(
                [sys.executable, __file__, "--child", url, str(folder), str(user_id), fmt],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "HF_HUB_OFFLINE": "1"},
            )
            if child.returncode != 0:
                print(child.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{fmt} export crashed")
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            verdict = "ok" if figures["seconds"] <= 30 and figures["peak_rss_mb"] <= 300 else "OVER GOAL"
            print(f"{fmt}: {figures['rows']:,} rows in {figures['seconds']} s (CPU {figures['cpu_s']} s, "
                  f"load {load:.1f} before), peak RSS {figures['peak_rss_mb']} MB, "
                  f"(app alone {figures['before_mb']} MB), file {figures['file_mb']} MB, job {figures['status']} "
                  f"[{verdict}; goal <= 30 s, <= 300 MB]")  # fmt: skip
        print("load average after (1, 5, 15 min):", os.getloadavg(), "on", os.cpu_count(), "cores")


if __name__ == "__main__":
    main()
