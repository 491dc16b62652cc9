"""The scenario format: dataclasses, parsing from plain data, and structural validation.

A scenario file is parsed in one pass that collects every problem with its path inside the file
(``nodes.n3.branches[1].to``) and raises a single :class:`ValidationError` listing them all, so a
broken file never half-loads.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contentio import Problem
from scenarios.conditions import CONDITIONS
from scenarios.rubrics import CATEGORIES, SKILL_IDS, rubric_item_ids

SCHEMA_VERSION = 1
CHANNELS: tuple[str, ...] = ("上门", "电话", "对讲", "前台")
ENDING_KINDS: tuple[str, ...] = ("resolved", "escalated", "timed_out")
DEFAULT_MAX_TURNS = 12
MIN_LINES = 2
MIN_REFERENCES = 3

SCENARIO_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NODE_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")

_TOP_KEYS = {
    "schema_version", "id", "title", "summary", "category", "difficulty", "source", "also_sources",
    "skills", "persona", "channel", "time_limit_s", "max_turns", "start", "nodes", "endings",
}
_NODE_KEYS = {"lines", "references", "rubric", "time_limit_s", "on_timeout", "branches"}


class ValidationError(ValueError):
    """A scenario file is invalid. ``problems`` lists every problem; the message shows them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _Collector:
    """Collects problems for one file while the parser walks it."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"应为映射(mapping),实际为 {_type_name(value)}")
            return None
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        where = _join(path, key)
        if key not in data or data[key] is None:
            if required:
                self.add(where, "缺少必填字段")
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.add(where, f"应为非空字符串,实际为 {value!r}")
            return None
        return value.strip()

    def integer(
        self, data: Mapping[str, Any], key: str, path: str, *, low: int, high: int | None = None,
        required: bool = True,
    ) -> int | None:
        where = _join(path, key)
        if key not in data or data[key] is None:
            if required:
                self.add(where, "缺少必填字段")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"应为整数,实际为 {value!r}")
            return None
        if value < low or (high is not None and value > high):
            bound = f"{low}..{high}" if high is not None else f">= {low}"
            self.add(where, f"应在 {bound} 之间,实际为 {value}")
            return None
        return value

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.add(_join(path, str(key)), f"未知字段,可用字段: {', '.join(sorted(allowed))}")


def _type_name(value: Any) -> str:
    return "空值" if value is None else type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


GENERAL_SOURCE_MAX = 20


@dataclass(frozen=True)
class Source:
    """A citation of a manual (file name and section title as it appears in the file), or guidance
    that no manual contains.

    ``general`` names the practice the content follows instead, e.g. ``通用安全规范`` (written
    ``source: {general: 通用安全规范}``); pages show it as 「手册未收录,按通用安全规范」. An
    organisation's own SOP is cited like a manual, by putting its file beside the manuals.
    """

    file: str = ""
    section: str = ""
    general: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the citation as ``{file, section}``, or ``{general}``."""
        if self.general:
            return {"general": self.general}
        return {"file": self.file, "section": self.section}


@dataclass(frozen=True)
class Persona:
    """The resident the trainee talks to; ``emotion`` is the starting emotion (0 calm .. 100 furious)."""

    name: str
    role: str
    emotion: int

    def to_dict(self) -> dict[str, Any]:
        """Return the persona as plain data."""
        return {"name": self.name, "role": self.role, "emotion": self.emotion}


