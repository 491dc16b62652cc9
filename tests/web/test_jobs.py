"""Background jobs: progress, result download for its owner only, failures in Chinese, real queues."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from simulator.extensions import db
from simulator.jobs import JobError, huey, job_kind, submit
from simulator.jobs.core import storage_for
from simulator.models import Job, Role, User


@job_kind("test_write_file", label="测试导出")
def _write_file(ctx, *, rows: int) -> dict:
    path = ctx.result_path("测试导出.csv")
    with path.open("w", encoding="utf-8-sig") as fh:
        for i in range(rows):
            fh.write(f"{i},第{i}行\n")
            ctx.progress(i + 1, rows)
    return {"rows": rows}


@job_kind("test_fail", label="测试失败")
def _fail(ctx, *, why: str) -> None:
    if why == "user":
        raise JobError("筛选条件下没有数据,未生成文件。")
    raise RuntimeError("boom")


def _job(app, job_id: str) -> Job:
    with app.app_context():
        return db.session.get(Job, job_id)


def test_a_job_reports_progress_and_its_owner_downloads_the_result(app, client, auth):
    user = auth.login(Role.HR)
    with app.test_request_context():
        job = submit("test_write_file", user=db.session.get(User, user.id), rows=5)
        job_id = job.id
    job = _job(app, job_id)
    assert (job.status, job.done, job.total, job.result, job.percent) == ("done", 5, 5, {"rows": 5}, 100)

    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "已完成" in page and "下载 测试导出.csv" in page
    partial = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in partial  # a finished job stops polling

    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.data.decode("utf-8-sig").splitlines()[4] == "4,第4行"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()

    auth.logout()
    auth.login(Role.HR)  # another user of the same role
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_a_queued_job_polls_and_a_failed_one_says_why_in_chinese(app, client, auth):
    user = auth.login(Role.TRAINER)
    with app.app_context():
        queued = Job(id="f" * 32, kind="test_write_file", label="测试导出", user_id=user.id, params={"rows": 1})
        db.session.add(queued)
        db.session.commit()
    partial = client.get(f"/jobs/{'f' * 32}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "排队中" in partial and 'hx-trigger="every 1s"' in partial

    with app.test_request_context():
        owner = db.session.get(User, user.id)
        user_error = submit("test_fail", user=owner, why="user").id
        crash = submit("test_fail", user=owner, why="crash").id
    assert _job(app, user_error).error == "筛选条件下没有数据,未生成文件。"
    failed = _job(app, crash)
    assert failed.status == "failed" and "RuntimeError" in failed.error and "boom" not in failed.error
    page = client.get(f"/jobs/{crash}").get_data(as_text=True)
    assert "失败" in page and "请稍后重试" in page
    assert client.get(f"/jobs/{crash}/download").status_code == 404


def _drain_one(app, job_id: str) -> None:
    """What `flask jobs worker` does for one task: take it off the queue and execute it."""
    assert _job(app, job_id).status == "queued"
    task = huey.dequeue()
    assert task is not None, "the job was not queued"
    with app.app_context():
        huey.execute(task)


@pytest.mark.app_config(JOBS_IMMEDIATE=False)
def test_the_embedded_queue_keeps_jobs_in_sqlite_until_a_worker_runs_them(app, tmp_path):
    # create_app pointed the queue at JOBS_URL (a SQLite file in this test's folder, see conftest)
    with app.app_context():
        job_id = submit("test_write_file", user=None, rows=3).id
    assert (tmp_path / "jobs.sqlite3").exists() and huey.pending_count() == 1
    _drain_one(app, job_id)
    assert _job(app, job_id).status == "done"


def test_purge_drops_old_finished_jobs_and_their_files(app, runner):
    from datetime import timedelta

    from simulator.models import utcnow

    with app.test_request_context():
        old, recent = (submit("test_write_file", user=None, rows=1).id for _ in range(2))
        db.session.get(Job, old).finished_at = utcnow() - timedelta(days=30)
        db.session.commit()
    folder = Path(app.config["JOBS_FOLDER"])
    assert (folder / old).is_dir()
    result = runner.invoke(args=["jobs", "purge", "--days", "7"])
    assert "已清理 1 个" in result.output
    assert _job(app, old) is None and not (folder / old).exists()
    assert _job(app, recent).status == "done" and (folder / recent).is_dir()


def test_a_display_zone_that_does_not_exist_stops_the_app_at_start():
    from simulator import create_app
    from simulator.config import ConfigError

    with pytest.raises(ConfigError, match="DISPLAY_TZ 设置有误"):
        create_app({"TESTING": True, "DISPLAY_TZ": "Asia/Beijing-ish"})


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.app_config(JOBS_IMMEDIATE=False)
def test_the_scale_out_queue_runs_jobs_through_redis(app, redis_url):
    pytest.importorskip("redis")
    saved = huey.storage, huey._immediate
    try:
        huey._immediate, huey.storage = False, storage_for(redis_url)
        huey.flush()
        with app.app_context():
            job_id = submit("test_write_file", user=None, rows=2).id
        assert huey.pending_count() == 1
        _drain_one(app, job_id)
        assert _job(app, job_id).status == "done"
    finally:
        huey.storage, huey._immediate = saved


def test_an_unknown_jobs_url_is_refused_in_chinese():
    with pytest.raises(ValueError, match="JOBS_URL 不支持"):
        storage_for("mysql://x")
