"""What the authoring pages need from the scenario format, as pure functions over plain data.

A trainer's draft is a scenario document that may be invalid while it is being written, so these
functions never assume the document passed :meth:`scenarios.Scenario.from_dict`: the YAML dump, the
draft graph (with unreachable nodes, dead ends and missing targets marked) and the Twee 3 export
all read the plain mapping and skip what they cannot understand. Validation itself is
:func:`scenarios.linter.check_document`, the one the file linter uses.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from scenarios.diagram import mermaid_escape
from scenarios.model import SCHEMA_VERSION

# Top-level keys in the order a library file writes them (unknown keys follow, as found).
_TOP_ORDER = (
    "schema_version", "id", "title", "summary", "category", "difficulty", "source", "also_sources",
    "skills", "persona", "channel", "time_limit_s", "max_turns", "start", "nodes", "endings",
)
_ENDING_KIND_LABELS = {"resolved": "解决", "escalated": "升级", "timed_out": "超时"}


class _Dumper(yaml.SafeDumper):
    """Block style for mappings and lists, Chinese written as is, long lines kept whole."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """The document as YAML text that :func:`scenarios.loader.parse_yaml_text` reads back unchanged.

    Args:
        data: A scenario document (valid or not).

    Returns:
        YAML text, top-level keys in the library's order.
    """
    if isinstance(data, Mapping):
        ordered = {key: data[key] for key in _TOP_ORDER if key in data}
        ordered.update({key: value for key, value in data.items() if key not in ordered})
        data = ordered
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000,
                     default_flow_style=False)


def blank_document(scenario_id: str = "new-scenario") -> dict[str, Any]:
    """A minimal starting point for 新建: one node and the endings every scenario needs.

    It is deliberately not publishable yet (the linter asks for more lines, references and nodes),
    so the editor shows the trainer what is still missing.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "id": scenario_id,
        "title": "",
        "summary": "",
        "category": "complaint",
        "difficulty": 1,
        "source": {"file": "", "section": ""},
        "skills": [],
        "persona": {"name": "", "role": "", "emotion": 50},
        "channel": "上门",
        "start": "opening",
        "nodes": {
            "opening": {
                "lines": [],
                "references": [],
                "rubric": "complaint",
                "branches": [
                    {"when": {"blocker": True}, "emotion": 30, "to": "escalated"},
                    {"emotion": -20, "to": "resolved"},
                ],
            }
        },
        "endings": {
            "resolved": {"kind": "resolved", "title": "", "debrief": ""},
            "escalated": {"kind": "escalated", "title": "", "debrief": ""},
        },
    }


# ------------------------------------------------------------------------------------------------
# The draft graph
# ------------------------------------------------------------------------------------------------


@dataclass
class DraftGraph:
    """The dialogue graph of a draft as far as it can be read.

    Attributes:
        nodes: Node ids in document order.
        endings: Ending id -> kind (``?`` when the kind is unreadable).
        edges: ``(source, target, label, is_timeout)`` in order.
        missing: Targets named by a branch, a timeout or ``start`` that are neither node nor ending.
        unreachable: Nodes and endings no path from ``start`` reaches.
        dead_ends: Reachable nodes from which no ending can be reached.
    """

    start: str | None
    nodes: list[str] = field(default_factory=list)
    endings: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    dead_ends: list[str] = field(default_factory=list)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _when_label(when: Any) -> str:
    if not isinstance(when, Mapping):
        return "否则"
    parts = []
    for key, value in when.items():
        if isinstance(value, list):
            value = "/".join(map(str, value))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{key}={value}")
    return " ".join(parts) or "否则"


