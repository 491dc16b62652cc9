"""Background jobs: exports, certificates and scorer retraining never run inside a web request.

A job is a row in the ``job`` table (who asked, what, progress, result file, error) plus a Huey task
that runs it. Huey (a small, well-kept task queue) keeps its queue in SQLite next to the app database
by default (``instance/jobs.sqlite3``: the embedded set-up, one ``flask jobs worker`` process beside the
web server) and in Redis when ``JOBS_URL=redis://...`` (the scale-out path: any number of workers
on any host). With ``JOBS_IMMEDIATE`` (tests) a job runs synchronously inside ``submit()``.

Define a job kind once::

    @job_kind("export_attempts", label="导出演练记录")
    def export_attempts(ctx: JobContext, *, site_ids: list[int]) -> None:
        path = ctx.result_path("演练记录.xlsx")
        ... ctx.progress(done, total) ...

and start it from a view with ``submit("export_attempts", user=current_user, site_ids=[...])``.
The page then shows ``jobs/_progress.html`` for the returned job, which polls until it is done.
"""

from __future__ import annotations

from .core import (
    JobContext,
    JobError,
    huey,
    init_app,
    job_kind,
    run_job,
    submit,
)

__all__ = [
    "JobContext",
    "JobError",
    "huey",
    "init_app",
    "job_kind",
    "run_job",
    "submit",
]
