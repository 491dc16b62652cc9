"""Corrections: a trainer's verdict on a turn, applied through the play package's one score writer, audited.

A review says 评分无误 (the scorer's score stands) or 评分有误 with the band or score the trainer gives,
item and blocker verdicts and a reason. The latest review that is not blind is the one in force:
:func:`simulator.play.scores.project` rewrites the turn from the scorer's kept result and it, and
:func:`simulator.play.scores.refresh_attempt` the attempt's final score. A blind review (double
marking) is recorded for the agreement report and changes no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import scoring
from scoring import BANDS, Rubric

from ..extensions import db
from ..models import Attempt, ReviewAudit, Turn, TurnReview, User, utcnow
from ..play import scores
from ..play.content import scenario_of

MAX_REASON_CHARS = 500
# The lowest and highest score of each band (scoring.bands: 优秀 >= 85, 良好 >= 70, 合格 >= 55).
BAND_RANGES = {"优秀": (85, 100), "良好": (70, 84), "合格": (55, 69), "不合格": (0, 54)}


class ReviewError(ValueError):
    """The review cannot be recorded as given; the message (Chinese) says why. Nothing is changed."""


def score_in_band(band: str, automatic_score: int) -> int:
    """The score a trainer's band gives: the scorer's score if it is in that band, else the band's nearest end."""
    low, high = BAND_RANGES[band]
    return min(high, max(low, int(automatic_score)))


def node_rubric(attempt: Attempt, turn: Turn) -> Rubric | None:
    """The rubric the turn was scored against (its node's, in the scenario version played)."""
    node = scenario_of(attempt.content).nodes.get(turn.node)
    return Rubric.from_spec(node.rubric) if node is not None else None


@dataclass
class Verdict:
    """A review as the form gives it (strings from the request, checked by :func:`review_turn`)."""

    changed: bool
    band: str = ""
    score: str = ""
    items: Mapping[str, str] | None = None  # item id -> "1" (done) / "0" (not done) / "" (as scored)
    blockers: Mapping[str, str] | None = None
    reason: str = ""


def _marks(given: Mapping[str, str] | None, valid: set[str], automatic: set[str], what: str) -> dict[str, bool]:
    marks: dict[str, bool] = {}
    for key, value in (given or {}).items():
        if value in ("", None):
            continue
        if key not in valid or value not in ("0", "1"):
            raise ReviewError(f"本轮的评分标准里没有这个{what}:{key}")
        verdict = value == "1"
        if verdict != (key in automatic):
            marks[key] = verdict  # only the verdicts that differ from the scorer's are a correction
    return marks


def _audit(actor: User, action: str, subject: str, old: Any, new: Any, *, attempt: Attempt | None = None,
           turn: Turn | None = None, turn_id: int | None = None, note: str = "") -> None:
    db.session.add(ReviewAudit(
        actor_id=actor.id, action=action, subject=subject, old=old, new=new, note=note,
        attempt_id=attempt.id if attempt else None, turn_id=turn.id if turn else turn_id,
    ))