def draft_graph(data: Any) -> DraftGraph:
    """Read the graph of a (possibly invalid) draft and mark what is wrong with it.

    Follows the engine's routing: branches, then ``on_timeout``, or, for a timed node without one,
    the first ``timed_out`` ending. The first ``escalated`` ending is reachable by the emotion rule and
    is never reported as unreachable.
    """
    doc = _mapping(data)
    nodes = _mapping(doc.get("nodes"))
    endings = _mapping(doc.get("endings"))
    start = doc.get("start") if isinstance(doc.get("start"), str) else None
    graph = DraftGraph(start=start, nodes=[str(n) for n in nodes])
    graph.endings = {str(e): str(_mapping(v).get("kind") or "?") for e, v in endings.items()}
    first_timed_out = next((e for e, kind in graph.endings.items() if kind == "timed_out"), None)
    first_escalated = next((e for e, kind in graph.endings.items() if kind == "escalated"), None)
    scenario_limit = doc.get("time_limit_s")
    known = set(graph.nodes) | set(graph.endings)
    missing: list[str] = []
    for node_id, raw in nodes.items():
        node = _mapping(raw)
        branches = node.get("branches") if isinstance(node.get("branches"), list) else []
        for index, raw_branch in enumerate(branches, start=1):
            branch = _mapping(raw_branch)
            target = branch.get("to")
            if not isinstance(target, str) or not target:
                continue
            emotion = branch.get("emotion")
            delta = f" 情绪{emotion:+d}" if isinstance(emotion, int) and not isinstance(emotion, bool) else ""
            graph.edges.append((str(node_id), target, f"{index}. {_when_label(branch.get('when'))}{delta}", False))
        timeout = _mapping(node.get("on_timeout"))
        timed = node.get("time_limit_s") is not None or scenario_limit is not None
        if isinstance(timeout.get("to"), str):
            graph.edges.append((str(node_id), timeout["to"], "超时", True))
        elif timed and first_timed_out is not None:
            graph.edges.append((str(node_id), first_timed_out, "超时", True))
    for _source, target, _label, _timeout in graph.edges:
        if target not in known and target not in missing:
            missing.append(target)
    if start is not None and start not in nodes and start not in missing:
        missing.append(start)
    graph.missing = missing
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, set[str]] = {}
    for source, target, _label, _timeout in graph.edges:
        outgoing.setdefault(source, []).append(target)
        incoming.setdefault(target, set()).add(source)
    reachable: set[str] = set()
    if start in nodes:
        reachable.add(start)
        queue = deque([start])
        while queue:
            for target in outgoing.get(queue.popleft(), ()):
                if target in known and target not in reachable:
                    reachable.add(target)
                    queue.append(target)
    graph.unreachable = [
        item for item in [*graph.nodes, *graph.endings] if item not in reachable and item != first_escalated
    ]
    can_end = set(graph.endings)
    queue = deque(graph.endings)
    while queue:
        for source in incoming.get(queue.popleft(), ()):
            if source not in can_end:
                can_end.add(source)
                queue.append(source)
    graph.dead_ends = [node for node in graph.nodes if node in reachable and node not in can_end]
    return graph


