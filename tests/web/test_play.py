"""Scenario play: service rules and views (htmx fragment vs page, idempotency, resume, time, access).

These tests use the real scoring engine; the encoder loads once for the session.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

import scenarios
import scoring
from simulator import create_app
from simulator.content import ContentItem, sync_content
from simulator.extensions import db
from simulator.models import Attempt, ContentVersion, Turn
from simulator.play import service
from tests.conftest import TEST_CONFIG, gen_user

COMPLAINT = "leak-repeated"
BAD_REPLY = "这不归我们管,你自己去找楼上,别在这儿吵。"
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def library():
    return scenarios.load_library()


@pytest.fixture(scope="session")
def encoder():
    """The embedding model, loaded once for the whole run."""
    enc = scoring.get_encoder()
    enc.encode(["预热"])
    return enc


@pytest.fixture
def loaded(app, library, encoder):
    """The app with the scenario library loaded as content."""
    with app.app_context():
        sync_content("scenario", [
            ContentItem("scenario", s.id, s.title, s.to_dict(), f"scenarios/library/{s.id}.yaml", s.version)
            for s in library.values()
        ])
    return app


def timed_scenario(library) -> scenarios.Scenario:
    """A scenario whose first node is timed and times out straight to a timed_out ending."""
    for scenario in library.values():
        rule = scenario.timeout_rule(scenario.start)
        if rule is not None and scenario.endings.get(rule.to, None) and scenario.endings[rule.to].kind == "timed_out":
            return scenario
    pytest.skip("no scenario with a timed start node")


def start(client, key=COMPLAINT, mode="practice") -> int:
    response = client.post(f"/play/start/{key}", data={"mode": mode})
    assert response.status_code == 303
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def form_fields(html: str) -> dict[str, str]:
    return {
        "turn": re.search(r'name="turn" value="(\d+)"', html).group(1),
        "client_token": re.search(r'name="client_token" value="(\w+)"', html).group(1),
    }


def reply(client, attempt_id: int, text: str, htmx: bool = True, fields: dict | None = None):
    if fields is None:
        fields = form_fields(client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True))
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/play/attempts/{attempt_id}/reply", data={"reply": text, **fields}, headers=headers)


def current_node(app, attempt_id: int) -> str | None:
    with app.app_context():
        return db.session.get(Attempt, attempt_id).state["node"]


def good_reply(library, app, attempt_id: int, key: str = COMPLAINT) -> str:
    return library[key].nodes[current_node(app, attempt_id)].references[0]


# ---------------------------------------------------------------- catalogue


def test_catalogue_shows_cards_with_chinese_skills_and_filters(loaded, client, auth, library):
    auth.login("trainee")
    html = client.get("/play/").get_data(as_text=True)
    assert html.count('class="card scenario-card"') == len(library)
    assert library[COMPLAINT].title in html
    assert scoring.SKILL_LABELS["empathy"] in html and ">empathy<" not in html
    emergencies = client.get("/play/?category=emergency").get_data(as_text=True)
    expected = [s for s in library.values() if s.category == "emergency"]
    assert emergencies.count('class="card scenario-card"') == len(expected)
    assert library[COMPLAINT].title not in emergencies
    by_skill = client.get("/play/?skill=safety").get_data(as_text=True)
    assert by_skill.count('class="card scenario-card"') == sum("safety" in s.skills for s in library.values())


def test_catalogue_counts_attempts_and_best_score(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    reply(client, attempt_id, BAD_REPLY)  # a blocker ends this scenario at once
    start(client)
    card = re.search(
        rf'data-scenario="{COMPLAINT}">(.*?)</article>', client.get("/play/").get_data(as_text=True), re.S
    ).group(1)
    assert "已练 <strong>2</strong> 次" in card
    with loaded.app_context():
        best = db.session.get(Attempt, attempt_id).final_score
    assert f"最高分 <strong>{best}</strong>" in card
    assert "继续上次" in card


def test_start_records_exact_content_version_and_rejects_unknown(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client, mode="assessment")
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.content.key == COMPLAINT and attempt.content.is_current
        assert attempt.scenario_version == library[COMPLAINT].version
        assert attempt.mode == "assessment" and attempt.state["node"] == library[COMPLAINT].start
    assert client.post("/play/start/no-such-scenario", data={"mode": "practice"}).status_code == 404
    assert client.post(f"/play/start/{COMPLAINT}", data={"mode": "exam"}).status_code == 404


# ---------------------------------------------------------------- page vs fragment


def test_full_page_and_htmx_fragment_share_the_turn_partial(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    page = client.get(f"/play/attempts/{attempt_id}")
    assert page.status_code == 200
    assert "HX-Request" in page.headers.get("Vary", "")
    body = page.get_data(as_text=True)
    assert "<html" in body and 'id="play-panel"' in body and "js/play.js" in body
    assert 'hx-post="/play/attempts/' in body and 'hx-target="#play-panel"' in body
    fragment = reply(client, attempt_id, "王女士,真的非常抱歉,我今天下午三点前带工程师上门查漏点。")
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers.get("Vary", "")
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith("<section id=\"play-panel\"")
    assert "第 1 轮点评" in text and "分 · " in text


def test_reply_is_committed_with_breakdown_and_moves_emotion(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client)
    text = good_reply(library, loaded, attempt_id)
    html = reply(client, attempt_id, text).get_data(as_text=True)
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        turn = db.session.execute(db.select(Turn).where(Turn.attempt_id == attempt_id)).scalar_one()
        assert turn.index == 1 and turn.reply == text and turn.node == library[COMPLAINT].start
        assert turn.breakdown["hits"] and turn.score == turn.breakdown["score"]
        assert turn.emotion_after < library[COMPLAINT].persona.emotion
        assert attempt.state["turn"] == 1 and attempt.state["emotion"] == turn.emotion_after
        assert turn.resident_line in library[COMPLAINT].nodes[turn.node].lines
    assert f'aria-valuenow="{turn.emotion_after}"' in html
    assert '<mark class="hit"' in html
    assert "参考答复" in html  # practice mode shows one model answer


def test_assessment_mode_hides_model_answers_until_debrief(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client, mode="assessment")
    html = reply(client, attempt_id, good_reply(library, loaded, attempt_id)).get_data(as_text=True)
    assert "第 1 轮点评" in html and "参考答复" not in html
    for reference in library[COMPLAINT].nodes[library[COMPLAINT].start].references:
        assert reference not in html
    reply(client, attempt_id, BAD_REPLY)
    debrief = client.get(f"/play/attempts/{attempt_id}/debrief").get_data(as_text=True)
    assert library[COMPLAINT].nodes[library[COMPLAINT].start].references[0] in debrief


def test_blocker_is_explained_and_escalates(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    html = reply(client, attempt_id, BAD_REPLY).get_data(as_text=True)
    assert "严重问题" in html and '<mark class="blocker"' in html
    assert "演练结束" in html and "查看复盘" in html
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.ending_kind == "escalated" and attempt.finished_at is not None
        assert attempt.final_score == attempt.turns[0].score
    page = client.get(f"/play/attempts/{attempt_id}")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/play/attempts/{attempt_id}/debrief")


def test_empty_and_overlong_replies_are_refused_without_a_turn(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    html = reply(client, attempt_id, "   ").get_data(as_text=True)
    assert "请先输入您的回复" in html
    long = reply(client, attempt_id, "好" * (service.MAX_REPLY_CHARS + 1), htmx=False)
    assert long.status_code == 422 and "回复太长了" in long.get_data(as_text=True)
    with loaded.app_context():
        assert db.session.execute(db.select(Turn)).first() is None


def test_without_javascript_a_reply_redirects_back_to_the_page(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client)
    response = reply(client, attempt_id, good_reply(library, loaded, attempt_id), htmx=False)
    assert response.status_code == 303
    assert "第 1 轮点评" in client.get(response.headers["Location"]).get_data(as_text=True)


# ---------------------------------------------------------------- idempotency and resume


def test_resubmission_returns_the_recorded_turn(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    fields = form_fields(client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True))
    first = reply(client, attempt_id, "王女士,非常抱歉,我马上安排师傅上门。", fields=fields)
    again = reply(client, attempt_id, "王女士,非常抱歉,我马上安排师傅上门。", fields=fields)
    other_tab = reply(client, attempt_id, "另一个窗口里的不同回复", fields={**fields, "client_token": "x" * 32})
    assert first.status_code == again.status_code == other_tab.status_code == 200
    assert "不会重复计分" in again.get_data(as_text=True)
    assert "其他窗口" in other_tab.get_data(as_text=True)
    with loaded.app_context():
        turns = db.session.execute(db.select(Turn).where(Turn.attempt_id == attempt_id)).scalars().all()
        assert len(turns) == 1 and turns[0].client_token == fields["client_token"]
        assert db.session.get(Attempt, attempt_id).state["turn"] == 1


def test_racing_duplicate_hits_the_unique_index_and_returns_the_first(loaded, client, auth):
    """Two requests read the same state; the one that commits second gets the first one's turn."""
    auth.login("trainee")
    attempt_id = start(client)
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        winner = Turn(
            attempt_id=attempt_id, index=1, node=attempt.state["node"], resident_line="…", reply="先到的回复",
            score=50, band="不合格", breakdown={}, elapsed_s=1.0, emotion_after=80,
            shown_at=attempt.node_started_at, client_token="winner",
        )
        db.session.add(winner)
        db.session.commit()
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)  # its state still says no turn was taken
        outcome = service.submit_reply(attempt, "后到的回复", 1, "loser")
        assert outcome.status == "duplicate" and not outcome.same_token
        assert outcome.turn.reply == "先到的回复"
        assert db.session.execute(db.select(Turn)).scalars().all() == [outcome.turn]
        assert db.session.get(Attempt, attempt_id).state["turn"] == 0


