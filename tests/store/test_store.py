"""The store: keys stored hashed, appends deduplicated by pseq, reads paged and ordered, the
publisher lease fencing appends — the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from benchcast.events import Draft
from benchcast.store.database import LeaseLost, Store, StoreError, hash_key

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'b.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


def out(text: str, pseq: int | None = None, t: float = 0.0) -> Draft:
    return Draft(t=t, kind="term.output", source="term:1", data={"text": text}, pseq=pseq)


def test_stream_keys_are_stored_only_as_hashes(store: Store) -> None:
    channel, key = store.create_channel("ada")
    assert key.startswith("bck_") and len(key) > 30
    with store.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT * FROM channels"))]
    assert stored and key not in repr(stored)
    assert store.channel_for_key(key) == channel
    assert store.channel_for_key(key + "x") is None
    assert hash_key(key) != key


def test_channel_names_are_checked_and_unique(store: Store) -> None:
    store.create_channel("ada")
    with pytest.raises(StoreError, match="already exists"):
        store.create_channel("ada")
    with pytest.raises(StoreError, match="lowercase"):
        store.create_channel("Ada Lovelace")


def test_appends_assign_dense_seqs_and_skip_resent_pseqs(store: Store) -> None:
    channel, _ = store.create_channel("ada")
    s = store.create_stream(channel, "t", [])
    assert [e.seq for e in store.append(s.id, [out("a", 1), out("b", 2)])] == [1, 2]
    assert [e.seq for e in store.append(s.id, [out("a", 1), out("b", 2), out("c", 3)])] == [3]
    assert [e.data["text"] for e in store.events(s.id)] == ["a", "b", "c"]
    # Events without a pseq (the audience, the server) are never deduplicated.
    assert [e.seq for e in store.append(s.id, [out("d"), out("d")])] == [4, 5]


def test_stream_time_never_runs_backwards(store: Store) -> None:
    channel, _ = store.create_channel("ada")
    s = store.create_stream(channel, "t", [])
    store.append(s.id, [out("a", t=5.0), out("b", t=3.0)])
    assert [e.t for e in store.events(s.id)] == [5.0, 5.0]


def test_a_store_reopened_after_close_keeps_everything(store_url: str) -> None:
    url = store_url
    first = Store(url)
    channel, key = first.create_channel("ada")
    s = first.create_stream(channel, "t", ["ml"])
    first.append(s.id, [out("kept", 1)])
    first.put_keyframe(s.id, 1, 0.0, {"v": 1})
    first.close()
    again = Store(url)
    assert again.channel_for_key(key) is not None
    assert again.stream(s.id) is not None and again.stream(s.id).tags == ["ml"]  # type: ignore[union-attr]
    assert [e.data for e in again.events(s.id)] == [{"text": "kept"}]
    assert again.keyframe(s.id) is not None
    again.close()


def test_only_the_lease_holder_appends_and_the_newest_taker_wins(store: Store) -> None:
    channel, _ = store.create_channel("ada")
    s = store.create_stream(channel, "t", [])
    store.take_lease(s.id, "a/1")
    assert [e.seq for e in store.append(s.id, [out("a", 1)], holder="a/1")] == [1]
    store.take_lease(s.id, "b/2")  # the publisher reconnected, to another process
    with pytest.raises(LeaseLost):
        store.append(s.id, [out("late", 2)], holder="a/1")
    store.release_lease(s.id, "a/1")  # the old connection closing gives up nothing
    assert [e.seq for e in store.append(s.id, [out("a", 1), out("b", 2)], holder="b/2")] == [2]
    # Events without a publisher (the streamer's notes over HTTP) need no lease.
    assert [e.seq for e in store.append(s.id, [out("note")])] == [3]
    store.release_lease(s.id, "b/2")
    with pytest.raises(LeaseLost):
        store.append(s.id, [out("c", 3)], holder="b/2")


def test_concurrent_appends_from_many_processes_get_dense_unique_seqs(pg_database: str) -> None:
    # Several stores on one database stand for several server processes (PostgreSQL only:
    # SQLite serves one process, whose appends go through one writer thread).
    stores = [Store(pg_database) for _ in range(3)]
    channel, _ = stores[0].create_channel("ada")
    s = stores[0].create_stream(channel, "t", [])

    def write(store: Store, n: int) -> None:
        for i in range(20):
            store.append(s.id, [out(f"{n}.{i}"), out(f"{n}.{i}+")])

    threads = [threading.Thread(target=write, args=(st_, n)) for n, st_ in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = stores[0].events(s.id, limit=1000)
    assert [e.seq for e in events] == list(range(1, 121))
    assert len({e.data["text"] for e in events}) == 120
    # Each append's two events are adjacent: a batch is one transaction.
    for a, b in zip(events[::2], events[1::2], strict=True):
        assert b.data["text"] == a.data["text"] + "+"
    for st_ in stores:
        st_.close()


def test_keyframes_and_blobs_written_twice_are_kept_once(store: Store) -> None:
    channel, _ = store.create_channel("ada")
    s = store.create_stream(channel, "t", [])
    store.append(s.id, [out("a", 1)])
    store.put_keyframe(s.id, 1, 0.0, {"v": 1})
    store.put_keyframe(s.id, 1, 0.0, {"v": 1})
    assert store.keyframe_index(s.id) == [(1, 0.0)]
    digest = store.put_blob(b"\x00png", "image/png")
    assert store.put_blob(b"\x00png", "image/png") == digest
    assert store.blob(digest) == (b"\x00png", "image/png")


def test_heads_name_each_streams_last_seq(store: Store) -> None:
    channel, _ = store.create_channel("ada")
    a = store.create_stream(channel, "a", [])
    b = store.create_stream(channel, "b", [])
    store.append(a.id, [out("x"), out("y")])
    assert store.heads([a.id, b.id, "nope"]) == {a.id: 2, b.id: 0}


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.integers(1, 40), max_size=10), max_size=8))
def test_any_pattern_of_resends_stores_each_pseq_once_in_order(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    batches: list[list[int]],
) -> None:
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('s') / 'b.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")  # one database; a new stream per example
    )
    store = Store(url)
    channel = store.channel("ada") or store.create_channel("ada")[0]
    s = store.create_stream(channel, "t", [])
    for batch in batches:
        # A publisher resends from its last ack: each batch is a run starting anywhere ≤ next.
        start = min(batch) if batch else 1
        store.append(s.id, [out(str(p), p) for p in range(start, start + len(batch))])
    texts = [int(e.data["text"]) for e in store.events(s.id, limit=10_000)]
    assert texts == sorted(set(texts))
    store.close()


def test_a_stream_abandoned_by_a_dead_publisher_stops_counting_as_live(tmp_path: Path) -> None:
    import time

    from benchcast.store.database import ABANDONED_AFTER

    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    channel, _ = store.create_channel("ada")
    fresh = store.create_stream(channel, "fresh", [])
    old = store.create_stream(channel, "old", [], started_at=time.time() - ABANDONED_AFTER - 60)
    store.append(old.id, [out("last words", 1, t=10.0)])
    assert [s.title for s in store.streams(live=True)] == ["fresh"]
    assert [s.title for s in store.streams(live=False)] == ["old"]
    assert store.stream(fresh.id).live and not store.stream(old.id).live  # type: ignore[union-attr]
    store.close()
