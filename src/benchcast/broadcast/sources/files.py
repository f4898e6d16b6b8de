"""The file source: the streamer's folder on the code panel, live.

What it sends (as ``Raw`` events into the intake, so the redactor scans every path and every
line before anything leaves; docs/protocol.md has the kinds):

* first the **tree** — every file's path, state and size, in parts of ``TREE_CHUNK`` entries
  — and no contents: a 10,000-file repository costs one walk, not 10,000 reads;
* a file's **contents** when it changes (a snapshot the first time, then a diff against the
  version last sent, or a snapshot again when that is smaller), and when a viewer opens a file
  whose contents were never sent (the server's ``want``, see ``want``);
* **focus**: after each change, the file and lines that changed; an editor may send its cursor
  instead (``focus``).

It leaves out what git ignores, ``.benchcastignore`` patterns and editors' temporary files
(sources/ignore.py), and never reads secret files (``never_stream``: listed as ``secret``),
binaries, files over ``MAX_BYTES``, symlinks (never followed, listed as ``link``) or anything
that is not a regular file. Text that is not UTF-8 is sent decoded as Latin-1 and listed as
``encoding``.

Work is bounded: saves are coalesced (a file written in a burst is read and sent at most once
per ``COALESCE`` seconds),
contents go out within a byte budget (``RATE_BYTES_PER_S``; what does not fit waits for its
turn, and coalesces with later saves meanwhile), a batch touching more than
``MAX_BATCH_CHANGES`` paths resends the tree instead of one event per path, and everything
runs on this source's own thread, so the terminal never waits for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import queue
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

from benchcast import diffs
from benchcast.broadcast.sources.filetypes import BINARY_EXTENSIONS, language_for
from benchcast.broadcast.sources.ignore import RULE_FILES, IgnoreRules
from benchcast.events import MAX_EVENT_BYTES, MAX_FILE_TEXT, dumps
from benchcast.secrets.files import never_stream

log = logging.getLogger("benchcast.files")

SOURCE = "files"
#: Files listed at most; a bigger folder is listed in part, marked truncated.
MAX_FILES = 20_000
TREE_CHUNK = 2000
#: Files bigger than this are listed as ``large`` and never read.
MAX_BYTES = MAX_FILE_TEXT
SNIFF_BYTES = 8192
RATE_BYTES_PER_S = 1024 * 1024
BURST_BYTES = 8 * 1024 * 1024
STEP_MS = 50
DEBOUNCE_MS = 300
#: A file is sent at most once per this many seconds, however often it is written.
COALESCE = 0.25
#: How long the watcher waits before this thread looks at wants and focus anyway.
TICK_MS = 100
#: Texts kept to diff against, in characters; beyond it the oldest are forgotten (their next
#: change goes out as a snapshot).
MAX_KEPT = 64 * 1024 * 1024
MAX_BATCH_CHANGES = 500
MAX_WANTS = 256
#: A file asked for again is resent only if its last copy went out longer ago than this.
RESEND_AFTER = 30.0
MAX_PATH = 1000

_CONTROL = frozenset(range(32)) - {9, 10, 12, 13, 27}

Emit = Callable[[str, dict[str, Any]], None]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def decode(data: bytes) -> tuple[str, str | None]:
    """(state, text) of a file's bytes: ``text`` (UTF-8), ``encoding`` (other text, read as
    Latin-1) or ``binary`` (NUL bytes or mostly control characters; text None)."""
    if b"\0" in data[:SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary", None
    try:
        return "text", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return "encoding", data.decode("utf-16")
        except UnicodeDecodeError:
            return "binary", None
    head = data[:SNIFF_BYTES]
    if head and sum(b in _CONTROL for b in head) > len(head) // 20:
        return "binary", None
    return "encoding", data.decode("latin-1")


def _printable_path(rel: str) -> bool:
    """A path that JSON can carry as it is (no undecodable bytes) and a viewer can show."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return 0 < len(rel) <= MAX_PATH


