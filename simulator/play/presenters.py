"""What the play pages show: a recorded turn, a reply with its marked spans, the live play panel.

Presenters read the database rows and the scenario and compute nothing that is stored: a turn's
score fields are the effective ones (see :mod:`simulator.play.scores`), and everything derivable
from the state (emotion level, ending labels, mode label) is a property, not a second copy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import scenarios
import scoring
from scenarios import PlayState, Scenario

from ..models import Attempt, Turn, utcnow
from .content import attempt_scenario, effective_limit
from .labels import BAND_CLASSES, DECIDED_LABELS, DECIDED_PREFIXES, ENDING_KIND_LABELS, FACT_STAGE_LABELS, MODES


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


def emotion_level(emotion: int) -> tuple[str, str]:
    """(css level, Chinese label) for an emotion 0..100."""
    if emotion < 35:
        return "calm", "平静"
    if emotion < 60:
        return "uneasy", "不满"
    if emotion < 85:
        return "angry", "激动"
    return "furious", "愤怒"


def decided_label(breakdown: dict[str, Any]) -> str:
    """The Chinese reading of a score's ``decided_by`` (which stage set the final score)."""
    decided = str(breakdown.get("decided_by", ""))
    if decided in DECIDED_LABELS:
        return DECIDED_LABELS[decided]
    prefix, _, detail = decided.partition(":")
    if prefix == "blocker":
        label = next((b.get("label") for b in breakdown.get("blockers", []) if b.get("id") == detail), detail)
        return f"{DECIDED_PREFIXES[prefix]}:{label}"
    if prefix == "fact":
        span = next((f.get("span") for f in breakdown.get("wrong_facts", []) if f.get("id") == detail), "")
        if span:
            return f"{DECIDED_PREFIXES[prefix]}:“{span}”"
    if prefix in DECIDED_PREFIXES:
        return f"{DECIDED_PREFIXES[prefix]}({detail})"
    return decided


def with_fact_sentences(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored wrong facts with the trainee's ``sentence`` and the Chinese ``stage_label``."""
    out = []
    for fact in facts:
        stage = str(fact.get("stage") or "declared")
        sentence = scoring.fact_sentence(str(fact.get("span", "")), str(fact.get("label", "")), stage)
        out.append({**fact, "sentence": sentence, "stage_label": FACT_STAGE_LABELS.get(stage, stage)})
    return out


def _with_skill_labels(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**item, "skill_label": scoring.SKILL_LABELS.get(item.get("skill", ""), item.get("skill", ""))}
        for item in items
    ]


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
    hits: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    blockers: list[dict[str, Any]]
    feedback: str
    late: bool
    elapsed_s: float
    emotion_after: int
    model_answer: str
    notice: str = ""
    decided_by: str = ""
    decided_label: str = ""
    scorer_version: str = ""
    grade: float | None = None
    wrong_facts: list[dict[str, Any]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    turn_id: int = 0
    review: dict[str, Any] | None = None  # the trainer's correction in force: reviewer, reason, auto score
    auto_score: int | None = None
    auto_band: str | None = None

    @property
    def band_class(self) -> str:
        return BAND_CLASSES.get(self.band, "bad")

    @property
    def no_reply(self) -> bool:
        return self.reply == ""


def turn_view(turn: Turn, scenario: Scenario, *, automatic: bool = False) -> TurnView:
    """Build the display form of a recorded turn (with the closest model answer).

    ``automatic`` shows the scorer's own result even if a trainer corrected it (blind double marking).
    """
    breakdown = turn.automatic_breakdown if automatic else (turn.breakdown or {})
    node = scenario.nodes.get(turn.node)
    references = list(node.references) if node else []
    index = (breakdown.get("semantic") or {}).get("index", -1)
    model_answer = references[index] if references and 0 <= index < len(references) else (
        references[0] if references else ""
    )
    return TurnView(
        index=turn.index, node=turn.node, line=turn.resident_line, reply=turn.reply,
        segments=highlight(turn.reply, breakdown), score=int(breakdown.get("score", turn.score)),
        band=str(breakdown.get("band", turn.band)),
        hits=_with_skill_labels(breakdown.get("hits", [])), misses=_with_skill_labels(breakdown.get("misses", [])),
        blockers=breakdown.get("blockers", []), feedback=breakdown.get("feedback", ""), late=turn.late,
        elapsed_s=turn.elapsed_s, emotion_after=turn.emotion_after, model_answer=model_answer,
        decided_by=breakdown.get("decided_by", ""), decided_label=decided_label(breakdown),
        scorer_version=turn.scorer_version or breakdown.get("scorer_version", ""), grade=breakdown.get("grade"),
        wrong_facts=with_fact_sentences(breakdown.get("wrong_facts", [])), references=references, turn_id=turn.id or 0,
        review=None if automatic else breakdown.get("review"),
        auto_score=None if automatic else turn.auto_score, auto_band=None if automatic else turn.auto_band,
    )


@dataclass
class PlayView:
    """Everything ``play/_turn.html`` renders."""

    attempt: Attempt
    scenario: Scenario
    state: PlayState
    turns: list[TurnView]
    line: str = ""
    turn_index: int = 0
    client_token: str = ""
    limit_s: float | None = None
    remaining_s: float | None = None
    readonly: bool = False
    notice: str = ""
    error: str = ""
    draft: str = ""
    feedback: TurnView | None = field(default=None)

    @property
    def emotion(self) -> int:
        return self.state.emotion

    @property
    def emotion_class(self) -> str:
        return emotion_level(self.state.emotion)[0]

    @property
    def emotion_label(self) -> str:
        return emotion_level(self.state.emotion)[1]

    @property
    def mode_label(self) -> str:
        return MODES.get(self.attempt.mode, self.attempt.mode)

    @property
    def show_model_answer(self) -> bool:
        return self.attempt.mode == "practice"

    @property
    def ending_title(self) -> str:
        if not self.state.ended:
            return ""
        ending = self.scenario.endings.get(self.state.ending or "")
        return ending.title if ending else (self.state.ending or "")

    @property
    def ending_kind_label(self) -> str:
        return ENDING_KIND_LABELS.get(self.state.ending_kind or "", "") if self.state.ended else ""


def play_view(attempt: Attempt, *, readonly: bool = False, now: datetime | None = None) -> PlayView:
    """The current state of an attempt for the play page (or the read-only review of it)."""
    scenario = attempt_scenario(attempt)
    state = PlayState.from_dict(attempt.state)
    turns = [turn_view(turn, scenario) for turn in attempt.turns]
    view = PlayView(
        attempt=attempt, scenario=scenario, state=state, turns=turns, readonly=readonly,
        feedback=turns[-1] if turns else None,
    )
    if state.ended:
        return view
    view.line = scenarios.resident_line(scenario, state)
    view.turn_index = state.turn + 1
    view.client_token = secrets.token_hex(16)
    view.limit_s = effective_limit(scenario, state.node)
    if view.limit_s is not None:
        elapsed = ((now or utcnow()) - attempt.node_started_at).total_seconds()
        view.remaining_s = round(max(0.0, view.limit_s - elapsed), 2)
    return view
