"""Text helpers for scoring: length-preserving normalisation, clause splitting and negation.

Every helper keeps character offsets into the original reply, so a matched span can be shown
to the trainee exactly where it was written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A few Traditional characters common in service replies, mapped one-to-one to Simplified so that
# cues written in Simplified still match (the mapping is length-preserving on purpose).
_TRAD_TO_SIMP = str.maketrans(
    "請們謝對馬師維時鐘內訪電話聯繫問題處報門說記錄會難應該給這個麼來裡務業氣開關閥別擔緊張覺幫還沒為決將後過"
    "現盡單費預約讓歡見樓層滅險煙離護聽歉閒員給專語準確認與動態協調執錯責備態樣嗎呢於從體麻煩廳訴傷壞該",
    "请们谢对马师维时钟内访电话联系问题处报门说记录会难应该给这个么来里务业气开关阀别担紧张觉帮还没为决将后过"
    "现尽单费预约让欢见楼层灭险烟离护听歉闲员给专语准确认与动态协调执错责备态样吗呢于从体麻烦厅诉伤坏该",
)

_CLAUSE_BREAK = re.compile("[,\uff0c\u3002.!\uff01?\uff1f;\uff1b:\uff1a\u3001\n\r\u2026~\uff5e]+")
_TAG = re.compile(r"<[^>]{0,200}>")

# Negation markers that turn a following cue into its opposite within the same clause.
NEGATION = re.compile(
    r"不会|不能|不可以|不可能|不用|不必|不归|不管|不负责|不予|不给|不行|不再|没法|没办法|无法|未能|没有|没空|没人|"
    r"查不到|找不到|做不到|办不到|到不了|来不了|修不了|不一定|(?<!还)不是|不要|切勿|请勿|禁止|"
    r"(?<![特分区告识级类个性差])别(?![人的处墅])"
)
# A verb followed by 不了/不到/不好/不上 negates itself ("到不了", "修不好", "排不上").
# A verb followed by 不了/不到/不上 negates itself ("到不了", "修不了", "排不上").
POST_NEGATION = re.compile(r"(?<=[\u4e00-\u9fff])不(了|上|到(?![0-9一二两三四五六七八九十半几]))")

# A concrete time: "半小时内", "20 分钟", "下午三点", "明天上午", "两个工作日".
TIME_PATTERN = (
    r"[0-9一二两三四五六七八九十半]+\s*(个)?(分钟|小时|钟头|个?工作日|天|日)|"
    r"([0-9]+|[二两三四五六七八九十]+)\s*(点钟?|点半|号)|"
    r"(今天|今晚|今日|明天|明早|明日|后天|本周|这周|下周|周[一二三四五六日天])"
    r"(上午|下午|晚上|之内|内|以内|前|中午)?"
)
TIME_EXPRESSION = re.compile(TIME_PATTERN)
MONEY = re.compile(r"([0-90-9一二两三四五六七八九十百千万]+(\.[0-9]+)?)\s*(元|块|%|%)")


def normalize(text: str) -> str:
    """Return a same-length copy of ``text`` for matching.

    Full-width forms become half-width, letters lower-case, and common Traditional characters
    Simplified; characters whose normal form would change the length are kept as they are.

    Args:
        text: The reply as written.

    Returns:
        A string of exactly ``len(text)`` characters.
    """
    chars = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        chars.append(folded.lower() if len(folded) == 1 else ch)
    return "".join(chars).translate(_TRAD_TO_SIMP)


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a reply with its offsets in the original text."""

    text: str
    start: int
    end: int


def split_clauses(text: str, max_clauses: int = 48, max_len: int = 120) -> list[Clause]:
    """Split a (normalised) reply into clauses at punctuation, keeping offsets.

    Args:
        text: Normalised reply text.
        max_clauses: Only the first clauses are returned; long inputs are cut here.
        max_len: Clauses longer than this are cut into pieces of this length.

    Returns:
        Non-empty clauses in reading order.
    """
    clauses: list[Clause] = []
    pos = 0
    for match in [*_CLAUSE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[pos:end]
        stripped = piece.strip()
        if stripped:
            offset = pos + piece.index(stripped)
            for cut in range(0, len(stripped), max_len):
                part = stripped[cut : cut + max_len]
                clauses.append(Clause(part, offset + cut, offset + cut + len(part)))
                if len(clauses) >= max_clauses:
                    return clauses
        if match:
            pos = match.end()
    return clauses


def is_negated(clause: str, start: int, end: int) -> bool:
    """Whether the cue at ``clause[start:end]`` is negated inside its clause.

    Any negation marker in the clause that does not overlap the cue negates it: Chinese puts the
    negation after a time or place phrase ("半小时内肯定到不了"), so markers after the cue count
    too. Cues that begin with their own negation ("别担心", "不要乘电梯") are not negated by it.

    Args:
        clause: The clause text.
        start: Start of the cue inside the clause.
        end: End of the cue inside the clause.

    Returns:
        True when the cue does not count.
    """
    for pattern in (NEGATION, POST_NEGATION):
        for marker in pattern.finditer(clause):
            # A marker at the very start of the cue is part of it ("别慌", "先别慌", "请勿乘梯");
            # one further inside a wide cue ("修好以后不会回访") negates it.
            if not start <= marker.start() < start + 2:
                return True
    return False


def clause_has_negation(clause: str) -> bool:
    """Whether a clause contains any negation marker (used for semantic cue matches)."""
    return bool(NEGATION.search(clause)) or bool(POST_NEGATION.search(clause))


@lru_cache(maxsize=4096)
def compile_cue(pattern: str) -> re.Pattern[str]:
    """Compile a cue: ``re:`` prefix means a regular expression, anything else a plain substring.

    Args:
        pattern: The cue as written in a rubric.

    Returns:
        A compiled pattern matching normalised text.

    Raises:
        re.error: If a ``re:`` pattern is not a valid regular expression.
    """
    if pattern.startswith("re:"):
        return re.compile(normalize(pattern[3:]))
    return re.compile(re.escape(normalize(pattern)))


def strip_tags(text: str) -> str:
    """Replace HTML-like tags by spaces of the same length (offsets stay valid)."""
    return _TAG.sub(lambda m: " " * len(m.group(0)), text)
