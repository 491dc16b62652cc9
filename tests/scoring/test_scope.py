"""Negation scope, word boundaries and polite phrases: the cases found by playing the library.

Each case is a general rule (see ``scoring.text.is_negated``, ``clause_contexts`` and
``splits_word``), checked on the sentence that exposed it and on a sibling of the same pattern.
"""

from __future__ import annotations

import pytest

from scoring.text import clause_contexts, is_negated, normalize, split_clauses, splits_word


@pytest.mark.parametrize(
    ("clause", "cue", "negated"),
    [
        ("请不要扒门也不要爬出去", "不要扒", False),
        ("师傅半小时内肯定到不了", "半小时内", True),
        ("我们不会安排维修师傅上门", "安排维修", True),
        ("不用担心我马上安排师傅", "安排师傅", False),
        ("赔偿方案也给不了您", "赔偿方案", True),
        ("报警的事我们也不负责", "报警", True),
        ("这不是您的责任", "是您的责任", True),
    ],
)
def test_negation_attaches_to_the_cue_it_governs(clause, cue, negated):
    start = clause.index(cue)
    assert is_negated(clause, start, start + len(cue)) is negated


@pytest.mark.parametrize(
    ("reply", "hypothetical"),
    [
        ("三分钟内联系不上车主,我先帮您联系拖车", True),
        ("万一查不到,我就安排师傅上门查看", True),
        ("半小时内肯定到不了,您再等等吧", False),
        ("维修师傅今天都来不了,我先帮您登记", False),
    ],
)
def test_conditions_are_hypothetical(reply, hypothetical):
    text = normalize(reply)
    assert clause_contexts(text, split_clauses(text))[0].hypothetical is hypothetical


@pytest.mark.parametrize(
    ("text", "cue", "splits"),
    [
        ("同事多巡查", "事多", True),
        ("树随时可能滚动", "滚", True),
        ("你给我滚开", "滚", False),
        ("你事儿真多", "事儿真多", False),
    ],
)
def test_word_boundaries(text, cue, splits):
    start = text.index(cue)
    assert splits_word(text, start, start + len(cue)) is splits
