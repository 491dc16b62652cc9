"""The question bank: YAML files under ``quizzes/bank/``, their loader and the linter.

A bank file::

    schema_version: 1
    topic: 投诉处理 L-U-A-S-F
    questions:
      - {id: luasf-001, type: single, stem: ..., options: [...], answer: C, explanation: ...,
         difficulty: 1, source: {file: 001_a8786d0e8591f2d3.txt, section: ...}}

Questions inherit the file's ``topic``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentio import Problem, YamlError, load_strict

from .types import Question, ValidationError, question_from_dict

SCHEMA_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parent
BANK_DIR = PACKAGE_DIR / "bank"
REPO_ROOT = PACKAGE_DIR.parent

TOPICS: tuple[str, ...] = (
    "礼仪与仪表",
    "电话与在线服务",
    "投诉处理 L-U-A-S-F",
    "入住/交付流程",
    "装修管理与收费",
    "违章处理",
    "应急与突发事件",
    "岗位职责",
    "服务触点标准",
    "客户信息与保密",
    "服务品质与职业素养",
    "手册导读",  # table-of-contents questions: practice only, never drawn by a certification quiz
)


def manuals_dirs() -> list[Path]:
    """Folders that may hold the manuals: ``../shared/manuals`` from the repo root, then /work/shared."""
    candidates = [REPO_ROOT.parent / "shared" / "manuals", Path("/work/shared/manuals")]
    seen: list[Path] = []
    for candidate in candidates:
        if candidate not in seen:
            seen.append(candidate)
    return seen


def find_manual(file: str, dirs: Sequence[Path] | None = None) -> Path | None:
    """Return the path of a manual file, or ``None`` when it is in none of the manual folders."""
    if not file or "/" in file or "\\" in file or file.startswith("."):
        return None
    for folder in dirs if dirs is not None else manuals_dirs():
        path = folder / file
        if path.is_file():
            return path
    return None


@dataclass
class Bank:
    """Questions loaded from one or more bank files.

    Attributes:
        questions: in file order (files sorted by name).
        files: question id -> file it came from.
    """

    questions: list[Question] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {q.id: q for q in self.questions}

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def get(self, question_id: str) -> Question:
        """Return the question with this id; raises ``KeyError``."""
        return self._by_id[question_id]

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def by_topic(self, topic: str) -> list[Question]:
        """Questions of one topic, sorted by id (a stable order for seeded draws)."""
        return sorted((q for q in self.questions if q.topic == topic), key=lambda q: q.id)

    def topics(self) -> list[str]:
        """Topics present, in first-seen order."""
        return list(dict.fromkeys(q.topic for q in self.questions))


def parse_bank_document(data: Any, file: str = "") -> list[Question]:
    """Validate one bank file's parsed YAML and return its questions.

    Raises:
        ValidationError: naming the file and the path of the first problem.
    """
    questions, problems = _parse_document(data, file)
    if problems:
        raise problems[0]
    return questions


def _parse_document(data: Any, file: str) -> tuple[list[Question], list[ValidationError]]:
    problems: list[ValidationError] = []
    if not isinstance(data, Mapping):
        return [], [ValidationError("题库文件应为映射(schema_version, topic, questions)", "", file)]
    if data.get("schema_version") != SCHEMA_VERSION:
        problems.append(
            ValidationError(
                f"应为 {SCHEMA_VERSION},实际 {data.get('schema_version')!r}", "schema_version", file
            )
        )
    unknown = set(data) - {"schema_version", "topic", "questions"}
    if unknown:
        problems.append(ValidationError(f"未知字段 {sorted(map(str, unknown))}", "", file))
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        problems.append(ValidationError("必填字符串", "topic", file))
        topic = ""
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(ValidationError("应为非空题目列表", "questions", file))
        raw_questions = []
    questions: list[Question] = []
    for index, raw in enumerate(raw_questions):
        path = f"questions[{index}]"
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            path = f"questions[{index}]({raw['id']})"
        if not isinstance(raw, Mapping):
            problems.append(ValidationError("题目应为映射", path, file))
            continue
        if "topic" in raw and raw["topic"] != topic:
            problems.append(
                ValidationError(f"题目 topic 应与文件 topic 一致({topic})", f"{path}.topic", file)
            )
            continue
        try:
            questions.append(question_from_dict({**raw, "topic": topic.strip()}))
        except ValidationError as error:
            problems.append(error.within(path, file))
    return questions, problems


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_bank(path: str | Path | None = None) -> Bank:
    """Load every bank file under ``path`` (a folder or one file; default ``quizzes/bank/``).

    Raises:
        ValidationError: the first problem found (use :func:`lint_bank` to get them all), including a
            duplicate id across files.
    """
    root = Path(path) if path is not None else BANK_DIR
    if not root.exists():
        raise ValidationError("题库路径不存在", "", str(root))
    questions: list[Question] = []
    files: dict[str, str] = {}
    for file in _yaml_files(root):
        try:
            data = load_strict(file.read_text(encoding="utf-8"))
        except YamlError as error:
            raise ValidationError(f"YAML 解析失败: {error}", "", file.name) from error
        for question in parse_bank_document(data, file.name):
            if question.id in files:
                raise ValidationError(
                    f"题目 id 重复,已在 {files[question.id]} 出现", f"id {question.id}", file.name
                )
            files[question.id] = file.name
            questions.append(question)
    return Bank(questions=questions, files=files)


@dataclass(frozen=True)
class LintProblem(Problem):
    """One problem the linter found; ``severity`` is ``error`` (fails lint) or ``warning``."""

    severity: str = "error"

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        label = "错误" if self.severity == "error" else "警告"
        return f"[{label}] {where}: {self.message}"


_ARTEFACT = re.compile(r"\([a-zA-Zàáǎāèéěēìíǐīòóǒōùúǔūǖǘǚǜü]+\)")
_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    text = _ARTEFACT.sub("", unicodedata.normalize("NFKC", text))
    return _PUNCT_OR_SPACE.sub("", text).casefold()


def lint_bank(
    path: str | Path | None = None,
    *,
    topics: Iterable[str] = TOPICS,
    manual_dirs: Sequence[Path] | None = None,
) -> list[LintProblem]:
    """Check bank files and return every problem found (empty list: clean).

    Errors: YAML that does not parse; schema problems; invalid questions (answers not among the
    options, ...); ids duplicated across files; unknown topics; missing sources; a source file that is
    not among the manuals. Warning: a cited section title that is not found verbatim in the manual
    (compared without whitespace, punctuation or pinyin artefacts; manual 001 is in Traditional
    characters, so a Simplified citation of it can only be checked by a person).

    Args:
        path: a bank folder or one file (default ``quizzes/bank/``).
        topics: the known topic names.
        manual_dirs: folders that hold the manuals (default :func:`manuals_dirs`).
    """
    root = Path(path) if path is not None else BANK_DIR
    known_topics = set(topics)
    problems: list[LintProblem] = []
    if not root.exists():
        return [LintProblem(str(root), "", "路径不存在")]
    files = _yaml_files(root)
    if not files:
        return [LintProblem(str(root), "", "没有找到 .yaml 题库文件")]
    seen: dict[str, str] = {}
    manual_text: dict[str, str] = {}
    for file in files:
        try:
            data = load_strict(file.read_text(encoding="utf-8"))
        except YamlError as error:
            problems.append(LintProblem(file.name, "", f"YAML 解析失败: {error}"))
            continue
        questions, errors = _parse_document(data, file.name)
        problems += [LintProblem(file.name, e.path, e.reason) for e in errors]
        topic = data.get("topic") if isinstance(data, Mapping) else None
        if isinstance(topic, str) and topic not in known_topics:
            problems.append(
                LintProblem(file.name, "topic", f"未知主题 {topic!r},可用: {', '.join(sorted(known_topics))}")
            )
        for question in questions:
            where = f"id {question.id}"
            if question.id in seen:
                problems.append(LintProblem(file.name, where, f"题目 id 重复,已在 {seen[question.id]} 出现"))
            else:
                seen[question.id] = file.name
            problems += _source_problems(question, file.name, where, manual_dirs, manual_text)
    return problems


def _source_problems(
    question: Question,
    file: str,
    where: str,
    manual_dirs: Sequence[Path] | None,
    manual_text: dict[str, str],
    extra_sources: Mapping[str, str] | None = None,
) -> list[LintProblem]:
    if question.source is None:
        return [LintProblem(file, where, "缺少出处 source")]
    if question.source.general:
        return []  # guidance no manual contains, labelled as such
    name = question.source.file
    manual: Path | None = None
    if extra_sources and name in extra_sources:
        if name not in manual_text:
            manual_text[name] = _fold(extra_sources[name])
    else:
        manual = find_manual(name, manual_dirs)
        if manual is None:
            return [LintProblem(file, _at(where, "source.file"), f"手册文件不存在: {name}")]
        name = manual.name
        if name not in manual_text:
            manual_text[name] = _fold(manual.read_text(encoding="utf-8"))
    if _fold(question.source.section) not in manual_text[name]:
        return [
            LintProblem(
                file,
                _at(where, "source.section"),
                f"章节标题在 {name} 中找不到原文: {question.source.section}",
                severity="warning",
            )
        ]
    if manual is not None and not _section_has_text(manual, question.source.section):
        return [
            LintProblem(
                file,
                _at(where, "source.section"),
                f"章节「{question.source.section}」在 {name} 中只有标题、没有正文;请改引有正文的章节,"
                "手册没有的内容标注 {general: 通用安全规范}",
                severity="warning",
            )
        ]
    return []


def _section_has_text(manual: Path, section: str) -> bool:
    """Whether a cited heading has text under it (see ``scenarios.manuals.section_has_text``)."""
    from scenarios.manuals import section_has_text

    return section_has_text(manual.name, section, manual.parent)


def check_question(
    data: Any,
    *,
    taken_ids: Iterable[str] = (),
    topics: Iterable[str] = TOPICS,
    manual_dirs: Sequence[Path] | None = None,
    file: str = "",
    extra_sources: Mapping[str, str] | None = None,
) -> tuple[Question | None, list[LintProblem]]:
    """Check one question mapping as :func:`lint_bank` checks the questions of a file.

    The authoring pages call this for a question typed in the browser: the schema and type rules
    (``question_from_dict``, source required), a known topic, an id not used by another question, and
    the citation (errors, plus a warning when the section title is not found in the manual).

    Args:
        data: the question mapping, ``topic`` included.
        taken_ids: ids of other questions (a new question must not reuse one).
        topics: the known topic names.
        manual_dirs: folders that hold the manuals (default :func:`manuals_dirs`).
        file: name used in the problems.
        extra_sources: more citable sources, file name -> text (a site's uploaded documents).

    Returns:
        ``(question, problems)``; ``question`` is None when the mapping is not a valid question.
    """
    try:
        question = question_from_dict(data, require_source=True)
    except ValidationError as error:
        return None, [LintProblem(file, error.path, error.reason)]
    problems: list[LintProblem] = []
    if question.topic not in set(topics):
        problems.append(LintProblem(file, "topic", f"未知主题 {question.topic!r},可用: {', '.join(TOPICS)}"))
    if question.id in set(taken_ids):
        problems.append(LintProblem(file, "id", f"题目 id {question.id} 已被另一道题使用"))
    problems += _source_problems(question, file, "", manual_dirs, {}, extra_sources)
    return question, problems


def _at(where: str, path: str) -> str:
    return f"{where}.{path}" if where else path
