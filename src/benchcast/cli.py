"""The command line. Each command is a thin call into a module below.

Messages go to stderr prefixed ``benchcast:``; exit codes: 0 ok, 1 failed, 2 usage or refused,
and ``stream``/``live`` return the streamed command's own exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchcast import settings


def _err(message: str) -> None:
    sys.stderr.write(f"benchcast: {message}\n")


def _refused(reply: dict[str, Any]) -> bool:
    """Whether the stream refused what was sent; if so, why is on stderr."""
    if reply.get("ok"):
        return False
    _err("; ".join(reply.get("errors") or [str(reply.get("error", "refused"))]))
    return True


def _add_store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        help=settings.SETTINGS["data"].help
        + " (env BENCHCAST_DATA; default: the per-user data folder)",
    )
    p.add_argument("--db", help=settings.SETTINGS["db"].help + " (env BENCHCAST_DB)")


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from benchcast.store.database import Store

    return Store(settings.db_url(args.data, args.db))


def cmd_serve(args: argparse.Namespace) -> int:
    from benchcast.server.run import bind, serve, url_of

    host = settings.resolve("host", args.host)
    port = int(settings.resolve("port", args.port))
    try:
        sock = bind(host, port)
    except OSError as err:
        _err(f"cannot listen on {host}:{port}: {err.strerror}")
        return 1
    url = url_of(sock)
    db = settings.db_url(args.data, args.db)
    bus = str(settings.resolve("bus", args.bus))
    log_format = str(settings.resolve("log_format", args.log_format))
    if log_format not in ("text", "json"):
        _err(f"--log-format must be text or json, not {log_format!r}")
        return 2
    _err(f"serving on {url} (store: {db.split('://')[0]}, bus: {bus.split('://')[0]})")
    print(url, flush=True)
    serve(sock, db, log_level=args.log_level, bus_url=bus, log_format=log_format)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from benchcast.store import migrate
    from benchcast.store.database import display_url, engine_url

    url = settings.db_url(args.data, args.db)
    engine = create_engine(engine_url(url))
    try:
        before = migrate.upgrade(engine)
    except Exception as err:
        _err(f"could not upgrade {display_url(url)}: {err}")
        return 1
    finally:
        engine.dispose()
    if before == migrate.HEAD:
        _err(f"{display_url(url)} is up to date (revision {migrate.HEAD})")
    else:
        _err(f"upgraded {display_url(url)} from {before or 'nothing'} to {migrate.HEAD}")
    return 0


def cmd_channel_create(args: argparse.Namespace) -> int:
    from benchcast.store.database import StoreError

    store = _store(args)
    try:
        channel, key = store.create_channel(args.name)
    except StoreError as err:
        _err(str(err))
        return 2
    finally:
        store.close()
    _err(
        f"created channel {channel.name!r}; its stream key is shown once, below — keep it "
        "secret, it lets anyone stream on this channel"
    )
    print(key)
    return 0


def cmd_streams(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        streams = store.streams(limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps([s.summary() for s in streams], indent=2))
        return 0
    for s in streams:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started_at))
        state = "LIVE" if s.live else f"{int(s.last_t // 60)}m{int(s.last_t % 60):02d}s"
        print(f"{s.id}  {when}  {state:>9}  {s.channel:<16} {s.title}")
    if not streams:
        _err("no streams yet")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        stream = store.stream(args.stream_id)
        if stream is None:
            _err(f"no stream {args.stream_id!r}")
            return 2
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            from benchcast.cli_archive import export_stream

            n = export_stream(store, stream.id, args.format, out)
        finally:
            if out is not sys.stdout:
                out.close()
    finally:
        store.close()
    _err(
        f"exported {n} events of stream {stream.id} as {args.format}"
        + (f" to {args.output}" if args.output else "")
    )
    return 0


def _stream_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--title", default="", help="the stream's title")
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        dest="tags",
        help="a field or topic tag (repeatable): --tag ml --tag debugging",
    )
    p.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="broadcast delay: hold everything this long on this machine before "
        "sending, so `benchcast panic` can drop it",
    )
    p.add_argument(
        "--secrets-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of extra values to hide, one per line (repeatable); they "
        "are read into memory and never written anywhere",
    )
    p.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="DIR",
        help="folder to show on the code panel (its files, live, and git), leaving out what "
        "git ignores, .benchcastignore and secret files; its .env files hold secrets to hide "
        "(stream: none shown unless given; live: the current folder)",
    )
    p.add_argument(
        "--no-files",
        action="store_true",
        help="show no folder on the code panel (--watch folders still give secrets to hide)",
    )
    p.add_argument(
        "--video",
        metavar="URL",
        help="the video you broadcast of this session, shown on the stream page beside the "
        "panels: a Twitch channel (https://www.twitch.tv/NAME), a YouTube video or channel "
        "(https://youtu.be/ID, https://www.youtube.com/channel/UC…) or an HLS URL",
    )
    p.add_argument(
        "--video-offset",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how far the video runs behind (0 to 600; default 0): viewers' panels wait this "
        "long, so they line up with it",
    )


def _video(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``video`` payload for --video/--video-offset (None without them); a bad value
    stops here, before anything goes on air."""
    from benchcast.events import EventError
    from benchcast.video import parse_video

    if args.video is None:
        if args.video_offset is not None:
            raise SystemExit("benchcast: --video-offset needs --video URL")
        return None
    try:
        return parse_video(args.video, args.video_offset or 0.0)
    except EventError as err:
        raise SystemExit(f"benchcast: --video: {err}") from None


