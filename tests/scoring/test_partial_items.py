"""Partly done items: an item's requirement (a dispatch's arrival time) holds on the learned path as
on the checklist path; the half-positive way of learning them (measured in the ablation bench)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from scoring.pipeline import _requirement_labels
from scoring.train import _fit_classifiers, _quiet


def _toy():
    rng = np.random.default_rng(3)
    centres = {1.0: np.array([3.0, 0.0]), 0.5: np.array([1.5, 2.0]), 0.0: np.array([-3.0, 0.0])}
    rows, targets = [], []
    for target, centre in centres.items():
        rows.append(centre + rng.normal(0, 0.3, size=(60, 2)))
        targets += [target] * 60
    return sparse.csr_matrix(np.vstack(rows)), {"dispatch": np.array(targets)}


def _probabilities(partial_as_half: bool) -> dict[float, float]:
    x, targets = _toy()
    with _quiet():
        weights, bias = _fit_classifiers(x, targets, ["dispatch"], np.arange(x.shape[0]), partial_as_half)
    probs = 1 / (1 + np.exp(-(np.asarray(x @ weights).ravel() + bias[0])))
    return {t: float(probs[targets["dispatch"] == t].mean()) for t in (1.0, 0.5, 0.0)}


def test_partial_as_half_learns_a_partly_done_item_as_not_done():
    half = _probabilities(True)
    assert half[1.0] > 0.8 and half[0.0] < 0.2
    assert half[0.5] < 0.5  # no longer above a full-credit threshold
    first = _probabilities(False)
    assert first[0.5] > 0.8  # the first version read partly done as done


def test_the_dispatch_time_requirement_is_learned_by_the_time_item():
    assert _requirement_labels(("re:(物业|客服)",)) == ()
    from scoring.builtin_rubrics import RUBRICS

    dispatch = next(i for i in RUBRICS["emergency"].items if i.id == "dispatch")
    assert _requirement_labels(dispatch.requires) == ("commit_time",)


DISPATCH_NO_TIME = "孙先生别急,先拿手机照个亮,蜡烛别点。我这边马上叫值班电工上去看看,主管我也报了。"
DISPATCH_QUARTER = "孙先生别急,先拿手机照个亮,蜡烛别点。我这边马上叫值班电工上去看看,一刻钟左右到,主管我也报了。"


def test_a_dispatch_without_a_time_counts_half_on_the_learned_path(encoder):
    from scoring import score
    from scoring.corpus import load_corpus
    from scoring.train import library_nodes

    assert not {DISPATCH_NO_TIME, DISPATCH_QUARTER} & {e.reply for e in load_corpus()}
    info = library_nodes()[("night-power-cut", "opening")]
    without = score(DISPATCH_NO_TIME, info.references, info.rubric, encoder=encoder)
    within = score(DISPATCH_QUARTER, info.references, info.rubric, encoder=encoder)
    assert without.decided_by == within.decided_by == "model"
    credit = {h.item: h.credit for h in without.hits}
    assert credit.get("dispatch", 0.0) < 1.0, without.feedback
    if "dispatch" in credit:
        assert "只做到一半" in without.feedback
    # "一刻钟" is in no time cue: the learned time item reads it
    assert {h.item: h.credit for h in within.hits}.get("dispatch") == 1.0, within.feedback
