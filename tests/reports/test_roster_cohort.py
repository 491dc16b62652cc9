"""The roster's optional 岗位 and 入职日期 columns feed the report's post and cohort filters."""

from __future__ import annotations

import io
from datetime import date

import pytest

from simulator.extensions import db
from simulator.models import Role, User

pytestmark = pytest.mark.db

ROSTER = (
    "工号,姓名,项目/管理处,角色,岗位,入职日期\n"
    "GJ3001,张新,翠湖花园管理处,学员,管家,2026/1/5\n"
    "GJ3002,李老,翠湖花园管理处,学员,前台,2024-09-01\n"
)


def upload(client, text: str):
    return client.post("/admin/roster", data={"file": (io.BytesIO(text.encode("utf-8-sig")), "r.csv")},
                       content_type="multipart/form-data")  # fmt: skip


def test_post_and_hire_date_import_and_filter_the_report(app, client, auth):
    auth.login(Role.ADMIN)
    assert upload(client, ROSTER).status_code == 200
    with app.app_context():
        new = db.session.scalars(db.select(User).filter_by(username="GJ3001")).one()
        assert (new.position, new.hired_on) == ("管家", date(2026, 1, 5))
    page = client.get("/reports/?hired_from=2025-12-01").get_data(as_text=True)
    assert "张新" in page and "李老" not in page
    page = client.get("/reports/?position=前台").get_data(as_text=True)
    assert "李老" in page and "张新" not in page and '<option value="前台" selected>' in page


def test_a_bad_hire_date_imports_nothing(app, client, auth):
    auth.login(Role.ADMIN)
    response = upload(client, ROSTER.replace("2026/1/5", "明年"))
    assert response.status_code == 422 and "第 2 行" in response.get_data(as_text=True)
    assert "入职日期“明年”无效" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(User).filter_by(username="GJ3002")).first() is None
