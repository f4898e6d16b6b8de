"""Feeds: Atom (RFC 4287) for past streams, iCalendar (RFC 5545) for scheduled ones.

Both are written by hand from the standards: they are small, and the tests parse what comes
out with feedparser and icalendar, the libraries feed readers and calendars are built on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from benchcast.store.archive import Scheduled
from benchcast.store.database import Stream
from benchcast.timefmt import clock, rfc3339

ATOM = "http://www.w3.org/2005/Atom"
PRODID = "-//Benchcast//Benchcast schedule//EN"


def atom(
    streams: Iterable[Stream],
    *,
    base: str,
    title: str,
    self_path: str,
    feed_id: str,
    summaries: dict[str, str] | None = None,
) -> bytes:
    """An Atom feed of past streams, newest first. ``base`` is the site's URL (no trailing
    slash); ``summaries`` may give a stream's table of contents as text."""
    items = list(streams)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    updated = max((s.ended_at or s.started_at for s in items), default=time.time())
    sub(feed, "updated", rfc3339(updated))
    sub(feed, "link", rel="self", href=base + self_path, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=base + "/", type="text/html")
    sub(feed, "generator", "Benchcast")
    author = sub(feed, "author")
    sub(author, "name", "Benchcast")
    for s in items:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}/s/{s.id}")
        sub(entry, "title", s.title or "Untitled stream")
        sub(entry, "updated", rfc3339(s.ended_at or s.started_at))
        sub(entry, "published", rfc3339(s.started_at))
        sub(entry, "link", rel="alternate", href=f"{base}/s/{s.id}", type="text/html")
        a = sub(entry, "author")
        sub(a, "name", s.channel)
        sub(a, "uri", f"{base}/c/{s.channel}")
        for tag in s.tags:
            sub(entry, "category", term=tag)
        text = f"{s.channel} streamed for {clock(s.last_t)}."
        extra = (summaries or {}).get(s.id)
        if extra:
            text += "\n\n" + extra
        sub(entry, "summary", text, type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


# ── iCalendar ─────────────────────────────────────────────────────────────────────────────


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next, after a space (RFC 5545 §3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    cur = b""
    limit = 75
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > limit:
            parts.append(cur.decode("utf-8"))
            cur = b""
            limit = 74  # continuation lines start with a space
        cur += b
    parts.append(cur.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(items: Iterable[Scheduled], *, base: str, name: str, host: str) -> bytes:
    """An iCalendar feed of scheduled streams. ``host`` makes the events' UIDs unique."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    now = _stamp(time.time())
    for it in items:
        url = f"{base}/c/{it.channel}"
        desc = (it.description + "\n\n" if it.description else "") + f"Watch at {url}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{it.id}@{host}",
            f"DTSTAMP:{now}",
            f"CREATED:{_stamp(it.created_at)}",
            f"DTSTART:{_stamp(it.starts_at)}",
            f"DTEND:{_stamp(it.starts_at + it.duration)}",
            f"SUMMARY:{_escape(it.title)}",
            f"DESCRIPTION:{_escape(desc)}",
            f"URL:{url}",
        ]
        if it.tags:
            lines.append("CATEGORIES:" + ",".join(_escape(t) for t in it.tags))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
