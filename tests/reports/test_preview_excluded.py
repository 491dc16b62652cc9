"""A trainer's 试玩 of a draft (``Attempt.preview``) is never a result: no report, queue, skill or certificate."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.certification.service import load_evidence
from simulator.extensions import db
from simulator.models import Attempt, Role, User
from simulator.play.scores import skill_profile
from simulator.reports import service
from simulator.reports.service import parse_filters
from simulator.review.queue import site_query

from .conftest import make_attempt

pytestmark = pytest.mark.db

SITE = "翠湖花园管理处"
T0 = datetime(2026, 3, 2, 2, 0)
WIDE = {"from": "2026-01-01", "to": "2026-06-30"}


@pytest.mark.parametrize("preview", [False, True])
def test_a_preview_attempt_counts_nowhere(app, gen, preview):
    with app.app_context():
        hr = gen.user(Role.HR, SITE)
        trainer = gen.user(Role.TRAINER, SITE)
        trainee = gen.user(Role.TRAINEE, SITE)
        attempt = make_attempt(trainee, started=T0, score=85, turns=[(85, ["apology"], [])])
        attempt.preview = preview
        db.session.commit()
        hr, trainer, trainee_id = db.session.get(User, hr.id), db.session.get(User, trainer.id), trainee.id

        board = service.dashboard(parse_filters(WIDE, hr))
        [row] = service.trainee_table([trainee.site_id])
        queue = db.session.execute(site_query(trainer)).scalars().all()
        evidence = load_evidence([trainee_id], T0.replace(month=4))[trainee_id]
        skills = [s for s in skill_profile(trainee_id) if s.hits + s.misses]

        counted = 0 if preview else 1
        assert board.attempts == counted and board.finished == counted
        assert row["played"] == counted
        assert [a.id for a in queue] == ([] if preview else [attempt.id])
        assert len(evidence.attempts) == counted
        assert bool(skills) is (not preview)
        assert db.session.get(Attempt, attempt.id).preview is preview
