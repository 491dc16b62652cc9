"""Rubrics: checklist items with cues, and blockers that cap the score.

A rubric spec in content is either a built-in name (``"complaint"``) or a mapping that adjusts a
built-in one (``base``/``drop``/``weights``/``add``, see ``docs/design.md``). An inline mapping with
``items`` and no ``base`` defines a whole rubric; it gets the standard blockers.

Either mapping may also carry ``add_blockers``: faults specific to one scenario node, for example
dangerous advice that only makes sense there ("你们自己动手把树抬开"). Each entry has

* ``id``: one of the standard blocker ids (``shirk``, ``blame``, ``threat``, ``insult``, ``unsafe``);
  the hit is reported under that id and its Chinese label;
* ``reason``: why it is a fault, in Chinese (shown to the trainee);
* ``keywords``: plain substrings or ``re:`` regexes, matched clause by clause;
* ``cap`` (optional): the score cap, 0 to 54 (default: the standard blocker's cap);
* ``always`` (optional): a must-never-miss fault of that node (keeping a caller on the phone inside a
  gas leak): the pattern decides alone, like a rule, and caps even when the grade model finds the
  reply good. Without it a pattern only proposes; the blocker's classifier confirms it is advice.

Node blockers honour negation like the built-in ones ("请千万不要自己动手抬" does not fire), apply
whatever the rubric's category, and are checked before the standard blockers of the same id::

    rubric:
      base: emergency
      add_blockers:
        - id: unsafe
          reason: 倒伏的大树不稳,业主自行抬树、拖树可能被砸伤。
          keywords: ["re:(自己|一起)(动手)?.{0,4}(抬|搬|拖|挪)"]
          cap: 5
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scoring import messages
from scoring.text import compile_cue

_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SPEC_KEYS = ("base", "drop", "weights", "add", "add_blockers", "name", "items", "facts", "dangers", "exempt_rules")
_FACT_KEYS = ("id", "label", "topic", "accept", "wrong", "says", "misstatements", "source", "note")
_DANGER_KEYS = ("id", "what", "examples", "source")
_BLOCKER_KEYS = ("id", "reason", "keywords", "cap", "source", "always")
# A blocker's cap must keep the score below the pass mark (55), so any blocker means 不合格.
MAX_BLOCKER_CAP = 54
_ITEM_KEYS = ("id", "label", "weight", "skill", "keywords", "exemplars", "requires", "source", "from_reference")


@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item.

    Attributes:
        id: Stable id used in scenario branches (``hit: [apologize]``).
        label: Chinese label shown to trainees.
        weight: Relative weight in the checklist part of the score.
        skill: Skill tag, a key of ``SKILL_LABELS``.
        keywords: Literal cues (plain substrings, or regexes with a ``re:`` prefix).
        exemplars: Sentences matched semantically against each clause of the reply.
        requires: Optional cues that must also appear in the reply for full credit; without them
            the item counts half (e.g. dispatching help without saying when).
        from_reference: The item also counts when the whole reply matches a reference answer
            closely (used for "answer accurately").
        source: ``{"file": ..., "section": ...}`` citation in the manuals.
    """

    id: str
    label: str
    weight: float
    skill: str
    keywords: tuple[str, ...] = ()
    exemplars: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    from_reference: bool = False
    source: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict in the spec format."""
        data: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "weight": self.weight,
            "skill": self.skill,
            "keywords": list(self.keywords),
            "exemplars": list(self.exemplars),
        }
        if self.requires:
            data["requires"] = list(self.requires)
        if self.from_reference:
            data["from_reference"] = True
        if self.source:
            data["source"] = dict(self.source)
        return data


@dataclass(frozen=True, slots=True)
class Blocker:
    """A serious fault: when any pattern matches, the score is capped at ``cap``.

    ``negatable`` blockers do not fire inside a negated clause ("这不是您的责任" is not blame).
    ``patterns`` are matched clause by clause; ``span_patterns`` relate two parts of the reply
    ("燃气……开灯") and are matched across clauses.
    """

    id: str
    label: str
    reason: str
    cap: int
    patterns: tuple[str, ...]
    negatable: bool = False
    span_patterns: tuple[str, ...] = ()
    source: Mapping[str, str] = field(default_factory=dict)
    always: bool = False

    def to_spec(self) -> dict[str, Any]:
        """JSON-safe ``add_blockers`` entry for this blocker (clause patterns only)."""
        data: dict[str, Any] = {"id": self.id, "reason": self.reason, "keywords": list(self.patterns), "cap": self.cap}
        if self.always:
            data["always"] = True
        if self.source:
            data["source"] = dict(self.source)
        return data


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact the node's answer must state correctly (an amount, a document, a step).

    A clause that names the ``topic`` and states a number or amount none of ``accept`` contains, or
    any reply containing one of ``wrong``, states the fact wrongly: the accuracy item is lost and the
    score cannot rise above 合格. ``label`` is what the manual says, shown in the feedback.

    ``misstatements`` are wrong statements of the fact in example wordings and ``says`` correct ones:
    a clause closer in meaning to a misstatement than to the label and every correct wording, in any
    wording, states the fact wrongly too (see :func:`scoring.pipeline.misstated_facts`).
    """

    id: str
    label: str
    topic: tuple[str, ...]
    accept: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()
    source: Mapping[str, str] = field(default_factory=dict)
    says: tuple[str, ...] = ()
    misstatements: tuple[str, ...] = ()

    def to_spec(self) -> dict[str, Any]:
        """JSON-safe ``facts`` entry."""
        data: dict[str, Any] = {"id": self.id, "label": self.label, "topic": list(self.topic)}
        if self.accept:
            data["accept"] = list(self.accept)
        if self.wrong:
            data["wrong"] = list(self.wrong)
        if self.says:
            data["says"] = list(self.says)
        if self.misstatements:
            data["misstatements"] = list(self.misstatements)
        if self.source:
            data["source"] = dict(self.source)
        return data


