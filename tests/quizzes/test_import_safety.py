"""Issue 14.8 and 14.9 in the pure package: control characters, nesting and topics that break a line."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from quizzes import BankImportError, export_gift, export_xlsx_bytes, import_xlsx, parse_gift, question_from_dict
from quizzes.xlsx import TEMPLATE_EXAMPLE, json_depth, load_json_object


def example(**changes):
    return question_from_dict({**TEMPLATE_EXAMPLE, **changes})


def test_a_gift_question_with_a_control_character_is_refused_by_name_and_line():
    text = "::ok-1::电话铃响几声内接听?{=三声 ~五声}\n\n::bad-1::电话\x01铃响几声内接听?{=三声 ~五声}\n"
    result = parse_gift(text)
    assert [q.question.id for q in result.questions] == ["ok-1"]
    [problem] = result.problems
    assert (problem.line, problem.name) == (3, "bad-1") and "控制字符 U+0001" in problem.message


def test_an_xlsx_row_with_a_control_character_names_its_row_and_column():
    data = export_xlsx_bytes([example(id="a-1"), example(id="a-2", stem="电话铃响\x85几声内接听?")])
    with pytest.raises(BankImportError) as caught:
        import_xlsx(data)
    assert [str(e) for e in caught.value.errors] == ["第 3 行「题干」列:含有不可见的控制字符 U+0085,请删除后再导入"]


def test_the_xlsx_export_survives_a_stored_control_character():
    """Before issue 14.8 openpyxl refused the character and the export was a 500 for everyone."""
    data = export_xlsx_bytes([example(stem="电话\x01铃响几声内接听?")])
    sheet = load_workbook(io.BytesIO(data))["题库"]
    assert sheet.cell(row=2, column=5).value == "电话\ufffd铃响几声内接听?"


def test_a_topic_with_a_newline_cannot_inject_a_question_into_the_gift_export():
    question = example(topic="电话与在线服务\n\n::injected::注入的题目{=是 ~否}\n")
    text = export_gift([question]).text
    result = parse_gift(text)
    assert [q.question.id for q in result.questions] == ["example-001"] and not result.problems
    assert "injected" not in [q.name for q in result.questions]


def test_a_gift_meta_topic_with_a_newline_is_refused():
    text = '// guanjia: {"topic": "a\\nb"}\n::t-1::电话铃响几声内接听?{=三声 ~五声}\n'
    result = parse_gift(text)
    assert not result.questions and "主题含有换行" in result.problems[0].message


@pytest.mark.parametrize(
    ("text", "depth"), [("{}", 1), ('{"a": [1, {"b": "[[[["}]}', 3), ('"{{{"', 0), ("[" * 50 + "]" * 50, 50)]
)
def test_json_depth_skips_strings(text, depth):
    assert json_depth(text) == depth


def test_deep_json_is_refused_before_the_parser_recurses():
    with pytest.raises(ValueError, match="嵌套超过 20 层"):
        load_json_object("[" * 100_000 + "]" * 100_000)
