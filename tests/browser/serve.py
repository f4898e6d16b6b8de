"""A real Benchcast server for browser tests, with keyframes every second.

``benchcast serve`` writes a keyframe every 30 s of stream time; test streams last seconds,
so this runs the same app (uvicorn, SQLite, the real keyframer) with a 1 s interval, which
makes seeks go through keyframes as they do in long streams. Prints the URL on its first
stdout line, like ``benchcast serve``, and serves until terminated.

    python tests/browser/serve.py DATA_DIR [KEYFRAME_SECONDS]
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from benchcast.server.run import BackgroundServer
from benchcast.store.database import sqlite_url


def main() -> None:
    data = Path(sys.argv[1])
    every = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    server = BackgroundServer(sqlite_url(data), port=0, every_seconds=every)
    server.start()
    print(server.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
