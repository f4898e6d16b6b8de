"""The code part of the fold: files as they stood, comments that move with the diffs, and the
browser's mirror of it (code-fold.js) agreeing with it event for event."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchcast import diffs
from benchcast.events import Event, validate_payload
from benchcast.replay.code import MAX_KEPT_TEXT, Code
from benchcast.replay.fold import StreamFold

CODE_FOLD_JS = Path(__file__).resolve().parents[2] / "src/benchcast/web/static/js/code-fold.js"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Log:
    """Builds a valid log of code events, the way a publisher and the audience would."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.texts: dict[str, str] = {}

    def add(self, kind: str, data: dict[str, Any], t: float | None = None) -> Event:
        seq = len(self.events) + 1
        ev = Event(
            seq=seq, t=seq * 0.5 if t is None else t, kind=kind, source="files",
            data=validate_payload(kind, data),
        )  # fmt: skip
        self.events.append(ev)
        return ev

    def snapshot(self, path: str, text: str) -> None:
        self.texts[path] = text
        self.add("file.snapshot", {"path": path, "text": text, "language": "", "hash": h(text)})

    def edit(self, path: str, text: str) -> None:
        old = self.texts[path]
        self.texts[path] = text
        diff = diffs.render(diffs.make(old, text))
        self.add("file.patch", {"path": path, "base": h(old), "hash": h(text), "diff": diff})

    def comment(
        self, cid: str, path: str, line: int, text: str = "", end: int | None = None
    ) -> None:
        anchor: dict[str, Any] = {"file": path, "line": line}
        if end is not None:
            anchor["end_line"] = end
        if text:
            anchor["text"] = text
        self.add(
            "comment",
            {"id": cid, "user": "g:1", "name": "bo", "role": "guest", "kind": "bug",
             "text": "off by one?", "anchor": anchor},
        )  # fmt: skip

    def fold(self) -> StreamFold:
        return StreamFold().apply_all(self.events)


def code(fold: StreamFold) -> Code:
    part = fold.parts["code"]
    assert isinstance(part, Code)
    return part


def numbered(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(1, n + 1))


def test_a_comment_moves_down_when_lines_are_inserted_above_and_is_outdated_when_deleted() -> None:
    log = Log()
    log.add("file.tree", {"entries": [{"path": "train.py", "state": "text", "size": 10}]})
    log.snapshot("train.py", numbered(30))
    log.comment("c1", "train.py", 12)
    rows = log.texts["train.py"].split("\n")
    log.edit("train.py", "\n".join([*rows[:3], "a", "b", "c", *rows[3:]]))
    c = code(log.fold()).comments["c1"]
    assert (c["line"], c["end_line"], c["outdated"]) == (15, 15, False)
    assert log.texts["train.py"].split("\n")[14] == "line 12"

    rows = log.texts["train.py"].split("\n")
    log.edit("train.py", "\n".join(rows[:14] + rows[15:]))
    c = code(log.fold()).comments["c1"]
    assert c["outdated"] is True
    assert c["line"] == 15  # kept where it last was


def test_a_range_comment_shrinks_to_the_lines_that_survive() -> None:
    log = Log()
    log.snapshot("a.py", numbered(20))
    log.comment("c1", "a.py", 5, end=7)
    rows = log.texts["a.py"].split("\n")
    log.edit("a.py", "\n".join(rows[:4] + rows[5:]))  # line 5 goes
    c = code(log.fold()).comments["c1"]
    assert (c["line"], c["end_line"], c["outdated"]) == (5, 6, False)


def test_a_comment_written_before_a_save_finds_its_line_by_its_text() -> None:
    log = Log()
    log.snapshot("a.py", numbered(20))
    rows = log.texts["a.py"].split("\n")
    log.edit("a.py", "\n".join(["import os", "import sys", *rows]))
    # The viewer pointed at line 12 of the version before the save: "line 12".
    log.comment("c1", "a.py", 12, text="line 12")
    assert code(log.fold()).comments["c1"]["line"] == 14


def test_files_are_as_they_were_at_each_point_and_a_keyframe_continues_the_same() -> None:
    log = Log()
    log.add("file.tree", {"entries": [{"path": "a.py", "state": "text", "size": 1}]})
    log.snapshot("a.py", "x = 1\n")
    log.edit("a.py", "x = 1\ny = 2\n")
    middle = log.fold()
    assert code(middle).text("a.py") == "x = 1\ny = 2\n"
    snap = json.loads(json.dumps(middle.snapshot()))
    log.comment("c1", "a.py", 2)
    log.edit("a.py", "# top\nx = 1\ny = 2\n")
    log.add("file.rename", {"path": "a.py", "to": "b.py"})
    log.add("file.focus", {"path": "b.py", "line": 1})
    full = log.fold()
    resumed = StreamFold.restore(snap).apply_all(log.events[len(log.events) - 4 :])
    assert resumed.snapshot()["code"] == full.snapshot()["code"]
    assert code(full).text("b.py") == "# top\nx = 1\ny = 2\n"
    assert code(full).comments["c1"]["file"] == "b.py"
    assert code(full).comments["c1"]["line"] == 3
    assert "a.py" not in code(full).tree


