"""Helpers shared by the scenario tests: a fake score result and fixture loading."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "sample-complaint.yaml"


@dataclass(frozen=True)
class FakeResult:
    """Stands in for scoring.ScoreResult: only the fields the engine reads."""

    score: int = 80
    band: str = "良好"
    hit_ids: frozenset[str] = field(default_factory=frozenset)
    miss_ids: frozenset[str] = field(default_factory=frozenset)
    blocker_ids: frozenset[str] = field(default_factory=frozenset)


GOOD = FakeResult(90, "优秀", frozenset({"apologize", "commit_time", "follow_up"}))
PASSABLE = FakeResult(62, "合格", frozenset(), frozenset({"apologize", "commit_time"}))
POOR = FakeResult(30, "不合格", frozenset(), frozenset({"apologize", "commit_time", "follow_up"}))
RUDE = FakeResult(10, "不合格", frozenset(), frozenset({"apologize"}), frozenset({"insult"}))


def sample_data() -> dict[str, Any]:
    """A fresh copy of the sample scenario as plain data."""
    return copy.deepcopy(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))


def write_scenario(directory: Path, data: dict[str, Any], stem: str | None = None) -> Path:
    """Write scenario data as YAML named after its id (or ``stem``)."""
    path = directory / f"{stem or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
