"""Moodle GIFT import and export, read the way Moodle's ``qformat_gift`` reads it.

Import follows ``question/format/gift/format.php``: questions are separated by blank lines; ``//``
lines are comments; ``::name::`` names a question; ``[html]`` / ``[moodle]`` / ``[plain]`` /
``[markdown]`` format markers are stripped from texts; ``\\`` escapes ``~ = # { } :`` and ``\\n``; the
answer block is the text between the first ``{`` and the first ``}`` (a question text that does not
end with the block gets ``_____`` where the block was, Moodle's missing-word layout); ``####`` starts
the general feedback (-> our ``explanation``); ``$CATEGORY:`` sets the topic of what follows.

Types, decided in Moodle's order:

=============================  ==============================================================
GIFT                           ours
=============================  ==============================================================
``{}`` essay                   not supported, reported
``{#...}`` numerical           not supported, reported
``~`` with ``=``               ``single``: ``=`` answer, ``~%50%`` weights, ``#`` option feedback
``~`` without ``=``            ``multiple``: ``~%50%`` / ``~%-100%`` weights, ``#`` option feedback
``=`` and ``->``               matching: not supported, reported
``T`` / ``TRUE`` / ``F`` ...   ``truefalse``: ``#if true#if false`` feedback as Moodle splits it
anything else                  ``fill`` (Moodle short answer): ``=%50%`` weights, ``*`` wildcard
no ``{}`` at all               description: not supported, reported
=============================  ==============================================================

Export writes ``single``, ``multiple``, ``truefalse`` and ``fill`` as Moodle writes those types, and
puts our id, difficulty and source in a ``// guanjia: {json}`` comment (ignored by Moodle, read back
by :func:`parse_gift`), so our bank survives export -> import. ``ordering`` (no GIFT syntax) and
``short`` (GIFT essays carry no reference answer or key points, and Moodle cannot grade them) are
not exported; :class:`GiftExport` lists them with the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contentio import Problem

from .gifttext import escape
from .types import (
    ID_PATTERN,
    MAX_OPTIONS,
    MultipleChoice,
    Question,
    ValidationError,
    letter,
    question_from_dict,
)
from .xlsx import BankImportError, control_character, load_json_object, shorten

DEFAULT_TOPIC = "未分类"
DEFAULT_DIFFICULTY = 2
META_PREFIX = "// guanjia:"
FORMAT_NAMES = ("moodle", "html", "plain", "markdown")
UNSUPPORTED_LABELS = {
    "essay": "问答题(essay)",
    "match": "匹配题(matching)",
    "numerical": "数值题(numerical)",
    "description": "说明文字(description)",
}
_ESCAPES = {
    ":": "\ue001",
    "#": "\ue002",
    "=": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    "~": "\ue006",
    "n": "\ue007",
}
_BACKSLASH = "\ue000"
_UNESCAPE = {v: k for k, v in _ESCAPES.items()} | {_ESCAPES["n"]: "\n", _BACKSLASH: "\\"}
_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")


@dataclass(frozen=True)
class GiftProblem(Problem):
    """A GIFT question that was not imported: line (1-based), Moodle type, name (the ``path``), reason
    (Chinese). Build it with :meth:`at`."""

    line: int = 0
    qtype: str = ""

    @classmethod
    def at(cls, line: int, qtype: str, name: str, message: str) -> GiftProblem:
        return cls("", name, message, line, qtype)

    @property
    def name(self) -> str:
        return self.path

    def __str__(self) -> str:
        name = f"「{self.name}」" if self.name else ""
        return f"第 {self.line} 行{name}:{self.message}"


@dataclass(frozen=True)
class GiftQuestion:
    """A GIFT question that became one of ours; ``moodle_type`` is the type Moodle would create."""

    line: int
    name: str
    moodle_type: str
    question: Question


@dataclass(frozen=True)
class GiftParseResult:
    """Everything :func:`parse_gift` found: questions it could import and problems it could not."""

    questions: list[GiftQuestion] = field(default_factory=list)
    problems: list[GiftProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problems: the whole file imports."""
        return not self.problems


