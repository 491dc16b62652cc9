"""The certificate as a PDF (fpdf2) with the Chinese font embedded and a QR code of the verify URL.

The font is a TrueType CJK font from Debian (``fonts-wqy-zenhei``, installed by ``scripts/bootstrap.sh``);
fpdf2 embeds the subset of glyphs used, so the PDF renders the same on a machine without Chinese fonts.
``CERT_FONT_PATH`` names another font file (``path`` or ``path#index`` for a collection).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF

# fontTools drops the bitmap (BDF) table of WenQuanYi while subsetting and says so on every render
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

# (file, index in the collection); TrueType first: fpdf2 extracts text from them cleanly.
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Noto Sans CJK SC
]
FONT_HELP = (
    "生成证书 PDF 需要中文字体,但系统中没有找到。请安装文泉驿正黑:"
    "sudo apt-get install fonts-wqy-zenhei(scripts/bootstrap.sh 会自动安装),"
    "或在配置 CERT_FONT_PATH 中指定一个 TrueType 中文字体文件。"
)


class FontMissing(RuntimeError):
    """No CJK font to embed; the message says, in Chinese, how to install one."""


def find_font(configured: str | None = None) -> tuple[str, int]:
    """The CJK font file to embed and its index in the collection.

    Raises:
        FontMissing: neither ``configured`` nor any candidate exists.
    """
    if configured:
        path, _, index = configured.partition("#")
        if Path(path).is_file():
            return path, int(index or 0)
        raise FontMissing(f"CERT_FONT_PATH 指定的字体文件不存在:{path}。" + FONT_HELP)
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    raise FontMissing(FONT_HELP)


@dataclass(frozen=True)
class CertificateText:
    """What the certificate says (dates already in the site's local time)."""

    programme_title: str
    issuer: str
    level_name: str
    holder_name: str
    holder_username: str
    site_name: str
    issued_on: str
    expires_on: str
    code: str
    verify_url: str
    renewal: bool = False


def qr_png(url: str, scale: int = 8) -> bytes:
    """A QR code of ``url`` as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def render(text: CertificateText, font: tuple[str, int], *, created: datetime | None = None) -> bytes:
    """The certificate: A4 landscape, the CJK font subset embedded, QR code bottom right."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{text.programme_title} · {text.level_name} · {text.holder_name}")
    pdf.set_author(text.issuer)
    pdf.set_creator("管家实训")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    path, index = font
    pdf.add_font("cjk", fname=path, collection_font_number=index)

    pdf.set_draw_color(150, 110, 40)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)

    pdf.set_text_color(120, 80, 20)
    pdf.set_font("cjk", size=30)
    pdf.set_xy(14, 30)
    pdf.cell(269, 14, "岗位认证证书", align="C")
    pdf.set_font("cjk", size=14)
    pdf.set_xy(14, 46)
    pdf.cell(269, 8, text.programme_title, align="C")

    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cjk", size=16)
    pdf.set_xy(34, 66)
    pdf.cell(230, 10, "兹证明")
    pdf.set_font("cjk", size=26)
    pdf.set_xy(34, 78)
    pdf.cell(230, 14, text.holder_name, align="C")
    pdf.set_font("cjk", size=14)
    pdf.set_xy(34, 96)
    verb = "完成复认证,继续具备" if text.renewal else "通过考核,具备"
    pdf.multi_cell(230, 8, f"(工号 {text.holder_username},{text.site_name})已{verb}以下岗位等级:", align="C")
    pdf.set_font("cjk", size=24)
    pdf.set_text_color(120, 80, 20)
    pdf.set_xy(34, 114)
    pdf.cell(230, 14, text.level_name, align="C")

    pdf.set_text_color(60, 60, 60)
    pdf.set_font("cjk", size=11)
    lines = [
        f"颁发日期:{text.issued_on}",
        f"有效期至:{text.expires_on}",
        f"证书编号:{text.code}",
        f"颁发单位:{text.issuer}",
        "扫描右侧二维码或访问以下网址查验证书真伪:",
        text.verify_url,
    ]
    y = 140
    for line in lines:
        pdf.set_xy(34, y)
        pdf.cell(200, 7, line)
        y += 7.5
    pdf.image(io.BytesIO(qr_png(text.verify_url)), x=236, y=140, w=40, h=40)
    return bytes(pdf.output())
