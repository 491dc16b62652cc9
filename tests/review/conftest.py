"""Fixtures for the review tests: finished attempts whose turns carry hand-made score breakdowns.

The dialogue is the real scenario engine's (so states, transcripts and debriefs are real); the scores
are written by hand, so no encoder is needed and each test knows exactly what the scorer said.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import scenarios
import scoring
from simulator.content import ContentItem, sync_content
from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, Turn, User, utcnow
from simulator.play import scores
from tests.conftest import gen_user

SCENARIO = "leak-repeated"
# The complaint rubric's items at the opening node of leak-repeated (follow_up dropped there).
ITEMS = {
    "apologize": ("向业主致歉", "apology"), "empathize": ("表达理解和共情", "empathy"),
    "listen": ("耐心倾听并记录", "listening"), "restate": ("复述确认问题", "restating"),
    "solve": ("提出具体的解决办法并马上行动", "problem_solving"), "commit_time": ("告知处理时限", "time_commitment"),
}


@pytest.fixture(scope="session")
def library():
    return scenarios.load_library()


def breakdown(score: int, hits=(), *, grade: float | None = None, blockers=(), confidence: float = 0.9,
              reply: str = "") -> dict:
    """A ScoreResult.to_dict() as the learned scorer writes it: hits, misses (the other items), blockers."""
    hit_rows = [
        {"item": item, "label": ITEMS[item][0], "skill": ITEMS[item][1], "span": reply[:4], "start": 0,
         "end": min(4, len(reply)), "via": "classifier", "credit": 1.0, "confidence": confidence, "evidence": ""}
        for item in hits
    ]
    misses = [{"item": item, "label": label, "skill": skill, "confidence": 0.1}
              for item, (label, skill) in ITEMS.items() if item not in hits]
    blocker_rows = [{"id": b, "label": {"shirk": "推诿/搪塞", "blame": "指责业主"}[b], "reason": "不可推诿",
                     "span": reply[:2], "start": 0, "end": min(2, len(reply)), "cap": 40, "stage": "classifier",
                     "confidence": 0.8, "evidence": ""} for b in blockers]
    return {
        "score": score, "band": scoring.band_for(score), "decided_by": "model",
        "semantic": {"index": 0, "text": "", "raw": 0.5, "calibrated": 0.5}, "hits": hit_rows, "misses": misses,
        "blockers": blocker_rows, "tone": {"label": "礼貌", "polite": [], "rude": []}, "feedback": "自动点评。",
        "rubric": "complaint", "scorer_version": "test-v1", "grade": grade, "wrong_facts": [],
    }


@dataclass
class Played:
    attempt_id: int
    turn_ids: list[int]
    trainee_id: int


def play(library, trainee: User, results: list[dict], mode: str = "assessment", replies=None) -> Played:
    """Play an attempt through the engine with the given score breakdowns, one per turn, and finish it."""
    content = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.key == SCENARIO, ContentVersion.is_current.is_(True))
    ).scalar_one()
    scenario = library[SCENARIO]
    state = scenarios.start(scenario, 7)
    now = utcnow()
    attempt = Attempt(user_id=trainee.id, content_id=content.id, scenario_key=SCENARIO,
                      scenario_version=scenario.version, mode=mode, seed=7, state=state.to_dict(),
                      node_started_at=now, started_at=now)
    db.session.add(attempt)
    db.session.flush()
    for index, result in enumerate(results):
        reply = (replies or [])[index] if replies and index < len(replies) else f"第{index + 1}轮的回复,您好。"
        line = scenarios.resident_line(scenario, state)
        state = scenarios.step(scenario, state, reply, scoring.ScoreResult.from_dict(result), 5.0)
        record = state.transcript[-1]
        turn = Turn(attempt_id=attempt.id, index=record.turn, node=record.node, resident_line=line, reply=reply,
                    elapsed_s=5.0, late=False, emotion_after=record.emotion_after, shown_at=now, submitted_at=now,
                    scorer_version="test-v1")
        scores.project(turn, result)
        attempt.turns.append(turn)
        if state.ended:
            break
    attempt.state = state.to_dict()
    attempt.finished_at = utcnow()
    attempt.ending = state.ending or "escalated"
    attempt.ending_kind = state.ending_kind or "escalated"
    scores.refresh_attempt(attempt)
    db.session.commit()
    return Played(attempt.id, [t.id for t in attempt.turns], trainee.id)


@pytest.fixture
def loaded(app, library):
    with app.app_context():
        s = library[SCENARIO]
        sync_content("scenario", [ContentItem("scenario", s.id, s.title, s.to_dict(), f"scenarios/library/{s.id}.yaml",
                                              s.version)])
    return app


@pytest.fixture
def played(loaded, library):
    """A finished assessment of a trainee of the default site: two turns, 60 and 80 points."""
    with loaded.app_context():
        trainee = gen_user("trainee")
        reply = "王女士,真对不起,我下午三点前带师傅上门。"
        return play(library, trainee, [
            breakdown(60, ["apologize", "listen"], grade=1.45, reply=reply),
            breakdown(80, ["apologize", "solve", "commit_time"], grade=2.1, reply=reply),
        ], replies=[reply, reply + "今晚给您回电话。"])
