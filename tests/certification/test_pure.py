"""The evaluation, programme and chart modules stay free of Flask and the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulator.certification.chart import radar
from simulator.certification.evaluate import SkillScore

PACKAGE = Path(__file__).resolve().parents[2] / "simulator" / "certification"
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "werkzeug")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("module", ["evaluate.py", "programme.py", "chart.py"])
def test_pure_modules_import_no_web_or_database_code(module):
    names = imported_modules(PACKAGE / module)
    assert not [n for n in names if n.split(".")[0] in FORBIDDEN], names
    # inside the app package only the sibling pure modules: never ..models / ..extensions
    assert not [n for n in names if n.startswith("..")], names


def test_radar_geometry_and_the_bar_fallback():
    assert radar([SkillScore("empathy", "共情", 50, 2), SkillScore("safety", "安全指引", 80, 1)]) is None
    chart = radar([SkillScore(s, s, v, 1) for s, v in [("a", 100), ("b", 50), ("c", 0), ("d", 25)]])
    assert [a.label for a in chart.axes] == ["a", "b", "c", "d"]
    top = chart.dots[0]
    assert top == (chart.centre, chart.centre - 120)  # 100 points reach the ring at the top
    assert chart.dots[2] == (chart.centre, chart.centre)  # 0 points sit in the centre
    assert chart.dots[1] == (chart.centre + 60, chart.centre)  # 50 points halfway out on the right
    assert len(chart.rings) == 4
