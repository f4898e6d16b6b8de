"""The code panel's state, as folded from the log: the streamer's files as they stand, where
the streamer is, git, and comments anchored to lines — which move with the diffs.

Keyframe state gains ``code`` once a file event arrives::

    {"code": {
        "tree": {"src/train.py": ["text", 2048], "data/x.bin": ["binary", 10485760], ...},
        "truncated": false,
        "files": {"src/train.py": {
            "text": "import torch\\n…" | null,   # null: not known here (evicted, or a gap)
            "hash": SHA256, "language": "python",
            "seq": SEQ, "t": T,                # the last change
            "first_seq": SEQ,                  # its first snapshot in this stream
            "changes": N,                      # patches and replacing snapshots seen
            "lines": [[13, 15], ...],          # lines the last change wrote
            "added": false}},                  # created during the stream
        "focus": {"path": P, "line": N, "end_line": N | null, "seq": SEQ, "t": T} | null,
        "git": {"branch": B, "summary": S, "diffstat": D,
                "commits": [{"hash", "message", "files", "author", "seq", "t"}, ...]},
        "comments": {"ID": {"id", "kind", "text", "name", "role", "user", "seq", "t",
                            "file": P, "line": N, "end_line": N,
                            "anchor": "the first anchored line, as it read",
                            "outdated": false, "status": "open"}}}}

A comment anchored to ``{file, line[, end_line, text]}`` moves with every patch of its file:
lines inserted or removed above it shift it; when all its lines are removed it is marked
``outdated`` and stays where it last was. When a comment arrives, its ``text`` (the line the
viewer pointed at) is looked for near ``line`` in the file as it stands, so a comment written
just before a save still lands on its line. A snapshot that replaces a known text (rare: the
publisher sends patches) moves each comment to the nearest line that reads as its own did.

Texts are kept up to ``MAX_KEPT_TEXT`` characters in all; beyond that the texts of the files
changed longest ago are dropped (``text: null``) until a new snapshot brings them back. The
browser mirrors this module in web/static/js/code-fold.js.
"""

from __future__ import annotations

from typing import Any, cast

from benchcast import diffs
from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register, register_part

MAX_KEPT_TEXT = 4 * 1024 * 1024
MAX_TREE = 50_000
MAX_COMMITS = 20
MAX_COMMIT_FILES = 50
MAX_COMMENTS = 2000
#: How far from its line a new comment's text is looked for.
RELOCATE_LINES = 200
#: Longest anchored range followed line by line (longer ones are cut to this).
MAX_ANCHOR_LINES = 1000


