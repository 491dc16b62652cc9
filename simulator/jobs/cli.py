"""``flask jobs worker`` (run queued jobs) and ``flask jobs purge`` (drop old results)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Job, utcnow
from .core import huey, jobs_folder

jobs_cli = AppGroup("jobs", help="Background jobs (exports, certificates, scorer retraining).")


@jobs_cli.command("worker")
@click.option("--workers", default=1, show_default=True, help="Jobs run at the same time (threads).")
def worker(workers: int) -> None:
    """Run queued jobs until stopped (Ctrl+C or SIGTERM finishes the running job first)."""
    if huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE 已开启:任务在提交时直接执行,无需 worker。")
    click.echo(f"任务 worker 已启动({workers} 个线程,队列 {type(huey.storage).__name__})")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False)
    consumer.run()


@jobs_cli.command("purge")
@click.option("--days", default=7, show_default=True, help="Delete finished jobs older than this.")
def purge(days: int) -> None:
    """Delete finished jobs older than ``--days`` and their result files."""
    cutoff = utcnow() - timedelta(days=days)
    old = db.session.scalars(db.select(Job).where(Job.finished_at.is_not(None), Job.finished_at < cutoff)).all()
    folder = jobs_folder(current_app)
    for job in old:
        shutil.rmtree(folder / job.id, ignore_errors=True)
        db.session.delete(job)
    db.session.commit()
    click.echo(f"已清理 {len(old)} 个已结束超过 {days} 天的任务。")
