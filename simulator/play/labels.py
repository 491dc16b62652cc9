"""Labels the play pages show (Chinese), kept in one place."""

from __future__ import annotations

MODES = {"practice": "练习", "assessment": "考核"}
CATEGORY_LABELS = {"complaint": "投诉处理", "emergency": "应急处置", "inquiry": "咨询答复"}
ENDING_KIND_LABELS = {"resolved": "圆满解决", "escalated": "矛盾升级", "timed_out": "响应超时"}
BAND_CLASSES = {"优秀": "ok", "良好": "ok", "合格": "warn", "不合格": "bad"}
DECIDED_LABELS = {
    "model": "评分模型(从已评分的语料中学习)综合判定",
    "checklist": "要点清单",
    "default": "未作答或无法判定,按默认处理",
    "trainer": "培训师复核改分",
}
DECIDED_PREFIXES = {
    "blocker": "否决项封顶", "rule": "必查规则封顶", "fact": "事实有误,最高合格", "semantic": "与参考答复的相似度",
    "correction": "培训师对相同回复的改分",
}
