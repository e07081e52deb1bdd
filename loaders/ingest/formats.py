"""Stage 1, the loader: bytes of one file -> ``SourceText`` (plain text, its pages, headings, metadata).

Dispatch is by the content's type, never by the file name (Aleph's ingest-file): ``sniff`` looks at the bytes, then
one small class per format extracts the text. The name's extension is only checked against the content, so that a
file whose name says one thing and whose content another is refused rather than guessed at.

Invariants:
- every limit (bytes, pages, unpacked size of a .docx) is checked before the work it bounds;
- nothing a document links to is fetched or run: HTML goes through trafilatura on the string (no URL is given, so it
  fetches nothing), PDF through pypdf (no JavaScript, no external references), .docx through python-docx after the
  zip's declared sizes were checked;
- the text returned is the one every quote and character offset refers to.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from qgraph.loaders.ingest.errors import ExtraMissing, IngestError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    max_unpacked_bytes: int = 200 * 1024 * 1024


@dataclass
class SourceText:
    """What a format yields: the text, where each page starts (PDF), headings found by the format, metadata."""

    file: str
    content_type: str
    text: str
    sha256: str
    size: int
    title: str | None = None
    date: str | None = None
    publisher: str | None = None
    #: (offset in text where the page starts, page number), in order; empty when the format has no pages
    pages: list[tuple[int, int]] = field(default_factory=list)
    #: (start, end) of lines that the format itself marks as headings (docx styles, HTML/markdown headings)
    headings: list[tuple[int, int]] = field(default_factory=list)


#: extension -> the content types it may hold
_EXTENSIONS = {".txt": {"text"}, ".text": {"text"}, ".md": {"text", "markdown"}, ".markdown": {"text", "markdown"},
               ".html": {"html"}, ".htm": {"html"}, ".xhtml": {"html"}, ".pdf": {"pdf"}, ".docx": {"docx"}}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_HTML_TAGS = re.compile(rb"<(p|div|h[1-6]|article|section|span|a|ul|li|table)\b[^>]*>", re.I)


def _describe_binary(data: bytes) -> str:
    try:
        import puremagic

        guesses = puremagic.magic_string(data[:8192])
        if guesses:
            best = guesses[0]
            return f"binary content ({best.name or best.mime_type or best.extension})"
    except Exception:  # noqa: BLE001 - the description is a courtesy; the file is refused either way
        pass
    return "binary content"


def sniff(file: str, data: bytes) -> str:
    """The content type of these bytes: ``pdf``, ``docx``, ``html``, ``markdown`` or ``text``; or IngestError."""
    if not data.strip():
        raise IngestError(file, "the file is empty")
    if data.startswith(b"%PDF-"):
        kind = "pdf"
    elif data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise IngestError(file, "a broken zip archive") from None
        if "word/document.xml" not in names:
            raise IngestError(file, "a zip archive that is not a Word document (.docx)")
        kind = "docx"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(file, "UTF-16 text; save it as UTF-8")
    else:
        head = data[:65536]
        controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
        if b"\x00" in head or controls > len(head) // 100:
            raise IngestError(file, _describe_binary(data))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(file, f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})") from None
        if _HTML_START.match(head) or len(_HTML_TAGS.findall(head)) >= 3:
            kind = "html"
        elif re.search(rb"^#{1,6} \S", head, re.M):
            kind = "markdown"
        else:
            kind = "text"
    ext = Path(file).suffix.lower()
    allowed = _EXTENSIONS.get(ext)
    if allowed is not None and kind not in allowed and not (kind == "markdown" and "text" in allowed):
        raise IngestError(file, f"the name says {ext} but the content is {kind.upper() if kind != 'markdown' else 'Markdown'}"
                                f"; rename the file or check it is the one you meant")
    return kind


class Ingestor:
    """One format: bytes -> SourceText."""

    content_type: str

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def extract(self, file: str, data: bytes) -> SourceText:
        raise NotImplementedError

    def _source(self, file: str, data: bytes, text: str, **kw: object) -> SourceText:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not re.search(r"\w", text):
            raise IngestError(file, f"no text in this {self.content_type.upper()} document")
        return SourceText(file=file, content_type=self.content_type, text=text,
                          sha256=hashlib.sha256(data).hexdigest(), size=len(data), **kw)  # type: ignore[arg-type]


class TextIngestor(Ingestor):
    content_type = "text"

    def extract(self, file: str, data: bytes) -> SourceText:
        return self._source(file, data, data.decode("utf-8").removeprefix("\ufeff"))


class MarkdownIngestor(Ingestor):
    """Markdown is kept as written (quotes are verbatim from the file); ``#`` lines are headings."""

    content_type = "markdown"

    def extract(self, file: str, data: bytes) -> SourceText:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
        headings = [(m.start(), m.end()) for m in re.finditer(r"^#{1,6} .+$", text, re.M)]
        title = next((text[s:e].lstrip("# ").strip() for s, e in headings), None)
        return self._source(file, data, text, headings=headings, title=title)


