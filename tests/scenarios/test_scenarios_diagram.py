"""Mermaid and text renderings of scenario graphs."""

from __future__ import annotations

import re

import pytest
from scenario_testkit import sample_data

from scenarios import Scenario, load_library, to_mermaid, to_text
from scenarios.diagram import mermaid_escape

LIBRARY = load_library()
_LINE_FORMS = [
    re.compile(r'^    start\(\["[^"]*"\]\)$'),
    re.compile(r'^    n\d+\["[^"]*"\]$'),
    re.compile(r'^    e\d+\(\["[^"]*"\]\)$'),
    re.compile(r"^    start --> n\d+$"),
    re.compile(r'^    n\d+ (-->|-\.->)\|"[^"]*"\| [ne]\d+$'),
    re.compile(r"^    classDef \w+ [\w:#,]+$"),
    re.compile(r"^    class [ne\d,]+ \w+$"),
]


def _assert_well_formed(text: str) -> None:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart TD"
    for line in lines[1:]:
        assert any(form.match(line) for form in _LINE_FORMS), line


@pytest.mark.parametrize("scenario_id", sorted(LIBRARY))
def test_library_diagrams_are_well_formed_and_complete(scenario_id):
    scenario = LIBRARY[scenario_id]
    text = to_mermaid(scenario)
    _assert_well_formed(text)
    edges = sum(len(node.branches) for node in scenario.nodes.values())
    timeouts = sum(1 for node_id in scenario.nodes if scenario.timeout_rule(node_id) is not None)
    assert text.count(" -->|") == edges
    assert text.count(" -.->|") == timeouts
    assert mermaid_escape(scenario.endings[scenario.first_ending("resolved")].title) in text


def test_labels_with_quotes_and_special_characters_are_escaped():
    data = sample_data()
    data["endings"]["resolved"]["title"] = '业主说"好的"; 满意 #1 <完> | 结束'
    data["nodes"]["opening"]["lines"][0] = '"你们"到底管不管?'
    text = to_mermaid(Scenario.from_dict(data))
    _assert_well_formed(text)
    assert "业主说#quot;好的#quot;#59; 满意 #35;1 #lt;完#gt; #124; 结束" in text
    assert "#quot;你们#quot;到底管不管?" in text


def test_text_rendering_lists_every_node_and_ending():
    scenario = Scenario.from_dict(sample_data())
    text = to_text(scenario)
    for node_id in scenario.nodes:
        assert f"[{node_id}]" in text
    for ending in scenario.endings.values():
        assert ending.title in text
    assert scenario.version in text
