"""The structured editor and the YAML tab are two views of one document: every library scenario's
form, rendered and posted back as a browser would, gives the same document, and its YAML reads back
the same again."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

import scenarios
from scenarios.authoring import dump_yaml
from scenarios.loader import parse_yaml_text
from simulator.author import editor
from simulator.extensions import db
from simulator.models import ScenarioDraft
from tests.author.conftest import form_fields


def edit_draft(client, key: str) -> int:
    response = client.post("/author/drafts/new", data={"edit": key})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def saved_data(app, draft_id: int) -> dict:
    with app.app_context():
        return db.session.get(ScenarioDraft, draft_id).data


def test_every_library_scenario_survives_form_then_yaml(client, trainer, loaded, library):
    for key, scenario in library.items():
        draft_id = edit_draft(client, key)
        page = client.get(f"/author/drafts/{draft_id}")
        assert page.status_code == 200
        fields = form_fields(page.get_data(as_text=True))
        response = client.post(f"/author/drafts/{draft_id}", data=MultiDict(fields))
        assert response.status_code == 303, (key, response.get_data(as_text=True)[:2000])
        data = saved_data(loaded, draft_id)
        assert data == scenario.to_dict(), key
        # ... and the YAML tab shows a text that parses back to exactly the same document
        assert parse_yaml_text(dump_yaml(data)) == data
        assert scenarios.Scenario.from_dict(data).version == scenario.version


def test_edits_in_the_form_land_in_the_document(client, trainer, loaded, library):
    key = "leak-repeated"
    draft_id = edit_draft(client, key)
    fields = MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))
    fields["title"] = "楼上漏水(培训师改编)"
    fields["n0.b1.emotion"] = "-25"
    fields.setlist("n0.b1.band", ["优秀"])
    fields["n0.r.w.listen"] = "2"
    response = client.post(f"/author/drafts/{draft_id}", data=fields)
    assert response.status_code == 303
    data = saved_data(loaded, draft_id)
    opening = data["nodes"]["opening"]
    assert data["title"] == "楼上漏水(培训师改编)"
    assert opening["branches"][1] == {"when": {"band": ["优秀"], "hit": ["apologize"]}, "emotion": -25,
                                      "to": "inspect"}
    assert opening["rubric"]["weights"]["listen"] == 2
    assert scenarios.Scenario.from_dict(data).title == "楼上漏水(培训师改编)"


def test_renaming_a_node_takes_its_branch_targets_along(client, trainer, loaded):
    draft_id = edit_draft(client, "leak-repeated")
    fields = MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))
    index = next(k for k, v in fields.items(multi=True) if k.endswith(".id") and v == "inspect").split(".")[0]
    fields[f"{index}.id"] = "site_visit"
    client.post(f"/author/drafts/{draft_id}", data=fields)
    data = saved_data(loaded, draft_id)
    assert "inspect" not in data["nodes"] and "site_visit" in data["nodes"]
    targets = [b["to"] for node in data["nodes"].values() for b in node["branches"]]
    assert "site_visit" in targets and "inspect" not in targets


def test_unknown_keys_survive_the_form_and_are_reported(client, trainer, loaded):
    draft_id = edit_draft(client, "leak-repeated")
    with loaded.app_context():
        draft = db.session.get(ScenarioDraft, draft_id)
        data = dict(draft.data)
        data["nodes"] = dict(data["nodes"])
        data["nodes"]["opening"] = {**data["nodes"]["opening"], "mood": "angry"}
        draft.data = data
        db.session.commit()
    page = client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)
    assert "nodes.opening.mood" in page
    client.post(f"/author/drafts/{draft_id}", data=MultiDict(form_fields(page)))
    assert saved_data(loaded, draft_id)["nodes"]["opening"]["mood"] == "angry"


@pytest.mark.parametrize("field,value,message", [
    ("n0._extra", "{not json", "隐藏字段已损坏"),
    ("n0.r.advanced", "facts: [unclosed", "高级设置(YAML)无法解析"),
])
def test_a_damaged_form_saves_nothing(client, trainer, loaded, field, value, message):
    draft_id = edit_draft(client, "leak-repeated")
    before = saved_data(loaded, draft_id)
    fields = MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))
    fields["title"] = "不应保存"
    fields[field] = value
    response = client.post(f"/author/drafts/{draft_id}", data=fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert saved_data(loaded, draft_id) == before


def test_document_from_form_reads_a_blank_branch_as_the_default_branch():
    form = MultiDict({
        "id": "x", "n0.id": "opening", "n0.r.base": "complaint", "n0.r.as_name": "1",
        "n0.b0.to": "resolved", "n0.b0.emotion": "-10", "n0.b0.blocker_mode": "",
    })
    doc = editor.document_from_form(form)
    assert doc["nodes"]["opening"] == {"lines": [], "references": [], "rubric": "complaint",
                                       "branches": [{"emotion": -10, "to": "resolved"}]}
