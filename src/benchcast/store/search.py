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

Filters are answered by the index too, not after it: every document is also indexed under
*facet* tokens — its kind, its stream and its activity — that no typed word can produce (a
column of their own in FTS5, lexemes starting with ``_`` in the tsvector). A filtered query is
one index lookup, and ranking sees only the documents that pass the filters. Streams chosen
by channel, tag or date become a list of stream facets (up to ``MAX_FACET_STREAMS``; more, and
they are checked against ``search_docs`` instead).
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    Engine,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
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
    "transcript",
)
MAX_QUERY = 200
#: Documents ranked at most for one query: a word in more is ranked among the newest this many.
RANK_WINDOW = 2000
MAX_TERMS = 12
#: Streams a filter may name as index facets. A filter that leaves more streams (a wide date
#: range on a big archive), or more than 16 that are over ``1 / FACET_SHARE`` of them all (a
#: common tag), is checked against the documents' table instead: most matches pass it, so
#: walking the newest matches fills the window sooner than the index joins a long list.
MAX_FACET_STREAMS = 500
FACET_SHARE = 5
_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
#: What a word (or the start of one) must look like to be, or begin, a facet token.
_FACET_LIKE = re.compile(r"[ksa][0-9a-f]*")


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


def _tsquery(terms: Sequence[Term], *, phrases: bool = True) -> str:
    # phrases=False: a phrase's words anywhere in the document, which the GIN index answers
    # without reading the documents (a phrase needs each candidate's positions).
    parts = []
    for t in terms:
        ws = list(t.words)
        if t.prefix:
            ws[-1] += ":*"
        parts.append("(" + (" <-> " if phrases else " & ").join(ws) + ")")
    return " & ".join(parts)


# ── facets: the filters, as index tokens ─────────────────────────────────────────────────


def facet(name: str, value: str) -> str:
    """The index token of a document's kind (``k``), stream (``s``) or activity (``a``): the
    field letter and the value's UTF-8 in hex, one letters-and-digits word whatever the value.

    The same token is made in SQL by the migration that indexed the facets (0006) and, on
    SQLite, by the ``search_fts_source`` view; they must agree."""
    return name + value.encode().hex()


def doc_facets(kind: str, stream_id: str, activity: str | None) -> list[str]:
    """A document's facet tokens."""
    out = [facet("k", kind), facet("s", stream_id)]
    if activity is not None:
        out.append(facet("a", activity))
    return out