@dataclass(frozen=True)
class GiftImport:
    """The result of :func:`import_gift`: the questions and, for a non-strict import, what was left out."""

    questions: list[Question]
    skipped: list[GiftProblem] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """Some questions of the file were left out (only possible with ``strict=False``)."""
        return bool(self.skipped)


@dataclass(frozen=True)
class GiftExport:
    """GIFT text, and the questions not exported (``skipped``: ``(id, reason)``)."""

    text: str
    exported: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _Skip(Exception):
    def __init__(self, qtype: str, message: str) -> None:
        super().__init__(message)
        self.qtype = qtype
        self.message = message


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for char, sentinel in _ESCAPES.items():
        text = text.replace("\\" + char, sentinel)
    return text


def _escape_post(text: str) -> str:
    for sentinel, char in _UNESCAPE.items():
        text = text.replace(sentinel, char)
    return text


def _with_format(text: str) -> tuple[str, str]:
    """Moodle's ``parse_text_with_format``: strip a leading ``[format]`` marker; return (text, format)."""
    fmt = "moodle"
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end > 0 else ""
        if name in FORMAT_NAMES:
            fmt = name
            text = text[end + 1 :]
    return _escape_post(text).strip(), fmt


def _comment(answer: str) -> tuple[str, str]:
    bits = answer.split("#", 1)
    text = _with_format(bits[0].strip())[0]
    feedback = _with_format(bits[1].strip())[0] if len(bits) > 1 else ""
    return text, feedback


def _weight(answer: str) -> tuple[float, str] | None:
    if not _WEIGHT.match(answer):
        return None
    end = answer.index("%", 1)
    try:
        value = float(answer[1:end]) / 100
    except ValueError:
        return None
    return value, answer[end + 1 :]


def _blocks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """Split into questions: (first non-comment line number, lines, comment lines)."""
    blocks: list[tuple[int, list[str], list[str]]] = []
    current: list[str] = []
    comments: list[str] = []
    first = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            if current or comments:
                blocks.append((first, current, comments))
            current, comments, first = [], [], 0
            continue
        if line.startswith("//"):
            comments.append(line)
            current.append(" ")
            continue
        if not first:
            first = number
        current.append(line)
    if current or comments:
        blocks.append((first, current, comments))
    return blocks


def _category_topic(category: str) -> str:
    path = category.strip()
    path = re.sub(r"^\$[a-z]+\$/", "", path)
    parts = [p.replace("//", "/") for p in re.split(r"(?<!/)/(?!/)", path) if p]
    return parts[-1].strip() if parts else ""


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-._")
    return slug if slug and ID_PATTERN.match(slug) else ""


def _read_question(lines: list[str]) -> tuple[str, str, dict[str, Any]] | tuple[str, str, str]:
    """Parse one block as Moodle does. Returns (kind, name, payload)."""
    text = _escape_pre("\n".join(lines).strip())
    if text.startswith("$CATEGORY:"):
        return "category", "", _escape_post(text[len("$CATEGORY:") :].strip())
    name = ""
    if text.startswith("::"):
        rest = text[2:]
        end = rest.find("::")
        if end >= 0:
            name = _escape_post(rest[:end]).strip()
            text = rest[end + 2 :].strip()
        else:
            text = rest
    start, finish = text.find("{"), text.find("}")
    description = start < 0 and finish < 0
    if description:
        return "skip", name, "description"
    if start < 0 or finish < 0 or finish < start:
        raise _Skip("error", "花括号不配对,无法找到答案部分")
    answer_text = text[start + 1 : finish].strip()
    if text.endswith("}"):
        question_text = text[:start] + text[finish + 1 :]
    else:
        question_text = text[:start] + "_____" + text[finish + 1 :]
    general = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        general = answer_text[separator + 4 :]
        answer_text = answer_text[:separator].strip()
    stem, _ = _with_format(question_text.strip())
    explanation, _ = _with_format(general.strip())
    if not answer_text:
        qtype = "essay"
    elif answer_text.startswith("#"):
        qtype = "numerical"
    elif "~" in answer_text:
        qtype = "multichoice"
    elif "=" in answer_text and "->" in answer_text:
        qtype = "match"
    else:
        check = answer_text
        if answer_text.find("#") > 0:
            check = answer_text[: answer_text.find("#")].strip()
        qtype = "truefalse" if check in ("T", "TRUE", "F", "FALSE") else "shortanswer"
    if qtype in UNSUPPORTED_LABELS:
        return "skip", name, qtype
    return qtype, name, {"stem": stem, "explanation": explanation, "answers": answer_text}


