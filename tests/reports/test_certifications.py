"""Certification and review wiring of the HR reports: the filter, the per-level figures, the certifications
export, the 复核 column and the trainee drill-down's certificates and reviews (fixed dates for the service)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from simulator.certification.models import Certificate
from simulator.certification.programme import Programme
from simulator.content import ContentItem, sync_content
from simulator.extensions import db
from simulator.models import ReportExport, Role, Turn, TurnReview, User, utcnow
from simulator.reports import exports, service
from simulator.reports.service import FilterError, parse_filters
from simulator.review.queue import review_statuses
from tests.certification.test_evaluate import programme_data
from tests.conftest import PASSWORD

from .conftest import make_attempt
from .test_service import count_queries

pytestmark = pytest.mark.db

SITE_A, SITE_B = "翠湖花园管理处", "滨江壹号管理处"
NOW = datetime(2026, 6, 1, 4, 0)  # noon in Shanghai
BASIC, ADVANCED = "test-ladder:basic", "test-ladder:advanced"
WIDE = {"from": "2026-05-01", "to": "2026-06-30"}


def load_programme() -> Programme:
    programme = Programme.from_dict(programme_data())
    sync_content("programme", [ContentItem("programme", programme.id, programme.title, programme.to_dict(),
                                           "tests/test-ladder.yaml", programme.version)])
    return programme


def certificate(user: User, level: str, issued: datetime, expires: datetime, *, revoked: datetime | None = None,
                programme: Programme) -> Certificate:
    cert = Certificate(
        user_id=user.id, programme_key=programme.id, level_key=level, level_name=level,
        programme_version=programme.version, issue_key=f"{user.id}:{level}:{issued.isoformat()}",
        code=f"code-{user.username}-{level}", holder_name=user.display_name, holder_username=user.username,
        site_name=user.site.name, requested_at=issued, issued_at=issued, expires_at=expires, revoked_at=revoked,
        revoke_reason="考核作弊" if revoked else "",
    )
    db.session.add(cert)
    db.session.commit()
    return cert


def build(gen, now: datetime, display_prefix: str = "") -> dict[str, int]:
    """Site A: one trainee per state of the basic level, an inactive holder; site B: a holder; an HR of A."""
    programme = load_programme()
    day = timedelta(days=1)
    people = {}
    people["hr"] = gen.user(Role.HR, SITE_A)
    people["valid"] = gen.user(Role.TRAINEE, SITE_A, display_name=display_prefix + "有效学员")
    people["expiring"] = gen.user(Role.TRAINEE, SITE_A, display_name="将到期学员")
    people["expired"] = gen.user(Role.TRAINEE, SITE_A, display_name="已过期学员")
    people["revoked"] = gen.user(Role.TRAINEE, SITE_A, display_name="已撤销学员")
    people["never"] = gen.user(Role.TRAINEE, SITE_A, display_name="未认证学员")
    people["gone"] = gen.user(Role.TRAINEE, SITE_A, active=False)
    people["other"] = gen.user(Role.TRAINEE, SITE_B)
    certificate(people["valid"], "basic", now - 100 * day, now + 200 * day, programme=programme)
    certificate(people["valid"], "advanced", now - 20 * day, now + 300 * day, programme=programme)
    certificate(people["expiring"], "basic", now - 350 * day, now + 10 * day, programme=programme)
    certificate(people["expired"], "basic", now - 400 * day, now - 35 * day, programme=programme)
    certificate(people["revoked"], "basic", now - 50 * day, now + 300 * day, revoked=now - 5 * day,
                programme=programme)
    certificate(people["gone"], "basic", now - 100 * day, now + 200 * day, programme=programme)
    certificate(people["other"], "basic", now - 100 * day, now + 200 * day, programme=programme)
    return {name: user.id for name, user in people.items()}


@pytest.fixture
def world(app, gen):
    with app.app_context():
        return build(gen, NOW)


def hr(world):
    return db.session.get(User, world["hr"])


def test_figures_count_each_level_state_of_the_hr_sites_active_trainees(app, world):
    with app.app_context():
        figures = {fig.level.key: fig for fig in service.cert_figures(parse_filters(WIDE, hr(world), NOW), NOW)}
        assert list(figures) == [BASIC, ADVANCED]
        # the inactive trainee and site B's holder are not counted
        assert figures[BASIC].counts == {"valid": 1, "expiring": 1, "expired": 1, "revoked": 1, "never": 1}
        assert (figures[BASIC].valid, figures[BASIC].total) == (2, 5)
        assert figures[ADVANCED].counts == {"valid": 1, "expiring": 0, "expired": 0, "revoked": 0, "never": 4}
        board = service.dashboard(parse_filters(WIDE, hr(world), NOW), NOW)
        assert [fig.counts for fig in board.certs] == [figures[BASIC].counts, figures[ADVANCED].counts]


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"cert_level": BASIC, "cert_status": "expired"}, {"expired"}),
        ({"cert_level": BASIC, "cert_status": "valid"}, {"valid", "expiring"}),  # 有效 takes in 30天内到期
        ({"cert_level": BASIC, "cert_status": "expiring"}, {"expiring"}),
        ({"cert_level": BASIC, "cert_status": "revoked"}, {"revoked"}),
        ({"cert_level": ADVANCED, "cert_status": "never"}, {"expiring", "expired", "revoked", "never"}),
        ({"cert_status": "valid"}, {"valid", "expiring"}),  # any level
        ({"cert_status": "never"}, {"never"}),  # no certificate of any level
        ({"cert_level": BASIC}, {"valid", "expiring", "expired", "revoked", "never"}),  # a level alone keeps all
    ],
)
def test_the_certification_filter_keeps_the_trainees_in_that_state(app, world, args, expected):
    with app.app_context():
        f = parse_filters({**WIDE, **args}, hr(world), NOW)
        kept = {name for name, uid in world.items() if uid in (f.cert_user_ids or ())}
        if "cert_status" in args:
            assert kept == expected
        else:
            assert f.cert_user_ids is None
        board = service.dashboard(f, NOW)
        assert board.trainees == (len(expected) if "cert_status" in args else 6)  # 6: the inactive one too
        shown = {fig.level.key for fig in board.certs}
        assert shown == ({args["cert_level"]} if "cert_level" in args else {BASIC, ADVANCED})


def test_the_certification_filter_narrows_the_results_figures_and_rows(app, world):
    with app.app_context():
        for name in ("valid", "expired", "never"):
            make_attempt(db.session.get(User, world[name]), started=NOW - timedelta(days=3), score=80)
        f = parse_filters({**WIDE, "cert_level": BASIC, "cert_status": "expired"}, hr(world), NOW)
        board = service.dashboard(f, NOW)
        assert (board.attempts, board.active) == (1, 1)
        assert [row["user"].id for row in board.trainee_rows] == [world["expired"]]
        rows = service.certification_rows(f, NOW)
        assert [(row.user_id, row.state, row.state_label) for row in rows] == [(world["expired"], "expired", "已过期")]
        assert rows[0].expires_at == NOW - timedelta(days=35) and rows[0].code.startswith("code-")
        everyone = service.certification_rows(parse_filters(WIDE, hr(world), NOW), NOW)
        assert len(everyone) == 10  # 5 active trainees × 2 levels
        valid = next(row for row in everyone if row.user_id == world["expiring"] and row.level.key == BASIC)
        assert (valid.state, valid.days_left, valid.evaluation) == ("expiring", 10, "可复认证")


def test_the_certificates_only_judgement_agrees_with_the_full_standings(app, world, gen):
    with app.app_context():
        # evidence that the full evaluation reads (and the dashboard's certificates-only one skips)
        make_attempt(db.session.get(User, world["never"]), started=NOW - timedelta(days=3), score=95)
        f = parse_filters(WIDE, hr(world), NOW)
        full = service.certification_rows(f, NOW)
        quick = service.certification_rows(f, NOW, full=False)
        assert [(r.user_id, r.level.key, r.state, r.expires_at, r.code) for r in full] == [
            (r.user_id, r.level.key, r.state, r.expires_at, r.code) for r in quick]
        assert all(r.evaluation for r in full) and not any(r.evaluation for r in quick)


@pytest.mark.parametrize(
    "args, message",
    [({"cert_level": "nope:x"}, "认证等级"), ({"cert_status": "gold"}, "认证状态")],
)
def test_bad_certification_filters_are_refused_in_chinese(app, world, args, message):
    with app.app_context(), pytest.raises(FilterError) as caught:
        parse_filters({**WIDE, **args}, hr(world), NOW)
    assert message in caught.value.errors[0]


def test_certification_figures_cost_the_same_queries_for_few_or_many_trainees(app, world, gen):
    with app.app_context():
        programme = load_programme()
        counts = []
        for extra in (1, 12):
            for _ in range(extra):
                trainee = gen.user(Role.TRAINEE, SITE_A)
                certificate(trainee, "basic", NOW - timedelta(days=9), NOW + timedelta(days=90), programme=programme)
                make_attempt(trainee, started=NOW - timedelta(days=2), score=75)
            f = parse_filters(WIDE, hr(world), NOW)
            db.session.expire_all()
            statements, stop = count_queries(app)
            figures = service.cert_figures(f, NOW)
            stop()
            counts.append(len(statements))
        assert figures[0].counts["valid"] == 1 + 1 + 12
        assert counts[0] == counts[1]


def review(attempt, reviewer, *, blind=False, score=None):
    turn = db.session.execute(db.select(Turn).where(Turn.attempt_id == attempt.id)).scalars().first()
    db.session.add(TurnReview(turn_id=turn.id, attempt_id=attempt.id, reviewer_id=reviewer.id, blind=blind,
                              changed=score is not None, auto_score=turn.score, auto_band=turn.band,
                              score=score if score is not None else turn.score, band="合格", reason="回复到位"))
    if score is not None and not blind:
        turn.auto_score, turn.auto_band, turn.auto_breakdown = turn.score, turn.band, dict(turn.breakdown)
        turn.score = score
    db.session.commit()


def reviewed_attempts(gen, trainee: User, started: datetime) -> dict[str, int]:
    """Four finished attempts of ``trainee``: untouched, blind-reviewed only, reviewed, corrected; one open."""
    trainer = gen.user(Role.TRAINER, SITE_A, display_name="李培训")
    plain = make_attempt(trainee, started=started)
    blind = make_attempt(trainee, started=started + timedelta(minutes=10))
    seen = make_attempt(trainee, started=started + timedelta(minutes=20))
    fixed = make_attempt(trainee, started=started + timedelta(minutes=30))
    open_ = make_attempt(trainee, started=started + timedelta(minutes=40), score=None)
    review(blind, trainer, blind=True, score=40)
    review(seen, trainer)
    review(fixed, trainer, score=55)
    return {"plain": plain.id, "blind": blind.id, "seen": seen.id, "fixed": fixed.id, "open": open_.id}


def test_review_status_in_bulk_and_the_trainee_record(app, world, gen):
    with app.app_context():
        trainee = db.session.get(User, world["valid"])
        ids = reviewed_attempts(gen, trainee, NOW - timedelta(days=2))
        assert review_statuses(list(ids.values())) == {ids["seen"]: "reviewed", ids["fixed"]: "corrected"}
        record = service.trainee_record(trainee, parse_filters(WIDE, hr(world), NOW), NOW)
        status = {a["id"]: a["review"] for a in record.attempts}
        assert status == {ids["plain"]: "unreviewed", ids["blind"]: "unreviewed", ids["seen"]: "reviewed",
                          ids["fixed"]: "corrected", ids["open"]: ""}
        # a blind second marking changes nothing and is not listed
        assert sorted((r["attempt_id"], r["changed"], r["score"]) for r in record.reviews) == [
            (ids["seen"], False, 80), (ids["fixed"], True, 55)]
        assert [(c.level.key, c.state) for c in record.certificates] == [(BASIC, "valid"), (ADVANCED, "valid")]
        assert [h["level"] for h in record.history] == ["管家", "前台接待"]  # newest first


# --------------------------------------------------------------------------------------------
# In the browser: the filter, the figures, the exports through the job (JOBS_IMMEDIATE)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def live(app, gen):
    """The same people with certificates dated from the real now (the pages judge as of now)."""
    with app.app_context():
        people = build(gen, utcnow(), display_prefix="=HYPERLINK(1)")
        trainee = db.session.get(User, people["valid"])
        people.update(reviewed_attempts(gen, trainee, utcnow() - timedelta(days=1)))
        today = service.local_today()
        people["range"] = {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()}
        username = db.session.get(User, people["hr"]).username
    return people, username


def login(client, username):
    assert client.post("/auth/login", data={"username": username, "password": PASSWORD}).status_code == 303


def run_export(client, kind, fmt, filters):
    response = client.post("/reports/exports", data={"kind": kind, "format": fmt, **filters},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "已完成" in html
    job_id = html.split('id="job-')[1].split('"')[0]
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    body = download.data
    download.close()
    return body


def test_dashboard_filter_figures_and_certifications_export(app, client, live):
    people, username = live
    login(client, username)
    page = client.get("/reports/", query_string=people["range"]).get_data(as_text=True)
    assert "认证情况" in page and 'data-chart="certs"' in page and 'name="cert_status"' in page
    assert f'data-level="{BASIC}" data-state="expired" data-value="1"' in page

    narrowed = client.get("/reports/", query_string={**people["range"], "cert_level": BASIC, "cert_status": "expired"},
                          headers={"HX-Request": "true"})
    body = narrowed.get_data(as_text=True)
    assert narrowed.status_code == 200 and "已过期学员" in body and "将到期学员" not in body
    assert client.get("/reports/", query_string={"cert_status": "gold"}).status_code == 422

    filters = {**people["range"], "cert_level": BASIC}
    sheet = load_workbook(io.BytesIO(run_export(client, "certifications", "xlsx", filters))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.CERT_HEADERS
    col = {name: i for i, name in enumerate(rows[0])}
    with app.app_context():
        users = {uid: db.session.get(User, uid) for uid in people.values() if isinstance(uid, int)}
        expected = {users[people[name]].username for name in ("valid", "expiring", "expired", "revoked", "never")}
        expired_cert = db.session.execute(
            db.select(Certificate).where(Certificate.user_id == people["expired"])).scalar_one()
        code, expiry = expired_cert.code, exports.local(expired_cert.expires_at).date()
        audit = db.session.execute(db.select(ReportExport).where(ReportExport.kind == "certifications")).scalar_one()
        assert (audit.row_count, audit.filters["cert_level"]) == (5, BASIC)
    assert {row[col["工号"]] for row in rows[1:]} == expected  # site A's active trainees, the basic level only
    states = {row[col["姓名"]]: row for row in rows[1:]}
    assert states["已过期学员"][col["证书状态"]] == "已过期" and states["已过期学员"][col["证书编号"]] == code
    assert states["已过期学员"][col["到期日期"]].date() == expiry  # a local date cell
    assert states["未认证学员"][col["颁发日期"]] is None and states["未认证学员"][col["证书状态"]] == "从未获得"
    assert states["将到期学员"][col["证书状态"]] == "30天内到期" and states["将到期学员"][col["剩余天数"]] in (9, 10)
    assert states["'=HYPERLINK(1)有效学员"][col["认证等级"]] == "前台接待"  # neutralised, read as text

    raw = run_export(client, "certifications", "csv", {**filters, "cert_status": "valid"})
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted(row[exports.CERT_HEADERS.index("证书状态")] for row in table[1:]) == ["30天内到期", "有效"]


def test_attempts_export_and_drill_down_show_the_review_status(app, client, live):
    people, username = live
    login(client, username)
    sheet = load_workbook(io.BytesIO(run_export(client, "attempts", "xlsx", people["range"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(rows[0])}
    status = {row[col["记录编号"]]: row[col["复核"]] for row in rows[1:]}
    assert status == {people["plain"]: "未复核", people["blind"]: "未复核", people["seen"]: "已复核",
                      people["fixed"]: "有改分", people["open"]: None}

    page = client.get(f"/reports/trainees/{people['valid']}", query_string=people["range"]).get_data(as_text=True)
    assert 'data-review="corrected"' in page and "有改分" in page and 'data-review="reviewed"' in page
    assert "培训师复核(2)" in page and "李培训" in page and "评分有误" in page
    assert f'data-level="{BASIC}" data-state="valid"' in page and "code-" in page