def test_reload_and_server_restart_resume_the_attempt(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client)
    text = good_reply(library, loaded, attempt_id)
    reply(client, attempt_id, text)
    node = current_node(loaded, attempt_id)
    restarted = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": loaded.config["SQLALCHEMY_DATABASE_URI"]})
    restarted.test_client_class = type(client)
    other = restarted.test_client()
    with client.session_transaction() as session:
        cookie = dict(session)
    with other.session_transaction() as session:
        session.update(cookie)
    html = other.get(f"/play/attempts/{attempt_id}").get_data(as_text=True)
    assert text in html and 'name="turn" value="2"' in html and f'data-node="{node}"' in html
    with restarted.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- time limits


def test_late_reply_follows_the_timeout_rule_by_server_clock(loaded, client, auth, library):
    scenario = timed_scenario(library)
    auth.login("trainee")
    attempt_id = start(client, scenario.id)
    limit = scenario.time_limit_for(scenario.start)
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.node_started_at -= timedelta(seconds=limit + 5)
        db.session.commit()
    html = reply(client, attempt_id, scenario.nodes[scenario.start].references[0]).get_data(as_text=True)
    assert "超时作答" in html
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.turns[0].late and attempt.turns[0].elapsed_s >= limit + 5
        assert attempt.state["transcript"][0]["branch"] == "timeout"
        assert attempt.ending_kind == "timed_out"