def _code_folder(args: argparse.Namespace, default: Path | None) -> Path | None:
    """The folder the code panel shows: the first --watch, else ``default``."""
    if args.no_files:
        return None
    if not args.watch and default is not None:
        home = default.resolve()
        if home in (Path.home().resolve(), Path(home.anchor)):
            # A whole home folder is not a project: its file names are nobody's business.
            _err(f"not showing {default} on the code panel (a home folder); use --watch DIR")
            return None
    folder = Path(args.watch[0]) if args.watch else default
    if folder is not None and not folder.is_dir():
        raise SystemExit(f"benchcast: --watch {folder}: not a folder")
    return folder


def _extra_secrets(files: list[str]) -> list[str]:
    values: list[str] = []
    for name in files:
        try:
            values += [
                line.strip()
                for line in Path(name).read_text().splitlines()
                if line.strip() and not line.startswith("#")
            ]
        except OSError as err:
            raise SystemExit(
                f"benchcast: cannot read secrets file {name}: {err.strerror}"
            ) from None
    return values


def _control_socket(args: argparse.Namespace) -> Path | None:
    env = os.environ.get("BENCHCAST_CONTROL")
    if env:
        return Path(env)
    folder = Path(settings.resolve("data", getattr(args, "data", None))).expanduser() / "control"
    sockets = (
        sorted(folder.glob("*.sock"), key=lambda p: p.stat().st_mtime, reverse=True)
        if folder.is_dir()
        else []
    )
    return sockets[0] if sockets else None


def cmd_control(args: argparse.Namespace) -> int:
    from benchcast.broadcast.control import send

    path = _control_socket(args)
    if path is None:
        _err("no running stream found (run this inside a streamed shell, or set BENCHCAST_CONTROL)")
        return 1
    try:
        reply = send(path, {"command": args.command})
    except OSError as err:
        _err(f"the stream at {path} does not answer: {err}")
        return 1
    if not reply.get("ok"):
        _err(str(reply.get("error", "refused")))
        return 1
    if args.command == "status":
        print(json.dumps(reply, indent=2))
    elif args.command == "panic":
        _err(f"off air; {reply.get('dropped', 0)} held events dropped")
    else:
        _err({"pause": "paused", "resume": "back on air"}[args.command])
    return 0


def cmd_narrate(args: argparse.Namespace) -> int:
    """`note`, `mark`, `activity`, `now`: one event into the running stream."""
    from benchcast.broadcast.control import send

    if args.command == "note":
        event = {"kind": "note", "source": "notes", "data": {"text": " ".join(args.text)}}
    elif args.command == "mark":
        event = {"kind": "marker", "source": "stream", "data": {"label": " ".join(args.label)}}
    elif args.command == "activity":
        event = {"kind": "activity", "source": "stream", "data": {"mode": " ".join(args.mode)}}
    else:
        event = {
            "kind": "now",
            "source": "stream",
            "data": {
                "goal": args.goal or "",
                "hypothesis": args.hypothesis or "",
                "next": args.next or "",
            },
        }
    path = _control_socket(args)
    if path is None:
        _err("no running stream found (run this inside a streamed shell, or set BENCHCAST_CONTROL)")
        return 1
    try:
        reply = send(path, {"command": "events", "events": [event]})
    except OSError as err:
        _err(f"the stream at {path} does not answer: {err}")
        return 1
    if _refused(reply):
        return 2
    return 0


