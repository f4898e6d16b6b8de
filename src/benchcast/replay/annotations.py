"""A stream's paper highlights and notes as W3C Web Annotations (JSON-LD) and as Markdown
reading notes, and back: ``read_annotations`` turns an exported collection into the anchors
it was made from, and ``reanchor`` finds a quote on a page again when its position no longer
holds it.

Each highlight becomes one ``Annotation`` whose target is the PDF (``/blobs/{sha256}``) and
whose selector is the page (a ``FragmentSelector`` conforming to RFC 3778, ``page=N``) refined
by a ``TextQuoteSelector`` (exact, prefix, suffix) and a ``TextPositionSelector`` (start, end,
in code points of the page's text). A margin note is a ``TextualBody`` in markdown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from benchcast.events import Anchor
from benchcast.timefmt import clock, rfc3339

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PDF_FRAGMENT = "http://tools.ietf.org/rfc/rfc3778"


class AnnotationError(ValueError):
    """An annotation collection that cannot be read; ``str()`` says where."""


def web_annotations(
    *,
    base: str,
    stream_id: str,
    title: str,
    started_at: float,
    papers: dict[str, Any],
) -> dict[str, Any]:
    """The highlights of a stream's fold (``papers``: replay/papers.py state) as an
    ``AnnotationCollection`` with one page holding every annotation, oldest first."""
    base = base.rstrip("/")
    items: list[dict[str, Any]] = []
    known = papers.get("papers", {})
    for h in papers.get("highlights", []):
        paper = known.get(h["paper"], {})
        anno: dict[str, Any] = {
            "id": f"{base}/s/{stream_id}?t={h['t']:.3f}#highlight-{h['id']}",
            "type": "Annotation",
            "motivation": "commenting" if h.get("note") else "highlighting",
            "created": rfc3339(started_at + float(h["t"])),
            "target": {
                "source": f"{base}/blobs/{h['paper']}",
                "type": "Text",
                "format": "application/pdf",
                "selector": {
                    "type": "FragmentSelector",
                    "conformsTo": PDF_FRAGMENT,
                    "value": f"page={h['page']}",
                    "refinedBy": [
                        {
                            "type": "TextQuoteSelector",
                            "exact": h["quote"],
                            "prefix": h.get("prefix", ""),
                            "suffix": h.get("suffix", ""),
                        },
                        {"type": "TextPositionSelector", "start": h["start"], "end": h["end"]},
                    ],
                },
            },
        }
        if paper.get("title"):
            anno["target"]["title"] = paper["title"]
        if h.get("note"):
            anno["body"] = {
                "type": "TextualBody",
                "value": h["note"],
                "format": "text/markdown",
                "purpose": "commenting",
            }
        items.append(anno)
    url = f"{base}/api/streams/{stream_id}/annotations.jsonld"
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "AnnotationCollection",
        "label": f"Highlights from {title or stream_id}",
        "total": len(items),
        "first": {"id": f"{url}#page-1", "type": "AnnotationPage", "startIndex": 0, "items": items},
    }


def _selector(target: dict[str, Any], where: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    sel = target.get("selector")
    if not isinstance(sel, dict) or sel.get("type") != "FragmentSelector":
        raise AnnotationError(f"{where}: target.selector must be a FragmentSelector (page=N)")
    value = str(sel.get("value", ""))
    if not value.startswith("page=") or not value[5:].isdigit():
        raise AnnotationError(f"{where}: the FragmentSelector's value must be page=N")
    refined = sel.get("refinedBy") or []
    refined = refined if isinstance(refined, list) else [refined]
    by_type = {r.get("type"): r for r in refined if isinstance(r, dict)}
    quote = by_type.get("TextQuoteSelector")
    if quote is None:
        raise AnnotationError(f"{where}: a TextQuoteSelector is required")
    return int(value[5:]), quote, by_type.get("TextPositionSelector") or {}


def read_annotations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The highlights in an exported collection (or a single annotation, or a list of
    them): ``{paper, page, quote, prefix, suffix, start, end, note}`` each, checked as
    ``Anchor``s are. Raises AnnotationError naming the annotation at fault."""
    if isinstance(doc, list):
        annos = doc
    elif doc.get("type") == "AnnotationCollection":
        annos = (doc.get("first") or {}).get("items", [])
    elif doc.get("type") == "Annotation":
        annos = [doc]
    else:
        raise AnnotationError("expected an AnnotationCollection, an Annotation or a list")
    out: list[dict[str, Any]] = []
    for i, anno in enumerate(annos):
        where = f"annotation {i + 1}"
        if not isinstance(anno, dict) or anno.get("type") != "Annotation":
            raise AnnotationError(f"{where}: not an Annotation")
        target = anno.get("target")
        if not isinstance(target, dict) or not isinstance(target.get("source"), str):
            raise AnnotationError(f"{where}: target.source is required")
        page, quote, pos = _selector(target, where)
        paper = target["source"].rstrip("/").rsplit("/", 1)[-1]
        body = anno.get("body")
        note = body.get("value", "") if isinstance(body, dict) else ""
        start, end = pos.get("start"), pos.get("end")
        exact = quote.get("exact", "")
        if start is None or end is None:
            start, end = 0, len(exact)
        anchor = Anchor(
            paper=paper,
            page=page,
            quote=exact,
            prefix=quote.get("prefix", ""),
            suffix=quote.get("suffix", ""),
            start=start,
            end=end,
        ).model_dump(mode="json")
        out.append({**anchor, "note": note})
    return out


