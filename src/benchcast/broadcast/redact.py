"""The redactor: the only gate between what sources saw and what may leave this machine.

The trust boundary is a type. The spool accepts only ``Scanned`` events and only this module
makes them, so "nothing unscanned is spooled or sent" is checked by mypy at every call site
(and a test checks that no other module constructs one).

Terminal output is scanned as a stream, per terminal:

* complete lines are scanned whole (with what was already sent of the line before them);
* an unfinished line waits for up to ``IDLE_HOLD`` seconds of quiet, so a secret split
  across reads is scanned whole;
* when the end of the unfinished line may be the start of a secret still arriving (typed a
  character at a time, say), it waits until that resolves, for at most ``PREFIX_HOLD``
  seconds; then it is masked, and so is the rest of that token as it arrives;
* lines edited in place (backspace, carriage return, cursor moves) are scanned as they look
  on screen, and redrawn masked if that shows a secret;
* full-screen programs (the alternate screen: vim, less, htop) are followed on a shadow
  screen; a secret that appears on it, however the bytes drew it, is redrawn masked instead
  of sending the bytes that drew it.

Masks keep the layout: a secret's characters become the same number of ``•`` ending in the
rule's name. A ``redacted`` event says how many were hidden and by which rules, never what.
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyte

from benchcast.broadcast.intake import Raw
from benchcast.events import Draft
from benchcast.replay.fold import ForgivingScreen, TerminalFold, sgr
from benchcast.secrets import known
from benchcast.secrets.scanner import Finding, Hold, Scanner, apply
from benchcast.secrets.visible import (
    ALT_SCREEN_OFF,
    INCOMPLETE_ESCAPE,
    OSC,
    alt_screen_on,
    edited_lines,
    has_edits,
    mask_raw,
    project,
    strip_colours,
)
from benchcast.secrets.visible import edit_line as visible_line

_KEY_BEGIN = re.compile(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")

IDLE_HOLD = 0.1
PREFIX_HOLD = 1.0
MAX_LINE_CONTEXT = 8192
MAX_SCAN_CONTEXT = 512
#: A partial line that never goes quiet (a fast progress bar) goes out after this long.
MAX_PARTIAL_HOLD = 0.25
TAIL_BYTES = 64 * 1024
MIN_HELD_SECRET = 4
MAX_CLEAN_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Scanned:
    """An event the redactor has cleared for sending. Construct only in this module."""

    t: float
    kind: str
    source: str
    data: dict[str, Any]


def _split_lines(text: str) -> list[str]:
    """Split after each newline only: a bare carriage return stays inside its line."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def air_event(t: float, state: str) -> Scanned:
    """Going off or on air: carries no text from any source."""
    return Scanned(t, "air", "stream", {"state": "paused" if state == "paused" else "on"})


def withheld_event(t: float, source: str) -> Scanned:
    """Output that was withheld because scanning it failed: says so, carries none of it."""
    return Scanned(
        t, "term.dropped", source, {"bytes": 0, "reason": "the redactor failed; output withheld"}
    )


def _osc(text: str, scanner: Scanner | LearningScanner, counts: Counter[str]) -> str:
    """Drop clipboard writes (OSC 52); scan what titles and hyperlinks (OSC 0/1/2/8) carry."""
    if "\x1b]" not in text:
        return text

    def repl(m: Any) -> str:
        code, payload, end = m.group(1), m.group(2), m.group(3)
        if code == "52":
            counts["osc-clipboard"] += 1
            return ""
        findings = scanner.find(payload)
        if not findings:
            return str(m.group())
        counts.update(f.rule for f in findings)
        return f"\x1b]{code};{apply(payload, findings)}{end}"

    return OSC.sub(repl, text)


# Not learned: what is already known, and what weak heuristics found (learning would turn
# one false positive into a mask on every later occurrence).
_NOT_LEARNED = {
    "known-value",
    "held-secret",
    "osc-clipboard",
    "password-flag",
    "high-entropy-assignment",
    "encoded-secret",
}