@dataclass(frozen=True, slots=True)
class Danger:
    """An unsafe action of one emergency, described and shown by example sentences in any wording.

    A clause close in meaning to an example is a 危险指引 when the learned ``unsafe`` classifier also
    reads it as advice rather than a warning ("千万别开车绕过去" is close to "开车绕过去" but warns).
    """

    id: str
    what: str
    examples: tuple[str, ...]
    source: Mapping[str, str] = field(default_factory=dict)

    def to_spec(self) -> dict[str, Any]:
        """JSON-safe ``dangers`` entry."""
        data: dict[str, Any] = {"id": self.id, "what": self.what, "examples": list(self.examples)}
        if self.source:
            data["source"] = dict(self.source)
        return data


@dataclass(frozen=True, slots=True)
class Rubric:
    """A named checklist plus the blockers that apply.

    ``added_blockers`` come from a spec's ``add_blockers``: they are checked first and apply
    whatever the category.
    """

    name: str
    items: tuple[Item, ...]
    blockers: tuple[Blocker, ...]
    category: str = ""
    added_blockers: tuple[Blocker, ...] = ()
    facts: tuple[Fact, ...] = ()
    dangers: tuple[Danger, ...] = ()
    exempt_rules: tuple[str, ...] = ()

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in order."""
        return tuple(item.id for item in self.items)

    @property
    def total_weight(self) -> float:
        """Sum of the item weights."""
        return sum(item.weight for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict that :meth:`from_spec` accepts back (as an inline rubric)."""
        data: dict[str, Any] = {"name": self.name, "items": [item.to_dict() for item in self.items]}
        if self.added_blockers:
            data["add_blockers"] = [blocker.to_spec() for blocker in self.added_blockers]
        if self.facts:
            data["facts"] = [fact.to_spec() for fact in self.facts]
        if self.dangers:
            data["dangers"] = [danger.to_spec() for danger in self.dangers]
        if self.exempt_rules:
            data["exempt_rules"] = list(self.exempt_rules)
        return data

    @classmethod
    def from_spec(cls, spec: Rubric | str | Mapping[str, Any], path: str = "rubric") -> Rubric:
        """Build a rubric from a built-in name or an adjustment mapping.

        Args:
            spec: A :class:`Rubric`, a built-in name, a mapping with ``base`` (plus optional
                ``drop``, ``weights``, ``add``, ``add_blockers``), or an inline mapping with ``items``
                (plus optional ``add_blockers``).
            path: Where the spec sits in its file, used in error messages.

        Returns:
            The rubric.

        Raises:
            ValueError: The spec is malformed; the message names the path and the problem.
        """
        from scoring.builtin_rubrics import RUBRICS, STANDARD_BLOCKERS

        if isinstance(spec, Rubric):
            return spec
        if isinstance(spec, str):
            if spec not in RUBRICS:
                raise ValueError(f"{path}: " + messages.ERR_UNKNOWN_RUBRIC.format(name=spec, valid=", ".join(RUBRICS)))
            return RUBRICS[spec]
        if not isinstance(spec, Mapping):
            raise ValueError(messages.ERR_SPEC_TYPE.format(path=path, kind=type(spec).__name__))
        unknown = sorted(set(map(str, spec)) - set(_SPEC_KEYS))
        if unknown:
            raise ValueError(
                messages.ERR_SPEC_KEYS.format(path=path, keys=", ".join(unknown), valid=", ".join(_SPEC_KEYS))
            )
        if "base" in spec:
            base = cls.from_spec(_require_str(spec["base"], f"{path}.base"), f"{path}.base")
            items = list(base.items)
            name = base.name
            blockers = base.blockers
            category = base.category
            added = list(base.added_blockers)
        else:
            if "items" not in spec:
                raise ValueError(messages.ERR_SPEC_FIELD.format(path=path, field="base"))
            items = []
            name = str(spec.get("name") or "custom")
            blockers = STANDARD_BLOCKERS
            category = ""
            added = []
        ids = [item.id for item in items]
        for i, item_id in enumerate(_require_list(spec.get("drop", []), f"{path}.drop")):
            if item_id not in ids:
                raise ValueError(
                    messages.ERR_SPEC_DROP.format(
                        path=f"{path}.drop[{i}]", item=item_id, base=name, valid=", ".join(ids)
                    )
                )
            items = [item for item in items if item.id != item_id]
            ids.remove(item_id)
        weights = spec.get("weights", {}) or {}
        if not isinstance(weights, Mapping):
            raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}.weights", kind=type(weights).__name__))
        for item_id, weight in weights.items():
            if item_id not in ids:
                raise ValueError(
                    messages.ERR_SPEC_WEIGHT_ITEM.format(
                        path=f"{path}.weights.{item_id}", item=item_id, valid=", ".join(ids)
                    )
                )
            new_weight = _weight(weight, f"{path}.weights.{item_id}")
            items = [replace(item, weight=new_weight) if item.id == item_id else item for item in items]
        extra = spec.get("add", []) if "base" in spec else spec.get("items", [])
        key = "add" if "base" in spec else "items"
        if not isinstance(extra, Sequence) or isinstance(extra, str):
            raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}.{key}", kind=type(extra).__name__))
        for i, raw in enumerate(extra):
            item = _item_from_dict(raw, f"{path}.{key}[{i}]")
            if item.id in ids:
                raise ValueError(messages.ERR_SPEC_DUP.format(path=f"{path}.{key}[{i}].id", item=item.id))
            items.append(item)
            ids.append(item.id)
        if not items:
            raise ValueError(messages.ERR_SPEC_EMPTY.format(path=path))
        raw_blockers = spec.get("add_blockers", []) or []
        if not isinstance(raw_blockers, Sequence) or isinstance(raw_blockers, str):
            raise ValueError(
                messages.ERR_SPEC_TYPE.format(path=f"{path}.add_blockers", kind=type(raw_blockers).__name__)
            )
        standard = {blocker.id: blocker for blocker in STANDARD_BLOCKERS}
        for i, raw in enumerate(raw_blockers):
            added.append(_blocker_from_dict(raw, f"{path}.add_blockers[{i}]", standard))
        facts = list(base.facts) if "base" in spec else []
        for i, raw in enumerate(_mapping_list(spec.get("facts"), f"{path}.facts")):
            facts.append(_fact_from_dict(raw, f"{path}.facts[{i}]"))
        dangers = list(base.dangers) if "base" in spec else []
        for i, raw in enumerate(_mapping_list(spec.get("dangers"), f"{path}.dangers")):
            dangers.append(_danger_from_dict(raw, f"{path}.dangers[{i}]"))
        exempt = list(base.exempt_rules) if "base" in spec else []
        for i, rule_id in enumerate(_require_list(spec.get("exempt_rules"), f"{path}.exempt_rules")):
            exempt.append(_rule_id(rule_id, f"{path}.exempt_rules[{i}]"))
        return cls(
            name=name,
            items=tuple(items),
            blockers=blockers,
            category=category,
            added_blockers=tuple(added),
            facts=tuple(facts),
            dangers=tuple(dangers),
            exempt_rules=tuple(dict.fromkeys(exempt)),
        )


