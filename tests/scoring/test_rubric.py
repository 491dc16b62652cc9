"""Rubric specs, built-in ids and manual citations."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import RUBRICS, Rubric, get_rubric, score

MANUALS = Path(__file__).resolve().parents[3] / "shared" / "manuals"


def test_builtin_item_ids_match_the_contract():
    assert get_rubric("complaint").item_ids == (
        "apologize", "empathize", "listen", "restate", "solve", "commit_time", "follow_up"
    )
    assert get_rubric("emergency").item_ids == ("calm", "safety", "report", "dispatch", "stay_contact", "follow_up")
    assert get_rubric("inquiry").item_ids == ("greet_org", "answer", "confirm_needs", "close_polite")
    for rubric in RUBRICS.values():
        assert {b.id for b in rubric.blockers} == {"shirk", "blame", "threat", "insult", "unsafe"}


def test_get_rubric_unknown_lists_names():
    with pytest.raises(KeyError, match="complaint, emergency, inquiry"):
        get_rubric("nope")


@pytest.mark.skipif(not MANUALS.exists(), reason="manuals not checked out next to the repository")
def test_every_citation_appears_in_its_manual():
    for rubric in RUBRICS.values():
        for entry in [*rubric.items, *rubric.blockers]:
            text = (MANUALS / entry.source["file"]).read_text(encoding="utf-8")
            assert entry.source["section"] in text, (rubric.name, entry.id)


def test_spec_adjusts_a_builtin():
    rubric = Rubric.from_spec(
        {
            "base": "complaint",
            "drop": ["follow_up"],
            "weights": {"commit_time": 3},
            "add": [
                {
                    "id": "explain_fee",
                    "label": "说明装修保证金的退还条件",
                    "weight": 2,
                    "skill": "accuracy",
                    "keywords": ["保证金", "re:退还?"],
                    "exemplars": ["装修保证金在验收合格后退还给您"],
                }
            ],
        }
    )
    assert "follow_up" not in rubric.item_ids
    assert rubric.item_ids[-1] == "explain_fee"
    assert next(i for i in rubric.items if i.id == "commit_time").weight == 3
    assert Rubric.from_spec("complaint") is RUBRICS["complaint"]


def test_added_item_is_scored(encoder):
    spec = {"base": "inquiry", "add": [{"id": "explain_fee", "label": "说明保证金", "weight": 2, "skill": "accuracy",
                                        "keywords": ["保证金"]}]}
    assert "explain_fee" in score("您好,物业客服中心,住宅装修保证金是1000元。", [], spec, encoder=encoder).hit_ids


def test_inline_rubric_round_trips():
    rubric = Rubric.from_spec(get_rubric("inquiry").to_dict())
    assert rubric.item_ids == get_rubric("inquiry").item_ids


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (42, "rubric: "),
        ({"base": "nope"}, "rubric.base"),
        ({"base": "complaint", "drop": ["nope"]}, r"rubric.drop\[0\]"),
        ({"base": "complaint", "weights": {"nope": 2}}, "rubric.weights.nope"),
        ({"base": "complaint", "weights": {"solve": -1}}, "rubric.weights.solve"),
        ({"base": "complaint", "extra": 1}, "extra"),
        ({"base": "complaint", "add": [{"id": "x", "label": "x", "weight": 1, "skill": "nope", "keywords": ["a"]}]},
         r"rubric.add\[0\].skill"),
        ({"base": "complaint", "add": [{"id": "x", "label": "x", "weight": 1, "skill": "accuracy"}]},
         r"rubric.add\[0\]"),
        ({"base": "complaint", "add": [{"id": "x", "label": "x", "weight": 1, "skill": "accuracy",
                                         "keywords": ["re:("]}]}, r"rubric.add\[0\].keywords\[0\]"),
        ({"base": "complaint", "add": [{"id": "solve", "label": "x", "weight": 1, "skill": "accuracy",
                                         "keywords": ["a"]}]}, "solve"),
        ({"base": "inquiry", "drop": ["greet_org", "answer", "confirm_needs", "close_polite"]}, "rubric"),
        ({"base": "emergency", "exempt_rules": ["no_such_rule"]}, r"rubric.exempt_rules\[0\].*gas_stay_on_phone"),
        ({"base": "emergency", "exempt_rules": "gas_stay_on_phone"}, "rubric.exempt_rules"),
    ],
)
def test_bad_specs_raise_value_error(spec, message):
    with pytest.raises(ValueError, match=message):
        Rubric.from_spec(spec)


def test_rule_exemptions_round_trip():
    rubric = Rubric.from_spec({"base": "emergency", "exempt_rules": ["gas_stay_on_phone", "gas_stay_on_phone"]})
    assert rubric.exempt_rules == ("gas_stay_on_phone",)
    assert Rubric.from_spec(rubric.to_dict()).exempt_rules == ("gas_stay_on_phone",)
    assert Rubric.from_spec("emergency").exempt_rules == ()


TREE_BLOCKER = {
    "id": "unsafe",
    "reason": "倒伏的大树不稳,让业主自己动手抬树可能砸伤人。",
    "keywords": ["re:(自己|大家|你们|一起)(动手)?.{0,4}(把)?(树枝|树干|树)?(抬|搬|拖|挪)(开|走)"],
    "cap": 5,
}


def test_add_blockers_round_trip():
    rubric = Rubric.from_spec({"base": "emergency", "add_blockers": [TREE_BLOCKER]})
    assert rubric.item_ids == get_rubric("emergency").item_ids
    assert [(b.id, b.label, b.cap) for b in rubric.added_blockers] == [("unsafe", "应急中的危险指引", 5)]
    data = rubric.to_dict()
    assert data["add_blockers"][0]["keywords"] == TREE_BLOCKER["keywords"]
    assert Rubric.from_spec(data).added_blockers == rubric.added_blockers
    without_cap = {k: v for k, v in TREE_BLOCKER.items() if k != "cap"}
    shirk = Rubric.from_spec({"base": "complaint", "add_blockers": [{**without_cap, "id": "shirk"}]})
    assert shirk.added_blockers[0].cap == 10  # the standard 推诿 cap


@pytest.mark.parametrize(
    ("base", "reply", "fires"),
    [
        ("emergency", "行,你们自己动手把树抬开吧。", True),
        ("emergency", "大家一起把树枝搬开就能过了。", True),
        pytest.param(
            "emergency", "请千万不要自己动手把树抬开,等专业人员来清理。", False,
            marks=pytest.mark.xfail(reason="scorer miss (#9): the unsafe clause classifier reads this warning as "
                                    "advice (p 0.75) since the eight new scenarios' corpus joined; the node "
                                    "pattern itself honours the negation"),
        ),
        ("emergency", "请大家不要一起去把树挪开,太危险了。", False),
        ("complaint", "你们自己动手把树抬开吧。", True),
    ],
)
def test_added_blocker_fires_and_honours_negation(encoder, base, reply, fires):
    result = score(reply, [], {"base": base, "add_blockers": [TREE_BLOCKER]}, encoder=encoder)
    assert ("unsafe" in result.blocker_ids) is fires
    if fires:
        hit = next(b for b in result.blockers if b.id == "unsafe")
        assert hit.reason == TREE_BLOCKER["reason"] and result.score <= 5
        assert reply[hit.start : hit.end] == hit.span


@pytest.mark.parametrize(
    ("blocker", "message"),
    [
        ("unsafe", r"rubric.add_blockers\[0\]: "),
        ({"id": "nope", "reason": "x", "keywords": ["a"]}, r"rubric.add_blockers\[0\].id.*unsafe"),
        ({"id": "unsafe", "keywords": ["a"]}, r"rubric.add_blockers\[0\].*reason"),
        ({"id": "unsafe", "reason": "x", "keywords": []}, r"rubric.add_blockers\[0\].keywords"),
        ({"id": "unsafe", "reason": "x", "keywords": ["re:("]}, r"rubric.add_blockers\[0\].keywords\[0\]"),
        ({"id": "unsafe", "reason": "x", "keywords": ["re:a?"]}, r"rubric.add_blockers\[0\].keywords\[0\]"),
        ({"id": "unsafe", "reason": "x", "keywords": ["a"], "cap": 80}, r"rubric.add_blockers\[0\].cap"),
        ({"id": "unsafe", "reason": "x", "keywords": ["a"], "label": "x"}, "label"),
    ],
)
def test_bad_added_blockers_raise_value_error(blocker, message):
    with pytest.raises(ValueError, match=message):
        Rubric.from_spec({"base": "emergency", "add_blockers": [blocker]})
