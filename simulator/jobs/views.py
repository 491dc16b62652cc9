"""A job's page: progress (polled with htmx while it runs), its error, and its download."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user

from ..extensions import db
from ..models import Job, Role
from ..security import any_role
from .core import jobs_folder

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _own_job(job_id: str) -> Job:
    """The job, if the signed-in user started it (admins see every job); 404 otherwise."""
    job = db.session.get(Job, job_id)
    if job is None or (job.user_id != current_user.id and current_user.role != Role.ADMIN.value):
        abort(404)
    return job


@bp.route("/<job_id>")
@any_role
def show(job_id: str):
    job = _own_job(job_id)
    if request.headers.get("HX-Request"):
        return render_template("jobs/_progress.html", job=job)
    return render_template("jobs/show.html", job=job)


@bp.route("/<job_id>/download")
@any_role
def download(job_id: str):
    job = _own_job(job_id)
    if job.status != "done" or not job.result_file:
        abort(404)
    path = (jobs_folder(current_app) / job.result_file).resolve()
    if not path.is_file() or jobs_folder(current_app).resolve() not in path.parents:
        abort(404)
    response = send_file(path, as_attachment=True, download_name=job.result_name or path.name)
    response.headers["Cache-Control"] = "no-store"
    return response
