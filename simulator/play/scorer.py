"""Which scorer scores new replies: the version trainers' examples made current, or the repository's.

Retrained models live in ``SCORER_FOLDER`` (default ``instance/scorer/<row id>-<version>/``) and the
``scorer_version`` table says which one is active. Every process checks that table when it scores
(one indexed query) and loads the active folder once, so all web workers switch together when a
trainer saves an example. Without an active row, or when its folder is gone (a fresh clone with a
restored database), the repository's model is used (:func:`scoring.get_model`) until the scorer is
retrained from the saved examples, which the database keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from threading import Lock
from typing import Any

from flask import Flask, current_app

from scoring import ScoreResult, ScorerModel, get_encoder, score_many

from ..extensions import db
from ..models import ScorerVersion

log = logging.getLogger(__name__)
_loaded: dict[str, ScorerModel] = {}
_lock = Lock()


def scorer_folder(app: Flask | None = None) -> Path:
    """Where retrained scorers are saved."""
    app = app or current_app
    return Path(app.config.get("SCORER_FOLDER") or Path(app.instance_path) / "scorer")


def active_version() -> ScorerVersion | None:
    """The active retrained scorer's row, if any."""
    return db.session.execute(
        db.select(ScorerVersion).where(ScorerVersion.active.is_(True)).order_by(ScorerVersion.id.desc()).limit(1)
    ).scalar_one_or_none()


def load_version(row: ScorerVersion) -> ScorerModel | None:
    """The model of a ``scorer_version`` row, loaded once per process; None when its folder is missing."""
    key = f"{row.id}:{row.version}"
    with _lock:
        if key in _loaded:
            return _loaded[key]
    try:
        model = ScorerModel.load(scorer_folder() / row.folder)
    except (FileNotFoundError, ValueError):
        log.warning("scorer %s (%s) is not on disk here; scoring with the repository's model", row.version, row.folder)
        return None
    with _lock:
        _loaded.clear()  # one retrained model in memory at a time
        _loaded[key] = model
    return model


def active_model() -> ScorerModel | None:
    """The model new replies are scored with (None: the repository's, from :func:`scoring.get_model`)."""
    row = active_version()
    model = load_version(row) if row is not None else None
    if model is not None and model.encoder != get_encoder().name:
        return None  # a model is only valid with the encoder it was trained on
    return model


def score_reply(reply: str, references: Sequence[str], rubric: Any) -> ScoreResult:
    """Score one reply as play does: with the active model (authoring's 试评分 and regression examples too)."""
    return score_many([(reply, references, rubric)], model=active_model())[0]