class When:
    """A branch condition; every condition that is set must hold (see :mod:`scenarios.conditions`).

    Built from keyword arguments named like the ``when`` keys (``When(band=("优秀",), hit=("apologize",))``);
    each key reads back as an attribute (``when.band``; an unset condition reads as None, or ``()``
    for ``hit`` / ``miss``). ``blocker`` is ``True``/``False`` (any blocker / no blocker) or a tuple of
    blocker ids (any present). Emotion bounds compare with the emotion before the reply; turn bounds
    with the 1-based reply number.
    """

    __slots__ = ("_values",)
    _EMPTY = {"hit": (), "miss": ()}

    def __init__(self, **conditions: Any) -> None:
        unknown = set(conditions) - set(CONDITIONS)
        if unknown:
            raise TypeError(f"未知条件 {sorted(unknown)},可用: {', '.join(CONDITIONS)}")
        values = tuple(
            (key, conditions[key]) for key in CONDITIONS
            if conditions.get(key) is not None and conditions.get(key) != ()
        )
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        if name in CONDITIONS:
            return dict(self._values).get(name, self._EMPTY.get(name))
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("When is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, When) and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return "When(" + ", ".join(f"{key}={value!r}" for key, value in self._values) + ")"

    def items(self) -> tuple[tuple[str, Any], ...]:
        """The conditions that are set, in registry order."""
        return self._values

    def holds(self, result: Any, *, emotion: int, turn: int) -> bool:
        """Whether the condition holds for a scored reply.

        Args:
            result: A ``scoring.ScoreResult`` (uses ``score``, ``band``, ``hit_ids``, ``miss_ids``,
                ``blocker_ids``).
            emotion: The resident's emotion before this reply.
            turn: The 1-based number of the reply being judged.

        Returns:
            True when every condition that is set holds.
        """
        return all(CONDITIONS[key].holds(value, result, emotion, turn) for key, value in self._values)

    def state_part_holds(self, *, emotion: int, turn: int) -> bool:
        """Whether the conditions that do not depend on the reply (emotion, turn) hold."""
        return all(
            CONDITIONS[key].holds(value, None, emotion, turn)
            for key, value in self._values if not CONDITIONS[key].depends_on_reply
        )

    @property
    def depends_on_reply(self) -> bool:
        """True when some condition reads the scored reply (band, score, items, blockers)."""
        return any(CONDITIONS[key].depends_on_reply for key, _value in self._values)

    def to_dict(self) -> dict[str, Any]:
        """Return only the conditions that are set."""
        return {key: CONDITIONS[key].to_data(value) for key, value in self._values}

    def describe(self) -> str:
        """Short human-readable form, e.g. ``band∈优秀/良好 hit=apologize``."""
        return " ".join(CONDITIONS[key].describe(value) for key, value in self._values)


@dataclass(frozen=True)
class Branch:
    """One ordered branch: taken when ``when`` holds (or always when ``when`` is None)."""

    to: str
    emotion: int
    when: When | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the branch as plain data."""
        data: dict[str, Any] = {}
        if self.when is not None:
            data["when"] = self.when.to_dict()
        data["emotion"] = self.emotion
        data["to"] = self.to
        return data


@dataclass(frozen=True)
class Timeout:
    """What a late reply does: change the emotion and go to ``to``."""

    to: str
    emotion: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as plain data."""
        return {"emotion": self.emotion, "to": self.to}


@dataclass(frozen=True)
class Node:
    """One step of the dialogue: the resident speaks, the trainee replies, a branch is taken."""

    id: str
    lines: tuple[str, ...]
    references: tuple[str, ...]
    rubric: str | Mapping[str, Any]
    branches: tuple[Branch, ...]
    time_limit_s: int | None = None
    on_timeout: Timeout | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the node as plain data (without its id, which is the mapping key)."""
        data: dict[str, Any] = {
            "lines": list(self.lines),
            "references": list(self.references),
            "rubric": _plain(self.rubric),
        }
        if self.time_limit_s is not None:
            data["time_limit_s"] = self.time_limit_s
        if self.on_timeout is not None:
            data["on_timeout"] = self.on_timeout.to_dict()
        data["branches"] = [branch.to_dict() for branch in self.branches]
        return data


@dataclass(frozen=True)
class Ending:
    """How an attempt can end; ``kind`` is ``resolved``, ``escalated`` or ``timed_out``."""

    id: str
    kind: str
    title: str
    debrief: str

    def to_dict(self) -> dict[str, str]:
        """Return the ending as plain data (without its id)."""
        return {"kind": self.kind, "title": self.title, "debrief": self.debrief}


@dataclass(frozen=True)
class Scenario:
    """A role-play scenario: persona, dialogue graph and endings."""

    id: str
    title: str
    summary: str
    category: str
    difficulty: int
    source: Source
    skills: tuple[str, ...]
    persona: Persona
    channel: str
    start: str
    nodes: dict[str, Node]
    endings: dict[str, Ending]
    also_sources: tuple[Source, ...] = ()
    time_limit_s: int | None = None
    max_turns: int = DEFAULT_MAX_TURNS
    schema_version: int = SCHEMA_VERSION
    _version: str = field(default="", init=False, repr=False, compare=False)

    @property
    def version(self) -> str:
        """First 12 hex characters of the sha256 of the canonical JSON of :meth:`to_dict`."""
        if not self._version:
            canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            object.__setattr__(self, "_version", hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12])
        return self._version

    def time_limit_for(self, node_id: str) -> int | None:
        """The per-turn limit in seconds at a node (node override, else the scenario default)."""
        node = self.nodes[node_id]
        return node.time_limit_s if node.time_limit_s is not None else self.time_limit_s

    def timeout_rule(self, node_id: str) -> Timeout | None:
        """What a late reply at ``node_id`` does, or None when the node has no time limit."""
        if self.time_limit_for(node_id) is None:
            return None
        node = self.nodes[node_id]
        if node.on_timeout is not None:
            return node.on_timeout
        fallback = self.first_ending("timed_out")
        return Timeout(to=fallback) if fallback is not None else None

    def first_ending(self, kind: str) -> str | None:
        """Id of the first ending of a kind (in file order), or None."""
        return next((ending.id for ending in self.endings.values() if ending.kind == kind), None)

    def targets(self, node_id: str) -> list[str]:
        """Every node or ending a node can lead to (branches, then the timeout rule)."""
        node = self.nodes[node_id]
        targets = [branch.to for branch in node.branches]
        rule = self.timeout_rule(node_id)
        if rule is not None:
            targets.append(rule.to)
        return targets

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as plain, JSON-safe data accepted by :meth:`from_dict`."""
        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "category": self.category,
            "difficulty": self.difficulty,
            "source": self.source.to_dict(),
        }
        if self.also_sources:
            data["also_sources"] = [source.to_dict() for source in self.also_sources]
        data["skills"] = list(self.skills)
        data["persona"] = self.persona.to_dict()
        data["channel"] = self.channel
        if self.time_limit_s is not None:
            data["time_limit_s"] = self.time_limit_s
        data["max_turns"] = self.max_turns
        data["start"] = self.start
        data["nodes"] = {node_id: node.to_dict() for node_id, node in self.nodes.items()}
        data["endings"] = {ending_id: ending.to_dict() for ending_id, ending in self.endings.items()}
        return data

    @classmethod
    def from_dict(cls, data: Any, *, file: str = "<data>") -> Scenario:
        """Parse and validate plain data (as loaded from YAML).

        Args:
            data: The parsed file.
            file: Name used in error messages.

        Returns:
            The scenario.

        Raises:
            ValidationError: Listing every problem found, each with its path in the file.
        """
        collector = _Collector(file)
        scenario = _parse_scenario(data, collector)
        if collector.problems or scenario is None:
            raise ValidationError(collector.problems or [Problem(file, "", "无法解析")])
        return scenario

    def validate(self) -> None:
        """Re-check this scenario (e.g. after building it in code).

        Raises:
            ValidationError: When the scenario is not valid.
        """
        Scenario.from_dict(self.to_dict(), file=self.id)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _parse_source(value: Any, path: str, c: _Collector) -> Source | None:
    data = c.mapping(value, path)
    if data is None:
        return None
    c.unknown_keys(data, {"file", "section", "general"}, path)
    if "general" in data:
        general = c.text(data, "general", path)
        if "file" in data or "section" in data:
            c.add(path, "general(手册未收录的通用做法)不能与 file/section 同时出现")
            return None
        if general is not None and len(general) > GENERAL_SOURCE_MAX:
            c.add(_join(path, "general"), f"应为简短的做法名称(不超过 {GENERAL_SOURCE_MAX} 字),如 通用安全规范")
            return None
        return Source(general=general) if general is not None else None
    file = c.text(data, "file", path)
    section = c.text(data, "section", path)
    if file is None or section is None:
        return None
    return Source(file=file, section=section)


