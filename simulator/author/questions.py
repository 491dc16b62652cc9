"""Question and quiz-definition authoring: forms per question type, the bank linter's checks, versions.

Every save stores the canonical mapping (``Question.to_dict()`` / ``QuizDefinition.to_dict()``) as a
new ``ContentVersion`` (origin authored) through :func:`simulator.content.upsert_content`; attempts
keep the frozen questions they drew, so an edit never rewrites an earlier attempt. Each form names
the version it was opened on; a save over a newer version is refused with a clear message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contentio import YamlError, load_strict
from quizzes.bank import TOPICS, LintProblem, check_question
from quizzes.definitions import MODES, QuizDefinition
from quizzes.types import QUESTION_TYPES, TYPE_LABELS, ValidationError

from ..content import ContentItem, current_content, current_version, upsert_content
from ..extensions import db
from ..models import ContentPublication, ContentVersion, Origin, User
from . import sources


def question_forms() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """The form of each registered question type: ``(key, Chinese label, input kind)`` per field
    (``Question.form_fields``; a new type brings its own)."""
    return {name: kind.form_fields for name, kind in QUESTION_TYPES.items()}


COMMON_KEYS = ("id", "type", "stem", "explanation", "topic", "difficulty", "source")
MODE_LABELS = {"practice": "练习", "assessment": "考核"}


class QuestionFormError(ValueError):
    """The form cannot become a question mapping (a damaged hidden field); nothing is saved."""


@dataclass
class QuestionForm:
    """What the question editor renders: field values as text, and the problems found."""

    values: dict[str, str]
    type: str
    key: str | None = None  # the question being edited (None: a new one)
    base_version: str = ""
    problems: list[LintProblem] = field(default_factory=list)
    extra: str = ""

    @property
    def spec(self) -> tuple[tuple[str, str, str], ...]:
        return question_forms().get(self.type, ())

    def at(self, path: str) -> list[LintProblem]:
        return [
            p for p in self.problems if p.path == path or p.path.startswith(path + ".") or p.path.startswith(path + "[")
        ]

    @property
    def unplaced(self) -> list[LintProblem]:
        known = {"id", "type", "stem", "explanation", "topic", "difficulty", "source", *(k for k, _l, _k in self.spec)}
        return [p for p in self.problems if p.path.split(".")[0].split("[")[0] not in known]

    @property
    def errors(self) -> list[LintProblem]:
        return [p for p in self.problems if p.severity == "error"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace("\r\n", "\n").split("\n") if line.strip()]


def _text_of(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "letters":
        return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "bool":
        return "true" if value is True else "false" if value is False else str(value)
    if kind == "accepted":
        lines = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                parts = [str(item.get("text", "")), str(item.get("fraction", 1))]
                if item.get("feedback"):
                    parts.append(str(item["feedback"]))
                lines.append(" | ".join(parts))
            else:
                lines.append(str(item))
        return "\n".join(lines)
    if kind == "points":
        lines = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                lines.append(f"{item.get('text', '')} | {','.join(map(str, item.get('keywords') or []))}")
            else:
                lines.append(str(item))
        return "\n".join(lines)
    return str(value)


def _number(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _value_of(kind: str, text: str) -> Any:
    if kind == "lines":
        return _lines(text)
    if kind == "letters":
        return [part.strip().upper() for part in re.split(r"[,,、\s]+", text or "") if part.strip()]
    if kind == "letter":
        return (text or "").strip().upper()
    if kind == "bool":
        return {"true": True, "false": False}.get((text or "").strip(), (text or "").strip())
    if kind == "accepted":
        out: list[Any] = []
        for line in _lines(text):
            parts = [part.strip() for part in line.split(" | ")]
            if len(parts) == 1:
                out.append(parts[0])
            else:
                item: dict[str, Any] = {"text": parts[0], "fraction": _number(parts[1])}
                if len(parts) > 2 and parts[2]:
                    item["feedback"] = " | ".join(parts[2:])
                out.append(item)
        return out
    if kind == "points":
        points: list[Any] = []
        for line in _lines(text):
            point, _sep, keywords = line.partition(" | ")
            words = [w.strip() for w in re.split(r"[,,]", keywords) if w.strip()]
            points.append({"text": point.strip(), "keywords": words} if words else point.strip())
        return points
    return (text or "").strip()


def question_form(data: Mapping[str, Any], *, key: str | None = None, base_version: str = "") -> QuestionForm:
    """The editor's view of a question mapping (any type, valid or not)."""
    qtype = str(data.get("type") or "single")
    source = data.get("source") if isinstance(data.get("source"), Mapping) else {}
    values = {
        "id": str(data.get("id") or ""),
        "type": qtype,
        "stem": str(data.get("stem") or ""),
        "explanation": str(data.get("explanation") or ""),
        "topic": str(data.get("topic") or ""),
        "difficulty": str(data.get("difficulty") or ""),
        "source.file": str(source.get("file") or ""),
        "source.section": str(source.get("section") or ""),
    }
    spec = question_forms().get(qtype, ())
    for name, _label, kind in spec:
        values[name] = _text_of(kind, data.get(name))
    known = set(COMMON_KEYS) | {name for name, _label, _kind in spec}
    rest = {k: v for k, v in data.items() if k not in known}
    return QuestionForm(
        values, qtype, key=key, base_version=base_version, extra=json.dumps(rest, ensure_ascii=False) if rest else ""
    )


