"""Command line: ``python -m scenarios lint [PATH]``, ``show ID``, ``diagram ID``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scenarios.diagram import to_mermaid, to_text
from scenarios.linter import format_report, lint
from scenarios.loader import LIBRARY_DIR, load_scenario, scenario_files
from scenarios.model import Scenario, ValidationError


def _find(identifier: str, library: Path) -> Scenario:
    """Load a scenario by id from the library, or by a path to its file."""
    candidate = Path(identifier)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return load_scenario(candidate)
    for file in scenario_files(library):
        if file.stem == identifier:
            return load_scenario(file)
    known = ", ".join(file.stem for file in scenario_files(library)) or "(无)"
    raise LookupError(f"找不到场景 '{identifier}'。可选: {known}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 ok, 1 problems found, 2 usage or lookup error.
    """
    parser = argparse.ArgumentParser(prog="python -m scenarios", description="场景库工具")
    commands = parser.add_subparsers(dest="command", required=True)
    lint_cmd = commands.add_parser("lint", help="检查场景文件(默认检查整个场景库)")
    lint_cmd.add_argument("path", nargs="?", default=None, help="文件或目录,默认 scenarios/library")
    lint_cmd.add_argument("--manuals", default=None, help="手册目录,默认 ../shared/manuals")
    for name, help_text in (("show", "以文本打印场景图"), ("diagram", "打印 Mermaid flowchart")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("id", help="场景 id(或 .yaml 文件路径)")
        command.add_argument("--library", default=str(LIBRARY_DIR), help="场景库目录")
    args = parser.parse_args(argv)

    if args.command == "lint":
        report = lint(args.path, manuals_dir=args.manuals)
        print(format_report(report))
        return 0 if report.ok else 1
    try:
        scenario = _find(args.id, Path(args.library))
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.command == "show":
        print(to_text(scenario))
    else:
        sys.stdout.write(to_mermaid(scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
