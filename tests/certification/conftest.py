"""Certification fixtures: a small test library and programme (independent of the shipped content),
and factories for assessment attempts, turns and quiz attempts stored as the play and quiz services
store them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.certification.programme import Programme
from simulator.content import ContentItem, sync_content
from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, QuizAttempt, Turn, User, utcnow
from tests.certification.test_evaluate import programme_data

SCENARIOS = {
    "c1": ("漏水投诉", "complaint", ["empathy", "apology"]),
    "c2": ("停车投诉", "complaint", ["courtesy"]),
    "e1": ("电梯困人", "emergency", ["safety", "calming"]),
}


def load_world(approval: str = "auto", complaint_min: int = 70) -> Programme:
    """Store the test scenarios, the quiz q1 (3 attempts) and the test programme as current content."""
    sync_content("scenario", [
        ContentItem("scenario", key, title, {"id": key, "title": title, "category": category, "skills": skills,
                                             "difficulty": 1})
        for key, (title, category, skills) in SCENARIOS.items()
    ])
    sync_content("quiz", [ContentItem("quiz", "q1", "基础认证考核", {"id": "q1", "title": "基础认证考核",
                                                                  "max_attempts": 3, "mode": "assessment"})])
    programme = Programme.from_dict(programme_data(complaint_min=complaint_min, approval=approval))
    sync_content("programme", [ContentItem("programme", programme.id, programme.title, programme.to_dict(),
                                           "tests/test-ladder.yaml", programme.version)])
    return programme


def gen_attempt(user: User, key: str, score: int, finished_at: datetime | None = None, *, mode: str = "assessment",
                turns: list[dict] | None = None) -> Attempt:
    """A finished attempt with ``score`` as its stored final score (and optional scored turns)."""
    content = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.kind == "scenario", ContentVersion.key == key,
                                        ContentVersion.is_current.is_(True))
    ).scalar_one()
    finished_at = finished_at or utcnow() - timedelta(minutes=5)
    attempt = Attempt(user_id=user.id, content_id=content.id, scenario_key=key, scenario_version=content.version,
                      mode=mode, seed=1, state={}, started_at=finished_at - timedelta(minutes=3),
                      finished_at=finished_at, ending="resolved", ending_kind="resolved", final_score=score)
    db.session.add(attempt)
    db.session.flush()
    for index, breakdown in enumerate(turns or [], start=1):
        db.session.add(Turn(attempt_id=attempt.id, index=index, node="opening", resident_line="……", reply="……",
                            score=score, band="良好", breakdown=breakdown, elapsed_s=5.0, emotion_after=30,
                            shown_at=finished_at - timedelta(minutes=1), submitted_at=finished_at))
    db.session.commit()
    return attempt


def gen_quiz(user: User, passed: bool, at: datetime | None = None, score: float = 90.0) -> QuizAttempt:
    content = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.kind == "quiz", ContentVersion.key == "q1")
    ).scalar_one()
    at = at or utcnow() - timedelta(minutes=2)
    quiz = QuizAttempt(user_id=user.id, content_id=content.id, quiz_key="q1", mode="assessment", seed=1, questions=[],
                       started_at=at - timedelta(minutes=10), submitted_at=at, score=score if passed else 40.0,
                       passed=passed)
    db.session.add(quiz)
    db.session.commit()
    return quiz


def empathy_turn(value: float) -> dict:
    """A turn breakdown whose empathy items give ``value`` (0, 50 or 100)."""
    if value >= 100:
        return {"hits": [{"skill": "empathy", "credit": 1.0}], "misses": []}
    if value >= 50:
        return {"hits": [{"skill": "empathy", "credit": 1.0}], "misses": [{"skill": "empathy"}]}
    return {"hits": [], "misses": [{"skill": "empathy"}]}


def earn_basic(user: User) -> None:
    """The evidence the first test level needs: a passed complaint assessment and the quiz."""
    gen_attempt(user, "c1", 80)
    gen_quiz(user, True)


@pytest.fixture
def world(app):
    with app.app_context():
        load_world()
    return app
