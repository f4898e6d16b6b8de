"""Chapters: the table of contents of a stream, folded from its log.

A chapter starts where the streamer said something new is happening — an ``activity``
change, a ``marker`` (``benchcast mark``, the SDK, the studio's hotkeys), a new goal or
hypothesis (``now``) — or where the log shows it without being told: a run starts or ends, a
paper opens, the stream goes off air or comes back, or it resumes after a long idle gap.
Those are ``auto`` chapters.

Keyframe state gains ``chapters`` once a stream has one, oldest first::

    {"chapters": [{"seq": 12, "t": 95.2, "title": "Debugging", "type": "activity",
                   "activity": "debugging", "auto": false, "summary": ""}, ...]}

``seq`` is the event that started the chapter, and names it: the streamer's edits after the
stream (a better title, a one-line summary) are stored by ``(stream, seq)`` and laid over the
folded chapters by ``with_edits``, so the log itself stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from benchcast.events import Event
from benchcast.replay.fold import StreamFold, register_every, register_part
from benchcast.store.database import Store

#: Seconds without any event after which the next event starts a "back after …" chapter.
IDLE_GAP = 300.0
#: Runs starting (or ending) within this many seconds of each other share one chapter.
RUN_MERGE = 120.0
#: Chapters kept; past this the oldest automatic ones make room (a 1,000-run sweep).
MAX_CHAPTERS = 500
MAX_TITLE = 120
#: Kinds that can start a chapter (viewers refresh their table of contents on these).
CHAPTER_KINDS = frozenset(
    {"stream.start", "activity", "marker", "now", "run.start", "run.end", "paper.open", "air"}
)


def _short(text: str, n: int = MAX_TITLE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class Chapters:
    """A stream's chapters so far, as plain JSON (see the module docstring)."""

    def __init__(self, state: list[dict[str, Any]] | None = None) -> None:
        self.items: list[dict[str, Any]] = json.loads(json.dumps(state)) if state else []

    def snapshot(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = json.loads(json.dumps(self.items))
        return out

    def add(
        self,
        ev: Event,
        title: str,
        type_: str,
        activity: str | None,
        *,
        auto: bool = False,
        summary: str = "",
    ) -> dict[str, Any]:
        chapter = {
            "seq": ev.seq,
            "t": ev.t,
            "title": _short(title) or type_,
            "type": type_,
            "activity": activity,
            "auto": auto,
            "summary": _short(summary, 300),
        }
        self.items.append(chapter)
        if len(self.items) > MAX_CHAPTERS:
            drop = next((i for i, c in enumerate(self.items) if c["auto"]), 0)
            del self.items[drop]
        return chapter


def chapters_of(fold: StreamFold) -> Chapters:
    return cast(Chapters, fold.part("chapters"))


def _run_name(fold: StreamFold, run_id: str) -> str:
    runs = fold.parts.get("runs")
    entry = getattr(runs, "runs", {}).get(run_id) if runs is not None else None
    return str(entry.get("name") or run_id) if entry else run_id


def _numbers(summary: Mapping[str, Any], n: int = 3) -> str:
    """A run summary's first few numbers: "loss 0.31 · acc 0.92"."""
    out = []
    for key, value in summary.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        out.append(f"{key} {value:.4g}")
        if len(out) == n:
            break
    return " · ".join(out)


def _merge_run(ch: Chapters, ev: Event, type_: str, name: str) -> bool:
    """Fold this run's start or end into the previous chapter if it is the same sort and
    recent (a sweep makes one chapter, not a hundred); True if it did."""
    last = ch.items[-1] if ch.items else None
    if last is None or last["type"] != type_ or ev.t - last["t"] > RUN_MERGE:
        return False
    names = last.setdefault("runs", [])
    if name not in names:
        names.append(name)
    verb = "started" if type_ == "run.start" else "ended"
    last["title"] = _short(f"{len(names)} runs {verb}: " + ", ".join(names))
    return True


def _watch(f: StreamFold, ev: Event) -> None:
    """Runs before the kind's own handler: ``f`` is the state just before ``ev``."""
    kind = ev.kind
    if f.seq and ev.t - f.t >= IDLE_GAP:
        minutes = round((ev.t - f.t) / 60)
        chapters_of(f).add(ev, f"Back after {minutes} min idle", "idle", f.activity, auto=True)
    if kind not in CHAPTER_KINDS:
        return
    ch = chapters_of(f)
    d = ev.data
    if kind == "activity" or (kind == "stream.start" and d.get("activity")):
        mode = d.get("mode") if kind == "activity" else d.get("activity")
        if mode and mode != f.activity:
            ch.add(ev, str(mode).capitalize(), "activity", str(mode))
    elif kind == "marker":
        ch.add(ev, d["label"], "marker", f.activity)
    elif kind == "now":
        old = f.now
        if d.get("goal") and d.get("goal") != old.get("goal"):
            ch.add(ev, "Goal: " + d["goal"], "now", f.activity, summary=d.get("hypothesis", ""))
        elif d.get("hypothesis") and d.get("hypothesis") != old.get("hypothesis"):
            ch.add(ev, "Hypothesis: " + d["hypothesis"], "now", f.activity)
    elif kind == "run.start":
        name = d.get("name") or d["run"]
        if not _merge_run(ch, ev, "run.start", name):
            c = ch.add(ev, f"Run {name} started", "run.start", f.activity, auto=True)
            c["runs"] = [name]
    elif kind == "run.end":
        name = _run_name(f, d["run"])
        status = d.get("status", "finished")
        if not _merge_run(ch, ev, "run.end", name):
            c = ch.add(
                ev,
                f"Run {name} {status}",
                "run.end",
                f.activity,
                auto=True,
                summary=_numbers(d.get("summary") or {}),
            )
            c["runs"] = [name]
    elif kind == "paper.open":
        ch.add(
            ev, "Reading " + str(d.get("title") or "a paper"), "paper", "paper reading", auto=True
        )
    elif kind == "air":
        if d.get("state") == "paused" and f.air != "paused":
            ch.add(ev, "Off air", "air", f.activity, auto=True)
        elif d.get("state") == "on" and f.air == "paused":
            ch.add(ev, "Back on air", "air", f.activity, auto=True)


def with_edits(
    chapters: Iterable[Mapping[str, Any]], edits: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Chapters with the streamer's edits laid over them: ``edits[seq]`` may set ``title``,
    ``summary`` (None: keep the folded one) and ``hidden`` (left out of the list)."""
    out = []
    for c in chapters:
        item = dict(c)
        edit = edits.get(int(item["seq"]))
        if edit:
            if edit.get("hidden"):
                continue
            if edit.get("title"):
                item["title"] = edit["title"]
            if edit.get("summary") is not None:
                item["summary"] = edit["summary"]
            item["edited"] = True
        out.append(item)
    return out


def fold_chapters(state: Mapping[str, Any] | None, events: Iterable[Event]) -> list[dict[str, Any]]:
    """The chapters after ``events``, starting from a keyframe's ``state`` (None: the start).

    Terminal output is not folded (chapters never depend on it), so the tail of a stream
    after its newest keyframe costs a JSON parse, not a VT emulator.
    """
    f = StreamFold.restore({**state, "terms": {}}) if state else StreamFold()
    for ev in events:
        if ev.kind.startswith("term."):
            _watch(f, ev)  # an idle gap can end with output
            f.seq, f.t = ev.seq, ev.t
        else:
            f.apply(ev)
    part = f.parts.get("chapters")
    return cast(Chapters, part).snapshot() if part is not None else []


def stream_chapters(
    store: Store, stream_id: str, edits: Mapping[int, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every chapter of a stream so far (its newest keyframe's, and those after it), with
    the streamer's ``edits`` laid over them."""
    kf = store.keyframe(stream_id)
    items = fold_chapters(
        kf.state if kf else None, store.iter_events(stream_id, kf.seq if kf else 0)
    )
    return with_edits(items, edits or {})


register_part("chapters", Chapters)
register_every(_watch)
