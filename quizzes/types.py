"""Question types, their validation and grading, behind one registry.

``QUESTION_TYPES`` maps the ``type`` field of a bank question to its class; :func:`get_question_type`
looks one up and :func:`question_from_dict` builds a question from a bank mapping. Every type has
``from_dict`` / ``to_dict`` / ``validate()`` and ``grade(response) -> GradeResult``.

The class is the single point of a type's behaviour: a new type is one class decorated with
``@register_question_type`` (plus its template partials). Everything that differs per type is a
hook on :class:`Question` (see ``KIND_HOOKS``): its Chinese ``label``, the author form's
``form_fields``, the XLSX row codec (``xlsx_cells`` / ``from_xlsx_cells``), ``to_gift``, how it is
drawn (``drawn``: shuffled options or items), how a posted form becomes a response
(``parse_response``) and how a response is shown (``describe_response``), and the template partials
the take page, the results page and the author preview include (``take_partial`` ...). No other
module switches on the type.

Responses are plain values, the ones a web form produces:

* ``single``: one option letter (``"C"``);
* ``multiple``: a list of letters (``["A", "C"]``) or a string (``"AC"``, ``"A,C"``);
* ``truefalse``: ``True`` / ``False`` (or ``"true"``, ``"对"``, ``"错"`` ...);
* ``fill``: the text typed;
* ``ordering``: the items in the trainee's order, as item texts or as 0-based indices into ``items``;
* ``short``: the text typed; graded by ``scoring`` (see :class:`ShortAnswer`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .gifttext import answer_line, escape, general_lines, percent

if TYPE_CHECKING:
    import random

LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
BLANK_PATTERN = re.compile(r"_{3,}")
# Filled by register_question_type, in registration order: type name -> class / Chinese label.
QUESTION_TYPES: dict[str, type[Question]] = {}
TYPE_LABELS: dict[str, str] = {}
_CELL_LIST = re.compile(r"\s*(?:\||\n)\s*")
_EPS = 1e-6


class ValidationError(ValueError):
    """Content is invalid; the message names the file, the path inside it and what is wrong.

    Attributes:
        path: where inside the content (``questions[3].answer``), or ``""``.
        file: the file name, or ``""``.
        reason: what is wrong, in Chinese.
    """

    def __init__(self, reason: str, path: str = "", file: str = "") -> None:
        self.reason = reason
        self.path = path
        self.file = file
        where = ": ".join(part for part in (file, path) if part)
        super().__init__(f"{where}: {reason}" if where else reason)

    def within(self, path: str = "", file: str = "") -> ValidationError:
        """Return the same error prefixed with an outer path and/or a file name."""
        inner = ".".join(part for part in (path, self.path) if part)
        return ValidationError(self.reason, inner, file or self.file)


@dataclass(frozen=True)
class Source:
    """Where a question's facts come from: a manual file and a section title in it, or ``general``
    practice that no manual contains (``{general: 通用安全规范}``, shown as 「手册未收录,按通用安全规范」)."""

    file: str = ""
    section: str = ""
    general: str = ""

    @classmethod
    def from_dict(cls, data: Any) -> Source:
        """Build from ``{file: ..., section: ...}`` or ``{general: ...}``; raises :class:`ValidationError`."""
        if not isinstance(data, Mapping):
            raise ValidationError("应为 {file: ..., section: ...} 映射", "source")
        if "general" in data:
            general = data.get("general")
            if set(data) - {"general"}:
                raise ValidationError("general(手册未收录的通用做法)不能与 file/section 同时出现", "source")
            if not isinstance(general, str) or not general.strip() or len(general.strip()) > 20:
                raise ValidationError("应为简短的做法名称(不超过 20 字),如 通用安全规范", "source.general")
            return cls(general=general.strip())
        file, section = data.get("file"), data.get("section")
        if not isinstance(file, str) or not file.strip():
            raise ValidationError("必填字符串(手册文件名)", "source.file")
        if not isinstance(section, str) or not section.strip():
            raise ValidationError("必填字符串(手册章节标题)", "source.section")
        return cls(file=file.strip(), section=section.strip())

    def to_dict(self) -> dict[str, str]:
        """Return ``{"file": ..., "section": ...}``, or ``{"general": ...}``."""
        if self.general:
            return {"general": self.general}
        return {"file": self.file, "section": self.section}


@dataclass(frozen=True)
class GradeResult:
    """The grade of one response.

    Attributes:
        fraction: 0..1 share of the marks earned.
        points: ``fraction * max_points``.
        max_points: marks available.
        correct: fully right (see each type for what that means).
        details: type-specific facts (per-option, matched answer, key points hit ...), JSON-safe.
        feedback: Chinese feedback for the trainee.
    """

    fraction: float
    points: float
    max_points: float
    correct: bool
    details: dict[str, Any] = field(default_factory=dict)
    feedback: str = ""

    @classmethod
    def make(
        cls,
        fraction: float,
        *,
        max_points: float = 1.0,
        details: dict[str, Any] | None = None,
        feedback: str = "",
        correct: bool | None = None,
    ) -> GradeResult:
        """Build a result with ``fraction`` clamped to 0..1 and ``points`` derived from it."""
        fraction = min(1.0, max(0.0, float(fraction)))
        fraction = round(fraction, 6)
        return cls(
            fraction=fraction,
            points=round(fraction * max_points, 6),
            max_points=max_points,
            correct=fraction >= 1.0 - _EPS if correct is None else correct,
            details=dict(details or {}),
            feedback=feedback,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe mapping."""
        return {
            "fraction": self.fraction,
            "points": self.points,
            "max_points": self.max_points,
            "correct": self.correct,
            "details": self.details,
            "feedback": self.feedback,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            fraction=float(data["fraction"]),
            points=float(data["points"]),
            max_points=float(data.get("max_points", 1.0)),
            correct=bool(data["correct"]),
            details=dict(data.get("details") or {}),
            feedback=str(data.get("feedback", "")),
        )


class ScoreLike(Protocol):
    """What the short-answer grader needs from ``scoring.ScoreResult``."""

    score: int
    band: str
    feedback: str

    @property
    def hit_ids(self) -> frozenset[str]: ...  # pragma: no cover - protocol


Scorer = Callable[[str, Sequence[str], Any], ScoreLike]
"""``scorer(reply, references, rubric_spec) -> ScoreResult``; ``scoring.score`` by default."""


def normalise_text(text: str, *, keep_wildcard: bool = False) -> str:
    """Normalise a typed answer for comparison.

    NFKC folds full-width letters, digits and punctuation to half-width; all whitespace is removed
    (Chinese answers carry no meaningful spaces); case is folded; trailing punctuation (。.!！?？ ...)
    is stripped. ``keep_wildcard`` keeps a trailing ``*`` (accepted answers use it as a wildcard).
    """
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = "".join(ch for ch in text if not ch.isspace())
    while text and unicodedata.category(text[-1]).startswith("P") and not (keep_wildcard and text[-1] == "*"):
        text = text[:-1]
    return text


def letter(index: int) -> str:
    """0 -> ``"A"``."""
    return LETTERS[index]


