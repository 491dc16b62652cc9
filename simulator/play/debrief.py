"""The debrief of an attempt: why it ended there, the skill table, the model answers and the sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import scoring
from scenarios import PlayState, Scenario

from ..extensions import db
from ..models import Attempt, TurnReview
from .presenters import PlayView, play_view
from .scores import SkillResult, automatic_final_score, skill_results


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
    reviewed: bool = False  # a trainer has reviewed the attempt (已复核)
    automatic_final: int | None = None  # the scorer's final score, when a correction changed it
    # turn index -> (reviewer, reason) of a 评分无误 in force that came with a reason
    confirmations: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def final_score(self) -> int | None:
        return self.play.attempt.final_score

    @property
    def final_band(self) -> str:
        return scoring.band_for(self.final_score) if self.final_score is not None else ""


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
    blocker_labels: dict[str, str] = {}
    for turn in attempt.turns:
        blockers = (turn.breakdown or {}).get("blockers", [])
        blocker_labels.update({b.get("id", ""): b.get("label", "") for b in blockers})
    nodes: list[NodeAnswers] = []
    seen: set[str] = set()
    for turn in attempt.turns:
        if turn.node in seen or turn.node not in scenario.nodes:
            continue
        seen.add(turn.node)
        nodes.append(NodeAnswers(turn.node, turn.resident_line, list(scenario.nodes[turn.node].references)))
    ending = scenario.endings.get(play.state.ending or "")
    sources = [scenario.source.to_dict(), *(source.to_dict() for source in scenario.also_sources)]
    latest: dict[int, TurnReview] = {}  # the review in force per turn: the latest one that is not blind
    for review in db.session.execute(
        db.select(TurnReview).where(TurnReview.attempt_id == attempt.id, TurnReview.blind.is_(False))
        .order_by(TurnReview.id)
    ).scalars():
        latest[review.turn_id] = review
    reviewed = bool(latest)
    confirmations = {
        turn.index: (latest[turn.id].reviewer.display_name, latest[turn.id].reason)
        for turn in attempt.turns
        if turn.id in latest and not latest[turn.id].changed and latest[turn.id].reason
    }
    automatic = automatic_final_score(attempt)
    return Debrief(
        play=play, why=ending_reason(scenario, play.state, blocker_labels),
        skills=skill_results(attempt.turns, scenario.skills), nodes=nodes,
        ending_debrief=ending.debrief if ending else "", sources=sources, reviewed=reviewed,
        automatic_final=automatic if automatic != attempt.final_score else None, confirmations=confirmations,
    )
