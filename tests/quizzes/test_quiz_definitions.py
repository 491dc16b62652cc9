"""Quiz definitions, seeded draws, option shuffling and attempt grading."""

from __future__ import annotations

import pytest

from quizzes import (
    DrawnQuestion,
    QuizDefinition,
    ValidationError,
    draw,
    grade_attempt,
    load_bank,
    load_definitions,
)
from quizzes.types import LETTERS


def quiz(**overrides):
    data = {
        "schema_version": 1,
        "id": "t",
        "title": "测试",
        "mode": "assessment",
        "time_limit_s": 600,
        "pass_mark": 80,
        "max_attempts": 3,
        "shuffle_options": True,
        "draw": [{"topic": "投诉处理 L-U-A-S-F", "count": 3}, {"topic": "电话与在线服务", "count": 2}],
    }
    data.update(overrides)
    return QuizDefinition.from_dict(data)


def test_shipped_definitions_load_and_draw_from_the_bank():
    definitions = load_definitions()
    assert definitions
    bank = load_bank()
    for definition in definitions.values():
        assert definition.mode in ("practice", "assessment")
        assert definition.check_against(bank) == []
        assert len(draw(definition, bank, 7)) == definition.question_count
        assert QuizDefinition.from_dict(definition.to_dict()) == definition


def test_draw_is_deterministic_per_seed(fixture_bank):
    first = [d.to_dict() for d in draw(quiz(), fixture_bank, 42)]
    again = [d.to_dict() for d in draw(quiz(), fixture_bank, 42)]
    assert first == again
    seeds = {tuple(d.id for d in draw(quiz(), fixture_bank, seed)) for seed in range(30)}
    assert len(seeds) > 1


def test_draw_takes_count_per_topic(fixture_bank):
    drawn = draw(quiz(), fixture_bank, 3)
    topics = [d.question.topic for d in drawn]
    assert topics.count("投诉处理 L-U-A-S-F") == 3 and topics.count("电话与在线服务") == 2
    assert len({d.id for d in drawn}) == 5


def test_shuffled_options_keep_the_answer_key(fixture_bank):
    original = fixture_bank.get("fx-multiple")
    shuffles = set()
    for seed in range(40):
        for item in draw(quiz(draw=[{"topic": "投诉处理 L-U-A-S-F", "count": 4}]), fixture_bank, seed):
            if item.id != "fx-multiple":
                continue
            shown = item.question
            shuffles.add(item.permutation)
            assert [shown.options[i] for i in range(4)] == [original.options[p] for p in item.permutation]
            right_texts = {original.options[LETTERS.index(a)] for a in original.answer}
            assert {shown.options[LETTERS.index(a)] for a in shown.answer} == right_texts
            assert item.grade(shown.answer).fraction == 1.0
            assert item.original_choice(shown.answer) == original.answer
            assert DrawnQuestion.from_dict(item.to_dict()) == item
    assert len(shuffles) > 1


def test_no_shuffle_keeps_option_order(fixture_bank):
    for item in draw(quiz(shuffle_options=False), fixture_bank, 5):
        if item.question.type_name in ("single", "multiple"):
            assert item.permutation == tuple(range(len(item.question.options)))


def test_ordering_items_are_shown_shuffled_never_solved(fixture_bank):
    for seed in range(20):
        for item in draw(quiz(draw=[{"topic": "投诉处理 L-U-A-S-F", "count": 4}]), fixture_bank, seed):
            if item.question.type_name == "ordering":
                assert item.shown_items() != item.question.items
                assert sorted(item.shown_items()) == sorted(item.question.items)


def test_draw_refuses_a_topic_with_too_few_questions(fixture_bank):
    with pytest.raises(ValidationError, match="只有 3 道可抽,需要 9"):
        draw(quiz(draw=[{"topic": "电话与在线服务", "count": 9}]), fixture_bank, 1)


def test_grade_attempt_scores_and_decides_pass(fixture_bank, fake_scorer):
    definition = quiz()
    drawn = draw(definition, fixture_bank, 11)
    right = {}
    for item in drawn:
        q = item.question
        right[item.id] = {
            "single": getattr(q, "answer", None),
            "multiple": getattr(q, "answer", None),
            "truefalse": getattr(q, "answer", None),
            "fill": getattr(q, "accepted", [None])[0],
            "ordering": getattr(q, "items", None),
            "short": getattr(q, "reference", ""),
        }[q.type_name]
        if q.type_name == "fill":
            right[item.id] = q.accepted[0].text
        if q.type_name == "short":
            right[item.id] = "表示歉意并告知时限"
    result = grade_attempt(definition, drawn, right, scorer=fake_scorer)
    assert result.percent == 100.0 and result.passed
    missing_two = {k: v for k, v in list(right.items())[2:]}
    partial = grade_attempt(definition, drawn, missing_two, scorer=fake_scorer)
    assert partial.percent == 60.0 and not partial.passed
    assert type(partial).from_dict(partial.to_dict()) == partial


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"mode": "exam"}, "mode"),
        ({"pass_mark": 120}, "pass_mark"),
        ({"time_limit_s": -1}, "time_limit_s"),
        ({"max_attempts": 1.5}, "max_attempts"),
        ({"draw": []}, "draw"),
        ({"draw": [{"topic": "礼仪与仪表", "count": 0}]}, "draw[0].count"),
        ({"draw": [{"topic": "礼仪与仪表", "count": 1, "types": ["essay"]}]}, "draw[0].types"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_invalid_definitions(overrides, path):
    with pytest.raises(ValidationError) as caught:
        quiz(**overrides)
    assert caught.value.path == path
