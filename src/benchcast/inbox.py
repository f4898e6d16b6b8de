"""``benchcast inbox``: the streamer's inbox in a second terminal — bug reports, questions
and mentions, live — with a short notice when a bug report arrives.

It reads ``GET /api/inbox`` with the channel's stream key (the one ``benchcast stream``
uses), every ``--interval`` seconds, and draws with rich. The notice is configurable:
``title`` (this terminal's title), ``bell``, ``desktop`` (``notify-send``), or ``none``. It
is written only to the terminal the inbox runs in: the inbox refuses to run inside a
streamed shell (``BENCHCAST_STREAMING=1``), where it would be broadcast.

What viewers wrote is shown as plain text: control characters and escape sequences are
dropped, rich markup is never interpreted, so a message cannot restyle or retitle the
streamer's terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import unicodedata
from typing import Any

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from benchcast.timefmt import clock

NOTICES = ("title", "bell", "desktop", "none")
_DROP = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class InboxError(Exception):
    pass


def plain(text: Any, limit: int = 200) -> str:
    """Text fit for a terminal: one line, no control, format or direction characters."""
    out = []
    for ch in str(text):
        if ch in "\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") or ch in _DROP:
            continue
        else:
            out.append(ch)
    s = " ".join("".join(out).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def fetch(server: str, key: str, timeout: float = 10.0) -> dict[str, Any]:
    try:
        res = httpx.get(
            server.rstrip("/") + "/api/inbox",
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout,
        )
    except httpx.HTTPError as err:
        raise InboxError(f"cannot reach {server}: {err}") from None
    if res.status_code != 200:
        try:
            message = res.json().get("error", res.text)
        except ValueError:
            message = res.text
        raise InboxError(f"{server} answered {res.status_code}: {plain(message)}")
    data: dict[str, Any] = res.json()
    return data


def _anchor(anchor: dict[str, Any] | None) -> str:
    if not anchor:
        return ""
    if "file" in anchor:
        end = anchor.get("end_line")
        lines = f"{anchor.get('line', '')}" + (
            f"-{end}" if end and end != anchor.get("line") else ""
        )
        return f"{anchor['file']}:{lines}"
    if "term" in anchor:
        return f"{anchor['term']} @{anchor.get('seq', '')}"
    if "run" in anchor:
        return f"run {anchor['run']} {anchor.get('metric', '')} step {anchor.get('step', '')}"
    if "paper" in anchor:
        quote = " ".join(str(anchor.get("quote", "")).split())
        return f"paper p. {anchor.get('page', '?')} “{quote[:60]}”"
    for key in ("figure", "notebook", "table"):
        if key in anchor:
            return f"{key} {anchor[key]}"
    return ""


def render(inbox: dict[str, Any]) -> Group:
    """The inbox as rich renderables (every viewer-written string passed through ``plain``)."""
    stream = inbox.get("stream") or {}
    head = Text(f"{plain(inbox.get('channel', ''), 64)} · ", style="bold")
    head.append(plain(stream.get("title", "no stream yet"), 80))
    head.append("  LIVE" if stream.get("live") else "", style="bold red")

    bugs = Table(title="Bug reports", title_justify="left", expand=True, show_edge=False)
    for col, kw in (("at", {"width": 7}), ("status", {"width": 12}), ("who", {"width": 14}),
                    ("where", {"ratio": 1}), ("report", {"ratio": 2})):  # fmt: skip
        bugs.add_column(col, **kw)  # type: ignore[arg-type]
    for item in inbox.get("bugs", []):
        d = item["data"]
        bugs.add_row(
            clock(item["t"]),
            Text(item["status"], style="yellow" if item["status"] == "open" else "cyan"),
            Text(plain(d.get("name"), 24)),
            Text(plain(_anchor(d.get("anchor")), 80)),
            Text(plain(d.get("text"))),
        )
    questions = Table(title="Questions", title_justify="left", expand=True, show_edge=False)
    questions.add_column("votes", width=5, justify="right")
    questions.add_column("who", width=14)
    questions.add_column("question", ratio=1)
    for item in inbox.get("questions", []):
        d = item["data"]
        questions.add_row(
            str(item["votes"]), Text(plain(d.get("name"), 24)), Text(plain(d.get("text")))
        )
    mentions = Table(title="Mentions", title_justify="left", expand=True, show_edge=False)
    mentions.add_column("at", width=7)
    mentions.add_column("who", width=14)
    mentions.add_column("message", ratio=1)
    for item in inbox.get("mentions", [])[:10]:
        d = item["data"]
        mentions.add_row(
            clock(item["t"]), Text(plain(d.get("name"), 24)), Text(plain(d.get("text")))
        )
    return Group(head, Text(""), bugs, Text(""), questions, Text(""), mentions)


def notify(how: str, message: str, out: Any = None) -> None:
    """Tell the streamer, in this terminal only (or the desktop)."""
    out = out or sys.stdout
    message = plain(message, 120)
    if how == "title" and out.isatty():
        out.write(f"\x1b]0;{message}\x07")
        out.flush()
    elif how == "bell" and out.isatty():
        out.write("\a")
        out.flush()
    elif how == "desktop" and shutil.which("notify-send"):
        subprocess.run(["notify-send", "Benchcast", message], check=False, timeout=5)


def run(
    server: str,
    key: str,
    *,
    once: bool = False,
    notice: str = "title",
    interval: float = 2.0,
    console: Console | None = None,
) -> int:
    """Show the inbox (once, or live until Ctrl-C); return an exit status."""
    if os.environ.get("BENCHCAST_STREAMING") == "1":
        raise InboxError(
            "this terminal is being streamed: run `benchcast inbox` in another one "
            "(its notices would go on air)"
        )
    console = console or Console()
    inbox = fetch(server, key)
    if once:
        console.print(render(inbox))
        return 0
    seen = {b["id"] for b in inbox.get("bugs", [])}
    with Live(render(inbox), console=console, refresh_per_second=4, screen=False) as live:
        while True:
            time.sleep(interval)
            try:
                inbox = fetch(server, key)
            except InboxError as err:
                live.console.print(Text(f"benchcast: {err}", style="red"))
                continue
            new = [b for b in inbox.get("bugs", []) if b["id"] not in seen]
            seen |= {b["id"] for b in inbox.get("bugs", [])}
            if new:
                who = plain(new[0]["data"].get("name"), 24)
                count = f"{len(new)} new bug reports" if len(new) > 1 else f"bug report from {who}"
                notify(notice, f"benchcast: {count}")
            live.update(render(inbox))
