"""The certificate PDF: it opens, its text holds the name and code, the font is embedded, and its QR
code decodes to the public verification URL."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from simulator.certification import pdf, service
from simulator.certification.models import Certificate
from simulator.extensions import db
from simulator.models import Role
from tests.certification.conftest import earn_basic
from tests.conftest import gen_user

pytestmark = pytest.mark.db


def _squash(text: str) -> str:
    return "".join(text.split())


def test_the_downloaded_pdf_has_the_name_code_embedded_font_and_a_qr_of_the_verify_url(world, client, auth):
    trainee = auth.login(Role.TRAINEE, display_name="王小管", username="GJ2024")
    with world.app_context():
        user = db.session.get(type(trainee), trainee.id)
        earn_basic(user)
        service.refresh([user.id])
        cert = db.session.execute(db.select(Certificate).filter_by(user_id=user.id)).scalar_one()
        cert_id, code = cert.id, cert.code
    response = client.get(f"/certification/certificates/{cert_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    text = _squash(page.extract_text())
    for expected in ("王小管", "GJ2024", code, "前台接待", "翠湖花园管理处", "有效期至"):
        assert expected in text, expected
    fonts = page["/Resources"]["/Font"]
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                   for f in fonts.values()]
    assert any("/FontFile2" in d or "/FontFile3" in d for d in descriptors)  # glyphs embedded, not referenced
    [image] = page.images
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert [b.text for b in decoded] == [f"http://localhost/verify/{code}"]
    assert client.get(decoded[0].text.removeprefix("http://localhost")).status_code == 200


@pytest.mark.app_config(CERT_FONT_PATH="/nonexistent/font.ttf")
def test_a_missing_font_gives_a_clear_chinese_error(world, client, auth):
    trainee = auth.login(Role.TRAINEE)
    with world.app_context():
        earn_basic(db.session.get(type(trainee), trainee.id))
        service.refresh([trainee.id])
        cert_id = db.session.execute(db.select(Certificate.id).filter_by(user_id=trainee.id)).scalar_one()
    response = client.get(f"/certification/certificates/{cert_id}.pdf")
    assert response.status_code == 503
    assert "fonts-wqy-zenhei" in response.get_data(as_text=True)


def test_find_font_explains_how_to_install(monkeypatch):
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", [("/nonexistent/a.ttc", 0)])
    with pytest.raises(pdf.FontMissing, match="apt-get install fonts-wqy-zenhei"):
        pdf.find_font()


def test_qr_png_round_trips():
    url = "https://guanjia.example/verify/abc_DEF-123"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(pdf.qr_png(url))))
    assert [b.text for b in decoded] == [url]


def test_codes_are_unguessable_and_unique(world):
    with world.app_context():
        codes = set()
        for _ in range(3):
            user = gen_user(Role.TRAINEE)
            earn_basic(user)
            service.refresh([user.id])
            codes |= set(db.session.execute(db.select(Certificate.code).filter_by(user_id=user.id)).scalars())
    assert len(codes) == 3 and all(len(code) >= 24 for code in codes)
