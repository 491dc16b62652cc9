"""Dashboard pages: htmx fragment, errors in Chinese, drill-downs, scope (site A never sees site B)."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.extensions import db
from simulator.models import HrSite, Role, Site, User

from .conftest import make_attempt, make_quiz

pytestmark = pytest.mark.db

SITE_B = "滨江壹号管理处"
T0 = datetime(2026, 3, 2, 2, 0)
RANGE = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def data(app, gen):
    with app.app_context():
        mine = gen.user(Role.TRAINEE, display_name="甲项目学员", position="管家")
        other = gen.user(Role.TRAINEE, SITE_B, display_name="乙项目学员")
        make_attempt(mine, started=T0, score=82, turns=[(82, ["apology"], ["follow_up"])])
        make_attempt(other, "test-fire", started=T0, score=20)
        make_quiz(mine, started=T0)
        site_b = db.session.execute(db.select(Site).filter_by(name=SITE_B)).scalar_one()
        return {"mine": mine.id, "other": other.id, "site_b": site_b.id}


def test_dashboard_shows_figures_charts_and_own_site_only(client, auth, data):
    auth.login(Role.HR)
    response = client.get(f"/reports/?{RANGE}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-figure="attempts">1<' in html and "甲项目学员" in html and "乙项目学员" not in html
    assert '<svg class="chart-svg"' in html and 'data-chart="skills"' in html and "致歉" in html
    assert "测试:楼道起火" not in html  # site B's scenario play
    assert "<script>" not in html  # charts are drawn on the server, no inline script
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_htmx_gets_only_the_body_and_bad_filters_get_a_chinese_error(client, auth, data):
    auth.login(Role.HR)
    partial = client.get(f"/reports/?{RANGE}&mode=practice", headers={"HX-Request": "true"})
    text = partial.get_data(as_text=True)
    assert partial.status_code == 200 and text.lstrip().startswith('<div id="report-body"')
    assert 'data-figure="attempts">0<' in text and "<html" not in text
    bad = client.get("/reports/?from=2026-02-30", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "不是有效日期" in bad.get_data(as_text=True)
    assert "data-figure" not in bad.get_data(as_text=True)


def test_hr_of_site_a_gets_nothing_of_site_b(client, auth, data):
    auth.login(Role.HR)
    refused = client.get(f"/reports/?{RANGE}&site={data['site_b']}")
    assert refused.status_code == 422 and "管辖范围" in refused.get_data(as_text=True)
    assert "乙项目学员" not in refused.get_data(as_text=True)
    assert client.get(f"/reports/trainees/{data['other']}").status_code == 404
    scenario = client.get(f"/reports/scenarios/test-fire?{RANGE}").get_data(as_text=True)
    assert 'class="stat-value">0<' in scenario  # the scenario exists, but no site-A plays of it
    export = client.post("/reports/exports", data={"kind": "attempts", "format": "csv", "site": data["site_b"]})
    assert export.status_code == 422 and "管辖范围" in export.get_data(as_text=True)


def test_group_hr_assigned_by_an_admin_sees_both_sites(app, client, auth, data):
    with app.app_context():
        from tests.conftest import gen_user

        hr = gen_user(Role.HR, username="group-hr")
        hr_id = hr.id
    auth.login(Role.ADMIN)
    page = client.get("/reports/access").get_data(as_text=True)
    assert "group-hr" in page
    saved = client.post("/reports/access", data={"user_id": hr_id, "sites": [data["site_b"]]})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalars(db.select(HrSite.site_id).filter_by(user_id=hr_id)).all() == [data["site_b"]]
    auth.logout()
    from tests.conftest import PASSWORD

    client.post("/auth/login", data={"username": "group-hr", "password": PASSWORD})
    html = client.get(f"/reports/?{RANGE}").get_data(as_text=True)
    assert "甲项目学员" in html and "乙项目学员" in html
    only_b = client.get(f"/reports/?{RANGE}&site={data['site_b']}").get_data(as_text=True)
    assert "乙项目学员" in only_b and "甲项目学员" not in only_b


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.TRAINER])
def test_trainees_and_trainers_get_no_reports(client, auth, data, role):
    auth.login(role)
    assert client.get("/reports/").status_code == 403
    assert client.post("/reports/exports", data={"kind": "attempts", "format": "csv"}).status_code == 403


def test_drill_downs_render(client, auth, data):
    auth.login(Role.HR)
    trainee = client.get(f"/reports/trainees/{data['mine']}?{RANGE}").get_data(as_text=True)
    assert "甲项目学员" in trainee and "测试:楼上漏水" in trainee and "测试测验" in trainee and "致歉 100%" in trainee
    assert "03-02 10:00" in trainee or "2026-03-02 10:00" in trainee  # local time (UTC 02:00)
    scenario = client.get(f"/reports/scenarios/test-leak?{RANGE}").get_data(as_text=True)
    assert "圆满解决:1 次" in scenario and "<code>n0</code>" in scenario
    skill = client.get(f"/reports/skills/apology?{RANGE}").get_data(as_text=True)
    assert 'data-figure="skill-percent">100%<' in skill and "甲项目学员" in skill
    assert client.get("/reports/skills/nonsense").status_code == 404
    assert client.get("/reports/scenarios/nonsense").status_code == 404


def test_admin_sees_every_site(client, auth, data):
    auth.login(Role.ADMIN)
    html = client.get(f"/reports/?{RANGE}").get_data(as_text=True)
    assert "甲项目学员" in html and "乙项目学员" in html


def test_user_model_is_untouched_by_filters(app, client, auth, data):
    auth.login(Role.HR)
    client.get(f"/reports/?{RANGE}&position=管家")
    with app.app_context():
        assert db.session.get(User, data["mine"]).position == "管家"


def test_bad_site_assignments_are_refused_in_chinese(app, client, auth, data):
    with app.app_context():
        trainee_id = data["mine"]
    auth.login(Role.ADMIN)
    response = client.post("/reports/access", data={"user_id": trainee_id, "sites": [data["site_b"]]})
    assert response.status_code == 422 and "不是人事账号" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(HrSite)).all() == []
