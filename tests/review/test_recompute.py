"""A correction changes the turn's score, the attempt's final score and the skill profile, and nothing else."""

from __future__ import annotations

import copy

import pytest

from simulator.extensions import db
from simulator.models import Attempt, ReviewAudit, Turn, TurnReview
from simulator.play import scores
from simulator.review.corrections import ReviewError, Verdict, confirm_rest, review_turn
from tests.conftest import gen_user

pytestmark = pytest.mark.db


def snapshot(attempt_id: int) -> dict:
    """Everything stored about an attempt and its turns, as plain values."""
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    return {
        "attempt": {c.name: copy.deepcopy(getattr(attempt, c.name)) for c in Attempt.__table__.columns},
        "turns": [{c.name: copy.deepcopy(getattr(t, c.name)) for c in Turn.__table__.columns} for t in attempt.turns],
    }


def profile(user_id: int) -> dict[str, tuple[int, int]]:
    return {s.skill: (s.hits, s.misses) for s in scores.skill_profile(user_id)}


def test_a_correction_changes_the_final_score_and_skill_profile_and_nothing_else(loaded, played):
    with loaded.app_context():
        trainer = gen_user("trainer")
        before = snapshot(played.attempt_id)
        profile_before = profile(played.trainee_id)
        assert before["attempt"]["final_score"] == 70  # (60 + 80) / 2
        attempt = db.session.get(Attempt, played.attempt_id)
        turn = attempt.turns[0]
        review_turn(trainer, attempt, turn, Verdict(
            changed=True, band="良好", items={"restate": "1", "apologize": "0"}, reason="复述了问题,道歉不诚恳",
        ))
        after = snapshot(played.attempt_id)

        # the corrected turn: the trainer's band at the nearest score in it, the scorer's result kept
        corrected, original = after["turns"][0], before["turns"][0]
        assert (corrected["score"], corrected["band"]) == (70, "良好")
        assert (corrected["auto_score"], corrected["auto_band"]) == (60, "合格")
        assert corrected["auto_breakdown"] == original["breakdown"]
        hits = {h["item"] for h in corrected["breakdown"]["hits"]}
        assert hits == {"listen", "restate"}
        assert corrected["breakdown"]["review"]["reason"] == "复述了问题,道歉不诚恳"
        # the final score follows; the skill profile moves one apology from done to missed, one restating the other way
        assert after["attempt"]["final_score"] == 75
        profile_after = profile(played.trainee_id)
        assert profile_after["apology"] == (profile_before["apology"][0] - 1, profile_before["apology"][1] + 1)
        assert profile_after["restating"] == (profile_before["restating"][0] + 1, profile_before["restating"][1] - 1)
        assert {k: v for k, v in profile_after.items() if k not in ("apology", "restating")} == {
            k: v for k, v in profile_before.items() if k not in ("apology", "restating")}

        # nothing else: the other turn, the dialogue, the ending, the reply and timings are as they were
        assert after["turns"][1] == before["turns"][1]
        changed_attempt = {k for k in before["attempt"] if before["attempt"][k] != after["attempt"][k]}
        assert changed_attempt == {"final_score"}
        changed_turn = {k for k in original if original[k] != corrected[k]}
        assert changed_turn == {"score", "band", "breakdown", "auto_score", "auto_band", "auto_breakdown"}

        # audited: who, when, from -> to
        audit = {a.subject: a for a in db.session.execute(db.select(ReviewAudit)).scalars()}
        assert (audit["turn.score"].old, audit["turn.score"].new) == (60, 70)
        assert (audit["attempt.final_score"].old, audit["attempt.final_score"].new) == (70, 75)
        assert audit["turn.score"].actor_id == trainer.id and audit["turn.score"].at is not None


def test_score_given_directly_and_confirming_restores_the_scorer(loaded, played):
    with loaded.app_context():
        trainer = gen_user("trainer")
        attempt = db.session.get(Attempt, played.attempt_id)
        review_turn(trainer, attempt, attempt.turns[1], Verdict(changed=True, score="40", reason="没有回应诉求"))
        assert (attempt.turns[1].score, attempt.turns[1].band, attempt.final_score) == (40, "不合格", 50)
        other = gen_user("trainer")
        review_turn(other, attempt, attempt.turns[1], Verdict(changed=False))  # the latest open review is in force
        db.session.expire_all()
        attempt = db.session.get(Attempt, played.attempt_id)
        assert (attempt.turns[1].score, attempt.turns[1].auto_score, attempt.final_score) == (80, None, 70)


