"""The contract: every event kind, its payload model, and the envelope around it.

A stream is an append-only log of events (DESIGN.md §1). Every producer (the publisher, the
audience, the server itself) and every reader (viewers, replay, export, search) speaks the
types in this module. An event whose kind is unknown or whose payload does not match its model
is refused with a message a person can act on, and is never stored.

Adding a kind: define its payload model below and add it to ``KINDS``. Nothing else in the
data path needs to change; folds and panels that do not know a kind ignore it.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Largest encoded size of one event's payload, in bytes. Publishers split bigger output.
MAX_EVENT_BYTES = 256 * 1024
#: Longest source name ("term:1", "run:baseline", …).
MAX_SOURCE_LEN = 64
MAX_TITLE_LEN = 200
MAX_TAGS = 16
MAX_TAG_LEN = 40
MAX_TERM_COLS = 1000
MAX_TERM_ROWS = 500


class EventError(ValueError):
    """An event was refused. ``str()`` is a message fit to show the person who sent it."""


class Activity(StrEnum):
    """What the streamer is doing; chapters of a stream are labelled with these."""

    PAPER_READING = "paper reading"
    TOOL_BUILDING = "tool building"
    DEBUGGING = "debugging"
    LAUNCHING_EXPERIMENTS = "launching experiments"
    ANALYSING_RESULTS = "analysing results"
    REIMPLEMENTATION = "reimplementation"
    BUILDING_EVALUATIONS = "building evaluations"
    SCALING_LAWS = "scaling laws"
    DATA_WORK = "data work"
    PROMPTING = "prompting / test-time methods"
    WRITING = "writing"
    OTHER = "other"


class Payload(BaseModel):
    """Base of every payload model: unknown fields are refused, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _clean_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag or len(tag) > MAX_TAG_LEN:
            raise ValueError(f"each tag must be 1 to {MAX_TAG_LEN} characters")
        if tag not in out:
            out.append(tag)
    return out


# ── stream ────────────────────────────────────────────────────────────────────────────────


class StreamStart(Payload):
    title: str = Field(max_length=MAX_TITLE_LEN)
    tags: list[str] = Field(default_factory=list)
    activity: Activity | None = Field(default=None, strict=False)

    _tags = field_validator("tags")(_clean_tags)


class StreamEnd(Payload):
    reason: str = Field(default="finished", max_length=200)


class Air(Payload):
    state: Literal["on", "paused"]


class ActivityChange(Payload):
    mode: Activity = Field(strict=False)  # the mode's name, as sent over JSON


class Marker(Payload):
    label: str = Field(min_length=1, max_length=MAX_TITLE_LEN)


class Now(Payload):
    goal: str = Field(default="", max_length=2000)
    hypothesis: str = Field(default="", max_length=2000)
    next: str = Field(default="", max_length=2000)


class Note(Payload):
    text: str = Field(min_length=1, max_length=20_000)


# ── terminal ──────────────────────────────────────────────────────────────────────────────


class TermOpen(Payload):
    cols: int = Field(ge=1, le=MAX_TERM_COLS)
    rows: int = Field(ge=1, le=MAX_TERM_ROWS)
    title: str = Field(default="", max_length=MAX_TITLE_LEN)


class TermOutput(Payload):
    text: str


class TermResize(Payload):
    cols: int = Field(ge=1, le=MAX_TERM_COLS)
    rows: int = Field(ge=1, le=MAX_TERM_ROWS)


class TermClose(Payload):
    status: int | None = None


class TermDropped(Payload):
    """Output the publisher did not send because the stream's rate cap was hit."""

    bytes: int = Field(ge=0)
    reason: str = Field(max_length=200)


# ── safety ────────────────────────────────────────────────────────────────────────────────


class Redacted(Payload):
    """How much was hidden and by which rules; never the hidden value itself."""

    count: int = Field(ge=1)
    rules: list[str] = Field(default_factory=list, max_length=64)


#: Every kind the log accepts, and the model its payload must match.
KINDS: dict[str, type[Payload]] = {
    "stream.start": StreamStart,
    "stream.end": StreamEnd,
    "air": Air,
    "activity": ActivityChange,
    "marker": Marker,
    "now": Now,
    "note": Note,
    "term.open": TermOpen,
    "term.output": TermOutput,
    "term.resize": TermResize,
    "term.close": TermClose,
    "term.dropped": TermDropped,
    "redacted": Redacted,
}


class Event(BaseModel):
    """One entry of a stream's log, as stored and as sent to viewers."""

    model_config = ConfigDict(frozen=True)

    seq: int
    t: float
    kind: str
    source: str
    data: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.t,
            "kind": self.kind,
            "source": self.source,
            "data": self.data,
        }

    def to_json(self) -> str:
        return dumps(self.envelope())


class Draft(BaseModel):
    """An event before the server has given it a seq: what publishers send.

    ``pseq`` is the publisher's own sequence number (dense, from 1), used to acknowledge and
    to recognise a resent event. The audience and the server make drafts without one.
    """

    model_config = ConfigDict(frozen=True)

    t: float
    kind: str
    source: str
    data: dict[str, Any]
    pseq: int | None = None

    def to_event(self, seq: int) -> Event:
        return Event(seq=seq, t=self.t, kind=self.kind, source=self.source, data=self.data)


def dumps(value: Any) -> str:
    """The one JSON encoding used on the wire and in the store (compact, UTF-8, no NaN)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"]) or "payload"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def validate_payload(kind: str, data: Any) -> dict[str, Any]:
    """Check ``data`` against ``kind``'s model; return it normalised (defaults filled in).

    Raises EventError naming the kind and the field at fault.
    """
    model = KINDS.get(kind)
    if model is None:
        raise EventError(f"unknown event kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    if not isinstance(data, dict):
        raise EventError(f"{kind}: data must be a JSON object, not {type(data).__name__}")
    try:
        payload = model.model_validate(data)
    except ValidationError as err:
        raise EventError(f"{kind}: {_describe(err)}") from None
    out: dict[str, Any] = payload.model_dump(mode="json")
    return out


def parse_draft(obj: Any) -> Draft:
    """Validate one event as a publisher sends it: ``{pseq?, t, kind, source, data}``."""
    if not isinstance(obj, dict):
        raise EventError("an event must be a JSON object")
    unknown = set(obj) - {"pseq", "t", "kind", "source", "data"}
    if unknown:
        raise EventError(f"unknown event fields: {', '.join(sorted(unknown))}")
    kind, source, t, pseq = obj.get("kind"), obj.get("source"), obj.get("t"), obj.get("pseq")
    if not isinstance(kind, str):
        raise EventError("event.kind must be a string")
    if not isinstance(source, str) or not 0 < len(source) <= MAX_SOURCE_LEN:
        raise EventError(f"event.source must be a string of 1 to {MAX_SOURCE_LEN} characters")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        raise EventError("event.t must be a finite number of seconds ≥ 0")
    if pseq is not None and (isinstance(pseq, bool) or not isinstance(pseq, int) or pseq < 1):
        raise EventError("event.pseq must be an integer ≥ 1")
    data = validate_payload(kind, obj.get("data", {}))
    size = len(dumps(data).encode())
    if size > MAX_EVENT_BYTES:
        raise EventError(f"{kind}: payload is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    return Draft(t=float(t), kind=kind, source=source, data=data, pseq=pseq)
