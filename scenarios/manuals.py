"""Checking citations against the training manuals.

A section title counts as cited correctly when it appears in the manual once both are normalised:
whitespace and punctuation removed, full-width forms folded, the scraping artefact "(wù)" dropped,
and Traditional characters folded to Simplified (manual 001 is in Traditional characters while our
content is written in Simplified).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path

# Traditional -> Simplified pairs for every character of manual 001 whose forms differ.
_T2S_PAIRS = (
    "來来個个們们備备傳传傷伤傾倾僅仅價价儀仪優优儲储內内別别創创劃划動动務务勵励匯汇區区協协員员"
    "問问單单嚴严圍围圖图團团執执堅坚報报場场壓压夠够妝妆實实審审將将專专尋寻對对導导層层屬属帶带"
    "幫帮庫库張张強强從从復复徹彻悅悦態态懇恳應应戰战戶户掛挂損损擁拥擇择擊击擔担據据擾扰撫抚數数"
    "斷断時时暫暂書书會会條条業业極极構构樂乐標标機机檔档檢检權权歸归氣气沒没況况決决滲渗滿满潔洁"
    "潛潜為为無无熱热營营爭争獲获現现產产當当發发監监確确礎础禮礼種种稱称積积穩稳競竞節节簡简約约"
    "紙纸級级細细結结絕绝給给統统經经維维網网緒绪線线編编緩缓縮缩總总繼继續续糾纠聞闻聯联聲声職职"
    "聽听腦脑與与興兴舉举處处號号術术裝装見见規规視视親亲覽览觀观觸触訓训記记訪访設设訴诉評评詢询"
    "話话詳详認认語语誠诚誤误說说調调談谈諉诿請请論论諧谐諾诺謝谢證证識识護护讀读變变讓让負负貫贯"
    "責责費费資资質质贏赢踐践蹤踪軟软載载輔辅輯辑轉转辭辞辯辩這这連连進进運运過过達达遞递適适選选"
    "還还邏逻鈴铃錄录鍵键鑄铸長长門门閉闭開开間间閱阅關关闡阐陳陈隊队隨随隱隐雜杂離离電电靜静韌韧"
    "響响頁页項项順顺須须預预領领頭头題题類类顧顾飾饰養养饋馈驗验驟骤體体點点齊齐範范溝沟溫温準准"
    "環环異异徑径針针"
)
_T2S = str.maketrans(_T2S_PAIRS[0::2], _T2S_PAIRS[1::2])
_PINYIN_ARTEFACT = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Fold a text for citation matching (see module docstring)."""
    text = _PINYIN_ARTEFACT.sub("", text)
    text = unicodedata.normalize("NFKC", text).lower().translate(_T2S)
    return _NOT_WORD.sub("", text)


@cache
def _manual_text(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))


def check_source(
    file: str, section: str, manuals_dir: Path, extra: Mapping[str, str] | None = None
) -> str | None:
    """Check one citation.

    Args:
        file: The manual's file name, e.g. ``002_0eb62db7ee6f7331.txt``.
        section: The cited section title.
        manuals_dir: Directory holding the manuals.
        extra: More citable sources by file name -> their text (a site's uploaded documents); they
            are checked exactly like the manuals.

    Returns:
        None when the citation is good, else a message saying what is wrong.
    """
    if "/" in file or "\\" in file:
        return f"file 只写文件名,不带路径: '{file}'"
    if extra and file in extra:
        text = normalise(extra[file])
    else:
        path = manuals_dir / file
        if not path.is_file():
            known = sorted(p.name for p in manuals_dir.glob("*.txt")) if manuals_dir.is_dir() else []
            known += sorted(extra or {})
            return f"找不到手册文件 '{file}',可选: {', '.join(known) or '(手册目录不存在)'}"
        text = _manual_text(path)
    wanted = normalise(section)
    if not wanted:
        return "section 为空"
    if wanted not in text:
        return f"章节 '{section}' 在 {file} 中找不到(请照手册原文抄写章节标题)"
    return None


def check_quote(file: str, quote: str, manuals_dir: Path, extra: Mapping[str, str] | None = None) -> str | None:
    """Check that a citation's ``quote`` is the cited manual's own words (spacing, punctuation,
    traditional characters and pinyin artefacts ignored, as for sections).

    Returns:
        None when the quote is in the file (or the file cannot be read: :func:`check_source` reports
        that), else a message saying what is wrong.
    """
    wanted = normalise(quote)
    if not wanted:
        return "quote 为空"
    if extra and file in extra:
        text = normalise(extra[file])
    else:
        path = manuals_dir / file
        if "/" in file or "\\" in file or not path.is_file():
            return None
        text = _manual_text(path)
    if wanted not in text:
        return f"引文「{quote}」在 {file} 中找不到(请照手册原文抄写)"
    return None


# Headings the layout cannot show to be empty: 002 line 18 is followed directly by the next
# chapter's title (贴心管家定义与职责), which reads exactly like a sub-heading would.
UNTEXTED_HEADINGS: dict[str, frozenset[str]] = {
    "002_0eb62db7ee6f7331.txt": frozenset({normalise("突发事件应对及危机公关意识培养")}),
}
_TOC_LEADER = re.compile(r"^[》」”\"'\s]*(…|\.{3}|·{3})")
_TOC_ENTRY_AFTER = re.compile(r"^[》」”\"'\s]*《[^,。;:!?，；：！？]{1,40}?》\s*(…|\.{3})")
_TOC_HEADING = normalise("目录")


