"""The file source on a real folder: what it lists, what it sends, and the bad input it meets
(binaries, a 2 GB file, other encodings, links out of the folder, odd names, a file rewritten
100 times a second, the folder deleted under it)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchcast import diffs
from benchcast.broadcast.sources.files import FileSource, sha256
from benchcast.events import validate_payload
from tests.helpers import wait_for


class Watched:
    """A FileSource on a folder, with every event it emits (validated against the contract)."""

    def __init__(self, root: Path, **kw: Any) -> None:
        self.root = root
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.source = FileSource(root, self._emit, **kw)

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        validate_payload(kind, data)
        with self.lock:
            self.events.append((kind, data))

    def start(self) -> Watched:
        self.source.start()
        assert self.source.watching.wait(10)
        return self

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d for k, d in self.events if k == kind]

    def tree(self) -> dict[str, tuple[str, int]]:
        """The tree as a viewer has it after every event so far."""
        out: dict[str, tuple[str, int]] = {}
        with self.lock:
            events = list(self.events)
        for kind, d in events:
            if kind == "file.tree":
                if not d["update"]:
                    out = {}
                out.update({e["path"]: (e["state"], e["size"]) for e in d["entries"]})
            elif kind == "file.snapshot":
                out.setdefault(d["path"], ("text", len(d["text"])))
            elif kind == "file.delete":
                out.pop(d["path"], None)
            elif kind == "file.rename":
                out[d["to"]] = out.pop(d["path"])
        return out

    def clear(self) -> None:
        with self.lock:
            self.events.clear()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Any]:
    made: list[Watched] = []

    def make(root: Path | None = None, **kw: Any) -> Watched:
        w = Watched(root or tmp_path / "proj", **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        w.source.close()


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def test_the_tree_goes_first_without_contents_and_leaves_out_what_it_must(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    write(root / ".gitignore", "node_modules/\n*.log\nbuild/\n!build/keep.md\n")
    write(root / "node_modules/left/index.js", "module.exports = 1\n")
    write(root / "run.log", "noise\n")
    write(root / "build/out.o", "obj")
    write(root / "build/keep.md", "kept? no: its folder is ignored\n")
    write(root / "src/.gitignore", "generated_*.py\n!generated_keep.py\n")
    write(root / "src/generated_a.py", "x\n")
    write(root / "src/generated_keep.py", "x\n")
    write(root / "src/train.py", "import torch\n")
    write(root / ".benchcastignore", "private/\n")
    write(root / "private/notes.md", "mine\n")
    write(root / ".git/config", "[core]\n")
    write(root / "src/.train.py.swp", b"\0swap")
    write(root / ".env", "TOKEN=x\n")
    write(root / "keys/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    write(root / "data/weights.bin", b"\0\1\2\3")
    write(root / "data/blob", b"ab\0cd")
    write(root / "latin.txt", "café\n".encode("latin-1"))
    with (root / "huge.csv").open("wb") as f:  # a 2 GB file, sparse: never read
        f.truncate(2 * 1024**3)
    (root / "outside").symlink_to("/etc/passwd")
    (root / "etc").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(root / "pipe")
    write(root / "odd name\nwith newline.py", "print(1)\n")
    os.close(os.open(os.fsencode(root) + b"/bad-\xff-name.txt", os.O_CREAT | os.O_WRONLY))

    w = watched().start()
    time.sleep(0.3)
    tree = w.tree()
    assert set(tree) == {
        ".gitignore",
        ".benchcastignore",
        ".env",
        "keys/id_ed25519",
        "src/.gitignore",
        "src/generated_keep.py",
        "src/train.py",
        "data/weights.bin",
        "data/blob",
        "latin.txt",
        "huge.csv",
        "outside",
        "etc",
        "pipe",
        "odd name\nwith newline.py",
        "bad-\ufffd-name.txt",
    }
    assert tree[".env"][0] == tree["keys/id_ed25519"][0] == "secret"
    assert tree["huge.csv"] == ("large", 2 * 1024**3)
    assert tree["outside"][0] == tree["etc"][0] == "link"
    assert tree["data/weights.bin"][0] == "binary"
    assert tree["pipe"][0] == tree["bad-\ufffd-name.txt"][0] == "unreadable"
    # Nothing was read: contents go on change or on request.
    assert not w.of("file.snapshot")

    # Reading finds what a name could not tell: a binary without an extension, Latin-1 text.
    for path in ("data/blob", "latin.txt", "pipe", "outside", ".env", "huge.csv"):
        w.source.want(path)
    wait_for(lambda: w.tree()["latin.txt"][0] == "encoding", timeout=5)
    wait_for(lambda: w.tree()["data/blob"][0] == "binary", timeout=5)
    snaps = w.of("file.snapshot")
    assert [s["path"] for s in snaps] == ["latin.txt"]
    assert snaps[0]["text"] == "café\n"


def test_a_change_goes_as_a_snapshot_then_as_diffs_with_the_focus_on_the_changed_lines(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    rows = [f"x{i} = {i}" for i in range(1, 31)]
    write(root / "a.py", "\n".join(rows) + "\n")
    w = watched().start()

    write(root / "a.py", "\n".join(rows) + "\nx31 = 31\n")
    snap = wait_for(lambda: w.of("file.snapshot"), timeout=5)[0]
    assert snap == {
        "path": "a.py",
        "text": "\n".join(rows) + "\nx31 = 31\n",
        "language": "python",
        "hash": sha256(snap["text"]),
    }
    wait_for(lambda: w.of("file.focus"), timeout=5)

    new = [*rows[:4], "one", "two", "three", *rows[4:], "x31 = 31", ""]
    write(root / "a.py", "\n".join(new))
    patch = wait_for(lambda: w.of("file.patch"), timeout=5)[0]
    assert patch["base"] == snap["hash"]
    assert diffs.apply(snap["text"], diffs.parse(patch["diff"])) == "\n".join(new)
    assert len(patch["diff"]) < 60  # three lines, not the file
    focus = wait_for(lambda: w.of("file.focus")[1:], timeout=5)[0]
    assert focus == {"path": "a.py", "line": 5, "end_line": 7}


def test_a_file_rewritten_100_times_a_second_is_sent_a_bounded_number_of_times(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    write(root / "log.txt", "start\n")
    w = watched().start()
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < 2.0:
        write(root / "log.txt", f"start\nwrite {i}\n" + "x" * (i % 50) + "\n")
        i += 1
        time.sleep(0.01)
    final = (root / "log.txt").read_text()
    assert i > 100

    def caught_up() -> bool:
        sent = w.of("file.snapshot") + w.of("file.patch")
        return bool(sent) and sent[-1]["hash"] == sha256(final)

    wait_for(caught_up, timeout=5)
    sent = len(w.of("file.snapshot")) + len(w.of("file.patch"))
    assert sent <= 12, f"{sent} events for {i} writes"


def test_a_rename_is_told_as_a_rename_and_a_deleted_folder_as_deletions(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    write(root / "pkg/a.py", "print('a')\n")
    write(root / "pkg/b.py", "print('b')\n")
    write(root / "main.py", "main\n")
    w = watched().start()
    write(root / "main.py", "main()\n")  # sent, so its hash is known
    wait_for(lambda: w.of("file.snapshot"), timeout=5)
    os.rename(root / "main.py", root / "app.py")
    wait_for(lambda: w.of("file.rename"), timeout=5)
    assert w.of("file.rename") == [{"path": "main.py", "to": "app.py"}]
    assert not [s for s in w.of("file.snapshot") if s["path"] == "app.py"]

    subprocess.run(["rm", "-rf", str(root / "pkg")], check=True)
    wait_for(lambda: len(w.of("file.delete")) == 2, timeout=5)
    assert sorted(d["path"] for d in w.of("file.delete")) == ["pkg/a.py", "pkg/b.py"]


def test_the_folder_deleted_under_the_watcher_empties_the_tree_until_it_comes_back(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    write(root / "a/b/c.py", "c\n")
    write(root / "d.py", "d\n")
    w = watched().start()
    assert set(w.tree()) == {"a/b/c.py", "d.py"}
    subprocess.run(["rm", "-rf", str(root)], check=True)
    wait_for(lambda: w.tree() == {}, timeout=10)
    write(root / "again.py", "back\n")
    wait_for(lambda: "again.py" in w.tree(), timeout=10)
    assert w.source._thread.is_alive()
    write(root / "again.py", "back, changed\n")
    wait_for(lambda: w.of("file.snapshot"), timeout=10)


def test_wants_are_answered_only_for_listed_text_files(tmp_path: Path, watched: Any) -> None:
    root = tmp_path / "proj"
    write(root / "src/a.py", "a = 1\n")
    write(root / ".env", "TOKEN=abc\n")
    write(root / "ignored.log", "x\n")
    write(root / ".gitignore", "*.log\n")
    write(tmp_path / "outside.py", "secret = 1\n")
    w = watched().start()
    for path in (
        "../outside.py",
        str(tmp_path / "outside.py"),
        "/etc/passwd",
        ".env",
        "ignored.log",
        "src/../.env",
        "src//a.py",
        "",
        "\0",
    ):
        w.source.want(path)
    w.source.want("./src/a.py")
    wait_for(lambda: w.of("file.snapshot"), timeout=5)
    w.source.want("src/a.py")  # already sent, unchanged: not again
    time.sleep(0.4)
    assert [s["path"] for s in w.of("file.snapshot")] == ["src/a.py"]


def test_an_editor_can_say_where_its_cursor_is(tmp_path: Path, watched: Any) -> None:
    root = tmp_path / "proj"
    write(root / "src/model.py", "".join(f"line {i}\n" for i in range(40)))
    w = watched().start()
    w.source.focus(str(root / "src/model.py"), 20, 24)
    focus = wait_for(lambda: w.of("file.focus"), timeout=5)[0]
    assert focus == {"path": "src/model.py", "line": 20, "end_line": 24}
    # A file never sent goes along, so viewers following see it.
    assert [s["path"] for s in w.of("file.snapshot")] == ["src/model.py"]
    w.source.focus("/etc/passwd", 1)
    w.source.focus("../x.py", 1)
    time.sleep(0.4)
    assert len(w.of("file.focus")) == 1


def test_off_air_nothing_is_sent_and_back_on_air_whole_copies_go_out(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    write(root / "a.py", "one\n")
    w = watched().start()
    write(root / "a.py", "two\n")
    wait_for(lambda: w.of("file.snapshot"), timeout=5)
    w.source.pause()
    w.clear()
    write(root / "a.py", "three\n")
    write(root / "b.py", "new\n")
    time.sleep(0.8)
    assert w.events == []
    w.source.resume()
    wait_for(lambda: len(w.of("file.snapshot")) == 2, timeout=5)
    assert not w.of("file.patch")  # what viewers had may have been dropped off air
    assert "b.py" in w.tree()


def test_contents_wait_for_the_byte_budget_and_coalesce_meanwhile(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "proj"
    for i in range(6):
        write(root / f"f{i}.txt", "")
    w = watched(rate=20_000, burst=20_000).start()
    for i in range(6):
        write(root / f"f{i}.txt", f"{i}" * 9_000 + "\n")
    wait_for(lambda: len(w.of("file.snapshot")) == 2, timeout=5)
    time.sleep(0.3)
    assert len(w.of("file.snapshot")) == 2  # the rest wait for budget…
    wait_for(lambda: len(w.of("file.snapshot")) == 6, timeout=10)  # …and all arrive


def test_a_ten_thousand_file_folder_is_listed_in_parts_without_reading_a_file(
    tmp_path: Path, watched: Any
) -> None:
    root = tmp_path / "big"
    for d in range(100):
        folder = root / "src" / f"pkg{d}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"mod{f}.py").write_text("x = 1\n")
    w = watched(root).start()
    trees = w.of("file.tree")
    assert len(w.tree()) == 10_000
    assert len(trees) == 5 and not trees[0]["update"] and all(t["update"] for t in trees[1:])
    assert w.source.scan_seconds < 5
    assert not w.of("file.snapshot")
