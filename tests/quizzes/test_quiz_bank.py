"""Bank loading, lint and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzes import TOPICS, ValidationError, lint_bank, load_bank
from quizzes.__main__ import main
from tests.conftest import shared_path

FIXTURES = Path(__file__).parent / "fixtures"


def test_fixture_bank_loads_with_file_topics(fixture_bank):
    assert len(fixture_bank) == 7
    assert fixture_bank.get("fx-fill").topic == "电话与在线服务"
    assert {q.type_name for q in fixture_bank} == {
        "single",
        "multiple",
        "truefalse",
        "fill",
        "ordering",
        "short",
    }


def test_shipped_bank_is_clean():
    errors = [p for p in lint_bank() if p.severity == "error"]
    assert errors == []
    bank = load_bank()
    assert len(bank) > 0 and set(bank.topics()) <= set(TOPICS)


def test_lint_reports_every_problem_of_a_bad_bank():
    problems = [str(p) for p in lint_bank(FIXTURES / "bad_bank") if p.severity == "error"]
    text = "\n".join(problems)
    assert "未知主题 '不存在的主题'" in text
    assert "questions[0](bad-1).answer" in text and "超出选项范围" in text
    assert "questions[1](bad-2).source" in text
    assert "手册文件不存在: 999_missing.txt" in text
    assert "未知题型 'essay'" in text
    assert "题目 id 重复,已在 bad.yaml 出现" in text


def test_lint_warns_about_a_section_not_in_the_manual(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "schema_version: 1\ntopic: 电话与在线服务\nquestions:\n"
        "  - {id: x-1, type: truefalse, stem: 题, answer: true, explanation: 解, difficulty: 1,\n"
        "     source: {file: 003_155df04f83bb14c9.txt, section: 手册里没有这一节}}\n",
        encoding="utf-8",
    )
    problems = lint_bank(tmp_path)
    assert [(p.severity, p.path) for p in problems] == [("warning", "id x-1.source.section")]


def test_load_bank_raises_on_duplicate_ids(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(
            (FIXTURES / "bank" / "phone.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    with pytest.raises(ValidationError, match="重复"):
        load_bank(tmp_path)


def test_cli_lint_exit_codes(capsys):
    assert main(["lint", str(FIXTURES / "bank")]) == 0
    assert "检查通过:7 道题" in capsys.readouterr().out
    assert main(["lint", str(FIXTURES / "bad_bank")]) == 1
    out = capsys.readouterr().out
    assert "检查未通过" in out and "999_missing.txt" in out


def test_cli_lint_default_checks_definitions(capsys):
    assert main(["lint"]) == 0
    assert "测验定义 3 个均可从题库抽题" in capsys.readouterr().out


def test_cli_export_and_import_check(tmp_path, capsys):
    out = tmp_path / "bank.xlsx"
    (tmp_path / "empty").mkdir()
    gift = tmp_path / "bank.gift"
    assert main(["export", "--xlsx", str(out), "--gift", str(gift), "--bank", str(FIXTURES / "bank")]) == 0
    printed = capsys.readouterr().out
    assert "已导出 7 道题" in printed and "未导出 1 道" in printed
    assert main(["import", str(out), "--check", "--bank", str(tmp_path / "empty")]) == 0
    assert "校验通过:7 道题" in capsys.readouterr().out
    # the same ids already in the bank: refused as a whole
    assert main(["import", str(out), "--check", "--bank", str(FIXTURES / "bank")]) == 1
    assert "已在题库中" in capsys.readouterr().out
    assert (
        main(["import", str(gift), "--out", str(tmp_path / "imported"), "--bank", str(tmp_path / "empty")])
        == 0
    )
    assert len(load_bank(tmp_path / "imported")) == 5


def test_cli_import_gift_fixture_is_all_or_nothing(capsys, tmp_path):
    fixture = str(shared_path("interop", "moodle-questions.gift.txt"))
    assert main(["import", fixture, "--check", "--bank", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "第 2 行「Q8」:不支持的题型:问答题(essay)" in out
    assert main(["import", fixture, "--check", "--partial", "--bank", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "已按 --partial 跳过" in out and "校验通过:6 道题" in out


def _one_question_bank(tmp_path, source: str):
    (tmp_path / "x.yaml").write_text(
        "schema_version: 1\ntopic: 应急与突发事件\nquestions:\n"
        "  - {id: x-1, type: truefalse, stem: 题, answer: true, explanation: 解, difficulty: 1,\n"
        f"     source: {source}}}\n",
        encoding="utf-8",
    )
    return lint_bank(tmp_path)


def test_lint_warns_about_a_heading_with_no_text_under_it(tmp_path):
    citation = "{file: 003_155df04f83bb14c9.txt, section: 灾害天气及突发停电停水客服工作指引}"
    problems = _one_question_bank(tmp_path, citation)
    assert [(p.severity, p.path) for p in problems] == [("warning", "id x-1.source.section")]
    assert "只有标题" in problems[0].message


def test_a_general_source_is_clean_and_round_trips(tmp_path):
    assert _one_question_bank(tmp_path, "{general: 通用安全规范}") == []
    [question] = list(load_bank(tmp_path))
    assert question.source.general == "通用安全规范"
    assert question.to_dict()["source"] == {"general": "通用安全规范"}


@pytest.mark.parametrize(
    "source", ["{general: 通用安全规范, file: 002_0eb62db7ee6f7331.txt}", "{general: ''}"]
)
def test_a_bad_general_source_is_an_error(tmp_path, source):
    problems = _one_question_bank(tmp_path, source)
    assert [p.severity for p in problems] == ["error"] and "source" in problems[0].path
