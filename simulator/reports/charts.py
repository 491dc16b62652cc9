"""Server-side SVG charts (no script, works offline and under the CSP): geometry here, markup in templates."""

from __future__ import annotations

from dataclasses import dataclass

from .service import CERT_STATES, CertFigure, CertLevel, CertTrendPoint, SkillFigure, TrendPoint

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    label_x: float


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: int
    label: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    baseline: float
    bars: list[Bar]
    count_ticks: list[Tick]
    rate_ticks: list[Tick]
    pass_line: str
    pass_dots: list[Dot]
    quiz_line: str
    quiz_dots: list[Dot]
    show_every: int


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 4:
        return 4
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude * 4 >= value:
                return step * magnitude * 4
        magnitude *= 10


def trend_chart(points: list[TrendPoint]) -> TrendChart:
    """Bars: attempts per period (left axis); lines: role-play and quiz pass rates in % (right axis)."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    top_count = _nice_max(max((p.attempts for p in points), default=0))
    slot = plot_w / max(len(points), 1)
    bar_w = max(2.0, slot * 0.6)
    bars: list[Bar] = []
    pass_dots: list[Dot] = []
    quiz_dots: list[Dot] = []
    for i, point in enumerate(points):
        centre = LEFT + slot * i + slot / 2
        height = plot_h * point.attempts / top_count
        bars.append(
            Bar(
                round(centre - bar_w / 2, 1),
                round(baseline - height, 1),
                round(bar_w, 1),
                round(height, 1),
                point.attempts,
                point.label,
                round(centre, 1),
            )
        )
        if point.pass_rate is not None:
            pass_dots.append(
                Dot(round(centre, 1), round(baseline - plot_h * point.pass_rate / 100, 1), point.pass_rate, point.label)
            )
        if point.quiz_pass_rate is not None:
            quiz_dots.append(
                Dot(
                    round(centre, 1),
                    round(baseline - plot_h * point.quiz_pass_rate / 100, 1),
                    point.quiz_pass_rate,
                    point.label,
                )
            )
    count_ticks = [Tick(round(baseline - plot_h * k / 4, 1), str(top_count * k // 4)) for k in range(5)]
    rate_ticks = [Tick(round(baseline - plot_h * k / 4, 1), f"{25 * k}%") for k in range(5)]
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        baseline=baseline,
        bars=bars,
        count_ticks=count_ticks,
        rate_ticks=rate_ticks,
        pass_line=" ".join(f"{d.x},{d.y}" for d in pass_dots),
        pass_dots=pass_dots,
        quiz_line=" ".join(f"{d.x},{d.y}" for d in quiz_dots),
        quiz_dots=quiz_dots,
        show_every=max(1, -(-len(points) // 12)),
    )


@dataclass(frozen=True)
class SkillBar:
    skill: str
    label: str
    percent: int
    total: int
    y: float
    width: float


@dataclass(frozen=True)
class SkillChart:
    width: int
    height: int
    label_width: int
    bar_span: int
    row: int
    bars: list[SkillBar]


def skill_chart(figures: list[SkillFigure]) -> SkillChart:
    """Horizontal bars: how often each skill's checklist items were done (0-100 %)."""
    label_width, bar_span, row = 96, 520, 26
    bars = [
        SkillBar(
            fig.skill,
            fig.label,
            fig.percent or 0,
            fig.total,
            6 + row * i,
            round(bar_span * (fig.percent or 0) / 100, 1),
        )
        for i, fig in enumerate(f for f in figures if f.total)
    ]
    return SkillChart(
        width=label_width + bar_span + 60,
        height=12 + row * max(len(bars), 1),
        label_width=label_width,
        bar_span=bar_span,
        row=row,
        bars=bars,
    )


@dataclass(frozen=True)
class CertSegment:
    state: str
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class CertBar:
    key: str
    label: str
    total: int
    y: float
    segments: list[CertSegment]


@dataclass(frozen=True)
class CertChart:
    width: int
    height: int
    label_width: int
    bar_span: int
    bars: list[CertBar]
    legend: list[tuple[str, str]]


def cert_chart(figures: list[CertFigure]) -> CertChart:
    """One stacked bar per level: the trainees 有效 / 30天内到期 / 已过期 / 已撤销 / 从未获得 (shares of 100 %)."""
    label_width, bar_span, row = 120, 500, 30
    bars = []
    for i, figure in enumerate(figures):
        x = float(label_width)
        segments = []
        for state, label in CERT_STATES.items():
            count = figure.counts.get(state, 0)
            if not count:
                continue
            width = bar_span * count / figure.total
            segments.append(CertSegment(state, label, count, round(x, 1), round(width, 1)))
            x += width
        bars.append(CertBar(figure.level.key, figure.level.label, figure.total, 6 + row * i, segments))
    return CertChart(
        width=label_width + bar_span + 70,
        height=12 + row * max(len(bars), 1),
        label_width=label_width,
        bar_span=bar_span,
        bars=bars,
        legend=list(CERT_STATES.items()),
    )


@dataclass(frozen=True)
class LevelLine:
    key: str
    label: str
    series: int  # the CSS colour class (series-0 ... series-3, repeating)
    line: str
    dots: list[Dot]


@dataclass(frozen=True)
class CertTrendChart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    ticks: list[Tick]
    labels: list[Dot]  # x and text of each bucket's axis label (y unused)
    lines: list[LevelLine]
    show_every: int


def cert_trend_chart(points: list[CertTrendPoint], levels: list[CertLevel]) -> CertTrendChart:
    """One line per level: the trainees holding a valid certificate at each bucket's end."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    top_count = _nice_max(max((count for p in points for count in p.counts.values()), default=0))
    slot = plot_w / max(len(points), 1)
    centres = [round(LEFT + slot * i + slot / 2, 1) for i in range(len(points))]
    lines = []
    for series, level in enumerate(levels):
        dots = [
            Dot(
                x,
                round(baseline - plot_h * p.counts.get(level.key, 0) / top_count, 1),
                p.counts.get(level.key, 0),
                p.label,
            )
            for x, p in zip(centres, points, strict=True)
        ]
        lines.append(LevelLine(level.key, level.label, series % 4, " ".join(f"{d.x},{d.y}" for d in dots), dots))
    return CertTrendChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        ticks=[Tick(round(baseline - plot_h * k / 4, 1), str(top_count * k // 4)) for k in range(5)],
        labels=[Dot(x, 0, 0, p.label) for x, p in zip(centres, points, strict=True)],
        lines=lines,
        show_every=max(1, -(-len(points) // 12)),
    )
