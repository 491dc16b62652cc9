"""Each rubric item and blocker fires on its cue and not on the negated or unrelated form."""

from __future__ import annotations

import pytest

from scoring import score

LEAK_REFS = ["非常抱歉让您第三次遇到漏水,我马上安排维修师傅半小时内上门查看漏点,处理完后我会给您回访。"]


@pytest.mark.parametrize(
    ("rubric", "item", "positive", "negative"),
    [
        ("complaint", "apologize", "非常抱歉给您添麻烦了。", "好的,知道了。"),
        ("complaint", "empathize", "我完全理解您的心情。", "好的,知道了。"),
        ("complaint", "listen", "您慢慢说,我都记下来了。", "好的。"),
        ("complaint", "restate", "我跟您确认一下,是卫生间天花板漏水,对吗?", "好的。"),
        ("complaint", "solve", "我马上安排维修师傅上门查看。", "我们不会安排维修师傅上门查看。"),
        ("complaint", "commit_time", "师傅半小时内到。", "师傅半小时内肯定到不了。"),
        ("complaint", "follow_up", "修好以后我会给您回访。", "修好以后不会回访。"),
        ("emergency", "calm", "您先别慌。", "好的。"),
        ("emergency", "safety", "请马上关闭家里的总水阀。", "好的。"),
        ("emergency", "report", "我已经上报值班经理。", "这事没法上报。"),
        ("emergency", "dispatch", "我已经派维修师傅十分钟内赶到。", "今天没法安排维修师傅。"),
        ("emergency", "stay_contact", "请保持电话畅通。", "好的。"),
        ("emergency", "follow_up", "事后我们会查明原因并回访您。", "好的。"),
        ("inquiry", "greet_org", "您好,物业客服中心。", "喂。"),
        ("inquiry", "confirm_needs", "请问还有其他需要帮您的吗?", "好的。"),
        ("inquiry", "close_polite", "感谢您的来电,再见。", "好的。"),
    ],
)
def test_item_hit_and_negation(encoder, rubric, item, positive, negative):
    assert item in score(positive, [], rubric, encoder=encoder).hit_ids
    assert item not in score(negative, [], rubric, encoder=encoder).hit_ids


def test_hit_span_points_into_reply(encoder):
    reply = "王女士您好,真的非常抱歉。"
    hit = next(h for h in score(reply, [], "complaint", encoder=encoder).hits if h.item == "apologize")
    assert reply[hit.start : hit.end] == hit.span == "抱歉"


def test_dispatch_without_time_counts_half(encoder):
    result = score("我马上安排维修师傅过去。", [], "emergency", encoder=encoder)
    hit = next(h for h in result.hits if h.item == "dispatch")
    assert hit.credit == 0.5
    assert "只做到一半" in result.feedback


def test_greeting_without_org_name_counts_half(encoder):
    hit = next(h for h in score("您好。", [], "inquiry", encoder=encoder).hits if h.item == "greet_org")
    assert hit.credit == 0.5


@pytest.mark.parametrize(
    ("rubric", "blocker", "reply", "cap"),
    [
        ("complaint", "shirk", "漏水不归我们管,您自己去找楼上吧。", 10),
        ("complaint", "shirk", "非常抱歉,维修师傅今天都不在,半小时内肯定到不了您家。", 10),
        ("complaint", "blame", "这是您自己的责任。", 10),
        ("complaint", "threat", "你再投诉我们就停你家的水。", 5),
        ("complaint", "insult", "催什么催,师傅下午三点就到。", 30),
        ("emergency", "unsafe", "您赶紧坐电梯下楼。", 5),
        ("emergency", "unsafe", "燃气泄漏了,您先开灯看看。", 5),
    ],
)
def test_blocker_caps_score(encoder, rubric, blocker, reply, cap):
    result = score(reply, LEAK_REFS, rubric, encoder=encoder)
    assert blocker in result.blocker_ids
    assert result.score <= cap
    assert result.band == "不合格"
    assert result.decided_by.startswith("blocker:")
    found = next(b for b in result.blockers if b.id == blocker)
    assert reply[found.start : found.end] == found.span


@pytest.mark.parametrize(
    ("rubric", "reply"),
    [
        ("complaint", "这不是您的责任,非常抱歉,我马上安排师傅半小时内上门。"),
        ("emergency", "请不要乘坐电梯,从楼梯撤离。"),
        ("emergency", "燃气泄漏了,千万不要开灯,请开窗通风。"),
        ("complaint", "您的问题我们马上处理,我这就安排维修师傅上门。"),
        ("inquiry", "您可以坐电梯到三楼服务中心办理。"),
        ("complaint", "不好意思打扰您休息了,我马上派人去现场查看。"),
    ],
)
def test_blockers_do_not_fire_on_safe_wording(encoder, rubric, reply):
    assert score(reply, [], rubric, encoder=encoder).blockers == []


def test_soft_refusal_allowed_when_action_offered(encoder):
    reply = "这个问题无法当场解决,我马上安排维修师傅下午三点上门处理。"
    assert "shirk" not in score(reply, [], "complaint", encoder=encoder).blocker_ids


def test_tone_signals(encoder):
    polite = score("您好,请您稍等,非常抱歉。", [], "complaint", encoder=encoder).tone
    rude = score("凭什么找我,你别催。", [], "complaint", encoder=encoder).tone
    curt = score("你等着,师傅下午来。", [], "complaint", encoder=encoder).tone
    assert polite.label == "礼貌" and "请" in polite.polite
    assert rude.label == "粗鲁" and "凭什么" in rude.rude
    assert curt.label == "生硬"
