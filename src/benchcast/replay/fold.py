"""The fold: a stream's state as a function of its log, and keyframes as snapshots of it.

This module is the one owner of "what does the stream look like after event N". The server
folds live events to write keyframes; replay, seek and tests fold stored events. A keyframe is
``StreamFold.snapshot()``: plain JSON that ``StreamFold.restore()`` turns back into a fold, so
joining at hour 4 costs one keyframe plus the events after it.

Terminal screens are folded through pyte, a VT100/xterm emulator. A terminal's snapshot holds
its size, title and an ANSI string that redraws the screen (text, colours, attributes and the
cursor) when written to a reset terminal; that is also what a viewer's xterm.js is given.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyte
from pyte.screens import Char

from benchcast.events import Event

SNAPSHOT_VERSION = 1

_FG = {
    "black": 30,
    "red": 31,
    "green": 32,
    "brown": 33,
    "blue": 34,
    "magenta": 35,
    "cyan": 36,
    "white": 37,
    "brightblack": 90,
    "brightred": 91,
    "brightgreen": 92,
    "brightbrown": 93,
    "brightblue": 94,
    "brightmagenta": 95,
    "brightcyan": 96,
    "brightwhite": 97,
}


def _colour(name: str, base: int) -> str:
    """SGR parameters for a pyte colour name or hex value; base is 30 (fg) or 40 (bg)."""
    if name == "default":
        return str(base + 9)
    if name in _FG:
        code = _FG[name]
        return str(code + (base - 30))
    if len(name) == 6:
        try:
            r, g, b = int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16)
        except ValueError:
            return str(base + 9)
        return f"{base + 8};2;{r};{g};{b}"
    return str(base + 9)


def sgr(c: Char) -> str:
    """The SGR sequence that sets a cell's colours and attributes from scratch."""
    parts = ["0"]
    if c.bold:
        parts.append("1")
    if c.italics:
        parts.append("3")
    if c.underscore:
        parts.append("4")
    if c.blink:
        parts.append("5")
    if c.reverse:
        parts.append("7")
    if c.strikethrough:
        parts.append("9")
    if c.fg != "default":
        parts.append(_colour(c.fg, 30))
    if c.bg != "default":
        parts.append(_colour(c.bg, 40))
    return "\x1b[" + ";".join(parts) + "m"


def _forgiving(method: Callable[..., Any]) -> Callable[..., Any]:
    """A screen's handler for a control sequence, as a terminal treats one: parameters past
    those it takes are ignored, and one it cannot act on (an erase mode that does not exist)
    does nothing, instead of raising out of ``Stream.feed`` and losing the rest of the read."""
    params = list(inspect.signature(method).parameters.values())[1:]  # less self
    takes_all = any(p.kind is p.VAR_POSITIONAL for p in params)
    limit = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
    keywords = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    @functools.wraps(method)
    def handle(self: pyte.Screen, *args: Any, **kwargs: Any) -> Any:
        if not takes_all:
            args = args[:limit]
        if not takes_any_keyword:
            kwargs = {k: v for k, v in kwargs.items() if k in keywords}
        try:
            return method(self, *args, **kwargs)
        except (TypeError, ValueError, LookupError, NameError):
            return None

    return handle


class ForgivingScreen(pyte.Screen):
    """pyte's screen for output from any program: a malformed control sequence (``CSI 1;2
    C``, ``CSI 5 J``) does what a terminal does with it, next to nothing, where pyte's own
    screen raises. The redactor's shadow screen and every fold use it."""


for _handler in sorted(
    {*pyte.Stream.basic.values(), *pyte.Stream.escape.values()}
    | {*pyte.Stream.sharp.values(), *pyte.Stream.csi.values()}
):
    setattr(ForgivingScreen, _handler, _forgiving(getattr(pyte.Screen, _handler)))


class _Screen(ForgivingScreen):
    """pyte's screen, telling ``on_scroll(top, bottom)`` before a line scrolls off the top of
    the scrolling region (the search index reads lines as they leave the screen)."""

    on_scroll: Callable[[int, int], None] | None = None

    def index(self) -> None:
        if self.on_scroll is not None:
            top, bottom = self.margins or (0, self.lines - 1)
            if self.cursor.y == bottom:
                self.on_scroll(top, bottom)
        super().index()