def review_turn(reviewer: User, attempt: Attempt, turn: Turn, verdict: Verdict, *, blind: bool = False) -> TurnReview:
    """Record a trainer's review of one turn and apply it (unless blind). Commits.

    Args:
        reviewer: The trainer (access to the attempt already checked).
        attempt, turn: The turn reviewed (it must belong to the attempt).
        verdict: 评分无误 (``changed=False``) or the correction.
        blind: A second marking made without seeing the first: recorded, applied to nothing.

    Returns:
        The review row.

    Raises:
        ReviewError: The band, score, marks or reason are not valid (nothing is changed).
    """
    if turn.attempt_id != attempt.id:
        raise ReviewError("这一轮不属于本次演练。")
    automatic = turn.automatic_breakdown
    auto_score, auto_band = int(automatic.get("score", turn.score)), automatic.get("band", turn.band)
    reason = (verdict.reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ReviewError(f"理由太长了({len(reason)} 字),请控制在 {MAX_REASON_CHARS} 字以内。")
    items: dict[str, bool] = {}
    blockers: dict[str, bool] = {}
    blocker_labels: dict[str, str] = {}
    if verdict.changed:
        score = _trainer_score(verdict, auto_score)
        rubric = node_rubric(attempt, turn)
        hit_ids = {h.get("item") for h in automatic.get("hits", [])}
        item_ids = set(rubric.item_ids) if rubric else hit_ids | {m.get("item") for m in automatic.get("misses", [])}
        found = {b.get("id") for b in automatic.get("blockers", [])}
        blocker_labels = {b.id: b.label for b in rubric.blockers} if rubric else {}
        blocker_labels.update({b.get("id"): b.get("label", "") for b in automatic.get("blockers", [])})
        items = _marks(verdict.items, item_ids, hit_ids, "要点")
        blockers = _marks(verdict.blockers, set(blocker_labels), found, "否决项")
        if not reason:
            raise ReviewError("请写明改分理由,学员会在复盘中看到。")
    else:
        score = auto_score
    review = TurnReview(
        turn_id=turn.id, attempt_id=attempt.id, reviewer_id=reviewer.id, blind=blind, changed=verdict.changed,
        auto_score=auto_score, auto_band=auto_band, score=score, band=scoring.band_for(score), items=items,
        blockers=blockers, reason=reason, created_at=utcnow(),
    )
    db.session.add(review)
    if blind:
        _audit(reviewer, "blind_review", "turn.band", auto_band, review.band, attempt=attempt, turn=turn, note=reason)
        db.session.commit()
        return review
    before = (turn.score, turn.band, _verdicts(turn.breakdown), attempt.final_score)
    correction = None
    if verdict.changed:
        correction = scores.Correction(
            score=score, items=items, blockers=blockers, blocker_labels=blocker_labels,
            reviewer=reviewer.display_name, reason=reason, at=review.created_at.isoformat(timespec="seconds"),
        )
    scores.project(turn, automatic, correction)
    scores.refresh_attempt(attempt)
    after = (turn.score, turn.band, _verdicts(turn.breakdown), attempt.final_score)
    action = "correct" if verdict.changed else "confirm"
    _audit(reviewer, action, "turn.review", None, {"changed": verdict.changed, "band": review.band},
           attempt=attempt, turn=turn, note=reason)
    for subject, old, new in zip(("turn.score", "turn.band", "turn.verdicts", "attempt.final_score"), before, after,
                                 strict=True):
        if old != new:
            _audit(reviewer, action, subject, old, new, attempt=attempt, turn=turn, note=reason)
    db.session.commit()
    return review


def _trainer_score(verdict: Verdict, auto_score: int) -> int:
    band = (verdict.band or "").strip()
    text = (verdict.score or "").strip()
    if band and band not in BANDS:
        raise ReviewError("档位只能是 优秀、良好、合格 或 不合格。")
    if text:
        if not text.isdigit() or not 0 <= int(text) <= 100:
            raise ReviewError("分数应为 0 到 100 的整数。")
        score = int(text)
        if band and scoring.band_for(score) != band:
            raise ReviewError(f"{score} 分属于{scoring.band_for(score)},与所选档位{band}不一致。")
        return score
    if not band:
        raise ReviewError("请选择档位或填写分数。")
    return score_in_band(band, auto_score)


def _verdicts(breakdown: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "hits": sorted(h.get("item", "") for h in breakdown.get("hits", [])),
        "blockers": sorted(b.get("id", "") for b in breakdown.get("blockers", [])),
    }


def confirm_rest(reviewer: User, attempt: Attempt) -> int:
    """评分无误 for every turn of the attempt nobody has reviewed yet; returns how many. Commits."""
    reviewed = set(db.session.execute(
        db.select(TurnReview.turn_id).where(TurnReview.attempt_id == attempt.id, TurnReview.blind.is_(False))
    ).scalars())
    count = 0
    for turn in attempt.turns:
        if turn.id not in reviewed:
            review_turn(reviewer, attempt, turn, Verdict(changed=False))
            count += 1
    return count


def reviews_of(attempt: Attempt, *, blind: bool | None = None) -> dict[int, list[TurnReview]]:
    """Turn id -> its reviews, oldest first (``blind``: only blind / only open ones; None: all)."""
    query = db.select(TurnReview).where(TurnReview.attempt_id == attempt.id).order_by(TurnReview.id)
    if blind is not None:
        query = query.where(TurnReview.blind.is_(blind))
    found: dict[int, list[TurnReview]] = {}
    for review in db.session.execute(query).scalars():
        found.setdefault(review.turn_id, []).append(review)
    return found


def audit_of(attempt: Attempt) -> list[ReviewAudit]:
    """The attempt's audit trail, newest first."""
    return list(db.session.execute(
        db.select(ReviewAudit).where(ReviewAudit.attempt_id == attempt.id).order_by(ReviewAudit.id.desc())
    ).scalars())
