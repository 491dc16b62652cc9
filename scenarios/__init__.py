"""Scenarios: the role-play format, loader, linter and dialogue engine (pure Python, no Flask)."""

from __future__ import annotations

from scenarios.diagram import to_mermaid, to_text
from scenarios.engine import PlayState, TurnRecord, resident_line, start, step
from scenarios.linter import LintReport, lint
from scenarios.loader import LIBRARY_DIR, MANUALS_DIR, load_library, load_scenario
from scenarios.model import (
    Branch,
    Ending,
    Node,
    Persona,
    Problem,
    Scenario,
    Source,
    Timeout,
    ValidationError,
    When,
)

__all__ = [
    "LIBRARY_DIR",
    "MANUALS_DIR",
    "Branch",
    "Ending",
    "LintReport",
    "Node",
    "Persona",
    "PlayState",
    "Problem",
    "Scenario",
    "Source",
    "Timeout",
    "TurnRecord",
    "ValidationError",
    "When",
    "lint",
    "load_library",
    "load_scenario",
    "resident_line",
    "start",
    "step",
    "to_mermaid",
    "to_text",
]
