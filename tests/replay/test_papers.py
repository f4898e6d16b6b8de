"""Papers in the fold, the search index and the exports (replay/papers.py, searchdocs.py,
annotations.py): the page shown at t, highlights so far, pages indexed at the moment they
were shown, and Web Annotations that re-import to the same anchors."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from benchcast.events import Event, validate_payload
from benchcast.replay.annotations import (
    read_annotations,
    reading_notes,
    reanchor,
    web_annotations,
)
from benchcast.replay.fold import StreamFold
from benchcast.replay.papers import papers_of
from benchcast.replay.searchdocs import StreamIndexer

PDF = hashlib.sha256(b"the paper").hexdigest()
TEXTS = ["Title page.", "Residual streams carry the signal 🚀 forward.", "Quokka tokens win."]


def _events() -> list[Event]:
    raw: list[tuple[float, str, dict[str, Any]]] = [
        (0.0, "stream.start", {"title": "Reading club"}),
        (1.0, "paper.open", {"blob": PDF, "title": "Cheap", "pages": 3, "size": 9}),
        (5.0, "paper.view", {"paper": PDF, "page": 2, "scroll": 0.25}),
        (
            7.5,
            "paper.highlight",
            {
                "id": "h1",
                "paper": PDF,
                "page": 2,
                "quote": "signal 🚀 forward",
                "prefix": "Residual streams carry the ",
                "suffix": ".",
                "start": 27,
                "end": 43,
                "note": "Why **forward**?",
            },
        ),
        (9.0, "paper.view", {"paper": PDF, "page": 3}),
        (12.0, "stream.end", {}),
    ]
    return [
        Event(seq=i, t=t, kind=k, source="paper", data=validate_payload(k, d))
        for i, (t, k, d) in enumerate(raw, 1)
    ]


def test_the_fold_at_t_has_the_streamers_page_and_the_highlights_so_far() -> None:
    events = _events()
    before = papers_of(StreamFold().apply_all(e for e in events if e.t < 7)).snapshot()
    assert before["current"] == PDF
    assert before["papers"][PDF]["page"] == 2 and before["papers"][PDF]["scroll"] == 0.25
    assert before["highlights"] == []
    after = StreamFold().apply_all(e for e in events if e.t < 8)
    hl = papers_of(after).snapshot()["highlights"]
    assert [h["id"] for h in hl] == ["h1"] and hl[0]["t"] == 7.5
    # A keyframe keeps it.
    again = papers_of(StreamFold.restore(json.loads(json.dumps(after.snapshot()))))
    assert again.snapshot() == papers_of(after).snapshot()


def test_a_page_is_indexed_at_the_moment_it_was_first_shown() -> None:
    indexer = StreamIndexer(StreamFold(), pages=lambda digest: TEXTS if digest == PDF else [])
    indexer.apply_all(_events())
    docs = [d for d in indexer.take(final=True).docs if d.kind == "paper"]
    by_text = {d.text: d for d in docs}
    assert by_text[TEXTS[0]].t == 1.0  # page 1 shows when the paper opens
    assert by_text[TEXTS[1]].t == 5.0
    assert by_text[TEXTS[2]].t == 9.0
    assert by_text[TEXTS[2]].source == "Cheap p. 3"
    assert sum(d.text == TEXTS[2] for d in docs) == 1


def test_pages_never_shown_are_indexed_when_the_stream_ends_at_the_paper_opening() -> None:
    events = [e for e in _events() if e.kind != "paper.view" or e.data["page"] != 3]
    indexer = StreamIndexer(StreamFold(), pages=lambda digest: TEXTS)
    indexer.apply_all(events)
    docs = {d.text: d for d in indexer.take(final=True).docs if d.kind == "paper"}
    assert docs[TEXTS[2]].t == 1.0


def test_reanchor_counts_code_points_and_follows_a_moved_quote() -> None:
    text = TEXTS[1]
    start = text.index("signal")  # a Python index is a code point index
    assert reanchor(text, "signal 🚀 forward", start=start, end=start + 16) == (27, 43)
    moved = "New words first. " + text
    assert reanchor(moved, "signal 🚀 forward", prefix="carry the ", start=27, end=43) == (44, 60)
    twice = "the cat sat. the cat ran."
    assert reanchor(twice, "cat", prefix="the ", suffix=" ran", start=0, end=0) == (17, 20)
    assert reanchor(text, "not on this page") is None


def test_web_annotations_have_the_required_fields_and_reimport_to_the_same_anchors() -> None:
    fold = StreamFold().apply_all(_events())
    papers = papers_of(fold).snapshot()
    doc = web_annotations(
        base="http://bench.test",
        stream_id="s1",
        title="Reading club",
        started_at=0.0,
        papers=papers,
    )
    doc = json.loads(json.dumps(doc))
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["type"] == "AnnotationCollection" and doc["total"] == 1
    (anno,) = doc["first"]["items"]
    for field in ("id", "type", "target", "motivation", "created", "body"):
        assert field in anno, field
    assert anno["type"] == "Annotation" and anno["motivation"] == "commenting"
    assert anno["target"]["source"] == f"http://bench.test/blobs/{PDF}"
    sel = anno["target"]["selector"]
    assert sel["type"] == "FragmentSelector" and sel["value"] == "page=2"
    kinds = {r["type"] for r in sel["refinedBy"]}
    assert kinds == {"TextQuoteSelector", "TextPositionSelector"}
    assert anno["body"]["format"] == "text/markdown"

    (back,) = read_annotations(doc)
    h = papers["highlights"][0]
    assert back == {
        k: h[k] for k in ("paper", "page", "quote", "prefix", "suffix", "start", "end", "note")
    }


def test_reading_notes_list_each_highlight_with_its_moment_and_note() -> None:
    fold = StreamFold().apply_all(_events())
    md = reading_notes(
        base="http://bench.test",
        stream_id="s1",
        title="Reading club",
        started_at=0.0,
        papers=papers_of(fold).snapshot(),
        audience={
            "questions": [
                {
                    "t": 8.0,
                    "name": "alice",
                    "text": "What is a residual stream?",
                    "anchor": {"paper": PDF, "page": 2, "quote": "Residual streams"},
                }
            ]
        },
    )
    assert md.startswith("# Reading notes: Reading club\n")
    assert "## Cheap" in md
    assert "**p. 2** · [0:07](http://bench.test/s/s1?t=7)" in md
    assert "> signal 🚀 forward" in md and "Why **forward**?" in md
    assert "alice: What is a residual stream?" in md
