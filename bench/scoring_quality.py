"""Measure the reply scorer against the graded devset (scoring/devset/devset.yaml).

Prints, for the hybrid scorer and the embedding-only baseline (best cosine similarity to a
reference) measured in the same run: Spearman correlation with the grades, within-situation
pairwise accuracy, and the hard-case results.

Run: .venv/bin/python bench/scoring_quality.py [--details]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from scoring import get_encoder, score_many  # noqa: E402

DEVSET = ROOT / "scoring" / "devset" / "devset.yaml"
REFUSAL_TAGS = {"refusal", "negated"}


def load_devset(path: Path = DEVSET) -> list[dict]:
    """Flatten the devset into one row per graded reply."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for situation in data["situations"]:
        for reply in situation["replies"]:
            rows.append(
                {
                    "situation": situation["id"],
                    "rubric": situation["rubric"],
                    "references": situation["references"],
                    "reply": reply["text"],
                    "grade": int(reply["grade"]),
                    "hard": reply.get("hard", ""),
                }
            )
    return rows


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman rank correlation with average ranks for ties."""
    ra, rb = _ranks(np.asarray(a, dtype=float)), _ranks(np.asarray(b, dtype=float))
    return float(np.corrcoef(ra, rb)[0, 1])


def pairwise(rows: list[dict], scores: list[float]) -> float:
    """Share of within-situation pairs with different grades ordered correctly (ties count half)."""
    good = total = 0.0
    for i, a in enumerate(rows):
        for j in range(i + 1, len(rows)):
            b = rows[j]
            if a["situation"] != b["situation"] or a["grade"] == b["grade"]:
                continue
            total += 1
            hi, lo = (i, j) if a["grade"] > b["grade"] else (j, i)
            if scores[hi] > scores[lo]:
                good += 1
            elif scores[hi] == scores[lo]:
                good += 0.5
    return good / total


def hard_cases(rows: list[dict], scores: list[float]) -> tuple[int, int, list[str]]:
    """Hard refusals scored below every grade >= 2 reply of their situation."""
    passed = total = 0
    failures = []
    for i, row in enumerate(rows):
        if row["hard"] not in REFUSAL_TAGS:
            continue
        total += 1
        rivals = [scores[j] for j, r in enumerate(rows) if r["situation"] == row["situation"] and r["grade"] >= 2]
        if all(scores[i] < s for s in rivals):
            passed += 1
        else:
            failures.append(f"{row['situation']}: {scores[i]:.3g} vs min {min(rivals):.3g} «{row['reply'][:30]}»")
    return passed, total, failures


def tag_means(rows: list[dict], scores: list[float], scale: float) -> dict[str, str]:
    """Mean score per hard tag, next to the mean of grade-2+ replies of the same situations."""
    out = {}
    for tag in ("refusal", "negated", "polite_empty", "rude_correct", "no_time"):
        idx = [i for i, r in enumerate(rows) if r["hard"] == tag]
        if not idx:
            continue
        sits = {rows[i]["situation"] for i in idx}
        good = [scores[j] for j, r in enumerate(rows) if r["situation"] in sits and r["grade"] >= 2 and not r["hard"]]
        mean = np.mean([scores[i] for i in idx]) * scale
        out[tag] = f"n={len(idx):2d} mean {mean:5.1f}  (clean grade>=2: {np.mean(good) * scale:5.1f})"
    return out


def main() -> None:
    """Score the devset with both methods and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="print every reply with its score")
    args = parser.parse_args()

    rows = load_devset()
    encoder = get_encoder()
    started = time.perf_counter()
    results = score_many([(r["reply"], r["references"], r["rubric"]) for r in rows], encoder=encoder)
    elapsed = time.perf_counter() - started
    hybrid = [float(r.score) for r in results]
    baseline = []
    for row in rows:
        ref = encoder.encode_cached(row["references"])
        baseline.append(float((encoder.encode([row["reply"]]) @ ref.T).max()))
    grades = [r["grade"] for r in rows]

    print(f"devset: {len(rows)} replies, {len({r['situation'] for r in rows})} situations, model {encoder.name}")
    print(f"hybrid scored in {elapsed:.2f} s (first call includes model load)")
    print(f"{'':22s}{'hybrid':>10s}{'embedding-only':>18s}")
    print(f"{'Spearman':22s}{spearman(hybrid, grades):10.3f}{spearman(baseline, grades):18.3f}")
    print(f"{'pairwise accuracy':22s}{pairwise(rows, hybrid):10.3f}{pairwise(rows, baseline):18.3f}")
    hp, ht, hfail = hard_cases(rows, hybrid)
    bp, bt, bfail = hard_cases(rows, baseline)
    print(f"{'hard refusals below':22s}{f'{hp}/{ht}':>10s}{f'{bp}/{bt}':>18s}   (each grade>=2 reply of the situation)")
    print("hard-case means (hybrid score 0-100 | baseline similarity x100):")
    hm, bm = tag_means(rows, hybrid, 1.0), tag_means(rows, baseline, 100.0)
    for tag in hm:
        print(f"  {tag:13s} hybrid {hm[tag]}")
        print(f"  {'':13s} base   {bm[tag]}")
    for failure in hfail:
        print("  hybrid miss:", failure)
    if args.details:
        for row, res, base in zip(rows, results, baseline, strict=True):
            print(
                f"{row['situation']:18s} g{row['grade']} {res.score:3d} {res.band:3s} b{base:.2f} "
                f"{res.decided_by:16s} {','.join(sorted(res.hit_ids)):45s} {','.join(sorted(res.blocker_ids)):12s} "
                f"{row['hard']:12s} {row['reply'][:40]}"
            )


if __name__ == "__main__":
    main()
