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
import re
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

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


# ── audience ──────────────────────────────────────────────────────────────────────────────
#
# Made by the server on behalf of viewers (and the streamer); never by a publisher. Users are
# named by a stable id ("u:42" for an account, "g:<token hash>" for a guest) and a display
# name as it was when they wrote.

MAX_CHAT = 2000
ROLE = Literal["streamer", "mod", "viewer", "guest"]


class Anchor(Payload):
    """What a viewer points at, so "I think there's a bug here" lands where it belongs.

    One of: ``{file, line[, end_line, text]}``, ``{term, seq[, end_seq, text]}``,
    ``{run, metric, step}``, ``{figure}``, ``{notebook, cell}``, ``{table, row}``,
    ``{paper, page, quote[, prefix, suffix, start, end]}``. ``text`` keeps the anchored text so
    an anchor can follow its lines when a file changes above it.
    """

    file: str | None = Field(default=None, max_length=1000)
    line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)
    term: str | None = Field(default=None, max_length=MAX_SOURCE_LEN)
    seq: int | None = Field(default=None, ge=1)
    end_seq: int | None = Field(default=None, ge=1)
    run: str | None = Field(default=None, max_length=200)
    metric: str | None = Field(default=None, max_length=200)
    step: int | None = Field(default=None, ge=0)
    figure: str | None = Field(default=None, max_length=200)
    notebook: str | None = Field(default=None, max_length=1000)
    cell: str | None = Field(default=None, max_length=200)
    table: str | None = Field(default=None, max_length=200)
    row: int | None = Field(default=None, ge=0)
    paper: str | None = Field(default=None, max_length=200)
    page: int | None = Field(default=None, ge=1)
    quote: str | None = Field(default=None, max_length=2000)
    prefix: str | None = Field(default=None, max_length=200)
    suffix: str | None = Field(default=None, max_length=200)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    text: str | None = Field(default=None, max_length=4000)

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any) -> dict[str, Any]:
        # Only the fields of the anchor's shape travel; the rest would be a page of nulls.
        return {k: v for k, v in handler(self).items() if v is not None}

    @model_validator(mode="after")
    def _one_target(self) -> Anchor:
        shapes = {
            "file": self.file,
            "term": self.term,
            "run": self.run,
            "figure": self.figure,
            "notebook": self.notebook,
            "table": self.table,
            "paper": self.paper,
        }
        if sum(v is not None for v in shapes.values()) != 1:
            raise ValueError("an anchor names exactly one of: " + ", ".join(shapes))
        return self


class _Said(Payload):
    id: str = Field(min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=40)
    role: ROLE = "viewer"


class ChatMessage(_Said):
    text: str = Field(min_length=1, max_length=MAX_CHAT)
    reply_to: str | None = Field(default=None, max_length=64)
    mentions: list[str] = Field(default_factory=list, max_length=20)


class ChatDelete(Payload):
    """Hides a message from live and replay (the log keeps that it was hidden, and by whom)."""

    id: str = Field(min_length=1, max_length=64)
    by: str = Field(min_length=1, max_length=80)
    reason: str = Field(default="", max_length=200)


class ChatPin(Payload):
    id: str = Field(min_length=1, max_length=64)
    by: str = Field(min_length=1, max_length=80)
    pinned: bool = True


class Question(_Said):
    text: str = Field(min_length=1, max_length=MAX_CHAT)
    anchor: Anchor | None = None


class QuestionVote(Payload):
    question: str = Field(min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=80)
    up: bool = True


class QuestionAnswered(Payload):
    """The streamer answered a question at this moment (the event's own time and seq)."""

    question: str = Field(min_length=1, max_length=64)
    by: str = Field(min_length=1, max_length=80)


class Comment(_Said):
    """A bug report, idea or question anchored to something on stream."""

    kind: Literal["bug", "idea", "question"]
    text: str = Field(min_length=1, max_length=MAX_CHAT)
    anchor: Anchor


class CommentStatus(Payload):
    comment: str = Field(min_length=1, max_length=64)
    status: Literal["open", "acknowledged", "fixed", "wontfix"]
    by: str = Field(min_length=1, max_length=80)


