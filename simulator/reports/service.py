"""HR reports: filters, the sites a user may see, and the figures of the dashboard and its drill-downs.

Every figure is one aggregate query per table (attempts, quiz attempts, turns), never one per
trainee. Dates are the days of ``DISPLAY_TZ``: a filter day runs from local midnight to local
midnight, converted to the naive UTC the database stores. Role-play attempts and quiz attempts are
dated by when they started.

Certification figures and the certification filter read ``simulator.certification.service.standings``
(one query per table whatever the number of trainees) and are judged as of now, not of the date range:
a certificate's status is where it stands today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Select, and_, case, func, or_, select, union
from sqlalchemy.sql import ColumnElement

import scoring

from ..certification import service as cert_service
from ..certification.evaluate import CertificateRecord, Evidence, LevelResult, evaluate
from ..certification.models import Certificate
from ..extensions import db
from ..models import (
    Attempt,
    ContentVersion,
    HrSite,
    QuizAttempt,
    Role,
    Site,
    Turn,
    TurnReview,
    TurnSkill,
    User,
    utcnow,
)
from ..review import queue as review_queue
from .skills import sync_missing

REVIEW_LABELS = review_queue.STATUS_LABELS  # 未复核 / 已复核 / 有改分, as the review queue has them

PASS_MARK = 55  # a role-play attempt passes at 合格 or better (scoring.bands)
MODES = {"practice": "练习", "assessment": "考核"}
CATEGORY_LABELS = {"complaint": "投诉处理", "emergency": "应急处置", "inquiry": "咨询答复"}
ENDING_KIND_LABELS = {"resolved": "圆满解决", "escalated": "矛盾升级", "timed_out": "响应超时"}
PERIODS = {"week": "按周", "month": "按月"}
DEFAULT_WEEKS = 12
MAX_BUCKETS = 60  # more weeks than this are shown by month
MAX_RANGE_DAYS = 366 * 5


class FilterError(ValueError):
    """The filters cannot be used; ``errors`` lists every problem in Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__(";".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Filters:
    """What HR asked for; ``site_ids`` is always a non-empty subset of the sites the user may see."""

    site_ids: tuple[int, ...]
    date_from: date
    date_to: date
    hired_from: date | None = None
    hired_to: date | None = None
    position: str = ""
    category: str = ""
    mode: str = ""
    period: str = "week"
    all_sites: bool = True  # no site chosen: every visible site
    cert_level: str = ""  # "<programme>:<level>": certification figures and rows of that level only
    cert_status: str = ""  # a CERT_STATES key: only trainees in that state (at cert_level, or see below)
    # the trainees the certification filter keeps, worked out when the filters are parsed (None: no filter)
    cert_user_ids: tuple[int, ...] | None = field(default=None, compare=False, repr=False)

    def to_params(self) -> dict[str, Any]:
        """The filters as JSON values (stored on export jobs and audits) and as query arguments."""
        return {
            "site": [] if self.all_sites else list(self.site_ids),
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "hired_from": self.hired_from.isoformat() if self.hired_from else "",
            "hired_to": self.hired_to.isoformat() if self.hired_to else "",
            "position": self.position,
            "category": self.category,
            "mode": self.mode,
            "period": self.period,
            "cert_level": self.cert_level,
            "cert_status": self.cert_status,
        }

    def link_args(self) -> dict[str, Any]:
        """Keyword arguments for ``url_for`` that carry these filters to a drill-down page."""
        return {key: value for key, value in self.to_params().items() if value}

    def query_args(self) -> list[tuple[str, str]]:
        """(name, value) pairs for a URL that reproduces these filters."""
        pairs: list[tuple[str, str]] = [("site", str(site_id)) for site_id in (() if self.all_sites else self.site_ids)]
        for key, value in self.to_params().items():
            if key != "site" and value:
                pairs.append((key, str(value)))
        return pairs


# --------------------------------------------------------------------------------------------
# Time zone
# --------------------------------------------------------------------------------------------


def display_zone() -> ZoneInfo:
    name = current_app.config.get("DISPLAY_TZ", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def local_today() -> date:
    return datetime.now(display_zone()).date()


def utc_start_of(day: date) -> datetime:
    """Local midnight starting ``day``, as the naive UTC the database stores."""
    return datetime.combine(day, time(0), tzinfo=display_zone()).astimezone(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Scope: which sites a user may report on
# --------------------------------------------------------------------------------------------


def visible_site_ids(user: User) -> list[int]:
    """The sites whose results ``user`` may see: admins all, HR their own plus assigned ones, trainers their own.

    Trainees see no site's results (their own records live on their home page).
    """
    role = Role(user.role)
    if role is Role.ADMIN:
        return list(db.session.scalars(select(Site.id).order_by(Site.name)))
    if role is Role.HR:
        assigned = select(HrSite.site_id).where(HrSite.user_id == user.id)
        return list(
            db.session.scalars(
                select(Site.id).where(or_(Site.id == user.site_id, Site.id.in_(assigned))).order_by(Site.name)
            )
        )
    if role is Role.TRAINER:
        return [user.site_id]
    return []


def visible_sites(user: User) -> list[Site]:
    ids = visible_site_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name)))


def set_hr_sites(user: User, site_ids: list[int]) -> None:
    """Replace the further sites an HR user covers (their own site is always covered). Caller commits."""
    db.session.execute(HrSite.__table__.delete().where(HrSite.user_id == user.id))
    for site_id in sorted(set(site_ids) - {user.site_id}):
        db.session.add(HrSite(user_id=user.id, site_id=site_id))


