"""File source benchmark: what the code panel costs to stream, and how long the first look
at a big repository takes.

    python bench/files.py                    # 300 saves over 8 files; a 10,000-file scan
    python bench/files.py --saves 100 --files 2000

**Bytes.** A realistic editing session — Benchcast's own source files, edited the way people
edit: a line changed, a few typed, a block pasted, lines deleted, a name renamed through a
file, a burst of saves while typing — goes through the file source's own change handling
(``FileSource._changes``: read, hash, diff, choose a patch or a snapshot, focus). Every event
it emits is JSON-encoded as it would be spooled. The baseline, in the same run, is the same
session sent as whole snapshots on every save.

**Scan.** A repository of ``--files`` listed files in 100 folders, with an ignored
``node_modules/`` of half as many files, is walked by the file source (gitignore rules
applied, entries built, the tree sent in parts). The baseline, in the same run, is
``os.walk`` over the same folder (the filesystem's own cost, no rules).

The last line holds both figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchcast.broadcast.sources.files import FileSource, language_for, sha256  # noqa: E402
from benchcast.events import dumps  # noqa: E402

CORPUS = [
    "src/benchcast/broadcast/session.py",
    "src/benchcast/broadcast/uplink.py",
    "src/benchcast/broadcast/intake.py",
    "src/benchcast/replay/fold.py",
    "src/benchcast/server/hub.py",
    "src/benchcast/events.py",
    "src/benchcast/cli.py",
    "src/benchcast/diffs.py",
]
IDENT = re.compile(r"\b[a-z_][a-z0-9_]{3,}\b")


class Recorder:
    def __init__(self) -> None:
        self.bytes = 0
        self.kinds: dict[str, int] = {}

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        self.bytes += len(dumps({"kind": kind, "source": "files", "data": data}).encode())
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


def edit(rng: random.Random, text: str) -> list[str]:
    """One editing action on ``text``: the versions it saves (a typing burst saves several)."""
    rows = text.split("\n")
    roll = rng.random()
    at = rng.randrange(len(rows))
    if roll < 0.35:  # change a line
        rows[at] = rows[at] + "  # checked" if rows[at].strip() else "pass"
    elif roll < 0.55:  # insert a few lines
        indent = re.match(r"\s*", rows[at]).group()  # type: ignore[union-attr]
        new = [
            f"{indent}value_{rng.randrange(99)} = compute({i})" for i in range(rng.randint(1, 3))
        ]
        rows[at:at] = new
    elif roll < 0.67:  # delete a line or two
        del rows[at : at + rng.randint(1, 2)]
    elif roll < 0.77:  # paste a block copied from elsewhere in the file
        start = rng.randrange(len(rows))
        rows[at:at] = rows[start : start + rng.randint(10, 30)]
    elif roll < 0.87:  # rename a name throughout the file
        names = IDENT.findall(text)
        if names:
            old = rng.choice(names)
            return [re.sub(rf"\b{re.escape(old)}\b", old + "_v2", text)]
    else:  # type a line, saving every few keystrokes
        typed = "    result = normalise(batch, axis=-1)"
        versions = []
        for end in range(8, len(typed) + 4, 6):
            rows2 = list(rows)
            rows2[at:at] = [typed[:end]]
            versions.append("\n".join(rows2))
        return versions
    return ["\n".join(rows)]


def session(saves: int, seed: int = 7) -> tuple[int, int, int, dict[str, int], float]:
    """(diff bytes, snapshot bytes, text bytes, event kinds, seconds per save) of a session."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        texts: dict[str, str] = {}
        for rel in CORPUS:
            text = (ROOT / rel).read_text()
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
            texts[rel] = text
        rec = Recorder()
        source = FileSource(root, rec)
        source._send_tree(source._walk())
        tree_bytes = rec.bytes
        snapshot_bytes = tree_bytes
        done = 0
        elapsed = 0.0
        while done < saves:
            rel = rng.choice(CORPUS)
            for version in edit(rng, texts[rel]):
                if version == texts[rel]:
                    continue
                texts[rel] = version
                (root / rel).write_text(version)
                started = time.perf_counter()
                source._changes([rel])
                elapsed += time.perf_counter() - started
                snap = {"path": rel, "text": version, "language": language_for(rel)}
                snap["hash"] = sha256(version)
                snapshot_bytes += len(
                    dumps({"kind": "file.snapshot", "source": "files", "data": snap}).encode()
                )
                done += 1
        text_bytes = sum(len(t.encode()) for t in texts.values())
        return rec.bytes, snapshot_bytes, text_bytes, rec.kinds, elapsed / max(done, 1)


def make_repo(root: Path, files: int) -> None:
    per = max(1, files // 100)
    for d in range(100):
        folder = root / "src" / f"pkg{d:02d}"
        folder.mkdir(parents=True)
        for f in range(per):
            (folder / f"mod{f:03d}.py").write_text(f"VALUE = {d * per + f}\n")
    for d in range(50):
        folder = root / "node_modules" / f"dep{d:02d}" / "lib"
        folder.mkdir(parents=True)
        for f in range(max(1, files // 100)):
            (folder / f"index{f:03d}.js").write_text("module.exports = 1;\n")
    (root / ".gitignore").write_text(
        "node_modules/\n__pycache__/\n*.py[cod]\nbuild/\ndist/\n*.egg-info/\n.venv/\n"
        ".mypy_cache/\n.pytest_cache/\n.coverage\nhtmlcov/\n*.log\n.DS_Store\n"
    )


def scan(files: int, rounds: int) -> tuple[float, float, int]:
    """Median seconds of the file source's first look and of a bare os.walk; files listed."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_repo(root, files)
        ours: list[float] = []
        walks: list[float] = []
        listed = 0
        for _ in range(rounds):
            started = time.perf_counter()
            n = 0
            for _dir, _dirs, names in os.walk(root):
                for name in names:
                    os.lstat(os.path.join(_dir, name))
                    n += 1
            walks.append(time.perf_counter() - started)
            rec = Recorder()
            source = FileSource(root, rec)
            started = time.perf_counter()
            source._send_tree(source._walk())
            ours.append(time.perf_counter() - started)
            listed = len(source.tree)
        return statistics.median(ours), statistics.median(walks), listed


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=300, help="saves in the editing session")
    parser.add_argument("--files", type=int, default=10_000, help="files listed in the scan")
    parser.add_argument("--rounds", type=int, default=3, help="scans timed (median)")
    args = parser.parse_args()

    diff_bytes, snap_bytes, text_bytes, kinds, per_save = session(args.saves)
    ratio = snap_bytes / diff_bytes
    print(
        f"editing session: {args.saves} saves over {len(CORPUS)} files ({kb(text_bytes)} of text)"
    )
    print(f"  events: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}")
    print(f"  sent with diffs:       {kb(diff_bytes)} (tree included)")
    print(f"  sent as snapshots:     {kb(snap_bytes)} (baseline: every save whole)")
    print(f"  handling a save:       {per_save * 1000:.2f} ms (read, hash, diff)")
    ours, walk, listed = scan(args.files, args.rounds)
    print(f"first look at {listed:,} files (+{args.files // 2:,} ignored in node_modules/):")
    print(f"  file source:           {ours:.3f} s (rules, entries, tree events)")
    print(f"  os.walk + lstat:       {walk:.3f} s (baseline: the filesystem alone)")
    print(
        f"files: diffs {kb(diff_bytes)} vs snapshots {kb(snap_bytes)} ({ratio:.0f}x fewer bytes); "
        f"first look at {listed:,} files {ours:.2f} s (os.walk {walk:.2f} s)"
    )


if __name__ == "__main__":
    main()
