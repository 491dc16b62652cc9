"""Roster import: the sheet HR keeps (工号, 姓名, 项目/管理处, 角色), as CSV or XLSX.

Parsing is separate from applying: ``parse_roster`` validates every row and either returns all rows
or raises ``RosterError`` listing the bad rows (the first 50, then how many more); only then does
``apply_roster`` write, in one transaction, so a bad file never half-loads.

Reading is capped before anything is built (issue 14.7): an XLSX is read in openpyxl's read-only
mode through :func:`quizzes.xlsx.read_sheet` (unpacked size and declared dimension checked first); a
CSV stops at the row cap. 工号 match ignoring case, as at login (``DEMO-TRAINER`` is ``demo-trainer``).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date

from contentio import Problem
from quizzes.xlsx import MAX_LISTED_ERRORS, SheetError, SheetLimits, control_character, read_sheet, shorten

from ..extensions import db
from ..models import Role, Site, User, find_user

HEADERS = {
    "工号": "username",
    "姓名": "display_name",
    "项目/管理处": "site",
    "项目": "site",
    "管理处": "site",
    "角色": "role",
    # optional (HR report cohorts, issue 13)
    "岗位": "position",
    "入职日期": "hired_on",
}
REQUIRED = ("username", "display_name", "site", "role")
COLUMN_LABELS = {
    "username": "工号", "display_name": "姓名", "site": "项目/管理处", "role": "角色", "position": "岗位",
    "hired_on": "入职日期",
}  # fmt: skip
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
ROLE_NAMES = {
    "学员": Role.TRAINEE,
    "trainee": Role.TRAINEE,
    "管家": Role.TRAINEE,
    "客服": Role.TRAINEE,
    "培训师": Role.TRAINER,
    "trainer": Role.TRAINER,
    "讲师": Role.TRAINER,
    "人事": Role.HR,
    "hr": Role.HR,
    "人力资源": Role.HR,
    "管理员": Role.ADMIN,
    "admin": Role.ADMIN,
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_\-]{2,40}$")
MAX_COLUMNS = 30
MAX_CELL_CHARS = 1000  # the longest field is 100 characters; anything far beyond is not a roster


@dataclass(frozen=True)
class RosterProblem(Problem):
    """What is wrong with one roster row: ``line`` as Excel numbers it (header = 1), ``path`` the same
    in words (第 n 行), ``message`` every problem of the row, in Chinese."""

    line: int = 0

    @classmethod
    def at(cls, line: int, message: str, file: str = "") -> RosterProblem:
        return cls(file, f"第 {line} 行", message, line)

    def __str__(self) -> str:
        return f"{self.path}:{self.message}"


class RosterError(ValueError):
    """The roster file is unusable; ``errors`` lists the problems by row, in Chinese.

    Row problems are :class:`RosterProblem` (``problems``); a problem of the whole file is a plain
    message. At most :data:`MAX_LISTED_ERRORS` are listed, then one line saying how many more; ``total``
    counts all.
    """

    def __init__(self, errors: list[str] | list[Problem]):
        self.total = len(errors)
        self.problems = [error for error in errors if isinstance(error, Problem)]
        self.errors = [str(error) for error in errors[:MAX_LISTED_ERRORS]]
        if self.total > MAX_LISTED_ERRORS:
            more = self.total - MAX_LISTED_ERRORS
            self.errors.append(f"……另有 {more} 处问题未列出(只列出前 {MAX_LISTED_ERRORS} 处)。")
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    display_name: str
    site: str
    role: Role
    position: str = ""  # empty: left as it is
    hired_on: date | None = None  # None: left as it is


@dataclass(frozen=True)
class RosterResult:
    created: list[tuple[str, str, str]]  # (工号, 姓名, initial password)
    updated: list[str]


def read_table(filename: str, data: bytes, max_rows: int = 5000) -> list[list[str]]:
    """The file's cells as text rows, read within caps (rows, columns, cell size).

    Raises:
        RosterError: an unreadable, unknown or oversized file (in Chinese).
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        limits = SheetLimits(max_rows=max_rows, max_columns=MAX_COLUMNS, max_cell_chars=MAX_CELL_CHARS)
        try:
            rows = read_sheet(data, limits)
        except SheetError as error:
            raise RosterError([str(error)]) from error
        return [["" if cell is None else str(cell).strip() for cell in row] for row in rows]
    if name.endswith(".csv"):
        return _read_csv(_decode_csv(data), max_rows)
    raise RosterError(["只支持 .csv 或 .xlsx 文件。"])


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError(["CSV 文件编码无法识别,请另存为 UTF-8 或 GBK 编码。"])


def _read_csv(text: str, max_rows: int) -> list[list[str]]:
    # newline="" lets the csv module read every line ending, a lone CR (old Mac Excel) included
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for number, raw in enumerate(reader, start=1):
            if number > max_rows + 1:
                if any(cell.strip() for cell in raw):
                    raise RosterError([f"一次最多导入 {max_rows} 行,本文件更多,请拆分后导入。"])
                continue
            if len(raw) > MAX_COLUMNS and any(cell.strip() for cell in raw[MAX_COLUMNS:]):
                raise RosterError([f"第 {number} 行有 {len(raw)} 列,超过上限 {MAX_COLUMNS} 列。"])
            cells = [cell.strip() for cell in raw[:MAX_COLUMNS]]
            if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                raise RosterError([f"第 {number} 行有单元格超过 {MAX_CELL_CHARS} 个字符,不像人员名单,请检查文件。"])
            rows.append(cells)
    except csv.Error as error:  # a field over the csv module's 131,072 characters, a stray quote, a NUL ...
        raise RosterError([f"第 {reader.line_num} 行附近 CSV 格式有误,无法读取(单元格过长或引号不配对)。"]) from error
    return rows


