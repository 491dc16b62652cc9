"""Database models (SQLAlchemy 2.0 typed mappings).

Every schema change goes through a migration in ``simulator/migrations`` (``flask db migrate``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    """Timezone-aware now; stored naive-UTC so SQLite and PostgreSQL behave the same."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    HR = "hr"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.TRAINEE: "学员",
    Role.TRAINER: "培训师",
    Role.HR: "人事",
    Role.ADMIN: "管理员",
}


class Site(db.Model):
    """A 管理处 / 项目: the cohort a user belongs to."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="site")


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)  # 工号
    display_name: Mapped[str] = mapped_column(String(60))  # 姓名
    role: Mapped[str] = mapped_column(String(16), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Part of the id Flask-Login keeps in the session and the remember-me cookie: bumping it ends
    # every session of the user, including cookies copied before (issue 14.4).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # HR cohorts (issue 13): the hire date and the post (岗位, e.g. 管家 / 客服 / 前台) from the roster.
    hired_on: Mapped[date | None] = mapped_column(default=None, index=True)
    position: Mapped[str] = mapped_column(String(40), default="", server_default="")

    site: Mapped[Site] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        """Set a new password; every existing session of the user ends (sign in again after a reset)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie issued to this user so far."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """The session id: ``<id>:<session_version>`` (see :func:`simulator.auth.views.load_user`)."""
        return f"{self.id}:{self.session_version or 0}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]


# 工号 are unique ignoring case: ``DEMO-TRAINER`` is the account ``demo-trainer`` (issue 14.9).
Index("uq_user_username_lower", func.lower(User.username), unique=True)


def find_user(username: str) -> User | None:
    """The account whose 工号 is ``username``, ignoring case and surrounding spaces."""
    query = db.select(User).where(func.lower(User.username) == username.strip().lower())
    return db.session.execute(query).scalar_one_or_none()


class PasswordNotice(db.Model):
    """A one-time password waiting to be shown once to the admin who set it (issue 14.6).

    Flashing it put the password in the session cookie, which is signed but readable. Only a hash of
    the link's token is stored; the row is deleted when shown, and unread rows expire within minutes.
    """

    __tablename__ = "password_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "initial" or "reset"
    username: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(60))
    password: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Origin(enum.StrEnum):
    """Where a content version came from: the repository (``flask content load``) or this site's trainers."""

    SHIPPED = "shipped"
    AUTHORED = "authored"


