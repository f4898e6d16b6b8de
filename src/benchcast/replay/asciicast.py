"""asciicast: export a stream's terminal as an asciinema recording, and read recordings back.

``export_asciicast`` writes asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the
format the asciinema player and the asciinema 2.x CLI read — a JSON header line, then one
``[time, code, data]`` line per event with ``time`` in seconds since the stream started — or
v3 (https://docs.asciinema.org/manual/asciicast/v3/, asciinema 3.x), where each line's time
is the interval since the line before. The stream's chapters become markers.

``read_asciicast`` reads v1, v2 and v3 into one normalised ``Recording`` whose event times are
absolute (seconds since the recording started, never decreasing), whatever the version
stored; ``Recording.idle_capped`` gives them as players show them, pauses cut to the
header's ``idle_time_limit``. It refuses what the format's spec and asciinema-server refuse
(``AsciicastError`` says which line and why) and tolerates what they tolerate: blank lines,
``#`` comments in v3, event codes it does not know, ``null`` environment values, and resize
events whose size makes no sense (those are dropped).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TextIO

from benchcast.events import Event, dumps
from benchcast.store.database import Store, StoreError

__all__ = [
    "AsciicastError",
    "CastEvent",
    "Header",
    "Recording",
    "Theme",
    "export_asciicast",
    "read_asciicast",
]

#: The terminal exported when a stream has it; otherwise the first terminal seen.
DEFAULT_TERMINAL = "term:1"
#: Size written to the header when the exported terminal never sent ``term.open``.
DEFAULT_SIZE = (80, 24)

_RESIZE = re.compile(r"^(\d+)x(\d+)$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Event codes each version defines; lines with any other code are skipped, as the spec asks.
_CODES = {2: frozenset("oimr"), 3: frozenset("oimrx")}


class AsciicastError(ValueError):
    """A recording was refused. ``str()`` names the line (when there is one) and the fault."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


@dataclass(frozen=True)
class Theme:
    """A recording's colours: foreground, background and an 8- or 16-colour palette."""

    fg: str
    bg: str
    palette: tuple[str, ...]


@dataclass(frozen=True)
class Header:
    """What a recording says about itself, the same fields whatever its version.

    ``env`` keeps only string values (the asciinema CLI writes ``null`` for unset variables).
    A header's own ``duration`` is not kept: real files disagree with their last event, so
    ``Recording.duration`` is computed from the events.
    """

    version: int
    cols: int
    rows: int
    title: str | None = None
    timestamp: int | None = None
    idle_time_limit: float | None = None
    command: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    theme: Theme | None = None


class CastEvent(NamedTuple):
    """One event: seconds since the recording started, a code ("o", "i", "m", "r", "x"), data.

    "o" is output, "i" input, "m" a marker (data is its label), "r" a resize (data is
    "COLSxROWS") and "x" (v3 only) the exit status of the recorded process.
    """

    time: float
    code: str
    data: str


@dataclass(frozen=True)
class Recording:
    """A parsed recording. Event times are absolute and never decrease."""

    header: Header
    events: list[CastEvent]

    @property
    def duration(self) -> float:
        """The time of the last event (0.0 for a recording without events)."""
        return self.events[-1].time if self.events else 0.0

    def output(self) -> str:
        """Everything written to the terminal, in order: the "o" events' data joined."""
        return "".join(e.data for e in self.events if e.code == "o")

    def idle_capped(self, limit: float | None = None) -> Recording:
        """The recording as players time it: no pause longer than ``limit`` seconds.

        ``limit`` defaults to the header's ``idle_time_limit``; without either, the recording
        is returned as it is. The gap before the first event counts as a pause too, as it does
        in the asciinema player and server.
        """
        limit = self.header.idle_time_limit if limit is None else limit
        if limit is None:
            return self
        events: list[CastEvent] = []
        prev = now = 0.0
        for e in self.events:
            now += min(e.time - prev, limit)
            prev = e.time
            events.append(e._replace(time=now))
        return Recording(self.header, events)


# ── export ────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Terminal:
    source: str
    cols: int
    rows: int
    title: str


