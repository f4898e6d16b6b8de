"""Full-text search over every stream: one interface, the engine's own index underneath.

On SQLite (the embedded default) documents are indexed by an FTS5 table (``search_fts``,
external content: the text is stored once, in ``search_docs``); on PostgreSQL by a
``tsvector`` column with a GIN index. Both tokenize the same way — words are runs of letters
and digits, so ``train_loss`` and ``model.py`` are two words each — and both answer the same
query language:

    loss plateau          documents with both words
    "out of memory"       the words next to each other, in order
    optim*                any word starting with "optim"

A hit knows its stream time: a document of many terminal lines keeps each line's time
(``Doc.lines``), and the hit points at the line that matched, so its link opens the stream at
the moment that line was on screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection

from benchcast.store import schema

#: Kinds of document, as the indexer makes them (replay/searchdocs.py).
KINDS = (
    "term",
    "file",
    "diff",
    "note",
    "chat",
    "question",
    "comment",
    "bug",
    "paper",
    "run",
    "notebook",
    "marker",
    "now",
    "commit",
)
MAX_QUERY = 200
#: Documents ranked at most for one query: a word in more is ranked among the newest this many.
RANK_WINDOW = 2000
MAX_TERMS = 12
_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """A query that cannot be run; ``str()`` says why, fit for the person who typed it."""


@dataclass(frozen=True)
class Doc:
    """Something a stream showed or said, as searchable text."""

    seq: int
    t: float
    kind: str
    source: str
    text: str
    activity: str | None = None
    #: One stream time per line of ``text`` (a terminal's lines as they appeared).
    lines: tuple[float, ...] | None = None
    #: The audience item this indexes (a chat message's id): removed when it is hidden.
    ref: str | None = None


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    text: str
    channel: str | None = None
    activity: str | None = None
    tag: str | None = None
    kinds: tuple[str, ...] = ()
    stream: str | None = None
    #: Streams started at or after / before these unix times.
    since: float | None = None
    until: float | None = None
    #: "relevance" or "recent" (newest indexed first).
    order: str = "relevance"
    limit: int = 20
    offset: int = 0
    #: Leave out streams that are not public (unlisted, private). Only operators turn it off.
    public_only: bool = True


@dataclass
class Hit:
    stream: str
    title: str
    channel: str
    started_at: float
    tags: list[str]
    kind: str
    source: str
    activity: str | None
    #: The moment to open: the stream time of the line that matched.
    t: float
    #: The matching line with a line around it, as (text, matched) segments.
    context: list[tuple[str, bool]] = field(default_factory=list)
    seq: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "title": self.title,
            "channel": self.channel,
            "started_at": self.started_at,
            "tags": self.tags,
            "kind": self.kind,
            "source": self.source,
            "activity": self.activity,
            "t": self.t,
            "seq": self.seq,
            "context": [[s, m] for s, m in self.context],
            "url": f"/s/{self.stream}?t={self.t:.3f}",
        }


def words(text: str) -> list[str]:
    """The words of ``text`` as the index sees them: lowercased runs of letters and digits."""
    return _WORD.findall(text.lower())


def parse(query: str) -> list[Term]:
    """Terms of a query (see the module docstring). Raises QueryError for an empty one."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"a query has at most {MAX_QUERY} characters")
    terms: list[Term] = []
    for m in _TERM.finditer(query):
        quoted, bare = m.group(1), m.group(2)
        raw = quoted if quoted is not None else bare
        prefix = bare is not None and bare.endswith("*")
        ws = tuple(words(raw))
        if ws:
            terms.append(Term(ws, prefix=prefix))
    if not terms:
        raise QueryError("type a word to search for")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"at most {MAX_TERMS} words or phrases")
    return terms


