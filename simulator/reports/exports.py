"""Exports of results as background jobs: XLSX (XlsxWriter, streamed), CSV (UTF-8 with BOM), xAPI.

Rows are read in id-ordered chunks (keyset pagination) with one query per table and chunk, so memory
stays flat however many attempts there are. Every text cell is neutralised against formula injection.
Each export is audited in ``report_export`` (who, when, filters, row count, outcome).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from flask import current_app, has_request_context, request
from sqlalchemy import Integer, case, cast, func, null, select, update

import scoring

from ..extensions import db
from ..jobs import JobContext, JobError, job_kind, submit
from ..models import (
    Attempt,
    ContentVersion,
    Job,
    JobStatus,
    QuizAttempt,
    ReportExport,
    Role,
    Site,
    Turn,
    TurnSkill,
    User,
    utcnow,
)
from ..review.queue import STATUS_LABELS as REVIEW_LABELS
from ..review.queue import review_statuses
from ..templating import to_local
from . import service
from .service import CATEGORY_LABELS, ENDING_KIND_LABELS, MODES, PASS_MARK, FilterError, Filters
from .skills import sync_missing

CHUNK = 5000
KIND_LABELS = {
    "attempts": "演练记录",
    "turns": "对话明细",
    "quizzes": "测验成绩",
    "certifications": "认证情况",
    "xapi": "xAPI 学习记录",
}
FORMAT_LABELS = {"xlsx": "Excel", "csv": "CSV", "json": "JSON", "lrs": "发送到 LRS"}
ALLOWED_FORMATS = {
    "attempts": ("xlsx", "csv"),
    "turns": ("xlsx", "csv"),
    "quizzes": ("xlsx", "csv"),
    "certifications": ("xlsx", "csv"),
    "xapi": ("json", "lrs"),
}
# Text that a spreadsheet would read as a formula (or a DDE payload) when it starts with one of these.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


class ExportRefused(ValueError):
    """The export cannot start (a Chinese sentence for the user)."""


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet runs: text starting with = + - @ tab or CR gets a leading apostrophe.

    Numbers, dates and booleans pass unchanged (a score of -5 is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(row: list[Any]) -> list[Any]:
    """:func:`neutralise` on every cell, inlined (an export calls it millions of times)."""
    return ["'" + v if v.__class__ is str and v[:1] in _FORMULA_STARTS else v for v in row]


def local(value: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time a spreadsheet shows (DISPLAY_TZ)."""
    converted = to_local(value)
    return converted.replace(tzinfo=None, microsecond=0) if converted is not None else None


class LocalTimes:
    """:func:`local` with the zone looked up once (per export, not per cell)."""

    def __init__(self) -> None:
        self.zone = service.display_zone()

    def __call__(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None, microsecond=0)


# --------------------------------------------------------------------------------------------
# Sinks: XLSX and CSV behind one small interface
# --------------------------------------------------------------------------------------------


class XlsxSink:
    """A streamed workbook: rows go to disk as they come, the header row is bold, frozen and filterable.

    XlsxWriter in ``constant_memory`` mode writes each row once and keeps none (about twice as fast
    as openpyxl's write-only mode, bench/export_attempts.py). Strings are never read as formulas or
    links, on top of :func:`neutralise_row`; dates and datetimes become real date cells.
    """

    def __init__(self, path: Path, title: str, headers: list[str], widths: dict[str, int] | None = None):
        self.path = path
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "yyyy-mm-dd hh:mm",
            },
        )
        self.sheet = self.workbook.add_worksheet(title[:31])
        self.date = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        for index, header in enumerate(headers):
            self.sheet.set_column(index, index, (widths or {}).get(header, 12))
        self.sheet.freeze_panes(1, 0)
        self.sheet.write_row(0, 0, [neutralise(header) for header in headers], self.workbook.add_format({"bold": True}))
        self.columns = len(headers)
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        self.rows += 1
        values = neutralise_row(row)
        self.sheet.write_row(self.rows, 0, values)
        for column, value in enumerate(values):
            if value.__class__ is date:  # a day, not a moment: no time part shown
                self.sheet.write_datetime(self.rows, column, value, self.date)

    def close(self) -> None:
        self.sheet.autofilter(0, 0, self.rows, self.columns - 1)
        self.workbook.close()


