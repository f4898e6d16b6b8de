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
# The three kinds of in-line edit, each with a literal start that the regular expression engine
# finds quickly (one pattern for all three tries every position of the text).
_LONE_CR = re.compile(r"\r(?!\n)")
_CSI_EDIT = re.compile(r"\x1b\[[0-9;]*[KCDPX@G]")
_RUBOUT = re.compile(r"[\b\x7f]")


def has_edits(text: str) -> bool:
    """Whether ``text`` edits a line in place: ``LINE_EDITS.search(text) is not None``."""
    return (
        "\b" in text
        or "\x7f" in text
        or _LONE_CR.search(text) is not None
        or ("\x1b[" in text and _CSI_EDIT.search(text) is not None)
    )


def edited_lines(text: str, colourless: str | None = None) -> list[tuple[int, int]]:
    """(start, end) of each line of ``text`` (split after newlines) that ``LINE_EDITS``
    matches in, in order. ``colourless``: ``strip_colours(text)``, if at hand."""
    patterns = [_LONE_CR]
    # A colour sequence holds one ESC, its first character, so it can neither hold nor break
    # up an edit sequence: one not in ``colourless`` (fewer ESCs to try) is not in ``text``.
    if "\x1b[" in text and (colourless is None or _CSI_EDIT.search(colourless)):
        patterns.append(_CSI_EDIT)
    if "\b" in text or "\x7f" in text:
        patterns.append(_RUBOUT)
    lines: list[tuple[int, int]] = []
    if len(patterns) == 1:
        # Carriage returns only (progress bars), the usual case: the same walk, with one
        # pattern to follow.
        m = _LONE_CR.search(text)
        while m is not None:
            nearest = m.start()
            start = text.rfind("\n", 0, nearest) + 1
            end = text.find("\n", nearest) + 1 or len(text)
            lines.append((start, end))
            m = _LONE_CR.search(text, end)
        return lines
    # The next match of each kind; once a line is listed, each search goes on after it.
    following = [p.search(text) for p in patterns]
    while True:
        nearest = min((m.start() for m in following if m is not None), default=-1)
        if nearest < 0:
            return lines
        start = text.rfind("\n", 0, nearest) + 1
        end = text.find("\n", nearest) + 1 or len(text)
        lines.append((start, end))
        following = [
            p.search(text, end) if m is not None and m.start() < end else m
            for p, m in zip(patterns, following, strict=True)
        ]


ALT_SCREEN_ON = re.compile(r"\x1b\[\?(?:1049|1047|47)h")
ALT_SCREEN_OFF = re.compile(r"\x1b\[\?(?:1049|1047|47)l")


def alt_screen_on(text: str) -> re.Match[str] | None:
    """``ALT_SCREEN_ON.search(text)``: where a full-screen program takes over, if it does."""
    # Looked for in every read: the three sequences it can be are found faster as plain
    # substrings than by the search, and most output holds none of them.
    if "\x1b[?1049h" in text or "\x1b[?1047h" in text or "\x1b[?47h" in text:
        return ALT_SCREEN_ON.search(text)
    return None


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
            self._where = _kept(self.raw)
        return self._where[start:end]


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def strip_colours(text: str) -> str:
    """``text`` without its colour sequences (SGR), the escapes nearly all output has."""
    return _SGR.sub("", text) if "\x1b" in text else text


def _has_invisible(text: str) -> bool:
    # ASCII text (a flag Python keeps on every string) holds none; otherwise a handful of
    # substring tests are several times faster than one character-class search.
    # The characters of ``INVISIBLE``, spelled out: a generator over them costs more than
    # the tests themselves.
    return not text.isascii() and (
        "\u200b" in text
        or "\u200c" in text
        or "\u200d" in text
        or "\u2060" in text
        or "\ufeff" in text
        or "\u00ad" in text
    )


def _strip(text: str, where: list[int], pattern: re.Pattern[str]) -> tuple[str, list[int]]:
    """``pattern.sub("", text)``, and the positions (from ``where``) of what is kept."""
    parts: list[str] = []
    kept: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        parts.append(text[pos : m.start()])
        kept.extend(where[pos : m.start()])
        pos = m.end()
    parts.append(text[pos:])
    kept.extend(where[pos:])
    return "".join(parts), kept


