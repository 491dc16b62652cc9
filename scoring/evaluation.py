"""Quality figures of a scorer on graded replies, and grouped cross-validation by scenario.

Used by ``bench/scoring_quality.py`` and the quality gate in the tests. Every figure is computed on
replies the measured model was not fitted on: :func:`cross_validate` trains one model per fold on
the other scenarios' replies only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from scoring.bands import band_for
from scoring.corpus import Example, LabelledClause
from scoring.result import ScoreResult

HARD_NEGATIVE_KINDS = frozenset({"refusal_reuse", "unsafe", "courtesy_only"})


@dataclass(frozen=True, slots=True)
class Scored:
    """One graded reply with the score a scorer gave it."""

    group: str
    grade: int
    score: float
    length: int
    kind: str = ""
    blocked: bool = False
    category: str = ""


@dataclass(frozen=True)
class Figures:
    """The quality figures of one scorer on one set of replies."""

    n: int
    spearman: float
    pairwise: float
    pairwise_length_adverse: float
    hard_negatives_below: tuple[int, int]
    excellent_failed: float
    good_blocked: float
    wrong_fact_above_pass: tuple[int, int]

    def line(self) -> str:
        """One printable line."""
        below, total = self.hard_negatives_below
        wf, wn = self.wrong_fact_above_pass
        return (
            f"n={self.n:5d}  spearman={self.spearman:.3f}  pairwise={self.pairwise:.3f}  "
            f"length-adverse={self.pairwise_length_adverse:.3f}  hard-neg-below={below}/{total}  "
            f"excellent-不合格={self.excellent_failed:.1%}  good-blocked={self.good_blocked:.1%}  "
            f"wrong-fact>合格={wf}/{wn}"
        )


def figures(rows: Sequence[Scored]) -> Figures:
    """Compute every figure (pairs and hard negatives are compared within a group: a node)."""
    grades = [r.grade for r in rows]
    scores = [r.score for r in rows]
    rho = float(spearmanr(scores, grades).statistic) if len(set(scores)) > 1 else 0.0
    ok = total = adverse_ok = adverse = 0
    by_group: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_group.setdefault(r.group, []).append(i)
    for members in by_group.values():
        for i, j in combinations(members, 2):
            a, b = rows[i], rows[j]
            if a.grade == b.grade:
                continue
            hi, lo = (a, b) if a.grade > b.grade else (b, a)
            total += 1
            right = hi.score > lo.score
            ok += right
            if lo.length >= hi.length:
                adverse += 1
                adverse_ok += right
    below = hard = 0
    for r in rows:
        if r.kind in HARD_NEGATIVE_KINDS and r.grade == 0:
            good = [rows[k].score for k in by_group[r.group] if rows[k].grade >= 2]
            if good:
                hard += 1
                below += all(r.score < g for g in good)
    excellent = [r for r in rows if r.grade == 3]
    good_rows = [r for r in rows if r.grade >= 2]
    wrong = [r for r in rows if r.kind == "wrong_fact"]
    return Figures(
        n=len(rows),
        spearman=rho,
        pairwise=ok / total if total else 0.0,
        pairwise_length_adverse=adverse_ok / adverse if adverse else 0.0,
        hard_negatives_below=(below, hard),
        excellent_failed=sum(band_for(int(r.score)) == "不合格" for r in excellent) / max(1, len(excellent)),
        good_blocked=sum(r.blocked for r in good_rows) / max(1, len(good_rows)),
        wrong_fact_above_pass=(sum(r.score >= 70 for r in wrong), len(wrong)),
    )


def item_credit(examples: Sequence[Example], results: Sequence[ScoreResult], item: str) -> dict[str, tuple[int, int]]:
    """How often ``item`` is credited, by what the graders said of it: ``{"done": (credited, n),
    "partly": (...), "not": (...)}`` over the replies whose rubric has the item."""
    counts = {"done": [0, 0], "partly": [0, 0], "not": [0, 0]}
    for e, r in zip(examples, results, strict=True):
        if item not in {h.item for h in r.hits} | {m.item for m in r.misses}:
            continue
        key = "done" if item in e.items else "partly" if item in e.partial_items else "not"
        counts[key][1] += 1
        counts[key][0] += any(h.item == item and h.credit >= 1.0 for h in r.hits)
    return {k: (v[0], v[1]) for k, v in counts.items()}


def scored_rows(examples: Sequence[Example], results: Sequence[ScoreResult], category_of: Callable) -> list[Scored]:
    """Pair examples with their results."""
    return [
        Scored(
            group=f"{e.scenario}/{e.node}",
            grade=e.grade,
            score=float(r.score),
            length=len(e.reply),
            kind=e.kind,
            blocked=bool(r.blockers),
            category=category_of(e),
        )
        for e, r in zip(examples, results, strict=True)
    ]


def cross_validate(
    examples: Sequence[Example],
    bank: Sequence[LabelledClause],
    nodes: dict,
    store,
    *,
    folds: int = 5,
    extra: Sequence[Example] = (),
    log=None,
) -> tuple[list[Example], list[ScoreResult]]:
    """Grouped K-fold by scenario: each fold's replies scored by a model trained without that fold.

    Clause-bank entries of a held-out scenario are left out of its fold's training too. ``extra``
    replies (another round of graded data) join every fold's training, except those of the fold's
    held-out scenarios; the folds and the measured replies come from ``examples`` alone, so a run
    with and a run without ``extra`` score the same replies on the same folds.
    """
    return cross_validate_variants(examples, bank, nodes, store, folds=folds, variants={"": extra}, log=log)[""]


def cross_validate_variants(
    examples: Sequence[Example],
    bank: Sequence[LabelledClause],
    nodes: dict,
    store,
    *,
    folds: int = 5,
    variants: dict[str, Sequence[Example]],
    options: dict[str, dict] | None = None,
    log=None,
) -> dict[str, tuple[list[Example], list[ScoreResult]]]:
    """:func:`cross_validate` for several training sets on identical folds, one per variant.

    Args:
        variants: Variant name -> extra replies added to each fold's training (see
            :func:`cross_validate`); ``()`` trains on the corpus folds alone.
        options: Variant name -> keyword arguments for :func:`scoring.train.train` (to measure a
            training choice on the same folds); ``"requirements": False`` scores without checking
            items' ``requires`` on the learned path (see :func:`scoring.pipeline.requirements_enforced`).

    Returns:
        Variant name -> (measured examples, their results), the examples in the same order for
        every variant.
    """
    from scoring.pipeline import requirements_enforced
    from scoring.train import score_examples, train

    examples = [e for e in examples if (e.scenario, e.node) in nodes]
    scenario_of = np.array([e.scenario for e in examples])
    out: dict[str, tuple[list[Example], list[ScoreResult]]] = {name: ([], []) for name in variants}
    for fold, (train_idx, test_idx) in enumerate(
        GroupKFold(n_splits=folds).split(np.zeros(len(examples)), groups=scenario_of)
    ):
        held = set(scenario_of[test_idx])
        fit_bank = [c for c in bank if c.source.split(":", 1)[0] not in held]
        held_examples = [examples[i] for i in test_idx]
        for name, extra in variants.items():
            fit = [examples[i] for i in train_idx] + [e for e in extra if e.scenario not in held]
            kwargs = dict((options or {}).get(name, {}))
            with requirements_enforced(kwargs.pop("requirements", True)):
                model = train(fit, fit_bank, nodes, store, **kwargs)
                out[name][0].extend(held_examples)
                out[name][1].extend(score_examples(model, held_examples, nodes, store))
        if log:
            log(f"  第 {fold + 1}/{folds} 折:留出 {sorted(held)}")
    return out
