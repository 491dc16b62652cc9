"""Explainable scoring of trainees' Chinese replies, learned from graded examples (pure Python, no Flask).

``score(reply, references, rubric)`` runs the ordered pipeline of :mod:`scoring.pipeline` for the
role-play rubrics: must-never-miss rules, clause classifiers trained on the blind-graded corpus in
``scoring/data``, similarity to the references, node facts and dangers, and a grade model mapped to
0-100 (优秀 >= 85, 良好 >= 70, 合格 >= 55, 不合格 below; any blocker means 不合格, a wrong fact at most
合格). Rubrics the learned scorer does not cover (quiz key points) use the checklist formula of
:mod:`scoring.engine`. ``python -m scoring train`` builds the model; :mod:`scoring.learn` retrains
it from trainers' corrections.

Importing this package is cheap: the embedding model loads on the first call that needs it, or
ahead of time with ``warm_up()`` (for a web server, in a background thread at start).
"""

from __future__ import annotations

from scoring.bands import BANDS, band_for
from scoring.builtin_rubrics import RUBRICS
from scoring.encoder import Encoder, get_encoder
from scoring.engine import score, score_many, warm_up
from scoring.messages import SKILL_LABELS
from scoring.model import ScorerModel, get_model
from scoring.result import BlockerHit, Hit, Miss, ScoreResult, SemanticMatch, Tone, WrongFact, fact_sentence
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
    "ScorerModel",
    "SemanticMatch",
    "Tone",
    "WrongFact",
    "band_for",
    "fact_sentence",
    "get_encoder",
    "get_model",
    "get_rubric",
    "score",
    "score_many",
    "warm_up",
]
