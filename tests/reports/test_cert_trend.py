"""The dashboard's certification trend: trainees holding a valid certificate of each level at each
bucket's end (fixed dates, buckets in Asia/Shanghai), scope, one certificate query, and the page's chart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.extensions import db
from simulator.models import Role, User, utcnow
from simulator.reports import charts, service
from simulator.reports.service import parse_filters

from .test_certifications import ADVANCED, BASIC, SITE_A, SITE_B, certificate, load_programme, login
from .test_service import count_queries

pytestmark = pytest.mark.db

NOW = datetime(2026, 6, 15, 4, 0)  # noon in Shanghai
MONTHS = {"from": "2026-03-01", "to": "2026-06-30", "period": "month"}
LATER = datetime(2027, 1, 1)


@pytest.fixture
def world(app, gen):
    with app.app_context():
        programme = load_programme()
        people = {name: gen.user(Role.TRAINEE, SITE_A) for name in ("renewed", "revoked", "steady", "edge")}
        people["hr"] = gen.user(Role.HR, SITE_A)
        people["gone"] = gen.user(Role.TRAINEE, SITE_A, active=False)
        people["other"] = gen.user(Role.TRAINEE, SITE_B)

        def cert(name, level, issued, expires, **kw):
            made = certificate(people[name], level, issued, expires, programme=programme, **kw)
            made.code += issued.date().isoformat()  # a renewal of the same level gets its own code
            db.session.commit()

        # expires mid-May, renewed on 1 June
        cert("renewed", "basic", datetime(2026, 3, 10), datetime(2026, 5, 10))
        cert("renewed", "basic", datetime(2026, 6, 1), LATER)
        cert("revoked", "basic", datetime(2026, 4, 15), LATER, revoked=datetime(2026, 5, 20))
        cert("steady", "basic", datetime(2026, 1, 1), LATER)
        # expires exactly at the end of April in Shanghai (30 April 16:00 UTC): no longer valid then
        cert("edge", "basic", datetime(2026, 2, 1), datetime(2026, 4, 30, 16, 0))
        cert("edge", "advanced", datetime(2026, 5, 5), LATER)
        cert("gone", "basic", datetime(2026, 1, 1), LATER)
        cert("other", "basic", datetime(2026, 1, 1), LATER)
        cert("other", "advanced", datetime(2026, 1, 1), LATER)
        return {name: user.id for name, user in people.items()}


def hr(world):
    return db.session.get(User, world["hr"])


def test_counts_valid_holders_per_level_at_each_bucket_end(app, world):
    with app.app_context():
        f = parse_filters(MONTHS, hr(world), NOW)
        statements, stop = count_queries(app)
        points = service.cert_trend(f, service.buckets(f), NOW)
        stop()
        assert [p.label for p in points] == ["26-03", "26-04", "26-05", "26-06"]
        # the running bucket is counted as of now, the others at their end (local midnight, in UTC)
        assert [p.at for p in points] == [
            datetime(2026, 3, 31, 16),
            datetime(2026, 4, 30, 16),
            datetime(2026, 5, 31, 16),
            NOW,
        ]
        # March: renewed, steady, edge; April: renewed, revoked, steady (edge expired at the end);
        # May: steady (renewed expired, revoked revoked); June: renewed again, steady.
        # The inactive trainee and site B's holder are never counted.
        assert [p.counts[BASIC] for p in points] == [3, 3, 1, 2]
        assert [p.counts[ADVANCED] for p in points] == [0, 0, 1, 1]
        assert sum('"certificate"' in s or " certificate" in s for s in statements) == 1

        board = service.dashboard(f, NOW)
        assert [p.counts for p in board.cert_trend] == [p.counts for p in points]


def test_the_level_filter_and_weeks(app, world):
    with app.app_context():
        f = parse_filters({**MONTHS, "cert_level": ADVANCED}, hr(world), NOW)
        assert [p.counts for p in service.cert_trend(f, service.buckets(f), NOW)] == [
            {ADVANCED: 0},
            {ADVANCED: 0},
            {ADVANCED: 1},
            {ADVANCED: 1},
        ]
        weeks = parse_filters({"from": "2026-05-04", "to": "2026-05-24", "period": "week"}, hr(world), NOW)
        points = service.cert_trend(weeks, service.buckets(weeks), NOW)
        # week ends 11, 18, 25 May (Shanghai): renewed's first certificate ended on 10 May, revoked on 20 May
        assert [p.counts[BASIC] for p in points] == [2, 2, 1]


def test_site_b_hr_sees_only_site_b(app, world, gen):
    with app.app_context():
        other_hr = gen.user(Role.HR, SITE_B)
        f = parse_filters(MONTHS, other_hr, NOW)
        points = service.cert_trend(f, service.buckets(f), NOW)
        assert [p.counts for p in points] == [{BASIC: 1, ADVANCED: 1}] * 4


def test_chart_geometry_puts_higher_counts_higher(app, world):
    with app.app_context():
        f = parse_filters(MONTHS, hr(world), NOW)
        board = service.dashboard(f, NOW)
        chart = charts.cert_trend_chart(board.cert_trend, [fig.level for fig in board.certs])
        basic, advanced = chart.lines
        assert (basic.key, advanced.key) == (BASIC, ADVANCED)
        assert [d.value for d in basic.dots] == [3, 3, 1, 2]
        assert basic.dots[0].y < basic.dots[3].y < basic.dots[2].y < chart.baseline
        assert advanced.dots[0].y == chart.baseline


def test_the_dashboard_draws_the_trend_with_a_table(app, client, gen):
    with app.app_context():
        programme = load_programme()
        holder = gen.user(Role.TRAINEE, SITE_A)
        now = utcnow()
        certificate(holder, "basic", now - timedelta(days=60), now + timedelta(days=200), programme=programme)
        username = gen.user(Role.HR, SITE_A).username
        today = service.local_today()
        query = {"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat(), "period": "week"}
    login(client, username)
    page = client.get("/reports/", query_string=query).get_data(as_text=True)
    assert 'data-chart="cert-trend"' in page and "有效持证人数趋势" in page
    table = page.split('data-table="cert-trend"')[1].split("</table>")[0]
    assert table.count(f'<td data-level="{BASIC}">1</td>') >= 3  # every week of the range
    assert f'data-level="{BASIC}" data-value="1"' in page