def _parse_string_list(value: Any, path: str, c: _Collector, *, minimum: int) -> tuple[str, ...]:
    if not isinstance(value, list):
        c.add(path, f"应为字符串列表,实际为 {_type_name(value)}")
        return ()
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            c.add(f"{path}[{index}]", f"应为非空字符串,实际为 {item!r}")
        else:
            items.append(item.strip())
    if len(value) < minimum:
        c.add(path, f"至少需要 {minimum} 条,实际 {len(value)} 条")
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        c.add(path, f"有重复的条目: {duplicates[0]!r}")
    return tuple(items)


def _parse_emotion_delta(data: Mapping[str, Any], path: str, c: _Collector, *, required: bool) -> int:
    value = c.integer(data, "emotion", path, low=-100, high=100, required=required)
    return value if value is not None else 0


def _parse_when(value: Any, path: str, c: _Collector, items: frozenset[str] | None) -> When | None:
    data = c.mapping(value, path)
    if data is None:
        return None
    if not data:
        c.add(path, "条件为空;默认分支请省略 when")
        return None
    c.unknown_keys(data, set(CONDITIONS), path)
    fields: dict[str, Any] = {}
    for key, condition in CONDITIONS.items():
        if key in data:
            fields[key] = condition.parse(data[key], _join(path, key), c.add, items)
    if fields.get("min_score") is not None and fields.get("max_score") is not None:
        if fields["min_score"] > fields["max_score"]:
            c.add(path, "min_score 大于 max_score,条件永远不成立")
    return When(**{key: value for key, value in fields.items() if value is not None})


