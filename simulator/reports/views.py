"""HR reports: the dashboard (filters applied with htmx), drill-downs, exports as jobs, HR site assignment."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

import scoring

from ..extensions import db
from ..models import Role, Site, User
from ..security import roles_required
from . import charts, exports, service
from .forms import ExportForm, HrSitesForm
from .service import FilterError

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORT_ROLES = (Role.HR, Role.ADMIN)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.after_request
def _vary(response):
    response.vary.add("HX-Request")
    return response


def _filters_or_errors():
    """The filters from the query string, or (None, errors) when they cannot be used."""
    try:
        return service.parse_filters(request.args, current_user), []
    except FilterError as exc:
        return None, exc.errors


def _page(template: str, partial: str, status: int = 200, **context):
    """The page, or for htmx only the part below the filters (one template shared by both)."""
    return render_template(partial if _is_htmx() else template, **context), status


def _filter_context(f: service.Filters | None) -> dict:
    sites = service.visible_sites(current_user)
    return {
        "f": f,
        "sites": sites,
        "positions": service.positions([site.id for site in sites]),
        "categories": service.CATEGORY_LABELS,
        "modes": service.MODES,
        "periods": service.PERIODS,
        "cert_levels": service.cert_levels(),
        "cert_filters": service.CERT_FILTERS,
        "cert_states": service.CERT_STATES,
        "args": request.args,
    }


@bp.route("/")
@roles_required(*REPORT_ROLES)
def dashboard():
    """The HR dashboard: figures, trend and skill charts, scenario and trainee tables, exports."""
    f, errors = _filters_or_errors()
    if f is None:
        return _page(
            "reports/dashboard.html", "reports/_body.html", 422, errors=errors, board=None, **_filter_context(None)
        )
    board = service.dashboard(f)
    return _page(
        "reports/dashboard.html",
        "reports/_body.html",
        errors=[],
        board=board,
        trend=charts.trend_chart(board.trend),
        skill_chart=charts.skill_chart(board.skills),
        cert_chart=charts.cert_chart(board.certs),
        cert_trend_chart=charts.cert_trend_chart(board.cert_trend, [fig.level for fig in board.certs]),
        lrs=exports.lrs_configured(),
        **_filter_context(f),
    )


@bp.route("/trainees/<int:trainee_id>")
@roles_required(*REPORT_ROLES)
def trainee(trainee_id: int):
    """One trainee's record: attempts with skill scores and 复核, quiz results, skill profile, certificates, reviews."""
    person = service.scoped_trainee(current_user, trainee_id)
    if person is None:
        abort(404)
    f, errors = _filters_or_errors()
    if f is None:
        return render_template(
            "reports/trainee.html", errors=errors, record=None, person=person, **_filter_context(None)
        ), 422
    record = service.trainee_record(person, f)
    return render_template(
        "reports/trainee.html",
        errors=[],
        record=record,
        person=person,
        skill_chart=charts.skill_chart(record.skills),
        review_labels=service.REVIEW_LABELS,
        **_filter_context(f),
    )


@bp.route("/scenarios/<key>")
@roles_required(*REPORT_ROLES)
def scenario(key: str):
    """One scenario across the chosen sites."""
    if key not in service.scenario_titles():
        abort(404)
    f, errors = _filters_or_errors()
    if f is None:
        return render_template("reports/scenario.html", errors=errors, report=None, **_filter_context(None)), 422
    report = service.scenario_report(key, f)
    return render_template(
        "reports/scenario.html",
        errors=[],
        report=report,
        skill_chart=charts.skill_chart(report.skills),
        **_filter_context(f),
    )


@bp.route("/skills/<skill>")
@roles_required(*REPORT_ROLES)
def skill(skill: str):
    """One skill across the chosen sites: by scenario and by trainee, weakest first."""
    if skill not in scoring.SKILL_LABELS:
        abort(404)
    f, errors = _filters_or_errors()
    if f is None:
        return render_template("reports/skill.html", errors=errors, report=None, **_filter_context(None)), 422
    return render_template("reports/skill.html", errors=[], report=service.skill_report(skill, f), **_filter_context(f))


@bp.route("/exports", methods=["POST"])
@roles_required(*REPORT_ROLES)
def export():
    """Start an export job with the current filters; htmx gets its progress bar, others its page."""
    form = ExportForm()
    if not form.validate_on_submit():
        message = "；".join(error for errors in form.errors.values() for error in errors) or "导出请求无效。"
        return render_template("reports/_export_error.html", message=message), 422
    try:
        f = service.parse_filters(request.form, current_user)
    except FilterError as exc:
        return render_template("reports/_export_error.html", message="；".join(exc.errors)), 422
    try:
        job = exports.start_export(current_user, form.kind.data, form.format.data, f)
    except exports.ExportRefused as exc:
        return render_template("reports/_export_error.html", message=str(exc)), 422
    if _is_htmx():
        return render_template("jobs/_progress.html", job=job)
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


@bp.route("/exports")
@roles_required(*REPORT_ROLES)
def export_log():
    """The export audit: who exported what, when, with which filters and how many rows."""
    return render_template(
        "reports/exports.html",
        rows=exports.recent_exports(current_user, 200),
        kinds=exports.KIND_LABELS,
        formats=exports.FORMAT_LABELS,
    )


@bp.route("/access", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def access():
    """Admins choose the further sites each HR user reports on (group-level HR)."""
    sites = list(db.session.scalars(db.select(Site).order_by(Site.name)))
    hr_users = list(db.session.scalars(db.select(User).where(User.role == Role.HR.value).order_by(User.username)))
    form = HrSitesForm()
    form.user_id.choices = [SelectChoice(u.id, u.username) for u in hr_users]
    form.sites.choices = [SelectChoice(s.id, s.name) for s in sites]
    if request.method == "POST":
        if form.validate_on_submit():
            person = db.session.get(User, form.user_id.data)
            service.set_hr_sites(person, form.sites.data or [])
            db.session.commit()
            flash(f"已更新 {person.username} 的管辖项目。", "success")
            return redirect(url_for("reports.access"), code=303)
        flash("保存失败:" + "；".join(e for errors in form.errors.values() for e in errors), "error")
    assigned = {u.id: set(service.hr_site_ids(u)) for u in hr_users}
    status = 422 if request.method == "POST" else 200
    return render_template("reports/access.html", hr_users=hr_users, sites=sites, assigned=assigned, form=form), status


@bp.app_template_filter("export_filters")
def export_filters_label(filters: dict) -> str:
    """A one-line Chinese summary of stored export filters (the audit page)."""
    return exports.describe_filters(filters)
