"""``benchcast transcribe``: captions of what the streamer says, made on the streamer's machine.

It reads the stream's audio — the stored media track (``GET /api/streams/{id}/media/track.webm``),
followed as it grows, or an audio file — decodes it with ffmpeg to 16 kHz mono, cuts it into
windows of a few seconds, transcribes each with a local speech-to-text model (faster-whisper,
the optional ``transcribe`` extra) and sends each segment as a ``transcript`` event through
the running publisher's control socket, like ``benchcast note``: the redactor scans the text
before it leaves the machine, the server stores and indexes it, viewers see captions.

Nothing is downloaded: ``--model`` is a folder holding a Whisper model converted for
CTranslate2, fetched once by the streamer. Without faster-whisper, or without a model, the
command says how to enable it and exits with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from benchcast import settings

#: Samples per second and bytes per sample of what ffmpeg hands the model (s16le, mono).
RATE = 16_000
WIDTH = 2
#: Seconds between two looks at a live track that has not grown.
POLL = 2.0

HOW_TO_ENABLE = (
    "Transcribing runs on this machine with faster-whisper and a model you keep locally; "
    "nothing is downloaded while streaming. To enable it: "
    "(1) pip install 'benchcast[transcribe]'; "
    "(2) put a Whisper model converted for CTranslate2 in a folder once "
    "(for example the files of Systran/faster-whisper-small); "
    "(3) run `benchcast transcribe --model FOLDER` beside your stream "
    "(or set BENCHCAST_TRANSCRIBE_MODEL=FOLDER)"
)


class TranscribeError(Exception):
    """Transcribing cannot start or go on; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class Segment:
    """Words heard between ``start`` and ``end`` seconds of the audio given."""

    start: float
    end: float
    text: str


#: Transcribes 16 kHz mono s16le audio; returns its segments, timed within that audio.
Recognizer = Callable[[bytes], list[Segment]]