def letter_index(value: Any) -> int | None:
    """``"c"`` / ``"C"`` / ``"Ｃ"`` -> 2; anything else -> ``None``."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if len(text) == 1 and text in LETTERS:
        return LETTERS.index(text)
    return None


def parse_letters(value: Any) -> list[str] | None:
    """Parse ``["A", "C"]``, ``"A,C"``, ``"A、C"`` or ``"AC"`` into sorted unique letters; ``None`` if bad."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).upper()
        parts = [p for p in re.split(r"[\s,;、|/]+", text) if p]
        if len(parts) == 1 and len(parts[0]) > 1:
            parts = list(parts[0])
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        return None
    indices = [letter_index(p) for p in parts]
    if any(i is None for i in indices):
        return None
    return [letter(i) for i in sorted(set(indices))]  # type: ignore[arg-type]


_TRUE_WORDS = {"true", "t", "yes", "y", "1", "对", "正确", "是", "√", "✓", "✔"}
_FALSE_WORDS = {"false", "f", "no", "n", "0", "错", "错误", "否", "×", "✗", "✘", "x"}


def parse_bool(value: Any) -> bool | None:
    """Read true/false from a bool or a word (``对``/``错``, ``T``/``F`` ...); ``None`` if unclear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = unicodedata.normalize("NFKC", value).strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def _require_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("必填字符串", key)
    return value.strip()


def _str_list(value: Any, path: str, *, min_len: int = 0) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ValidationError("应为字符串列表", path)
    items = [str(v).strip() for v in value]
    for index, item in enumerate(items):
        if not item:
            raise ValidationError("不能为空字符串", f"{path}[{index}]")
    if len(items) < min_len:
        raise ValidationError(f"至少需要 {min_len} 项,实际 {len(items)} 项", path)
    return items


def _optional_weights(data: Mapping[str, Any], n: int) -> list[float] | None:
    raw = data.get("weights")
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != n
        or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in raw)
    ):
        raise ValidationError(f"应为与 options 等长({n})的数值列表(-1..1)", "weights")
    weights = [float(w) for w in raw]
    for index, weight in enumerate(weights):
        if not -1.0 - _EPS <= weight <= 1.0 + _EPS or math.isnan(weight):
            raise ValidationError(f"权重应在 -1..1 之间,实际 {weight}", f"weights[{index}]")
    return weights


def _optional_feedback_list(data: Mapping[str, Any], n: int) -> list[str] | None:
    raw = data.get("option_feedback")
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != n or not all(isinstance(v, str) for v in raw):
        raise ValidationError(f"应为与 options 等长({n})的字符串列表", "option_feedback")
    return list(raw)


def split_cell_list(text: str) -> list[str]:
    """A spreadsheet cell holding a list: items separated by ``|`` or line breaks."""
    return [part for part in _CELL_LIST.split(text.strip()) if part]


@dataclass(frozen=True)
class XlsxRow:
    """The type-specific cells of one spreadsheet row: the 选项A.. columns in order, 答案 and 要点."""

    options: tuple[str, ...] = ()
    answer: str = ""
    key_points: str = ""


Problems = list[tuple[str, str]]
"""``(column, message)`` pairs the XLSX codec finds before type validation."""

FormGetList = Callable[[str], Sequence[Any]]
"""``form.getlist``: every posted value of one field."""

_COMMON_KEYS = ("id", "type", "stem", "explanation", "topic", "difficulty", "source")


@dataclass
class Question(ABC):
    """Fields every question type shares. Use a subclass; ``type_name`` names it in the registry."""

    type_name: ClassVar[str] = ""
    type_keys: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str] = ""
    """Chinese name of the type (``单选`` ...), also the XLSX 题型 cell."""
    take_hint: ClassVar[str] = ""
    """Shown after the label on the take page (how the type is answered or scored)."""
    typed_answer: ClassVar[bool] = False
    """Answered by typing: the take form saves on input, not only on change."""
    graded_on_submit: ClassVar[bool] = False
    """Graded once at submission (short answers run ``scoring``), not as each answer is saved."""
    exports_to_gift: ClassVar[bool] = True
    has_choice_options: ClassVar[bool] = False
    """Lettered options whose choices item analysis counts (``answer_keys``, ``original_choice``)."""
    xlsx_option_cells: ClassVar[bool] = False
    """The row fills the 选项A.. columns (others must leave them empty)."""
    xlsx_key_points: ClassVar[bool] = False
    """The row fills 要点 (others must leave it empty)."""
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """The author form: ``(key, Chinese label, input kind)`` per type-specific field; input kinds are
    ``lines``, ``letter``, ``letters``, ``bool``, ``text``, ``area``, ``accepted``, ``points``."""
    take_partial: ClassVar[str] = ""
    """Template of the answer inputs on the take page (``quiz/_panel.html`` includes it)."""
    result_partial: ClassVar[str] = ""
    """Optional template above the facts on the results page (choice types: the options marked)."""
    result_facts_partial: ClassVar[str] = ""
    """Optional template of extra facts on the results page (short answers: key points hit/missed)."""
    preview_partial: ClassVar[str] = ""
    """Template of the question as the trainee sees it, in the author's preview."""

    id: str
    stem: str
    explanation: str
    topic: str
    difficulty: int
    source: Source | None

    @property
    def type_label(self) -> str:
        """Chinese name of the type (``单选`` ...)."""
        return self.label

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def _common(cls, data: Mapping[str, Any], *, require_source: bool) -> dict[str, Any]:
        unknown = set(data) - set(_COMMON_KEYS) - set(cls.type_keys)
        if unknown:
            allowed = ", ".join(list(_COMMON_KEYS) + list(cls.type_keys))
            raise ValidationError(f"未知字段 {sorted(map(str, unknown))};{cls.type_name} 题可用: {allowed}")
        qid = data.get("id")
        if not isinstance(qid, str) or not ID_PATTERN.match(qid):
            raise ValidationError(f"题目 id 应为字母数字开头、只含字母数字 . _ - 的字符串,实际 {qid!r}", "id")
        difficulty = data.get("difficulty")
        if isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
            raise ValidationError(f"应为 1、2 或 3,实际 {difficulty!r}", "difficulty")
        explanation = data.get("explanation", "")
        if not isinstance(explanation, str):
            raise ValidationError("应为字符串", "explanation")
        source = None
        if data.get("source") is not None:
            source = Source.from_dict(data["source"])
        elif require_source:
            raise ValidationError("缺少出处 {file: ..., section: ...}", "source")
        return {
            "id": qid,
            "stem": _require_str(data, "stem"),
            "explanation": explanation.strip(),
            "topic": _require_str(data, "topic"),
            "difficulty": int(difficulty),
            "source": source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, require_source: bool = True) -> Question:
        """Build and validate a question of this type from a bank mapping.

        Args:
            data: the question mapping (``topic`` must be filled in, the bank loader copies the file's).
            require_source: reject a question without ``source`` (bank content must cite the manuals;
                Moodle GIFT imports carry none).

        Raises:
            ValidationError: the mapping is not a valid question; the path names the field.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("题目应为映射")
        if data.get("type") != cls.type_name:
            raise ValidationError(f"type 应为 {cls.type_name!r}", "type")
        question = cls(**cls._common(data, require_source=require_source), **cls._parse_specific(data))
        question.validate()
        return question

    @classmethod
    @abstractmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The type's own fields, parsed from the bank mapping."""

    def to_dict(self) -> dict[str, Any]:
        """Return the bank mapping (the inverse of :meth:`from_dict`), YAML/JSON-safe."""
        out: dict[str, Any] = {"id": self.id, "type": self.type_name, "stem": self.stem}
        out.update(self._specific_dict())
        out["explanation"] = self.explanation
        out["topic"] = self.topic
        out["difficulty"] = self.difficulty
        if self.source is not None:
            out["source"] = self.source.to_dict()
        return out

    @abstractmethod
    def _specific_dict(self) -> dict[str, Any]:
        """The type's own fields as bank data."""

    def validate(self) -> None:
        """Check the type-specific invariants; raises :class:`ValidationError`."""
        # Parsing already checked the shape; types with further invariants override this.
        return None

    @abstractmethod
    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        """Grade one response; ``scorer`` only matters for short answers."""

    @abstractmethod
    def answer_text(self) -> str:
        """The correct answer as the results page shows it (Chinese)."""

    # -- per-type hooks (defaults suit a question answered with one text) ---------------------------
    @classmethod
    @abstractmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        """The type's own fields of a bank mapping read from a spreadsheet row, and the problems."""

    @abstractmethod
    def xlsx_cells(self) -> XlsxRow:
        """The type's own fields as spreadsheet cells (the inverse of :meth:`from_xlsx_cells`)."""

    def to_gift(self, title: str) -> str:
        """The GIFT question after its ``// guanjia:`` comment; ``title`` is ``::id::stem`` escaped.

        Raises:
            ValueError: the type has no GIFT form (the message says why, in Chinese).
        """
        raise ValueError(f"GIFT 没有{self.label}题格式")

    def drawn(self, rng: random.Random, *, shuffle_options: bool) -> tuple[Question, tuple[int, ...]]:
        """The question as an attempt presents it, and the permutation shown (see ``DrawnQuestion``).

        Draws from ``rng`` only when the type shows something shuffled, so a draw is a pure
        function of the seed."""
        return self, ()

    def permuted(self, permutation: Sequence[int]) -> Question:
        """The question with its options in the shown order (shown ``i`` is original
        ``permutation[i]``); types without options return themselves."""
        return self

    def as_given(self, permutation: Sequence[int]) -> Question:
        """The inverse of :meth:`permuted`: the options and key back in the bank's order."""
        return self

    def shown_items(self, permutation: Sequence[int]) -> list[str]:
        """The items the trainee arranges, in the shown order (ordering questions)."""
        return []

    def answer_keys(self) -> list[str]:
        """The letters of the right options (types with ``has_choice_options``)."""
        return []

    def original_choice(self, response: Any, permutation: Sequence[int]) -> list[str]:
        """The letters ticked in ``response``, mapped back to the bank's option letters."""
        return []

    def parse_response(self, form: Mapping[str, Any], getlist: FormGetList, permutation: Sequence[int]) -> Any:
        """Turn the posted take form (field ``answer``, or ``order`` slots) into the response
        :meth:`grade` takes."""
        return str(form.get("answer", ""))[:4000]

    def describe_response(self, response: Any) -> str:
        """A given response as the results page shows it (Chinese)."""
        return str(response)


