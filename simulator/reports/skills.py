"""Per-turn skill tallies (``turn_skill``), kept beside ``Turn.breakdown`` so reports never parse JSON in bulk.

A new or re-scored turn gets its rows in the same transaction (mapper events on ``Turn``); turns
written some other way (bulk inserts, older data) are caught up by :func:`sync_missing` before a
report reads the tallies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, exists, func, insert, inspect, select

from ..extensions import db
from ..models import Turn, TurnSkill

BATCH = 2000


def skill_rows(turn_id: int, attempt_id: int, breakdown: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``turn_skill`` rows of one turn: hits and misses per skill tag (one empty-skill row if none)."""
    tally: dict[str, list[int]] = {}
    for key, slot in (("hits", 0), ("misses", 1)):
        for item in (breakdown or {}).get(key) or []:
            skill = (item or {}).get("skill") or ""
            if skill:
                tally.setdefault(skill[:40], [0, 0])[slot] += 1
    if not tally:
        return [{"turn_id": turn_id, "attempt_id": attempt_id, "skill": "", "hits": 0, "misses": 0}]
    return [
        {"turn_id": turn_id, "attempt_id": attempt_id, "skill": skill, "hits": hits, "misses": misses}
        for skill, (hits, misses) in tally.items()
    ]


@event.listens_for(Turn, "after_insert")
def _turn_inserted(mapper, connection, target: Turn) -> None:
    connection.execute(insert(TurnSkill.__table__), skill_rows(target.id, target.attempt_id, target.breakdown))


@event.listens_for(Turn, "after_update")
def _turn_updated(mapper, connection, target: Turn) -> None:
    if not inspect(target).attrs.breakdown.history.has_changes():
        return
    connection.execute(delete(TurnSkill.__table__).where(TurnSkill.turn_id == target.id))
    connection.execute(insert(TurnSkill.__table__), skill_rows(target.id, target.attempt_id, target.breakdown))


def backfill(connection) -> int:
    """Write the tallies of every turn that has none, in batches; returns how many turns were done."""
    done = 0
    missing = (
        select(Turn.id, Turn.attempt_id, Turn.breakdown)
        .where(~exists().where(TurnSkill.turn_id == Turn.id))
        .order_by(Turn.id)
        .limit(BATCH)
    )
    last = 0
    while True:
        rows = connection.execute(missing.where(Turn.id > last)).all()
        if not rows:
            return done
        values = [value for row in rows for value in skill_rows(row.id, row.attempt_id, row.breakdown)]
        connection.execute(insert(TurnSkill.__table__), values)
        done += len(rows)
        last = rows[-1].id


def sync_missing(*, thorough: bool = True) -> int:
    """Catch up the tallies of turns written without the ORM; returns how many turns were caught up.

    ``thorough=False`` (pages) only compares the newest turn with the newest tally, two index lookups,
    which catches turns appended in bulk; the thorough check (exports, a job) looks at every turn.
    """
    if not thorough:
        newest_turn = db.session.scalar(select(func.max(Turn.id)))
        if newest_turn is None or newest_turn == db.session.scalar(select(func.max(TurnSkill.turn_id))):
            return 0
    if db.session.scalar(select(Turn.id).where(~exists().where(TurnSkill.turn_id == Turn.id)).limit(1)) is None:
        return 0
    done = backfill(db.session.connection())
    db.session.commit()
    return done
