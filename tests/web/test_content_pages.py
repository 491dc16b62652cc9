from __future__ import annotations

import html

from simulator.content import sync_content
from simulator.shipped import shipped_content


def load(app):
    with app.app_context():
        for kind, items in shipped_content():
            sync_content(kind, items)


def test_trainer_sees_scenario_with_nodes_references_and_graph(app, client, auth):
    load(app)
    auth.login("trainer")
    listing = client.get("/content").get_data(as_text=True)
    assert "/content/scenarios/leak-repeated" in listing
    page = html.unescape(client.get("/content/scenarios/leak-repeated").get_data(as_text=True))
    assert "楼上漏水反复报修仍未解决" in page
    assert "flowchart TD" in page and "参考答复" in page and "结局" in page
    assert "002_0eb62db7ee6f7331.txt" in page


def test_unknown_scenario_is_404_in_chinese(app, client, auth):
    auth.login("trainer")
    response = client.get("/content/scenarios/no-such-scenario")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def _fixture_scenario(**changes):
    from pathlib import Path

    import yaml

    import scenarios

    path = Path(__file__).parents[1] / "scenarios" / "fixtures" / "sample-complaint.yaml"
    data = {**yaml.safe_load(path.read_text(encoding="utf-8")), **changes}
    return scenarios.Scenario.from_dict(data)


def test_trainer_page_labels_guidance_no_manual_contains(app, client, auth):
    from simulator.content import ContentItem, sync_content

    scenario = _fixture_scenario(
        also_sources=[{"general": "通用安全规范"}, {"file": "003_155df04f83bb14c9.txt", "section": "客户服务口诀"}]
    )
    with app.app_context():
        sync_content("scenario", [ContentItem("scenario", scenario.id, scenario.title, scenario.to_dict(),
                                              "tests/fixture.yaml", scenario.version)])
    auth.login("trainer")
    page = html.unescape(client.get(f"/content/scenarios/{scenario.id}").get_data(as_text=True))
    assert "手册未收录,按通用安全规范" in page
    assert "003_155df04f83bb14c9.txt · 客户服务口诀" in page