def _parse_node(
    node_id: str, value: Any, path: str, c: _Collector
) -> Node | None:
    data = c.mapping(value, path)
    if data is None:
        return None
    c.unknown_keys(data, _NODE_KEYS, path)
    lines = _parse_string_list(data.get("lines"), _join(path, "lines"), c, minimum=MIN_LINES)
    references = _parse_string_list(
        data.get("references"), _join(path, "references"), c, minimum=MIN_REFERENCES
    )
    items: frozenset[str] | None = None
    rubric = data.get("rubric")
    if rubric is None:
        c.add(_join(path, "rubric"), "缺少必填字段")
    else:
        items, error = rubric_item_ids(rubric, _join(path, "rubric"))
        if error is not None:
            c.add(*error)
    time_limit = c.integer(data, "time_limit_s", path, low=1, required=False)
    on_timeout: Timeout | None = None
    if data.get("on_timeout") is not None:
        timeout_path = _join(path, "on_timeout")
        timeout_data = c.mapping(data["on_timeout"], timeout_path)
        if timeout_data is not None:
            c.unknown_keys(timeout_data, {"emotion", "to"}, timeout_path)
            target = c.text(timeout_data, "to", timeout_path)
            delta = _parse_emotion_delta(timeout_data, timeout_path, c, required=False)
            if target is not None:
                on_timeout = Timeout(to=target, emotion=delta)
    branches: list[Branch] = []
    raw_branches = data.get("branches")
    branches_path = _join(path, "branches")
    if not isinstance(raw_branches, list) or not raw_branches:
        c.add(branches_path, "应为非空的分支列表")
    else:
        for index, raw in enumerate(raw_branches):
            branch_path = f"{branches_path}[{index}]"
            branch_data = c.mapping(raw, branch_path)
            if branch_data is None:
                continue
            c.unknown_keys(branch_data, {"when", "emotion", "to"}, branch_path)
            when = None
            if "when" in branch_data:
                when = _parse_when(branch_data["when"], _join(branch_path, "when"), c, items)
                if index == len(raw_branches) - 1:
                    c.add(
                        _join(branch_path, "when"),
                        "最后一个分支不能带 when(必须有默认分支,保证每次回复都有去向)",
                    )
            delta = _parse_emotion_delta(branch_data, branch_path, c, required=True)
            target = c.text(branch_data, "to", branch_path)
            if target is not None:
                branches.append(Branch(to=target, emotion=delta, when=when))
    return Node(
        id=node_id,
        lines=lines,
        references=references,
        rubric=_plain(rubric) if isinstance(rubric, Mapping) else rubric,
        branches=tuple(branches),
        time_limit_s=time_limit,
        on_timeout=on_timeout,
    )


