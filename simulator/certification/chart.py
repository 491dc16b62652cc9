"""The skill profile drawn server-side as SVG geometry (a radar from three skills up, bars below that).

Pure: takes :class:`~.evaluate.SkillScore` values and returns coordinates the template draws; no
JavaScript is needed to see the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .evaluate import SkillScore

SIZE = 360
CENTRE = SIZE / 2
RADIUS = 120
RINGS = (25, 50, 75, 100)


@dataclass(frozen=True)
class Axis:
    label: str
    value: float
    x: float  # the axis end
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Radar:
    size: int
    centre: float
    axes: tuple[Axis, ...]
    rings: tuple[str, ...]  # polygon point lists of the 25/50/75/100 rings
    shape: str  # the trainee's polygon
    dots: tuple[tuple[float, float], ...]


def _point(index: int, count: int, fraction: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    x = CENTRE + RADIUS * fraction * math.cos(angle)
    y = CENTRE + RADIUS * fraction * math.sin(angle)
    return round(x, 1), round(y, 1)


def _points(points) -> str:
    return " ".join(f"{x},{y}" for x, y in points)


def radar(profile: list[SkillScore]) -> Radar | None:
    """The radar geometry, or None with fewer than three skills (the page then shows bars)."""
    count = len(profile)
    if count < 3:
        return None
    axes = []
    for index, score in enumerate(profile):
        x, y = _point(index, count, 1.0)
        lx, ly = _point(index, count, 1.18)
        anchor = "middle" if abs(lx - CENTRE) < 8 else ("start" if lx > CENTRE else "end")
        axes.append(Axis(score.label, score.average, x, y, lx, ly + 4, anchor))
    rings = tuple(_points(_point(i, count, ring / 100) for i in range(count)) for ring in RINGS)
    dots = tuple(_point(i, count, max(0.0, min(score.average, 100)) / 100) for i, score in enumerate(profile))
    return Radar(SIZE, CENTRE, tuple(axes), rings, _points(dots), dots)
