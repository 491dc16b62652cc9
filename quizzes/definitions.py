"""Quiz definitions (``quizzes/definitions/<id>.yaml``), seeded draws and attempt grading.

A definition::

    schema_version: 1
    id: basic-cert
    title: 基础认证考核
    mode: assessment            # practice | assessment
    time_limit_s: 1200          # 0 = no limit
    pass_mark: 80               # percent
    max_attempts: 3             # 0 = unlimited
    shuffle_options: true
    draw:
      - {topic: 礼仪与仪表, count: 3}
      - {topic: 投诉处理 L-U-A-S-F, count: 4, types: [single, ordering]}   # types: optional filter

:func:`draw` is a pure function of ``(quiz, bank, seed)``: the same seed gives the same questions,
order and option shuffles, so an attempt is reproduced from its recorded seed.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentio import YamlError, load_strict

from .bank import PACKAGE_DIR, Bank
from .types import (
    ID_PATTERN,
    QUESTION_TYPES,
    GradeResult,
    Question,
    Scorer,
    ValidationError,
    question_from_dict,
)

SCHEMA_VERSION = 1
DEFINITIONS_DIR = PACKAGE_DIR / "definitions"
MODES = ("practice", "assessment")


@dataclass(frozen=True)
class DrawRule:
    """Draw ``count`` questions of ``topic`` (optionally only of the given ``types``)."""

    topic: str
    count: int
    types: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML mapping."""
        out: dict[str, Any] = {"topic": self.topic, "count": self.count}
        if self.types:
            out["types"] = list(self.types)
        return out


@dataclass(frozen=True)
class QuizDefinition:
    """A quiz: which questions to draw, the time limit, the pass mark and the attempts allowed."""

    id: str
    title: str
    mode: str
    time_limit_s: int
    pass_mark: float
    max_attempts: int
    shuffle_options: bool
    draw: tuple[DrawRule, ...]
    description: str = ""

    @property
    def question_count(self) -> int:
        """How many questions an attempt gets."""
        return sum(rule.count for rule in self.draw)

    @classmethod
    def from_dict(cls, data: Any, file: str = "") -> QuizDefinition:
        """Build and validate a definition.

        Raises:
            ValidationError: naming the file and the field.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("测验定义应为映射", "", file)
        allowed = {
            "schema_version",
            "id",
            "title",
            "description",
            "mode",
            "time_limit_s",
            "pass_mark",
            "max_attempts",
            "shuffle_options",
            "draw",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValidationError(f"未知字段 {sorted(map(str, unknown))}", "", file)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValidationError(f"应为 {SCHEMA_VERSION}", "schema_version", file)
        quiz_id = data.get("id")
        if not isinstance(quiz_id, str) or not ID_PATTERN.match(quiz_id):
            raise ValidationError(f"应为字母数字与 - 组成的 id,实际 {quiz_id!r}", "id", file)
        if file and Path(file).stem != quiz_id:
            raise ValidationError(f"id 应与文件名一致({Path(file).stem})", "id", file)
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("必填字符串", "title", file)
        description = data.get("description", "")
        if not isinstance(description, str):
            raise ValidationError("应为字符串", "description", file)
        mode = data.get("mode")
        if mode not in MODES:
            raise ValidationError(f"应为 {' | '.join(MODES)},实际 {mode!r}", "mode", file)
        numbers: dict[str, Any] = {}
        for key, low, high in (
            ("time_limit_s", 0, 24 * 3600),
            ("pass_mark", 0, 100),
            ("max_attempts", 0, 1000),
        ):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ValidationError(f"应为 {low}..{high} 之间的数,实际 {value!r}", key, file)
            if key != "pass_mark" and int(value) != value:
                raise ValidationError("应为整数", key, file)
            numbers[key] = value if key == "pass_mark" else int(value)
        shuffle = data.get("shuffle_options", True)
        if not isinstance(shuffle, bool):
            raise ValidationError("应为 true 或 false", "shuffle_options", file)
        raw_rules = data.get("draw")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise ValidationError("应为非空列表 [{topic, count}]", "draw", file)
        rules: list[DrawRule] = []
        for index, raw in enumerate(raw_rules):
            path = f"draw[{index}]"
            if not isinstance(raw, Mapping) or set(raw) - {"topic", "count", "types"}:
                raise ValidationError("应为 {topic, count, types?}", path, file)
            topic, count, types = raw.get("topic"), raw.get("count"), raw.get("types", [])
            if not isinstance(topic, str) or not topic.strip():
                raise ValidationError("必填字符串", f"{path}.topic", file)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValidationError(f"应为正整数,实际 {count!r}", f"{path}.count", file)
            if not isinstance(types, list) or any(t not in QUESTION_TYPES for t in types):
                raise ValidationError(
                    f"应为题型列表,可用: {', '.join(QUESTION_TYPES)}", f"{path}.types", file
                )
            rules.append(DrawRule(topic.strip(), count, tuple(types)))
        return cls(
            id=quiz_id,
            title=title.strip(),
            description=description.strip(),
            mode=mode,
            time_limit_s=numbers["time_limit_s"],
            pass_mark=numbers["pass_mark"],
            max_attempts=numbers["max_attempts"],
            shuffle_options=shuffle,
            draw=tuple(rules),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML mapping (inverse of :meth:`from_dict`)."""
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": self.id, "title": self.title}
        if self.description:
            out["description"] = self.description
        out.update(
            mode=self.mode,
            time_limit_s=self.time_limit_s,
            pass_mark=self.pass_mark,
            max_attempts=self.max_attempts,
            shuffle_options=self.shuffle_options,
            draw=[rule.to_dict() for rule in self.draw],
        )
        return out

    def check_against(self, bank: Bank) -> list[str]:
        """Problems drawing from this bank would hit (unknown topic, too few questions); empty if none."""
        problems: list[str] = []
        for index, rule in enumerate(self.draw):
            pool = _pool(bank, rule)
            if not bank.by_topic(rule.topic):
                problems.append(f"{self.id}: draw[{index}]: 题库中没有主题 {rule.topic!r}")
            elif len(pool) < rule.count:
                problems.append(
                    f"{self.id}: draw[{index}]: 主题 {rule.topic!r} 只有 {len(pool)} 道可抽,需要 {rule.count}"
                )
        return problems


