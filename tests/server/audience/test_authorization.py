"""A private stream stays private on every route: the walk below calls every HTTP route and
websocket the app has (whatever module added it) as an anonymous viewer, a guest, an account
that was not invited and the holder of a revoked invitation link, and finds none of the
stream's events, title, blobs, search hits or feed entries in any answer. Invited accounts
and valid links are the control: they do see it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import ConnectionClosed

from benchcast.server.app import create_app
from tests.conftest import ServerProcess
from tests.helpers import publish, publisher, ws_base, ws_connect
from tests.server.audience.conftest import Viewer, add_user

MARKER = "PRIVATE-MARKER-7f3a"
TITLE = "Top secret experiment"
BLOB = b"\x89PNG\r\n\x1a\n" + MARKER.encode() * 4
PASSWORD = "long enough password"


def _draft(pseq: int, kind: str, source: str, data: dict[str, object]) -> dict[str, object]:
    return {"pseq": pseq, "t": pseq / 10, "kind": kind, "source": source, "data": data}


class Private:
    def __init__(self, srv: ServerProcess) -> None:
        self.srv = srv
        self.key = srv.create_channel("secret")
        s = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {self.key}"})
        assert s.post("/api/channels/secret/settings", json={"visibility": "private"}).is_success
        self.pub, welcome = publisher(srv.url, self.key, title=TITLE)
        self.sid = welcome["stream"]
        self.digest = hashlib.sha256(BLOB).hexdigest()
        start = {"title": TITLE, "tags": ["secret"]}
        self.pub.send(
            json.dumps(
                {
                    "type": "blob",
                    "hash": self.digest,
                    "mime": "image/png",
                    "size": len(BLOB),
                    "offset": 0,
                    "data": base64.b64encode(BLOB).decode(),
                }
            )
        )
        assert json.loads(self.pub.recv(timeout=10))["type"] == "blob.ack"
        fig = {"run": "r1", "key": "samples", "blob": self.digest, "mime": "image/png"}
        publish(
            self.pub,
            [
                _draft(1, "stream.start", "stream", start),
                _draft(2, "term.output", "term:1", {"text": f"{MARKER}\r\n"}),
                _draft(3, "note", "notes", {"text": f"note {MARKER}"}),
                _draft(4, "figure", "run:r1", fig),
                _draft(5, "marker", "stream", {"label": f"chapter {MARKER}"}),
            ],
        )
        self.item = s.post(f"/api/streams/{self.sid}/chat", json={"text": f"chat {MARKER}"}).json()[
            "id"
        ]
        s.post(f"/api/streams/{self.sid}/questions", json={"text": f"question {MARKER}"})
        # Accounts: one invited, one not; two invitation links, one revoked after use.
        add_user(srv, "invitee", PASSWORD)
        add_user(srv, "outsider", PASSWORD)
        assert s.post("/api/channels/secret/invites", json={"user": "invitee"}).is_success
        self.link = s.post("/api/channels/secret/invites", json={}).json()
        self.revoked_link = s.post("/api/channels/secret/invites", json={}).json()
        s.close()

    def revoke(self, invite_id: int) -> None:
        with httpx.Client(base_url=self.srv.url) as c:
            res = c.post(
                f"/api/channels/secret/invites/{invite_id}/revoke",
                headers={"Authorization": f"Bearer {self.key}"},
            )
        assert res.is_success, res.text


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Private]:
    srv = ServerProcess(Path(tmp_path_factory.mktemp("auth")) / "server").start()
    p = Private(srv)
    yield p
    p.pub.close()
    srv.stop()


def _identities(p: Private) -> dict[str, Viewer]:
    url = p.srv.url
    anonymous = Viewer(url)
    anonymous.http.cookies.clear()  # not even an anonymous session
    guest = Viewer(url)
    assert guest.guest("curious").is_success
    outsider = Viewer(url)
    outsider.login("outsider", PASSWORD)
    revoked = Viewer(url)
    assert revoked.http.get(p.revoked_link["url"]).status_code in (200, 303)
    assert MARKER in revoked.http.get(f"/api/streams/{p.sid}/events").text  # before revoking
    return {"anonymous": anonymous, "guest": guest, "outsider": outsider, "revoked": revoked}


def _fill(path: str, p: Private) -> str:
    values = {
        "stream_id": p.sid,
        "name": "secret",
        "hash": p.digest,
        "item": p.item,
        "token": "not-a-token",
    }
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "1"), path)


def _routes() -> tuple[list[tuple[str, str]], list[str]]:
    http, sockets = [], []
    for r in create_app("sqlite://").routes:
        if isinstance(r, Route):
            http += [(m, r.path) for m in sorted((r.methods or set()) - {"HEAD"})]
        elif isinstance(r, WebSocketRoute):
            sockets.append(r.path)
    return http, sockets


QUERY = {"q": "7f3a", "since": "0", "t": "1", "limit": "100", "channel": "secret"}


def _leaks(body: bytes) -> bool:
    return MARKER.encode() in body or TITLE.encode() in body or BLOB in body


def test_no_route_or_socket_shows_a_private_stream_to_whoever_may_not_see_it(
    private: Private,
) -> None:
    p = private
    http, sockets = _routes()
    assert len(http) > 30 and "/ws/streams/{stream_id}" in sockets
    people = _identities(p)
    p.revoke(p.revoked_link["id"])
    walked = 0
    for who, viewer in people.items():
        for method, path in http:
            url = _fill(path, p)
            headers = {"X-CSRF-Token": viewer.csrf}
            if method == "GET":
                res = viewer.http.get(url, params=QUERY, headers=headers)
            else:
                res = viewer.http.request(method, url, json={}, headers=headers)
            walked += 1
            assert not _leaks(res.content), f"{who}: {method} {path} -> {res.status_code}"
            scoped = "{stream_id}" in path or "{name}" in path or "{hash}" in path
            if scoped and method == "GET" and not path.endswith(("/feed.atom", "/schedule.ics")):
                assert res.status_code in (303, 401, 403, 404), f"{who}: {method} {path}"
            if scoped and method != "GET":
                assert res.status_code >= 400, f"{who}: {method} {path} -> {res.status_code}"
        ws = viewer.socket(p.sid)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                assert not _leaks(str(ws.recv(timeout=10)).encode()), who
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404, who
    assert walked == 4 * len(http)


def test_a_bearer_key_of_another_channel_opens_nothing(private: Private) -> None:
    p = private
    other = p.srv.create_channel("elsewhere")
    c = httpx.Client(base_url=p.srv.url, headers={"Authorization": f"Bearer {other}"})
    for path in (
        f"/api/streams/{p.sid}/events",
        f"/blobs/{p.digest}",
        "/api/channels/secret/inbox",
    ):
        res = c.get(path)
        assert res.status_code == 404 and not _leaks(res.content), path
    ws = ws_connect(
        f"{ws_base(p.srv.url)}/ws/streams/{p.sid}",
        additional_headers={"Authorization": f"Bearer {other}"},
    )
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=10)
    c.close()


def test_invited_accounts_and_valid_links_see_it_all(private: Private) -> None:
    p = private
    invitee = Viewer(p.srv.url)
    invitee.login("invitee", PASSWORD)
    holder = Viewer(p.srv.url)
    assert holder.http.get(p.link["url"]).status_code in (200, 303)
    for viewer in (invitee, holder):
        assert MARKER in viewer.http.get(f"/api/streams/{p.sid}/events").text
        blob = viewer.http.get(f"/blobs/{p.digest}")
        assert blob.content == BLOB and blob.headers["cache-control"].startswith("private")
        assert TITLE in viewer.http.get(f"/s/{p.sid}").text
        ws = viewer.socket(p.sid)
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
    # Revoking cuts an open socket off within seconds.
    ws = holder.socket(p.sid, "?since=0")
    p.revoke(p.link["id"])
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    assert holder.http.get(f"/api/streams/{p.sid}/events").status_code == 404
