"""The git source: the watched folder's branch, ``git status`` and ``git diff --stat``, and
each new commit, for the code panel's git box and the stream's timeline.

It asks git (the streamer's own ``git``, in the folder) when the file source saw something
change — ``.git/`` included, so a commit or a checkout is seen at once — and every
``POLL_SECONDS`` anyway, at most every ``MIN_INTERVAL`` seconds. It never takes git's index
lock (``GIT_OPTIONAL_LOCKS=0``), so it cannot get in the way of the streamer's own commands.
Commits made before the stream started are not sent; a new ``HEAD`` sends the commits that
led to it (at most ``MAX_COMMITS`` at once: a checkout of another branch is not a history
lesson). Everything it sends goes through the redactor like the rest.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("benchcast.git")

SOURCE = "git"
POLL_SECONDS = 10.0
MIN_INTERVAL = 1.0
TIMEOUT = 10.0
MAX_COMMITS = 20
MAX_TEXT = 4000
MAX_LINES = 40
MAX_FILES = 1000
MAX_COMMITTED = 256 * 1024

Emit = Callable[[str, dict[str, Any]], None]


def _cap(text: str, max_lines: int = MAX_LINES, keep_last: bool = False) -> str:
    """At most ``max_lines`` lines and ``MAX_TEXT`` characters, saying how many were left
    out (and keeping the last line, ``git diff --stat``'s totals, when asked)."""
    rows = text.rstrip("\n").split("\n") if text.strip() else []
    if len(rows) > max_lines:
        cut = rows[: max_lines - (2 if keep_last else 1)]
        cut.append(f"… {len(rows) - len(cut) - (1 if keep_last else 0)} more")
        if keep_last:
            cut.append(rows[-1])
        rows = cut
    out = "\n".join(rows)
    return out if len(out) <= MAX_TEXT else out[: MAX_TEXT - 1] + "…"


class GitSource:
    """Polls git in ``root`` on its own thread; ``emit(kind, data)`` is called there."""

    def __init__(
        self,
        root: Path,
        emit: Emit,
        *,
        poll: float = POLL_SECONDS,
        git: str = "git",
    ) -> None:
        self.root = root
        self.emit = emit
        self.poll = poll
        self.git = git
        self._poke = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="benchcast-git", daemon=True)
        self._head: str | None = None
        self._status: tuple[str, str, str] | None = None
        self._paused = False

    @classmethod
    def open(cls, root: Path, emit: Emit, **kw: Any) -> GitSource | None:
        """A source for ``root`` if it is inside a git work tree (and git is installed)."""
        source = cls(root, emit, **kw)
        return source if source._git("rev-parse", "--is-inside-work-tree") == "true\n" else None

    def start(self) -> None:
        self._head = self._rev("HEAD")
        self._thread.start()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def poke(self) -> None:
        """Something changed in the folder: look soon."""
        self._poke.set()

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        """Back on air: the status goes out again, whether or not it changed."""
        self._paused = False
        self._status = None
        self._poke.set()

    # ── git ──────────────────────────────────────────────────────────────────────────────

    def _git(self, *args: str) -> str | None:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_PAGER": "cat"}
        env.pop("GIT_DIR", None)
        env.pop("GIT_WORK_TREE", None)
        try:
            res = subprocess.run(
                [self.git, "-c", "core.quotepath=off", *args],
                cwd=self.root,
                capture_output=True,
                timeout=TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if res.returncode != 0:
            return None
        return res.stdout.decode("utf-8", "replace")

    def committed(self, path: str) -> str | None:
        """``path`` (relative to the folder) as the last commit has it, if it is text that
        fits the code panel; None otherwise. Called on the file source's thread."""
        out = self._git("show", f"HEAD:./{path}")
        if out is None or len(out) > MAX_COMMITTED or "\0" in out:
            return None
        return out

    def _rev(self, ref: str) -> str | None:
        out = self._git("rev-parse", "--verify", "-q", ref)
        return out.strip() if out else None

    # ── the thread ───────────────────────────────────────────────────────────────────────

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._paused:
                    self._look()
                # At most one look per MIN_INTERVAL, however often the folder changes.
                self._stop.wait(MIN_INTERVAL)
                self._poke.wait(max(0.0, self.poll - MIN_INTERVAL))
                self._poke.clear()
        except Exception:
            log.exception("the git source stopped")

    def _look(self) -> None:
        self._status_now()
        head = self._rev("HEAD")
        if head and head != self._head:
            self._commits(self._head, head)
        if head:
            self._head = head

    def _status_now(self) -> None:
        out = self._git("status", "--short", "--branch", "--untracked-files=normal")
        if out is None:
            return
        rows = out.split("\n")
        branch = ""
        if rows and rows[0].startswith("## "):
            head = rows.pop(0)[3:]
            branch = head.split("...", 1)[0].removeprefix("No commits yet on ").strip()
            if head.startswith("HEAD (no branch)"):
                branch = "(detached)"
        summary = _cap("\n".join(r for r in rows if r))
        stat = self._git("diff", "--stat=100", "HEAD") or ""
        status = (branch[:200], summary, _cap(stat, keep_last=True))
        if status != self._status:
            self._status = status
            self.emit(
                "git.status", {"branch": status[0], "summary": status[1], "diffstat": status[2]}
            )

    def _commits(self, old: str | None, new: str) -> None:
        fmt = "--format=%x1e%H%x1f%an%x1f%B%x1f"
        out = None
        if old:
            out = self._git(
                "log", f"-n{MAX_COMMITS}", "--reverse", "--name-only", fmt, old + ".." + new
            )
        if out is None:
            # The first commit, or the old HEAD is gone (a rebase, a shallow fetch): the
            # newest commit only.
            out = self._git("log", "-n1", "--name-only", fmt, new)
        if not out:
            return
        for record in [r for r in out.split("\x1e") if r.strip()]:
            parts = record.split("\x1f")
            if len(parts) < 4:
                continue
            commit, author, message, names = parts[0], parts[1], parts[2], parts[3]
            files = [n for n in names.split("\n") if n.strip()][:MAX_FILES]
            self.emit(
                "git.commit",
                {
                    "hash": commit.strip(),
                    "message": message.strip()[:MAX_TEXT],
                    "files": [f[:1000] for f in files],
                    "author": author[:200],
                },
            )