def _split_answers(answer_text: str, separator: str) -> list[str]:
    answers = answer_text.split(separator)
    if answers and not answers[0].strip():
        answers = answers[1:]
    return [a.strip() for a in answers]


def _multichoice(payload: dict[str, Any]) -> dict[str, Any]:
    answer_text: str = payload["answers"]
    single = "=" in answer_text
    answers = _split_answers(answer_text.replace("=", "~="), "~")
    if len(answers) < 2:
        raise _Skip("multichoice", "选择题至少需要 2 个选项")
    if len(answers) > MAX_OPTIONS:
        raise _Skip("multichoice", f"选项超过 {MAX_OPTIONS} 个,本系统不支持")
    options, weights, feedback = [], [], []
    for answer in answers:
        if not answer:
            raise _Skip("multichoice", "有空选项")
        if answer.startswith("="):
            weight, answer = 1.0, answer[1:]
        else:
            parsed = _weight(answer)
            weight, answer = parsed if parsed else (0.0, answer)
        text, fb = _comment(answer)
        options.append(text)
        weights.append(weight)
        feedback.append(fb)
    data: dict[str, Any] = {"options": options}
    if any(feedback):
        data["option_feedback"] = feedback
    if single:
        full = [i for i, w in enumerate(weights) if abs(w - 1.0) < 1e-6]
        if len(full) != 1:
            raise _Skip("multichoice", "单选题应恰有一个满分(=)选项")
        data["type"] = "single"
        data["answer"] = letter(full[0])
        if any(abs(w) > 1e-9 for i, w in enumerate(weights) if i != full[0]):
            data["weights"] = weights
    else:
        data["type"] = "multiple"
        answer = [letter(i) for i, w in enumerate(weights) if w > 1e-9]
        if not answer:
            raise _Skip("multichoice", "多选题没有得分为正的选项")
        data["answer"] = answer
        default = MultipleChoice.default_weights(len(options), answer)
        if any(abs(w - d) > 1e-4 for w, d in zip(weights, default, strict=True)):
            data["weights"] = weights
    return data


def _truefalse(payload: dict[str, Any]) -> dict[str, Any]:
    bits = payload["answers"].split("#", 2)
    answer = _with_format(bits[0].strip())[0]
    wrong = _with_format(bits[1].strip())[0] if len(bits) > 1 else ""
    right = _with_format(bits[2].strip())[0] if len(bits) > 2 else ""
    value = answer in ("T", "TRUE")
    data: dict[str, Any] = {"type": "truefalse", "answer": value}
    feedback_true, feedback_false = (right, wrong) if value else (wrong, right)
    if feedback_true:
        data["feedback_true"] = feedback_true
    if feedback_false:
        data["feedback_false"] = feedback_false
    return data