def test_a_blind_second_marking_changes_no_score(loaded, played):
    with loaded.app_context():
        before = snapshot(played.attempt_id)
        trainer = gen_user("trainer")
        attempt = db.session.get(Attempt, played.attempt_id)
        review = review_turn(trainer, attempt, attempt.turns[0], Verdict(changed=True, band="优秀", reason="很好"),
                             blind=True)
        assert review.blind and review.band == "优秀" and review.auto_band == "合格"
        assert snapshot(played.attempt_id) == before


def test_confirm_rest_reviews_every_turn_once(loaded, played):
    with loaded.app_context():
        trainer = gen_user("trainer")
        attempt = db.session.get(Attempt, played.attempt_id)
        review_turn(trainer, attempt, attempt.turns[0], Verdict(changed=True, band="良好", reason="好"))
        assert confirm_rest(trainer, attempt) == 1
        assert confirm_rest(trainer, attempt) == 0
        assert attempt.final_score == 75


@pytest.mark.parametrize("verdict,message", [
    (Verdict(changed=True, score="abc", reason="x"), "0 到 100"),
    (Verdict(changed=True, score="101", reason="x"), "0 到 100"),
    (Verdict(changed=True, band="良好", score="90", reason="x"), "不一致"),
    (Verdict(changed=True, band="很好", reason="x"), "档位只能是"),
    (Verdict(changed=True, band="良好", reason="  "), "理由"),
    (Verdict(changed=True, band="良好", items={"dance": "1"}, reason="x"), "没有这个要点"),
    (Verdict(changed=True, band="良好", blockers={"rude": "1"}, reason="x"), "没有这个否决项"),
    (Verdict(changed=True, reason="x"), "请选择档位"),
])
def test_bad_corrections_are_refused_and_change_nothing(loaded, played, verdict, message):
    with loaded.app_context():
        before = snapshot(played.attempt_id)
        trainer = gen_user("trainer")
        attempt = db.session.get(Attempt, played.attempt_id)
        with pytest.raises(ReviewError, match=message):
            review_turn(trainer, attempt, attempt.turns[0], verdict)
        db.session.rollback()
        assert snapshot(played.attempt_id) == before
        assert db.session.execute(db.select(TurnReview)).first() is None


def test_a_blocker_the_trainer_removes_or_adds(loaded, library):
    from tests.review.conftest import breakdown, play

    with loaded.app_context():
        trainee, trainer = gen_user("trainee"), gen_user("trainer")
        reply = "您自己去找楼上吧。"
        played = play(library, trainee, [breakdown(40, [], grade=0.4, blockers=["shirk"], reply=reply)],
                      replies=[reply])
        attempt = db.session.get(Attempt, played.attempt_id)
        turn = attempt.turns[0]
        review_turn(trainer, attempt, turn, Verdict(changed=True, band="合格", blockers={"shirk": "0", "blame": "1"},
                                                    reason="不是推诿,是指责"))
        assert [b["id"] for b in turn.breakdown["blockers"]] == ["blame"]
        assert turn.breakdown["blockers"][0]["label"] == "指责业主"
        assert [b["id"] for b in turn.automatic_breakdown["blockers"]] == ["shirk"]


def test_a_correction_changes_a_certification_requirement(loaded, played):
    """The final score a correction writes is what certification reads: 70 misses a 75 bar, 75 meets it."""
    from zoneinfo import ZoneInfo

    from simulator.certification.evaluate import evaluate
    from simulator.certification.programme import Programme
    from simulator.certification.service import catalogue, load_evidence
    from simulator.models import utcnow
    from tests.review.conftest import SCENARIO

    programme = Programme.from_dict({
        "schema_version": 1, "id": "review-test", "title": "复核测试", "issuer": "测试物业",
        "levels": [{
            "id": "l1", "name": "见习管家", "validity_months": 12,
            "requirements": [{"kind": "roleplay", "id": "leak", "scenarios": [SCENARIO], "min_score": 75}],
            "renewal": {"window_days": 60, "requirements": ["leak"]},
        }],
    })

    def requirement():
        now = utcnow()
        evidence = load_evidence([played.trainee_id], now)[played.trainee_id]
        [level] = evaluate(programme, evidence, catalogue(), now, display_tz=ZoneInfo("Asia/Shanghai"))
        return level.requirements[0]

    with loaded.app_context():
        trainer = gen_user("trainer")
        assert not requirement().met  # final score 70 < 75
        attempt = db.session.get(Attempt, played.attempt_id)
        review_turn(trainer, attempt, attempt.turns[0], Verdict(changed=True, band="良好", reason="复述到位"))
        assert db.session.get(Attempt, played.attempt_id).final_score == 75
        met = requirement()
        assert met.met and [(item.kind, item.ref_id, item.score) for item in met.evidence] == [
            ("attempt", played.attempt_id, 75)]