def parse_roster(filename: str, data: bytes, max_rows: int = 5000) -> list[RosterRow]:
    """Validate a whole roster file.

    Raises:
        RosterError: with one Chinese message per problem, naming the row number as the user sees
            it in Excel (the header is row 1).
    """
    table = read_table(filename, data, max_rows)
    while table and not any(table[-1]):
        table.pop()
    if not table:
        raise RosterError(["文件是空的:第 1 行应为表头 工号, 姓名, 项目/管理处, 角色。"])
    columns: dict[str, int] = {}
    header_errors: list[str] = []
    for index, header in enumerate(table[0]):
        key = HEADERS.get(header.replace(" ", ""))
        if key and key in columns:
            first = table[0][columns[key]]
            header_errors.append(
                f"第 1 行表头重复:“{shorten(header, 20)}”与“{shorten(first, 20)}”"
                f"都表示{COLUMN_LABELS[key]},请只保留一列。"
            )
        elif key:
            columns[key] = index
    missing = [COLUMN_LABELS[key] for key in REQUIRED if key not in columns]
    if missing:
        header_errors.append(f"第 1 行表头缺少列:{'、'.join(missing)}(需要 工号, 姓名, 项目/管理处, 角色)。")
    if header_errors:
        raise RosterError(header_errors)
    if len(table) - 1 > max_rows:
        raise RosterError([f"一次最多导入 {max_rows} 行,本文件有 {len(table) - 1} 行,请拆分后导入。"])

    errors: list[Problem] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        cell = {key: (raw[i].strip() if i < len(raw) else "") for key, i in columns.items()}
        controls = [
            f"{COLUMN_LABELS[key]}含有不可见的控制字符 {found}"
            for key in REQUIRED
            if (found := control_character(cell[key]))
        ]
        if controls:
            errors.append(RosterProblem.at(line, ";".join(controls) + ",请删除后再导入。", filename))
            continue
        problems = [f"{COLUMN_LABELS[key]}为空" for key in REQUIRED if not cell[key]]
        if cell["username"] and not USERNAME_RE.match(cell["username"]):
            problems.append(f"工号“{shorten(cell['username'], 40)}”格式不对(只能是 2–40 位字母、数字、- 或 _)")
        role = ROLE_NAMES.get(cell["role"].lower()) if cell["role"] else None
        if cell["role"] and role is None:
            problems.append(f"角色“{shorten(cell['role'], 20)}”无效(可选:学员、培训师、人事、管理员)")
        if len(cell["display_name"]) > 60:
            problems.append("姓名超过 60 个字")
        if len(cell["site"]) > 100:
            problems.append("项目/管理处名称超过 100 个字")
        if len(cell.get("position", "")) > 40:
            problems.append("岗位超过 40 个字")
        hired_on = _parse_date(cell.get("hired_on", ""))
        if cell.get("hired_on") and hired_on is None:
            problems.append(f"入职日期“{cell['hired_on']}”无效(如 2026-01-31)")
        key = cell["username"].lower()
        if key and key in seen:
            problems.append(f"工号“{cell['username']}”与第 {seen[key]} 行重复")
        elif key:
            seen[key] = line
        if problems:
            errors.append(RosterProblem.at(line, ";".join(problems) + "。", filename))
        elif role is not None:
            rows.append(
                RosterRow(
                    line, cell["username"], cell["display_name"], cell["site"], role, cell.get("position", ""), hired_on
                )
            )
    if errors:
        raise RosterError(errors)
    if not rows:
        raise RosterError(["文件只有表头,没有可导入的人员。"])
    return rows


def apply_roster(rows: list[RosterRow], acting: User | None = None) -> RosterResult:
    """Create or update users in one transaction; new users get a one-time random password.

    Args:
        rows: the parsed roster.
        acting: the signed-in admin; the roster may not change their own role (they would lock
            themselves out of administration).

    Raises:
        RosterError: a row would demote ``acting``; nothing is written.
    """
    if acting is not None:
        own = [row for row in rows if row.username.lower() == acting.username.lower() and row.role != Role.ADMIN]
        if own:
            raise RosterError(
                [
                    f"第 {row.line} 行:不能通过名单导入把您自己(当前登录的管理员 {acting.username})改为"
                    f"{row.role.label};请删除这一行,或请另一位管理员修改。"
                    for row in own
                ]
            )
    sites = {site.name: site for site in db.session.execute(db.select(Site)).scalars()}
    created: list[tuple[str, str, str]] = []
    updated: list[str] = []
    try:
        for row in rows:
            site = sites.get(row.site)
            if site is None:
                site = sites[row.site] = Site(name=row.site)
                db.session.add(site)
            user = find_user(row.username)
            if user is None:
                password = generate_initial_password()
                user = User(username=row.username, display_name=row.display_name, role=row.role.value, site=site)
                user.set_password(password)
                db.session.add(user)
                created.append((row.username, row.display_name, password))
            else:
                user.display_name, user.role, user.site = row.display_name, row.role.value, site
                updated.append(user.username)
            if row.position:
                user.position = row.position
            if row.hired_on is not None:
                user.hired_on = row.hired_on
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return RosterResult(created=created, updated=updated)


def _parse_date(text: str) -> date | None:
    """2026-01-31, 2026/1/31, 2026年1月31日 or an Excel date cell read as text; None when not a date."""
    match = DATE_RE.match((text or "").strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def generate_initial_password() -> str:
    """A readable one-time password (no 0/O/1/l confusion)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))
