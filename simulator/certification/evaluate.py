"""Where a trainee stands in a certification programme: a pure function of their records and ``now``.

No Flask and no database here. :func:`evaluate` takes a :class:`Programme`, the trainee's
:class:`Evidence` (attempts, quiz attempts, per-turn skill values, certificates, as plain dataclasses)
and a :class:`Catalogue` of the loaded scenarios and quizzes, and returns one :class:`LevelResult` per
level: the status, every requirement with met / unmet / expired, the evidence that decided and a
Chinese explanation with the next step. :mod:`.service` reads the records from the database and acts
on the result (issues, renews, records lapses).

Rules (all dates naive UTC, as stored):

* A certificate is valid while ``issued_at <= now < expires_at`` and it is not revoked; expiry is
  always computed from the dates, never stored.
* A held certificate is judged by the programme version stored on it: a later content update changes
  what new candidates need, never whether an issued certificate stands.
* The renewal window opens ``window_days`` before expiry (by the certificate's own version). Renewal
  needs the current level's ``renewal.requirements``, with evidence dated inside the window.
* After a lapse the level must be earned again in full, with evidence from the last renewal window on;
  after a revocation, with evidence dated after the revocation. Older passes show as 已过期.
* A lower level's certificate is unaffected by a higher one lapsing (each is judged by its own dates).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from scoring.messages import SKILL_LABELS

from .programme import CATEGORIES, Level, Programme

EXPIRING_DAYS = 30  # "about to expire" notices and the cohort filter 即将到期

STATUS_LABELS = {
    "in_progress": "未达标",
    "eligible": "已达标",
    "pending": "待审批",
    "certified": "有效",
    "renewal_open": "可复认证",
    "expired": "已过期",
    "revoked": "已撤销",
}
VALID_STATUSES = frozenset({"certified", "renewal_open"})
STATE_LABELS = {"met": "完成", "unmet": "未完成", "expired": "已过期"}


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRecord:
    """A role-play attempt as stored (``final_score`` is the Attempt row's, corrections included)."""

    id: int
    scenario_key: str
    category: str
    mode: str
    finished_at: datetime | None
    final_score: int | None
    title: str = ""


@dataclass(frozen=True)
class QuizRecord:
    """A quiz attempt; ``max_attempts`` is the quiz's limit (0 = unlimited)."""

    id: int
    quiz_key: str
    started_at: datetime
    submitted_at: datetime | None
    score: float | None
    passed: bool | None
    max_attempts: int = 0
    title: str = ""


@dataclass(frozen=True)
class SkillSample:
    """One skill's value (0–100) in one assessment turn."""

    attempt_id: int
    at: datetime
    skill: str
    value: float


@dataclass(frozen=True)
class CertificateRecord:
    """An issued (or pending, ``issued_at`` None) certificate for one level."""

    id: int
    programme_id: str
    level_id: str
    programme_version: str
    code: str
    requested_at: datetime
    issued_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None = None
    revoke_reason: str = ""
    renewal_of: int | None = None

    def valid_at(self, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and self.issued_at is not None
            and self.expires_at is not None
            and self.issued_at <= now < self.expires_at
        )

    @property
    def pending(self) -> bool:
        return self.issued_at is None and self.revoked_at is None


@dataclass(frozen=True)
class Evidence:
    user_id: int
    attempts: tuple[AttemptRecord, ...] = ()
    quizzes: tuple[QuizRecord, ...] = ()
    skills: tuple[SkillSample, ...] = ()
    certificates: tuple[CertificateRecord, ...] = ()


@dataclass(frozen=True)
class ScenarioInfo:
    key: str
    title: str
    category: str
    skills: tuple[str, ...] = ()
    difficulty: int = 1


@dataclass(frozen=True)
class QuizInfo:
    key: str
    title: str
    max_attempts: int = 0


@dataclass(frozen=True)
class Catalogue:
    """The loaded scenarios and quizzes (titles for explanations, targets for next steps)."""

    scenarios: Mapping[str, ScenarioInfo] = field(default_factory=dict)
    quizzes: Mapping[str, QuizInfo] = field(default_factory=dict)

    def scenario_title(self, key: str) -> str:
        info = self.scenarios.get(key)
        return info.title if info else key

    def quiz_title(self, key: str) -> str:
        info = self.quizzes.get(key)
        return info.title if info else key


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """What counted: an attempt, a quiz attempt, a skill average or a certificate."""

    kind: str  # attempt | quiz | skill | certificate
    ref_id: int | None
    key: str
    title: str
    score: float | None
    at: datetime | None
    note: str = ""


@dataclass(frozen=True)
class NextStep:
    """Where to go to satisfy a requirement: a scenario, a quiz or a lower level."""

    kind: str  # scenario | quiz | level
    key: str
    label: str


@dataclass(frozen=True)
class RequirementResult:
    id: str
    kind: str
    label: str
    state: str  # met | unmet | expired
    evidence: tuple[EvidenceItem, ...]
    explanation: str
    next_steps: tuple[NextStep, ...] = ()
    done: int = 0
    needed: int = 1

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def met(self) -> bool:
        return self.state == "met"


@dataclass(frozen=True)
class LevelResult:
    programme_id: str
    level_id: str
    name: str
    status: str
    approval: str
    requirements: tuple[RequirementResult, ...]
    judged_version: str  # the programme version the shown requirements come from
    certificate: CertificateRecord | None = None  # the valid one, else the latest
    pending: CertificateRecord | None = None
    renewal_opens_at: datetime | None = None
    action: str | None = None  # issue | renew: what the service should do now
    explanation: str = ""
    since: datetime | None = None  # evidence before this no longer counts

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def valid(self) -> bool:
        return self.status in VALID_STATUSES

    def days_left(self, now: datetime) -> int | None:
        if self.certificate is None or self.certificate.expires_at is None or not self.valid:
            return None
        return max(0, (self.certificate.expires_at - now).days)

    def expiring(self, now: datetime, days: int = EXPIRING_DAYS) -> bool:
        left = self.days_left(now)
        return left is not None and left < days


# --------------------------------------------------------------------------------------------
# Dates and skill values
# --------------------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (the day clamped to the month's length)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_for(issued_at: datetime, level: Level, renewal_of: CertificateRecord | None = None) -> datetime:
    """When a certificate issued now expires: ``validity_months`` on from issue, or, for a renewal,
    from the expiry of the certificate it renews (renewing early loses no time)."""
    start = issued_at
    if renewal_of is not None and renewal_of.expires_at is not None and renewal_of.expires_at > issued_at:
        start = renewal_of.expires_at
    return add_months(start, level.validity_months)


def skill_values(breakdown: Mapping) -> dict[str, float]:
    """Per-skill value (0–100) of one scored turn: the credit share of that skill's checklist items.

    A hit counts its ``credit`` (1 or 0.5), a miss 0; skills with no item in the rubric are absent.
    """
    credits: dict[str, list[float]] = defaultdict(list)
    for hit in breakdown.get("hits") or ():
        if hit.get("skill"):
            credits[hit["skill"]].append(float(hit.get("credit", 1.0)))
    for miss in breakdown.get("misses") or ():
        if miss.get("skill"):
            credits[miss["skill"]].append(0.0)
    return {skill: round(100 * sum(values) / len(values), 1) for skill, values in credits.items()}


# --------------------------------------------------------------------------------------------
# Requirements
# --------------------------------------------------------------------------------------------


# The time zone dates in explanations are written in (set by evaluate(display_tz=...)); stored dates are UTC.
_display_tz: ContextVar[tzinfo] = ContextVar("display_tz", default=UTC)


def _fmt(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(_display_tz.get()).strftime("%Y-%m-%d")


def _passing_attempts(
    evidence: Evidence, min_score: int, at: datetime, since: datetime | None
) -> tuple[list[AttemptRecord], list[AttemptRecord], list[AttemptRecord]]:
    """(passing in window, passing before ``since``, assessed but below ``min_score``), newest first."""
    inside, before, below = [], [], []
    for attempt in evidence.attempts:
        if attempt.mode != "assessment" or attempt.finished_at is None or attempt.final_score is None:
            continue
        if attempt.finished_at > at:
            continue
        if attempt.final_score < min_score:
            if since is None or attempt.finished_at >= since:
                below.append(attempt)
            continue
        (inside if since is None or attempt.finished_at >= since else before).append(attempt)
    def newest_first(attempts: list[AttemptRecord]) -> list[AttemptRecord]:
        return sorted(attempts, key=lambda a: (a.finished_at, a.id), reverse=True)

    return newest_first(inside), newest_first(before), newest_first(below)


def _best_per_scenario(attempts: Iterable[AttemptRecord]) -> dict[str, AttemptRecord]:
    best: dict[str, AttemptRecord] = {}
    for attempt in attempts:
        held = best.get(attempt.scenario_key)
        if held is None or (attempt.final_score or 0) > (held.final_score or 0):
            best[attempt.scenario_key] = attempt
    return best


def _attempt_item(attempt: AttemptRecord, catalogue: Catalogue, note: str = "") -> EvidenceItem:
    return EvidenceItem(
        "attempt", attempt.id, attempt.scenario_key, attempt.title or catalogue.scenario_title(attempt.scenario_key),
        attempt.final_score, attempt.finished_at, note,
    )


def _roleplay(requirement, evidence: Evidence, catalogue: Catalogue, at: datetime, since: datetime | None):
    inside, before, below = _passing_attempts(evidence, requirement.min_score, at, since)
    minimum = requirement.min_score
    if requirement.scenarios:
        wanted = list(requirement.scenarios)
        names = "、".join(f"《{catalogue.scenario_title(k)}》" for k in wanted)
        label = f"考核演练通过 {names}(每个不低于 {minimum} 分)"
        best = _best_per_scenario(a for a in inside if a.scenario_key in wanted)
        missing = [k for k in wanted if k not in best]
        earlier = _best_per_scenario(a for a in before if a.scenario_key in missing)
        items = [_attempt_item(best[k], catalogue) for k in wanted if k in best]
        steps = [NextStep("scenario", k, catalogue.scenario_title(k)) for k in missing]
        done, needed = len(wanted) - len(missing), len(wanted)
        if not missing:
            return label, "met", items, f"已全部通过({done}/{needed})。", (), done, needed
        todo = "、".join(f"《{catalogue.scenario_title(k)}》" for k in missing)
        explanation = f"还需以考核模式通过 {todo},得分不低于 {minimum} 分。"
        explanation += _below_note(below, missing, minimum, catalogue)
        if earlier:
            items += [_attempt_item(a, catalogue, "早于计算起点,已不计入") for a in earlier.values()]
            explanation += f"此前的通过记录早于 {_fmt(since)},已过期,需重新考核。"
            return label, "expired", items, explanation, steps, done, needed
        return label, "unmet", items, explanation, steps, done, needed

    category = requirement.category
    category_label = CATEGORIES[category]
    label = f"{requirement.count} 个不同的{category_label}类情景考核通过(每个不低于 {minimum} 分)"
    best = _best_per_scenario(a for a in inside if a.category == category)
    chosen = sorted(best.values(), key=lambda a: (-(a.final_score or 0), a.id))[: requirement.count]
    items = [_attempt_item(a, catalogue) for a in chosen]
    done, needed = min(len(best), requirement.count), requirement.count
    if len(best) >= requirement.count:
        return label, "met", items, f"已通过 {done}/{needed}。", (), done, needed
    candidates = sorted(
        (s for s in catalogue.scenarios.values() if s.category == category and s.key not in best),
        key=lambda s: (s.difficulty, s.title),
    )
    steps = tuple(NextStep("scenario", s.key, s.title) for s in candidates[:3])
    explanation = (
        f"已通过 {done}/{needed}:还需以考核模式再通过 {needed - done} 个{category_label}类情景,"
        f"每个不低于 {minimum} 分。"
    )
    explanation += _below_note([a for a in below if a.category == category], None, minimum, catalogue)
    earlier = _best_per_scenario(a for a in before if a.category == category and a.scenario_key not in best)
    if earlier:
        items += [_attempt_item(a, catalogue, "早于计算起点,已不计入") for a in earlier.values()]
        explanation += f"有 {len(earlier)} 个情景的通过记录早于 {_fmt(since)},已过期,需重新考核。"
        return label, "expired", items, explanation, steps, done, needed
    if not candidates and not best:
        explanation += "题库中暂无该类情景,请联系培训师。"
    return label, "unmet", items, explanation, steps, done, needed


def _below_note(below: list[AttemptRecord], keys: list[str] | None, minimum: int, catalogue: Catalogue) -> str:
    relevant = [a for a in below if keys is None or a.scenario_key in keys]
    if not relevant:
        return ""
    latest = relevant[0]
    title = catalogue.scenario_title(latest.scenario_key)
    return f"最近一次《{title}》考核 {latest.final_score} 分,低于 {minimum} 分。"


def _quiz(requirement, evidence: Evidence, catalogue: Catalogue, at: datetime, since: datetime | None):
    key = requirement.quiz
    title = catalogue.quiz_title(key)
    label = f"通过测验《{title}》"
    mine = sorted((q for q in evidence.quizzes if q.quiz_key == key), key=lambda q: (q.started_at, q.id))
    limit = next((q.max_attempts for q in mine if q.max_attempts), 0) or (
        catalogue.quizzes[key].max_attempts if key in catalogue.quizzes else 0
    )
    inside, before = [], []
    for ordinal, quiz in enumerate(mine, start=1):
        if not quiz.passed or quiz.submitted_at is None or quiz.submitted_at > at:
            continue
        if limit and ordinal > limit:
            continue  # a pass beyond the attempt limit does not count
        (inside if since is None or quiz.submitted_at >= since else before).append(quiz)
    if inside:
        best = max(inside, key=lambda q: (q.score or 0, q.submitted_at))
        item = EvidenceItem("quiz", best.id, key, title, best.score, best.submitted_at)
        return label, "met", [item], "已通过。", (), 1, 1
    used = sum(1 for q in mine if q.started_at <= at)
    steps: tuple[NextStep, ...] = (NextStep("quiz", key, title),)
    if limit and used >= limit:
        explanation = f"《{title}》作答次数已用完({used}/{limit})且未通过,请联系培训师安排补考。"
        steps = ()
    else:
        remaining = f",还可作答 {limit - used} 次" if limit else ""
        explanation = f"尚未通过《{title}》{remaining}。"
    if before:
        last = before[-1]
        item = EvidenceItem("quiz", last.id, key, title, last.score, last.submitted_at, "早于计算起点,已不计入")
        explanation += f"上次通过于 {_fmt(last.submitted_at)},早于 {_fmt(since)},已过期。"
        return label, "expired", [item], explanation, steps, 0, 1
    return label, "unmet", [], explanation, steps, 0, 1


def _skills(requirement, evidence: Evidence, catalogue: Catalogue, at: datetime, since: datetime | None):
    start = add_months(at, -requirement.months)
    names = "、".join(f"{SKILL_LABELS[s]} ≥ {m}" for s, m in requirement.skills.items())
    label = f"最近 {requirement.months} 个月考核轮次的技能平均分:{names}"
    by_skill: dict[str, list[float]] = defaultdict(list)
    older: set[str] = set()
    for sample in evidence.skills:
        if sample.skill not in requirement.skills or sample.at > at:
            continue
        if sample.at >= start:
            by_skill[sample.skill].append(sample.value)
        else:
            older.add(sample.skill)
    items, problems, weak = [], [], []
    done = 0
    for skill, minimum in requirement.skills.items():
        values = by_skill.get(skill, [])
        name = SKILL_LABELS[skill]
        if len(values) < requirement.min_turns:
            problems.append(f"{name}样本不足({len(values)}/{requirement.min_turns} 轮)")
            weak.append(skill)
            if values:
                items.append(EvidenceItem("skill", None, skill, name, round(sum(values) / len(values), 1), None,
                                          f"{len(values)} 轮"))
            continue
        average = round(sum(values) / len(values), 1)
        items.append(EvidenceItem("skill", None, skill, name, average, None, f"{len(values)} 轮"))
        if average >= minimum:
            done += 1
        else:
            problems.append(f"{name}平均 {average:g} 分,要求 {minimum} 分")
            weak.append(skill)
    needed = len(requirement.skills)
    if not problems:
        return label, "met", items, "各项技能均已达到要求。", (), done, needed
    steps = tuple(_scenarios_for_skills(weak, catalogue))
    explanation = ";".join(problems) + "。请多做练习含这些技能的情景,再以考核模式完成。"
    if not by_skill and older:
        explanation = f"最近 {requirement.months} 个月没有考核轮次(更早的记录已过期)。" + explanation
        return label, "expired", items, explanation, steps, done, needed
    return label, "unmet", items, explanation, steps, done, needed


def _scenarios_for_skills(skills: list[str], catalogue: Catalogue, limit: int = 3) -> list[NextStep]:
    steps, seen = [], set()
    for skill in skills:
        for info in sorted(catalogue.scenarios.values(), key=lambda s: (s.difficulty, s.title)):
            if skill in info.skills and info.key not in seen:
                steps.append(NextStep("scenario", info.key, f"{info.title}(练{SKILL_LABELS.get(skill, skill)})"))
                seen.add(info.key)
                break
        if len(steps) >= limit:
            break
    return steps


def _previous(programme: Programme, level: Level, lower: LevelResult | None):
    previous = programme.previous(level.id)
    name = previous.name if previous else "上一级"
    label = f"持有有效的「{name}」证书"
    if lower is not None and lower.valid and lower.certificate is not None:
        cert = lower.certificate
        item = EvidenceItem("certificate", cert.id, lower.level_id, name, None, cert.issued_at,
                            f"有效期至 {_fmt(cert.expires_at)}")
        return label, "met", [item], "已持有。", (), 1, 1
    step = (NextStep("level", previous.id, name),) if previous else ()
    if lower is not None and lower.status in ("expired", "revoked"):
        return label, "expired", [], f"「{name}」证书{lower.status_label},请先重新取得。", step, 0, 1
    return label, "unmet", [], f"请先取得「{name}」证书。", step, 0, 1


def judge_requirements(
    programme: Programme,
    level: Level,
    evidence: Evidence,
    catalogue: Catalogue,
    at: datetime,
    *,
    since: datetime | None = None,
    only: Iterable[str] | None = None,
    lower: LevelResult | None = None,
) -> tuple[RequirementResult, ...]:
    """Judge ``level``'s requirements (or the ``only`` ids) with the evidence up to ``at``.

    Args:
        since: evidence before this no longer counts (renewal window start, lapse, revocation).
        lower: the level below's result, for ``previous_level``.
    """
    wanted = set(only) if only is not None else None
    results = []
    for requirement in level.requirements:
        if wanted is not None and requirement.id not in wanted:
            continue
        if requirement.kind == "roleplay":
            parts = _roleplay(requirement, evidence, catalogue, at, since)
        elif requirement.kind == "quiz":
            parts = _quiz(requirement, evidence, catalogue, at, since)
        elif requirement.kind == "skill_average":
            parts = _skills(requirement, evidence, catalogue, at, since)
        else:
            parts = _previous(programme, level, lower)
        label, state, items, explanation, steps, done, needed = parts
        results.append(RequirementResult(
            requirement.id, requirement.kind, label, state, tuple(items), explanation, tuple(steps), done, needed,
        ))
    return tuple(results)


# --------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------


def evaluate(
    programme: Programme,
    evidence: Evidence,
    catalogue: Catalogue,
    now: datetime,
    versions: Mapping[str, Programme] | None = None,
    display_tz: tzinfo = UTC,
) -> list[LevelResult]:
    """Every level of ``programme`` for one trainee at ``now``, lowest first.

    Args:
        programme: the programme in force now (new earnings and renewals are judged by it).
        evidence: the trainee's records.
        catalogue: the loaded scenarios and quizzes.
        now: naive UTC.
        versions: earlier programme versions by version hash, so a held certificate is shown and
            timed by the version it was earned under.
        display_tz: the time zone of the dates written into the explanations.
    """
    versions = {**(versions or {}), programme.version: programme}
    results: list[LevelResult] = []
    token = _display_tz.set(display_tz)
    try:
        for level in programme.levels:
            lower = results[-1] if results else None
            results.append(_level(programme, level, evidence, catalogue, now, versions, lower))
    finally:
        _display_tz.reset(token)
    return results


def _window_days(cert: CertificateRecord, level: Level, versions: Mapping[str, Programme]) -> int:
    earned = versions.get(cert.programme_version)
    earned_level = earned.level(cert.level_id) if earned else None
    return (earned_level or level).renewal.window_days


def _level(
    programme: Programme,
    level: Level,
    evidence: Evidence,
    catalogue: Catalogue,
    now: datetime,
    versions: Mapping[str, Programme],
    lower: LevelResult | None,
) -> LevelResult:
    certs = [c for c in evidence.certificates if c.programme_id == programme.id and c.level_id == level.id]
    issued = sorted((c for c in certs if c.issued_at is not None), key=lambda c: (c.issued_at, c.id))
    valid = [c for c in issued if c.valid_at(now)]
    pending = next((c for c in sorted(certs, key=lambda c: c.id, reverse=True) if c.pending), None)
    base = dict(programme_id=programme.id, level_id=level.id, name=level.name, approval=level.approval)

    if valid:
        cert = max(valid, key=lambda c: (c.expires_at, c.id))
        opens = cert.expires_at - timedelta(days=_window_days(cert, level, versions))
        if now >= opens:
            # a renewal request the trainer turned down needs evidence from after that decision
            turned_down = [c.revoked_at for c in certs if c.issued_at is None and c.revoked_at and c.revoked_at > opens]
            since = max(turned_down, default=opens)
            renewal = judge_requirements(
                programme, level, evidence, catalogue, now, since=since, only=level.renewal.requirements, lower=lower
            )
            met = all(r.met for r in renewal)
            action = "renew" if met and pending is None else None
            explanation = (
                f"复认证窗口已于 {_fmt(opens)} 开放,证书 {_fmt(cert.expires_at)} 到期。"
                + ("复认证要求已全部完成。" if met else _unmet_summary(renewal))
            )
            return LevelResult(**base, status="renewal_open", requirements=renewal, judged_version=programme.version,
                               certificate=cert, pending=pending, renewal_opens_at=opens, action=action,
                               explanation=explanation, since=since)
        earned = versions.get(cert.programme_version)
        earned_level = (earned.level(level.id) if earned else None) or level
        # what earned it, by the version it was earned under (a renewal: the renewal requirements)
        only = earned_level.renewal.requirements if cert.renewal_of is not None else None
        shown = judge_requirements(earned or programme, earned_level, evidence, catalogue, cert.issued_at,
                                   only=only, lower=_lower_at_issue(cert, lower))
        return LevelResult(**base, status="certified", requirements=shown,
                           judged_version=cert.programme_version if earned else programme.version,
                           certificate=cert, pending=pending, renewal_opens_at=opens,
                           explanation=f"证书有效,{_fmt(cert.expires_at)} 到期;复认证窗口 {_fmt(opens)} 开放。")

    latest = max(certs, key=lambda c: (c.revoked_at or c.issued_at or c.requested_at, c.id), default=None)
    if pending is not None:
        full = judge_requirements(programme, level, evidence, catalogue, now, lower=lower)
        return LevelResult(**base, status="pending", requirements=full, judged_version=programme.version,
                           certificate=latest if latest is not pending else None, pending=pending,
                           explanation="要求已完成,等待培训师审批颁发证书。")

    since, status, head = None, None, ""
    if latest is not None and latest.revoked_at is not None and latest.issued_at is None:
        # a request the trainer turned down: the level is earned again with evidence after that
        since = latest.revoked_at
        reason = latest.revoke_reason or "未注明"
        head = f"{_fmt(latest.revoked_at)} 的认证申请未获批准(原因:{reason}),需在此之后重新完成要求。"
    elif latest is not None and latest.revoked_at is not None:
        since, status = latest.revoked_at, "revoked"
    elif latest is not None and latest.expires_at is not None and latest.expires_at <= now:
        since = latest.expires_at - timedelta(days=_window_days(latest, level, versions))
        status = "expired"
    full = judge_requirements(programme, level, evidence, catalogue, now, since=since, lower=lower)
    met = all(r.met for r in full)
    if status == "revoked":
        head = f"证书已于 {_fmt(latest.revoked_at)} 撤销(原因:{latest.revoke_reason or '未注明'})。"
        head += "撤销后完成全部要求可重新认证。" if not met else ""
    elif status == "expired":
        head = f"证书已于 {_fmt(latest.expires_at)} 过期,须重新完成全部要求。"
    if met:
        status = status or "eligible"
        tail = "全部要求已完成," + ("等待培训师审批。" if level.approval == "trainer" else "即将颁发证书。")
    else:
        status = status or "in_progress"
        tail = _unmet_summary(full)
    return LevelResult(**base, status=status, requirements=full, judged_version=programme.version,
                       certificate=latest, action="issue" if met else None, explanation=head + tail, since=since)


def _lower_at_issue(cert: CertificateRecord, lower: LevelResult | None) -> LevelResult | None:
    # Shown for a held certificate: the prerequisite counted when it was earned (a later lapse below
    # does not undo it), so present the level below as it stood then.
    if lower is None:
        return None
    if lower.valid:
        return lower
    held = lower.certificate
    if held is not None and held.issued_at and held.issued_at <= (cert.issued_at or cert.requested_at):
        return replace(lower, status="certified")
    return lower


def _unmet_summary(requirements: Iterable[RequirementResult]) -> str:
    unmet = [r for r in requirements if not r.met]
    if not unmet:
        return ""
    return f"还有 {len(unmet)} 项未完成:" + ";".join(r.label for r in unmet) + "。"


# --------------------------------------------------------------------------------------------
# Skill profile and recommendation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillScore:
    skill: str
    label: str
    average: float
    turns: int


def skill_profile(samples: Iterable[SkillSample], now: datetime, months: int) -> list[SkillScore]:
    """Average value per skill over the assessment turns of the last ``months`` (skills with data only),
    in ``SKILL_LABELS`` order."""
    start = add_months(now, -months)
    by_skill: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        if start <= sample.at <= now:
            by_skill[sample.skill].append(sample.value)
    return [
        SkillScore(skill, label, round(sum(by_skill[skill]) / len(by_skill[skill]), 1), len(by_skill[skill]))
        for skill, label in SKILL_LABELS.items()
        if by_skill.get(skill)
    ]


def weakest(profile: Iterable[SkillScore], count: int = 3) -> list[SkillScore]:
    return sorted(profile, key=lambda s: (s.average, -s.turns, s.skill))[:count]


@dataclass(frozen=True)
class Recommendation:
    skill: str
    skill_label: str
    scenario: ScenarioInfo
    reason: str


def recommend(
    profile: Iterable[SkillScore], attempts: Iterable[AttemptRecord], catalogue: Catalogue, min_score: int
) -> Recommendation | None:
    """The next scenario to play: for the weakest skill first, one that trains it and that the trainee
    has not yet passed in assessment mode (final score >= ``min_score``); None when nothing is left."""
    passed = {
        a.scenario_key for a in attempts
        if a.mode == "assessment" and a.final_score is not None and a.final_score >= min_score
    }
    for score in weakest(profile, count=len(SKILL_LABELS)):
        options = sorted(
            (s for s in catalogue.scenarios.values() if score.skill in s.skills and s.key not in passed),
            key=lambda s: (s.difficulty, s.title),
        )
        if options:
            reason = f"您的「{score.label}」平均 {score.average:g} 分,是目前最弱的一项;这个情景重点练习它。"
            return Recommendation(score.skill, score.label, options[0], reason)
    return None


# --------------------------------------------------------------------------------------------
# Notices
# --------------------------------------------------------------------------------------------


NOTICE_KINDS = ("earned", "renewal_open", "expiring", "expired", "revoked")


def due_notices(results: Iterable[LevelResult], now: datetime) -> list[tuple[str, CertificateRecord]]:
    """(kind, certificate) pairs the trainee should be told about at ``now``; the service stores each once."""
    due = []
    for result in results:
        cert = result.certificate
        if cert is None or cert.issued_at is None:
            continue
        if result.valid:
            due.append(("earned", cert))
            if result.status == "renewal_open":
                due.append(("renewal_open", cert))
            if result.expiring(now):
                due.append(("expiring", cert))
        elif result.status == "expired":
            due.append(("expired", cert))
        elif result.status == "revoked":
            due.append(("revoked", cert))
    return due
