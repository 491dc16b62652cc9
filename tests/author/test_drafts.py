"""Scenario drafts: problems beside their fields, saving invalid drafts, publishing only valid ones,
versions and history, optimistic locking, YAML tab, import / export, unpublish, roles."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import MultiDict

import scenarios
import scenarios.authoring
from scenarios.authoring import dump_yaml
from simulator.content import ContentItem, current_version, sync_content
from simulator.extensions import db
from simulator.models import Attempt, ContentPublication, ContentVersion, Origin, Role, ScenarioDraft
from tests.author.conftest import form_fields

KEY = "leak-repeated"


def new_draft(client, **form) -> int:
    response = client.post("/author/drafts/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def fields_of(client, draft_id: int) -> MultiDict:
    return MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))


def node_prefix(fields: MultiDict, node_id: str) -> str:
    return next(k for k, v in fields.items(multi=True) if k.endswith(".orig") and v == node_id).split(".")[0]


def draft_row(app, draft_id: int) -> ScenarioDraft:
    with app.app_context():
        draft = db.session.get(ScenarioDraft, draft_id)
        db.session.expunge(draft)
        return draft


def test_a_copy_is_a_new_scenario_with_a_free_id(client, trainer, loaded):
    draft = draft_row(loaded, new_draft(client, copy=KEY))
    assert draft.target_key is None
    assert draft.data["id"] == f"{KEY}-copy" and draft.data["title"].endswith("(副本)")
    second = draft_row(loaded, new_draft(client, copy=KEY))
    assert second.data["id"] == f"{KEY}-copy-2"


@pytest.mark.parametrize("scenario_id,message", [("Bad Id", "只能用小写字母"), (KEY, "已被使用")])
def test_blank_draft_needs_a_new_valid_id(client, trainer, loaded, scenario_id, message):
    response = client.post("/author/drafts/new", data={"id": scenario_id}, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with loaded.app_context():
        assert db.session.scalar(db.select(db.func.count(ScenarioDraft.id))) == 0


def test_a_mistake_is_shown_beside_its_field_with_its_path_and_can_be_saved(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    fields = fields_of(client, draft_id)
    prefix = node_prefix(fields, "inspect")
    fields[f"{prefix}.b1.to"] = "nowhere"  # not offered by the select, as a tampered or stale form would send
    response = client.post(f"/author/drafts/{draft_id}", data=fields, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已保存" in html
    # beside the field: the error paragraph directly follows the 去向 select of that branch
    select_at = html.index(f'name="{prefix}.b1.to"')
    error_at = html.index('data-path="nodes.inspect.branches[1].to"')
    assert select_at < error_at < html.index(f'name="{prefix}.b1.delete"')
    assert "没有这个节点或结局" in html[error_at:error_at + 300]
    assert draft_row(loaded, draft_id).data["nodes"]["inspect"]["branches"][1]["to"] == "nowhere"
    publish_page = client.get(f"/author/drafts/{draft_id}/publish").get_data(as_text=True)
    assert "不能发布" in publish_page and "nodes.inspect.branches[1].to" in publish_page
    refused = client.post(f"/author/drafts/{draft_id}/publish", data={"revision": draft_row(loaded, draft_id).revision})
    assert refused.status_code == 422
    with loaded.app_context():
        assert current_version("scenario", f"{KEY}-copy") is None


def test_publish_shows_the_diff_and_makes_a_new_version(client, trainer, loaded):
    draft_id = new_draft(client, edit=KEY)
    with loaded.app_context():
        old = current_version("scenario", KEY)
        old_id, old_version = old.id, old.version
    fields = fields_of(client, draft_id)
    fields["title"] = "楼上漏水反复报修(本站改编)"
    assert client.post(f"/author/drafts/{draft_id}", data=fields).status_code == 303
    page = client.get(f"/author/drafts/{draft_id}/publish").get_data(as_text=True)
    assert "检查通过" in page
    assert "-title: 楼上漏水反复报修仍未解决" in page and "+title: 楼上漏水反复报修(本站改编)" in page
    revision = draft_row(loaded, draft_id).revision
    response = client.post(f"/author/drafts/{draft_id}/publish", data={"revision": revision})
    assert response.status_code == 303
    with loaded.app_context():
        row = current_version("scenario", KEY)
        assert row.id != old_id and row.origin == Origin.AUTHORED.value
        assert row.title == "楼上漏水反复报修(本站改编)"
        assert db.session.get(ContentVersion, old_id).version == old_version  # the old row is kept
        publication = db.session.execute(db.select(ContentPublication)).scalar_one()
        assert (publication.action, publication.content_id, publication.user_id) == ("publish", row.id, trainer.id)


def test_publishing_a_copy_under_a_taken_id_is_refused(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    fields = fields_of(client, draft_id)
    fields["id"] = "elevator-entrapment"
    client.post(f"/author/drafts/{draft_id}", data=fields)
    page = client.get(f"/author/drafts/{draft_id}/publish").get_data(as_text=True)
    assert "已被另一个情景使用" in page


def test_two_trainers_saving_the_same_draft_lose_nothing(client, loaded, app, auth):
    auth.login(Role.TRAINER, display_name="张老师")
    draft_id = new_draft(client, copy=KEY)
    first = fields_of(client, draft_id)
    second = MultiDict(first)
    first["title"] = "张老师的标题"
    assert client.post(f"/author/drafts/{draft_id}", data=first).status_code == 303
    auth.logout()
    auth.login(Role.TRAINER, display_name="李老师")
    second["summary"] = "李老师改的简介"
    response = client.post(f"/author/drafts/{draft_id}", data=second)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "张老师 刚刚保存了这份草稿" in html and "这次没有保存" in html
    assert "李老师改的简介" in html  # the refused input is still in the form
    assert draft_row(loaded, draft_id).data["title"] == "张老师的标题"
    # the form now carries the latest revision: saving again is a deliberate choice and goes through
    again = MultiDict(form_fields(html))
    assert again["revision"] == str(draft_row(loaded, draft_id).revision)
    assert client.post(f"/author/drafts/{draft_id}", data=again).status_code == 303
    assert draft_row(loaded, draft_id).data["summary"] == "李老师改的简介"


def test_yaml_tab_refuses_duplicate_keys_and_changes_nothing(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    before = draft_row(loaded, draft_id)
    text = dump_yaml(before.data).replace("title:", "title: 第一个\ntitle:", 1)
    response = client.post(f"/author/drafts/{draft_id}/yaml", data={"yaml": text, "revision": before.revision})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "重复的键" in html and "没有保存任何修改" in html
    after = draft_row(loaded, draft_id)
    assert (after.revision, after.data) == (before.revision, before.data)


def test_yaml_tab_saves_an_edit_and_the_form_shows_it(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    draft = draft_row(loaded, draft_id)
    text = dump_yaml(draft.data).replace("emotion: 80", "emotion: 65", 1)
    response = client.post(f"/author/drafts/{draft_id}/yaml", data={"yaml": text, "revision": draft.revision})
    assert response.status_code == 303
    assert draft_row(loaded, draft_id).data["persona"]["emotion"] == 65
    assert fields_of(client, draft_id)["persona.emotion"] == "65"


def test_import_and_export_yaml_and_twee(client, trainer, loaded, library):
    text = dump_yaml({**library[KEY].to_dict(), "id": "imported-leak", "title": "导入的情景"})
    response = client.post("/author/drafts/import", data={"file": (io.BytesIO(text.encode()), "imported-leak.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    draft_id = int(response.headers["Location"].split("/")[-1])
    exported = client.get(f"/author/drafts/{draft_id}/export.yaml")
    assert exported.headers["Content-Disposition"] == 'attachment; filename="imported-leak.yaml"'
    assert scenarios.Scenario.from_dict(scenarios.loader.parse_yaml_text(exported.get_data(as_text=True))).id == (
        "imported-leak"
    )
    twee = client.get(f"/author/drafts/{draft_id}/export.twee").get_data(as_text=True)
    assert twee.startswith(":: StoryTitle\n导入的情景")
    assert ":: opening [node]" in twee and "->inspect]]" in twee and ":: resolved [ending resolved]" in twee


@pytest.mark.parametrize("payload,name,message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "picture.yaml", "不是 UTF-8"),
    (b"- just\n- a list\n", "list.yaml", "最外层应为映射"),
    (b"id: x\n", "notes.txt", "只能导入 .yaml"),
])
def test_an_import_that_is_not_a_scenario_file_is_refused(client, trainer, loaded, payload, name, message):
    response = client.post("/author/drafts/import", data={"file": (io.BytesIO(payload), name)},
                           content_type="multipart/form-data", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with loaded.app_context():
        assert db.session.scalar(db.select(db.func.count(ScenarioDraft.id))) == 0


def test_unpublish_hides_a_scenario_and_a_content_load_does_not_bring_it_back(client, trainer, loaded, library):
    from simulator.certification.service import dependants

    with loaded.app_context():  # a scenario no certification requirement needs (those cannot be withdrawn)
        key = next(k for k in sorted(library) if not dependants("scenario", k))
    assert client.post(f"/author/scenarios/{key}/unpublish").status_code == 303
    with loaded.app_context():
        assert current_version("scenario", key) is None
        report = sync_content("scenario", [
            ContentItem("scenario", s.id, s.title, s.to_dict(), "", s.version) for s in library.values()
        ])
        assert key in report.kept and current_version("scenario", key) is None
    assert client.post(f"/author/scenarios/{key}/republish").status_code == 303
    with loaded.app_context():
        assert current_version("scenario", key).version == library[key].version


def test_a_content_load_never_overwrites_a_published_edit(client, trainer, loaded, library):
    draft_id = new_draft(client, edit=KEY)
    fields = fields_of(client, draft_id)
    fields["title"] = "本站版本"
    client.post(f"/author/drafts/{draft_id}", data=fields)
    client.post(f"/author/drafts/{draft_id}/publish", data={"revision": draft_row(loaded, draft_id).revision})
    changed = {**library[KEY].to_dict(), "summary": "仓库里的新简介"}
    with loaded.app_context():
        sync_content("scenario", [ContentItem("scenario", KEY, "x", changed, "", "newer-shipped")])
        assert current_version("scenario", KEY).title == "本站版本"


def test_author_text_is_escaped_on_every_page(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    fields = fields_of(client, draft_id)
    fields["title"] = '<script>alert("t")</script>'
    fields["persona.name"] = "<img src=x onerror=alert(1)>"
    client.post(f"/author/drafts/{draft_id}", data=fields)
    for path in (f"/author/drafts/{draft_id}", f"/author/drafts/{draft_id}/yaml",
                 f"/author/drafts/{draft_id}/publish", "/author/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_only_trainers_and_admins_author(client, auth, loaded):
    auth.login(Role.TRAINEE)
    assert client.get("/author/").status_code == 403
    assert client.post("/author/drafts/new", data={"id": "x-y"}).status_code == 403
    auth.logout()
    auth.login(Role.ADMIN)
    assert client.get("/author/").status_code == 200


def test_state_changes_need_a_csrf_token(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    before = draft_row(loaded, draft_id)
    for path, data in (
        ("/author/drafts/new", {"id": "csrf-less"}),
        (f"/author/drafts/{draft_id}", {"title": "x", "revision": before.revision}),
        (f"/author/drafts/{draft_id}/preview", {}),
        (f"/author/drafts/{draft_id}/publish", {"revision": before.revision}),
        (f"/author/scenarios/{KEY}/unpublish", {}),
    ):
        assert client.post(path, data=data, no_csrf=True).status_code == 400, path
    with loaded.app_context():
        assert db.session.scalar(db.select(db.func.count(ScenarioDraft.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0
        assert current_version("scenario", KEY) is not None
    assert draft_row(loaded, draft_id).revision == before.revision


def test_the_graph_redraws_from_the_unsaved_form_and_marks_problems(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    before = draft_row(loaded, draft_id)
    fields = fields_of(client, draft_id)
    fields[f"{node_prefix(fields, 'upstairs')}.delete"] = "1"  # inspect's best branch pointed at it
    response = client.post(f"/author/drafts/{draft_id}/check", data=fields, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="draft-graph" data-live="true"' in html and 'hx-swap-oob="true"' in html
    assert "去向不存在:<code>upstairs</code>" in html
    assert "nodes.inspect.branches[1].to" in html and "按尚未保存的修改检查" in html
    assert "class m0 missing" in html  # the missing target is drawn as a red node
    # compensation is now reachable from nowhere: marked on the graph
    assert "无法到达:<code>compensation</code>" in html
    after = draft_row(loaded, draft_id)
    assert (after.revision, after.data) == (before.revision, before.data)


def test_draft_graph_marks_dead_ends():
    data = {
        "start": "a", "persona": {"name": "业主"},
        "nodes": {"a": {"lines": ["x"], "branches": [{"emotion": 0, "to": "b"}, {"emotion": 0, "to": "done"}]},
                  "b": {"lines": ["y"], "branches": [{"emotion": 0, "to": "b"}]},
                  "c": {"lines": ["z"], "branches": [{"emotion": 0, "to": "done"}]}},
        "endings": {"done": {"kind": "resolved", "title": "好"}},
    }
    graph = scenarios.authoring.draft_graph(data)
    assert graph.dead_ends == ["b"] and graph.unreachable == ["c"] and graph.missing == []
    mermaid = scenarios.authoring.draft_mermaid(data)
    assert "b ⚠死路" in mermaid and "c ⚠无法到达" in mermaid and "class n1 deadend" in mermaid


@pytest.mark.parametrize("text", [
    "schema_version: 1\nid: broken\nnodes: [a, b]\nendings: 3\n",
    "id: broken\nnodes:\n  opening:\n    branches: {to: x}\n    rubric: 7\n    lines: 书\n",
    "id: broken\nnodes:\n  opening:\n    rubric: {items: [{id: a}]}\n"
    "    branches: [{when: {band: 优秀, blocker: [nope], foo: 1}, to: 5}]\n",
    "id: broken\npersona: 王女士\nsource: 002\nalso_sources: {file: x}\nskills: listening\n",
])
def test_any_mapping_opens_in_the_editor_with_its_problems(client, trainer, loaded, text):
    draft_id = new_draft(client, copy=KEY)
    draft = draft_row(loaded, draft_id)
    response = client.post(f"/author/drafts/{draft_id}/yaml", data={"yaml": text, "revision": draft.revision})
    assert response.status_code == 303
    page = client.get(f"/author/drafts/{draft_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "个问题" in html
    # saving the form of a broken document keeps it broken in the same way, never crashes
    resaved = client.post(f"/author/drafts/{draft_id}", data=MultiDict(form_fields(html)))
    assert resaved.status_code in (303, 422)


@pytest.mark.parametrize("kind,marker", [
    ("node", ".lines"), ("ending", ".kind"), ("also", ".section"),
    ("branch", ".blocker_mode"), ("item", ".keywords"), ("blocker", ".reason"), ("rubric-items", ".drop_order"),
])
def test_add_fragments_are_form_fields(client, trainer, loaded, kind, marker):
    draft_id = new_draft(client, copy=KEY)
    args = {"prefix": "n0" if kind == "branch" else "n0.r", "n0.r.base": "inquiry"}
    response = client.get(f"/author/drafts/{draft_id}/fragment/{kind}", query_string=args,
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert marker in response.get_data(as_text=True)
    if kind == "rubric-items":
        assert "greet_org" in response.get_data(as_text=True)  # the items of the chosen base


def test_an_added_node_is_saved_after_the_others(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    page = client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)
    fragment = client.get(f"/author/drafts/{draft_id}/fragment/node").get_data(as_text=True)
    fields = form_fields(page) + form_fields(f'<form id="draft-form">{fragment}</form>')
    fields = [(k, "extra_step" if k.endswith(".id") and v.startswith("node") and not k.startswith("n0") else v)
              for k, v in fields]
    client.post(f"/author/drafts/{draft_id}", data=MultiDict(fields))
    nodes = list(draft_row(loaded, draft_id).data["nodes"])
    assert nodes[-1] == "extra_step" and nodes[0] == "opening"


def test_yaml_tab_through_htmx_answers_in_place(client, trainer, loaded):
    draft_id = new_draft(client, copy=KEY)
    draft = draft_row(loaded, draft_id)
    refused = client.post(f"/author/drafts/{draft_id}/yaml", data={"yaml": "a: 1\na: 2\n", "revision": draft.revision},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "重复的键" in refused.get_data(as_text=True)
    saved = client.post(f"/author/drafts/{draft_id}/yaml", headers={"HX-Request": "true"},
                        data={"yaml": dump_yaml(draft.data), "revision": draft.revision})
    assert saved.status_code == 204 and saved.headers["HX-Redirect"].endswith(f"/author/drafts/{draft_id}/yaml")
    assert draft_row(loaded, draft_id).revision == draft.revision + 1


@pytest.mark.db
def test_archiving_a_draft_closes_it_and_leaves_the_published_scenario(client, trainer, loaded):
    with loaded.app_context():
        published = current_version("scenario", KEY).id
    draft_id = new_draft(client, edit=KEY)
    assert f'data-draft="{draft_id}"' in client.get("/author/").get_data(as_text=True)
    assert client.post(f"/author/drafts/{draft_id}/archive").status_code == 303
    assert f'data-draft="{draft_id}"' not in client.get("/author/").get_data(as_text=True)
    with loaded.app_context():
        assert draft_row(loaded, draft_id).status == "archived"
        assert current_version("scenario", KEY).id == published  # the scenario in play is untouched
        row = db.session.execute(db.select(ContentPublication).where(ContentPublication.draft_id == draft_id)
                                 ).scalar_one()
        assert (row.action, row.key, row.user_id) == ("archive", KEY, trainer.id)
