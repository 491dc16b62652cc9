"""The structured scenario editor: a scenario document to form fields and back.

:func:`editor_model` turns a document (valid or not) into what ``author/_editor.html`` renders;
:func:`document_from_form` reads the posted fields back into a document. The two are inverse: the
form of a document posts back the same document (``tests/author/test_editor_roundtrip.py`` renders
every library scenario's form, posts it and compares). Keys the form has no field for are carried in
hidden ``_extra`` fields, so nothing in a document is lost by saving it through the form; the
validator still reports them.

Field names are positional (``n3.b1.to`` is node 3's branch 1's target) because node ids change
while a trainer types; problems are matched to fields by their document path
(``nodes.inspect.branches[1].to``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import scoring
from scenarios import authoring as scenario_authoring
from scenarios.conditions import CONDITIONS as BRANCH_CONDITIONS
from scenarios.loader import parse_yaml_text
from scenarios.model import CHANNELS, ENDING_KINDS, Problem, ValidationError
from scenarios.rubrics import BANDS, CATEGORIES

CATEGORY_LABELS = {"complaint": "投诉处理", "emergency": "应急处置", "inquiry": "咨询答复"}
KIND_LABELS = {"resolved": "圆满解决", "escalated": "矛盾升级", "timed_out": "响应超时"}
BLOCKER_MODES = {"": "不限", "true": "出现任一否决项", "false": "没有否决项", "ids": "出现下列否决项之一"}
STANDARD_BLOCKERS = {b.id: b.label for b in scoring.RUBRICS["complaint"].blockers}
for _rubric in scoring.RUBRICS.values():
    for _blocker in _rubric.blockers:
        STANDARD_BLOCKERS.setdefault(_blocker.id, _blocker.label)

# Branch conditions the editor offers, in order: (key, Chinese label, input kind), from the registry.
CONDITIONS: tuple[tuple[str, str, str], ...] = tuple((c.key, c.label, c.kind) for c in BRANCH_CONDITIONS.values())
CONDITION_KEYS = frozenset(key for key, _label, _kind in CONDITIONS)
_NODE_KEYS = {"lines", "references", "rubric", "time_limit_s", "on_timeout", "branches"}
_TOP_KEYS = {
    "schema_version", "id", "title", "summary", "category", "difficulty", "source", "also_sources",
    "skills", "persona", "channel", "time_limit_s", "max_turns", "start", "nodes", "endings",
}
ITEM_FIELDS = ("id", "label", "weight", "skill", "keywords", "exemplars")
BLOCKER_FIELDS = ("id", "reason", "keywords", "cap", "always")
_RUBRIC_FIELDS = {"base", "drop", "weights", "add", "add_blockers"}
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)$")


# ------------------------------------------------------------------------------------------------
# View model
# ------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lines(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return _text(value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_text(item) for item in value]
    return [_text(value)]


def _extra(data: Any, known: set[str]) -> str:
    if not isinstance(data, Mapping):
        return ""
    rest = {key: value for key, value in data.items() if key not in known}
    return json.dumps(rest, ensure_ascii=False) if rest else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass
class Choice:
    value: str
    label: str
    known: bool = True


@dataclass
class ItemForm:
    prefix: str
    path: str
    values: dict[str, str]
    extra: str


@dataclass
class RubricForm:
    prefix: str
    path: str
    as_name: bool
    base: str
    base_items: list[Choice]
    drop: list[str]
    weights: dict[str, str]
    add: list[ItemForm]
    add_blockers: list[ItemForm]
    advanced: str
    items: list[Choice]  # every checklist item of the rubric as configured (for hit / miss)
    inline: str = ""  # YAML of a rubric the form cannot show (inline ``items`` rubric); edit it as YAML


@dataclass
class BranchForm:
    prefix: str
    path: str
    emotion: str
    to: str
    bands: list[str]
    values: dict[str, str]
    hit: list[str]
    miss: list[str]
    blocker_mode: str
    blocker_ids: list[str]
    when_extra: str
    extra: str


@dataclass
class NodeForm:
    prefix: str
    path: str
    id: str
    lines: str
    references: str
    time_limit_s: str
    timeout_to: str
    timeout_emotion: str
    rubric: RubricForm
    branches: list[BranchForm]
    extra: str


@dataclass
class EndingForm:
    prefix: str
    path: str
    id: str
    kind: str
    title: str
    debrief: str
    extra: str


@dataclass
class EditorModel:
    """Everything the structured editor renders for one document."""

    meta: dict[str, str]
    skills: list[str]
    persona: dict[str, str]
    persona_extra: str
    source: dict[str, str]
    also: list[dict[str, str]]
    extra: str
    nodes: list[NodeForm]
    endings: list[EndingForm]
    targets: list[Choice] = field(default_factory=list)
    node_choices: list[Choice] = field(default_factory=list)

    @property
    def start_options(self) -> list[tuple[str, str]]:
        return [(choice.value, choice.value) for choice in self.node_choices]

    def field_paths(self) -> list[str]:
        """Every document path the editor shows a field (or a group of fields) for."""
        paths = [
            "", "schema_version", "id", "title", "summary", "category", "difficulty", "channel", "time_limit_s",
            "max_turns", "start", "skills", "persona", "persona.name", "persona.role", "persona.emotion",
            "source", "source.file", "source.section", "source.general", "also_sources", "nodes", "endings",
        ]
        for index in range(len(self.also)):
            paths += [f"also_sources[{index}]", f"also_sources[{index}].file", f"also_sources[{index}].section",
                      f"also_sources[{index}].general"]
        for node in self.nodes:
            paths += [node.path] + [f"{node.path}.{key}" for key in (
                "lines", "references", "time_limit_s", "on_timeout", "on_timeout.to", "on_timeout.emotion",
                "branches", "rubric", "rubric.base", "rubric.drop", "rubric.weights",
            )]
            paths += [f"{node.path}.rubric.weights.{item}" for item in node.rubric.weights]
            paths += [item.path for item in node.rubric.add + node.rubric.add_blockers]
            for item in node.rubric.add + node.rubric.add_blockers:
                paths += [f"{item.path}.{key}" for key in item.values]
            for branch in node.branches:
                paths += [branch.path, f"{branch.path}.to", f"{branch.path}.emotion", f"{branch.path}.when"]
                paths += [f"{branch.path}.when.{key}" for key in CONDITION_KEYS]
        for ending in self.endings:
            paths += [ending.path] + [f"{ending.path}.{key}" for key in ("kind", "title", "debrief")]
        return paths


def _rubric_items(spec: Any) -> list[Choice]:
    try:
        rubric = scoring.Rubric.from_spec(spec)
    except (ValueError, TypeError):
        return []
    return [Choice(item.id, item.label) for item in rubric.items]


def rubric_form(prefix: str, path: str, spec: Any) -> RubricForm:
    if isinstance(spec, str) or spec is None:
        base = _text(spec)
        return RubricForm(
            prefix=prefix, path=path, as_name=True, base=base, base_items=_rubric_items(base) if base else [],
            drop=[], weights={}, add=[], add_blockers=[], advanced="", items=_rubric_items(base) if base else [],
        )
    data = _mapping(spec)
    base = _text(data.get("base"))
    base_items = _rubric_items(base) if base in scoring.RUBRICS else []
    inline = ""
    if "base" not in data and isinstance(spec, Mapping):
        inline = scenario_authoring.dump_yaml(dict(spec)) if spec else ""
    weights_data = _mapping(data.get("weights"))
    weights = {choice.value: _text(weights_data.get(choice.value)) for choice in base_items}
    for key, value in weights_data.items():
        weights.setdefault(str(key), _text(value))
    add = []
    for index, raw in enumerate(data.get("add") or [] if isinstance(data.get("add"), list) else []):
        item = _mapping(raw)
        values = {key: _lines(item.get(key)) for key in ITEM_FIELDS}
        add.append(ItemForm(f"{prefix}.add{index}", f"{path}.add[{index}]", values, _extra(item, set(ITEM_FIELDS))))
    blockers = []
    raw_blockers = data.get("add_blockers") if isinstance(data.get("add_blockers"), list) else []
    for index, raw in enumerate(raw_blockers):
        item = _mapping(raw)
        values = {key: _lines(item.get(key)) for key in BLOCKER_FIELDS}
        blockers.append(
            ItemForm(f"{prefix}.blk{index}", f"{path}.add_blockers[{index}]", values, _extra(item, set(BLOCKER_FIELDS)))
        )
    advanced_data = {key: value for key, value in data.items() if key not in _RUBRIC_FIELDS}
    return RubricForm(
        prefix=prefix, path=path, as_name=False, base=base, base_items=base_items,
        drop=_as_list(data.get("drop")), weights=weights, add=add, add_blockers=blockers,
        advanced=scenario_authoring.dump_yaml(advanced_data) if advanced_data and not inline else "",
        items=_rubric_items(dict(data)) if data else [], inline=inline,
    )


def branch_form(prefix: str, path: str, raw: Any) -> BranchForm:
    branch = _mapping(raw)
    when = _mapping(branch.get("when"))
    blocker = when.get("blocker")
    if blocker is True:
        mode, ids = "true", []
    elif blocker is False:
        mode, ids = "false", []
    elif blocker is None:
        mode, ids = "", []
    else:
        mode, ids = "ids", _as_list(blocker)
    values = {key: _text(when.get(key)) for key, _label, kind in CONDITIONS if kind == "int"}
    return BranchForm(
        prefix=prefix, path=path, emotion=_text(branch.get("emotion")), to=_text(branch.get("to")),
        bands=_as_list(when.get("band")), values=values, hit=_as_list(when.get("hit")),
        miss=_as_list(when.get("miss")), blocker_mode=mode, blocker_ids=ids,
        when_extra=_extra(when, set(CONDITION_KEYS)) if "when" in branch else "",
        extra=_extra(branch, {"when", "emotion", "to"}),
    )


def node_form(index: int, node_id: str, raw: Any) -> NodeForm:
    """The form of one node (also used alone for the 添加节点 fragment)."""
    node = _mapping(raw)
    prefix, path = f"n{index}", f"nodes.{node_id}"
    timeout = _mapping(node.get("on_timeout"))
    branches = node.get("branches") if isinstance(node.get("branches"), list) else []
    return NodeForm(
        prefix=prefix, path=path, id=node_id, lines=_lines(node.get("lines")),
        references=_lines(node.get("references")), time_limit_s=_text(node.get("time_limit_s")),
        timeout_to=_text(timeout.get("to")), timeout_emotion=_text(timeout.get("emotion")),
        rubric=rubric_form(f"{prefix}.r", f"{path}.rubric", node.get("rubric")),
        branches=[branch_form(f"{prefix}.b{j}", f"{path}.branches[{j}]", b) for j, b in enumerate(branches)],
        extra=_extra(node, _NODE_KEYS),
    )


def _source_from_form(form: Any, prefix: str) -> dict[str, Any]:
    """A citation from its fields: a manual's file and section, or ``{general: ...}`` for guidance
    no manual contains (「手册未收录,按通用安全规范」), which then stands alone."""
    source: dict[str, Any] = {}
    _set_text(source, "general", _get(form, f"{prefix}.general"))
    if source:
        return source
    _set_text(source, "file", _get(form, f"{prefix}.file"))
    _set_text(source, "section", _get(form, f"{prefix}.section"))
    return source


def editor_model(data: Any) -> EditorModel:
    """The structured editor's view of a document (which may be invalid)."""
    doc = _mapping(data)
    persona = _mapping(doc.get("persona"))
    source = _mapping(doc.get("source"))
    also = doc.get("also_sources") if isinstance(doc.get("also_sources"), list) else []
    nodes_data = _mapping(doc.get("nodes"))
    endings_data = _mapping(doc.get("endings"))
    model = EditorModel(
        meta={key: _text(doc.get(key)) for key in (
            "schema_version", "id", "title", "summary", "category", "difficulty", "channel", "time_limit_s",
            "max_turns", "start",
        )},
        skills=_as_list(doc.get("skills")),
        persona={key: _text(persona.get(key)) for key in ("name", "role", "emotion")},
        persona_extra=_extra(persona, {"name", "role", "emotion"}),
        source={key: _text(source.get(key)) for key in ("file", "section", "general")},
        also=[{key: _text(_mapping(item).get(key)) for key in ("file", "section", "general")} for item in also],
        extra=_extra(doc, _TOP_KEYS),
        nodes=[node_form(i, str(node_id), raw) for i, (node_id, raw) in enumerate(nodes_data.items())],
        endings=[
            EndingForm(
                prefix=f"e{i}", path=f"endings.{ending_id}", id=str(ending_id), kind=_text(_mapping(raw).get("kind")),
                title=_text(_mapping(raw).get("title")), debrief=_text(_mapping(raw).get("debrief")),
                extra=_extra(raw, {"kind", "title", "debrief"}),
            )
            for i, (ending_id, raw) in enumerate(endings_data.items())
        ],
    )
    model.node_choices = [Choice(str(node_id), str(node_id)) for node_id in nodes_data]
    model.targets = model.node_choices + [
        Choice(str(ending_id), f"结局 {ending_id}({KIND_LABELS.get(_text(_mapping(raw).get('kind')), '?')})")
        for ending_id, raw in endings_data.items()
    ]
    return model