class CsvSink:
    """UTF-8 with a BOM (Excel then reads the Chinese correctly); dates as text in local time."""

    def __init__(self, path: Path, title: str, headers: list[str], widths: dict[str, int] | None = None):
        self.path = path
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow([neutralise(header) for header in headers])
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        # csv writes None as "" and dates as str() gives them: 2026-03-02 10:00:00, 2026-01-10
        self.writer.writerow(neutralise_row(row))
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


SINKS = {"xlsx": XlsxSink, "csv": CsvSink}


# --------------------------------------------------------------------------------------------
# Row sources
# --------------------------------------------------------------------------------------------

SKILL_HEADERS = [f"技能:{label}" for label in scoring.SKILL_LABELS.values()]
ATTEMPT_HEADERS = [
    "记录编号", "工号", "姓名", "管理处", "岗位", "入职日期", "情景编号", "情景名称", "情景类别", "情景版本",
    "模式", "开始时间", "完成时间", "状态", "最终得分", "等级", "是否合格", "结局", "结局类型", "复核",
    "回合数", *SKILL_HEADERS,
]  # fmt: skip
TURN_HEADERS = [
    "记录编号", "回合", "工号", "姓名", "管理处", "情景编号", "情景名称", "模式", "节点", "业主原话", "学员回复",
    "得分", "等级", "判定依据", "否决项", "做到的要点", "缺少的要点", "用时(秒)", "超时", "回复后情绪",
    "显示时间", "提交时间", "评分模型版本",
]  # fmt: skip
QUIZ_HEADERS = [
    "记录编号", "工号", "姓名", "管理处", "岗位", "入职日期", "测验编号", "测验名称", "模式", "开始时间",
    "交卷时间", "状态", "得分(%)", "是否通过",
]  # fmt: skip
CERT_HEADERS = [
    "工号", "姓名", "管理处", "岗位", "认证方案", "认证等级", "证书状态", "认证进度", "颁发日期", "到期日期",
    "剩余天数", "证书编号",
]  # fmt: skip
WIDTHS = {
    "姓名": 14, "管理处": 18, "情景名称": 26, "测验名称": 22, "开始时间": 18, "完成时间": 18, "交卷时间": 18,
    "显示时间": 18, "提交时间": 18, "认证等级": 14, "证书编号": 28,
    "业主原话": 40, "学员回复": 48, "结局": 20, "做到的要点": 30, "缺少的要点": 30,
}  # fmt: skip


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


class _EndingTitles:
    """Ending id → title and the category, per content version, loaded once per version the export meets.

    Read in Python: a scenario's JSON is tens of kilobytes, too much to extract from on every row.
    """

    def __init__(self) -> None:
        self._cache: dict[int, dict[str, str]] = {}
        self.categories: dict[int, str] = {}

    def load(self, content_ids: set[int]) -> None:
        missing = content_ids - self._cache.keys()
        if not missing:
            return
        for content_id, data in db.session.execute(
            select(ContentVersion.id, ContentVersion.data).where(ContentVersion.id.in_(missing))
        ):
            endings = (data or {}).get("endings") or {}
            self.categories[content_id] = CATEGORY_LABELS.get((data or {}).get("category", ""), "")
            self._cache[content_id] = {
                key: (value or {}).get("title", key) for key, value in endings.items() if isinstance(value, dict)
            }

    def title(self, content_id: int, ending: str | None) -> str:
        if not ending:
            return ""
        return self._cache.get(content_id, {}).get(ending, ending)


def _core(statement: Any) -> list[Any]:
    """Rows of a column query through Core (plain tuples; the ORM's row loading costs seconds at 100,000)."""
    return db.session.connection().execute(statement).all()