def _rule_id(rule_id: str, path: str) -> str:
    """A must-never-miss rule's id (``scoring/data/rules.yaml``) that a node is exempt from."""
    from scoring.pipeline import load_rules  # the rules module reads this one's types

    known = [rule.id for rule in load_rules()]
    if rule_id not in known:
        raise ValueError(messages.ERR_SPEC_RULE.format(path=path, rule=rule_id, valid=", ".join(known)))
    return rule_id


def _mapping_list(value: Any, path: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=path, kind=type(value).__name__))
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}[{i}]", kind=type(entry).__name__))
    return list(value)


def _check_keys(raw: Mapping[str, Any], allowed: Sequence[str], required: Sequence[str], path: str) -> None:
    unknown = sorted(set(map(str, raw)) - set(allowed))
    if unknown:
        raise ValueError(messages.ERR_SPEC_KEYS.format(path=path, keys=", ".join(unknown), valid=", ".join(allowed)))
    for key in required:
        if key not in raw:
            raise ValueError(messages.ERR_SPEC_FIELD.format(path=path, field=key))


def _source(raw: Mapping[str, Any], path: str) -> dict[str, str]:
    source = raw.get("source") or {}
    if not isinstance(source, Mapping):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}.source", kind=type(source).__name__))
    return {str(k): str(v) for k, v in source.items()}