# ------------------------------------------------------------------------------------------------
# Posted form -> document
# ------------------------------------------------------------------------------------------------


class FormError(ValueError):
    """The posted form cannot be turned into a document (a hidden field was tampered with, an
    advanced-settings YAML box does not parse); ``problems`` say where. Nothing is saved."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _scalar(value: str) -> Any:
    """A typed field's value: integers and decimals as numbers, anything else as the text typed."""
    value = value.strip()
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    if value in ("true", "false"):
        return value == "true"
    return value


def _split_lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


def _indices(form: Any, pattern: str) -> list[int]:
    regex = re.compile(pattern)
    found = {int(match.group(1)) for key in form.keys() if (match := regex.fullmatch(key))}
    return sorted(found)


def _get(form: Any, key: str) -> str:
    return (form.get(key) or "").replace("\r\n", "\n")


def _set_text(target: dict[str, Any], key: str, value: str) -> None:
    if value.strip():
        target[key] = value.strip()


def _set_scalar(target: dict[str, Any], key: str, value: str) -> None:
    if value.strip():
        target[key] = _scalar(value)


def _load_extra(form: Any, key: str, path: str, problems: list[Problem]) -> dict[str, Any]:
    raw = _get(form, key)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        problems.append(Problem("<表单>", path, "隐藏字段已损坏,请刷新页面后重试"))
        return {}
    return data