def _choose_terminal(store: Store, stream_id: str, source: str | None) -> _Terminal | None:
    """The terminal to export and its first size, or None when the stream has no terminal.

    Usually ``term:1`` opens first, and the scan stops there; only a stream without it (or
    one whose terminals open in an odd order) is read to the end.
    """
    first: str | None = None
    seen: set[str] = set()
    opens: dict[str, tuple[int, int, str]] = {}
    wanted = source or DEFAULT_TERMINAL
    for ev in store.iter_events(stream_id):
        if not ev.kind.startswith("term."):
            continue
        first = first or ev.source
        seen.add(ev.source)
        if ev.kind == "term.open" and ev.source not in opens:
            opens[ev.source] = (ev.data["cols"], ev.data["rows"], ev.data.get("title", ""))
        if ev.source == wanted and wanted in opens:
            break
    if source is not None:
        chosen: str | None = source if source in seen else None
    else:
        chosen = DEFAULT_TERMINAL if DEFAULT_TERMINAL in seen else first
    if chosen is None:
        return None
    cols, rows, title = opens.get(chosen, (*DEFAULT_SIZE, ""))
    return _Terminal(chosen, cols, rows, title)


def _cast_event(ev: Event, term: _Terminal) -> tuple[str, str] | None:
    """The (code, data) a terminal event becomes in the recording, or None if it has no place
    there (markers come from the stream's chapters, see ``_markers``)."""
    if ev.source != term.source:
        return None
    if ev.kind == "term.output":
        return "o", str(ev.data["text"])
    if ev.kind in ("term.resize", "term.open"):
        cols, rows = int(ev.data["cols"]), int(ev.data["rows"])
        if (cols, rows) == (term.cols, term.rows):
            # A terminal reopened at the size it had, or the first open: nothing to tell.
            return None
        term.cols, term.rows = cols, rows
        return "r", f"{cols}x{rows}"
    return None


def _markers(store: Store, stream_id: str) -> dict[int, str | None]:
    """Marker labels by the seq of the event that starts each chapter the streamer made
    (markers, activities, goals), as the streamer titled them afterwards; None for a chapter
    they hid. Automatic chapters (runs, idle gaps …) are not markers."""
    from benchcast.replay.chapters import stream_chapters
    from benchcast.store.archive import Archive

    edits = Archive(store).chapter_edits(stream_id)
    out: dict[int, str | None] = {}
    for c in stream_chapters(store, stream_id):
        if c["auto"] or c["type"] == "marker":
            continue  # a marker event's own label is exact; chapters' titles are trimmed
        out[int(c["seq"])] = c["title"]
    for seq, edit in edits.items():
        out[seq] = None if edit.get("hidden") else edit.get("title") or out.get(seq, "")
    return out


def export_asciicast(
    store: Store, stream_id: str, out: TextIO, *, source: str | None = None, version: int = 2
) -> int:
    """Write a stream's terminal to ``out`` as asciicast ``version`` 2 or 3; return how many
    events it wrote.

    One terminal is exported, as the format has room for one: ``source`` if given, else
    ``term:1`` when the stream has it, else the first terminal that appears in the log. Its
    output becomes "o" events and its size changes "r" events. The stream's chapters that the
    streamer made become "m" (marker) events, titled as the streamer last edited them:
    every ``marker`` (whatever its source), every change of activity, every new goal or
    hypothesis; automatic chapters and those the streamer hid are left out. Other kinds (and
    other terminals) are left out. Times are the log's own (seconds since the stream
    started, to the microsecond, never decreasing; v3 writes each as the interval since the
    one before, computed in whole microseconds so they add up exactly). The header's
    ``timestamp`` is the stream's start in unix seconds and its size the terminal's first
    ``term.open`` (80x24 if it has none). A stream without a terminal gives a header and its
    markers; one with nothing at all to export gets a single empty output event, so that
    players still open it.

    Raises StoreError when there is no such stream, ValueError for another version.
    """
    if version not in (2, 3):
        raise ValueError("asciicast export writes version 2 or 3")
    stream = store.stream(stream_id)
    if stream is None:
        raise StoreError(f"no stream {stream_id!r}")
    term = _choose_terminal(store, stream_id, source)
    if term is None:
        term = _Terminal(source or DEFAULT_TERMINAL, *DEFAULT_SIZE, "")
    header: dict[str, Any] = {"version": version}
    if version == 2:
        header.update(width=term.cols, height=term.rows)
    else:
        header["term"] = {"cols": term.cols, "rows": term.rows}
    header["timestamp"] = int(stream.started_at)
    title = stream.title or term.title
    if title:
        header["title"] = title
    out.write(dumps(header) + "\n")
    markers = _markers(store, stream_id)
    n = 0
    last_us = 0

    def write(t: float, code: str, data: str) -> None:
        nonlocal n, last_us
        # The store keeps time from running backwards; the file promises it on its own.
        us = max(last_us, round(t * 1_000_000))
        stamp = us / 1_000_000 if version == 2 else (us - last_us) / 1_000_000
        last_us = us
        out.write(dumps([stamp, code, data]) + "\n")
        n += 1

    for ev in store.iter_events(stream_id):
        if ev.kind == "marker" or ev.seq in markers:
            label = markers.get(ev.seq, ev.data.get("label"))
            if label is not None:
                write(ev.t, "m", str(label))
            continue
        cast = _cast_event(ev, term)
        if cast is not None:
            write(ev.t, *cast)
    if n == 0:
        # The asciinema player and asciinema-server refuse a recording without events.
        write(stream.last_t, "o", "")
    return n


