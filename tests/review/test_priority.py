"""The priority order: turns near a band boundary, with unsure items or stages disagreeing come first."""

from __future__ import annotations

from simulator.review.priority import uncertainty
from tests.review.conftest import breakdown


def test_near_a_boundary_ranks_above_a_clear_grade():
    near = uncertainty(breakdown(69, ["apologize", "listen", "solve"], grade=1.48))
    clear = uncertainty(breakdown(78, ["apologize", "listen", "solve", "commit_time"], grade=2.0))
    assert near.priority > clear.priority
    assert any("接近档位分界" in r for r in near.reasons)
    assert not any("接近档位分界" in r for r in clear.reasons)


def test_unsure_items_raise_the_priority():
    sure = uncertainty(breakdown(78, ["apologize", "listen", "solve"], grade=2.0, confidence=0.95))
    unsure = uncertainty(breakdown(78, ["apologize", "listen", "solve"], grade=2.0, confidence=0.55))
    assert unsure.priority > sure.priority and unsure.evidence == 0.5
    assert any("把握不大" in r for r in unsure.reasons)


def test_a_cap_against_the_grade_model_is_a_disagreement():
    capped = breakdown(40, ["apologize", "listen", "solve", "commit_time"], grade=2.4, blockers=["shirk"])
    result = uncertainty(capped)
    assert result.disagreement == 1.0
    assert any("封顶" in r for r in result.reasons) and any("否决项" in r for r in result.reasons)
    agreeing = uncertainty(breakdown(78, ["apologize", "listen", "solve", "commit_time"], grade=2.0))
    assert agreeing.disagreement == 0.0


def test_the_checklist_path_uses_the_score_boundaries():
    result = uncertainty({**breakdown(71, ["apologize"]), "grade": None})
    assert result.boundary > 0.8 and "接近档位分界" in result.reasons[0]