def question_from_form(form: Any) -> dict[str, Any]:
    """Read the posted question editor into a question mapping (the bank's shape).

    Raises:
        QuestionFormError: The hidden ``_extra`` field is damaged.
    """
    qtype = (form.get("type") or "").strip()
    data: dict[str, Any] = {
        "id": (form.get("id") or "").strip(),
        "type": qtype,
        "stem": (form.get("stem") or "").strip(),
    }
    for name, _label, kind in question_forms().get(qtype, ()):
        value = _value_of(kind, form.get(name) or "")
        if value not in ("", []):
            data[name] = value
    data["explanation"] = (form.get("explanation") or "").strip()
    data["topic"] = (form.get("topic") or "").strip()
    data["difficulty"] = _number(form.get("difficulty") or "")
    source = {"file": (form.get("source.file") or "").strip(), "section": (form.get("source.section") or "").strip()}
    if source["file"] or source["section"]:
        data["source"] = source
    raw = form.get("_extra") or ""
    if raw:
        try:
            extra = json.loads(raw)
        except ValueError as exc:
            raise QuestionFormError("隐藏字段已损坏,请刷新页面后重试。") from exc
        if not isinstance(extra, dict):
            raise QuestionFormError("隐藏字段已损坏,请刷新页面后重试。")
        data.update(extra)
    return data


def question_from_yaml(text: str) -> dict[str, Any]:
    """A question typed as YAML (strict: duplicate keys refused).

    Raises:
        QuestionFormError: Not YAML, or not a mapping.
    """
    try:
        data = load_strict(text)
    except YamlError as exc:
        raise QuestionFormError(f"YAML 无法读取:{exc}") from exc
    if not isinstance(data, dict):
        raise QuestionFormError("YAML 应为一道题目的映射(id、type、stem……)。")
    return data


def all_question_keys() -> set[str]:
    return set(
        db.session.execute(db.select(ContentVersion.key).where(ContentVersion.kind == "question").distinct()).scalars()
    )


def check(data: Mapping[str, Any], key: str | None) -> list[LintProblem]:
    """The bank linter's checks for one question; a new question must not reuse any id."""
    taken = all_question_keys() - ({key} if key else set())
    _question, problems = check_question(data, taken_ids=taken, topics=TOPICS, extra_sources=sources.extra_sources())
    if key is not None and data.get("id") != key:
        problems.append(LintProblem("", "id", f"编辑已有题目时不能修改 id(应为 {key});要换 id 请新建题目"))
    return problems


class StaleError(ValueError):
    """Someone saved a newer version since the form was opened; nothing was saved."""


def save_question(data: dict[str, Any], key: str | None, base_version: str, user: User) -> ContentVersion | None:
    """Store a valid question as the new current version of its id. Commits once.

    Returns:
        The new current row, or None when nothing changed (no new version).

    Raises:
        StaleError: The question changed since the form was opened.
        ValueError: The question has errors (the caller shows them; nothing saved).
    """
    problems = [p for p in check(data, key) if p.severity == "error"]
    if problems:
        raise ValueError(problems)
    question = QUESTION_TYPES[data["type"]].from_dict(data)
    if key is not None:
        current = current_version("question", key)
        if current is not None and current.version != base_version:
            raise StaleError(f"这道题在您打开后已被保存为新版本 {current.version},您的修改没有保存,请重新打开后再改。")
    report = upsert_content(
        "question",
        [ContentItem("question", question.id, question.stem[:200], question.to_dict(), "authored:题目编写")],
        origin=Origin.AUTHORED,
    )
    if report.unchanged:
        return None
    row = current_version("question", question.id)
    assert row is not None
    db.session.add(
        ContentPublication(kind="question", key=question.id, action="publish", content_id=row.id, user_id=user.id)
    )
    db.session.commit()
    return row