def reanchor(
    text: str, quote: str, *, prefix: str = "", suffix: str = "", start: int = 0, end: int = 0
) -> tuple[int, int] | None:
    """Where ``quote`` is in a page's ``text`` (code-point offsets): at ``start`` if it is
    still there, else the occurrence whose surroundings best match ``prefix`` and ``suffix``
    (ties: the nearest to ``start``); None if the quote is not on the page."""
    if quote and text[start:end] == quote:
        return start, end
    best: tuple[tuple[int, int], int] | None = None
    i = text.find(quote) if quote else -1
    while i >= 0:
        before, after = text[max(0, i - len(prefix)) : i], text[i + len(quote) :][: len(suffix)]
        score = _common_suffix(before, prefix) + _common_prefix(after, suffix)
        key = (score, -abs(i - start))
        if best is None or key > best[0]:
            best = (key, i)
        i = text.find(quote, i + 1)
    return None if best is None else (best[1], best[1] + len(quote))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def _quote_md(text: str) -> str:
    return "\n".join("> " + line for line in " ".join(text.split()).splitlines() or [""])


def reading_notes(
    *,
    base: str,
    stream_id: str,
    title: str,
    started_at: float,
    papers: dict[str, Any],
    audience: dict[str, Any] | None = None,
) -> str:
    """The stream's papers, highlights (each with its moment and margin note) and the
    viewers' questions and comments anchored to a passage, as Markdown."""
    base = base.rstrip("/")
    day = datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%d")
    lines = [f"# Reading notes: {title or stream_id}", "", f"Streamed {day}: {base}/s/{stream_id}"]
    asked: list[dict[str, Any]] = []
    for key in ("questions", "comments"):
        asked += [c for c in (audience or {}).get(key, []) if (c.get("anchor") or {}).get("paper")]
    highlights = papers.get("highlights", [])
    if not papers.get("papers"):
        lines += ["", "No paper was read on this stream."]
    for digest, paper in papers.get("papers", {}).items():
        lines += ["", f"## {paper['title']}", ""]
        lines.append(
            f"{paper['pages']} pages · [PDF]({base}/blobs/{digest}) · opened at "
            f"[{clock(paper['t'])}]({base}/s/{stream_id}?t={int(paper['t'])})"
            + ("" if paper.get("searchable", True) else " · scanned, no text layer")
        )
        mine = [h for h in highlights if h["paper"] == digest]
        for h in sorted(mine, key=lambda h: (h["page"], h["start"])):
            lines += [
                "",
                f"**p. {h['page']}** · [{clock(h['t'])}]({base}/s/{stream_id}?t={int(h['t'])})",
                "",
                _quote_md(h["quote"]),
            ]
            if h.get("note"):
                lines += ["", h["note"].strip()]
        theirs = [c for c in asked if c["anchor"]["paper"] == digest]
        if theirs:
            lines += ["", "### Asked by viewers", ""]
            for c in sorted(theirs, key=lambda c: c["t"]):
                a = c["anchor"]
                quote = " ".join(str(a.get("quote", "")).split())
                lines.append(
                    f"- p. {a.get('page', '?')} “{quote[:200]}” — {c['name']}: "
                    + " ".join(str(c["text"]).split())
                )
    return "\n".join(lines).rstrip() + "\n"