def hr_site_ids(user: User) -> list[int]:
    return list(db.session.scalars(select(HrSite.site_id).where(HrSite.user_id == user.id)))


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def _parse_day(text: str, label: str, errors: list[str]) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}“{text}”不是有效日期(格式 2026-01-31)。")
        return None


def parse_filters(args: Mapping[str, Any], user: User, now: datetime | None = None) -> Filters:
    """Validate filters from a query string (a werkzeug MultiDict or a stored ``to_params()`` dict).

    Args:
        now: the moment certification states are judged at (naive UTC; default now).

    Raises:
        FilterError: a site the user may not see, a malformed date, an unknown category, mode,
            certification level or state.
    """
    errors: list[str] = []
    getlist = args.getlist if hasattr(args, "getlist") else None
    raw_sites = getlist("site") if getlist else args.get("site", [])
    if isinstance(raw_sites, str | int):
        raw_sites = [raw_sites]
    visible = visible_site_ids(user)
    if not visible:
        raise FilterError(["您没有可查看的项目。"])
    chosen: list[int] = []
    for raw in raw_sites:
        if raw in ("", None):
            continue
        try:
            site_id = int(raw)
        except (TypeError, ValueError):
            errors.append(f"项目“{raw}”无效。")
            continue
        if site_id not in visible:
            errors.append("所选项目不在您的管辖范围内。")
            continue
        if site_id not in chosen:
            chosen.append(site_id)

    def text(name: str) -> str:
        value = args.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    today = local_today()
    date_to = _parse_day(text("to"), "结束日期", errors) or today
    date_from = _parse_day(text("from"), "开始日期", errors) or (
        date_to - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
    )
    if date_from > date_to:
        errors.append("开始日期不能晚于结束日期。")
    elif (date_to - date_from).days > MAX_RANGE_DAYS:
        errors.append("日期范围最长 5 年。")
    hired_from = _parse_day(text("hired_from"), "入职日期(起)", errors)
    hired_to = _parse_day(text("hired_to"), "入职日期(止)", errors)
    if hired_from and hired_to and hired_from > hired_to:
        errors.append("入职日期的起点不能晚于终点。")
    category = text("category")
    if category and category not in CATEGORY_LABELS:
        errors.append(f"情景类别“{category}”无效。")
    mode = text("mode")
    if mode and mode not in MODES:
        errors.append(f"模式“{mode}”无效。")
    period = text("period") or "week"
    if period not in PERIODS:
        errors.append(f"统计周期“{period}”无效(按周或按月)。")
    position = text("position")[:40]
    cert_level = text("cert_level")
    if cert_level and cert_level not in {level.key for level in cert_levels()}:
        errors.append(f"认证等级“{cert_level}”无效。")
    cert_status = text("cert_status")
    if cert_status and cert_status not in CERT_FILTERS:
        errors.append(f"认证状态“{cert_status}”无效。")
    if errors:
        raise FilterError(errors)
    f = Filters(
        site_ids=tuple(chosen or visible),
        date_from=date_from,
        date_to=date_to,
        hired_from=hired_from,
        hired_to=hired_to,
        position=position,
        category=category,
        mode=mode,
        period=period,
        all_sites=not chosen,
        cert_level=cert_level,
        cert_status=cert_status,
    )
    if cert_status:
        f = replace(f, cert_user_ids=_cert_filtered_ids(f, now))
    return f


def default_filters(user: User) -> Filters:
    return parse_filters({}, user)


# --------------------------------------------------------------------------------------------
# Base queries
# --------------------------------------------------------------------------------------------


def trainee_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions on ``User`` selecting the trainees the filters cover."""
    conditions: list[ColumnElement[bool]] = [User.role == Role.TRAINEE.value, User.site_id.in_(f.site_ids)]
    if f.hired_from:
        conditions.append(User.hired_on >= f.hired_from)
    if f.hired_to:
        conditions.append(User.hired_on <= f.hired_to)
    if f.position:
        conditions.append(User.position == f.position)
    if f.cert_user_ids is not None:
        conditions.append(User.id.in_(f.cert_user_ids))
    return conditions


def _period_conditions(column: Any, f: Filters) -> list[ColumnElement[bool]]:
    return [column >= utc_start_of(f.date_from), column < utc_start_of(f.date_to + timedelta(days=1))]


def category_keys(category: str) -> list[str]:
    """Scenario keys whose (any) version is of ``category``; read in Python so the SQL stays portable."""
    rows = db.session.execute(select(ContentVersion.key, ContentVersion.data).where(ContentVersion.kind == "scenario"))
    return sorted({key for key, data in rows if (data or {}).get("category") == category})


def attempt_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions on ``Attempt`` (joined to ``User``) for the filters."""
    # a trainer's 试玩 of a draft is never a result
    conditions = [*trainee_conditions(f), *_period_conditions(Attempt.started_at, f), Attempt.preview.is_(False)]
    if f.mode:
        conditions.append(Attempt.mode == f.mode)
    if f.category:
        conditions.append(Attempt.scenario_key.in_(category_keys(f.category)))
    return conditions


