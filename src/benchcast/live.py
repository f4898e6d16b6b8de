"""``benchcast live``: one command, no setup, live.

With a configured server (BENCHCAST_SERVER and BENCHCAST_KEY, or the config file) it streams
there. Otherwise it streams to a local server on 127.0.0.1 — the one already running on the
port, or an embedded one it starts — on a channel named after the user, whose key it keeps in
the data folder (readable only by the user).
"""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from typing import Any

from benchcast import settings
from benchcast.broadcast.session import Broadcast, say
from benchcast.store.database import Store, StoreError


def local_channel_key(store: Store, data_dir: Path) -> str:
    """The stream key of this user's local channel, creating the channel on first use."""
    key_file = data_dir / "live.key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if store.channel_for_key(key) is not None:
            return key
    name = re.sub(r"[^a-z0-9_-]", "-", getpass.getuser().lower()).strip("-")[:64] or "me"
    if not re.match(r"^[a-z0-9]", name):
        name = "me-" + name
    try:
        _, key = store.create_channel(name)
    except StoreError:
        key = store.rotate_key(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


def go_live(
    *,
    title: str,
    tags: list[str],
    data: str | None,
    port: int | None,
    cmd: list[str] | None,
    delay: float = 0.0,
    watch: list[Path] | None = None,
    secrets: list[str] | None = None,
    code: Path | None = None,
    video: dict[str, Any] | None = None,
) -> int:
    from benchcast.server.run import BackgroundServer

    data_dir = Path(settings.resolve("data", data)).expanduser()
    server = settings.resolve("server")
    key = settings.resolve("key")
    embedded = None
    if not (server and key):
        db = settings.db_url(data)
        store = Store(db)
        try:
            key = local_channel_key(store, data_dir)
        finally:
            store.close()
        want = int(port if port is not None else settings.resolve("port"))
        try:
            embedded = BackgroundServer(db, port=want)
        except OSError:
            # Something (perhaps another `benchcast live`) holds the port: take a free one.
            embedded = BackgroundServer(db, port=0)
        embedded.start()
        server = embedded.url
    title = title or f"{getpass.getuser()} in {Path.cwd().name}"
    bc = Broadcast(
        server=server,
        key=key,
        data_dir=data_dir,
        title=title,
        tags=tags,
        delay=delay,
        watch=watch or [],
        secrets=secrets or [],
        code=code,
    )
    bc.start()
    if video is not None:  # the external player (video.py): scanned and sent like a note
        bc.handle(
            {"command": "events", "events": [{"kind": "video", "source": "stream", "data": video}]}
        )
    say(f"you are live: {bc.uplink.info.url or server} — exit the shell to end the stream")
    status = bc.run_terminal(cmd)
    left = bc.close()
    if left:
        say(f"{left} events were not delivered; `benchcast stream --resume` sends them")
    if embedded is not None:
        say("stream ended; it is archived — run `benchcast serve` to watch it again")
        embedded.stop()
    return status
