"""Property tests: odd inputs never crash; the score is always in range (or a clear error)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import BANDS, score

REFS = ["非常抱歉,我马上安排维修师傅半小时内上门查看,处理完后我会给您回访。"]

odd_texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "   ",
            "\n\t",
            "😀😀👍",
            "Sorry, we will fix it today.",
            "非常抱歉,我們馬上安排師傅半小時內上門。",
            "<script>alert('x')</script>您好",
            "<b>抱歉</b>",
            "。,!?",
            "a" * 5000,
            "您好抱歉" * 1250,
        ]
    ),
    st.text(alphabet=st.characters(categories=("Lo", "Po", "So", "Zs")), max_size=300),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reply=odd_texts, rubric=st.sampled_from(["complaint", "emergency", "inquiry"]))
def test_never_crashes(encoder, reply, rubric):
    result = score(reply, REFS, rubric, encoder=encoder)
    assert 0 <= result.score <= 100
    assert result.band in BANDS
    assert result.feedback
    for hit in result.hits:
        assert reply[hit.start : hit.end] == hit.span
    for blocker in result.blockers:
        assert reply[blocker.start : blocker.end] == blocker.span


def test_traditional_characters_are_understood(encoder):
    result = score("非常抱歉,我們馬上安排維修師傅半小時內上門,修好後回訪您。", REFS, "complaint", encoder=encoder)
    assert {"apologize", "solve", "commit_time", "follow_up"} <= result.hit_ids


def test_empty_reply_scores_zero(encoder):
    result = score("  \n ", REFS, "complaint", encoder=encoder)
    assert result.score == 0 and result.band == "不合格" and result.decided_by == "default"
