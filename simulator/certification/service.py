"""Certification persistence: read the evidence, act on the pure evaluation, issue / renew / revoke.

Every read of a trainee's attempts, turns, quiz attempts and certificates for certification goes
through :func:`load_evidence` (one query per table, whatever the number of trainees). Scores are read
as stored on the ``Attempt`` and ``Turn`` rows, so a trainer's correction that recomputes them is
followed without anything here knowing about it.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..content import ContentItem, current_content, sync_content
from ..extensions import db
from ..models import Attempt, ContentVersion, QuizAttempt, Role, Site, Turn, User, utcnow
from .evaluate import (
    EXPIRING_DAYS,
    AttemptRecord,
    Catalogue,
    CertificateRecord,
    Evidence,
    LevelResult,
    QuizInfo,
    QuizRecord,
    ScenarioInfo,
    SkillSample,
    add_months,
    due_notices,
    evaluate,
    expiry_for,
    skill_values,
)
from .models import Certificate, CertificationEvent, CertificationNotice
from .programme import Programme, ProgrammeError, check_references, load_programmes

KIND = "programme"
REASON_MAX = 500


class CertificationError(Exception):
    """A request that cannot be done (Chinese message for the user); nothing was changed."""


# --------------------------------------------------------------------------------------------
# Programmes and catalogue
# --------------------------------------------------------------------------------------------


def shipped_programme_items(*, check: bool = True) -> list[ContentItem]:
    """The repository's programmes as content items, after checking what they name exists.

    Args:
        check: check the references against the repository's scenarios and quizzes (``flask content
            load`` does; the fallback load of :func:`current_programmes` skips the slow library parse).

    Raises:
        ProgrammeError: a file is invalid, or names a scenario or quiz the repository does not ship.
    """
    import quizzes.definitions
    import scenarios

    library = {s.id: s.category for s in scenarios.load_library().values()} if check else {}
    quiz_keys = set(quizzes.definitions.load_definitions()) if check else set()
    items = []
    for programme in load_programmes().values():
        problems = check_references(programme, library, quiz_keys) if check else []
        if problems:
            raise ProgrammeError(f"{programme.id}.yaml", [("", "\n".join(problems))])
        items.append(ContentItem(
            KIND, programme.id, programme.title, programme.to_dict(),
            f"simulator/certification/programmes/{programme.id}.yaml", programme.version,
        ))
    return items


_parsed: dict[str, Programme] = {}


def _parse(row: ContentVersion) -> Programme:
    programme = _parsed.get(row.version)
    if programme is None:
        programme = _parsed[row.version] = Programme.from_dict(row.data, row.source_path)
    return programme


def current_programmes() -> list[tuple[Programme, ContentVersion]]:
    """The programmes in force, with their content rows (loads the shipped ones if none is loaded yet)."""
    rows = current_content(KIND)
    if not rows:
        sync_content(KIND, shipped_programme_items(check=False))
        rows = current_content(KIND)
    return [(_parse(row), row) for row in rows]


def programme_versions() -> dict[str, Programme]:
    """Every programme version ever loaded, by version hash (held certificates are judged by theirs)."""
    rows = db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == KIND)).scalars()
    return {row.version: _parse(row) for row in rows}


def dependants(kind: str, key: str) -> list[str]:
    """The requirements of the programmes in force that need ``key`` to stay published as it is, in Chinese
    (``认证计划「…」的等级「…」(要求 id)``); empty when none does.

    * ``scenario``: a requirement naming it, or counting its category when the other current scenarios of
      that category would be too few;
    * ``quiz``: a requirement naming it;
    * ``question``: a requirement naming a quiz whose draw the bank without it could not fill.
    """
    found: list[str] = []
    if kind == "scenario":
        categories = {row.key: (row.data or {}).get("category", "") for row in current_content("scenario")}
        others = [k for k in categories if k != key]
    elif kind == "question":
        from quizzes.bank import Bank
        from quizzes.definitions import QuizDefinition

        from ..quiz.service import current_bank

        bank, _ids = current_bank()
        without = Bank(questions=[q for q in bank if q.id != key])
        short = {row.key for row in current_content("quiz")
                 if QuizDefinition.from_dict(row.data).check_against(without)}
    for programme, _row in current_programmes():
        for level in programme.levels:
            for requirement in level.requirements:
                needed = False
                if kind == "scenario" and requirement.kind == "roleplay":
                    if requirement.scenarios:
                        needed = key in requirement.scenarios
                    else:
                        needed = categories.get(key) == requirement.category and sum(
                            1 for k in others if categories[k] == requirement.category) < requirement.count
                elif kind == "quiz" and requirement.kind == "quiz":
                    needed = requirement.quiz == key
                elif kind == "question" and requirement.kind == "quiz":
                    needed = requirement.quiz in short
                if needed:
                    found.append(f"认证计划「{programme.title}」的等级「{level.name}」(要求 {requirement.id})")
    return found


def catalogue() -> Catalogue:
    """The current scenarios and quizzes, as the pure evaluation needs them."""
    scenarios = {}
    for row in current_content("scenario"):
        data = row.data
        scenarios[row.key] = ScenarioInfo(
            row.key, row.title or data.get("title", row.key), data.get("category", ""),
            tuple(data.get("skills") or ()), int(data.get("difficulty") or 1),
        )
    quizzes = {
        row.key: QuizInfo(row.key, row.title or row.key, int(row.data.get("max_attempts") or 0))
        for row in current_content("quiz")
    }
    return Catalogue(scenarios, quizzes)


def evidence_months(programmes: Iterable[Programme]) -> int:
    """How far back skill samples are needed: the longest skill window or profile of any programme."""
    months = [p.profile_months for p in programmes]
    for programme in programmes:
        for level in programme.levels:
            months += [r.months for r in level.requirements if r.kind == "skill_average"]
    return max(months, default=6)


# --------------------------------------------------------------------------------------------
# Evidence: one query per table
# --------------------------------------------------------------------------------------------


def load_evidence(
    user_ids: Sequence[int], now: datetime | None = None, *, months: int = 12, cat: Catalogue | None = None
) -> dict[int, Evidence]:
    """The certification evidence of ``user_ids``: finished assessment attempts (final score as stored),
    per-skill values of assessment turns of the last ``months``, quiz attempts and certificates.

    One query per table (attempts, their content versions, turns, quiz attempts, certificates),
    whatever the number of users.

    Returns:
        user id → :class:`Evidence` (every requested id present, possibly empty).
    """
    now = now or utcnow()
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    cat = cat or catalogue()
    attempts = db.session.execute(
        db.select(Attempt.id, Attempt.user_id, Attempt.scenario_key, Attempt.content_id, Attempt.finished_at,
                  Attempt.final_score)
        .where(Attempt.user_id.in_(ids), Attempt.mode == "assessment", Attempt.finished_at.is_not(None),
               Attempt.preview.is_(False))
    ).all()
    content_ids = {row.content_id for row in attempts}
    versions = {
        row.id: row for row in db.session.execute(
            db.select(ContentVersion.id, ContentVersion.title, ContentVersion.data)
            .where(ContentVersion.id.in_(content_ids))
        ).all()
    } if content_ids else {}
    turns = db.session.execute(
        db.select(Turn.attempt_id, Turn.submitted_at, Turn.breakdown, Attempt.user_id)
        .join(Attempt, Turn.attempt_id == Attempt.id)
        .where(Attempt.user_id.in_(ids), Attempt.mode == "assessment", Turn.submitted_at >= add_months(now, -months),
               Attempt.preview.is_(False))
    ).all()
    quiz_rows = db.session.execute(
        db.select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.quiz_key, QuizAttempt.started_at,
                  QuizAttempt.submitted_at, QuizAttempt.score, QuizAttempt.passed)
        .where(QuizAttempt.user_id.in_(ids))
    ).all()
    certificates = db.session.execute(db.select(Certificate).where(Certificate.user_id.in_(ids))).scalars().all()

    by_user: dict[int, dict[str, list]] = {uid: defaultdict(list) for uid in ids}
    for row in attempts:
        version = versions.get(row.content_id)
        data = version.data if version is not None else {}
        category = data.get("category") or (cat.scenarios[row.scenario_key].category
                                           if row.scenario_key in cat.scenarios else "")
        by_user[row.user_id]["attempts"].append(AttemptRecord(
            row.id, row.scenario_key, category, "assessment", row.finished_at, row.final_score,
            (version.title if version is not None else "") or cat.scenario_title(row.scenario_key),
        ))
    for row in turns:
        for skill, value in skill_values(row.breakdown or {}).items():
            by_user[row.user_id]["skills"].append(SkillSample(row.attempt_id, row.submitted_at, skill, value))
    for row in quiz_rows:
        info = cat.quizzes.get(row.quiz_key)
        by_user[row.user_id]["quizzes"].append(QuizRecord(
            row.id, row.quiz_key, row.started_at, row.submitted_at, row.score, row.passed,
            info.max_attempts if info else 0, info.title if info else row.quiz_key,
        ))
    for cert in certificates:
        by_user[cert.user_id]["certificates"].append(record_of(cert))
    return {
        uid: Evidence(uid, tuple(parts["attempts"]), tuple(parts["quizzes"]), tuple(parts["skills"]),
                      tuple(parts["certificates"]))
        for uid, parts in by_user.items()
    }


def record_of(cert: Certificate) -> CertificateRecord:
    return CertificateRecord(
        cert.id, cert.programme_key, cert.level_key, cert.programme_version, cert.code, cert.requested_at,
        cert.issued_at, cert.expires_at, cert.revoked_at, cert.revoke_reason or "", cert.renewal_of_id,
    )


@dataclass
class Standing:
    """One trainee's evaluation: per programme, the level results (lowest first)."""

    user_id: int
    evidence: Evidence
    programmes: list[tuple[Programme, list[LevelResult]]]

    def results(self) -> list[LevelResult]:
        return [result for _, results in self.programmes for result in results]

    def level(self, programme_id: str, level_id: str) -> LevelResult | None:
        return next((r for r in self.results() if r.programme_id == programme_id and r.level_id == level_id), None)


