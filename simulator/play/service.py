"""Scenario play: starting attempts, judging replies, timeouts, debriefs and access rules.

The web layer calls these functions; they read and write the database and delegate every decision
about the dialogue to :mod:`scenarios` (the engine) and :mod:`scoring` (the score). Every reply is
committed before the caller renders a response, and the unique ``(attempt_id, index)`` index on
``Turn`` makes a resubmitted or double-clicked reply return the turn already recorded.

Time limits are enforced here with the server's clock only: the elapsed time of a reply is
``now - attempt.node_started_at``. ``PLAY_TIME_SCALE`` (app config, default 1) multiplies every time
limit, so browser tests can shrink a 60 s emergency node to a few seconds without trusting the browser.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Any

from flask import abort, current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

import scenarios
import scoring
from scenarios import PlayState, Scenario

from ..extensions import db
from ..models import Attempt, ContentVersion, Role, Turn, User, utcnow

MODES = {"practice": "练习", "assessment": "考核"}
CATEGORY_LABELS = {"complaint": "投诉处理", "emergency": "应急处置", "inquiry": "咨询答复"}
ENDING_KIND_LABELS = {"resolved": "圆满解决", "escalated": "矛盾升级", "timed_out": "响应超时"}
MAX_REPLY_CHARS = 1000
REVIEW_LIMIT = 300
_CACHE_SIZE = 256


class ReplyError(ValueError):
    """The reply cannot be accepted as typed (empty or too long); the message is shown to the trainee."""


# --------------------------------------------------------------------------------------------
# Scenario content
# --------------------------------------------------------------------------------------------

_scenario_cache: OrderedDict[int, Scenario] = OrderedDict()
_scenario_lock = Lock()


def scenario_of(content: ContentVersion) -> Scenario:
    """Rebuild (once per process and content row) the scenario an attempt plays.

    Content rows never change once written, so the row id is a safe cache key.
    """
    with _scenario_lock:
        cached = _scenario_cache.get(content.id)
        if cached is not None:
            _scenario_cache.move_to_end(content.id)
            return cached
    scenario = Scenario.from_dict(content.data, file=content.source_path or content.key)
    with _scenario_lock:
        _scenario_cache[content.id] = scenario
        while len(_scenario_cache) > _CACHE_SIZE:
            _scenario_cache.popitem(last=False)
    return scenario


def time_scale() -> float:
    """The factor applied to every time limit (``PLAY_TIME_SCALE``; 1 in production)."""
    scale = float(current_app.config.get("PLAY_TIME_SCALE", 1.0))
    return scale if scale > 0 else 1.0


def effective_limit(scenario: Scenario, node_id: str | None) -> float | None:
    """The real number of seconds the trainee has at a node, or None when it is not timed."""
    if node_id is None:
        return None
    limit = scenario.time_limit_for(node_id)
    return None if limit is None else limit * time_scale()


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Card:
    """One scenario in the trainee's catalogue."""

    content: ContentVersion
    key: str
    title: str
    summary: str
    category: str
    category_label: str
    difficulty: int
    skills: list[tuple[str, str]]
    channel: str
    timed: bool
    attempts: int = 0
    best: int | None = None
    in_progress: int | None = None