class TerminalFold:
    """One terminal's screen, fed with output text."""

    def __init__(self, cols: int = 80, rows: int = 24, title: str = "") -> None:
        self.screen = _Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.title = title
        self.closed = False

    @property
    def cols(self) -> int:
        return int(self.screen.columns)

    @property
    def rows(self) -> int:
        return int(self.screen.lines)

    def feed(self, text: str) -> None:
        self.stream.feed(text)

    def resize(self, cols: int, rows: int) -> None:
        self.screen.resize(rows, cols)

    def text(self) -> list[str]:
        """The screen as plain lines, trailing spaces removed."""
        return [line.rstrip() for line in self.screen.display]

    def ansi(self) -> str:
        """An ANSI string that redraws this screen on a freshly reset terminal of its size."""
        out: list[str] = ["\x1b[0m\x1b[H\x1b[2J"]
        buf = self.screen.buffer
        default = self.screen.default_char
        for y in range(self.rows):
            row = buf[y]
            last = self.cols
            while last > 0 and row[last - 1] == default:
                last -= 1
            out.append(f"\x1b[{y + 1};1H")
            cur = ""
            x = 0
            while x < last:
                ch = row[x]
                if ch.data == "":  # the right half of a wide character
                    x += 1
                    continue
                style = sgr(ch)
                if style != cur:
                    out.append(style)
                    cur = style
                out.append(ch.data)
                x += 1
        out.append("\x1b[0m")
        cur_y, cur_x = self.screen.cursor.y, self.screen.cursor.x
        out.append(f"\x1b[{cur_y + 1};{cur_x + 1}H")
        if self.screen.cursor.hidden:
            out.append("\x1b[?25l")
        return "".join(out)

    def snapshot(self) -> dict[str, Any]:
        return {
            "cols": self.cols,
            "rows": self.rows,
            "title": self.title,
            "closed": self.closed,
            "ansi": self.ansi(),
        }

    @classmethod
    def restore(cls, snap: dict[str, Any]) -> TerminalFold:
        term = cls(int(snap["cols"]), int(snap["rows"]), str(snap.get("title", "")))
        term.feed(str(snap.get("ansi", "")))
        term.closed = bool(snap.get("closed", False))
        return term


class Part(Protocol):
    """State a module adds to the fold (runs, notebooks …), kept in keyframes by name."""

    def snapshot(self) -> Any:
        """Plain JSON, sharing nothing with the live state (it is written on another thread)."""
        ...


#: name → restore: ``restore(None)`` makes an empty part, ``restore(snapshot)`` rebuilds one.
_PARTS: dict[str, Callable[[Any], Part]] = {}


@dataclass
class StreamFold:
    """The state of a whole stream. Kinds it does not know are ignored, not refused."""

    title: str = ""
    tags: list[str] = field(default_factory=list)
    air: str = "on"
    activity: str | None = None
    now: dict[str, str] = field(default_factory=dict)
    ended: bool = False
    terms: dict[str, TerminalFold] = field(default_factory=dict)
    seq: int = 0
    t: float = 0.0
    output_bytes: int = 0
    parts: dict[str, Part] = field(default_factory=dict)

    def apply(self, ev: Event) -> None:
        for watcher in _EVERY:
            watcher(self, ev)
        handler = _HANDLERS.get(ev.kind)
        if handler is not None:
            handler(self, ev)
        self.seq = ev.seq
        self.t = ev.t

    def apply_all(self, events: Iterable[Event]) -> StreamFold:
        for ev in events:
            self.apply(ev)
        return self

    def term(self, source: str) -> TerminalFold:
        term = self.terms.get(source)
        if term is None:
            term = self.terms[source] = TerminalFold()
        return term

    def part(self, name: str) -> Part:
        """The part registered as ``name`` (``register_part``), made empty on first use."""
        part = self.parts.get(name)
        if part is None:
            part = self.parts[name] = _PARTS[name](None)
        return part

    def snapshot(self) -> dict[str, Any]:
        snap = {
            "v": SNAPSHOT_VERSION,
            "seq": self.seq,
            "t": self.t,
            "title": self.title,
            "tags": self.tags,
            "air": self.air,
            "activity": self.activity,
            "now": self.now,
            "ended": self.ended,
            "terms": {src: term.snapshot() for src, term in self.terms.items()},
        }
        for name, part in self.parts.items():
            snap[name] = part.snapshot()
        return snap

    @classmethod
    def restore(cls, snap: dict[str, Any]) -> StreamFold:
        fold = cls(
            title=snap.get("title", ""),
            tags=list(snap.get("tags", [])),
            air=snap.get("air", "on"),
            activity=snap.get("activity"),
            now=dict(snap.get("now", {})),
            ended=bool(snap.get("ended", False)),
            seq=int(snap.get("seq", 0)),
            t=float(snap.get("t", 0.0)),
        )
        fold.terms = {src: TerminalFold.restore(s) for src, s in snap.get("terms", {}).items()}
        for name, restore in _PARTS.items():
            if snap.get(name) is not None:
                fold.parts[name] = restore(snap[name])
        return fold


