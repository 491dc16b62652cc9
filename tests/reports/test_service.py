"""Reports service: filters, own-site scoping, figures from one query per table, local-time days."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event

from simulator.extensions import db
from simulator.models import HrSite, Role, Site
from simulator.reports import service
from simulator.reports.service import FilterError, parse_filters

from .conftest import make_attempt, make_quiz

pytestmark = pytest.mark.db

SITE_A, SITE_B = "翠湖花园管理处", "滨江壹号管理处"
T0 = datetime(2026, 3, 2, 2, 0)  # 10:00 in Shanghai, a Monday


@pytest.fixture
def people(app, gen):
    with app.app_context():
        hr_a = gen.user(Role.HR, SITE_A)
        hr_b = gen.user(Role.HR, SITE_B)
        t1 = gen.user(Role.TRAINEE, SITE_A, hired_on=date(2025, 9, 1), position="管家")
        t2 = gen.user(Role.TRAINEE, SITE_A, hired_on=date(2026, 1, 10), position="客服")
        t3 = gen.user(Role.TRAINEE, SITE_B, hired_on=date(2026, 1, 10), position="管家")
        make_attempt(t1, started=T0, score=80, turns=[(80, ["apology", "empathy"], ["follow_up"])])
        make_attempt(t1, "test-fire", started=T0, score=40, turns=[(40, ["safety"], ["safety", "calming"])])
        make_attempt(t1, started=T0, score=None)  # still in progress
        make_attempt(t2, started=T0, score=90, mode="practice", turns=[(90, ["apology"], [])])
        make_attempt(t3, started=T0, score=30, turns=[(30, [], ["apology"])])
        make_quiz(t1, started=T0, score=90, passed=True)
        make_quiz(t2, started=T0, score=40, passed=False)
        make_quiz(t3, started=T0, score=100, passed=True)
        return {name: user.id for name, user in locals().items() if name in ("hr_a", "hr_b", "t1", "t2", "t3")}


def user(uid):
    from simulator.models import User

    return db.session.get(User, uid)


WIDE = {"from": "2026-01-01", "to": "2026-06-30"}


def test_hr_figures_cover_their_own_site_only(app, people):
    with app.app_context():
        board = service.dashboard(parse_filters(WIDE, user(people["hr_a"])))
        assert (board.trainees, board.active, board.attempts, board.finished, board.passed) == (2, 2, 4, 3, 2)
        assert board.pass_rate == 67 and board.average == round((80 + 40 + 90) / 3)
        assert (board.quizzes, board.quizzes_passed, board.quiz_pass_rate) == (2, 1, 50)
        skills = {fig.skill: (fig.hits, fig.misses, fig.percent) for fig in board.skills}
        assert skills["apology"] == (2, 0, 100)  # site B's missed apology is not counted
        assert skills["safety"] == (1, 1, 50)
        assert [fig.skill for fig in board.skills][:2] == ["empathy", "apology"]  # SKILL_LABELS order
        assert sum(point.attempts for point in board.trend) == 4
        assert {row["user"].id for row in board.trainee_rows} == {people["t1"], people["t2"]}
        assert {row.key: row.attempts for row in board.scenarios} == {"test-leak": 3, "test-fire": 1}


def test_a_site_outside_the_hr_scope_is_refused_and_group_hr_sees_assigned_sites(app, people):
    with app.app_context():
        site_b = db.session.execute(db.select(Site).filter_by(name=SITE_B)).scalar_one()
        with pytest.raises(FilterError, match="管辖范围"):
            parse_filters({**WIDE, "site": [site_b.id]}, user(people["hr_a"]))
        db.session.add(HrSite(user_id=people["hr_a"], site_id=site_b.id))
        db.session.commit()
        only_b = service.dashboard(parse_filters({**WIDE, "site": [site_b.id]}, user(people["hr_a"])))
        assert (only_b.trainees, only_b.attempts) == (1, 1)
        both = service.dashboard(parse_filters(WIDE, user(people["hr_a"])))
        assert both.attempts == 5
        assert service.visible_site_ids(user(people["t1"])) == []
        with pytest.raises(FilterError):
            parse_filters(WIDE, user(people["t1"]))


@pytest.mark.parametrize(
    "extra,attempts,trainees",
    [
        ({"hired_from": "2026-01-01"}, 1, 1),  # t2 only
        ({"hired_to": "2025-12-31"}, 3, 1),  # t1 only
        ({"position": "客服"}, 1, 1),
        ({"category": "emergency"}, 1, 2),
        ({"mode": "practice"}, 1, 2),
        ({"from": "2026-03-03"}, 0, 2),
    ],
)
def test_cohort_post_category_mode_and_dates_filter_the_figures(app, people, extra, attempts, trainees):
    with app.app_context():
        board = service.dashboard(parse_filters({**WIDE, **extra}, user(people["hr_a"])))
        assert (board.attempts, board.trainees) == (attempts, trainees)


def test_days_are_local_days(app, gen):
    with app.app_context():
        trainee = gen.user(Role.TRAINEE)
        hr = gen.user(Role.HR)
        make_attempt(trainee, started=datetime(2026, 3, 1, 16, 30))  # 2026-03-02 00:30 in Shanghai
        on_first = service.dashboard(parse_filters({"from": "2026-03-01", "to": "2026-03-01"}, hr))
        on_second = service.dashboard(parse_filters({"from": "2026-03-02", "to": "2026-03-02"}, hr))
        assert (on_first.attempts, on_second.attempts) == (0, 1)


@pytest.mark.parametrize(
    "args,message",
    [
        ({"from": "2026-13-01"}, "不是有效日期"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "不能晚于"),
        ({"category": "x"}, "情景类别"),
        ({"period": "day"}, "统计周期"),
        ({"site": ["abc"]}, "项目"),
    ],
)
def test_bad_filters_are_refused_in_chinese(app, people, args, message):
    with app.app_context(), pytest.raises(FilterError, match=message):
        parse_filters(args, user(people["hr_a"]))


def test_weekly_and_monthly_trend_buckets(app, people):
    with app.app_context():
        hr = user(people["hr_a"])
        weekly = service.dashboard(parse_filters({"from": "2026-02-20", "to": "2026-03-10"}, hr))
        assert [point.label for point in weekly.trend] == ["2/16", "2/23", "3/2", "3/9"]
        assert [point.attempts for point in weekly.trend] == [0, 0, 4, 0]
        monthly = service.dashboard(parse_filters({**WIDE, "period": "month"}, hr))
        assert [point.attempts for point in monthly.trend] == [0, 0, 4, 0, 0, 0]
        assert monthly.trend[2].pass_rate == 67 and monthly.trend[2].quiz_pass_rate == 50


def count_queries(app):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", before)


def test_the_trainee_table_costs_the_same_queries_for_two_or_twenty_trainees(app, gen):
    with app.app_context():
        site_id = gen.user(Role.TRAINER).site_id
        counts = []
        for extra in (2, 18):
            for _ in range(extra):
                trainee = gen.user(Role.TRAINEE)
                make_attempt(trainee, started=T0)
                make_quiz(trainee, started=T0)
            db.session.expire_all()
            statements, stop = count_queries(app)
            rows = service.trainee_table([site_id])
            stop()
            counts.append(len(statements))
            assert all(row["played"] == 1 and row["passed"] == 1 for row in rows)
        assert counts[0] == counts[1] <= 3


def test_drill_downs(app, people):
    with app.app_context():
        hr = user(people["hr_a"])
        f = parse_filters(WIDE, hr)
        record = service.trainee_record(user(people["t1"]), f)
        assert len(record.attempts) == 3 and len(record.quizzes) == 1
        fire = next(a for a in record.attempts if a["scenario_key"] == "test-fire")
        assert {fig.skill: fig.percent for fig in fire["skills"]} == {"safety": 50, "calming": 0}
        assert {fig.skill: fig.percent for fig in record.skills}["apology"] == 100
        assert service.scoped_trainee(hr, people["t3"]) is None  # site B

        leak = service.scenario_report("test-leak", f)
        assert (leak.row.attempts, leak.row.finished, leak.row.passed) == (3, 2, 2)
        assert dict(leak.endings) == {"圆满解决": 2, "未结束": 1}

        apology = service.skill_report("apology", f)
        assert apology.overall.percent == 100
        assert {key for key, _, _ in apology.scenarios} == {"test-leak"}
        assert {trainee.id for trainee, _, _ in apology.trainees} == {people["t1"], people["t2"]}
