"""The review queue: a site's finished attempts, filtered, newest first or the scorer's least sure first."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import exists, func
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Attempt, ContentVersion, Role, Turn, TurnReview, User
from .priority import Uncertainty, uncertainty

PAGE_SIZE = 20
PRIORITY_LIMIT = 2000  # attempts ranked in memory for the priority order
STATUS_LABELS = {"unreviewed": "未复核", "reviewed": "已复核", "corrected": "有改分"}
ORDERS = {"newest": "最新在前", "priority": "评分把握最小在前"}


class FilterError(ValueError):
    """A filter value cannot be read; the message is shown above the queue."""


@dataclass
class Filters:
    scenario: str = ""
    trainee_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    practice: bool = False
    order: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read the query string.

        Raises:
            FilterError: A date or the status is not valid (the message says which, in Chinese).
        """
        def day(name: str, label: str) -> date | None:
            value = (args.get(name) or "").strip()
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise FilterError(f"{label}格式应为 年-月-日,例如 2026-12-01。") from None

        status = args.get("status", "")
        if status and status not in STATUS_LABELS:
            raise FilterError("复核状态只能是 未复核、已复核 或 有改分。")
        order = args.get("order", "newest")
        trainee = args.get("trainee", "")
        return cls(
            scenario=(args.get("scenario") or "").strip(),
            trainee_id=int(trainee) if trainee.isdigit() else None,
            date_from=day("from", "开始日期"), date_to=day("to", "结束日期"), status=status,
            practice=args.get("practice") == "1", order=order if order in ORDERS else "newest",
            page=max(1, int(args.get("page")) if (args.get("page") or "").isdigit() else 1),
        )


@dataclass
class QueueRow:
    attempt: Attempt
    status: str
    reviewed_turns: int
    uncertainty: Uncertainty | None = None
    blind: bool = False  # another trainer has reviewed it and this one has not: open it for blind marking

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    filters: Filters
    scenarios: list[tuple[str, str]] = field(default_factory=list)


def _utc(day: date) -> datetime:
    zone = ZoneInfo(current_app.config.get("DISPLAY_TZ", "Asia/Shanghai"))
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _reviewed():
    return exists().where(TurnReview.attempt_id == Attempt.id, TurnReview.blind.is_(False))


def _corrected():
    return exists().where(Turn.attempt_id == Attempt.id, Turn.auto_score.is_not(None))


def attempt_status(attempt: Attempt) -> str:
    """``unreviewed`` / ``reviewed`` / ``corrected`` for one attempt."""
    if any(turn.corrected for turn in attempt.turns):
        return "corrected"
    reviewed = db.session.execute(
        db.select(func.count(TurnReview.id)).where(TurnReview.attempt_id == attempt.id, TurnReview.blind.is_(False))
    ).scalar_one()
    return "reviewed" if reviewed else "unreviewed"


def review_statuses(attempt_ids) -> dict[int, str]:
    """``reviewed`` / ``corrected`` per attempt of ``attempt_ids`` (a list or an id subquery), as the queue has them.

    Two queries whatever the number of attempts; an attempt missing from the result is ``unreviewed``.
    """
    statuses = {
        attempt_id: "reviewed"
        for (attempt_id,) in db.session.execute(
            db.select(TurnReview.attempt_id)
            .where(TurnReview.attempt_id.in_(attempt_ids), TurnReview.blind.is_(False))
            .distinct()
        )
    }
    for (attempt_id,) in db.session.execute(
        db.select(Turn.attempt_id).where(Turn.attempt_id.in_(attempt_ids), Turn.auto_score.is_not(None)).distinct()
    ):
        statuses[attempt_id] = "corrected"
    return statuses


def site_query(user: User):
    """Finished attempts of the trainees of the user's site."""
    return (
        db.select(Attempt).join(User, Attempt.user_id == User.id)
        .where(User.site_id == user.site_id, User.role == Role.TRAINEE.value, Attempt.finished_at.is_not(None),
               Attempt.preview.is_(False))
    )