def quiz_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """Conditions on ``QuizAttempt`` (joined to ``User``); the scenario category does not apply."""
    conditions = [*trainee_conditions(f), *_period_conditions(QuizAttempt.started_at, f)]
    if f.mode:
        conditions.append(QuizAttempt.mode == f.mode)
    return conditions


def attempts_select(f: Filters, *columns: Any) -> Select:
    return select(*columns).select_from(Attempt).join(User, Attempt.user_id == User.id).where(*attempt_conditions(f))


def quizzes_select(f: Filters, *columns: Any) -> Select:
    return (
        select(*columns).select_from(QuizAttempt).join(User, QuizAttempt.user_id == User.id).where(*quiz_conditions(f))
    )


def _passed() -> ColumnElement[bool]:
    return and_(Attempt.finished_at.is_not(None), Attempt.final_score >= PASS_MARK)


# --------------------------------------------------------------------------------------------
# Certification: each trainee's state per level, as simulator.certification judges it
# --------------------------------------------------------------------------------------------

# a trainee × level is in exactly one of these (the figures' stacked bars add up to the trainees)
CERT_STATES = {
    "valid": "有效",
    "expiring": "30天内到期",
    "expired": "已过期",
    "revoked": "已撤销",
    "never": "从未获得",
}
# the filter's choices: 有效 takes in the certificates about to expire too
CERT_FILTERS = {**CERT_STATES, "valid": "有效(含30天内到期)"}


@dataclass(frozen=True)
class CertLevel:
    key: str  # "<programme>:<level>", the filter's value
    programme_id: str
    level_id: str
    label: str  # the filter's and figures' label
    programme_title: str = ""
    name: str = ""  # the level's own name (前台接待, 管家, ...)


def cert_levels() -> list[CertLevel]:
    """The levels of the programmes in force, lowest first (the programme's title only when there are several)."""
    programmes = [programme for programme, _ in cert_service.current_programmes()]
    several = len(programmes) > 1
    return [
        CertLevel(
            f"{programme.id}:{level.id}",
            programme.id,
            level.id,
            f"{programme.title} · {level.name}" if several else level.name,
            programme.title,
            level.name,
        )
        for programme in programmes
        for level in programme.levels
    ]


def cert_state(
    result: LevelResult, certificates: tuple[CertificateRecord, ...], now: datetime
) -> tuple[str, CertificateRecord | None]:
    """A ``CERT_STATES`` key for one level result, and the certificate whose dates go with it.

    Validity and "about to expire" are the evaluation's (``LevelResult.valid`` / ``expiring``); a
    trainee without a valid certificate is 已撤销 or 已过期 by their latest issued one, else 从未获得.
    """
    if result.valid:
        return ("expiring" if result.expiring(now) else "valid"), result.certificate
    held = [
        cert
        for cert in certificates
        if cert.programme_id == result.programme_id and cert.level_id == result.level_id and cert.issued_at is not None
    ]
    if not held:
        return "never", None
    latest = max(held, key=lambda cert: (cert.issued_at, cert.id))
    return ("revoked" if latest.revoked_at is not None else "expired"), latest


def _state_matches(state: str, wanted: str) -> bool:
    return state == wanted or (wanted == "valid" and state == "expiring")


@dataclass(frozen=True)
class CertRow:
    """One trainee × level: the dashboard's figures, the drill-down and the certifications export."""

    user_id: int
    username: str
    display_name: str
    site: str
    position: str
    level: CertLevel
    state: str
    evaluation: str  # the certification page's status label (未达标, 待审批, 可复认证, ...)
    issued_at: datetime | None
    expires_at: datetime | None
    code: str
    days_left: int | None

    @property
    def state_label(self) -> str:
        return CERT_STATES[self.state]


def _cert_trainees(f: Filters) -> list[Any]:
    """The active trainees of the filters (as the certification cohort: departed trainees are not counted)."""
    return db.session.execute(
        select(User.id, User.username, User.display_name, User.position, Site.name.label("site"))
        .join(Site, User.site_id == Site.id)
        .where(*trainee_conditions(f), User.active.is_(True))
        .order_by(Site.name, User.username)
    ).all()


def _evaluated(user_ids: list[int], now: datetime, full: bool) -> dict[int, tuple[tuple, list[LevelResult]]]:
    """user id → (their certificates, the level results of every programme in force).

    ``full``: ``certification.service.standings`` on all the evidence (the 认证进度 label needs it).
    Otherwise the same pure ``evaluate`` on the certificates alone (one query): whether a level is
    valid or about to expire depends on its certificates only, and the dashboard then skips reading
    every assessment turn of the last months.
    """
    if full:
        return {
            uid: (standing.evidence.certificates, standing.results())
            for uid, standing in cert_service.standings(user_ids, now).items()
        }
    by_user: dict[int, list[CertificateRecord]] = {uid: [] for uid in user_ids}
    if user_ids:
        for cert in db.session.scalars(select(Certificate).where(Certificate.user_id.in_(user_ids))):
            by_user[cert.user_id].append(cert_service.record_of(cert))
    programmes = [programme for programme, _ in cert_service.current_programmes()]
    versions = cert_service.programme_versions()
    catalogue = cert_service.catalogue()
    result = {}
    for uid, certificates in by_user.items():
        evidence = Evidence(uid, certificates=tuple(certificates))
        results = [r for programme in programmes for r in evaluate(programme, evidence, catalogue, now, versions)]
        result[uid] = (evidence.certificates, results)
    return result


