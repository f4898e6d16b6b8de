"""The archive's commands: ``search``, ``schedule``, ``channel bio``, ``db reindex``, and the
formats of ``export``. Registered by cli.build_parser; each is a thin call into a module
below (store.search, store.archive, replay.*).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchcast import settings

#: ``export --format`` → what it writes.
EXPORT_FORMATS = {
    "asciicast": "a v2 recording of the terminal (asciinema 2's format), chapters as markers",
    "asciicast-v3": "the same as asciicast v3 (asciinema 3's format)",
    "jsonl": "every event of the stream, one JSON envelope per line",
    "html": "a self-contained page that replays terminal, code, notes and chat from file://",
}


def _err(message: str) -> None:
    sys.stderr.write(f"benchcast: {message}\n")


def _store(args: argparse.Namespace) -> Any:
    from benchcast.store.database import Store

    return Store(settings.db_url(args.data, args.db))


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def export_stream(store: Any, stream_id: str, fmt: str, out: Any) -> int:
    """Write a stream in ``fmt`` (a key of EXPORT_FORMATS); return what was counted."""
    if fmt == "jsonl":
        from benchcast.replay.jsonl import export_jsonl

        return export_jsonl(store, stream_id, out)
    if fmt == "html":
        from benchcast.replay.static_html import export_html

        return export_html(store, stream_id, out)
    from benchcast.replay.asciicast import export_asciicast

    return export_asciicast(store, stream_id, out, version=3 if fmt == "asciicast-v3" else 2)


# ── search ────────────────────────────────────────────────────────────────────────────────


def _day(value: str | None, end: bool = False) -> float | None:
    if not value:
        return None
    day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    return day.timestamp() + (86400 if end else 0)


def cmd_search(args: argparse.Namespace) -> int:
    from benchcast.store.archive import Archive
    from benchcast.store.search import Query, QueryError

    text = " ".join(args.query)
    try:
        query = Query(
            text=text,
            channel=args.channel,
            activity=args.activity,
            tag=args.tag,
            kinds=tuple(args.kind),
            since=_day(args.since),
            until=_day(args.until, end=True),
            order=args.order,
            limit=args.limit,
            public_only=not args.all,
        )
    except ValueError as err:
        _err(f"dates are written YYYY-MM-DD ({err})")
        return 2
    if args.server:
        return _search_remote(args, query)
    store = _store(args)
    try:
        hits = Archive(store).search.search(query)
    except QueryError as err:
        _err(str(err))
        return 2
    finally:
        store.close()
    if args.json:
        print(json.dumps([h.as_json() for h in hits], indent=2))
        return 0
    for h in hits:
        _print_hit(h.as_json(), "")
    if not hits:
        _err(f"nothing found for {text!r}")
        return 1
    return 0


def _print_hit(h: dict[str, Any], base: str) -> None:
    print(f"{_clock(h['t'])}  {h['title'] or 'Untitled stream'}  ({h['channel']}, {h['kind']})")
    print(f"    {base}{h['url']}")
    context = "".join(f"[{s}]" if hit else s for s, hit in h["context"])
    for line in context.split("\n")[:3]:
        print("    | " + line)


def _search_remote(args: argparse.Namespace, query: Any) -> int:
    import httpx

    params: list[tuple[str, str | int | float | bool | None]] = [("q", query.text)]
    params.append(("order", query.order))
    params += [("limit", str(query.limit))]
    for name in ("channel", "activity", "tag"):
        if getattr(args, name):
            params.append((name, getattr(args, name)))
    params += [("kind", k) for k in query.kinds]
    if args.since:
        params.append(("from", args.since))
    if args.until:
        params.append(("to", args.until))
    base = args.server.rstrip("/")
    try:
        res = httpx.get(base + "/api/search", params=params, timeout=30)
    except httpx.HTTPError as err:
        _err(f"{base} does not answer: {err}")
        return 1
    body = res.json()
    if res.status_code != 200:
        _err(body.get("error", res.text))
        return 2
    if args.json:
        print(json.dumps(body["hits"], indent=2))
        return 0
    for h in body["hits"]:
        _print_hit(h, base)
    return 0 if body["hits"] else 1


# ── schedule ──────────────────────────────────────────────────────────────────────────────

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


def _duration(text: str) -> float:
    """``90`` (minutes), ``90m``, ``1h30m``, ``2h`` → seconds."""
    if text.isdigit():
        return int(text) * 60.0
    m = _DURATION.match(text.strip())
    if not m or not any(m.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90m, 1h30m, 2h)")
    return int(m[1] or 0) * 3600.0 + int(m[2] or 0) * 60.0


def _server_and_key(args: argparse.Namespace) -> tuple[str, str] | None:
    server = settings.resolve("server", args.server)
    key = settings.resolve("key", args.key)
    if not server or not key:
        _err("this needs --server URL and --key KEY (or BENCHCAST_SERVER and BENCHCAST_KEY)")
        return None
    return str(server).rstrip("/"), str(key)


def cmd_schedule_add(args: argparse.Namespace) -> int:
    import httpx

    target = _server_and_key(args)
    if target is None:
        return 2
    server, key = target
    from benchcast.broadcast.redact import Redactor

    # What a schedule says is public, like a stream's title and tags: masked before it leaves.
    redactor = Redactor.for_streamer(folders=[Path.cwd()])
    body = {
        "title": redactor.clean(" ".join(args.title)),
        "starts_at": args.at,
        "duration": args.duration,
        "tags": redactor.clean(args.tags),
        "description": redactor.clean(args.description),
    }
    try:
        res = httpx.post(
            server + "/api/schedule",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as err:
        _err(f"{server} does not answer: {err}")
        return 1
    out = res.json()
    if res.status_code != 201:
        _err(out.get("error", res.text))
        return 2
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(out["starts_at"]))
    _err(f"scheduled {out['title']!r} on {out['channel']} for {when}; calendar: "
         f"{server}/c/{out['channel']}/schedule.ics")  # fmt: skip
    print(out["id"])
    return 0


def cmd_schedule_list(args: argparse.Namespace) -> int:
    import httpx

    server = settings.resolve("server", args.server)
    if not server:
        _err("this needs --server URL (or BENCHCAST_SERVER)")
        return 2
    params = {"channel": args.channel} if args.channel else {}
    try:
        res = httpx.get(str(server).rstrip("/") + "/api/schedule", params=params, timeout=30)
    except httpx.HTTPError as err:
        _err(f"{server} does not answer: {err}")
        return 1
    items = res.json().get("scheduled", [])
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for it in items:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(it["starts_at"]))
        print(f"{it['id']}  {when}  {_clock(it['duration'])}  {it['channel']:<16} {it['title']}")
    if not items:
        _err("nothing scheduled")
    return 0


def cmd_schedule_remove(args: argparse.Namespace) -> int:
    import httpx

    target = _server_and_key(args)
    if target is None:
        return 2
    server, key = target
    try:
        res = httpx.delete(
            f"{server}/api/schedule/{args.id}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as err:
        _err(f"{server} does not answer: {err}")
        return 1
    if res.status_code != 200:
        _err(res.json().get("error", res.text))
        return 2
    _err(f"removed {args.id}")
    return 0


# ── channel bio, reindex ──────────────────────────────────────────────────────────────────


def cmd_channel_bio(args: argparse.Namespace) -> int:
    from benchcast.store.archive import Archive
    from benchcast.store.database import StoreError

    store = _store(args)
    try:
        ch = store.channel(args.name)
        if ch is None:
            _err(f"no channel named {args.name!r}")
            return 2
        Archive(store).set_bio(ch.id, " ".join(args.bio))
    except StoreError as err:
        _err(str(err))
        return 2
    finally:
        store.close()
    _err(f"{args.name}'s page now says who they are")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from benchcast.replay.searchdocs import reindex

    store = _store(args)
    try:
        ids = args.streams or [s.id for s in store.streams(limit=100_000)]
        for sid in ids:
            if store.stream(sid) is None:
                _err(f"no stream {sid!r}")
                return 2
            n = reindex(store, sid)
            _err(f"stream {sid}: {n} documents")
    finally:
        store.close()
    return 0


# ── the parser ────────────────────────────────────────────────────────────────────────────


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help=settings.SETTINGS["data"].help + " (env BENCHCAST_DATA)")
    p.add_argument("--db", help=settings.SETTINGS["db"].help + " (env BENCHCAST_DB)")


def add_commands(sub: Any, channel_sub: Any, db_sub: Any) -> None:
    """Add the archive's commands to the parser's subcommands (and to ``channel`` and
    ``db``)."""
    from benchcast.events import Activity
    from benchcast.store.search import KINDS

    p = sub.add_parser(
        "search",
        help="search every stream (terminal output, notes, chat, files, runs …)",
        description="Search every stream's archive: terminal output as it appeared on screen, "
        'files and diffs, notes, chat, questions, runs. Words must all appear; "a phrase" '
        "must appear as written; optim* matches the start of a word. Each hit prints the "
        "moment to open.",
    )
    p.add_argument("query", nargs="+", help="what to look for")
    p.add_argument("--channel", help="only this channel's streams")
    p.add_argument(
        "--activity",
        choices=[a.value for a in Activity],
        metavar="ACTIVITY",
        help="only what happened during this activity (e.g. debugging)",
    )
    p.add_argument("--tag", help="only streams with this field tag (e.g. ml)")
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=KINDS,
        metavar="KIND",
        help="only this kind of text (repeatable): " + ", ".join(KINDS),
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only streams started on or after")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only streams started on or before")
    p.add_argument(
        "--order",
        choices=["relevance", "recent"],
        default="relevance",
        help="best match first (default) or newest first",
    )
    p.add_argument("--limit", type=int, default=20, help="at most this many hits (default 20)")
    p.add_argument(
        "--all",
        action="store_true",
        help="include unlisted and private streams (an operator's view of the store)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--server", help="search a running server's API instead of the store (http://host:port)"
    )
    _store_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "schedule",
        help="plan streams (they appear on the home page and in iCal feeds)",
        description="Plan streams on your channel: they are listed on the home and channel "
        "pages and in the iCal feeds (/schedule.ics, /c/NAME/schedule.ics).",
    )
    ssub = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    s = ssub.add_parser(
        "add",
        help="schedule a stream",
        description="Schedule a stream on the channel of --key; prints its id.",
    )
    s.add_argument("title", nargs="+", help="what the stream is about")
    s.add_argument(
        "--at",
        required=True,
        help="when it starts, ISO 8601 (2026-05-01T15:00Z; without a zone, UTC)",
    )
    s.add_argument(
        "--duration",
        type=_duration,
        default=3600.0,
        help="how long it is planned to last: 90m, 1h30m, 2h (default 1h)",
    )
    s.add_argument("--tag", action="append", default=[], dest="tags", help="a field tag")
    s.add_argument("--description", default="", help="a few words for the calendar entry")
    s.add_argument("--server", help=settings.SETTINGS["server"].help + " (env BENCHCAST_SERVER)")
    s.add_argument("--key", help=settings.SETTINGS["key"].help + " (env BENCHCAST_KEY)")
    s.set_defaults(func=cmd_schedule_add)
    s = ssub.add_parser(
        "list",
        help="list upcoming streams",
        description="List upcoming streams, soonest first.",
    )
    s.add_argument("--channel", help="only this channel's")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--server", help=settings.SETTINGS["server"].help + " (env BENCHCAST_SERVER)")
    s.set_defaults(func=cmd_schedule_list)
    s = ssub.add_parser(
        "remove",
        help="remove a scheduled stream",
        description="Remove one of your channel's scheduled streams by its id.",
    )
    s.add_argument("id", help="the id `schedule add` printed (see `schedule list`)")
    s.add_argument("--server", help=settings.SETTINGS["server"].help + " (env BENCHCAST_SERVER)")
    s.add_argument("--key", help=settings.SETTINGS["key"].help + " (env BENCHCAST_KEY)")
    s.set_defaults(func=cmd_schedule_remove)

    c = channel_sub.add_parser(
        "bio",
        help="set what a channel's page says about it",
        description="Set the bio shown on a channel's page (plain text, up to 2,000 characters).",
    )
    c.add_argument("name", help="the channel")
    c.add_argument("bio", nargs="+", help="the text")
    _store_args(c)
    c.set_defaults(func=cmd_channel_bio)

    d = db_sub.add_parser(
        "reindex",
        help="rebuild the search index of streams from their logs",
        description="Rebuild the search index of the given streams (default: all) from their "
        "stored events, e.g. for streams stored before the index existed.",
    )
    d.add_argument("streams", nargs="*", metavar="STREAM_ID", help="streams (default: all)")
    _store_args(d)
    d.set_defaults(func=cmd_reindex)
