"""Playthroughs of the eight scenarios added for the audit's coverage gaps (issue #15), judged by the real scorer.

Each scenario is played three ways: a good trainee reaches a resolved ending without a bad turn; a trainee who
keeps giving the same poor reply ends escalated; and a trainee who starts badly is sent to the scenario's
recovery node and can still reach the resolved ending from there. The replies are the trainee's own words,
not copies of the references.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scoring
from scenarios import LIBRARY_DIR, PlayState, Scenario, load_scenario, start, step
from scenarios.loader import MANUALS_DIR
from scenarios.manuals import check_source

GOOD: dict[str, dict[str, str]] = {
    "night-move-out-release": {
        "opening": "您好，物业服务中心前台，我姓林。让您在门口等着真不好意思，我尽快帮您办。"
        "大件物品搬出要先在前台登记，"
        "请问您是803的业主还是租户？麻烦给我看一下身份证。",
        "tenant_no_auth": "孙先生，我相信东西是您的，只是门口分不清哪些是房东配的。大件搬出需要房东确认，"
        "我现在就用物业登记的电话联系周女士，您也给她打一个，她确认了我马上给您开单。",
        "owner_unreachable": "理解您着急。我们分两步：衣服、箱子这些个人物品我现在先登记放行，您先装车；"
        "冰箱、洗衣机等房东确认，我给周女士发短信留言，十一点半前再打一次，有结果马上告诉您。",
        "register": "太好了，谢谢您。我再用登记的电话跟周女士确认一句，然后请您登记一下物品清单、车牌号和身份证号，"
        "签个字，我开放行单，同时通知北门安全员放行。",
        "closing": "今天让您久等了，谢谢理解。以后搬大件最好提前一天来前台办，业主本人来，"
        "或者租户带业主的书面授权和身份证。"
        "请问还有别的需要帮忙的吗？祝您搬家顺利，再见。",
    },
    "lost-card-relative-pickup": {
        "opening": "周大爷您好，这里是物业前台，您请坐。丢的那张门禁卡我先马上停用，免得被人捡去刷卡。"
        "补卡和领备用钥匙要业主本人来办，或者有业主的书面委托书原件，再加上您的身份证原件。周先生给您写委托书了吗？",
        "no_letter": "大爷，我一点都不怀疑您。备用钥匙能直接开门，对每一户都是这个规定，也是保护您儿子家的安全。"
        "我现在用我们档案里登记的周先生的电话打给他，您一起听着，咱们商量个最方便的办法。",
        "son_on_phone": "周先生您好，我是物业前台小陈。丢的卡已经停用了。钥匙不能先领后补，"
        "需要您签一份书面委托书原件，"
        "我把委托书模板发到您登记的手机上，您签好字快递寄回管理处，收到后大爷带身份证原件来领。",
        "closing": "谢谢大爷理解，辛苦您跑一趟。下次带两样：周先生签字的委托书原件和您的身份证原件，"
        "来了在《钥匙发放登记表》上签个字就能领。委托书到了我先打电话通知您。还有别的事吗？您慢走。",
    },
    "neighbour-dispute-corridor": {
        "opening": "李女士，真抱歉让您和老人受这个罪，进出都不方便，换谁都会生气。我确认一下：501把鞋柜、"
        "纸箱和婴儿车堆在楼道，"
        "狗在楼道里便溺，您提醒过两次没改，对吗？这件事我来处理，今天下午四点前我上楼查看现场，六点前给您回电话。",
        "take_side": "我理解您想讨个说法。不过我们要保持中立，他的电话属于个人信息，我不能提供，"
        "您的信息我们也一样不会透露。"
        "我以物业巡查的名义去劝导501清走杂物，今天六点前把结果告诉您。",
        "no_effect": "您担心得有道理。劝导只是第一步，劝导不改我们会下达《违章处理通知单》，让501签字，限期整改，"
        "到期我上楼复查，仍然不改就上报客户服务部部长处理，每一步我都告诉您。",
        "dog": "老人差点滑倒太危险了，对不起。我现在就通知保洁，预计半小时内清理消毒楼道和电梯口。"
        "和501沟通时我会讲清文明养宠，遛狗要牵绳、便溺要及时清理，巡查时看到也会当场劝阻。明天我再给您打电话。",
        "closing": "谢谢您的信任，也再次抱歉让您受累了。今天六点前我告诉您沟通结果，整改到期复查后再给您回电话，"
        "下周一我上门回访，确认楼道清爽了这件事才算结束。",
    },
    "renovation-violation-on-site": {
        "opening": "马师傅您好，我是这栋楼的管家小郑，来做装修巡检。请您先把切割机关掉，现在就停下来。"
        "这个门洞不在《装修申请表》里，是否破坏结构要工程部对照图纸确认。电井接出来的线大家先别碰，"
        "我已经叫工程部电工过来断电，预计十分钟左右到。",
        "resist": "马师傅，我理解您工期紧，不是要跟您过不去。墙承不承重不能凭经验，要工程部对照图纸确认，"
        "开门洞没有申报，按《装修管理规定》要业主补办变更申报。已经申报的项目可以用屋里的电照常干，"
        "这件事我已经报给部长了。",
        "wire": "谢谢配合，不过请您和工人都别去拔，电井里的接头可能带电。私自使用公用电是不允许的，"
        "这根线还压着防火门，"
        "是火灾隐患。电工预计五分钟左右到，由他断电后拆线，顺便帮您看看屋里为什么跳闸。",
        "owner_call": "好，我来跟黄先生说。黄先生您好，我是管家小郑。拆改墙体要先申报，是否承重要工程部确认，"
        "关系到整栋楼的安全。"
        "今天我们会下达《装修违章处理通知单》，门洞暂停，请您带图纸来补办申报。这件事已经报给部长，"
        "下午五点前我再给您回电话。",
        "closing": "谢谢马师傅配合。电工确认安全后，申报过的项目可以接着干，用屋里的电。"
        "今天的情况我写进《装修巡检记录》，"
        "明天上午十点我再来复查，工程部的确认结果出来我第一时间告诉黄先生。",
    },
    "request-beyond-authority": {
        "opening": "钱先生，一家人三天没法用卫生间，确实太不方便了，真抱歉。您是觉得维修慢，希望减免今年的物业费，"
        "对吗？"
        "说实话，减免物业费不在我的权限内，我不能随口答应。我今天把您的情况书面上报客户服务部部长，"
        "明天下午五点前给您回复。",
        "push": "我理解您想要个痛快话。可我不能答应一件兑现不了的事，我现在说可以，明天公司不同意，您会更生气。"
        "我今天如实把情况报给部长，明天下午五点前给您回话，维修为什么慢我们也会查清楚。",
        "pipe_repair": "水管的事我帮您想办法。户内水管是您家自用的设施，物业不能免费换，这个我得说清楚。"
        "我先查一下房子还在不在保修期，在的话我协调开发商来修；不在的话工程部出一份明细报价，您也可以自己找师傅。"
        "明天中午前告诉您。",
        "closing": "谢谢您的理解，这次给您添麻烦了。明天下午五点前我一定回电话说明部长的意见；如果您不满意，"
        "我来约部长当面沟通。水管修好以后我再上门回访一次。",
    },
    "abusive-resident-handover": {
        "opening": "赵先生，让您在门口被堵了十分钟还被后面的车催，真的很抱歉，换成是我也会火大。您的月卡前天到期，"
        "道闸没识别，对吗？我现在就通知北门岗先抬杆放行，续费的事我们慢慢办。",
        "personal_abuse": "赵先生，我是前台小何，工号027，您要投诉我也会如实登记。我很想帮您把事情处理好，"
        "也请您别用这样的话，"
        "咱们把注意力放在问题上：车已经放进来了，月卡续费我现在就能办。",
        "demand_leader": "好的，我马上请值班主管过来，预计五分钟左右到。我先把情况跟他交代清楚：月卡前天到期、"
        "今晚被拦了十分钟、"
        "您对没有提前提醒有意见，这样您不用再说一遍。您先坐，我给您倒杯水。",
        "cooling_down": "没关系，赵先生，谁被堵在门口都会着急，谢谢您理解。月卡现在就能续，续完马上生效。"
        "到期提醒的建议很好，我把您登记到提醒名单里，下次到期前三天给您发短信。还有别的需要吗？",
    },
    "outbound-repair-follow-up": {
        "opening": "您好，我是物业服务中心4栋的管家小宋。请问您是602的吴女士吗？三天前您家厨房下水道报修过，"
        "今天打电话做个回访，大概两分钟，您现在方便吗？",
        "busy": "好的，打扰您了，我长话短说。就问最要紧的：下水道疏通以后现在用得顺畅吗？您要是马上开会，"
        "我晚上七点以后再打给您。",
        "problem_again": "非常抱歉，修完还没彻底好，师傅还把地弄脏让您自己收拾。我记一下：排水又变慢、有返味，"
        "维修后没清理现场。"
        "我今天安排工程部复查，您看明天晚上七点以后还是周六上午方便？清理的问题我会反馈给工程部。",
        "survey": "谢谢您，就三个问题：对师傅的服务态度满意吗？维修质量怎么评价？从报修到上门的速度觉得怎么样？"
        "每项说满意、一般或不满意就行。另外对我们还有什么建议吗？",
        "closing": "好的，我都记下了：态度满意，质量一般，效率满意，建议我会反馈给工程部。"
        "复查时间今天下午五点前短信告诉您。"
        "请问还有其他需要吗？没有的话不打扰您了，谢谢您，再见。",
    },
    "owners-group-privacy-leak": {
        "opening": "郑女士您好，我是物业10栋的管家小吴。真抱歉，群里的消息我们回得太慢了，车位被占四次，"
        "您生气我完全理解。"
        "您的B2-118车位又被同一辆车占了，对吗？我现在就通过物业登记的信息联系车主挪车，一小时内给您回电话。"
        "另外想请您帮个忙，群里那张照片和手机号能不能先撤回，那是对方的个人信息。",
        "refuse_withdraw": "我理解您想讨个公道。只是照片、车牌、手机号都是他的个人信息，发在几百人的群里，"
        "万一有人骚扰他，"
        "矛盾会越闹越大，对您也不利。物业对每一户的信息都保密，您的也一样。车位的事交给我，您看先撤回好吗？",
        "parking_action": "好的，我现在就联系车主请他七点前挪车，联系不上就在车上贴通知，"
        "再请秩序维护员六点半去看一眼。"
        "拖车和地锁我没有权限，不能随口答应；反复占用属于违章停车，我们会开具《违章处理通知单》并上报部长。"
        "六点半前我给您回电话。",
        "group_notice": "群里我马上回复，不点任何人的名字，也不提房号和车牌，只说物业已受理车位问题、正在处理，"
        "并提醒大家不要在群里发布他人的照片和电话。2301那边我单独沟通，说明物业没有透露过任何人的信息。",
        "closing": "谢谢郑女士愿意撤回，帮了大忙。六点半前我一定回电话告诉您车主联系的结果，"
        "今晚七点再请人去车位看一次，"
        "明天中午前回复后续处理，之后一周我跟进回访。",
    },
}

POOR_REPLY = "这个我也没办法，你自己看着办吧。"

# The first bad reply sends the resident to the recovery node; the good reply there brings them back.
RECOVERY: dict[str, tuple[str, str, str]] = {
    "night-move-out-release": (
        "forcing_out",
        "没有放行条谁都不能走，规定就是规定，你等着吧。",
        "孙先生，您先别着急，我不是要为难您。请先别让车硬闯，道闸和人都容易出危险。我想帮您尽快走："
        "个人物品我现在就登记放行，大件我马上再联系房东周女士，十一点半前给您准信。",
    ),
    "lost-card-relative-pickup": (
        "offended",
        "谁知道你是不是他爸爸，钥匙不能随便给你，你回去吧。",
        "大爷，对不起，是我刚才没说清楚，让您受委屈了。这个规定不是针对您，是保护您儿子家的安全。"
        "您先坐下喝口水，我现在就用档案里登记的电话给周先生打过去，咱们一起把事情办好。",
    ),
    "neighbour-dispute-corridor": (
        "flare",
        "邻里之间的事你们自己协商吧，物业也不好插手。",
        "李女士，对不起，是我没说清楚。我们不会不管：今天下午四点前我就上楼拍照取证，当面劝导501清走楼道里的杂物，"
        "同时安排保洁清理狗的便溺，六点前我给您回电话，这件事我负责到底。",
    ),
    "renovation-violation-on-site": (
        "standoff",
        "你们再不停我就拉闸，把你们工具全扣了！",
        "马师傅，我不是来跟您吵架的，也不会动您的工具。就请您先把机器停下，等工程部确认墙体、电工处理好那根线，"
        "这是为了大家的安全。我已经上报客户服务部部长，他会联系黄先生，咱们一起把这事办妥。",
    ),
    "request-beyond-authority": (
        "insulted",
        "这不归我管，你找别人去吧。",
        "钱先生，对不起，是我刚才没说清楚，让您觉得被推来推去了。这件事我不推给别人，由我负责跟到底："
        "您的诉求我今天书面上报部长，明天下午五点前给您答复，水管的事我现在就帮您想办法。",
    ),
    "abusive-resident-handover": (
        "flare",
        "是您自己没续费，骂我也没用，您再骂我就不处理了。",
        "赵先生，对不起，我刚才的话说得不合适，让您更生气了。我们不争谁对谁错，先把您的事办好：门岗已经放行，"
        "月卡续费我马上办。您要见主管的话，我这就请他过来，情况我来跟他交代。",
    ),
    "outbound-repair-follow-up": (
        "brushed_off",
        "喂，做个满意度调查，您给我们打个分吧。",
        "不好意思打扰您了，我没说清楚。我是物业服务中心4栋的管家小宋，不是推销。请问您是602的吴女士吗？"
        "三天前您家厨房下水道报修过，我想回访一下现在用得怎么样，您要是忙我晚上再打给您。",
    ),
    "owners-group-privacy-leak": (
        "flare",
        "你先把群里的照片删了，不删我们就不处理。",
        "郑女士，对不起，车位的问题一个月都没解决，是我们的失职，我不辩解。我们没有护着任何人。"
        "这件事我负责，我现在就联系车主挪车，六点半前给您回电话，尽量在七点前把车位腾出来。",
    ),
}

NEW_IDS = sorted(GOOD)

# 003 chapters (and one 002 heading) that exist only as titles: a citation must not point at them.
EMPTY_HEADINGS = (
    "物资搬出情况登记流程", "钥匙及智能卡管理流程", "社区矛盾解决操作指引", "媒体接待与信息报送要领",
    "灾害天气及突发停电停水客服工作指引", "客户期望值管理", "应对挑战性客户技巧", "客服人员的减压技巧",
    "突发事件应对及危机公关意识培养",
)


@pytest.fixture(scope="module")
def encoder() -> scoring.Encoder:
    return scoring.get_encoder()


def _scenario(scenario_id: str) -> Scenario:
    return load_scenario(LIBRARY_DIR / f"{scenario_id}.yaml")


def _play(scenario: Scenario, replies, encoder: scoring.Encoder) -> PlayState:
    """Play until an ending; ``replies`` is a fixed reply, a node->reply map, or a callable(state) -> reply."""
    state = start(scenario, seed=2024)
    while not state.ended:
        assert state.turn < scenario.max_turns
        node = scenario.nodes[state.node]
        if isinstance(replies, str):
            reply = replies
        elif callable(replies):
            reply = replies(state)
        else:
            reply = replies[state.node]
        result = scoring.score(reply, node.references, node.rubric, encoder=encoder)
        state = step(scenario, state, reply, result, 10.0)
    return state


def _why(state: PlayState) -> list[dict]:
    return [record.to_dict() for record in state.transcript]


@pytest.mark.parametrize("scenario_id", NEW_IDS)
def test_good_playthrough_resolves(encoder, scenario_id):
    scenario = _scenario(scenario_id)
    state = _play(scenario, GOOD[scenario_id], encoder)
    assert state.ending_kind == "resolved", _why(state)
    assert state.turn >= 4
    assert all(record.band in ("优秀", "良好") and not record.blocker_ids for record in state.transcript), _why(state)
    assert state.emotion < scenario.persona.emotion


@pytest.mark.parametrize("scenario_id", NEW_IDS)
def test_poor_replies_escalate(encoder, scenario_id):
    scenario = _scenario(scenario_id)
    state = _play(scenario, POOR_REPLY, encoder)
    assert state.ending_kind == "escalated", _why(state)
    assert all(record.band == "不合格" for record in state.transcript), _why(state)
    recovery_node = RECOVERY[scenario_id][0]
    assert recovery_node in [record.node for record in state.transcript], "a bad turn first offers a recovery node"


# Known scorer misses (issue #9): these curt refusals are graded 合格 (56-58) by the model trained with
# these nodes' blind corpus, because the writers graded similar curt-but-correct refusals 1 and no blocker
# fires on 「你回去吧」/「你等着吧」/「不删我们就不处理」. Not strict: they sit near the 55 boundary, where a
# retrained model may cross either way; ``test_curt_refusals_score_far_below_a_good_reply`` still guards them.
SCORER_MISSES = {
    "lost-card-relative-pickup": "「谁知道你是不是他爸爸…你回去吧」 scored 合格, no 推诿/辱骂 blocker",
    "night-move-out-release": "「规定就是规定，你等着吧」 scored 合格, no 推诿 blocker",
    "owners-group-privacy-leak": "「不删我们就不处理」 scored 合格, no 威胁/推诿 blocker",
}


@pytest.mark.parametrize("scenario_id", sorted(SCORER_MISSES))
def test_curt_refusals_score_far_below_a_good_reply(encoder, scenario_id):
    scenario = _scenario(scenario_id)
    node = scenario.nodes[scenario.start]
    bad = scoring.score(RECOVERY[scenario_id][1], node.references, node.rubric, encoder=encoder)
    good = scoring.score(GOOD[scenario_id][scenario.start], node.references, node.rubric, encoder=encoder)
    assert bad.band != "优秀" and bad.band != "良好"
    assert good.score >= bad.score + 20, (good.score, bad.score)


@pytest.mark.parametrize(
    "scenario_id",
    [
        pytest.param(key, marks=pytest.mark.xfail(reason=f"scorer miss (#9): {SCORER_MISSES[key]}", strict=False))
        if key in SCORER_MISSES else key
        for key in NEW_IDS
    ],
)
def test_bad_turn_then_recovery_resolves(encoder, scenario_id):
    scenario = _scenario(scenario_id)
    recovery_node, bad_reply, recovery_reply = RECOVERY[scenario_id]
    good = GOOD[scenario_id]

    def replies(state: PlayState) -> str:
        if state.turn == 0:
            return bad_reply
        if state.node == recovery_node:
            return recovery_reply
        return good[state.node]

    state = _play(scenario, replies, encoder)
    nodes = [record.node for record in state.transcript]
    assert state.transcript[0].band == "不合格", _why(state)
    assert nodes[1] == recovery_node, _why(state)
    assert state.transcript[1].band in ("优秀", "良好"), _why(state)
    assert state.ending_kind == "resolved", _why(state)


def _citations(scenario: Scenario) -> list[tuple[str, dict]]:
    found = [("source", scenario.source.to_dict())]
    found += [(f"also_sources[{i}]", source.to_dict()) for i, source in enumerate(scenario.also_sources)]
    for node_id, node in scenario.nodes.items():
        spec = node.rubric if isinstance(node.rubric, dict) else {}
        for key in ("add", "add_blockers", "facts"):
            for entry in spec.get(key, []):
                if "source" in entry:
                    found.append((f"nodes.{node_id}.rubric.{key}.{entry['id']}", dict(entry["source"])))
    return found


@pytest.mark.parametrize("scenario_id", NEW_IDS)
def test_every_node_cites_a_manual_section_with_text(scenario_id):
    scenario = _scenario(scenario_id)
    for node_id, node in scenario.nodes.items():
        added = node.rubric.get("add", []) if isinstance(node.rubric, dict) else []
        assert any("source" in item for item in added), f"{scenario_id}.{node_id} has no sourced rubric item"
    for where, citation in _citations(scenario):
        if "general" in citation:  # guidance no manual contains, shown as 「手册未收录,按通用安全规范」
            assert citation["general"].strip() and "file" not in citation, f"{scenario_id} {where}: {citation}"
            continue
        problem = check_source(citation["file"], citation["section"], Path(MANUALS_DIR))
        assert problem is None, f"{scenario_id} {where}: {problem}"
        assert citation["section"].strip("《》") not in EMPTY_HEADINGS, f"{scenario_id} {where} cites an empty heading"


@pytest.mark.parametrize("scenario_id", NEW_IDS)
def test_references_promise_no_fixed_arrival_of_another_team(scenario_id):
    scenario = _scenario(scenario_id)
    for node_id, node in scenario.nodes.items():
        for reference in node.references:
            for fixed in ("一定到", "保证到", "马上就到", "准时到"):
                assert fixed not in reference, f"{scenario_id}.{node_id}: {reference}"
