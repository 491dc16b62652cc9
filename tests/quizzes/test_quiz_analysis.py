"""Item analysis: facility, discrimination (item vs rest of test), option frequencies, flags."""

from __future__ import annotations

import math

import pytest

from quizzes import AttemptData, analyse


def attempts_from(matrix, chosen=None):
    """Rows are attempts, columns questions q1..qn (fractions)."""
    out = []
    for row_index, row in enumerate(matrix):
        items = {}
        for col, fraction in enumerate(row):
            value = {"fraction": fraction}
            if chosen and col in chosen:
                value["chosen"] = chosen[col][row_index]
            items[f"q{col + 1}"] = value
        out.append(AttemptData.from_values(items))
    return out


MATRIX = [
    # q1 discriminates well, q2 everyone gets right, q3 the weak get right and the strong wrong
    [1, 1, 0, 1, 1],
    [1, 1, 0, 1, 1],
    [1, 1, 0, 1, 0],
    [0, 1, 1, 0, 0],
    [0, 1, 1, 0, 0],
    [0, 1, 1, 0, 1],
]


def test_facility_is_mean_fraction_times_100():
    stats = analyse(attempts_from(MATRIX))
    assert stats["q1"].facility == 50.0
    assert stats["q2"].facility == 100.0
    assert stats["q3"].facility == 50.0
    assert stats["q1"].sd == pytest.approx(100 * math.sqrt(0.3), abs=0.01)


def test_discrimination_is_correlation_with_rest_of_test():
    stats = analyse(attempts_from(MATRIX))
    rest = [sum(row) - row[0] for row in MATRIX]
    item = [row[0] for row in MATRIX]
    mean_i, mean_r = sum(item) / 6, sum(rest) / 6
    cov = sum((i - mean_i) * (r - mean_r) for i, r in zip(item, rest, strict=True))
    expected = (
        100 * cov / math.sqrt(sum((i - mean_i) ** 2 for i in item) * sum((r - mean_r) ** 2 for r in rest))
    )
    assert stats["q1"].discrimination == pytest.approx(expected, abs=0.01)
    assert stats["q1"].discrimination == 33.33 and stats["q1"].needs_checking == "可能"  # 30 <= d < 50
    assert analyse(attempts_from([[1, 1], [1, 1], [0, 0], [0, 0], [1, 1]]))["q1"].needs_checking == "不太可能"
    assert stats["q2"].discrimination is None and stats["q2"].needs_checking is None
    assert stats["q3"].discrimination < 0


def test_flags():
    stats = analyse(attempts_from(MATRIX))
    assert stats["q2"].flags == ("too_easy",)
    assert "negative_discrimination" in stats["q3"].flags
    assert stats["q3"].flag_labels == ["负区分度"]
    hard = analyse(attempts_from([[0, 1], [0, 1], [0, 0], [0, 1], [1, 0], [0, 1]]))
    assert "too_hard" in hard["q1"].flags
    few = analyse(attempts_from(MATRIX[:3]))
    assert "few_attempts" in few["q1"].flags


def test_option_frequencies_include_options_never_chosen():
    chosen = {0: [["B"], ["B"], ["B"], ["A"], ["C"], []]}
    stats = analyse(attempts_from(MATRIX, chosen), options={"q1": "ABCD"})
    assert stats["q1"].option_counts == {"A": 1, "B": 3, "C": 1, "D": 0}
    assert stats["q1"].option_percent["B"] == 50.0
    assert stats["q1"].to_dict()["option_counts"]["D"] == 0


def test_partial_credit_and_given_attempt_score():
    attempts = [
        AttemptData.from_values({"q1": 0.5, "q2": 1.0}, score=0.75),
        AttemptData.from_values({"q1": 1.0, "q2": 1.0}, score=1.0),
    ]
    stats = analyse(attempts)
    assert stats["q1"].facility == 75.0
    assert stats["q2"].discrimination is None  # constant item score
