"""The learned wrong-fact label: trained from the corpus's wrong-fact spans, its threshold guarding good replies."""

from __future__ import annotations

import numpy as np

from scoring.corpus import FACT_LABEL, Example
from scoring.train import FACT_GOOD_SHARE, _build_rows, _choose_thresholds, library_nodes


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
