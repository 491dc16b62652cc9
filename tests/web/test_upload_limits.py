"""Issue 14.7–14.9: uploads that cannot exhaust the server, and malformed files that get a Chinese 4xx.

Every bad file here is refused with a Chinese explanation and a small page, and changes nothing.
Crafted files are made by rewriting a real workbook's sheet XML (a declared dimension, rows past it).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from quizzes import export_xlsx_bytes, question_from_dict
from quizzes.xlsx import TEMPLATE_EXAMPLE
from simulator.extensions import db
from simulator.models import ContentVersion, Role, User
from tests.conftest import PASSWORD, gen_user
from tests.web.test_quiz_views import content  # noqa: F401  (fixture)

ROSTER_HEADER = ["工号", "姓名", "项目/管理处", "角色"]
SMALL_PAGE = 200_000  # characters: the import page with its form and the bank overview; 93 MB in issue 14.7


def workbook_bytes(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = next(name for name in source.namelist() if name.startswith("xl/worksheets/sheet"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == sheet:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def with_cell_text(data: bytes, old: str, new: str) -> bytes:
    """The workbook with one cell's text replaced (openpyxl itself cuts what it writes at 32,767 characters)."""
    escaped = "".join(f"&#{ord(char)};" for char in old)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/"):
                for form in (old, escaped):
                    content = content.replace(f"<t>{form}</t>".encode(), f"<t>{new}</t>".encode())
            target.writestr(item, content)
    return out.getvalue()


def declare(dimension: str):
    return lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml)