def _rubric_from_form(form: Any, prefix: str, path: str, problems: list[Problem]) -> Any:
    inline = _get(form, f"{prefix}.inline")
    if inline.strip():
        try:
            return parse_yaml_text(inline, "评分表")
        except ValidationError as exc:
            problems.append(Problem("<表单>", path, f"评分表 YAML 无法解析:{exc.problems[0].message}"))
            return None
    base = _get(form, f"{prefix}.base").strip()
    spec: dict[str, Any] = {}
    if base:
        spec["base"] = base
    chosen = [value for value in form.getlist(f"{prefix}.drop") if value]
    order = [value for value in _get(form, f"{prefix}.drop_order").split(",") if value]
    drop = [value for value in order if value in chosen] + [value for value in chosen if value not in order]
    if drop:
        spec["drop"] = drop
    weights: dict[str, Any] = {}
    for key in form.keys():
        if key.startswith(f"{prefix}.w.") and _get(form, key).strip():
            weights[key.removeprefix(f"{prefix}.w.")] = _scalar(_get(form, key))
    if weights:
        spec["weights"] = weights
    add = []
    for index in _indices(form, re.escape(prefix) + r"\.add(\d+)\.id"):
        item_prefix = f"{prefix}.add{index}"
        if form.get(f"{item_prefix}.delete"):
            continue
        item: dict[str, Any] = {}
        _set_text(item, "id", _get(form, f"{item_prefix}.id"))
        _set_text(item, "label", _get(form, f"{item_prefix}.label"))
        _set_scalar(item, "weight", _get(form, f"{item_prefix}.weight"))
        _set_text(item, "skill", _get(form, f"{item_prefix}.skill"))
        for key in ("keywords", "exemplars"):
            values = _split_lines(_get(form, f"{item_prefix}.{key}"))
            if values:
                item[key] = values
        item.update(_load_extra(form, f"{item_prefix}._extra", f"{path}.add[{len(add)}]", problems))
        add.append(item)
    if add:
        spec["add"] = add
    blockers = []
    for index in _indices(form, re.escape(prefix) + r"\.blk(\d+)\.id"):
        item_prefix = f"{prefix}.blk{index}"
        if form.get(f"{item_prefix}.delete"):
            continue
        item = {}
        _set_text(item, "id", _get(form, f"{item_prefix}.id"))
        _set_text(item, "reason", _get(form, f"{item_prefix}.reason"))
        keywords = _split_lines(_get(form, f"{item_prefix}.keywords"))
        if keywords:
            item["keywords"] = keywords
        _set_scalar(item, "cap", _get(form, f"{item_prefix}.cap"))
        if form.get(f"{item_prefix}.always"):
            item["always"] = True
        item.update(_load_extra(form, f"{item_prefix}._extra", f"{path}.add_blockers[{len(blockers)}]", problems))
        blockers.append(item)
    if blockers:
        spec["add_blockers"] = blockers
    advanced = _get(form, f"{prefix}.advanced")
    if advanced.strip():
        try:
            extra = parse_yaml_text(advanced, "高级设置")
        except ValidationError as exc:
            problems.append(Problem("<表单>", path, f"高级设置(YAML)无法解析:{exc.problems[0].message}"))
            extra = {}
        if not isinstance(extra, dict):
            problems.append(Problem("<表单>", path, "高级设置(YAML)应为映射,如 facts: [...]"))
            extra = {}
        spec.update({key: value for key, value in extra.items() if key not in _RUBRIC_FIELDS})
    if form.get(f"{prefix}.as_name") == "1" and set(spec) <= {"base"}:
        return base or None
    return spec