def cmd_paper(args: argparse.Namespace) -> int:
    """`benchcast paper FILE.pdf`: put a local PDF on the running stream (docs/papers.md)."""
    import base64

    from benchcast.broadcast.control import send
    from benchcast.papers import PaperError, check_size, inspect

    path = Path(args.file)
    try:
        check_size(path.stat().st_size)
        data = path.read_bytes()
        info = inspect(data, path.name)
    except OSError as err:
        _err(f"cannot read {path}: {err.strerror}")
        return 1
    except PaperError as err:
        _err(str(err))
        return 2
    control = _control_socket(args)
    if control is None:
        _err("no running stream found (run this inside a streamed shell, or set BENCHCAST_CONTROL)")
        return 1
    title = " ".join(args.title.split())[:200] if args.title else info.title
    paper = {"title": title, "pages": info.pages, "searchable": info.searchable, "size": info.size}
    try:
        # The bytes wait on the publisher until the event that names them is spooled.
        reply = send(
            control,
            {"command": "blob", "mime": "application/pdf", "data": base64.b64encode(data).decode()},
            timeout=60,
        )
        if reply.get("ok"):
            data_ = {**paper, "blob": reply["hash"]}
            event = {"kind": "paper.open", "source": "paper", "data": data_}
            reply = send(control, {"command": "events", "events": [event]})
    except OSError as err:
        _err(f"the stream at {control} does not answer: {err}")
        return 1
    if _refused(reply):
        return 2
    _err(f"on stream: {title} ({info.pages} pages)")
    if not info.searchable:
        _err("it has no text layer (a scan?): viewers see its pages; search cannot find its text")
    if info.scripts:
        _err("it holds JavaScript, which is never run (not here, not in viewers' browsers)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from benchcast.broadcast.redact import Redactor
    from benchcast.replay.asciicast import AsciicastError
    from benchcast.replay.importer import import_file
    from benchcast.store.database import StoreError

    store = _store(args)
    status = 0
    try:
        for name in args.files:
            # A recording is raw terminal output: it is redacted as a live stream would be,
            # with the rules and the known values of the machine that imports it.
            redactor = Redactor.for_streamer(folders=[Path.cwd()])
            try:
                stream = import_file(
                    store,
                    Path(name),
                    channel=args.channel,
                    title=args.title,
                    redact=redactor.replay,
                )
            except AsciicastError as err:
                _err(f"{name}: not imported: {err}")
                status = 2
                continue
            except (OSError, UnicodeDecodeError, StoreError) as err:
                _err(f"{name}: not imported: {err}")
                status = 2
                continue
            except Exception as err:  # the other files are still imported
                _err(f"{name}: not imported: {type(err).__name__}: {err}")
                status = 2
                continue
            _err(
                f"{name}: imported as stream {stream.id} on channel {stream.channel!r} "
                f"({stream.last_seq} events, {stream.last_t:.1f} s)"
            )
            print(stream.id)
    finally:
        store.close()
    return status


def cmd_preview(args: argparse.Namespace) -> int:
    from benchcast.broadcast.redact import Redactor

    redactor = Redactor.for_streamer(
        folders=[Path(d) for d in args.watch] or [Path.cwd()],
        extra=_extra_secrets(args.secrets_file),
    )
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8", errors="replace")
    else:
        text = sys.stdin.read()
    sys.stdout.write(redactor.preview(text))
    sys.stdout.flush()
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    from benchcast.broadcast.session import Broadcast

    server = settings.resolve("server", args.server)
    key = settings.resolve("key", args.key)
    if not server or not key:
        _err("stream needs --server URL and --key KEY (or BENCHCAST_SERVER and BENCHCAST_KEY)")
        return 2
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    data = Path(settings.resolve("data", args.data)).expanduser()
    video = _video(args)
    bc = Broadcast(
        server=server,
        key=key,
        data_dir=data,
        title=args.title,
        tags=args.tags,
        resume=args.resume,
        delay=args.delay,
        watch=[Path(d) for d in args.watch],
        secrets=_extra_secrets(args.secrets_file),
        code=_code_folder(args, None),
    )
    bc.start()
    if video is not None:
        bc.handle(
            {"command": "events", "events": [{"kind": "video", "source": "stream", "data": video}]}
        )
    if bc.uplink.info.url:
        _err(f"live at {bc.uplink.info.url}")
    if args.resume and not cmd:
        bc.resume_only()
        status = 0
    else:
        status = bc.run_terminal(cmd or None)
    left = bc.close(drain=args.drain)
    if left:
        _err(
            f"{left} events not yet delivered; they are kept on disk — run "
            "`benchcast stream --resume` with the same server and key to send them"
        )
    elif bc.uplink.info.url:
        _err(f"stream ended; the archive is at {bc.uplink.info.url}")
    return status


def cmd_live(args: argparse.Namespace) -> int:
    from benchcast.live import go_live

    return go_live(
        title=args.title,
        tags=args.tags,
        data=args.data,
        port=args.port,
        cmd=[c for c in args.cmd if c != "--"] or None,
        delay=args.delay,
        watch=[Path(d) for d in args.watch],
        secrets=_extra_secrets(args.secrets_file),
        code=_code_folder(args, Path.cwd()),
        video=_video(args),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from benchcast.demo import run_demo

    return run_demo(port=args.port, host=args.host, data=args.data, rounds=args.rounds)


def cmd_user_add(args: argparse.Namespace) -> int:
    import getpass

    from benchcast.server.audience.accounts import AccountError, add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            _err("the passwords differ")
            return 2
    store = _store(args)
    try:
        user = add_user(store, args.name, password, args.role)
    except AccountError as err:
        _err(str(err))
        return 2
    finally:
        store.close()
    _err(f"created account {user.name!r} (u:{user.id}, {user.role}); log in at /login")
    return 0


def cmd_user_grant(args: argparse.Namespace) -> int:
    from benchcast.server.audience.accounts import AccountError, grant

    store = _store(args)
    try:
        grant(store, args.name, args.channel, None if args.role == "none" else args.role)
    except AccountError as err:
        _err(str(err))
        return 2
    finally:
        store.close()
    what = "no longer streamer or moderator of" if args.role == "none" else f"{args.role} of"
    _err(f"{args.name} is {what} channel {args.channel!r}")
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    from benchcast.inbox import NOTICES, InboxError, run

    server = settings.resolve("server", args.server)
    key = settings.resolve("key", args.key)
    notice = str(settings.resolve("notify", args.notify))
    if not server or not key:
        _err("inbox needs --server URL and --key KEY (or BENCHCAST_SERVER and BENCHCAST_KEY)")
        return 2
    if notice not in NOTICES:
        _err(f"--notify is one of {', '.join(NOTICES)}, not {notice!r}")
        return 2
    try:
        return run(server, key, once=args.once, notice=notice, interval=args.interval)
    except InboxError as err:
        _err(str(err))
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchcast",
        description="Live-stream the practice of science: your terminal, as text, to a web "
        "page anyone with the link can watch, kept as a replayable archive.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "serve",
        help="run a Benchcast server",
        description="Run a Benchcast server (one process, SQLite by default).",
    )
    p.add_argument("--host", help=settings.SETTINGS["host"].help + " (default 127.0.0.1)")
    p.add_argument("--port", type=int, help=settings.SETTINGS["port"].help + " (default 8765)")
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much the server logs",
    )
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        help=settings.SETTINGS["log_format"].help + " (env BENCHCAST_LOG_FORMAT; default text)",
    )
    p.add_argument(
        "--bus", help=settings.SETTINGS["bus"].help + " (env BENCHCAST_BUS; default memory://)"
    )
    _add_store_args(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "db",
        help="manage the store's schema",
        description="Manage the store's schema (SQLite or PostgreSQL).",
    )
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    d = dsub.add_parser(
        "upgrade",
        help="bring the store's schema up to date",
        description="Apply every migration the store lacks. Servers do this on start too; run "
        "it ahead of a rollout to many processes, or to check a database.",
    )
    _add_store_args(d)
    d.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser(
        "channel",
        help="manage channels",
        description="Manage channels (each has a secret stream key).",
    )
    csub = p.add_subparsers(dest="channel_command", metavar="ACTION", required=True)
    c = csub.add_parser(
        "create",
        help="create a channel and print its stream key",
        description="Create a channel; its stream key is the last line of stdout, shown once.",
    )
    c.add_argument("name", help="channel name: lowercase letters, digits, '-' and '_'")
    _add_store_args(c)
    c.set_defaults(func=cmd_channel_create)

    p = sub.add_parser(
        "stream",
        help="stream a command's terminal to a server",
        description="Run CMD (default: $SHELL) in a pty and stream it live.",
    )
    p.add_argument("--server", help=settings.SETTINGS["server"].help + " (env BENCHCAST_SERVER)")
    p.add_argument("--key", help=settings.SETTINGS["key"].help + " (env BENCHCAST_KEY)")
    _stream_opts(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the stream whose events are still in the spool (after a "
        "crash), sending them first",
    )
    p.add_argument(
        "--drain",
        type=float,
        default=10.0,
        help="seconds to wait at the end for the server to acknowledge everything",
    )
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS… (default: $SHELL)")
    p.set_defaults(func=cmd_stream)

    p = sub.add_parser(
        "live",
        help="go live from this folder, now",
        description="Stream your shell: uses the configured server "
        "(BENCHCAST_SERVER/BENCHCAST_KEY), else a local one on "
        "127.0.0.1, starting it if none runs. Prints the URL.",
    )
    _stream_opts(p)
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="port of the local server (default 8765; busy → a free one)",
    )
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS… (default: $SHELL)")
    p.set_defaults(func=cmd_live)

    p = sub.add_parser(
        "demo",
        help="a live demo stream to open in a browser",
        description="Start a server and stream a scripted but real terminal "
        "session (a tiny experiment that trains and prints its "
        "loss). Prints the URL to open.",
    )
    p.add_argument(
        "--port", type=int, default=8765, help="port to serve on (default 8765; 0 picks a free one)"
    )
    p.add_argument("--host", default="127.0.0.1", help=settings.SETTINGS["host"].help)
    p.add_argument("--data", help="store folder (default: a fresh temporary folder)")
    p.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="how many demo sessions to stream before exiting (0: until Ctrl-C)",
    )
    p.set_defaults(func=cmd_demo)

    for name, text in (
        ("pause", "go off air: nothing is sent until resume (hotkey: Ctrl-] p)"),
        ("resume", "go back on air; viewers get the screen as it is now"),
        ("panic", "drop everything the broadcast delay holds and go off air (hotkey: Ctrl-] x)"),
        ("status", "show the running stream's state as JSON"),
    ):
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("--data", help=settings.SETTINGS["data"].help)
        p.set_defaults(func=cmd_control)

    from benchcast.events import Activity

    p = sub.add_parser(
        "note",
        help="add a narration note (markdown) to the running stream",
        description="Add a narration note (markdown) to the running stream.",
    )
    p.add_argument("text", nargs="+", help="the note")
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_narrate)
    p = sub.add_parser(
        "mark",
        help="mark this moment (it becomes a chapter)",
        description="Mark this moment of the running stream with a label; marks become chapters.",
    )
    p.add_argument("label", nargs="+", help="what happens from here")
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_narrate)
    p = sub.add_parser(
        "activity",
        help="say what you are doing now (chapters by activity)",
        description="Say what you are doing now; one of: "
        + ", ".join(a.value for a in Activity)
        + ".",
    )
    p.add_argument("mode", nargs="+", help="the activity, e.g. debugging")
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_narrate)
    p = sub.add_parser(
        "now",
        help="set the stream's goal, hypothesis and next step",
        description="Set what late joiners see first: the goal, the current "
        "hypothesis and the next step.",
    )
    p.add_argument("--goal", help="what this session is for")
    p.add_argument("--hypothesis", help="what you currently believe and are testing")
    p.add_argument("--next", help="the next step")
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_narrate)

    p = sub.add_parser(
        "paper",
        help="put a local PDF on the running stream (viewers read it with you)",
        description="Put a local PDF on the running stream: it is sent once (named by its "
        "sha256), viewers read the same pages, and its text becomes searchable. Open the "
        "studio's reader (/studio/CHANNEL/paper) to page, highlight and annotate it.",
    )
    p.add_argument("file", metavar="FILE.pdf", help="the paper (a PDF of at most 32 MB)")
    p.add_argument("--title", help="the title viewers see (default: the PDF's own, or its name)")
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_paper)

    p = sub.add_parser(
        "import",
        help="import asciicast recordings as past streams",
        description="Import asciicast v1, v2 or v3 recordings as past streams "
        "(one per file; prints each new stream's id). Secrets are hidden as in a live stream: "
        "by the rules, and by the known values of this machine (docs/security.md).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="recordings (.cast, .json)")
    p.add_argument(
        "--channel",
        default="imported",
        help="channel to put them on (created if missing; default: imported)",
    )
    p.add_argument("--title", help="title for the streams (default: the recording's own)")
    _add_store_args(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "preview",
        help="show what viewers would see of some text",
        description="Print FILE (or stdin) as viewers would receive it, with "
        "everything the redactor hides masked: "
        "`env | benchcast preview`.",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="file to read (default: stdin)")
    p.add_argument(
        "--secrets-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of extra values to hide, one per line",
    )
    p.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="DIR",
        help="folder whose .env files hold secrets to hide (default: here)",
    )
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("streams", help="list streams", description="List streams, newest first.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=100, help="at most this many")
    _add_store_args(p)
    p.set_defaults(func=cmd_streams)

    p = sub.add_parser(
        "export",
        help="export a stream",
        description="Export a stream as an asciicast v2 or v3 recording (chapters as "
        "markers), as JSONL events (one envelope per line), or as a self-contained HTML page "
        "that replays it from file://.",
    )
    p.add_argument("stream_id", metavar="STREAM_ID", help="the stream's id (see `streams`)")
    from benchcast.cli_archive import EXPORT_FORMATS, add_commands

    p.add_argument(
        "--format",
        choices=list(EXPORT_FORMATS),
        required=True,
        help="; ".join(f"{name}: {what}" for name, what in EXPORT_FORMATS.items()),
    )
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    _add_store_args(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "user",
        help="manage accounts (the streamer, moderators, viewers)",
        description="Manage accounts. Anyone may watch and chat under a guest name; accounts "
        "are for the streamer, moderators, and viewers of accounts-only chats.",
    )
    usub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    u = usub.add_parser(
        "add",
        help="create an account (asks for its password)",
        description="Create an account. An admin is the streamer of every channel.",
    )
    u.add_argument("name", help="display name (2-24 letters, digits, spaces, _ - . ')")
    u.add_argument(
        "--role", choices=["user", "admin"], default="user", help="user (default) or admin"
    )
    u.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    _add_store_args(u)
    u.set_defaults(func=cmd_user_add)
    u = usub.add_parser(
        "grant",
        help="make an account a channel's streamer or moderator",
        description="Give an account a role on a channel: streamer (its inbox, settings, "
        "moderators) or mod (its inbox and moderation); none takes the role away.",
    )
    u.add_argument("name", help="the account's name")
    u.add_argument("channel", help="the channel's name")
    u.add_argument(
        "--role",
        choices=["streamer", "mod", "none"],
        default="streamer",
        help="streamer (default), mod, or none",
    )
    _add_store_args(u)
    u.set_defaults(func=cmd_user_grant)

    p = sub.add_parser(
        "inbox",
        help="the streamer's inbox, live, in this terminal",
        description="Show bug reports, questions and mentions as they arrive (run it in a "
        "terminal that is not streamed), with a notice when a bug report comes in.",
    )
    p.add_argument("--server", help=settings.SETTINGS["server"].help + " (env BENCHCAST_SERVER)")
    p.add_argument("--key", help=settings.SETTINGS["key"].help + " (env BENCHCAST_KEY)")
    p.add_argument(
        "--notify",
        choices=["title", "bell", "desktop", "none"],
        help=settings.SETTINGS["notify"].help + " (env BENCHCAST_NOTIFY; default title)",
    )
    p.add_argument("--once", action="store_true", help="print the inbox once and exit")
    p.add_argument(
        "--interval", type=float, default=2.0, help="seconds between refreshes (default 2)"
    )
    p.set_defaults(func=cmd_inbox)

    add_commands(sub, csub, dsub)
    from benchcast.transcribe import add_command as add_transcribe

    add_transcribe(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
