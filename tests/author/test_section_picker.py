"""The authoring section picker offers every heading of the shipped manuals; a heading with only a
title under it (most chapters of manual 003) is shown as 仅标题,无正文 and not offered as citable."""

from __future__ import annotations

import re

import pytest

import scenarios
from scenarios.manuals import manual_headings, section_has_text
from simulator.author import service

NEVER_CITED = ("002_0eb62db7ee6f7331.txt", "培训场地与设施配置")
TITLE_ONLY = ("003_155df04f83bb14c9.txt", "社区矛盾解决操作指引")


def _cited_sections() -> set[str]:
    repo = scenarios.LIBRARY_DIR.parents[1]
    files = [*(repo / "quizzes" / "bank").glob("*.yaml"), *scenarios.LIBRARY_DIR.glob("*.yaml")]
    text = "".join(p.read_text(encoding="utf-8") for p in files)
    return set(re.findall(r'section: "([^"]+)"', text))


def test_the_picker_headings_are_not_only_those_already_cited():
    assert NEVER_CITED[1] not in _cited_sections()  # the premise of the test
    assert NEVER_CITED[1] in manual_headings(NEVER_CITED[0], scenarios.MANUALS_DIR)


@pytest.mark.parametrize(
    "file,heading",
    [
        ("003_155df04f83bb14c9.txt", "客户服务口诀"),
        ("001_a8786d0e8591f2d3.txt", "第二章:客戶服務行為規范標準"),
        ("000_af49cf313c5ded47.txt", "02客户服务流程"),
    ],
)
def test_each_manual_layout_yields_its_headings(file, heading):
    assert heading in manual_headings(file, scenarios.MANUALS_DIR)


def test_known_sections_offers_every_manual_heading_and_marks_title_only_ones(loaded):
    with loaded.app_context():
        sections = service.known_sections()
    by_title = {file: {h.title: h.citable for h in headings} for file, headings in sections.items()}
    assert by_title[NEVER_CITED[0]][NEVER_CITED[1]] is True
    assert by_title[TITLE_ONLY[0]][TITLE_ONLY[1]] is False
    assert by_title[TITLE_ONLY[0]]["客户服务口诀"] is True
    for file, headings in sections.items():  # the mark agrees with the linter's check
        if (scenarios.MANUALS_DIR / file).is_file():
            for h in headings:
                assert h.citable == section_has_text(file, h.title, scenarios.MANUALS_DIR), (file, h.title)


def test_the_scenario_form_offers_a_never_cited_heading_and_shows_title_only_ones(client, trainer):
    draft = client.post("/author/drafts/new", data={"copy": "leak-repeated"})
    html = client.get(draft.headers["Location"]).get_data(as_text=True)
    datalist = html[html.index('<datalist id="sections-all">') : html.index("</datalist>")]
    assert f'<option value="{NEVER_CITED[1]}" label="{NEVER_CITED[0]}">' in datalist
    assert f'<option value="{TITLE_ONLY[1]}" label="{TITLE_ONLY[0]} · 仅标题,无正文" disabled>' in datalist
    assert f'<li data-untexted="{TITLE_ONLY[1]}">{TITLE_ONLY[1]}' in html and "请改填「手册未收录时的依据」" in html


def test_the_question_form_offers_the_same_headings(client, trainer):
    html = client.get("/author/questions/new?type=truefalse").get_data(as_text=True)
    assert 'name="source.section"' in html and 'list="sections-all"' in html
    assert f'<option value="{NEVER_CITED[1]}" label="{NEVER_CITED[0]}">' in html
    assert f'<option value="{TITLE_ONLY[1]}" label="{TITLE_ONLY[0]} · 仅标题,无正文" disabled>' in html