def _kept(raw: str) -> list[int]:
    """The raw position of each character of ``project(raw).plain``, found by the same passes
    (a sequence can form only once another is removed: the map must follow the same steps)."""
    text, where = raw, list(range(len(raw)))
    if "\x1b" in text:
        text, where = _strip(text, where, _SGR)
        if "\x1b" in text:
            text, where = _strip(text, where, ESCAPE)
    if _has_invisible(text):
        text, where = _strip(text, where, INVISIBLE)
    return where


def project(raw: str, colourless: str | None = None) -> Projection:
    """What ``raw`` shows, in as few passes as the text needs. ``colourless``, if given, is
    ``_SGR.sub("", raw)``, already at hand."""
    if "\x1b" not in raw:
        return Projection(raw, INVISIBLE.sub("", raw) if _has_invisible(raw) else raw)
    # Colours are nearly all the escapes in ordinary output; their simple pattern is faster.
    plain = _SGR.sub("", raw) if colourless is None else colourless
    if "\x1b" in plain:
        # Escape sequences all start with ESC, which the engine finds quickly; the pattern
        # that also matches invisible characters would try every position instead.
        plain = ESCAPE.sub("", plain)
    if _has_invisible(plain):
        plain = INVISIBLE.sub("", plain)
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


# What prints nothing once escape sequences are gone: C0 controls other than tab and carriage
# return, DEL, and the invisible characters.
_UNPRINTED = re.compile("[\x00-\x08\x0a-\x0c\x0e-\x1f\x7f" + INVISIBLE.pattern[1:])


# Escape sequences that neither move the cursor nor change what a line shows: colours
# (``_SGR``) and modes (the cursor hidden while a bar redraws).
_MODES = re.compile(r"\x1b\[\?[0-9;]*[hl]")
_ERASES_LINE = ("\x1b[2K", "\x1b[0K", "\x1b[K")  # at the start of a line: all of it
_ERASES_REST = ("\x1b[0K", "\x1b[K")  # after the text of a redraw: what older ones left


def _overlay(raw: str, colourless: str) -> str:
    """Fast path for progress bars: carriage returns and line erases only. ``colourless`` is
    ``raw`` without its colours (``_SGR``)."""
    plain = colourless
    if "\x1b[?" in plain:
        plain = _MODES.sub("", plain)
    if plain.endswith("\n"):
        plain = plain[:-1]  # prints nothing (and would make the line look unprintable)
    if "\x1b" in plain:
        parts = plain.split("\r")
        first = 0  # the redraws before this one no longer show
        # Bars that erase the line as they redraw it (rich: "\r\x1b[2K…", git: "…\x1b[K"):
        # after such a redraw the line holds exactly its text. Other erases take the slow path.
        for i, part in enumerate(parts):
            if "\x1b" not in part:
                continue
            body = part
            for seq in _ERASES_LINE:
                if body.startswith(seq):
                    body = body[len(seq) :]
                    break
            for seq in _ERASES_REST:
                if body.endswith(seq):
                    body = body[: -len(seq)]
                    break
            if "\x1b" in body:
                return _overlay_erases(raw)
            parts[i] = body
            first = i
        plain = "\r".join(parts[first:])
    # Each redraw overwrites the line from its start, so what shows is the last redraw, then
    # what longer earlier ones left.
    if not plain.replace("\r", "").isprintable():  # two quick passes, often saving a slow one
        plain = _UNPRINTED.sub("", plain)
    parts = plain.split("\r")
    shown = parts[-1]
    for part in reversed(parts):
        if len(part) > len(shown):
            shown += part[len(shown) :]
    return shown.rstrip()


def _overlay_erases(raw: str) -> str:
    """``_overlay`` for lines with escape sequences other than colours (line erases)."""
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


def edit_line(raw: str, colourless: str | None = None) -> str:
    """The line as the screen shows it after backspaces, carriage returns, erases and cursor
    moves within it. Colours are dropped; only the characters matter here.

    ``colourless``, if given, is ``_SGR.sub("", raw)`` (a trailing newline may be left off),
    already at hand when the line was cut from a larger text.
    """
    if "\b" not in raw and "\x7f" not in raw:
        if colourless is None:
            colourless = _SGR.sub("", raw) if "\x1b" in raw else raw
        # Removing colours cannot break up a cursor move (a colour holds no ESC but its
        # first), so none left means none in ``raw``: the common case needs no look at it.
        if (
            "\x1b" not in colourless
            or not _CURSOR_MOVE.search(colourless)
            or not _CURSOR_MOVE.search(raw)
        ):
            return _overlay(raw, colourless)
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