class ModAction(Payload):
    """mod.timeout (``minutes``), mod.ban, mod.unban, mod.role (``role``): who, by whom."""

    user: str = Field(min_length=1, max_length=80)
    by: str = Field(min_length=1, max_length=80)
    minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 365)
    role: ROLE | None = None
    reason: str = Field(default="", max_length=200)


class PollOpen(Payload):
    id: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(min_length=2, max_length=10)
    by: str = Field(min_length=1, max_length=80)


class PollVote(Payload):
    poll: str = Field(min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=80)
    option: int = Field(ge=0, le=9)


class PollClose(Payload):
    poll: str = Field(min_length=1, max_length=64)
    by: str = Field(min_length=1, max_length=80)


# ── code ──────────────────────────────────────────────────────────────────────────────────

MAX_FILE_TEXT = 200 * 1024
#: What the code panel can show of a file: ``text`` (UTF-8), ``encoding`` (text in another
#: encoding, shown as Latin-1), or only that it is there: ``binary``, ``large`` (over the size
#: cap), ``link`` (a symlink, never followed), ``unreadable``, ``ignored``, ``secret``.
FILE_STATE = Literal[
    "text", "binary", "large", "link", "unreadable", "ignored", "secret", "encoding"
]


class TreeEntry(Payload):
    path: str = Field(min_length=1, max_length=1000)
    state: FILE_STATE = "text"
    size: int = Field(default=0, ge=0)


class FileTree(Payload):
    """The watched folder's files (paths relative to it): sent first, contents follow lazily.

    With ``update`` the entries are changes to the tree (each replaces the entry of its path),
    not the whole of it: a big tree goes out in parts, and a file that appears or becomes
    binary is told without listing every other file again."""

    entries: list[TreeEntry] = Field(max_length=20_000)
    truncated: bool = False
    update: bool = False


class FileSnapshot(Payload):
    path: str = Field(min_length=1, max_length=1000)
    text: str = Field(max_length=MAX_FILE_TEXT)
    language: str = Field(default="", max_length=40)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")  # sha256 of the text, as UTF-8


class FilePatch(Payload):
    """A unified diff from the version whose hash is ``base`` to the one whose hash is ``hash``."""

    path: str = Field(min_length=1, max_length=1000)
    base: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    diff: str = Field(max_length=MAX_FILE_TEXT)


class FileDelete(Payload):
    path: str = Field(min_length=1, max_length=1000)


class FileRename(Payload):
    path: str = Field(min_length=1, max_length=1000)
    to: str = Field(min_length=1, max_length=1000)


class FileFocus(Payload):
    """Where the streamer is: the file last changed (or the editor's cursor)."""

    path: str = Field(min_length=1, max_length=1000)
    line: int = Field(default=1, ge=1)
    end_line: int | None = Field(default=None, ge=1)


class GitStatus(Payload):
    branch: str = Field(default="", max_length=200)
    summary: str = Field(default="", max_length=4000)  # `git status --short`, capped
    diffstat: str = Field(default="", max_length=4000)  # `git diff --stat HEAD`, capped


class GitCommit(Payload):
    hash: str = Field(pattern=r"^[0-9a-f]{7,64}$")
    message: str = Field(max_length=4000)
    files: list[str] = Field(default_factory=list, max_length=1000)
    author: str = Field(default="", max_length=200)


# ── experiments ───────────────────────────────────────────────────────────────────────────
# Runs and what they log (the SDK, framework hooks, tailed TensorBoard/CSV/JSONL files),
# machine telemetry, and notebook cells. Binary content (images, big tables) travels as
# blobs: stored once under its sha256, referenced here by that hash (see ``blob_refs``).
# docs/experiments.md describes each kind and how the runs panel folds them.

