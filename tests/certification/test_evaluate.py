"""The pure requirement evaluation, with fixed dates: earn, renew in the window, lapse, revoke, the
level below surviving, a content update that does not revoke."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.certification.evaluate import (
    AttemptRecord,
    Catalogue,
    CertificateRecord,
    Evidence,
    QuizInfo,
    QuizRecord,
    ScenarioInfo,
    SkillSample,
    add_months,
    due_notices,
    evaluate,
    expiry_for,
    recommend,
    skill_profile,
    skill_values,
    weakest,
)
from simulator.certification.programme import Programme


def programme_data(complaint_min: int = 70, approval: str = "auto") -> dict:
    return {
        "schema_version": 1,
        "id": "test-ladder",
        "title": "测试认证",
        "issuer": "测试中心",
        "levels": [
            {
                "id": "basic", "name": "前台接待", "validity_months": 12,
                "requirements": [
                    {"id": "quiz", "kind": "quiz", "quiz": "q1"},
                    {"id": "cx", "kind": "roleplay", "category": "complaint", "count": 1, "min_score": complaint_min},
                ],
                "renewal": {"window_days": 60, "requirements": ["cx"]},
            },
            {
                "id": "advanced", "name": "管家", "validity_months": 12, "approval": approval,
                "requirements": [
                    {"id": "prev", "kind": "previous_level"},
                    {"id": "em", "kind": "roleplay", "category": "emergency", "count": 1, "min_score": 70},
                    {"id": "sk", "kind": "skill_average", "skills": {"empathy": 60}, "months": 6, "min_turns": 2},
                ],
                "renewal": {"window_days": 60, "requirements": ["em"]},
            },
        ],
    }


PROGRAMME = Programme.from_dict(programme_data())
CATALOGUE = Catalogue(
    scenarios={
        "c1": ScenarioInfo("c1", "漏水投诉", "complaint", ("empathy", "apology")),
        "c2": ScenarioInfo("c2", "停车投诉", "complaint", ("courtesy",), difficulty=2),
        "e1": ScenarioInfo("e1", "电梯困人", "emergency", ("safety", "calming")),
    },
    quizzes={"q1": QuizInfo("q1", "基础认证考核", max_attempts=3)},
)


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


def attempt(id: int, key: str, score: int, at: str, mode: str = "assessment") -> AttemptRecord:
    category = CATALOGUE.scenarios[key].category
    return AttemptRecord(id, key, category, mode, d(at), score)


def quiz(id: int, at: str, passed: bool, score: float = 90.0) -> QuizRecord:
    return QuizRecord(id, "q1", d(at), d(at), score, passed, max_attempts=3)


def cert(id: int, level: str, issued: str, expires: str, *, version: str | None = None, revoked: str | None = None,
         renewal_of: int | None = None) -> CertificateRecord:
    return CertificateRecord(
        id, "test-ladder", level, version or PROGRAMME.version, f"code{id}", d(issued), d(issued), d(expires),
        d(revoked) if revoked else None, "考核作弊" if revoked else "", renewal_of,
    )


def by_level(results) -> dict:
    return {r.level_id: r for r in results}


def levels(evidence: Evidence, now: str, programme: Programme = PROGRAMME, **kwargs) -> dict:
    return by_level(evaluate(programme, evidence, CATALOGUE, d(now), **kwargs))


def req(result, requirement_id: str):
    return next(r for r in result.requirements if r.id == requirement_id)


BASIC_DONE = (attempt(1, "c1", 75, "2026-01-10 09:00"),), (quiz(11, "2026-01-12 10:00", True),)


def test_earning_the_first_level_names_the_evidence():
    attempts, quizzes = BASIC_DONE
    results = levels(Evidence(1, attempts, quizzes), "2026-02-01")
    basic = results["basic"]
    assert basic.status == "eligible" and basic.action == "issue"
    assert [e.ref_id for e in req(basic, "cx").evidence] == [1]
    assert req(basic, "cx").evidence[0].score == 75
    assert req(basic, "quiz").evidence[0].ref_id == 11
    advanced = results["advanced"]
    assert advanced.status == "in_progress" and advanced.action is None
    assert req(advanced, "prev").state == "unmet"
    assert "请先取得「前台接待」证书" in req(advanced, "prev").explanation
    assert [s.key for s in req(advanced, "em").next_steps] == ["e1"]


def test_practice_and_low_scores_do_not_count_and_the_reason_is_given():
    attempts = (attempt(1, "c1", 95, "2026-01-10", mode="practice"), attempt(2, "c2", 62, "2026-01-11"))
    results = levels(Evidence(1, attempts, ()), "2026-02-01")
    cx = req(results["basic"], "cx")
    assert cx.state == "unmet" and cx.done == 0
    assert "62 分,低于 70 分" in cx.explanation
    assert "尚未通过《基础认证考核》,还可作答 3 次" in req(results["basic"], "quiz").explanation
    assert results["basic"].status == "in_progress"
    assert "还有 2 项未完成" in results["basic"].explanation


def test_quiz_pass_beyond_the_attempt_limit_does_not_count():
    quizzes = tuple(quiz(10 + i, f"2026-01-1{i} 10:00", passed=False) for i in range(3))
    late_pass = (quiz(20, "2026-01-20 10:00", passed=True),)
    result = levels(Evidence(1, BASIC_DONE[0], quizzes + late_pass), "2026-02-01")
    q = req(result["basic"], "quiz")
    assert q.state == "unmet"
    assert "作答次数已用完(4/3)" in q.explanation and q.next_steps == ()


def test_a_held_certificate_is_valid_until_its_dates_say_otherwise():
    attempts, quizzes = BASIC_DONE
    held = (cert(100, "basic", "2026-01-15", "2027-01-15"),)
    results = levels(Evidence(1, attempts, quizzes, certificates=held), "2026-06-01")
    basic = results["basic"]
    assert basic.status == "certified" and basic.valid and basic.action is None
    assert all(r.met for r in basic.requirements)
    assert basic.renewal_opens_at == d("2026-11-16")
    assert basic.days_left(d("2026-06-01")) == 228
    assert req(results["advanced"], "prev").state == "met"


def test_renewal_inside_the_window_needs_fresh_evidence():
    attempts, quizzes = BASIC_DONE
    held = (cert(100, "basic", "2026-01-15", "2027-01-15"),)
    before = levels(Evidence(1, attempts, quizzes, certificates=held), "2026-11-20")
    basic = before["basic"]
    assert basic.status == "renewal_open" and basic.valid
    assert [r.id for r in basic.requirements] == ["cx"]  # the renewal subset only
    assert req(basic, "cx").state == "expired"
    assert "已过期" in req(basic, "cx").explanation and basic.action is None
    fresh = attempts + (attempt(2, "c2", 80, "2026-11-25"),)
    after = levels(Evidence(1, fresh, quizzes, certificates=held), "2026-12-01")
    assert after["basic"].action == "renew" and req(after["basic"], "cx").state == "met"
    # renewing early keeps the time left: the new certificate runs 12 months from the old expiry
    assert expiry_for(d("2026-12-01"), PROGRAMME.levels[0], held[0]) == d("2028-01-15")
    renewed = held + (cert(101, "basic", "2026-12-01", "2028-01-15", renewal_of=100),)
    later = levels(Evidence(1, fresh, quizzes, certificates=renewed), "2027-03-01")
    assert later["basic"].status == "certified" and later["basic"].certificate.id == 101


def test_lapse_expires_the_level_and_old_evidence():
    attempts, quizzes = BASIC_DONE
    held = (cert(100, "basic", "2026-01-15", "2027-01-15"),)
    results = levels(Evidence(1, attempts, quizzes, certificates=held), "2027-01-15")
    basic = results["basic"]
    assert basic.status == "expired" and not basic.valid and basic.action is None
    assert "已于 2027-01-15 过期" in basic.explanation
    assert req(basic, "cx").state == "expired" and req(basic, "quiz").state == "expired"
    assert req(results["advanced"], "prev").state == "expired"


def test_revocation_stands_until_the_level_is_earned_again_after_it():
    attempts, quizzes = BASIC_DONE
    held = (cert(100, "basic", "2026-01-15", "2027-01-15", revoked="2026-03-01"),)
    results = levels(Evidence(1, attempts, quizzes, certificates=held), "2026-03-02")
    basic = results["basic"]
    assert basic.status == "revoked" and basic.action is None
    assert "撤销(原因:考核作弊)" in basic.explanation
    assert req(basic, "cx").state == "expired"
    redo = attempts + (attempt(2, "c1", 88, "2026-04-01"),)
    retake = quizzes + (quiz(12, "2026-04-02", True),)
    again = levels(Evidence(1, redo, retake, certificates=held), "2026-04-03")
    assert again["basic"].status == "revoked" and again["basic"].action == "issue"


def test_the_level_below_survives_a_lapse_above_and_the_level_above_survives_one_below():
    attempts = BASIC_DONE[0] + (attempt(2, "e1", 80, "2026-02-01"),)
    held = (
        cert(100, "basic", "2026-01-15", "2027-01-15"),
        cert(101, "basic", "2026-12-01", "2028-01-15", renewal_of=100),
        cert(200, "advanced", "2026-02-10", "2027-02-10"),
    )
    results = levels(Evidence(1, attempts, BASIC_DONE[1], certificates=held), "2027-03-01")
    assert results["advanced"].status == "expired"
    assert results["basic"].status == "certified"

    held_above = (cert(100, "basic", "2026-01-15", "2027-01-15"), cert(200, "advanced", "2026-06-01", "2027-06-01"))
    results = levels(Evidence(1, attempts, BASIC_DONE[1], certificates=held_above), "2027-02-01")
    assert results["basic"].status == "expired"
    assert results["advanced"].status == "certified"  # judged when it was earned
    assert req(results["advanced"], "prev").state == "met"


def test_a_content_update_never_revokes_an_earned_certificate():
    old = Programme.from_dict(programme_data(complaint_min=70))
    new = Programme.from_dict(programme_data(complaint_min=90))
    assert old.version != new.version
    attempts, quizzes = BASIC_DONE  # 75 points: enough under the old rule, not the new one
    held = (cert(100, "basic", "2026-01-15", "2027-01-15", version=old.version),)
    results = by_level(evaluate(new, Evidence(1, attempts, quizzes, certificates=held), CATALOGUE, d("2026-06-01"),
                                versions={old.version: old}))
    assert results["basic"].status == "certified"
    assert results["basic"].judged_version == old.version
    assert req(results["basic"], "cx").state == "met"
    newcomer = by_level(evaluate(new, Evidence(2, attempts, quizzes), CATALOGUE, d("2026-06-01")))
    assert newcomer["basic"].status == "in_progress"
    assert "低于 90 分" in req(newcomer["basic"], "cx").explanation


def test_trainer_approval_keeps_the_level_pending():
    programme = Programme.from_dict(programme_data(approval="trainer"))
    attempts = BASIC_DONE[0] + (attempt(2, "e1", 80, "2026-02-01"),)
    skills = (SkillSample(2, d("2026-02-01"), "empathy", 80), SkillSample(2, d("2026-02-01"), "empathy", 70))
    held = (cert(100, "basic", "2026-01-15", "2027-01-15", version=programme.version),)
    evidence = Evidence(1, attempts, BASIC_DONE[1], skills, held)
    eligible = by_level(evaluate(programme, evidence, CATALOGUE, d("2026-02-02")))["advanced"]
    assert eligible.status == "eligible" and eligible.action == "issue"
    assert "等待培训师审批" in eligible.explanation
    pending = CertificateRecord(300, "test-ladder", "advanced", programme.version, "p", d("2026-02-02"), None, None)
    waiting = by_level(evaluate(programme, Evidence(1, attempts, BASIC_DONE[1], skills, held + (pending,)), CATALOGUE,
                                d("2026-02-03")))["advanced"]
    assert waiting.status == "pending" and waiting.action is None


def test_skill_averages_count_only_the_window_and_enough_turns():
    attempts = BASIC_DONE[0] + (attempt(2, "e1", 80, "2026-02-01"),)
    held = (cert(100, "basic", "2026-01-15", "2027-01-15"),)
    samples = (SkillSample(2, d("2025-01-01"), "empathy", 100), SkillSample(2, d("2026-02-01"), "empathy", 40))
    result = levels(Evidence(1, attempts, (), samples, held), "2026-03-01")
    sk = req(result["advanced"], "sk")
    assert sk.state == "unmet" and "共情样本不足(1/2 轮)" in sk.explanation
    assert [s.key for s in sk.next_steps] == ["c1"]
    samples += (SkillSample(3, d("2026-02-02"), "empathy", 60),)
    result = levels(Evidence(1, attempts, (), samples, held), "2026-03-01")
    sk = req(result["advanced"], "sk")
    assert sk.state == "unmet" and "共情平均 50 分,要求 60 分" in sk.explanation
    only_old = (SkillSample(2, d("2025-01-01"), "empathy", 100),)
    result = levels(Evidence(1, attempts, (), only_old, held), "2026-03-01")
    assert req(result["advanced"], "sk").state == "expired"


def test_skill_values_profile_weakest_and_recommendation():
    breakdown = {
        "hits": [{"skill": "empathy", "credit": 1.0}, {"skill": "apology", "credit": 0.5}],
        "misses": [{"skill": "empathy"}, {"skill": "safety"}],
    }
    assert skill_values(breakdown) == {"empathy": 50.0, "apology": 50.0, "safety": 0.0}
    samples = [SkillSample(1, d("2026-02-01"), skill, value) for skill, value in
               [("empathy", 40), ("empathy", 60), ("safety", 30), ("courtesy", 90), ("apology", 70)]]
    samples.append(SkillSample(1, d("2025-01-01"), "calming", 10))  # outside the window
    profile = skill_profile(samples, d("2026-03-01"), months=6)
    assert {s.skill: s.average for s in profile} == {"empathy": 50, "apology": 70, "safety": 30, "courtesy": 90}
    assert [s.skill for s in weakest(profile)] == ["safety", "empathy", "apology"]
    first = recommend(profile, [], CATALOGUE, 70)
    assert first.skill == "safety" and first.scenario.key == "e1" and "安全指引" in first.reason
    # once the safety scenario is passed, the next weakest skill with an unpassed scenario is chosen
    passed = [attempt(5, "e1", 85, "2026-02-10")]
    assert recommend(profile, passed, CATALOGUE, 70).scenario.key == "c1"


def test_notices_due():
    attempts, quizzes = BASIC_DONE
    held = (cert(100, "basic", "2026-01-15", "2027-01-15"),)
    def kinds(now):
        results = evaluate(PROGRAMME, Evidence(1, attempts, quizzes, certificates=held), CATALOGUE, d(now))
        return {kind for kind, _ in due_notices(results, d(now))}
    assert kinds("2026-02-01") == {"earned"}
    assert kinds("2026-11-20") == {"earned", "renewal_open"}
    assert kinds("2027-01-01") == {"earned", "renewal_open", "expiring"}
    assert kinds("2027-01-16") == {"expired"}


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [("2026-01-31", 1, "2026-02-28"), ("2026-11-15", 3, "2027-02-15"), ("2026-03-31", -1, "2026-02-28"),
     ("2024-02-29", 12, "2025-02-28")],
)
def test_add_months_clamps_the_day(start, months, expected):
    assert add_months(d(start), months) == d(expected)
