"""Warm latency of the reply scorer on this machine.

Prints p50/p95 per reply for single replies (``score``) and for batches of 32 (``score_many``), and
the ratio to one raw encode of the same reply's texts (the reply and its clauses in one batch, which
is the encode work scoring needs).

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

from bench.scoring_quality import load_devset  # noqa: E402
from scoring import get_encoder, score, score_many  # noqa: E402
from scoring.engine import _prepare  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    """Measure and print the figures."""
    rows = load_devset()
    encoder = get_encoder()
    # Warm up: model load, reference and exemplar caches.
    score_many([(r["reply"], r["references"], r["rubric"]) for r in rows], encoder=encoder)

    rounds = 3
    single, raw = [], []
    for _ in range(rounds):
        for r in rows:
            texts = _prepare(r["reply"], r["references"], r["rubric"]).embed_texts
            started = time.perf_counter()
            encoder.encode(texts)
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            score(r["reply"], r["references"], r["rubric"], encoder=encoder)
            single.append(time.perf_counter() - started)

    batch_per_reply, batch_raw_per_reply = [], []
    items = [(r["reply"], r["references"], r["rubric"]) for r in rows]
    for _ in range(rounds):
        for start in range(0, len(items) - 31, 8):
            chunk = items[start : start + 32]
            texts = [t for reply, refs, rub in chunk for t in _prepare(reply, refs, rub).embed_texts]
            started = time.perf_counter()
            encoder.encode(texts)
            batch_raw_per_reply.append((time.perf_counter() - started) / len(chunk))
            started = time.perf_counter()
            score_many(chunk, encoder=encoder)
            batch_per_reply.append((time.perf_counter() - started) / len(chunk))

    print(f"model {encoder.name}, {os.cpu_count()} cores, {len(rows)} devset replies x {rounds} rounds")
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