def _parse_ending(ending_id: str, value: Any, path: str, c: _Collector) -> Ending | None:
    data = c.mapping(value, path)
    if data is None:
        return None
    c.unknown_keys(data, {"kind", "title", "debrief"}, path)
    kind = c.text(data, "kind", path)
    if kind is not None and kind not in ENDING_KINDS:
        c.add(_join(path, "kind"), f"未知结局类型 '{kind}',可选: {', '.join(ENDING_KINDS)}")
        kind = None
    title = c.text(data, "title", path)
    debrief = c.text(data, "debrief", path)
    if kind is None or title is None or debrief is None:
        return None
    return Ending(id=ending_id, kind=kind, title=title, debrief=debrief)


def _parse_scenario(raw: Any, c: _Collector) -> Scenario | None:
    data = c.mapping(raw, "")
    if data is None:
        return None
    c.unknown_keys(data, _TOP_KEYS, "")
    if data.get("schema_version") != SCHEMA_VERSION:
        c.add("schema_version", f"应为 {SCHEMA_VERSION},实际为 {data.get('schema_version')!r}")
    scenario_id = c.text(data, "id", "")
    if scenario_id is not None and not SCENARIO_ID_RE.match(scenario_id):
        c.add("id", f"'{scenario_id}' 不合规:只能用小写字母、数字和连字符")
    title = c.text(data, "title", "")
    summary = c.text(data, "summary", "")
    category = c.text(data, "category", "")
    if category is not None and category not in CATEGORIES:
        c.add("category", f"未知类别 '{category}',可选: {', '.join(CATEGORIES)}")
    difficulty = c.integer(data, "difficulty", "", low=1, high=3)
    source = _parse_source(data.get("source"), "source", c) if "source" in data else None
    if "source" not in data:
        c.add("source", "缺少必填字段")
    also_sources: list[Source] = []
    if data.get("also_sources") is not None:
        if not isinstance(data["also_sources"], list):
            c.add("also_sources", "应为列表")
        else:
            for index, item in enumerate(data["also_sources"]):
                parsed = _parse_source(item, f"also_sources[{index}]", c)
                if parsed is not None:
                    also_sources.append(parsed)
    skills = _parse_string_list(data.get("skills"), "skills", c, minimum=1)
    for index, skill in enumerate(skills):
        if skill not in SKILL_IDS:
            c.add(f"skills[{index}]", f"未知技能标签 '{skill}',可选: {', '.join(sorted(SKILL_IDS))}")
    persona: Persona | None = None
    persona_data = c.mapping(data.get("persona"), "persona")
    if persona_data is not None:
        c.unknown_keys(persona_data, {"name", "role", "emotion"}, "persona")
        name = c.text(persona_data, "name", "persona")
        role = c.text(persona_data, "role", "persona")
        emotion = c.integer(persona_data, "emotion", "persona", low=0, high=100)
        if name is not None and role is not None and emotion is not None:
            persona = Persona(name=name, role=role, emotion=emotion)
    channel = c.text(data, "channel", "")
    if channel is not None and channel not in CHANNELS:
        c.add("channel", f"未知渠道 '{channel}',可选: {' / '.join(CHANNELS)}")
    time_limit = c.integer(data, "time_limit_s", "", low=1, required=False)
    max_turns = c.integer(data, "max_turns", "", low=1, required=False)
    start = c.text(data, "start", "")

    nodes: dict[str, Node] = {}
    raw_nodes = c.mapping(data.get("nodes"), "nodes")
    if raw_nodes is not None:
        if not raw_nodes:
            c.add("nodes", "至少需要一个节点")
        for node_id, raw_node in raw_nodes.items():
            path = f"nodes.{node_id}"
            if not isinstance(node_id, str) or not NODE_ID_RE.match(node_id):
                c.add(path, f"节点 id '{node_id}' 不合规:以小写字母开头,只用小写字母、数字、_ 和 -")
                continue
            node = _parse_node(node_id, raw_node, path, c)
            if node is not None:
                nodes[node_id] = node
    endings: dict[str, Ending] = {}
    raw_endings = c.mapping(data.get("endings"), "endings")
    if raw_endings is not None:
        for ending_id, raw_ending in raw_endings.items():
            path = f"endings.{ending_id}"
            if not isinstance(ending_id, str) or not NODE_ID_RE.match(ending_id):
                c.add(path, f"结局 id '{ending_id}' 不合规:以小写字母开头,只用小写字母、数字、_ 和 -")
                continue
            if raw_nodes is not None and ending_id in raw_nodes:
                c.add(path, f"'{ending_id}' 同时是节点 id 和结局 id")
            ending = _parse_ending(ending_id, raw_ending, path, c)
            if ending is not None:
                endings[ending_id] = ending
        kinds = {ending.kind for ending in endings.values()}
        for required_kind in ("resolved", "escalated"):
            if required_kind not in kinds and not any(
                p.path.startswith("endings.") for p in c.problems
            ):
                c.add("endings", f"缺少 kind: {required_kind} 的结局")

    _check_references(data, raw_nodes, nodes, endings, start, time_limit, c)
    if c.problems:
        return None
    assert scenario_id and title and summary and category and difficulty and source and persona
    assert channel and start
    return Scenario(
        id=scenario_id,
        title=title,
        summary=summary,
        category=category,
        difficulty=difficulty,
        source=source,
        skills=skills,
        persona=persona,
        channel=channel,
        start=start,
        nodes=nodes,
        endings=endings,
        also_sources=tuple(also_sources),
        time_limit_s=time_limit,
        max_turns=max_turns if max_turns is not None else DEFAULT_MAX_TURNS,
    )


