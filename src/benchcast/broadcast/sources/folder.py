"""The streamer's folder on the code panel: its files (sources/files.py) and, when it is a git
work tree, git (sources/git.py), started, paused and stopped together by the session.

Both put what they see into the intake as ``Raw`` events, like every source: the redactor
scans them before anything is spooled or sent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchcast.broadcast.intake import Intake
from benchcast.broadcast.sources import files, git


class Folder:
    def __init__(self, root: Path, intake: Intake, now: Callable[[], float]) -> None:
        self.root = root
        self.intake = intake
        self.now = now
        self.git = git.GitSource.open(root, self._emitter(git.SOURCE))
        self.files = files.FileSource(
            root,
            self._emitter(files.SOURCE),
            on_change=self.git.poke if self.git is not None else lambda: None,
            committed=self.git.committed if self.git is not None else lambda _p: None,
        )

    def _emitter(self, source: str) -> Callable[[str, dict[str, Any]], None]:
        def emit(kind: str, data: dict[str, Any]) -> None:
            self.intake.put(self.now(), kind, source, data)

        return emit

    def start(self) -> None:
        self.files.start()
        if self.git is not None:
            self.git.start()

    def close(self) -> None:
        self.files.close()
        if self.git is not None:
            self.git.close()

    def pause(self) -> None:
        self.files.pause()
        if self.git is not None:
            self.git.pause()

    def resume(self) -> None:
        self.files.resume()
        if self.git is not None:
            self.git.resume()

    def want(self, path: str) -> None:
        """The server asks for a file's contents (a viewer opened it)."""
        self.files.want(path)

    def focus(self, request: dict[str, Any]) -> dict[str, Any]:
        """An editor's ``{"focus": path, "line": n[, "end_line": m]}`` (control socket)."""
        path, line, end = request.get("focus"), request.get("line", 1), request.get("end_line")
        if not isinstance(path, str) or not path or len(path) > 4000:
            return {"ok": False, "error": "focus must be a file's path"}
        for value in (line, end):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                return {"ok": False, "error": "line and end_line must be integers"}
        if line < 1 or (end is not None and end < line):
            return {"ok": False, "error": "line must be ≥ 1 and end_line ≥ line"}
        self.files.focus(path, line, end)
        return {"ok": True}
