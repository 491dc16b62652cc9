"""One strict YAML reader (contentio.load_strict) under every content loader: a key given twice is an
error in scenario files, bank files and quiz definitions alike (it used to load the last value)."""

from __future__ import annotations

import pytest

import contentio
from quizzes.bank import lint_bank, load_bank
from quizzes.definitions import load_definition
from quizzes.types import ValidationError as QuizValidationError
from scenarios.loader import parse_yaml_text
from scenarios.model import ValidationError as ScenarioValidationError

BANK = """schema_version: 1
topic: 投诉处理 L-U-A-S-F
questions:
  - id: dup-001
    type: single
    stem: "L-U-A-S-F 中的 A 代表什么?"
    options: ["倾听", "理解", "道歉与保证", "跟进"]
    answer: B
    answer: C
    difficulty: 1
    source: {file: 001_a8786d0e8591f2d3.txt, section: "3.2客戶投訴處理流程"}
"""


def test_load_strict_names_the_line_of_the_repeated_key():
    with pytest.raises(contentio.YamlError) as error:
        contentio.load_strict("a: 1\nb: 2\na: 3\n")
    assert error.value.line == 3 and "重复的键 'a'" in str(error.value)
    assert contentio.load_strict("a: [1, 2]\nb: {c: 3}\n") == {"a": [1, 2], "b": {"c": 3}}


def test_a_bank_file_with_a_repeated_key_fails_lint_and_load(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(BANK, encoding="utf-8")
    problems = lint_bank(path)
    assert any("重复的键 'answer'" in problem.message for problem in problems)
    with pytest.raises(QuizValidationError, match="重复的键"):
        load_bank(path)
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(BANK.replace("    answer: B\n", ""), encoding="utf-8")
    assert load_bank(fixed).get("dup-001").answer == "C"


def test_a_quiz_definition_with_a_repeated_key_is_refused(tmp_path):
    path = tmp_path / "dup-quiz.yaml"
    path.write_text("schema_version: 1\nid: dup-quiz\ntitle: a\ntitle: b\n", encoding="utf-8")
    with pytest.raises(QuizValidationError, match="重复的键 'title'"):
        load_definition(path)


def test_scenario_text_uses_the_same_reader():
    with pytest.raises(ScenarioValidationError) as error:
        parse_yaml_text("id: x\nid: y\n", "x.yaml")
    assert error.value.problems[0].path == "line 2" and "重复的键 'id'" in error.value.problems[0].message