def catalogue(user: User, category: str = "", skill: str = "") -> list[Card]:
    """The current scenarios with the user's attempt count, best score and unfinished attempt.

    Args:
        user: The trainee.
        category: Keep only this category (empty: all).
        skill: Keep only scenarios training this skill tag (empty: all).

    Returns:
        Cards ordered by category, difficulty and title.
    """
    rows = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.kind == "scenario", ContentVersion.is_current.is_(True))
    ).scalars()
    stats = {
        key: (count, best)
        for key, count, best in db.session.execute(
            db.select(Attempt.scenario_key, func.count(Attempt.id), func.max(Attempt.final_score))
            .where(Attempt.user_id == user.id)
            .group_by(Attempt.scenario_key)
        )
    }
    unfinished = dict(
        db.session.execute(
            db.select(Attempt.scenario_key, func.max(Attempt.id))
            .where(Attempt.user_id == user.id, Attempt.finished_at.is_(None))
            .group_by(Attempt.scenario_key)
        ).all()
    )
    cards = []
    for row in rows:
        data = row.data
        skills = list(data.get("skills", []))
        if category and data.get("category") != category:
            continue
        if skill and skill not in skills:
            continue
        timed = bool(data.get("time_limit_s")) or any(
            node.get("time_limit_s") for node in data.get("nodes", {}).values()
        )
        count, best = stats.get(row.key, (0, None))
        cards.append(Card(
            content=row, key=row.key, title=row.title or data.get("title", row.key),
            summary=data.get("summary", ""), category=data.get("category", ""),
            category_label=CATEGORY_LABELS.get(data.get("category", ""), data.get("category", "")),
            difficulty=int(data.get("difficulty") or 1),
            skills=[(tag, scoring.SKILL_LABELS.get(tag, tag)) for tag in skills],
            channel=data.get("channel", ""), timed=timed, attempts=count, best=best,
            in_progress=unfinished.get(row.key),
        ))
    cards.sort(key=lambda card: (card.category, card.difficulty, card.title))
    return cards


# --------------------------------------------------------------------------------------------
# Attempts
# --------------------------------------------------------------------------------------------


