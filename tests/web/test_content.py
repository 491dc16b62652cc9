from __future__ import annotations

import pytest

from simulator.content import (
    ContentItem,
    current_content,
    current_version,
    local_edits,
    sync_content,
    take_shipped,
    upsert_content,
)
from simulator.extensions import db
from simulator.models import ContentVersion
from simulator.shipped import shipped_content


def item(key: str, text: str) -> ContentItem:
    return ContentItem("scenario", key, f"标题 {key}", {"id": key, "text": text})


def versions(key: str) -> list[ContentVersion]:
    return list(db.session.execute(db.select(ContentVersion).filter_by(kind="scenario", key=key)).scalars())


def test_content_load_command_is_idempotent(app, runner):
    shipped = {kind: len(list(items)) for kind, items in shipped_content()}
    first = runner.invoke(args=["content", "load"])
    assert first.exit_code == 0, first.output
    assert f"scenario: 新增 {shipped['scenario']}" in first.output and "question: 新增" in first.output
    second = runner.invoke(args=["content", "load"])
    assert f"scenario: 新增 0,更新 0,未变 {shipped['scenario']},下线 0" in second.output
    with app.app_context():
        assert len(current_content("scenario")) == shipped["scenario"]
        assert len(current_content("quiz")) == shipped["quiz"]


def test_changed_item_gets_a_new_version_and_keeps_the_old_one(app):
    with app.app_context():
        sync_content("scenario", [item("a", "v1"), item("b", "v1")])
        old = current_version("scenario", "a")
        report = sync_content("scenario", [item("a", "v2"), item("b", "v1")])
        assert report.changed == ["a"] and report.unchanged == 1
        rows = versions("a")
        assert len(rows) == 2 and db.session.get(ContentVersion, old.id).data["text"] == "v1"
        assert current_version("scenario", "a").data["text"] == "v2"
        # going back to v1 reuses the old row instead of writing a third one
        sync_content("scenario", [item("a", "v1"), item("b", "v1")])
        assert len(versions("a")) == 2 and current_version("scenario", "a").id == old.id


def test_removed_item_is_retired_but_kept(app):
    with app.app_context():
        sync_content("scenario", [item("a", "v1"), item("b", "v1")])
        report = sync_content("scenario", [item("a", "v1")])
        assert report.retired == ["b"]
        assert current_version("scenario", "b") is None and len(versions("b")) == 1


def test_upsert_adds_without_retiring(app):
    with app.app_context():
        sync_content("scenario", [item("a", "v1")])
        report = upsert_content("scenario", [item("b", "v1"), item("a", "v2")])
        assert report.added == ["b"] and report.changed == ["a"] and report.retired == []
        assert [row.key for row in current_content("scenario")] == ["a", "b"]


@pytest.mark.parametrize("loader", [sync_content, upsert_content])
def test_duplicate_keys_write_nothing(app, loader):
    with app.app_context():
        with pytest.raises(ValueError, match="twice"):
            loader("scenario", [item("a", "v1"), item("a", "v2")])
        assert versions("a") == []


def question(key: str, stem: str) -> ContentItem:
    data = {"id": key, "type": "truefalse", "stem": stem, "answer": True, "topic": "测试", "difficulty": 1}
    return ContentItem("question", key, stem, data)


def current_stem(key: str) -> str | None:
    row = current_version("question", key)
    return row.data["stem"] if row else None


def test_content_load_never_retires_imported_questions(app, runner):
    """Issue 14.1: every start of scripts/run.sh took imported questions out of the bank."""
    assert runner.invoke(args=["content", "load"]).exit_code == 0
    with app.app_context():
        before = len(current_content("question"))
        upsert_content("question", [question(f"imported-{n:03d}", f"导入的题目 {n}") for n in range(5)])
    again = runner.invoke(args=["content", "load"])
    assert again.exit_code == 0, again.output
    assert "下线 0" in next(line for line in again.output.splitlines() if line.startswith("question:"))
    with app.app_context():
        assert len(current_content("question")) == before + 5
        assert current_stem("imported-004") == "导入的题目 4"


def test_content_load_keeps_a_trainers_edit_of_a_shipped_question(app):
    with app.app_context():
        sync_content("question", [question("q1", "系统版本一"), question("q2", "系统 q2")])
        upsert_content("question", [question("q1", "本站改过的题干")])
        report = sync_content("question", [question("q1", "系统版本一"), question("q2", "系统 q2")])
        assert current_stem("q1") == "本站改过的题干"
        assert report.kept == ["q1"] and report.changed == [] and "保留本站版本 1" in report.summary()
        # the repository ships a new version: stored for the trainer to choose, not made current
        report = sync_content("question", [question("q1", "系统版本二"), question("q2", "系统 q2")])
        assert current_stem("q1") == "本站改过的题干" and report.kept == ["q1"]
        [edit] = local_edits("question")
        assert edit.shipped.data["stem"] == "系统版本二" and edit.shipped_is_newer
        take_shipped("question", "q1")
        assert current_stem("q1") == "系统版本二" and local_edits("question") == []
        # back on the shipped line, later shipped versions apply again
        sync_content("question", [question("q1", "系统版本三"), question("q2", "系统 q2")])
        assert current_stem("q1") == "系统版本三"


def test_a_shipped_key_removed_from_the_repository_keeps_the_sites_edit(app):
    with app.app_context():
        sync_content("question", [question("q1", "系统"), question("q2", "系统 q2")])
        upsert_content("question", [question("q1", "本站")])
        report = sync_content("question", [question("q2", "系统 q2")])
        assert report.retired == [] and current_stem("q1") == "本站"
        assert local_edits("question") == []  # nothing shipped to go back to
        with pytest.raises(LookupError):
            take_shipped("question", "q1")


def test_trainer_takes_the_shipped_version_in_the_bank_page(app, client, auth):
    with app.app_context():
        sync_content("question", [question("q1", "系统版本一")])
        upsert_content("question", [question("q1", "本站改过的题干")])
        sync_content("question", [question("q1", "系统版本二")])
    auth.login("trainer")
    page = client.get("/quiz/bank").get_data(as_text=True)
    assert "本站修改过的系统题目" in page and "系统有更新" in page and "改用系统版本" in page
    response = client.post("/quiz/bank/q1/take-shipped")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已改用系统题库的版本" in page and "本站修改过的系统题目" not in page
    with app.app_context():
        assert current_stem("q1") == "系统版本二"
    assert client.post("/quiz/bank/nope/take-shipped").status_code == 404