def standings(user_ids: Sequence[int], now: datetime | None = None) -> dict[int, Standing]:
    """Evaluate every programme in force for ``user_ids`` (read only); explanations in ``DISPLAY_TZ``."""
    now = now or utcnow()
    tz = ZoneInfo(current_app.config.get("DISPLAY_TZ") or "Asia/Shanghai")
    programmes = [p for p, _ in current_programmes()]
    versions = programme_versions()
    cat = catalogue()
    evidence = load_evidence(user_ids, now, months=evidence_months(programmes), cat=cat)
    return {
        uid: Standing(uid, ev, [(p, evaluate(p, ev, cat, now, versions, tz)) for p in programmes])
        for uid, ev in evidence.items()
    }


# --------------------------------------------------------------------------------------------
# Acting on the evaluation
# --------------------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    issued: int = 0
    renewed: int = 0
    requested: int = 0
    lapsed: int = 0
    notices: int = 0
    users: int = 0
    conflicts: int = 0

    def summary(self) -> str:
        return (
            f"学员 {self.users}:颁发 {self.issued},续证 {self.renewed},待审批 {self.requested},"
            f"记录过期 {self.lapsed},新通知 {self.notices}"
        )


def refresh(user_ids: Sequence[int], now: datetime | None = None) -> RefreshReport:
    """Bring the stored certificates in line with the evaluation; safe to run again at any time.

    Issues (or, where the programme asks for a trainer, requests) every level whose requirements are
    met, renews certificates whose renewal requirements are met inside the window, records each lapse
    once in the audit log and stores the notices due. Commits once; a concurrent run that issued the
    same level first wins (the unique ``issue_key``) and this run's changes are rolled back.
    """
    now = now or utcnow()
    report = RefreshReport(users=len(set(user_ids)))
    if not user_ids:
        return report
    programmes = {p.id: (p, row) for p, row in current_programmes()}
    users = {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(list(user_ids)))).scalars()}
    try:
        for _ in range(1 + max((len(p.levels) for p, _ in programmes.values()), default=0)):
            acted = False
            for uid, standing in standings(list(user_ids), now).items():
                for programme, results in standing.programmes:
                    for result in results:
                        if result.action is None:
                            continue
                        level = programme.level(result.level_id)
                        _act(users[uid], programme, programmes[programme.id][1], level, result, now, report)
                        acted = True
            if not acted:
                break
            db.session.flush()
        final = standings(list(user_ids), now)
        report.lapsed += _record_lapses(list(user_ids), now)
        for uid, standing in final.items():
            report.notices += _store_notices(uid, standing.results(), now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        report.conflicts += 1
    return report


def _new_certificate(user: User, programme: Programme, row: ContentVersion, level, now: datetime,
                     result: LevelResult, renewal_of: CertificateRecord | None) -> Certificate:
    count = db.session.scalar(
        db.select(db.func.count(Certificate.id)).where(
            Certificate.user_id == user.id, Certificate.programme_key == programme.id,
            Certificate.level_key == level.id,
        )
    )
    return Certificate(
        user_id=user.id, programme_key=programme.id, level_key=level.id, level_name=level.name,
        programme_version=programme.version, programme_content_id=row.id,
        issue_key=f"{user.id}:{programme.id}:{level.id}:{count + 1}", code=secrets.token_urlsafe(18),
        holder_name=user.display_name, holder_username=user.username, site_name=user.site.name,
        requested_at=now, renewal_of_id=renewal_of.id if renewal_of else None,
        evidence=[_requirement_json(r) for r in result.requirements],
    )


def _act(user: User, programme: Programme, row: ContentVersion, level, result: LevelResult, now: datetime,
         report: RefreshReport) -> None:
    renewal_of = result.certificate if result.action == "renew" else None
    cert = _new_certificate(user, programme, row, level, now, result, renewal_of)
    db.session.add(cert)
    db.session.flush()
    if level.approval == "trainer":
        _event(cert, "requested", None, now, "续证申请" if renewal_of else "认证申请")
        report.requested += 1
        return
    cert.issued_at = now
    cert.expires_at = expiry_for(now, level, renewal_of)
    if renewal_of is not None:
        _event(cert, "renewed", None, now, f"续 {renewal_of.code[:6]}…,有效期至 {cert.expires_at:%Y-%m-%d}")
        report.renewed += 1
    else:
        _event(cert, "issued", None, now, f"有效期至 {cert.expires_at:%Y-%m-%d}")
        report.issued += 1


def _requirement_json(result) -> dict[str, Any]:
    return {
        "id": result.id, "label": result.label, "state": result.state,
        "evidence": [
            {"kind": e.kind, "ref_id": e.ref_id, "title": e.title, "score": e.score,
             "at": e.at.isoformat() if e.at else None}
            for e in result.evidence
        ],
    }


def _event(cert: Certificate, kind: str, actor: User | None, now: datetime, reason: str = "") -> None:
    db.session.add(CertificationEvent(
        certificate_id=cert.id, user_id=cert.user_id, actor_id=actor.id if actor else None, kind=kind,
        reason=reason, at=now,
    ))


def _record_lapses(user_ids: list[int], now: datetime) -> int:
    """Write an ``expired`` event for every certificate that lapsed without a successor, once."""
    certs = db.session.execute(
        db.select(Certificate).where(Certificate.user_id.in_(user_ids), Certificate.issued_at.is_not(None))
    ).scalars().all()
    if not certs:
        return 0
    logged = set(db.session.execute(
        db.select(CertificationEvent.certificate_id).where(
            CertificationEvent.kind == "expired", CertificationEvent.certificate_id.in_([c.id for c in certs])
        )
    ).scalars())
    by_level = defaultdict(list)
    for cert in certs:
        by_level[(cert.user_id, cert.programme_key, cert.level_key)].append(cert)
    count = 0
    for cert in certs:
        if cert.id in logged or cert.revoked_at is not None or cert.expires_at is None or cert.expires_at > now:
            continue
        successor = any(
            other is not cert and other.revoked_at is None and other.issued_at <= cert.expires_at < other.expires_at
            for other in by_level[(cert.user_id, cert.programme_key, cert.level_key)]
        )
        if successor:
            continue  # renewed in time: no lapse
        _event(cert, "expired", None, now, f"有效期至 {cert.expires_at:%Y-%m-%d},未复认证")
        count += 1
    return count


def _store_notices(user_id: int, results: list[LevelResult], now: datetime) -> int:
    due = due_notices(results, now)
    if not due:
        return 0
    have = {tuple(row) for row in db.session.execute(
        db.select(CertificationNotice.certificate_id, CertificationNotice.kind).where(
            CertificationNotice.user_id == user_id
        )
    ).all()}
    added = 0
    for kind, cert in due:
        if (cert.id, kind) in have:
            continue
        db.session.add(CertificationNotice(user_id=user_id, certificate_id=cert.id, kind=kind, created_at=now))
        have.add((cert.id, kind))
        added += 1
    return added


def refresh_all(now: datetime | None = None) -> RefreshReport:
    """``flask certify run``: every active trainee."""
    ids = list(db.session.execute(
        db.select(User.id).where(User.role == Role.TRAINEE.value, User.active.is_(True)).order_by(User.id)
    ).scalars())
    return refresh(ids, now)


# --------------------------------------------------------------------------------------------
# Trainer and admin actions
# --------------------------------------------------------------------------------------------


def staff_site_ids(user: User) -> list[int] | None:
    """The sites a staff user answers for: an admin all (None), trainers and HR their own."""
    return None if user.role == Role.ADMIN.value else [user.site_id]


def managed_certificate(actor: User, certificate_id: int) -> Certificate | None:
    """A certificate of a trainee of the actor's site(s), or None (reported as missing)."""
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        return None
    sites = staff_site_ids(actor)
    if sites is not None and cert.user.site_id not in sites:
        return None
    return cert


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificationError("请填写原因。")
    if len(reason) > REASON_MAX:
        raise CertificationError(f"原因不能超过 {REASON_MAX} 字。")
    return reason


def revoke(cert: Certificate, actor: User, reason: str, now: datetime | None = None) -> Certificate:
    """Revoke an issued certificate (and the unexpired ones it renewed); audit-logged, notice stored. Commits.

    Raises:
        CertificationError: no reason given, already revoked, or not yet issued.
    """
    now = now or utcnow()
    reason = _reason(reason)
    if cert.revoked_at is not None:
        raise CertificationError("该证书已撤销。")
    if cert.issued_at is None:
        raise CertificationError("该证书尚未颁发;请在审批处选择“不予批准”。")
    chain, current = [], cert
    while current is not None:
        if current.revoked_at is None and current.issued_at is not None and (
            current is cert or current.valid_at(now)
        ):
            chain.append(current)
        current = db.session.get(Certificate, current.renewal_of_id) if current.renewal_of_id else None
    for item in chain:
        item.revoked_at, item.revoked_by_id, item.revoke_reason = now, actor.id, reason
        _event(item, "revoked", actor, now, reason)
    db.session.add(CertificationNotice(user_id=cert.user_id, certificate_id=cert.id, kind="revoked", created_at=now))
    db.session.commit()
    return cert


def approve(cert: Certificate, actor: User, now: datetime | None = None) -> Certificate:
    """Issue a certificate waiting for a trainer's approval. Commits.

    Raises:
        CertificationError: it is not waiting (issued, turned down), or its level no longer exists.
    """
    now = now or utcnow()
    if cert.issued_at is not None or cert.revoked_at is not None:
        raise CertificationError("该申请不在待审批状态。")
    programme = programme_versions().get(cert.programme_version)
    level = programme.level(cert.level_key) if programme else None
    if level is None:
        raise CertificationError("该等级已不在认证方案中,无法颁发。")
    renewal_of = db.session.get(Certificate, cert.renewal_of_id) if cert.renewal_of_id else None
    cert.issued_at = now
    cert.expires_at = expiry_for(now, level, record_of(renewal_of) if renewal_of else None)
    cert.approved_by_id = actor.id
    _event(cert, "approved", actor, now)
    _event(cert, "renewed" if renewal_of else "issued", actor, now, f"有效期至 {cert.expires_at:%Y-%m-%d}")
    db.session.commit()
    refresh([cert.user_id], now)
    return cert


def reject(cert: Certificate, actor: User, reason: str, now: datetime | None = None) -> Certificate:
    """Turn down a pending request; the trainee needs new evidence after this. Commits.

    Raises:
        CertificationError: no reason given, or it is not waiting for approval.
    """
    now = now or utcnow()
    reason = _reason(reason)
    if cert.issued_at is not None or cert.revoked_at is not None:
        raise CertificationError("该申请不在待审批状态。")
    cert.revoked_at, cert.revoked_by_id, cert.revoke_reason = now, actor.id, reason
    _event(cert, "rejected", actor, now, reason)
    db.session.commit()
    return cert


def dismiss_notice(user: User, notice_id: int, now: datetime | None = None) -> bool:
    notice = db.session.get(CertificationNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        return False
    notice.dismissed_at = now or utcnow()
    db.session.commit()
    return True


def open_notices(user: User) -> list[CertificationNotice]:
    return list(db.session.execute(
        db.select(CertificationNotice)
        .where(CertificationNotice.user_id == user.id, CertificationNotice.dismissed_at.is_(None))
        .order_by(CertificationNotice.created_at.desc(), CertificationNotice.id.desc())
    ).scalars())


def events_for(cert_ids: Iterable[int]) -> list[CertificationEvent]:
    ids = list(cert_ids)
    if not ids:
        return []
    return list(db.session.execute(
        db.select(CertificationEvent).where(CertificationEvent.certificate_id.in_(ids))
        .order_by(CertificationEvent.at, CertificationEvent.id)
    ).scalars())


# --------------------------------------------------------------------------------------------
# Cohort (trainer / HR): plain rows, one query per table
# --------------------------------------------------------------------------------------------


STATUS_FILTERS = {"expiring": "即将到期(30天)", "expired": "已过期", "unmet": "未达标"}


@dataclass(frozen=True)
class CohortRow:
    """One trainee × level cell (the rows HR exports)."""

    user_id: int
    username: str
    display_name: str
    site_id: int
    site_name: str
    programme_id: str
    level_id: str
    level_name: str
    status: str
    status_label: str
    issued_at: datetime | None
    expires_at: datetime | None
    days_left: int | None
    expiring: bool
    certificate_id: int | None
    pending_id: int | None
    unmet: tuple[str, ...] = field(default=())


def _matches(row: CohortRow, status_filter: str | None) -> bool:
    if not status_filter:
        return True
    if status_filter == "expiring":
        return row.expiring
    if status_filter == "expired":
        return row.status == "expired"
    if status_filter == "unmet":
        return row.status in ("in_progress", "revoked")
    raise ValueError(f"未知的筛选条件 {status_filter}")


def cohort_rows(site_ids: Sequence[int] | None, now: datetime | None = None,
                status_filter: str | None = None) -> list[CohortRow]:
    """Every active trainee of ``site_ids`` (None: every site) × every level, with status and dates.

    Args:
        status_filter: ``expiring`` (valid, under 30 days left), ``expired``, ``unmet`` (未达标:
            in progress or revoked), or None for all rows.

    Raises:
        ValueError: an unknown ``status_filter``.
    """
    now = now or utcnow()
    if status_filter and status_filter not in STATUS_FILTERS:
        raise ValueError(f"未知的筛选条件 {status_filter}")
    query = (
        db.select(User.id, User.username, User.display_name, User.site_id, Site.name)
        .join(Site, User.site_id == Site.id)
        .where(User.role == Role.TRAINEE.value, User.active.is_(True))
        .order_by(Site.name, User.username)
    )
    if site_ids is not None:
        query = query.where(User.site_id.in_(list(site_ids)))
    trainees = db.session.execute(query).all()
    evaluated = standings([t.id for t in trainees], now)
    rows = []
    for trainee in trainees:
        for result in evaluated[trainee.id].results():
            cert = result.certificate if result.valid else None
            row = CohortRow(
                trainee.id, trainee.username, trainee.display_name, trainee.site_id, trainee.name,
                result.programme_id, result.level_id, result.name, result.status, result.status_label,
                cert.issued_at if cert else None, cert.expires_at if cert else None, result.days_left(now),
                result.expiring(now, EXPIRING_DAYS), cert.id if cert else None,
                result.pending.id if result.pending else None,
                tuple(r.label for r in result.requirements if not r.met),
            )
            if _matches(row, status_filter):
                rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Public verification
# --------------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """李*管 style: first and last character kept, everything between starred."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def by_code(code: str) -> Certificate | None:
    """An issued certificate by its public code (pending requests are not public)."""
    if not code or len(code) > 64:
        return None
    cert = db.session.execute(db.select(Certificate).where(Certificate.code == code)).scalar_one_or_none()
    if cert is None or cert.issued_at is None:
        return None
    return cert
