"""Trainers' review: the queue, one attempt with its corrections, examples for the scorer, agreement."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from scoring import BANDS

from ..extensions import db
from ..models import Job, Role, ScorerExample, ScorerVersion, Site, Turn
from ..play import scores
from ..play.attempts import site_trainees
from ..play.debrief import debrief
from ..play.labels import ENDING_KIND_LABELS, MODES
from ..play.presenters import turn_view
from ..play.scorer import active_version
from ..security import roles_required
from . import agreement, corrections, learning
from . import labels as review_labels
from .corrections import ReviewError, Verdict
from .export import workbook_bytes
from .priority import uncertainty
from .queue import ORDERS, STATUS_LABELS, FilterError, Filters, attempt_status, review_queue, site_attempt

bp = Blueprint("review", __name__, url_prefix="/review")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
@roles_required(Role.TRAINER, Role.ADMIN)
def index():
    """Trainers start at the queue, admins at the agreement report."""
    if current_user.role == Role.ADMIN.value:
        return redirect(url_for("review.agreement_report"))
    return redirect(url_for("review.queue"))


@bp.route("/queue")
@roles_required(Role.TRAINER)
def queue():
    """The site's assessments to review, filtered, newest or least sure first."""
    error = ""
    try:
        filters = Filters.from_args(request.args)
    except FilterError as exc:
        error, filters = str(exc), Filters()
    page = review_queue(current_user, filters)
    return render_template(
        "review/queue.html", q=page, error=error, trainees=site_trainees(current_user), statuses=STATUS_LABELS,
        orders=ORDERS, modes=MODES, kinds=ENDING_KIND_LABELS,
    ), 422 if error else 200


def _attempt_page(attempt, *, blind: bool, status: int = 200, error: str = "", error_turn: int | None = None):
    d = debrief(attempt, readonly=True)
    scenario = d.play.scenario
    reviews = corrections.reviews_of(attempt, blind=False if blind else None)
    mine = {turn_id: [r for r in rs if r.reviewer_id == current_user.id]
            for turn_id, rs in corrections.reviews_of(attempt, blind=True).items()}
    # A blind marker sees the other reviews of a turn only once they have marked it, the audit and the
    # review status only once they have marked every turn.
    marked_all = blind and all(mine.get(turn.id) for turn in attempt.turns)
    turns = []
    names: dict[str, str] = {}  # rubric item and blocker ids -> labels, for the audit
    for turn in attempt.turns:
        view = turn_view(turn, scenario, automatic=blind)
        rubric = corrections.node_rubric(attempt, turn)
        if rubric:
            names.update({i.id: i.label for i in rubric.items})
            names.update({b.id: b.label for b in (*rubric.blockers, *rubric.added_blockers)})
        turns.append({
            "view": view, "turn": turn, "uncertainty": uncertainty(turn.automatic_breakdown),
            "reviews": [] if blind and not mine.get(turn.id) else reviews.get(turn.id, []),
            "mine": mine.get(turn.id, []),
            "blockers": [(b.id, b.label) for b in rubric.blockers] if rubric else [],
            "automatic": turn_view(turn, scenario, automatic=True),
        })
    examples = {row.turn_id: row for row in db.session.execute(
        db.select(ScorerExample).where(ScorerExample.turn_id.in_([t.id for t in attempt.turns]))
        .order_by(ScorerExample.id)
    ).scalars()}
    return render_template(
        "review/attempt.html", d=d, a=attempt, turns=turns, blind=blind, bands=BANDS, modes=MODES,
        status=STATUS_LABELS[attempt_status(attempt)], marked_all=marked_all,
        audit=[] if blind and not marked_all else corrections.audit_of(attempt), names=names,
        subject_label=review_labels.subject_label, audit_value=review_labels.audit_value,
        action_labels=review_labels.ACTION_LABELS,
        profile=scores.skill_profile(attempt.user_id), automatic_final=scores.automatic_final_score(attempt),
        examples=examples, error=error, error_turn=error_turn, kinds=learning.KINDS,
    ), status


