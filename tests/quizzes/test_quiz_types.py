"""Grading and validation of every question type."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quizzes import QUESTION_TYPES, ValidationError, get_question_type, normalise_text, question_from_dict

BASE = {
    "explanation": "解析",
    "topic": "电话与在线服务",
    "difficulty": 1,
    "source": {"file": "003_155df04f83bb14c9.txt", "section": "客户服务口诀"},
}


def make(**fields):
    return question_from_dict({"id": "q-1", "stem": "题干", **BASE, **fields})


SINGLE = {"type": "single", "options": ["一声内", "三声内", "五声内", "十声内"], "answer": "B"}
MULTIPLE = {"type": "multiple", "options": ["甲", "乙", "丙", "丁"], "answer": ["A", "C"]}
TRUEFALSE = {"type": "truefalse", "answer": False}
FILL = {"type": "fill", "stem": "电话铃响____内接听", "accepted": ["三声", "3声", "Three rings"]}
ORDERING = {"type": "ordering", "items": ["验明身份", "领取资料", "缴纳费用", "领取钥匙", "验房", "资料存档"]}


@pytest.mark.parametrize(
    ("fields", "response", "fraction", "correct"),
    [
        (SINGLE, "B", 1.0, True),
        (SINGLE, "b", 1.0, True),
        (SINGLE, "Ｂ", 1.0, True),
        (SINGLE, "A", 0.0, False),
        (SINGLE, None, 0.0, False),
        (SINGLE, "Z", 0.0, False),
        (MULTIPLE, ["A", "C"], 1.0, True),
        (MULTIPLE, "C,A", 1.0, True),
        (MULTIPLE, "AC", 1.0, True),
        (MULTIPLE, ["A"], 0.5, False),
        (MULTIPLE, ["A", "B"], 0.0, False),
        (MULTIPLE, ["A", "B", "C"], 0.5, False),
        (MULTIPLE, ["A", "B", "C", "D"], 0.0, False),
        (MULTIPLE, [], 0.0, False),
        (TRUEFALSE, False, 1.0, True),
        (TRUEFALSE, "错", 1.0, True),
        (TRUEFALSE, "F", 1.0, True),
        (TRUEFALSE, True, 0.0, False),
        (TRUEFALSE, "对", 0.0, False),
        (TRUEFALSE, None, 0.0, False),
        (FILL, "三声", 1.0, True),
        (FILL, " 三 声 。", 1.0, True),
        (FILL, "３声", 1.0, True),
        (FILL, "three  RINGS!", 1.0, True),
        (FILL, "五声", 0.0, False),
        (FILL, "", 0.0, False),
        (ORDERING, ["验明身份", "领取资料", "缴纳费用", "领取钥匙", "验房", "资料存档"], 1.0, True),
        (ORDERING, [0, 1, 2, 3, 4, 5], 1.0, True),
        (ORDERING, [1, 0, 2, 3, 4, 5], 5 / 6, False),
        (ORDERING, [5, 0, 1, 2, 3, 4], 5 / 6, False),
        (ORDERING, [5, 4, 3, 2, 1, 0], 1 / 6, False),
        (ORDERING, [0, 1, 2], 0.0, False),
        (ORDERING, [0, 0, 1, 2, 3, 4], 0.0, False),
    ],
)
def test_grading(fields, response, fraction, correct):
    result = make(**fields).grade(response)
    assert result.fraction == pytest.approx(fraction, abs=1e-6)
    assert result.points == pytest.approx(fraction, abs=1e-6)
    assert result.correct is correct
    assert result.feedback


def test_multiple_choice_feedback_names_the_right_answer():
    result = make(**MULTIPLE).grade(["A", "B"])
    assert result.details == {
        "chosen": ["A", "B"],
        "answer": ["A", "C"],
        "right": ["A"],
        "wrong": ["B"],
        "missed": ["C"],
    }
    assert "A、C" in result.feedback


def test_multiple_choice_with_moodle_weights_sums_and_floors():
    question = make(**{**MULTIPLE, "weights": [0.5, -1.0, 0.5, -1.0]})
    assert question.grade(["A"]).fraction == 0.5
    assert question.grade(["A", "B", "C"]).fraction == 0.0
    assert question.grade(["A", "C"]).fraction == 1.0


def test_single_choice_partial_weight_and_option_feedback():
    question = make(**{**SINGLE, "weights": [0.0, 1.0, 0.5, 0.0], "option_feedback": ["", "", "接近了", ""]})
    result = question.grade("C")
    assert result.fraction == 0.5 and not result.correct
    assert "接近了" in result.feedback


def test_fill_wildcard_and_partial_answers_follow_moodle_order():
    question = make(
        type="fill",
        accepted=[
            "Frog",
            {"text": "Cat", "fraction": 0.5},
            {"text": "*", "fraction": 0, "feedback": "完全错误"},
        ],
    )
    assert question.grade("frog").fraction == 1.0
    assert question.grade("CAT").fraction == 0.5
    wrong = question.grade("dog")
    assert wrong.fraction == 0.0 and "完全错误" in wrong.feedback


def test_truefalse_feedback_for_the_given_answer():
    question = make(
        type="truefalse", answer=True, feedback_true="对,三声内", feedback_false="手册写的是三声内"
    )
    assert "手册写的是三声内" in question.grade(False).feedback


def test_short_answer_uses_injected_scorer(fake_scorer):
    question = make(
        type="short",
        reference="先致歉,再告知处理时限。",
        key_points=[{"text": "致歉", "keywords": ["歉"]}, {"text": "告知处理时限", "keywords": ["时限"]}],
    )
    result = question.grade("非常抱歉给您添麻烦了,我们道歉并会在今天内处理", scorer=fake_scorer)
    assert result.details["hit"] == ["致歉"]
    assert result.details["missed"] == ["告知处理时限"]
    assert result.fraction == 0.5 and not result.correct
    assert "告知处理时限" in result.feedback
    reply, references, rubric = fake_scorer.calls[0]
    assert references == ["先致歉,再告知处理时限。"]
    assert [item["id"] for item in rubric["add"]] == ["kp1", "kp2"]
    full = question.grade("致歉,并告知处理时限", scorer=fake_scorer)
    assert full.correct and full.fraction == 1.0


def test_short_answer_empty_reply_never_calls_the_scorer(fake_scorer):
    question = make(type="short", reference="参考", key_points=["要点"])
    result = question.grade("  ", scorer=fake_scorer)
    assert result.fraction == 0 and fake_scorer.calls == []


def test_short_answer_rubric_spec_is_accepted_by_scoring():
    from scoring import Rubric

    question = make(
        type="short", reference="参考答案", key_points=["倾听与安抚:完整倾听,不打断不辩解", "告知时限"]
    )
    rubric = Rubric.from_spec(question.rubric_spec())
    assert [item.id for item in rubric.items] == ["kp1", "kp2"]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({**SINGLE, "answer": "E"}, "answer"),
        ({**SINGLE, "answer": ["A"]}, "answer"),
        ({**SINGLE, "options": ["甲"]}, "options"),
        ({**SINGLE, "options": ["甲", "甲"]}, "options"),
        ({**MULTIPLE, "answer": ["A", "F"]}, "answer"),
        ({**MULTIPLE, "answer": []}, "answer"),
        ({**MULTIPLE, "weights": [0.5, 0.5, 0.0, 0.0]}, "weights"),
        ({**TRUEFALSE, "answer": "对"}, "answer"),
        ({**FILL, "accepted": []}, "accepted"),
        ({**FILL, "stem": "____ 和 ____"}, "stem"),
        ({**FILL, "accepted": [{"text": "三声", "fraction": 0.5}]}, "accepted"),
        ({**ORDERING, "items": ["甲"]}, "items"),
        ({**ORDERING, "items": ["甲", "甲"]}, "items"),
        ({"type": "short", "reference": "参考"}, "key_points"),
        ({**SINGLE, "difficulty": 5}, "difficulty"),
        ({**SINGLE, "id": "带空格 的id"}, "id"),
        ({**SINGLE, "colour": "red"}, ""),
    ],
)
def test_invalid_questions_name_the_field(fields, path):
    with pytest.raises(ValidationError) as caught:
        make(**fields)
    assert caught.value.path == path


def test_missing_source_is_rejected_unless_allowed():
    data = {"id": "q-1", "stem": "题干", **BASE, **SINGLE}
    del data["source"]
    with pytest.raises(ValidationError, match="出处"):
        question_from_dict(data)
    assert question_from_dict(data, require_source=False).source is None


def test_registry_lists_valid_names():
    assert list(QUESTION_TYPES) == ["single", "multiple", "truefalse", "fill", "ordering", "short"]
    with pytest.raises(ValidationError, match="single, multiple, truefalse, fill, ordering, short"):
        get_question_type("essay")


@pytest.mark.parametrize(
    "fields",
    [
        SINGLE,
        MULTIPLE,
        TRUEFALSE,
        FILL,
        ORDERING,
        {"type": "short", "reference": "参考", "key_points": ["甲", {"text": "乙", "keywords": ["乙"]}]},
    ],
)
def test_to_dict_round_trips(fields):
    question = make(**fields)
    assert question_from_dict(question.to_dict()).to_dict() == question.to_dict()


def test_normalise_text():
    assert normalise_text("ＡＢＣ　１２３。") == "abc123"
    assert normalise_text("三 声!!") == "三声"


def test_a_step_name_before_a_colon_is_neither_keyword_nor_exemplar():
    question = make(type="short", reference="参考", key_points=["验房:抄水、电、气表底数,双方签字确认"])
    item = question.rubric_spec()["add"][0]
    assert "keywords" not in item
    assert all("验房" not in exemplar for exemplar in item["exemplars"])
    assert "抄水、电、气表底数,双方签字确认" in item["exemplars"]


@dataclass(frozen=True)
class _Hit:
    item: str
    credit: float = 1.0


@dataclass(frozen=True)
class _Score:
    score: int
    band: str
    hits: tuple[_Hit, ...]
    feedback: str = ""
    decided_by: str = "checklist"

    @property
    def hit_ids(self) -> frozenset[str]:
        return frozenset(hit.item for hit in self.hits)


def test_a_key_point_found_without_its_required_amount_is_not_met_and_caps_the_score():
    question = make(
        type="short",
        reference="住宅装修保证金 1000 元/户,施工许可证 50 元/证。",
        key_points=[
            {"text": "住宅装修保证金 1000 元/户", "requires": ["re:(?<![0-9])1000\\s*元"]},
            {"text": "施工许可证 50 元/证", "requires": ["re:(?<![0-9])50\\s*元"]},
        ],
    )
    spec = question.rubric_spec()["add"]
    assert spec[0]["requires"] == ["re:(?<![0-9])1000\\s*元"]
    # the scorer half-credits kp1 (fee named, amount wrong) and the reply still reads like the reference
    fluent_but_wrong = _Score(80, "良好", (_Hit("kp1", 0.5), _Hit("kp2")))
    result = question.grade("保证金 2000 元/户,许可证 50 元/证", scorer=lambda *_: fluent_but_wrong)
    assert result.details["missed"] == ["住宅装修保证金 1000 元/户"]
    assert result.fraction == 0.5 and not result.correct
    assert result.details["decided_by"] == "required_cues"
    right = _Score(95, "优秀", (_Hit("kp1"), _Hit("kp2")))
    assert question.grade("保证金 1000 元/户,许可证 50 元/证", scorer=lambda *_: right).correct


def test_key_point_requires_must_be_a_list_of_strings():
    with pytest.raises(ValidationError, match="requires"):
        make(type="short", reference="参考", key_points=[{"text": "甲", "requires": "1000"}])
    with pytest.raises(ValidationError, match="未知字段"):
        make(type="short", reference="参考", key_points=[{"text": "甲", "cues": ["x"]}])


FEE = {"type": "fill", "stem": "施工许可证每证收____元(交证退款)。", "accepted": ["50"]}
HOURS = {"type": "fill", "stem": "做____小时闭水试验。", "accepted": ["24"]}
TITLE = {"type": "fill", "stem": "业主凭入住通知单领取____等资料。", "accepted": ["业主手册"]}
RINGS = {"type": "fill", "stem": "电话铃响____内接听", "accepted": ["三声"]}


@pytest.mark.parametrize(
    ("fields", "typed", "right"),
    [
        (FEE, "50", True), (FEE, "五十", True), (FEE, "50元", True), (FEE, "50元/证", True),
        (FEE, "五十元每证", True), (FEE, "50块", True), (FEE, "５０元", True),
        (FEE, "500", False), (FEE, "5", False), (FEE, "50天", False), (FEE, "20元/证", False),
        (HOURS, "二十四", True), (HOURS, "二十四小时", True), (HOURS, "24个小时", True),
        (HOURS, "24天", False), (HOURS, "十二", False),
        (TITLE, "《业主手册》", True), (TITLE, "“业主手册”", True), (TITLE, "〈业主手册〉", True),
        (TITLE, "业主须知", False),
        (RINGS, "3声", True), (RINGS, "３声", True), (RINGS, "三", True), (RINGS, "4声", False),
    ],
)
def test_fill_accepts_the_variants_a_trainee_types(fields, typed, right):
    assert make(**fields).grade(typed).correct is right


def test_fill_with_a_unit_in_the_key_accepts_the_bare_number():
    question = make(type="fill", stem="住宅装修保证金为每户____。", accepted=["1000元"])
    assert question.grade("1000").correct and question.grade("一千元").correct
    assert not question.grade("2000元").correct


@pytest.mark.parametrize(
    ("text", "folded"),
    [("二十四", "24"), ("两百五十", "250"), ("一千", "1000"), ("十", "10"), ("三声", "3声"),
     ("《业主手册》", "业主手册")],
)
def test_canonical_answer(text, folded):
    from quizzes.types import canonical_answer

    assert canonical_answer(text) == folded
