"""The search index: the same queries, filters and answers on SQLite (FTS5) and PostgreSQL
(tsvector); terminal text indexed as the screen showed it, each hit at its moment."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, update
from sqlalchemy import text as sql

from benchcast.events import Draft, validate_payload
from benchcast.replay.fold import StreamFold
from benchcast.replay.searchdocs import StreamIndexer, reindex
from benchcast.store import migrate, schema
from benchcast.store import search as search_module
from benchcast.store.archive import Archive
from benchcast.store.database import Store, engine_url
from benchcast.store.search import Doc, Query, QueryError, parse

DAY = 86400.0
START = 1_790_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 'b.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    s = Store(url)
    yield s
    s.close()


def stream_with(
    store: Store,
    channel: str,
    specs: list[tuple[float, str, str, dict[str, Any]]],
    *,
    tags: tuple[str, ...] = (),
    started: float = START,
    end: bool = True,
) -> str:
    """A stream made as the server makes one, indexed as the keyframer indexes it."""
    ch = store.channel(channel) or store.create_channel(channel)[0]
    stream = store.create_stream(ch, f"{channel}'s stream", list(tags), started_at=started)
    drafts = [Draft(t=t, kind=k, source=s, data=validate_payload(k, d)) for t, k, s, d in specs]
    if end:
        drafts.append(
            Draft(t=specs[-1][0] + 1, kind="stream.end", source="stream", data={"reason": "done"})
        )
    indexer = StreamIndexer(StreamFold())
    indexer.apply_all(store.append(stream.id, drafts))
    indexer.take(final=end).write(Archive(store), stream.id)
    return stream.id


def terminal(
    lines: list[tuple[float, str]], rows: int = 5
) -> list[tuple[float, str, str, dict[str, Any]]]:
    out: list[tuple[float, str, str, dict[str, Any]]] = [
        (0.0, "term.open", "term:1", {"cols": 80, "rows": rows})
    ]
    out += [(t, "term.output", "term:1", {"text": text}) for t, text in lines]
    return out


def search(store: Store, text: str, **kw: Any) -> list[Any]:
    return Archive(store).search.search(Query(text, **kw))


def test_a_word_printed_in_colour_is_found_at_the_moment_it_appeared(store: Store) -> None:
    sid = stream_with(
        store,
        "ada",
        terminal(
            [(1.0 + i, f"epoch {i} loss {0.9 - i / 100:.2f}\r\n") for i in range(20)]
            + [(5025.0, "\x1b[1;31mWARNING\x1b[0m: over\x1b[4mflow\x1b[0m in zanzibar_proj\r\n")]
            + [(5030.0 + i, f"epoch {i} again\r\n") for i in range(20)]
        ),
    )
    [hit] = search(store, "zanzibar")
    assert (hit.stream, hit.kind, hit.source, hit.t) == (sid, "term", "term:1", 5025.0)
    assert "WARNING: overflow in zanzibar_proj" in "".join(s for s, _ in hit.context).splitlines()
    assert [s for s, m in hit.context if m] == ["zanzibar"]
    # The screen's text, not the bytes: escape codes are not words, split words are whole.
    assert search(store, "overflow") and not search(store, "31m")
    assert search(store, '"warning overflow"')[0].t == 5025.0


def test_lines_redrawn_in_place_are_indexed_once_as_they_ended(store: Store) -> None:
    bar = [(10 + i / 10, f"\rdownloading {i * 10:3d}% {'#' * i}") for i in range(11)]
    stream_with(store, "ada", terminal([(1.0, "$ fetch\r\n"), *bar, (13.0, "\r\ndone\r\n")]))
    hits = search(store, "downloading")
    assert len(hits) == 1
    assert "100%" in "".join(s for s, _ in hits[0].context)
    assert hits[0].t == pytest.approx(11.0)
    assert not search(store, '"downloading 50"')


def test_everything_else_is_searchable_too(store: Store) -> None:
    said = {"user": "u:1", "name": "bo", "role": "viewer"}
    text = "import torch\nmodel = Transformer(heads=8)\n"
    stream_with(
        store,
        "ada",
        [
            (1.0, "note", "notes", {"text": "The **plateau** is the warmup"}),
            (2.0, "chat.message", "chat", {"id": "m1", "text": "try gradient clipping", **said}),
            (3.0, "question", "qa", {"id": "q1", "text": "why cosine schedule?", **said}),
            (4.0, "file.snapshot", "files", {"path": "model.py", "text": text, "hash": "a" * 64}),
            (
                5.0,
                "run.start",
                "run:r1",
                {"run": "r1", "name": "sweep-7", "config": {"optimizer": {"name": "lion"}}},
            ),
            (6.0, "chat.message", "chat", {"id": "m2", "text": "spam spam", **said}),
            (7.0, "chat.delete", "chat", {"id": "m2", "by": "c:ada"}),
        ],
    )
    assert [h.kind for h in search(store, "plateau")] == ["note"]
    assert [h.kind for h in search(store, "clipping")] == ["chat"]
    assert [h.kind for h in search(store, "cosine")] == ["question"]
    assert [(h.kind, h.source) for h in search(store, "transformer")] == [("file", "model.py")]
    assert [h.kind for h in search(store, "lion")] == ["run"]
    assert search(store, "spam") == []  # hidden by a moderator: gone from the index too


def test_filters_channel_tag_activity_kind_and_dates(store: Store) -> None:
    specs = [
        (0.0, "activity", "stream", {"mode": "data work"}),
        (1.0, "note", "notes", {"text": "tokenizer bug"}),
        (2.0, "activity", "stream", {"mode": "debugging"}),
        (3.0, "note", "notes", {"text": "tokenizer fixed"}),
    ]
    stream_with(store, "ada", specs, tags=("ml",))
    stream_with(store, "bo", specs, tags=("policy research",), started=START + 10 * DAY)
    assert len(search(store, "tokenizer")) == 4
    assert {h.channel for h in search(store, "tokenizer", channel="bo")} == {"bo"}
    assert {h.channel for h in search(store, "tokenizer", tag="ml")} == {"ada"}
    assert {h.channel for h in search(store, "tokenizer", tag="policy research")} == {"bo"}
    assert [h.t for h in search(store, "tokenizer", activity="debugging", channel="ada")] == [3.0]
    assert search(store, "tokenizer", kinds=("chat",)) == []
    assert {h.channel for h in search(store, "tokenizer", since=START + DAY)} == {"bo"}
    assert {h.channel for h in search(store, "tokenizer", until=START + DAY)} == {"ada"}
    recent = search(store, "tokenizer", order="recent")
    assert [h.channel for h in recent][:2] == ["bo", "bo"]
    assert search(store, "tokeni*") and search(store, "tokenizer", limit=1, offset=3)


def test_filters_reach_past_the_ranking_window_and_facets_are_not_words(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window of 2: "loss" is ranked among its 2 newest matches that pass the filters.
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)
    note = [(1.0, "note", "notes", {"text": "loss spike"})]
    for i in range(5):
        stream_with(store, f"lab{i}", note, started=START + i * DAY)
    assert len(search(store, "loss")) == 5
    assert [h.channel for h in search(store, "loss", channel="lab0")] == ["lab0"]
    assert [h.channel for h in search(store, "loss", until=START + DAY)] == ["lab0"]
    assert {h.channel for h in search(store, "loss", limit=2, offset=3)} <= {"lab0", "lab1"}
    assert len(search(store, "loss", limit=2, offset=3)) == 2
    # Filters that leave too many streams to name in the index query: checked on the rows.
    monkeypatch.setattr(search_module, "MAX_FACET_STREAMS", 0)
    assert [h.channel for h in search(store, "loss", channel="lab0")] == ["lab0"]
    assert [h.channel for h in search(store, "loss", until=START + DAY)] == ["lab0"]
    assert len(search(store, "loss", since=START + DAY, order="recent")) == 4
    assert search(store, "loss", activity="x" * 3000) == []  # longer than any activity
    assert search(store, "loss", stream="s" * 3000) == []
    # A document's facets (its kind, stream, activity) are index tokens no query can type.
    kind_token = search_module.facet("k", "note")
    assert search(store, kind_token) == [] and search(store, kind_token[:4] + "*") == []


def test_an_index_made_before_facets_is_rebuilt_with_them(store: Store) -> None:
    specs = [
        (0.0, "activity", "stream", {"mode": "debugging"}),
        (1.0, "note", "notes", {"text": "tokenizer bug"}),
    ]
    stream_with(store, "ada", specs)
    said = {"user": "u:1", "name": "bo", "role": "viewer"}
    chat = [(1.0, "chat.message", "chat", {"id": "m1", "text": "tokenizer?", **said})]
    stream_with(store, "bo", chat)
    url = store.url
    store.close()
    # Back to the index as 0004 made it (no facets), then forward: rebuilt from the rows.
    spec = importlib.util.spec_from_file_location(
        "facets_migration", migrate.MIGRATIONS / "versions" / "0006_search_facets.py"
    )
    assert spec is not None and spec.loader is not None
    facets_migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(facets_migration)
    engine = create_engine(engine_url(url))
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        facets_migration.downgrade()
    with engine.connect() as conn:  # no facets left in the index
        if conn.dialect.name == "postgresql":
            facets = "SELECT count(*) FROM search_docs WHERE tsv::text LIKE '%''\\_k%'"
        else:
            facets = "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%facets%'"
        assert conn.execute(sql(facets)).scalar() == 0
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        facets_migration.upgrade()
    engine.dispose()
    again = Store(url)
    try:
        assert len(search(again, "tokenizer")) == 2
        assert [h.channel for h in search(again, "tokenizer", activity="debugging")] == ["ada"]
        assert [h.channel for h in search(again, "tokeni*", kinds=("chat",))] == ["bo"]
        assert [h.channel for h in search(again, "tokenizer", channel="bo")] == ["bo"]
    finally:
        again.close()


def test_only_public_streams_are_listed(store: Store) -> None:
    sid = stream_with(store, "ada", [(1.0, "note", "notes", {"text": "secret plan"})])
    assert search(store, "secret")
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.streams).where(schema.streams.c.id == sid).values(visibility="private")
        )
    assert search(store, "secret") == []
    assert search(store, "secret", public_only=False)


def test_queries_that_cannot_run_say_why() -> None:
    for bad in ("", "   ", "*** ---", "x" * 300):
        with pytest.raises(QueryError):
            parse(bad)
    assert [t.words for t in parse('train_loss "out of memory" optim*')] == [
        ("train", "loss"),
        ("out", "of", "memory"),
        ("optim",),
    ]


def test_reindex_rebuilds_the_same_documents(store: Store) -> None:
    sid = stream_with(store, "ada", terminal([(1.0, "alpha beta\r\n"), (2.0, "gamma\r\n")]))
    before = [(h.t, h.kind) for h in search(store, "gamma")]
    assert reindex(store, sid) >= 1
    assert [(h.t, h.kind) for h in search(store, "gamma")] == before
    assert Archive(store).search.progress(sid) == store.stream(sid).last_seq  # type: ignore[union-attr]


def test_documents_already_indexed_are_not_made_again() -> None:
    fold = StreamFold()
    indexer = StreamIndexer(fold, skip_through=2)
    from benchcast.events import Event

    for i, text in enumerate(["one", "two", "three"], 1):
        indexer.apply(Event(seq=i, t=float(i), kind="note", source="notes", data={"text": text}))
    assert [d.text for d in indexer.take().docs] == ["three"]
    assert isinstance(Doc(1, 0.0, "note", "x", "y"), Doc)