class LearningScanner:
    """A scanner that remembers every secret a rule finds as a known value, so the next
    occurrence is hidden even where no rule would recognise it (``id: <the same token>``)."""

    def __init__(self, scanner: Scanner) -> None:
        self.inner = scanner
        #: Grows whenever a secret is learned: text found clean before may not be any more.
        self.generation = 0

    def find(self, text: str) -> list[Finding]:
        findings = self.inner.find(text)
        learned = bool(
            findings
            and self.inner.learn_many(
                text[f.start : f.end] for f in findings if f.rule not in _NOT_LEARNED
            )
        )
        self.generation += learned
        # A newly learned secret may stand again elsewhere in this same text.
        return self.inner.find(text) if learned else findings

    def hold_start(self, tail: str) -> Hold | None:
        return self.inner.hold_start(tail)


class TermRedactor:
    """Scans one terminal's output as it streams. Not thread-safe: the pump thread owns it."""

    def __init__(self, scanner: Scanner | LearningScanner, cols: int = 80, rows: int = 24) -> None:
        self.scanner = scanner
        self.cols, self.rows = cols, rows
        self.pending = ""
        self.line = ""  # raw text of the current line already sent
        self.last_input = 0.0
        self.hold_since: float | None = None
        self.masking = False  # masking the rest of a held token as it arrives
        self.in_key = False  # inside a private key block
        self.shadow: pyte.Screen | None = None
        self._shadow_stream: pyte.Stream | None = None
        self._tail: deque[str] = deque()  # the last raw output, to redraw the screen on resume
        self._tail_size = 0
        self.pending_since = 0.0
        self.counts: Counter[str] = Counter()

    # ── input ────────────────────────────────────────────────────────────────────────────

    def feed(self, text: str, now: float) -> list[str]:
        if not self.pending:
            self.pending_since = now
        self.pending += text
        self.last_input = now
        self._tail.append(text)
        self._tail_size += len(text)
        while self._tail_size - len(self._tail[0]) > TAIL_BYTES:
            self._tail_size -= len(self._tail.popleft())
        return self._process(now)

    def tick(self, now: float) -> list[str]:
        return self._process(now) if self.pending else []

    def flush(self) -> list[str]:
        """At the end: release everything, masking what is still held."""
        return self._process(float("inf"), final=True)

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        if self.shadow is not None:
            self.shadow.resize(rows, cols)

    # ── processing ───────────────────────────────────────────────────────────────────────

    def _process(self, now: float, final: bool = False) -> list[str]:
        out: list[str] = []
        while self.pending:
            if self.shadow is not None:
                m = ALT_SCREEN_OFF.search(self.pending)
                part = self.pending if m is None else self.pending[: m.end()]
                cut = INCOMPLETE_ESCAPE.search(part) if m is None and not final else None
                if cut is not None and cut.start() < len(part):
                    part = part[: cut.start()]
                if not part:
                    break
                self.pending = self.pending[len(part) :]
                out.append(self._screen_pass(part))
                if m is not None:
                    self.shadow = None
                    self._shadow_stream = None
                continue
            on = alt_screen_on(self.pending)
            if on is not None:
                before, self.pending = self.pending[: on.start()], self.pending[on.start() :]
                if before:
                    out.extend(self._lines(before, now, final=True))
                self.shadow = ForgivingScreen(self.cols, self.rows)
                self._shadow_stream = pyte.Stream(self.shadow)
                seq = on.group()
                self.pending = self.pending[len(seq) :]
                self.line = ""
                out.append(seq)
                continue
            text, self.pending = self.pending, ""
            out.extend(self._lines(text, now, final))
            break
        return [o for o in out if o]

    def _lines(self, text: str, now: float, final: bool) -> list[str]:
        """Scan complete lines now; the unfinished rest waits (see the module docstring)."""
        out: list[str] = []
        nl = text.rfind("\n")
        if nl >= 0:
            complete, rest = text[: nl + 1], text[nl + 1 :]
            out.append(self._scan_complete(complete))
        else:
            rest = text
        if not rest:
            return out
        idle = now - self.last_input >= IDLE_HOLD
        stale = now - self.pending_since >= MAX_PARTIAL_HOLD
        if not (final or idle or stale or len(rest) > 4096):
            self.pending = rest + self.pending
            return out
        cut = INCOMPLETE_ESCAPE.search(rest)
        if cut is not None and cut.start() < len(rest) and not final:
            self.pending = rest[cut.start() :] + self.pending
            rest = rest[: cut.start()]
            if not rest:
                return out
        seen = visible_line(self.line + rest)
        hold = self.scanner.hold_start(seen)
        if hold is not None and not final:
            if self.hold_since is None:
                self.hold_since = now
            if now - self.hold_since < PREFIX_HOLD:
                self.pending = rest + self.pending
                return out
        if hold is not None and hold.strong and len(seen) - hold.start >= MIN_HELD_SECRET:
            # The wait is over and it still looks like a secret on its way: mask it, and
            # the rest of the token as it arrives.
            self.hold_since = None
            self.masking = not final
            findings = [f for f in self.scanner.find(seen) if f.end <= hold.start]
            findings.append(Finding(hold.start, len(seen), "held-secret"))
            self.counts.update(f.rule for f in findings)
            redraw = "\r\x1b[K" + apply(seen, findings)
            self.line = "" if final else redraw
            out.append(redraw)
            return out
        self.hold_since = None
        out.append(self._scan_partial(rest))
        return out

    def _continue_mask(self, proj_plain: str) -> list[Finding]:
        """The rest of a token whose start was masked after a hold is masked too."""
        if not self.masking:
            return []
        end = 0
        while end < len(proj_plain) and not proj_plain[end].isspace():
            end += 1
        if end < len(proj_plain):
            self.masking = False
        return [Finding(0, end, "held-secret")] if end else []

    def _scan_complete(self, complete: str) -> str:
        """Scan complete lines (``complete`` ends with a newline)."""
        if self.in_key or "PRIVATE KEY" in complete:
            return "".join(self._key_block_line(line) for line in _split_lines(complete))
        # Colours come off the whole text in one pass, reused below: for the edited lines,
        # the scan of the raw text and these quick looks (removing colours cannot hide an OSC
        # sequence or an edit, so one not in ``colourless`` is not in ``complete``).
        colourless = strip_colours(complete)
        if "\x1b]" in colourless:
            complete = _osc(complete, self.scanner, self.counts)
            colourless = strip_colours(complete)
        context = self.line
        self.line = ""
        if not context:
            return self._scan_lines(complete, colourless)
        if not has_edits(context + complete):
            return self._scan_plain(context, complete)
        # Only the first line continues what was already sent of it: it is scanned with that
        # context, and the lines after it on their own.
        cut = complete.find("\n") + 1
        first, rest = complete[:cut], complete[cut:]
        if has_edits(context + first):
            out = self._scan_edited(context, first)
        else:
            out = self._scan_plain(context, first)
        if not rest:
            return out
        # Colours never span a newline: the rest's own colourless text is what follows the
        # first newline of ``colourless`` (no need to strip them again).
        return out + self._scan_lines(rest, colourless[colourless.find("\n") + 1 :])

    def _scan_lines(self, text: str, colourless: str | None = None) -> str:
        """Scan whole lines (``text`` ends with a newline) that continue nothing already sent.
        ``colourless``: ``strip_colours(text)``, if at hand.

        The raw text is scanned first, all of it in one pass (what the edits erased may still
        hold a secret, and a secret found anywhere in it is learned before what the edited
        lines show is scanned). Then the edited lines are scanned as shown, all of them in one
        pass; any that shows a secret is redrawn masked instead of sending its bytes.
        """
        if colourless is None:
            colourless = strip_colours(text)
        edited = edited_lines(text, colourless)
        if not edited:
            return self._scan_plain("", text, colourless)
        raw_out, raw_found = self._mask_plain("", text, colourless)
        # Colours never span a newline: line by line, ``colourless`` is each line's own. A line
        # without escapes is its own colourless text: the split is made only for one with some.
        plain_lines: list[str] | None = None
        shown: list[str] = []
        line_no = pos = 0
        for a, b in edited:
            line = text[a:b]
            if "\x1b" not in line:
                shown.append(visible_line(line))
                continue
            if plain_lines is None:
                plain_lines = colourless.split("\n")
            line_no += text.count("\n", pos, a)
            pos = a
            shown.append(visible_line(line, plain_lines[line_no]))
        redraws: dict[int, str] = {}
        for i, found in self._shown_findings(shown).items():
            start, end = edited[i]
            # Masks keep widths, so the masked raw text has its lines where ``text`` has
            # them. Replayed, the masked bytes of this line give the screen with what the
            # raw scan found already masked, column for column: the redraw starts from that,
            # so it shows no more than the masked bytes would have.
            screen = shown[i]
            if raw_out[start:end] != text[start:end]:
                screen = visible_line(raw_out[start:end])
                if len(screen) != len(shown[i]):
                    # The masks changed how the line is drawn: hide all of it.
                    screen, found = shown[i], [Finding(0, len(shown[i]), found[0].rule)]
            self.counts.update(f.rule for f in found)
            ending = "\r\n" if text[end - 1 : end] == "\n" else ""
            redraws[i] = "\r\x1b[K" + apply(screen, found) + ending
        replaced = [edited[i] for i in redraws]
        self.counts.update(
            rule for at, rule in raw_found if not any(a <= at < b for a, b in replaced)
        )
        if not redraws:
            return raw_out
        out: list[str] = []
        pos = 0
        for i, redraw in sorted(redraws.items()):
            start, end = edited[i]
            out.append(raw_out[pos:start])
            out.append(redraw)
            pos = end
        out.append(raw_out[pos:])
        return "".join(out)

    def _shown_findings(self, shown: list[str]) -> dict[int, list[Finding]]:
        """Scan what edited lines show (joined, one pass); the findings in each line that
        shows a secret, by its index."""
        joined = "\n".join(shown)
        findings = self.scanner.find(joined)
        if not findings:
            return {}
        starts: list[int] = []
        pos = 0
        for line in shown:
            starts.append(pos)
            pos += len(line) + 1
        per_line: dict[int, list[Finding]] = {}
        for f in findings:
            i = bisect.bisect_right(starts, f.start) - 1
            # A finding that runs on past the end of a line is cut there, and goes on in
            # the next line.
            while i < len(shown) and starts[i] < f.end:
                lo, hi = max(f.start, starts[i]), min(f.end, starts[i] + len(shown[i]))
                if lo < hi:
                    per_line.setdefault(i, []).append(
                        Finding(lo - starts[i], hi - starts[i], f.rule)
                    )
                i += 1
        return per_line

    def _key_block_line(self, line: str) -> str:
        """Inside a private key block every line is hidden, however the block arrives."""
        if not self.in_key:
            out = self._scan_complete_plain(line)
            if _KEY_BEGIN.search(line) and not _KEY_END.search(line):
                self.in_key = True
            return out
        self.line = ""
        if _KEY_END.search(line):
            self.in_key = False
            return line
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if not body.strip():
            return line
        self.counts["private-key"] += 1
        return apply(body, [Finding(0, len(body), "private-key")]) + ending

    def _scan_complete_plain(self, line: str) -> str:
        context = self.line
        self.line = ""
        return self._scan_plain(context, _osc(line, self.scanner, self.counts))

    def _scan_partial(self, rest: str) -> str:
        rest = _osc(rest, self.scanner, self.counts)
        context = self.line
        if has_edits(context + rest):
            out = self._scan_edited(context, rest)
        else:
            out = self._scan_plain(context, rest)
        self.line = (self.line + out)[-MAX_LINE_CONTEXT:]
        return out

    def _scan_plain(self, context: str, text: str, colourless: str | None = None) -> str:
        """Mask in place; ``context`` (already sent) is scanned with it, not re-sent.
        ``colourless``: ``text`` without its colours, if at hand (only with no context)."""
        out, found = self._mask_plain(context, text, colourless)
        self.counts.update(rule for _at, rule in found)
        return out

    def _mask_plain(
        self, context: str, text: str, colourless: str | None = None
    ) -> tuple[str, list[tuple[int, str]]]:
        """``_scan_plain`` without counting: the masked text (as long as ``text``), and each
        finding as (where it starts in ``text``, -1 if in the context; its rule)."""
        # A secret is shorter than this; scanning more of what was already sent costs time.
        context = context[-MAX_SCAN_CONTEXT:]
        whole = context + text
        proj = project(whole, colourless if not context else None)
        offset = len(project(context).plain) if context else 0
        findings = self._continue_mask_at(proj.plain, offset) + self.scanner.find(proj.plain)
        if not findings:
            return text, []
        found = []
        for f in findings:
            at = proj.raw_span(f.start, f.start + 1)
            found.append((at[0] - len(context) if at and f.start >= offset else -1, f.rule))
        # Only the new text can still be changed; a finding reaching into the context is
        # masked from where the new text begins.
        spans = [(max(f.start, offset), f.end, f.rule) for f in findings if f.end > offset]
        return mask_raw(whole, proj, spans)[len(context) :], found

    def _continue_mask_at(self, plain: str, offset: int) -> list[Finding]:
        found = self._continue_mask(plain[offset:])
        return [Finding(f.start + offset, f.end + offset, f.rule) for f in found]

    def _scan_edited(self, context: str, line: str) -> str:
        """A line edited in place: if what it shows holds a secret, redraw it masked."""
        ends = line.endswith("\n")
        shown = visible_line(context + line)
        findings = self.scanner.find(shown)
        if findings:
            self.counts.update(f.rule for f in findings)
            return "\r\x1b[K" + apply(shown, findings) + ("\r\n" if ends else "")
        # Nothing on screen — but the bytes may still carry a secret that was typed and
        # then erased; mask it there too.
        return self._scan_plain(context, line)

    def _screen_pass(self, chunk: str) -> str:
        """Full-screen mode: follow the screen; redraw masked lines instead of raw bytes."""
        assert self.shadow is not None and self._shadow_stream is not None
        chunk = _osc(chunk, self.scanner, self.counts)
        proj = project(chunk)
        byte_findings = self.scanner.find(proj.plain)
        self.shadow.dirty.clear()
        self._shadow_stream.feed(chunk)
        masked_lines = []
        for y in sorted(self.shadow.dirty):
            if y >= self.shadow.lines:
                continue
            row = self.shadow.buffer[y]
            text = "".join(row[x].data or " " for x in range(self.shadow.columns))
            findings = self.scanner.find(text)
            if findings:
                masked_lines.append(y)
                self.counts.update(f.rule for f in findings)
                for f in findings:
                    masked = apply(text[f.start : f.end], [Finding(0, f.end - f.start, f.rule)])
                    for i, ch in enumerate(masked):
                        cell = row[f.start + i]
                        row[f.start + i] = cell._replace(data=ch)
        if not masked_lines and not byte_findings:
            return chunk
        if not masked_lines:
            self.counts.update(f.rule for f in byte_findings)
            return mask_raw(chunk, proj, [(f.start, f.end, f.rule) for f in byte_findings])
        return _redraw(self.shadow, sorted(self.shadow.dirty | set(masked_lines)))

    # ── resume ───────────────────────────────────────────────────────────────────────────

    def screen_redraw(self) -> str:
        """The screen as it is now, masked, drawn from scratch (sent when going back on air)."""
        if self.shadow is not None:
            return "\x1b[H\x1b[2J" + _redraw(self.shadow, range(self.shadow.lines))
        fold = TerminalFold(self.cols, self.rows)
        fold.feed("".join(self._tail)[-TAIL_BYTES:])
        screen = fold.screen
        for y in range(screen.lines):
            row = screen.buffer[y]
            text = "".join(row[x].data or " " for x in range(screen.columns))
            for f in self.scanner.find(text):
                masked = apply(text[f.start : f.end], [Finding(0, f.end - f.start, f.rule)])
                for i, ch in enumerate(masked):
                    row[f.start + i] = row[f.start + i]._replace(data=ch)
                self.counts[f.rule] += 1
        return fold.ansi()

    def take_counts(self) -> Counter[str]:
        counts, self.counts = self.counts, Counter()
        return counts


