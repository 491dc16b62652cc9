"""Authoring refuses to withdraw what a certification requirement needs: a scenario named or counted by a
programme, a question a required quiz cannot be drawn without; editing a required quiz needs a confirmation."""

from __future__ import annotations

import pytest

from simulator.certification.programme import Programme
from simulator.content import ContentItem, current_content, current_version, sync_content
from simulator.extensions import db
from simulator.models import ContentPublication, Role

pytestmark = pytest.mark.db
QUIZ = "guard-quiz"


@pytest.fixture
def world(app):
    """Shipped scenarios, questions and quizzes (no shipped programme), a quiz drawing every question of one
    topic, and a programme naming one scenario and that quiz and counting every emergency scenario."""
    from simulator.shipped import shipped_content

    with app.app_context():
        for kind, items in shipped_content():
            if kind != "programme":
                sync_content(kind, items)
        scenarios = {row.key: row.data.get("category") for row in current_content("scenario")}
        emergencies = sorted(k for k, c in scenarios.items() if c == "emergency")
        named = sorted(k for k, c in scenarios.items() if c == "complaint")[0]
        free = sorted(k for k, c in scenarios.items() if c not in ("emergency",) and k != named)[0]
        topics: dict[str, list[str]] = {}
        for row in current_content("question"):
            topics.setdefault(row.data["topic"], []).append(row.key)
        topic, needed = sorted(topics.items())[0]
        other_question = next(keys[0] for t, keys in sorted(topics.items()) if t != topic)
        sync_content("quiz", [ContentItem("quiz", QUIZ, "守门测验", {
            "schema_version": 1, "id": QUIZ, "title": "守门测验", "mode": "assessment", "time_limit_s": 0,
            "pass_mark": 60, "max_attempts": 0, "draw": [{"topic": topic, "count": len(needed)}]})])
        programme = Programme.from_dict({
            "schema_version": 1, "id": "guard", "title": "守门认证", "issuer": "测试中心",
            "levels": [{"id": "one", "name": "守门员", "validity_months": 12, "requirements": [
                {"id": "named", "kind": "roleplay", "scenarios": [named], "min_score": 60},
                {"id": "em", "kind": "roleplay", "category": "emergency", "count": len(emergencies),
                 "min_score": 60},
                {"id": "quiz", "kind": "quiz", "quiz": QUIZ},
            ], "renewal": {"window_days": 30, "requirements": ["named"]}}],
        })
        sync_content("programme", [ContentItem("programme", "guard", programme.title, programme.to_dict(),
                                               "tests/guard.yaml", programme.version)])
    return {"named": named, "emergency": emergencies[0], "free": free, "question": needed[0],
            "other_question": other_question}


def flashed(client) -> str:
    return client.get("/author/").get_data(as_text=True)


def test_a_scenario_a_requirement_needs_cannot_be_withdrawn(client, auth, app, world):
    auth.login(Role.TRAINER)
    for key, requirement in ((world["named"], "named"), (world["emergency"], "em")):
        assert client.post(f"/author/scenarios/{key}/unpublish").status_code == 303
        page = flashed(client)
        assert f"不能撤下情景 {key}" in page and f"认证计划「守门认证」的等级「守门员」(要求 {requirement})" in page
        with app.app_context():
            assert current_version("scenario", key) is not None
    assert client.post(f"/author/scenarios/{world['free']}/unpublish").status_code == 303
    with app.app_context():
        assert current_version("scenario", world["free"]) is None  # one no requirement needs is withdrawn
        actions = [row.key for row in db.session.execute(db.select(ContentPublication).where(
            ContentPublication.action == "unpublish")).scalars()]
        assert actions == [world["free"]]


def test_a_question_a_required_quiz_needs_cannot_be_retired(client, auth, app, world):
    auth.login(Role.TRAINER)
    assert client.post(f"/author/questions/{world['question']}/retire").status_code == 303
    page = client.get("/author/questions/").get_data(as_text=True)
    assert f"不能停用题目 {world['question']}" in page and "认证计划「守门认证」的等级「守门员」(要求 quiz)" in page
    with app.app_context():
        assert current_version("question", world["question"]) is not None
    assert client.post(f"/author/questions/{world['other_question']}/retire").status_code == 303
    with app.app_context():
        assert current_version("question", world["other_question"]) is None


def test_editing_a_required_quiz_needs_a_confirmation(client, auth, app, world):
    auth.login(Role.TRAINER)
    page = client.get(f"/author/quizzes/{QUIZ}").get_data(as_text=True)
    assert "data-certified" in page and "守门认证" in page
    with app.app_context():
        row = current_version("quiz", QUIZ)
        version, topic, count = row.version, row.data["draw"][0]["topic"], row.data["draw"][0]["count"]
    form = {"key": QUIZ, "base_version": version, "id": QUIZ, "title": "守门测验", "mode": "assessment",
            "time_limit_s": "0", "pass_mark": "90", "max_attempts": "0", "r0.topic": topic, "r0.count": str(count)}
    refused = client.post("/author/quizzes/save", data=form)
    assert refused.status_code == 409 and "我知道这会影响认证" in refused.get_data(as_text=True)
    with app.app_context():
        assert current_version("quiz", QUIZ).version == version
    assert client.post("/author/quizzes/save", data={**form, "confirm_certification": "1"}).status_code == 303
    with app.app_context():
        assert current_version("quiz", QUIZ).data["pass_mark"] == 90