def _shortanswer(payload: dict[str, Any]) -> dict[str, Any]:
    answers = _split_answers(payload["answers"], "=")
    if not answers:
        raise _Skip("shortanswer", "填空题至少需要一个答案")
    accepted: list[Any] = []
    for answer in answers:
        parsed = _weight(answer)
        weight, answer = parsed if parsed else (1.0, answer)
        text, feedback = _comment(answer)
        if weight < 0:
            raise _Skip("shortanswer", f"填空答案「{text}」的权重为负,本系统不支持")
        if abs(weight - 1.0) < 1e-9 and not feedback:
            accepted.append(text)
        else:
            item: dict[str, Any] = {"text": text, "fraction": weight}
            if feedback:
                item["feedback"] = feedback
            accepted.append(item)
    return {"type": "fill", "accepted": accepted}


_BUILDERS = {"multichoice": _multichoice, "truefalse": _truefalse, "shortanswer": _shortanswer}


def _meta(comments: list[str]) -> dict[str, Any]:
    """Our ``// guanjia: {json}`` comment; unreadable JSON is ignored, deep nesting is refused."""
    for comment in comments:
        if comment.startswith(META_PREFIX):
            try:
                return load_json_object(comment[len(META_PREFIX) :])
            except ValueError as error:
                if "嵌套" in str(error):
                    raise _Skip("error", f"guanjia 注释的 {error}") from error
                return {}
    return {}


_NAME = re.compile(r"^::(.*?)::")


def _block_name(lines: list[str]) -> str:
    first = next((item for item in lines if item.strip()), "")
    found = _NAME.match(first.strip())
    return shorten(found.group(1).strip(), 60) if found else ""


_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """A topic on one line: line breaks and control characters become spaces, runs of them one space."""
    return " ".join(_LINE_BREAKING.sub(" ", text).split())


def question_blocks(text: str) -> int:
    """How many question blocks a GIFT text holds (``$CATEGORY`` and comment-only blocks not counted)."""
    count = 0
    for _, lines, _ in _blocks(text.lstrip("\ufeff")):
        body = "".join(lines).strip()
        if body and not body.startswith("$CATEGORY:"):
            count += 1
    return count


def parse_gift(
    text: str,
    *,
    default_topic: str = DEFAULT_TOPIC,
    default_difficulty: int = DEFAULT_DIFFICULTY,
    max_questions: int | None = None,
) -> GiftParseResult:
    """Read a GIFT file: every question becomes one of ours or a :class:`GiftProblem` (never dropped).

    A question with a control character (other than tab and line breaks) is a problem: it is invisible,
    and XLSX cannot hold it (issue 14.8).

    Args:
        text: the file's text.
        default_topic: topic for questions before any ``$CATEGORY:`` line.
        default_difficulty: difficulty when our ``// guanjia:`` comment does not give one (GIFT has none).
        max_questions: refuse a file with more question blocks than this, before parsing any.

    Returns:
        The questions (with their line, GIFT name and Moodle type) and the problems (line, type, why).

    Raises:
        BankImportError: the file has more than ``max_questions`` questions.
    """
    text = text.lstrip("\ufeff")
    if max_questions is not None and (count := question_blocks(text)) > max_questions:
        message = f"文件有 {count} 道题,超过一次导入的上限 {max_questions} 题,请拆分后分批导入"
        raise BankImportError([GiftProblem.at(1, "", "", message)], "GIFT")
    topic = default_topic
    questions: list[GiftQuestion] = []
    problems: list[GiftProblem] = []
    used: set[str] = set()
    for line, lines, comments in _blocks(text):
        if not any(item.strip() for item in lines):
            continue
        name = ""
        found = next((c for item in lines + comments if (c := control_character(item))), None)
        if found:
            message = f"含有不可见的控制字符 {found},请删除后再导入"
            problems.append(GiftProblem.at(line, "error", _block_name(lines), message))
            continue
        try:
            kind, name, payload = _read_question(lines)
            if kind == "category":
                topic = _one_line(_category_topic(str(payload))) or topic
                continue
            if kind == "skip":
                label = UNSUPPORTED_LABELS[str(payload)]
                problems.append(GiftProblem.at(line, str(payload), name, f"不支持的题型:{label}"))
                continue
            assert isinstance(payload, dict)
            data = _BUILDERS[kind](payload)
            meta = _meta(comments)
            if isinstance(meta.get("topic"), str) and _LINE_BREAKING.search(meta["topic"]):
                raise _Skip("error", "主题含有换行或控制字符")
        except _Skip as skip:
            problems.append(GiftProblem.at(line, skip.qtype, name, skip.message))
            continue
        qid = meta.get("id") if isinstance(meta.get("id"), str) else ""
        qid = qid or (name if ID_PATTERN.match(name) else _slug(name)) or f"gift-line{line}"
        base, counter = qid, 2
        while qid in used:
            qid, counter = f"{base}-{counter}", counter + 1
        data.update(
            id=qid,
            stem=payload["stem"],
            explanation=payload["explanation"],
            topic=meta.get("topic") or topic,
            difficulty=meta.get("difficulty", default_difficulty),
        )
        if meta.get("source") is not None:
            data["source"] = meta["source"]
        try:
            question = question_from_dict(data, require_source=False)
        except ValidationError as error:
            problems.append(
                GiftProblem.at(line, kind, name, f"{error.path}: {error.reason}" if error.path else error.reason)
            )
            continue
        used.add(qid)
        questions.append(GiftQuestion(line, name, kind, question))
    return GiftParseResult(questions, problems)


