"""Bands: 优秀 >= 85, 良好 >= 70, 合格 >= 55, 不合格 below (``BANDS`` best first)."""

from __future__ import annotations

from scoring import messages

BANDS = (messages.BAND_EXCELLENT, messages.BAND_GOOD, messages.BAND_PASS, messages.BAND_FAIL)
BAND_THRESHOLDS = ((85, messages.BAND_EXCELLENT), (70, messages.BAND_GOOD), (55, messages.BAND_PASS))


def band_for(score: int) -> str:
    """Return the band of a 0-100 score."""
    for threshold, band in BAND_THRESHOLDS:
        if score >= threshold:
            return band
    return messages.BAND_FAIL
