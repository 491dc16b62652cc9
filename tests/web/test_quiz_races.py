"""Quiz requests that arrive at the same time (issue 14.2, 14.3): N threads against the app, 0 bypasses.

Each thread has its own test client carrying the same signed-in session, so the requests are a
double-click or several tabs of one trainee. The same tests run on PostgreSQL (marked ``db``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from simulator.content import sync_content
from simulator.extensions import db
from simulator.models import QuizAttempt, Role
from simulator.quiz import service
from simulator.shipped import shipped_content
from tests.web.test_quiz_views import HX, correct_form

N = 8
QUIZ = "emergency-cert"  # a shipped assessment with an attempt limit


@pytest.fixture
def content(app):
    with app.app_context():
        for kind, items in shipped_content():
            if kind != "scenario":
                sync_content(kind, items)


def at_once(client, n: int, request: Callable) -> list:
    """Send ``request(client)`` from ``n`` threads released together; the responses, in thread order."""
    token = client.csrf_token()  # puts the CSRF secret in the session before the cookie is copied
    cookie = client.get_cookie("session").value
    clients = []
    for _ in range(n):
        other = client.application.test_client()
        other.set_cookie("session", cookie)
        clients.append(other)
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = request(clients[index], {"X-CSRFToken": token})
        except BaseException as error:  # reported below: an exception in a thread must fail the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def attempts_of(app, user_id: int) -> list[QuizAttempt]:
    with app.app_context():
        rows = db.session.execute(db.select(QuizAttempt).filter_by(user_id=user_id, quiz_key=QUIZ)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_a_double_click_on_start_resumes_one_attempt(app, client, auth, content):
    user = auth.login(Role.TRAINEE)
    responses = at_once(client, N, lambda c, h: c.post(f"/quiz/{QUIZ}/start", headers=h))
    assert [r.status_code for r in responses] == [303] * N
    assert len({r.headers["Location"] for r in responses}) == 1
    assert len(attempts_of(app, user.id)) == 1


def test_concurrent_starts_never_pass_the_attempt_limit(app, client, auth, content):
    from quizzes import load_definitions

    allowed = load_definitions()[QUIZ].max_attempts
    user = auth.login(Role.TRAINEE)
    for _ in range(allowed + 1):  # one round more than max_attempts
        at_once(client, N, lambda c, h: c.post(f"/quiz/{QUIZ}/start", headers=h))
        with app.app_context():
            for attempt in db.session.execute(
                db.select(QuizAttempt).filter_by(user_id=user.id, submitted_at=None)
            ).scalars():
                service.submit_attempt(attempt, scorer=lambda *a, **k: None)
    attempts = attempts_of(app, user.id)
    assert len(attempts) == allowed
    page = client.get("/quiz/").get_data(as_text=True)
    assert f"{allowed} / {allowed}" in page


def test_the_database_refuses_a_second_open_attempt(app, auth, content):
    from sqlalchemy.exc import IntegrityError

    user = auth.login(Role.TRAINEE)
    with app.app_context():
        first = service.start_attempt(db.session.merge(user), QUIZ)
        db.session.add(
            QuizAttempt(
                user_id=user.id, content_id=first.content_id, quiz_key=QUIZ, mode="assessment", seed=1, questions=[]
            )
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def open_attempt(app, client) -> tuple[int, list]:
    response = client.post(f"/quiz/{QUIZ}/start")
    attempt_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        return attempt_id, service.drawn_questions(db.session.get(QuizAttempt, attempt_id))


def test_a_double_submit_gives_one_result_and_no_error(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id, drawn = open_attempt(app, client)
    # an objective question: a short answer's grade is the scorer's, not 1.0 by construction
    first = next(i for i, d in enumerate(drawn) if d.question.type_name != "short")
    client.post(f"/quiz/attempt/{attempt_id}/q/{first + 1}", data=correct_form(drawn[first]), headers=HX)
    responses = at_once(client, N, lambda c, h: c.post(f"/quiz/attempt/{attempt_id}/submit", headers=h))
    assert [r.status_code for r in responses] == [303] * N
    assert {r.headers["Location"] for r in responses} == {f"/quiz/attempt/{attempt_id}/result"}
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.submitted_at is not None and len(attempt.answers) == len(drawn)
        assert service.answers_by_position(attempt)[first].fraction == 1.0
    assert "未作答" in client.get(f"/quiz/attempt/{attempt_id}/result").get_data(as_text=True)


def test_answers_racing_the_submission_are_graded_or_refused_never_lost(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id, drawn = open_attempt(app, client)
    positions = [i for i, d in enumerate(drawn) if d.question.type_name != "short"][: N - 1]

    def request(c, headers):
        index = requests.pop()
        if index is None:
            return c.post(f"/quiz/attempt/{attempt_id}/submit", headers=headers)
        return c.post(
            f"/quiz/attempt/{attempt_id}/q/{index + 1}", data=correct_form(drawn[index]), headers={**headers, **HX}
        )

    requests = [None, *positions]
    results = at_once(client, len(requests), request)
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        stored = service.answers_by_position(attempt)
        # the score is the sum of the stored grades: no answer was stored after the grading
        graded = sum(a.fraction for a in attempt.answers if a.fraction is not None)
        assert attempt.score == pytest.approx(100 * graded / len(drawn), abs=0.01)
    saves = [r for r in results if r.request.path.split("/")[-1] != "submit"]
    for response in saves:
        position = int(response.request.path.split("/")[-1]) - 1
        if response.status_code == 200:  # acknowledged: it must be in the graded result
            assert stored[position].fraction == 1.0
        else:
            assert response.status_code == 409 and service.ALREADY_SUBMITTED in response.get_data(as_text=True)
            assert position not in stored or stored[position].response is None


def test_an_answer_after_submission_is_refused_in_chinese(app, client, auth, content):
    auth.login(Role.TRAINEE)
    attempt_id, drawn = open_attempt(app, client)
    client.post(f"/quiz/attempt/{attempt_id}/submit")
    late = client.post(f"/quiz/attempt/{attempt_id}/q/1", data=correct_form(drawn[0]), headers=HX)
    assert late.status_code == 409 and "本次测验已交卷,这次修改的答案没有保存" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).answers[0].response is None


def test_the_error_page_renders_after_a_failed_database_write(app, client, auth):
    """The handler rolls the session back; before, the Chinese 500 page itself failed."""
    from simulator.models import Site
    from simulator.security import roles_required

    @roles_required(Role.TRAINEE)
    def broken():
        db.session.commit()  # expires the signed-in user, as any earlier write in a request does
        db.session.add(Site(name="翠湖花园管理处"))  # the fixture's site: a unique-key violation
        db.session.flush()

    app.add_url_rule("/broken-write", "broken_write", broken)
    auth.login(Role.TRAINEE)
    response = client.get("/broken-write")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "服务器出错了" in html and "测试学员" in html  # the header still shows who is signed in