def _on_start(f: StreamFold, ev: Event) -> None:
    f.title = ev.data.get("title", "")
    f.tags = list(ev.data.get("tags", []))
    f.activity = ev.data.get("activity") or f.activity
    f.ended = False


def _on_end(f: StreamFold, ev: Event) -> None:
    f.ended = True


def _on_air(f: StreamFold, ev: Event) -> None:
    f.air = ev.data["state"]


def _on_activity(f: StreamFold, ev: Event) -> None:
    f.activity = ev.data["mode"]


def _on_now(f: StreamFold, ev: Event) -> None:
    f.now = {k: v for k, v in ev.data.items() if v}


def _on_term_open(f: StreamFold, ev: Event) -> None:
    f.terms[ev.source] = TerminalFold(ev.data["cols"], ev.data["rows"], ev.data.get("title", ""))


def _on_term_output(f: StreamFold, ev: Event) -> None:
    text = ev.data["text"]
    f.output_bytes += len(text)
    f.term(ev.source).feed(text)


def _on_term_resize(f: StreamFold, ev: Event) -> None:
    f.term(ev.source).resize(ev.data["cols"], ev.data["rows"])


def _on_term_close(f: StreamFold, ev: Event) -> None:
    f.term(ev.source).closed = True


_HANDLERS: dict[str, Callable[[StreamFold, Event], None]] = {
    "stream.start": _on_start,
    "stream.end": _on_end,
    "air": _on_air,
    "activity": _on_activity,
    "now": _on_now,
    "term.open": _on_term_open,
    "term.output": _on_term_output,
    "term.resize": _on_term_resize,
    "term.close": _on_term_close,
}


_EVERY: list[Callable[[StreamFold, Event], None]] = []


def register(kind: str, handler: Callable[[StreamFold, Event], None]) -> None:
    """Let a module fold a kind of its own (code, runs, chat … add their state here). Several
    modules may fold one kind (a comment is the audience's and the code panel's): each
    handler runs, in the order they were registered."""
    first = _HANDLERS.get(kind)
    if first is None:
        _HANDLERS[kind] = handler
        return

    def both(f: StreamFold, ev: Event) -> None:
        first(f, ev)
        handler(f, ev)

    _HANDLERS[kind] = both


def register_every(watcher: Callable[[StreamFold, Event], None]) -> None:
    """Let a module see every event before its kind's handler runs (and before ``seq`` and
    ``t`` move on, so ``fold.t`` is still the previous event's time)."""
    _EVERY.append(watcher)


def register_part(name: str, restore: Callable[[Any], Part]) -> None:
    """Let a module keep state of its own in the fold, snapshotted into keyframes as
    ``name`` (a key of the keyframe state; only parts in use appear there)."""
    _PARTS[name] = restore


# Modules that fold kinds of their own register here; importing them is what wires them in.
from benchcast.replay import (  # noqa: E402, F401
    audience,
    chapters,
    code,
    notebooks,
    notes,
    open_items,
    papers,
    runs,
    transcript,
    video,
)
