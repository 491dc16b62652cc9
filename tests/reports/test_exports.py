"""Exports: XLSX and CSV files as jobs, the rows the database holds for the filters, no formula injection, audit."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from simulator.extensions import db
from simulator.models import Attempt, Job, ReportExport, Role, User
from simulator.reports import exports

from .conftest import make_attempt, make_quiz

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 2, 0)  # 10:00 in Shanghai
FILTERS = {"from": "2026-03-01", "to": "2026-03-31"}
NASTY = ['=HYPERLINK("http://evil","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture
def data(app, gen):
    with app.app_context():
        good = gen.user(Role.TRAINEE, display_name="王 管家", position="管家")
        evil = gen.user(Role.TRAINEE, display_name=NASTY[0], position=NASTY[3])
        outsider = gen.user(Role.TRAINEE, "滨江壹号管理处")
        make_attempt(
            good,
            started=T0,
            score=88,
            turns=[(90, ["apology", "empathy"], []), (86, ["follow_up"], ["time_commitment"])],
        )
        make_attempt(good, "test-fire", started=T0, score=None)
        make_attempt(evil, started=T0, score=40, turns=[(40, [], ["apology"])], reply=NASTY[1])
        make_attempt(good, started=datetime(2026, 5, 1), score=70)  # outside the dates
        make_attempt(outsider, started=T0, score=99)  # outside the site
        make_quiz(good, started=T0, score=75.0, passed=True)
        make_quiz(evil, started=T0, score=20.0, passed=False)
        return {"good": good.id, "evil": evil.id}


def run_export(client, kind, fmt, **filters):
    response = client.post(
        "/reports/exports", data={"kind": kind, "format": fmt, **FILTERS, **filters}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "已完成" in html and "下载" in html
    job_id = html.split('id="job-')[1].split('"')[0]
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    body = download.data
    download.close()
    return job_id, body


def database_attempt_ids(app, site_name="翠湖花园管理处"):
    with app.app_context():
        from simulator.models import Site

        return sorted(
            db.session.scalars(
                db.select(Attempt.id)
                .join(User)
                .join(Site)
                .where(
                    Site.name == site_name,
                    Attempt.started_at >= datetime(2026, 2, 28, 16),
                    Attempt.started_at < datetime(2026, 3, 31, 16),
                )
            )
        )


def test_attempts_xlsx_holds_exactly_the_filtered_rows_with_chinese_headers(app, client, auth, data):
    auth.login(Role.HR)
    job_id, body = run_export(client, "attempts", "xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:6] == ("记录编号", "工号", "姓名", "管理处", "岗位", "入职日期") and "技能:致歉" in header
    assert (
        sheet.freeze_panes == "A2"
        and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(rows)}"
    )
    assert sorted(row[0] for row in rows[1:]) == database_attempt_ids(app)
    by_name = {row[2]: row for row in rows[1:] if row[14] == 88}
    good = by_name["王 管家"]
    col = {name: i for i, name in enumerate(header)}
    assert good[col["开始时间"]] == datetime(2026, 3, 2, 10, 0)  # local time, as a real date cell
    assert (good[col["等级"]], good[col["是否合格"]], good[col["结局"]], good[col["回合数"]]) == (
        "优秀",
        "是",
        "业主接受处理方案",
        2,
    )
    assert (good[col["技能:致歉"]], good[col["技能:时限承诺"]], good[col["技能:倾听"]]) == (100, 0, None)
    with app.app_context():
        audit = db.session.scalars(db.select(ReportExport)).one()
        assert (audit.kind, audit.format, audit.row_count, audit.status, audit.job_id) == (
            "attempts",
            "xlsx",
            3,
            "done",
            job_id,
        )
        assert audit.filters["from"] == "2026-03-01" and audit.user.role == "hr"
        assert db.session.get(Job, job_id).result == {"rows": 3}
    log = client.get("/reports/exports").get_data(as_text=True)
    assert "演练记录" in log and "日期:2026-03-01 至 2026-03-31" in log and ">3<" in log


def test_no_exported_cell_is_a_formula(app, client, auth, data):
    auth.login(Role.HR)
    for kind in ("attempts", "turns", "quizzes"):
        _, body = run_export(client, kind, "xlsx")
        workbook = load_workbook(io.BytesIO(body))
        cells = [cell for row in workbook.active.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells), kind
        texts = [cell.value for cell in cells if isinstance(cell.value, str)]
        assert not [t for t in texts if t and t[0] in "=+-@\t\r"], kind
        assert "'" + NASTY[0] in texts  # the evil display name, kept readable
        _, body = run_export(client, kind, "csv")
        values = [value for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for value in row]
        assert "'" + NASTY[0] in values and not [v for v in values if v and v[0] in "=+-@\t\r"], kind
    turns = load_workbook(io.BytesIO(run_export(client, "turns", "xlsx")[1])).active
    replies = [row[10] for row in turns.iter_rows(min_row=2, values_only=True)]
    assert "'" + NASTY[1] in replies


@pytest.mark.parametrize("text", NASTY)
def test_neutralise_every_dangerous_prefix(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("正常文本") == "正常文本" and exports.neutralise(-5) == -5


def test_csv_has_a_bom_and_the_same_rows(app, client, auth, data):
    auth.login(Role.HR)
    _, body = run_export(client, "attempts", "csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][1:3] == ["工号", "姓名"]
    assert sorted(int(row[0]) for row in rows[1:]) == database_attempt_ids(app)
    good = next(row for row in rows[1:] if row[14] == "88")
    assert good[11] == "2026-03-02 10:00:00"


def test_turns_and_quiz_exports(app, client, auth, data):
    auth.login(Role.HR)
    turns = load_workbook(io.BytesIO(run_export(client, "turns", "xlsx")[1])).active
    rows = list(turns.iter_rows(values_only=True))
    assert rows[0][:4] == ("记录编号", "回合", "工号", "姓名")
    assert len(rows) - 1 == 2 + 1 + 1  # two turns of the 88, one of the unfinished, one of the 40
    quizzes = load_workbook(io.BytesIO(run_export(client, "quizzes", "xlsx")[1])).active
    quiz_rows = list(quizzes.iter_rows(values_only=True))
    assert quiz_rows[0][-2:] == ("得分(%)", "是否通过")
    assert sorted((row[-2], row[-1]) for row in quiz_rows[1:]) == [(20.0, "否"), (75.0, "是")]


def test_filters_apply_to_exports(app, client, auth, data):
    auth.login(Role.HR)
    body = run_export(client, "attempts", "csv", category="emergency")[1]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[6] for row in rows[1:]] == ["test-fire"]


def test_a_bad_export_request_changes_nothing(app, client, auth, data):
    auth.login(Role.HR)
    for form in (
        {"kind": "attempts", "format": "json"},
        {"kind": "xapi", "format": "lrs"},
        {"kind": "nope", "format": "csv"},
    ):
        response = client.post("/reports/exports", data={**form, **FILTERS})
        assert response.status_code == 422 and "导出未开始" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(ReportExport)).all() == []
        assert db.session.scalars(db.select(Job)).all() == []


def test_the_job_checks_the_scope_again_when_it_runs(app, gen, data):
    with app.app_context():
        hr = gen.user(Role.HR)
        from simulator.reports.service import parse_filters

        f = parse_filters(FILTERS, hr)
        hr.role = Role.TRAINEE.value  # demoted before the worker picked the job up
        db.session.commit()
        with app.test_request_context():
            job = exports.start_export(hr, "attempts", "csv", f)
        assert job.status == "failed" and "权限" in job.error
        audit = db.session.scalars(db.select(ReportExport)).one()
        assert audit.status == "failed" and audit.row_count is None


@pytest.mark.app_config(JOBS_IMMEDIATE=False)
def test_with_a_real_queue_the_page_polls_until_a_worker_has_written_the_file(app, client, auth, data, tmp_path):
    from simulator.jobs import huey
    from simulator.jobs.core import storage_for

    saved = huey.storage, huey._immediate
    try:
        huey._immediate, huey.storage = False, storage_for(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
        auth.login(Role.HR)
        response = client.post(
            "/reports/exports", data={"kind": "quizzes", "format": "csv", **FILTERS}, headers={"HX-Request": "true"}
        )
        html = response.get_data(as_text=True)
        assert "排队中" in html and 'hx-trigger="every 1s"' in html  # the progress bar polls
        job_id = html.split('id="job-')[1].split('"')[0]
        task = huey.dequeue()
        with app.app_context():
            huey.execute(task)  # what `flask jobs worker` does
        partial = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "已完成" in partial and "下载 测验成绩" in partial and "hx-trigger" not in partial
        with app.app_context():
            assert db.session.scalars(db.select(ReportExport)).one().row_count == 2
    finally:
        huey.storage, huey._immediate = saved
