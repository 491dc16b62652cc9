"""Quizzes on the manuals: question types, grading, the bank, quiz definitions, import/export, item analysis.

Pure Python (no Flask, no database). See docs/design.md ("quizzes") for the file formats.

Typical use from the web app::

    from quizzes import load_bank, load_definitions, draw, grade_attempt, new_seed

    bank = load_bank()
    quiz = load_definitions()["basic-cert"]
    seed = new_seed()                                  # store it with the attempt
    questions = draw(quiz, bank, seed)                 # same seed -> same questions and shuffles
    result = grade_attempt(quiz, questions, {"luasf-001": "B", ...})
"""

from __future__ import annotations

from .analysis import AttemptData, ItemResponse, ItemStats, analyse
from .bank import TOPICS, Bank, LintProblem, lint_bank, load_bank
from .definitions import (
    AttemptResult,
    DrawnQuestion,
    DrawRule,
    QuizDefinition,
    draw,
    grade_attempt,
    load_definition,
    load_definitions,
    new_seed,
)
from .gift import GiftExport, GiftImport, GiftParseResult, GiftProblem, export_gift, import_gift, parse_gift
from .types import (
    KIND_HOOKS,
    QUESTION_TYPES,
    TYPE_LABELS,
    FillBlank,
    GradeResult,
    MultipleChoice,
    Ordering,
    Question,
    ShortAnswer,
    SingleChoice,
    Source,
    TrueFalse,
    ValidationError,
    XlsxRow,
    canonical_answer,
    get_question_type,
    normalise_text,
    question_from_dict,
    register_question_type,
)
from .xlsx import (
    BankImportError,
    RowError,
    export_xlsx,
    export_xlsx_bytes,
    import_xlsx,
    template,
    template_bytes,
)

__all__ = [
    "KIND_HOOKS",
    "QUESTION_TYPES",
    "TOPICS",
    "TYPE_LABELS",
    "AttemptData",
    "AttemptResult",
    "Bank",
    "BankImportError",
    "DrawRule",
    "DrawnQuestion",
    "FillBlank",
    "GiftExport",
    "GiftImport",
    "GiftParseResult",
    "GiftProblem",
    "GradeResult",
    "ItemResponse",
    "ItemStats",
    "LintProblem",
    "MultipleChoice",
    "Ordering",
    "Question",
    "QuizDefinition",
    "RowError",
    "ShortAnswer",
    "SingleChoice",
    "Source",
    "TrueFalse",
    "ValidationError",
    "XlsxRow",
    "analyse",
    "draw",
    "export_gift",
    "export_xlsx",
    "export_xlsx_bytes",
    "get_question_type",
    "grade_attempt",
    "import_gift",
    "import_xlsx",
    "lint_bank",
    "load_bank",
    "load_definition",
    "load_definitions",
    "new_seed",
    "canonical_answer",
    "normalise_text",
    "parse_gift",
    "question_from_dict",
    "register_question_type",
    "template",
    "template_bytes",
]
