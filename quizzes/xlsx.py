"""Excel (XLSX) import and export, one row per question, Chinese header row.

Columns (sheet 题库; order free on import, matched by header text):

========== ==================================================================================
题目ID      id (letters, digits, ``. _ -``), unique in the file
题型        单选 / 多选 / 判断 / 填空 / 排序 / 简答
主题        topic name (one of the bank topics)
难度        1 / 2 / 3
题干        the stem (填空: one ``____`` where the blank is)
选项A–选项H  单选/多选: the options; 排序: the items (any order, see 答案)
答案        单选 ``B``; 多选 ``A,C``; 判断 对/错; 填空 accepted answers separated by ``|``;
           排序 the correct order as letters (``C,A,B``; empty = the order listed); 简答 the reference answer
要点        简答: key points, one per line (or separated by ``|``)
解析        explanation shown after answering
来源文件    manual file, e.g. ``003_155df04f83bb14c9.txt``
来源章节    section title as it appears in the manual
扩展(JSON)  anything the columns cannot say (Moodle weights, per-option feedback ...); export fills it
========== ==================================================================================

Import is all-or-nothing: every row is checked and :class:`BankImportError` lists the problems (the
first :data:`MAX_LISTED_ERRORS`, then how many more) with their row number and column; nothing is
returned unless the whole sheet is valid. :func:`read_sheet` reads within :class:`SheetLimits`: the
unpacked size and the sheet's declared dimension are checked before any row is built, and reading
stops at the row, column and cell caps (issue 14.7), so a small crafted file cannot exhaust memory.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from contentio import Problem

from .bank import TOPICS
from .types import (
    LETTERS,
    QUESTION_TYPES,
    TYPE_LABELS,
    Question,
    ValidationError,
    XlsxRow,
    letter,
    question_from_dict,
    type_for_label,
)

# The 来源文件 cell of a question whose source is general practice no manual contains.
GENERAL_SOURCE_FILE = "(手册未收录)"

SHEET_NAME = "题库"
OPTION_HEADERS = [f"选项{c}" for c in LETTERS]
HEADERS: list[str] = [
    "题目ID",
    "题型",
    "主题",
    "难度",
    "题干",
    *OPTION_HEADERS,
    "答案",
    "要点",
    "解析",
    "来源文件",
    "来源章节",
    "扩展(JSON)",
]
REQUIRED_HEADERS = ("题目ID", "题型", "主题", "难度", "题干", "答案", "解析")
_FIELD_COLUMN = {
    "id": "题目ID",
    "type": "题型",
    "topic": "主题",
    "difficulty": "难度",
    "stem": "题干",
    "options": "选项",
    "items": "选项",
    "answer": "答案",
    "accepted": "答案",
    "reference": "答案",
    "key_points": "要点",
    "explanation": "解析",
    "source": "来源文件/来源章节",
    "source.file": "来源文件",
    "source.section": "来源章节",
}

MAX_LISTED_ERRORS = 50  # an import lists this many problems, then says how many more (the page stays small)
MAX_MESSAGE_CHARS = 300
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_JSON_DEPTH = 20
EXCEL_MAX_ROWS = 1_048_576
# C0 controls except tab, line feed and carriage return; DEL; C1 controls. Invisible, and most of them
# cannot be written to XLSX at all (openpyxl refuses them), so one such character would break every export.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class SheetError(ValueError):
    """The file cannot be read as a sheet within the limits; the message says why, in Chinese."""


@dataclass(frozen=True)
class SheetLimits:
    """Caps for reading an uploaded sheet (checked before anything is built from it)."""

    max_rows: int = 2000  # data rows, the header row not counted
    max_columns: int = 40
    max_cell_chars: int = MAX_CELL_CHARS
    max_unpacked_bytes: int = 40 * 1024 * 1024


def control_character(text: str) -> str | None:
    """The first control character in ``text`` as ``U+0001``, or None."""
    found = CONTROL_CHARS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (an error message must not echo a 30,000-character cell)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_depth(text: str) -> int:
    """How deeply ``[`` / ``{`` nest in JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_json_object(text: str, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """Parse a JSON object from an uploaded file, refusing deep nesting before the parser recurses.

    Raises:
        ValueError: not JSON, not an object, or nested deeper than ``max_depth`` (message in Chinese).
    """
    if json_depth(text) > max_depth:
        raise ValueError(f"JSON 嵌套超过 {max_depth} 层")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"不是合法的 JSON: {error.msg}") from error
    except RecursionError as error:  # pragma: no cover - json_depth catches this first
        raise ValueError(f"JSON 嵌套超过 {max_depth} 层") from error
    if not isinstance(data, dict):
        raise ValueError("应为 JSON 对象 {...}")
    return data


def read_sheet(data: bytes, limits: SheetLimits, sheet_name: str | None = None) -> list[tuple[Any, ...]]:
    """The rows of one sheet (header row first) as tuples of cell values, read within ``limits``.

    The zip's unpacked size and the sheet's declared dimension are checked before any row is built;
    rows are read in openpyxl's read-only mode, at most ``max_columns`` wide, and reading stops at the
    first non-empty row past ``max_rows``.

    Args:
        data: the file's bytes.
        limits: the caps.
        sheet_name: the sheet to read when present (else the first).

    Raises:
        SheetError: not an XLSX file, corrupt, or over a cap (message in Chinese).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise SheetError(
            "无法读取 XLSX 文件:不是有效的 Excel 工作簿(无法解压),请在 Excel 中“另存为 .xlsx”后重试。"
        ) from error
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes or len(members) > 10_000:
        raise SheetError(
            f"文件解压后有 {unpacked / 2**20:.0f} MB,超过上限 {limits.max_unpacked_bytes / 2**20:.0f} MB。"
            "请删除多余的工作表、图片或行后重试。"
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many unrelated types for a corrupt or non-XLSX file
        raise SheetError(
            "无法读取 XLSX 文件:文件已损坏或不是 Excel 工作簿,请在 Excel 中另存为 .xlsx 后重试。"
        ) from error
    try:
        if not workbook.worksheets:
            raise SheetError("文件中没有工作表。")
        sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_rows > limits.max_rows + 1 or declared_columns > limits.max_columns:
            dimension = f"{get_column_letter(min(declared_columns, 16384) or 1)}{declared_rows}"
            raise SheetError(
                f"工作表「{shorten(sheet.title, 40)}」声明的范围到 {dimension}"
                f"({declared_rows} 行、{declared_columns} 列),"
                f"超过上限 {limits.max_rows} 行(不含表头)、{limits.max_columns} 列。"
                "请删除多余的行和列(或把数据复制到新工作表),必要时拆分文件后重试。"
            )
        # rows past a (small) declared dimension would be silently dropped: read to the caps instead
        sheet.reset_dimensions()
        return _capped_rows(sheet, limits)
    except SheetError:
        raise
    except Exception as error:  # broken sheet XML surfaces only while the rows are parsed
        raise SheetError("工作表内容已损坏,无法读取。请在 Excel 中打开并另存为 .xlsx 后重试。") from error
    finally:
        workbook.close()


def _capped_rows(sheet: Any, limits: SheetLimits) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for number, values in enumerate(sheet.iter_rows(max_col=limits.max_columns, values_only=True), start=1):
        if number > limits.max_rows + 1:
            if any(value not in (None, "") for value in values):
                raise SheetError(f"一次最多导入 {limits.max_rows} 行(不含表头),本文件更多,请拆分后导入。")
            if number >= EXCEL_MAX_ROWS:
                break
            continue
        for column, value in enumerate(values, start=1):
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise SheetError(
                    f"第 {number} 行 {get_column_letter(column)} 列的内容有 {len(value)} 个字符,"
                    f"超过单元格上限 {limits.max_cell_chars} 个字符。"
                )
        rows.append(values)
    return rows


@dataclass(frozen=True)
class RowError(Problem):
    """One import problem: Excel row number (header = row 1), column header (the ``path``), message in
    Chinese. Build it with :meth:`at`."""

    row: int = 0

    @classmethod
    def at(cls, row: int, column: str, message: str, file: str = "") -> RowError:
        return cls(file, column, message, row)

    @property
    def column(self) -> str:
        return self.path

    def __str__(self) -> str:
        column = f"「{self.column}」列" if self.column else ""
        row = f"第 {self.row} 行" if self.row else ""
        return f"{row}{column}:{shorten(self.message)}" if row or column else shorten(self.message)


class BankImportError(ValueError):
    """An import found problems; nothing was imported.

    ``errors`` lists the first :data:`MAX_LISTED_ERRORS` (row/line named) and then one line saying how
    many more there are; ``total`` counts them all.
    """

    def __init__(self, errors: Iterable[Any], source: str = "") -> None:
        items = list(errors)
        self.total = len(items)
        self.errors = items[:MAX_LISTED_ERRORS]
        if self.total > MAX_LISTED_ERRORS:
            more = self.total - MAX_LISTED_ERRORS
            self.errors.append(f"……另有 {more} 处问题未列出(只列出前 {MAX_LISTED_ERRORS} 处)。")
        self.source = source
        head = f"{source} 导入失败" if source else "导入失败"
        super().__init__(f"{head},共 {self.total} 处问题:\n" + "\n".join(str(e) for e in self.errors))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "对" if value else "错"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _column_for(path: str) -> str:
    head = path.split("[")[0]
    if head in _FIELD_COLUMN:
        return _FIELD_COLUMN[head]
    if path.startswith("source"):
        return _FIELD_COLUMN.get(path.split("[")[0], "来源文件/来源章节")
    return "扩展(JSON)"


def row_to_dict(cells: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Turn one row (header -> cell text) into a bank question mapping.

    Returns:
        ``(mapping, problems)``; problems are ``(column, message)`` pairs found before type validation.
    """
    problems: list[tuple[str, str]] = []
    label = cells.get("题型", "")
    type_name = type_for_label(label)
    if not type_name:
        problems.append(("题型", f"应为 {' / '.join(TYPE_LABELS.values())} 之一,实际「{label}」"))
    data: dict[str, Any] = {
        "id": cells.get("题目ID", ""),
        "type": type_name,
        "stem": cells.get("题干", ""),
        "explanation": cells.get("解析", ""),
        "topic": cells.get("主题", ""),
    }
    difficulty = cells.get("难度", "")
    data["difficulty"] = int(difficulty) if difficulty in ("1", "2", "3") else difficulty
    if cells.get("来源文件") or cells.get("来源章节"):
        if cells.get("来源文件", "") == GENERAL_SOURCE_FILE:
            data["source"] = {"general": cells.get("来源章节", "")}
        else:
            data["source"] = {"file": cells.get("来源文件", ""), "section": cells.get("来源章节", "")}

    options = [cells.get(h, "") for h in OPTION_HEADERS]
    last = max((i for i, v in enumerate(options) if v), default=-1)
    listed = options[: last + 1]
    if any(not v for v in listed):
        gap = letter(listed.index(""))
        problems.append((f"选项{gap}", "选项之间不能留空列"))
    kind = QUESTION_TYPES.get(type_name)
    if kind is not None:
        if listed and not kind.xlsx_option_cells:
            problems.append(("选项A", f"{label}题不填选项"))
        specific, found = kind.from_xlsx_cells(XlsxRow(tuple(listed), cells.get("答案", ""), cells.get("要点", "")))
        data.update(specific)
        problems += found
    if cells.get("要点") and not (kind is not None and kind.xlsx_key_points):
        problems.append(("要点", "只有简答题填写要点"))

    extension = cells.get("扩展(JSON)", "")
    if extension:
        try:
            data.update(load_json_object(extension))
        except ValueError as error:
            problems.append(("扩展(JSON)", str(error)))
    return data, problems


def question_to_cells(question: Question) -> dict[str, str]:
    """Render a question as one row (header -> cell text), with 扩展(JSON) for what columns cannot say."""
    data = question.to_dict()
    cells = {h: "" for h in HEADERS}
    cells.update(
        {
            "题目ID": question.id,
            "题型": question.type_label,
            "主题": question.topic,
            "难度": str(question.difficulty),
            "题干": question.stem,
            "解析": question.explanation,
        }
    )
    if question.source is not None:
        general = question.source.general
        cells["来源文件"] = GENERAL_SOURCE_FILE if general else question.source.file
        cells["来源章节"] = general or question.source.section
    row = question.xlsx_cells()
    for index, option in enumerate(row.options):
        cells[OPTION_HEADERS[index]] = option
    cells["答案"] = row.answer
    cells["要点"] = row.key_points
    rebuilt, _ = row_to_dict(cells)
    extra = {key: value for key, value in data.items() if rebuilt.get(key) != value}
    if extra:
        cells["扩展(JSON)"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    return cells


def _style_header(sheet: Any) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.freeze_panes = "B2"
    widths = {
        "题目ID": 14,
        "题型": 8,
        "主题": 18,
        "难度": 6,
        "题干": 48,
        "答案": 24,
        "要点": 30,
        "解析": 40,
        "来源文件": 26,
        "来源章节": 24,
        "扩展(JSON)": 20,
    }
    for index, header in enumerate(HEADERS, start=1):
        letter_col = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter_col].width = widths.get(header, 16)


def _export_text(text: str) -> str:
    """A cell's text with the characters XLSX cannot hold shown as U+FFFD.

    A control character stored before issue 14.8 (or by another path) must not make the export fail
    for everyone; openpyxl refuses to write it.
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _workbook(questions: Iterable[Question]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(HEADERS)
    for question in questions:
        cells = question_to_cells(question)
        sheet.append([_export_text(cells[h]) if cells[h] != "" else None for h in HEADERS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text such as "=yellow" must stay text, not become a formula
            cell.number_format = "@"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _style_header(sheet)
    return workbook


INSTRUCTIONS: list[tuple[str, str]] = [
    ("题型", "单选 / 多选 / 判断 / 填空 / 排序 / 简答"),
    ("题目ID", "字母或数字开头,只含字母、数字、. _ -;整个题库内不能重复,如 luasf-001"),
    ("主题", "题库主题之一:" + "、".join(TOPICS)),
    ("难度", "1(基础)、2(进阶)、3(综合)"),
    ("单选", "选项A 起依次填写选项(最多 8 个,中间不留空);答案填一个字母,如 B"),
    (
        "多选",
        "答案填全部正确选项字母,用逗号分隔,如 A,C;评分:每选对一项得 1/k,每选错一项扣 1/k,最低 0 分(k 为正确项数)",
    ),
    ("判断", "不填选项;答案填 对 或 错"),
    (
        "填空",
        "题干中用 ____ 标出空位;答案填所有可接受的答案,用 | 分隔,如 三声|3声;"
        "判分时忽略全角半角、空格、大小写和末尾标点",
    ),
    ("排序", "选项A 起填写各步骤(顺序不限);答案按正确顺序填写字母,如 C,A,B;答案留空表示所列顺序即正确顺序"),
    ("简答", "答案填参考答案;要点每行一条(或用 | 分隔),判分时逐条检查"),
    ("出处", "来源文件填手册文件名,来源章节填手册中的章节标题原文"),
    ("扩展(JSON)", "一般留空;导出时用于保存表格列无法表达的信息(如 Moodle 权重、选项反馈)"),
    ("导入规则", "整表校验,任何一行有错都不会导入,错误会列出行号和列名"),
]

TEMPLATE_EXAMPLE: dict[str, Any] = {
    "id": "example-001",
    "type": "single",
    "stem": "按《客户服务口诀》,前台服务中电话铃响后应在几声内接听?",
    "options": ["一声内", "三声内", "五声内", "十声内"],
    "answer": "B",
    "explanation": "《客户服务口诀》前台服务:电话铃响三声内,左持听筒来回应。",
    "topic": "电话与在线服务",
    "difficulty": 1,
    "source": {"file": "003_155df04f83bb14c9.txt", "section": "客户服务口诀"},
}


def template() -> Workbook:
    """A workbook for trainers: the 题库 sheet with the header row and one example row, plus 填写说明."""
    workbook = _workbook([question_from_dict(TEMPLATE_EXAMPLE)])
    notes = workbook.create_sheet("填写说明")
    notes.append(["项目", "说明"])
    for row in INSTRUCTIONS:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 100
    for cell in notes[1]:
        cell.font = Font(bold=True)
    return workbook


def export_xlsx(questions: Iterable[Question], target: str | Path | IO[bytes]) -> None:
    """Write questions to an XLSX file (a path or a binary stream)."""
    _workbook(questions).save(target)


def export_xlsx_bytes(questions: Iterable[Question]) -> bytes:
    """The XLSX file as bytes (for a download response)."""
    buffer = io.BytesIO()
    export_xlsx(questions, buffer)
    return buffer.getvalue()


def template_bytes() -> bytes:
    """The template workbook as bytes (for a download response)."""
    buffer = io.BytesIO()
    template().save(buffer)
    return buffer.getvalue()


def import_xlsx(
    source: str | Path | IO[bytes] | bytes,
    *,
    topics: Iterable[str] | None = TOPICS,
    require_source: bool = True,
    limits: SheetLimits | None = None,
) -> list[Question]:
    """Read questions from an XLSX file, all or nothing.

    Args:
        source: a path, a binary stream or the file's bytes.
        topics: allowed topic names (``None``: any topic).
        require_source: every row must name 来源文件 and 来源章节.
        limits: caps on rows (questions), columns and cell size (:class:`SheetLimits` by default).

    Returns:
        The questions, in row order.

    Raises:
        BankImportError: with the problems (row number and column) when any row is invalid, or the
            file is unreadable or over a cap.
    """
    name = Path(source).name if isinstance(source, str | Path) else ""
    if isinstance(source, str | Path):
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    try:
        rows = read_sheet(data, limits or SheetLimits(), SHEET_NAME)
    except SheetError as error:
        raise BankImportError([RowError.at(0, "", str(error))], name) from error
    if not rows:
        raise BankImportError([RowError.at(1, "", "表格为空,缺少表头行")], name)
    header = [_cell_text(v) for v in rows[0]]
    errors: list[RowError] = []
    for required in REQUIRED_HEADERS:
        if required not in header:
            errors.append(RowError.at(1, required, "缺少表头"))
    unknown = [h for h in header if h and h not in HEADERS]
    for item in unknown:
        errors.append(RowError.at(1, shorten(item, 40), f"未知表头,可用: {'、'.join(HEADERS)}"))
    duplicated = {h for h in header if h and header.count(h) > 1}
    for item in sorted(duplicated):
        errors.append(RowError.at(1, item, "表头重复"))
    if errors:
        raise BankImportError(errors, name)

    allowed_topics = set(topics) if topics is not None else None
    questions: list[Question] = []
    first_row: dict[str, int] = {}
    for row_number, values in enumerate(rows[1:], start=2):
        cells = {h: _cell_text(v) for h, v in zip(header, values, strict=False) if h}
        if not any(cells.values()):
            continue
        controls = [(column, found) for column, text in cells.items() if (found := control_character(text))]
        if controls:
            message = "含有不可见的控制字符 {},请删除后再导入"
            errors += [RowError.at(row_number, column, message.format(found)) for column, found in controls]
            continue
        data, problems = row_to_dict(cells)
        errors += [RowError.at(row_number, column, message) for column, message in problems]
        if allowed_topics is not None and data["topic"] and data["topic"] not in allowed_topics:
            errors.append(
                RowError.at(
                    row_number, "主题", f"未知主题「{shorten(data['topic'], 40)}」,可用: {'、'.join(allowed_topics)}"
                )
            )
        qid = data.get("id")
        if isinstance(qid, str) and qid:
            if qid in first_row:
                errors.append(RowError.at(row_number, "题目ID", f"与第 {first_row[qid]} 行重复: {shorten(qid, 60)}"))
            else:
                first_row[qid] = row_number
        if problems:
            continue
        try:
            questions.append(question_from_dict(data, require_source=require_source))
        except ValidationError as error:
            errors.append(RowError.at(row_number, _column_for(error.path), error.reason))
    if not questions and not errors:
        errors.append(RowError.at(2, "", "没有题目行"))
    if errors:
        raise BankImportError(errors, name)
    return questions