def _shown(rel: str) -> str:
    """A path with undecodable bytes, made showable (it is listed, never read)."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")[:MAX_PATH]


@dataclass
class _Sent:
    text: str
    hash: str
    at: float


@dataclass(frozen=True)
class Entry:
    state: str
    size: int


class FileSource:
    """Streams one folder. ``emit(kind, data)`` is called on this source's thread."""

    def __init__(
        self,
        root: Path,
        emit: Emit,
        *,
        on_change: Callable[[], None] = lambda: None,
        committed: Callable[[str], str | None] = lambda _path: None,
        clock: Callable[[], float] = time.monotonic,
        max_files: int = MAX_FILES,
        rate: float = RATE_BYTES_PER_S,
        burst: float = BURST_BYTES,
        force_polling: bool | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.emit = emit
        self.on_change = on_change
        self.committed = committed
        self.clock = clock
        self.max_files = max_files
        self.rules = IgnoreRules(self.root)
        self.tree: dict[str, Entry] = {}
        self.truncated = False
        self.sent: dict[str, _Sent] = {}
        self._kept = 0
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._refilled = clock()
        self._dirty: set[str] = set()
        self._deferred: dict[str, bool] = {}  # path → send focus with it
        self._retree = False
        self._wants: queue.Queue[str] = queue.Queue(MAX_WANTS)
        self._focus_lock = threading.Lock()
        self._editor_focus: tuple[str, int, int | None] | None = None
        self._paused = False
        self._forget = False
        self._force_polling = force_polling
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="benchcast-files", daemon=True)
        #: Seconds the first walk of the folder took (bench/files.py reads it).
        self.scan_seconds = 0.0
        self.scanned = threading.Event()
        #: Set once the watcher runs: every change after it is seen.
        self.watching = threading.Event()
        self._since = 0.0
        #: Listed names that stand for names JSON cannot carry (undecodable bytes): shown,
        #: never read, never matched against what the watcher reports.
        self._unreal: set[str] = set()

    # ── what other threads call ──────────────────────────────────────────────────────────

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def want(self, path: str) -> None:
        """A viewer opened ``path`` and has never had its contents: send them (if it is a
        file this source shows). Never blocks; a flood of requests is dropped."""
        with contextlib.suppress(queue.Full):
            self._wants.put_nowait(path)

    def focus(self, path: str, line: int = 1, end_line: int | None = None) -> None:
        """An editor's cursor (``path`` absolute or relative to the folder). The newest wins."""
        with self._focus_lock:
            self._editor_focus = (path, line, end_line)

    def pause(self) -> None:
        """Off air: send nothing; what changes meanwhile goes out on resume."""
        self._paused = True
        # Events already handed on may be dropped off air: viewers get whole copies after.
        self._forget = True

    def resume(self) -> None:
        self._paused = False

    # ── the thread ───────────────────────────────────────────────────────────────────────

    def _run(self) -> None:
        try:
            started = time.perf_counter()
            self._since = time.time()
            self._send_tree(self._walk())
            self.scan_seconds = time.perf_counter() - started
            self.scanned.set()
            while not self._stop.is_set():
                if not self.root.is_dir():
                    self._root_gone()
                    continue
                self._watch()
        except Exception:  # a broken watcher must never take the stream down with it
            log.exception("the file source stopped")
        finally:
            self.scanned.set()
            self.watching.set()

    def _watch(self) -> None:
        first = True
        try:
            for changes in watchfiles.watch(
                self.root,
                watch_filter=None,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                force_polling=self._force_polling,
                ignore_permission_denied=True,
            ):
                if first:
                    first = False
                    self._catch_up()
                    self.watching.set()
                self._collect(changes)
                self._service()
                if not self.root.is_dir():
                    return
        except (OSError, RuntimeError) as err:
            if self._stop.is_set() or not self.root.is_dir():
                return
            # Out of inotify watches, say: watch by polling instead.
            log.warning("file watcher failed (%s); polling instead", err)
            self._force_polling = True
            self._stop.wait(0.5)

    def _catch_up(self) -> None:
        """Files written after the walk began and before the watcher was up: changed."""
        for rel in list(self.tree):
            if rel in self._unreal:
                continue
            try:
                if os.lstat(self.root / rel).st_mtime >= self._since:
                    self._dirty.add(rel)
            except OSError:
                self._dirty.add(rel)

    def _root_gone(self) -> None:
        """The folder was deleted: say so (an empty tree), then wait for it to come back."""
        if self.tree:
            self.tree.clear()
            self.sent.clear()
            self._kept = 0
            self._dirty.clear()
            self._deferred.clear()
            self.emit("file.tree", {"entries": [], "truncated": False, "update": False})
        while not self._stop.wait(0.5):
            if self.root.is_dir():
                self.rules.invalidate()
                self._since = time.time()
                self._send_tree(self._walk())
                return

    # ── the tree ─────────────────────────────────────────────────────────────────────────

    def _entry(self, rel: str, st: os.stat_result, *, remembered: bool = False) -> Entry:
        """The entry for a path from its lstat, before reading it. ``remembered``: keep what
        a read found (binary, another encoding) while the file is unchanged in size."""
        if stat.S_ISLNK(st.st_mode):
            return Entry("link", 0)
        if never_stream(rel):
            return Entry("secret", 0)
        if not stat.S_ISREG(st.st_mode):
            return Entry("unreadable", 0)
        if st.st_size > MAX_BYTES:
            return Entry("large", st.st_size)
        if os.path.splitext(rel)[1].lower() in BINARY_EXTENSIONS:
            return Entry("binary", st.st_size)
        known = self.tree.get(rel) if remembered else None
        if known is not None and known.size == st.st_size and known.state != "large":
            return known
        return Entry("text", st.st_size)

    def _walk(self, top: str = "") -> dict[str, Entry]:
        """Every file under ``top`` ("" for the root), breadth first, up to ``max_files``."""
        found: dict[str, Entry] = {}
        folders: deque[str] = deque([top])
        room = self.max_files - (len(self.tree) if top else 0)
        truncated = False
        while folders and not self._stop.is_set():
            folder = folders.popleft()
            path = self.root / folder if folder else self.root
            try:
                with os.scandir(path) as it:
                    # A folder of a million files is read only as far as can be listed.
                    items = sorted(itertools.islice(it, self.max_files + 1), key=lambda e: e.name)
            except OSError:
                continue
            if len(items) > self.max_files:
                truncated = True
            for item in items:
                rel = f"{folder}/{item.name}" if folder else item.name
                if not _printable_path(rel):
                    if len(found) < room and 0 < len(rel) <= MAX_PATH * 4:
                        found[_shown(rel)] = Entry("unreadable", 0)
                        self._unreal.add(_shown(rel))
                    continue
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if not self.rules.dir_ignored(rel):
                        folders.append(rel)
                    continue
                if self.rules.ignored(rel):
                    continue
                entry = self._entry(rel, st, remembered=True)
                if len(found) >= room:
                    truncated = True
                    break
                found[rel] = entry
            if truncated:
                break
        if truncated:
            self.truncated = True
        return found

    def _send_tree(self, entries: dict[str, Entry]) -> None:
        """The whole tree, replacing what viewers had, in parts."""
        old = self.tree
        self.tree = entries
        for gone in [p for p in self.sent if p not in entries]:
            self._unsend(gone)
        del old
        self._emit_entries(entries, update=False)

    def _emit_entries(self, entries: dict[str, Entry], *, update: bool) -> None:
        items = [{"path": p, "state": e.state, "size": e.size} for p, e in entries.items()]
        first = True
        for i in range(0, max(len(items), 1), TREE_CHUNK):
            self.emit(
                "file.tree",
                {
                    "entries": items[i : i + TREE_CHUNK],
                    "truncated": self.truncated,
                    "update": update or not first,
                },
            )
            first = False

    def _retree_now(self) -> None:
        self._retree = False
        self.truncated = False
        self._dirty.clear()
        self._send_tree(self._walk())

    # ── changes ──────────────────────────────────────────────────────────────────────────

    def _collect(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        poke = False
        for _change, full in changes:
            rel = os.path.relpath(full, self.root).replace(os.sep, "/")
            if rel.startswith("../") or rel in (".", ".."):
                continue
            if rel == ".git" or rel.startswith(".git/"):
                poke = True  # a commit, a checkout, a stage: git's view changed
                continue
            # What git ignores (a build writing node_modules/) does not change git's view.
            poke = poke or not self.rules.ignored(rel)
            if rel.rsplit("/", 1)[-1] in RULE_FILES:
                self.rules.invalidate()
                self._retree = True
            self._dirty.add(rel)
        if len(self._dirty) > MAX_BATCH_CHANGES:
            self._retree = True
        if poke:
            self.on_change()

    def _service(self) -> None:
        if self._paused:
            return
        if self._forget:
            self._forget = False
            self.sent.clear()
            self._kept = 0
            self._retree = True
        if self._retree:
            dirty = set(self._dirty)
            self._retree_now()
            self._dirty = {p for p in dirty if p in self.tree}
        if self._dirty:
            # A file sent moments ago waits out the rest of its interval: saves coalesce.
            now = self.clock()
            held = {
                p
                for p in self._dirty
                if p in self.sent
                and now - self.sent[p].at < COALESCE
                and os.path.lexists(self.root / p)
            }
            batch = sorted(self._dirty - held)
            self._dirty = held
            if batch:
                self._changes(batch)
        for path, with_focus in list(self._deferred.items()):
            if not self._send(path, focus=with_focus):
                break
        self._answer_wants()
        self._editor()

    def _changes(self, batch: list[str]) -> None:
        gone: list[str] = []
        added: dict[str, os.stat_result] = {}
        changed: list[tuple[float, str]] = []
        tree_updates: dict[str, Entry] = {}
        for rel in batch:
            if not _printable_path(rel) or rel in self._unreal:
                continue
            try:
                st = os.lstat(self.root / rel)
            except OSError:
                if rel in self.tree or not self.rules.ignored(rel):
                    gone.append(rel)
                continue
            if stat.S_ISDIR(st.st_mode):
                if not self.rules.dir_ignored(rel):
                    # A folder appeared (made, or moved in): list it; contents stay lazy.
                    tree_updates.update(
                        {p: e for p, e in self._walk(rel).items() if p not in self.tree}
                    )
                continue
            if self.rules.ignored(rel):
                if rel in self.tree:
                    gone.append(rel)  # newly ignored: gone from viewers' tree
                continue
            if rel not in self.tree:
                added[rel] = st
            changed.append((st.st_mtime, rel))
        self._renames(gone, added, changed)
        self._deletions(gone)
        for rel, e in tree_updates.items():
            self.tree[rel] = e
        if tree_updates:
            self._emit_entries(tree_updates, update=True)
        changed.sort()
        for i, (_mtime, rel) in enumerate(changed):
            # The most recently written file of the batch becomes the focus.
            self._send(rel, focus=i == len(changed) - 1)

    def _renames(
        self, gone: list[str], added: dict[str, os.stat_result], changed: list[tuple[float, str]]
    ) -> None:
        """A path gone and one added in the same batch with the same contents: a rename."""
        if not gone or not added:
            return
        by_size: dict[int, list[str]] = {}
        for old in gone:
            e = self.tree.get(old)
            if e is not None:
                by_size.setdefault(e.size, []).append(old)
        for new, st in list(added.items()):
            olds = by_size.get(st.st_size)
            if not olds:
                continue
            old = olds[0]
            sent = self.sent.get(old)
            if sent is not None:
                text = self._read_text(new)
                if text is None or sha256(text) != sent.hash:
                    continue
            elif len(olds) > 1:
                continue  # which one moved is not clear without reading both
            olds.remove(old)
            gone.remove(old)
            del added[new]
            self.tree[new] = self.tree.pop(old)
            if sent is not None:
                self.sent[new] = self.sent.pop(old)
            self.emit("file.rename", {"path": old, "to": new})
            changed[:] = [(m, p) for m, p in changed if p != new]

    def _deletions(self, gone: list[str]) -> None:
        dirs: set[str] = set()
        deleted: list[str] = []
        for rel in gone:
            if rel in self.tree:
                deleted.append(rel)
            else:
                dirs.add(rel)
        if dirs:
            # A folder went: every file listed below it went with it.
            for path in list(self.tree):
                parts = path.split("/")
                if any("/".join(parts[:i]) in dirs for i in range(1, len(parts))):
                    deleted.append(path)
            deleted = list(dict.fromkeys(deleted))
        if len(deleted) > MAX_BATCH_CHANGES:
            self._retree = True
            return
        for rel in deleted:
            self.tree.pop(rel, None)
            self._unsend(rel)
            self._deferred.pop(rel, None)
            self.emit("file.delete", {"path": rel})

    # ── contents ─────────────────────────────────────────────────────────────────────────

    def _read(self, rel: str) -> tuple[Entry, str | None]:
        """Read a file without following a link or blocking on a pipe: its entry and text."""
        try:
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            try:
                st = os.lstat(self.root / rel)
            except OSError:
                return Entry("unreadable", 0), None
            return self._entry(rel, st), None
        try:
            st = os.fstat(fd)
            entry = self._entry(rel, st)
            if entry.state != "text":
                return entry, None
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_BYTES:
                chunk = os.read(fd, MAX_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError:
            return Entry("unreadable", 0), None
        finally:
            os.close(fd)
        if size > MAX_BYTES:
            return Entry("large", size), None
        state, text = decode(b"".join(chunks))
        return Entry(state, size), text

    def _read_text(self, rel: str) -> str | None:
        return self._read(rel)[1]

    def _take(self, cost: int) -> bool:
        now = self.clock()
        self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if cost > self._tokens:
            return False
        self._tokens -= cost
        return True

    def _send(self, rel: str, *, focus: bool, want: bool = False) -> bool:
        """Send ``rel``'s contents if they changed since last sent. False if the byte budget
        is spent (it waits in ``_deferred`` for its turn)."""
        entry, text = self._read(rel)
        known = self.tree.get(rel)
        self.tree[rel] = entry
        # A snapshot lists a new text file by itself; any other news goes as a tree update.
        listed = known is not None and known.state == entry.state
        if text is None:
            if not listed:
                self._emit_entries({rel: entry}, update=True)
            self._deferred.pop(rel, None)
            return True
        h = sha256(text)
        sent = self.sent.get(rel)
        if (
            sent is not None
            and sent.hash == h
            and not (want and self.clock() - sent.at > RESEND_AFTER)
        ):
            self._deferred.pop(rel, None)
            return True
        kind, data = self._contents(rel, text, h, sent)
        if data is None:
            # Too big to carry even as a snapshot (escaping): shown as large.
            self.tree[rel] = Entry("large", entry.size)
            self._emit_entries({rel: self.tree[rel]}, update=True)
            self._deferred.pop(rel, None)
            return True
        if not self._take(len(data.get("diff") or data.get("text") or "")):
            if not listed:
                self._emit_entries({rel: entry}, update=True)
            if rel not in self._deferred or focus:
                self._deferred[rel] = focus
            return False
        self._deferred.pop(rel, None)
        if not listed and (known is not None or entry.state != "text"):
            self._emit_entries({rel: entry}, update=True)
        self.emit(kind, data)
        self._remember(rel, text, h)
        if focus:
            self._emit_focus(rel, data, sent is None)
        return True

    def _contents(
        self, rel: str, text: str, h: str, sent: _Sent | None
    ) -> tuple[str, dict[str, Any] | None]:
        """A patch against what viewers have when it is smaller, else a snapshot."""
        if sent is not None and "PRIVATE KEY" not in text:
            # (A key block goes whole, so the redactor sees its start and end together.)
            hunks = diffs.make(sent.text, text)
            diff = diffs.render(hunks)
            if len(diff) < len(text) * 0.9:
                patch = {"path": rel, "base": sent.hash, "hash": h, "diff": diff}
                if len(diff) <= MAX_FILE_TEXT and self._fits(patch):
                    return "file.patch", patch
        snap = {"path": rel, "text": text, "language": language_for(rel), "hash": h}
        return "file.snapshot", snap if self._fits(snap) else None

    @staticmethod
    def _fits(data: dict[str, Any]) -> bool:
        # Room is left for the redactor's masks, which may add a rule's name.
        return len(dumps(data).encode()) <= MAX_EVENT_BYTES - 4096

    def _emit_focus(self, rel: str, data: dict[str, Any], first: bool) -> None:
        """The streamer is where the file changed: the lines a patch wrote, or for a file
        seen for the first time, the lines that differ from its last commit (if any)."""
        hunks: list[diffs.Hunk] = []
        if "diff" in data:
            hunks = diffs.parse(data["diff"])
        elif first:
            committed = self.committed(rel)
            if committed is not None and committed != data["text"]:
                hunks = diffs.make(committed, data["text"])
        focus: dict[str, Any] = {"path": rel, "line": 1}
        ranges = diffs.changed_lines(hunks)
        if ranges:
            focus["line"] = ranges[0][0]
            if ranges[-1][1] > ranges[0][0]:
                focus["end_line"] = ranges[-1][1]
        self.emit("file.focus", focus)

    def _remember(self, rel: str, text: str, h: str) -> None:
        self._unsend(rel)
        self.sent[rel] = _Sent(text, h, self.clock())
        self._kept += len(text)
        while self._kept > MAX_KEPT and len(self.sent) > 1:
            oldest = min(self.sent, key=lambda p: self.sent[p].at)
            self._unsend(oldest)

    def _unsend(self, rel: str) -> None:
        old = self.sent.pop(rel, None)
        if old is not None:
            self._kept -= len(old.text)

    # ── wants and the editor ─────────────────────────────────────────────────────────────

    def _resolve(self, path: str) -> str | None:
        """A listed file's path relative to the folder, or None (outside it, not listed,
        secret, or something that is not a plain path)."""
        if not isinstance(path, str) or not path or "\0" in path or len(path) > 4 * MAX_PATH:
            return None
        if os.path.isabs(path):
            full = os.path.abspath(path)
            try:
                if os.path.commonpath([full, str(self.root)]) != str(self.root):
                    return None
            except ValueError:
                return None
            rel = os.path.relpath(full, self.root).replace(os.sep, "/")
        else:
            rel = path.replace("\\", "/").removeprefix("./")
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return None
        entry = self.tree.get(rel)
        if entry is None or entry.state == "secret" or never_stream(rel):
            return None
        return rel

    def _answer_wants(self) -> None:
        for _ in range(MAX_WANTS):
            try:
                path = self._wants.get_nowait()
            except queue.Empty:
                return
            rel = self._resolve(path)
            if rel is None or self.tree[rel].state not in ("text", "encoding"):
                continue
            if not self._send(rel, focus=False, want=True):
                return

    def _editor(self) -> None:
        with self._focus_lock:
            request, self._editor_focus = self._editor_focus, None
        if request is None:
            return
        path, line, end_line = request
        rel = self._resolve(path)
        if rel is None:
            return
        if rel not in self.sent and self.tree[rel].state in ("text", "encoding"):
            self._send(rel, focus=False)
        focus: dict[str, Any] = {"path": rel, "line": max(1, line)}
        if end_line is not None and end_line > line:
            focus["end_line"] = end_line
        self.emit("file.focus", focus)