def _cert_rows(trainees: list[Any], now: datetime, level_key: str = "", *, full: bool = True) -> list[CertRow]:
    levels = {level.key: level for level in cert_levels()}
    evaluated = _evaluated([t.id for t in trainees], now, full)
    rows = []
    for trainee in trainees:
        certificates, results = evaluated[trainee.id]
        for result in results:
            key = f"{result.programme_id}:{result.level_id}"
            if level_key and key != level_key:
                continue
            level = levels.get(key) or CertLevel(
                key, result.programme_id, result.level_id, result.name, result.programme_id, result.name
            )
            state, cert = cert_state(result, certificates, now)
            rows.append(
                CertRow(
                    trainee.id,
                    trainee.username,
                    trainee.display_name,
                    trainee.site,
                    trainee.position or "",
                    level,
                    state,
                    result.status_label if full else "",
                    cert.issued_at if cert else None,
                    cert.expires_at if cert else None,
                    cert.code if cert else "",
                    result.days_left(now),
                )
            )
    return rows


def _cert_filtered_ids(f: Filters, now: datetime | None) -> tuple[int, ...]:
    """The trainees the certification filter keeps: in ``cert_status`` at ``cert_level``, or without a level
    at any level (从未获得 without a level: no certificate of any level)."""
    rows = _cert_rows(_cert_trainees(f), now or utcnow(), f.cert_level, full=False)
    by_user: dict[int, list[str]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(row.state)
    every = f.cert_status == "never" and not f.cert_level
    return tuple(
        uid
        for uid, states in by_user.items()
        if (all if every else any)(_state_matches(state, f.cert_status) for state in states)
    )


def certification_rows(
    f: Filters, now: datetime | None = None, *, by_state: bool = True, full: bool = True
) -> list[CertRow]:
    """One row per trainee the filters keep × level (only ``cert_level`` when chosen), in site and 工号 order.

    Args:
        by_state: keep only the rows in ``cert_status`` (the export); the figures count every state of
            the trainees the filter keeps.
        full: judge on all the evidence, for the 认证进度 label (``CertRow.evaluation``, else empty).
    """
    rows = _cert_rows(_cert_trainees(f), now or utcnow(), f.cert_level, full=full)
    if by_state and f.cert_status:
        rows = [row for row in rows if _state_matches(row.state, f.cert_status)]
    return rows


@dataclass
class CertFigure:
    level: CertLevel
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def valid(self) -> int:
        """有效 including the certificates about to expire."""
        return self.counts["valid"] + self.counts["expiring"]


def cert_figures(f: Filters, now: datetime | None = None) -> list[CertFigure]:
    """Per level (or the chosen one), how many of the filters' trainees are in each ``CERT_STATES`` state."""
    figures = {
        level.key: CertFigure(level, dict.fromkeys(CERT_STATES, 0))
        for level in cert_levels()
        if not f.cert_level or level.key == f.cert_level
    }
    for row in certification_rows(f, now, by_state=False, full=False):
        figure = figures.get(row.level.key)
        if figure is not None:
            figure.counts[row.state] += 1
    return list(figures.values())


# --------------------------------------------------------------------------------------------
# Skill tallies: hits and misses per skill tag, summed from turn_skill (see skills.py)
# --------------------------------------------------------------------------------------------


def skill_tally(attempt_ids: Any, *group_by: Any) -> list[tuple]:
    """Hits and misses per skill over the turns of ``attempt_ids`` (a subquery or a list of ids).

    Returns rows ``(*group_by values, skill, hits, misses)``; the groups are columns of
    ``TurnSkill`` (``attempt_id``), ``Attempt`` or ``User`` (attempts and users are joined in when asked for).
    """
    query = (
        select(*group_by, TurnSkill.skill, func.sum(TurnSkill.hits), func.sum(TurnSkill.misses))
        .select_from(TurnSkill)
        .where(TurnSkill.attempt_id.in_(attempt_ids), TurnSkill.skill != "")
        .group_by(*group_by, TurnSkill.skill)
    )
    tables = {getattr(column, "table", None) for column in group_by}
    if tables & {Attempt.__table__, User.__table__}:
        query = query.join(Attempt, TurnSkill.attempt_id == Attempt.id)
        if User.__table__ in tables:
            query = query.join(User, Attempt.user_id == User.id)
    # Core execution: plain tuples, without the ORM's row loading (exports call this per chunk)
    return db.session.connection().execute(query).all()


@dataclass
class SkillFigure:
    skill: str
    label: str
    hits: int
    misses: int

    @property
    def total(self) -> int:
        return self.hits + self.misses

    @property
    def percent(self) -> int | None:
        return round(100 * self.hits / self.total) if self.total else None


def skill_figures(tally: list[tuple]) -> list[SkillFigure]:
    """``(skill, hits, misses)`` rows as figures in ``SKILL_LABELS`` order (unknown tags last)."""
    order = {skill: i for i, skill in enumerate(scoring.SKILL_LABELS)}
    figures = [
        SkillFigure(skill, scoring.SKILL_LABELS.get(skill, skill), hits, misses) for skill, hits, misses in tally
    ]
    return sorted(figures, key=lambda fig: (order.get(fig.skill, len(order)), fig.skill))


def skill_percent(hits: int, misses: int) -> int | None:
    total = hits + misses
    return round(100 * hits / total) if total else None


# --------------------------------------------------------------------------------------------
# Periods (trend buckets)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date  # exclusive
    label: str


def buckets(f: Filters) -> list[Bucket]:
    """The weeks (Monday first) or months covering the date range; weeks become months past MAX_BUCKETS."""
    period = f.period
    if period == "week" and ((f.date_to - f.date_from).days // 7) + 2 > MAX_BUCKETS:
        period = "month"
    result: list[Bucket] = []
    end_limit = f.date_to + timedelta(days=1)
    if period == "week":
        start = f.date_from - timedelta(days=f.date_from.weekday())
        while start < end_limit:
            end = start + timedelta(days=7)
            result.append(Bucket(start, end, f"{start.month}/{start.day}"))
            start = end
    else:
        start = f.date_from.replace(day=1)
        while start < end_limit:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            result.append(Bucket(start, end, f"{start.year % 100:02d}-{start.month:02d}"))
            start = end
    return result


def bucket_column(column: Any, spans: list[Bucket]) -> Any:
    """A CASE giving the index of the bucket ``column`` (naive UTC) falls in: portable, DST-correct."""
    whens = [(column < utc_start_of(bucket.end), index) for index, bucket in enumerate(spans)]
    return case(*whens, else_=len(spans))


@dataclass
class CertTrendPoint:
    """The trainees holding a valid certificate of each level (``CertLevel.key`` → count) at a bucket's end."""

    label: str
    start: date
    at: datetime  # naive UTC: the bucket's end, or now for the bucket still running
    counts: dict[str, int]


def cert_trend(f: Filters, spans: list[Bucket], now: datetime | None = None) -> list[CertTrendPoint]:
    """Per bucket and level (or the chosen one), the filters' active trainees holding a valid certificate
    at the bucket's end (capped at ``now``): issued_at <= end < expires_at and not revoked by then.

    One query on the certificate table (joined to the trainees); the buckets are counted in Python.
    """
    now = now or utcnow()
    levels = [level.key for level in cert_levels() if not f.cert_level or level.key == f.cert_level]
    points = [
        CertTrendPoint(bucket.label, bucket.start, min(utc_start_of(bucket.end), now), dict.fromkeys(levels, 0))
        for bucket in spans
    ]
    if not points or not levels:
        return points
    last = max(point.at for point in points)
    first = min(point.at for point in points)
    rows = db.session.execute(
        select(
            Certificate.user_id,
            Certificate.programme_key,
            Certificate.level_key,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.revoked_at,
        )
        .join(User, Certificate.user_id == User.id)
        .where(
            *trainee_conditions(f),
            User.active.is_(True),
            Certificate.issued_at.is_not(None),
            Certificate.issued_at <= last,
            or_(Certificate.expires_at.is_(None), Certificate.expires_at > first),
        )
    ).all()
    by_level: dict[str, list[set[int]]] = {key: [set() for _ in points] for key in levels}
    for user_id, programme_key, level_key, issued, expires, revoked in rows:
        sets = by_level.get(f"{programme_key}:{level_key}")
        if sets is None:
            continue
        for index, point in enumerate(points):
            at = point.at
            if issued <= at and (expires is None or at < expires) and (revoked is None or revoked > at):
                sets[index].add(user_id)
    for key, sets in by_level.items():
        for point, users in zip(points, sets, strict=True):
            point.counts[key] = len(users)
    return points


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    label: str
    start: date
    attempts: int = 0
    finished: int = 0
    passed: int = 0
    quizzes: int = 0
    quizzes_passed: int = 0

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passed / self.finished) if self.finished else None

    @property
    def quiz_pass_rate(self) -> int | None:
        return round(100 * self.quizzes_passed / self.quizzes) if self.quizzes else None


@dataclass
class ScenarioRow:
    key: str
    title: str
    category: str
    attempts: int
    finished: int
    passed: int
    average: int | None

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passed / self.finished) if self.finished else None


