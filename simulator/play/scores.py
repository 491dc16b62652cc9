"""A turn's score as every page, report and certificate reads it: one writer, one recomputation.

``Turn.score``, ``Turn.band`` and ``Turn.breakdown`` hold the *effective* score: the scorer's result
(a ``ScoreResult.to_dict()``), or that result with a trainer's :class:`Correction` applied. They are
written by :func:`project` only, and ``Attempt.final_score`` by :func:`refresh_attempt` only, so
whatever reads the database (debriefs, the skill profile, certification, reports) follows a
correction without knowing about it. A corrected turn keeps the scorer's own result in
``Turn.auto_score`` / ``auto_band`` / ``auto_breakdown`` (``Turn.automatic_breakdown`` reads it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import scoring

from ..extensions import db
from ..models import Attempt, Turn


@dataclass(frozen=True)
class Correction:
    """A trainer's verdict on a turn, as :func:`project` applies it.

    Attributes:
        score: The score the trainer gives (its band follows).
        items: Rubric item id -> True (the reply does it) / False (it does not); others as scored.
        blockers: Blocker id -> True (present) / False (wrongly found); others as scored.
        blocker_labels: The rubric's blockers (id -> label), for a blocker the scorer missed.
        reviewer, reason, at: Who, why, and when (ISO text), shown to the trainee.
    """

    score: int
    items: Mapping[str, bool] = field(default_factory=dict)
    blockers: Mapping[str, bool] = field(default_factory=dict)
    blocker_labels: Mapping[str, str] = field(default_factory=dict)
    reviewer: str = ""
    reason: str = ""
    at: str = ""


TRAINER_STAGE = "trainer"


def corrected(automatic: dict[str, Any], correction: Correction) -> dict[str, Any]:
    """The breakdown a correction gives: the scorer's, with the trainer's score and item/blocker verdicts."""
    result = copy.deepcopy(automatic)
    hits = list(result.get("hits", []))
    misses = list(result.get("misses", []))
    for item_id, done in correction.items.items():
        hit = next((h for h in hits if h.get("item") == item_id), None)
        miss = next((m for m in misses if m.get("item") == item_id), None)
        if done and hit is None and miss is not None:
            misses.remove(miss)
            hits.append({
                "item": item_id, "label": miss.get("label", item_id), "skill": miss.get("skill", ""), "span": "",
                "start": None, "end": None, "via": TRAINER_STAGE, "credit": 1.0, "confidence": 1.0, "evidence": "",
            })
        elif not done and hit is not None:
            hits.remove(hit)
            misses.append({"item": item_id, "label": hit.get("label", item_id), "skill": hit.get("skill", ""),
                           "confidence": hit.get("confidence", 0.0)})
    blockers = list(result.get("blockers", []))
    for blocker_id, present in correction.blockers.items():
        found = next((b for b in blockers if b.get("id") == blocker_id), None)
        if not present and found is not None:
            blockers.remove(found)
        elif present and found is None:
            label = correction.blocker_labels.get(blocker_id, blocker_id)
            blockers.append({
                "id": blocker_id, "label": label, "reason": correction.reason, "span": "", "start": None, "end": None,
                "cap": correction.score, "stage": TRAINER_STAGE, "confidence": 1.0, "evidence": "",
            })
    score = max(0, min(100, int(correction.score)))
    result.update(
        hits=hits, misses=misses, blockers=blockers, score=score, band=scoring.band_for(score),
        decided_by=TRAINER_STAGE,
        review={
            "reviewer": correction.reviewer, "reason": correction.reason, "at": correction.at,
            "auto_score": automatic.get("score"), "auto_band": automatic.get("band"),
        },
    )
    return result


def project(turn: Turn, automatic: dict[str, Any], correction: Correction | None = None) -> None:
    """Write a turn's score fields (the only writer of them): the scorer's result, or it corrected.

    Args:
        turn: The turn.
        automatic: The scorer's result (``ScoreResult.to_dict()``), never changed here.
        correction: The trainer's correction in force, or None (the turn stands as scored).
    """
    if correction is None:
        effective = dict(automatic)
        turn.auto_score = turn.auto_band = turn.auto_breakdown = None
    else:
        effective = corrected(automatic, correction)
        turn.auto_score, turn.auto_band = int(automatic["score"]), str(automatic["band"])
        turn.auto_breakdown = dict(automatic)
    turn.breakdown = effective
    turn.score = int(effective["score"])
    turn.band = str(effective["band"])


def final_score_of(scores: Iterable[int]) -> int | None:
    """An attempt's final score: the rounded mean of its turns' scores (None without turns)."""
    values = list(scores)
    return round(sum(values) / len(values)) if values else None


def automatic_final_score(attempt: Attempt) -> int | None:
    """The final score the scorer alone gave the attempt (before any trainer's correction)."""
    if attempt.finished_at is None:
        return None
    return final_score_of(int(turn.automatic_breakdown.get("score", turn.score)) for turn in attempt.turns)


def refresh_attempt(attempt: Attempt) -> None:
    """Recompute what an attempt derives from its turns' scores (its final score, once it has ended)."""
    if attempt.finished_at is not None:
        attempt.final_score = final_score_of(turn.score for turn in attempt.turns)


@dataclass
class SkillResult:
    """How often the trainee did what a skill asks, across checklist items of the turns counted."""

    skill: str
    label: str
    hits: int
    misses: int
    in_scenario: bool = False

    @property
    def percent(self) -> int:
        total = self.hits + self.misses
        return round(100 * self.hits / total) if total else 0


def skill_tally(turns: Iterable[Turn]) -> dict[str, list[int]]:
    """Skill tag -> [items done, items missed] over the turns' (effective) breakdowns."""
    tally: dict[str, list[int]] = {}
    for turn in turns:
        breakdown = turn.breakdown or {}
        for hit in breakdown.get("hits", []):
            tally.setdefault(hit.get("skill", ""), [0, 0])[0] += 1
        for miss in breakdown.get("misses", []):
            tally.setdefault(miss.get("skill", ""), [0, 0])[1] += 1
    tally.pop("", None)
    return tally


def skill_results(turns: Iterable[Turn], focus: Iterable[str] = ()) -> list[SkillResult]:
    """The skill table of some turns; skills in ``focus`` (a scenario's skills) first, in its order."""
    order = {skill: position for position, skill in enumerate(focus)}
    return sorted(
        (
            SkillResult(skill, scoring.SKILL_LABELS.get(skill, skill), hits, misses, skill in order)
            for skill, (hits, misses) in skill_tally(turns).items()
        ),
        key=lambda result: (order.get(result.skill, len(order)), result.skill),
    )


def skill_profile(user_id: int, mode: str | None = None) -> list[SkillResult]:
    """A trainee's skill profile: the skill table over every turn of their finished attempts."""
    query = (
        db.select(Turn).join(Attempt, Turn.attempt_id == Attempt.id)
        .where(Attempt.user_id == user_id, Attempt.finished_at.is_not(None), Attempt.preview.is_(False))
    )
    if mode:
        query = query.where(Attempt.mode == mode)
    return skill_results(db.session.execute(query).scalars())
