"""Home pages (one per role) and the content overview."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func

import scenarios
import scoring

from ..content import current_content, current_version
from ..extensions import db
from ..models import Attempt, QuizAttempt, Role, Site, User
from ..reports.service import trainee_table, visible_site_ids
from ..security import any_role, public, roles_required

bp = Blueprint("main", __name__)


@bp.route("/")
@any_role
def home():
    """The signed-in user's home page, by role."""
    role = Role(current_user.role)
    if role is Role.TRAINEE:
        return render_template("main/home_trainee.html", **_trainee_summary(current_user))
    if role in (Role.TRAINER, Role.HR):
        site_ids = visible_site_ids(current_user)
        return render_template(
            f"main/home_{role.value}.html", trainees=trainee_table(site_ids), several_sites=len(site_ids) > 1
        )
    return render_template("main/home_admin.html", **_admin_summary())


@bp.route("/content")
@roles_required(Role.TRAINER, Role.ADMIN)
def content():
    """The loaded content library: scenarios and question bank, with their sources."""
    scenarios = current_content("scenario")
    questions = current_content("question")
    topics = Counter(q.data.get("topic", "") for q in questions)
    types = Counter(q.data.get("type", "") for q in questions)
    return render_template(
        "main/content.html",
        scenarios=scenarios,
        topics=sorted(topics.items()),
        types=types,
        question_count=len(questions),
        quizzes=current_content("quiz"),
    )


@bp.route("/content/scenarios/<key>")
@roles_required(Role.TRAINER, Role.ADMIN)
def scenario_detail(key: str):
    """One scenario for trainers: persona, every node with its lines, references and branches, the graph."""
    row = current_version("scenario", key)
    if row is None:
        abort(404)
    scenario = scenarios.Scenario.from_dict(row.data)
    return render_template(
        "main/scenario.html",
        row=row,
        s=scenario,
        mermaid=scenarios.to_mermaid(scenario),
        conditions={node.id: [branch_label(b) for b in node.branches] for node in scenario.nodes.values()},
        skills=scoring.SKILL_LABELS,
    )


def branch_label(branch: scenarios.Branch) -> str:
    condition = branch.when.describe() if branch.when is not None else "其他情况"
    change = f"情绪 {branch.emotion:+d}" if branch.emotion else "情绪不变"
    return f"{condition} → {change} → {branch.to}"


@bp.route("/healthz")
@public
def health():
    """Liveness probe: the process answers (restart it if not). Touches neither the model nor the database."""
    return {"status": "ok"}


@bp.route("/readyz")
@public
def ready():
    """Readiness probe for the load balancer: 200 only when the scoring model is loaded and the database answers."""
    from ..warmup import scoring_ready, start_background_warmup

    checks = {"scoring": scoring_ready(), "database": _database_answers()}
    if not checks["scoring"]:
        start_background_warmup()  # nothing warmed this process yet (flask run without GUANJIA_WARMUP)
    status = 200 if all(checks.values()) else 503
    response = jsonify(status="ready" if status == 200 else "not ready", checks=checks)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_answers() -> bool:
    try:
        db.session.execute(db.select(1))
    except Exception:  # any driver error means "not ready", never a 500
        db.session.rollback()
        return False
    return True


def _trainee_summary(user: User) -> dict:
    attempts = (
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.preview.is_(False))
            .order_by(Attempt.started_at.desc())
            .limit(5)
        )
        .scalars()
        .all()
    )
    quiz_attempts = (
        db.session.execute(
            db.select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id)
            .order_by(QuizAttempt.started_at.desc())
            .limit(5)
        )
        .scalars()
        .all()
    )
    finished = db.session.execute(
        db.select(func.count(Attempt.id), func.avg(Attempt.final_score)).where(
            Attempt.user_id == user.id, Attempt.finished_at.is_not(None), Attempt.preview.is_(False)
        )
    ).one()
    return {
        "recent_attempts": attempts,
        "recent_quizzes": quiz_attempts,
        "finished_count": finished[0],
        "average_score": round(finished[1]) if finished[1] is not None else None,
        "scenario_count": len(current_content("scenario")),
        "quiz_count": len(current_content("quiz")),
    }


def _admin_summary() -> dict:
    by_role = dict(db.session.execute(db.select(User.role, func.count(User.id)).group_by(User.role)).all())
    return {
        "by_role": by_role,
        "site_count": db.session.scalar(db.select(func.count(Site.id))),
        "scenario_count": len(current_content("scenario")),
        "question_count": len(current_content("question")),
    }
