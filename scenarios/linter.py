"""The scenario linter: schema, graph and citation checks over a file or a directory."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.loader import MANUALS_DIR, read_yaml, scenario_files
from scenarios.manuals import check_quote, check_source, section_has_text
from scenarios.model import Branch, Problem, Scenario, ValidationError

MIN_RESOLVED_REPLIES = 3
# Three nodes can hold a complete conversation (the shortest resolved path needs three replies); a
# trainer's short scenario is legitimate. The shipped library scenarios all have more.
MIN_NODES = 3


@dataclass
class LintReport:
    """What the linter found.

    Attributes:
        files: The files checked.
        scenarios: The scenarios that loaded, keyed by id.
        problems: Every problem found, in file order.
        warnings: Content that loads but should be reworded (see :func:`promise_warnings`,
            :func:`empty_section_warnings`); they do not fail the lint.
    """

    files: list[Path] = field(default_factory=list)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def lint(path: str | Path | None = None, *, manuals_dir: str | Path | None = None) -> LintReport:
    """Lint a scenario file or every scenario file in a directory.

    Args:
        path: A file or directory (default: the bundled library).
        manuals_dir: Where the manuals are (default: ``../shared/manuals`` from the repository root).

    Returns:
        The report; ``report.ok`` is False when anything is wrong.
    """
    manuals = Path(manuals_dir) if manuals_dir is not None else MANUALS_DIR
    report = LintReport()
    root = Path(path) if path is not None else None
    if root is not None and not root.exists():
        report.problems.append(Problem(str(root), "", "路径不存在"))
        return report
    report.files = scenario_files(root)
    if not report.files:
        report.problems.append(Problem(str(root or "library"), "", "没有找到 .yaml 场景文件"))
    seen: dict[str, str] = {}
    for file in report.files:
        try:
            data = read_yaml(file)
        except ValidationError as exc:
            report.problems.extend(exc.problems)
            continue
        problems, scenario = check_document(data, file.name, manuals_dir=manuals, stem=file.stem)
        report.problems.extend(problems)
        report.warnings.extend(empty_section_warnings(data, file.name, manuals))
        if scenario is None:
            continue
        if scenario.id in seen:
            report.problems.append(
                Problem(file.name, "id", f"重复的场景 id '{scenario.id}'(已在 {seen[scenario.id]} 中)")
            )
            continue
        seen[scenario.id] = file.name
        report.scenarios[scenario.id] = scenario
        report.warnings.extend(promise_warnings(scenario, file.name))
    return report


def check_document(
    data: Any,
    file: str = "<data>",
    *,
    manuals_dir: str | Path | None = None,
    stem: str | None = None,
    extra_sources: Mapping[str, str] | None = None,
) -> tuple[list[Problem], Scenario | None]:
    """Every check the linter makes on one scenario document (parsed YAML or a trainer's draft).

    The file linter and the authoring pages both call this, so a draft is judged exactly as a
    library file is.

    Args:
        data: The parsed document.
        file: Name used in the problems.
        manuals_dir: Where the manuals are (default: ``../shared/manuals``).
        stem: The file stem the ``id`` must equal (None: no file, no such check).
        extra_sources: More citable sources, file name -> text (a site's uploaded documents).

    Returns:
        ``(problems, scenario)``; ``scenario`` is None when the schema check failed (the graph checks
        then cannot run). The document is publishable only when ``problems`` is empty.
    """
    manuals = Path(manuals_dir) if manuals_dir is not None else MANUALS_DIR
    problems = _source_problems(data, file, manuals, extra_sources)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.from_dict(data, file=file)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if stem is not None and isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] != stem:
        problems.append(Problem(file, "id", f"'{data['id']}' 与文件名 '{stem}' 不一致"))
        scenario = None
    if scenario is not None:
        problems.extend(graph_problems(scenario, file))
    return problems, scenario


def _source_problems(
    data: Any, file: str, manuals: Path, extra: Mapping[str, str] | None = None
) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    citations: list[tuple[str, Any]] = [("source", data.get("source"))]
    also = data.get("also_sources")
    if isinstance(also, list):
        citations.extend((f"also_sources[{index}]", item) for index, item in enumerate(also))
    for path, citation in citations:
        if not isinstance(citation, dict):
            continue  # the schema check reports the shape
        manual, section = citation.get("file"), citation.get("section")
        if not isinstance(manual, str) or not isinstance(section, str):
            continue
        message = check_source(manual, section, manuals, extra)
        if message is not None:
            problems.append(Problem(file, path, message))
    for path, citation in _citations(data, ""):
        manual, section, quote = citation.get("file"), citation.get("section"), citation.get("quote")
        if not isinstance(manual, str):
            continue
        if path.count(".") and isinstance(section, str):
            # a rubric's own citation (a fact's, a danger's, a blocker's): the top level is checked above
            message = check_source(manual, section, manuals, extra)
            if message is not None:
                problems.append(Problem(file, path, message))
                continue
        if isinstance(quote, str):
            message = check_quote(manual, quote, manuals, extra)
            if message is not None:
                problems.append(Problem(file, f"{path}.quote", message))
    return problems


def _citations(value: Any, path: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every ``source``/``also_sources`` mapping in a scenario file, rubric specs included."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "source" and isinstance(item, dict):
                yield where, item
            elif key == "also_sources" and isinstance(item, list):
                yield from ((f"{where}[{i}]", s) for i, s in enumerate(item) if isinstance(s, dict))
            else:
                yield from _citations(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _citations(item, f"{path}[{index}]")


def empty_section_warnings(data: Any, file: str, manuals: Path) -> list[Problem]:
    """Citations of a heading that has no text under it (manual 003 holds only titles for most chapters).

    Guidance such a citation stands for is in no manual: cite ``{general: 通用安全规范}`` instead
    (shown as 「手册未收录,按通用安全规范」), or the section that does contain it.

    Args:
        data: The parsed scenario file.
        file: File name for the messages.
        manuals: Directory holding the manuals.

    Returns:
        One warning per such citation, nested rubric sources included.
    """
    warnings: list[Problem] = []
    for path, citation in _citations(data, ""):
        manual, section = citation.get("file"), citation.get("section")
        if isinstance(manual, str) and isinstance(section, str) and not section_has_text(manual, section, manuals):
            warnings.append(
                Problem(
                    file, path,
                    f"章节「{section}」在 {manual} 中只有标题、没有正文;手册没有的内容请标注 "
                    "{general: 通用安全规范}(显示为「手册未收录,按通用安全规范」),或改引有正文的章节",
                )
            )
    return warnings


def graph_problems(scenario: Scenario, file: str) -> list[Problem]:
    """Graph checks on a scenario that passed the schema.

    Reports unreachable nodes and endings, nodes that cannot reach any ending, a missing path to a
    resolved ending, and a shortest resolved path under three replies or over ``max_turns``.

    Args:
        scenario: The scenario.
        file: File name for the messages.

    Returns:
        The problems found.
    """
    problems: list[Problem] = []
    if len(scenario.nodes) < MIN_NODES:
        problems.append(Problem(file, "nodes", f"至少需要 {MIN_NODES} 个节点,实际 {len(scenario.nodes)} 个"))
    reachable = _reachable(scenario)
    for node_id in scenario.nodes:
        if node_id not in reachable:
            message = f"unreachable: 从 start '{scenario.start}' 无法到达"
            problems.append(Problem(file, f"nodes.{node_id}", message))
    implicit = {scenario.first_ending("escalated")}
    for ending_id in scenario.endings:
        if ending_id not in reachable and ending_id not in implicit:
            problems.append(Problem(file, f"endings.{ending_id}", "unreachable: 没有任何分支通向这个结局"))
    can_end = _can_reach_ending(scenario)
    for node_id in scenario.nodes:
        if node_id in reachable and node_id not in can_end:
            problems.append(Problem(file, f"nodes.{node_id}", "no way out: 从这里无法到达任何结局(死循环)"))
    shortest = shortest_resolved_path(scenario)
    if shortest is None:
        problems.append(
            Problem(
                file, "endings",
                f"没有任何路径能在 max_turns={scenario.max_turns} 轮内到达 kind: resolved 的结局"
                "(已计入情绪到 100 自动升级的规则)",
            )
        )
    elif len(shortest) < MIN_RESOLVED_REPLIES:
        route = " → ".join(shortest)
        problems.append(
            Problem(
                file, "endings",
                f"最短的 resolved 路径只有 {len(shortest)} 次回复({route}),至少要 {MIN_RESOLVED_REPLIES} 次",
            )
        )
    return problems


def _reachable(scenario: Scenario) -> set[str]:
    seen = {scenario.start}
    queue = deque([scenario.start])
    while queue:
        current = queue.popleft()
        if current not in scenario.nodes:
            continue
        for target in scenario.targets(current):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _can_reach_ending(scenario: Scenario) -> set[str]:
    incoming: dict[str, set[str]] = {}
    for node_id in scenario.nodes:
        for target in scenario.targets(node_id):
            incoming.setdefault(target, set()).add(node_id)
    seen = set(scenario.endings)
    queue = deque(scenario.endings)
    while queue:
        current = queue.popleft()
        for source in incoming.get(current, ()):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen - set(scenario.endings)


def possible_branches(
    scenario: Scenario, node_id: str, emotion: int, turn: int
) -> Iterable[tuple[int, Branch]]:
    """Branches that some reply could take at a node, given the emotion and the reply number.

    Conditions on the reply (band, score, hits, blockers) are assumed satisfiable; a branch whose
    condition depends only on emotion and turn and holds shadows every later branch.
    """
    for index, branch in enumerate(scenario.nodes[node_id].branches):
        if branch.when is None:
            yield index, branch
            return
        if not branch.when.state_part_holds(emotion=emotion, turn=turn):
            continue
        yield index, branch
        if not branch.when.depends_on_reply:
            return


def shortest_resolved_path(scenario: Scenario) -> list[str] | None:
    """The shortest sequence of timely replies that reaches a resolved ending.

    Follows the engine's rules (emotion clamped to 0..100, escalation at 100, ``max_turns``).

    Returns:
        The node ids replied at, in order, or None when no resolved ending can be reached.
    """
    escalated = scenario.first_ending("escalated")
    start_state = (scenario.start, scenario.persona.emotion, 0)
    previous: dict[tuple[str, int, int], tuple[str, int, int] | None] = {start_state: None}
    queue = deque([start_state])
    while queue:
        state = queue.popleft()
        node_id, emotion, turn = state
        for _index, branch in possible_branches(scenario, node_id, emotion, turn + 1):
            after = max(0, min(100, emotion + branch.emotion))
            target = branch.to
            if target in scenario.nodes and (after >= 100 or turn + 1 >= scenario.max_turns):
                target = escalated or target
            if target in scenario.endings:
                if scenario.endings[target].kind == "resolved":
                    path = [node_id]
                    back = previous[state]
                    while back is not None:
                        path.append(back[0])
                        back = previous[back]
                    return path[::-1]
                continue
            next_state = (target, after, turn + 1)
            if next_state not in previous:
                previous[next_state] = state
                queue.append(next_state)
    return None


# A time for someone else to arrive: 「维保人员十五分钟内到」「主管马上就到」.
_ARRIVAL = re.compile(
    r"([0-9]+|[一二两三四五六七八九十半几]+)\s*个?(分钟|小时)(之内|以内|内)?(就|能|就能|可以)?"
    r"(赶到|到达|到场|到现场|赶过来|赶过去|赶来|过来|过去|上门|到)"
    r"|(马上|很快|立刻|立即)就?(赶到|到达|到场|赶过来|赶过去|到)"
)
_HEDGE = re.compile(r"预计|大约|大概|左右|估计|争取|一般|尽量|尽快")
# Who is promised to arrive; a promise about the speaker's own arrival is one the speaker can keep.
_OTHER_PARTY = re.compile(
    r"师傅|人员|维保|工程|电工|同事|主管|保安|秩序维护|清理|救援|部长|经理|领导|管家|他们|消防|燃气公司|专人"
)
_SENTENCE_END = re.compile(r"[。!！?？]")
_CLAUSE_END = re.compile(r"[,，;；:：]")


def promise_warnings(scenario: Scenario, file: str) -> list[Problem]:
    """References that state another team's arrival time as a guarantee.

    A reference promises only what the speaker can keep: another team's arrival is an estimate
    (「预计十五分钟左右到」), or the speaker commits to what they will do themselves
    (「我十分钟后回电告诉您到哪了」). A clause that gives an arrival time (「十五分钟内到」「马上就到」)
    without 预计/大约/左右 is reported when another party arrives: named in the clause, or earlier
    in the sentence while the clause does not make the speaker (我) the subject.

    Args:
        scenario: A scenario that passed the schema.
        file: File name for the messages.

    Returns:
        One warning per reference, quoting the first such clause.
    """
    warnings: list[Problem] = []
    for node_id, node in scenario.nodes.items():
        for index, reference in enumerate(node.references):
            clause = _guaranteed_arrival(reference)
            if clause is not None:
                warnings.append(
                    Problem(
                        file,
                        f"nodes.{node_id}.references[{index}]",
                        f"把别人到达的时间说成了保证:「{clause}」;"
                        "请写成估计(「预计……左右到」),或改成自己能兑现的承诺(「我X点前回电告诉您进展」)",
                    )
                )
    return warnings


def _guaranteed_arrival(text: str) -> str | None:
    """The first clause of ``text`` that guarantees another party's arrival time, or None."""
    for sentence in _SENTENCE_END.split(text):
        before = ""
        for clause in _CLAUSE_END.split(sentence):
            arrival = _ARRIVAL.search(clause)
            if arrival and not _HEDGE.search(clause):
                head = clause[: arrival.start()]
                named = _OTHER_PARTY.search(clause[: arrival.end()])
                if named or ("我" not in head and _OTHER_PARTY.search(before)):
                    return clause.strip()
            before += clause
    return None


def format_report(report: LintReport) -> str:
    """Render a report for the terminal (one problem per line, warnings, then a summary)."""
    lines = [str(problem) for problem in report.problems]
    lines += [f"[警告] {warning}" for warning in report.warnings]
    if report.ok:
        found = f"{len(report.warnings)} 个警告" if report.warnings else "没有问题"
        lines.append(f"通过: {len(report.files)} 个文件, {len(report.scenarios)} 个场景, {found}")
    else:
        bad_files = len({problem.file for problem in report.problems})
        lines.append(
            f"发现 {len(report.problems)} 个问题(涉及 {bad_files} 个文件,共检查 {len(report.files)} 个文件)"
        )
    return "\n".join(lines)