MAX_RUN_ID_LEN = 64
#: Longest metric name, figure/table/histogram key.
MAX_KEY_LEN = 200
#: Committed metric rows one ``metric`` event may hold (the SDK batches steps into one event).
MAX_METRIC_ROWS = 1000
#: Metrics one row may hold.
MAX_ROW_VALUES = 1000
#: Encoded size of a run's config, summary or a table cell list.
MAX_JSON_BYTES = 64 * 1024
MAX_TABLE_COLUMNS = 100
#: Rows one ``table`` event carries; a bigger table is sent as several pages.
MAX_TABLE_ROWS = 100
#: Rows of one table sent at most (the rest are counted in ``total``, not sent).
MAX_TABLE_TOTAL_ROWS = 10_000
MAX_BINS = 512
MAX_CELL_OUTPUTS = 100
MAX_GPUS = 64
#: Largest blob, in bytes (the publisher sends it in chunks; see docs/protocol.md).
MAX_BLOB_BYTES = 32 * 1024 * 1024
#: What a blob may be: images (figures, notebook outputs), and papers (PDF).
BLOB_MIMES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/svg+xml",
        "application/pdf",
    }
)
IMAGE_MIMES = frozenset(m for m in BLOB_MIMES if m.startswith("image/"))

RunId = Annotated[str, Field(min_length=1, max_length=MAX_RUN_ID_LEN, pattern=r"^[A-Za-z0-9_.-]+$")]
Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LEN)]
BlobHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
ImageMime = Literal["image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"]
#: A metric's value. JSON has no NaN or infinity, and a loss turning NaN is news a viewer
#: must see, so non-finite values travel as these three strings.
MetricValue = float | Literal["nan", "inf", "-inf"]
RunStatus = Literal["finished", "failed", "crashed", "killed"]


