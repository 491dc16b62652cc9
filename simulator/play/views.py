"""Scenario play: the catalogue, the live conversation (htmx), the debrief and the trainers' review."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user

import scoring

from ..extensions import db
from ..models import Attempt, Role
from ..security import roles_required
from . import service

bp = Blueprint("play", __name__, url_prefix="/play")

# Who may play an attempt they own: trainees, and trainers/admins for the 试玩 (preview) attempts the
# authoring pages start for them. Only trainees can start a counted attempt (``start``).
PLAYERS = (Role.TRAINEE, Role.TRAINER, Role.ADMIN)

NOTICES = {
    ("duplicate", True): "这条回复已经记录过了,不会重复计分。",
    ("duplicate", False): "这一轮已经在其他窗口作答过,下面是已记录的内容。",
    ("stale", True): "页面内容已过期,已为您显示最新进度。",
    ("ended", True): "本次演练已经结束。",
}


def _own_attempt(attempt_id: int):
    """The user's attempt: a trainee's own, or a trainer's / admin's own 试玩 preview (else 403)."""
    if current_user.role == Role.TRAINEE.value:
        return service.own_attempt(current_user, attempt_id)
    attempt = db.get_or_404(Attempt, attempt_id)
    if not (attempt.preview and attempt.user_id == current_user.id):
        abort(403)
    return attempt


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.after_request
def _vary(response):
    # The app adds ``Vary: HX-Request`` to htmx responses; the full pages need it as well.
    if not request.headers.get("HX-Request"):
        response.vary.add("HX-Request")
    return response


def _panel(view: service.PlayView, status: int = 200):
    """The conversation panel: the fragment alone for htmx, else the whole page."""
    template = "play/_turn.html" if _is_htmx() else "play/play.html"
    return render_template(template, v=view), status


@bp.route("/")
@roles_required(Role.TRAINEE)
def catalogue():
    """The scenario catalogue, filterable by category and skill."""
    category = request.args.get("category", "")
    skill = request.args.get("skill", "")
    return render_template(
        "play/catalogue.html", cards=service.catalogue(current_user, category, skill),
        category=category, skill=skill, categories=service.CATEGORY_LABELS, skills=scoring.SKILL_LABELS,
        modes=service.MODES,
    )


@bp.route("/start/<key>", methods=["POST"])
@roles_required(Role.TRAINEE)
def start(key: str):
    """Start a new attempt in the chosen mode."""
    attempt = service.start_attempt(current_user, key, request.form.get("mode", "practice"))
    return redirect(url_for("play.attempt", attempt_id=attempt.id), code=303)


@bp.route("/attempts/<int:attempt_id>")
@roles_required(*PLAYERS)
def attempt(attempt_id: int):
    """The conversation, resumed where it stands; a finished attempt shows its debrief."""
    attempt = _own_attempt(attempt_id)
    if attempt.finished_at is not None and not _is_htmx():
        return redirect(url_for("play.debrief", attempt_id=attempt.id))
    return _panel(service.play_view(attempt))


@bp.route("/attempts/<int:attempt_id>/reply", methods=["POST"])
@roles_required(*PLAYERS)
def reply(attempt_id: int):
    """Judge one reply (committed before the response) and show the next turn."""
    attempt = _own_attempt(attempt_id)
    text = request.form.get("reply", "")
    try:
        outcome = service.submit_reply(
            attempt, text, request.form.get("turn", type=int) or 0, request.form.get("client_token", "")
        )
    except service.ReplyError as error:
        view = service.play_view(attempt)
        view.error, view.draft = str(error), text
        return _panel(view, 200 if _is_htmx() else 422)
    if not _is_htmx():
        return redirect(url_for("play.attempt", attempt_id=attempt.id), code=303)
    view = service.play_view(attempt)
    view.notice = NOTICES.get((outcome.status, outcome.same_token), "")
    if outcome.turn is not None:
        view.feedback = service.turn_view(outcome.turn, view.scenario)
    return _panel(view)


@bp.route("/attempts/<int:attempt_id>/expire", methods=["POST"])
@roles_required(*PLAYERS)
def expire(attempt_id: int):
    """The page's countdown reached zero: apply the timeout rule if the server's clock agrees."""
    attempt = _own_attempt(attempt_id)
    outcome = service.expire_turn(
        attempt, request.form.get("turn", type=int) or 0, request.form.get("client_token", "")
    )
    if outcome.status == "not_due":
        remaining = service.play_view(attempt).remaining_s or 0
        response = make_response("", 204)
        response.headers["X-Play-Remaining"] = f"{remaining:.2f}"
        return response
    if not _is_htmx():
        return redirect(url_for("play.attempt", attempt_id=attempt.id), code=303)
    view = service.play_view(attempt)
    if outcome.status != "recorded":
        view.notice = NOTICES.get((outcome.status, outcome.same_token), "")
    return _panel(view)


@bp.route("/attempts/<int:attempt_id>/debrief")
@roles_required(*PLAYERS)
def debrief(attempt_id: int):
    """The debrief of a finished attempt."""
    attempt = _own_attempt(attempt_id)
    if attempt.finished_at is None:
        return redirect(url_for("play.attempt", attempt_id=attempt.id))
    return render_template("play/debrief.html", d=service.debrief(attempt), modes=service.MODES)


@bp.route("/review")
@roles_required(Role.TRAINER, Role.HR)
def review():
    """The attempts of the site's trainees (read-only)."""
    trainee_id = request.args.get("trainee", type=int)
    return render_template(
        "play/review.html", attempts=service.site_attempts(current_user, trainee_id),
        trainees=service.site_trainees(current_user), trainee_id=trainee_id, modes=service.MODES,
        kinds=service.ENDING_KIND_LABELS,
    )


@bp.route("/review/<int:attempt_id>")
@roles_required(Role.TRAINER, Role.HR)
def review_attempt(attempt_id: int):
    """One trainee attempt, read-only (finished or still in progress)."""
    attempt = service.reviewable_attempt(current_user, attempt_id)
    return render_template(
        "play/debrief.html", d=service.debrief(attempt, readonly=True), modes=service.MODES,
    )
