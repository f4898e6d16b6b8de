"""Defence in depth: the server applies the provider and context rules again to everything
it accepts, in case a publisher's redactor missed something or a client sent raw text.

The streamer's known values never leave their machine, so only rules apply here; what is
found is masked exactly as the publisher would have.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from benchcast.events import Draft
from benchcast.secrets.scanner import Scanner, apply
from benchcast.secrets.visible import mask_raw, project

_scanner: Scanner | None = None
#: Secrets masked by this process since it started (exported as a metric).
hidden = 0


def scanner() -> Scanner:
    global _scanner
    if _scanner is None:
        _scanner = Scanner()
    return _scanner


def _value(value: Any, counts: Counter[str]) -> Any:
    if isinstance(value, str):
        findings = scanner().find(value)
        if findings:
            counts.update(f.rule for f in findings)
            return apply(value, findings)
        return value
    if isinstance(value, list):
        return [_value(v, counts) for v in value]
    if isinstance(value, dict):
        # Keys too: metric names and config keys are written by the streamer's code.
        return {_value(k, counts): _value(v, counts) for k, v in value.items()}
    return value


_clean_sources: set[str] = set()
MAX_CLEAN_SOURCES = 10_000


def _source(source: str, counts: Counter[str]) -> str:
    """An event's source, masked if the rules find a secret in it. Sources are few and repeat
    on every event: clean ones are remembered."""
    if source in _clean_sources:
        return source
    masked: str = _value(source, counts)
    if masked == source and len(_clean_sources) < MAX_CLEAN_SOURCES:
        _clean_sources.add(source)
    return masked


def rescan_value(value: Any) -> Any:
    """``value`` (a string, or lists and dicts of them) with anything the rules find masked:
    for what the server accepts outside an event (a stream's title and tags, in a hello; what
    the streamer types on its pages)."""
    counts: Counter[str] = Counter()
    masked = _value(value, counts)
    global hidden
    hidden += sum(counts.values())
    return masked


def rescan(draft: Draft) -> list[Draft]:
    """The draft, with anything the rules find masked."""
    counts: Counter[str] = Counter()
    source = _source(draft.source, counts)
    data: dict[str, Any] = draft.data
    if draft.kind == "term.output":
        text = draft.data["text"]
        proj = project(text)
        findings = scanner().find(proj.plain)
        if findings:
            counts.update(f.rule for f in findings)
            data = {"text": mask_raw(text, proj, [(f.start, f.end, f.rule) for f in findings])}
    else:
        data = _value(draft.data, counts)
    if not counts:
        return [draft]
    global hidden
    hidden += sum(counts.values())
    # No separate ``redacted`` event here: it would carry no pseq, so a resent draft could
    # not be recognised as a resend. The count goes to the server's metrics instead.
    return [Draft(t=draft.t, kind=draft.kind, source=source, data=data, pseq=draft.pseq)]
