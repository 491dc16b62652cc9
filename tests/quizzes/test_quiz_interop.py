"""XLSX and Moodle GIFT import/export: good files, bad files, the round trip, Moodle's fixture."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from quizzes import (
    BankImportError,
    export_gift,
    export_xlsx,
    export_xlsx_bytes,
    import_gift,
    import_xlsx,
    load_bank,
    parse_gift,
    template,
)
from quizzes.xlsx import HEADERS
from tests.conftest import shared_path

MOODLE_FIXTURE = shared_path("interop", "moodle-questions.gift.txt")


def test_template_has_chinese_headers_and_an_example_row_that_imports():
    workbook = template()
    sheet = workbook["题库"]
    header = [c.value for c in sheet[1]]
    assert (
        header[:5] == ["题目ID", "题型", "主题", "难度", "题干"]
        and "选项A" in header
        and "来源章节" in header
    )
    assert sheet.max_row == 2 and sheet.cell(row=2, column=2).value == "单选"
    assert "填写说明" in workbook.sheetnames
    buffer = io.BytesIO()
    workbook.save(buffer)
    [question] = import_xlsx(buffer.getvalue())
    assert question.answer == "B" and question.source.section == "客户服务口诀"


def test_xlsx_round_trip_of_the_shipped_bank_is_lossless(tmp_path):
    bank = load_bank()
    path = tmp_path / "bank.xlsx"
    export_xlsx(bank, path)
    imported = import_xlsx(path)
    assert [q.to_dict() for q in imported] == [q.to_dict() for q in bank]


def test_xlsx_round_trip_keeps_moodle_extras():
    questions = parse_gift(MOODLE_FIXTURE.read_text(encoding="utf-8"))
    originals = [g.question for g in questions.questions]
    imported = import_xlsx(export_xlsx_bytes(originals), topics=None, require_source=False)
    assert [q.to_dict() for q in imported] == [q.to_dict() for q in originals]


def _sheet(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(HEADERS)
    for row in rows:
        cells = dict.fromkeys(HEADERS, None) | row
        sheet.append([cells[h] for h in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD = {
    "题目ID": "x-1",
    "题型": "单选",
    "主题": "电话与在线服务",
    "难度": 1,
    "题干": "电话铃响几声内接听?",
    "选项A": "一声",
    "选项B": "三声",
    "答案": "B",
    "解析": "口诀",
    "来源文件": "003_155df04f83bb14c9.txt",
    "来源章节": "客户服务口诀",
}


def test_xlsx_import_reads_every_type():
    rows = [
        GOOD,
        GOOD | {"题目ID": "x-2", "题型": "多选", "选项C": "五声", "答案": "A、C"},
        GOOD | {"题目ID": "x-3", "题型": "判断", "选项A": None, "选项B": None, "答案": "错"},
        GOOD
        | {
            "题目ID": "x-4",
            "题型": "填空",
            "题干": "铃响____内",
            "选项A": None,
            "选项B": None,
            "答案": "三声|3声",
        },
        GOOD
        | {
            "题目ID": "x-5",
            "题型": "排序",
            "选项A": "领取钥匙",
            "选项B": "验明身份",
            "选项C": "验房",
            "答案": "B,A,C",
        },
        GOOD
        | {
            "题目ID": "x-6",
            "题型": "简答",
            "选项A": None,
            "选项B": None,
            "答案": "参考答案",
            "要点": "甲\n乙",
        },
    ]
    questions = import_xlsx(_sheet(rows))
    assert [q.type_name for q in questions] == [
        "single",
        "multiple",
        "truefalse",
        "fill",
        "ordering",
        "short",
    ]
    assert questions[1].answer == ["A", "C"]
    assert questions[2].answer is False
    assert [a.text for a in questions[3].accepted] == ["三声", "3声"]
    assert questions[4].items == ["验明身份", "领取钥匙", "验房"]
    assert [p.text for p in questions[5].key_points] == ["甲", "乙"]


def test_xlsx_import_is_all_or_nothing_and_names_rows_and_columns():
    rows = [
        GOOD,
        GOOD | {"题目ID": "x-1"},
        GOOD | {"题目ID": "x-3", "答案": "D"},
        GOOD | {"题目ID": "x-4", "题型": "问答"},
        GOOD | {"题目ID": "x-5", "主题": "不存在"},
        GOOD | {"题目ID": "x-6", "来源文件": None, "来源章节": None},
        GOOD | {"题目ID": "x-7", "题型": "判断", "选项A": None, "选项B": None, "答案": "也许"},
        GOOD | {"题目ID": "x-8", "难度": 9},
    ]
    with pytest.raises(BankImportError) as caught:
        import_xlsx(_sheet(rows))
    errors = {(e.row, e.column) for e in caught.value.errors}
    assert errors == {
        (3, "题目ID"),
        (4, "答案"),
        (5, "题型"),
        (6, "主题"),
        (7, "来源文件/来源章节"),
        (8, "答案"),
        (9, "难度"),
    }
    message = str(caught.value)
    assert "第 3 行「题目ID」列:与第 2 行重复: x-1" in message
    assert "第 4 行「答案」列:答案 D 超出选项范围 A–B" in message


def test_xlsx_import_rejects_missing_headers_and_non_xlsx():
    workbook = Workbook()
    workbook.active.append(["题目ID", "题干"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(BankImportError) as caught:
        import_xlsx(buffer.getvalue())
    assert {e.column for e in caught.value.errors} == {"题型", "主题", "难度", "答案", "解析"}
    with pytest.raises(BankImportError, match="无法读取"):
        import_xlsx(b"not a workbook")


def test_exported_text_starting_with_equals_stays_text(tmp_path):
    questions = parse_gift(MOODLE_FIXTURE.read_text(encoding="utf-8")).questions
    path = tmp_path / "x.xlsx"
    export_xlsx([g.question for g in questions], path)
    sheet = load_workbook(path)["题库"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# -- GIFT -------------------------------------------------------------------------------------------
def test_moodle_fixture_reads_as_moodle_does():
    result = parse_gift(MOODLE_FIXTURE.read_text(encoding="utf-8"))
    assert [(p.line, p.qtype, p.name) for p in result.problems] == [
        (2, "essay", "Q8"),
        (5, "match", "Moodle activities"),
        (31, "numerical", "Q5"),
    ]
    by_name = {g.name: g for g in result.questions}
    assert [g.name for g in result.questions] == [
        "Q2",
        "colours",
        "Shortanswer",
        "Q1",
        "2-08 TSL",
        "2-08 TSL",
    ]

    q2 = by_name["Q2"].question
    assert q2.type_name == "single" and q2.stem == "What's between orange and green in the spectrum?"
    assert q2.options == ["yellow", "red", "blue"] and q2.answer == "A" and q2.option_weights() == [1, 0, 0]
    assert q2.option_feedback == ["right; good!", "wrong, it's yellow", "wrong, it's yellow"]

    colours = by_name["colours"].question
    assert colours.type_name == "multiple" and colours.options == ["yellow", "red", "off-beige", "blue"]
    assert colours.weights == [0.5, -1.0, 0.5, -1.0] and colours.answer == ["A", "C"]
    assert colours.option_feedback == ["right; good!", "wrong", "right; good!", "wrong"]

    short = by_name["Shortanswer"].question
    assert short.type_name == "fill" and short.stem == "Which is the best animal?"
    assert [(a.text, a.fraction, a.feedback) for a in short.accepted] == [
        ("Frog", 1.0, "Good!"),
        ("Cat", 0.5, "What is it with Moodlers and cats?"),
        ("*", 0.0, "Completely wrong"),
    ]

    q1 = by_name["Q1"].question
    assert q1.type_name == "truefalse" and q1.answer is False
    assert (
        q1.feedback_true == "42 is the Ultimate Answer." and q1.feedback_false == "You gave the right answer."
    )
    assert q1.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    # the fixture's stray '";' after the closing brace makes Moodle use its missing-word layout
    assert q1.stem == '42 is the Absolute Answer to everything._____";'

    tsl = [g.question for g in result.questions if g.name == "2-08 TSL"]
    assert [(q.id, q.answer, q.stem) for q in tsl] == [
        ("2-08-TSL", True, "TSL is blablabla."),
        ("2-08-TSL-2", True, "TSL is blablabla."),
    ]


def test_import_gift_strict_raises_and_partial_says_what_was_left_out():
    text = MOODLE_FIXTURE.read_text(encoding="utf-8")
    with pytest.raises(BankImportError) as caught:
        import_gift(text)
    assert [str(e) for e in caught.value.errors][0] == "第 2 行「Q8」:不支持的题型:问答题(essay)"
    partial = import_gift(text, strict=False)
    assert partial.partial and len(partial.questions) == 6 and len(partial.skipped) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("::a:: 缺右括号 {=甲 ~乙", "花括号不配对"),
        ("::a:: 单选两个满分 {=甲 =乙 ~丙}", "恰有一个满分"),
        ("::a:: 只有一个选项 {~甲}", "至少需要 2 个选项"),
        ("::a:: 说明文字,没有答案", "说明文字"),
    ],
)
def test_gift_problems_are_reported_with_line(text, message):
    result = parse_gift("// 注释\n\n" + text)
    assert len(result.problems) == 1
    assert result.problems[0].line == 3 and message in result.problems[0].message


def test_gift_round_trip_of_the_shipped_bank():
    bank = load_bank()
    exported = export_gift(bank)
    assert {reason for _, reason in exported.skipped} and all(
        bank.get(qid).type_name in ("ordering", "short") for qid, _ in exported.skipped
    )
    imported = import_gift(exported.text)
    expected = [q.to_dict() for q in bank if q.type_name not in ("ordering", "short")]
    assert [q.to_dict() for q in imported.questions] == expected


def test_gift_round_trip_of_moodle_semantics_and_special_characters():
    text = (
        "::m1::选 {=是 \\= 号 #对\\:正确 ~%50%半对 ~\\{括号\\}#部分 "
        "~%-100%错的\\\\反斜杠 ####总的 \\# 解析}\n\n"
        "::m2::多选 {~%50%甲 ~%50%乙 ~%-50%丙}\n\n"
        "$CATEGORY: $course$/top/入住//交付流程\n\n"
        "::m3::填空 ____ 处 {=三声 =%50%五声#差一点 =%0%*#不对}"
    )
    first = parse_gift(text)
    assert first.ok, first.problems
    m1 = first.questions[0].question
    assert m1.options == ["是 = 号", "半对", "{括号}", "错的\\反斜杠"]
    assert m1.weights == [1.0, 0.5, 0.0, -1.0] and m1.option_feedback == ["对:正确", "", "部分", ""]
    assert m1.explanation == "总的 # 解析"
    assert first.questions[1].question.weights is None  # Moodle's %50%/-50% equal our default rule
    assert first.questions[2].question.topic == "入住/交付流程"
    again = parse_gift(export_gift([g.question for g in first.questions]).text)
    assert [g.question.to_dict() for g in again.questions] == [g.question.to_dict() for g in first.questions]


def test_xlsx_keeps_a_general_source():
    from quizzes.types import question_from_dict

    question = question_from_dict(
        {"id": "g-1", "type": "truefalse", "stem": "燃气泄漏时先挂断电话再撤离", "answer": True,
         "explanation": "", "topic": "应急与突发事件", "difficulty": 1, "source": {"general": "通用安全规范"}}
    )
    buffer = io.BytesIO()
    export_xlsx([question], buffer)
    [back] = import_xlsx(buffer.getvalue())
    assert back.source.general == "通用安全规范"
