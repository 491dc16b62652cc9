"""Agreement between trainers and the scorer (and between trainers) on reviewed turns.

For every reviewed turn and reviewer (their latest review of it, blind or not): the trainer's band
against the band the scorer gave. Statistics come from scikit-learn (``cohen_kappa_score`` with
quadratic weights, ``confusion_matrix``) and SciPy (``spearmanr``); a statistic that is undefined
for the data (every band the same, fewer than two turns) is ``None`` and shown as "—".
Double marking: a turn reviewed by two trainers gives a trainer-trainer pair, reported beside the
trainer-scorer agreement on the same turns (the honest ceiling of what a scorer can reach).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from scoring import BANDS

from ..extensions import db
from ..models import Attempt, ContentVersion, Turn, TurnReview, User
from ..templating import to_local

# Band rank: 0 不合格 .. 3 优秀 (the order kappa and Spearman need).
RANK = {"不合格": 0, "合格": 1, "良好": 2, "优秀": 3}
RANKED_BANDS = tuple(reversed(BANDS))  # 不合格, 合格, 良好, 优秀


@dataclass
class Stats:
    """Agreement of two raters over the same turns (bands as ranks 0..3)."""

    n: int
    exact: float | None
    kappa: float | None
    spearman: float | None
    confusion: list[list[int]]  # rows: first rater (trainer), columns: second (scorer), 不合格 .. 优秀


def _defined(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _quietly(compute: Callable[[], float]) -> float | None:
    # Constant ratings make kappa and Spearman undefined (0/0); report None instead of a warning.
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _defined(compute())
        except ValueError:
            return None


def band_stats(first: Sequence[int], second: Sequence[int]) -> Stats:
    """Exact agreement, quadratic-weighted kappa, Spearman and the confusion matrix of two band lists."""
    n = len(first)
    if n == 0:
        return Stats(0, None, None, None, [[0] * 4 for _ in range(4)])
    exact = sum(a == b for a, b in zip(first, second, strict=True)) / n
    kappa = _quietly(lambda: cohen_kappa_score(first, second, weights="quadratic", labels=[0, 1, 2, 3]))
    rho = _quietly(lambda: spearmanr(first, second).statistic) if n >= 2 else None
    matrix = confusion_matrix(first, second, labels=[0, 1, 2, 3]).tolist()
    return Stats(n, round(exact, 4), kappa, rho, matrix)


def binary_stats(first: Sequence[bool], second: Sequence[bool]) -> Stats:
    """Agreement on a yes/no verdict (an item done or not): exact share and Cohen's kappa."""
    n = len(first)
    if n == 0:
        return Stats(0, None, None, None, [[0, 0], [0, 0]])
    a, b = [int(x) for x in first], [int(x) for x in second]
    exact = sum(x == y for x, y in zip(a, b, strict=True)) / n
    kappa = _quietly(lambda: cohen_kappa_score(a, b, labels=[0, 1]))
    return Stats(n, round(exact, 4), kappa, None, confusion_matrix(a, b, labels=[0, 1]).tolist())


@dataclass
class Mark:
    """One trainer's latest review of one turn, with what the scorer said."""

    turn_id: int
    reviewer_id: int
    reviewer: str
    scenario: str
    at: datetime
    blind: bool
    trainer_band: int
    scorer_band: int
    scorer_version: str
    items: list[tuple[str, str, bool, bool]] = field(default_factory=list)  # id, label, scorer, trainer
    reason: str = ""
    first: bool = False  # the turn's first reviewer