# Every hook a registered kind must provide (checked by register_question_type and the tests).
KIND_HOOKS: tuple[str, ...] = (
    "type_name", "label", "form_fields", "take_partial", "preview_partial", "from_xlsx_cells", "xlsx_cells",
    "to_gift", "drawn", "parse_response", "describe_response", "grade", "answer_text",
)


def register_question_type(cls: type[Question]) -> type[Question]:
    """Class decorator: add a question type to ``QUESTION_TYPES`` / ``TYPE_LABELS``.

    Raises:
        ValueError: the class lacks a hook (``type_name``, ``label``, form fields, partials) or is
            abstract, or the name is taken by another class.
    """
    missing = [hook for hook in KIND_HOOKS if not getattr(cls, hook, None)]
    if missing or getattr(cls, "__abstractmethods__", None):
        raise ValueError(f"{cls.__name__} 缺少题型钩子: {', '.join(missing or sorted(cls.__abstractmethods__))}")
    taken = QUESTION_TYPES.get(cls.type_name)
    if taken is not None and taken is not cls:
        raise ValueError(f"题型 {cls.type_name!r} 已由 {taken.__name__} 注册")
    QUESTION_TYPES[cls.type_name] = cls
    TYPE_LABELS[cls.type_name] = cls.label
    return cls


def unregister_question_type(name: str) -> None:
    """Remove a type from the registry (tests that register a toy type)."""
    QUESTION_TYPES.pop(name, None)
    TYPE_LABELS.pop(name, None)


def type_for_label(label: str) -> str:
    """The type name an XLSX 题型 cell names (its Chinese label, or the name itself); ``""`` if none."""
    if label in QUESTION_TYPES:
        return label
    return next((name for name, text in TYPE_LABELS.items() if text == label), "")


def _non_identity_shuffle(rng: random.Random, n: int) -> list[int]:
    order = list(range(n))
    if n < 2:
        return order
    while order == list(range(n)):
        rng.shuffle(order)
    return order


_OPTIONS_FIELD = ("options", "选项(每行一个,依次为 A、B、C……)", "lines")


# -- choice types -----------------------------------------------------------------------------------
@dataclass
class _ChoiceQuestion(Question):
    type_keys: ClassVar[tuple[str, ...]] = ("options", "answer", "weights", "option_feedback")
    preview_partial: ClassVar[str] = "author/kinds/choice_preview.html"

    options: list[str] = field(default_factory=list)
    weights: list[float] | None = None
    option_feedback: list[str] | None = None

    @classmethod
    def _parse_options(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        options = _str_list(data.get("options"), "options", min_len=2)
        if len(options) > MAX_OPTIONS:
            raise ValidationError(
                f"最多 {MAX_OPTIONS} 个选项(A–{LETTERS[-1]}),实际 {len(options)}", "options"
            )
        return {
            "options": options,
            "weights": _optional_weights(data, len(options)),
            "option_feedback": _optional_feedback_list(data, len(options)),
        }

    def _options_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"options": list(self.options)}
        return out

    def _extras_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        if self.option_feedback is not None:
            out["option_feedback"] = list(self.option_feedback)
        return out

    def validate(self) -> None:
        if len(set(map(normalise_text, self.options))) != len(self.options):
            raise ValidationError("选项有重复", "options")

    def _option_feedback(self, indices: Sequence[int]) -> list[str]:
        if not self.option_feedback:
            return []
        return [self.option_feedback[i] for i in indices if self.option_feedback[i]]

    has_choice_options: ClassVar[bool] = True
    xlsx_option_cells: ClassVar[bool] = True
    result_partial: ClassVar[str] = "quiz/kinds/choice_result.html"

    choice_input: ClassVar[str] = "radio"
    """The input a trainee ticks an option with (``radio`` or ``checkbox``)."""

    def chosen_letters(self, response: Any) -> list[str]:
        """The letters a stored response ticks (``"C"`` or ``["A", "C"]``)."""
        return (parse_letters(response) or []) if response not in (None, "") else []

    def lettered_options(self) -> list[tuple[str, str]]:
        """``[("A", option), ...]`` in the order shown."""
        return [(letter(i), option) for i, option in enumerate(self.options)]

    @abstractmethod
    def _answer_from(self, letters: list[str]) -> Any:
        """The ``answer`` field for these key letters (one letter, or the sorted list)."""

    def answer_keys(self) -> list[str]:
        return [self.answer] if isinstance(self.answer, str) else list(self.answer)  # type: ignore[attr-defined]

    def permuted(self, permutation: Sequence[int]) -> Question:
        inverse = {original: shown for shown, original in enumerate(permutation)}
        options = [self.options[i] for i in permutation]
        weights = [self.weights[i] for i in permutation] if self.weights is not None else None
        feedback = [self.option_feedback[i] for i in permutation] if self.option_feedback is not None else None
        answer = self._answer_from(sorted(letter(inverse[LETTERS.index(k)]) for k in self.answer_keys()))
        return dataclasses.replace(self, options=options, weights=weights, option_feedback=feedback, answer=answer)

    def as_given(self, permutation: Sequence[int]) -> Question:
        if not permutation:
            return self
        options = [""] * len(self.options)
        for shown, original in enumerate(permutation):
            options[original] = self.options[shown]
        answer = self._answer_from(sorted(LETTERS[permutation[LETTERS.index(k)]] for k in self.answer_keys()))
        return dataclasses.replace(self, options=options, answer=answer, weights=None, option_feedback=None)

    def drawn(self, rng: random.Random, *, shuffle_options: bool) -> tuple[Question, tuple[int, ...]]:
        permutation = list(range(len(self.options)))
        if shuffle_options:
            rng.shuffle(permutation)
        return self.permuted(permutation), tuple(permutation)

    def original_choice(self, response: Any, permutation: Sequence[int]) -> list[str]:
        letters = parse_letters(response) if response not in (None, "") else []
        mapped = []
        for item in letters or []:
            index = LETTERS.index(item)
            if index < len(permutation):
                mapped.append(letter(permutation[index]))
        return sorted(mapped)

    def _gift_full_marks(self, index: int) -> bool:
        """Whether option ``index`` is written ``=`` (the single answer) rather than ``~%w%``."""
        return False

    def to_gift(self, title: str) -> str:
        weights = self.option_weights()  # type: ignore[attr-defined]
        feedback = self.option_feedback or [""] * len(self.options)
        lines = [title + "{"]
        for index, option in enumerate(self.options):
            weight = weights[index]
            if self._gift_full_marks(index):
                prefix = "="
            elif abs(weight) < 1e-12:
                prefix = "~"
            else:
                prefix = f"~%{percent(weight)}%"
            lines.append(answer_line(prefix, option, feedback[index]))
        lines += general_lines(self.explanation) + ["}"]
        return "\n".join(lines)