# ── reading ───────────────────────────────────────────────────────────────────────────────


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Python's json accepts NaN and Infinity; JSON (and so asciicast) does not.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant)


def _loads(text: str) -> Any:
    return _decoder.decode(text)


def _why(err: ValueError) -> str:
    """What JSON found wrong, placed within the line (the caller names the line)."""
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at column {err.colno}"
    return str(err)


def _lines(source: str | Iterable[str]) -> list[str]:
    """Physical lines without their terminators.

    Only "\\n" ends a line: ``str.splitlines`` would also split on U+2028 or U+0085, which
    JSON strings may hold raw.
    """
    raw = source.split("\n") if isinstance(source, str) else list(source)
    lines = [line[:-1] if line.endswith("\n") else line for line in raw]
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _time(v: Any, what: str, line: int | None) -> float:
    """A finite number of seconds ≥ 0."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise AsciicastError(f"{what} must be a number, not {json.dumps(v)}", line)
    try:
        t = float(v)
    except OverflowError:
        t = math.inf
    if not math.isfinite(t) or t < 0:
        raise AsciicastError(f"{what} must be a finite number ≥ 0, not {v!r}", line)
    return t


def _size(v: Any, what: str, line: int | None) -> int:
    if v is None:
        raise AsciicastError(f"{what} is missing; it must be an integer ≥ 1", line)
    if not _is_int(v) or v < 1:
        raise AsciicastError(f"{what} must be an integer ≥ 1, not {json.dumps(v)}", line)
    return int(v)


def _optional_str(header: Mapping[str, Any], key: str, line: int | None) -> str | None:
    v = header.get(key)
    if v is not None and not isinstance(v, str):
        raise AsciicastError(f"header {key!r} must be a string, not {json.dumps(v)}", line)
    return v


def _colour(v: Any, what: str, line: int | None) -> str:
    if not isinstance(v, str) or not _COLOUR.match(v):
        raise AsciicastError(f"{what} must be a colour written #rrggbb, not {json.dumps(v)}", line)
    return v


def _theme(v: Any, where: str, line: int | None) -> Theme | None:
    if v is None:
        return None
    if not isinstance(v, dict):
        raise AsciicastError(f"{where} must be an object with fg, bg and palette", line)
    fg = _colour(v.get("fg"), f"{where}.fg", line)
    bg = _colour(v.get("bg"), f"{where}.bg", line)
    palette = v.get("palette")
    colours = palette.split(":") if isinstance(palette, str) else []
    if len(colours) not in (8, 16) or not all(_COLOUR.match(c) for c in colours):
        raise AsciicastError(
            f"{where}.palette must be 8 or 16 #rrggbb colours joined by ':', "
            f"not {json.dumps(palette)}",
            line,
        )
    return Theme(fg=fg, bg=bg, palette=tuple(colours))


def _header(
    obj: Mapping[str, Any], version: int, cols: int, rows: int, theme: Theme | None, line: int
) -> Header:
    env = obj.get("env")
    if env is not None and not isinstance(env, dict):
        raise AsciicastError(f"header 'env' must be an object, not {json.dumps(env)}", line)
    timestamp = obj.get("timestamp")
    if timestamp is not None:
        timestamp = int(_time(timestamp, "header 'timestamp'", line))
    idle = obj.get("idle_time_limit")
    return Header(
        version=version,
        cols=cols,
        rows=rows,
        title=_optional_str(obj, "title", line),
        timestamp=timestamp,
        idle_time_limit=None if idle is None else _time(idle, "header 'idle_time_limit'", line),
        command=_optional_str(obj, "command", line),
        env={k: v for k, v in (env or {}).items() if isinstance(v, str)},
        theme=theme,
    )


def _read_v1(doc: Mapping[str, Any]) -> Recording:
    cols = _size(doc.get("width"), "'width'", None)
    rows = _size(doc.get("height"), "'height'", None)
    header = _header(doc, 1, cols, rows, None, 1)
    frames = doc.get("stdout")
    if not isinstance(frames, list):
        raise AsciicastError("'stdout' must be a list of [delay, text] frames")
    events: list[CastEvent] = []
    now = 0.0
    for i, frame in enumerate(frames):
        where = f"stdout[{i}]"
        if not isinstance(frame, list) or len(frame) != 2:
            raise AsciicastError(f"{where} must be a [delay, text] pair, not {json.dumps(frame)}")
        delay, text = frame
        now += _time(delay, f"{where} delay", None)
        if not isinstance(text, str):
            raise AsciicastError(f"{where} text must be a string, not {json.dumps(text)}")
        events.append(CastEvent(now, "o", text))
    return Recording(header, events)


def _read_events(lines: list[str], version: int) -> list[CastEvent]:
    """v2 lines hold absolute times, v3 lines the interval since the previous line's event."""
    known = _CODES[version]
    events: list[CastEvent] = []
    now = 0.0
    for n, text in enumerate(lines[1:], start=2):
        if not text.strip() or (version == 3 and text.startswith("#")):
            continue
        try:
            ev = _loads(text)
        except ValueError as err:
            raise AsciicastError(f"not a JSON event ({_why(err)}): {text[:60]!r}", n) from None
        if not isinstance(ev, list) or len(ev) != 3:
            raise AsciicastError(
                f"an event must be a 3-element array [time, code, data], not {text[:60]}", n
            )
        t, code, data = ev
        if version == 2:
            # Times from a clock that stepped back are held level, as the store does.
            now = max(now, _time(t, "event time", n))
        else:
            now += _time(t, "event interval", n)
        if not isinstance(code, str):
            raise AsciicastError(f"event code must be a string, not {json.dumps(code)}", n)
        if not isinstance(data, str):
            raise AsciicastError(f"event data must be a string, not {json.dumps(data)}", n)
        if code not in known:
            continue
        if code == "r":
            m = _RESIZE.match(data)
            if m is None or int(m[1]) < 1 or int(m[2]) < 1:
                # asciinema-server keeps the recording and drops the impossible resize.
                continue
        events.append(CastEvent(now, code, data))
    return events


