"""How unsure the scorer was of a turn, from what its breakdown records (pure: no Flask, no database).

Three signals, each 0..1, and the reasons a trainer reads beside them:

* **boundary**: the grade model's 0-3 prediction (``grade``) close to a band boundary (0.5, 1.5, 2.5
  map to 55, 70, 85); on the checklist path, the score close to 55/70/85.
* **evidence**: the share of rubric items whose classifier confidence lies in the unsure middle
  (0.3-0.7), for hits and misses alike.
* **disagreement**: stages that do not agree: a cap (blocker, rule, wrong fact) moved the score to
  another band than the grade model's, a blocker on a reply the grade model rates 良好 or better,
  or the share of items done far from what the grade says.

``priority = 0.5 boundary + 0.25 evidence + 0.25 disagreement``; the queue shows turns with the
highest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scoring import band_for
from scoring.model import grade_to_score

GRADE_BOUNDARIES = (0.5, 1.5, 2.5)
SCORE_BOUNDARIES = (55, 70, 85)
UNSURE = (0.3, 0.7)
_BAND_RANK = {"不合格": 0, "合格": 1, "良好": 2, "优秀": 3}


@dataclass(frozen=True)
class Uncertainty:
    """How unsure the scorer was of one turn, and why (Chinese reasons)."""

    priority: float
    boundary: float
    evidence: float
    disagreement: float
    reasons: list[str] = field(default_factory=list)


def uncertainty(breakdown: dict[str, Any]) -> Uncertainty:
    """The uncertainty of one scored turn (its automatic breakdown)."""
    reasons: list[str] = []
    grade = breakdown.get("grade")
    score = int(breakdown.get("score", 0))
    band = breakdown.get("band") or band_for(score)
    if isinstance(grade, (int, float)):
        distance = min(abs(float(grade) - b) for b in GRADE_BOUNDARIES)
        boundary = max(0.0, 1.0 - distance / 0.5)
        if distance < 0.2:
            reasons.append(f"预测等级 {float(grade):.2f} 接近档位分界")
    else:
        distance = min(abs(score - b) for b in SCORE_BOUNDARIES)
        boundary = max(0.0, 1.0 - distance / 7.5)
        if distance <= 3:
            reasons.append(f"得分 {score} 接近档位分界")

    hits, misses = breakdown.get("hits", []), breakdown.get("misses", [])
    confidences = [float(h.get("confidence") or 0.0) for h in hits if h.get("via") == "classifier"]
    confidences += [float(m.get("confidence") or 0.0) for m in misses]
    unsure = [c for c in confidences if UNSURE[0] <= c <= UNSURE[1]]
    evidence = len(unsure) / len(confidences) if confidences else 0.0
    if unsure:
        reasons.append(f"{len(unsure)} 个要点判定把握不大(置信度 0.3–0.7)")

    disagreement = 0.0
    if isinstance(grade, (int, float)) and breakdown.get("decided_by") != "default":
        model_band = band_for(grade_to_score(float(grade)))
        if model_band != band:
            disagreement = max(disagreement, 1.0)
            reasons.append(f"评分模型判为{model_band},封顶规则改为{band}")
        if breakdown.get("blockers") and float(grade) >= 1.5:
            disagreement = max(disagreement, 1.0)
            reasons.append("出现否决项,但评分模型认为回复不差")
        if hits or misses:
            done = len(hits) / (len(hits) + len(misses))
            gap = abs(done - float(grade) / 3.0)
            if gap > 0.5:
                disagreement = max(disagreement, min(1.0, gap))
                reasons.append(f"要点完成 {len(hits)}/{len(hits) + len(misses)} 与总体等级不一致")
    priority = 0.5 * boundary + 0.25 * evidence + 0.25 * disagreement
    return Uncertainty(round(priority, 3), round(boundary, 3), round(evidence, 3), round(disagreement, 3), reasons)
