"""Trainers' bank page: template and exports, XLSX and GIFT import (all or nothing, upsert by id)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from quizzes import export_xlsx_bytes, import_gift, load_bank, question_from_dict
from quizzes.xlsx import HEADERS
from simulator.extensions import db
from simulator.models import ContentVersion, Role
from tests.conftest import shared_path
from tests.web.test_quiz_views import content  # noqa: F401  (fixture)

GIFT_FIXTURE = shared_path("interop", "moodle-questions.gift.txt")


def current_questions(app) -> dict[str, dict]:
    with app.app_context():
        rows = db.session.execute(
            db.select(ContentVersion).where(ContentVersion.kind == "question", ContentVersion.is_current.is_(True))
        ).scalars()
        return {row.key: row.data for row in rows}


def upload(client, name: str, data: bytes, **kwargs):
    return client.post("/quiz/bank/import", data={"file": (io.BytesIO(data), name)}, **kwargs)


def preview_token(html: str) -> str:
    """The token of the previewed GIFT file (the text itself waits on the server)."""
    found = re.search(r'name="token" type="hidden" value="([^"]+)"|type="hidden" name="token" value="([^"]+)"', html)
    assert found, "the preview page has no confirm form"
    return found.group(1) or found.group(2)


@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
def test_bank_overview_by_topic_and_type(client, auth, content, role):  # noqa: F811
    auth.login(role)
    html = client.get("/quiz/bank").get_data(as_text=True)
    assert f"当前生效题库共 <strong>{len(load_bank())}</strong> 题" in html
    for topic in ("礼仪与仪表", "投诉处理 L-U-A-S-F", "客户信息与保密"):
        assert topic in html
    assert "<th>单选</th>" in html and "<th>简答</th>" in html
    assert "下载 Excel 导入模板" in html


def test_template_download_has_the_chinese_header_row(client, auth):
    auth.login(Role.TRAINER)
    response = client.get("/quiz/bank/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS and header[:5] == ["题目ID", "题型", "主题", "难度", "题干"]


def test_xlsx_export_holds_the_whole_current_bank(client, auth, content):  # noqa: F811
    from quizzes import import_xlsx

    auth.login(Role.TRAINER)
    response = client.get("/quiz/bank/export.xlsx")
    assert response.status_code == 200
    exported = import_xlsx(response.data)
    assert {q.to_dict()["id"] for q in exported} == {q.id for q in load_bank()}
    assert [q.to_dict() for q in sorted(exported, key=lambda q: q.id)] == [
        q.to_dict() for q in sorted(load_bank(), key=lambda q: q.id)
    ]


def test_gift_export_reimports_its_questions(client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    response = client.get("/quiz/bank/export.gift")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("// 管家实训题库导出") and "$CATEGORY:" in text
    imported = {q.id: q for q in import_gift(text).questions}
    bank = load_bank()
    gift_types = {"single", "multiple", "truefalse", "fill"}
    assert set(imported) == {q.id for q in bank if q.type_name in gift_types}
    for question in bank:
        if question.id in imported:
            assert imported[question.id].to_dict() == question.to_dict()
    assert "未导出" in text and "排序" in text


def test_good_xlsx_import_adds_and_updates_without_retiring_the_rest(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = current_questions(app)
    changed = {**before["cmp-001"], "explanation": "更新后的解析。"}
    added = {**before["cmp-001"], "id": "cmp-imported-1", "stem": before["cmp-001"]["stem"] + "(新题)"}
    data = export_xlsx_bytes([question_from_dict(changed), question_from_dict(added)])
    response = upload(client, "bank.xlsx", data)
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入成功:共 2 题,新增 1,更新 1,未变 0。" in html
    after = current_questions(app)
    assert len(after) == len(before) + 1
    assert after["cmp-001"]["explanation"] == "更新后的解析。"
    assert after["cmp-imported-1"]["stem"].endswith("(新题)")
    assert {k: v for k, v in after.items() if k not in ("cmp-001", "cmp-imported-1")} == {
        k: v for k, v in before.items() if k != "cmp-001"
    }
    with app.app_context():  # the old version stays for the attempts that used it
        versions = db.session.execute(db.select(ContentVersion).filter_by(kind="question", key="cmp-001")).scalars()
        assert sorted(v.is_current for v in versions) == [False, True]


def test_bad_xlsx_import_names_the_rows_and_imports_nothing(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = current_questions(app)
    good = {**before["cmp-001"], "id": "would-be-new", "explanation": "不应导入"}
    workbook = load_workbook(io.BytesIO(export_xlsx_bytes([question_from_dict(good), question_from_dict(good)])))
    sheet = workbook["题库"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("题目ID") + 1, value="would-be-new-2")
    sheet.cell(row=3, column=header.index("答案") + 1, value="Z")
    sheet.cell(row=3, column=header.index("来源文件") + 1, value=None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "bad.xlsx", buffer.getvalue())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "未导入任何题目" in html
    assert "第 3 行" in html and "答案" in html
    assert "第 2 行" not in html  # the good row is not blamed
    assert current_questions(app) == before


def test_not_an_xlsx_is_refused_in_chinese(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    response = upload(client, "bank.xlsx", b"not a workbook")
    assert response.status_code == 422
    assert "无法读取 XLSX 文件" in response.get_data(as_text=True)
    wrong_type = upload(client, "bank.docx", b"x")
    assert wrong_type.status_code == 422 and "只支持 .xlsx、.gift 或 .txt 文件" in wrong_type.get_data(as_text=True)


def test_moodle_gift_fixture_preview_then_confirm(app, client, auth, content):  # noqa: F811
    text = GIFT_FIXTURE.read_text(encoding="utf-8")
    expected = import_gift(text, strict=False)
    assert expected.skipped and expected.questions
    auth.login(Role.TRAINER)
    before = current_questions(app)
    response = upload(client, "questions.gift.txt", text.encode("utf-8"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert current_questions(app) == before  # a preview stores nothing
    assert f"可导入 {len(expected.questions)} 题" in html
    assert f"不支持或有误 {len(expected.skipped)} 题" in html
    for problem in expected.skipped:
        assert f"第 {problem.line} 行" in html
    assert "问答题(essay)" in html and "匹配题(matching)" in html and "「Moodle activities」" in html
    response = client.post("/quiz/bank/import/gift", data={"token": preview_token(html)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"导入成功:共 {len(expected.questions)} 题" in page
    after = current_questions(app)
    for question in expected.questions:
        assert after[question.id] == question.to_dict()
    assert set(before) <= set(after)
    assert "未注明手册出处" in page


def test_gift_confirm_without_a_preview_imports_nothing(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    before = current_questions(app)
    response = client.post("/quiz/bank/import/gift", data={"token": ""})
    assert response.status_code == 422 and "缺少预览编号" in response.get_data(as_text=True)
    unknown = client.post("/quiz/bank/import/gift", data={"token": "x" * 32})
    assert unknown.status_code == 422 and "预览已过期或不存在" in unknown.get_data(as_text=True)
    only_unsupported = upload(client, "q.gift", b"::Q8:: How are you? {}\n")
    html = only_unsupported.get_data(as_text=True)
    assert "第 1 行" in html and "没有可导入的题目" in html and 'name="token"' not in html
    assert current_questions(app) == before


def test_gift_file_in_gb18030_is_read(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    text = "::gb-1::电话铃响几声内接听?{=三声 ~五声}\n"
    response = upload(client, "cn.gift", text.encode("gb18030"))
    assert response.status_code == 200 and "电话铃响几声内接听" in response.get_data(as_text=True)
