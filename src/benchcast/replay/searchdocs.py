"""What of a stream is searchable: its log turned into documents (``store.search.Doc``), each
with the stream time a hit should open.

Terminal output is indexed as it appeared on screen, through the fold's VT emulator, never as
raw bytes: escape codes, cursor movement, progress bars redrawn in place and lines typed
character by character all resolve to the lines a viewer saw. A line is indexed when it
leaves the screen — it scrolls off the top, or is overwritten by different text after being
shown long enough to read — or when its terminal or the stream ends; its time is when it got
the text it had then, so opening a hit shows the line on screen. Lines are gathered into
documents of up to ``CHUNK_LINES`` lines (each keeps its own time).

Everything else is indexed as it arrives: notes, chat, questions and comments (removed again
if a moderator hides them), file snapshots and diffs, run names and config, notebook cells,
papers' titles and highlights, markers, goals, commits, and what the streamer said
(transcript segments, opening at the moment they were said).

A paper's text is indexed page by page (``pages``: a lookup from the PDF's hash to each page's
text, replay/papers.py ``PageTexts``): a page when the streamer first shows it, at that
moment, so a hit opens the stream with that page on screen; pages never shown are indexed when
the stream ends, at the moment the paper opened.

``StreamIndexer`` wraps a ``StreamFold``: apply events through it, ``take()`` the documents
made so far (the keyframer does at every keyframe). Memory is bounded: per terminal a screen's
worth of line times, a chunk being filled and a set of recently indexed lines.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, TerminalFold
from benchcast.store.archive import Archive
from benchcast.store.database import Store
from benchcast.store.search import Doc

#: Lines per terminal document; a document also closes when its first line is this old.
CHUNK_LINES = 40
CHUNK_SECONDS = 120.0
#: A line overwritten in place is indexed only if it stood this long (a progress bar's
#: intermediate states, or a command being typed, are not).
STABLE_SECONDS = 0.5
#: Recently indexed lines per terminal, not indexed again (a full-screen app redrawing).
RECENT_LINES = 2000
MAX_DOC_TEXT = 64 * 1024
_AUDIENCE = {"chat.message": "chat", "question": "question"}


def _row_text(term: TerminalFold, y: int) -> str:
    # .get, not [y]: pyte's buffer is a defaultdict, and which rows exist changes what its
    # resize keeps; reading must not change the screen.
    row = term.screen.buffer.get(y)
    if row is None:
        return ""
    return "".join(row[x].data for x in range(term.cols)).rstrip()


def _in_place(old: str, new: str) -> bool:
    """Whether ``new`` is ``old`` updated in place (a progress bar, a line being typed)."""
    if new.startswith(old):
        return True
    n = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        n += 1
    return n >= 4 and n * 2 >= len(old)


class _TermLines:
    """One terminal's screen as lines with the stream time each got its text."""

    def __init__(self, owner: StreamIndexer, source: str, term: TerminalFold, t: float) -> None:
        self.owner = owner
        self.source = source
        self.term = term
        self.text = [_row_text(term, y) for y in range(term.rows)]
        self.since = [t] * term.rows
        self.recent: OrderedDict[str, None] = OrderedDict()
        self.chunk: list[tuple[float, str]] = []
        term.screen.on_scroll = self._scrolled

    def _commit(self, line: str, t: float) -> None:
        if not line.strip():
            return
        key = hashlib.blake2b(line.encode(), digest_size=8).hexdigest()
        if key in self.recent:
            self.recent.move_to_end(key)
            return
        self.recent[key] = None
        if len(self.recent) > RECENT_LINES:
            self.recent.popitem(last=False)
        if self.chunk and (len(self.chunk) >= CHUNK_LINES or t - self.chunk[0][0] > CHUNK_SECONDS):
            self.flush()
        self.chunk.append((t, line))

    def _scrolled(self, top: int, bottom: int) -> None:
        """The line at ``top`` is about to scroll off (called inside the emulator)."""
        now = self.owner.now
        line = _row_text(self.term, top)
        self._commit(line, self.since[top] if line == self.text[top] else now)
        del self.text[top]
        del self.since[top]
        self.text.insert(bottom, "")
        self.since.insert(bottom, now)

    def settle(self) -> None:
        """After an event: rows whose text changed get the event's time; a row overwritten
        by different text is indexed as it stood, if it stood long enough to be read."""
        screen = self.term.screen
        now = self.owner.now
        if len(self.text) != self.term.rows:  # resized: start over from what is shown
            self.finish()
            self.text = [_row_text(self.term, y) for y in range(self.term.rows)]
            self.since = [now] * self.term.rows
            screen.dirty.clear()
            return
        for y in sorted(screen.dirty):
            if y >= len(self.text):
                continue
            new = _row_text(self.term, y)
            old = self.text[y]
            if new == old:
                continue
            if old and now - self.since[y] >= STABLE_SECONDS and not _in_place(old, new):
                self._commit(old, self.since[y])
            self.text[y] = new
            self.since[y] = now
        screen.dirty.clear()

    def finish(self) -> None:
        """Index every line still on screen (the terminal or the stream ended)."""
        for line, t in zip(self.text, self.since, strict=False):
            self._commit(line, t)
        self.flush()

    def flush(self) -> None:
        if not self.chunk:
            return
        chunk, self.chunk = self.chunk, []
        self.owner.emit(
            Doc(
                seq=self.owner.seq,
                t=min(t for t, _ in chunk),
                kind="term",
                source=self.source,
                text="\n".join(line for _, line in chunk),
                activity=self.owner.fold.activity,
                lines=tuple(t for t, _ in chunk),
            )
        )


