"""The job queue: Huey storage chosen from the app's configuration, job rows, progress and results."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import update

from ..extensions import db
from ..models import Job, JobStatus, User, utcnow

log = logging.getLogger(__name__)

# One queue per process. Its storage is set by init_app() from JOBS_URL; until then (and with
# JOBS_IMMEDIATE) it runs every task at once, in memory.
huey = Huey("guanjia", immediate=True)


class JobError(Exception):
    """A failure the job reports to its user as it is (a Chinese sentence)."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    func: Callable[..., Any]


_KINDS: dict[str, JobKind] = {}
_state: dict[str, Flask] = {}


def job_kind(name: str, *, label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(ctx, **params)`` as the job kind ``name`` (label shown to users, in Chinese)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _KINDS and _KINDS[name].func is not func:
            raise ValueError(f"job kind {name!r} registered twice")
        _KINDS[name] = JobKind(name, label, func)
        return func

    return register


def init_app(app: Flask) -> None:
    """Point the queue at the configured storage and remember the app the worker runs jobs in.

    ``JOBS_IMMEDIATE`` runs jobs inside ``submit()`` (tests); ``JOBS_URL`` is ``sqlite:///<path>``
    (default: ``instance/jobs.sqlite3``) or ``redis://host:port/db``.
    """
    from .cli import jobs_cli

    _state["app"] = app
    if "jobs" not in app.cli.commands:
        app.cli.add_command(jobs_cli)
    app.extensions["guanjia_jobs"] = huey
    if app.config.get("JOBS_IMMEDIATE"):
        huey._immediate = True
        if not isinstance(huey.storage, MemoryStorage):
            huey.storage = MemoryStorage(huey.name)
        return
    url = app.config.get("JOBS_URL") or "sqlite:///" + str(Path(app.instance_path) / "jobs.sqlite3")
    huey._immediate = False
    huey.storage = storage_for(url)


def storage_for(url: str):
    """The Huey storage for a ``sqlite:///path`` or ``redis://`` URL."""
    if url.startswith("sqlite:///"):
        return SqliteStorage(huey.name, filename=url[len("sqlite:///") :])
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(huey.name, url=url)
    raise ValueError(f"JOBS_URL 不支持:{url}(应为 sqlite:///路径 或 redis://主机:端口/库号)")


def jobs_folder(app: Flask) -> Path:
    """Where job results (export files, certificates) are written: ``instance/jobs/<job id>/``."""
    return Path(app.config.get("JOBS_FOLDER") or Path(app.instance_path) / "jobs")


class JobContext:
    """What a running job may do: report progress, write its result file, return a small result."""

    def __init__(self, job: Job, app: Flask):
        self.job_id = job.id
        self.params = dict(job.params or {})
        self.user_id = job.user_id
        self.folder = jobs_folder(app) / job.id
        self.result_name: str | None = None  # set by result_path(): the download's name

    @property
    def user(self) -> User | None:
        return db.session.get(User, self.user_id) if self.user_id is not None else None

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Record progress at once, in its own transaction (the page polls it)."""
        values: dict[str, Any] = {"done": int(done)}
        if total is not None:
            values["total"] = int(total)
        if message is not None:
            values["message"] = message[:200]
        with db.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == self.job_id).values(**values))

    def result_path(self, name: str) -> Path:
        """The file this job's result goes to (its download name is ``name``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.result_name = name
        return self.folder / _safe_file_name(name)


def _safe_file_name(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return keep.strip("._") or "result"


def submit(kind: str, *, user: User | None, **params: Any) -> Job:
    """Record a job and queue it (with JOBS_IMMEDIATE it has run when this returns).

    ``params`` must be JSON values: they are stored on the job row and passed to the job function.
    """
    if kind not in _KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        label=_KINDS[kind].label,
        user_id=user.id if user is not None else None,
        params=params,
        status=JobStatus.QUEUED.value,
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    execute(job_id)
    db.session.expire_all()
    return db.session.get(Job, job_id)


@huey.task(name="guanjia.run_job")
def execute(job_id: str) -> None:
    """The Huey task: run one job row inside the app (the worker's or, when immediate, a fresh context)."""
    app = current_app._get_current_object() if has_app_context() else _state.get("app")
    if app is None:
        from .. import create_app

        app = create_app()
    with app.app_context():
        run_job(job_id)


def run_job(job_id: str) -> None:
    """Run the job now in the current app context; its row says how it went."""
    app = current_app._get_current_object()
    job = db.session.get(Job, job_id)
    if job is None:
        log.warning("job %s vanished before it ran", job_id)
        return
    if job.finished:
        return  # a redelivered task: it ran already
    kind = _KINDS.get(job.kind)
    job.status = JobStatus.RUNNING.value
    job.started_at = utcnow()
    db.session.commit()
    ctx = JobContext(job, app)
    try:
        if kind is None:
            raise JobError(f"未知的任务类型:{job.kind}")
        outcome = kind.func(ctx, **ctx.params)
    except Exception as exc:  # the job's row records every failure; the worker keeps running
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status = JobStatus.FAILED.value
        job.error = (
            str(exc) if isinstance(exc, JobError) else f"任务出错({type(exc).__name__}),请稍后重试或联系管理员。"
        )
        job.finished_at = utcnow()
        db.session.commit()
        if not isinstance(exc, JobError):
            log.exception("job %s (%s) failed", job_id, job.kind)
        shutil.rmtree(ctx.folder, ignore_errors=True)
        return
    db.session.refresh(job)  # progress() wrote done/total on its own connection
    job.status = JobStatus.DONE.value
    job.finished_at = utcnow()
    if job.total is not None:
        job.done = job.total
    if ctx.result_name is not None:
        job.result_name = ctx.result_name
        job.result_file = str(Path(job.id) / _safe_file_name(ctx.result_name))
    if isinstance(outcome, dict):
        job.result = outcome
    db.session.commit()