def whisper(model: str, *, language: str | None = None) -> Recognizer:
    """A faster-whisper recognizer for the model in folder ``model`` (never downloaded)."""
    if importlib.util.find_spec("faster_whisper") is None:
        raise TranscribeError("faster-whisper is not installed. " + HOW_TO_ENABLE)
    folder = Path(model).expanduser()
    if not (folder / "model.bin").is_file():
        raise TranscribeError(
            f"--model {model}: not a folder holding a CTranslate2 Whisper model "
            "(model.bin, config.json, tokenizer.json …). " + HOW_TO_ENABLE
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: never fetch anything
    import numpy as np
    from faster_whisper import WhisperModel

    wm = WhisperModel(str(folder), device="auto", compute_type="default", local_files_only=True)

    def recognize(pcm: bytes) -> list[Segment]:
        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        segments, _info = wm.transcribe(audio, language=language, vad_filter=True, beam_size=1)
        return [Segment(float(s.start), float(s.end), s.text.strip()) for s in segments]

    return recognize


def windows(pcm: IO[bytes], seconds: float) -> Iterator[tuple[float, bytes]]:
    """The audio in windows of ``seconds``, each with its start (seconds into the audio)."""
    size = max(1, int(seconds * RATE)) * WIDTH
    at = 0
    buf = b""
    while True:
        chunk = pcm.read(size - len(buf))
        if not chunk:
            break
        buf += chunk
        if len(buf) >= size:
            yield at / (RATE * WIDTH), buf
            at += len(buf)
            buf = b""
    if len(buf) >= WIDTH * RATE // 10:  # a last tenth of a second or more
        yield at / (RATE * WIDTH), buf


def _decoder(source: str | None) -> subprocess.Popen[bytes]:
    """ffmpeg decoding ``source`` (a file; None: its stdin) to 16 kHz mono s16le on stdout."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise TranscribeError(
            "ffmpeg is needed to decode the audio; install it (apt install ffmpeg)"
        )
    return subprocess.Popen(
        [ffmpeg, "-nostdin", "-loglevel", "error", "-i", source or "pipe:0",
         "-f", "s16le", "-ac", "1", "-ar", str(RATE), "pipe:1"],
        stdin=subprocess.DEVNULL if source else subprocess.PIPE,
        stdout=subprocess.PIPE,
    )  # fmt: skip


def follow_track(
    url: str,
    sink: IO[bytes],
    *,
    alive: Callable[[], bool],
    on_start: Callable[[float], None] = lambda _t0: None,
    key: str | None = None,
) -> None:
    """Copy the media track at ``url`` into ``sink`` and keep copying what is added to it
    while ``alive()``. ``on_start`` learns the stream time the track begins at (its
    ``X-Media-T0``) before the first byte is copied. ``key``: the channel's stream key, which
    a private stream's track needs.

    The server answers the whole track each time, with the same head; what follows the bytes
    already copied is what was added since."""
    import httpx

    sent = 0
    checked = False
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(timeout=30, headers=headers) as client:
        while True:
            res = client.get(url)
            if res.status_code == 200:
                if sent == 0:
                    on_start(float(res.headers.get("X-Media-T0", "0") or 0))
                body = res.content
                if len(body) > sent:
                    sink.write(body[sent:])
                    sink.flush()
                    sent = len(body)
            elif res.status_code == 404:
                # No audio yet, or no stream this request may see (a private one, without the
                # key): the stream's own page tells which, once.
                if not checked:
                    checked = True
                    stream_url = url.rsplit("/media/", 1)[0]
                    if client.get(stream_url).status_code == 404:
                        raise TranscribeError(
                            f"{stream_url}: no such stream, or a private one: give the "
                            "channel's stream key (--key; a configured key is sent only to "
                            "the configured server)"
                        )
            else:
                raise TranscribeError(f"{url}: {res.status_code} {res.text[:200]}")
            if not alive():
                return
            time.sleep(POLL)


def transcribe(
    pcm: IO[bytes],
    recognize: Recognizer,
    emit: Callable[[list[dict[str, Any]]], None],
    *,
    offset: Callable[[], float] = lambda: 0.0,
    window: float = 8.0,
) -> int:
    """Transcribe the s16le audio ``pcm`` window by window and ``emit`` each window's
    ``transcript`` events (stream times: the audio's own plus ``offset()``). Returns how
    many segments were sent."""
    sent = 0
    for at, chunk in windows(pcm, window):
        base = offset() + at
        events = [
            {
                "kind": "transcript",
                "source": "voice",
                "data": {
                    "text": s.text[:4000],
                    "start": round(base + max(0.0, s.start), 3),
                    "end": round(base + max(s.start, s.end, 0.0), 3),
                },
            }
            for s in recognize(chunk)
            if s.text.strip()
        ]
        if events:
            emit(events)
            sent += len(events)
    return sent


def _publisher(path: Path) -> Callable[[list[dict[str, Any]]], None]:
    from benchcast.broadcast.control import send

    def emit(events: list[dict[str, Any]]) -> None:
        try:
            reply = send(path, {"command": "events", "events": events})
        except OSError as err:
            raise TranscribeError(f"the stream at {path} does not answer: {err}") from None
        if not reply.get("ok"):
            raise TranscribeError("; ".join(reply.get("errors") or [str(reply.get("error"))]))

    return emit


def _track_url(path: Path) -> str:
    """The running stream's media track, from the viewer URL its publisher knows."""
    from benchcast.broadcast.control import send

    try:
        url = str(send(path, {"command": "status"}).get("url") or "")
    except OSError as err:
        raise TranscribeError(f"the stream at {path} does not answer: {err}") from None
    parts = urlsplit(url)
    segments = parts.path.rstrip("/").split("/")
    if len(segments) < 3 or segments[-2] != "s":
        raise TranscribeError("the running stream has no viewer URL yet; try again in a moment")
    return f"{parts.scheme}://{parts.netloc}/api/streams/{segments[-1]}/media/track.webm"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.replace("ws", "http", 1), parts.netloc


def _key_for(track_url: str, given: str | None) -> str | None:
    """The stream key to read the track with: ``--key`` as given; a configured key only for
    the configured server's own track (it is never handed to another host)."""
    if given:
        return given
    key, server = settings.resolve("key"), settings.resolve("server")
    if key and server and _origin(track_url) == _origin(str(server)):
        return str(key)
    return None


def cmd_transcribe(args: argparse.Namespace) -> int:
    from benchcast.cli import _control_socket

    def err(message: str) -> int:
        print(f"benchcast: {message}", file=sys.stderr)
        return 2

    model = settings.resolve("transcribe_model", args.model)
    if importlib.util.find_spec("faster_whisper") is None:
        return err("faster-whisper is not installed. " + HOW_TO_ENABLE)
    if not model:
        return err("no speech-to-text model given (--model FOLDER). " + HOW_TO_ENABLE)
    path = _control_socket(args)
    if path is None:
        return err(
            "no running stream found (run this beside `benchcast live`, or set BENCHCAST_CONTROL)"
        )
    try:
        recognize = whisper(str(model), language=args.language)
        emit = _publisher(path)
        if args.audio:
            if not Path(args.audio).is_file():
                raise TranscribeError(f"--audio {args.audio}: no such file")
            dec = _decoder(args.audio)
            assert dec.stdout is not None
            with dec.stdout:
                n = transcribe(
                    dec.stdout, recognize, emit, offset=lambda: args.start, window=args.window
                )
            dec.wait()
        else:
            n = _live(path, recognize, emit, args)
    except TranscribeError as e:
        return err(str(e))
    except KeyboardInterrupt:
        return 130
    print(f"benchcast: sent {n} transcript segments", file=sys.stderr)
    return 0


def _live(
    path: Path,
    recognize: Recognizer,
    emit: Callable[[list[dict[str, Any]]], None],
    args: argparse.Namespace,
) -> int:
    """Follow the running stream's media track until the stream ends."""
    from benchcast.broadcast.control import send

    url = args.track or _track_url(path)
    dec = _decoder(None)
    assert dec.stdin is not None and dec.stdout is not None
    t0 = [0.0]

    def alive() -> bool:
        try:
            send(path, {"command": "status"}, timeout=2)
        except OSError:
            return False  # the publisher is gone: the stream ended
        return True

    def feed() -> None:
        assert dec.stdin is not None
        try:
            follow_track(
                url,
                dec.stdin,
                alive=alive,
                on_start=lambda t: t0.__setitem__(0, t),
                key=_key_for(url, args.key),
            )
        except TranscribeError as e:
            print(f"benchcast: {e}", file=sys.stderr)
        finally:
            with contextlib.suppress(OSError):
                dec.stdin.close()

    threading.Thread(target=feed, name="benchcast-track", daemon=True).start()
    # The track's start is known before its first byte is decoded, so before offset() is read.
    with dec.stdout:
        n = transcribe(
            dec.stdout, recognize, emit, offset=lambda: t0[0] + args.start, window=args.window
        )
    dec.wait()
    return n


def add_command(sub: Any) -> None:
    """Add ``transcribe`` to the parser's subcommands."""
    p = sub.add_parser(
        "transcribe",
        help="caption what you say, with a local speech-to-text model (optional)",
        description="Transcribe the running stream's voice track (or --audio FILE) on this "
        "machine with faster-whisper, and send the text as transcript events: captions for "
        "viewers, searchable in the archive, scanned for secrets first. " + HOW_TO_ENABLE + ".",
    )
    p.add_argument(
        "--model",
        metavar="FOLDER",
        help=settings.SETTINGS["transcribe_model"].help + " (env BENCHCAST_TRANSCRIBE_MODEL)",
    )
    p.add_argument(
        "--audio", metavar="FILE", help="transcribe this audio file instead of the live track"
    )
    p.add_argument(
        "--track", metavar="URL", help="the media track to follow (default: the running stream's)"
    )
    p.add_argument(
        "--start",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="stream time the audio begins at (default 0: the track's own times)",
    )
    p.add_argument(
        "--key",
        help="the channel's stream key: a private stream's track needs it (default: the "
        "configured key, sent only to the configured server)",
    )
    p.add_argument("--language", help="the language spoken, e.g. en (default: detected)")
    p.add_argument(
        "--window",
        type=float,
        default=8.0,
        metavar="SECONDS",
        help="seconds of audio per pass (default 8)",
    )
    p.add_argument("--data", help=settings.SETTINGS["data"].help)
    p.set_defaults(func=cmd_transcribe)
