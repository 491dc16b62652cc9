"""Chinese labels for the review audit: what was changed (its subject) and the old and new values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUBJECT_LABELS = {
    "turn.review": "复核结论", "turn.score": "本轮得分", "turn.band": "本轮档位", "turn.verdicts": "要点与否决项判定",
    "attempt.final_score": "综合得分", "scorer.version": "评分模型版本", "scorer_example.example": "评分样例",
    "scorer_example.reference": "参考答复",
}
ACTION_LABELS = {
    "confirm": "评分无误", "correct": "改分", "blind_review": "盲评", "promote": "设为样例", "save": "保存",
    "discard": "放弃", "activate": "启用",
}
STATUS_LABELS = {"pending": "待确认", "saved": "已保存", "discarded": "已放弃"}


def subject_label(subject: str) -> str:
    return SUBJECT_LABELS.get(subject, subject)


def audit_value(subject: str, value: Any, names: Mapping[str, str] | None = None) -> str:
    """An audit value as a trainer reads it; ``names`` maps rubric item and blocker ids to their labels."""
    names = names or {}
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        if subject == "turn.verdicts":
            hits = "、".join(names.get(i, i) for i in value.get("hits") or []) or "无"
            blockers = "、".join(names.get(b, b) for b in value.get("blockers") or []) or "无"
            return f"做到:{hits};否决项:{blockers}"
        if subject == "turn.review":
            band = value.get("band", "")
            return f"评分有误,改为{band}" if value.get("changed") else f"评分无误({band})"
        if subject.startswith("scorer_example."):
            return f"样例 {value.get('example', '')},评定等级 {value.get('grade', '')}"
        return ";".join(f"{key}:{item}" for key, item in value.items())
    if isinstance(value, str) and value in STATUS_LABELS:
        return STATUS_LABELS[value]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float) and subject in ("turn.score", "attempt.final_score"):
        return f"{value} 分"
    return str(value)
