"""The audience's JSON API and viewer websocket, against a real server: chat, questions and
votes, anchored comments and their status, polls, the inbox, and the rules every write
passes (a name, CSRF, limits, the channel's settings)."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from tests.conftest import ServerProcess
from tests.server.audience.conftest import Live, Viewer, add_user, event_of, recv_until


def test_a_guest_chats_and_every_viewer_gets_it_over_the_websocket(live: Live) -> None:
    url = live.server.url
    watcher = Viewer(url)
    ws = watcher.socket(live.sid)
    bo = Viewer(url)
    assert bo.guest("bo").status_code == 200
    res = bo.chat(live.sid, "hello @ada, is `lr` 3e-4?")
    assert res.status_code == 201, res.text
    mid = res.json()["id"]
    frame = recv_until(ws, event_of("chat.message", id=mid))
    (ev,) = [e for e in frame["events"] if e["kind"] == "chat.message"]
    assert ev["source"] == "chat"
    assert ev["data"] | {"user": "-"} == {
        "id": mid,
        "user": "-",
        "name": "bo",
        "role": "guest",
        "text": "hello @ada, is `lr` 3e-4?",
        "reply_to": None,
        "mentions": ["ada"],
    }
    # The same action over the socket: the same rules, answered on the socket.
    bws = bo.socket(live.sid)
    bws.send(json.dumps({"type": "act", "ref": 1, "action": "chat", "body": {"text": "via ws"}}))
    done = recv_until(bws, lambda m: m.get("ref") == 1)
    assert done["type"] == "done" and done["result"]["seq"] > ev["seq"]
    recv_until(ws, event_of("chat.message", text="via ws"))
    # The streamer's inbox lists the mention.
    inbox = live.streamer.get(f"/api/channels/{live.channel}/inbox").json()
    assert [m["id"] for m in inbox["mentions"]] == [mid]


def test_writing_needs_a_name_and_a_csrf_token_from_this_site(live: Live) -> None:
    url = live.server.url
    anon = Viewer(url)
    assert anon.chat(live.sid, "hi").status_code == 401
    anon.guest("cy")
    no_token = anon.http.post(f"/api/streams/{live.sid}/chat", json={"text": "hi"})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]
    other_site = anon.post(
        f"/api/streams/{live.sid}/chat", {"text": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert other_site.status_code == 403
    assert anon.chat(live.sid, "hi").status_code == 201
    # A page of another site cannot act through the viewer's cookie over the websocket either.
    cookie = "; ".join(f"{k}={v}" for k, v in anon.http.cookies.items())
    from tests.helpers import ws_base, ws_connect

    ws = ws_connect(
        f"{ws_base(url)}/ws/streams/{live.sid}",
        additional_headers={"Cookie": cookie, "Origin": "https://evil.example"},
    )
    anon.sockets.append(ws)
    ws.send(json.dumps({"type": "act", "ref": 9, "action": "chat", "body": {"text": "csrf"}}))
    refused = recv_until(ws, lambda m: m.get("ref") == 9)
    assert refused["type"] == "refused" and refused["status"] == 401


def test_questions_take_one_vote_each_and_are_answered_at_a_moment(live: Live) -> None:
    url = live.server.url
    asker, v1, v2 = Viewer(url), Viewer(url), Viewer(url)
    for v, name in ((asker, "asker"), (v1, "vee one"), (v2, "vee two")):
        v.guest(name)
    qid = asker.act(live.sid, "/questions", {"text": "why cosine decay?"}).json()["id"]
    other = asker.act(live.sid, "/questions", {"text": "which GPU?"}).json()["id"]
    for v in (v1, v2):
        assert v.act(live.sid, f"/questions/{qid}/vote", {}).status_code == 201
    again = v1.act(live.sid, f"/questions/{qid}/vote", {})
    assert again.status_code == 409 and "already" in again.json()["error"]
    assert v2.act(live.sid, f"/questions/{other}/vote", {}).status_code == 201
    assert v2.act(live.sid, f"/questions/{other}/vote", {"up": False}).status_code == 201
    # Viewers cannot answer; the streamer can, once.
    assert v1.act(live.sid, f"/questions/{qid}/answered").status_code == 403
    inbox = live.streamer.get(f"/api/channels/{live.channel}/inbox").json()
    assert [(q["id"], q["votes"]) for q in inbox["questions"]] == [(qid, 2), (other, 0)]
    answered = live.streamer.post(f"/api/streams/{live.sid}/questions/{qid}/answered")
    assert answered.status_code == 201
    at = answered.json()
    assert (
        live.streamer.post(f"/api/streams/{live.sid}/questions/{qid}/answered").status_code == 409
    )
    events = live.events()
    (ev,) = [e for e in events if e["kind"] == "question.answered"]
    assert (ev["seq"], ev["t"], ev["data"]["question"]) == (at["seq"], at["t"], qid)
    inbox = live.streamer.get(f"/api/channels/{live.channel}/inbox").json()
    assert [q["id"] for q in inbox["answered"]] == [qid]
    assert inbox["answered"][0]["status_t"] == at["t"]
    assert v1.act(live.sid, f"/questions/{qid}/vote", {"up": False}).status_code == 409


def test_comments_on_any_anchor_are_kept_and_their_status_changes_live(live: Live) -> None:
    url = live.server.url
    bo = Viewer(url)
    bo.guest("bo")
    ws = Viewer(url).socket(live.sid)
    anchors = [
        {"file": "train.py", "line": 42, "end_line": 44, "text": "lr = 3e-4"},
        {"term": "term:1", "seq": 1, "end_seq": 1, "text": "nan"},
        {"run": "r1", "metric": "loss", "step": 100},
        {"figure": "samples"},
        {"notebook": "eda.ipynb", "cell": "c3"},
        {"paper": "attention.pdf", "page": 3, "quote": "scaled dot-product"},  # no panel yet
    ]
    ids = []
    for i, anchor in enumerate(anchors):
        kind = ["bug", "idea", "question"][i % 3]
        res = bo.act(live.sid, "/comments", {"kind": kind, "text": f"look #{i}", "anchor": anchor})
        assert res.status_code == 201, res.text
        ids.append(res.json()["id"])
    bad = bo.act(
        live.sid, "/comments", {"kind": "bug", "text": "x", "anchor": {"file": "a", "run": "b"}}
    )
    assert bad.status_code == 400 and "exactly one" in bad.json()["error"]
    assert bo.act(live.sid, f"/comments/{ids[0]}/status", {"status": "fixed"}).status_code == 403
    res = live.streamer.post(
        f"/api/streams/{live.sid}/comments/{ids[0]}/status", json={"status": "fixed"}
    )
    assert res.status_code == 201
    recv_until(ws, event_of("comment.status", comment=ids[0], status="fixed"))
    inbox = live.streamer.get(f"/api/channels/{live.channel}/inbox").json()
    assert [b["id"] for b in inbox["bugs"]] == [ids[3]]  # the fixed one left the list
    stored = [e["data"]["anchor"] for e in live.events() if e["kind"] == "comment"]
    assert stored == anchors


def test_polls_take_one_vote_each_and_close(live: Live) -> None:
    url = live.server.url
    viewers = [Viewer(url) for _ in range(3)]
    for i, v in enumerate(viewers):
        v.guest(f"voter {i}")
    assert (
        viewers[0].act(live.sid, "/polls", {"question": "q?", "options": ["a", "b"]}).status_code
        == 403
    )
    pid = live.streamer.post(
        f"/api/streams/{live.sid}/polls",
        json={"question": "Which optimiser?", "options": ["Adam", "SGD"]},
    ).json()["id"]
    for v, option in zip(viewers, [0, 1, 1], strict=True):
        assert v.act(live.sid, f"/polls/{pid}/vote", {"option": option}).status_code == 201
    assert viewers[0].act(live.sid, f"/polls/{pid}/vote", {"option": 1}).status_code == 409
    assert viewers[0].act(live.sid, f"/polls/{pid}/vote", {"option": 7}).status_code == 400
    live.streamer.post(f"/api/streams/{live.sid}/polls/{pid}/close")
    late = Viewer(url)
    late.guest("late")
    assert late.act(live.sid, f"/polls/{pid}/vote", {"option": 0}).status_code == 409
    (poll,) = live.streamer.get(f"/api/channels/{live.channel}/inbox").json()["polls"]
    assert (poll["counts"], poll["status"]) == ([1, 2], "closed")


def test_limits_slow_mode_accounts_only_and_the_filter_refuse_clearly(live: Live) -> None:
    url = live.server.url
    flood = Viewer(url)
    flood.guest("flood")
    codes = [flood.chat(live.sid, f"msg {i}").status_code for i in range(25)]
    assert codes[:20] == [201] * 20 and set(codes[20:]) == {429}
    limited = flood.chat(live.sid, "one more")
    assert (
        "at most 20 in 30 s" in limited.json()["error"] and int(limited.headers["Retry-After"]) > 0
    )

    s = live.streamer
    assert (
        s.post(f"/api/channels/{live.channel}/settings", json={"slow_seconds": 30}).status_code
        == 200
    )
    slow = Viewer(url)
    slow.guest("slowpoke")
    assert slow.chat(live.sid, "first").status_code == 201
    second = slow.chat(live.sid, "second")
    assert second.status_code == 429 and "slow mode" in second.json()["error"]

    rules = {"slow_seconds": 0, "filter": ["badword", "/sp[a4]m+/"], "accounts_only": False}
    assert s.post(f"/api/channels/{live.channel}/settings", json=rules).status_code == 200
    other = Viewer(url)
    other.guest("other")
    for text in ("what a BADWORD", "buy spammmm now", "sp4m"):
        res = other.chat(live.sid, text)
        assert res.status_code == 400 and "filter" in res.json()["error"], text
    assert (
        other.chat(live.sid, "badwords are fine as part of a word? no: badwordy").status_code == 201
    )
    bad_regex = s.post(f"/api/channels/{live.channel}/settings", json={"filter": ["/(/"]})
    assert bad_regex.status_code == 400

    assert (
        s.post(f"/api/channels/{live.channel}/settings", json={"accounts_only": True}).status_code
        == 200
    )
    res = other.chat(live.sid, "still here?")
    assert res.status_code == 403 and "accounts only" in res.json()["error"]
    add_user(live.server, "acct", "long enough password")
    acct = Viewer(url)
    acct.login("acct", "long enough password")
    assert acct.chat(live.sid, "accounts may").status_code == 201
    # The streamer is never limited by the rules.
    assert s.post(f"/api/streams/{live.sid}/chat", json={"text": "badword"}).status_code == 201


def test_hostile_sizes_and_shapes_are_refused_and_the_server_stays_up(live: Live) -> None:
    url = live.server.url
    v = Viewer(url)
    v.guest("tester")
    huge = v.http.post(
        f"/api/streams/{live.sid}/chat",
        content=json.dumps({"text": "x" * 1_000_000}),
        headers={"X-CSRF-Token": v.csrf, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert v.chat(live.sid, "x" * 501).status_code == 400
    assert v.post(f"/api/streams/{live.sid}/chat", {"text": ["not", "text"]}).status_code == 400
    assert v.post(f"/api/streams/{live.sid}/chat", {"text": "a", "extra": 1}).status_code == 400
    assert (
        v.http.post(
            f"/api/streams/{live.sid}/chat", content=b"{not json", headers={"X-CSRF-Token": v.csrf}
        ).status_code
        == 400
    )
    zalgo = "z" + "\u0336\u0301" * 200
    res = v.chat(live.sid, zalgo)
    assert res.status_code == 201
    stored = [e for e in live.events() if e["kind"] == "chat.message"][-1]["data"]["text"]
    assert len(stored) <= 3  # z, and at most two marks on it
    assert v.chat(live.sid, "\u202e\u200b\u2066").status_code == 400  # nothing visible left
    assert httpx.get(f"{url}/-/ready").status_code == 200


def test_names_cannot_pass_for_an_account_or_the_staff(server: ServerProcess) -> None:
    add_user(server, "ada", "long enough password", "--role", "admin")
    v = Viewer(server.url)
    for name in [
        "ada",
        "ADA",
        "\u0430d\u0430",
        "4da",
        "a.d.a",
        "ad\u200ba",
        "\u202eada",
        "Streamer",
        "m0d",
    ]:
        res = v.guest(name)
        assert res.status_code in (400, 409), (name, res.text)
    assert v.guest("bo").status_code == 200
    # Nor for a channel, whose streamer writes under its name with the stream key.
    server.create_channel("lab-one")
    assert v.guest("Lab One").status_code == 409
    # Accounts too: a second account may not look like the first.
    store = ["--data", str(server.data)] if not server.db else ["--db", server.db]
    from tests.conftest import run_cli

    res = run_cli(
        "user", "add", "\u0410da", "--password-stdin", *store, input="long enough password\n"
    )
    assert res.returncode == 2


def test_login_is_rate_limited_and_wrong_passwords_say_little(server: ServerProcess) -> None:
    add_user(server, "ada", "long enough password")
    v = Viewer(server.url)
    for _ in range(10):
        res = v.post("/api/session/login", {"name": "ada", "password": "wrong password"})
        assert res.status_code == 401 and res.json()["error"] == "wrong name or password"
    res = v.post("/api/session/login", {"name": "ada", "password": "long enough password"})
    assert res.status_code == 429


def test_the_openapi_schema_documents_every_api_route(server: ServerProcess) -> None:
    from benchcast.server.app import create_app

    doc = httpx.get(f"{server.url}/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    routes = {
        (r.path, m.lower())
        for r in create_app("sqlite://").routes
        if getattr(r, "path", "").startswith("/api/")
        for m in (getattr(r, "methods", None) or ()) - {"HEAD"}
    }
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routes <= documented
    chat = doc["paths"]["/api/streams/{stream_id}/chat"]["post"]
    ref = chat["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"]
    assert all(op["summary"] for ops in doc["paths"].values() for op in ops.values())


def test_the_studio_pages_send_someone_not_logged_in_to_log_in_and_back(
    server: ServerProcess,
) -> None:
    for path in ("/studio/ada", "/studio/ada/paper", "/studio/a%20b"):
        res = httpx.get(server.url + path, follow_redirects=False)
        assert res.status_code == 303
        back = httpx.URL(server.url + path).path  # what the server saw, decoded
        assert res.headers["location"] == "/login?next=" + quote(back)