def load_definition(path: str | Path) -> QuizDefinition:
    """Load one definition file; raises :class:`ValidationError`."""
    file = Path(path)
    try:
        data = load_strict(file.read_text(encoding="utf-8"))
    except YamlError as error:
        raise ValidationError(f"YAML 解析失败: {error}", "", file.name) from error
    return QuizDefinition.from_dict(data, file.name)


def load_definitions(folder: str | Path | None = None) -> dict[str, QuizDefinition]:
    """Load every definition under ``folder`` (default ``quizzes/definitions/``), keyed by id."""
    root = Path(folder) if folder is not None else DEFINITIONS_DIR
    return {d.id: d for d in (load_definition(p) for p in sorted(root.glob("*.yaml")))}


def new_seed() -> int:
    """A fresh random seed for an attempt (record it with the attempt)."""
    return secrets.randbits(31)


@dataclass(frozen=True)
class DrawnQuestion:
    """One question of an attempt, as the trainee sees it.

    Attributes:
        question: the question as presented: for choice types the options are in the shown order and
            the answer letters are remapped to it, so ``question.grade(response)`` takes the letters
            the trainee saw. Ordering questions keep ``items`` in the correct order (the key).
        permutation: shown position ``i`` holds original option/item ``permutation[i]``. Identity
            when nothing was shuffled; empty for types without options.
    """

    question: Question
    permutation: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        """The bank id of the question."""
        return self.question.id

    def shown_items(self) -> list[str]:
        """Ordering questions: the items in the shuffled order shown to the trainee."""
        return self.question.shown_items(self.permutation)

    def original_choice(self, response: Any) -> list[str]:
        """Map the letters the trainee ticked back to the bank's option letters (for item analysis)."""
        return self.question.original_choice(response, self.permutation)

    def parse_response(self, form: Mapping[str, Any], getlist: Any) -> Any:
        """The response the question grades, from the posted take form (see ``Question.parse_response``)."""
        return self.question.parse_response(form, getlist, self.permutation)

    def as_given(self) -> Question:
        """The question with its options and key back in the bank's order (item analysis)."""
        return self.question.as_given(self.permutation)

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        """Grade a response given against the shown order."""
        return self.question.grade(response, scorer=scorer)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping: the presented question and the permutation."""
        return {"question": self.question.to_dict(), "permutation": list(self.permutation)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawnQuestion:
        """Inverse of :meth:`to_dict`."""
        return cls(question_from_dict(data["question"]), tuple(int(i) for i in data["permutation"]))


def _pool(bank: Bank, rule: DrawRule) -> list[Question]:
    pool = bank.by_topic(rule.topic)
    if rule.types:
        pool = [q for q in pool if q.type_name in rule.types]
    return pool


def shuffle_question(question: Question, permutation: Sequence[int]) -> Question:
    """Return a choice question with its options (and weights, feedback, answer letters) permuted.

    Shown option ``i`` is original option ``permutation[i]``; other types are returned unchanged.
    """
    return question.permuted(permutation)


def draw(quiz: QuizDefinition, bank: Bank, seed: int) -> list[DrawnQuestion]:
    """Draw an attempt's questions: a pure function of ``(quiz, bank, seed)``.

    For each draw rule, ``count`` questions of the topic are sampled without replacement (from the
    topic's questions sorted by id); rules are taken in order. With ``shuffle_options`` the options
    of choice questions are shuffled and the permutation recorded; ordering items are always shown
    shuffled (never in the correct order).

    Raises:
        ValidationError: a topic has fewer questions than the rule asks for.
    """
    problems = quiz.check_against(bank)
    if problems:
        raise ValidationError(";".join(problems), "draw", quiz.id)
    rng = random.Random(seed)
    drawn: list[DrawnQuestion] = []
    for rule in quiz.draw:
        for question in rng.sample(_pool(bank, rule), rule.count):
            drawn.append(DrawnQuestion(*question.drawn(rng, shuffle_options=quiz.shuffle_options)))
    return drawn


@dataclass(frozen=True)
class AttemptResult:
    """The grade of a whole attempt.

    Attributes:
        percent: 0..100, marks earned over marks available.
        passed: ``percent >= quiz.pass_mark``.
        results: question id -> its :class:`GradeResult` (unanswered questions score 0).
    """

    percent: float
    points: float
    max_points: float
    passed: bool
    results: dict[str, GradeResult] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping."""
        return {
            "percent": self.percent,
            "points": self.points,
            "max_points": self.max_points,
            "passed": self.passed,
            "results": {qid: r.to_dict() for qid, r in self.results.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttemptResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            percent=float(data["percent"]),
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            passed=bool(data["passed"]),
            results={qid: GradeResult.from_dict(r) for qid, r in data["results"].items()},
        )


def grade_attempt(
    quiz: QuizDefinition,
    drawn: Sequence[DrawnQuestion],
    responses: Mapping[str, Any],
    *,
    scorer: Scorer | None = None,
) -> AttemptResult:
    """Grade every drawn question (1 mark each) and decide pass/fail.

    Args:
        quiz: the definition (for the pass mark).
        drawn: the attempt's questions from :func:`draw`.
        responses: question id -> response, against the shown option order; missing ids score 0.
        scorer: passed to short-answer grading (``scoring.score`` by default).
    """
    results: dict[str, GradeResult] = {}
    for item in drawn:
        results[item.id] = item.grade(responses.get(item.id), scorer=scorer)
    points = sum(r.points for r in results.values())
    max_points = sum(r.max_points for r in results.values())
    percent = round(100.0 * points / max_points, 2) if max_points else 0.0
    return AttemptResult(
        percent=percent,
        points=round(points, 6),
        max_points=max_points,
        passed=percent >= quiz.pass_mark,
        results=results,
    )
