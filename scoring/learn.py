"""Corrections flow back: trainers' labelled examples retrain the scorer, with a regression report.

A trainer who corrects a turn produces a labelled example: the reply, its scenario and node, a
grade (0-3) or item and blocker labels, and who labelled it::

    from scoring.learn import correction, retrain
    example = correction(reply="...", scenario="leak-repeated", node="opening", grade=3, author="trainer-07")
    model, report = retrain([example])
    report.changed          # stored examples whose band the new model gives differently
    model.save(directory)   # then scoring.model.set_model(model) in the process that scores

``retrain`` fits on the repository's corpus plus the corrections (the same pipeline as
``python -m scoring train``, about a minute on 2 cores: run it in a background worker, never in a
web request) and scores every stored example and correction with the old and the new model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from scoring.corpus import CorpusError, Example, load_clauses, load_corpus
from scoring.model import ScorerModel, get_model
from scoring.train import EmbeddingStore, NodeInfo, default_store, library_nodes, score_examples, train


@dataclass(frozen=True, slots=True)
class Change:
    """A stored example whose verdict changes with the new model."""

    example: str
    reply: str
    scenario: str
    node: str
    grade: int
    old_score: int
    new_score: int
    old_band: str
    new_band: str


@dataclass(frozen=True)
class RegressionReport:
    """What retraining changed: the versions and every example whose band moved."""

    old_version: str
    new_version: str
    examined: int
    changed: list[Change] = field(default_factory=list)

    @property
    def improved(self) -> list[Change]:
        """Changes that moved the band towards the example's grade."""
        return [c for c in self.changed if _distance(c.new_band, c.grade) < _distance(c.old_band, c.grade)]

    @property
    def worsened(self) -> list[Change]:
        """Changes that moved the band away from the example's grade."""
        return [c for c in self.changed if _distance(c.new_band, c.grade) > _distance(c.old_band, c.grade)]

    def to_dict(self) -> dict:
        """JSON-safe dict."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "examined": self.examined,
            "changed": [asdict(c) for c in self.changed],
        }


_BAND_RANK = {"不合格": 0, "合格": 1, "良好": 2, "优秀": 3}


def _distance(band: str, grade: int) -> int:
    return abs(_BAND_RANK[band] - grade)


def correction(
    *,
    reply: str,
    scenario: str,
    node: str,
    author: str,
    grade: int | None = None,
    items: Mapping[str, str] | None = None,
    blockers: Mapping[str, str] | None = None,
    nodes: Mapping[tuple[str, str], NodeInfo] | None = None,
) -> Example:
    """Validate a trainer's correction and make it a labelled example.

    Args:
        reply, scenario, node: The corrected turn.
        author: Who labelled it (kept with the example).
        grade: 0 (不合格) .. 3 (优秀); required unless item or blocker labels are given, in which case
            the grade defaults to what the labels imply (a blocker: 0).
        items, blockers: id -> the span of the reply that shows it (``""`` when the whole reply).
        nodes: The library's nodes (read from the repository when omitted).

    Raises:
        CorpusError: The node is not in the library, an id is unknown, or the grade is missing or
            out of range; the message is in Chinese.
    """
    nodes = nodes if nodes is not None else library_nodes()
    info = nodes.get((scenario, node))
    if info is None:
        raise CorpusError(f"情景库里没有情景 {scenario!r} 的节点 {node!r}")
    unknown = sorted(set(items or {}) - set(info.rubric.item_ids))
    if unknown:
        valid = list(info.rubric.item_ids)
        raise CorpusError(f"节点 {scenario}/{node} 的评分标准里没有条目 {unknown},可用的有 {valid}")
    if grade is None:
        if blockers:
            grade = 0
        elif items is not None:
            share = len(items) / max(1, len(info.rubric.items))
            grade = 3 if share >= 0.8 else 2 if share >= 0.5 else 1
        else:
            raise CorpusError("请给出等级(0-3)或要点标签")
    digest = hashlib.sha256(f"{scenario}/{node}/{reply}/{author}".encode()).hexdigest()[:12]
    return Example.from_dict(
        {
            "scenario": scenario,
            "node": node,
            "reply": reply,
            "grade": grade,
            "kind": "correction",
            "items": dict(items or {}),
            "blockers": dict(blockers or {}),
            "writer": author,
        },
        id=f"correction:{digest}",
    )


def retrain(
    corrections: Sequence[Example],
    *,
    base: ScorerModel | None = None,
    store: EmbeddingStore | None = None,
    nodes: Mapping[tuple[str, str], NodeInfo] | None = None,
    corpus: Sequence[Example] | None = None,
) -> tuple[ScorerModel, RegressionReport]:
    """Train a new model on the corpus plus ``corrections``; report which examples change band.

    Args:
        corrections: Labelled examples from :func:`correction` (all earlier ones too: the model is
            rebuilt from the data, not patched).
        base: The model in use (the process-wide one when omitted), to compare against.
        store, nodes, corpus: Embeddings, library nodes and corpus (the repository's by default).

    Returns:
        The new model (not saved, not activated) and the regression report.
    """
    store = store or default_store()
    nodes = dict(nodes) if nodes is not None else library_nodes()
    corpus = list(corpus) if corpus is not None else load_corpus()
    base = base or get_model(store.encoder.name)
    model = train([*corpus, *corrections], load_clauses(), nodes, store)
    store.save()
    examined = [e for e in (*corpus, *corrections) if (e.scenario, e.node) in nodes]
    before = score_examples(base, examined, nodes, store)
    after = score_examples(model, examined, nodes, store)
    changed = [
        Change(e.id, e.reply, e.scenario, e.node, e.grade, old.score, new.score, old.band, new.band)
        for e, old, new in zip(examined, before, after, strict=True)
        if old.band != new.band
    ]
    return model, RegressionReport(base.version, model.version, len(examined), changed)
