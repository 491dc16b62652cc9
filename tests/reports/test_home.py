"""Trainer and HR home pages: the trainee table in local time, from a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.models import Role

from .conftest import make_attempt, make_quiz

pytestmark = pytest.mark.db


@pytest.mark.parametrize("role", [Role.TRAINER, Role.HR])
def test_home_lists_own_site_trainees_with_last_activity_in_local_time(app, client, auth, gen, role):
    with app.app_context():
        mine = gen.user(Role.TRAINEE, display_name="本项目学员")
        other = gen.user(Role.TRAINEE, "别的管理处", display_name="外项目学员")
        make_attempt(mine, started=datetime(2026, 3, 1, 16, 30), score=77)  # 03-02 00:30 in Shanghai
        make_quiz(mine, started=datetime(2026, 3, 1, 10, 0))
        make_attempt(other, started=datetime(2026, 3, 1, 10, 0), score=99)
    auth.login(role)
    page = client.get("/").get_data(as_text=True)
    # The page body only, and scores as table cells: generated names and 工号 (测试培训师994, trainee099) may hold "99".
    html = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "本项目学员" in html and "外项目学员" not in html
    assert "03-02 00:30" in html and "<td>77</td>" in html and "<td>99</td>" not in html
