"""The graded corpus the scorer learns from, and the clause bank beside it.

``scoring/data/corpus/<scenario>.jsonl``: one graded reply per line, written blind (the writers and
graders never saw the scorer's rules or scores)::

    {"scenario": "leak-repeated", "node": "opening", "reply": "...", "grade": 3, "kind": "excellent",
     "items": {"apologize": "<exact span>"}, "partial_items": {}, "blockers": {"shirk": "<span>"},
     "wrong_fact": null, "writer": "w1"}

``scoring/data/clauses/<scenario>.jsonl``: labelled clauses, positives and hard negatives::

    {"scenario": "...", "label": "shirk", "positive": false, "text": "前两次都没人回您,是我们没做好", "note": "..."}

Both are validated with pydantic; a bad line raises :class:`CorpusError` naming the file and line.
Trainers' corrections arrive through :mod:`scoring.learn` as the same :class:`Example` records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_DIR = DATA_DIR / "corpus"
CLAUSES_DIR = DATA_DIR / "clauses"
BLOCKER_IDS = ("shirk", "blame", "threat", "insult", "unsafe")
# The clause label of a wrong fact (a corpus line's ``wrong_fact`` span): an invented rule, a wrong
# amount, document or step. Learned like a blocker, over every node.
FACT_LABEL = "wrong_fact"
MAX_GRADE = 3


class CorpusError(ValueError):
    """A corpus or clause-bank line is invalid; the message names the file and line."""


class _ReplyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scenario: str = Field(min_length=1)
    node: str = Field(min_length=1)
    reply: str = Field(min_length=1, max_length=4000)
    grade: int = Field(ge=0, le=MAX_GRADE)
    kind: str = ""
    items: dict[str, str] = Field(default_factory=dict)
    partial_items: dict[str, str] = Field(default_factory=dict)
    blockers: dict[str, str] = Field(default_factory=dict)
    wrong_fact: dict[str, Any] | None = None
    writer: str = ""

    @field_validator("blockers")
    @classmethod
    def _known_blockers(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(BLOCKER_IDS))
        if unknown:
            raise ValueError(f"未知的否决项 {unknown},可用的有 {list(BLOCKER_IDS)}")
        return value


class _ClauseLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scenario: str = ""
    label: str = Field(min_length=1)
    positive: bool
    text: str = Field(min_length=1, max_length=400)
    note: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """One graded reply at a node.

    Attributes:
        id: Stable id (file stem and line number, or the correction's id).
        scenario, node: Where in the library the reply was given (``""`` for a free situation).
        reply: The reply text.
        grade: 0 (不合格) .. 3 (优秀).
        items: item id -> the span of the reply that satisfies it.
        partial_items: item id -> span, for items only partly done.
        blockers: blocker id -> span.
        wrong_fact: span of a wrong fact, or ``""``.
        kind: The writer's kind tag (excellent, refusal_reuse, unsafe ...), for reports.
        author: Who wrote or labelled it.
        references, rubric: Only for examples outside the library (corrections on free situations).
    """

    id: str
    scenario: str
    node: str
    reply: str
    grade: int
    items: dict[str, str] = field(default_factory=dict)
    partial_items: dict[str, str] = field(default_factory=dict)
    blockers: dict[str, str] = field(default_factory=dict)
    wrong_fact: str = ""
    kind: str = ""
    author: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict in the corpus line format (plus ``id``)."""
        return {
            "id": self.id,
            "scenario": self.scenario,
            "node": self.node,
            "reply": self.reply,
            "grade": self.grade,
            "kind": self.kind,
            "items": dict(self.items),
            "partial_items": dict(self.partial_items),
            "blockers": dict(self.blockers),
            "wrong_fact": {"span": self.wrong_fact} if self.wrong_fact else None,
            "writer": self.author,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, id: str = "") -> Example:
        """Validate a corpus line (or a correction) and build the example.

        Raises:
            CorpusError: The data is invalid; the message says what is wrong, in Chinese.
        """
        try:
            line = _ReplyLine.model_validate(data)
        except ValidationError as exc:
            raise CorpusError(_pydantic_message(exc)) from None
        wrong = line.wrong_fact.get("span", "") if line.wrong_fact else ""
        return cls(
            id=id or str(data.get("id", "")),
            scenario=line.scenario,
            node=line.node,
            reply=line.reply,
            grade=line.grade,
            items=_spans_in(line.items, line.reply),
            partial_items=_spans_in(line.partial_items, line.reply),
            blockers=_spans_in(line.blockers, line.reply),
            wrong_fact=wrong if isinstance(wrong, str) and wrong in line.reply else "",
            kind=line.kind,
            author=line.writer,
        )


@dataclass(frozen=True, slots=True)
class LabelledClause:
    """A clause labelled for one item or blocker: a positive or a hard negative."""

    text: str
    label: str
    positive: bool
    source: str
    note: str = ""


def _spans_in(spans: dict[str, str], reply: str) -> dict[str, str]:
    # A span that is not in the reply cannot locate evidence; the label itself is kept (empty span).
    return {key: (span if isinstance(span, str) and span and span in reply else "") for key, span in spans.items()}


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(整行)"
        parts.append(f"{where}: {error['msg']}")
    return ";".join(parts)


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path.name} 第 {number} 行: JSON 无效({exc.msg})") from None
        if not isinstance(data, dict):
            raise CorpusError(f"{path.name} 第 {number} 行: 应为 JSON 对象")
        yield number, data


def load_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every graded reply under ``directory`` (``*.jsonl``), in file and line order.

    Raises:
        CorpusError: A line is invalid; the message names the file and line.
    """
    examples: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, data in _read_jsonl(path):
            try:
                examples.append(Example.from_dict(data, id=f"{path.stem}:{number}"))
            except CorpusError as exc:
                raise CorpusError(f"{path.name} 第 {number} 行: {exc}") from None
    return examples


def load_clauses(directory: Path = CLAUSES_DIR) -> list[LabelledClause]:
    """Every labelled clause under ``directory`` (``*.jsonl``).

    Raises:
        CorpusError: A line is invalid; the message names the file and line.
    """
    clauses: list[LabelledClause] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, data in _read_jsonl(path):
            try:
                line = _ClauseLine.model_validate(data)
            except ValidationError as exc:
                raise CorpusError(f"{path.name} 第 {number} 行: {_pydantic_message(exc)}") from None
            label = line.label.split(":", 1)[0]
            clauses.append(LabelledClause(line.text, label, line.positive, f"{path.stem}:{number}", line.note))
    return clauses


def data_fingerprint(examples: Sequence[Example], clauses: Sequence[LabelledClause]) -> str:
    """A hash of the training data (order-independent), part of the model version."""
    digest = hashlib.sha256()
    for line in sorted(json.dumps(e.to_dict(), ensure_ascii=False, sort_keys=True) for e in examples):
        digest.update(line.encode())
    for c in sorted((c.text, c.label, c.positive) for c in clauses):
        digest.update(repr(c).encode())
    return digest.hexdigest()
