"""The trainee's scenario catalogue: current scenarios with their attempt count, best score and open attempt."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

import scoring

from ..extensions import db
from ..models import Attempt, ContentVersion, User
from .labels import CATEGORY_LABELS


@dataclass
class Card:
    """One scenario in the trainee's catalogue."""

    content: ContentVersion
    key: str
    title: str
    summary: str
    category: str
    difficulty: int
    skills: list[tuple[str, str]]
    channel: str
    timed: bool
    attempts: int = 0
    best: int | None = None
    in_progress: int | None = None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


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
            difficulty=int(data.get("difficulty") or 1),
            skills=[(tag, scoring.SKILL_LABELS.get(tag, tag)) for tag in skills],
            channel=data.get("channel", ""), timed=timed, attempts=count, best=best,
            in_progress=unfinished.get(row.key),
        ))
    cards.sort(key=lambda card: (card.category, card.difficulty, card.title))
    return cards
