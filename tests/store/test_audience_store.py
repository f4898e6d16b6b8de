"""The audience's side of the store: hidden events read as ``hidden`` everywhere (events,
keyframes written before the deletion), blobs remember their streams, sanctions expire."""

from __future__ import annotations

import time
from pathlib import Path

from benchcast.events import Draft
from benchcast.replay.fold import StreamFold
from benchcast.store.audience import AudienceStore
from benchcast.store.database import Store


def _said(i: str, text: str) -> dict[str, object]:
    return {"id": i, "user": "g:1", "name": "bo", "role": "guest", "text": text}


def test_a_hidden_message_is_gone_from_events_and_older_keyframes(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    db = AudienceStore(store)
    channel, _ = store.create_channel("ada")
    sid = store.create_stream(channel, "t", []).id
    drafts = [
        Draft(t=1, kind="chat.message", source="chat", data=_said("m1", "regrettable")),
        Draft(t=2, kind="chat.message", source="chat", data=_said("m2", "fine")),
    ]
    events = store.append(sid, drafts)
    with store.engine.begin() as conn:
        for ev in events:
            db.add_item(
                conn, item_id=ev.data["id"], stream_id=sid, seq=ev.seq, t=ev.t, kind="chat",
                user="g:1", ip="ip:x", data=ev.data,
            )  # fmt: skip
    fold = StreamFold().apply_all(events)
    store.put_keyframe(sid, fold.seq, fold.t, fold.snapshot())
    with store.engine.begin() as conn:
        item = db.item("m1", conn)
        assert item is not None
        db.hide(conn, item)
    assert [e.kind for e in store.events(sid)] == ["hidden", "chat.message"]
    assert store.events(sid)[0].data == {"id": "m1", "kind": "chat.message"}
    assert "regrettable" not in "".join(r[2] for r in store.events_json(sid))
    kf = store.keyframe(sid)
    assert kf is not None
    assert [m["id"] for m in kf.state["audience"]["chat"]] == ["m2"]
    store.close()


def test_blobs_remember_the_streams_that_refer_to_them(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    channel, _ = store.create_channel("ada")
    a = store.create_stream(channel, "a", []).id
    b = store.create_stream(channel, "b", []).id
    digest = store.put_blob(b"\x89PNG fake", "image/png")
    fig = {"run": "r1", "key": "samples", "blob": digest, "mime": "image/png"}
    for sid in (a, b, a):
        store.append(sid, [Draft(t=0, kind="figure", source="run:r1", data=fig)])
    assert sorted(AudienceStore(store).blob_streams(digest)) == sorted([a, b])
    store.close()


def test_sanctions_expire_and_bans_win(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    db = AudienceStore(store)
    channel, _ = store.create_channel("ada")
    now = time.time()
    with store.engine.begin() as conn:
        db.add_sanction(conn, channel.id, ["g:1"], "timeout", now + 60, "u:1", "")
        db.add_sanction(conn, channel.id, ["g:1"], "ban", None, "u:1", "")
        db.add_sanction(conn, channel.id, ["g:2"], "timeout", now - 1, "u:1", "")
    active = db.sanctions(channel.id)
    assert set(active) == {"g:1"} and active["g:1"].kind == "ban"
    with store.engine.begin() as conn:
        assert db.lift(conn, channel.id, ["g:1"]) == 2
    assert db.sanctions(channel.id) == {}
    store.close()