def test_a_patch_without_its_base_leaves_the_file_unknown_until_the_next_snapshot() -> None:
    log = Log()
    log.snapshot("a.py", "one\n")
    log.texts["a.py"] = "something else\n"  # a version viewers never got
    log.edit("a.py", "two\n")
    assert code(log.fold()).text("a.py") is None
    log.snapshot("a.py", "three\n")
    assert code(log.fold()).text("a.py") == "three\n"


def test_a_whole_tree_replaces_the_last_and_parts_update_it() -> None:
    log = Log()
    entries = [{"path": f"f{i}.py", "state": "text", "size": i} for i in range(5)]
    log.add("file.tree", {"entries": entries[:3]})
    log.add("file.tree", {"entries": entries[3:], "update": True})
    log.add(
        "file.tree", {"entries": [{"path": "x.bin", "state": "binary", "size": 9}], "update": True}
    )
    assert sorted(code(log.fold()).tree) == ["f0.py", "f1.py", "f2.py", "f3.py", "f4.py", "x.bin"]
    log.snapshot("f0.py", "text\n")
    log.add("file.tree", {"entries": [{"path": "f1.py", "state": "text", "size": 1}]})
    folded = code(log.fold())
    assert list(folded.tree) == ["f1.py"]
    assert "f0.py" not in folded.files


def test_kept_texts_are_bounded() -> None:
    log = Log()
    big = "x" * 150_000 + "\n"
    count = MAX_KEPT_TEXT // len(big) + 5
    for i in range(count):
        log.snapshot(f"f{i}.txt", big.replace("x", chr(97 + i % 26), 1))
    folded = code(log.fold())
    kept = [p for p in folded.files if folded.text(p) is not None]
    assert sum(len(folded.text(p) or "") for p in kept) <= MAX_KEPT_TEXT
    assert folded.text(f"f{count - 1}.txt") is not None  # the newest stay
    assert folded.text("f0.txt") is None


def test_git_status_and_commits_are_kept_newest_last() -> None:
    log = Log()
    log.add("git.status", {"branch": "main", "summary": " M a.py", "diffstat": "1 file"})
    for i in range(25):
        log.add("git.commit", {"hash": f"{i:07x}", "message": f"commit {i}", "files": ["a.py"]})
    git = code(log.fold()).git
    assert git["branch"] == "main"
    assert [c["message"] for c in git["commits"]][-1] == "commit 24"
    assert len(git["commits"]) == 20


def _random_log(rng: random.Random) -> Log:
    log = Log()
    paths = ["a.py", "b.py", "c.md"]
    log.add("file.tree", {"entries": [{"path": p, "state": "text", "size": 0} for p in paths]})
    words = ["alpha", "beta", "gamma", "", "  delta", "}"]
    n_comments = 0
    for _ in range(rng.randint(20, 60)):
        path = rng.choice(paths)
        roll = rng.random()
        if path not in log.texts or roll < 0.08:
            log.snapshot(path, "\n".join(rng.choice(words) for _ in range(rng.randint(0, 25))))
        elif roll < 0.7:
            rows = log.texts[path].split("\n")
            for _ in range(rng.randint(1, 4)):
                if rows and rng.random() < 0.45:
                    del rows[rng.randrange(len(rows))]
                else:
                    rows.insert(rng.randint(0, len(rows)), rng.choice([*words, "new"]))
            log.edit(path, "\n".join(rows))
        elif roll < 0.9:
            n_comments += 1
            size = len(log.texts[path].split("\n"))
            line = rng.randint(1, max(1, size))
            text = rng.choice(["", "alpha", "beta", "new"])
            end = line + rng.randint(0, 2) if rng.random() < 0.3 else None
            log.comment(f"c{n_comments}", path, line, text=text, end=end)
        elif roll < 0.95:
            log.add("file.focus", {"path": path, "line": 1})
        else:
            other = rng.choice([p for p in paths if p != path])
            log.add("file.rename", {"path": path, "to": other})
            log.texts[other] = log.texts.pop(path)
    return log


def _js_state(events: list[Event]) -> dict[str, Any]:
    script = (
        f"import {{ CodeState }} from {json.dumps(CODE_FOLD_JS.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  const s = new CodeState();\n"
        "  for (const ev of JSON.parse(input)) s.apply(ev);\n"
        "  const files = {};\n"
        "  for (const [p, f] of s.files) files[p] = f.text;\n"
        "  const comments = {};\n"
        "  for (const [k, c] of s.comments) {\n"
        "    comments[k] = [c.file, c.line, c.end_line, c.outdated];\n"
        "  }\n"
        "  console.log(JSON.stringify({ files, comments, tree: [...s.tree.keys()].sort() }));\n"
        "});\n"
    )
    node = shutil.which("node")
    assert node is not None
    res = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps([e.envelope() for e in events]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out: dict[str, Any] = json.loads(res.stdout)
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser's fold")
def test_the_browser_folds_code_exactly_as_the_server_does() -> None:
    rng = random.Random(20260501)
    for _ in range(25):
        log = _random_log(rng)
        py = code(log.fold())
        js = _js_state(log.events)
        assert js["files"] == {p: f["text"] for p, f in py.files.items()}
        assert js["comments"] == {
            k: [c["file"], c["line"], c["end_line"], c["outdated"]] for k, c in py.comments.items()
        }
        assert js["tree"] == sorted(py.tree)
