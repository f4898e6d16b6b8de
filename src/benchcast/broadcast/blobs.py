"""Blobs on the streamer's machine: images and other bytes that events refer to by hash.

A blob cannot be scanned for secrets (Benchcast does not OCR), so it follows the fate of the
event that refers to it rather than going out on its own: a producer hands the bytes over
first and they wait here, in memory, while the event goes through the redactor and the
delay. When the event is spooled, the blob is spooled with it (before it); when the event is
dropped (panic, off air, refused), the blob is never sent and ages out.

Bounded: at most ``MAX_HELD_BYTES`` are held; the oldest blobs are dropped to make room.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from benchcast.events import BLOB_MIMES, MAX_BLOB_BYTES

MAX_HELD_BYTES = 256 * 1024 * 1024
#: A blob no event has claimed after this long (beyond the broadcast delay) is dropped.
MAX_HELD_SECONDS = 120.0
#: Hashes of blobs already spooled that are remembered (so they are not spooled again).
MAX_TAKEN = 10_000


class BlobError(ValueError):
    """A blob was refused; the message says why."""


@dataclass(frozen=True)
class Blob:
    digest: str
    mime: str
    data: bytes


def make_blob(data: bytes, mime: str) -> Blob:
    """Check a blob's size and type, and name it by its sha256."""
    if mime not in BLOB_MIMES:
        raise BlobError(f"blob type {mime!r} is not one of {', '.join(sorted(BLOB_MIMES))}")
    if len(data) > MAX_BLOB_BYTES:
        raise BlobError(f"blob is {len(data)} bytes; the limit is {MAX_BLOB_BYTES}")
    return Blob(hashlib.sha256(data).hexdigest(), mime, data)


def decode_request(request: dict[str, object]) -> Blob:
    """A blob as a local producer sends it: ``{"mime": M, "data": BASE64, "hash": H?}``."""
    mime, data, digest = request.get("mime"), request.get("data"), request.get("hash")
    if not isinstance(mime, str) or not isinstance(data, str):
        raise BlobError('a blob is {"mime": str, "data": base64 str}')
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BlobError("blob data is not base64") from None
    blob = make_blob(raw, mime)
    if digest is not None and digest != blob.digest:
        raise BlobError("blob hash does not match its bytes")
    return blob


class BlobStash:
    """Blobs waiting for the event that refers to them to be spooled. Thread-safe."""

    def __init__(
        self,
        max_bytes: int = MAX_HELD_BYTES,
        max_age: float = MAX_HELD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.clock = clock
        self._held: OrderedDict[str, tuple[float, Blob]] = OrderedDict()
        self._bytes = 0
        self._taken: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, blob: Blob) -> None:
        with self._lock:
            old = self._held.pop(blob.digest, None)
            if old is not None:
                self._bytes -= len(old[1].data)
            self._held[blob.digest] = (self.clock(), blob)
            self._bytes += len(blob.data)
            self._evict()

    def take(self, digest: str) -> Blob | None:
        """The blob, if held and not yet taken: to be spooled with the event that refers to
        it. Later events may refer to it again (a notebook cell is sent as it changes); the
        spool, and then the server, already have it, so it is not taken twice."""
        with self._lock:
            self._evict()
            held = self._held.get(digest)
            if held is None or digest in self._taken:
                return None
            self._taken[digest] = None
            while len(self._taken) > MAX_TAKEN:
                self._taken.popitem(last=False)
            return held[1]

    def _evict(self) -> None:
        cutoff = self.clock() - self.max_age
        while self._held:
            digest, (at, blob) = next(iter(self._held.items()))
            if self._bytes <= self.max_bytes and at >= cutoff:
                return
            del self._held[digest]
            self._bytes -= len(blob.data)
            self.dropped += 1

    def __len__(self) -> int:
        return len(self._held)