class Code:
    """The code part of a stream's fold (see the module docstring)."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        s = state or {}
        self.tree: dict[str, list[Any]] = {p: list(e) for p, e in s.get("tree", {}).items()}
        self.truncated = bool(s.get("truncated", False))
        self.files: dict[str, dict[str, Any]] = {
            p: {**f, "lines": [list(r) for r in f.get("lines", [])]}
            for p, f in s.get("files", {}).items()
        }
        focus = s.get("focus")
        self.focus: dict[str, Any] | None = dict(focus) if focus else None
        git = s.get("git") or {}
        self.git: dict[str, Any] = {
            "branch": git.get("branch", ""),
            "summary": git.get("summary", ""),
            "diffstat": git.get("diffstat", ""),
            "commits": [dict(c) for c in git.get("commits", [])],
        }
        self.comments: dict[str, dict[str, Any]] = {
            k: dict(c) for k, c in s.get("comments", {}).items()
        }
        self.kept = sum(len(f["text"]) for f in self.files.values() if f.get("text") is not None)

    def snapshot(self) -> dict[str, Any]:
        # Strings are immutable: copying the containers is enough to share nothing mutable.
        return {
            "tree": {p: list(e) for p, e in self.tree.items()},
            "truncated": self.truncated,
            "files": {
                p: {**f, "lines": [list(r) for r in f["lines"]]} for p, f in self.files.items()
            },
            "focus": dict(self.focus) if self.focus else None,
            "git": {**self.git, "commits": [dict(c) for c in self.git["commits"]]},
            "comments": {k: dict(c) for k, c in self.comments.items()},
        }

    # ── files ────────────────────────────────────────────────────────────────────────────

    def text(self, path: str) -> str | None:
        f = self.files.get(path)
        return None if f is None else cast("str | None", f.get("text"))

    def _set_text(self, f: dict[str, Any], text: str | None) -> None:
        old = f.get("text")
        self.kept += (len(text) if text is not None else 0) - (len(old) if old else 0)
        f["text"] = text

    def _evict(self, keep: str) -> None:
        if self.kept <= MAX_KEPT_TEXT:
            return
        held = sorted(
            (f["seq"], p) for p, f in self.files.items() if f.get("text") is not None and p != keep
        )
        for _seq, path in held:
            if self.kept <= MAX_KEPT_TEXT:
                break
            self._set_text(self.files[path], None)

    def _drop(self, path: str) -> None:
        f = self.files.pop(path, None)
        if f is not None:
            self._set_text(f, None)

    def on_tree(self, ev: Event) -> None:
        entries = {e["path"]: [e["state"], e["size"]] for e in ev.data["entries"]}
        if ev.data.get("update"):
            self.tree.update(entries)
        else:
            for path in [p for p in self.files if p not in entries]:
                self._drop(path)
            self.tree = entries
        if ev.data.get("update"):
            self.truncated = self.truncated or bool(ev.data.get("truncated"))
        else:
            self.truncated = bool(ev.data.get("truncated"))
        while len(self.tree) > MAX_TREE:
            self.tree.pop(next(iter(self.tree)))
            self.truncated = True

    def on_snapshot(self, ev: Event) -> None:
        d = ev.data
        path = d["path"]
        f = self.files.get(path)
        if f is None:
            f = self.files[path] = {
                "text": None,
                "hash": "",
                "language": "",
                "seq": ev.seq,
                "t": ev.t,
                "first_seq": ev.seq,
                "changes": 0,
                "lines": [],
                "added": path not in self.tree,
            }
        elif f["hash"] and f["hash"] != d["hash"]:
            f["changes"] += 1
            f["lines"] = []
        if f.get("text") != d["text"]:
            self._relocate_comments(path, d["text"])
        self._set_text(f, d["text"])
        f.update(hash=d["hash"], language=d.get("language", ""), seq=ev.seq, t=ev.t)
        entry = self.tree.get(path)
        state = "encoding" if entry is not None and entry[0] == "encoding" else "text"
        self.tree[path] = [state, len(d["text"].encode())]
        self._evict(path)

    def on_patch(self, ev: Event) -> None:
        d = ev.data
        path = d["path"]
        try:
            hunks = diffs.parse(d["diff"])
        except diffs.PatchError:
            hunks = None
        f = self.files.get(path)
        if f is None:
            f = self.files[path] = {
                "text": None,
                "hash": "",
                "language": "",
                "seq": ev.seq,
                "t": ev.t,
                "first_seq": ev.seq,
                "changes": 0,
                "lines": [],
                "added": False,
            }
        text = f.get("text")
        new: str | None = None
        if hunks is not None and text is not None and f["hash"] == d["base"]:
            try:
                new = diffs.apply(text, hunks)
            except diffs.PatchError:
                new = None
        # Without the base, the file is unknown until its next snapshot; anchors still move.
        self._set_text(f, new)
        if hunks is not None:
            self._move_comments(path, hunks)
        f.update(
            hash=d["hash"],
            seq=ev.seq,
            t=ev.t,
            changes=f["changes"] + 1,
            lines=[list(r) for r in diffs.changed_lines(hunks or [])][:100],
        )
        if new is not None:
            entry = self.tree.get(path)
            state = "encoding" if entry is not None and entry[0] == "encoding" else "text"
            self.tree[path] = [state, len(new.encode())]
            self._evict(path)

    def on_delete(self, ev: Event) -> None:
        path = ev.data["path"]
        self.tree.pop(path, None)
        self._drop(path)
        for c in self.comments.values():
            if c["file"] == path:
                c["outdated"] = True

    def on_rename(self, ev: Event) -> None:
        old, new = ev.data["path"], ev.data["to"]
        if old in self.tree:
            self.tree[new] = self.tree.pop(old)
        if old in self.files:
            self._drop(new)
            self.files[new] = self.files.pop(old)
        for c in self.comments.values():
            if c["file"] == old:
                c["file"] = new

    def on_focus(self, ev: Event) -> None:
        self.focus = {**ev.data, "seq": ev.seq, "t": ev.t}

    # ── git ──────────────────────────────────────────────────────────────────────────────

    def on_git_status(self, ev: Event) -> None:
        self.git.update(ev.data)

    def on_git_commit(self, ev: Event) -> None:
        d = ev.data
        self.git["commits"].append(
            {
                "hash": d["hash"],
                "message": d["message"],
                "files": d["files"][:MAX_COMMIT_FILES],
                "author": d.get("author", ""),
                "seq": ev.seq,
                "t": ev.t,
            }
        )
        del self.git["commits"][:-MAX_COMMITS]

    # ── comments ─────────────────────────────────────────────────────────────────────────

    def on_comment(self, ev: Event) -> None:
        d = ev.data
        anchor = d.get("anchor") or {}
        path, line = anchor.get("file"), anchor.get("line")
        if path is None or line is None:
            return
        end = max(line, anchor.get("end_line") or line)
        end = min(end, line + MAX_ANCHOR_LINES - 1)
        text = self.text(path)
        anchored = (anchor.get("text") or "").split("\n", 1)[0].strip()
        if text is not None:
            rows = diffs.lines(text)
            moved = relocate(rows, line, anchored) if anchored else line
            end += moved - line
            line = moved
            if not anchored and line <= len(rows):
                anchored = rows[line - 1].strip()
        self.comments[d["id"]] = {
            "id": d["id"],
            "kind": d["kind"],
            "text": d["text"],
            "name": d["name"],
            "role": d.get("role", "viewer"),
            "user": d["user"],
            "seq": ev.seq,
            "t": ev.t,
            "file": path,
            "line": line,
            "end_line": end,
            "anchor": anchored[:200],
            "outdated": False,
            "status": "open",
        }
        while len(self.comments) > MAX_COMMENTS:
            self.comments.pop(next(iter(self.comments)))

    def on_comment_status(self, ev: Event) -> None:
        c = self.comments.get(ev.data["comment"])
        if c is not None:
            c["status"] = ev.data["status"]

    def on_chat_delete(self, ev: Event) -> None:
        self.comments.pop(ev.data["id"], None)

    def _relocate_comments(self, path: str, text: str) -> None:
        """A whole new text: each comment goes to the nearest line that reads as its own did,
        and is outdated if there is none."""
        rows = diffs.lines(text)
        for c in self.comments.values():
            if c["file"] != path or c["outdated"]:
                continue
            line = relocate(rows, c["line"], c["anchor"]) if c["anchor"] else 0
            ok = 1 <= line <= len(rows) and rows[line - 1].strip() == c["anchor"]
            if not ok:
                c["outdated"] = True
            else:
                c["end_line"] += line - c["line"]
                c["line"] = line

    def _move_comments(self, path: str, hunks: list[diffs.Hunk]) -> None:
        if not hunks:
            return
        for c in self.comments.values():
            if c["file"] != path or c["outdated"]:
                continue
            moved = diffs.map_range(hunks, c["line"], c["end_line"])
            if moved is None:
                c["outdated"] = True
            else:
                c["line"], c["end_line"] = moved


def relocate(text_lines: list[str], line: int, want: str) -> int:
    """The line nearest ``line`` that reads ``want`` (whitespace at either end aside);
    ``line`` itself if none within ``RELOCATE_LINES`` does."""
    for step in range(RELOCATE_LINES + 1):
        for n in (line - step, line + step) if step else (line,):
            if 1 <= n <= len(text_lines) and text_lines[n - 1].strip() == want:
                return n
    return line


def _code(f: StreamFold) -> Code:
    return cast(Code, f.part("code"))


def _on(method: str) -> Any:
    def handler(f: StreamFold, ev: Event) -> None:
        getattr(_code(f), method)(ev)

    return handler


def _needs_code(method: str) -> Any:
    """For kinds that only matter once the stream has code (a deleted chat message)."""

    def handler(f: StreamFold, ev: Event) -> None:
        if "code" in f.parts:
            getattr(_code(f), method)(ev)

    return handler


def _on_comment(f: StreamFold, ev: Event) -> None:
    anchor = ev.data.get("anchor") or {}
    if anchor.get("file") is not None:
        _code(f).on_comment(ev)


register_part("code", Code)
register("file.tree", _on("on_tree"))
register("file.snapshot", _on("on_snapshot"))
register("file.patch", _on("on_patch"))
register("file.delete", _on("on_delete"))
register("file.rename", _on("on_rename"))
register("file.focus", _on("on_focus"))
register("git.status", _on("on_git_status"))
register("git.commit", _on("on_git_commit"))
register("comment", _on_comment)
register("comment.status", _needs_code("on_comment_status"))
register("chat.delete", _needs_code("on_chat_delete"))
