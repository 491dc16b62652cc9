"""Item analysis for trainers: facility, discrimination and option frequencies per question.

Definitions follow Moodle's quiz statistics (``question/classes/statistics/questions/calculator.php``):

* **Facility index** = the mean score on the question as a percentage of its maximum
  (``100 * mean(fraction)``).
* **Discrimination index** = ``100 * r`` where ``r`` is the Pearson correlation between the score
  on this question and the score on the *rest of the test* (attempt total minus this question),
  over the attempts that contain the question. Undefined (``None``) with fewer than two attempts or
  when either score does not vary.

Flags (stated thresholds):

* ``too_easy``: facility >= 90 (Moodle's docs call 90–94 "very easy" and 95–100 "extremely easy");
* ``too_hard``: facility < 20 (Moodle's docs: 11–20 "difficult", 10 and below "very difficult");
* ``negative_discrimination``: discrimination index < 0 (Moodle marks such questions as dubious);
* ``needs_checking``: Moodle's question-bank "Needs checking?" wording from the discrimination
  index: below 30 "很可能" (very likely), 30–50 "可能" (likely), 50 and above "不太可能" (unlikely);
  ``None`` when the index is undefined.

Statistics from fewer than ``min_attempts`` attempts (default 5) carry ``few_attempts`` so a trainer
does not act on noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TOO_EASY_FACILITY = 90.0
TOO_HARD_FACILITY = 20.0
NEEDS_CHECKING_LOWER = 30.0
NEEDS_CHECKING_UPPER = 50.0
FLAG_LABELS = {
    "too_easy": "过易",
    "too_hard": "过难",
    "negative_discrimination": "负区分度",
    "few_attempts": "作答人次过少",
}


@dataclass(frozen=True)
class ItemResponse:
    """One question in one attempt: the fraction earned (0..1), the options chosen, the mark available."""

    fraction: float
    chosen: tuple[str, ...] = ()
    max_mark: float = 1.0


@dataclass(frozen=True)
class AttemptData:
    """One finished attempt: question id -> :class:`ItemResponse`.

    ``score`` is the attempt's total as a fraction (0..1) of its available marks; when omitted it is
    computed from the items.
    """

    items: Mapping[str, ItemResponse]
    score: float | None = None

    @classmethod
    def from_values(cls, items: Mapping[str, Any], score: float | None = None) -> AttemptData:
        """Build from plain values: ``{qid: fraction}`` or ``{qid: {"fraction": f, "chosen": [...]}}``."""
        parsed: dict[str, ItemResponse] = {}
        for qid, value in items.items():
            if isinstance(value, Mapping):
                chosen = value.get("chosen") or ()
                if isinstance(chosen, str):
                    chosen = (chosen,)
                parsed[qid] = ItemResponse(
                    float(value["fraction"]), tuple(str(c) for c in chosen), float(value.get("max_mark", 1.0))
                )
            else:
                parsed[qid] = ItemResponse(float(value))
        return cls(parsed, score)

    def total_marks(self) -> float:
        """Marks earned in the attempt."""
        available = sum(item.max_mark for item in self.items.values())
        if self.score is not None:
            return self.score * available
        return sum(item.fraction * item.max_mark for item in self.items.values())


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one question.

    Attributes:
        question_id: the bank id.
        attempts: attempts containing the question.
        facility: 0..100 (see module docstring).
        discrimination: -100..100, or ``None`` when undefined.
        sd: standard deviation of the question score, as a percentage of its maximum (Moodle's SD).
        option_counts: option letter -> how many attempts chose it (choice questions).
        option_percent: option letter -> percentage of the attempts that chose it.
        flags: subset of ``too_easy``, ``too_hard``, ``negative_discrimination``, ``few_attempts``.
        needs_checking: ``很可能`` / ``可能`` / ``不太可能`` or ``None``.
    """

    question_id: str
    attempts: int
    facility: float
    discrimination: float | None
    sd: float
    option_counts: dict[str, int] = field(default_factory=dict)
    option_percent: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    needs_checking: str | None = None

    @property
    def flag_labels(self) -> list[str]:
        """The flags in Chinese."""
        return [FLAG_LABELS[f] for f in self.flags]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping."""
        return {
            "question_id": self.question_id,
            "attempts": self.attempts,
            "facility": self.facility,
            "discrimination": self.discrimination,
            "sd": self.sd,
            "option_counts": dict(self.option_counts),
            "option_percent": dict(self.option_percent),
            "flags": list(self.flags),
            "needs_checking": self.needs_checking,
        }


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; ``None`` for fewer than two pairs or a constant series."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def _needs_checking(discrimination: float | None) -> str | None:
    if discrimination is None:
        return None
    if discrimination < NEEDS_CHECKING_LOWER:
        return "很可能"
    if discrimination < NEEDS_CHECKING_UPPER:
        return "可能"
    return "不太可能"


def analyse(
    attempts: Iterable[AttemptData],
    *,
    options: Mapping[str, Sequence[str]] | None = None,
    min_attempts: int = 5,
) -> dict[str, ItemStats]:
    """Compute :class:`ItemStats` for every question that appears in the attempts.

    Args:
        attempts: finished attempts; option letters in ``chosen`` must be the bank's (map shuffled
            letters back with ``DrawnQuestion.original_choice``).
        options: question id -> option letters to report even when never chosen (e.g. ``"ABCD"``).
        min_attempts: below this many attempts a question is flagged ``few_attempts``.

    Returns:
        Question id -> statistics, in order of first appearance.
    """
    attempts = list(attempts)
    per_question: dict[str, list[tuple[float, float, ItemResponse]]] = {}
    for attempt in attempts:
        total = attempt.total_marks()
        for qid, item in attempt.items.items():
            mark = item.fraction * item.max_mark
            per_question.setdefault(qid, []).append((item.fraction, total - mark, item))
    stats: dict[str, ItemStats] = {}
    for qid, rows in per_question.items():
        n = len(rows)
        fractions = [r[0] for r in rows]
        marks = [r[0] * r[2].max_mark for r in rows]
        rest = [r[1] for r in rows]
        mean = sum(fractions) / n
        facility = round(100.0 * mean, 2)
        variance = sum((f - mean) ** 2 for f in fractions) / (n - 1) if n > 1 else 0.0
        r = pearson(marks, rest)
        discrimination = round(100.0 * r, 2) if r is not None else None
        counts: dict[str, int] = {letter: 0 for letter in (options or {}).get(qid, ())}
        for _, _, item in rows:
            for letter in item.chosen:
                counts[letter] = counts.get(letter, 0) + 1
        counts = dict(sorted(counts.items()))
        flags: list[str] = []
        if facility >= TOO_EASY_FACILITY:
            flags.append("too_easy")
        if facility < TOO_HARD_FACILITY:
            flags.append("too_hard")
        if discrimination is not None and discrimination < 0:
            flags.append("negative_discrimination")
        if n < min_attempts:
            flags.append("few_attempts")
        stats[qid] = ItemStats(
            question_id=qid,
            attempts=n,
            facility=facility,
            discrimination=discrimination,
            sd=round(100.0 * math.sqrt(variance), 2),
            option_counts=counts,
            option_percent={k: round(100.0 * v / n, 2) for k, v in counts.items()},
            flags=tuple(flags),
            needs_checking=_needs_checking(discrimination),
        )
    return stats
