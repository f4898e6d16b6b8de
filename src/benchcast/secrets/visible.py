"""What terminal output shows, as opposed to the bytes that draw it.

A secret can hide from a byte-level scan behind colour codes in the middle of the token,
zero-width characters, or edits (backspace, carriage return, cursor moves). ``project`` strips
escape sequences and invisible characters and remembers where each visible character came
from, so findings on the visible text can be masked in the raw text. ``edit_line`` replays
in-line edits to get the line as the screen shows it.
"""

from __future__ import annotations

import re

# CSI, OSC (ended by BEL or ST), other two-byte escapes; and invisible characters.
ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|"
    r"\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]"
)
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HIDDEN = re.compile(ESCAPE.pattern + "|" + INVISIBLE.pattern)
# An escape sequence cut off at the end of a chunk: wait for the rest before scanning.
INCOMPLETE_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|\x1b?|[PX^_][^\x1b]*)?$")
OSC = re.compile(r"\x1b\](\d+);([^\x07\x1b]*)(\x07|\x1b\\)")
LINE_EDITS = re.compile(r"[\b\x7f]|\r(?!\n)|\x1b\[[0-9;]*[KCDPX@G]")
ALT_SCREEN_ON = re.compile(r"\x1b\[\?(?:1049|1047|47)h")
ALT_SCREEN_OFF = re.compile(r"\x1b\[\?(?:1049|1047|47)l")


class Projection:
    """The visible characters of a raw string, and where each came from in the raw string.

    The position map is built only when asked for (when something was found): most text
    has nothing to mask, and building it costs more than finding that out.
    """

    __slots__ = ("_where", "plain", "raw")

    def __init__(self, raw: str, plain: str) -> None:
        self.raw = raw
        self.plain = plain
        self._where: list[int] | None = None

    def raw_span(self, start: int, end: int) -> list[int]:
        """Raw indices of the visible characters in [start, end)."""
        if self.plain is self.raw:
            return list(range(start, end))
        if self._where is None:
            where: list[int] = []
            pos = 0
            for m in _HIDDEN.finditer(self.raw):
                where.extend(range(pos, m.start()))
                pos = m.end()
            where.extend(range(pos, len(self.raw)))
            self._where = where
        return self._where[start:end]


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def project(raw: str) -> Projection:
    if "\x1b" not in raw and not INVISIBLE.search(raw):
        return Projection(raw, raw)
    # Colours are nearly all the escapes in ordinary output; their simple pattern is faster.
    plain = _SGR.sub("", raw)
    if "\x1b" in plain or INVISIBLE.search(plain):
        plain = _HIDDEN.sub("", plain)
    return Projection(raw, plain)


def mask_raw(raw: str, proj: Projection, spans: list[tuple[int, int, str]]) -> str:
    """Replace the raw characters behind visible spans with the mask text, keeping every
    escape sequence (colours stay, layout stays)."""
    from benchcast.secrets.scanner import mask

    chars = list(raw)
    for start, end, rule in spans:
        idx = proj.raw_span(start, end)
        masked = mask(proj.plain[start:end], rule)
        for i, c in zip(idx, masked, strict=False):
            chars[i] = c
    return "".join(chars)


_CURSOR_MOVE = re.compile(r"\x1b\[[0-9;]*[CDPX@G]")
_ERASE = re.compile(r"\x1b\[([012]?)K")


def _overlay(raw: str) -> str:
    """Fast path for progress bars: carriage returns and line erases only."""
    shown = ""
    for seg in raw.split("\r"):
        cursor = 0
        parts = _ERASE.split(seg)  # text, erase mode, text, erase mode, …, text
        for i in range(0, len(parts), 2):
            part = parts[i]
            text = (
                _HIDDEN.sub("", part).translate(_CONTROLS)
                if "\x1b" in part or not part.isprintable()
                else part
            )
            if len(shown) < cursor:
                shown += " " * (cursor - len(shown))
            shown = shown[:cursor] + text + shown[cursor + len(text) :]
            cursor += len(text)
            if i + 1 < len(parts):
                mode = parts[i + 1] or "0"
                if mode == "0":
                    shown = shown[:cursor]
                elif mode == "1":
                    shown = " " * cursor + shown[cursor:]
                else:
                    shown = " " * cursor
    return shown.rstrip()


# C0 controls other than tab and carriage return print nothing.
_CONTROLS = {c: None for c in range(32) if c not in (9, 13)}
_CONTROLS[0x7F] = None


def edit_line(raw: str) -> str:
    """The line as the screen shows it after backspaces, carriage returns, erases and cursor
    moves within it. Colours are dropped; only the characters matter here."""
    if "\b" not in raw and "\x7f" not in raw and not _CURSOR_MOVE.search(raw):
        return _overlay(raw)
    buf: list[str] = []
    cur = 0
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == "\x1b":
            m = ESCAPE.match(raw, i)
            if m is None:
                i += 1
                continue
            seq = m.group()
            i = m.end()
            if seq.startswith("\x1b[") and seq[-1] in "KCDPX@G":
                arg = seq[2:-1]
                num = int(arg) if arg.isdigit() else (0 if seq[-1] == "K" else 1)
                op = seq[-1]
                if op == "K":
                    if num == 0:
                        del buf[cur:]
                    elif num == 1:
                        buf[:cur] = [" "] * min(cur, len(buf))
                    else:
                        buf = []
                elif op == "C":
                    cur += num
                elif op == "D":
                    cur = max(0, cur - num)
                elif op == "P":
                    del buf[cur : cur + num]
                elif op == "X":
                    for j in range(cur, min(len(buf), cur + num)):
                        buf[j] = " "
                elif op == "@":
                    buf[cur:cur] = [" "] * num
                elif op == "G":
                    cur = max(0, num - 1)
            continue
        i += 1
        if c in "\b\x7f":
            cur = max(0, cur - 1)
        elif c == "\r":
            cur = 0
        elif c == "\n" or INVISIBLE.match(c) or (ord(c) < 32 and c != "\t"):
            continue
        else:
            while len(buf) < cur:
                buf.append(" ")
            if cur < len(buf):
                buf[cur] = c
            else:
                buf.append(c)
            cur += 1
    return "".join(buf).rstrip()