def _read_lines(header: Mapping[str, Any], version: int, lines: list[str]) -> Recording:
    if version == 2:
        cols = _size(header.get("width"), "header 'width'", 1)
        rows = _size(header.get("height"), "header 'height'", 1)
        theme = _theme(header.get("theme"), "header 'theme'", 1)
    else:
        term = header.get("term")
        if not isinstance(term, dict):
            raise AsciicastError("header 'term' must be an object with cols and rows", 1)
        cols = _size(term.get("cols"), "header 'term.cols'", 1)
        rows = _size(term.get("rows"), "header 'term.rows'", 1)
        theme = _theme(term.get("theme"), "header 'term.theme'", 1)
    return Recording(_header(header, version, cols, rows, theme, 1), _read_events(lines, version))


def read_asciicast(source: str | Iterable[str]) -> Recording:
    """Parse an asciicast v1, v2 or v3 recording: its whole text, or its lines.

    Raises AsciicastError for anything the format does not allow: a header or event that is
    not JSON, a missing or impossible terminal size, a time that is negative or not a number,
    an event that is not ``[time, code, data]`` with string code and data, a malformed theme,
    or a version other than 1, 2 and 3.
    """
    lines = _lines(source)
    if not "".join(lines).strip():
        raise AsciicastError("the recording is empty")
    try:
        first: Any = _loads(lines[0])
        whole = len(lines) == 1
    except ValueError as err:
        # Not a one-line header: maybe v1, one JSON document over many lines.
        first, whole = _document(lines, err), True
    if not isinstance(first, dict):
        raise AsciicastError("the header must be a JSON object", 1)
    version = first.get("version")
    if not _is_int(version) or version not in (1, 2, 3):
        raise AsciicastError(
            f"unsupported asciicast version {json.dumps(version)} (this reader knows 1, 2 and 3)",
            1,
        )
    if version == 1:
        return _read_v1(first if whole else _document(lines, None))
    return _read_lines(first, version, lines)


def _document(lines: list[str], line_err: ValueError | None) -> Any:
    """The lines parsed as one JSON document, as v1 is stored."""
    try:
        return _loads("\n".join(lines))
    except json.JSONDecodeError as err:
        if err.lineno > 1 or line_err is None:
            raise AsciicastError(f"not valid JSON: {err.msg}", err.lineno) from None
        raise AsciicastError(f"the header is not valid JSON ({_why(line_err)})", 1) from None
    except ValueError as err:
        raise AsciicastError(f"not valid JSON: {err}") from None
