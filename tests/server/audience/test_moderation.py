"""Moderation against a real server: deleted messages disappear live and from replay, bans
and timeouts hold (and survive a restart), moderators are appointed by the streamer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchcast.events import Event
from benchcast.replay.fold import StreamFold
from tests.conftest import ServerProcess
from tests.server.audience.conftest import (
    Live,
    Viewer,
    add_user,
    event_of,
    go_live,
    grant,
    recv_until,
)


@pytest.fixture
def solo(tmp_path: Path) -> Iterator[Live]:
    """A live stream on an SQLite server that tests may restart."""
    srv = ServerProcess(tmp_path / "server").start()
    stream = go_live(srv)
    yield stream
    stream.close()
    srv.stop()


def test_a_deleted_message_disappears_live_and_from_replay(solo: Live) -> None:
    url = solo.server.url
    bo = Viewer(url)
    bo.guest("bo")
    ws = Viewer(url).socket(solo.sid)
    m1 = bo.chat(solo.sid, "something regrettable").json()["id"]
    m2 = bo.chat(solo.sid, "something fine").json()["id"]
    q = bo.act(solo.sid, "/questions", {"text": "a rude question"}).json()["id"]
    recv_until(ws, event_of("question", id=q))
    for item in (m1, q):
        res = solo.streamer.post(f"/api/streams/{solo.sid}/messages/{item}/delete", json={})
        assert res.status_code == 201, res.text
        recv_until(ws, event_of("chat.delete", id=item))
    again = solo.streamer.post(f"/api/streams/{solo.sid}/messages/{m1}/delete", json={})
    assert again.status_code == 409
    # The archive serves a tombstone in its place, to every reader …
    events = solo.events()
    hidden = [e for e in events if e["kind"] == "hidden"]
    assert [e["data"] for e in hidden] == [
        {"id": m1, "kind": "chat.message"},
        {"id": q, "kind": "question"},
    ]
    assert "regrettable" not in json.dumps(events) and "rude" not in json.dumps(events)
    # … and a late joiner's socket too.
    late = Viewer(url).socket(solo.sid, "?since=0")
    frame = recv_until(late, lambda m: m.get("type") == "events")
    assert "regrettable" not in json.dumps(frame)
    # Replayed, the chat holds only what was not deleted.
    fold = StreamFold().apply_all(Event(**e) for e in events)
    chat = fold.snapshot()["audience"]
    assert [m["id"] for m in chat["chat"]] == [m2] and chat["questions"] == []
    inbox = solo.streamer.get(f"/api/channels/{solo.channel}/inbox").json()
    assert [m["id"] for m in inbox["chat"]] == [m2] and inbox["questions"] == []


def test_authors_delete_their_own_messages_only(solo: Live) -> None:
    url = solo.server.url
    bo, cy = Viewer(url), Viewer(url)
    bo.guest("bo")
    cy.guest("cy")
    mine = bo.chat(solo.sid, "oops, typo").json()["id"]
    assert cy.act(solo.sid, f"/messages/{mine}/delete").status_code == 403
    assert cy.act(solo.sid, "/mod/timeout", {"user": "g:" + "0" * 20}).status_code == 403
    assert bo.act(solo.sid, f"/messages/{mine}/delete").status_code == 201


def test_bans_and_timeouts_hold_and_survive_a_restart(solo: Live) -> None:
    url = solo.server.url
    troll = Viewer(url, address="127.0.0.2")
    troll.guest("troll")
    noisy = Viewer(url, address="127.0.0.3")
    noisy.guest("noisy")
    troll_id = troll.post("/api/session/guest", {"name": "troll"}).json()["user"]
    noisy_id = noisy.post("/api/session/guest", {"name": "noisy"}).json()["user"]
    assert troll.chat(solo.sid, "spam").status_code == 201
    assert noisy.chat(solo.sid, "loud").status_code == 201
    s = solo.streamer
    assert (
        s.post(
            f"/api/streams/{solo.sid}/mod/ban", json={"user": troll_id, "reason": "spam"}
        ).status_code
        == 201
    )
    res = s.post(f"/api/streams/{solo.sid}/mod/timeout", json={"user": noisy_id, "minutes": 5})
    assert res.status_code == 201

    def refused() -> None:
        res = troll.chat(solo.sid, "let me in")
        assert res.status_code == 403 and "banned" in res.json()["error"]
        res = noisy.chat(solo.sid, "hello?")
        assert res.status_code == 403 and "timed out for 5 more minutes" in res.json()["error"]
        # A new guest name from the banned guest's address is banned too.
        again = Viewer(url, address="127.0.0.2")
        again.guest("innocent")
        assert again.chat(solo.sid, "hi").status_code == 403

    refused()
    solo.pub.close()
    solo.server.stop()
    solo.server.start()
    from tests.helpers import publisher

    solo.pub, _ = publisher(url, solo.key, stream=solo.sid)
    refused()
    # An account writing from the banned address is not bound by the address ban.
    add_user(solo.server, "carol", "long enough password")
    carol = Viewer(url, address="127.0.0.2")
    carol.login("carol", "long enough password")
    assert carol.chat(solo.sid, "accounts still may").status_code == 201
    # Lifted, they write again; every action is in the log.
    for who in (troll_id, noisy_id):
        assert s.post(f"/api/streams/{solo.sid}/mod/unban", json={"user": who}).status_code == 201
    assert troll.chat(solo.sid, "sorry").status_code == 201
    assert noisy.chat(solo.sid, "sorry too").status_code == 201
    kinds = [e["kind"] for e in solo.events() if e["kind"].startswith("mod.")]
    assert kinds == ["mod.ban", "mod.timeout", "mod.unban", "mod.unban"]


def test_the_streamer_appoints_moderators_who_cannot_sanction_staff(solo: Live) -> None:
    srv, url = solo.server, solo.server.url
    add_user(srv, "ada", "long enough password")
    grant(srv, "ada", solo.channel, "streamer")
    add_user(srv, "mo", "long enough password")
    ada, mo, bo = Viewer(url), Viewer(url), Viewer(url)
    ada_me = ada.login("ada", "long enough password")
    mo_me = mo.login("mo", "long enough password")
    bo.guest("bo")
    mo.chat(solo.sid, "hi")
    bo_msg = bo.chat(solo.sid, "hello").json()["id"]
    assert mo.act(solo.sid, f"/messages/{bo_msg}/delete").status_code == 403
    assert mo.act(solo.sid, "/mod/role", {"user": mo_me["user"], "role": "mod"}).status_code == 403
    assert ada.act(solo.sid, "/mod/role", {"user": mo_me["user"], "role": "mod"}).status_code == 201
    assert mo.act(solo.sid, f"/messages/{bo_msg}/delete").status_code == 201
    assert mo.act(solo.sid, "/mod/ban", {"user": ada_me["user"]}).status_code == 403
    assert ada.act(solo.sid, "/mod/ban", {"user": mo_me["user"]}).status_code == 403
    pin = ada.chat(solo.sid, "read the README first").json()["id"]
    assert bo.act(solo.sid, f"/messages/{pin}/pin", {"pinned": True}).status_code == 403
    assert mo.act(solo.sid, f"/messages/{pin}/pin", {"pinned": True}).status_code == 201
    roles = [e["data"]["role"] for e in solo.events() if e["kind"] == "chat.message"]
    assert roles[-1] == "streamer"
    staff = solo.streamer.get(f"/api/channels/{solo.channel}/inbox").json()["staff"]
    assert {(s["name"], s["role"]) for s in staff} == {("ada", "streamer"), ("mo", "mod")}
    assert (
        ada.act(solo.sid, "/mod/role", {"user": mo_me["user"], "role": "viewer"}).status_code == 201
    )
    assert mo.act(solo.sid, "/mod/timeout", {"user": "g:" + "0" * 20}).status_code == 403
