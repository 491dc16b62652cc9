"""Negation scope, word boundaries and polite phrases: the cases found by playing the library.

Each case is a general rule (see ``scoring.text.is_negated``, ``clause_contexts`` and
``splits_word``), checked on the sentence that exposed it and on a sibling of the same pattern.
"""

from __future__ import annotations

import pytest

from scoring import score
from scoring.text import clause_contexts, is_negated, normalize, split_clauses, splits_word


@pytest.mark.parametrize(
    "reply",
    [
        "闻到燃气味请不要开灯,马上走楼梯离开。",
        "闻到燃气味,不要开灯,马上走楼梯离开。",
        "闻到燃气味,请不要开灯、开排气扇,马上走楼梯离开。",
        "闻到燃气味,开灯、打火都不行,请开窗通风。",
        "燃气泄漏,切勿开关电器。",
        "燃气泄漏时严禁开灯。",
        "万一闻到燃气味,千万不要开灯。",
        "严禁乘坐电梯,请走楼梯撤离。",
    ],
)
def test_prohibited_dangerous_action_is_not_unsafe(encoder, reply):
    assert "unsafe" not in score(reply, [], "emergency", encoder=encoder).blocker_ids


@pytest.mark.parametrize(
    "reply",
    [
        "闻到燃气味,不要慌,开灯看看。",
        "燃气泄漏了,开灯看看,不要开排气扇。",
        "您赶紧坐电梯下楼,不要走楼梯。",
    ],
)
def test_unsafe_still_fires_when_the_negation_governs_something_else(encoder, reply):
    assert "unsafe" in score(reply, [], "emergency", encoder=encoder).blocker_ids


@pytest.mark.parametrize(
    "reply",
    ["请不要扒门也不要爬出去。", "千万别开灯或者打火。", "请不要乘电梯也不要靠近窗户。"],
)
def test_prohibition_that_is_the_cue_counts_beside_another_one(encoder, reply):
    assert "safety" in score(reply, [], "emergency", encoder=encoder).hit_ids


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
    ("reply", "item"),
    [
        ("三分钟内联系不上车主,我先帮您联系拖车公司。", "commit_time"),
        ("如果半小时内查不到漏点,我就协调楼上业主一起排查。", "commit_time"),
    ],
)
def test_time_in_a_condition_is_still_a_commitment(encoder, reply, item):
    assert item in score(reply, [], "complaint", encoder=encoder).hit_ids


@pytest.mark.parametrize(
    ("rubric", "reply", "blocker"),
    [
        ("emergency", "请大家远离大树,树随时可能滚动。", "insult"),
        ("emergency", "地面的积水还是滚烫的,请不要靠近。", "insult"),
        ("complaint", "我会安排同事多巡查,今天下午给您回复。", "insult"),
        ("complaint", "家里有病人吗?我马上安排人上门帮忙。", "insult"),
        ("complaint", "不好意思这么晚打扰您休息了,我们非常理解您的心情。", "shirk"),
        ("inquiry", "不客气,祝您生活愉快,再见。", "threat"),
        ("emergency", "您先别慌,人没事吧?我马上安排保安过去。", "unsafe"),
        ("emergency", "大家都没事就好,请先从楼梯撤离。", "unsafe"),
        ("inquiry", "这个我不清楚,我马上帮您问一下,半小时内给您回电。", "shirk"),
        ("inquiry", "这个我需要核实一下,今天下午三点前给您回电。", "shirk"),
        ("inquiry", "您好,物业客服中心,请问还有什么不清楚的吗?", "shirk"),
        ("complaint", "万一查不到,我就安排师傅上门查看。", "shirk"),
        ("emergency", "我会先确认现场有没有人员受伤,提醒大家远离管道下方。", "shirk"),
        ("emergency", "幸好没有人受伤,我马上安排保安拉警戒线。", "shirk"),
    ],
)
def test_ordinary_phrases_are_not_blockers(encoder, rubric, reply, blocker):
    assert blocker not in score(reply, [], rubric, encoder=encoder).blocker_ids


@pytest.mark.parametrize(
    ("rubric", "reply", "blocker"),
    [
        ("complaint", "你给我滚。", "insult"),
        ("complaint", "滚出去,别在这儿闹。", "insult"),
        ("complaint", "你这人事儿真多。", "insult"),
        ("complaint", "维修师傅都已经休息了。", "shirk"),
        ("complaint", "你再闹我们就不客气了。", "threat"),
        ("emergency", "没什么大事,不用撤离。", "unsafe"),
        ("inquiry", "这个我不清楚,您问开发商吧。", "shirk"),
        ("inquiry", "这个我也不清楚。", "shirk"),
        ("complaint", "现在没有人能过去,您明天再打吧。", "shirk"),
    ],
)
def test_the_real_faults_still_fire(encoder, rubric, reply, blocker):
    assert blocker in score(reply, [], rubric, encoder=encoder).blocker_ids


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


def test_rude_tone_ignores_words_inside_other_words(encoder):
    assert score("家里有病人吗?请您别着急。", [], "complaint", encoder=encoder).tone.label == "礼貌"


@pytest.mark.parametrize(
    ("reply", "credit"),
    [
        ("电工正在赶往7栋,十分钟内到。", 1.0),
        ("保安已经出发了,五分钟内到现场。", 1.0),
        ("我已经派两名保安过去,五分钟内到。", 1.0),
        ("我已经通知电梯维保人员,十五分钟内赶到。", 1.0),
        ("工程部同事正在前往地库。", 0.5),
    ],
)
def test_dispatch_cues(encoder, reply, credit):
    hit = next(h for h in score(reply, [], "emergency", encoder=encoder).hits if h.item == "dispatch")
    assert hit.credit == credit


def test_negated_dispatch_does_not_count(encoder):
    assert "dispatch" not in score("今天没法安排电工赶往现场。", [], "emergency", encoder=encoder).hit_ids