def _when_from_form(form: Any, prefix: str, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    when: dict[str, Any] = {}
    bands = [value for value in form.getlist(f"{prefix}.band") if value]
    if bands:
        when["band"] = bands
    for key, _label, kind in CONDITIONS:
        if kind == "int":
            _set_scalar(when, key, _get(form, f"{prefix}.{key}"))
        elif kind == "items":
            values = [value for value in form.getlist(f"{prefix}.{key}") if value]
            if values:
                when[key] = values
    mode = _get(form, f"{prefix}.blocker_mode")
    if mode == "true":
        when["blocker"] = True
    elif mode == "false":
        when["blocker"] = False
    elif mode == "ids":
        when["blocker"] = [value for value in form.getlist(f"{prefix}.blocker_ids") if value]
    when.update(_load_extra(form, f"{prefix}.when_extra", f"{path}.when", problems))
    ordered = {key: when[key] for key in (*(k for k, _l, _k in CONDITIONS), *when) if key in when}
    return ordered or None


def document_from_form(form: Any) -> dict[str, Any]:
    """Read the posted structured editor back into a scenario document.

    Args:
        form: The request's form (a ``MultiDict``: ``get`` and ``getlist``).

    Returns:
        The document, ready for :func:`scenarios.linter.check_document`. A renamed node or ending
        (its id changed in the form) takes its branch targets and ``start`` with it.

    Raises:
        FormError: A hidden field is damaged or an advanced YAML box does not parse; nothing is saved.
    """
    problems: list[Problem] = []
    doc: dict[str, Any] = {}
    _set_scalar(doc, "schema_version", _get(form, "schema_version"))
    for key in ("id", "title", "summary", "category"):
        _set_text(doc, key, _get(form, key))
    _set_scalar(doc, "difficulty", _get(form, "difficulty"))
    doc["source"] = _source_from_form(form, "source")
    also = []
    for index in _indices(form, r"also(\d+)\.file"):
        if form.get(f"also{index}.delete"):
            continue
        item = _source_from_form(form, f"also{index}")
        if item:
            also.append(item)
    if also:
        doc["also_sources"] = also
    doc["skills"] = [value for value in form.getlist("skills") if value]
    persona: dict[str, Any] = {}
    _set_text(persona, "name", _get(form, "persona.name"))
    _set_text(persona, "role", _get(form, "persona.role"))
    _set_scalar(persona, "emotion", _get(form, "persona.emotion"))
    persona.update(_load_extra(form, "persona._extra", "persona", problems))
    doc["persona"] = persona
    _set_text(doc, "channel", _get(form, "channel"))
    _set_scalar(doc, "time_limit_s", _get(form, "time_limit_s"))
    _set_scalar(doc, "max_turns", _get(form, "max_turns"))
    _set_text(doc, "start", _get(form, "start"))

    renames: dict[str, str] = {}
    nodes: dict[str, Any] = {}
    for index in _indices(form, r"n(\d+)\.id"):
        prefix = f"n{index}"
        if form.get(f"{prefix}.delete"):
            continue
        node_id = _get(form, f"{prefix}.id").strip() or f"node{index}"
        original = _get(form, f"{prefix}.orig").strip()
        if original and original != node_id:
            renames[original] = node_id
        path = f"nodes.{node_id}"
        if node_id in nodes:
            problems.append(Problem("<表单>", path, f"节点 id '{node_id}' 重复"))
            continue
        node: dict[str, Any] = {
            "lines": _split_lines(_get(form, f"{prefix}.lines")),
            "references": _split_lines(_get(form, f"{prefix}.references")),
        }
        rubric = _rubric_from_form(form, f"{prefix}.r", f"{path}.rubric", problems)
        if rubric is not None:
            node["rubric"] = rubric
        _set_scalar(node, "time_limit_s", _get(form, f"{prefix}.time_limit_s"))
        timeout_to = _get(form, f"{prefix}.timeout_to").strip()
        if timeout_to:
            timeout: dict[str, Any] = {}
            _set_scalar(timeout, "emotion", _get(form, f"{prefix}.timeout_emotion"))
            timeout["to"] = timeout_to
            node["on_timeout"] = timeout
        branches = []
        for j in _indices(form, re.escape(prefix) + r"\.b(\d+)\.to"):
            branch_prefix = f"{prefix}.b{j}"
            if form.get(f"{branch_prefix}.delete"):
                continue
            branch: dict[str, Any] = {}
            when = _when_from_form(form, branch_prefix, f"{path}.branches[{len(branches)}]", problems)
            if when is not None:
                branch["when"] = when
            _set_scalar(branch, "emotion", _get(form, f"{branch_prefix}.emotion"))
            _set_text(branch, "to", _get(form, f"{branch_prefix}.to"))
            branch.update(_load_extra(form, f"{branch_prefix}._extra", f"{path}.branches[{len(branches)}]", problems))
            branches.append(branch)
        node["branches"] = branches
        node.update(_load_extra(form, f"{prefix}._extra", path, problems))
        nodes[node_id] = node
    doc["nodes"] = nodes
    endings: dict[str, Any] = {}
    for index in _indices(form, r"e(\d+)\.id"):
        prefix = f"e{index}"
        if form.get(f"{prefix}.delete"):
            continue
        ending_id = _get(form, f"{prefix}.id").strip() or f"ending{index}"
        original = _get(form, f"{prefix}.orig").strip()
        if original and original != ending_id:
            renames[original] = ending_id
        if ending_id in endings:
            problems.append(Problem("<表单>", f"endings.{ending_id}", f"结局 id '{ending_id}' 重复"))
            continue
        ending: dict[str, Any] = {}
        _set_text(ending, "kind", _get(form, f"{prefix}.kind"))
        _set_text(ending, "title", _get(form, f"{prefix}.title"))
        _set_text(ending, "debrief", _get(form, f"{prefix}.debrief"))
        ending.update(_load_extra(form, f"{prefix}._extra", f"endings.{ending_id}", problems))
        endings[ending_id] = ending
    doc["endings"] = endings
    doc.update(_load_extra(form, "_extra", "", problems))
    if problems:
        raise FormError(problems)
    if renames:
        _apply_renames(doc, renames)
    return doc


def _apply_renames(doc: dict[str, Any], renames: dict[str, str]) -> None:
    if doc.get("start") in renames:
        doc["start"] = renames[doc["start"]]
    for node in doc["nodes"].values():
        for branch in node.get("branches", []):
            if branch.get("to") in renames:
                branch["to"] = renames[branch["to"]]
        timeout = node.get("on_timeout")
        if isinstance(timeout, dict) and timeout.get("to") in renames:
            timeout["to"] = renames[timeout["to"]]


def blank_node() -> dict[str, Any]:
    """A new node for 添加节点: one default branch, to be filled in."""
    return {"lines": [], "references": [], "rubric": "complaint", "branches": [{"emotion": 0, "to": ""}]}


def choices() -> dict[str, Any]:
    """The fixed option lists the editor's selects and checkboxes offer."""
    return {
        "categories": [(c, CATEGORY_LABELS.get(c, c)) for c in CATEGORIES],
        "channels": [(channel, channel) for channel in CHANNELS],
        "kinds": [(k, KIND_LABELS[k]) for k in ENDING_KINDS],
        "bands": list(BANDS),
        "skills": list(scoring.SKILL_LABELS.items()),
        "skill_labels": dict(scoring.SKILL_LABELS),
        "rubrics": list(scoring.RUBRICS),
        "blockers": list(STANDARD_BLOCKERS.items()),
        "blocker_modes": list(BLOCKER_MODES.items()),
        "conditions": CONDITIONS,
    }


def dump_yaml(data: Any) -> str:
    """The document as YAML (``scenario_authoring.dump_yaml``)."""
    return scenario_authoring.dump_yaml(data)
