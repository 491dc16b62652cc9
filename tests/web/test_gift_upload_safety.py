"""Issue 14.8 and 14.9 in the browser's path: GIFT encodings, control characters, the server-side preview."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from quizzes import question_from_dict
from quizzes.xlsx import TEMPLATE_EXAMPLE
from simulator.content import ContentItem, upsert_content
from simulator.extensions import db
from simulator.models import ContentVersion, Role
from tests.web.test_quiz_views import content  # noqa: F401  (fixture)

GIFT = "::utf16-1::电话铃响几声内接听?{=三声 ~五声}\n\n::utf16-2::接听电话先说什么?{=您好 ~喂}\n"


def upload(client, name: str, data: bytes):
    return client.post("/quiz/bank/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def token(html: str) -> str:
    return re.search(r'name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"', html).group(1)


def current_ids(app) -> set[str]:
    with app.app_context():
        rows = db.session.execute(
            db.select(ContentVersion.key).where(ContentVersion.kind == "question", ContentVersion.is_current.is_(True))
        )
        return set(rows.scalars())


def test_utf16_gift_is_read_with_or_without_bom(app, client, auth, content):  # noqa: F811
    """UTF-16 without a BOM used to be read as GB18030, full of NULs."""
    auth.login(Role.TRAINER)
    for data in (GIFT.encode("utf-16-le"), GIFT.encode("utf-16-be"), GIFT.encode("utf-16")):
        response = upload(client, "utf16.gift", data)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "可导入 2 题" in html and "电话铃响几声内接听" in html


def test_a_control_character_is_named_in_the_preview_and_not_imported(app, client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    text = GIFT + "\n::ctl-1::电话\x07铃响几声内接听?{=三声 ~五声}\n"
    response = upload(client, "ctl.gift", text.encode())
    html = response.get_data(as_text=True)
    assert "「ctl-1」:含有不可见的控制字符 U+0007" in html and "可导入 2 题" in html
    client.post("/quiz/bank/import/gift", data={"token": token(html)})
    ids = current_ids(app)
    assert {"utf16-1", "utf16-2"} <= ids and "ctl-1" not in ids


def test_the_bank_export_never_fails_on_a_stored_control_character(app, client, auth, content):  # noqa: F811
    question = question_from_dict({**TEMPLATE_EXAMPLE, "id": "stored-ctl", "stem": "电话\x01铃响几声内接听?"})
    with app.app_context():
        upsert_content("question", [ContentItem("question", question.id, question.stem, question.to_dict(), "导入")])
    auth.login(Role.TRAINER)
    response = client.get("/quiz/bank/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["题库"]
    assert "电话\ufffd铃响几声内接听?" in [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_a_large_gift_previews_and_confirms_without_posting_the_text_again(app, client, auth, content):  # noqa: F811
    """The confirm form carries a token; the text waits on the server, for its uploader only."""
    auth.login(Role.TRAINER)
    text = "".join(f"::big-{n:04d}::电话铃响几声内接听?第 {n} 题{{=三声 ~五声}}\n\n" for n in range(1500))
    response = upload(client, "big.gift", text.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "可导入 1500 题" in html
    assert 'name="gift_text"' not in html
    form = re.search(r"<form method=\"post\" action=\"/quiz/bank/import/gift\">(.*?)</form>", html, re.S).group(1)
    assert len(form) < 2000  # the token and the CSRF field, not 1500 questions
    preview = token(html)

    auth.logout()
    auth.login(Role.TRAINER)  # another trainer cannot import someone else's upload
    refused = client.post("/quiz/bank/import/gift", data={"token": preview})
    assert refused.status_code == 422 and "预览已过期或不存在" in refused.get_data(as_text=True)
    assert not any(key.startswith("big-") for key in current_ids(app))
