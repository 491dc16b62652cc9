"""Browser test: a trainee with the required passed assessments and quiz sees the first level earned,
downloads the certificate, the public verification page says valid; after a trainer revokes it, revoked.

The evidence is stored through the database (as the play and quiz services store it) to keep the test
fast; it is derived from the shipped programme's first level, so a change to that level's
requirements does not break the test."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from simulator.certification import service
from simulator.cli import DEMO_SITE
from simulator.content import current_content
from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, QuizAttempt, Role, Turn, utcnow
from tests.conftest import PASSWORD, gen_user
from tests.e2e.conftest import DEMO_PASSWORD, login, screenshot


def satisfy_first_level(user) -> tuple[str, str]:
    """Store passed evidence for every requirement of the first level; returns (level id, level name)."""
    programme, _ = service.current_programmes()[0]
    level = programme.levels[0]
    scenarios = {row.key: row for row in current_content("scenario")}
    quizzes = {row.key: row for row in current_content("quiz")}
    finished = utcnow() - timedelta(hours=1)

    def passed_attempt(row: ContentVersion, score: int, skills: dict[str, int] | None = None) -> None:
        attempt = Attempt(user_id=user.id, content_id=row.id, scenario_key=row.key, scenario_version=row.version,
                          mode="assessment", seed=1, state={}, started_at=finished - timedelta(minutes=5),
                          finished_at=finished, ending="resolved", ending_kind="resolved", final_score=score)
        db.session.add(attempt)
        db.session.flush()
        hits = [{"skill": skill, "credit": 1.0} for skill in (skills or {})]
        for index in range(1, 6):
            db.session.add(Turn(attempt_id=attempt.id, index=index, node="opening", resident_line="……",
                                reply="……", score=score, band="优秀", breakdown={"hits": hits, "misses": []},
                                elapsed_s=5.0, emotion_after=20, shown_at=finished, submitted_at=finished))

    for requirement in level.requirements:
        if requirement.kind == "quiz":
            row = quizzes[requirement.quiz]
            db.session.add(QuizAttempt(user_id=user.id, content_id=row.id, quiz_key=row.key, mode="assessment",
                                       seed=1, questions=[], started_at=finished - timedelta(minutes=10),
                                       submitted_at=finished, score=95.0, passed=True))
        elif requirement.kind == "roleplay":
            score = min(100, requirement.min_score + 10)
            keys = list(requirement.scenarios) or [
                key for key, row in sorted(scenarios.items()) if row.data.get("category") == requirement.category
            ][: requirement.count]
            for key in keys:
                passed_attempt(scenarios[key], score)
        elif requirement.kind == "skill_average":
            passed_attempt(next(iter(scenarios.values())), 95, requirement.skills)
    db.session.commit()
    return level.id, level.name


def test_trainee_earns_downloads_verifies_and_a_trainer_revokes(page, live_app, live_server):
    with live_app.app_context():
        user = gen_user(Role.TRAINEE, site_name=DEMO_SITE, username="cert-e2e", display_name="浏览器学员")
        level_id, level_name = satisfy_first_level(user)

    login(page, "cert-e2e", PASSWORD)
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
