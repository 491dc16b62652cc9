"""Source documents trainers upload (a site's own SOPs): text extraction, sections, checks.

An upload is read for what it is, not for what its name says: a ``.docx`` must be a Word package
(python-docx opens it), a ``.pdf`` a PDF with extractable text (pypdf), a ``.txt`` UTF-8 (or GB18030)
text. Anything else is refused with a message and nothing is stored. The extracted text becomes a
citable source beside the shipped manuals: the scenario and question checks receive it through
``extra_sources`` and search it exactly as they search a manual.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from scenarios.manuals import text_headings as text_sections

from ..extensions import db
from ..models import SourceDocument, User, utcnow

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000
KINDS = {".txt": "txt", ".docx": "docx", ".pdf": "pdf"}
_HEADING_STYLES = ("heading", "title", "标题")


class SourceError(ValueError):
    """The upload is refused; the message (Chinese) says why. Nothing was stored."""


@dataclass(frozen=True)
class Extracted:
    kind: str
    text: str
    sections: list[str]


def _decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise SourceError("文件包含二进制内容,不是纯文本(.txt)文件。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError("无法识别文本编码,请另存为 UTF-8 编码的 .txt 文件。")


def _docx(data: bytes) -> Extracted:
    if not data.startswith(b"PK\x03\x04"):
        raise SourceError("文件扩展名是 .docx,但内容不是 Word 文档。")
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceError("无法作为 Word(.docx)文档打开,文件可能已损坏或不是 Word 文档。") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise SourceError("无法作为 Word(.docx)文档打开,文件可能已损坏或不是 Word 文档。") from exc
    lines: list[str] = []
    headings: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        lines.append(text)
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        if style.startswith(_HEADING_STYLES) and text not in headings:
            headings.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                lines.append(" | ".join(cells))
    text = "\n".join(lines)
    return Extracted("docx", text, headings or text_sections(text))


def _pdf(data: bytes) -> Extracted:
    if not data.startswith(b"%PDF-"):
        raise SourceError("文件扩展名是 .pdf,但内容不是 PDF。")
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("PDF 已加密,无法读取文字;请上传未加密的版本。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise SourceError("无法读取这个 PDF,文件可能已损坏。") from exc
    text = "\n".join(page.strip() for page in pages if page.strip())
    if not text.strip():
        raise SourceError("PDF 中没有可提取的文字(可能是扫描图片),请上传文字版 PDF、Word 或 .txt。")
    return Extracted("pdf", text, text_sections(text))


def extract(filename: str, data: bytes) -> Extracted:
    """Read an upload as the kind its extension names.

    Raises:
        SourceError: Unknown extension, too large, empty, or the content is not what the name claims.
    """
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = KINDS.get(suffix)
    if kind is None:
        raise SourceError("只能上传 .txt、.docx 或 .pdf 文件。")
    if len(data) > MAX_UPLOAD_BYTES:
        raise SourceError(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB。")
    if not data:
        raise SourceError("文件是空的。")
    if kind == "docx":
        extracted = _docx(data)
    elif kind == "pdf":
        extracted = _pdf(data)
    else:
        if data.startswith((b"PK\x03\x04", b"%PDF-")):
            raise SourceError("文件扩展名是 .txt,但内容是 Word 或 PDF 文件,请用正确的扩展名上传。")
        text = _decode_text(data).replace("\r\n", "\n")
        extracted = Extracted("txt", text, text_sections(text))
    if not extracted.text.strip():
        raise SourceError("文件中没有文字内容。")
    if len(extracted.text) > MAX_TEXT_CHARS:
        raise SourceError("文件文字过多,请拆分后上传。")
    return extracted


def upload(user: User, title: str, filename: str, data: bytes) -> SourceDocument:
    """Store an upload as a citable source (all or nothing). Commits.

    Raises:
        SourceError: The file is refused (see :func:`extract`), the title is missing, or the same file
            was uploaded before.
    """
    title = (title or "").strip()
    if not title:
        raise SourceError("请填写文档名称。")
    extracted = extract(filename or "", data)
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.execute(db.select(SourceDocument).filter_by(sha256=digest)).scalar_one_or_none()
    if existing is not None:
        raise SourceError(f"这份文件已经上传过(「{existing.title}」,引用名 {existing.file})。")
    document = SourceDocument(
        file=f"site-{digest[:12]}.txt",
        title=title[:200],
        original_name=(filename or "")[:255],
        kind=extracted.kind,
        text=extracted.text,
        sections=extracted.sections,
        sha256=digest,
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    db.session.add(document)
    db.session.commit()
    return document


def documents() -> list[SourceDocument]:
    return list(db.session.execute(db.select(SourceDocument).order_by(SourceDocument.id.desc())).scalars())


def extra_sources() -> dict[str, str]:
    """Every uploaded source, citable name -> text (for the citation checks)."""
    return dict(db.session.execute(db.select(SourceDocument.file, SourceDocument.text)).all())


def uploaded_sections() -> dict[str, list[str]]:
    return {doc.file: list(doc.sections or []) for doc in documents()}