def test_expiry_is_honoured_only_when_the_server_clock_agrees(loaded, client, auth, library):
    scenario = timed_scenario(library)
    auth.login("trainee")
    attempt_id = start(client, scenario.id)
    fields = form_fields(client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True))
    early = client.post(f"/play/attempts/{attempt_id}/expire", data=fields, headers={"HX-Request": "true"})
    assert early.status_code == 204
    assert 0 < float(early.headers["X-Play-Remaining"]) <= scenario.time_limit_for(scenario.start)
    with loaded.app_context():
        assert db.session.execute(db.select(Turn)).first() is None
        attempt = db.session.get(Attempt, attempt_id)
        attempt.node_started_at -= timedelta(seconds=scenario.time_limit_for(scenario.start) + 1)
        db.session.commit()
    due = client.post(f"/play/attempts/{attempt_id}/expire", data=fields, headers={"HX-Request": "true"})
    html = due.get_data(as_text=True)
    assert due.status_code == 200 and "未在限时内作答" in html and "演练结束" in html
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.ending_kind == "timed_out" and attempt.turns[0].reply == "" and attempt.turns[0].late


def test_untimed_node_never_expires(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    fields = form_fields(client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True))
    assert client.post(f"/play/attempts/{attempt_id}/expire", data=fields).status_code == 204