class ContentVersion(db.Model):
    """One version of a piece of shipped or authored content (scenario, question, quiz).

    Attempts point at the exact row they played, so editing content never rewrites history.
    ``origin`` says who wrote this version; loading shipped content never retires or replaces a key
    whose current version was authored here. ``shipped_current`` marks the version the repository
    ships now (at most one per key), so a trainer can choose to take it over their own edit.
    """

    __tablename__ = "content_version"
    __table_args__ = (
        UniqueConstraint("kind", "key", "version", name="uq_content_version_kind_key_version"),
        Index("ix_content_version_current", "kind", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # scenario | question | quiz
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_path: Mapped[str] = mapped_column(String(300), default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    origin: Mapped[str] = mapped_column(String(16), default=Origin.SHIPPED.value, server_default=Origin.SHIPPED.value)
    shipped_current: Mapped[bool] = mapped_column(default=False, server_default=false())
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attempt(db.Model):
    """One play of a scenario by a trainee."""

    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_version.id"))
    scenario_key: Mapped[str] = mapped_column(String(100), index=True)
    scenario_version: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # practice | assessment
    seed: Mapped[int] = mapped_column()
    state: Mapped[dict[str, Any]] = mapped_column(JSON)  # scenarios.PlayState.to_dict()
    node_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    ending: Mapped[str | None] = mapped_column(String(60), default=None)
    ending_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    final_score: Mapped[int | None] = mapped_column(default=None)
    # A trainer's 试玩 of a draft (authoring): played exactly like a real attempt, never counted in
    # results. Every results query (reports, certification, item statistics) must exclude it.
    preview: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)

    user: Mapped[User] = relationship()
    content: Mapped[ContentVersion] = relationship()
    turns: Mapped[list[Turn]] = relationship(
        back_populates="attempt", order_by="Turn.index", cascade="all, delete-orphan"
    )


class Turn(db.Model):
    """One trainee reply within an attempt, with its full score breakdown."""

    __tablename__ = "turn"
    __table_args__ = (UniqueConstraint("attempt_id", "index", name="uq_turn_attempt_id_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    index: Mapped[int] = mapped_column()
    node: Mapped[str] = mapped_column(String(60))
    resident_line: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column()
    band: Mapped[str] = mapped_column(String(8))
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    elapsed_s: Mapped[float] = mapped_column()
    late: Mapped[bool] = mapped_column(default=False)
    emotion_after: Mapped[int] = mapped_column()
    shown_at: Mapped[datetime] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_token: Mapped[str | None] = mapped_column(String(64), default=None)
    # The learned scorer's version (data + code hash) that scored this turn; None for the checklist path.
    scorer_version: Mapped[str | None] = mapped_column(String(32), default=None)
    # The scorer's own result once a trainer has corrected the turn (score/band/breakdown above are then
    # the corrected ones); None while the turn stands as scored. Written by simulator.play.scores only.
    auto_score: Mapped[int | None] = mapped_column(default=None)
    auto_band: Mapped[str | None] = mapped_column(String(8), default=None)
    auto_breakdown: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    attempt: Mapped[Attempt] = relationship(back_populates="turns")

    @property
    def automatic_breakdown(self) -> dict[str, Any]:
        """The scorer's result, whether or not a trainer has corrected the turn."""
        return self.auto_breakdown if self.auto_breakdown is not None else (self.breakdown or {})

    @property
    def corrected(self) -> bool:
        return self.auto_breakdown is not None


class QuizAttempt(db.Model):
    """One sitting of a quiz; the drawn questions are frozen in ``questions``."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # at most one open (not yet submitted) attempt per user and quiz: a double-click on 开始 or
        # two tabs cannot draw a second paper past the attempt limit (issue 14.2)
        Index(
            "uq_quiz_attempt_open",
            "user_id",
            "quiz_key",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content_version.id"))
    quiz_key: Mapped[str] = mapped_column(String(100), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column()
    questions: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    score: Mapped[float | None] = mapped_column(default=None)  # percent
    passed: Mapped[bool | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()
    content: Mapped[ContentVersion] = relationship()
    answers: Mapped[list[QuizAnswer]] = relationship(
        back_populates="attempt", order_by="QuizAnswer.position", cascade="all, delete-orphan"
    )


class QuizAnswer(db.Model):
    """The trainee's answer to one drawn question, saved as it is given."""

    __tablename__ = "quiz_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_quiz_answer_attempt_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"))
    position: Mapped[int] = mapped_column()
    question_key: Mapped[str] = mapped_column(String(100))
    response: Mapped[Any] = mapped_column(JSON, default=None)
    fraction: Mapped[float | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}[self.value]


class Job(db.Model):
    """One background job (export, certificate, retraining): who asked, progress, result, error."""

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex: unguessable in URLs
    kind: Mapped[str] = mapped_column(String(40), index=True)
    label: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True, default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None] = mapped_column(default=None)
    message: Mapped[str | None] = mapped_column(String(200), default=None)
    result_name: Mapped[str | None] = mapped_column(String(200), default=None)  # the download's file name
    result_file: Mapped[str | None] = mapped_column(String(300), default=None)  # path under the jobs folder
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # small structured outcome
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User | None] = relationship()

    @property
    def status_enum(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE.value:
            return 100
        if not self.total:
            return 0
        return max(0, min(99, int(100 * self.done / self.total)))


class TurnReview(db.Model):
    """A trainer's review of one turn: the band or score they give it, item and blocker verdicts, why.

    The latest review that is not ``blind`` is the one applied to the turn (see simulator.play.scores);
    a ``blind`` review is a second marking made without seeing the first, kept for agreement reports.
    ``auto_score``/``auto_band`` are the scorer's, as they stood when the trainer reviewed.
    """

    __tablename__ = "turn_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turn.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    blind: Mapped[bool] = mapped_column(default=False)
    changed: Mapped[bool] = mapped_column(default=False)  # 评分有误 (False: 评分无误)
    auto_score: Mapped[int] = mapped_column()
    auto_band: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column()
    band: Mapped[str] = mapped_column(String(8))
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item id -> True (done) / False
    blockers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # blocker id -> True (present) / False
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    turn: Mapped[Turn] = relationship()
    reviewer: Mapped[User] = relationship()


class ReviewAudit(db.Model):
    """Who changed what in a review, when, from what to what (scores, marks, examples, scorer versions)."""

    __tablename__ = "review_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True, default=None)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))  # e.g. turn.score, attempt.final_score, scorer.version
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id", ondelete="SET NULL"), index=True,
                                                   default=None)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turn.id", ondelete="SET NULL"), default=None)
    old: Mapped[Any] = mapped_column(JSON, default=None)
    new: Mapped[Any] = mapped_column(JSON, default=None)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class ScorerExample(db.Model):
    """A trainer's corrected reply promoted for the scorer: a labelled example or a node's new reference.

    Stored here (not in files) so retraining picks up every saved example after a restart or on a
    fresh clone of the code: ``data`` is the ``scoring.corpus.Example.to_dict()`` (kind ``example``)
    or ``{"reference": text}`` (kind ``reference``). ``status``: pending (its regression report is
    being made or waits for the trainer), saved, discarded.
    """

    __tablename__ = "scorer_example"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # example | reference
    example_id: Mapped[str] = mapped_column(String(40), index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turn.id", ondelete="SET NULL"), default=None)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    scenario_key: Mapped[str] = mapped_column(String(100))
    node: Mapped[str] = mapped_column(String(60))
    reply: Mapped[str] = mapped_column(Text)
    grade: Mapped[int | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    author: Mapped[User] = relationship()


class ScorerVersion(db.Model):
    """A scorer retrained on the corpus plus the saved examples: where it is, what it changed, if in use.

    ``basis`` lists the saved examples (ids) it was trained on; a version is activated only while that
    is still the saved set, so saving one example never drops another saved meanwhile.
    """

    __tablename__ = "scorer_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), index=True)
    folder: Mapped[str] = mapped_column(String(300))
    basis: Mapped[list[Any]] = mapped_column(JSON, default=list)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("scorer_example.id", ondelete="SET NULL"),
                                                     default=None)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    job_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    activated_at: Mapped[datetime | None] = mapped_column(default=None)

    candidate: Mapped[ScorerExample | None] = relationship()
class HrSite(db.Model):
    """A further site an HR user reports on (group-level HR); their own site is always included."""

    __tablename__ = "hr_site"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)