def review_queue(user: User, filters: Filters) -> QueuePage:
    """One page of the review queue of the user's site."""
    query = site_query(user)
    if not filters.practice:
        query = query.where(Attempt.mode == "assessment")
    if filters.scenario:
        query = query.where(Attempt.scenario_key == filters.scenario)
    if filters.trainee_id:
        query = query.where(Attempt.user_id == filters.trainee_id)
    if filters.date_from:
        query = query.where(Attempt.started_at >= _utc(filters.date_from))
    if filters.date_to:
        query = query.where(Attempt.started_at < _utc(filters.date_to + timedelta(days=1)))
    if filters.status == "unreviewed":
        query = query.where(~_reviewed())
    elif filters.status == "reviewed":
        query = query.where(_reviewed(), ~_corrected())
    elif filters.status == "corrected":
        query = query.where(_corrected())
    total = db.session.execute(db.select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    ordered = query.order_by(Attempt.started_at.desc(), Attempt.id.desc()).options(selectinload(Attempt.turns))
    if filters.order == "priority":
        attempts = list(db.session.execute(ordered.limit(PRIORITY_LIMIT)).scalars())
        rows = _rows(attempts, user)
        rows.sort(key=lambda row: -(row.uncertainty.priority if row.uncertainty else -1.0))
        rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    else:
        attempts = list(db.session.execute(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars())
        rows = _rows(attempts, user)
    return QueuePage(rows, page, pages, total, filters, scenarios=site_scenarios(user))


def _rows(attempts: list[Attempt], user: User) -> list[QueueRow]:
    ids = [a.id for a in attempts]
    reviewed: dict[int, set[int]] = {}
    reviewers: dict[int, set[int]] = {}
    if ids:
        for attempt_id, turn_id, reviewer_id, blind in db.session.execute(
            db.select(TurnReview.attempt_id, TurnReview.turn_id, TurnReview.reviewer_id, TurnReview.blind)
            .where(TurnReview.attempt_id.in_(ids))
        ):
            reviewers.setdefault(attempt_id, set()).add(reviewer_id)
            if not blind:
                reviewed.setdefault(attempt_id, set()).add(turn_id)
    rows = []
    for attempt in attempts:
        done = reviewed.get(attempt.id, set())
        open_turns = [turn for turn in attempt.turns if turn.id not in done]
        status = "corrected" if any(t.corrected for t in attempt.turns) else "reviewed" if done else "unreviewed"
        least_sure = max((uncertainty(t.automatic_breakdown) for t in open_turns), key=lambda u: u.priority,
                         default=None)
        marked_by = reviewers.get(attempt.id, set())
        blind = bool(marked_by - {user.id}) and user.id not in marked_by
        rows.append(QueueRow(attempt, status, len(done), least_sure, blind))
    return rows


def site_scenarios(user: User) -> list[tuple[str, str]]:
    """(key, title) of the scenarios the site's trainees have finished, for the filter."""
    keys = sorted({key for (key,) in db.session.execute(
        site_query(user).with_only_columns(Attempt.scenario_key).distinct()
    )})
    titles = dict(db.session.execute(
        db.select(ContentVersion.key, ContentVersion.title)
        .where(ContentVersion.kind == "scenario", ContentVersion.key.in_(keys), ContentVersion.is_current.is_(True))
    ).all()) if keys else {}
    return [(key, titles.get(key) or key) for key in keys]


def site_attempt(user: User, attempt_id: int) -> Attempt:
    """An attempt a trainer may review: a finished attempt of a trainee of their own site (else 404)."""
    attempt = db.get_or_404(Attempt, attempt_id)
    if (attempt.user.site_id != user.site_id or attempt.user.role != Role.TRAINEE.value
            or attempt.finished_at is None):
        abort(404)
    return attempt