def test_time_scale_shrinks_limits_on_the_server(loaded, client, auth, library):
    scenario = timed_scenario(library)
    loaded.config["PLAY_TIME_SCALE"] = 0.01
    auth.login("trainee")
    attempt_id = start(client, scenario.id)
    html = client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True)
    limit = scenario.time_limit_for(scenario.start) * 0.01
    assert f'data-limit="{limit}"' in html
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.node_started_at -= timedelta(seconds=limit + 0.5)
        db.session.commit()
    fields = form_fields(html)
    assert client.post(f"/play/attempts/{attempt_id}/expire", data=fields).status_code == 303
    with loaded.app_context():
        assert db.session.get(Attempt, attempt_id).ending_kind == "timed_out"


# ---------------------------------------------------------------- debrief


def test_debrief_explains_ending_skills_sources_and_offers_retry(loaded, client, auth, library):
    auth.login("trainee")
    scenario = library[COMPLAINT]
    attempt_id = start(client)
    while current_node(loaded, attempt_id) is not None:
        reply(client, attempt_id, good_reply(library, loaded, attempt_id))
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.ending_kind == "resolved"
        visited = [turn.node for turn in attempt.turns]
        scores = [turn.score for turn in attempt.turns]
        assert attempt.final_score == round(sum(scores) / len(scores))
    html = client.get(f"/play/attempts/{attempt_id}/debrief").get_data(as_text=True)
    ending = scenario.endings[scenario.first_ending("resolved")]
    assert ending.title in html and ending.debrief in html
    assert scenario.source.file in html and scenario.source.section in html
    assert "技能表现" in html and scoring.SKILL_LABELS["apology"] in html
    assert html.count('class="transcript-turn"') == len(visited)
    for node in set(visited):
        assert scenario.nodes[node].references[-1] in html
    assert f'action="/play/start/{COMPLAINT}"' in html and "再练一次" in html
    retry = client.post(f"/play/start/{COMPLAINT}", data={"mode": "practice"})
    assert retry.status_code == 303


def test_editing_a_scenario_keeps_the_played_version(loaded, client, auth, library):
    auth.login("trainee")
    attempt_id = start(client)
    with loaded.app_context():
        data = library[COMPLAINT].to_dict()
        data["title"] = "改过的标题"
        changed = scenarios.Scenario.from_dict(data)
        sync_content("scenario", [
            ContentItem("scenario", s.id, s.title, s.to_dict(), "", s.version)
            for s in [changed, *(v for k, v in library.items() if k != COMPLAINT)]
        ])
        versions = db.session.execute(
            db.select(ContentVersion).where(ContentVersion.key == COMPLAINT)
        ).scalars().all()
        assert len(versions) == 2
    html = reply(client, attempt_id, BAD_REPLY).get_data(as_text=True)
    assert "演练结束" in html
    debrief = client.get(f"/play/attempts/{attempt_id}/debrief").get_data(as_text=True)
    assert library[COMPLAINT].title in debrief and "改过的标题" not in debrief
    new_id = start(client)
    assert "改过的标题" in client.get(f"/play/attempts/{new_id}").get_data(as_text=True)


# ---------------------------------------------------------------- escaping and access


