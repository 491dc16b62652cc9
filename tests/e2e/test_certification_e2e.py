"""Browser test: a trainee earns the first level of the shipped programme in the browser (its assessment
role-plays and its quiz), sees the level earned, downloads the certificate, the public verification page
says valid; after a trainer revokes it, revoked.

The requirements are read from the programme's first level: each role-play requirement is met by a
scenario of its category played in 考核 mode with every node's first reference, the quiz by answering
from the key in the database. A level asking for something else fails the test with a clear message."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

import scenarios
from simulator.certification import service
from simulator.cli import DEMO_SITE
from simulator.extensions import db
from simulator.models import Attempt, QuizAttempt, Role
from simulator.quiz import service as quiz_service
from tests.conftest import PASSWORD, gen_user
from tests.e2e.conftest import DEMO_PASSWORD, answer_correctly, login, screenshot, wait_htmx_settled

# Scenarios whose first references end the dialogue resolved, well above a role-play bar (the test
# asserts the score the app gives; these are only the ones it plays), by category.
PLAYED = {"inquiry": ["lost-card-relative-pickup"], "complaint": ["parking-occupied"]}


def play_assessment(page, live_app, scenario, min_score: int) -> None:
    """Start ``scenario`` in 考核 mode from the catalogue filtered by its category and reply at every node
    with the node's first reference until the debrief; the final score must reach ``min_score``."""
    page.goto(f"/play/?category={scenario.category}")
    card = page.locator(f'[data-scenario="{scenario.id}"]')
    expect(card.locator(f".badge.cat-{scenario.category}")).to_be_visible()
    card.get_by_role("button", name="考核", exact=True).click()
    page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
    attempt_id = int(page.url.rstrip("/").split("/")[-1])
    panel = page.locator("#play-panel")
    for _ in range(scenario.max_turns):
        wait_htmx_settled(page)
        if panel.get_attribute("data-ended") == "true":
            break
        before = panel.get_attribute("data-turn")
        box = page.locator("#reply-box")
        box.fill(scenario.nodes[panel.get_attribute("data-node")].references[0])
        box.press("Enter")
        expect(page.locator(f'#play-panel:not([data-turn="{before}"]), #play-panel[data-ended="true"]')) \
            .to_have_count(1, timeout=60_000)
    wait_htmx_settled(page)
    assert panel.get_attribute("data-ended") == "true", f"{scenario.id} did not end within its turns"
    page.get_by_role("link", name="查看复盘").click()
    page.wait_for_url(f"**/play/attempts/{attempt_id}/debrief")
    final = int(page.locator("[data-final-score]").inner_text())
    assert final >= min_score, f"{scenario.id}: final score {final} < {min_score}"
    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.mode == "assessment" and attempt.finished_at is not None
        assert attempt.final_score == final


def pass_quiz(page, live_app, quiz_key: str) -> None:
    """Take the quiz in the browser, answer every drawn question correctly, hand it in; it must pass."""
    page.goto("/quiz/")
    page.locator(f"#quiz-{quiz_key}").get_by_role("button", name=re.compile("^开始(考核|练习)$")).click()
    page.wait_for_url(re.compile(r"/quiz/attempt/\d+"))
    attempt_id = int(re.search(r"/quiz/attempt/(\d+)", page.url).group(1))
    with live_app.app_context():
        drawn = quiz_service.drawn_questions(db.session.get(QuizAttempt, attempt_id))
    assert drawn
    for position, item in enumerate(drawn, start=1):
        page.get_by_text(f"第 {position} / {len(drawn)} 题").wait_for()
        wait_htmx_settled(page)
        answer_correctly(page, item)
        page.locator(f'.quiz-jump a.answered:text-is("{position}")').wait_for(timeout=30_000)
        expect(page.locator(".htmx-request")).to_have_count(0)
        if position < len(drawn):
            page.get_by_role("link", name="下一题").click()
    expect(page.locator(".quiz-progress-text")).to_contain_text(f"已答 {len(drawn)} / {len(drawn)}")
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(f"**/quiz/attempt/{attempt_id}/result", timeout=60_000)
    summary = page.locator(".quiz-score").inner_text()
    assert "通过" in summary and "未通过" not in summary, summary
    with live_app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).passed is True