def _attempt_columns():
    return (
        Attempt.id,
        Attempt.content_id,
        User.id.label("user_id"),
        User.username,
        User.display_name,
        User.position,
        User.hired_on,
        Site.name.label("site"),
        Attempt.scenario_key,
        ContentVersion.title,
        Attempt.scenario_version,
        Attempt.mode,
        Attempt.started_at,
        Attempt.finished_at,
        Attempt.final_score,
        Attempt.ending,
        Attempt.ending_kind,
    )


def attempt_chunks(f: Filters, chunk: int = CHUNK) -> Iterator[tuple[list[Any], Any]]:
    """The filtered attempts with their user, site and scenario, in id order, ``chunk`` rows at a time.

    Yields ``(rows, ids)`` where ``ids`` is a subquery of the chunk's attempt ids, for the per-chunk
    queries of other tables (the database filters; no thousands of bound ids).
    """
    conditions = service.attempt_conditions(f)
    base = (
        select(*_attempt_columns())
        .select_from(Attempt)
        .join(User, Attempt.user_id == User.id)
        .join(Site, User.site_id == Site.id)
        .join(ContentVersion, Attempt.content_id == ContentVersion.id)
        .where(*conditions)
        .order_by(Attempt.id)
        .limit(chunk)
    )
    last = 0
    while True:
        rows = _core(base.where(Attempt.id > last))
        if not rows:
            return
        ids = (
            select(Attempt.id)
            .join(User, Attempt.user_id == User.id)
            .where(*conditions, Attempt.id > last, Attempt.id <= rows[-1].id)
        )
        yield rows, ids
        last = rows[-1].id


def count_attempts(f: Filters) -> int:
    return db.session.scalar(service.attempts_select(f, func.count(Attempt.id))) or 0


def skill_pivot() -> Any:
    """Per attempt: its number of turns, then each ``SKILL_LABELS`` skill's percent of items done (or NULL).

    One grouped query per chunk with conditional sums, so Python only joins tuples (100,000 rows).
    """
    columns = [func.count(func.distinct(TurnSkill.turn_id))]
    for skill in scoring.SKILL_LABELS:
        hits = func.sum(case((TurnSkill.skill == skill, TurnSkill.hits)))
        items = func.sum(case((TurnSkill.skill == skill, TurnSkill.hits + TurnSkill.misses)))
        columns.append(
            case((items > 0, cast(func.round(100.0 * hits / items), Integer)), else_=null()).label(f"skill_{skill}")
        )
    return select(TurnSkill.attempt_id, *columns).group_by(TurnSkill.attempt_id)


def attempt_rows(f: Filters, progress: Callable[[int], None]) -> Iterator[list[Any]]:
    """One row per attempt: who, where, which scenario, when (local), score, band, ending, 复核, per-skill %."""
    endings = _EndingTitles()
    local_time = LocalTimes()
    pivot = skill_pivot()
    no_skills = (0, *([None] * len(scoring.SKILL_LABELS)))
    band_for = scoring.band_for
    done = 0
    for rows, ids in attempt_chunks(f):
        endings.load({row.content_id for row in rows})
        skills = {row[0]: row[1:] for row in _core(pivot.where(TurnSkill.attempt_id.in_(ids)))}
        reviews = review_statuses(ids)
        for row in rows:
            finished = row.finished_at is not None
            score = row.final_score
            yield [
                row.id, row.username, row.display_name, row.site, row.position, row.hired_on,
                row.scenario_key, row.title or row.scenario_key, endings.categories.get(row.content_id, ""),
                row.scenario_version, MODES.get(row.mode, row.mode), local_time(row.started_at),
                local_time(row.finished_at), "已完成" if finished else "未完成", score,
                band_for(score) if score is not None else "",
                ("是" if score >= PASS_MARK else "否") if finished and score is not None else "",
                endings.title(row.content_id, row.ending), ENDING_KIND_LABELS.get(row.ending_kind or "", ""),
                REVIEW_LABELS[reviews.get(row.id, "unreviewed")] if finished else "",
                *skills.get(row.id, no_skills),  # 回合数, then one percent per skill
            ]  # fmt: skip
        done += len(rows)
        progress(done)