def test_script_in_a_reply_is_plain_text_in_page_debrief_and_review(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    fragment = reply(client, attempt_id, f"{XSS} 不归我们管").get_data(as_text=True)
    debrief = client.get(f"/play/attempts/{attempt_id}/debrief").get_data(as_text=True)
    auth.logout()
    auth.login("trainer")
    review = client.get(f"/play/review/{attempt_id}").get_data(as_text=True)
    for html in (fragment, debrief, review):
        assert XSS not in html and "<script>alert" not in html
        # escaped, possibly with a highlight mark between the two tags (the blocker's span)
        assert "&lt;script&gt;" in html and "alert(1)&lt;/script&gt;" in html


def test_trainees_cannot_reach_other_trainees_attempts(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    auth.logout()
    auth.login("trainee")
    assert client.get(f"/play/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/play/attempts/{attempt_id}/debrief").status_code == 404
    assert reply(client, attempt_id, "冒充", fields={"turn": "1", "client_token": "t"}).status_code == 404
    assert client.post(f"/play/attempts/{attempt_id}/expire", data={"turn": "1"}).status_code == 404
    assert client.get(f"/play/review/{attempt_id}").status_code == 403


def test_trainers_and_hr_see_their_own_sites_attempts_read_only(loaded, client, auth):
    auth.login("trainee")
    attempt_id = start(client)
    reply(client, attempt_id, "王女士,非常抱歉,我马上安排师傅上门。")
    with loaded.app_context():
        outsider = gen_user("trainee", site_name="远山小区管理处", display_name="外站学员")
        foreign = service.start_attempt(outsider, COMPLAINT, "practice").id
    for role in ("trainer", "hr"):
        auth.logout()
        auth.login(role)
        listing = client.get("/play/review").get_data(as_text=True)
        assert f"/play/review/{attempt_id}" in listing and f"/play/review/{foreign}" not in listing
        assert "外站学员" not in listing
        page = client.get(f"/play/review/{attempt_id}").get_data(as_text=True)
        assert "只读" in page and "<textarea" not in page
        assert "王女士,非常抱歉,我马上安排师傅上门。" in re.sub(r"<[^>]+>", "", page)
        assert "再练一次" not in page
        assert client.get(f"/play/review/{foreign}").status_code == 404
        assert client.post(f"/play/attempts/{attempt_id}/reply", data={"reply": "x"}).status_code == 403


def test_highlight_marks_spans_by_offset_or_search_and_skips_overlaps():
    reply_text = "非常抱歉,不归我们管"
    breakdown = {
        "hits": [
            {"span": "抱歉", "start": 2, "end": 4, "label": "致歉"},
            {"span": "非常抱歉", "start": 99, "end": 103, "label": "重叠"},
        ],
        "blockers": [{"span": "不归我们", "start": 0, "end": 0, "label": "推诿"}],
    }
    segments = service.highlight(reply_text, breakdown)
    assert "".join(s.text for s in segments) == reply_text
    assert [(s.text, s.kind) for s in segments if s.kind] == [("抱歉", "hit"), ("不归我们", "blocker")]


def test_debrief_labels_guidance_no_manual_contains(app, client, auth, encoder):
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).parents[1] / "scenarios" / "fixtures" / "sample-complaint.yaml")
                          .read_text(encoding="utf-8"))
    data["source"] = {"general": "通用安全规范"}
    data["nodes"]["opening"]["branches"] = [{"emotion": 0, "to": "escalated"}]  # one reply ends it
    scenario = scenarios.Scenario.from_dict(data)
    with app.app_context():
        sync_content("scenario", [ContentItem("scenario", scenario.id, scenario.title, scenario.to_dict(),
                                              "tests/fixture.yaml", scenario.version)])
    auth.login("trainee")
    attempt_id = start(client, key=scenario.id)
    answered = reply(client, attempt_id, "非常抱歉给您添麻烦了,我马上安排师傅上门查看。")
    assert answered.status_code in (200, 303), answered.get_data(as_text=True)[:500]
    debrief = client.get(f"/play/attempts/{attempt_id}/debrief").get_data(as_text=True)
    assert "手册未收录,按通用安全规范" in debrief


def test_a_reply_reads_no_content_row_and_nothing_back_after_its_commit(loaded, client, auth, library):
    """A reply's statements: the user, the attempt, the active scorer, the turns, then the writes.

    The scenario comes from the process's cache by the attempt's own columns, not by reading the
    content row (the largest a reply touches), and the commit does not expire what the response
    renders: without that, the attempt, the content row (twice), the turns and the user were read
    again (12 statements instead of 7).
    """
    auth.login()
    attempt_id = start(client)
    fields = form_fields(client.get(f"/play/attempts/{attempt_id}").get_data(as_text=True))
    text = good_reply(library, loaded, attempt_id)
    statements: list[str] = []
    with loaded.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = reply(client, attempt_id, text, fields=fields)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert text in response.get_data(as_text=True)  # the response shows the turn just recorded
    assert not [s for s in statements if "FROM content_version" in s]
    reads = [s.split(" FROM ")[1].split()[0].strip('"') for s in statements if s.startswith("SELECT")]
    assert sorted(reads) == sorted(["user", "attempt", "scorer_version", "turn"]), reads
    with loaded.app_context():
        assert [t.reply for t in db.session.get(Attempt, attempt_id).turns] == [text]