def _plain_json(value: Any, depth: int = 0) -> None:
    """Config and summary values: JSON objects, lists, strings, finite numbers, bools, null."""
    if depth > 8:
        raise ValueError("nested deeper than 8 levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinity are not JSON; send them as strings")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("object keys must be strings")
            _plain_json(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _plain_json(v, depth + 1)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    _plain_json(value)
    if len(dumps(value).encode()) > MAX_JSON_BYTES:
        raise ValueError(f"at most {MAX_JSON_BYTES} bytes encoded")
    return value


def _optional_json_object(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else _json_object(value)


class _Exp(Payload):
    """Experiment payloads also refuse NaN and infinity wherever a float stands."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class RunStart(_Exp):
    """A run began: what it is and how it was configured (``wandb.init``)."""

    run: RunId
    name: str = Field(default="", max_length=MAX_TITLE_LEN)
    project: str = Field(default="", max_length=MAX_TITLE_LEN)
    group: str = Field(default="", max_length=MAX_TITLE_LEN)
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    notes: str = Field(default="", max_length=20_000)

    _tags = field_validator("tags")(_clean_tags)
    _config = field_validator("config")(_json_object)


class RunUpdate(_Exp):
    """Keys merged into a run's config and summary (absent: unchanged); a key set to null is
    removed from the summary."""

    run: RunId
    config: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    notes: str | None = Field(default=None, max_length=20_000)

    _json = field_validator("config", "summary")(_optional_json_object)


class RunEnd(_Exp):
    run: RunId
    status: RunStatus = "finished"
    summary: dict[str, Any] = Field(default_factory=dict)
    exit_code: int | None = None

    _summary = field_validator("summary")(_json_object)


class MetricRow(_Exp):
    step: int = Field(ge=0)
    values: dict[Key, MetricValue] = Field(max_length=MAX_ROW_VALUES)


class Metric(_Exp):
    """Committed rows of a run's history, oldest first, and the row still being filled.

    ``rows`` are final: a step appears in at most one committed row of a run, and steps
    increase. ``pending`` is the row at the run's current step that the code has not
    committed yet (``log(..., commit=False)``, or a step not yet moved past): shown live,
    replaced by the next ``pending``, and superseded by a committed row of its step.
    """

    run: RunId
    rows: list[MetricRow] = Field(default_factory=list, max_length=MAX_METRIC_ROWS)
    pending: MetricRow | None = None


class Figure(_Exp):
    """An image logged by a run (or tailed from TensorBoard), stored as a blob."""

    run: RunId
    key: Key
    blob: BlobHash
    mime: ImageMime
    step: int | None = Field(default=None, ge=0)
    caption: str = Field(default="", max_length=2000)
    #: Position in a list of images logged under one key at one step.
    index: int = Field(default=0, ge=0, le=1000)
    width: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)


class Histogram(_Exp):
    """A distribution at a step: ``counts[i]`` values fell in ``[bins[i], bins[i+1])``."""

    run: RunId
    key: Key
    step: int | None = Field(default=None, ge=0)
    bins: list[float] = Field(min_length=2, max_length=MAX_BINS + 1)
    counts: list[float] = Field(min_length=1, max_length=MAX_BINS)

    @field_validator("counts")
    @classmethod
    def _one_count_per_bin(cls, counts: list[float], info: ValidationInfo) -> list[float]:
        bins = info.data.get("bins")
        if bins is not None and len(counts) != len(bins) - 1:
            raise ValueError("one count per bin: len(counts) == len(bins) - 1")
        return counts


Cell = str | float | bool | None


class Table(_Exp):
    """A table logged by a run, in pages: each event holds up to ``MAX_TABLE_ROWS`` rows
    starting at row ``offset`` of ``total``. A table's pages share (run, key, step) and follow
    each other in the log. Cells are text the redactor scans, so tables never travel as blobs.
    """

    run: RunId
    key: Key
    step: int | None = Field(default=None, ge=0)
    columns: list[Key] = Field(max_length=MAX_TABLE_COLUMNS)
    rows: list[list[Cell]] = Field(default_factory=list, max_length=MAX_TABLE_ROWS)
    offset: int = Field(default=0, ge=0)
    total: int = Field(ge=0)

    @field_validator("rows")
    @classmethod
    def _row_width(cls, rows: list[list[Cell]], info: ValidationInfo) -> list[list[Cell]]:
        columns = info.data.get("columns")
        if columns is not None and any(len(r) != len(columns) for r in rows):
            raise ValueError("every row has one cell per column")
        return rows


class Gpu(_Exp):
    index: int = Field(ge=0)
    name: str = Field(default="", max_length=100)
    util: float | None = Field(default=None, ge=0, le=100)  # percent
    mem_used: int | None = Field(default=None, ge=0)  # bytes
    mem_total: int | None = Field(default=None, ge=0)
    temp: float | None = None  # °C
    power: float | None = Field(default=None, ge=0)  # watts


class Sys(_Exp):
    """A machine reading, every few seconds. ``gpu`` says whether GPUs could be read:
    ``ok`` (``gpus`` holds them), ``absent`` (no NVML or no GPU), or ``error`` (``note`` says)."""

    cpu: float | None = Field(default=None, ge=0, le=100)  # percent of all cores
    cores: int | None = Field(default=None, ge=1)
    mem_used: int | None = Field(default=None, ge=0)  # bytes
    mem_total: int | None = Field(default=None, ge=0)
    gpu: Literal["ok", "absent", "error"] = "absent"
    gpus: list[Gpu] = Field(default_factory=list, max_length=MAX_GPUS)
    note: str = Field(default="", max_length=200)


class StreamOutput(_Exp):
    type: Literal["stream"]
    name: Literal["stdout", "stderr"]
    text: str


class TextOutput(_Exp):
    """A value's plain-text form (``text/plain``), or markdown to render (sanitized)."""

    type: Literal["text", "markdown"]
    text: str
    display_id: str | None = Field(default=None, max_length=100)


class HtmlOutput(_Exp):
    """HTML, already sanitized on the streamer's machine; viewers sanitize it again."""

    type: Literal["html"]
    html: str
    display_id: str | None = Field(default=None, max_length=100)


class ImageOutput(_Exp):
    type: Literal["image"]
    mime: ImageMime
    blob: BlobHash
    width: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)
    display_id: str | None = Field(default=None, max_length=100)


class ErrorOutput(_Exp):
    type: Literal["error"]
    ename: str = Field(max_length=200)
    evalue: str
    traceback: str = ""


CellOutput = Annotated[
    StreamOutput | TextOutput | HtmlOutput | ImageOutput | ErrorOutput, Field(discriminator="type")
]


class NbCell(_Exp):
    """A notebook cell as it stands: each event for (notebook, cell) replaces the last.

    Sent when the cell starts (``running``), as its outputs change while it runs (at most
    about once a second) and when it ends (``ok`` or ``error``)."""

    notebook: str = Field(min_length=1, max_length=MAX_TITLE_LEN)
    cell: str = Field(min_length=1, max_length=100)
    source: str
    outputs: list[CellOutput] = Field(default_factory=list, max_length=MAX_CELL_OUTPUTS)
    execution_count: int | None = Field(default=None, ge=0)
    status: Literal["running", "ok", "error"] = "ok"
    duration: float | None = Field(default=None, ge=0)  # seconds
    #: Output the cell produced beyond what fits, in characters (not sent).
    truncated: int = Field(default=0, ge=0)


class SdkDropped(_Exp):
    """What a producer (the SDK, a file tailer) could not send: ``count`` is its running
    total since it started; ``reason`` says why (a full buffer, a corrupt record …)."""

    run: RunId | None = None
    count: int = Field(ge=0)
    reason: str = Field(max_length=500)


# ── papers ────────────────────────────────────────────────────────────────────────────────
# A PDF on stream (docs/papers.md): its bytes travel once as a blob, named by their sha256,
# which also names the paper in views, highlights and anchors. Titles, quotes and notes are
# text the redactor scans like any other; the PDF itself is a blob (not scanned).

MAX_QUOTE = 2000
MAX_CONTEXT = 200


class PaperOpen(Payload):
    """A paper put on stream (``benchcast paper FILE.pdf``, or the studio's reader)."""

    blob: BlobHash
    title: str = Field(min_length=1, max_length=MAX_TITLE_LEN)
    pages: int = Field(ge=1, le=100_000)
    #: Whether the PDF has a text layer; a scanned paper has none and cannot be searched.
    searchable: bool = True
    size: int = Field(default=0, ge=0)


class PaperView(Payload):
    """Where the streamer is in a paper: the page (from 1) and how far down it (0 to 1)."""

    paper: BlobHash
    page: int = Field(ge=1)
    scroll: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)


