"""Bridge to the ``scoring`` package: bands, skill tags, blocker ids and rubric-spec checks.

The scenario format refers to things ``scoring`` owns, so validation asks ``scoring`` for them: a
node's rubric spec is accepted exactly when ``scoring.Rubric.from_spec`` accepts it.
"""

from __future__ import annotations

from typing import Any

import scoring

BANDS: tuple[str, ...] = tuple(scoring.BANDS)
SKILL_IDS: frozenset[str] = frozenset(scoring.SKILL_LABELS)
BLOCKER_IDS: frozenset[str] = frozenset(
    blocker.id for rubric in scoring.RUBRICS.values() for blocker in rubric.blockers
)
CATEGORIES: tuple[str, ...] = ("complaint", "emergency", "inquiry")


def rubric_item_ids(spec: Any, path: str) -> tuple[frozenset[str] | None, tuple[str, str] | None]:
    """Check a node's rubric spec and list the checklist item ids it yields.

    Args:
        spec: A built-in rubric name or an adjustment mapping (see ``scoring.Rubric.from_spec``).
        path: Where the spec sits in its file, e.g. ``nodes.opening.rubric``.

    Returns:
        ``(item_ids, None)`` when the spec is valid, ``(None, (path, message))`` when it is not; the
        path is the most precise one ``scoring`` reports (e.g. ``nodes.opening.rubric.drop[0]``).
    """
    if isinstance(spec, scoring.Rubric) or not isinstance(spec, str | dict):
        return None, (path, f"应为内置评分表名称或调整映射,实际为 {type(spec).__name__}")
    try:
        rubric = scoring.Rubric.from_spec(spec, path=path)
    except ValueError as exc:
        message = str(exc)
        where, separator, rest = message.partition(": ")
        if separator and where.startswith(path):
            return None, (where, rest)
        return None, (path, message)
    return frozenset(rubric.item_ids), None