@dataclass
class Dashboard:
    filters: Filters
    trainees: int
    active: int
    attempts: int
    finished: int
    passed: int
    average: int | None
    quizzes: int
    quizzes_passed: int
    quiz_average: int | None
    skills: list[SkillFigure]
    trend: list[TrendPoint]
    scenarios: list[ScenarioRow]
    trainee_rows: list[dict[str, Any]] = field(default_factory=list)
    certs: list[CertFigure] = field(default_factory=list)
    cert_trend: list[CertTrendPoint] = field(default_factory=list)

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passed / self.finished) if self.finished else None

    @property
    def quiz_pass_rate(self) -> int | None:
        return round(100 * self.quizzes_passed / self.quizzes) if self.quizzes else None


def scenario_titles() -> dict[str, tuple[str, str]]:
    """Scenario key → (title, category) of its current version (one query)."""
    rows = db.session.execute(
        select(ContentVersion.key, ContentVersion.title, ContentVersion.data, ContentVersion.is_current)
        .where(ContentVersion.kind == "scenario")
        .order_by(ContentVersion.is_current, ContentVersion.id)
    )
    return {key: (title or key, (data or {}).get("category", "")) for key, title, data, _ in rows}


def dashboard(f: Filters, now: datetime | None = None) -> Dashboard:
    """Every figure of the HR dashboard for the filters (a fixed number of queries); certificates as of ``now``."""
    sync_missing(thorough=False)
    spans = buckets(f)
    trend = [TrendPoint(bucket.label, bucket.start) for bucket in spans]
    index = bucket_column(Attempt.started_at, spans).label("bucket")
    for bucket, attempts, finished, passed in db.session.execute(
        attempts_select(
            f,
            index,
            func.count(Attempt.id),
            func.count(Attempt.finished_at),
            func.count(Attempt.id).filter(_passed()),
        ).group_by(index)
    ):
        if bucket < len(trend):
            point = trend[bucket]
            point.attempts, point.finished, point.passed = attempts, finished, passed
    quiz_index = bucket_column(QuizAttempt.started_at, spans).label("bucket")
    for bucket, submitted, passed in db.session.execute(
        quizzes_select(
            f, quiz_index, func.count(QuizAttempt.id), func.count(QuizAttempt.id).filter(QuizAttempt.passed.is_(True))
        )
        .where(QuizAttempt.submitted_at.is_not(None))
        .group_by(quiz_index)
    ):
        if bucket < len(trend):
            trend[bucket].quizzes, trend[bucket].quizzes_passed = submitted, passed

    average = db.session.scalar(
        attempts_select(f, func.avg(Attempt.final_score)).where(Attempt.finished_at.is_not(None))
    )
    quiz_average = db.session.scalar(
        quizzes_select(f, func.avg(QuizAttempt.score)).where(QuizAttempt.submitted_at.is_not(None))
    )
    trainees = db.session.scalar(select(func.count(User.id)).where(*trainee_conditions(f))) or 0
    active_ids = union(attempts_select(f, Attempt.user_id), quizzes_select(f, QuizAttempt.user_id)).subquery()
    active = db.session.scalar(select(func.count()).select_from(active_ids)) or 0

    finished_ids = attempts_select(f, Attempt.id).where(Attempt.finished_at.is_not(None))
    skills = skill_figures(skill_tally(finished_ids))

    titles = scenario_titles()
    scenario_rows = [
        ScenarioRow(
            key,
            titles.get(key, (key, ""))[0],
            CATEGORY_LABELS.get(titles.get(key, (key, ""))[1], ""),
            attempts,
            finished,
            passed,
            round(avg) if avg is not None else None,
        )
        for key, attempts, finished, passed, avg in db.session.execute(
            attempts_select(
                f,
                Attempt.scenario_key,
                func.count(Attempt.id),
                func.count(Attempt.finished_at),
                func.count(Attempt.id).filter(_passed()),
                func.avg(Attempt.final_score),
            )
            .group_by(Attempt.scenario_key)
            .order_by(func.count(Attempt.id).desc(), Attempt.scenario_key)
        )
    ]
    return Dashboard(
        filters=f,
        trainees=trainees,
        active=active,
        attempts=sum(point.attempts for point in trend),
        finished=sum(point.finished for point in trend),
        passed=sum(point.passed for point in trend),
        average=round(average) if average is not None else None,
        quizzes=sum(point.quizzes for point in trend),
        quizzes_passed=sum(point.quizzes_passed for point in trend),
        quiz_average=round(quiz_average) if quiz_average is not None else None,
        skills=skills,
        trend=trend,
        scenarios=scenario_rows,
        trainee_rows=trainee_table(f.site_ids, f),
        certs=cert_figures(f, now),
        cert_trend=cert_trend(f, spans, now),
    )