@bp.route("/attempts/<int:attempt_id>")
@roles_required(Role.TRAINER)
def attempt(attempt_id: int):
    """One attempt: transcript, every score with its evidence, the references and the correction forms."""
    attempt = site_attempt(current_user, attempt_id)
    return _attempt_page(attempt, blind=request.args.get("blind") == "1")


def _turn_of(attempt, turn_id: int) -> Turn:
    turn = db.session.get(Turn, turn_id)
    if turn is None or turn.attempt_id != attempt.id:
        abort(404)
    return turn


@bp.route("/attempts/<int:attempt_id>/turns/<int:turn_id>", methods=["POST"])
@roles_required(Role.TRAINER)
def review_turn(attempt_id: int, turn_id: int):
    """Record 评分无误 or a correction of one turn (or a blind second marking)."""
    attempt = site_attempt(current_user, attempt_id)
    turn = _turn_of(attempt, turn_id)
    form = request.form
    blind = form.get("blind") == "1"
    verdict = Verdict(
        changed=form.get("verdict") == "wrong", band=form.get("band", ""), score=form.get("score", ""),
        items={key[5:]: value for key, value in form.items() if key.startswith("item-")},
        blockers={key[8:]: value for key, value in form.items() if key.startswith("blocker-")},
        reason=form.get("reason", ""),
    )
    try:
        corrections.review_turn(current_user, attempt, turn, verdict, blind=blind)
    except ReviewError as error:
        db.session.rollback()
        return _attempt_page(attempt, blind=blind, status=422, error=str(error), error_turn=turn.id)
    flash(f"第 {turn.index} 轮的复核已记录。", "success")
    target = url_for("review.attempt", attempt_id=attempt.id, blind="1" if blind else None)
    return redirect(f"{target}#turn-{turn.index}", code=303)


@bp.route("/attempts/<int:attempt_id>/confirm", methods=["POST"])
@roles_required(Role.TRAINER)
def confirm(attempt_id: int):
    """评分无误 for every turn not yet reviewed: the attempt is 已复核."""
    attempt = site_attempt(current_user, attempt_id)
    count = corrections.confirm_rest(current_user, attempt)
    flash(f"复核完成:{count} 轮确认评分无误。" if count else "每一轮都已复核过。", "success")
    return redirect(url_for("review.attempt", attempt_id=attempt.id), code=303)


@bp.route("/attempts/<int:attempt_id>/turns/<int:turn_id>/promote", methods=["POST"])
@roles_required(Role.TRAINER)
def promote(attempt_id: int, turn_id: int):
    """Make the reviewed reply a labelled example (or a node reference) and start its regression report."""
    attempt = site_attempt(current_user, attempt_id)
    turn = _turn_of(attempt, turn_id)
    try:
        example, _job = learning.promote(current_user, turn, request.form.get("kind", "example"))
    except ReviewError as error:
        db.session.rollback()
        return _attempt_page(attempt, blind=False, status=422, error=str(error), error_turn=turn.id)
    return redirect(url_for("review.example", example_id=example.id), code=303)


def _own_example(example_id: int) -> ScorerExample:
    example = db.get_or_404(ScorerExample, example_id)
    if example.site_id != current_user.site_id:
        abort(404)
    return example


@bp.route("/examples/<int:example_id>")
@roles_required(Role.TRAINER)
def example(example_id: int):
    """A candidate example: the retraining's progress, then its regression report and 保存 / 放弃."""
    example = _own_example(example_id)
    template = "review/_candidate.html" if request.headers.get("HX-Request") else "review/example.html"
    turn = db.session.get(Turn, example.turn_id) if example.turn_id else None
    return render_template(template, turn=turn, **_candidate(example))


def _candidate(example: ScorerExample) -> dict:
    version = learning.report_of(example)
    report = (version.report or {}) if version else {}
    changed = report.get("changed", [])
    improved, worsened = set(report.get("improved", [])), set(report.get("worsened", []))
    return {
        "example": example, "job": learning.latest_job(example), "version": version, "report": report,
        "improved": [c for c in changed if c["example"] in improved],
        "worsened": [c for c in changed if c["example"] in worsened],
        "other": [c for c in changed if c["example"] not in improved | worsened], "kinds": learning.KINDS,
    }