@register_question_type
@dataclass
class SingleChoice(_ChoiceQuestion):
    """Single choice: one option letter is right.

    Grading: the chosen option earns its weight. Without ``weights`` the answer earns 1 and every
    other option 0; with ``weights`` (Moodle's ``~%50%`` partial credit, imported from GIFT) the chosen
    option's weight, clamped to 0..1. ``correct`` means the chosen option is the answer.
    """

    type_name: ClassVar[str] = "single"
    label: ClassVar[str] = "单选"
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        _OPTIONS_FIELD,
        ("answer", "正确答案(一个字母,如 C)", "letter"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/single_take.html"

    answer: str = "A"

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        parsed = cls._parse_options(data)
        index = letter_index(data.get("answer"))
        if index is None:
            raise ValidationError(f"单选题答案应为一个选项字母,实际 {data.get('answer')!r}", "answer")
        parsed["answer"] = letter(index)
        return parsed

    def validate(self) -> None:
        super().validate()
        index = LETTERS.index(self.answer)
        if index >= len(self.options):
            raise ValidationError(
                f"答案 {self.answer} 超出选项范围 A–{letter(len(self.options) - 1)}", "answer"
            )
        if self.weights is not None:
            if abs(self.weights[index] - 1.0) > _EPS:
                raise ValidationError("答案选项的权重应为 1(100%)", "weights")
            if any(w > 1.0 - _EPS for i, w in enumerate(self.weights) if i != index):
                raise ValidationError("只有答案选项可以得满分", "weights")

    def option_weights(self) -> list[float]:
        """Weight of each option (1 for the answer, 0 otherwise unless ``weights`` says more)."""
        if self.weights is not None:
            return list(self.weights)
        return [1.0 if letter(i) == self.answer else 0.0 for i in range(len(self.options))]

    def _specific_dict(self) -> dict[str, Any]:
        return {**self._options_dict(), "answer": self.answer, **self._extras_dict()}

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        index = letter_index(response)
        if index is None or index >= len(self.options):
            return GradeResult.make(
                0.0,
                details={"chosen": None, "answer": self.answer},
                feedback="未作答或选项无效。",
                correct=False,
            )
        chosen = letter(index)
        fraction = self.option_weights()[index]
        correct = chosen == self.answer
        parts = ["回答正确。" if correct else f"回答错误,正确答案是 {self.answer}。"]
        parts += self._option_feedback([index])
        return GradeResult.make(
            fraction,
            details={"chosen": chosen, "answer": self.answer},
            feedback=" ".join(parts),
            correct=correct,
        )

    def answer_text(self) -> str:
        return f"{self.answer}. {self.options[LETTERS.index(self.answer)]}"

    def _answer_from(self, letters: list[str]) -> Any:
        return letters[0]

    def _gift_full_marks(self, index: int) -> bool:
        return letter(index) == self.answer

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        return {"options": list(row.options), "answer": row.answer}, []

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(tuple(self.options), self.answer)

    def parse_response(self, form: Mapping[str, Any], getlist: FormGetList, permutation: Sequence[int]) -> Any:
        value = str(form.get("answer", "")).strip().upper()
        return value if value and value in LETTERS[: len(self.options)] else None

    def describe_response(self, response: Any) -> str:
        index = LETTERS.find(str(response))
        return f"{response}. {self.options[index]}" if 0 <= index < len(self.options) else "未作答"


@register_question_type
@dataclass
class MultipleChoice(_ChoiceQuestion):
    """Multiple choice: several option letters are right.

    Partial-credit rule (Moodle's multiple-response rule with its usual weights): with ``k`` right
    options, every right option ticked earns ``1/k`` and every wrong option ticked costs ``1/k``; the
    sum is floored at 0 (and capped at 1). So ticking all right options and nothing else scores 1,
    ticking everything scores ``max(0, 1 - w/k)`` for ``w`` wrong options. With explicit ``weights``
    (from a Moodle GIFT import such as ``~%50%`` / ``~%-100%``) the ticked options' weights are
    summed instead, floored at 0 and capped at 1, exactly as Moodle does. ``correct`` means exactly
    the right set was ticked.
    """

    type_name: ClassVar[str] = "multiple"
    label: ClassVar[str] = "多选"
    take_hint: ClassVar[str] = "(多选:选对得分,选错扣分,最低 0 分)"
    choice_input: ClassVar[str] = "checkbox"
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        _OPTIONS_FIELD,
        ("answer", "正确答案(字母,用逗号分隔,如 A,C)", "letters"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/multiple_take.html"

    answer: list[str] = field(default_factory=list)

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        parsed = cls._parse_options(data)
        raw = data.get("answer")
        answer = parse_letters(raw) if isinstance(raw, list) else None
        if answer is None and isinstance(raw, str):
            answer = parse_letters(raw)
        if not answer:
            raise ValidationError(f"多选题答案应为选项字母列表,如 [A, C],实际 {raw!r}", "answer")
        parsed["answer"] = answer
        return parsed

    def validate(self) -> None:
        super().validate()
        for item in self.answer:
            if LETTERS.index(item) >= len(self.options):
                raise ValidationError(f"答案 {item} 超出选项范围 A–{letter(len(self.options) - 1)}", "answer")
        if self.weights is not None:
            positive = [letter(i) for i, w in enumerate(self.weights) if w > _EPS]
            if positive != self.answer:
                raise ValidationError(f"得分为正的选项 {positive} 应与答案 {self.answer} 一致", "weights")
            if abs(sum(w for w in self.weights if w > 0) - 1.0) > 1e-3:
                raise ValidationError("正确选项的权重之和应为 1(100%)", "weights")

    @staticmethod
    def default_weights(n_options: int, answer: Sequence[str]) -> list[float]:
        """The weights the default rule gives: ``+1/k`` for right options, ``-1/k`` for wrong ones."""
        k = len(answer)
        return [1.0 / k if letter(i) in answer else -1.0 / k for i in range(n_options)]

    def option_weights(self) -> list[float]:
        """Weight of each option under the rule in force."""
        if self.weights is not None:
            return list(self.weights)
        return self.default_weights(len(self.options), self.answer)

    def _specific_dict(self) -> dict[str, Any]:
        return {**self._options_dict(), "answer": list(self.answer), **self._extras_dict()}

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        chosen = parse_letters(response) if response not in (None, "") else []
        if chosen is None or any(LETTERS.index(c) >= len(self.options) for c in chosen):
            return GradeResult.make(
                0.0, details={"chosen": [], "answer": self.answer}, feedback="选项无效。", correct=False
            )
        weights = self.option_weights()
        raw = sum(weights[LETTERS.index(c)] for c in chosen)
        right = [c for c in chosen if c in self.answer]
        wrong = [c for c in chosen if c not in self.answer]
        missed = [c for c in self.answer if c not in chosen]
        correct = chosen == self.answer
        if correct:
            message = "回答正确。"
        elif not chosen:
            message = f"未作答,正确答案是 {'、'.join(self.answer)}。"
        else:
            message = (
                f"部分正确:选对 {len(right)} 项,选错 {len(wrong)} 项,漏选 {len(missed)} 项;"
                f"正确答案是 {'、'.join(self.answer)}。"
            )
        parts = [message] + self._option_feedback([LETTERS.index(c) for c in chosen])
        return GradeResult.make(
            raw,
            details={
                "chosen": chosen,
                "answer": list(self.answer),
                "right": right,
                "wrong": wrong,
                "missed": missed,
            },
            feedback=" ".join(parts),
            correct=correct,
        )

    def answer_text(self) -> str:
        return ";".join(f"{c}. {self.options[LETTERS.index(c)]}" for c in self.answer)

    def _answer_from(self, letters: list[str]) -> Any:
        return letters

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        letters = parse_letters(row.answer)
        problems: Problems = []
        if letters is None or not letters:
            problems.append(("答案", f"多选题答案应为选项字母,如 A,C;实际「{row.answer}」"))
        return {"options": list(row.options), "answer": letters or []}, problems

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(tuple(self.options), ",".join(self.answer))

    def parse_response(self, form: Mapping[str, Any], getlist: FormGetList, permutation: Sequence[int]) -> Any:
        letters = parse_letters([str(v) for v in getlist("answer")]) or []
        return [item for item in letters if LETTERS.index(item) < len(self.options)]

    def describe_response(self, response: Any) -> str:
        letters = [c for c in response if LETTERS.index(c) < len(self.options)]
        return ";".join(f"{c}. {self.options[LETTERS.index(c)]}" for c in letters) or "未作答"


@register_question_type
@dataclass
class TrueFalse(Question):
    """True/false. Right earns 1, wrong or no answer 0.

    Optional ``feedback_true`` / ``feedback_false`` are shown to whoever answered true / false
    (Moodle's ``{FALSE#feedback if true#feedback if false}``).
    """

    type_name: ClassVar[str] = "truefalse"
    type_keys: ClassVar[tuple[str, ...]] = ("answer", "feedback_true", "feedback_false")
    label: ClassVar[str] = "判断"
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("answer", "正确答案", "bool"),
        ("feedback_true", "选「对」时的反馈", "text"),
        ("feedback_false", "选「错」时的反馈", "text"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/truefalse_take.html"
    preview_partial: ClassVar[str] = "author/kinds/truefalse_preview.html"

    answer: bool = True
    feedback_true: str = ""
    feedback_false: str = ""

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        answer = data.get("answer")
        if not isinstance(answer, bool):
            raise ValidationError(f"判断题答案应为 true 或 false,实际 {answer!r}", "answer")
        out: dict[str, Any] = {"answer": answer}
        for key in ("feedback_true", "feedback_false"):
            value = data.get(key, "")
            if not isinstance(value, str):
                raise ValidationError("应为字符串", key)
            out[key] = value
        return out

    def _specific_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answer": self.answer}
        if self.feedback_true:
            out["feedback_true"] = self.feedback_true
        if self.feedback_false:
            out["feedback_false"] = self.feedback_false
        return out

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        given = parse_bool(response)
        if given is None:
            return GradeResult.make(0.0, details={"chosen": None, "answer": self.answer}, feedback="未作答。")
        correct = given == self.answer
        parts = ["回答正确。" if correct else f"回答错误,正确答案是「{self.answer_text()}」。"]
        extra = self.feedback_true if given else self.feedback_false
        if extra:
            parts.append(extra)
        return GradeResult.make(
            1.0 if correct else 0.0,
            details={"chosen": given, "answer": self.answer},
            feedback=" ".join(parts),
        )

    def answer_text(self) -> str:
        return "对" if self.answer else "错"

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        value = parse_bool(row.answer)
        problems: Problems = []
        if value is None:
            problems.append(("答案", f"判断题答案应为 对 或 错,实际「{row.answer}」"))
        return {"answer": value}, problems

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(answer="对" if self.answer else "错")

    def to_gift(self, title: str) -> str:
        right = self.feedback_true if self.answer else self.feedback_false
        wrong = self.feedback_false if self.answer else self.feedback_true
        body = "TRUE" if self.answer else "FALSE"
        if wrong:
            body += "#" + escape(wrong)
        elif right:
            body += "#"
        if right:
            body += "#" + escape(right)
        general = f"####{escape(self.explanation)}" if self.explanation else ""
        return f"{title}{{{body}{general}}}"

    def parse_response(self, form: Mapping[str, Any], getlist: FormGetList, permutation: Sequence[int]) -> Any:
        return parse_bool(str(form.get("answer", "")))

    def describe_response(self, response: Any) -> str:
        return "对" if response else "错"


# -- fill in the blank ------------------------------------------------------------------------------
_TITLE_MARKS = str.maketrans("", "", "《》〈〉「」『』“”\"'")
_CN_DIGITS = {ch: value for value, chars in enumerate(("零〇", "一", "二两", "三", "四", "五", "六", "七", "八", "九"))
              for ch in chars}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_NUMBER_UNIT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(\D{0,6})$")
# Spellings of the same unit: 块/块钱 are 元; 元/证, 元每证, 元一证 are 元证; 个小时 is 小时.
_UNIT_SPELLINGS = (("块钱", "元"), ("块", "元"), ("/", ""), ("每", ""), ("个", ""), ("一", ""))
# Units a stem may print right after its blank, longest first.
_STEM_UNITS = ("元/平方", "元/证", "元/户", "平方", "小时", "分钟", "元", "天", "声", "次", "份", "证", "户", "层")


def _chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (三, 二十四, 一千, 两百五十), or None when it is not one."""
    if len(text) > 1 and all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # 二四 read digit by digit
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            section = (section + (digit or 0)) or 1
            total += section * 10000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + section + (digit or 0)


def canonical_answer(text: str, *, keep_wildcard: bool = False) -> str:
    """Fold a typed fill-in answer for matching: :func:`normalise_text`, then title marks (《》「」“”)
    dropped and Chinese numerals written as Arabic ones (五十 -> 50, 二十四 -> 24, 三声 -> 3声)."""
    text = normalise_text(text, keep_wildcard=keep_wildcard).translate(_TITLE_MARKS)

    def arabic(match: re.Match[str]) -> str:
        value = _chinese_number(match.group(0))
        return match.group(0) if value is None else str(value)

    return _CN_NUMBER.sub(arabic, text)


def _unit(text: str) -> str:
    for spelling, canonical in _UNIT_SPELLINGS:
        text = text.replace(spelling, canonical)
    return text


def _same_number_in_unit(answer: str, response: str, stem_unit: str) -> bool:
    """``answer`` is a number (with or without its unit) and ``response`` the same number written
    with or without a unit that agrees with the answer's or the one printed after the blank."""
    expected, given = _NUMBER_UNIT.match(answer), _NUMBER_UNIT.match(response)
    if expected is None or given is None or float(expected.group(1)) != float(given.group(1)):
        return False
    said = _unit(given.group(2))
    if not said:
        return True
    units = [u for u in (_unit(expected.group(2)), _unit(stem_unit)) if u]
    return any(said.startswith(unit) or unit.startswith(said) for unit in units)


@dataclass(frozen=True)
class AcceptedAnswer:
    """One accepted fill-in answer. ``*`` in ``text`` matches any run of characters (Moodle)."""

    text: str
    fraction: float = 1.0
    feedback: str = ""

    def matches(self, response: str, *, stem_unit: str = "") -> bool:
        """Whether a response folded by :func:`canonical_answer` matches this answer.

        A numeric answer also matches the same number with or without a unit (50 / 50元 / 五十元/证)
        when the unit agrees with the answer's own or with ``stem_unit``, the unit printed after the
        blank (``每证____元``); 24 does not match 24天 after ``____小时``.
        """
        pattern = canonical_answer(self.text, keep_wildcard=True)
        if "*" not in pattern:
            return pattern == response or _same_number_in_unit(pattern, response, stem_unit)
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        return re.fullmatch(regex, response) is not None

    def to_dict(self) -> str | dict[str, Any]:
        """A plain string for a full-credit answer without feedback, else a mapping."""
        if abs(self.fraction - 1.0) < _EPS and not self.feedback:
            return self.text
        out: dict[str, Any] = {"text": self.text, "fraction": self.fraction}
        if self.feedback:
            out["feedback"] = self.feedback
        return out


@register_question_type
@dataclass
class FillBlank(Question):
    """Fill in the blank: the stem holds at most one blank (``____``); several answers are accepted.

    Matching normalises both sides with :func:`normalise_text` (NFKC full-width -> half-width, no
    whitespace, case folded, trailing punctuation dropped). ``accepted`` lists strings (full credit)
    or ``{text, fraction, feedback}`` mappings (Moodle short-answer weights, e.g. 0.5); the first
    accepted answer that matches decides, as in Moodle. A stem without a blank puts the answer box
    after the stem (Moodle's short-answer layout).
    """

    type_name: ClassVar[str] = "fill"
    type_keys: ClassVar[tuple[str, ...]] = ("accepted",)
    label: ClassVar[str] = "填空"
    typed_answer: ClassVar[bool] = True
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("accepted", "可接受的答案(每行一个;部分得分写作 答案 | 0.5 | 反馈)", "accepted"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/fill_take.html"
    preview_partial: ClassVar[str] = "author/kinds/fill_preview.html"

    accepted: list[AcceptedAnswer] = field(default_factory=list)

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        raw = data.get("accepted")
        if not isinstance(raw, list) or not raw:
            raise ValidationError("填空题需要 accepted: 可接受答案列表", "accepted")
        accepted: list[AcceptedAnswer] = []
        for index, item in enumerate(raw):
            path = f"accepted[{index}]"
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                text = str(item).strip()
                if not text:
                    raise ValidationError("不能为空字符串", path)
                accepted.append(AcceptedAnswer(text))
            elif isinstance(item, Mapping):
                text = str(item.get("text", "")).strip()
                fraction = item.get("fraction", 1.0)
                feedback = item.get("feedback", "")
                if not text:
                    raise ValidationError("text 必填", path)
                if (
                    isinstance(fraction, bool)
                    or not isinstance(fraction, int | float)
                    or not 0 <= fraction <= 1
                ):
                    raise ValidationError(f"fraction 应在 0..1 之间,实际 {fraction!r}", path)
                if not isinstance(feedback, str):
                    raise ValidationError("feedback 应为字符串", path)
                accepted.append(AcceptedAnswer(text, float(fraction), feedback))
            else:
                raise ValidationError("应为字符串或 {text, fraction, feedback}", path)
        return {"accepted": accepted}

    def validate(self) -> None:
        if len(BLANK_PATTERN.findall(self.stem)) > 1:
            raise ValidationError("填空题题干最多只能有一个空(____)", "stem")
        if not any(abs(a.fraction - 1.0) < _EPS for a in self.accepted):
            raise ValidationError("至少要有一个满分答案", "accepted")
        if any(not normalise_text(a.text, keep_wildcard=True) for a in self.accepted):
            raise ValidationError("答案在规范化后为空(只有标点或空白)", "accepted")

    def _specific_dict(self) -> dict[str, Any]:
        return {"accepted": [a.to_dict() for a in self.accepted]}

    def _stem_unit(self) -> str:
        """The unit printed right after the blank (``每证____元`` -> 元), folded like answers."""
        parts = BLANK_PATTERN.split(self.stem, maxsplit=1)
        after = canonical_answer(parts[1]) if len(parts) == 2 else ""
        return next((unit for unit in _STEM_UNITS if after.startswith(unit)), "")

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        given = normalise_text(response) if isinstance(response, str | int | float) else ""
        if not given:
            return GradeResult.make(0.0, details={"given": "", "matched": None}, feedback="未作答。")
        folded, stem_unit = canonical_answer(given), self._stem_unit()
        for answer in self.accepted:
            if answer.matches(folded, stem_unit=stem_unit):
                fraction = answer.fraction
                if fraction >= 1.0 - _EPS:
                    message = "回答正确。"
                elif fraction > 0:
                    message = f"部分正确,参考答案:{self.answer_text()}。"
                else:
                    message = f"回答错误,参考答案:{self.answer_text()}。"
                parts = [message] + ([answer.feedback] if answer.feedback else [])
                return GradeResult.make(
                    fraction, details={"given": given, "matched": answer.text}, feedback=" ".join(parts)
                )
        return GradeResult.make(
            0.0,
            details={"given": given, "matched": None},
            feedback=f"回答错误,参考答案:{self.answer_text()}。",
        )

    def answer_text(self) -> str:
        full = [a.text for a in self.accepted if abs(a.fraction - 1.0) < _EPS and "*" not in a.text]
        return " / ".join(full or [self.accepted[0].text])

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        return {"accepted": split_cell_list(row.answer)}, []

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(answer="|".join(a.text for a in self.accepted))

    def to_gift(self, title: str) -> str:
        lines = [title + "{"]
        for answer in self.accepted:
            prefix = "=" if abs(answer.fraction - 1.0) < 1e-9 else f"=%{percent(answer.fraction)}%"
            lines.append(answer_line(prefix, answer.text, answer.feedback))
        lines += general_lines(self.explanation) + ["}"]
        return "\n".join(lines)


# -- ordering ---------------------------------------------------------------------------------------
def longest_increasing_subsequence(values: Sequence[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting, O(n log n))."""
    import bisect

    tails: list[int] = []
    for value in values:
        position = bisect.bisect_left(tails, value)
        if position == len(tails):
            tails.append(value)
        else:
            tails[position] = value
    return len(tails)


@register_question_type
@dataclass
class Ordering(Question):
    """Put items in order; ``items`` lists them in the correct order (shown shuffled).

    Partial credit by longest correct subsequence (Moodle qtype_ordering's "longest ordered
    subset"): ``fraction = L / n`` where ``L`` is the length of the longest run of items, not
    necessarily adjacent, that the trainee placed in the correct relative order. A fully right order
    scores 1; one item moved to the wrong place scores ``(n - 1) / n``.
    """

    type_name: ClassVar[str] = "ordering"
    type_keys: ClassVar[tuple[str, ...]] = ("items",)
    label: ClassVar[str] = "排序"
    take_hint: ClassVar[str] = "(按正确顺序排列)"
    exports_to_gift: ClassVar[bool] = False
    xlsx_option_cells: ClassVar[bool] = True
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("items", "步骤(每行一个,按正确顺序;学员看到的是打乱后的顺序)", "lines"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/ordering_take.html"
    preview_partial: ClassVar[str] = "author/kinds/ordering_preview.html"

    items: list[str] = field(default_factory=list)

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        items = _str_list(data.get("items"), "items", min_len=2)
        if len(items) > MAX_OPTIONS:
            raise ValidationError(f"最多 {MAX_OPTIONS} 项,实际 {len(items)}", "items")
        return {"items": items}

    def validate(self) -> None:
        if len(set(self.items)) != len(self.items):
            raise ValidationError("排序项有重复", "items")

    def _specific_dict(self) -> dict[str, Any]:
        return {"items": list(self.items)}

    def _positions(self, response: Any) -> list[int] | None:
        if (
            not isinstance(response, Sequence)
            or isinstance(response, str)
            or len(response) != len(self.items)
        ):
            return None
        positions: list[int] = []
        for value in response:
            if isinstance(value, int) and not isinstance(value, bool):
                index = value
            elif isinstance(value, str) and value in self.items:
                index = self.items.index(value)
            else:
                return None
            if not 0 <= index < len(self.items):
                return None
            positions.append(index)
        if sorted(positions) != list(range(len(self.items))):
            return None
        return positions

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        positions = self._positions(response)
        if positions is None:
            return GradeResult.make(0.0, details={"order": None}, feedback="未作答或排序不完整。")
        n = len(self.items)
        longest = longest_increasing_subsequence(positions)
        in_place = sum(1 for slot, index in enumerate(positions) if slot == index)
        fraction = longest / n
        if longest == n:
            message = "顺序完全正确。"
        else:
            message = f"有 {longest}/{n} 项的先后顺序正确;正确顺序:{self.answer_text()}。"
        return GradeResult.make(
            fraction,
            details={"order": positions, "longest_ordered": longest, "in_place": in_place},
            feedback=message,
        )

    def answer_text(self) -> str:
        return " → ".join(self.items)

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        listed = list(row.options)
        if not row.answer:
            return {"items": listed}, []
        order = _ordering_letters(row.answer)
        if order is None or sorted(order) != list(range(len(listed))):
            message = f"排序题答案应为全部 {len(listed)} 个选项字母的正确顺序,如 C,A,B;实际「{row.answer}」"
            return {"items": listed}, [("答案", message)]
        return {"items": [listed[i] for i in order]}, []

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(tuple(self.items), ",".join(letter(i) for i in range(len(self.items))))

    def to_gift(self, title: str) -> str:
        raise ValueError("GIFT 没有排序题格式(Moodle 核心不含排序题)")

    def drawn(self, rng: random.Random, *, shuffle_options: bool) -> tuple[Question, tuple[int, ...]]:
        return self, tuple(_non_identity_shuffle(rng, len(self.items)))  # never shown in the right order

    def shown_items(self, permutation: Sequence[int]) -> list[str]:
        return [self.items[i] for i in permutation]

    def parse_response(self, form: Mapping[str, Any], getlist: FormGetList, permutation: Sequence[int]) -> Any:
        shown = self.shown_items(permutation)
        order = []
        for value in getlist("order")[: len(shown)]:
            text = str(value).strip()
            order.append(shown[int(text)] if text.isdigit() and int(text) < len(shown) else "")
        return order + [""] * (len(shown) - len(order))

    def describe_response(self, response: Any) -> str:
        return " → ".join(v or "(空)" for v in response)


def _ordering_letters(text: str) -> list[int] | None:
    normal = unicodedata.normalize("NFKC", text).upper()
    parts = [p for p in re.split(r"[\s,;、|/→>-]+", normal) if p]
    if len(parts) == 1 and len(parts[0]) > 1:
        parts = list(parts[0])
    indices = [letter_index(p) for p in parts]
    if any(i is None for i in indices):
        return None
    return indices  # type: ignore[return-value]


# -- short answer -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyPoint:
    """A point a short answer must make.

    ``keywords`` (optional) help the checklist find it; ``requires`` (optional) are cues that must
    also appear for the point to count, e.g. the fee amount ``re:(?<![0-9])1000\\s*元``: without them
    the point earns half credit in the score and is listed as not met.
    """

    text: str
    keywords: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    def to_dict(self) -> str | dict[str, Any]:
        """A plain string unless keywords or required cues are given."""
        if not self.keywords and not self.requires:
            return self.text
        out: dict[str, Any] = {"text": self.text}
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.requires:
            out["requires"] = list(self.requires)
        return out


_INQUIRY_ITEMS = ("greet_org", "answer", "confirm_needs", "close_polite")
# "验房:抄水、电、气表底数……": a short step name, a colon, then what the step asks.
_KEY_POINT_HEADING = re.compile(r"^([^:\uff1a,\uff0c;\uff1b\u3002]{2,12})[:\uff1a](.+)$", re.S)


def _band(score: int) -> str:
    """``scoring``'s band for a 0-100 score (imported lazily, like the scorer)."""
    from scoring import band_for

    return band_for(score)


def default_scorer(reply: str, references: Sequence[str], rubric: Any) -> ScoreLike:
    """Score with ``scoring.score`` (imported lazily, so other types never load the model)."""
    import scoring

    return scoring.score(reply, references, rubric)


@register_question_type
@dataclass
class ShortAnswer(Question):
    """Short answer, graded by ``scoring`` against the reference answer and the key points.

    The rubric is the built-in ``inquiry`` rubric with all its items dropped and one checklist item
    per key point added (id ``kp1`` ..., the key point as label and exemplar, its keywords or the
    key point's short heading as keyword, see :meth:`_cues`). ``fraction`` is ``scoring``'s 0–100
    score / 100 (checklist, semantic match to the reference and blocker caps combined);
    ``correct`` means band 优秀/良好, or every key point hit. ``details`` lists the key points hit
    and missed, the band and the path that decided the score. The explanation is shown with the result.
    """

    type_name: ClassVar[str] = "short"
    type_keys: ClassVar[tuple[str, ...]] = ("reference", "key_points")
    label: ClassVar[str] = "简答"
    typed_answer: ClassVar[bool] = True
    graded_on_submit: ClassVar[bool] = True
    exports_to_gift: ClassVar[bool] = False
    xlsx_key_points: ClassVar[bool] = True
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("reference", "参考答案", "area"),
        ("key_points", "要点(每行一个;可写作 要点 | 关键词1,关键词2)", "points"),
    )
    take_partial: ClassVar[str] = "quiz/kinds/short_take.html"
    result_facts_partial: ClassVar[str] = "quiz/kinds/short_result_facts.html"
    preview_partial: ClassVar[str] = "author/kinds/short_preview.html"

    reference: str = ""
    key_points: list[KeyPoint] = field(default_factory=list)

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        reference = _require_str(data, "reference")
        raw = data.get("key_points")
        if not isinstance(raw, list) or not raw:
            raise ValidationError("简答题需要 key_points: 要点列表", "key_points")
        points: list[KeyPoint] = []
        for index, item in enumerate(raw):
            path = f"key_points[{index}]"
            if isinstance(item, str) and item.strip():
                points.append(KeyPoint(item.strip()))
            elif isinstance(item, Mapping) and isinstance(item.get("text"), str) and item["text"].strip():
                unknown = set(item) - {"text", "keywords", "requires"}
                if unknown:
                    allowed = "text, keywords, requires"
                    raise ValidationError(f"未知字段 {sorted(map(str, unknown))};要点可用: {allowed}", path)
                cues: dict[str, tuple[str, ...]] = {}
                for key in ("keywords", "requires"):
                    values = item.get(key, [])
                    if not isinstance(values, list) or not all(isinstance(k, str) and k for k in values):
                        raise ValidationError(f"{key} 应为非空字符串列表", f"{path}.{key}")
                    cues[key] = tuple(values)
                points.append(KeyPoint(item["text"].strip(), cues["keywords"], cues["requires"]))
            else:
                raise ValidationError("应为要点字符串或 {text, keywords, requires}", path)
        return {"reference": reference, "key_points": points}

    def validate(self) -> None:
        texts = [p.text for p in self.key_points]
        if len(set(texts)) != len(texts):
            raise ValidationError("要点有重复", "key_points")

    def _specific_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "key_points": [p.to_dict() for p in self.key_points]}

    @staticmethod
    def _cues(point: KeyPoint) -> tuple[list[str], list[str]]:
        """Keywords and exemplars for one key point.

        A key point may open with a step name and a colon (``验房:抄水、电、气表底数……``); the step
        name alone never meets the point, so it is neither a keyword nor an exemplar: naming the
        headings of a procedure is not saying what to do in it. Keywords: the given ones, else the
        key point itself when short (<= 8 characters). Exemplars: the text after the heading and
        each of its clauses.
        """
        heading = _KEY_POINT_HEADING.match(point.text)
        body = heading.group(2).strip() if heading else point.text
        keywords = list(point.keywords)
        if not keywords and len(point.text) <= 8:
            keywords = [point.text]
        clauses = [c.strip() for c in re.split(r"[:\uff1a,\uff0c;\uff1b\u3001\u3002]", body) if len(c.strip()) >= 2]
        exemplars = list(dict.fromkeys([body, *clauses]))
        return keywords, exemplars

    def rubric_spec(self) -> dict[str, Any]:
        """The ``scoring`` rubric spec: ``inquiry`` with its items dropped and one item per key point."""
        add = []
        for index, point in enumerate(self.key_points):
            keywords, exemplars = self._cues(point)
            item: dict[str, Any] = {
                "id": f"kp{index + 1}",
                "label": point.text,
                "weight": 1,
                "skill": "accuracy",
                "exemplars": exemplars,
            }
            if keywords:
                item["keywords"] = keywords
            if point.requires:
                item["requires"] = list(point.requires)
            add.append(item)
        return {"base": "inquiry", "drop": list(_INQUIRY_ITEMS), "add": add}

    def grade(self, response: Any, *, scorer: Scorer | None = None) -> GradeResult:
        reply = str(response).strip() if isinstance(response, str) else ""
        if not reply:
            return GradeResult.make(
                0.0,
                details={"hit": [], "missed": [p.text for p in self.key_points]},
                feedback=f"未作答。参考答案:{self.reference}",
            )
        result = (scorer or default_scorer)(reply, [self.reference], self.rubric_spec())
        hit_ids = set(result.hit_ids)
        # A point with required cues found without them (the right fee named with a wrong amount)
        # is not met; the score is then capped at the share of points met, so a fluent answer with
        # every amount wrong cannot pass on its similarity to the reference.
        required = {f"kp{i + 1}" for i, p in enumerate(self.key_points) if p.requires}
        partial = {h.item for h in getattr(result, "hits", ()) if getattr(h, "credit", 1.0) < 1.0}
        hit_ids -= partial & required
        hit = [p.text for i, p in enumerate(self.key_points) if f"kp{i + 1}" in hit_ids]
        missed = [p.text for i, p in enumerate(self.key_points) if f"kp{i + 1}" not in hit_ids]
        score = result.score
        wrong_required = bool(partial & required)
        if wrong_required:
            score = min(score, round(100 * len(hit) / len(self.key_points)))
        band = result.band if score == result.score else _band(score)
        parts = [f"得分 {score}({band})。"]
        if missed:
            parts.append("未答到的要点:" + ";".join(missed) + "。")
        else:
            parts.append("要点全部答到。")
        if result.feedback:
            parts.append(result.feedback)
        return GradeResult.make(
            score / 100.0,
            details={
                "hit": hit,
                "missed": missed,
                "band": band,
                "score": score,
                "decided_by": getattr(result, "decided_by", "") if score == result.score else "required_cues",
            },
            feedback=" ".join(parts),
            correct=not missed or (band in ("优秀", "良好") and not wrong_required),
        )

    def answer_text(self) -> str:
        return self.reference

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], Problems]:
        return {"reference": row.answer, "key_points": split_cell_list(row.key_points)}, []

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(answer=self.reference, key_points="\n".join(p.text for p in self.key_points))

    def to_gift(self, title: str) -> str:
        raise ValueError("GIFT 只能把简答题写成问答题(essay),参考答案和要点无法表达,Moodle 也无法自动评分")


def get_question_type(name: str) -> type[Question]:
    """Look a question type up by its ``type`` name.

    Raises:
        ValidationError: unknown name; the message lists the valid names.
    """
    try:
        return QUESTION_TYPES[name]
    except (KeyError, TypeError):
        valid = ", ".join(QUESTION_TYPES)
        raise ValidationError(f"未知题型 {name!r},可用题型: {valid}", "type") from None


def question_from_dict(data: Mapping[str, Any], *, require_source: bool = True) -> Question:
    """Build a question of the type its ``type`` field names; raises :class:`ValidationError`."""
    if not isinstance(data, Mapping):
        raise ValidationError("题目应为映射")
    return get_question_type(data.get("type")).from_dict(data, require_source=require_source)  # type: ignore[arg-type]