def questions_by_topic() -> list[tuple[str, list[ContentVersion]]]:
    rows = current_content("question")
    by_topic: dict[str, list[ContentVersion]] = {}
    for row in rows:
        by_topic.setdefault(str(row.data.get("topic", "")), []).append(row)
    order = {topic: index for index, topic in enumerate(TOPICS)}
    return sorted(by_topic.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def versions(kind: str, key: str) -> list[ContentVersion]:
    return list(
        db.session.execute(
            db.select(ContentVersion)
            .where(ContentVersion.kind == kind, ContentVersion.key == key)
            .order_by(ContentVersion.id.desc())
        ).scalars()
    )


# ------------------------------------------------------------------------------------------------
# Quiz definitions
# ------------------------------------------------------------------------------------------------


@dataclass
class QuizForm:
    values: dict[str, str]
    rules: list[dict[str, Any]]
    key: str | None = None
    base_version: str = ""
    problems: list[str] = field(default_factory=list)


def quiz_form(data: Mapping[str, Any], *, key: str | None = None, base_version: str = "") -> QuizForm:
    values = {
        name: "" if data.get(name) is None else str(data.get(name))
        for name in (
            "id",
            "title",
            "description",
            "mode",
            "time_limit_s",
            "pass_mark",
            "max_attempts",
        )
    }
    values["shuffle_options"] = "true" if data.get("shuffle_options", True) else "false"
    rules = [
        {
            "topic": str(rule.get("topic", "")),
            "count": str(rule.get("count", "")),
            "types": list(rule.get("types") or []),
        }
        for rule in data.get("draw") or []
        if isinstance(rule, Mapping)
    ]
    return QuizForm(values, rules, key=key, base_version=base_version)


def quiz_from_form(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": (form.get("id") or "").strip(),
        "title": (form.get("title") or "").strip(),
    }
    if (form.get("description") or "").strip():
        data["description"] = form.get("description").strip()
    data["mode"] = (form.get("mode") or "").strip()
    for name in ("time_limit_s", "pass_mark", "max_attempts"):
        data[name] = _number(form.get(name) or "")
    data["shuffle_options"] = bool(form.get("shuffle_options"))
    indices = sorted({int(m.group(1)) for k in form.keys() if (m := re.fullmatch(r"r(\d+)\.topic", k))})
    rules = []
    for index in indices:
        if form.get(f"r{index}.delete"):
            continue
        rule: dict[str, Any] = {
            "topic": (form.get(f"r{index}.topic") or "").strip(),
            "count": _number(form.get(f"r{index}.count") or ""),
        }
        types = [t for t in form.getlist(f"r{index}.types") if t]
        if types:
            rule["types"] = types
        rules.append(rule)
    data["draw"] = rules
    return data


def check_quiz(data: Mapping[str, Any], key: str | None) -> tuple[QuizDefinition | None, list[str]]:
    """The definition's own rules, then whether the current bank can fill every draw."""
    try:
        quiz = QuizDefinition.from_dict(data)
    except ValidationError as error:
        return None, [str(error)]
    problems: list[str] = []
    if key is None and quiz.id in {
        row.key for row in db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == "quiz")).scalars()
    }:
        problems.append(f"id: 测验 id {quiz.id} 已被使用")
    if key is not None and quiz.id != key:
        problems.append(f"id: 编辑已有测验时不能修改 id(应为 {key})")
    from ..quiz.service import current_bank

    bank, _ids = current_bank()
    problems += quiz.check_against(bank)
    return quiz, problems


def save_quiz(data: dict[str, Any], key: str | None, base_version: str, user: User) -> ContentVersion | None:
    """Store a valid quiz definition as its new current version. Commits once.

    Raises:
        StaleError: It changed since the form was opened.
        ValueError: It has problems (nothing saved).
    """
    quiz, problems = check_quiz(data, key)
    if problems or quiz is None:
        raise ValueError(problems)
    if key is not None:
        current = current_version("quiz", key)
        if current is not None and current.version != base_version:
            raise StaleError(
                f"这个测验在您打开后已被保存为新版本 {current.version},您的修改没有保存,请重新打开后再改。"
            )
    report = upsert_content(
        "quiz", [ContentItem("quiz", quiz.id, quiz.title, quiz.to_dict(), "authored:测验编写")], origin=Origin.AUTHORED
    )
    if report.unchanged:
        return None
    row = current_version("quiz", quiz.id)
    assert row is not None
    db.session.add(ContentPublication(kind="quiz", key=quiz.id, action="publish", content_id=row.id, user_id=user.id))
    db.session.commit()
    return row


def choices() -> dict[str, Any]:
    import scenarios

    manuals = sorted(p.name for p in scenarios.MANUALS_DIR.glob("*.txt")) if scenarios.MANUALS_DIR.is_dir() else []
    manuals += sorted(sources.extra_sources())
    return {
        "types": list(TYPE_LABELS.items()),
        "topics": list(TOPICS),
        "modes": [(m, MODE_LABELS[m]) for m in MODES],
        "manuals": manuals,
        "forms": question_forms(),
    }
