"""What viewers write: chat messages, questions and their votes, anchored comments (bug
reports, ideas, questions), polls; and the streamer's answers to them.

Every message passes, in order: the text rules (``text.clean_text``: length, control and
invisible characters, zalgo), the rate limits (per person and per address; slow mode), the
channel's rules (accounts only, bans and timeouts, the word and pattern filter), then the
server's secret re-scan, and is stored before anyone sees it. The channel's streamer and
moderators are exempt from the limits and the filter.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from typing import Any, Literal

import regex
from pydantic import Field
from sqlalchemy.engine import Connection

from benchcast.events import Anchor, Event
from benchcast.server.audience.actions import Body, Ctx, action
from benchcast.server.audience.core import Refused
from benchcast.server.audience.markdown import mentions
from benchcast.server.audience.text import MAX_CHAT, MAX_LONG, clean_text
from benchcast.server.limits import SlidingWindow
from benchcast.store.audience import ChannelSettings, Item

log = logging.getLogger("benchcast.audience")

MAX_FILTER = 200
FILTER_TIMEOUT = 0.02  # seconds a pattern may take on one message
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(9)


# ── the channel's rules ───────────────────────────────────────────────────────────────────


@functools.lru_cache(maxsize=256)
def compile_filter(entries: tuple[str, ...]) -> tuple[regex.Pattern[str], ...]:
    """Words match whole words, ignoring case; ``/pattern/`` entries are regular expressions
    (run with a time limit, so a pattern that backtracks forever cannot stall the server)."""
    out = []
    for entry in entries:
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            out.append(regex.compile(entry[1:-1], regex.IGNORECASE | regex.V1))
        else:
            out.append(regex.compile(r"\b" + regex.escape(entry) + r"\b", regex.IGNORECASE))
    return tuple(out)


def check_filter_entries(entries: list[str]) -> tuple[str, ...]:
    """Filter entries as the settings keep them; raises ValueError for one that is not."""
    if len(entries) > MAX_FILTER:
        raise ValueError(f"at most {MAX_FILTER} filter entries")
    out: list[str] = []
    for e in entries:
        if not isinstance(e, str) or not 0 < len(e.strip()) <= 200:
            raise ValueError("each filter entry is 1 to 200 characters")
        out.append(e.strip())
    try:
        compile_filter(tuple(out))
    except regex.error as err:
        raise ValueError(f"a filter pattern does not compile: {err}") from None
    return tuple(out)


def filtered(settings: ChannelSettings, text: str) -> bool:
    for pattern in compile_filter(settings.filter):
        try:
            if pattern.search(text, timeout=FILTER_TIMEOUT):
                return True
        except TimeoutError:
            log.warning("a filter pattern of channel %s timed out", settings.channel_id)
    return False


async def writer_checks(ctx: Ctx, window: SlidingWindow, what: str, chat: bool = False) -> bool:
    """Apply the limits and the channel's rules to a writer; return whether they are staff
    (who are exempt). Raises Refused."""
    aud, who, channel = ctx.aud, ctx.who, ctx.stream.channel_id
    if who.staff_of(channel):
        return True
    aud.limits.take(aud.limits.address, who.ip, "messages from your address")
    aud.limits.take(window, who.id, what)
    settings = await aud.settings(channel)
    if settings.accounts_only and who.kind != "account":
        raise Refused(403, "this channel's chat is for accounts only: log in to write")
    sanctions = await aud.sanctions(channel)
    # An address is banned only for guests: accounts behind the same address may still write.
    for subject in (who.id, who.ip) if who.kind == "guest" else (who.id,):
        s = sanctions.get(subject)
        if s is None:
            continue
        if s.kind == "ban":
            raise Refused(403, "you are banned from this channel's chat")
        left = max(1, round(((s.until or 0) - time.time()) / 60))
        raise Refused(403, f"you are timed out for {left} more minute{'s' if left > 1 else ''}")
    if chat:
        aud.limits.slow(who.id, settings.slow_seconds)
        aud.limits.busy(ctx.stream.id, who.id)
    return False


async def _filter(ctx: Ctx, text: str) -> None:
    if filtered(await ctx.aud.settings(ctx.stream.channel_id), text):
        raise Refused(400, "your message was held back by the channel's filter")


def said(ctx: Ctx, item_id: str) -> dict[str, Any]:
    """The fields every message, question and comment carries about its writer."""
    return {
        "id": item_id,
        "user": ctx.who.id,
        "name": ctx.who.name,
        "role": ctx.who.role_in(ctx.stream.channel_id) or "guest",
    }


def _index(ctx: Ctx, item_id: str, kind: str, staff_mentioned: bool = False) -> Any:
    def then(conn: Connection, ev: Event) -> None:
        ctx.aud.db.add_item(
            conn,
            item_id=item_id,
            stream_id=ctx.stream.id,
            seq=ev.seq,
            t=ev.t,
            kind=kind,
            user=ctx.who.id,
            ip=ctx.who.ip,
            data=ev.data,
            staff_mentioned=staff_mentioned,
        )

    return then


def _item_of(ctx: Ctx, conn: Connection, kind: str) -> Item:
    """The item the path names, in this stream, of this kind, not hidden (else 404)."""
    assert ctx.item is not None
    item = ctx.aud.db.item(ctx.item, conn)
    if item is None or item.stream_id != ctx.stream.id or item.kind != kind or item.hidden:
        raise Refused(404, f"no {kind} {ctx.item!r} on this stream")
    return item


# ── chat ──────────────────────────────────────────────────────────────────────────────────


class ChatIn(Body):
    text: str = Field(max_length=MAX_CHAT * 4)
    reply_to: str | None = Field(default=None, pattern=ID_PATTERN)


@action("chat", "/chat", ChatIn, "Send a chat message (markdown subset; @name mentions)")
async def send_chat(ctx: Ctx, body: ChatIn) -> dict[str, Any]:
    text = clean_text(body.text, MAX_CHAT)
    staff = await writer_checks(ctx, ctx.aud.limits.chat, "messages", chat=True)
    if not staff:
        await _filter(ctx, text)
    names = mentions(text)
    staff_names = await ctx.aud.staff_names(ctx.stream.channel_id)
    staff_mentioned = any(
        n.casefold() in staff_names or n.casefold() == ctx.stream.channel for n in names
    )
    item_id = new_id("m")
    data = {**said(ctx, item_id), "text": text, "reply_to": body.reply_to, "mentions": names}
    ev, _ = await ctx.aud.append(
        ctx.stream, "chat.message", data, _index(ctx, item_id, "chat", staff_mentioned)
    )
    return {"id": item_id, "seq": ev.seq}


# ── questions ─────────────────────────────────────────────────────────────────────────────


class QuestionIn(Body):
    text: str = Field(max_length=MAX_LONG * 4)
    anchor: Anchor | None = None


@action("question", "/questions", QuestionIn, "Ask the streamer a question")
async def ask(ctx: Ctx, body: QuestionIn) -> dict[str, Any]:
    text = clean_text(body.text, MAX_LONG, "question")
    if not await writer_checks(ctx, ctx.aud.limits.ask, "questions and comments"):
        await _filter(ctx, text)
    item_id = new_id("q")
    data: dict[str, Any] = {**said(ctx, item_id), "text": text}
    if body.anchor is not None:
        data["anchor"] = body.anchor.model_dump(mode="json")
    ev, _ = await ctx.aud.append(ctx.stream, "question", data, _index(ctx, item_id, "question"))
    return {"id": item_id, "seq": ev.seq}


class VoteIn(Body):
    up: bool = True


@action(
    "question.vote", "/questions/{item}/vote", VoteIn, "Upvote a question (up: false takes it back)"
)
async def vote(ctx: Ctx, body: VoteIn) -> dict[str, Any]:
    await writer_checks(ctx, ctx.aud.limits.vote, "votes")
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        item = _item_of(ctx, conn, "question")
        if item.status == "answered":
            raise Refused(409, "this question has been answered")
        if body.up and not db.vote(conn, item.id, ctx.who.id, 1):
            raise Refused(409, "you have upvoted this question already")
        if not body.up and not db.unvote(conn, item.id, ctx.who.id):
            raise Refused(409, "you have not upvoted this question")

    data = {"question": ctx.item, "user": ctx.who.id, "up": body.up}
    ev, _ = await ctx.aud.append(ctx.stream, "question.vote", data, check=check)
    return {"seq": ev.seq}


class Empty(Body):
    pass


@action(
    "question.answered",
    "/questions/{item}/answered",
    Empty,
    "Mark a question answered now (the archive links it to this moment)",
    "staff",
)
async def answered(ctx: Ctx, body: Empty) -> dict[str, Any]:
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        if _item_of(ctx, conn, "question").status == "answered":
            raise Refused(409, "this question has been answered already")

    def then(conn: Connection, ev: Event) -> None:
        db.set_status(conn, ev.data["question"], "answered", ev.seq, ev.t)

    data = {"question": ctx.item, "by": ctx.who.id}
    ev, _ = await ctx.aud.append(ctx.stream, "question.answered", data, then, check)
    return {"seq": ev.seq, "t": ev.t}


# ── anchored comments ─────────────────────────────────────────────────────────────────────


class CommentIn(Body):
    kind: Literal["bug", "idea", "question"]
    text: str = Field(max_length=MAX_LONG * 4)
    anchor: Anchor


@action(
    "comment",
    "/comments",
    CommentIn,
    "Report a bug, an idea or a question about something on stream (an anchor)",
)
async def comment(ctx: Ctx, body: CommentIn) -> dict[str, Any]:
    text = clean_text(body.text, MAX_LONG, "comment")
    if not await writer_checks(ctx, ctx.aud.limits.ask, "questions and comments"):
        await _filter(ctx, text)
    item_id = new_id("c")
    data = {
        **said(ctx, item_id),
        "kind": body.kind,
        "text": text,
        "anchor": body.anchor.model_dump(mode="json"),
    }
    ev, _ = await ctx.aud.append(ctx.stream, "comment", data, _index(ctx, item_id, "comment"))
    return {"id": item_id, "seq": ev.seq}


class StatusIn(Body):
    status: Literal["open", "acknowledged", "fixed", "wontfix"]


@action(
    "comment.status",
    "/comments/{item}/status",
    StatusIn,
    "Set a comment's status (open, acknowledged, fixed, wontfix); viewers see it change",
    "staff",
)
async def comment_status(ctx: Ctx, body: StatusIn) -> dict[str, Any]:
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        _item_of(ctx, conn, "comment")

    def then(conn: Connection, ev: Event) -> None:
        db.set_status(conn, ev.data["comment"], body.status, ev.seq, ev.t)

    data = {"comment": ctx.item, "status": body.status, "by": ctx.who.id}
    ev, _ = await ctx.aud.append(ctx.stream, "comment.status", data, then, check)
    return {"seq": ev.seq}


# ── polls ─────────────────────────────────────────────────────────────────────────────────


class PollIn(Body):
    question: str = Field(max_length=300 * 4)
    options: list[str] = Field(min_length=2, max_length=10)


@action("poll.open", "/polls", PollIn, "Open a poll (2 to 10 options)", "staff")
async def poll_open(ctx: Ctx, body: PollIn) -> dict[str, Any]:
    question = clean_text(body.question, 300, "poll question")
    options = [clean_text(o, 100, "poll option") for o in body.options]
    if len(set(options)) != len(options):
        raise Refused(400, "poll options must differ")
    item_id = new_id("p")
    data = {"id": item_id, "question": question, "options": options, "by": ctx.who.id}
    ev, _ = await ctx.aud.append(ctx.stream, "poll.open", data, _index(ctx, item_id, "poll"))
    return {"id": item_id, "seq": ev.seq}


class PollVoteIn(Body):
    option: int = Field(ge=0, le=9)


@action("poll.vote", "/polls/{item}/vote", PollVoteIn, "Vote in a poll (once)")
async def poll_vote(ctx: Ctx, body: PollVoteIn) -> dict[str, Any]:
    await writer_checks(ctx, ctx.aud.limits.vote, "votes")
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        poll = _item_of(ctx, conn, "poll")
        if poll.status != "open":
            raise Refused(409, "this poll is closed")
        if body.option >= len(poll.data["options"]):
            raise Refused(400, f"option is 0 to {len(poll.data['options']) - 1}")
        if not db.vote(conn, poll.id, ctx.who.id, body.option):
            raise Refused(409, "you have voted in this poll already")

    data = {"poll": ctx.item, "user": ctx.who.id, "option": body.option}
    ev, _ = await ctx.aud.append(ctx.stream, "poll.vote", data, check=check)
    return {"seq": ev.seq}


@action("poll.close", "/polls/{item}/close", Empty, "Close a poll", "staff")
async def poll_close(ctx: Ctx, body: Empty) -> dict[str, Any]:
    db = ctx.aud.db

    def check(conn: Connection) -> None:
        if _item_of(ctx, conn, "poll").status != "open":
            raise Refused(409, "this poll is closed already")

    def then(conn: Connection, ev: Event) -> None:
        db.set_status(conn, ev.data["poll"], "closed", ev.seq, ev.t)

    data = {"poll": ctx.item, "by": ctx.who.id}
    ev, _ = await ctx.aud.append(ctx.stream, "poll.close", data, then, check)
    return {"seq": ev.seq}
