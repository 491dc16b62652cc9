"""Explainable hybrid scoring of trainees' Chinese replies (pure Python, no Flask).

``score(reply, references, rubric)`` combines a checklist of manual-derived items (keyword and
exemplar cues, negation aware), blockers that cap the score, tone signals and the calibrated
semantic similarity to reference replies. See :mod:`scoring.engine` for the formula and bands:
优秀 >= 85, 良好 >= 70, 合格 >= 55, 不合格 below 55; any blocker caps the score at 30 or less.

Importing this package is cheap: the embedding model loads on the first call that needs it, or
ahead of time with ``warm_up()`` (for a web server, in a background thread at start).
"""

from __future__ import annotations

from scoring.builtin_rubrics import RUBRICS
from scoring.encoder import Encoder, get_encoder
from scoring.engine import BANDS, band_for, score, score_many, warm_up
from scoring.messages import SKILL_LABELS
from scoring.result import BlockerHit, Hit, Miss, ScoreResult, SemanticMatch, Tone
from scoring.rubric import Blocker, Item, Rubric, get_rubric

__all__ = [
    "BANDS",
    "RUBRICS",
    "SKILL_LABELS",
    "Blocker",
    "BlockerHit",
    "Encoder",
    "Hit",
    "Item",
    "Miss",
    "Rubric",
    "ScoreResult",
    "SemanticMatch",
    "Tone",
    "band_for",
    "get_encoder",
    "get_rubric",
    "score",
    "score_many",
    "warm_up",
]
