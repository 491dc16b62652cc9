"""Cross-validation variants are measured fairly: identical folds, the same measured replies, and
extra replies of a held-out scenario never in that fold's training."""

from __future__ import annotations

import scoring.train
from scoring.corpus import Example
from scoring.evaluation import cross_validate, cross_validate_variants
from scoring.pipeline import _ENFORCE_REQUIREMENTS


def _example(scenario: str, n: int, extra: bool = False) -> Example:
    return Example(id=f"{scenario}{'.r2' if extra else ''}:{n}", scenario=scenario, node="opening",
                   reply=f"回复{scenario}{n}{'x' if extra else ''}", grade=n % 4)


def test_variants_share_folds_and_never_train_on_held_out_extra(monkeypatch):
    scenarios = [f"s{k}" for k in range(6)]
    corpus = [_example(s, n) for s in scenarios for n in range(4 + scenarios.index(s))]
    extra = [_example(s, n, extra=True) for s in scenarios for n in range(3)]
    nodes = {(s, "opening"): object() for s in scenarios}
    trained, enforced = [], []

    def fake_train(examples, bank, nodes, store, **kwargs):
        trained.append(([e.id for e in examples], kwargs))
        enforced.append(_ENFORCE_REQUIREMENTS[0])
        return len(trained)

    def fake_score(model, examples, nodes, store):
        return [(model, e.id) for e in examples]

    monkeypatch.setattr(scoring.train, "train", fake_train)
    monkeypatch.setattr(scoring.train, "score_examples", fake_score)
    runs = cross_validate_variants(corpus, [], nodes, None, folds=3, variants={"a": (), "b": extra},
                                   options={"b": {"partial_as_half": False, "requirements": False}})
    measured_a, measured_b = ([e.id for e in runs[name][0]] for name in ("a", "b"))
    assert measured_a == measured_b and sorted(measured_a) == sorted(e.id for e in corpus)
    assert len(trained) == 6
    for fold in range(3):
        (fit_a, kwargs_a), (fit_b, kwargs_b) = trained[2 * fold], trained[2 * fold + 1]
        held = {e.scenario for e, (model, _) in zip(runs["a"][0], runs["a"][1], strict=True)
                if model == 2 * fold + 1}
        assert held and not {i.split(":")[0].split(".")[0] for i in fit_b} & held
        assert set(fit_b) - set(fit_a) == {e.id for e in extra if e.scenario not in held}
        assert kwargs_a == {} and kwargs_b == {"partial_as_half": False}
        assert enforced[2 * fold] and not enforced[2 * fold + 1]
    assert _ENFORCE_REQUIREMENTS[0]  # restored
    plain = cross_validate(corpus, [], nodes, None, folds=3)
    assert [e.id for e in plain[0]] == measured_a
