"""Attempts: starting them, access rules, judging replies and timeouts.

Every reply is committed before the caller renders a response, and the unique ``(attempt_id, index)``
index on ``Turn`` makes a resubmitted or double-clicked reply return the turn already recorded.
The dialogue's decisions belong to :mod:`scenarios` (the engine) and the score to :mod:`scoring`;
a turn's score fields are written through :mod:`simulator.play.scores` only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy.exc import IntegrityError

import scenarios
import scoring
from scenarios import PlayState, Scenario

from ..extensions import db
from ..models import Attempt, ContentVersion, Role, Turn, User, utcnow
from . import scores
from .content import attempt_scenario, effective_limit, scenario_of, time_scale
from .labels import MODES
from .scorer import score_reply

MAX_REPLY_CHARS = 1000
REVIEW_LIMIT = 300


class ReplyError(ValueError):
    """The reply cannot be accepted as typed (empty or too long); the message is shown to the trainee."""


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


def _score(reply: str, scenario: Scenario, node_id: str) -> scoring.ScoreResult:
    node = scenario.nodes[node_id]
    return score_reply(reply, node.references, node.rubric)


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
    scenario = attempt_scenario(attempt)
    result = _score(reply, scenario, state.node)
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
    scenario = attempt_scenario(attempt)
    limit = effective_limit(scenario, state.node)
    elapsed = (now - attempt.node_started_at).total_seconds()
    if limit is None or elapsed <= limit:
        return Outcome("not_due")
    result = _score("", scenario, state.node)
    return _record(attempt, scenario, state, "", result, now, client_token)


def _commit_keeping_loaded() -> None:
    """Commit without expiring the objects of this request.

    The response renders exactly the attempt, turns and user this request loaded and wrote; expiring
    them on commit (the session's default) would read all three back. A failed commit still rolls
    back and expires as usual.
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


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
        elapsed_s=round(elapsed, 3), late=record.late, emotion_after=record.emotion_after,
        shown_at=attempt.node_started_at, submitted_at=now, client_token=(client_token or "")[:64] or None,
        scorer_version=result.scorer_version or None,
    )
    scores.project(turn, result.to_dict())
    attempt.state = new_state.to_dict()
    attempt.node_started_at = now
    attempt.turns.append(turn)
    if new_state.ended:
        attempt.finished_at = now
        attempt.ending = new_state.ending
        attempt.ending_kind = new_state.ending_kind
        scores.refresh_attempt(attempt)
    try:
        _commit_keeping_loaded()
    except IntegrityError:
        # Another request (a double click, a second tab) recorded this turn first.
        db.session.rollback()
        existing = _turn_at(attempt, record.turn)
        if existing is None:
            raise
        db.session.refresh(attempt)
        return Outcome("duplicate", existing, same_token=existing.client_token == client_token)
    return Outcome("recorded", turn)