def start_attempt(user: User, scenario_key: str, mode: str) -> Attempt:
    """Open a new attempt on the current version of a scenario.

    Args:
        user: The trainee.
        scenario_key: The scenario id.
        mode: ``practice`` or ``assessment``.

    Returns:
        The committed attempt, at the scenario's start node.

    Raises:
        NotFound (404): No current scenario has this id, or the mode is unknown.
    """
    if mode not in MODES:
        abort(404)
    content = db.session.execute(
        db.select(ContentVersion).where(
            ContentVersion.kind == "scenario", ContentVersion.key == scenario_key,
            ContentVersion.is_current.is_(True),
        )
    ).scalar_one_or_none()
    if content is None:
        abort(404)
    scenario = scenario_of(content)
    seed = secrets.randbelow(2**31)
    state = scenarios.start(scenario, seed)
    now = utcnow()
    attempt = Attempt(
        user_id=user.id, content_id=content.id, scenario_key=scenario.id, scenario_version=scenario.version,
        mode=mode, seed=seed, state=state.to_dict(), node_started_at=now, started_at=now,
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def own_attempt(user: User, attempt_id: int) -> Attempt:
    """The trainee's own attempt; anybody else's is reported as missing (404)."""
    attempt = db.get_or_404(Attempt, attempt_id)
    if attempt.user_id != user.id:
        abort(404)
    return attempt


def reviewable_attempt(user: User, attempt_id: int) -> Attempt:
    """An attempt a trainer or HR user may read: a trainee's of their own site (else 404)."""
    attempt = db.get_or_404(Attempt, attempt_id)
    if attempt.user.site_id != user.site_id or attempt.user.role != Role.TRAINEE.value:
        abort(404)
    return attempt


def site_attempts(user: User, trainee_id: int | None = None) -> list[Attempt]:
    """The latest attempts of the trainees of the user's site, newest first."""
    query = (
        db.select(Attempt).join(User, Attempt.user_id == User.id)
        .where(User.site_id == user.site_id, User.role == Role.TRAINEE.value)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .limit(REVIEW_LIMIT)
    )
    if trainee_id:
        query = query.where(User.id == trainee_id)
    return list(db.session.execute(query).scalars())


def site_trainees(user: User) -> list[User]:
    """The trainees of the user's site (for the review filter)."""
    return list(db.session.execute(
        db.select(User).where(User.site_id == user.site_id, User.role == Role.TRAINEE.value)
        .order_by(User.username)
    ).scalars())


# --------------------------------------------------------------------------------------------
# Replies and timeouts
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to a submitted reply or expiry request.

    ``status`` is ``recorded`` (a new turn), ``duplicate`` (this turn was already recorded; ``turn``
    is the recorded one), ``stale`` (the form belonged to an earlier state), ``ended`` (the attempt
    is over) or ``not_due`` (an expiry request arrived before the server's deadline).
    """

    status: str
    turn: Turn | None = None
    same_token: bool = True


def check_reply(text: str) -> str:
    """Normalise a typed reply.

    Raises:
        ReplyError: Empty or longer than ``MAX_REPLY_CHARS``.
    """
    reply = (text or "").replace("\r\n", "\n").strip()
    if not reply:
        raise ReplyError("请先输入您的回复,再发送。")
    if len(reply) > MAX_REPLY_CHARS:
        raise ReplyError(f"回复太长了({len(reply)} 字),请控制在 {MAX_REPLY_CHARS} 字以内。")
    return reply


def _turn_at(attempt: Attempt, index: int) -> Turn | None:
    return db.session.execute(
        db.select(Turn).where(Turn.attempt_id == attempt.id, Turn.index == index)
    ).scalar_one_or_none()


def _precheck(attempt: Attempt, turn_index: int, client_token: str) -> tuple[PlayState, Outcome | None]:
    state = PlayState.from_dict(attempt.state)
    if turn_index != state.turn + 1 or state.ended:
        existing = _turn_at(attempt, turn_index)
        if existing is not None:
            return state, Outcome("duplicate", existing, same_token=existing.client_token == client_token)
        return state, Outcome("ended" if state.ended else "stale")
    return state, None


def submit_reply(
    attempt: Attempt, text: str, turn_index: int, client_token: str, now: datetime | None = None
) -> Outcome:
    """Score a reply, move the dialogue on and commit the turn.

    Args:
        attempt: The trainee's attempt (access already checked).
        text: The reply as typed.
        turn_index: The 1-based turn the form was shown for (from the page).
        client_token: The token generated when the form was shown.
        now: The server time of the request (tests pass it; default: now).

    Returns:
        The outcome; a resubmission of a recorded turn returns that turn with status ``duplicate``.

    Raises:
        ReplyError: The reply is empty or too long (nothing is recorded).
    """
    state, early = _precheck(attempt, turn_index, client_token)
    if early is not None:
        return early
    reply = check_reply(text)
    now = now or utcnow()
    scenario = scenario_of(attempt.content)
    node = scenario.nodes[state.node]
    result = scoring.score(reply, node.references, node.rubric)
    return _record(attempt, scenario, state, reply, result, now, client_token)


def expire_turn(attempt: Attempt, turn_index: int, client_token: str, now: datetime | None = None) -> Outcome:
    """Apply the node's timeout rule when, by the server's clock, the trainee ran out of time.

    The browser asks when its countdown reaches zero; the request is honoured only if the server's
    own elapsed time exceeds the (scaled) limit, otherwise the status is ``not_due``.
    """
    state, early = _precheck(attempt, turn_index, client_token)
    if early is not None:
        return early
    now = now or utcnow()
    scenario = scenario_of(attempt.content)
    limit = effective_limit(scenario, state.node)
    elapsed = (now - attempt.node_started_at).total_seconds()
    if limit is None or elapsed <= limit:
        return Outcome("not_due")
    node = scenario.nodes[state.node]
    result = scoring.score("", node.references, node.rubric)
    return _record(attempt, scenario, state, "", result, now, client_token)


def _record(
    attempt: Attempt, scenario: Scenario, state: PlayState, reply: str, result: scoring.ScoreResult,
    now: datetime, client_token: str,
) -> Outcome:
    elapsed = max(0.0, (now - attempt.node_started_at).total_seconds())
    line = scenarios.resident_line(scenario, state)
    new_state = scenarios.step(scenario, state, reply, result, elapsed / time_scale())
    record = new_state.transcript[-1]
    turn = Turn(
        attempt_id=attempt.id, index=record.turn, node=record.node, resident_line=line, reply=reply,
        score=result.score, band=result.band, breakdown=result.to_dict(), elapsed_s=round(elapsed, 3),
        late=record.late, emotion_after=record.emotion_after, shown_at=attempt.node_started_at,
        submitted_at=now, client_token=(client_token or "")[:64] or None,
        scorer_version=result.scorer_version or None,
    )
    attempt.state = new_state.to_dict()
    attempt.node_started_at = now
    if new_state.ended:
        scores = [t.score for t in attempt.turns] + [turn.score]
        attempt.finished_at = now
        attempt.ending = new_state.ending
        attempt.ending_kind = new_state.ending_kind
        attempt.final_score = round(sum(scores) / len(scores))
    db.session.add(turn)
    try:
        db.session.commit()
    except IntegrityError:
        # Another request (a double click, a second tab) recorded this turn first.
        db.session.rollback()
        existing = _turn_at(attempt, record.turn)
        if existing is None:
            raise
        db.session.refresh(attempt)
        return Outcome("duplicate", existing, same_token=existing.client_token == client_token)
    return Outcome("recorded", turn)


# --------------------------------------------------------------------------------------------
# What the pages show
# --------------------------------------------------------------------------------------------


@dataclass
class Segment:
    """A piece of a reply: plain text, or a highlighted hit / blocker span (escaped by the template)."""

    text: str
    kind: str = ""
    title: str = ""


def highlight(reply: str, breakdown: dict[str, Any]) -> list[Segment]:
    """Split a reply into segments with the matched words of hits and blockers marked.

    Offsets come from the score breakdown; a span whose offsets do not match the reply is located
    by searching for its text. Overlapping spans keep the first (blockers first, then hits).
    """
    spans: list[tuple[int, int, str, str]] = []
    marks = [("blocker", item, item.get("label", "")) for item in breakdown.get("blockers", [])]
    marks += [("hit", item, item.get("label", "")) for item in breakdown.get("hits", [])]
    for kind, item, label in marks:
        text = item.get("span") or ""
        if not text:
            continue
        start, end = item.get("start"), item.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and reply[start:end] == text):
            start = reply.find(text)
            end = start + len(text)
        if start < 0:
            continue
        if any(start < s_end and s_start < end for s_start, s_end, _, _ in spans):
            continue
        spans.append((start, end, kind, label))
    spans.sort()
    segments: list[Segment] = []
    position = 0
    for start, end, kind, label in spans:
        if start > position:
            segments.append(Segment(reply[position:start]))
        segments.append(Segment(reply[start:end], kind, label))
        position = end
    if position < len(reply):
        segments.append(Segment(reply[position:]))
    return segments


BAND_CLASSES = {"优秀": "ok", "良好": "ok", "合格": "warn", "不合格": "bad"}


def emotion_level(emotion: int) -> tuple[str, str]:
    """(css level, Chinese label) for an emotion 0..100."""
    if emotion < 35:
        return "calm", "平静"
    if emotion < 60:
        return "uneasy", "不满"
    if emotion < 85:
        return "angry", "激动"
    return "furious", "愤怒"


@dataclass
class TurnView:
    """One recorded turn as the pages show it."""

    index: int
    node: str
    line: str
    reply: str
    segments: list[Segment]
    score: int
    band: str
    band_class: str
    hits: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    blockers: list[dict[str, Any]]
    feedback: str
    late: bool
    no_reply: bool
    elapsed_s: float
    emotion_after: int
    model_answer: str
    notice: str = ""
    decided_by: str = ""
    decided_label: str = ""
    scorer_version: str = ""
    grade: float | None = None
    wrong_facts: list[dict[str, Any]] = field(default_factory=list)


def turn_view(turn: Turn, scenario: Scenario) -> TurnView:
    """Build the display form of a recorded turn (with the closest model answer)."""
    breakdown = turn.breakdown or {}
    node = scenario.nodes.get(turn.node)
    references = list(node.references) if node else []
    index = (breakdown.get("semantic") or {}).get("index", -1)
    model_answer = references[index] if references and 0 <= index < len(references) else (
        references[0] if references else ""
    )
    labelled = lambda items: [  # noqa: E731
        {**item, "skill_label": scoring.SKILL_LABELS.get(item.get("skill", ""), item.get("skill", ""))}
        for item in items
    ]
    return TurnView(
        index=turn.index, node=turn.node, line=turn.resident_line, reply=turn.reply,
        segments=highlight(turn.reply, breakdown), score=turn.score, band=turn.band,
        band_class=BAND_CLASSES.get(turn.band, "bad"), hits=labelled(breakdown.get("hits", [])),
        misses=labelled(breakdown.get("misses", [])), blockers=breakdown.get("blockers", []),
        feedback=breakdown.get("feedback", ""), late=turn.late, no_reply=turn.reply == "",
        elapsed_s=turn.elapsed_s, emotion_after=turn.emotion_after, model_answer=model_answer,
        decided_by=breakdown.get("decided_by", ""), decided_label=decided_label(breakdown),
        scorer_version=turn.scorer_version or breakdown.get("scorer_version", ""), grade=breakdown.get("grade"),
        wrong_facts=breakdown.get("wrong_facts", []),
    )


DECIDED_LABELS = {
    "model": "评分模型(从已评分的语料中学习)综合判定",
    "checklist": "要点清单",
    "default": "未作答或无法判定,按默认处理",
}
DECIDED_PREFIXES = {
    "blocker": "否决项封顶", "rule": "必查规则封顶", "fact": "事实有误,最高合格", "semantic": "与参考答复的相似度",
}


def decided_label(breakdown: dict[str, Any]) -> str:
    """The Chinese reading of a score's ``decided_by`` (which stage set the final score)."""
    decided = str(breakdown.get("decided_by", ""))
    if decided in DECIDED_LABELS:
        return DECIDED_LABELS[decided]
    prefix, _, detail = decided.partition(":")
    if prefix == "blocker":
        label = next((b.get("label") for b in breakdown.get("blockers", []) if b.get("id") == detail), detail)
        return f"{DECIDED_PREFIXES[prefix]}:{label}"
    if prefix in DECIDED_PREFIXES:
        return f"{DECIDED_PREFIXES[prefix]}({detail})"
    return decided


@dataclass
class PlayView:
    """Everything ``play/_turn.html`` renders."""

    attempt: Attempt
    scenario: Scenario
    state: PlayState
    turns: list[TurnView]
    emotion: int
    emotion_class: str
    emotion_label: str
    mode_label: str
    show_model_answer: bool
    line: str = ""
    turn_index: int = 0
    client_token: str = ""
    limit_s: float | None = None
    remaining_s: float | None = None
    ending_title: str = ""
    ending_kind_label: str = ""
    readonly: bool = False
    notice: str = ""
    error: str = ""
    draft: str = ""
    feedback: TurnView | None = field(default=None)


def play_view(attempt: Attempt, *, readonly: bool = False, now: datetime | None = None) -> PlayView:
    """The current state of an attempt for the play page (or the read-only review of it)."""
    scenario = scenario_of(attempt.content)
    state = PlayState.from_dict(attempt.state)
    turns = [turn_view(turn, scenario) for turn in attempt.turns]
    level, label = emotion_level(state.emotion)
    view = PlayView(
        attempt=attempt, scenario=scenario, state=state, turns=turns, emotion=state.emotion,
        emotion_class=level, emotion_label=label, mode_label=MODES.get(attempt.mode, attempt.mode),
        show_model_answer=attempt.mode == "practice", readonly=readonly,
        feedback=turns[-1] if turns else None,
    )
    if state.ended:
        ending = scenario.endings.get(state.ending or "")
        view.ending_title = ending.title if ending else (state.ending or "")
        view.ending_kind_label = ENDING_KIND_LABELS.get(state.ending_kind or "", "")
        return view
    view.line = scenarios.resident_line(scenario, state)
    view.turn_index = state.turn + 1
    view.client_token = secrets.token_hex(16)
    view.limit_s = effective_limit(scenario, state.node)
    if view.limit_s is not None:
        elapsed = ((now or utcnow()) - attempt.node_started_at).total_seconds()
        view.remaining_s = round(max(0.0, view.limit_s - elapsed), 2)
    return view


# --------------------------------------------------------------------------------------------
# Debrief
# --------------------------------------------------------------------------------------------


@dataclass
class SkillResult:
    """How often the trainee did what a skill asks, across the attempt's checklist items."""

    skill: str
    label: str
    hits: int
    misses: int
    in_scenario: bool

    @property
    def percent(self) -> int:
        total = self.hits + self.misses
        return round(100 * self.hits / total) if total else 0


@dataclass
class NodeAnswers:
    """The model answers of one node the trainee visited."""

    node: str
    line: str
    references: list[str]


@dataclass
class Debrief:
    """Everything the debrief page shows."""

    play: PlayView
    why: str
    skills: list[SkillResult]
    nodes: list[NodeAnswers]
    ending_debrief: str
    sources: list[dict[str, str]]
    final_score: int | None
    final_band: str


def ending_reason(scenario: Scenario, state: PlayState, blocker_labels: dict[str, str] | None = None) -> str:
    """A sentence saying why the attempt ended where it did (from the last transcript record)."""
    if not state.transcript:
        return ""
    last = state.transcript[-1]
    if last.forced == "emotion_max":
        return f"第 {last.turn} 轮回复后,{scenario.persona.name}的情绪升到了顶点(100),矛盾升级。"
    if last.forced == "max_turns":
        return f"对话到第 {last.turn} 轮仍未解决,超过了本情景的轮数上限({scenario.max_turns} 轮)。"
    if last.branch == "timeout":
        limit = f"(限时 {last.time_limit_s} 秒)" if last.time_limit_s else ""
        what = "没有在规定时间内作答" if not last.reply else "回复超过了规定时间"
        return f"第 {last.turn} 轮{what}{limit},按超时规则处理。"
    if last.blocker_ids:
        labels = "、".join((blocker_labels or {}).get(bid, bid) for bid in last.blocker_ids)
        return f"第 {last.turn} 轮回复出现了否决项({labels}),业主无法接受。"
    return f"第 {last.turn} 轮回复得分 {last.score}({last.band}),对话走到了这个结局。"


def debrief(attempt: Attempt, *, readonly: bool = False) -> Debrief:
    """Build the debrief of an attempt (ended or, for reviewers, still in progress)."""
    play = play_view(attempt, readonly=readonly)
    scenario = play.scenario
    tally: dict[str, list[int]] = {}
    blocker_labels: dict[str, str] = {}
    for turn in attempt.turns:
        breakdown = turn.breakdown or {}
        blocker_labels.update({b.get("id", ""): b.get("label", "") for b in breakdown.get("blockers", [])})
        for hit in breakdown.get("hits", []):
            tally.setdefault(hit.get("skill", ""), [0, 0])[0] += 1
        for miss in breakdown.get("misses", []):
            tally.setdefault(miss.get("skill", ""), [0, 0])[1] += 1
    order = {skill: position for position, skill in enumerate(scenario.skills)}
    skills = sorted(
        (
            SkillResult(skill, scoring.SKILL_LABELS.get(skill, skill), hits, misses, skill in order)
            for skill, (hits, misses) in tally.items() if skill
        ),
        key=lambda result: (order.get(result.skill, len(order)), result.skill),
    )
    nodes: list[NodeAnswers] = []
    seen: set[str] = set()
    for turn in attempt.turns:
        if turn.node in seen or turn.node not in scenario.nodes:
            continue
        seen.add(turn.node)
        nodes.append(NodeAnswers(turn.node, turn.resident_line, list(scenario.nodes[turn.node].references)))
    ending = scenario.endings.get(play.state.ending or "")
    sources = [scenario.source.to_dict(), *(source.to_dict() for source in scenario.also_sources)]
    final = attempt.final_score
    return Debrief(
        play=play, why=ending_reason(scenario, play.state, blocker_labels), skills=skills, nodes=nodes,
        ending_debrief=ending.debrief if ending else "", sources=sources, final_score=final,
        final_band=scoring.band_for(final) if final is not None else "",
    )
