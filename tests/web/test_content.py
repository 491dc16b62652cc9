from __future__ import annotations

import pytest

from simulator.content import ContentItem, current_content, current_version, sync_content, upsert_content
from simulator.extensions import db
from simulator.models import ContentVersion


def item(key: str, text: str) -> ContentItem:
    return ContentItem("scenario", key, f"标题 {key}", {"id": key, "text": text})


def versions(key: str) -> list[ContentVersion]:
    return list(db.session.execute(db.select(ContentVersion).filter_by(kind="scenario", key=key)).scalars())


def test_content_load_command_is_idempotent(app, runner):
    first = runner.invoke(args=["content", "load"])
    assert first.exit_code == 0, first.output
    assert "scenario: 新增 18" in first.output and "question: 新增" in first.output
    second = runner.invoke(args=["content", "load"])
    assert "scenario: 新增 0,更新 0,未变 18,下线 0" in second.output
    with app.app_context():
        assert len(current_content("scenario")) == 18
        assert len(current_content("quiz")) >= 3


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
