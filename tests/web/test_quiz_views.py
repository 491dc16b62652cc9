"""The quiz blueprint: taking a quiz, saving answers, deadlines, attempts, isolation, results."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.content import sync_content
from simulator.extensions import db
from simulator.models import QuizAnswer, QuizAttempt, Role
from simulator.quiz import service
from simulator.shipped import shipped_content
from tests.conftest import gen_user


@pytest.fixture
def content(app):
    """The shipped bank and quiz definitions loaded into the test database."""
    with app.app_context():
        for kind, items in shipped_content():
            if kind != "scenario":
                sync_content(kind, items)


def shipped_quiz(key: str):
    """A shipped quiz definition: tests read its rules instead of repeating them."""
    from quizzes import load_definitions

    return load_definitions()[key]


def correct_form(drawn) -> dict:
    """The form fields that answer a drawn question fully right (read from its answer key)."""
    question = drawn.question
    kind = question.type_name
    if kind == "single":
        return {"answer": question.answer}
    if kind == "multiple":
        return {"answer": list(question.answer)}
    if kind == "truefalse":
        return {"answer": "true" if question.answer else "false"}
    if kind == "fill":
        return {"answer": question.answer_text().split(" / ")[0]}
    if kind == "ordering":
        shown = drawn.shown_items()
        return {"order": [str(shown.index(text)) for text in question.items]}
    return {"answer": question.reference}


def wrong_form(drawn) -> dict:
    """Form fields that answer a drawn question wrongly (or leave a short answer empty)."""
    question = drawn.question
    kind = question.type_name
    if kind == "single":
        return {"answer": next(c for c in "ABCDEFGH"[: len(question.options)] if c != question.answer)}
    if kind == "multiple":
        return {"answer": [c for c in "ABCDEFGH"[: len(question.options)] if c not in question.answer][:1]}
    if kind == "truefalse":
        return {"answer": "false" if question.answer else "true"}
    if kind == "fill":
        return {"answer": "完全不相干的答案"}
    if kind == "ordering":
        shown = drawn.shown_items()
        return {"order": [str(shown.index(text)) for text in reversed(question.items)]}
    return {"answer": ""}


HX = {"HX-Request": "true"}


def start(client, quiz_key: str) -> int:
    response = client.post(f"/quiz/{quiz_key}/start")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def attempt_of(app, attempt_id: int) -> QuizAttempt:
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def start_with_a_short_answer(user, quiz_key: str) -> int:
    """Start an attempt whose seeded draw contains a short-answer question (inside an app context)."""
    from quizzes import draw

    bank, _ = service.current_bank()
    quiz = next(q for _, q in service.current_quizzes() if q.id == quiz_key)
    seed = next(s for s in range(1000) if any(d.question.type_name == "short" for d in draw(quiz, bank, s)))
    return service.start_attempt(db.session.merge(user), quiz_key, seed=seed).id


def drawn_of(app, attempt_id: int):
    with app.app_context():
        return service.drawn_questions(db.session.get(QuizAttempt, attempt_id))


def test_trainee_sees_the_quizzes_with_their_rules(client, auth, content):
    auth.login(Role.TRAINEE)
    html = client.get("/quiz/").get_data(as_text=True)
    assert "基础认证考核" in html and "综合练习(全部主题)" in html
    assert "考核" in html and "练习" in html
    basic = shipped_quiz("basic-cert")
    assert f"{basic.time_limit_s // 60} 分钟" in html and "不限时" in html
    assert f"0 / {basic.max_attempts}" in html and "0 / 不限" in html
    assert "开始考核" in html


def test_start_draws_with_a_recorded_seed_and_freezes_the_questions(app, client, auth, content):
    from quizzes import QuizDefinition, draw

    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    attempt = attempt_of(app, attempt_id)
    with app.app_context():
        bank, _ = service.current_bank()
        definition = QuizDefinition.from_dict(db.session.get(QuizAttempt, attempt_id).content.data)
        expected = draw(definition, bank, attempt.seed)
    assert [d.to_dict() for d in expected] == [
        {k: v for k, v in q.items() if k != "content_id"} for q in attempt.questions
    ]
    assert len(attempt.questions) == definition.question_count
    assert any(list(q["permutation"]) != sorted(q["permutation"]) for q in attempt.questions)  # options shuffled
    assert attempt.deadline_at is not None
    limit = timedelta(seconds=definition.time_limit_s)
    assert abs((attempt.deadline_at - attempt.started_at) - limit) < timedelta(seconds=1)
    # starting again resumes the open attempt instead of drawing a second one
    assert start(client, "basic-cert") == attempt_id


def test_practice_quiz_has_no_deadline(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt = attempt_of(app, start(client, "practice-all"))
    assert attempt.deadline_at is None
    assert "不限时" in client.get(f"/quiz/attempt/{attempt.id}").get_data(as_text=True)


def test_bank_edits_never_change_a_started_attempt(app, client, auth, content):
    from simulator.content import ContentItem, upsert_content

    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    first = drawn_of(app, attempt_id)[0]
    with app.app_context():
        bank, _ = service.current_bank()
        edited = {**bank.get(first.id).to_dict(), "stem": "改过的题干(不应出现在已开始的答卷里)"}
        upsert_content("question", [ContentItem("question", first.id, "x", edited)])
    html = client.get(f"/quiz/attempt/{attempt_id}/q/1").get_data(as_text=True)
    assert first.question.stem in html
    assert "改过的题干" not in html


def test_answers_are_saved_as_given_and_survive_a_reload(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    drawn = drawn_of(app, attempt_id)
    index = next(i for i, d in enumerate(drawn) if d.question.type_name != "short")
    url = f"/quiz/attempt/{attempt_id}/q/{index + 1}"
    response = client.post(url, data=wrong_form(drawn[index]), headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "答案已保存" in html
    assert 'id="quiz-overview" hx-swap-oob="true"' in html and "已答 <strong>1</strong> / 20" in html
    assert "正确答案" not in html  # an assessment shows no key before submission
    # change of mind: the same row is updated, not a second one added
    client.post(url, data=correct_form(drawn[index]), headers=HX)
    with app.app_context():
        answers = db.session.execute(db.select(QuizAnswer).filter_by(attempt_id=attempt_id)).scalars().all()
        assert len(answers) == 1 and answers[0].position == index and answers[0].fraction == 1.0
    page = client.get(url).get_data(as_text=True)
    assert "答案已保存" in page and 'class="answered current"' in page


def test_a_short_answer_is_saved_ungraded_until_submission(app, client, auth, content):
    user = auth.login(Role.TRAINEE)
    with app.app_context():
        attempt_id = start_with_a_short_answer(user, "basic-cert")
    drawn = drawn_of(app, attempt_id)
    index = next(i for i, d in enumerate(drawn) if d.question.type_name == "short")
    response = client.post(f"/quiz/attempt/{attempt_id}/q/{index + 1}", data={"answer": "先致歉,再说明"}, headers=HX)
    assert "答案已保存" in response.get_data(as_text=True)
    with app.app_context():
        answer = db.session.execute(db.select(QuizAnswer).filter_by(attempt_id=attempt_id)).scalar_one()
        assert answer.response == "先致歉,再说明" and answer.fraction is None
    assert "先致歉,再说明</textarea>" in client.get(f"/quiz/attempt/{attempt_id}/q/{index + 1}").get_data(as_text=True)


def test_plain_post_without_javascript_saves_and_moves_on(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    drawn = drawn_of(app, attempt_id)
    response = client.post(f"/quiz/attempt/{attempt_id}/q/1?next=1", data=correct_form(drawn[0]))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/quiz/attempt/{attempt_id}/q/2")


def test_htmx_navigation_returns_the_panel_only(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    response = client.get(f"/quiz/attempt/{attempt_id}/q/3", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and "第 3 / 20 题" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_practice_shows_feedback_right_after_answering(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "practice-all")
    drawn = drawn_of(app, attempt_id)
    position = next(i for i, d in enumerate(drawn) if d.question.type_name == "single")
    html = client.post(
        f"/quiz/attempt/{attempt_id}/q/{position + 1}", data=wrong_form(drawn[position]), headers=HX
    ).get_data(as_text=True)
    assert "回答错误" in html
    assert drawn[position].question.answer_text() in html
    assert drawn[position].question.source.section in html


def test_the_deadline_is_enforced_by_the_server(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "emergency-cert")
    drawn = drawn_of(app, attempt_id)
    first, second = [i for i, d in enumerate(drawn) if d.question.type_name != "short"][:2]
    client.post(f"/quiz/attempt/{attempt_id}/q/{first + 1}", data=correct_form(drawn[first]), headers=HX)
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        # past the quiz's own time limit, whatever the shipped definition sets it to
        limit_s = (attempt.deadline_at - attempt.started_at).total_seconds()
        attempt.deadline_at = attempt.deadline_at - timedelta(seconds=limit_s + 1 + service.DEADLINE_GRACE_S)
        db.session.commit()
    response = client.post(f"/quiz/attempt/{attempt_id}/q/{second + 1}", data=correct_form(drawn[second]), headers=HX)
    assert response.status_code == 409
    assert "作答时间已到" in response.get_data(as_text=True)
    assert response.headers["HX-Redirect"].endswith(f"/quiz/attempt/{attempt_id}/result")
    attempt = attempt_of(app, attempt_id)
    assert attempt.submitted_at is not None and attempt.submitted_at <= attempt.deadline_at
    assert attempt.score == pytest.approx(100.0 / len(drawn), abs=0.01)  # one right; the late answer was not saved
    with app.app_context():
        late = db.session.execute(db.select(QuizAnswer).filter_by(attempt_id=attempt_id, position=second)).scalar_one()
        assert late.response is None and late.fraction == 0.0
    result = client.get(f"/quiz/attempt/{attempt_id}/result").get_data(as_text=True)
    assert "作答时间已到" in result


def test_an_expired_attempt_is_submitted_when_next_touched(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "emergency-cert")
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.deadline_at = attempt.started_at - timedelta(seconds=10)
        db.session.commit()
    response = client.get(f"/quiz/attempt/{attempt_id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/result")
    attempt = attempt_of(app, attempt_id)
    assert attempt.submitted_at is not None and attempt.score == 0.0 and attempt.passed is False


def test_max_attempts_is_enforced_with_a_clear_message(app, client, auth, content):
    auth.login(Role.TRAINEE)
    allowed = shipped_quiz("emergency-cert").max_attempts
    assert allowed > 0
    for _ in range(allowed):
        attempt_id = start(client, "emergency-cert")
        assert client.post(f"/quiz/attempt/{attempt_id}/submit").status_code == 303
    response = client.post("/quiz/emergency-cert/start", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"最多可作答 {allowed} 次,您的作答次数已用完" in html
    assert f"作答次数已用完(最多 {allowed} 次)" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(QuizAttempt.id))) == allowed


def test_trainees_see_only_their_own_attempts(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    auth.logout()
    auth.login(Role.TRAINEE)
    assert client.get(f"/quiz/attempt/{attempt_id}").status_code == 404
    assert client.get(f"/quiz/attempt/{attempt_id}/q/1", headers=HX).status_code == 404
    assert client.post(f"/quiz/attempt/{attempt_id}/q/1", data={"answer": "A"}).status_code == 404
    assert client.post(f"/quiz/attempt/{attempt_id}/submit").status_code == 404
    assert client.get(f"/quiz/attempt/{attempt_id}/result").status_code == 404
    assert "基础认证考核" not in client.get("/quiz/").get_data(as_text=True).split("我的测验记录")[1]
    with app.app_context():
        assert db.session.execute(db.select(QuizAnswer)).first() is None


def test_submit_grades_and_the_results_show_key_explanation_and_source(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "emergency-cert")
    drawn = drawn_of(app, attempt_id)
    for position, item in enumerate(drawn, start=1):
        if item.question.type_name != "short":
            client.post(f"/quiz/attempt/{attempt_id}/q/{position}", data=correct_form(item), headers=HX)
    response = client.post(f"/quiz/attempt/{attempt_id}/submit")
    assert response.headers["Location"].endswith(f"/quiz/attempt/{attempt_id}/result")
    attempt = attempt_of(app, attempt_id)
    shorts = sum(1 for d in drawn if d.question.type_name == "short")
    assert attempt.score == pytest.approx(100.0 * (len(drawn) - shorts) / len(drawn), abs=0.01)  # stored to 2 places
    html = client.get(f"/quiz/attempt/{attempt_id}/result").get_data(as_text=True)
    assert ("通过" if attempt.passed else "未通过") in html
    for item in drawn:
        assert item.question.answer_text() in html
        assert item.question.source.file in html and item.question.source.section in html
        if item.question.explanation:
            assert item.question.explanation in html
    # a submitted attempt takes no more answers
    late = client.post(f"/quiz/attempt/{attempt_id}/q/1", data=correct_form(drawn[0]), headers=HX)
    assert late.status_code == 409 and "已交卷" in late.get_data(as_text=True)


def test_short_answers_show_the_key_points_matched(app, client, auth, content, monkeypatch):
    import quizzes.types
    from tests.quizzes.conftest import FakeScore

    def fake_scorer(reply, references, rubric):
        hits = frozenset(item["id"] for item in rubric["add"][:1])
        return FakeScore(50, "不合格", "", hits)

    monkeypatch.setattr(quizzes.types, "default_scorer", fake_scorer)
    user = auth.login(Role.TRAINEE)
    with app.app_context():
        attempt_id = start_with_a_short_answer(user, "practice-all")
    drawn = drawn_of(app, attempt_id)
    position = next(i for i, d in enumerate(drawn) if d.question.type_name == "short")
    question = drawn[position].question
    saved = client.post(
        f"/quiz/attempt/{attempt_id}/q/{position + 1}", data={"answer": "我会礼貌地说明原因"}, headers=HX
    )
    assert "答案已保存" in saved.get_data(as_text=True)
    client.post(f"/quiz/attempt/{attempt_id}/submit")
    html = client.get(f"/quiz/attempt/{attempt_id}/result").get_data(as_text=True)
    assert f"✓ 已答到:{question.key_points[0].text}" in html
    assert f"✗ 未答到:{question.key_points[1].text}" in html
    assert "我会礼貌地说明原因" in html


def test_results_of_an_open_attempt_send_the_trainee_back(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id = start(client, "basic-cert")
    response = client.get(f"/quiz/attempt/{attempt_id}/result")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quiz/attempt/{attempt_id}")


def test_unknown_quiz_is_404(client, auth, content):
    auth.login(Role.TRAINEE)
    assert client.post("/quiz/no-such-quiz/start").status_code == 404


def test_parse_response_for_each_type(app, content):
    from werkzeug.datastructures import MultiDict

    with app.app_context():
        user = gen_user(Role.TRAINEE)
        attempt = service.start_attempt(user, "practice-all", seed=7)
        for item in service.drawn_questions(attempt):
            form = MultiDict()
            for key, value in correct_form(item).items():
                for v in value if isinstance(value, list) else [value]:
                    form.add(key, v)
            response = service.parse_response(item, form, form.getlist)
            if item.question.type_name != "short":
                assert item.grade(response).correct, (item.id, response)
