"""A turn's score as every page, report and certificate reads it: one writer, one recomputation.

``Turn.score``, ``Turn.band`` and ``Turn.breakdown`` hold the *effective* score: the scorer's result
(a ``ScoreResult.to_dict()``). They are written by :func:`project` only, and ``Attempt.final_score``
by :func:`refresh_attempt` only, so whatever reads the database (debriefs, the skill profile,
certification, reports) follows a score as it is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import scoring

from ..extensions import db
from ..models import Attempt, Turn


def project(turn: Turn, automatic: dict[str, Any]) -> None:
    """Write a turn's score fields from the scorer's result (the only writer of them)."""
    turn.breakdown = dict(automatic)
    turn.score = int(automatic["score"])
    turn.band = str(automatic["band"])


def final_score_of(scores: Iterable[int]) -> int | None:
    """An attempt's final score: the rounded mean of its turns' scores (None without turns)."""
    values = list(scores)
    return round(sum(values) / len(values)) if values else None


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
        .where(Attempt.user_id == user_id, Attempt.finished_at.is_not(None))
    )
    if mode:
        query = query.where(Attempt.mode == mode)
    return skill_results(db.session.execute(query).scalars())
