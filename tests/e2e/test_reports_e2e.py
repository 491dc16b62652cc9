"""Browser test: group HR filters the report by site and dates, the chart updates, the exports match the database."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, HrSite, Role, Site, Turn, User
from tests.e2e.conftest import DEMO_PASSWORD, login, screenshot

SITE_A, SITE_B = "E2E报表甲管理处", "E2E报表乙管理处"
HR_USERNAME = "e2e-report-hr"


def _attempt(user, content, started, score, index):
    attempt = Attempt(
        user_id=user.id, content_id=content.id, scenario_key=content.key, scenario_version=content.version,
        mode="assessment", seed=index, state={}, started_at=started, node_started_at=started,
        finished_at=started + timedelta(minutes=4), ending="resolved", ending_kind="resolved", final_score=score,
    )  # fmt: skip
    db.session.add(attempt)
    db.session.flush()
    skill = "apology" if score >= 55 else "follow_up"
    db.session.add(Turn(
        attempt_id=attempt.id, index=0, node="opening", resident_line="怎么又漏水了?", reply="=1+1 非常抱歉",
        score=score, band="合格", elapsed_s=10.0, emotion_after=30, shown_at=started, submitted_at=started,
        breakdown={"hits": [{"item": "a", "skill": skill, "label": "致歉"}], "misses": [], "blockers": []},
    ))  # fmt: skip


@pytest.fixture(scope="module")
def report_data(live_app):
    """Two sites of one group HR; attempts in March and April 2026 (content not current: catalogues unchanged)."""
    with live_app.app_context():
        sites = {name: Site(name=name) for name in (SITE_A, SITE_B)}
        db.session.add_all(sites.values())
        db.session.flush()
        content = ContentVersion(kind="scenario", key="e2e-report-leak", version="e2e1", title="报表测试:楼上漏水",
                                 data={"id": "e2e-report-leak", "category": "complaint", "endings": {}},
                                 is_current=False)  # fmt: skip
        db.session.add(content)
        hr = User(username=HR_USERNAME, display_name="集团人事 赵专员", role=Role.HR.value, site=sites[SITE_A])
        hr.set_password(DEMO_PASSWORD)
        db.session.add(hr)
        trainees = []
        for n, site in enumerate([SITE_A, SITE_A, SITE_B]):
            user = User(username=f"e2e-rpt-{n}", display_name=f"报表学员{n}", role=Role.TRAINEE.value,
                        site=sites[site], password_hash="x")  # fmt: skip
            db.session.add(user)
            trainees.append(user)
        db.session.flush()
        db.session.add(HrSite(user_id=hr.id, site_id=sites[SITE_B].id))
        index = 0
        for day in range(0, 56, 3):  # 2026-03-01 .. 2026-04-25, 10:00 in Shanghai
            started = datetime(2026, 3, 1, 2, 0) + timedelta(days=day)
            for user in trainees:
                index += 1
                _attempt(user, content, started, 40 + (index * 7) % 60, index)
        db.session.commit()
        return {"site_a": sites[SITE_A].id}


def expected_ids(live_app, site_id, date_from, date_to):
    """What the database holds for the filter, computed here independently (local days → UTC)."""
    with live_app.app_context():
        start = datetime.fromisoformat(date_from) - timedelta(hours=8)
        end = datetime.fromisoformat(date_to) + timedelta(days=1) - timedelta(hours=8)
        return sorted(db.session.scalars(
            db.select(Attempt.id).join(User, Attempt.user_id == User.id)
            .where(User.site_id == site_id, User.role == "trainee")
            .where(Attempt.started_at >= start, Attempt.started_at < end)
        ))  # fmt: skip


def test_hr_filters_by_site_and_dates_and_exports_what_the_database_holds(page, live_app, report_data):
    login(page, HR_USERNAME)
    page.goto("/reports/?from=2026-03-01&to=2026-04-30")
    body = page.locator("#report-body")
    everything = body.get_attribute("data-attempts")
    assert int(everything) >= 57  # both sites (and whatever other tests left on the demo site: none is HR's)

    page.get_by_label(SITE_A).check()
    page.get_by_label("开始日期").fill("2026-03-10")
    page.get_by_label("结束日期").fill("2026-04-05")
    wanted = expected_ids(live_app, report_data["site_a"], "2026-03-10", "2026-04-05")
    assert 0 < len(wanted) < int(everything)
    expect(body).to_have_attribute("data-attempts", str(len(wanted)))
    expect(body).to_have_attribute("data-to", "2026-04-05")
    expect(page).to_have_url(re.compile(r"site=\d+.*from=2026-03-10.*to=2026-04-05|from=2026-03-10.*to=2026-04-05"))
    bars = page.locator('svg[data-chart="trend"] rect.bar')
    assert sum(int(bars.nth(i).get_attribute("data-value")) for i in range(bars.count())) == len(wanted)
    expect(page.locator('svg[data-chart="skills"] rect.bar[data-skill="apology"]')).to_have_count(1)
    expect(page.locator("#report-body")).not_to_contain_text("报表学员2")  # site B's trainee is filtered out
    screenshot(page, "reports-dashboard")

    attempts_form = page.locator('form.export-form[data-kind="attempts"]')
    attempts_form.get_by_role("button", name="导出 Excel").click()
    link = page.locator("#export-jobs").get_by_role("link", name=re.compile("下载 演练记录"))
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("记录编号", "工号", "姓名", "管理处")
    assert sorted(row[0] for row in rows[1:]) == wanted
    assert {row[3] for row in rows[1:]} == {SITE_A}

    attempts_form.get_by_role("button", name="导出 CSV").click()
    csv_link = page.locator("#export-jobs").get_by_role("link", name=re.compile(r"下载 演练记录.*\.csv"))
    expect(csv_link).to_be_visible()
    with page.expect_download() as info:
        csv_link.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(int(row[0]) for row in table[1:]) == wanted

    page.goto("/reports/exports")
    expect(page.locator("tr[data-export]")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text(str(len(wanted)))


def test_hr_drills_down_to_a_trainee_and_a_skill(page, report_data):
    login(page, HR_USERNAME)
    page.goto("/reports/?from=2026-03-01&to=2026-04-30")
    page.locator("#report-body").get_by_role("link", name="报表学员1").click()
    expect(page.get_by_role("heading", name=re.compile("报表学员1"))).to_be_visible()
    expect(page.locator("#attempts tbody tr")).to_have_count(19)  # every third day from 03-01 to 04-25
    expect(page.locator("#attempts td[data-review]").first).to_have_text(re.compile("未复核|已复核|有改分"))
    expect(page.locator("#certificates tbody tr").first).to_contain_text("从未获得")
    page.locator('svg[data-chart="skills"] a').first.click()
    expect(page.get_by_role("heading", name=re.compile("技能:"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("报表学员1")
    screenshot(page, "reports-skill")

    # the certification filter: nobody here holds a certificate, so 有效 leaves no trainee and no attempt
    page.goto("/reports/?from=2026-03-01&to=2026-04-30")
    expect(page.locator('svg[data-chart="certs"] rect[data-state="never"]').first).to_be_visible()
    page.get_by_label("认证状态").select_option("valid")
    expect(page.locator("#report-body")).to_have_attribute("data-attempts", "0")
    expect(page.locator("#report-body")).not_to_contain_text("报表学员1")