def draft_mermaid(data: Any) -> str:
    """The draft graph as Mermaid ``flowchart`` text, with problems marked.

    Unreachable nodes are dashed grey, dead ends (no way to any ending) amber, and a target that does
    not exist appears as a red ``缺失`` node. Labels are escaped like :func:`scenarios.to_mermaid`.
    """
    graph = draft_graph(data)
    doc = _mapping(data)
    nodes = _mapping(doc.get("nodes"))
    endings = _mapping(doc.get("endings"))
    ids: dict[str, str] = {}
    for index, node_id in enumerate(graph.nodes):
        ids[node_id] = f"n{index}"
    for index, ending_id in enumerate(graph.endings):
        ids[ending_id] = f"e{index}"
    for index, target in enumerate(graph.missing):
        ids.setdefault(target, f"m{index}")
    persona = _mapping(doc.get("persona"))
    out = ["flowchart TD", f'    start(["{mermaid_escape("开始: " + str(persona.get("name") or ""))}"])']
    for node_id in graph.nodes:
        lines = _mapping(nodes.get(node_id)).get("lines")
        first = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], str) else ""
        first = " ".join(first.split())
        first = first if len(first) <= 24 else first[:23] + "…"
        marks = []
        if node_id in graph.unreachable:
            marks.append("无法到达")
        if node_id in graph.dead_ends:
            marks.append("死路")
        title = node_id + (f" ⚠{'·'.join(marks)}" if marks else "")
        out.append(f'    {ids[node_id]}["{mermaid_escape(title)}<br/>{mermaid_escape(first)}"]')
    for ending_id, kind in graph.endings.items():
        title = str(_mapping(endings.get(ending_id)).get("title") or ending_id)
        label = f"{_ENDING_KIND_LABELS.get(kind, kind)}: {title}"
        if ending_id in graph.unreachable:
            label += " ⚠无法到达"
        out.append(f'    {ids[ending_id]}(["{mermaid_escape(label)}"])')
    for target in graph.missing:
        out.append(f'    {ids[target]}{{{{"{mermaid_escape("缺失: " + target)}"}}}}')
    if graph.start is not None:
        out.append(f"    start --> {ids[graph.start]}")
    for source, target, label, timeout in graph.edges:
        arrow = "-.->" if timeout else "-->"
        out.append(f'    {ids[source]} {arrow}|"{mermaid_escape(label)}"| {ids[target]}')
    out.append("    classDef resolved fill:#dcfce7,stroke:#15803d")
    out.append("    classDef escalated fill:#fee2e2,stroke:#b91c1c")
    out.append("    classDef timed_out fill:#ffedd5,stroke:#c2410c")
    out.append("    classDef unreachable fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:5 3")
    out.append("    classDef deadend fill:#fef3c7,stroke:#b45309,stroke-width:3px")
    out.append("    classDef missing fill:#fecaca,stroke:#991b1b,stroke-width:3px")
    for kind in ("resolved", "escalated", "timed_out"):
        members = [ids[e] for e, k in graph.endings.items() if k == kind and e not in graph.unreachable]
        if members:
            out.append(f"    class {','.join(members)} {kind}")
    for css, members in (
        ("unreachable", graph.unreachable), ("deadend", graph.dead_ends), ("missing", graph.missing)
    ):
        if members:
            out.append(f"    class {','.join(ids[m] for m in members)} {css}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------
# Twee 3
# ------------------------------------------------------------------------------------------------


def _twee_text(text: str) -> str:
    # A passage body ends at the next line starting with "::"; keep such lines from closing it.
    return "\n".join(("\\" + line) if line.startswith("::") else line for line in str(text).splitlines())


def _twee_link_label(text: str) -> str:
    return text.replace("->", "→").replace("<-", "←").replace("|", "/").replace("[", "【").replace("]", "】")


def to_twee(data: Any) -> str:
    """A Twee 3 story of the draft's structure, for Twine users to read (not to play).

    Each node is a passage with the resident's lines, the model replies and one link per branch
    (``[[条件 情绪±n->target]]``); each ending a passage tagged with its kind.

    Args:
        data: A scenario document (valid or not).

    Returns:
        Twee 3 source (``StoryTitle``, ``StoryData``, then the passages).
    """
    doc = _mapping(data)
    scenario_id = str(doc.get("id") or "scenario")
    story_data = {
        "ifid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"guanjia-trainer:scenario:{scenario_id}")).upper(),
        "format": "Harlowe",
        "format-version": "3.3.9",
        "start": str(doc.get("start") or ""),
    }
    out = [":: StoryTitle", str(doc.get("title") or scenario_id), "", ":: StoryData",
           json.dumps(story_data, ensure_ascii=False, indent=2), ""]
    persona = _mapping(doc.get("persona"))
    for node_id, raw in _mapping(doc.get("nodes")).items():
        node = _mapping(raw)
        out.append(f":: {node_id} [node]")
        for line in node.get("lines") or []:
            out.append(_twee_text(f"{persona.get('name') or '业主'}:{line}"))
        references = node.get("references") or []
        if references:
            out.append("")
            out.append("参考答复:")
            out.extend(_twee_text(f"- {reference}") for reference in references)
        out.append("")
        for index, raw_branch in enumerate(node.get("branches") or [], start=1):
            branch = _mapping(raw_branch)
            if not isinstance(branch.get("to"), str):
                continue
            emotion = branch.get("emotion")
            delta = f" 情绪{emotion:+d}" if isinstance(emotion, int) and not isinstance(emotion, bool) else ""
            label = _twee_link_label(f"{index}. {_when_label(branch.get('when'))}{delta}")
            out.append(f"[[{label}->{branch['to']}]]")
        timeout = _mapping(node.get("on_timeout"))
        if isinstance(timeout.get("to"), str):
            out.append(f"[[超时->{timeout['to']}]]")
        out.append("")
    for ending_id, raw in _mapping(doc.get("endings")).items():
        ending = _mapping(raw)
        kind = str(ending.get("kind") or "ending")
        out.append(f":: {ending_id} [ending {kind}]")
        out.append(_twee_text(str(ending.get("title") or "")))
        out.append("")
        out.append(_twee_text(str(ending.get("debrief") or "")))
        out.append("")
    return "\n".join(out)