def _drafts(items: Iterable[Scanned]) -> Iterator[Draft]:
    for item in items:
        yield Draft(t=item.t, kind=item.kind, source=item.source, data=item.data)


def _redraw(screen: pyte.Screen, rows: Iterable[int]) -> str:
    """Redraw whole rows of a screen and put the cursor back."""
    out = ["\x1b7"]  # save the cursor: the program drawing the screen expects it unmoved
    for y in rows:
        if y >= screen.lines:
            continue
        out.append(f"\x1b[{y + 1};1H\x1b[0m")
        cur = ""
        row = screen.buffer[y]
        for x in range(screen.columns):
            ch = row[x]
            if ch.data == "":
                continue
            style = sgr(ch)
            if style != cur:
                out.append(style)
                cur = style
            out.append(ch.data)
    out.append("\x1b[0m\x1b8")
    return "".join(out)


class Redactor:
    """Scans every event from every source. Holds the streamer's known secrets in memory."""

    def __init__(
        self,
        scanner: Scanner | None = None,
        on_redacted: Callable[[Counter[str]], None] = lambda _c: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scanner = LearningScanner(scanner or Scanner())
        self.terms: dict[str, TermRedactor] = {}
        self.on_redacted = on_redacted
        self.clock = clock
        self.hidden = 0
        self._clean_keys: set[str] = set()
        self._masked_keys: dict[str, str] = {}
        self._clean_generation = 0
        #: Where the known values came from, to gather them again when that changes.
        self._sources: tuple[known.Changes, Callable[[], list[str]]] | None = None

    @classmethod
    def for_streamer(
        cls,
        *,
        folders: Iterable[Any] = (),
        extra: Iterable[str] = (),
        env: Any = None,
        home: Any = None,
        on_redacted: Callable[[Counter[str]], None] = lambda _c: None,
    ) -> Redactor:
        folders, extra = [Path(f) for f in folders], list(extra)
        home = Path(home) if home is not None else Path.home()

        def gather() -> list[str]:
            return known.gather(env=env, home=home, folders=folders, extra=extra)

        redactor = cls(Scanner(gather()), on_redacted=on_redacted)
        redactor._sources = (known.Changes(home, folders), gather)
        return redactor

    def refresh_known(self) -> int:
        """Gather the known values again if a file they come from changed (a ``.env`` edited
        or created, a token file written by a login); how many are new. Values are never
        forgotten. Cheap when nothing changed (a few ``stat`` calls): call it before scanning
        what arrived, so output that follows a file's change is scanned knowing it."""
        if self._sources is None:
            return 0
        changes, gather = self._sources
        state = changes.look()
        if state is None:
            return 0
        values = gather()  # if this raises, the change is looked at again next time
        changes.accept(state)
        learned = self.scanner.inner.learn_many(values)
        self.scanner.generation += bool(learned)
        return learned

    def term(self, source: str) -> TermRedactor:
        term = self.terms.get(source)
        if term is None:
            term = self.terms[source] = TermRedactor(self.scanner)
        return term

    def _value(self, value: Any, counts: Counter[str]) -> Any:
        if isinstance(value, str):
            findings = self.scanner.find(value)
            if findings:
                counts.update(f.rule for f in findings)
                return apply(value, findings)
            return value
        if isinstance(value, list):
            return [self._value(v, counts) for v in value]
        if isinstance(value, dict):
            return {self._key(k, counts): self._value(v, counts) for k, v in value.items()}
        return value

    def clean(self, value: Any) -> Any:
        """``value`` (a string, or lists and dicts of them) with its secrets masked. For what
        leaves this machine outside an event: the stream's title and tags, which the uplink's
        hello carries. Counts nothing: the ``stream.start`` event that carries the same text
        says what was hidden."""
        return self._value(value, Counter())

    def withholds(self, mime: str, data: bytes) -> bool:
        """Whether a blob must not be sent. Image bytes are not read (docs/security.md), but
        an SVG is text (matplotlib writes each label into it) and is scanned as text. One
        that holds a secret, or that cannot be scanned, is withheld whole: it cannot be
        masked, because its name is its hash, which the event that shows it already carries.
        Never raises (the pump that asks must go on)."""
        if mime != "image/svg+xml":
            return False
        try:
            findings = self.scanner.find(data.decode("utf-8", "replace"))
        except Exception:  # fail closed: what could not be scanned is not sent
            findings = [Finding(0, 0, "unscanned-image")]
        if not findings:
            return False
        counts = Counter(f.rule for f in findings)
        self.hidden += sum(counts.values())
        self.on_redacted(counts)
        return True

    def _key(self, key: str, counts: Counter[str]) -> str:
        """Keys are scanned too: metric names, config keys and sources are text viewers see.
        They repeat on every row or event, so each is remembered (clean, or as masked) until
        the scanner learns a secret; a masked one is counted when first found, not again on
        every row."""
        if self._clean_generation != self.scanner.generation:
            self._clean_keys.clear()
            self._masked_keys.clear()
            self._clean_generation = self.scanner.generation
        if key in self._clean_keys:
            return key
        masked = self._masked_keys.get(key)
        if masked is not None:
            return masked
        findings = self.scanner.find(key)
        if findings:
            counts.update(f.rule for f in findings)
            masked = apply(key, findings)
            if len(self._masked_keys) < MAX_CLEAN_KEYS:
                self._masked_keys[key] = masked
            return masked
        if len(self._clean_keys) < MAX_CLEAN_KEYS:
            self._clean_keys.add(key)
        return key

    def _emit(self, out: list[Scanned], t: float, source: str, counts: Counter[str]) -> None:
        if counts:
            n = sum(counts.values())
            self.hidden += n
            out.append(Scanned(t, "redacted", source, {"count": n, "rules": sorted(counts)[:64]}))
            self.on_redacted(counts)

    def scan(self, items: Iterable[Raw], now: float | None = None) -> list[Scanned]:
        """Scan a batch; terminal output may come out later (see ``tick``)."""
        now = self.clock() if now is None else now
        out: list[Scanned] = []
        for raw in items:
            if raw.kind == "term.output":
                term = self.term(raw.source)
                for text in term.feed(raw.data["text"], now):
                    out.append(Scanned(raw.t, "term.output", raw.source, {"text": text}))
                self._emit(out, raw.t, raw.source, term.take_counts())
                continue
            if raw.kind in ("term.open", "term.resize"):
                term = self.term(raw.source)
                out.extend(self._release(raw.source, raw.t, term.flush()))
                term.resize(raw.data["cols"], raw.data["rows"])
            elif raw.kind == "term.close":
                out.extend(self._release(raw.source, raw.t, self.term(raw.source).flush()))
            counts: Counter[str] = Counter()
            # Sources can be named after what the streamer named (``nb:{notebook}``,
            # ``run:{log folder}``); viewers get them with every event. Few and repeated: cached.
            source = self._key(raw.source, counts)
            data = self._value(raw.data, counts)
            out.append(Scanned(raw.t, raw.kind, source, data))
            self._emit(out, raw.t, source, counts)
        return out

    def _release(self, source: str, t: float, texts: list[str]) -> list[Scanned]:
        out = [Scanned(t, "term.output", source, {"text": text}) for text in texts]
        self._emit(out, t, source, self.terms[source].take_counts())
        return out

    def tick(self, t: float, now: float | None = None) -> list[Scanned]:
        """Release held terminal output whose wait is over."""
        now = self.clock() if now is None else now
        out: list[Scanned] = []
        for source, term in self.terms.items():
            if term.pending:
                out.extend(self._release(source, t, term.tick(now)))
        return out

    def flush(self, t: float) -> list[Scanned]:
        """At the end of the stream: release all held output, masking what is unresolved."""
        out: list[Scanned] = []
        for source, term in self.terms.items():
            out.extend(self._release(source, t, term.flush()))
        return out

    def resume_redraw(self, t: float) -> list[Scanned]:
        """Each terminal's current screen, masked, as output that redraws it from scratch."""
        out: list[Scanned] = []
        for source, term in self.terms.items():
            out.append(Scanned(t, "term.output", source, {"text": term.screen_redraw()}))
            self._emit(out, t, source, term.take_counts())
        return out

    def replay(self, drafts: Iterable[Draft]) -> Iterator[Draft]:
        """A recorded stream's events (``benchcast import``), scanned in order as if streamed
        at their times: terminal output is held and released as it would have been live (so
        a secret split across frames is found), and ``redacted`` events say what was hidden."""
        t = 0.0
        for draft in drafts:
            later = max(t, draft.t)
            # Output held for quiet goes out when it would have live (the idle hold, then the
            # hold on a possible secret's start), before what was recorded after it.
            for at in (t + IDLE_HOLD, t + IDLE_HOLD + PREFIX_HOLD + 0.001):
                if at < later:
                    yield from _drafts(self.tick(at, now=at))
            t = later
            yield from _drafts(self.scan([Raw(t, draft.kind, draft.source, draft.data)], now=t))
            yield from _drafts(self.tick(t, now=t))
        yield from _drafts(self.flush(t))

    def preview(self, text: str) -> str:
        """What viewers would receive for this text (all of it, nothing held back)."""
        term = TermRedactor(self.scanner)
        return "".join(term.feed(text, 0.0) + term.flush())