def earn_first_level(page, live_app) -> tuple[str, str]:
    """Meet every requirement of the first level in the browser; returns (level id, level name)."""
    with live_app.app_context():
        programme, _ = service.current_programmes()[0]
    level = programme.levels[0]
    library = scenarios.load_library()
    for requirement in level.requirements:
        if requirement.kind == "quiz":
            pass_quiz(page, live_app, requirement.quiz)
        elif requirement.kind == "roleplay":
            keys = list(requirement.scenarios) or PLAYED.get(requirement.category, [])[: requirement.count]
            assert requirement.scenarios or len(keys) == requirement.count, (
                f"PLAYED lists fewer than {requirement.count} {requirement.category} scenarios")
            for key in keys:
                assert not requirement.category or library[key].category == requirement.category
                play_assessment(page, live_app, library[key], requirement.min_score)
        else:
            raise AssertionError(f"the test cannot yet meet a {requirement.kind} requirement in the browser")
    return level.id, level.name


def test_trainee_earns_downloads_verifies_and_a_trainer_revokes(page, live_app, live_server):
    with live_app.app_context():
        gen_user(Role.TRAINEE, site_name=DEMO_SITE, username="cert-e2e", display_name="浏览器学员")

    login(page, "cert-e2e", PASSWORD)
    expect(page.locator(".cert-notices")).to_have_count(0)
    level_id, level_name = earn_first_level(page, live_app)
    page.goto("/")
    expect(page.locator(".cert-notices")).to_contain_text(f"您已取得「{level_name}」证书")
    page.get_by_role("link", name="我的认证", exact=True).click()
    level = page.locator(f"#level-{level_id}")
    expect(level).to_have_attribute("data-status", "certified")
    expect(level.locator(".cert-status")).to_have_text("有效")
    expect(level.locator(".cert-req-met").first).to_be_visible()
    screenshot(page, "certification-mine")

    row = page.locator("#certificates tbody tr").first
    code = row.locator("code").inner_text().strip()
    with page.expect_download() as download_info:
        row.get_by_role("link", name="下载证书 PDF").click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "浏览器学员" in text and code in text

    page.goto(f"/verify/{code}")
    expect(page.locator(".cert-verify-status")).to_have_attribute("data-status", "valid")
    expect(page.locator(".cert-verify")).to_contain_text("此证书真实有效")
    expect(page.locator(".cert-verify")).to_contain_text("浏***员")
    expect(page.locator(".cert-verify")).not_to_contain_text("浏览器学员")
    screenshot(page, "certification-verify-valid")

    page.get_by_role("button", name="退出").click()
    login(page, "demo-trainer", DEMO_PASSWORD)
    page.get_by_role("link", name="认证总览").click()
    page.locator('tr[data-trainee="cert-e2e"]').locator(f'td[data-level="{level_id}"] a').click()
    expect(page.locator(f"#level-{level_id}")).to_have_attribute("data-status", "certified")
    page.get_by_label("撤销原因").first.fill("浏览器测试:考核代答")
    page.get_by_role("button", name="撤销此证书").first.click()
    expect(page.locator(".flash-success")).to_contain_text("已撤销")
    expect(page.locator(".cert-audit")).to_contain_text("示范培训师")
    screenshot(page, "certification-revoked")

    page.goto(f"/verify/{code}")
    expect(page.locator(".cert-verify-status")).to_have_attribute("data-status", "revoked")
    expect(page.locator(".cert-verify")).to_contain_text("已撤销")
    expect(page.locator(".cert-verify")).not_to_contain_text("考核代答")
