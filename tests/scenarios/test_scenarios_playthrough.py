"""Scripted playthroughs of library scenarios, judged by the real scoring engine."""

from __future__ import annotations

import pytest

import scoring
from scenarios import LIBRARY_DIR, PlayState, Scenario, load_scenario, start, step

LEAK_GOOD = {
    "opening": "王女士,真的非常抱歉,这已经是第三次漏水了,给您添了这么多麻烦,我非常理解您的心情。"
    "您说的情况我都记下了:卫生间天花板第三次漏水,前两次报修没有人跟进。"
    "我现在就上报主管,安排工程师今天上门查漏,下午五点前给您答复。",
    "inspect": "我理解您的担心。我现在就安排工程师上来查找漏水点,今天下午三点前给您初步结果,"
    "处理期间我每天给您回个电话,说明进度。",
    "upstairs": "非常抱歉让您等了这么久,我理解您的着急。楼上1303由我负责联系协调,"
    "我今天就通过业主档案和紧急联系人联系他们,约好时间让工程师入户查漏,明天中午前给您回复进度,之后每天跟您通报一次。",
    "compensation": "实在抱歉,家里东西泡坏了换谁都心疼,我理解。您家的损失我现在先拍照记录存档,"
    "查明漏水责任后上报主管,由我协调责任方跟您商量赔偿,三天内给您答复,结果我第一时间告诉您。",
    "closing": "谢谢您的理解,也再次向您道歉,让您受累了。这次由我全程跟进,维修完成后当天我就上门回访,"
    "确认不再漏水,一周后我再打电话回访一次,有任何情况您随时找我。",
}

ELEVATOR_GOOD = {
    "opening": "您好,这里是物业客服中心,请您别慌,先深呼吸,您和孩子在轿厢里是安全的。"
    "请千万不要扒门,也不要自己爬出去。我已经上报值班主管并通知电梯维保人员马上赶来,我一直在对讲这边陪着您。",
    "headcount": "好的,3栋电梯,您和孩子两个人,我记下了。请您别担心,轿厢有通风,不会缺氧,抱着孩子站稳就好。"
    "维保人员已经在路上,预计十五分钟内到,我不挂断,一直陪着您。",
    "force_door": "陈女士,请千万不要扒门,也不要自己爬出去,这样非常危险!维保人员已经进小区了,马上就到,"
    "请您抱好孩子,远离电梯门,我一直在这里陪着您。",
    "rescue_arrives": "是的,是我们的维保人员到了。请您抱着孩子待在轿厢中间,远离门口,听他们的指挥,"
    "等门完全打开、电梯停稳后再出来,千万别自己扒门。",
    "aftercare": "让您和孩子受惊了,真的非常抱歉。孩子身体还好吗?电梯故障的原因我们会彻底查清,"
    "处理结果三天内给您答复,明天我也会上门回访,看看孩子的情况。",
}


@pytest.fixture(scope="module")
def encoder() -> scoring.Encoder:
    return scoring.get_encoder()


def _play(
    scenario: Scenario, replies: dict[str, str] | str, encoder: scoring.Encoder, *, elapsed_s: float = 10.0
) -> PlayState:
    state = start(scenario, seed=2024)
    while not state.ended:
        assert state.turn < scenario.max_turns
        node = scenario.nodes[state.node]
        reply = replies if isinstance(replies, str) else replies[state.node]
        result = scoring.score(reply, node.references, node.rubric, encoder=encoder)
        state = step(scenario, state, reply, result, elapsed_s)
    return state


@pytest.mark.parametrize(
    ("scenario_id", "script"), [("leak-repeated", LEAK_GOOD), ("elevator-entrapment", ELEVATOR_GOOD)]
)
def test_good_playthrough_resolves(encoder, scenario_id, script):
    scenario = load_scenario(LIBRARY_DIR / f"{scenario_id}.yaml")
    state = _play(scenario, script, encoder)
    assert state.ending_kind == "resolved", [r.to_dict() for r in state.transcript]
    assert state.turn >= 3
    assert all(record.band in ("优秀", "良好") and not record.blocker_ids for record in state.transcript)
    assert state.emotion < scenario.persona.emotion


@pytest.mark.parametrize(
    ("scenario_id", "reply", "blocker"),
    [
        ("leak-repeated", "这不归我们管,你自己去找楼上,我们也没办法。", "shirk"),
        ("leak-repeated", "哦,知道了。", None),
        ("elevator-entrapment", "你自己把门扒开爬出来吧,我们这边也没办法。", "unsafe"),
    ],
)
def test_bad_playthrough_escalates(encoder, scenario_id, reply, blocker):
    scenario = load_scenario(LIBRARY_DIR / f"{scenario_id}.yaml")
    state = _play(scenario, reply, encoder)
    assert state.ending_kind == "escalated", [r.to_dict() for r in state.transcript]
    assert all(record.band == "不合格" for record in state.transcript)
    if blocker is not None:
        assert blocker in state.transcript[0].blocker_ids


def test_late_reply_in_emergency_times_out(encoder):
    scenario = load_scenario(LIBRARY_DIR / "elevator-entrapment.yaml")
    limit = scenario.time_limit_for(scenario.start)
    assert limit is not None
    state = _play(scenario, ELEVATOR_GOOD, encoder, elapsed_s=limit + 1)
    assert state.ending_kind == "timed_out"
    assert state.transcript[0].late and state.transcript[0].branch == "timeout"
