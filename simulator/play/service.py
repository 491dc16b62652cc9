"""Scenario play, as one import: the public names of the play modules (kept for existing callers).

The code lives in :mod:`.attempts` (starting, access, replies, timeouts), :mod:`.scores` (the one
writer of a turn's score fields and the recomputation of what depends on them), :mod:`.presenters`
(what the pages show), :mod:`.debrief` and :mod:`.catalogue`. New code imports those directly.
"""

from __future__ import annotations

from .attempts import (
    MAX_REPLY_CHARS,
    REVIEW_LIMIT,
    Outcome,
    ReplyError,
    check_reply,
    expire_turn,
    own_attempt,
    reviewable_attempt,
    site_attempts,
    site_trainees,
    start_attempt,
    submit_reply,
)
from .catalogue import Card, catalogue
from .content import effective_limit, scenario_of, time_scale
from .debrief import Debrief, NodeAnswers, debrief, ending_reason
from .labels import BAND_CLASSES, CATEGORY_LABELS, DECIDED_LABELS, DECIDED_PREFIXES, ENDING_KIND_LABELS, MODES
from .presenters import PlayView, Segment, TurnView, decided_label, emotion_level, highlight, play_view, turn_view
from .scores import SkillResult, final_score_of, refresh_attempt, skill_profile, skill_results

__all__ = [
    "BAND_CLASSES", "CATEGORY_LABELS", "DECIDED_LABELS", "DECIDED_PREFIXES", "ENDING_KIND_LABELS", "MAX_REPLY_CHARS",
    "MODES", "REVIEW_LIMIT", "Card", "Debrief", "NodeAnswers", "Outcome", "PlayView", "ReplyError", "Segment",
    "SkillResult", "TurnView", "catalogue", "check_reply", "debrief", "decided_label", "effective_limit",
    "emotion_level", "ending_reason", "expire_turn", "final_score_of", "highlight", "own_attempt", "play_view",
    "refresh_attempt", "reviewable_attempt", "scenario_of", "site_attempts", "site_trainees", "skill_profile",
    "skill_results", "start_attempt", "submit_reply", "time_scale", "turn_view",
]
