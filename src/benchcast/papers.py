"""PDFs put on stream: what Benchcast checks before a paper goes out, and its text.

Both sides use this module: ``benchcast paper FILE.pdf`` (the streamer's machine) checks a PDF
before sending it, and the server checks one uploaded from the studio and extracts each page's
text for search (replay/papers.py). Text comes from PDFium (pypdfium2); nothing in a PDF is
ever executed here or in the browser (pdf.js runs with scripting off).

What is refused, each with a message that says why: a file that is not a PDF, one over
``MAX_PAPER_BYTES``, an encrypted (password-protected) PDF, and one PDFium cannot read. A
scanned PDF with no text layer is accepted; it is marked not searchable. A PDF with
JavaScript is accepted and its scripts are reported, never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from benchcast.events import MAX_BLOB_BYTES, MAX_TITLE_LEN

#: Largest paper, in bytes: one blob.
MAX_PAPER_BYTES = MAX_BLOB_BYTES
#: Characters of text a page needs before it counts as having a text layer.
MIN_PAGE_TEXT = 20
#: Pages whose text is kept at most (a longer PDF is searchable in its first pages only).
MAX_TEXT_PAGES = 2000
_JS = re.compile(rb"/(?:JavaScript|JS)\b")


class PaperError(ValueError):
    """A PDF was refused; ``str()`` says why, fit to show the streamer."""


@dataclass(frozen=True)
class PaperInfo:
    """What Benchcast knows of a PDF once checked."""

    title: str
    pages: int
    #: Each page's text, in page order (empty strings for pages without a text layer).
    texts: list[str]
    #: Whether any page has a text layer (a scanned PDF has none: not searchable).
    searchable: bool
    #: Whether the PDF holds JavaScript (never run: reported so the streamer knows).
    scripts: bool
    size: int


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def check_size(size: int) -> None:
    """Refuse a paper over ``MAX_PAPER_BYTES`` before reading it."""
    if size > MAX_PAPER_BYTES:
        raise PaperError(
            f"the PDF is {_mb(size)}; the limit is {_mb(MAX_PAPER_BYTES)} "
            "(compress it, or split off the appendix)"
        )


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    return title[:MAX_TITLE_LEN]


def page_text(raw: str) -> str:
    """A page's text as PDFium gives it, with line ends made ``\\n`` and NULs dropped."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "")


def inspect(data: bytes, name: str = "paper.pdf") -> PaperInfo:
    """Check a PDF and read its title, page count and text; raise PaperError if refused."""
    check_size(len(data))
    head = data[:1024]
    if b"%PDF-" not in head:
        kind = "an empty file" if not data else "not a PDF (no %PDF- header)"
        raise PaperError(f"{name} is {kind}")
    import pypdfium2 as pdfium  # imported when used: the server and CLI start without it

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise PaperError(
                f"{name} is encrypted (password-protected); save an unprotected copy to "
                "share it on stream"
            ) from None
        raise PaperError(f"{name} cannot be read as a PDF: {err}") from None
    try:
        pages = len(doc)
        if pages < 1:
            raise PaperError(f"{name} has no pages")
        texts: list[str] = []
        for i in range(min(pages, MAX_TEXT_PAGES)):
            page = doc[i]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(page_text(textpage.get_text_range()))
                finally:
                    textpage.close()
            finally:
                page.close()
        meta = doc.get_metadata_dict(skip_empty=True)
    finally:
        doc.close()
    title = _clean_title(str(meta.get("Title", ""))) or _clean_title(Path(name).stem) or "paper"
    return PaperInfo(
        title=title,
        pages=pages,
        texts=texts,
        searchable=any(len(t.strip()) >= MIN_PAGE_TEXT for t in texts),
        scripts=_JS.search(data) is not None,
        size=len(data),
    )


def page_texts(data: bytes) -> list[str]:
    """Each page's text of a PDF already accepted (empty if it can no longer be read)."""
    try:
        return inspect(data).texts
    except PaperError:
        return []