# --------------------------------------------------------------------------------------------
# The trainee table (home pages of trainers and HR, and the dashboard): three queries in all
# --------------------------------------------------------------------------------------------


def trainee_table(site_ids: list[int] | tuple[int, ...], f: Filters | None = None) -> list[dict[str, Any]]:
    """One row per trainee of the sites: finished attempts, best score, quizzes, passed, last activity.

    Without filters every result counts; with them, the filters' cohort and period apply.
    """
    if not site_ids:
        return []
    if f is None:
        user_conditions = [User.role == Role.TRAINEE.value, User.site_id.in_(site_ids)]
        attempt_where = [Attempt.user_id.in_(select(User.id).where(*user_conditions)), Attempt.preview.is_(False)]
        quiz_where = [QuizAttempt.user_id.in_(select(User.id).where(*user_conditions))]
    else:
        user_conditions = trainee_conditions(f)
        attempt_where = attempt_conditions(f)
        quiz_where = quiz_conditions(f)
    users = db.session.execute(
        select(User, Site.name)
        .join(Site, User.site_id == Site.id)
        .where(*user_conditions)
        .order_by(Site.name, User.username)
    ).all()
    attempts = {
        user_id: (played, best, last)
        for user_id, played, best, last in db.session.execute(
            select(
                Attempt.user_id,
                func.count(Attempt.finished_at),
                func.max(Attempt.final_score),
                func.max(Attempt.started_at),
            )
            .join(User, Attempt.user_id == User.id)
            .where(*attempt_where)
            .group_by(Attempt.user_id)
        )
    }
    quizzes = {
        user_id: (taken, passed, last)
        for user_id, taken, passed, last in db.session.execute(
            select(
                QuizAttempt.user_id,
                func.count(QuizAttempt.submitted_at),
                func.count(QuizAttempt.id).filter(QuizAttempt.passed.is_(True)),
                func.max(QuizAttempt.started_at),
            )
            .join(User, QuizAttempt.user_id == User.id)
            .where(*quiz_where)
            .group_by(QuizAttempt.user_id)
        )
    }
    rows = []
    for user, site_name in users:
        played, best, last_play = attempts.get(user.id, (0, None, None))
        taken, passed, last_quiz = quizzes.get(user.id, (0, 0, None))
        last = max((t for t in (last_play, last_quiz) if t is not None), default=None)
        rows.append(
            {
                "user": user,
                "site": site_name,
                "played": played,
                "best": best,
                "quizzes": taken,
                "passed": passed,
                "last_active": last,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# Drill-downs
# --------------------------------------------------------------------------------------------


def scoped_trainee(user: User, trainee_id: int) -> User | None:
    """The trainee, if they belong to a site ``user`` may see (None otherwise: the view answers 404)."""
    trainee = db.session.get(User, trainee_id)
    if trainee is None or trainee.role != Role.TRAINEE.value or trainee.site_id not in visible_site_ids(user):
        return None
    return trainee


@dataclass
class TraineeRecord:
    trainee: User
    attempts: list[dict[str, Any]]
    quizzes: list[dict[str, Any]]
    skills: list[SkillFigure]
    certificates: list[CertRow] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


def trainee_record(trainee: User, f: Filters, now: datetime | None = None) -> TraineeRecord:
    """A trainee's attempts (skill scores and 复核 status), quiz results, skill profile and the trainers'
    reviews for the period; their certificates per level (as of ``now``) and every certificate issued."""
    sync_missing(thorough=False)
    conditions = [Attempt.user_id == trainee.id, *_period_conditions(Attempt.started_at, f)]
    if f.mode:
        conditions.append(Attempt.mode == f.mode)
    if f.category:
        conditions.append(Attempt.scenario_key.in_(category_keys(f.category)))
    titles = scenario_titles()
    attempt_rows = db.session.execute(
        select(
            Attempt.id,
            Attempt.scenario_key,
            Attempt.mode,
            Attempt.started_at,
            Attempt.finished_at,
            Attempt.final_score,
            Attempt.ending_kind,
        )
        .where(*conditions)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    ).all()
    ids = [row.id for row in attempt_rows]
    reviewed = review_queue.review_statuses(ids) if ids else {}
    per_attempt: dict[int, list[tuple[str, int, int]]] = {}
    for attempt_id, skill, hits, misses in skill_tally(ids, TurnSkill.attempt_id) if ids else []:
        per_attempt.setdefault(attempt_id, []).append((skill, hits, misses))
    attempts = [
        {
            "id": row.id,
            "scenario": titles.get(row.scenario_key, (row.scenario_key, ""))[0],
            "scenario_key": row.scenario_key,
            "mode": MODES.get(row.mode, row.mode),
            "started_at": row.started_at,
            "finished_at": row.finished_at,
            "score": row.final_score,
            "band": scoring.band_for(row.final_score) if row.final_score is not None else "",
            "ending": ENDING_KIND_LABELS.get(row.ending_kind or "", ""),
            "skills": skill_figures(per_attempt.get(row.id, [])),
            "review": reviewed.get(row.id, "unreviewed") if row.finished_at is not None else "",
        }
        for row in attempt_rows
    ]
    finished = [row.id for row in attempt_rows if row.finished_at is not None]
    profile = skill_figures(skill_tally(finished)) if finished else []
    quiz_conditions_ = [QuizAttempt.user_id == trainee.id, *_period_conditions(QuizAttempt.started_at, f)]
    if f.mode:
        quiz_conditions_.append(QuizAttempt.mode == f.mode)
    quizzes = [
        {
            "id": attempt.id,
            "title": title or attempt.quiz_key,
            "mode": MODES.get(attempt.mode, attempt.mode),
            "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at,
            "score": attempt.score,
            "passed": attempt.passed,
        }
        for attempt, title in db.session.execute(
            select(QuizAttempt, ContentVersion.title)
            .join(ContentVersion, QuizAttempt.content_id == ContentVersion.id)
            .where(*quiz_conditions_)
            .order_by(QuizAttempt.started_at.desc(), QuizAttempt.id.desc())
        )
    ]
    now = now or utcnow()
    person = db.session.execute(
        select(User.id, User.username, User.display_name, User.position, Site.name.label("site"))
        .join(Site, User.site_id == Site.id)
        .where(User.id == trainee.id)
    ).all()
    certificates = _cert_rows(person, now)
    names = {(row.level.programme_id, row.level.level_id): row.level.label for row in certificates}
    history = [
        {
            "level": names.get((cert.programme_key, cert.level_key), cert.level_name),
            "issued_at": cert.issued_at,
            "expires_at": cert.expires_at,
            "revoked_at": cert.revoked_at,
            "revoke_reason": cert.revoke_reason,
            "code": cert.code,
            "renewal": cert.renewal_of_id is not None,
            "valid": cert.valid_at(now),
        }
        for cert in db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == trainee.id, Certificate.issued_at.is_not(None))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    ]
    reviews = [
        {
            "attempt_id": review.attempt_id,
            "scenario": titles.get(scenario_key, (scenario_key, ""))[0],
            "turn": turn_index + 1,
            "at": review.created_at,
            "reviewer": reviewer,
            "changed": review.changed,
            "auto_score": review.auto_score,
            "score": review.score,
            "band": review.band,
            "reason": review.reason,
        }
        for review, reviewer, turn_index, scenario_key in (
            db.session.execute(
                select(TurnReview, User.display_name, Turn.index, Attempt.scenario_key)
                .join(User, TurnReview.reviewer_id == User.id)
                .join(Turn, TurnReview.turn_id == Turn.id)
                .join(Attempt, TurnReview.attempt_id == Attempt.id)
                .where(TurnReview.attempt_id.in_(ids), TurnReview.blind.is_(False))
                .order_by(TurnReview.created_at.desc(), TurnReview.id.desc())
            ).all()
            if ids
            else []
        )
    ]
    return TraineeRecord(trainee, attempts, quizzes, profile, certificates, history, reviews)


@dataclass
class ScenarioReport:
    key: str
    title: str
    row: ScenarioRow | None
    endings: list[tuple[str, int]]
    skills: list[SkillFigure]
    nodes: list[dict[str, Any]]
    sites: list[dict[str, Any]]


def scenario_report(key: str, f: Filters) -> ScenarioReport:
    """One scenario across the chosen sites: totals, endings, skills, average score per node, per site."""
    sync_missing(thorough=False)
    scoped = replace(f, category="")
    titles = scenario_titles()
    title = titles.get(key, (key, ""))[0]
    base = [Attempt.scenario_key == key]
    totals = db.session.execute(
        attempts_select(
            scoped,
            func.count(Attempt.id),
            func.count(Attempt.finished_at),
            func.count(Attempt.id).filter(_passed()),
            func.avg(Attempt.final_score),
        ).where(*base)
    ).one()
    row = ScenarioRow(
        key,
        title,
        CATEGORY_LABELS.get(titles.get(key, ("", ""))[1], ""),
        totals[0],
        totals[1],
        totals[2],
        round(totals[3]) if totals[3] is not None else None,
    )
    endings = [
        (ENDING_KIND_LABELS.get(kind or "", kind or "未结束"), count)
        for kind, count in db.session.execute(
            attempts_select(scoped, Attempt.ending_kind, func.count(Attempt.id))
            .where(*base)
            .group_by(Attempt.ending_kind)
            .order_by(func.count(Attempt.id).desc())
        )
    ]
    attempt_ids = attempts_select(scoped, Attempt.id).where(*base)
    skills = skill_figures(skill_tally(attempt_ids))
    nodes = [
        {"node": node, "turns": turns, "average": round(avg) if avg is not None else None, "passed": passed}
        for node, turns, avg, passed in db.session.execute(
            select(
                Turn.node,
                func.count(Turn.id),
                func.avg(Turn.score),
                func.count(Turn.id).filter(Turn.score >= PASS_MARK),
            )
            .where(Turn.attempt_id.in_(attempt_ids))
            .group_by(Turn.node)
            .order_by(func.avg(Turn.score))
        )
    ]
    sites = [
        {
            "site": name,
            "attempts": n,
            "finished": done,
            "passed": passed,
            "rate": round(100 * passed / done) if done else None,
        }
        for name, n, done, passed in db.session.execute(
            attempts_select(
                scoped,
                Site.name,
                func.count(Attempt.id),
                func.count(Attempt.finished_at),
                func.count(Attempt.id).filter(_passed()),
            )
            .join(Site, User.site_id == Site.id)
            .where(*base)
            .group_by(Site.name)
            .order_by(Site.name)
        )
    ]
    return ScenarioReport(key, title, row, endings, skills, nodes, sites)


@dataclass
class SkillReport:
    skill: str
    label: str
    overall: SkillFigure | None
    scenarios: list[tuple[str, str, SkillFigure]]
    trainees: list[tuple[User, str, SkillFigure]]


def skill_report(skill: str, f: Filters) -> SkillReport:
    """One skill across the chosen sites: by scenario and by trainee (weakest first)."""
    sync_missing(thorough=False)
    finished_ids = attempts_select(f, Attempt.id).where(Attempt.finished_at.is_not(None))
    overall = next((fig for fig in skill_figures(skill_tally(finished_ids)) if fig.skill == skill), None)
    titles = scenario_titles()
    by_scenario = [
        (key, titles.get(key, (key, ""))[0], SkillFigure(skill, "", hits, misses))
        for key, tag, hits, misses in skill_tally(finished_ids, Attempt.scenario_key)
        if tag == skill
    ]
    by_scenario.sort(key=lambda item: (item[2].percent if item[2].percent is not None else 101, item[0]))
    per_user = {
        user_id: SkillFigure(skill, "", hits, misses)
        for user_id, tag, hits, misses in skill_tally(finished_ids, Attempt.user_id)
        if tag == skill
    }
    users = (
        {
            user.id: (user, site)
            for user, site in db.session.execute(
                select(User, Site.name).join(Site, User.site_id == Site.id).where(User.id.in_(list(per_user)))
            )
        }
        if per_user
        else {}
    )
    trainees = [(users[uid][0], users[uid][1], fig) for uid, fig in per_user.items() if uid in users]
    trainees.sort(key=lambda item: (item[2].percent if item[2].percent is not None else 101, item[0].username))
    return SkillReport(skill, scoring.SKILL_LABELS.get(skill, skill), overall, by_scenario, trainees)


def positions(site_ids: list[int] | tuple[int, ...]) -> list[str]:
    """The posts (岗位) the trainees of the sites hold, for the filter's choices."""
    return [
        value
        for value in db.session.scalars(
            select(User.position)
            .where(User.site_id.in_(site_ids), User.role == Role.TRAINEE.value, User.position != "")
            .distinct()
            .order_by(User.position)
        )
    ]
