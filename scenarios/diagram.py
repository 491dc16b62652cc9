"""Renderings of a scenario graph for trainers: plain text and Mermaid ``flowchart`` text."""

from __future__ import annotations

import json
from collections.abc import Mapping

from scenarios.model import Branch, Scenario, Source

_ENDING_KIND_LABELS = {"resolved": "解决", "escalated": "升级", "timed_out": "超时"}

# Mermaid entity codes for characters that would end or corrupt a quoted label.
_MERMAID_ESCAPES = {
    '"': "#quot;",
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "|": "#124;",
    "`": "#96;",
    ";": "#59;",
    "\n": " ",
    "\r": " ",
}


def mermaid_escape(text: str) -> str:
    """Escape text for use inside a double-quoted Mermaid label (Chinese characters pass through)."""
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in text)


def _delta(value: int) -> str:
    return f"情绪{value:+d}" if value else "情绪不变"


def _condition(branch: Branch) -> str:
    return branch.when.describe() if branch.when is not None else "否则"


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source_text(source: Source) -> str:
    if source.general:
        return f"手册未收录,按{source.general}"
    return f"{source.file} «{source.section}»"


def _rubric_label(rubric: str | Mapping[str, object]) -> str:
    if isinstance(rubric, str):
        return rubric
    parts = [f"base {rubric.get('base')}"]
    if rubric.get("drop"):
        parts.append("drop " + ",".join(map(str, rubric["drop"])))  # type: ignore[arg-type]
    if rubric.get("weights"):
        parts.append("weights " + json.dumps(rubric["weights"], ensure_ascii=False))
    if rubric.get("add"):
        parts.append("add " + ",".join(str(item.get("id")) for item in rubric["add"]))  # type: ignore[union-attr,attr-defined]
    return "; ".join(parts)


def to_text(scenario: Scenario) -> str:
    """The scenario graph as readable text (used by ``python -m scenarios show``).

    Args:
        scenario: The scenario.

    Returns:
        Multi-line text: header, each node with its branches in order, then the endings.
    """
    persona = scenario.persona
    lines = [
        f"{scenario.id}  {scenario.title}",
        f"类别 {scenario.category} · 难度 {scenario.difficulty} · 渠道 {scenario.channel}"
        f" · 版本 {scenario.version}",
        f"人物: {persona.name}({persona.role}),初始情绪 {persona.emotion}",
        f"最多 {scenario.max_turns} 轮"
        + (f" · 每轮限时 {scenario.time_limit_s}s" if scenario.time_limit_s is not None else ""),
        f"出处: {_source_text(scenario.source)}",
        f"start → {scenario.start}",
        "",
    ]
    for node_id, node in scenario.nodes.items():
        limit = scenario.time_limit_for(node_id)
        lines.append(f"[{node_id}]" + (f"  限时 {limit}s" if limit is not None else ""))
        lines.append(f"  业主: {node.lines[0]}  (共 {len(node.lines)} 种说法)")
        lines.append(f"  评分表: {_rubric_label(node.rubric)} · 参考回复 {len(node.references)} 条")
        for index, branch in enumerate(node.branches, start=1):
            lines.append(f"  {index}. {_condition(branch)}  {_delta(branch.emotion)} → {branch.to}")
        rule = scenario.timeout_rule(node_id)
        if rule is not None:
            lines.append(f"  超时: {_delta(rule.emotion)} → {rule.to}")
        lines.append("")
    lines.append("结局:")
    for ending_id, ending in scenario.endings.items():
        lines.append(f"  ({ending_id}) [{_ENDING_KIND_LABELS[ending.kind]}] {ending.title}")
    escalated = scenario.first_ending("escalated")
    lines.append(f"规则: 情绪到 100 或超过 {scenario.max_turns} 轮 → {escalated}")
    return "\n".join(lines)


def to_mermaid(scenario: Scenario) -> str:
    """The scenario graph as Mermaid ``flowchart`` text, no Graphviz needed.

    Node ids in the diagram are generated (``n0``, ``e0``, ...) so any scenario id is safe; every
    label is quoted and escaped, so Chinese text and punctuation render as written.

    Args:
        scenario: The scenario.

    Returns:
        Mermaid source starting with ``flowchart TD``.
    """
    ids: dict[str, str] = {}
    for index, node_id in enumerate(scenario.nodes):
        ids[node_id] = f"n{index}"
    for index, ending_id in enumerate(scenario.endings):
        ids[ending_id] = f"e{index}"
    out = ["flowchart TD", f'    start(["{mermaid_escape("开始: " + scenario.persona.name)}"])']
    for node_id, node in scenario.nodes.items():
        limit = scenario.time_limit_for(node_id)
        title = node_id + (f" ⏱{limit}s" if limit is not None else "")
        label = f"{mermaid_escape(title)}<br/>{mermaid_escape(_short(node.lines[0]))}"
        out.append(f'    {ids[node_id]}["{label}"]')
    for ending_id, ending in scenario.endings.items():
        label = f"{_ENDING_KIND_LABELS[ending.kind]}: {ending.title}"
        out.append(f'    {ids[ending_id]}(["{mermaid_escape(label)}"])')
    out.append(f"    start --> {ids[scenario.start]}")
    for node_id, node in scenario.nodes.items():
        for index, branch in enumerate(node.branches, start=1):
            label = f"{index}. {_condition(branch)} {_delta(branch.emotion)}"
            out.append(f'    {ids[node_id]} -->|"{mermaid_escape(label)}"| {ids[branch.to]}')
        rule = scenario.timeout_rule(node_id)
        if rule is not None:
            label = f"超时 {_delta(rule.emotion)}"
            out.append(f'    {ids[node_id]} -.->|"{mermaid_escape(label)}"| {ids[rule.to]}')
    out.append("    classDef resolved fill:#dcfce7,stroke:#15803d")
    out.append("    classDef escalated fill:#fee2e2,stroke:#b91c1c")
    out.append("    classDef timed_out fill:#ffedd5,stroke:#c2410c")
    for kind in ("resolved", "escalated", "timed_out"):
        members = [ids[e.id] for e in scenario.endings.values() if e.kind == kind]
        if members:
            out.append(f"    class {','.join(members)} {kind}")
    return "\n".join(out) + "\n"
