"""Branch conditions: one registry entry per ``when`` key, owning how it is parsed, tested, written
back, described and shown in the authoring form.

The parser (:mod:`scenarios.model`), the engine (``When.holds``), the linter (which conditions
depend on the reply), the diagrams (``describe``) and the authoring editor (``label``/``kind``) all
read :data:`CONDITIONS`, so a new condition is one new entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.rubrics import BANDS, BLOCKER_IDS

Add = Callable[[str, str], None]


@dataclass(frozen=True)
class Condition:
    """One ``when`` key.

    Attributes:
        key: The YAML key.
        label: Chinese label for the authoring form.
        kind: Input kind for the form: ``bands``, ``int``, ``items`` or ``blocker``.
        parse: ``(raw value, path, add_problem, rubric item ids or None) -> value or None``.
        holds: ``(value, score result, emotion before the reply, 1-based turn) -> bool``.
        describe: ``value -> short text`` for diagrams and trainers' pages.
        to_data: ``value -> plain YAML value``.
        depends_on_reply: False when only the dialogue state (emotion, turn) decides it.
    """

    key: str
    label: str
    kind: str
    parse: Callable[[Any, str, Add, frozenset[str] | None], Any]
    holds: Callable[[Any, Any, int, int], bool]
    describe: Callable[[Any], str]
    to_data: Callable[[Any], Any]
    depends_on_reply: bool = True


def _id_list(value: Any, path: str, add: Add) -> tuple[str, ...] | None:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(item, str) and item for item in values):
        add(path, f"应为 id 或 id 列表,实际为 {value!r}")
        return None
    return tuple(values)


def _integer(low: int, high: int | None) -> Callable[[Any, str, Add, frozenset[str] | None], int | None]:
    def parse(value: Any, path: str, add: Add, _items: frozenset[str] | None) -> int | None:
        if value is None:
            add(path, "缺少必填字段")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            add(path, f"应为整数,实际为 {value!r}")
            return None
        if value < low or (high is not None and value > high):
            bound = f"{low}..{high}" if high is not None else f">= {low}"
            add(path, f"应在 {bound} 之间,实际为 {value}")
            return None
        return value

    return parse


def _parse_bands(value: Any, path: str, add: Add, _items: frozenset[str] | None) -> tuple[str, ...] | None:
    bands = _id_list(value, path, add)
    if bands is not None:
        for band in bands:
            if band not in BANDS:
                add(path, f"未知等级 '{band}',可选: {', '.join(BANDS)}")
    return bands


def _parse_items(value: Any, path: str, add: Add, items: frozenset[str] | None) -> tuple[str, ...] | None:
    ids = _id_list(value, path, add)
    if ids is not None and items is not None:
        for item_id in ids:
            if item_id not in items:
                add(path, f"'{item_id}' 不是本节点评分表的条目,可选: {', '.join(sorted(items))}")
    return ids


def _parse_blocker(value: Any, path: str, add: Add, _items: frozenset[str] | None) -> bool | tuple[str, ...] | None:
    if isinstance(value, bool):
        return value
    ids = _id_list(value, path, add)
    if ids is not None:
        for blocker_id in ids:
            if blocker_id not in BLOCKER_IDS:
                add(path, f"未知否决项 '{blocker_id}',可选: {', '.join(sorted(BLOCKER_IDS))}")
    return ids


def _blocker_holds(value: Any, result: Any, _emotion: int, _turn: int) -> bool:
    blockers = set(result.blocker_ids)
    if value is True:
        return bool(blockers)
    if value is False:
        return not blockers
    return bool(blockers & set(value))


def _blocker_describe(value: Any) -> str:
    if value is True:
        return "blocker"
    if value is False:
        return "no blocker"
    return "blocker∈" + ",".join(value)


def _same(value: Any) -> Any:
    return value


def _as_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


CONDITIONS: Mapping[str, Condition] = {
    condition.key: condition
    for condition in (
        Condition("band", "评分等级", "bands", _parse_bands,
                  lambda v, r, e, t: r.band in v, lambda v: "band∈" + "/".join(v), list),
        Condition("min_score", "得分 ≥", "int", _integer(0, 100),
                  lambda v, r, e, t: r.score >= v, lambda v: f"score>={v}", _same),
        Condition("max_score", "得分 ≤", "int", _integer(0, 100),
                  lambda v, r, e, t: r.score <= v, lambda v: f"score<={v}", _same),
        Condition("hit", "命中要点(全部)", "items", _parse_items,
                  lambda v, r, e, t: set(v) <= set(r.hit_ids), lambda v: "hit=" + ",".join(v), list),
        Condition("miss", "漏掉要点(全部)", "items", _parse_items,
                  lambda v, r, e, t: set(v) <= set(r.miss_ids), lambda v: "miss=" + ",".join(v), list),
        Condition("blocker", "否决项", "blocker", _parse_blocker, _blocker_holds, _blocker_describe, _as_list),
        Condition("emotion_gte", "回复前情绪 ≥", "int", _integer(0, 100),
                  lambda v, r, e, t: e >= v, lambda v: f"emotion>={v}", _same, depends_on_reply=False),
        Condition("emotion_lte", "回复前情绪 ≤", "int", _integer(0, 100),
                  lambda v, r, e, t: e <= v, lambda v: f"emotion<={v}", _same, depends_on_reply=False),
        Condition("turn_gte", "第几轮 ≥", "int", _integer(1, None),
                  lambda v, r, e, t: t >= v, lambda v: f"turn>={v}", _same, depends_on_reply=False),
        Condition("turn_lte", "第几轮 ≤", "int", _integer(1, None),
                  lambda v, r, e, t: t <= v, lambda v: f"turn<={v}", _same, depends_on_reply=False),
    )
}


def get_condition(key: str) -> Condition:
    """Look a condition up by its ``when`` key.

    Raises:
        KeyError: Unknown key; the message lists the valid keys.
    """
    try:
        return CONDITIONS[key]
    except KeyError:
        raise KeyError(f"未知条件 {key!r},可用: {', '.join(CONDITIONS)}") from None
