"""Every short-answer question's own reference answer must be graded correct by the real scorer,
and an evasive answer must not: otherwise trainees are marked wrong for the model answer."""

from __future__ import annotations

import pytest

from quizzes.bank import load_bank

SHORT = [q for q in load_bank() if q.to_dict()["type"] == "short"]


@pytest.mark.parametrize("question", SHORT, ids=[q.id for q in SHORT])
def test_reference_answer_is_graded_correct(question):
    result = question.grade(question.to_dict()["reference"])
    assert result.correct and result.fraction >= 0.7, (question.id, result.details)


def test_evasive_answer_is_graded_wrong():
    question = SHORT[0]
    result = question.grade("这个我不清楚,你去问别人吧。")
    assert not result.correct and result.fraction < 0.3


def _step_names(question) -> list[str]:
    from quizzes.types import _KEY_POINT_HEADING

    names = [m.group(1) for m in (_KEY_POINT_HEADING.match(p.text) for p in question.key_points) if m]
    return names if len(names) >= 3 else []


HEADED = [q for q in SHORT if _step_names(q)]


@pytest.mark.parametrize("question", HEADED, ids=[q.id for q in HEADED])
def test_naming_the_step_headings_alone_is_graded_wrong(question):
    result = question.grade("、".join(_step_names(question)) + "。")
    assert not result.correct and result.fraction < 0.55, (question.id, result.details)
