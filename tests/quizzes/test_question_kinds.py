"""The question-type registry is the single point of a type's behaviour: every registered kind
provides every hook, a toy kind defined here round-trips through the bank mapping, XLSX and a draw
without any other module knowing it, and no other module dispatches on a concrete type."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from quizzes import export_gift, export_xlsx_bytes, import_xlsx
from quizzes.definitions import DrawnQuestion
from quizzes.types import (
    KIND_HOOKS,
    QUESTION_TYPES,
    TYPE_LABELS,
    GradeResult,
    Question,
    XlsxRow,
    get_question_type,
    question_from_dict,
    register_question_type,
    unregister_question_type,
)
from quizzes.xlsx import question_to_cells, row_to_dict

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "simulator" / "templates"


@dataclass
class Keyword(Question):
    """A toy type: the answer must contain the keyword."""

    type_name: ClassVar[str] = "keyword"
    type_keys: ClassVar[tuple[str, ...]] = ("keyword",)
    label: ClassVar[str] = "关键词"
    typed_answer: ClassVar[bool] = True
    form_fields: ClassVar[tuple[tuple[str, str, str], ...]] = (("keyword", "必须出现的关键词", "text"),)
    take_partial: ClassVar[str] = "quiz/kinds/fill_take.html"
    preview_partial: ClassVar[str] = "author/kinds/fill_preview.html"

    keyword: str = ""

    @classmethod
    def _parse_specific(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"keyword": str(data.get("keyword", "")).strip()}

    def _specific_dict(self) -> dict[str, Any]:
        return {"keyword": self.keyword}

    def grade(self, response: Any, *, scorer: Any = None) -> GradeResult:
        return GradeResult.make(1.0 if self.keyword in str(response or "") else 0.0)

    def answer_text(self) -> str:
        return self.keyword

    @classmethod
    def from_xlsx_cells(cls, row: XlsxRow) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {"keyword": row.answer}, [] if row.answer else [("答案", "关键词必填")]

    def xlsx_cells(self) -> XlsxRow:
        return XlsxRow(answer=self.keyword)


TOY = {
    "id": "toy-001",
    "type": "keyword",
    "stem": "业主报修时,第一句话应包含什么?",
    "keyword": "您好",
    "explanation": "先问候。",
    "topic": "礼仪与仪表",
    "difficulty": 1,
    "source": {"general": "通用安全规范"},
}


@pytest.fixture
def toy_kind():
    register_question_type(Keyword)
    yield Keyword
    unregister_question_type("keyword")


@pytest.mark.parametrize("name", list(QUESTION_TYPES))
def test_every_registered_kind_provides_every_hook_and_its_partials_exist(name):
    kind = get_question_type(name)
    assert not getattr(kind, "__abstractmethods__", None)
    for hook in KIND_HOOKS:
        assert getattr(kind, hook, None), f"{name} lacks {hook}"
    assert TYPE_LABELS[name] == kind.label
    for attr in ("take_partial", "preview_partial", "result_partial", "result_facts_partial"):
        partial = getattr(kind, attr)
        assert not partial or (TEMPLATES / partial).is_file(), f"{name}.{attr}: {partial} missing"


def test_a_kind_without_its_hooks_is_refused():
    @dataclass
    class Half(Keyword):
        type_name: ClassVar[str] = "half"
        take_partial: ClassVar[str] = ""

    with pytest.raises(ValueError, match="take_partial"):
        register_question_type(Half)
    assert "half" not in QUESTION_TYPES


def test_a_toy_kind_round_trips_through_the_mapping_xlsx_and_a_draw(toy_kind):
    question = question_from_dict(TOY)
    assert isinstance(question, Keyword) and question.to_dict() == TOY
    assert question.type_label == "关键词" and TYPE_LABELS["keyword"] == "关键词"
    # one row of the sheet, then the whole workbook
    cells = question_to_cells(question)
    assert cells["题型"] == "关键词" and cells["答案"] == "您好" and not cells["扩展(JSON)"]
    data, problems = row_to_dict(cells)
    assert not problems and question_from_dict(data) == question
    assert [q.to_dict() for q in import_xlsx(export_xlsx_bytes([question]))] == [TOY]
    # the codec's own problems reach the importer's list
    assert ("答案", "关键词必填") in row_to_dict({**cells, "答案": ""})[1]
    # GIFT refuses it by name instead of writing something wrong
    exported = export_gift([question])
    assert exported.exported == [] and exported.skipped == [("toy-001", "GIFT 没有关键词题格式")]
    # drawn, answered and described by the generic hooks
    shown, permutation = question.drawn(random.Random(1), shuffle_options=True)
    drawn = DrawnQuestion(shown, permutation)
    response = drawn.parse_response({"answer": "您好,物业"}, lambda _name: [])
    assert drawn.grade(response).correct and question.describe_response(response) == "您好,物业"
    assert DrawnQuestion.from_dict(drawn.to_dict()) == drawn


def test_after_unregistering_the_toy_kind_is_unknown(toy_kind):
    unregister_question_type("keyword")
    with pytest.raises(Exception, match="未知题型 'keyword'"):
        question_from_dict(TOY)
    register_question_type(Keyword)  # the fixture removes it again


# A complement to the tests above: the per-type switches must not come back elsewhere.
CONCRETE = r"(SingleChoice|MultipleChoice|TrueFalse|FillBlank|Ordering|ShortAnswer|_ChoiceQuestion)"
DISPATCH_PY = [
    re.compile(rf"isinstance\([^)]*{CONCRETE}"),
    re.compile(r"type_name\s*(==|!=|in)\s*[\(\[\"']"),
    re.compile(r"\bkind\s*(==|in)\s*[\(\"'](single|multiple|truefalse|fill|ordering|short)"),
]
DISPATCH_HTML = [re.compile(r"type_name\s*(==|!=|in)\s"), re.compile("ABCDEFGH")]


def test_no_module_outside_quizzes_types_switches_on_the_question_type():
    offenders = []
    for package in ("quizzes", "simulator", "scoring", "scenarios", "contentio"):
        for path in (REPO / package).rglob("*.py"):
            if path == REPO / "quizzes" / "types.py" or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(p.search(line) for p in DISPATCH_PY):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in DISPATCH_HTML):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
