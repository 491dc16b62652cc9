"""Browser test: a trainee takes and passes a timed assessment one question at a time, then reviews it."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from simulator.content import ContentItem, upsert_content
from simulator.extensions import db
from simulator.models import ContentVersion, QuizAttempt, User, utcnow
from simulator.quiz import service
from tests.e2e.conftest import answer_correctly, login, screenshot, wait_htmx_settled

QUIZ_KEY = "e2e-timed"
QUIZ_TITLE = "限时考核(浏览器测试)"
# Short answers are graded by the embedding model; this quiz draws every other type from three topics.
DEFINITION = {
    "schema_version": 1,
    "id": QUIZ_KEY,
    "title": QUIZ_TITLE,
    "description": "浏览器测试用:限时 5 分钟,80 分合格。",
    "mode": "assessment",
    "time_limit_s": 300,
    "pass_mark": 80,
    "max_attempts": 0,
    "shuffle_options": True,
    "draw": [
        {"topic": "投诉处理 L-U-A-S-F", "count": 3, "types": ["single", "multiple", "ordering"]},
        {"topic": "服务触点标准", "count": 3, "types": ["truefalse", "fill", "ordering"]},
        {"topic": "礼仪与仪表", "count": 2, "types": ["single", "multiple", "fill"]},
    ],
}


@pytest.fixture
def timed_quiz(live_app):
    """A timed assessment without short answers, current only for the test."""
    with live_app.app_context():
        upsert_content("quiz", [ContentItem("quiz", QUIZ_KEY, QUIZ_TITLE, DEFINITION)])
    yield QUIZ_KEY
    with live_app.app_context():
        # a failed test must not leave an open attempt that changes what the next test sees
        for attempt in db.session.execute(
            db.select(QuizAttempt).filter_by(quiz_key=QUIZ_KEY, submitted_at=None)
        ).scalars():
            db.session.delete(attempt)
        for row in db.session.execute(db.select(ContentVersion).filter_by(kind="quiz", key=QUIZ_KEY)).scalars():
            row.is_current = False
        db.session.commit()


def attempt_id_from(url: str) -> int:
    return int(re.search(r"/quiz/attempt/(\d+)", url).group(1))


def test_take_and_pass_a_timed_quiz_then_review(page, live_app, timed_quiz):
    login(page, "demo-trainee")
    page.get_by_role("link", name="知识测验").click()
    card = page.locator(".quiz-card", has_text=QUIZ_TITLE)
    assert "5 分钟" in card.inner_text() and "80 分" in card.inner_text()
    screenshot(page, "quiz-index")
    card.get_by_role("button", name="开始考核").click()
    page.wait_for_url(re.compile(r"/quiz/attempt/\d+"))
    attempt_id = attempt_id_from(page.url)
    with live_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        drawn = service.drawn_questions(attempt)
        assert attempt.deadline_at is not None
    assert len(drawn) == 8

    timer = page.locator(".quiz-timer-value")
    assert re.fullmatch(r"0[45]:\d\d", timer.inner_text())
    for position, item in enumerate(drawn, start=1):
        page.get_by_text(f"第 {position} / {len(drawn)} 题").wait_for()
        assert item.question.stem in page.locator("#quiz-stem").inner_text()
        wait_htmx_settled(page)
        answer_correctly(page, item)
        page.locator(f'.quiz-jump a.answered:text-is("{position}")').wait_for()
        expect(page.locator(".htmx-request")).to_have_count(0)
        assert "答案已保存" in page.locator("#quiz-save-status").inner_text()
        assert "正确答案" not in page.locator("#quiz-save-status").inner_text()  # assessment: no key yet
        if position == 1:
            screenshot(page, "quiz-taking")
        if position == 2:
            # a reload loses nothing: the first answer is still there
            page.reload()
            page.locator(".quiz-jump a", has_text=re.compile(r"^1$")).click()
            page.get_by_text(f"第 1 / {len(drawn)} 题").wait_for()
            assert page.locator(".quiz-jump a.answered").count() == 2
            page.locator(".quiz-jump a", has_text=re.compile(r"^3$")).click()
            continue
        if position < len(drawn):
            page.get_by_role("link", name="下一题").click()

    assert page.locator(".quiz-progress-text").inner_text().startswith(f"已答 {len(drawn)} / {len(drawn)}")
    screenshot(page, "quiz-all-answered")
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(f"**/quiz/attempt/{attempt_id}/result")
    summary = page.locator(".quiz-score").inner_text()
    assert "100" in summary and "通过" in summary and "未通过" not in summary
    reviews = page.locator("article.quiz-review")
    assert reviews.count() == len(drawn)
    assert page.locator("article.quiz-review.correct").count() == len(drawn)
    for index, item in enumerate(drawn):
        text = reviews.nth(index).inner_text()
        assert item.question.answer_text() in text
        assert item.question.source.section in text
    screenshot(page, "quiz-result")
    with live_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.passed is True and attempt.score == 100.0
        assert attempt.submitted_at <= attempt.deadline_at

    page.get_by_role("link", name="返回测验列表").click()
    history = page.locator("table").last.inner_text()
    assert QUIZ_TITLE in history and "通过" in history


def test_countdown_reaching_zero_hands_the_attempt_in(page, live_app, timed_quiz):
    login(page, "demo-trainee")
    page.goto("/quiz/")
    page.locator(".quiz-card", has_text=QUIZ_TITLE).get_by_role("button", name=re.compile("开始考核|继续作答")).click()
    page.wait_for_url(re.compile(r"/quiz/attempt/\d+"))
    attempt_id = attempt_id_from(page.url)
    with live_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.deadline_at = utcnow() + timedelta(seconds=2)
        db.session.commit()
    page.reload()
    page.get_by_text("时间到,正在交卷").wait_for(timeout=10_000)
    page.wait_for_url(f"**/quiz/attempt/{attempt_id}/result", timeout=15_000)
    assert "作答时间已到,系统已自动交卷" in page.content()
    screenshot(page, "quiz-time-up")
    with live_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.submitted_at is not None and attempt.passed is False


def test_trainer_sees_item_analysis_and_the_bank(page, live_app):
    with live_app.app_context():
        # the page analyses the trainer's own site only: count that site's submitted attempts
        trainer_site = db.session.scalar(db.select(User.site_id).where(User.username == "demo-trainer"))
        submitted = db.session.scalar(
            db.select(db.func.count(QuizAttempt.id))
            .join(User, QuizAttempt.user_id == User.id)
            .where(QuizAttempt.submitted_at.is_not(None), User.site_id == trainer_site)
        )
    login(page, "demo-trainer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="题目分析").click()
    page.wait_for_url("**/quiz/analysis")
    page.locator("main h1").first.wait_for()
    if submitted:
        assert page.locator("table.quiz-analysis tbody tr").count() > 0
        assert "难度系数" in page.content()
    else:
        assert "还没有已交卷的测验记录" in page.content()
    screenshot(page, "quiz-analysis")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="题库管理").click()
    page.get_by_role("heading", name="按主题与题型统计").wait_for()  # content() may read a half-parsed page
    page.locator("details.quiz-topic").first.locator("summary").click()
    screenshot(page, "quiz-bank")


FILL_KEY = "e2e-fill"
FILL_TITLE = "填空一题(浏览器测试)"


@pytest.fixture
def fill_quiz(live_app):
    """A one-question quiz whose question is a fill-in, current only for the test."""
    definition = {
        **DEFINITION,
        "id": FILL_KEY,
        "title": FILL_TITLE,
        "time_limit_s": 0,
        "draw": [{"topic": "礼仪与仪表", "count": 1, "types": ["fill"]}],
    }
    with live_app.app_context():
        upsert_content("quiz", [ContentItem("quiz", FILL_KEY, FILL_TITLE, definition)])
    yield FILL_KEY
    with live_app.app_context():
        for row in db.session.execute(db.select(ContentVersion).filter_by(kind="quiz", key=FILL_KEY)).scalars():
            row.is_current = False
        db.session.commit()


def test_typing_an_answer_and_clicking_submit_at_once_keeps_the_answer(page, live_app, fill_quiz):
    """Issue 14.3: 交卷 right after typing raced the debounced save and lost the answer."""
    login(page, "demo-trainee")
    page.goto("/quiz/")
    page.locator(".quiz-card", has_text=FILL_TITLE).get_by_role("button", name=re.compile("开始考核|继续作答")).click()
    page.wait_for_url(re.compile(r"/quiz/attempt/\d+"))
    attempt_id = attempt_id_from(page.url)
    with live_app.app_context():
        [item] = service.drawn_questions(db.session.get(QuizAttempt, attempt_id))
    answer = item.question.answer_text().split(" / ")[0]

    def slow_save(route):  # a save that travels a little, as on a busy network: the race every time
        if route.request.method == "POST":
            time.sleep(0.6)
        route.continue_()

    page.route(re.compile(r"/quiz/attempt/\d+/q/\d+"), slow_save)
    wait_htmx_settled(page)
    page.locator('#quiz-panel input[name="answer"]').fill(answer)
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(f"**/quiz/attempt/{attempt_id}/result")
    review = page.locator("article.quiz-review").first.inner_text()
    assert answer in review and "未作答" not in review
    with live_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.answers[0].response == answer and attempt.score == 100.0
