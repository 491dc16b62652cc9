"""Home pages (one per role) and the content overview."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import func

import scenarios
import scoring

from ..content import current_content, current_version
from ..extensions import db
from ..models import Attempt, QuizAttempt, Role, Site, User
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
        return render_template(f"main/home_{role.value}.html", trainees=_site_trainees(current_user.site_id))
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
    """Liveness probe for the load balancer: checks the database answers."""
    db.session.execute(db.select(1))
    return {"status": "ok"}


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


def _site_trainees(site_id: int) -> list[dict]:
    trainees = (
        db.session.execute(
            db.select(User).where(User.site_id == site_id, User.role == Role.TRAINEE.value).order_by(User.username)
        )
        .scalars()
        .all()
    )
    rows = []
    for trainee in trainees:
        played, best = db.session.execute(
            db.select(func.count(Attempt.id), func.max(Attempt.final_score)).where(
                Attempt.user_id == trainee.id, Attempt.finished_at.is_not(None), Attempt.preview.is_(False)
            )
        ).one()
        quizzes, passed = db.session.execute(
            db.select(
                func.count(QuizAttempt.id), func.count(QuizAttempt.id).filter(QuizAttempt.passed.is_(True))
            ).where(QuizAttempt.user_id == trainee.id, QuizAttempt.submitted_at.is_not(None))
        ).one()
        rows.append({"user": trainee, "played": played, "best": best, "quizzes": quizzes, "passed": passed})
    return rows


def _admin_summary() -> dict:
    by_role = dict(db.session.execute(db.select(User.role, func.count(User.id)).group_by(User.role)).all())
    return {
        "by_role": by_role,
        "site_count": db.session.scalar(db.select(func.count(Site.id))),
        "scenario_count": len(current_content("scenario")),
        "question_count": len(current_content("question")),
    }
