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


# Natural replies, one per node, in a trainee's own words (none is in the scoring corpus or a
# reference); the first is the reply that the first scorer sank with a false 推诿.
NATURAL = {
    "opening": "王女士,这次真是我们做得太差了,前两次都没人回您,换我也得火大。您这是卫生间顶上又渗水了,对吧?"
    "我今天就盯着这事,下午三点前带修漏的师傅过来找源头,修完我当面跟您说。",
    "demand_manager": "您不信我们很正常,是我们先失了信。经理那边我现在就报上去,这件事从现在起我本人负责到底,"
    "下午三点前我带师傅上门,晚上八点前给您回电话说结果。",
    "inspect": "您要个准话,我给您:今天下午三点前我和工程师一起上门查漏点,查清是楼上管道还是防水的问题,"
    "今晚八点前电话告诉您维修方案和完工日期。",
    "upstairs": "楼上的事该我们来协调,不该让您去敲门。我中午前按档案联系1303业主约入户时间,联系不上就上门贴通知,"
    "下午五点前把进展告诉您,还不行我就报部长一起协调。",
    "compensation": "损失的事您放心,不会不了了之。我先把吊顶和柜子拍照登记下来,等查清漏水原因就能分清责任,"
    "是楼上的问题我来协调他们赔偿,三天内给您一个书面处理意见。",
    "closing": "谢谢您再给我们一次机会,这次不会再没下文了。修好后我每天给您打个电话问问还漏不漏,"
    "下周一我再上门回访一次。",
}


def test_natural_replies_resolve_and_the_explanation_is_shown(page, library, live_app):
    scenario = library[COMPLAINT]
    login(page, "demo-trainee")
    attempt_id = start(page)
    first = True
    for _ in range(scenario.max_turns):
        if ended(page):
            break
        send(page, NATURAL[panel(page).get_attribute("data-node")])
        if first:
            card = page.locator(".feedback").last
            assert card.locator("mark.blocker").count() == 0
            assert card.locator(".feedback-score").inner_text().split("·")[-1].strip() in ("优秀", "良好")
            expect(card.locator("[data-feedback]")).to_contain_text("做到了")
            screenshot(page, "play-natural-first-turn")
            first = False
    assert page.locator(".ending-resolved").is_visible()
    assert attempt_row(live_app, attempt_id).ending_kind == "resolved"
    assert all(t.scorer_version for t in attempt_row(live_app, attempt_id).turns)

    page.context.clear_cookies()
    login(page, "demo-trainer")
    page.goto(f"/play/review/{attempt_id}")
    explain = page.locator("[data-explain]").first
    expect(explain).to_contain_text("评分依据")
    explain.locator("summary").click()
    expect(explain).to_contain_text("阶段 分句分类器")
    expect(explain).to_contain_text("最近的标注样例")
    screenshot(page, "review-explanation")
