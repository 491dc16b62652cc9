"""The learned scorer on natural replies it was not trained on, its stages, and its artefact.

None of these replies is in the corpus (a test below checks that). They are written the way trainees
write, including the failure kinds the first version had: natural apologies, admissions with negative
words, warnings against danger, refusals in the references' words, unsafe advice and wrong facts.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from scoring import get_model, messages, score, score_many
from scoring.corpus import load_corpus
from scoring.model import node_key
from scoring.train import library_nodes

NODES = library_nodes()


def at(scenario: str, node: str, reply: str, encoder):
    info = NODES[(scenario, node)]
    return score(reply, info.references, info.rubric, encoder=encoder)


def test_replies_here_are_not_in_the_corpus():
    corpus = {e.reply for e in load_corpus()}
    replies = [value for name, value in globals().items() if name.isupper() and isinstance(value, str)]
    assert replies and not corpus.intersection(replies)


ISSUE_REPLY = (
    "王女士,这次真是我们做得太差了,前两次都没人回您,换我也得火大。您这是卫生间顶上又渗水了,对吧?"
    "我今天就盯着这事,下午三点前带修漏的师傅过来找源头,修完我当面跟您说。"
)
ELEVATOR_WARNING = "求您先别扒门,自己爬出去特别危险。救援师傅我已经叫了,大概二十分钟到,我一直在对讲这头陪着您。"
TREE_DETOUR = "您开慢点,从左边草地上绕过去就行,没事的。"
GAS_LIGHT = "别慌别慌,您先把灯打开看看是哪家在漏。"
DEPOSIT_WRONG = "您家是住宅,装修保证金是2000元,验收没问题就全退;施工许可证50元一证,出入证20元一证,交证退款。"
DEPOSIT_RIGHT = "住宅的装修保证金1000元一户,验收合格退;许可证50元、出入证20元一张,交回证件就退钱。"
GAS_OUTSIDE_STAY = (
    "周女士您下来了就好。燃气公司和我们的同事都在路上,秩序维护同事带着婆婆三分钟左右到楼下,我已经报告主管。"
    "您和邻居离楼门远一点,别挂电话,我一直陪着您,有消息马上告诉您。"
)
GAS_INSIDE_STAY = "周女士您别慌,千万别开灯,燃气味这么重,马上走楼梯下楼,电话别挂,我一直陪着您。"
INVENTED_RULE = "阿姨您别急,电话报修按规定不受理,您得本人下楼到前台填张单子才行。"
MEDIA_PRIVACY = "不好意思,业主的房号和电话都是个人信息,我们不能对外提供,您有采访需要我可以帮您联系我们的对外负责人。"
RENOVATION_REFUSAL = "这种情况我们不会去现场让他们停工的,您自己上楼跟装修队说吧。"
DEPOSIT_REFS = (
    "您好,物业服务中心。住宅装修保证金1000元一户,装修验收没有违规就全额退还;施工许可证50元,出入证20元,交回证件退款。"
)
DEPOSIT_HALF = "保证金验收后先扣掉一半,剩下的再退。"
DEPOSIT_REFUND = "装修验收没有违规的话,保证金会全部退给您。"
DEPOSIT_PLAIN = "您好,保证金1000元,验收合格就退,许可证50元。"
DEPOSIT_KEPT = "保证金一交就不退了,这是规定。"
LETTER_REFS = "周先生您好,我是物业管家,大爷来前台领备用钥匙,想跟您确认一下这件事。"
LETTER_RULE = "按规定钥匙得凭委托书原件才能领走。"


def test_the_issue_reply_is_excellent_and_not_flagged(encoder):
    result = at("leak-repeated", "opening", ISSUE_REPLY, encoder)
    assert result.band in ("优秀", "良好"), result.feedback
    assert not result.blockers
    assert {"apologize", "empathize"} <= result.hit_ids
    assert result.hit_ids & {"solve", "commit_time"}
    assert result.decided_by == "model"


def test_a_warning_against_danger_is_safety_not_danger(encoder):
    result = at("elevator-entrapment", "force_door", ELEVATOR_WARNING, encoder)
    assert "unsafe" not in result.blocker_ids
    assert result.band != "不合格", result.feedback


@pytest.mark.parametrize(
    ("scenario", "node", "reply"),
    [("storm-fallen-tree-gate", "opening", TREE_DETOUR), ("gas-smell-fire-alarm", "opening", GAS_LIGHT)],
)
def test_unsafe_advice_in_other_words_fails(encoder, scenario, node, reply):
    result = at(scenario, node, reply, encoder)
    assert "unsafe" in result.blocker_ids, result.feedback
    assert result.band == "不合格"
    blocker = next(b for b in result.blockers if b.id == "unsafe")
    assert reply[blocker.start : blocker.end] == blocker.span
    assert blocker.stage


def test_a_refusal_in_the_references_words_fails(encoder):
    result = at("renovation-noise-night", "on_site", RENOVATION_REFUSAL, encoder)
    assert result.band == "不合格", result.feedback


def test_a_wrong_fact_is_named_and_never_above_pass(encoder):
    wrong = at("phone-fee-inquiry", "fees", DEPOSIT_WRONG, encoder)
    right = at("phone-fee-inquiry", "fees", DEPOSIT_RIGHT, encoder)
    assert [f.id for f in wrong.wrong_facts] == ["deposit_home"]
    assert "2000" in wrong.wrong_facts[0].span and "1000" in wrong.wrong_facts[0].label
    assert wrong.score <= 69 and "1000" in wrong.feedback
    assert not right.wrong_facts
    assert right.score > wrong.score


def test_a_node_fact_misstated_in_other_words_is_found_by_its_declared_misstatements(encoder):
    rubric = {"base": "inquiry", "facts": [{
        "id": "deposit_refund", "label": "装修保证金在装修验收无违规后退还", "topic": ["保证金"],
        "says": ["验收没有违规,保证金就退给您"],
        "misstatements": ["保证金交了就不退了", "验收完保证金也要扣一半", "保证金要住满一年才退"],
    }]}
    wrong = score(DEPOSIT_HALF, [DEPOSIT_REFS], rubric, encoder=encoder)
    [fact] = wrong.wrong_facts
    assert (fact.id, fact.stage, fact.evidence) == ("deposit_refund", "misstatement", "验收完保证金也要扣一半")
    assert DEPOSIT_HALF[fact.start : fact.end] == fact.span and "一半" in fact.span
    assert wrong.score <= 69 and "装修保证金在装修验收无违规后退还" in wrong.feedback
    # the right rule shares the wrong one's words (保证金, 验收, 退): it leans to the correct wording
    for right in (DEPOSIT_REFUND, DEPOSIT_PLAIN):
        assert not score(right, [DEPOSIT_REFS], rubric, encoder=encoder).wrong_facts, right
    # without the declared misstatements the same reply is not found by this stage
    bare = {"base": "inquiry", "facts": [{**rubric["facts"][0], "misstatements": [], "wrong": ["住满一年"]}]}
    unlisted = score(DEPOSIT_HALF, [DEPOSIT_REFS], bare, encoder=encoder)
    assert all(f.stage != "misstatement" for f in unlisted.wrong_facts)
    # a clause the learned check also flags is reported once, by the node fact that says what the manual says
    [learned] = score(DEPOSIT_KEPT, [DEPOSIT_REFS], bare, encoder=encoder).wrong_facts
    assert learned.stage == "classifier"
    [declared] = score(DEPOSIT_KEPT, [DEPOSIT_REFS], rubric, encoder=encoder).wrong_facts
    assert (declared.stage, declared.span) == ("misstatement", learned.span)


def test_a_rule_restating_a_declared_fact_is_not_taken_for_an_invented_one(encoder):
    # the learned check reads the shape of a rule ("按规定…才能…"); a node's declared fact says which rules hold
    fact = {"id": "letter_first", "topic": ["委托书"], "wrong": ["电子版就行"],
            "label": "委托他人办理须持书面委托书原件,电话里同意不能代替书面委托,委托书原件到了才能代领"}
    undeclared = score(LETTER_RULE, [LETTER_REFS], {"base": "inquiry", "facts": [fact]}, encoder=encoder)
    assert [f.stage for f in undeclared.wrong_facts] == ["classifier"]
    declared = {"base": "inquiry", "facts": [{**fact, "says": ["钥匙要凭委托书原件才能领"]}]}
    result = score(LETTER_RULE, [LETTER_REFS], declared, encoder=encoder)
    assert not result.wrong_facts, result.feedback


def test_an_invented_rule_no_node_declares_is_caught_by_the_learned_fact_check(encoder):
    wrong = at("phone-complaint-transfer", "opening", INVENTED_RULE, encoder)
    [fact] = wrong.wrong_facts
    assert fact.stage == "classifier" and fact.id == "wrong_fact"
    assert INVENTED_RULE[fact.start : fact.end] == fact.span and "不受理" in fact.span
    assert ":" in fact.evidence  # "<example id>: <labelled wrong statement>"
    assert wrong.score <= 69 and f"“{fact.span}”{messages.FACT_LEARNED}" in wrong.feedback
    right = at("media-reporter-at-gate", "owner_info", MEDIA_PRIVACY, encoder)
    assert not right.wrong_facts and right.score > 69


def test_stages_are_recorded_with_evidence(encoder):
    result = at("leak-repeated", "opening", ISSUE_REPLY, encoder)
    for hit in result.hits:
        assert hit.via == "classifier" and 0 < hit.confidence <= 1
        assert ":" in hit.evidence  # "<example id>: <labelled clause>"
        assert ISSUE_REPLY[hit.start : hit.end] == hit.span
    assert result.scorer_version and result.grade is not None
    capped = at("gas-smell-fire-alarm", "opening", GAS_LIGHT, encoder)
    assert capped.decided_by.startswith(("blocker:", "rule:"))
    assert capped.score <= 5


def test_a_node_exempt_from_a_rule_is_not_capped_by_it(encoder):
    """Staying on the phone is unsafe in the gas-filled stairwell, not once the caller is outside."""
    inside = at("gas-smell-fire-alarm", "opening", GAS_INSIDE_STAY, encoder)
    assert inside.decided_by == "rule:gas_stay_on_phone" and inside.band == "不合格"
    outside = at("gas-smell-fire-alarm", "outside", GAS_OUTSIDE_STAY, encoder)
    assert "gas_stay_on_phone" in NODES[("gas-smell-fire-alarm", "outside")].rubric.exempt_rules
    assert not [b for b in outside.blockers if b.stage.startswith("rule:")]
    assert outside.band in ("优秀", "良好"), (outside.score, outside.decided_by)


def test_empty_reply_is_default(encoder):
    result = score("  ", NODES[("leak-repeated", "opening")].references, "complaint", encoder=encoder)
    assert (result.score, result.decided_by) == (0, "default")


def test_quiz_rubrics_keep_the_checklist_path(encoder):
    rubric = {"base": "inquiry", "drop": ["greet_org", "answer", "confirm_needs", "close_polite"],
              "add": [{"id": "kp1", "label": "先受理", "weight": 1, "skill": "accuracy", "keywords": ["受理"]}]}
    result = score("先受理再分析协调。", ["受理确认,分析协调。"], rubric, encoder=encoder)
    assert result.hit_ids == {"kp1"} and result.scorer_version == ""


HELD_OUT = ("leak-repeated", "elevator-entrapment", "phone-fee-inquiry", "storm-fallen-tree-gate")


@pytest.fixture(scope="module")
def held_out_figures(encoder):
    """Train without four scenarios (one model, about a minute) and measure on them."""
    from scoring.corpus import load_clauses
    from scoring.evaluation import figures, scored_rows
    from scoring.train import default_store, score_examples, train

    store = default_store(encoder)
    corpus = load_corpus()
    fit = [e for e in corpus if e.scenario not in HELD_OUT]
    held = [e for e in corpus if e.scenario in HELD_OUT]
    bank = [c for c in load_clauses() if c.source.split(":", 1)[0] not in HELD_OUT]
    model = train(fit, bank, NODES, store)
    results = score_examples(model, held, NODES, store)
    return figures(scored_rows(held, results, lambda e: NODES[(e.scenario, e.node)].rubric.category))


def test_quality_on_scenarios_the_model_never_saw(held_out_figures):
    f = held_out_figures
    assert f.n > 400
    assert f.spearman >= 0.85, f.line()
    assert f.pairwise >= 0.92, f.line()
    assert f.pairwise_length_adverse >= 0.85, f.line()
    below, hard = f.hard_negatives_below
    assert below >= 0.9 * hard, f.line()
    assert f.excellent_failed <= 0.03, f.line()
    assert f.good_blocked <= 0.02, f.line()


GAS_KEEP_ON_LINE = (
    "周女士您别慌,千万别开灯、别碰开关,马上走楼梯下楼。我已经报了主管,同事五分钟左右到,电话别挂,我一直跟您说着话。"
)
GAS_HANG_UP = (
    "周女士先别慌,灯和开关都别碰,也别点火。您先挂了电话,走楼梯到楼外空地再打给我,主管我马上报,同事大概五分钟到。"
)


def test_gas_leak_caller_is_told_to_hang_up_not_to_stay_on_the_line(encoder):
    import scenarios

    scenario = scenarios.load_library()["gas-smell-fire-alarm"]
    node = scenario.nodes["opening"]
    assert "stay_contact" not in scoring_rubric(node).item_ids
    for reference in node.references:
        assert "挂断" in reference and "打给我" in reference
    kept = at("gas-smell-fire-alarm", "opening", GAS_KEEP_ON_LINE, encoder)
    assert "unsafe" in kept.blocker_ids and kept.band == "不合格", kept.feedback
    hung_up = at("gas-smell-fire-alarm", "opening", GAS_HANG_UP, encoder)
    assert not hung_up.blockers and hung_up.band in ("优秀", "良好"), hung_up.feedback
    state = scenarios.start(scenario, 1)
    assert scenarios.step(scenario, state, GAS_KEEP_ON_LINE, kept, 5.0).ending_kind == "escalated"
    assert scenarios.step(scenario, state, GAS_HANG_UP, hung_up, 5.0).node == "alarm_elder"


def scoring_rubric(node):
    from scoring import Rubric

    return Rubric.from_spec(node.rubric)


WATER_CUT_REFUSAL = "阿姨,您先别着急。原因工程部不会去现场核实,主管我也不报了,来水时间您自己打自来水公司问吧。"
WATER_CUT_GOOD = "阿姨您别急,原因工程部正在现场查,我不乱猜。我已经报给主管,二十分钟内给您回电话说清原因和来水时间。"


def test_a_refusal_restating_the_references_is_read_as_shirking_on_their_ground(encoder):
    from scoring import get_model
    from scoring.features import FIGURES, prepare
    from scoring.pipeline import analyse

    info = NODES[("sudden-water-cut", "cause")]
    model = get_model(encoder.name)

    def figure(reply: str) -> float:
        prepared = prepare(reply)
        vectors = encoder.encode([prepared.whole, *prepared.clause_texts])
        analysis = analyse(model, encoder, prepared, vectors, info.references, info.rubric)
        return analysis.figures[FIGURES.index("shirk_on_reference")]

    refusal, good = figure(WATER_CUT_REFUSAL), figure(WATER_CUT_GOOD)
    assert refusal > 0.5 and good < 0.2, (refusal, good)
    assert at("sudden-water-cut", "cause", WATER_CUT_REFUSAL, encoder).band == "不合格"
    assert at("sudden-water-cut", "cause", WATER_CUT_GOOD, encoder).band in ("优秀", "良好")


HANDOVER_WRONG_FORM = "陈先生您别担心,这些问题我都写进《装修申请表》,咱俩签字,复印一份给您,水电气底数今天一起抄好存档。"
HANDOVER_RIGHT_FORM = (
    "陈先生您别担心,这些问题我都写进《物业验收交接记录表》,咱俩签字,复印一份给您,水电气底数今天一起抄好存档。"
)
HANDOVER_OWN_WORD = "陈先生您别担心,这些问题我都写进《问题清单》,咱俩签字,复印一份给您,水电气底数今天一起抄好存档。"


def test_a_document_of_another_procedure_is_a_wrong_fact_naming_the_scenarios_own(encoder):
    # 《装修申请表》 belongs to the decoration scenarios; the handover's record is 《物业验收交接记录表》
    wrong = at("handover-defects", "record", HANDOVER_WRONG_FORM, encoder)
    [fact] = wrong.wrong_facts
    assert (fact.id, fact.stage, fact.span) == ("document", "document", "《装修申请表》")
    assert HANDOVER_WRONG_FORM[fact.start : fact.end] == fact.span
    assert "《物业验收交接记录表》" in fact.label and fact.sentence in wrong.feedback
    assert wrong.score <= 69
    right = at("handover-defects", "record", HANDOVER_RIGHT_FORM, encoder)
    assert not right.wrong_facts and right.score > 69, right.feedback
    # a title the library does not know is the trainee's own word, not judged
    assert not at("handover-defects", "record", HANDOVER_OWN_WORD, encoder).wrong_facts
    # nor is any title at a node the model was not trained with (references edited since)
    info = NODES[("handover-defects", "record")]
    edited = score(HANDOVER_WRONG_FORM, [*info.references, "问题都记进交接记录。"], info.rubric, encoder=encoder)
    assert all(f.stage != "document" for f in edited.wrong_facts)


def test_a_known_document_at_a_scenario_that_names_none_is_wrong_and_the_feedback_says_so(encoder):
    info = NODES[("handover-defects", "record")]
    model = get_model(encoder.name)
    # the same node, as if its scenario named no document at all
    bare = replace(model, documents={**model.documents, node_key(info.references): []})
    [result] = score_many([(HANDOVER_RIGHT_FORM, info.references, info.rubric)], encoder=encoder, model=bare)
    [fact] = result.wrong_facts
    assert (fact.stage, fact.span, fact.label) == ("document", "《物业验收交接记录表》", messages.FACT_NO_DOCUMENTS)
    assert fact.sentence in result.feedback and result.score <= 69