@dataclass
class _Facets:
    """A query's filters as facets: every group must match one of its tokens, and no
    document may match any of ``exclude``."""

    groups: list[list[str]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def fts5(self, terms: Sequence[Term]) -> str:
        out = f"({_fts5(terms)})"
        # A facet token is a word too, to FTS5: words that could be one must be found in
        # the text column. Only then, as the column filter makes FTS5 read every match's
        # positions (it doubles the cost of a common word).
        if any(_FACET_LIKE.fullmatch(w) for t in terms for w in t.words):
            out = f"(text : {out})"
        for group in self.groups:
            out += " AND facets : (" + " OR ".join(group) + ")"
        if self.exclude:
            out = f"({out}) NOT facets : (" + " OR ".join(self.exclude) + ")"
        return out

    def tsquery(self) -> str | None:
        # Quoted, and cast rather than parsed: the parser would split "_s…" into words.
        parts = ["(" + " | ".join(f"'_{t}'" for t in g) + ")" for g in self.groups]
        if self.exclude:
            parts.append("!(" + " | ".join(f"'_{t}'" for t in self.exclude) + ")")
        return " & ".join(parts) if parts else None


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
                for row, doc in zip(rows, docs, strict=True):
                    row["norm"] = " ".join(words(str(row["text"])))
                    tokens = doc_facets(doc.kind, stream_id, doc.activity)
                    row["facets"] = ["_" + f for f in tokens]
                simple: Any = literal_column("'simple'::regconfig")
                words_tsv = func.to_tsvector(simple, bindparam("norm"))
                facets_tsv = func.array_to_tsvector(bindparam("facets", type_=ARRAY(Text)))
                stmt = insert(d).values(tsv=words_tsv.op("||")(facets_tsv))
                conn.execute(stmt, rows)
            else:
                # One writer at a time on SQLite: the new rows are those past the old maximum.
                # The view search_fts_source gives each row's text and facets.
                before = conn.execute(select(func.coalesce(func.max(d.c.id), 0))).scalar_one()
                conn.execute(insert(d), rows)
                conn.execute(
                    text(
                        "INSERT INTO search_fts(rowid, text, facets) "
                        "SELECT id, text, facets FROM search_fts_source WHERE id > :before"
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
            # FTS5 forgets a row given exactly what it indexed: the view's text and facets.
            conn.execute(
                text(
                    "INSERT INTO search_fts(search_fts, rowid, text, facets) "
                    "SELECT 'delete', id, text, facets FROM search_fts_source WHERE id IN "
                    "(SELECT id FROM search_docs WHERE stream_id = :sid AND ref IN :refs)"
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
                    "INSERT INTO search_fts(search_fts, rowid, text, facets) "
                    "SELECT 'delete', id, text, facets FROM search_fts_source WHERE id IN "
                    "(SELECT id FROM search_docs WHERE stream_id = :sid)"
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

        Two steps: the matching documents' ids are ranked, then the page's documents are
        read. The filters are part of the index lookup (see the module docstring), and a
        word found in more than ``RANK_WINDOW`` documents that pass them is ranked among its
        newest ``RANK_WINDOW`` (more, when a later page needs them): ranking every match of
        "loss" in a thousand hours of training logs would cost more than it tells. One index
        lookup gives the window and its scores.
        """
        terms = parse(query.text)
        d, s, c = schema.search_docs, schema.streams, schema.channels
        with self.engine.connect() as conn:
            # Streams are few (thousands) and documents many: settle which streams may
            # answer first, so the documents' query joins nothing it can avoid.
            only, hidden = self._streams(conn, query)
        if only is not None and not only:
            return []
        # No stored value is longer than its column; as a facet, one could be too long for
        # an index token (PostgreSQL's end at 2,047 bytes).
        for value, col in ((query.activity, d.c.activity), (query.stream, d.c.stream_id)):
            if value and len(value) > (getattr(col.type, "length", None) or len(value)):
                return []
        facets = _Facets()
        doc_filters: list[Any] = []
        if only is not None:
            few = len(only) <= min(16, MAX_FACET_STREAMS)
            if few or len(only) <= min(MAX_FACET_STREAMS, self._stream_count() // FACET_SHARE):
                facets.groups.append([facet("s", x) for x in only])
            else:
                doc_filters.append(d.c.stream_id.in_(only))
        if hidden:
            if len(hidden) <= MAX_FACET_STREAMS:
                facets.exclude += [facet("s", x) for x in hidden]
            else:
                doc_filters.append(d.c.stream_id.not_in(hidden))
        if query.stream:
            facets.groups.append([facet("s", query.stream)])
        if query.activity:
            facets.groups.append([facet("a", query.activity)])
        if query.kinds:
            facets.groups.append([facet("k", k) for k in query.kinds])
        with self.engine.connect() as conn:
            if query.order == "recent":
                ids = [
                    row[0]
                    for row in conn.execute(
                        self._window(terms, facets, doc_filters, None, scored=False)
                        .limit(query.limit)
                        .offset(query.offset)
                    )
                ]
            else:
                ids = self._ranked(conn, terms, facets, doc_filters, query)
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

    def _ranked(
        self,
        conn: Connection,
        terms: Sequence[Term],
        facets: _Facets,
        doc_filters: list[Any],
        query: Query,
    ) -> list[int]:
        """The page's ids, best first: ranked within the newest matches, a window widened
        only while it was full and the page is still short (a later page, or phrases on
        PostgreSQL, whose window holds candidates that may not be phrase matches)."""
        if not self.postgres:
            for window in (RANK_WINDOW, RANK_WINDOW * 8, None):
                # SQLite ranks the window itself (cheaper than handing 2,000 rows over);
                # whether the window was full is asked only when the page is short.
                w = self._window(terms, facets, doc_filters, window).subquery()
                q = select(w.c.id).order_by(w.c.score, w.c.id.desc())
                ids = [r[0] for r in conn.execute(q.limit(query.limit).offset(query.offset))]
                if window is None or len(ids) == query.limit:
                    break
                if conn.execute(select(func.count()).select_from(w)).scalar_one() < window:
                    break
            return ids
        top = conn.execute(select(func.max(schema.search_docs.c.id))).scalar() or 0
        # Left to itself, the planner walks the primary key backwards and tests each row's
        # tsvector, which it prices as cheap; reading each from TOAST is not (a word in 4%
        # of a big archive: 50,000 rows read for a window of 2,000). The GIN index's
        # bitmap, bounded by an id range below, touches only the matches.
        conn.execute(text("SET LOCAL enable_indexscan = off"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        page = slice(query.offset, query.offset + query.limit)
        for window in (RANK_WINDOW, RANK_WINDOW * 8, None):
            if window is None:
                rows = conn.execute(self._window(terms, facets, doc_filters, None)).all()
            else:
                rows = self._newest(conn, terms, facets, doc_filters, window, top)
            # ts_rank: higher is better. Ties: newest first. A score of NULL is a candidate
            # without the phrase.
            scored = ((-r[1], -r[0]) for r in rows if r[1] is not None)
            ids = [-neg_id for _score, neg_id in heapq.nsmallest(page.stop, scored)[page]]
            if window is None or len(rows) < window or len(ids) == query.limit:
                break
        conn.execute(text("RESET enable_indexscan"))
        conn.execute(text("RESET enable_seqscan"))
        return ids

    def _newest(
        self,
        conn: Connection,
        terms: Sequence[Term],
        facets: _Facets,
        doc_filters: list[Any],
        window: int,
        top: int,
    ) -> list[Any]:
        """PostgreSQL: the window's (id, score) rows, read from the newest documents first.
        A common word fills the window from them; a range that falls short tells how often
        the query matches, so the next is sized to fill the window; the third is all."""
        span = 4 * window
        rows: list[Any] = []
        for probe in range(3):
            since = top - span if span < top and probe < 2 else None
            q = self._window(terms, facets, doc_filters, window, since=since)
            rows = list(conn.execute(q).all())
            if len(rows) == window or since is None:
                break
            span = span * 16 if not rows else int(span * window / len(rows) * 1.5)
        return rows

    def _window(
        self,
        terms: Sequence[Term],
        facets: _Facets,
        doc_filters: list[Any],
        window: int | None,
        *,
        scored: bool = True,
        since: int | None = None,
    ) -> Any:
        """The newest ``window`` matches (all: None), newest first: (id, score) rows, or ids
        alone when not ``scored``; only documents with ids over ``since`` (PostgreSQL)."""
        d = schema.search_docs
        if since is not None:
            doc_filters = [*doc_filters, d.c.id > since]
        if self.postgres:
            phrase = any(len(t.words) > 1 for t in terms)
            words_q = func.to_tsquery(
                literal_column("'simple'::regconfig"), _tsquery(terms, phrases=False)
            )
            text_q = func.to_tsquery(literal_column("'simple'::regconfig"), _tsquery(terms))
            facets_q = facets.tsquery()
            match: Any = text_q if not phrase or not scored else words_q
            if facets_q is not None:
                match = match.op("&&")(cast(literal(facets_q), TSQUERY))
            where = [d.c.tsv.op("@@")(match), *doc_filters]
            if not scored:
                return select(d.c.id).where(*where).order_by(d.c.id.desc())
            q = select(d.c.id, d.c.tsv).where(*where).order_by(d.c.id.desc())
            # Scored outside the window's query, so only the window's rows are scored.
            w = (q.limit(window) if window is not None else q).subquery()
            score: Any = func.ts_rank(w.c.tsv, text_q)
            if phrase:
                # Read each candidate's positions once the window is chosen, not before.
                score = case((w.c.tsv.op("@@")(text_q), score), else_=null())
            return select(w.c.id, score)
        fts = table("search_fts", column("rowid"))
        fts_match = literal_column("search_fts").op("MATCH")(facets.fts5(terms))
        # bm25 of the text column alone: facets weigh nothing.
        bm25 = func.bm25(literal_column("search_fts"), 1.0, 0.0)
        rowid = fts.c.rowid.label("id")
        sq = select(rowid, bm25.label("score")) if scored else select(rowid)
        sq = sq.where(fts_match)
        if doc_filters:
            sq = sq.join(d, d.c.id == fts.c.rowid).where(*doc_filters)
        sq = sq.order_by(fts.c.rowid.desc())
        return sq.limit(window) if window is not None else sq

    def _stream_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.streams)).scalar_one())

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
