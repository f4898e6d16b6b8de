"""The store: keys stored hashed, appends deduplicated by pseq, reads paged and ordered."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchcast.events import Draft
from benchcast.store.database import Store, StoreError, hash_key


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'b.db'}")


def out(text: str, pseq: int | None = None, t: float = 0.0) -> Draft:
    return Draft(t=t, kind="term.output", source="term:1", data={"text": text}, pseq=pseq)


def test_stream_keys_are_stored_only_as_hashes(store: Store, tmp_path: Path) -> None:
    channel, key = store.create_channel("ada")
    assert key.startswith("bck_") and len(key) > 30
    assert key.encode() not in (tmp_path / "b.db").read_bytes()
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


def test_a_store_reopened_after_close_keeps_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
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


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(1, 40), max_size=10), max_size=8))
def test_any_pattern_of_resends_stores_each_pseq_once_in_order(
        tmp_path_factory: pytest.TempPathFactory, batches: list[list[int]]) -> None:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('s') / 'b.db'}")
    channel, _ = store.create_channel("ada")
    s = store.create_stream(channel, "t", [])
    for batch in batches:
        # A publisher resends from its last ack: each batch is a run starting anywhere ≤ next.
        start = min(batch) if batch else 1
        store.append(s.id, [out(str(p), p) for p in range(start, start + len(batch))])
    texts = [int(e.data["text"]) for e in store.events(s.id, limit=10_000)]
    assert texts == sorted(set(texts))
    store.close()