def _fact_from_dict(raw: Mapping[str, Any], path: str) -> Fact:
    _check_keys(raw, _FACT_KEYS, ("id", "label", "topic"), path)
    fact_id = _require_str(raw["id"], f"{path}.id")
    if not _ITEM_ID.match(fact_id):
        raise ValueError(messages.ERR_SPEC_ID.format(path=f"{path}.id", item=fact_id))
    topic = _require_list(raw["topic"], f"{path}.topic")
    accept = _require_list(raw.get("accept"), f"{path}.accept")
    wrong = _require_list(raw.get("wrong"), f"{path}.wrong")
    says = _require_list(raw.get("says"), f"{path}.says")
    misstatements = _require_list(raw.get("misstatements"), f"{path}.misstatements")
    if not topic or any(not t.strip() for t in (*topic, *accept, *wrong, *says, *misstatements)):
        raise ValueError(messages.ERR_SPEC_LIST.format(path=f"{path}.topic"))
    if not accept and not wrong and not misstatements:
        raise ValueError(messages.ERR_SPEC_FACT_EMPTY.format(path=path))
    return Fact(fact_id, _require_str(raw["label"], f"{path}.label"), tuple(topic), tuple(accept), tuple(wrong),
                _source(raw, path), tuple(says), tuple(misstatements))


def _danger_from_dict(raw: Mapping[str, Any], path: str) -> Danger:
    _check_keys(raw, _DANGER_KEYS, ("id", "what", "examples"), path)
    danger_id = _require_str(raw["id"], f"{path}.id")
    if not _ITEM_ID.match(danger_id):
        raise ValueError(messages.ERR_SPEC_ID.format(path=f"{path}.id", item=danger_id))
    examples = [e for e in _require_list(raw["examples"], f"{path}.examples") if e.strip()]
    if not examples:
        raise ValueError(messages.ERR_SPEC_LIST.format(path=f"{path}.examples"))
    return Danger(danger_id, _require_str(raw["what"], f"{path}.what"), tuple(examples), _source(raw, path))


def _require_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(messages.ERR_SPEC_STR.format(path=path))
    return value