def _check_references(
    data: Mapping[str, Any],
    raw_nodes: Mapping[str, Any] | None,
    nodes: dict[str, Node],
    endings: dict[str, Ending],
    start: str | None,
    scenario_limit: int | None,
    c: _Collector,
) -> None:
    """Check that ``start``, every branch target and every timeout target exist."""
    if raw_nodes is None:
        return
    known = set(raw_nodes) | set(endings)
    if start is not None and start not in raw_nodes:
        c.add("start", f"unknown node '{start}':没有这个节点")
    has_timed_out = any(ending.kind == "timed_out" for ending in endings.values())
    for node_id, node in nodes.items():
        for index, branch in enumerate(node.branches):
            if branch.to not in known:
                c.add(f"nodes.{node_id}.branches[{index}].to", f"unknown node '{branch.to}':没有这个节点或结局")
        if node.on_timeout is not None and node.on_timeout.to not in known:
            c.add(f"nodes.{node_id}.on_timeout.to", f"unknown node '{node.on_timeout.to}':没有这个节点或结局")
        timed = node.time_limit_s is not None or scenario_limit is not None
        if node.on_timeout is not None and not timed:
            c.add(f"nodes.{node_id}.on_timeout", "节点没有 time_limit_s(场景也没有),on_timeout 永远不会生效")
        if timed and node.on_timeout is None and not has_timed_out:
            c.add(
                f"nodes.{node_id}",
                "限时节点需要 on_timeout,或场景里要有 kind: timed_out 的结局作为默认去向",
            )