@dataclass(frozen=True)
class Batch:
    """Documents to add, audience items whose documents to remove, the activities seen, and
    the seq the index is complete through once they are written (``Archive.index``)."""

    docs: list[Doc]
    removed: list[str]
    activities: list[str]
    upto: int

    def write(self, archive: Archive, stream_id: str) -> None:
        archive.index(
            stream_id, self.docs, self.upto, removed=self.removed, activities=self.activities
        )


def _flat(value: Any, prefix: str = "", out: list[str] | None = None) -> list[str]:
    """A config or summary as ``key=value`` words: ``optimizer.lr=0.001``."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        out.append(f"{prefix}=" + ",".join(str(v) for v in value[:20]))
    else:
        out.append(f"{prefix}={value}")
    return out


class StreamIndexer:
    """A fold that also makes search documents (see the module docstring).

    ``skip_through``: documents completed at or before this seq are already in the index (a
    keyframer rebuilding after a restart) and are not made again.
    """

    def __init__(
        self,
        fold: StreamFold,
        *,
        skip_through: int = 0,
        pages: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.fold = fold
        self.pages = pages
        self.skip_through = skip_through
        self.now = fold.t
        self.seq = fold.seq
        self.docs: list[Doc] = []
        self.removed: list[str] = []
        self.activities: set[str] = {fold.activity} if fold.activity else set()
        self._terms: dict[str, _TermLines] = {}
        self._files: dict[str, str] = {}  # path → hash of the text last indexed
        # paper hash → pages indexed so far (from the fold: a rebuilt indexer knows them)
        part = fold.parts.get("papers")
        self._shown: dict[str, set[int]] = {
            h: set(p.get("shown", ())) for h, p in getattr(part, "papers", {}).items()
        }

    # ── feeding ──────────────────────────────────────────────────────────────────────────

    def apply(self, ev: Event) -> None:
        self.now, self.seq = ev.t, ev.seq
        kind = ev.kind
        if kind.startswith("term."):
            self._before_term(ev)
            self.fold.apply(ev)
            lines = self._terms.get(ev.source)
            if lines is not None:
                if kind == "term.close":
                    lines.finish()
                else:
                    lines.settle()
            return
        self.fold.apply(ev)
        if kind == "stream.end":
            self._unshown_pages(ev)
            self.finish()
        elif kind in ("activity", "stream.start") and self.fold.activity:
            self.activities.add(self.fold.activity)
        self._index(ev)

    def apply_all(self, events: Iterable[Event]) -> StreamIndexer:
        for ev in events:
            self.apply(ev)
        return self

    def _before_term(self, ev: Event) -> None:
        lines = self._terms.get(ev.source)
        if ev.kind == "term.open":
            if lines is not None:  # a terminal opened again starts blank
                lines.finish()
                del self._terms[ev.source]
            return
        term = self.fold.term(ev.source)
        if lines is None or lines.term is not term:
            # The fold's time is still the previous event's: when what is shown was last seen.
            self._terms[ev.source] = _TermLines(self, ev.source, term, self.fold.t)

    def finish(self) -> None:
        """Index everything still on any screen (the stream ended)."""
        for lines in self._terms.values():
            lines.finish()

    def take(self, *, final: bool = False) -> Batch:
        """What to write to the index since the last take. ``final``: the stream is over, so
        lines still on screen and part-filled chunks are indexed too."""
        if final:
            self.finish()
        for lines in self._terms.values():
            lines.flush()
        batch = Batch(self.docs, self.removed, sorted(self.activities), self.seq)
        self.docs, self.removed = [], []
        return batch

    def emit(self, doc: Doc) -> None:
        if doc.seq <= self.skip_through:
            return
        if len(doc.text) > MAX_DOC_TEXT:
            doc = Doc(**{**doc.__dict__, "text": doc.text[:MAX_DOC_TEXT], "lines": None})
        self.docs.append(doc)

    # ── everything but the terminal ──────────────────────────────────────────────────────

    def _doc(self, ev: Event, kind: str, source: str, text: str, ref: str | None = None) -> None:
        if text.strip():
            self.emit(
                Doc(
                    seq=ev.seq,
                    t=ev.t,
                    kind=kind,
                    source=source,
                    text=text,
                    activity=self.fold.activity,
                    ref=ref,
                )
            )

    def _page_doc(self, ev: Event, digest: str, page: int) -> None:
        """Index one page of a paper at this event's moment (when it came on screen)."""
        if self.pages is None or ev.seq <= self.skip_through:
            return
        texts = self.pages(digest)
        if 1 <= page <= len(texts):
            title = self._paper_title(digest)
            self._doc(ev, "paper", f"{title} p. {page}", texts[page - 1])

    def _paper_title(self, digest: str) -> str:
        part = self.fold.parts.get("papers")
        paper = getattr(part, "papers", {}).get(digest) if part is not None else None
        return str(paper["title"]) if paper else "paper"

    def _unshown_pages(self, ev: Event) -> None:
        """The stream ended: index the pages of each paper never shown, at the moment the
        paper opened (its ``seq`` is this event's, so a rebuilt index does not repeat them)."""
        part = self.fold.parts.get("papers")
        if self.pages is None or part is None or ev.seq <= self.skip_through:
            return
        for digest, paper in getattr(part, "papers", {}).items():
            shown = self._shown.setdefault(digest, set())
            texts = self.pages(digest)
            for page in range(1, len(texts) + 1):
                if page in shown or not texts[page - 1].strip():
                    continue
                shown.add(page)
                self.emit(
                    Doc(
                        seq=ev.seq,
                        t=float(paper["t"]),
                        kind="paper",
                        source=f"{paper['title']} p. {page}",
                        text=texts[page - 1],
                        activity=self.fold.activity,
                    )
                )

    def _index(self, ev: Event) -> None:
        d = ev.data
        kind = ev.kind
        if kind == "note":
            self._doc(ev, "note", ev.source, d["text"])
        elif kind in _AUDIENCE:
            self._doc(ev, _AUDIENCE[kind], d.get("name", ""), d["text"], ref=d["id"])
        elif kind == "comment":
            doc_kind = "bug" if d.get("kind") == "bug" else "comment"
            anchor = d.get("anchor") or {}
            where = anchor.get("file") or anchor.get("run") or anchor.get("term") or ""
            self._doc(ev, doc_kind, str(where), d["text"], ref=d["id"])
        elif kind == "chat.delete":
            ref = d["id"]
            before = len(self.docs)
            self.docs = [doc for doc in self.docs if doc.ref != ref]
            if len(self.docs) == before:
                self.removed.append(ref)
        elif kind == "file.snapshot":
            if self._files.get(d["path"]) != d["hash"]:
                self._files[d["path"]] = d["hash"]
                self._doc(ev, "file", d["path"], d["path"] + "\n" + d["text"])
        elif kind == "file.patch":
            self._files[d["path"]] = d["hash"]
            changed = [
                line[1:]
                for line in d["diff"].split("\n")
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]
            self._doc(ev, "diff", d["path"], d["path"] + "\n" + "\n".join(changed))
        elif kind == "run.start":
            parts = [d.get("name") or d["run"], d["run"], d.get("project", ""), d.get("group", "")]
            parts += d.get("tags", []) + _flat(d.get("config", {}))
            if d.get("notes"):
                parts.append(d["notes"])
            self._doc(ev, "run", d["run"], " ".join(p for p in parts if p))
        elif kind == "run.end":
            name = d["run"]
            summary = " ".join(_flat(d.get("summary", {})))
            self._doc(ev, "run", name, f"{name} {d.get('status', '')} {summary}")
        elif kind == "nb.cell" and d.get("status") != "running":
            outs = [o.get("text", "") for o in d.get("outputs", ()) if "text" in o]
            self._doc(ev, "notebook", d["notebook"], "\n".join([d["source"], *outs]))
        elif kind == "paper.open":
            self._doc(ev, "paper", str(d.get("title", "")), str(d.get("title", "")))
            shown = self._shown.setdefault(d["blob"], set())
            if 1 not in shown:
                shown.add(1)
                self._page_doc(ev, d["blob"], 1)
        elif kind == "paper.view":
            shown = self._shown.setdefault(d["paper"], set())
            if d["page"] not in shown:
                shown.add(d["page"])
                self._page_doc(ev, d["paper"], d["page"])
        elif kind == "paper.highlight":
            quote, note = d.get("quote", ""), d.get("note", "")
            self._doc(ev, "paper", str(d.get("paper", "")), f"{quote}\n{note}")
        elif kind == "marker":
            self._doc(ev, "marker", "stream", d["label"])
        elif kind == "now":
            text = "\n".join(v for v in (d.get("goal"), d.get("hypothesis"), d.get("next")) if v)
            self._doc(ev, "now", "stream", text)
        elif kind == "git.commit":
            self._doc(ev, "commit", d["hash"][:12], d["message"])
        elif kind == "transcript" and d["text"].strip():
            # A hit opens the moment it was said, not when transcribing it was done.
            self.emit(
                Doc(
                    seq=ev.seq,
                    t=d["start"],
                    kind="transcript",
                    source=ev.source,
                    text=d["text"],
                    activity=self.fold.activity,
                )
            )


def reindex(store: Store, stream_id: str, *, page: int = 5000) -> int:
    """Index a stream again from its log (a stream stored before the index existed, or after
    the indexing rules changed); return how many documents it has now."""
    archive = Archive(store)
    archive.clear_index(stream_id)
    stream = store.stream(stream_id)
    if stream is None:
        return 0
    from benchcast.replay.papers import PageTexts

    indexer = StreamIndexer(StreamFold(), pages=PageTexts(store))
    n = 0
    for i, ev in enumerate(store.iter_events(stream_id), 1):
        indexer.apply(ev)
        if i % page == 0:
            batch = indexer.take()
            batch.write(archive, stream_id)
            n += len(batch.docs)
    batch = indexer.take(final=not stream.live)
    batch.write(archive, stream_id)
    return n + len(batch.docs)