class PaperHighlight(Payload):
    """A passage the streamer highlighted, W3C Web Annotation style: the page, the quote
    with the text just before and after it, and its position on the page's text in code
    points (``start`` inclusive, ``end`` exclusive). A reader re-anchors by the quote when
    the position does not hold it. ``note`` is an optional margin note (markdown)."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    paper: BlobHash
    page: int = Field(ge=1)
    quote: str = Field(min_length=1, max_length=MAX_QUOTE)
    prefix: str = Field(default="", max_length=MAX_CONTEXT)
    suffix: str = Field(default="", max_length=MAX_CONTEXT)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    note: str = Field(default="", max_length=20_000)

    @model_validator(mode="after")
    def _ordered(self) -> PaperHighlight:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


# ── voice and video ───────────────────────────────────────────────────────────────────────
# What the streamer said, transcribed on their own machine (``benchcast transcribe``), and the
# external video (Twitch, YouTube, an HLS server) the audience may watch beside the panels.
# docs/pairing.md describes both.

MAX_TRANSCRIPT = 4000
#: Seconds the audience's video may run behind the stream (the panels wait that long).
MAX_VIDEO_OFFSET = 600.0
TWITCH_CHANNEL = r"^[A-Za-z0-9_]{3,25}$"
YOUTUBE_VIDEO = r"^[A-Za-z0-9_-]{11}$"
YOUTUBE_CHANNEL = r"^UC[A-Za-z0-9_-]{22}$"


class Transcript(Payload):
    """Words the streamer said: ``start`` and ``end`` are the stream times (seconds) of the
    audio they were heard in; the event itself arrives a little later (transcribing takes
    time). The text is scanned by the redactor like any other text."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    text: str = Field(min_length=1, max_length=MAX_TRANSCRIPT)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    #: The language heard, as the model named it ("en"), when it said.
    lang: str = Field(default="", max_length=16, pattern=r"^[A-Za-z-]*$")

    @model_validator(mode="after")
    def _ordered(self) -> Transcript:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Video(Payload):
    """The video the audience watches beside the stream, and how far it runs behind.

    ``provider``: ``twitch`` (``id`` is a channel name), ``youtube`` (``id`` is an
    11-character video id or a ``UC…`` channel id), ``hls`` (``url`` is the playlist's
    http(s) URL) or ``none`` (no video any more). Viewers' panels wait ``offset`` seconds,
    so what they show lines up with the video's delay. Only these shapes are accepted: a
    viewer's page builds the official embed from the id, never from a URL it was given.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    provider: Literal["twitch", "youtube", "hls", "none"]
    id: str = Field(default="", max_length=64)
    url: str = Field(default="", max_length=2000)
    offset: float = Field(default=0.0, ge=0, le=MAX_VIDEO_OFFSET)

    @model_validator(mode="after")
    def _shape(self) -> Video:
        if self.provider == "twitch" and not re.match(TWITCH_CHANNEL, self.id):
            raise ValueError("a Twitch channel name is 3 to 25 letters, digits or _")
        if self.provider == "youtube" and not (
            re.match(YOUTUBE_VIDEO, self.id) or re.match(YOUTUBE_CHANNEL, self.id)
        ):
            raise ValueError("a YouTube id is an 11-character video id or a UC… channel id")
        if self.provider in ("twitch", "youtube", "none") and self.url:
            raise ValueError(f"{self.provider}: give id, not url")
        if self.provider == "hls":
            if self.id:
                raise ValueError("hls: give url, not id")
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("hls: url must be an http:// or https:// URL")
            if parts.username or parts.password:
                raise ValueError("hls: a URL with a user name or password would show it to viewers")
            if re.search(r"[\s\"'<>\\`]", self.url):
                raise ValueError("hls: url holds characters a URL may not")
        if self.provider == "none" and self.id:
            raise ValueError("none: give neither id nor url")
        return self


def blob_refs(kind: str, data: dict[str, Any]) -> list[str]:
    """The blobs an (already validated) event refers to; a publisher sends them first."""
    if kind == "figure":
        return [data["blob"]]
    if kind == "nb.cell":
        return [o["blob"] for o in data.get("outputs", ()) if o.get("type") == "image"]
    if kind == "paper.open":
        return [data["blob"]]
    return []


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
    "chat.message": ChatMessage,
    "chat.delete": ChatDelete,
    "chat.pin": ChatPin,
    "question": Question,
    "question.vote": QuestionVote,
    "question.answered": QuestionAnswered,
    "comment": Comment,
    "comment.status": CommentStatus,
    "mod.timeout": ModAction,
    "mod.ban": ModAction,
    "mod.unban": ModAction,
    "mod.role": ModAction,
    "poll.open": PollOpen,
    "poll.vote": PollVote,
    "poll.close": PollClose,
    "file.tree": FileTree,
    "file.snapshot": FileSnapshot,
    "file.patch": FilePatch,
    "file.delete": FileDelete,
    "file.rename": FileRename,
    "file.focus": FileFocus,
    "git.status": GitStatus,
    "git.commit": GitCommit,
    "run.start": RunStart,
    "run.update": RunUpdate,
    "run.end": RunEnd,
    "metric": Metric,
    "figure": Figure,
    "histogram": Histogram,
    "table": Table,
    "sys": Sys,
    "nb.cell": NbCell,
    "sdk.dropped": SdkDropped,
    "paper.open": PaperOpen,
    "paper.view": PaperView,
    "paper.highlight": PaperHighlight,
    "transcript": Transcript,
    "video": Video,
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
    try:
        size = len(dumps(data).encode())
    except ValueError:  # NaN or infinity inside a free-form value: JSON cannot carry it
        raise EventError(
            f"{kind}: payload holds NaN or infinity, which JSON cannot carry"
        ) from None
    if size > MAX_EVENT_BYTES:
        raise EventError(f"{kind}: payload is {size} bytes; the limit is {MAX_EVENT_BYTES}")
    return Draft(t=float(t), kind=kind, source=source, data=data, pseq=pseq)
