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

N = 8
QUIZ = "emergency-cert"  # max_attempts: 3


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
    user = auth.login(Role.TRAINEE)
    for _ in range(4):  # one round more than max_attempts
        at_once(client, N, lambda c, h: c.post(f"/quiz/{QUIZ}/start", headers=h))
        with app.app_context():
            for attempt in db.session.execute(
                db.select(QuizAttempt).filter_by(user_id=user.id, submitted_at=None)
            ).scalars():
                service.submit_attempt(attempt, scorer=lambda *a, **k: None)
    attempts = attempts_of(app, user.id)
    assert len(attempts) == 3
    page = client.get("/quiz/").get_data(as_text=True)
    assert "3 / 3" in page


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