class ReportExport(db.Model):
    """The audit of one report export: who asked, when, with which filters, and how many rows it held.

    Kept apart from ``job`` so the record outlives ``flask jobs purge``.
    """

    __tablename__ = "report_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # attempts | turns | quizzes | xapi
    format: Mapped[str] = mapped_column(String(10))  # xlsx | csv | json | lrs
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    row_count: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()


class TurnSkill(db.Model):
    """How many of a turn's checklist items of one skill were done (hits) or missed, from ``Turn.breakdown``.

    Written beside every new turn (``simulator.reports.skills``) so that reports add up skills with
    plain SQL instead of parsing every turn's JSON; a turn without skill items gets one row with
    ``skill = ""`` so it counts as processed.
    """

    __tablename__ = "turn_skill"

    turn_id: Mapped[int] = mapped_column(ForeignKey("turn.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    hits: Mapped[int] = mapped_column(default=0)
    misses: Mapped[int] = mapped_column(default=0)
class DraftStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # the draft's document is the current published version
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布", "archived": "已归档"}[self.value]


class ScenarioDraft(db.Model):
    """A trainer's working copy of a scenario (authoring, issue 11).

    ``data`` is the document as last saved, valid or not: a draft may be saved with problems but is
    published only when the linter finds none. ``revision`` is the optimistic lock: every save names
    the revision it was edited from and is refused (nothing lost, a clear message) when another save
    came first. ``target_key`` is the published scenario this draft edits (None for a new scenario
    until its first publish). ``samples`` are 试评分 replies kept as the draft's regression examples:
    ``[{"node", "reply", "expected"}]``.
    """

    __tablename__ = "scenario_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=DraftStatus.DRAFT.value, index=True)
    revision: Mapped[int] = mapped_column(default=1)
    base_content_id: Mapped[int | None] = mapped_column(ForeignKey("content_version.id"), default=None)
    preview_content_id: Mapped[int | None] = mapped_column(ForeignKey("content_version.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    base_content: Mapped[ContentVersion | None] = relationship(foreign_keys=[base_content_id])

    @property
    def status_enum(self) -> DraftStatus:
        return DraftStatus(self.status)


class ContentPublication(db.Model):
    """Who published, unpublished or archived which content, and when (authoring, issue 11)."""

    __tablename__ = "content_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(16))  # publish | unpublish | archive
    content_id: Mapped[int | None] = mapped_column(ForeignKey("content_version.id"), default=None)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_draft.id"), default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    content: Mapped[ContentVersion | None] = relationship()


class SourceDocument(db.Model):
    """A source document a trainer uploaded (a site's own SOP): citable like the shipped manuals.

    ``file`` is the name content cites (``source: {file: <file>, section: ...}``); ``text`` is the
    extracted plain text the citation checker searches; ``sections`` the headings found in it.
    """

    __tablename__ = "source_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # txt | docx | pdf
    text: Mapped[str] = mapped_column(Text)
    sections: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship()
