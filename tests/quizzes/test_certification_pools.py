"""The shipped certification quizzes: no table-of-contents trivia, no question twice in one attempt."""

from __future__ import annotations

import pytest

from quizzes import draw, load_bank, load_definitions

PRACTICE_ONLY_TOPIC = "手册导读"
ASSESSMENTS = [d for d in load_definitions().values() if d.mode == "assessment"]


@pytest.mark.parametrize("quiz", ASSESSMENTS, ids=[d.id for d in ASSESSMENTS])
def test_assessments_never_draw_the_practice_only_topic(quiz):
    assert PRACTICE_ONLY_TOPIC not in {rule.topic for rule in quiz.draw}
    bank = load_bank()
    for seed in range(50):
        assert all(item.question.topic != PRACTICE_ONLY_TOPIC for item in draw(quiz, bank, seed))


@pytest.mark.parametrize("quiz", ASSESSMENTS, ids=[d.id for d in ASSESSMENTS])
def test_rules_on_one_topic_never_draw_the_same_question_twice(quiz):
    bank = load_bank()
    for seed in range(200):
        ids = [item.id for item in draw(quiz, bank, seed)]
        assert len(ids) == len(set(ids)) == quiz.question_count, (seed, ids)


def test_practice_only_topic_is_offered_in_practice():
    practice = [d for d in load_definitions().values() if d.mode == "practice"]
    assert any(PRACTICE_ONLY_TOPIC in {rule.topic for rule in d.draw} for d in practice)
