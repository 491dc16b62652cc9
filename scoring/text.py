"""Text helpers for scoring: length-preserving normalisation, clause splitting and negation.

Every helper keeps character offsets into the original reply, so a matched span can be shown
to the trainee exactly where it was written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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

# Negation markers: each governs the predicate next to it (see ``is_negated``).
NEGATION = re.compile(
    r"不会|不能|不可以|不可能|不可|不用|不必|不归|不管|不负责|不予|不给|不行|不再|不准|不许|(?<![舍巴了])不得(?!不)|没法|没办法|无法|未能|"
    r"没有|没空|没人|查不到|找不到|做不到|办不到|到不了|来不了|修不了|不一定|(?<!还)不是|不要|切勿|请勿|严禁|禁止|"
    r"(?<![特分区告识级类个性差])别(?![人的处墅])"
)
# A verb followed by 不了/不到/不上 negates itself ("到不了", "修不了", "排不上").
POST_NEGATION = re.compile(r"(?<=[\u4e00-\u9fff])不(了|上|到(?![0-9一二两三四五六七八九十半几]))")
# How far (in characters) a negation reaches towards a cue before or after it, and the words that
# start a new predicate and so end its reach. Forwards a new subject or 也 starts one ("不用担心我马上
# 安排", "没人接电话也会派人"); backwards a topic stays in scope across them ("赔偿方案也给不了",
# "报警的事我们也不负责"), only a conjunction ends it.
NEGATION_REACH = 8
SCOPE_BREAK = re.compile(r"也|又|而且|并且|但|不过|然后|同时|所以|因此|而是|还要|我")
BACK_SCOPE_BREAK = re.compile(r"而且|并且|但|不过|然后|同时|所以|因此|而是")
# What may stand before a cue's own negation: "千万别开", "请您先别慌" own their 别.
_OWN_PREFIX = re.compile(r"(请|您|千万|务必|一定|先|暂时|最好|切记|也|再|可)*")
# A clause that states a condition: a marker inside it ("万一查不到", "如果联系不上"), or no marker
# but a consequence right after it ("三分钟内联系不上车主,我先帮您……"). A negation inside such a
# clause is hypothetical and negates nothing; an assertive adverb makes it a statement again.
CONDITION = re.compile(r"如果|要是|万一|假如|假若|倘若|若是|一旦|如若|即使|就算|哪怕|的话")
CONSEQUENCE = re.compile(r"^(那么?|那我们?|我们?就|就|我们?先|我们?会先|先|便|则)")
ASSERTIVE = re.compile(r"肯定|确实|实在|根本|绝对|真的|都")

# Words that contain a shorter cue by accident: a blocker or rude-tone cue that starts or ends inside
# one of them is part of another word ("同事多" is not "事多", "滚动" is not "滚", "着急什么时候"
# is not "急什么"). jieba was tried for this and rejected: it loads in seconds and keeps "滚出去" as
# one word, which would hide the insult.
COMPOUND_WORDS = (
    "同事",
    "有事",
    "本事",
    "故事",
    "办事",
    "好事",
    "事情多",
    "滚动",
    "滚烫",
    "翻滚",
    "滚筒",
    "滚轮",
    "打滚",
    "滚落",
    "滚水",
    "滚梯",
    "滚珠",
    "滚雪球",
    "什么时候",
    "什么时间",
    "什么地方",
    "啥时候",
    "病人",
    "病房",
    "病情",
    "病号",
)
_COMPOUND = re.compile("|".join(re.escape(w) for w in sorted(COMPOUND_WORDS, key=len, reverse=True)))

# A concrete time: "半小时内", "20 分钟", "下午三点", "明天上午", "两个工作日".
TIME_PATTERN = (
    r"[0-9一二两三四五六七八九十半]+\s*(个)?(分钟|小时|钟头|个?工作日|天|日)|"
    r"([0-9]+|[二两三四五六七八九十]+)\s*(点钟?|点半|号)|"
    r"(今天|今晚|今日|明天|明早|明日|后天|本周|这周|下周|周[一二三四五六日天])"
    r"(上午|下午|晚上|之内|内|以内|前|中午)?"
)
TIME_EXPRESSION = re.compile(TIME_PATTERN)
MONEY = re.compile(r"([0-90-9一二两三四五六七八九十百千万]+(\.[0-9]+)?)\s*(元|块|%|%)")
# A document named by its title: 「请您填好《装修申请表》」.
DOCUMENT = re.compile(r"《([^《》\n]{1,40})》")


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


def _reaches(gap: str, breaks: re.Pattern[str] = SCOPE_BREAK) -> bool:
    return len(gap) <= NEGATION_REACH and not breaks.search(gap)


def is_negated(clause: str, start: int, end: int, *, hypothetical: bool = False, inherited: bool = False) -> bool:
    """Whether a negation governs the cue at ``clause[start:end]``.

    A negation attaches to the cue it governs, not to any cue in the clause:

    * a marker before the cue negates it when it reaches the cue: at most ``NEGATION_REACH``
      characters between them and no word that starts a new predicate (``SCOPE_BREAK``);
    * a marker inside the cue negates it ("修好以后不会回访"), except one at its start, perhaps after
      an adverb, which is the cue's own ("别慌", "请您先别慌", "千万不要扒门");
    * a marker after the cue negates it when it reaches back (``BACK_SCOPE_BREAK``), since Chinese
      puts the negated verb after a time, place or topic ("半小时内肯定到不了"); a cue that is itself a
      prohibition is a predicate of its own, so "不要扒门也不要爬出去" keeps both;
    * nothing negates inside a hypothetical clause ("万一查不到", see ``clause_contexts``);
    * ``inherited``: the clause is an item of a list that a negation governs ("不要开灯、开排气扇",
      "开灯、打火都不行").

    Args:
        clause: The clause text.
        start: Start of the cue inside the clause.
        end: End of the cue inside the clause.
        hypothetical: The clause states a condition.
        inherited: The clause is an item of a negated list.

    Returns:
        True when the cue does not count.
    """
    if hypothetical:
        return False
    markers = [m for pattern in (NEGATION, POST_NEGATION) for m in pattern.finditer(clause)]
    own = [
        m
        for m in markers
        if m.re is NEGATION and start <= m.start() < end and _OWN_PREFIX.fullmatch(clause[start : m.start()])
    ]
    if inherited and not own:
        return True
    for marker in markers:
        if marker in own:
            continue
        if marker.start() < start:
            if _reaches(clause[marker.end() : start]):
                return True
        elif marker.start() < end:
            return True
        elif not own and _reaches(clause[end : marker.start()], BACK_SCOPE_BREAK):
            return True
    return False


def clause_has_negation(clause: str) -> bool:
    """Whether a clause contains any negation marker (used for semantic cue matches)."""
    return bool(NEGATION.search(clause)) or bool(POST_NEGATION.search(clause))


@dataclass(frozen=True, slots=True)
class ClauseContext:
    """How a clause relates to its neighbours, for negation."""

    hypothetical: bool = False
    inherited: bool = False


def clause_contexts(text: str, clauses: list[Clause]) -> list[ClauseContext]:
    """Mark the clauses that state a condition and those that continue a negated list.

    Args:
        text: The normalised reply the clauses were split from.
        clauses: Its clauses, from :func:`split_clauses`.

    Returns:
        One :class:`ClauseContext` per clause.
    """
    contexts = []
    for i, clause in enumerate(clauses):
        negated = clause_has_negation(clause.text)
        hypothetical = negated and bool(CONDITION.search(clause.text))
        if negated and not hypothetical and i + 1 < len(clauses) and not ASSERTIVE.search(clause.text):
            hypothetical = bool(CONSEQUENCE.match(clauses[i + 1].text))
        inherited = False
        if i > 0 and _listed(text, clauses[i - 1], clause):
            # "不要开灯、开排气扇": the negation before the list reaches its later items.
            ends = [m.end() for pattern in (NEGATION, POST_NEGATION) for m in pattern.finditer(clauses[i - 1].text)]
            inherited = bool(ends) and _reaches(clauses[i - 1].text[max(ends) :])
        if not inherited and i + 1 < len(clauses) and _listed(text, clause, clauses[i + 1]):
            # "开灯、打火都不行": the negation after the list reaches back to its earlier items.
            following = clauses[i + 1].text
            starts = [m.start() for pattern in (NEGATION, POST_NEGATION) for m in pattern.finditer(following)]
            inherited = bool(starts) and _reaches(following[: min(starts)], BACK_SCOPE_BREAK)
        contexts.append(ClauseContext(hypothetical, inherited))
    return contexts


def _listed(text: str, first: Clause, second: Clause) -> bool:
    """Whether two neighbouring clauses are items of one list ("开灯、开排气扇")."""
    return text[first.end : second.start].strip() == "、"


def splits_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` starts or ends inside one of ``COMPOUND_WORDS``.

    Args:
        text: Normalised text.
        start: Start of a match.
        end: End of a match.

    Returns:
        True when the match cuts a longer word, so it is not the word it looks like.
    """
    lo, hi = max(0, start - 4), min(len(text), end + 4)
    for word in _COMPOUND.finditer(text, lo, hi):
        overlaps = word.start() < end and start < word.end()
        if overlaps and not (start <= word.start() and word.end() <= end):
            return True
    return False


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


def documents_named(texts: Iterable[str]) -> set[str]:
    """The titles of the documents (《…》) ``texts`` name, normalised as :func:`normalize` does."""
    return {match.group(1).strip() for text in texts for match in DOCUMENT.finditer(normalize(text))}
