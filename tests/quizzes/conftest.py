"""Fixtures for the quizzes package tests (pure Python, no app, no model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from quizzes import load_bank

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_bank():
    """The small bank in fixtures/bank (every question type)."""
    return load_bank(FIXTURES / "bank")


@dataclass(frozen=True)
class FakeScore:
    """Stands in for scoring.ScoreResult: the short-answer tests never load the model."""

    score: int
    band: str
    feedback: str
    hit_ids: frozenset[str]
    decided_by: str = "checklist"


@pytest.fixture
def fake_scorer():
    """A scorer that hits a key point when its first clause appears in the reply, and records its calls."""
    calls = []

    def scorer(reply, references, rubric):
        calls.append((reply, list(references), rubric))
        hits = frozenset(
            item["id"] for item in rubric["add"] if any(k in reply for k in item.get("keywords", []))
        )
        score = round(100 * len(hits) / len(rubric["add"]))
        band = "优秀" if score >= 85 else "良好" if score >= 70 else "合格" if score >= 55 else "不合格"
        return FakeScore(score, band, "", hits)

    scorer.calls = calls
    return scorer