def count_turns(f: Filters) -> int:
    return (
        db.session.scalar(
            select(func.count(Turn.id))
            .select_from(Turn)
            .join(Attempt, Turn.attempt_id == Attempt.id)
            .join(User, Attempt.user_id == User.id)
            .where(*service.attempt_conditions(f))
        )
        or 0
    )


def turn_chunks(f: Filters, chunk: int = CHUNK) -> Iterator[list[Any]]:
    conditions = service.attempt_conditions(f)
    base = (
        select(
            Turn.id,
            Turn.attempt_id,
            Turn.index,
            Turn.node,
            Turn.resident_line,
            Turn.reply,
            Turn.score,
            Turn.band,
            Turn.breakdown,
            Turn.elapsed_s,
            Turn.late,
            Turn.emotion_after,
            Turn.shown_at,
            Turn.submitted_at,
            Turn.scorer_version,
            User.username,
            User.display_name,
            Site.name.label("site"),
            Attempt.scenario_key,
            Attempt.scenario_version,
            Attempt.mode,
            Attempt.user_id,
            Attempt.started_at,
            Attempt.finished_at,
            Attempt.final_score,
            ContentVersion.title,
            User.hired_on,
            User.position,
        )  # fmt: skip
        .select_from(Turn)
        .join(Attempt, Turn.attempt_id == Attempt.id)
        .join(User, Attempt.user_id == User.id)
        .join(Site, User.site_id == Site.id)
        .join(ContentVersion, Attempt.content_id == ContentVersion.id)
        .where(*conditions)
        .order_by(Turn.id)
        .limit(chunk)
    )
    last = 0
    while True:
        rows = _core(base.where(Turn.id > last))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def turn_rows(f: Filters, progress: Callable[[int], None]) -> Iterator[list[Any]]:
    """One row per trainee reply, with how it was scored (for audits)."""
    done = 0
    for rows in turn_chunks(f):
        for row in rows:
            breakdown = row.breakdown or {}
            yield [
                row.attempt_id, row.index + 1, row.username, row.display_name, row.site, row.scenario_key,
                row.title or row.scenario_key, MODES.get(row.mode, row.mode), row.node, row.resident_line, row.reply,
                row.score, row.band, breakdown.get("decided_by", ""),
                "、".join(b.get("label") or b.get("id", "") for b in breakdown.get("blockers", [])),
                "、".join(h.get("label") or h.get("item", "") for h in breakdown.get("hits", [])),
                "、".join(m.get("label") or m.get("item", "") for m in breakdown.get("misses", [])),
                round(row.elapsed_s, 1) if row.elapsed_s is not None else None, _yes_no(row.late), row.emotion_after,
                local(row.shown_at), local(row.submitted_at), row.scorer_version or "",
            ]  # fmt: skip
        done += len(rows)
        progress(done)


def count_quizzes(f: Filters) -> int:
    return db.session.scalar(service.quizzes_select(f, func.count(QuizAttempt.id))) or 0


