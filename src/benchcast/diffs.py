"""Line diffs of file texts, in the one format ``file.patch`` carries (docs/protocol.md).

A text is a list of lines split on ``"\\n"`` only, so ``"\\n".join(lines)`` gives it back
exactly (a text ending in a newline has an empty last line; ``\\r`` stays inside its line).
A diff is a unified diff without file headers and without context lines (``diff -U0``)::

    @@ -12,0 +13,3 @@
    +three
    +new
    +lines
    @@ -40,1 +43,0 @@
    -a line removed

Hunks are in order and do not overlap. With a length of 0, a start is the line *after which*
the lines go (0: before the first line), as in every unified diff. The publisher makes diffs
(broadcast/sources/files.py), the fold applies them and moves comment anchors with them
(replay/code.py); the browser's code-fold.js mirrors ``apply`` and ``map_line`` line for line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A change of more lines than this (after the common start and end are cut) is not searched
#: for the lines it kept: it becomes one hunk. Bounds the work for a file rewritten wholesale.
MAX_EDITS = 400

_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """A diff that does not parse, or does not fit the text it is applied to."""


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def old_index(self) -> int:
        """0-based index of the first old line the hunk replaces (or inserts before)."""
        return self.old_start - 1 if self.old_len else self.old_start

    def new_range(self) -> tuple[int, int]:
        """The 1-based lines of the new text this hunk wrote (for a deletion: the line after
        the gap, so there is something to point at)."""
        if self.new_len:
            return self.new_start, self.new_start + self.new_len - 1
        line = max(1, self.new_start + 1)
        return line, line


def lines(text: str) -> list[str]:
    return text.split("\n")


def make(old: str, new: str) -> list[Hunk]:
    """The hunks that turn ``old`` into ``new`` (empty when they are equal)."""
    a, b = lines(old), lines(new)
    if a == b:
        return []
    # Most saves change a few lines in one place: cut the common ends before comparing.
    pre = 0
    limit = min(len(a), len(b))
    while pre < limit and a[pre] == b[pre]:
        pre += 1
    post = 0
    while post < limit - pre and a[len(a) - 1 - post] == b[len(b) - 1 - post]:
        post += 1
    mid_a, mid_b = a[pre : len(a) - post], b[pre : len(b) - post]
    ops = _myers(mid_a, mid_b, MAX_EDITS)
    if ops is None:
        ops = [(0, len(mid_a), 0, len(mid_b))]
    hunks = []
    for i1, i2, j1, j2 in ops:
        old_len, new_len = i2 - i1, j2 - j1
        hunks.append(
            Hunk(
                old_start=pre + i1 + (1 if old_len else 0),
                old_len=old_len,
                new_start=pre + j1 + (1 if new_len else 0),
                new_len=new_len,
                removed=tuple(mid_a[i1:i2]),
                added=tuple(mid_b[j1:j2]),
            )
        )
    return hunks


def _myers(a: list[str], b: list[str], max_d: int) -> list[tuple[int, int, int, int]] | None:
    """The shortest edit script from ``a`` to ``b`` (Myers, 1986) as ``(i1, i2, j1, j2)``
    spans: ``a[i1:i2]`` is replaced by ``b[j1:j2]``. None if it needs more than ``max_d``
    inserted and removed lines."""
    ids: dict[str, int] = {}
    x_ids = [ids.setdefault(line, len(ids)) for line in a]
    y_ids = [ids.setdefault(line, len(ids)) for line in b]
    n, m = len(x_ids), len(y_ids)
    top = min(max_d, n + m)
    off = top + 1
    v = [0] * (2 * top + 3)
    trace: list[list[int]] = []
    for d in range(top + 1):
        trace.append(v[off - d - 1 : off + d + 2])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[off + k - 1] < v[off + k + 1]):
                x = v[off + k + 1]
            else:
                x = v[off + k - 1] + 1
            y = x - k
            while x < n and y < m and x_ids[x] == y_ids[y]:
                x += 1
                y += 1
            v[off + k] = x
            if x >= n and y >= m:
                return _spans(trace, n, m)
    return None


def _spans(trace: list[list[int]], n: int, m: int) -> list[tuple[int, int, int, int]]:
    """Walk a Myers trace back from (n, m); return the spans that differ, in order."""
    x, y = n, m
    moves: list[tuple[int, int, int, int]] = []  # (from x, from y, to x, to y), newest first
    for d in range(len(trace) - 1, 0, -1):
        v = trace[d]  # the furthest x on each diagonal k before round d, at v[k + d + 1]
        k = x - y
        down = k == -d or (k != d and v[k + d] < v[k + d + 2])
        pk = k + 1 if down else k - 1
        px = v[pk + d + 1]
        py = px - pk
        moves.append((px, py, px, py + 1) if down else (px, py, px + 1, py))
        x, y = px, py
    spans: list[tuple[int, int, int, int]] = []
    for fx, fy, tx, ty in reversed(moves):
        if spans and spans[-1][1] == fx and spans[-1][3] == fy:
            i1, _, j1, _ = spans[-1]
            spans[-1] = (i1, tx, j1, ty)
        else:
            spans.append((fx, tx, fy, ty))
    return spans


def render(hunks: list[Hunk]) -> str:
    out: list[str] = []
    for h in hunks:
        out.append(f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@")
        out.extend("-" + line for line in h.removed)
        out.extend("+" + line for line in h.added)
    return "\n".join(out)


def parse(diff: str) -> list[Hunk]:
    """The hunks of a diff in the format above; raises PatchError if it is not one."""
    hunks: list[Hunk] = []
    rows = diff.split("\n") if diff else []
    i = 0
    last_end = 0
    while i < len(rows):
        m = _HEADER.match(rows[i])
        if m is None:
            raise PatchError(f"line {i + 1} of the diff is not a hunk header")
        old_start, new_start = int(m.group(1)), int(m.group(3))
        old_len = int(m.group(2)) if m.group(2) is not None else 1
        new_len = int(m.group(4)) if m.group(4) is not None else 1
        i += 1
        removed: list[str] = []
        added: list[str] = []
        while i < len(rows) and not rows[i].startswith("@@"):
            row = rows[i]
            if row.startswith("-"):
                removed.append(row[1:])
            elif row.startswith("+"):
                added.append(row[1:])
            elif row.startswith(" "):  # a context line (other tools' diffs): kept on both sides
                removed.append(row[1:])
                added.append(row[1:])
            else:
                raise PatchError(f"line {i + 1} of the diff has no +, - or space")
            i += 1
        if len(removed) != old_len or len(added) != new_len:
            raise PatchError("a hunk's lines do not match its header")
        hunk = Hunk(old_start, old_len, new_start, new_len, tuple(removed), tuple(added))
        if hunk.old_index < last_end:
            raise PatchError("hunks overlap or are out of order")
        last_end = hunk.old_index + old_len
        hunks.append(hunk)
    return hunks


def apply(text: str, hunks: list[Hunk]) -> str:
    """``text`` with the hunks applied. Lines are placed by number: the removed lines are
    not compared (what was masked on the way may differ from the streamer's text)."""
    old = lines(text)
    out: list[str] = []
    pos = 0
    for h in hunks:
        start = h.old_index
        if start < pos or start + h.old_len > len(old):
            raise PatchError("the diff does not fit this text")
        out.extend(old[pos:start])
        out.extend(h.added)
        pos = start + h.old_len
    out.extend(old[pos:])
    return "\n".join(out)


def map_line(hunks: list[Hunk], line: int) -> int | None:
    """Where 1-based ``line`` of the old text is in the new one; None if it was removed."""
    delta = 0
    for h in hunks:
        start = h.old_index
        if line - 1 < start:
            break
        if line - 1 < start + h.old_len:
            return None
        delta += h.new_len - h.old_len
    return line + delta


def map_range(hunks: list[Hunk], first: int, last: int) -> tuple[int, int] | None:
    """Where lines ``first``..``last`` went: the span of those that survive, or None if every
    one of them was removed."""
    kept = [n for n in (map_line(hunks, x) for x in range(first, last + 1)) if n is not None]
    return (min(kept), max(kept)) if kept else None


def changed_lines(hunks: list[Hunk]) -> list[tuple[int, int]]:
    """The 1-based ranges of the new text that the hunks wrote."""
    return [h.new_range() for h in hunks]