@cache
def _folded_with_offsets(path: Path) -> tuple[str, str, tuple[int, ...]]:
    """The manual's raw text (pinyin artefacts removed), its folded form, and for each folded
    character the offset of the raw character it came from."""
    raw = _PINYIN_ARTEFACT.sub("", path.read_text(encoding="utf-8"))
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(raw):
        for piece in normalise(char):
            folded.append(piece)
            offsets.append(index)
    return raw, "".join(folded), tuple(offsets)


def section_has_text(file: str, section: str, manuals_dir: Path) -> bool:
    """Whether a cited heading has text under it, or is only a title.

    Manual 003 is a table of contents for most of its chapters: a title such as
    「灾害天气及突发停电停水客服工作指引」 occurs only as a contents entry, followed by its dot
    leader and page number (or, for a part title like 「客户服务篇」, by the next entry). A heading
    counts as empty when every occurrence is such an entry, or when it is listed in
    ``UNTEXTED_HEADINGS``. The contents heading 「目录」 itself has the contents under it.

    Args:
        file: The manual's file name (as in a citation).
        section: The cited heading.
        manuals_dir: Directory holding the manuals.

    Returns:
        True when some occurrence has text after it, or when the citation cannot be checked (a
        missing file or section is reported by :func:`check_source`).
    """
    path = manuals_dir / file
    wanted = normalise(section)
    if not wanted or not path.is_file() or wanted == _TOC_HEADING:
        return True
    if wanted in UNTEXTED_HEADINGS.get(file, frozenset()):
        return False
    raw, folded, offsets = _folded_with_offsets(path)
    start = folded.find(wanted)
    if start < 0:
        return True
    while start >= 0:
        after = raw[offsets[start + len(wanted) - 1] + 1 :][:80]
        if not (_TOC_LEADER.match(after) or _TOC_ENTRY_AFTER.match(after)):
            return True
        start = folded.find(wanted, start + 1)
    return False


_NUMBERED_LINE = re.compile(
    r"^(第[一二三四五六七八九十百零\d]+[章节条部分篇]|[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]"
    r"|\d+(\.\d+)*[、.．\s]|#+\s)"
)
_END_PUNCT = "。,,;;::!!??、"
# A contents entry 《title》 followed by its dot leader (manual 003), and a part title (基础常识篇) right
# before the first entry of its part.
_TOC_ENTRY = re.compile(r"《([^《》,。;:!?，；：！？\s]{2,40})》\s*(?:…|\.{3}|·{3})")
_TOC_PART = re.compile(r"(?:目录)?([\u4e00-\u9fff]{2,8}篇)(?=《)")
# A numbered heading run into the text (manual 001): a chapter title, or a numbered title directly
# followed by its first sub-heading. A leaf heading runs on into its body text with nothing to mark
# where the title ends, so it is not guessed.
_RUN_IN_HEADING = re.compile(
    r"(第[一二三四五六七八九十]+章[:：][^。,，;；:：!?！？]{2,30}?|\d+\.\d+(?:\.\d+)?[^\d。,，;；:：!?！？]{2,30}?)"
    r"(?=\d+\.\d+)"
)
# Lines of the document sites' wrapping, not of the manual.
_BOILERPLATE = re.compile(r"文档|文檔|评论|評論|下载|下載|温馨提示|溫馨提示|汇报人|\d+/\d+|_第\d+[页頁]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def text_headings(text: str) -> list[str]:
    """Headings in plain text, in order: numbered lines (第一章, 一、, 1.2, #) and short lines without
    end punctuation. Used for uploaded sources and, with :func:`manual_headings`, for the manuals."""
    headings: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not 2 <= len(line) <= 40 or line[-1] in _END_PUNCT:
            continue
        if _NUMBERED_LINE.match(line) or len(line) <= 20:
            title = line.lstrip("#").strip()
            if title and title not in headings:
                headings.append(title)
    return headings


@cache
def _manual_headings(path: Path) -> tuple[str, ...]:
    raw = _PINYIN_ARTEFACT.sub("", path.read_text(encoding="utf-8"))
    found: list[str] = []
    for title in text_headings(raw):
        # a heading line has Chinese in it and no bullet or gap inside (those are slide fragments)
        if len(_CJK.findall(title)) >= 2 and not re.search(r"[•\s,]", title) and not _BOILERPLATE.search(title):
            found.append(title)
    found += [m.group(1) for m in _TOC_PART.finditer(raw)]
    found += [m.group(1) for m in _TOC_ENTRY.finditer(raw)]
    found += [m.group(1) for m in _RUN_IN_HEADING.finditer(raw)]
    seen: set[str] = set()
    unique: list[str] = []
    for title in found:
        if normalise(title) not in seen:
            seen.add(normalise(title))
            unique.append(title)
    return tuple(unique)


def manual_headings(file: str, manuals_dir: Path) -> list[str]:
    """The headings found in a shipped manual, in the order they first appear.

    The manuals are scraped documents without markup, so this finds what the layout shows: heading
    lines (manuals 000 and 002), contents entries and part titles (003), and numbered titles run into
    the text (001). Whether a heading has text under it is :func:`section_has_text`'s business.

    Args:
        file: The manual's file name.
        manuals_dir: Directory holding the manuals.

    Returns:
        The headings as written in the manual (Traditional characters stay as they are); empty when
        the file does not exist.
    """
    path = manuals_dir / file
    return list(_manual_headings(path)) if path.is_file() else []
