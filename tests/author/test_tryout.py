"""试评分 with the draft's rubric, regression examples that turn red when an edit changes their band,
and 试玩 attempts that play like a trainee's but never count in results."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

import scoring
from simulator.content import current_version
from simulator.extensions import db
from simulator.models import Attempt, Role, ScenarioDraft
from tests.author.conftest import form_fields

KEY = "leak-repeated"
BAD_REPLY = "这不归我们管,你自己去找楼上,别在这儿吵。"


@pytest.fixture(scope="session")
def encoder():
    enc = scoring.get_encoder()
    enc.encode(["预热"])
    return enc


def new_draft(client, **form) -> int:
    response = client.post("/author/drafts/new", data=form)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_try_reply_scores_with_the_drafts_rubric_as_play_does(client, trainer, loaded, library, encoder):
    draft_id = new_draft(client, copy=KEY)
    node = library[KEY].nodes["opening"]
    good = node.references[0]
    response = client.post(f"/author/drafts/{draft_id}/try", data={"node": "opening", "reply": good},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    expected = scoring.score(good, node.references, node.rubric)
    assert f"<strong data-try-score>{expected.score}</strong>" in html
    assert f"data-try-band>{expected.band}<" in html
    assert "判定依据" in html
    bad = client.post(f"/author/drafts/{draft_id}/try", data={"node": "opening", "reply": BAD_REPLY}).get_data(
        as_text=True
    )
    bad_score = int(re.search(r"data-try-score>(\d+)<", bad).group(1))
    assert bad_score < expected.score and "否决项" in bad


@pytest.mark.parametrize("node,reply,message", [
    ("opening", "   ", "请先输入"),
    ("nowhere", "您好", "没有节点"),
])
def test_try_reply_explains_what_is_wrong(client, trainer, loaded, node, reply, message):
    draft_id = new_draft(client, copy=KEY)
    response = client.post(f"/author/drafts/{draft_id}/try", data={"node": node, "reply": reply})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_regression_examples_turn_red_when_an_edit_changes_their_band(client, trainer, loaded, library, encoder):
    draft_id = new_draft(client, copy=KEY)
    node = library[KEY].nodes["opening"]
    good = node.references[0]
    band = scoring.score(good, node.references, node.rubric).band
    response = client.post(f"/author/drafts/{draft_id}/samples", data={"node": "opening", "reply": good,
                                                                      "expected": band})
    assert response.status_code == 303
    page = client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)
    assert page.count('data-sample-ok="true"') == 1
    # an edit that swaps in a blocker as the only reference and makes the node fail: the example goes red
    fields = MultiDict(form_fields(page))
    prefix = next(k for k, v in fields.items(multi=True) if k.endswith(".orig") and v == "opening").split(".")[0]
    fields[f"{prefix}.references"] = "\n".join([BAD_REPLY, "你自己去找楼上吧。", "这事不归物业管。"])
    fields.setlist(f"{prefix}.r.drop", ["apologize", "empathize", "listen", "restate", "solve", "commit_time"])
    client.post(f"/author/drafts/{draft_id}", data=fields)
    page = client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)
    with loaded.app_context():
        draft = db.session.get(ScenarioDraft, draft_id)
        assert draft.samples == [{"node": "opening", "reply": good, "expected": band}]
    from simulator.author.service import sample_results

    with loaded.app_context():
        now = sample_results(db.session.get(ScenarioDraft, draft_id))[0]
    assert now.band != band
    assert page.count('data-sample-ok="false"') == 1


def test_preview_plays_like_a_trainee_and_never_counts(client, auth, trainer, loaded, library, encoder):
    draft_id = new_draft(client, copy=KEY)
    response = client.post(f"/author/drafts/{draft_id}/preview", data={"mode": "practice"})
    assert response.status_code == 303
    play_url = response.headers["Location"]
    page = client.get(play_url).get_data(as_text=True)
    assert "试玩预览 · 不计入成绩" in page and 'id="play-panel"' in page
    attempt_id = int(play_url.rstrip("/").split("/")[-1])
    reply = library[KEY].nodes["opening"].references[0]
    turn = client.post(f"{play_url}/reply", data={"reply": reply, "turn": 1, "client_token": "t1"},
                       headers={"HX-Request": "true"})
    assert turn.status_code == 200 and "data-turn" in turn.get_data(as_text=True)
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.preview is True and len(attempt.turns) == 1
        assert attempt.content.kind == "scenario_preview" and attempt.content.is_current is False
        assert current_version("scenario", f"{KEY}-copy") is None  # not in the catalogue
    # the trainer's home and the site's results never see it; a trainee never can
    auth.logout()
    auth.login(Role.TRAINEE)
    assert client.get(play_url).status_code == 404
    catalogue = client.get("/play/").get_data(as_text=True)
    assert f'data-scenario="{KEY}-copy"' not in catalogue
    home = client.get("/").get_data(as_text=True)
    assert "副本" not in home


def test_an_unplayable_draft_cannot_be_previewed(client, trainer, loaded):
    draft_id = new_draft(client, id="empty-one")
    response = client.post(f"/author/drafts/{draft_id}/preview", data={}, follow_redirects=True)
    assert "修正后才能试玩" in response.get_data(as_text=True)
    with loaded.app_context():
        assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0


def test_an_earlier_attempt_keeps_the_version_it_played(client, auth, trainer, loaded, library, encoder):
    draft_id = new_draft(client, edit=KEY)
    auth.logout()
    trainee = auth.login(Role.TRAINEE)
    started = client.post(f"/play/start/{KEY}", data={"mode": "practice"})
    old_attempt = int(started.headers["Location"].split("/")[-1])
    old_version = library[KEY].version
    auth.logout()
    auth.login(Role.TRAINER)
    fields = MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))
    fields["title"] = "新版标题"
    client.post(f"/author/drafts/{draft_id}", data=fields)
    with loaded.app_context():
        revision = db.session.get(ScenarioDraft, draft_id).revision
    published = client.post(f"/author/drafts/{draft_id}/publish", data={"revision": revision}, follow_redirects=True)
    assert "已发布「新版标题」" in published.get_data(as_text=True)
    auth.logout()
    client.post("/auth/login", data={"username": trainee.username, "password": "correct-horse-battery"})
    old_page = client.get(f"/play/attempts/{old_attempt}").get_data(as_text=True)
    assert library[KEY].title in old_page and "新版标题" not in old_page
    new = client.post(f"/play/start/{KEY}", data={"mode": "practice"})
    new_page = client.get(new.headers["Location"]).get_data(as_text=True)
    assert "新版标题" in new_page, (new.status_code, new.headers.get("Location"), re.findall(r"<h1>.*</h1>", new_page))
    with loaded.app_context():
        assert db.session.get(Attempt, old_attempt).scenario_version == old_version
