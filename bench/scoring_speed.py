"""Warm latency of the reply scorer on this machine.

Prints p50/p95 per reply for single replies (``score``) and for batches of 32 (``score_many``) on 300
corpus replies at their library nodes, and the ratio to one raw encode of the same reply's texts (the
reply and its clauses in one batch: the encode work scoring needs), measured in the same run.

Run: .venv/bin/python bench/scoring_speed.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from scoring import get_encoder, get_model, score, score_many  # noqa: E402
from scoring.corpus import load_corpus  # noqa: E402
from scoring.features import prepare  # noqa: E402
from scoring.train import library_nodes  # noqa: E402

SAMPLE = 300


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def _texts(reply: str) -> list[str]:
    prepared = prepare(reply)
    return [prepared.whole, *prepared.clause_texts]


def main() -> None:
    """Measure and print the figures."""
    nodes = library_nodes()
    corpus = load_corpus()
    step = max(1, len(corpus) // SAMPLE)
    rows = [(e.reply, nodes[(e.scenario, e.node)].references, nodes[(e.scenario, e.node)].rubric)
            for e in corpus[::step][:SAMPLE]]
    encoder = get_encoder()
    started = time.perf_counter()
    model = get_model(encoder.name)
    print(f"model load {time.perf_counter() - started:.2f}s (version {model.version})")
    score_many(rows, encoder=encoder)  # warm: reference caches
    rounds = 2
    single, raw = [], []
    for _ in range(rounds):
        for reply, refs, rubric in rows:
            texts = _texts(reply)
            started = time.perf_counter()
            encoder.encode(texts)
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            score(reply, refs, rubric, encoder=encoder)
            single.append(time.perf_counter() - started)
    batch_per_reply, batch_raw_per_reply = [], []
    for _ in range(rounds):
        for start in range(0, len(rows) - 31, 16):
            chunk = rows[start : start + 32]
            texts = [t for reply, _, _ in chunk for t in _texts(reply)]
            started = time.perf_counter()
            encoder.encode(texts)
            batch_raw_per_reply.append((time.perf_counter() - started) / len(chunk))
            started = time.perf_counter()
            score_many(chunk, encoder=encoder)
            batch_per_reply.append((time.perf_counter() - started) / len(chunk))
    print(f"encoder {encoder.name}, {os.cpu_count()} cores, {len(rows)} corpus replies x {rounds} rounds")
    print(f"{'':28s}{'p50 ms':>10s}{'p95 ms':>10s}")
    print(f"{'score() single reply':28s}{_pct(single, 50):10.2f}{_pct(single, 95):10.2f}")
    print(f"{'raw encode, same texts':28s}{_pct(raw, 50):10.2f}{_pct(raw, 95):10.2f}")
    print(f"{'score_many() per reply, 32':28s}{_pct(batch_per_reply, 50):10.2f}{_pct(batch_per_reply, 95):10.2f}")
    print(f"{'raw encode per reply, 32':28s}{_pct(batch_raw_per_reply, 50):10.2f}{_pct(batch_raw_per_reply, 95):10.2f}")
    ratio_single = statistics.median(s / r for s, r in zip(single, raw, strict=True))
    ratio_batch = statistics.median(s / r for s, r in zip(batch_per_reply, batch_raw_per_reply, strict=True))
    print(f"overhead ratio (median of score / raw encode): single {ratio_single:.2f}, batch of 32 {ratio_batch:.2f}")


if __name__ == "__main__":
    main()
