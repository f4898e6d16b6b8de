"""Real PDFs for tests, made here: a multi-page paper (fpdf2), a scan with no text layer, an
encrypted one, and one whose opening action is JavaScript (written by hand: PDF libraries
do not write scripts)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fpdf import FPDF

#: Fixed, so the same content makes the same bytes (and the same blob hash).
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def _new() -> FPDF:
    pdf = FPDF()
    pdf.set_creation_date(WHEN)
    return pdf


#: One line per sentence, so each sentence is one run of text on the page.
PAGES = [
    [
        "Attention Is Cheap: a study of sparse readers",
        "Abstract. We read papers together on stream.",
        "The first page introduces the method.",
    ],
    [
        "2. Method",
        "Residual streams carry the signal forward.",
        "We highlight this sentence on the second page.",
        "Gradients vanish without normalisation.",
    ],
    [
        "3. Results",
        "Perplexity falls to 12.5 on the held-out split.",
        "Quokka tokenizers outperform byte-pair encodings.",
    ],
]


def paper_pdf(pages: list[list[str]] = PAGES, title: str = "Attention Is Cheap") -> bytes:
    pdf = _new()
    pdf.set_title(title)
    pdf.set_font("helvetica", size=13)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """Two pages that are only pictures (no text layer), as a scanner makes them."""
    from PIL import Image, ImageDraw

    pdf = _new()
    for n in range(2):
        img = Image.new("RGB", (600, 800), "white")
        ImageDraw.Draw(img).rectangle((60, 60 + n * 40, 540, 120 + n * 40), fill="black")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        pdf.add_page()
        pdf.image(buf, x=10, y=10, w=190)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = _new()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(0, 10, "Only for reviewers.")
    pdf.set_encryption(owner_password="owner", user_password="reviewer")
    return bytes(pdf.output())


def javascript_pdf() -> bytes:
    """One page of text whose document opens by running JavaScript (it must never run)."""
    stream = b"BT /F1 18 Tf 72 700 Td (A paper with a script inside.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R "
        b"/Names << /JavaScript << /Names [(boom) 5 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /S /JavaScript /JS (window.__pdfScriptRan = true; app.alert('ran');) >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
