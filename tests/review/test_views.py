"""The review pages: queue, correcting in the browser's forms, the trainee's debrief, access by site, reports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

import scoring
from simulator.extensions import db
from simulator.models import Attempt, Turn, TurnReview
from simulator.play.presenters import turn_view
from tests.conftest import PASSWORD, gen_user
from tests.review.conftest import SCENARIO, breakdown, play

pytestmark = pytest.mark.db


def login(client, username: str) -> None:
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303


def test_queue_lists_the_sites_assessments_with_filters(loaded, client, library, played):
    with loaded.app_context():
        trainer = gen_user("trainer").username
        owner = db.session.get(Attempt, played.attempt_id).user
        practice = play(library, owner, [breakdown(90, ["apologize"], grade=2.8)], mode="practice")
    login(client, trainer)
    page = client.get("/review/queue").get_data(as_text=True)
    assert f'data-attempt="{played.attempt_id}"' in page and f'data-attempt="{practice.attempt_id}"' not in page
    assert "未复核" in page
    both = client.get("/review/queue?practice=1").get_data(as_text=True)
    assert f'data-attempt="{practice.attempt_id}"' in both
    assert f'data-attempt="{played.attempt_id}"' not in client.get("/review/queue?status=reviewed").get_data(
        as_text=True)
    assert f'data-attempt="{played.attempt_id}"' not in client.get("/review/queue?scenario=other").get_data(
        as_text=True)
    assert f'data-attempt="{played.attempt_id}"' not in client.get("/review/queue?from=2999-01-01").get_data(
        as_text=True)
    bad = client.get("/review/queue?from=yesterday")
    assert bad.status_code == 422 and "开始日期格式" in bad.get_data(as_text=True)
    ranked = client.get("/review/queue?order=priority&practice=1").get_data(as_text=True)
    # the assessment's first turn (grade 1.45, next to the 合格/良好 boundary) is less sure than 2.8
    assert ranked.index(f'data-attempt="{played.attempt_id}"') < ranked.index(f'data-attempt="{practice.attempt_id}"')


def test_a_trainer_corrects_a_turn_and_the_trainee_sees_the_review(loaded, client, played):
    with loaded.app_context():
        trainer = gen_user("trainer").username
        trainee = db.session.get(Attempt, played.attempt_id).user.username
    login(client, trainer)
    page = client.get(f"/review/attempts/{played.attempt_id}").get_data(as_text=True)
    assert "评分依据" in page and '阶段 <span title="classifier">分句分类器</span>' in page and "本节点参考答复" in page
    turn_id = played.turn_ids[0]
    response = client.post(f"/review/attempts/{played.attempt_id}/turns/{turn_id}", data={
        "verdict": "wrong", "band": "良好", "score": "", "item-restate": "1", "reason": "复述得很清楚",
    })
    assert response.status_code == 303
    page = client.get(f"/review/attempts/{played.attempt_id}").get_data(as_text=True)
    assert "有改分" in page and "自动评分 60" in page and "复述得很清楚" in page
    # the audit in words: what changed and the old and new verdicts by their labels, no codes or dict reprs
    assert "本轮得分" in page and "要点与否决项判定" in page and "评分有误,改为良好" in page
    assert "做到:向业主致歉、耐心倾听并记录;否决项:无" in page and "复述确认问题" in page
    assert "turn.verdicts</" not in page and "{&#39;hits&#39;" not in page and "&#39;changed&#39;" not in page
    login(client, trainee)
    debrief = client.get(f"/play/attempts/{played.attempt_id}/debrief").get_data(as_text=True)
    assert "data-reviewed" in debrief and "已复核" in debrief
    assert "复述得很清楚" in debrief and "由 60 分(合格)改为 70 分(良好)" in debrief
    assert "复核前 70" in debrief  # the final score moved from 70 to 75


def test_bad_input_is_refused_in_chinese_and_changes_nothing(loaded, client, played):
    with loaded.app_context():
        trainer = gen_user("trainer").username
    login(client, trainer)
    response = client.post(f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}",
                           data={"verdict": "wrong", "band": "", "score": "abc", "reason": "x"})
    assert response.status_code == 422 and "分数应为 0 到 100 的整数" in response.get_data(as_text=True)
    with loaded.app_context():
        assert db.session.execute(db.select(TurnReview)).first() is None
        assert db.session.get(Attempt, played.attempt_id).final_score == 70


def test_a_trainer_of_another_site_cannot_see_or_correct_the_attempt(loaded, client, played):
    with loaded.app_context():
        outsider = gen_user("trainer", site_name="碧水湾管理处").username
    login(client, outsider)
    assert f'data-attempt="{played.attempt_id}"' not in client.get("/review/queue").get_data(as_text=True)
    assert client.get(f"/review/attempts/{played.attempt_id}").status_code == 404
    url = f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}"
    assert client.post(url, data={"verdict": "wrong", "band": "优秀", "reason": "越权"}).status_code == 404
    assert client.post(f"/review/attempts/{played.attempt_id}/confirm").status_code == 404
    assert client.post(f"{url}/promote", data={"kind": "example"}).status_code == 404
    assert "越权" not in client.get("/review/agreement").get_data(as_text=True)
    with loaded.app_context():
        assert db.session.execute(db.select(TurnReview)).first() is None
        assert db.session.get(Attempt, played.attempt_id).final_score == 70


def test_blind_double_marking_hides_the_first_review(loaded, client, played):
    with loaded.app_context():
        first, second = gen_user("trainer").username, gen_user("trainer").username
    login(client, first)
    client.post(f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}",
                data={"verdict": "wrong", "band": "优秀", "reason": "第一位的理由"})
    login(client, second)
    blind = client.get(f"/review/attempts/{played.attempt_id}?blind=1").get_data(as_text=True)
    assert "第一位的理由" not in blind and "盲评" in blind and "60 分 · 合格" in blind
    response = client.post(f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}",
                           data={"verdict": "wrong", "band": "良好", "reason": "第二位", "blind": "1"})
    assert response.status_code == 303 and "blind=1" in response.headers["Location"]
    with loaded.app_context():
        assert db.session.get(Attempt, played.attempt_id).turns[0].band == "优秀"  # the blind mark changed nothing
    report = client.get("/review/agreement").get_data(as_text=True)
    assert 'data-pair="trainers"' in report and "<svg" in report and 'data-chart="confusion"' in report


def test_agreement_report_page_and_xlsx(loaded, client, played):
    with loaded.app_context():
        trainer = gen_user("trainer").username
    login(client, trainer)
    assert "还没有复核过的评分" in client.get("/review/agreement").get_data(as_text=True)
    client.post(f"/review/attempts/{played.attempt_id}/confirm")
    page = client.get("/review/agreement").get_data(as_text=True)
    assert 'data-n>2<' in page and 'data-exact>100%<' in page and 'data-chart="weeks"' in page
    response = client.get("/review/agreement.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book["总体"]["B2"].value == 2


def test_admins_see_the_report_of_every_site(loaded, client, played):
    with loaded.app_context():
        trainer, admin = gen_user("trainer").username, gen_user("admin", site_name="总部").username
    login(client, trainer)
    client.post(f"/review/attempts/{played.attempt_id}/confirm")
    login(client, admin)
    response = client.get("/review/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/agreement")
    assert 'data-n>2<' in client.get("/review/agreement").get_data(as_text=True)


def test_the_queue_is_paginated(loaded, client, library, played, monkeypatch):
    from simulator.review import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    with loaded.app_context():
        trainer = gen_user("trainer").username
        owner = db.session.get(Attempt, played.attempt_id).user
        newer = play(library, owner, [breakdown(50, [], grade=1.0)])
    login(client, trainer)
    first = client.get("/review/queue").get_data(as_text=True)
    assert f'data-attempt="{newer.attempt_id}"' in first and f'data-attempt="{played.attempt_id}"' not in first
    assert "第 1 / 2 页" in first and "下一页" in first
    second = client.get("/review/queue?page=2").get_data(as_text=True)
    assert f'data-attempt="{played.attempt_id}"' in second and "上一页" in second


def test_the_queue_opens_blind_marking_for_a_second_trainer_until_they_have_marked(loaded, client, played):
    with loaded.app_context():
        first, second = gen_user("trainer").username, gen_user("trainer").username
    url = f"/review/attempts/{played.attempt_id}"
    login(client, first)
    assert f'href="{url}?blind=1"' not in client.get("/review/queue").get_data(as_text=True)
    client.post(f"{url}/turns/{played.turn_ids[0]}",
                data={"verdict": "wrong", "band": "优秀", "reason": "第一位的理由"})
    queue = client.get("/review/queue").get_data(as_text=True)
    assert f'href="{url}?blind=1"' not in queue and f'href="{url}"' in queue  # the first trainer's own review
    login(client, second)
    queue = client.get("/review/queue").get_data(as_text=True)
    assert f'href="{url}?blind=1"' in queue and f'href="{url}"' not in queue
    blind = client.get(f"{url}?blind=1").get_data(as_text=True)
    assert "第一位的理由" not in blind and "data-audit" not in blind and "有改分" not in blind
    client.post(f"{url}/turns/{played.turn_ids[0]}", data={"verdict": "ok", "blind": "1"})
    blind = client.get(f"{url}?blind=1").get_data(as_text=True)
    assert "第一位的理由" in blind and "data-audit" not in blind  # shown for the turn marked, audit not yet
    client.post(f"{url}/turns/{played.turn_ids[1]}", data={"verdict": "ok", "blind": "1"})
    blind = client.get(f"{url}?blind=1").get_data(as_text=True)
    assert "data-audit" in blind and "有改分" in blind
    queue = client.get("/review/queue").get_data(as_text=True)
    assert f'href="{url}?blind=1"' not in queue  # marked: the normal page again


def test_stage_codes_have_chinese_labels():
    from simulator.play.labels import stage_label

    assert [stage_label(code) for code in ("classifier", "keyword", "trainer", "", "rule:gas-smell", "danger:d1")] \
        == ["分句分类器", "关键词", "培训师复核", "关键词", "必查规则 gas-smell", "危险做法 d1"]


def test_a_reason_given_with_scoring_right_is_shown_in_the_debrief(loaded, client, played):
    with loaded.app_context():
        trainer = gen_user("trainer")
        trainer_name, trainer_display = trainer.username, trainer.display_name
        trainee = db.session.get(Attempt, played.attempt_id).user.username
    login(client, trainer_name)
    url = f"/review/attempts/{played.attempt_id}/turns"
    assert client.post(f"{url}/{played.turn_ids[0]}", data={"verdict": "ok", "reason": "道歉很及时,保持"}
                       ).status_code == 303
    assert client.post(f"{url}/{played.turn_ids[1]}", data={"verdict": "ok"}).status_code == 303
    login(client, trainee)
    debrief = client.get(f"/play/attempts/{played.attempt_id}/debrief").get_data(as_text=True)
    assert f"培训师 {trainer_display} 确认本轮评分无误:道歉很及时,保持" in debrief
    assert 'data-turn-review="1"' in debrief and 'data-turn-review="2"' not in debrief  # no reason, no note


def test_a_learned_wrong_fact_shows_its_stage_to_the_trainer_and_the_check_to_the_trainee(loaded, client, library):
    reply = "王女士您好,按公司规定经理不接待业主,这事跟我说就行。"
    span = "按公司规定经理不接待业主"
    result = breakdown(60, ["apologize"], grade=1.2, reply=reply)
    start = reply.index(span)
    result["wrong_facts"] = [{
        "id": "wrong_fact", "label": scoring.messages.FACT_LEARNED, "span": span, "start": start,
        "end": start + len(span), "stage": "classifier", "evidence": "leak-repeated:7: 按规定经理不见业主",
    }]
    result["decided_by"] = "fact:wrong_fact"
    with loaded.app_context():
        trainer = gen_user("trainer").username
        trainee = gen_user("trainee")
        done = play(library, trainee, [result], replies=[reply])
    login(client, trainer)
    page = client.get(f"/review/attempts/{done.attempt_id}").get_data(as_text=True)
    assert ("事实核对 <code>wrong_fact</code> · 阶段 <span title=\"classifier\">分句分类器</span>:"
            f"“{span}”{scoring.messages.FACT_LEARNED}。") in page
    assert f"评分依据:事实有误,最高合格:“{span}”" in page  # the span, not the id
    assert "最近的标注样例:leak-repeated:7: 按规定经理不见业主" in page
    # The trainee's per-turn feedback card (play/_turn.html) from the stored turn.
    with loaded.test_request_context():
        view = turn_view(db.session.get(Turn, done.turn_ids[0]), library[SCENARIO])
        card = loaded.jinja_env.get_template("play/_macros.html").module.feedback_card(view, False)
    assert f"“{span}”{scoring.messages.FACT_LEARNED}。" in card
    assert "手册的规定:手册里没有" not in card
