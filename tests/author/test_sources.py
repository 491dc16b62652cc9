"""Uploaded source documents: .txt / .docx / .pdf become citable sources with sections, the scenario
and question checks accept citations of them, and an upload that is not what it claims is refused."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import MultiDict

from simulator.author import sources
from simulator.extensions import db
from simulator.models import SourceDocument
from tests.author.conftest import form_fields

SOP = "燃气泄漏应急处置规程\n一、接报\n接到报告后先请报告人离开现场,不要开关电器。\n二、现场处置\n关闭总阀,开窗通风。\n"


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("电梯困人应急处置", level=1)
    document.add_paragraph("安抚被困人员,告知救援已在路上。")
    document.add_heading("通知维保单位", level=2)
    document.add_paragraph("维保人员须在 30 分钟内到场。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text (ASCII), written by hand."""
    body = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        "/Contents 4 0 R >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{obj}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def upload(client, name: str, data: bytes, title: str = "本单位应急规程"):
    return client.post("/author/sources/upload", data={"title": title, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("name,data,section", [
    ("gas.txt", SOP.encode("utf-8"), "二、现场处置"),
    ("gas-gbk.txt", SOP.encode("gb18030"), "一、接报"),
    ("lift.docx", None, "通知维保单位"),
    ("power.pdf", pdf_bytes(["Power cut SOP", "1. Check the breaker", "Call the duty electrician."]),
     "1. Check the breaker"),
])
def test_an_upload_becomes_a_source_with_its_sections(client, trainer, loaded, name, data, section):
    response = upload(client, name, data if data is not None else docx_bytes())
    html = response.get_data(as_text=True)
    assert "已上传「本单位应急规程」" in html and section in html
    with loaded.app_context():
        document = db.session.execute(db.select(SourceDocument)).scalar_one()
        assert section in document.sections and document.file.startswith("site-")


@pytest.mark.parametrize("name,data,message", [
    ("fake.pdf", b"just text pretending to be a PDF", "内容不是 PDF"),
    ("fake.docx", SOP.encode(), "内容不是 Word 文档"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "无法作为 Word"),
    ("word.txt", docx_bytes(), "扩展名是 .txt"),
    ("binary.txt", b"\x00\x01\x02binary", "二进制"),
    ("scan.pdf", pdf_bytes([]), "没有可提取的文字"),
    ("sheet.xlsx", b"PK\x03\x04", "只能上传"),
    ("empty.txt", b"", "文件是空的"),
])
def test_an_upload_that_is_not_what_it_claims_is_refused(client, trainer, loaded, name, data, message):
    html = upload(client, name, data).get_data(as_text=True)
    assert message in html and "没有保存任何内容" in html
    with loaded.app_context():
        assert db.session.scalar(db.select(db.func.count(SourceDocument.id))) == 0


def test_the_same_file_twice_is_refused(client, trainer, loaded):
    upload(client, "gas.txt", SOP.encode())
    assert "已经上传过" in upload(client, "again.txt", SOP.encode(), title="又一次").get_data(as_text=True)


def test_a_scenario_may_cite_an_uploaded_source_and_the_check_reads_it(client, trainer, loaded):
    upload(client, "gas.txt", SOP.encode())
    with loaded.app_context():
        cited = db.session.execute(db.select(SourceDocument)).scalar_one().file
    draft = client.post("/author/drafts/new", data={"copy": "leak-repeated"})
    draft_id = int(draft.headers["Location"].split("/")[-1])
    fields = MultiDict(form_fields(client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)))
    assert f'<option value="{cited}"' in client.get(f"/author/drafts/{draft_id}").get_data(as_text=True)
    fields["source.file"], fields["source.section"] = cited, "二、现场处置"
    html = client.post(f"/author/drafts/{draft_id}", data=fields, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'data-path="source"' not in html and "已保存" in html  # the citation checker found the section
    fields["source.section"] = "三、事后回访"  # not in the document
    html = client.post(f"/author/drafts/{draft_id}", data={**fields, "revision": str(int(fields["revision"]) + 1)},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-path="source"' in html and "在 " + cited + " 中找不到" in html


def test_a_question_may_cite_an_uploaded_source(client, trainer, loaded):
    from simulator.content import current_version, sync_content
    from simulator.shipped import shipped_content

    with loaded.app_context():
        for kind, items in shipped_content():
            if kind == "question":
                sync_content(kind, items)
    upload(client, "gas.txt", SOP.encode())
    with loaded.app_context():
        cited = db.session.execute(db.select(SourceDocument)).scalar_one().file
    form = {"type": "truefalse", "id": "site-gas-001", "topic": "应急与突发事件", "difficulty": "1",
            "stem": "闻到燃气味时应立即开灯查看。", "answer": "false", "explanation": "不要开关电器。",
            "source.file": cited, "source.section": "一、接报", "action": "save"}
    assert client.post("/author/questions/save", data=form).status_code == 303
    with loaded.app_context():
        assert current_version("question", "site-gas-001").data["source"]["file"] == cited


def test_text_sections_finds_numbered_and_short_headings():
    text = ("第一章 总则\n本规程适用于本小区所有客服人员,请认真执行。\n1.2 报告流程\n# 联络方式\n"
            "这是一句很长的正文,结尾有句号。")
    assert sources.text_sections(text) == ["第一章 总则", "1.2 报告流程", "联络方式"]


@pytest.mark.db
def test_trainees_see_an_uploaded_source_by_its_title(client, trainer, loaded):
    from flask import render_template_string

    upload(client, "gas.txt", SOP.encode(), title="本单位燃气规程")
    with loaded.test_request_context():
        cited = db.session.execute(db.select(SourceDocument)).scalar_one().file
        label = render_template_string('{% from "_source.html" import source_label %}{{ source_label(src) }}',
                                       src={"file": cited, "section": "一、接报"})
        assert label == "《本单位燃气规程》 · 一、接报" and cited not in label
        manual = render_template_string('{% from "_source.html" import source_label %}{{ source_label(src) }}',
                                        src={"file": "001_manual.txt", "section": "3.2"})
        assert manual == "001_manual.txt · 3.2"


@pytest.mark.db
def test_every_quiz_card_is_the_target_of_its_next_step_link(client, auth, loaded):
    from simulator.content import current_content, sync_content
    from simulator.models import Role
    from simulator.shipped import shipped_content

    with loaded.app_context():
        for kind, items in shipped_content():
            if kind in ("question", "quiz"):
                sync_content(kind, items)
        keys = [row.key for row in current_content("quiz")]
    assert keys
    auth.login(Role.TRAINEE)
    page = client.get("/quiz/").get_data(as_text=True)
    for key in keys:  # 我的认证 links to /quiz/#quiz-<key>
        assert f'id="quiz-{key}"' in page