class HtmlIngestor(Ingestor):
    """The main text of a page (trafilatura: no navigation, no boilerplate), as Markdown-like lines."""

    content_type = "html"

    def extract(self, file: str, data: bytes) -> SourceText:
        try:
            import trafilatura
        except ImportError:
            raise ExtraMissing("trafilatura") from None
        html = data.decode("utf-8")
        # output markdown keeps headings as "# …" lines; no URL is passed, so nothing is fetched
        text = trafilatura.extract(html, output_format="markdown", include_comments=False, include_tables=True,
                                   include_links=False, include_images=False, favor_recall=True) or ""
        meta = trafilatura.extract_metadata(html)
        headings = [(m.start(), m.end()) for m in re.finditer(r"^#{1,6} .+$", text, re.M)]
        return self._source(file, data, text, headings=headings, title=getattr(meta, "title", None),
                            date=getattr(meta, "date", None), publisher=getattr(meta, "sitename", None))


class PdfIngestor(Ingestor):
    """The text layer, page by page (pypdf); a PDF without one (scanned) is refused with that reason."""

    content_type = "pdf"

    def extract(self, file: str, data: bytes) -> SourceText:
        try:
            from pypdf import PdfReader
            from pypdf.errors import PyPdfError
        except ImportError:
            raise ExtraMissing("pypdf") from None
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:  # noqa: BLE001 - any failure means: we cannot read it without a password
                    ok = 0
                if not ok:
                    raise IngestError(file, "an encrypted PDF (a password is needed to read it)")
            count = len(reader.pages)
            if count > self.limits.max_pages:
                raise IngestError(file, f"{count} pages; the limit is {self.limits.max_pages} "
                                        f"(QGRAPH_INGEST_MAX_PAGES)")
            parts: list[str] = []
            pages: list[tuple[int, int]] = []
            offset = 0
            for number, page in enumerate(reader.pages, start=1):
                page_text = (page.extract_text() or "").strip("\n")
                pages.append((offset, number))
                parts.append(page_text)
                offset += len(page_text) + 2
            meta = reader.metadata or {}
            title = meta.get("/Title") if hasattr(meta, "get") else None
        except IngestError:
            raise
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
            raise IngestError(file, f"a broken PDF ({type(exc).__name__}: {exc})") from None
        text = "\n\n".join(parts)
        if len(re.findall(r"\w", text)) < 20:
            raise IngestError(file, f"a PDF of {count} page(s) without a text layer (scanned?): there is no text "
                                    "to extract; run OCR on it first")
        return self._source(file, data, text, pages=pages, title=str(title) if title else None)


class DocxIngestor(Ingestor):
    """Paragraphs of a Word document (python-docx); paragraphs styled as headings are headings."""

    content_type = "docx"

    def extract(self, file: str, data: bytes) -> SourceText:
        try:
            import docx
        except ImportError:
            raise ExtraMissing("python-docx") from None
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > self.limits.max_unpacked_bytes:
            raise IngestError(file, f"the .docx unpacks to {unpacked} bytes; the limit is "
                                    f"{self.limits.max_unpacked_bytes} (QGRAPH_INGEST_MAX_UNPACKED_BYTES): a zip bomb?")
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a broken package
            raise IngestError(file, f"a broken Word document ({type(exc).__name__}: {exc})") from None
        lines: list[str] = []
        headings: list[tuple[int, int]] = []
        offset = 0
        for paragraph in document.paragraphs:
            line = paragraph.text.strip()
            if not line:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if style.lower().startswith(("heading", "title")):
                headings.append((offset, offset + len(line)))
            lines.append(line)
            offset += len(line) + 2
        props = document.core_properties
        date = props.created.date().isoformat() if props.created else None
        return self._source(file, data, "\n\n".join(lines), headings=headings, title=props.title or None,
                            date=date, publisher=props.author or None)


INGESTORS: dict[str, type[Ingestor]] = {cls.content_type: cls for cls in
                                        (TextIngestor, MarkdownIngestor, HtmlIngestor, PdfIngestor, DocxIngestor)}


def read_source(path: Path | str, limits: Limits = Limits(), *, data: bytes | None = None,
                name: str | None = None) -> SourceText:
    """Read one file (or uploaded bytes, named ``name``) into a SourceText; raise IngestError naming it."""
    file = name or str(path)
    if data is None:
        path = Path(path)
        if not path.is_file():
            raise IngestError(file, "no such file")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise IngestError(file, f"{size} bytes; the limit is {limits.max_bytes} (QGRAPH_INGEST_MAX_BYTES)")
        data = path.read_bytes()
    elif len(data) > limits.max_bytes:
        raise IngestError(file, f"{len(data)} bytes; the limit is {limits.max_bytes} (QGRAPH_INGEST_MAX_BYTES)")
    kind = sniff(file, data)
    return INGESTORS[kind](limits).extract(file, data)
