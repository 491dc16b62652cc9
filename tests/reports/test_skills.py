"""turn_skill: written beside each turn, updated on re-scoring, caught up for turns written in bulk."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert

from simulator.extensions import db
from simulator.models import Role, Turn, TurnSkill
from simulator.reports import service
from simulator.reports.skills import sync_missing

from .conftest import breakdown, make_attempt

pytestmark = pytest.mark.db
T0 = datetime(2026, 3, 2, 2, 0)


def tallies(attempt_id):
    return sorted(
        (row.skill, row.hits, row.misses)
        for row in db.session.scalars(db.select(TurnSkill).filter_by(attempt_id=attempt_id))
    )


def test_tallies_follow_the_turns(app, gen):
    with app.app_context():
        trainee = gen.user(Role.TRAINEE)
        attempt = make_attempt(trainee, started=T0, turns=[(80, ["apology", "apology", "empathy"], ["apology"]),
                                                           (60, [], [])])  # fmt: skip
        assert tallies(attempt.id) == [("", 0, 0), ("apology", 2, 1), ("empathy", 1, 0)]
        turn = db.session.scalars(db.select(Turn).filter_by(attempt_id=attempt.id, index=0)).one()
        turn.breakdown = breakdown(["follow_up"], [])  # a trainer's re-scoring
        db.session.commit()
        assert tallies(attempt.id) == [("", 0, 0), ("follow_up", 1, 0)]

        db.session.execute(insert(Turn), [{  # written without the ORM (a bulk import)
            "attempt_id": attempt.id, "index": 5, "node": "n5", "resident_line": "?", "reply": "好的",
            "score": 70, "band": "良好", "breakdown": breakdown(["safety"], ["safety"]), "elapsed_s": 1.0,
            "emotion_after": 10, "shown_at": T0, "submitted_at": T0,
        }])  # fmt: skip
        db.session.commit()
        hr = gen.user(Role.HR)
        assert sync_missing() == 1 and sync_missing() == 0
        board = service.dashboard(service.parse_filters({"from": "2026-03-01", "to": "2026-03-31"}, hr))
        assert {fig.skill: fig.percent for fig in board.skills} == {"follow_up": 100, "safety": 50}
