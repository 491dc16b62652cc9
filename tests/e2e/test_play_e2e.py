"""Browser tests of scenario play: endings, the emotion meter, resume, timeouts and escaping."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import scenarios
from simulator.extensions import db
from simulator.models import Attempt
from tests.e2e.conftest import login, screenshot

COMPLAINT = "leak-repeated"
BAD_REPLY = "这不归我们管,你自己去找楼上,别在这儿吵。"
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def library():
    return scenarios.load_library()


def start(page, key: str = COMPLAINT, mode_button: str = "开始练习") -> int:
    page.goto("/play/")
    page.locator(f'[data-scenario="{key}"]').get_by_role("button", name=mode_button).click()
    page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
    page.evaluate("window.__samePage = true")
    return int(page.url.rstrip("/").split("/")[-1])


def panel(page):
    return page.locator("#play-panel")


def send(page, text: str) -> None:
    """Type a reply, press Enter, and wait for the next turn (or the ending) to be swapped in."""
    before = panel(page).get_attribute("data-turn")
    box = page.locator("#reply-box")
    box.fill(text)
    box.press("Enter")
    # a locator, not wait_for_function: the Content-Security-Policy forbids the eval that one needs
    changed = page.locator(f'#play-panel:not([data-turn="{before}"]), #play-panel[data-ended="true"]')
    expect(changed).to_have_count(1, timeout=30_000)
    assert page.evaluate("window.__samePage === true"), "the page reloaded instead of swapping the turn"


def ended(page) -> bool:
    return panel(page).get_attribute("data-ended") == "true"


def emotion(page) -> int:
    return int(page.locator(".emotion-track").get_attribute("aria-valuenow"))


def attempt_row(live_app, attempt_id: int) -> Attempt:
    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.turns  # noqa: B018  (load while the session is open)
        db.session.expunge(attempt)
        return attempt


def test_complaint_resolved_with_good_replies(page, library, live_app):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    attempt_id = start(page)
    assert scenario.persona.name in page.locator(".play-status").inner_text()
    assert scenario.channel in page.locator(".play-status").inner_text()
    for _ in range(scenario.max_turns):
        if ended(page):
            break
        node = panel(page).get_attribute("data-node")
        send(page, scenario.nodes[node].references[0])
        if not ended(page):
            assert page.locator(".feedback mark.hit").count() > 0
            assert page.locator(".model-answer").is_visible()
            screenshot(page, "play-practice-turn")
    assert page.locator(".ending-resolved").is_visible()
    assert scenario.endings[scenario.first_ending("resolved")].title in page.locator(".ending").inner_text()
    assert attempt_row(live_app, attempt_id).ending_kind == "resolved"
    screenshot(page, "play-resolved")
    page.get_by_role("link", name="查看复盘").click()
    page.wait_for_url(f"**/play/attempts/{attempt_id}/debrief")
    body = page.locator("main").inner_text()
    assert "技能表现" in body and "参考答复" in body and scenario.source.section in body
    screenshot(page, "play-debrief-resolved")
    page.get_by_role("button", name="再练一次").click()
    page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
    assert int(page.url.split("/")[-1]) != attempt_id


def test_complaint_escalates_with_bad_replies(page, library, live_app):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    attempt_id = start(page, COMPLAINT, "考核")
    for _ in range(scenario.max_turns):
        if ended(page):
            break
        send(page, BAD_REPLY)
        assert page.locator(".model-answer").count() == 0  # assessment: no model answer per turn
    assert page.locator(".ending-escalated").is_visible()
    assert page.locator(".feedback mark.blocker").count() > 0
    assert "严重问题" in page.locator(".feedback").inner_text()
    assert attempt_row(live_app, attempt_id).ending_kind == "escalated"
    page.get_by_role("link", name="查看复盘").click()
    page.wait_for_url("**/debrief")
    assert scenario.nodes[scenario.start].references[0] in page.locator("main").inner_text()
    screenshot(page, "play-debrief-escalated")


def test_emotion_meter_moves_after_a_reply(page, library):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    start(page)
    before = emotion(page)
    assert before == scenario.persona.emotion
    width_before = page.locator(".emotion-fill").evaluate("e => e.getBoundingClientRect().width")
    send(page, scenario.nodes[scenario.start].references[1])
    after = emotion(page)
    assert after != before
    page.wait_for_timeout(700)  # the bar animates to its new width
    width_after = page.locator(".emotion-fill").evaluate("e => e.getBoundingClientRect().width")
    assert (width_after < width_before) == (after < before)


def test_keyboard_enter_sends_but_not_shift_enter_or_ime(page, library):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    start(page)
    box = page.locator("#reply-box")
    box.fill("王女士")
    box.press("Shift+Enter")
    box.dispatch_event("compositionstart")
    box.press("Enter")  # confirms an IME candidate: must not send
    box.dispatch_event("compositionend")
    page.wait_for_timeout(300)
    assert panel(page).get_attribute("data-turn") == "1"
    assert box.input_value().count("\n") == 2
    box.fill(scenario.nodes[scenario.start].references[0])
    box.press("Enter")
    expect(page.locator('#play-panel:not([data-turn="1"])')).to_have_count(1)


def test_reload_mid_scenario_resumes(page, library, live_app):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    attempt_id = start(page)
    first = scenario.nodes[scenario.start].references[0]
    send(page, first)
    node = panel(page).get_attribute("data-node")
    line = page.locator("[data-current-line] .said").inner_text()
    page.reload()
    assert panel(page).get_attribute("data-turn") == "2"
    assert panel(page).get_attribute("data-node") == node
    assert page.locator("[data-current-line] .said").inner_text() == line
    assert page.locator(".from-trainee").count() == 1
    assert first in page.locator(".chat").inner_text()
    page.goto("/")
    page.goto(f"/play/attempts/{attempt_id}")
    page.evaluate("window.__samePage = true")
    send(page, scenario.nodes[node].references[0])
    assert len(attempt_row(live_app, attempt_id).turns) == 2


def test_timed_emergency_times_out_by_the_server_rule(page, library, live_app):
    scenario = next(
        s for s in library.values()
        if s.timeout_rule(s.start) and s.endings.get(s.timeout_rule(s.start).to)
        and s.endings[s.timeout_rule(s.start).to].kind == "timed_out"
    )
    scale = 0.05
    limit = scenario.time_limit_for(scenario.start) * scale
    expiries: list[int] = []
    page.on("response", lambda r: "/expire" in r.url and expiries.append(r.status))
    live_app.config["PLAY_TIME_SCALE"] = scale
    try:
        login(page, "demo-trainee")
        attempt_id = start(page, scenario.id)
        assert page.locator("[data-countdown]").is_visible()
        screenshot(page, "play-timed-countdown")
        # A browser whose clock runs an hour fast asks too early: the server refuses (204).
        page.evaluate(
            "() => { const real = performance.now.bind(performance);"
            " performance.now = () => real() + 3600e3; }"
        )
        page.wait_for_selector(".ending-timed_out", timeout=20_000)
    finally:
        live_app.config.pop("PLAY_TIME_SCALE", None)
    assert expiries[0] == 204 and 200 in expiries
    assert "未在限时内作答" in page.locator(".chat").inner_text()
    attempt = attempt_row(live_app, attempt_id)
    assert attempt.ending_kind == "timed_out"
    assert attempt.turns[0].late and attempt.turns[0].reply == ""
    assert attempt.turns[0].elapsed_s > limit
    screenshot(page, "play-timed-out")


def test_script_reply_is_plain_text_everywhere(page, library, live_app):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    attempt_id = start(page)
    send(page, f"{XSS}不归我们管")
    assert XSS in page.locator(".chat").inner_text()
    assert XSS in page.locator(".feedback-reply").inner_text()
    for _ in range(scenario.max_turns):
        if ended(page):
            break
        send(page, BAD_REPLY)
    page.goto(f"/play/attempts/{attempt_id}/debrief")
    assert XSS in page.locator(".transcript").inner_text()
    assert page.locator(".transcript script").count() == 0
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/auth/login")
    login(page, "demo-trainer")
    page.goto("/play/review")
    page.locator(f'a[href="/play/review/{attempt_id}"]').click()
    page.wait_for_url(f"**/play/review/{attempt_id}")
    assert XSS in page.locator(".transcript").inner_text()
    assert page.locator("main script").count() == 0
    screenshot(page, "play-trainer-review")
    assert dialogs == []