@bp.route("/examples/<int:example_id>/save", methods=["POST"])
@roles_required(Role.TRAINER)
def save_example(example_id: int):
    """Save the example after its regression report; its model scores new replies from now on."""
    example = _own_example(example_id)
    try:
        version = learning.save(current_user, example)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("review.example", example_id=example.id), code=303)
    flash(f"已保存{learning.KINDS[example.kind]},评分模型 {version.version} 已启用。", "success")
    return redirect(url_for("review.example", example_id=example.id), code=303)


@bp.route("/examples/<int:example_id>/discard", methods=["POST"])
@roles_required(Role.TRAINER)
def discard_example(example_id: int):
    """Drop the candidate; the scorer stays as it is."""
    example = _own_example(example_id)
    try:
        learning.discard(current_user, example)
    except ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("review.example", example_id=example.id), code=303)


@bp.route("/scorer")
@roles_required(Role.TRAINER, Role.ADMIN)
def scorer():
    """The scorer in use, the saved examples and the retrained versions."""
    versions = list(db.session.execute(db.select(ScorerVersion).order_by(ScorerVersion.id.desc()).limit(20)).scalars())
    job_id = request.args.get("job", "")
    job = db.session.get(Job, job_id) if job_id else None
    if job is not None and job.user_id != current_user.id:
        job = None
    return render_template(
        "review/scorer.html", active=active_version(), versions=versions, saved=learning.saved_rows(), job=job,
        basis=[row.id for row in learning.saved_rows()], kinds=learning.KINDS,
    )


@bp.route("/scorer/rebuild", methods=["POST"])
@roles_required(Role.TRAINER, Role.ADMIN)
def rebuild():
    """Retrain from the saved examples (after a fresh install, or when the repository's corpus changed)."""
    job = learning.rebuild(current_user)
    return redirect(url_for("review.scorer", job=job.id), code=303)


@bp.route("/scorer/versions/<int:version_id>/activate", methods=["POST"])
@roles_required(Role.TRAINER, Role.ADMIN)
def activate(version_id: int):
    """Put a retrained version in use (only while it was trained on exactly the saved examples)."""
    version = db.get_or_404(ScorerVersion, version_id)
    try:
        learning.activate(current_user, version)
        db.session.commit()
        flash(f"评分模型 {version.version} 已启用。", "success")
    except ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("review.scorer"), code=303)


def _report_scope():
    """(site id or None for all sites, title): trainers see their site, admins any site or all."""
    if current_user.role == Role.ADMIN.value:
        site_id = request.args.get("site", type=int)
        site = db.session.get(Site, site_id) if site_id else None
        return (site.id, site.name) if site else (None, "全部项目")
    return current_user.site_id, current_user.site.name


@bp.route("/agreement")
@roles_required(Role.TRAINER, Role.ADMIN)
def agreement_report():
    """Agreement of trainers with the scorer (and with each other), with charts."""
    site_id, title = _report_scope()
    report = agreement.build_report(agreement.marks(site_id))
    sites = list(db.session.execute(db.select(Site).order_by(Site.name)).scalars()) \
        if current_user.role == Role.ADMIN.value else []
    return render_template("review/agreement.html", r=report, title=title, sites=sites, site_id=site_id,
                           bands=agreement.RANKED_BANDS)


@bp.route("/agreement.xlsx")
@roles_required(Role.TRAINER, Role.ADMIN)
def agreement_xlsx():
    """The agreement report as an Excel workbook."""
    site_id, title = _report_scope()
    data = workbook_bytes(agreement.build_report(agreement.marks(site_id)), title)
    response = send_file(io.BytesIO(data), as_attachment=True, download_name="评分一致性报告.xlsx", mimetype=XLSX)
    response.headers["Cache-Control"] = "no-store"
    return response
