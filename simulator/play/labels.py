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
# What decided a hit (``via``) or a blocker (``stage``); ``rule:<id>`` / ``danger:<id>`` by their prefix.
STAGE_LABELS = {
    "classifier": "分句分类器", "keyword": "关键词", "exemplar": "范例句语义匹配", "reference": "与参考答复相似",
    "trainer": "培训师复核", "node": "节点规则(经分类器确认)", "node:always": "节点规则(必定封顶)",
}
# What found a wrong fact (scoring.WrongFact.stage).
FACT_STAGE_LABELS = {
    "declared": "节点声明的事实", "misstatement": "节点声明的错误说法(语义相近)", "reference": "参考答复中的金额",
    "classifier": "分句分类器", "document": "别的情景的文件",
}
STAGE_PREFIXES = {"rule": "必查规则", "danger": "危险做法", "node": "节点规则"}


def stage_label(code: str | None) -> str:
    """The Chinese name of a scoring stage code (an unknown code is shown as it is)."""
    code = code or "keyword"
    if code in STAGE_LABELS:
        return STAGE_LABELS[code]
    prefix, _, detail = code.partition(":")
    if prefix in STAGE_PREFIXES:
        return f"{STAGE_PREFIXES[prefix]} {detail}" if detail else STAGE_PREFIXES[prefix]
    return code