def roster_upload(client, name: str, data: bytes):
    return client.post("/admin/roster", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def bank_upload(client, name: str, data: bytes):
    return client.post("/quiz/bank/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def users(app) -> dict[str, str]:
    with app.app_context():
        return {u.username: u.role for u in db.session.execute(db.select(User)).scalars()}


def questions(app) -> dict[str, dict]:
    with app.app_context():
        rows = db.session.execute(
            db.select(ContentVersion).where(ContentVersion.kind == "question", ContentVersion.is_current.is_(True))
        ).scalars()
        return {row.key: row.data for row in rows}


def bank_xlsx(*rows: dict) -> bytes:
    return export_xlsx_bytes([question_from_dict(row) for row in rows])


def example(**changes) -> dict:
    return {**TEMPLATE_EXAMPLE, **changes}


# -- 14.7: caps before anything is built --------------------------------------------------------------
def test_roster_declaring_a_huge_sheet_is_refused_before_any_row_is_built(app, client, auth):
    """A few KB that declare A1:XFD1048576 (17 billion cells) once took 2 GB; now refused from the declaration."""
    auth.login(Role.ADMIN)
    before = users(app)
    data = rewrite_sheet(
        workbook_bytes([ROSTER_HEADER, ["GJ1", "张伟", "翠湖花园管理处", "学员"]]), declare("A1:XFD1048576")
    )
    assert len(data) < 10_000
    response = roster_upload(client, "roster.xlsx", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "声明的范围到 XFD1048576" in page and "超过上限 5000 行" in page
    assert len(page) < SMALL_PAGE and users(app) == before


def test_bank_declaring_a_huge_sheet_is_refused(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = questions(app)
    response = bank_upload(client, "bank.xlsx", rewrite_sheet(bank_xlsx(example()), declare("A1:XFD200000")))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "声明的范围到 XFD200000" in page and "超过上限 2000 行" in page
    assert questions(app) == before


@pytest.mark.app_config(ROSTER_MAX_ROWS=20)
def test_rows_past_a_small_declared_dimension_are_counted_not_dropped(app, client, auth):
    """A sheet that declares A1:D2 but holds 30 rows: reading goes on to the cap instead of trusting it."""
    auth.login(Role.ADMIN)
    extra = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>GJ{n}</t></is></c></row>' for n in range(3, 33))
    data = rewrite_sheet(
        workbook_bytes([ROSTER_HEADER, ["GJ1", "张伟", "翠湖花园管理处", "学员"]]),
        lambda xml: declare("A1:D2")(xml).replace("</sheetData>", extra + "</sheetData>"),
    )
    response = roster_upload(client, "roster.xlsx", data)
    assert response.status_code == 422 and "一次最多导入 20 行" in response.get_data(as_text=True)
    assert "GJ1" not in users(app)


def test_many_bad_rows_list_the_first_fifty_and_count_the_rest(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = questions(app)
    rows = [example(id=f"bad-{n:03d}") for n in range(300)]
    workbook = load_workbook(io.BytesIO(bank_xlsx(*rows)))
    sheet = workbook["题库"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=2, value="单项")  # 题型: not a type
    out = io.BytesIO()
    workbook.save(out)
    response = bank_upload(client, "bank.xlsx", out.getvalue())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请修正以下 300 处问题" in page
    assert page.count("<li>第 ") == 50 and "另有 250 处问题未列出" in page
    assert len(page) < 200_000 and questions(app) == before


def test_roster_errors_are_capped_too(app, client, auth):
    auth.login(Role.ADMIN)
    csv_text = "工号,姓名,项目/管理处,角色\n" + "".join(f"GJ{n},张{n},翠湖花园管理处,园丁\n" for n in range(120))
    response = roster_upload(client, "roster.csv", csv_text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请修正以下 120 处问题" in page and "另有 70 处问题未列出" in page


@pytest.mark.app_config(QUIZ_IMPORT_MAX_QUESTIONS=3)
def test_bank_import_size_is_capped_by_configuration(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = questions(app)
    rows = [example(id=f"cap-{n}") for n in range(5)]
    response = bank_upload(client, "bank.xlsx", bank_xlsx(*rows))
    assert response.status_code == 422 and "超过上限 3 行" in response.get_data(as_text=True)
    gift = "".join(f"::cap-{n}::电话铃响几声内接听?{{=三声 ~五声}}\n\n" for n in range(5))
    response = bank_upload(client, "bank.gift", gift.encode())
    assert response.status_code == 422 and "超过一次导入的上限 3 题" in response.get_data(as_text=True)
    assert questions(app) == before


# -- 14.9: malformed files --------------------------------------------------------------------------
def test_broken_sheet_xml_is_a_chinese_422(app, client, auth, content):  # noqa: F811
    auth.login(Role.ADMIN)
    before_users, before_questions = users(app), questions(app)
    broken = lambda xml: xml[: len(xml) // 2]  # noqa: E731
    roster = rewrite_sheet(workbook_bytes([ROSTER_HEADER, ["GJ1", "张伟", "翠湖花园管理处", "学员"]]), broken)
    response = roster_upload(client, "roster.xlsx", roster)
    assert response.status_code == 422 and "工作表内容已损坏" in response.get_data(as_text=True)
    response = bank_upload(client, "bank.xlsx", rewrite_sheet(bank_xlsx(example()), broken))
    assert response.status_code == 422 and "工作表内容已损坏" in response.get_data(as_text=True)
    assert users(app) == before_users and questions(app) == before_questions


def test_a_cell_over_131072_characters_is_refused(app, client, auth, content):  # noqa: F811
    auth.login(Role.ADMIN)
    before_users, before_questions = users(app), questions(app)
    huge = "长" * 131_073
    response = roster_upload(
        client, "roster.csv", f"工号,姓名,项目/管理处,角色\nGJ1,{huge},翠湖花园管理处,学员\n".encode()
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "CSV 格式有误" in page and len(page) < SMALL_PAGE
    roster = with_cell_text(workbook_bytes([ROSTER_HEADER, ["GJ1", "张伟", "翠湖花园", "学员"]]), "翠湖花园", huge)
    response = roster_upload(client, "roster.xlsx", roster)
    assert response.status_code == 422 and "超过单元格上限 1000 个字符" in response.get_data(as_text=True)
    response = bank_upload(client, "bank.xlsx", with_cell_text(bank_xlsx(example()), "一声内", huge))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "有 131073 个字符,超过单元格上限 32767" in page and len(page) < SMALL_PAGE
    assert users(app) == before_users and questions(app) == before_questions


def test_a_cr_only_csv_is_read(app, client, auth):
    """Old Excel for Mac ends lines with CR alone; the csv module failed on it with a bare 500."""
    auth.login(Role.ADMIN)
    response = roster_upload(
        client, "roster.csv", "工号,姓名,项目/管理处,角色\rGJ7001,王芳,翠湖花园管理处,学员\r".encode()
    )
    assert response.status_code == 200 and users(app)["GJ7001"] == "trainee"


def test_deeply_nested_json_is_refused_in_extension_and_gift_meta(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = questions(app)
    nested = '{"a": ' * 5000 + "1" + "}" * 5000
    workbook = load_workbook(io.BytesIO(bank_xlsx(example())))
    sheet = workbook["题库"]
    column = [cell.value for cell in sheet[1]].index("扩展(JSON)") + 1
    sheet.cell(row=2, column=column, value=nested)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = bank_upload(client, "bank.xlsx", buffer.getvalue())
    assert response.status_code == 422 and "JSON 嵌套超过 20 层" in response.get_data(as_text=True)

    gift = f"// guanjia: {nested}\n::deep-1::电话铃响几声内接听?{{=三声 ~五声}}\n"
    response = bank_upload(client, "deep.gift", gift.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "guanjia 注释的 JSON 嵌套超过 20 层" in page and 'name="token"' not in page
    assert questions(app) == before


# -- roster rules -----------------------------------------------------------------------------------
def test_roster_refuses_duplicate_headers(app, client, auth):
    auth.login(Role.ADMIN)
    before = users(app)
    csv_text = "工号,姓名,项目,管理处,角色\nGJ1,张伟,翠湖花园管理处,滨江壹号项目,学员\n"
    response = roster_upload(client, "roster.csv", csv_text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "表头重复" in page and "“管理处”与“项目”" in page
    assert users(app) == before


def test_an_admin_cannot_demote_themself_by_roster(app, client, auth):
    admin = auth.login(Role.ADMIN)
    csv_text = (
        f"工号,姓名,项目/管理处,角色\n{admin.username.upper()},管理员本人,翠湖花园管理处,学员\n"
        "GJ9,新人,翠湖花园管理处,学员\n"
    )
    response = roster_upload(client, "roster.csv", csv_text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "不能通过名单导入把您自己" in page and "第 2 行" in page
    after = users(app)
    assert after[admin.username] == "admin" and "GJ9" not in after
    assert client.get("/admin/users").status_code == 200  # still an admin


def test_usernames_ignore_case_in_roster_and_login(app, client, auth):
    with app.app_context():
        gen_user(Role.TRAINER, username="demo-trainer", display_name="演示培训师")
    auth.login(Role.ADMIN)
    csv_text = "工号,姓名,项目/管理处,角色\nDEMO-TRAINER,改名培训师,翠湖花园管理处,培训师\n"
    response = roster_upload(client, "roster.csv", csv_text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "新建 0 人,更新 1 人" in page
    with app.app_context():
        matching = db.session.execute(db.select(User).where(db.func.lower(User.username) == "demo-trainer")).scalars()
        assert [(u.username, u.display_name) for u in matching] == [("demo-trainer", "改名培训师")]
    auth.logout()
    response = client.post("/auth/login", data={"username": "Demo-Trainer", "password": PASSWORD})
    assert response.status_code == 303


def test_the_database_refuses_usernames_that_differ_only_in_case(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        gen_user(Role.TRAINEE, username="gj0001")
        with pytest.raises(IntegrityError):
            gen_user(Role.TRAINEE, username="GJ0001")
        db.session.rollback()
