"""The branch-condition registry is the one place a condition lives: parse, holds, describe, the
linter's state/reply split and the editor's form all come from it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import scenarios
from scenarios.conditions import CONDITIONS
from scenarios.linter import possible_branches
from scenarios.model import When
from simulator.author import editor


@dataclass
class Result:
    score: int = 80
    band: str = "良好"
    hit_ids: tuple[str, ...] = ("apologize",)
    miss_ids: tuple[str, ...] = ()
    blocker_ids: tuple[str, ...] = ()


def test_every_registered_condition_reads_back_and_is_offered_in_the_editor():
    assert [key for key, _label, _kind in editor.CONDITIONS] == list(CONDITIONS)
    when = When(band=("优秀",), turn_lte=3)
    assert when.band == ("优秀",) and when.turn_lte == 3 and when.hit == () and when.min_score is None
    assert when.to_dict() == {"band": ["优秀"], "turn_lte": 3}
    assert when.describe() == "band∈优秀 turn<=3"
    with pytest.raises(TypeError, match="未知条件"):
        When(mood="angry")


@pytest.mark.parametrize("when,emotion,turn,state_holds,needs_reply", [
    (When(emotion_gte=90), 50, 1, False, False),
    (When(emotion_gte=90), 95, 1, True, False),
    (When(turn_gte=3, band=("优秀",)), 50, 2, False, True),
    (When(turn_gte=3, band=("优秀",)), 50, 3, True, True),
])
def test_state_part_and_reply_dependence(when, emotion, turn, state_holds, needs_reply):
    assert when.state_part_holds(emotion=emotion, turn=turn) is state_holds
    assert when.depends_on_reply is needs_reply


def test_the_linter_follows_state_conditions(library):
    scenario = library["leak-repeated"]
    data = scenario.to_dict()
    data["nodes"]["opening"]["branches"] = [
        {"when": {"emotion_gte": 90}, "emotion": 30, "to": "escalated"},
        {"emotion": -10, "to": "inspect"},
    ]
    gated = scenarios.Scenario.from_dict(data)
    calm = [branch.to for _i, branch in possible_branches(gated, "opening", 50, 1)]
    furious = [branch.to for _i, branch in possible_branches(gated, "opening", 95, 1)]
    assert calm == ["inspect"]  # the emotion gate does not hold, so only the default is possible
    assert furious == ["escalated"]  # it holds and needs no reply: it shadows the default


def test_holds_reads_the_result():
    assert When(hit=("apologize",), blocker=False).holds(Result(), emotion=50, turn=1)
    assert not When(blocker=("insult",)).holds(Result(blocker_ids=("shirk",)), emotion=50, turn=1)
    assert When(blocker=True).holds(Result(blocker_ids=("shirk",)), emotion=50, turn=1)


def test_get_condition_lists_the_valid_keys():
    from scenarios.conditions import get_condition

    assert get_condition("band").label == "评分等级"
    with pytest.raises(KeyError, match="可用: band, min_score"):
        get_condition("mood")
