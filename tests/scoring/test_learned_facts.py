"""The learned wrong-fact label: trained from the corpus's wrong-fact spans, its threshold guarding good replies."""

from __future__ import annotations

import numpy as np

from scoring.corpus import FACT_LABEL, Example
from scoring.encoder import get_encoder
from scoring.features import prepare
from scoring.pipeline import FACT_SUPPORTED
from scoring.rubric import Rubric
from scoring.train import (
    FACT_GOOD_SHARE,
    EmbeddingStore,
    NodeInfo,
    _build_rows,
    _choose_thresholds,
    _fact_vetoed,
    library_nodes,
)


def test_a_wrong_fact_span_labels_its_clauses_at_every_node():
    nodes = library_nodes()
    scenario, node = "phone-complaint-transfer", "opening"
    reply = "您好,物业前台。按规定电话报修不受理,您得下楼填单。我先记下您的门牌号。"
    wrong = [Example(f"w:{i}", scenario, node, reply, 1, wrong_fact="按规定电话报修不受理,您得下楼填单")
             for i in range(3)]  # six labelled clauses: MIN_POSITIVES
    good = [Example(f"t:{i}", scenario, node, f"您好,我马上派人去{i}栋看门禁。", 3) for i in range(2, 10)]
    rows, labels = _build_rows([*wrong, *good], [], nodes)
    assert FACT_LABEL in labels
    targets = dict(zip(rows.texts, rows.targets[FACT_LABEL], strict=True))
    assert targets["按规定电话报修不受理"] == 1.0 and targets["您得下楼填单"] == 1.0
    assert targets["我先记下您的门牌号"] == 0.0 and targets["您好"] == 0.0


def test_the_threshold_flags_at_most_the_allowed_share_of_good_replies():
    rng = np.random.default_rng(0)
    examples = [Example(f"t:{i}", "s", "n", "r", 3 if i < 400 else 0, wrong_fact="" if i < 400 else "r")
                for i in range(500)]
    scores = np.concatenate([rng.uniform(0.0, 0.99, 400), rng.uniform(0.6, 1.0, 100)])[:, None]
    [threshold] = _choose_thresholds([FACT_LABEL], scores.astype(np.float32), examples, {})
    flagged_good = float(np.mean(scores[:400, 0] >= threshold))
    assert flagged_good <= FACT_GOOD_SHARE + 1 / 400
    assert threshold < 0.99  # still flags the wrong facts above it


def test_the_threshold_is_calibrated_on_clauses_that_do_not_restate_a_reference():
    """The pipeline never flags a clause restating a reference, so training must not count it either."""
    nodes = library_nodes()
    key = ("phone-complaint-transfer", "opening")
    restated = prepare(nodes[key].references[0]).clause_texts[0]
    reply = f"{restated},按规定电话报修不受理"
    examples = [Example("t:1", *key, reply, 3)]
    rows, _ = _build_rows(examples, [], nodes)
    store = EmbeddingStore(get_encoder(), None)
    vectors = store.get(rows.texts)
    labels = ["apologize", FACT_LABEL]
    oof = np.full((len(rows.texts), len(labels)), 0.9, dtype=np.float32)
    vetoed = _fact_vetoed(oof, labels, {0: list(range(len(rows.texts)))}, vectors, examples, nodes, store)
    column = dict(zip(rows.texts, vetoed[:, 1], strict=True))
    assert column[restated] == 0.0  # cosine 1 to its reference clause, above FACT_SUPPORTED
    assert column["按规定电话报修不受理"] == np.float32(0.9)
    assert (vetoed[:, 0] == oof[:, 0]).all()  # other labels untouched
    assert FACT_SUPPORTED < 1.0


def test_the_calibration_also_leaves_out_clauses_restating_a_declared_fact():
    """A declared fact's correct wording is the manual's too (pipeline.fact_support), in training as in scoring."""
    key = ("s", "n")
    rubric = Rubric.from_spec({"base": "inquiry", "facts": [{
        "id": "letter_first", "topic": ["委托书"], "wrong": ["电子版就行"], "says": ["钥匙要凭委托书原件才能领"],
        "label": "委托他人办理须持书面委托书原件,电话里同意不能代替书面委托,委托书原件到了才能代领",
    }]})
    nodes = {key: NodeInfo(("周先生您好,我是物业管家,大爷来前台领备用钥匙,想跟您确认一下。",), rubric)}
    examples = [Example("t:1", *key, "钥匙要凭委托书原件才能领,按规定电话报修不受理", 3)]
    rows, _ = _build_rows(examples, [], nodes)
    store = EmbeddingStore(get_encoder(), None)
    vectors = store.get(rows.texts)
    oof = np.full((len(rows.texts), 1), 0.9, dtype=np.float32)
    vetoed = _fact_vetoed(oof, [FACT_LABEL], {0: list(range(len(rows.texts)))}, vectors, examples, nodes, store)
    column = dict(zip(rows.texts, vetoed[:, 0], strict=True))
    assert column["钥匙要凭委托书原件才能领"] == 0.0 and column["按规定电话报修不受理"] == np.float32(0.9)
