"""Factories for report tests: sites, trainees, attempts with scored turns, quiz attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, QuizAttempt, Turn, User
from tests.conftest import gen_user

SCENARIOS = {
    "test-leak": ("测试:楼上漏水", "complaint"),
    "test-fire": ("测试:楼道起火", "emergency"),
}


def content(kind: str, key: str) -> ContentVersion:
    row = db.session.execute(
        db.select(ContentVersion).filter_by(kind=kind, key=key, is_current=True)
    ).scalar_one_or_none()
    if row is None:
        if kind == "scenario":
            title, category = SCENARIOS[key]
            data = {
                "id": key,
                "title": title,
                "category": category,
                "endings": {
                    "resolved": {"kind": "resolved", "title": "业主接受处理方案"},
                    "escalated": {"kind": "escalated", "title": "业主扬言投诉"},
                },
            }
        else:
            title, data = "测试测验", {"id": key, "title": "测试测验", "mode": "assessment"}
        row = ContentVersion(kind=kind, key=key, version="v1", title=title, data=data)
        db.session.add(row)
        db.session.flush()
    return row


def breakdown(hits: list[str], misses: list[str], **extra) -> dict:
    return {
        "score": 0,
        "hits": [{"item": f"i{n}", "skill": skill, "label": skill} for n, skill in enumerate(hits)],
        "misses": [{"item": f"m{n}", "skill": skill, "label": skill} for n, skill in enumerate(misses)],
        "blockers": extra.pop("blockers", []),
        "decided_by": extra.pop("decided_by", "model"),
        **extra,
    }


def make_attempt(
    user: User,
    key: str = "test-leak",
    *,
    started: datetime,
    score: int | None = 80,
    mode: str = "assessment",
    turns: list[tuple[int, list[str], list[str]]] | None = None,
    ending_kind: str = "resolved",
    reply: str = "您好,非常抱歉给您添麻烦了",
) -> Attempt:
    row = content("scenario", key)
    finished = score is not None
    attempt = Attempt(
        user_id=user.id,
        content_id=row.id,
        scenario_key=key,
        scenario_version="v1",
        mode=mode,
        seed=1,
        state={},
        started_at=started,
        node_started_at=started,
        finished_at=started + timedelta(minutes=5) if finished else None,
        ending=ending_kind if finished else None,
        ending_kind=ending_kind if finished else None,
        final_score=score,
    )
    db.session.add(attempt)
    db.session.flush()
    for index, (turn_score, hits, misses) in enumerate(turns or [(score or 50, ["apology"], ["follow_up"])]):
        db.session.add(
            Turn(
                attempt_id=attempt.id,
                index=index,
                node=f"n{index}",
                resident_line="你们怎么回事?",
                reply=reply,
                score=turn_score,
                band="合格",
                breakdown=breakdown(hits, misses),
                elapsed_s=12.5,
                emotion_after=40,
                shown_at=started,
                submitted_at=started + timedelta(seconds=30),
            )
        )
    db.session.commit()
    return attempt


def make_quiz(user: User, *, started: datetime, score: float = 80.0, passed: bool = True) -> QuizAttempt:
    row = content("quiz", "test-quiz")
    attempt = QuizAttempt(
        user_id=user.id,
        content_id=row.id,
        quiz_key="test-quiz",
        mode="assessment",
        seed=1,
        questions=[],
        started_at=started,
        submitted_at=started + timedelta(minutes=10),
        score=score,
        passed=passed,
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


@pytest.fixture
def gen():
    """The factories, for tests that run inside an app context."""

    class Factories:
        user = staticmethod(gen_user)
        attempt = staticmethod(make_attempt)
        quiz = staticmethod(make_quiz)

    return Factories
