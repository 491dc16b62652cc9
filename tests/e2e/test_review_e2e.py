"""Browser test of the review loop: a trainer corrects a turn, promotes the reply to an example, reads the
regression report and saves it; the trainee's debrief shows the review; a trainer of another site gets 404."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from simulator.extensions import db
from simulator.models import ScorerVersion
from tests.conftest import PASSWORD, gen_user
from tests.e2e.conftest import login, screenshot

COMPLAINT = "leak-repeated"
BAD_REPLY = "这不归我们管,你自己去找楼上,别在这儿吵。"
REASON = "这是推诿,但语气还算克制,给合格"


def test_trainer_corrects_promotes_and_the_trainee_sees_the_review(page, live_app, tmp_path):
    # retrain on two scenarios only (seconds, as tests/scoring/test_artefact.py does), into a scratch folder
    live_app.config.update(SCORER_RETRAIN_SCENARIOS=[COMPLAINT, "phone-fee-inquiry"],
                           SCORER_FOLDER=str(tmp_path / "scorer"))
    try:
        login(page, "demo-trainee")
        page.goto("/play/")
        page.locator(f'[data-scenario="{COMPLAINT}"]').get_by_role("button", name="考核").click()
        page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
        attempt_id = int(page.url.rstrip("/").split("/")[-1])
        for _ in range(12):
            if page.locator("#play-panel").get_attribute("data-ended") == "true":
                break
            before = page.locator("#play-panel").get_attribute("data-turn")
            page.locator("#reply-box").fill(BAD_REPLY)
            page.locator("#reply-box").press("Enter")
            expect(page.locator(f'#play-panel:not([data-turn="{before}"]), #play-panel[data-ended="true"]')) \
                .to_have_count(1, timeout=30_000)
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/auth/login")

        login(page, "demo-trainer")
        page.get_by_role("link", name="评分复核").click()
        page.wait_for_url("**/review/queue")
        row = page.locator(f'tr[data-attempt="{attempt_id}"]')
        expect(row.locator("[data-status]")).to_have_text("未复核")
        row.get_by_role("link", name="复核").click()
        page.wait_for_url(f"**/review/attempts/{attempt_id}")
        turn = page.locator('[data-turn="1"]')
        expect(turn.locator("[data-explain]").first).to_contain_text("评分依据")
        screenshot(page, "review-attempt")
        form = turn.locator("[data-review-form]")
        form.locator("summary").click()
        form.locator('select[name="band"]').select_option("合格")
        form.locator('textarea[name="reason"]').fill(REASON)
        form.get_by_role("button", name="保存改分").click()
        page.wait_for_url(re.compile(rf".*/review/attempts/{attempt_id}#turn-1$"))
        expect(page.locator('[data-turn="1"] [data-corrected]')).to_be_visible()
        expect(page.locator("[data-review-status]")).to_have_text("有改分")
        expect(page.locator("[data-audit]")).to_contain_text("本轮得分")

        # the retraining runs as a job (immediately in tests); the page then shows the regression report
        page.locator('[data-turn="1"]').get_by_role("button", name="设为评分样例").click(timeout=300_000)
        page.wait_for_url(re.compile(r".*/review/examples/\d+$"), timeout=300_000)
        report = page.locator("[data-regression-report]")
        expect(report).to_be_visible()
        expect(report).to_contain_text("档位会改变")
        expect(page.locator(".job-progress")).to_have_attribute("data-status", "done")
        screenshot(page, "review-regression-report")
        page.get_by_role("button", name="保存并启用新模型").click()
        expect(page.locator("[data-example-status]")).to_have_text("已保存")
        page.goto("/review/scorer")
        expect(page.locator("[data-active-version]")).to_be_visible()
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/auth/login")

        login(page, "demo-trainee")
        page.goto(f"/play/attempts/{attempt_id}/debrief")
        expect(page.locator("[data-reviewed]")).to_have_text("已复核")
        expect(page.locator('[data-turn-review="1"]')).to_contain_text(REASON)
        expect(page.locator('[data-turn-review="1"]')).to_contain_text("合格")
        screenshot(page, "review-trainee-debrief")
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/auth/login")

        # a trainer of another site cannot open the attempt, nor find it in their queue
        with live_app.app_context():
            outsider = gen_user("trainer", site_name="碧水湾管理处").username
        login(page, outsider, PASSWORD)
        page.goto("/review/queue")
        expect(page.locator(f'tr[data-attempt="{attempt_id}"]')).to_have_count(0)
        response = page.goto(f"/review/attempts/{attempt_id}")
        assert response is not None and response.status == 404
        page.console.errors.clear()  # Chromium logs the 404 response itself as a failed resource
        expect(page.locator("body")).not_to_contain_text(REASON)
    finally:
        for key in ("SCORER_RETRAIN_SCENARIOS", "SCORER_FOLDER"):
            live_app.config.pop(key, None)
        with live_app.app_context():  # later browser tests score with the repository's model again
            for version in db.session.execute(db.select(ScorerVersion)).scalars():
                version.active = False
            db.session.commit()
