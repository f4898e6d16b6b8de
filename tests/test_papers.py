"""Checking a PDF before it goes on stream (benchcast/papers.py), with real PDFs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchcast.papers import MAX_PAPER_BYTES, PaperError, check_size, inspect
from tests.conftest import run_cli
from tests.pdfs import PAGES, encrypted_pdf, javascript_pdf, paper_pdf, scanned_pdf


def test_a_paper_has_its_title_pages_and_text_per_page() -> None:
    info = inspect(paper_pdf(), "cheap.pdf")
    assert info.title == "Attention Is Cheap"
    assert info.pages == 3
    assert info.searchable and not info.scripts
    assert "Quokka tokenizers outperform byte-pair encodings." in info.texts[2]
    assert "Quokka" not in info.texts[1]
    assert PAGES[1][2] in info.texts[1]


def test_a_file_that_is_not_a_pdf_is_refused_by_name() -> None:
    with pytest.raises(PaperError, match=r"notes\.txt is not a PDF"):
        inspect(b"just some notes\n", "notes.txt")
    with pytest.raises(PaperError, match="empty"):
        inspect(b"", "empty.pdf")
    with pytest.raises(PaperError, match="cannot be read as a PDF"):
        inspect(b"%PDF-1.7\nthis is not really a pdf", "broken.pdf")


def test_an_encrypted_pdf_is_refused_saying_why() -> None:
    with pytest.raises(PaperError, match="encrypted"):
        inspect(encrypted_pdf(), "review.pdf")


def test_a_pdf_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(PaperError, match="300 MB; the limit is 32 MB"):
        check_size(300 * 1024 * 1024)
    check_size(MAX_PAPER_BYTES)


def test_a_scan_is_accepted_but_not_searchable() -> None:
    info = inspect(scanned_pdf(), "scan.pdf")
    assert info.pages == 2
    assert not info.searchable
    assert info.title == "scan"


def test_a_pdf_with_javascript_is_accepted_and_its_script_reported() -> None:
    info = inspect(javascript_pdf(), "scripted.pdf")
    assert info.scripts
    assert info.pages == 1
    assert "A paper with a script inside." in info.texts[0]


def test_benchcast_paper_refuses_bad_files_before_reaching_the_stream(tmp_path: Path) -> None:
    env = {**os.environ, "BENCHCAST_CONTROL": str(tmp_path / "nobody.sock")}
    notes = tmp_path / "notes.txt"
    notes.write_text("not a paper\n")
    res = run_cli("paper", str(notes), env=env)
    assert res.returncode == 2 and "benchcast: notes.txt is not a PDF" in res.stderr
    locked = tmp_path / "review.pdf"
    locked.write_bytes(encrypted_pdf())
    res = run_cli("paper", str(locked), env=env)
    assert res.returncode == 2 and "encrypted" in res.stderr
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as f:  # sparse: 300 MB that take no room
        f.truncate(300 * 1024 * 1024)
    res = run_cli("paper", str(huge), env=env)
    assert res.returncode == 2 and "the PDF is 300 MB; the limit is 32 MB" in res.stderr
    good = tmp_path / "cheap.pdf"
    good.write_bytes(paper_pdf())
    res = run_cli("paper", str(good), env=env)
    assert res.returncode == 1 and "does not answer" in res.stderr
