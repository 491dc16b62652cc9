"""One problem type: the scenario linter's problems, the bank linter's, the XLSX and GIFT importers'
and the roster's are all ``contentio.Problem(file, path, message)``, each keeping its Chinese wording."""

from __future__ import annotations

import pytest

import scenarios.model
from contentio import Problem
from quizzes import BankImportError, import_gift, import_xlsx, lint_bank
from quizzes.bank import LintProblem
from quizzes.gift import GiftProblem
from quizzes.xlsx import RowError
from simulator.admin.roster import RosterError, RosterProblem, parse_roster


def test_every_problem_type_is_the_contentio_problem():
    assert scenarios.model.Problem is Problem
    for kind in (LintProblem, RowError, GiftProblem, RosterProblem):
        assert issubclass(kind, Problem)


@pytest.mark.parametrize(
    "problem,text",
    [
        (Problem("a.yaml", "nodes.n3.to", "目标不存在"), "a.yaml: nodes.n3.to: 目标不存在"),
        (
            LintProblem("b.yaml", "questions[0].answer", "答案超出范围"),
            "[错误] b.yaml: questions[0].answer: 答案超出范围",
        ),
        (LintProblem("b.yaml", "", "章节仅有标题", "warning"), "[警告] b.yaml: 章节仅有标题"),
        (RowError.at(3, "答案", "应为 对 或 错"), "第 3 行「答案」列:应为 对 或 错"),
        (GiftProblem.at(7, "essay", "q1", "不支持的题型"), "第 7 行「q1」:不支持的题型"),
        (RosterProblem.at(2, "姓名为空。"), "第 2 行:姓名为空。"),
    ],
)
def test_each_keeps_its_wording(problem, text):
    assert str(problem) == text


def test_importers_raise_problems_with_their_location():
    with pytest.raises(BankImportError) as raised:
        import_gift("::q1::题干{}")
    [problem] = [e for e in raised.value.errors if isinstance(e, Problem)]
    assert isinstance(problem, GiftProblem) and problem.line == 1
    with pytest.raises(BankImportError) as raised:
        import_xlsx(b"not a workbook")
    assert all(isinstance(e, RowError) for e in raised.value.errors)
    with pytest.raises(RosterError) as roster:
        parse_roster("staff.csv", "工号,姓名,项目/管理处,角色\nzhang01,,一期,学员\n".encode())
    [row] = roster.value.problems
    assert row.line == 2 and row.file == "staff.csv" and roster.value.errors == ["第 2 行:姓名为空。"]
    assert all(isinstance(p, LintProblem) for p in lint_bank())
