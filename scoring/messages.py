"""Every Chinese text the scoring package shows to people, in one place.

Feedback sentences, band names, skill labels, tone labels and error messages live here so that
trainers can review the wording in one file and the engine code stays free of scattered strings.
"""

from __future__ import annotations

BAND_EXCELLENT = "优秀"
BAND_GOOD = "良好"
BAND_PASS = "合格"
BAND_FAIL = "不合格"

SKILL_LABELS: dict[str, str] = {
    "listening": "倾听",
    "empathy": "共情",
    "apology": "致歉",
    "restating": "复述确认",
    "problem_solving": "解决问题",
    "time_commitment": "时限承诺",
    "follow_up": "跟进回访",
    "calming": "安抚情绪",
    "safety": "安全指引",
    "escalation": "上报",
    "dispatch": "调度",
    "contact": "保持联系",
    "courtesy": "礼貌用语",
    "accuracy": "准确答复",
}

TONE_POLITE = "礼貌"
TONE_NEUTRAL = "中性"
TONE_CURT = "生硬"
TONE_RUDE = "粗鲁"

# Feedback fragments: the engine joins the applicable ones into one short paragraph.
FEEDBACK_EMPTY = "没有作答。请针对业主的问题给出完整回复。"
FEEDBACK_BAND = {
    BAND_EXCELLENT: "回复很到位。",
    BAND_GOOD: "回复较好,还有提升空间。",
    BAND_PASS: "回复基本合格,但要点不全。",
    BAND_FAIL: "回复不合格。",
}
FEEDBACK_BLOCKER = "出现了{label}:“{span}”,{reason}"
FEEDBACK_DONE = "做到了:{items}。"
FEEDBACK_MISSING = "还缺少:{items}。"
FEEDBACK_PARTIAL = "“{label}”只做到一半,请补全具体内容(如到场时间、单位名称)。"
FEEDBACK_TONE_RUDE = "语气生硬,避免使用“{words}”这类说法,多用“您”“请”。"
FEEDBACK_TONE_CURT = "多用“您”“请”等礼貌用语。"
FEEDBACK_SEMANTIC_LOW = "与参考答复的意思差距较大,请对照参考答复。"
FEEDBACK_WRONG_NUMBER = "答复中的“{span}”与标准答复不符,请核实后再答。"
FEEDBACK_WRONG_FACT = "“{span}”说得不对,手册的规定是:{label}。"
# An amount no reference states (stage "reference"): the references, not the manual, are the authority.
FEEDBACK_WRONG_AMOUNT = "“{span}”与参考答复不符,{label},请核实后再答。"
FEEDBACK_LIST_SEP = "、"
FACT_LEARNED = "手册里没有这样的规定,和已标注的错误说法相近,请核对手册后再答"
FEEDBACK_WRONG_FACT_LEARNED = "“{span}”{label}。"
FACT_REFERENCE_AMOUNT = "参考答复给出的金额是 {amounts}"
# A document of another procedure (stage "document"): the scenario's own documents, or none.
FACT_DOCUMENTS = "这一情景用到的是{documents}"
FACT_NO_DOCUMENTS = "这一情景的手续用不到这份文件"
FEEDBACK_WRONG_DOCUMENT = "{span}是别的手续用的文件,{label},请核对手册后再答。"  # span is the 《title》


# Error messages (the CLI and Rubric.from_spec raise these; the path part stays in ascii).
ERR_REPLY_TYPE = "reply: 回复必须是字符串"
ERR_REPLY_TOO_LONG = "reply: 回复过长({length} 字),上限为 {limit} 字"
ERR_REFERENCES_TYPE = "references: 参考答复必须是字符串列表"
ERR_UNKNOWN_RUBRIC = "未知的评分标准 {name!r},可用的有:{valid}"
ERR_SPEC_TYPE = "{path}: 评分标准必须是内置名称或映射,收到 {kind}"
ERR_SPEC_KEYS = "{path}: 不认识的字段 {keys},可用的字段有:{valid}"
ERR_SPEC_RULE = "{path}: 没有名为 {rule!r} 的必查规则(scoring/data/rules.yaml),现有规则:{valid}"
ERR_SPEC_DROP = "{path}: 要删除的条目 {item!r} 不在 {base} 中,现有条目:{valid}"
ERR_SPEC_WEIGHT_ITEM = "{path}: 要调整权重的条目 {item!r} 不存在,现有条目:{valid}"
ERR_SPEC_WEIGHT = "{path}: 权重必须是 0 到 10 之间的正数,收到 {value!r}"
ERR_SPEC_FIELD = "{path}: 缺少必填字段 {field}"
ERR_SPEC_STR = "{path}: 必须是非空字符串"
ERR_SPEC_LIST = "{path}: 必须是字符串列表"
ERR_SPEC_SKILL = "{path}: 未知的技能标签 {skill!r},可用的有:{valid}"
ERR_SPEC_DUP = "{path}: 条目 id {item!r} 重复"
ERR_SPEC_ID = "{path}: 条目 id 只能包含小写字母、数字和下划线,收到 {item!r}"
ERR_SPEC_REGEX = "{path}: 正则表达式无效({error})"
ERR_SPEC_NO_CUES = "{path}: 条目至少需要一个关键词或范例句"
ERR_SPEC_EMPTY = "{path}: 删除后评分标准没有任何条目"
ERR_SPEC_BLOCKER_ID = "{path}: 未知的严重问题类型 {blocker!r},可用的有:{valid}"
ERR_SPEC_CAP = "{path}: 封顶分必须是 0 到 {limit} 之间的整数,收到 {value!r}"
ERR_SPEC_FACT_EMPTY = "{path}: 事实至少要给出 accept(正确的数字)、wrong(必错的原话)或 misstatements(常见错误说法)之一"
ERR_SPEC_EMPTY_MATCH = "{path}: 关键词不能匹配空字符串"
ERR_CLI_JSON = "第 {line} 行不是合法的 JSON:{error}"
ERR_CLI_OBJECT = "第 {line} 行必须是 JSON 对象"
ERR_CLI_FIELD = "第 {line} 行:{error}"
ERR_CLI_NODE = "第 {line} 行:情景库里没有情景 {scenario!r} 的节点 {node!r}"

# A short reply scored once per built-in rubric by ``warm_up`` (never shown to anyone).
WARM_UP_REPLY = "您好,请您别着急,我马上安排师傅半小时内上门处理,处理完给您回访。"

EXPLAIN_HEADER = "得分 {score} / 100({band}),判定依据:{decided_by}"
EXPLAIN_SEMANTIC = "语义:最接近参考答复 {index}(相似度 {raw:.2f},校准后 {calibrated:.2f})"
EXPLAIN_HITS = "命中要点:"
EXPLAIN_MISSES = "缺少要点:"
EXPLAIN_BLOCKERS = "严重问题:"
EXPLAIN_TONE = "语气:{label}"
EXPLAIN_FEEDBACK = "反馈:{feedback}"
EXPLAIN_ERROR = "第 {line} 行出错:{error}"