def _require_list(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValueError(messages.ERR_SPEC_LIST.format(path=path))
    return list(value)


def _weight(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 10:
        raise ValueError(messages.ERR_SPEC_WEIGHT.format(path=path, value=value))
    return float(value)


def _item_from_dict(raw: Any, path: str) -> Item:
    from scoring.messages import SKILL_LABELS

    if not isinstance(raw, Mapping):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=path, kind=type(raw).__name__))
    unknown = sorted(set(map(str, raw)) - set(_ITEM_KEYS))
    if unknown:
        raise ValueError(messages.ERR_SPEC_KEYS.format(path=path, keys=", ".join(unknown), valid=", ".join(_ITEM_KEYS)))
    for required in ("id", "label", "weight", "skill"):
        if required not in raw:
            raise ValueError(messages.ERR_SPEC_FIELD.format(path=path, field=required))
    item_id = _require_str(raw["id"], f"{path}.id")
    if not _ITEM_ID.match(item_id):
        raise ValueError(messages.ERR_SPEC_ID.format(path=f"{path}.id", item=item_id))
    skill = _require_str(raw["skill"], f"{path}.skill")
    if skill not in SKILL_LABELS:
        raise ValueError(
            messages.ERR_SPEC_SKILL.format(path=f"{path}.skill", skill=skill, valid=", ".join(SKILL_LABELS))
        )
    keywords = _require_list(raw.get("keywords"), f"{path}.keywords")
    exemplars = _require_list(raw.get("exemplars"), f"{path}.exemplars")
    requires = _require_list(raw.get("requires"), f"{path}.requires")
    for key, cues in (("keywords", keywords), ("requires", requires)):
        for j, cue in enumerate(cues):
            if not cue.strip() or cue == "re:":
                raise ValueError(messages.ERR_SPEC_STR.format(path=f"{path}.{key}[{j}]"))
            try:
                compile_cue(cue)
            except re.error as exc:
                raise ValueError(messages.ERR_SPEC_REGEX.format(path=f"{path}.{key}[{j}]", error=exc)) from exc
    from_reference = bool(raw.get("from_reference", False))
    if not keywords and not exemplars and not from_reference:
        raise ValueError(messages.ERR_SPEC_NO_CUES.format(path=path))
    source = raw.get("source") or {}
    if not isinstance(source, Mapping):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}.source", kind=type(source).__name__))
    return Item(
        id=item_id,
        label=_require_str(raw["label"], f"{path}.label"),
        weight=_weight(raw["weight"], f"{path}.weight"),
        skill=skill,
        keywords=tuple(keywords),
        exemplars=tuple(s for s in exemplars if s.strip()),
        requires=tuple(requires),
        from_reference=from_reference,
        source={str(k): str(v) for k, v in source.items()},
    )


def _cues(raw: Any, path: str) -> list[str]:
    cues = _require_list(raw, path)
    for j, cue in enumerate(cues):
        if not cue.strip() or cue == "re:":
            raise ValueError(messages.ERR_SPEC_STR.format(path=f"{path}[{j}]"))
        try:
            pattern = compile_cue(cue)
        except re.error as exc:
            raise ValueError(messages.ERR_SPEC_REGEX.format(path=f"{path}[{j}]", error=exc)) from exc
        if pattern.match(""):
            raise ValueError(messages.ERR_SPEC_EMPTY_MATCH.format(path=f"{path}[{j}]"))
    return cues


def _blocker_from_dict(raw: Any, path: str, standard: Mapping[str, Blocker]) -> Blocker:
    if not isinstance(raw, Mapping):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=path, kind=type(raw).__name__))
    unknown = sorted(set(map(str, raw)) - set(_BLOCKER_KEYS))
    if unknown:
        raise ValueError(
            messages.ERR_SPEC_KEYS.format(path=path, keys=", ".join(unknown), valid=", ".join(_BLOCKER_KEYS))
        )
    for required in ("id", "reason", "keywords"):
        if required not in raw:
            raise ValueError(messages.ERR_SPEC_FIELD.format(path=path, field=required))
    blocker_id = _require_str(raw["id"], f"{path}.id")
    if blocker_id not in standard:
        raise ValueError(
            messages.ERR_SPEC_BLOCKER_ID.format(path=f"{path}.id", blocker=blocker_id, valid=", ".join(standard))
        )
    base = standard[blocker_id]
    keywords = _cues(raw["keywords"], f"{path}.keywords")
    if not keywords:
        raise ValueError(messages.ERR_SPEC_LIST.format(path=f"{path}.keywords"))
    cap = raw.get("cap", base.cap)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= MAX_BLOCKER_CAP:
        raise ValueError(messages.ERR_SPEC_CAP.format(path=f"{path}.cap", value=cap, limit=MAX_BLOCKER_CAP))
    source = raw.get("source") or {}
    if not isinstance(source, Mapping):
        raise ValueError(messages.ERR_SPEC_TYPE.format(path=f"{path}.source", kind=type(source).__name__))
    return Blocker(
        id=blocker_id,
        label=base.label,
        reason=_require_str(raw["reason"], f"{path}.reason"),
        cap=cap,
        patterns=tuple(keywords),
        negatable=True,
        source={str(k): str(v) for k, v in source.items()},
        always=bool(raw.get("always", False)),
    )


def get_rubric(name: str) -> Rubric:
    """Return a built-in rubric by name.

    Args:
        name: ``complaint``, ``emergency`` or ``inquiry``.

    Returns:
        The rubric.

    Raises:
        KeyError: Unknown name; the message lists the valid names.
    """
    from scoring.builtin_rubrics import RUBRICS

    try:
        return RUBRICS[name]
    except KeyError:
        raise KeyError(messages.ERR_UNKNOWN_RUBRIC.format(name=name, valid=", ".join(RUBRICS))) from None