def import_gift(text: str, *, strict: bool = True, **options: Any) -> GiftImport:
    """Import a GIFT file, all or nothing unless told otherwise.

    Args:
        text: the file's text.
        strict: raise when any question cannot be imported (the default). With ``strict=False`` the
            supported questions are returned and the rest listed in ``skipped``: the caller chose a
            partial import explicitly and must show that list.
        **options: passed to :func:`parse_gift` (``default_topic``, ``default_difficulty``, ``max_questions``).

    Raises:
        BankImportError: ``strict`` and some question is unsupported or invalid (line and type named),
            or the file holds no question at all.
    """
    result = parse_gift(text, **options)
    if strict and result.problems:
        raise BankImportError(result.problems, "GIFT")
    if not result.questions and not result.problems:
        raise BankImportError([GiftProblem.at(1, "", "", "文件中没有题目")], "GIFT")
    return GiftImport([q.question for q in result.questions], list(result.problems))


def question_to_gift(question: Question) -> str:
    """One question as a GIFT block (with the ``// guanjia:`` comment).

    Raises:
        ValueError: ``ordering`` and ``short`` questions (no GIFT form).
    """
    meta: dict[str, Any] = {"id": question.id, "topic": _one_line(question.topic), "difficulty": question.difficulty}
    if question.source is not None:
        meta["source"] = question.source.to_dict()
    head = [f"{META_PREFIX} {json.dumps(meta, ensure_ascii=False, sort_keys=True)}"]
    title = f"::{escape(question.id)}::{escape(question.stem)}"
    return "\n".join([*head, question.to_gift(title)])


def export_gift(questions: Iterable[Question]) -> GiftExport:
    """Write questions as GIFT, grouped by topic under ``$CATEGORY:`` lines.

    Returns:
        The text, the ids exported and the ids skipped with the reason (``ordering``, ``short``).
    """
    blocks: list[str] = []
    exported: list[str] = []
    skipped: list[tuple[str, str]] = []
    topic = None
    for question in questions:
        try:
            block = question_to_gift(question)
        except ValueError as error:
            skipped.append((question.id, str(error)))
            continue
        if question.topic != topic:
            topic = question.topic
            # one line whatever the stored topic holds: a newline would start a question of its own
            blocks.append(f"$CATEGORY: $course$/top/{_one_line(topic).replace('/', '//')}")
        blocks.append(block)
        exported.append(question.id)
    return GiftExport("\n\n".join(blocks) + ("\n" if blocks else ""), exported, skipped)
