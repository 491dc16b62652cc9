"""The dialogue engine: branch rules, emotion, escalation, timing, determinism, property tests."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_testkit import GOOD, PASSABLE, POOR, RUDE, SAMPLE, FakeResult, sample_data

import scoring
from scenarios import PlayState, Scenario, When, load_library, load_scenario, resident_line, start, step


@pytest.fixture
def sample() -> Scenario:
    return load_scenario(SAMPLE)


def _scenario(**changes) -> Scenario:
    data = sample_data()
    for dotted, value in changes.items():
        target = data
        keys = dotted.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return Scenario.from_dict(data)


def test_start_state(sample):
    state = start(sample, seed=7)
    assert (state.node, state.emotion, state.turn, state.ended) == ("opening", 60, 0, False)
    assert state.version == sample.version and state.transcript == ()


def test_resident_line_is_deterministic_and_varies_with_seed(sample):
    lines = {resident_line(sample, start(sample, seed)) for seed in range(40)}
    assert lines == set(sample.nodes["opening"].lines)
    random.seed(1)
    first = resident_line(sample, start(sample, "abc"))
    random.seed(2)
    assert resident_line(sample, start(sample, "abc")) == first


def test_good_playthrough_resolves_with_full_transcript(sample):
    state = start(sample, seed=3)
    shown = resident_line(sample, state)
    for reply in ("抱歉", "今天下午上门", "会回访"):
        state = step(sample, state, reply, GOOD, elapsed_s=12.5)
    assert state.ended and state.ending == "resolved" and state.ending_kind == "resolved"
    assert state.node is None and state.turn == 3 and state.emotion == 15
    first, *_ = state.transcript
    assert first.to_dict() == {
        "turn": 1, "node": "opening", "line": shown, "reply": "抱歉", "score": 90, "band": "优秀",
        "hit_ids": ["apologize", "commit_time", "follow_up"], "miss_ids": [], "blocker_ids": [],
        "emotion_before": 60, "emotion_after": 40, "branch": 1, "to": "details", "elapsed_s": 12.5,
        "late": False, "time_limit_s": None, "forced": None,
    }
    assert [record.node for record in state.transcript] == ["opening", "details", "closing"]
    assert [record.branch for record in state.transcript] == [1, 1, 0]


def test_blocker_escalates_first(sample):
    state = step(sample, start(sample, 1), "你自己的问题", RUDE, elapsed_s=5)
    assert state.ending == "escalated" and state.transcript[0].branch == 0 and state.emotion == 90


def test_passable_reply_loops_and_poor_reply_raises_emotion(sample):
    state = step(sample, start(sample, 1), "嗯", PASSABLE, elapsed_s=5)
    assert (state.node, state.emotion, state.transcript[0].branch) == ("opening", 65, 2)
    state = step(sample, state, "不知道", POOR, elapsed_s=5)
    assert (state.node, state.emotion, state.transcript[-1].branch) == ("opening", 80, 3)


def test_emotion_clamped_at_zero():
    scenario = _scenario(persona__emotion=10)
    state = step(scenario, start(scenario, 1), "抱歉", GOOD, elapsed_s=1)
    assert state.emotion == 0 and state.transcript[0].emotion_after == 0


def test_emotion_reaching_100_goes_to_first_escalated_ending():
    scenario = _scenario(persona__emotion=90)
    state = step(scenario, start(scenario, 1), "不知道", POOR, elapsed_s=1)
    assert state.ended and state.ending == "escalated" and state.emotion == 100
    record = state.transcript[0]
    assert record.to == "opening" and record.forced == "emotion_max"


def test_emotion_condition_uses_emotion_before_reply():
    scenario = _scenario(persona__emotion=95, start="details")
    state = step(scenario, start(scenario, 1), "嗯", PASSABLE, elapsed_s=1)
    record = state.transcript[0]
    assert state.ending == "escalated" and record.branch == 2 and record.forced is None


def test_max_turns_ends_at_escalated():
    scenario = _scenario(max_turns=3, persona__emotion=0)
    state = start(scenario, 1)
    for _ in range(2):
        state = step(scenario, state, "嗯", PASSABLE, elapsed_s=1)
    assert not state.ended
    state = step(scenario, state, "嗯", PASSABLE, elapsed_s=1)
    assert state.ended and state.ending == "escalated" and state.turn == 3
    assert state.transcript[-1].forced == "max_turns"


def test_reaching_an_ending_on_the_last_turn_is_not_overridden():
    scenario = _scenario(max_turns=3)
    state = start(scenario, 1)
    for _ in range(3):
        state = step(scenario, state, "好", GOOD, elapsed_s=1)
    assert state.ending == "resolved" and state.transcript[-1].forced is None


def test_late_reply_applies_on_timeout_instead_of_branches():
    data = sample_data()
    data["nodes"]["details"]["time_limit_s"] = 30
    data["nodes"]["details"]["on_timeout"] = {"emotion": 10, "to": "walked_off"}
    scenario = Scenario.from_dict(data)
    state = step(scenario, start(scenario, 1), "抱歉", GOOD, elapsed_s=100)  # opening is untimed
    assert state.node == "details" and state.transcript[0].late is False
    on_time = step(scenario, state, "马上处理", GOOD, elapsed_s=29.9)
    assert on_time.node == "closing"
    late = step(scenario, state, "马上处理", GOOD, elapsed_s=30.5)
    assert late.ending == "walked_off" and late.emotion == 50
    record = late.transcript[-1]
    assert record.late is True and record.branch == "timeout" and record.time_limit_s == 30


def test_late_reply_without_on_timeout_goes_to_timed_out_ending():
    data = sample_data()
    data["time_limit_s"] = 20
    data["endings"]["too_slow"] = {"kind": "timed_out", "title": "响应超时", "debrief": "应急要及时响应。"}
    scenario = Scenario.from_dict(data)
    state = step(scenario, start(scenario, 1), "抱歉", GOOD, elapsed_s=21)
    assert state.ending == "too_slow" and state.ending_kind == "timed_out" and state.emotion == 60


def test_step_after_end_and_wrong_version_raise(sample):
    ended = step(sample, start(sample, 1), "x", RUDE, elapsed_s=1)
    with pytest.raises(ValueError, match="已结束"):
        step(sample, ended, "再来", GOOD, elapsed_s=1)
    other = _scenario(title="改过的标题")
    with pytest.raises(ValueError, match="不是"):
        step(other, start(sample, 1), "x", GOOD, elapsed_s=1)


def test_state_round_trips_through_json_and_continues_identically(sample):
    state = step(sample, start(sample, "s-42"), "嗯", PASSABLE, elapsed_s=3)
    restored = PlayState.from_dict(json.loads(json.dumps(state.to_dict(), ensure_ascii=False)))
    assert restored == state
    assert resident_line(sample, restored) == resident_line(sample, state)
    assert step(sample, restored, "抱歉", GOOD, 4) == step(sample, state, "抱歉", GOOD, 4)


def test_step_does_not_mutate_input(sample):
    state = start(sample, 1)
    before = state.to_dict()
    step(sample, state, "抱歉", GOOD, elapsed_s=1)
    assert state.to_dict() == before


@pytest.mark.parametrize(
    ("when", "result", "emotion", "turn", "expected"),
    [
        (When(band=("优秀",)), GOOD, 50, 1, True),
        (When(band=("优秀",)), PASSABLE, 50, 1, False),
        (When(min_score=60, max_score=70), PASSABLE, 50, 1, True),
        (When(min_score=63), PASSABLE, 50, 1, False),
        (When(hit=("apologize", "follow_up")), GOOD, 50, 1, True),
        (When(hit=("apologize", "listen")), GOOD, 50, 1, False),
        (When(miss=("apologize",)), POOR, 50, 1, True),
        (When(blocker=True), RUDE, 50, 1, True),
        (When(blocker=False), RUDE, 50, 1, False),
        (When(blocker=("insult", "threat")), RUDE, 50, 1, True),
        (When(blocker=("shirk",)), RUDE, 50, 1, False),
        (When(emotion_gte=60), GOOD, 59, 1, False),
        (When(emotion_lte=60), GOOD, 60, 1, True),
        (When(turn_gte=2, turn_lte=3), GOOD, 0, 2, True),
        (When(turn_lte=3), GOOD, 0, 4, False),
    ],
)
def test_when_conditions(when, result, emotion, turn, expected):
    assert when.holds(result, emotion=emotion, turn=turn) is expected


# ------------------------------------------------------------------ property tests over the library

LIBRARY = load_library()
ITEM_IDS = {
    (scenario.id, node_id): scoring.Rubric.from_spec(node.rubric).item_ids
    for scenario in LIBRARY.values()
    for node_id, node in scenario.nodes.items()
}
BLOCKERS = sorted({blocker.id for rubric in scoring.RUBRICS.values() for blocker in rubric.blockers})


def test_library_loads_as_a_whole():
    assert len(LIBRARY) >= 1


@pytest.mark.parametrize("scenario_id", sorted(LIBRARY))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_random_walks_always_end_with_emotion_in_range(scenario_id, seed, data):
    scenario = LIBRARY[scenario_id]
    state = start(scenario, seed)
    for _ in range(scenario.max_turns):
        assert state.node is not None
        items = ITEM_IDS[(scenario.id, state.node)]
        hits = frozenset(item for item in items if data.draw(st.booleans()))
        blockers = frozenset(data.draw(st.lists(st.sampled_from(BLOCKERS), max_size=2)))
        band = data.draw(st.sampled_from(scoring.BANDS))
        result = FakeResult(data.draw(st.integers(0, 100)), band, hits, frozenset(items) - hits, blockers)
        elapsed = data.draw(st.floats(0, 200, allow_nan=False))
        resident_line(scenario, state)
        state = step(scenario, state, "回复", result, elapsed)
        assert 0 <= state.emotion <= 100
        assert all(0 <= r.emotion_after <= 100 for r in state.transcript)
        if state.ended:
            break
    assert state.ended, f"{scenario.id}: 走了 {scenario.max_turns} 轮还没结束"
    assert state.ending in scenario.endings and state.ending_kind == scenario.endings[state.ending].kind
    assert state.turn <= scenario.max_turns