def _fts5(terms: Sequence[Term]) -> str:
    # Words are letters and digits only, so quoting them is all the escaping FTS5 needs.
    return " AND ".join('"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in terms)


def _tsquery(terms: Sequence[Term]) -> str:
    parts = []
    for t in terms:
        ws = list(t.words)
        if t.prefix:
            ws[-1] += ":*"
        parts.append("(" + " <-> ".join(ws) + ")")
    return " & ".join(parts)


# ── finding the moment and the context of a hit ──────────────────────────────────────────


def _term_pattern(terms: Sequence[Term]) -> re.Pattern[str]:
    alts = []
    for t in terms:
        body = r"[\W_]+".join(re.escape(w) for w in t.words)
        alts.append(body + (r"[^\W_]*" if t.prefix else ""))
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alts) + r")(?![^\W_])", re.IGNORECASE)


def _line_score(line: str, terms: Sequence[Term], pattern: re.Pattern[str]) -> int:
    found = {m.group(0).lower() for m in pattern.finditer(line)}
    if not found:
        return 0
    low = " ".join(words(line))
    return sum(1 for t in terms if (" ".join(t.words)) in low)


def _segments(text: str, pattern: re.Pattern[str], width: int = 240) -> list[tuple[str, bool]]:
    if len(text) > width:
        m = pattern.search(text)
        start = max(0, (m.start() if m else 0) - width // 3)
        text = ("…" if start else "") + text[start : start + width] + "…"
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def locate(
    text_: str, lines: Sequence[float] | None, t: float, terms: Sequence[Term]
) -> tuple[float, list[tuple[str, bool]]]:
    """The moment of the best-matching line of a document, and its context."""
    pattern = _term_pattern(terms)
    rows = text_.split("\n")
    best, best_score = 0, -1
    for i, row in enumerate(rows):
        score = _line_score(row, terms, pattern)
        if score > best_score:
            best, best_score = i, score
            if score == len(terms):
                break
    when = t
    if lines and best < len(lines):
        when = float(lines[best])
    lo, hi = max(0, best - 1), min(len(rows), best + 2)
    if not lines:  # prose (a note, a file): the matching line alone, trimmed
        lo, hi = best, best + 1
    context = "\n".join(r.strip() if not lines else r.rstrip() for r in rows[lo:hi])
    return when, _segments(context, pattern)


# ── the index ────────────────────────────────────────────────────────────────────────────


def _visibility() -> Any:
    cs = schema.channel_settings
    return func.coalesce(schema.streams.c.visibility, cs.c.visibility, literal("public"))


class SearchIndex:
    """The search index of a store (``Store.search``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def add(
        self,
        conn: Connection,
        stream_id: str,
        docs: Sequence[Doc],
        upto_seq: int,
        *,
        removed: Iterable[str] = (),
        activities: Iterable[str] = (),
    ) -> None:
        """Index ``docs`` (and drop the documents of ``removed`` audience items), and record
        that the stream is indexed through ``upto_seq``; in the caller's transaction."""
        d = schema.search_docs
        gone = list(removed)
        if gone:
            self._remove(conn, stream_id, gone)
        if docs:
            rows: list[dict[str, Any]] = [
                {
                    "stream_id": stream_id,
                    "seq": doc.seq,
                    "t": doc.t,
                    "kind": doc.kind,
                    "source": doc.source[:1000],
                    "ref": doc.ref,
                    "activity": doc.activity,
                    "text": doc.text,
                    "lines": json.dumps([round(x, 3) for x in doc.lines]) if doc.lines else None,
                }
                for doc in docs
            ]
            if self.postgres:
                for row in rows:
                    row["norm"] = " ".join(words(str(row["text"])))
                stmt = insert(d).values(
                    tsv=func.to_tsvector(literal_column("'simple'::regconfig"), bindparam("norm"))
                )
                conn.execute(stmt, rows)
            else:
                # One writer at a time on SQLite: the new rows are those past the old maximum.
                before = conn.execute(select(func.coalesce(func.max(d.c.id), 0))).scalar_one()
                conn.execute(insert(d), rows)
                conn.execute(
                    text(
                        "INSERT INTO search_fts(rowid, text) "
                        "SELECT id, text FROM search_docs WHERE id > :before"
                    ),
                    {"before": before},
                )
        for activity in set(activities):
            _insert_new(
                conn, schema.stream_activities, {"stream_id": stream_id, "activity": activity}
            )
        p = schema.search_progress
        done = conn.execute(select(p.c.seq).where(p.c.stream_id == stream_id)).scalar()
        if done is None:
            conn.execute(insert(p).values(stream_id=stream_id, seq=upto_seq))
        elif upto_seq > done:
            conn.execute(p.update().where(p.c.stream_id == stream_id).values(seq=upto_seq))

    def _remove(self, conn: Connection, stream_id: str, refs: list[str]) -> None:
        d = schema.search_docs
        where = and_(d.c.stream_id == stream_id, d.c.ref.in_(refs))
        if not self.postgres:
            conn.execute(
                text(
                    "INSERT INTO search_fts(search_fts, rowid, text) "
                    "SELECT 'delete', id, text FROM search_docs "
                    "WHERE stream_id = :sid AND ref IN :refs"
                ).bindparams(bindparam("refs", expanding=True)),
                {"sid": stream_id, "refs": refs},
            )
        conn.execute(delete(d).where(where))

    def clear(self, conn: Connection, stream_id: str) -> None:
        """Forget a stream's documents and progress (before indexing it again)."""
        d = schema.search_docs
        if not self.postgres:
            conn.execute(
                text(
                    "INSERT INTO search_fts(search_fts, rowid, text) "
                    "SELECT 'delete', id, text FROM search_docs WHERE stream_id = :sid"
                ),
                {"sid": stream_id},
            )
        conn.execute(delete(d).where(d.c.stream_id == stream_id))
        conn.execute(
            delete(schema.search_progress).where(schema.search_progress.c.stream_id == stream_id)
        )

    def progress(self, stream_id: str) -> int:
        """The last seq whose documents are indexed (0: none)."""
        p = schema.search_progress
        with self.engine.connect() as conn:
            v = conn.execute(select(p.c.seq).where(p.c.stream_id == stream_id)).scalar()
        return int(v or 0)

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def search(self, query: Query) -> list[Hit]:
        """Hits for ``query``, best first (or newest first), each at its exact moment.

        Two steps: the matching documents' ids are ranked (a narrow query the engine can
        sort cheaply), then the page's documents are read. Words found in more than
        ``RANK_WINDOW`` documents are ranked among their newest ``RANK_WINDOW`` matches
        (more, when filters leave fewer than a page of them there): ranking every match of
        "loss" in a thousand hours of training logs would cost more than it tells.
        """
        terms = parse(query.text)
        d, s, c = schema.search_docs, schema.streams, schema.channels
        with self.engine.connect() as conn:
            # Streams are few (thousands) and documents many: settle which streams may
            # answer first, so the documents' query joins nothing it can avoid.
            only, hidden = self._streams(conn, query)
        if only is not None and not only:
            return []
        if self.postgres:
            tsq = func.to_tsquery(literal_column("'simple'::regconfig"), _tsquery(terms))
            rowid: Any = d.c.id
            q = select(d.c.id).select_from(d).where(d.c.tsv.op("@@")(tsq))
            score: Any = func.ts_rank(d.c.tsv, tsq).desc()
            docs = True
        else:
            fts = table("search_fts", column("rowid"), column("rank"))
            rowid = fts.c.rowid  # constraints on it reach FTS5 itself
            q = select(fts.c.rowid).where(literal_column("search_fts").op("MATCH")(_fts5(terms)))
            score = fts.c.rank
            docs = False
        words_only = q
        doc_filters: list[Any] = []
        if only is not None:
            doc_filters.append(d.c.stream_id.in_(only))
        if hidden:
            doc_filters.append(d.c.stream_id.not_in(hidden))
        if query.stream:
            doc_filters.append(d.c.stream_id == query.stream)
        if query.activity:
            doc_filters.append(d.c.activity == query.activity)
        if query.kinds:
            doc_filters.append(d.c.kind.in_(list(query.kinds)))
        if doc_filters:
            if not docs:
                q = q.join(d, d.c.id == rowid)
            q = q.where(*doc_filters)
        with self.engine.connect() as conn:
            page = (query.limit, query.offset)
            if query.order == "recent":
                ids = self._ids(conn, q.order_by(rowid.desc()), page)
            else:
                # Rank within the newest matches of the words (ignoring filters, which the
                # engine cannot apply as cheaply); widen while the filters leave the page
                # short, up to every match.
                ids = []
                for window in (RANK_WINDOW, RANK_WINDOW * 8, None):
                    bounded = q
                    if window is not None:
                        oldest = conn.execute(
                            words_only.order_by(rowid.desc()).offset(window - 1).limit(1)
                        ).scalar()
                        if oldest is not None:
                            bounded = q.where(rowid >= oldest)
                        else:
                            window = None
                    ids = self._ids(conn, bounded.order_by(score), page)
                    if window is None or len(ids) == query.limit:
                        break
            if not ids:
                return []
            cols = [
                d.c.id,
                d.c.stream_id,
                d.c.seq,
                d.c.t,
                d.c.kind,
                d.c.source,
                d.c.activity,
                d.c.text,
                d.c.lines,
                s.c.title,
                s.c.tags,
                s.c.started_at,
                c.c.name.label("channel"),
            ]
            rows = conn.execute(
                select(*cols)
                .join(s, s.c.id == d.c.stream_id)
                .join(c, c.c.id == s.c.channel_id)
                .where(d.c.id.in_(ids))
            ).all()
        by_id = {r.id: r for r in rows}
        hits = []
        for r in (by_id[i] for i in ids if i in by_id):
            lines = json.loads(r.lines) if r.lines else None
            when, context = locate(r.text, lines, r[3], terms)
            hits.append(
                Hit(
                    stream=r.stream_id,
                    title=r.title,
                    channel=r.channel,
                    started_at=r.started_at,
                    tags=json.loads(r.tags),
                    kind=r.kind,
                    source=r.source,
                    activity=r.activity,
                    t=when,
                    context=context,
                    seq=r.seq,
                )
            )
        return hits

    @staticmethod
    def _ids(conn: Connection, q: Any, page: tuple[int, int]) -> list[int]:
        limit, offset = page
        return [row[0] for row in conn.execute(q.limit(limit).offset(offset))]

    def _streams(self, conn: Connection, query: Query) -> tuple[list[str] | None, list[str]]:
        """(the streams that may answer, or None for all; streams that may not)."""
        s, c, cs = schema.streams, schema.channels, schema.channel_settings
        narrowed = query.channel or query.tag or query.since is not None
        narrowed = narrowed or query.until is not None
        q = select(s.c.id).join(c, c.c.id == s.c.channel_id)
        if query.public_only:
            q = q.outerjoin(cs, cs.c.channel_id == c.c.id)
        if not narrowed:
            if not query.public_only:
                return None, []
            return None, [r[0] for r in conn.execute(q.where(_visibility() != "public"))]
        if query.public_only:
            q = q.where(_visibility() == "public")
        if query.channel:
            q = q.where(c.c.name == query.channel)
        if query.tag:
            q = q.where(s.c.tags.contains(json.dumps(query.tag), autoescape=True))
        if query.since is not None:
            q = q.where(s.c.started_at >= query.since)
        if query.until is not None:
            q = q.where(s.c.started_at < query.until)
        return [r[0] for r in conn.execute(q)], []

    def moments(self, stream_id: str, kinds: Sequence[str]) -> list[tuple[float, str, str]]:
        """(t, kind, text) of a stream's documents of these kinds, oldest first: the notes,
        runs and bug reports a viewer can jump between."""
        d = schema.search_docs
        q = (
            select(d.c.t, d.c.kind, d.c.text)
            .where(d.c.stream_id == stream_id, d.c.kind.in_(list(kinds)))
            .order_by(d.c.t)
            .limit(5000)
        )
        with self.engine.connect() as conn:
            return [(t, kind, txt) for t, kind, txt in conn.execute(q)]


def _insert_new(conn: Connection, table: Any, row: dict[str, Any]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**row).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**row).on_conflict_do_nothing())