def marks(site_id: int | None) -> list[Mark]:
    """Every reviewer's latest review of every reviewed turn (of a site, or of all sites: None)."""
    query = (
        db.select(TurnReview, Turn, Attempt, User)
        .join(Turn, TurnReview.turn_id == Turn.id).join(Attempt, Turn.attempt_id == Attempt.id)
        .join(User, TurnReview.reviewer_id == User.id)
        .order_by(TurnReview.id)
    )
    if site_id is not None:
        owner = db.aliased(User)
        query = query.join(owner, Attempt.user_id == owner.id).where(owner.site_id == site_id)
    latest: dict[tuple[int, int], Mark] = {}
    first_reviewer: dict[int, int] = {}
    for review, turn, attempt, reviewer in db.session.execute(query):
        automatic = turn.automatic_breakdown
        hits = {h.get("item"): h.get("label", "") for h in automatic.get("hits", [])}
        misses = {m.get("item"): m.get("label", "") for m in automatic.get("misses", [])}
        items = [
            (item, label, item in hits, bool((review.items or {}).get(item, item in hits)))
            for item, label in {**hits, **misses}.items()
        ]
        first_reviewer.setdefault(turn.id, reviewer.id)
        latest[(turn.id, reviewer.id)] = Mark(
            turn.id, reviewer.id, reviewer.display_name, attempt.scenario_key, review.created_at, review.blind,
            RANK[review.band], RANK.get(review.auto_band, 0), turn.scorer_version or "", items, review.reason,
        )
    for mark in latest.values():
        mark.first = first_reviewer[mark.turn_id] == mark.reviewer_id
    return list(latest.values())


@dataclass
class Group:
    key: str
    label: str
    stats: Stats


@dataclass
class DoubleMarking:
    """Turns reviewed by two trainers: trainer-trainer agreement beside each trainer's with the scorer."""

    turns: int
    trainers: Stats
    first_vs_scorer: Stats
    second_vs_scorer: Stats


@dataclass
class Report:
    overall: Stats
    by_scenario: list[Group]
    by_item: list[Group]
    by_trainer: list[Group]
    by_week: list[Group]
    by_version: list[Group]
    double: DoubleMarking
    marks: list[Mark]


def _grouped(items: Iterable[Mark], key: Callable[[Mark], str], label: Callable[[str], str]) -> list[Group]:
    groups: dict[str, list[Mark]] = defaultdict(list)
    for mark in items:
        groups[key(mark)].append(mark)
    return [
        Group(k, label(k), band_stats([m.trainer_band for m in ms], [m.scorer_band for m in ms]))
        for k, ms in sorted(groups.items())
    ]


def week_of(moment: datetime) -> str:
    """The ISO week of a stored time, in the display time zone (``2026-W49``)."""
    year, week, _ = to_local(moment).isocalendar()
    return f"{year}-W{week:02d}"


def build_report(all_marks: list[Mark]) -> Report:
    """The agreement report of a set of marks."""
    titles = dict(db.session.execute(
        db.select(ContentVersion.key, ContentVersion.title)
        .where(ContentVersion.kind == "scenario", ContentVersion.is_current.is_(True))
    ).all())
    overall = band_stats([m.trainer_band for m in all_marks], [m.scorer_band for m in all_marks])
    items: dict[str, tuple[str, list[bool], list[bool]]] = {}
    for mark in all_marks:
        for item, label, scorer_says, trainer_says in mark.items:
            entry = items.setdefault(item, (label, [], []))
            entry[1].append(trainer_says)
            entry[2].append(scorer_says)
    by_item = [Group(item, label, binary_stats(t, s)) for item, (label, t, s) in sorted(items.items())]
    names = {m.reviewer_id: m.reviewer for m in all_marks}
    by_turn: dict[int, list[Mark]] = defaultdict(list)
    for mark in all_marks:
        by_turn[mark.turn_id].append(mark)
    pairs = [(next(m for m in ms if m.first), next(m for m in ms if not m.first))
             for ms in by_turn.values() if len(ms) >= 2 and any(m.first for m in ms)]
    double = DoubleMarking(
        len(pairs),
        band_stats([a.trainer_band for a, _ in pairs], [b.trainer_band for _, b in pairs]),
        band_stats([a.trainer_band for a, _ in pairs], [a.scorer_band for a, _ in pairs]),
        band_stats([b.trainer_band for _, b in pairs], [b.scorer_band for _, b in pairs]),
    )
    return Report(
        overall=overall,
        by_scenario=_grouped(all_marks, lambda m: m.scenario, lambda k: titles.get(k) or k),
        by_item=by_item,
        by_trainer=_grouped(all_marks, lambda m: str(m.reviewer_id), lambda k: names.get(int(k), k)),
        by_week=_grouped(all_marks, lambda m: week_of(m.at), lambda k: k),
        by_version=_grouped(all_marks, lambda m: m.scorer_version or "-", lambda k: k if k != "-" else "要点清单"),
        double=double,
        marks=all_marks,
    )


def band_name(rank: int) -> str:
    return RANKED_BANDS[rank]

