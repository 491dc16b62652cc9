"""Loading scenario files: strict YAML (``contentio.load_strict``: duplicate keys refused), one scenario per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contentio import YamlError, load_strict
from scenarios.model import Problem, Scenario, ValidationError

PACKAGE_DIR = Path(__file__).resolve().parent
LIBRARY_DIR = PACKAGE_DIR / "library"
REPO_ROOT = PACKAGE_DIR.parent
MANUALS_DIR = REPO_ROOT.parent / "shared" / "manuals"


def read_yaml(path: Path) -> Any:
    """Read a YAML file strictly (duplicate keys are errors).

    Args:
        path: The file.

    Returns:
        The parsed data.

    Raises:
        ValidationError: When the file cannot be read or parsed; the path names the line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError([Problem(path.name, "", f"无法读取文件: {exc}")]) from exc
    return parse_yaml_text(text, path.name)


def parse_yaml_text(text: str, name: str = "<data>") -> Any:
    """Parse YAML text strictly (duplicate keys are errors), as :func:`read_yaml` does for a file.

    Args:
        text: The YAML document (e.g. pasted into the authoring page's YAML tab).
        name: Name used in error messages.

    Returns:
        The parsed data.

    Raises:
        ValidationError: When the text cannot be parsed; the path names the line.
    """
    try:
        return load_strict(text)
    except YamlError as exc:
        where = f"line {exc.line}" if exc.line is not None else ""
        raise ValidationError([Problem(name, where, f"YAML 语法错误: {exc.problem}")]) from exc


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file; its ``id`` must equal the file stem.

    Args:
        path: A ``.yaml`` file.

    Returns:
        The scenario.

    Raises:
        ValidationError: Listing every problem, each naming the file and the path inside it.
    """
    path = Path(path)
    data = read_yaml(path)
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.from_dict(data, file=path.name)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] != path.stem:
        problems.append(Problem(path.name, "id", f"'{data['id']}' 与文件名 '{path.stem}' 不一致"))
    if problems or scenario is None:
        raise ValidationError(problems)
    return scenario


def scenario_files(path: str | Path | None = None) -> list[Path]:
    """The scenario files under a directory (sorted), or the single file given."""
    root = Path(path) if path is not None else LIBRARY_DIR
    if root.is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix in {".yaml", ".yml"})


def load_library(path: str | Path | None = None) -> dict[str, Scenario]:
    """Load every scenario in a directory, all or nothing.

    Args:
        path: The directory (default: the bundled library ``scenarios/library``).

    Returns:
        Scenarios keyed by id, in id order.

    Raises:
        ValidationError: When any file is invalid or two files share an id; lists every problem.
    """
    problems: list[Problem] = []
    scenarios: dict[str, Scenario] = {}
    first_file: dict[str, str] = {}
    for file in scenario_files(path):
        try:
            scenario = load_scenario(file)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        if scenario.id in scenarios:
            problems.append(
                Problem(file.name, "id", f"重复的场景 id '{scenario.id}'(已在 {first_file[scenario.id]} 中)")
            )
            continue
        scenarios[scenario.id] = scenario
        first_file[scenario.id] = file.name
    if problems:
        raise ValidationError(problems)
    return dict(sorted(scenarios.items()))
