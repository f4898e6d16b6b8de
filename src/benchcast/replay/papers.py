"""Papers on stream, as folded from ``paper.open``, ``paper.view`` and ``paper.highlight``:
which paper is open, the page (and how far down it) the streamer is on, the pages shown so
far, and the highlights made so far. A replay at time t shows that page and those highlights.

Keyframe state gains ``papers`` once a paper opens::

    {"papers": {
        "current": "<sha256>",
        "papers": {"<sha256>": {"blob", "title", "pages", "searchable", "size", "seq", "t",
                                "page", "scroll", "shown": [1, 2, 3]}},
        "highlights": [{"id", "paper", "page", "quote", "prefix", "suffix", "start", "end",
                        "note", "seq", "t"}, ...]}}

``PageTexts`` reads a paper's page text from the store's blob (for the search index).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part
from benchcast.store.database import Store

#: Highlights kept in the fold (every one stays in the log and the search index).
MAX_HIGHLIGHTS = 5000
#: Papers kept in the fold; the oldest closed ones go first.
MAX_PAPERS = 100
KINDS = frozenset({"paper.open", "paper.view", "paper.highlight"})


class Papers:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = json.loads(json.dumps(state)) if state else {}
        self.current: str | None = state.get("current")
        self.papers: dict[str, dict[str, Any]] = state.get("papers", {})
        self.highlights: list[dict[str, Any]] = state.get("highlights", [])

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            json.dumps(
                {"current": self.current, "papers": self.papers, "highlights": self.highlights}
            )
        )
        return out

    def apply(self, ev: Event) -> None:
        d = ev.data
        if ev.kind == "paper.open":
            digest = d["blob"]
            old = self.papers.pop(digest, None)
            self.papers[digest] = {
                **{k: d[k] for k in ("blob", "title", "pages", "searchable", "size")},
                "seq": ev.seq,
                "t": ev.t,
                "page": old["page"] if old else 1,
                "scroll": old["scroll"] if old else 0.0,
                "shown": old["shown"] if old else [1],
            }
            self.current = digest
            while len(self.papers) > MAX_PAPERS:
                oldest = next(iter(self.papers))
                del self.papers[oldest]
        elif ev.kind == "paper.view":
            paper = self.papers.get(d["paper"])
            if paper is None:
                return
            page = min(d["page"], paper["pages"])
            paper["page"], paper["scroll"] = page, d.get("scroll", 0.0)
            if page not in paper["shown"]:
                paper["shown"].append(page)
            self.current = d["paper"]
        elif ev.kind == "paper.highlight":
            self.highlights.append({**d, "seq": ev.seq, "t": ev.t})
            del self.highlights[:-MAX_HIGHLIGHTS]


def papers_of(fold: StreamFold) -> Papers:
    return cast(Papers, fold.part("papers"))


def _watch(f: StreamFold, ev: Event) -> None:
    if ev.kind in KINDS:
        papers_of(f).apply(ev)


register_part("papers", Papers)
register_every(_watch)


class PageTexts:
    """Each page's text of a paper, read from the store's blob and extracted with PDFium
    (benchcast/papers.py). Keeps the few papers asked for last; thread-safe."""

    def __init__(self, store: Store, keep: int = 4) -> None:
        self.store = store
        self.keep = keep
        self._cache: OrderedDict[str, list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, digest: str) -> list[str]:
        with self._lock:
            found = self._cache.get(digest)
            if found is not None:
                self._cache.move_to_end(digest)
                return found
        from benchcast.papers import page_texts

        blob = self.store.blob(digest)
        texts = page_texts(blob[0]) if blob is not None and blob[1] == "application/pdf" else []
        with self._lock:
            self._cache[digest] = texts
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return texts