def quiz_chunks(f: Filters, chunk: int = CHUNK) -> Iterator[list[Any]]:
    conditions = service.quiz_conditions(f)
    base = (
        select(
            QuizAttempt.id,
            QuizAttempt.quiz_key,
            QuizAttempt.mode,
            QuizAttempt.started_at,
            QuizAttempt.submitted_at,
            QuizAttempt.score,
            QuizAttempt.passed,
            User.id.label("user_id"),
            User.username,
            User.display_name,
            User.position,
            User.hired_on,
            Site.name.label("site"),
            ContentVersion.title,
            ContentVersion.version,
        )  # fmt: skip
        .select_from(QuizAttempt)
        .join(User, QuizAttempt.user_id == User.id)
        .join(Site, User.site_id == Site.id)
        .join(ContentVersion, QuizAttempt.content_id == ContentVersion.id)
        .where(*conditions)
        .order_by(QuizAttempt.id)
        .limit(chunk)
    )
    last = 0
    while True:
        rows = _core(base.where(QuizAttempt.id > last))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def quiz_rows(f: Filters, progress: Callable[[int], None]) -> Iterator[list[Any]]:
    """One row per quiz attempt."""
    done = 0
    for rows in quiz_chunks(f):
        for row in rows:
            submitted = row.submitted_at is not None
            yield [
                row.id, row.username, row.display_name, row.site, row.position, row.hired_on, row.quiz_key,
                row.title or row.quiz_key, MODES.get(row.mode, row.mode), local(row.started_at),
                local(row.submitted_at), "已交卷" if submitted else "未交卷",
                round(row.score, 1) if row.score is not None else None, _yes_no(row.passed) if submitted else "",
            ]  # fmt: skip
        done += len(rows)
        progress(done)


def count_certifications(f: Filters) -> int:
    return len(service.certification_rows(f, full=False))  # the states need the certificates only


def certification_rows(f: Filters, progress: Callable[[int], None]) -> Iterator[list[Any]]:
    """One row per trainee × level: the state as of now, the dates of the certificate that goes with it."""
    local_time = LocalTimes()
    rows = service.certification_rows(f)
    for row in rows:
        issued, expires = local_time(row.issued_at), local_time(row.expires_at)
        yield [
            row.username, row.display_name, row.site, row.position,
            row.level.programme_title, row.level.name,
            row.state_label, row.evaluation, issued.date() if issued else None, expires.date() if expires else None,
            row.days_left, row.code,
        ]  # fmt: skip
    progress(len(rows))


TABLES: dict[str, tuple[list[str], Callable[..., Iterator[list[Any]]], Callable[[Filters], int]]] = {
    "attempts": (ATTEMPT_HEADERS, attempt_rows, count_attempts),
    "turns": (TURN_HEADERS, turn_rows, count_turns),
    "quizzes": (QUIZ_HEADERS, quiz_rows, count_quizzes),
    "certifications": (CERT_HEADERS, certification_rows, count_certifications),
}


def write_table(kind: str, fmt: str, f: Filters, path: Path, progress: Callable[[int], None] | None = None) -> int:
    """Write one table of the filtered results to ``path``; returns the number of data rows."""
    headers, rows, _ = TABLES[kind]
    sink = SINKS[fmt](path, KIND_LABELS[kind], headers, WIDTHS)
    try:
        for row in rows(f, progress or (lambda done: None)):
            sink.write(row)
    finally:
        sink.close()
    return sink.rows


# --------------------------------------------------------------------------------------------
# Jobs and the audit
# --------------------------------------------------------------------------------------------


def lrs_configured() -> bool:
    return bool(current_app.config.get("XAPI_LRS_URL"))


def start_export(user: User, kind: str, fmt: str, f: Filters) -> Job:
    """Audit the request and queue its job (with JOBS_IMMEDIATE it has run when this returns).

    Raises:
        ExportRefused: an unknown combination, or an LRS export without a configured LRS.
    """
    if fmt not in ALLOWED_FORMATS.get(kind, ()):
        raise ExportRefused("不支持这种导出组合。")
    if fmt == "lrs" and not lrs_configured():
        raise ExportRefused("未配置学习记录库(XAPI_LRS_URL),无法发送。")
    audit = ReportExport(user_id=user.id, kind=kind, format=fmt, filters=f.to_params())
    db.session.add(audit)
    db.session.commit()
    params: dict[str, Any] = {"audit_id": audit.id, "filters": f.to_params()}
    if kind == "xapi":
        params["homepage"] = current_app.config.get("XAPI_HOMEPAGE") or (
            request.url_root.rstrip("/") if has_request_context() else "http://localhost"
        )
    job = submit(f"report_{kind}_{fmt}", user=user, **params)
    db.session.execute(update(ReportExport).where(ReportExport.id == audit.id).values(job_id=job.id))
    db.session.commit()
    return job


