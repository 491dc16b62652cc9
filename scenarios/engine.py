"""The dialogue engine: a pure state machine over a scenario graph.

``start`` opens an attempt, ``resident_line`` picks the line variant shown at the current node, and
``step`` judges one scored reply and returns a new :class:`PlayState`. The engine never touches global
randomness: the variant is drawn from ``random.Random(f"{seed}:{turn}:{node}")``, so an attempt is fully
reproducible from its seed and its replies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from scenarios.model import Scenario, Timeout

EMOTION_MIN = 0
EMOTION_MAX = 100

#: Why an attempt was sent to the escalated ending instead of the branch's target.
REASON_EMOTION = "emotion_max"
REASON_MAX_TURNS = "max_turns"


class ScoredReply(Protocol):
    """What the engine reads from a ``scoring.ScoreResult``."""

    @property
    def score(self) -> int: ...

    @property
    def band(self) -> str: ...

    @property
    def hit_ids(self) -> frozenset[str]: ...

    @property
    def miss_ids(self) -> frozenset[str]: ...

    @property
    def blocker_ids(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class TurnRecord:
    """One judged reply in the transcript.

    Attributes:
        turn: 1-based reply number.
        node: The node replied at.
        line: The resident line shown.
        reply: The trainee's reply.
        score: 0..100.
        band: The score band.
        hit_ids / miss_ids / blocker_ids: Checklist hits, misses and blockers (sorted).
        emotion_before / emotion_after: The resident's emotion around this reply.
        branch: 0-based index of the branch taken, or ``"timeout"`` for a late reply.
        to: The target the branch (or timeout rule) named.
        elapsed_s: Seconds the trainee took (server clock).
        late: True when the reply exceeded the node's time limit.
        time_limit_s: The limit that applied, or None.
        forced: Why the engine overrode ``to`` with the escalated ending (``emotion_max`` /
            ``max_turns``), else None.
    """

    turn: int
    node: str
    line: str
    reply: str
    score: int
    band: str
    emotion_before: int
    emotion_after: int
    branch: int | str
    to: str
    elapsed_s: float
    late: bool
    time_limit_s: int | None = None
    hit_ids: tuple[str, ...] = ()
    miss_ids: tuple[str, ...] = ()
    blocker_ids: tuple[str, ...] = ()
    forced: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "turn": self.turn,
            "node": self.node,
            "line": self.line,
            "reply": self.reply,
            "score": self.score,
            "band": self.band,
            "hit_ids": list(self.hit_ids),
            "miss_ids": list(self.miss_ids),
            "blocker_ids": list(self.blocker_ids),
            "emotion_before": self.emotion_before,
            "emotion_after": self.emotion_after,
            "branch": self.branch,
            "to": self.to,
            "elapsed_s": self.elapsed_s,
            "late": self.late,
            "time_limit_s": self.time_limit_s,
            "forced": self.forced,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(
            turn=int(data["turn"]),
            node=data["node"],
            line=data["line"],
            reply=data["reply"],
            score=int(data["score"]),
            band=data["band"],
            hit_ids=tuple(data.get("hit_ids", ())),
            miss_ids=tuple(data.get("miss_ids", ())),
            blocker_ids=tuple(data.get("blocker_ids", ())),
            emotion_before=int(data["emotion_before"]),
            emotion_after=int(data["emotion_after"]),
            branch=data["branch"],
            to=data["to"],
            elapsed_s=float(data["elapsed_s"]),
            late=bool(data["late"]),
            time_limit_s=data.get("time_limit_s"),
            forced=data.get("forced"),
        )


@dataclass(frozen=True)
class PlayState:
    """Where an attempt stands. Immutable: :func:`step` returns a new state.

    Attributes:
        scenario_id / version: The exact scenario content being played.
        seed: The attempt's seed (drives line variants).
        node: The current node id, or None once ended.
        emotion: The resident's current emotion (0..100).
        turn: Number of replies judged so far.
        transcript: One record per judged reply.
        ended: True once an ending is reached.
        ending / ending_kind: The ending id and its kind (``resolved`` / ``escalated`` / ``timed_out``).
    """

    scenario_id: str
    version: str
    seed: int | str
    node: str | None
    emotion: int
    turn: int = 0
    transcript: tuple[TurnRecord, ...] = field(default_factory=tuple)
    ended: bool = False
    ending: str | None = None
    ending_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (store it between requests)."""
        return {
            "scenario_id": self.scenario_id,
            "version": self.version,
            "seed": self.seed,
            "node": self.node,
            "emotion": self.emotion,
            "turn": self.turn,
            "transcript": [record.to_dict() for record in self.transcript],
            "ended": self.ended,
            "ending": self.ending,
            "ending_kind": self.ending_kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlayState:
        """Inverse of :meth:`to_dict`."""
        return cls(
            scenario_id=data["scenario_id"],
            version=data["version"],
            seed=data["seed"],
            node=data["node"],
            emotion=int(data["emotion"]),
            turn=int(data["turn"]),
            transcript=tuple(TurnRecord.from_dict(item) for item in data.get("transcript", ())),
            ended=bool(data["ended"]),
            ending=data.get("ending"),
            ending_kind=data.get("ending_kind"),
        )


def clamp_emotion(value: int) -> int:
    """Clamp an emotion to 0..100."""
    return max(EMOTION_MIN, min(EMOTION_MAX, value))


def start(scenario: Scenario, seed: int | str) -> PlayState:
    """Open an attempt at the scenario's start node with the persona's starting emotion.

    Args:
        scenario: The scenario to play.
        seed: Any int or string; the same seed gives the same line variants.

    Returns:
        The initial state.
    """
    return PlayState(
        scenario_id=scenario.id,
        version=scenario.version,
        seed=seed,
        node=scenario.start,
        emotion=clamp_emotion(scenario.persona.emotion),
    )


def _check_matches(scenario: Scenario, state: PlayState) -> None:
    if state.scenario_id != scenario.id or state.version != scenario.version:
        raise ValueError(
            f"状态属于场景 {state.scenario_id}@{state.version},不是 {scenario.id}@{scenario.version}"
        )


def resident_line(scenario: Scenario, state: PlayState) -> str:
    """The resident line variant shown at the current node (deterministic for seed, turn and node).

    Args:
        scenario: The scenario being played.
        state: The current state.

    Returns:
        One of the node's ``lines``.

    Raises:
        ValueError: When the attempt has ended or the state belongs to another scenario version.
    """
    _check_matches(scenario, state)
    if state.ended or state.node is None:
        raise ValueError("练习已结束,没有下一句台词")
    lines = scenario.nodes[state.node].lines
    rng = random.Random(f"{state.seed}:{state.turn}:{state.node}")
    return lines[rng.randrange(len(lines))]


def _late_rule(scenario: Scenario, node_id: str) -> Timeout:
    rule = scenario.timeout_rule(node_id)
    if rule is None:  # validation requires a timed_out ending or on_timeout for timed nodes
        raise ValueError(f"节点 {node_id} 限时但没有超时去向")
    return rule


def step(
    scenario: Scenario,
    state: PlayState,
    reply: str,
    score_result: ScoredReply,
    elapsed_s: float,
) -> PlayState:
    """Judge one reply and move the attempt on.

    A reply later than the node's time limit applies the node's ``on_timeout`` rule (default: the first
    ``timed_out`` ending) instead of the branches. Otherwise the first branch whose ``when`` holds is
    taken. Emotion is clamped to 0..100; reaching a node with emotion 100, or needing a reply beyond
    ``max_turns``, ends the attempt at the first ``escalated`` ending.

    Args:
        scenario: The scenario being played (the same version the state was started with).
        state: The current state.
        reply: The trainee's reply text.
        score_result: The reply's score (``scoring.ScoreResult`` or anything with the same fields).
        elapsed_s: Seconds the reply took, by the server's clock.

    Returns:
        The new state, with a new transcript record.

    Raises:
        ValueError: When the attempt already ended or the state belongs to another scenario version.
    """
    line = resident_line(scenario, state)
    assert state.node is not None
    node_id = state.node
    turn = state.turn + 1
    limit = scenario.time_limit_for(node_id)
    late = limit is not None and elapsed_s > limit
    branch_taken: int | str
    if late:
        rule = _late_rule(scenario, node_id)
        delta, target, branch_taken = rule.emotion, rule.to, "timeout"
    else:
        for index, branch in enumerate(scenario.nodes[node_id].branches):
            if branch.when is None or branch.when.holds(score_result, emotion=state.emotion, turn=turn):
                delta, target, branch_taken = branch.emotion, branch.to, index
                break
        else:  # validation makes the last branch unconditional
            raise ValueError(f"节点 {node_id} 没有可走的分支")
    emotion_after = clamp_emotion(state.emotion + delta)
    destination = target
    forced: str | None = None
    if target in scenario.nodes:
        escalated = scenario.first_ending("escalated")
        if escalated is not None and emotion_after >= EMOTION_MAX:
            destination, forced = escalated, REASON_EMOTION
        elif escalated is not None and turn >= scenario.max_turns:
            destination, forced = escalated, REASON_MAX_TURNS
    record = TurnRecord(
        turn=turn,
        node=node_id,
        line=line,
        reply=reply,
        score=int(score_result.score),
        band=str(score_result.band),
        hit_ids=tuple(sorted(score_result.hit_ids)),
        miss_ids=tuple(sorted(score_result.miss_ids)),
        blocker_ids=tuple(sorted(score_result.blocker_ids)),
        emotion_before=state.emotion,
        emotion_after=emotion_after,
        branch=branch_taken,
        to=target,
        elapsed_s=float(elapsed_s),
        late=late,
        time_limit_s=limit,
        forced=forced,
    )
    transcript = (*state.transcript, record)
    if destination in scenario.endings:
        return replace(
            state,
            node=None,
            emotion=emotion_after,
            turn=turn,
            transcript=transcript,
            ended=True,
            ending=destination,
            ending_kind=scenario.endings[destination].kind,
        )
    return replace(state, node=destination, emotion=emotion_after, turn=turn, transcript=transcript)