def _finish_audit(audit_id: int, status: str, rows: int | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(ReportExport)
            .where(ReportExport.id == audit_id)
            .values(status=status, row_count=rows, finished_at=utcnow())
        )


def _job_filters(ctx: JobContext, filters: dict[str, Any]) -> Filters:
    """The filters again, checked against the user's scope as it is now (it may have shrunk since)."""
    user = ctx.user
    if user is None or not user.active or user.role not in (Role.HR.value, Role.ADMIN.value):
        raise JobError("账号已无导出权限。")
    try:
        return service.parse_filters(filters, user)
    except FilterError as exc:
        raise JobError("；".join(exc.errors)) from exc


def _file_name(kind: str, f: Filters, extension: str) -> str:
    return f"{KIND_LABELS[kind]}_{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.{extension}"


def _table_job(kind: str, fmt: str) -> Callable[..., dict[str, Any]]:
    def run(ctx: JobContext, *, audit_id: int, filters: dict[str, Any]) -> dict[str, Any]:
        try:
            f = _job_filters(ctx, filters)
            sync_missing()
            total = TABLES[kind][2](f)
            ctx.progress(0, total, f"共 {total:,} 行")
            path = ctx.result_path(_file_name(kind, f, fmt))
            rows = write_table(kind, fmt, f, path, lambda done: ctx.progress(done, total, f"已写入 {done:,} 行"))
        except Exception:
            _finish_audit(audit_id, JobStatus.FAILED.value, None)
            raise
        _finish_audit(audit_id, JobStatus.DONE.value, rows)
        return {"rows": rows}

    return run


for _kind in ("attempts", "turns", "quizzes", "certifications"):
    for _fmt in ("xlsx", "csv"):
        job_kind(f"report_{_kind}_{_fmt}", label=f"导出{KIND_LABELS[_kind]}({FORMAT_LABELS[_fmt]})")(
            _table_job(_kind, _fmt)
        )


def recent_exports(user: User, limit: int = 50) -> list[ReportExport]:
    """The export audit, newest first: an admin sees everybody's, HR their own."""
    query = select(ReportExport).order_by(ReportExport.created_at.desc(), ReportExport.id.desc()).limit(limit)
    if user.role != Role.ADMIN.value:
        query = query.where(ReportExport.user_id == user.id)
    return list(db.session.scalars(query))


def describe_filters(params: dict[str, Any]) -> str:
    """The stored filters in one Chinese line (site names looked up once)."""
    parts = []
    site_ids = [int(s) for s in params.get("site") or []]
    if site_ids:
        names = db.session.scalars(select(Site.name).where(Site.id.in_(site_ids)).order_by(Site.name))
        parts.append("项目:" + "、".join(names))
    else:
        parts.append("项目:全部管辖项目")
    parts.append(f"日期:{params.get('from', '')} 至 {params.get('to', '')}")
    if params.get("hired_from") or params.get("hired_to"):
        parts.append(f"入职:{params.get('hired_from') or '…'} 至 {params.get('hired_to') or '…'}")
    if params.get("position"):
        parts.append(f"岗位:{params['position']}")
    if params.get("category"):
        parts.append(f"类别:{CATEGORY_LABELS.get(params['category'], params['category'])}")
    if params.get("mode"):
        parts.append(f"模式:{MODES.get(params['mode'], params['mode'])}")
    if params.get("cert_level"):
        labels = {level.key: level.label for level in service.cert_levels()}
        parts.append(f"认证等级:{labels.get(params['cert_level'], params['cert_level'])}")
    if params.get("cert_status"):
        parts.append(f"认证状态:{service.CERT_FILTERS.get(params['cert_status'], params['cert_status'])}")
    return ";".join(parts)


from . import xapi as _xapi  # noqa: E402,F401  (registers the xAPI job kinds)
