"""Just enough WebM (Matroska/EBML) to carry a browser's MediaRecorder output.

A recording is one byte stream: an *init segment* (the EBML header, the Segment's header,
Info and Tracks) and then *clusters*, each opening with its timecode. A browser's
MediaRecorder hands it over in arbitrary slices; ``Splitter`` cuts the stream where clusters
start, so that the init segment plus any cluster start is something a player can decode from.
Nothing here decodes audio or video: only element headers, cluster timecodes and the
timecode of each SimpleBlock are read; block bodies are skipped.

``shift_cluster`` and ``with_duration`` rewrite the two things that joining several
recordings into one file needs: a cluster's timecode, and the Info's Duration.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
INFO = 0x1549A966
TRACKS = 0x1654AE6B
TIMECODE = 0xE7
SIMPLEBLOCK = 0xA3
BLOCKGROUP = 0xA0
DURATION = 0x4489
#: The Segment's children: inside a cluster of unknown size, one of these ends the cluster.
LEVEL1 = frozenset(
    {0x114D9B74, INFO, TRACKS, 0x1C53BB6B, CLUSTER, 0x1254C367, 0x1043A770, 0x1941A469}
)
#: The most bytes an init segment may have (a MediaRecorder's is a few hundred).
MAX_INIT = 256 * 1024
_UNKNOWN = object()


class WebmError(ValueError):
    """The bytes are not a WebM stream this module can follow."""


@dataclass(frozen=True)
class Piece:
    """A slice of a recording: ``init`` (the init segment), ``cluster`` (starts a cluster: a
    player can begin here after the init segment) or ``more`` (continues the cluster before
    it). ``tc`` is the recording's time (milliseconds) of its first block (0 for init)."""

    kind: str
    data: bytes
    tc: int


def _vint(buf: bytes | bytearray, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, length), None if incomplete.
    With ``keep_marker`` (element IDs) the length marker stays in the value; a size of all
    ones is "unknown" and comes back as -1."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first == 0:
        raise WebmError(f"invalid EBML number at byte {pos}")
    length = 9 - first.bit_length()
    if pos + length > len(buf):
        return None
    value = int.from_bytes(buf[pos : pos + length], "big")
    if keep_marker:
        if length > 4:
            raise WebmError(f"invalid element ID at byte {pos}")
        return value, length
    value &= (1 << (7 * length)) - 1
    if value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def header(buf: bytes | bytearray, pos: int) -> tuple[int, int, int] | None:
    """The element header at ``pos``: (id, size or -1 for unknown, header length), or None
    when the buffer ends inside it."""
    got = _vint(buf, pos, keep_marker=True)
    if got is None:
        return None
    eid, ilen = got
    size = _vint(buf, pos + ilen, keep_marker=False)
    if size is None:
        return None
    return eid, size[0], ilen + size[1]


def _size8(n: int) -> bytes:
    """``n`` as an 8-byte EBML size (room to grow, so rewrites never shift other sizes)."""
    return bytes([0x01]) + n.to_bytes(7, "big")


class Splitter:
    """Cuts one recording's byte stream into pieces at cluster starts, as it arrives.

    ``feed`` takes the next slice and returns the pieces it completes: first the init
    segment (once the first cluster shows where it ends), then the bytes up to where parsing
    got, cut wherever a cluster starts. Bytes of an element header split across slices are
    held back until the rest comes. Concatenating every piece gives back the input.
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self.base = 0  # absolute offset of buf[0]
        self.pos = 0  # parse position in buf
        self.skip = 0  # bytes of an element body still to pass over
        self.where = "top"  # "top" | "segment" | "cluster"
        self.cluster_end: int | None = None  # absolute; None: unknown size
        self.cluster_tc = 0
        self.last_tc = 0
        self.init_done = False
        self.cuts: list[list[int]] = []  # [absolute offset, timecode or -1 until read]
        self.blocks: list[tuple[int, int]] = []  # (absolute offset, timecode) not yet emitted
        self.max_tc = 0  # the newest block timecode seen

    def feed(self, data: bytes) -> list[Piece]:
        self.buf += data
        self._parse()
        return self._emit()

    def _parse(self) -> None:
        buf = self.buf
        while True:
            if self.skip:
                n = min(self.skip, len(buf) - self.pos)
                self.pos += n
                self.skip -= n
                if self.skip:
                    return
            here = self.base + self.pos
            if (
                self.where == "cluster"
                and self.cluster_end is not None
                and here >= self.cluster_end
            ):
                self.where = "segment"
            h = header(buf, self.pos)
            if h is None:
                return
            eid, size, hlen = h
            if self.where == "top":
                if eid == EBML and size >= 0:
                    self.pos += hlen
                    self.skip = size
                elif eid == SEGMENT:
                    self.pos += hlen
                    self.where = "segment"
                else:
                    raise WebmError("not a WebM stream: it must open with an EBML header")
                continue
            if eid == CLUSTER:
                self.cuts.append([here, -1])
                self.where = "cluster"
                self.cluster_end = None if size < 0 else here + hlen + size
                self.pos += hlen
                continue
            if self.where == "cluster":
                if eid in LEVEL1:
                    self.where = "segment"  # the cluster (of unknown size) has ended
                    continue
                if eid == TIMECODE:
                    if len(buf) - self.pos < hlen + size:
                        return
                    start = self.pos + hlen
                    self.cluster_tc = int.from_bytes(buf[start : start + size], "big")
                    for cut in self.cuts:
                        if cut[1] < 0:
                            cut[1] = self.cluster_tc
                    self.pos += hlen + size
                    continue
                if eid == SIMPLEBLOCK:
                    track = _vint(buf, self.pos + hlen, keep_marker=False)
                    if track is None or len(buf) < self.pos + hlen + track[1] + 2:
                        return
                    at = self.pos + hlen + track[1]
                    rel = struct.unpack(">h", bytes(buf[at : at + 2]))[0]
                    tc = self.cluster_tc + rel
                    self.blocks.append((here, tc))
                    self.max_tc = max(self.max_tc, tc)
            if size < 0:
                raise WebmError(f"element {eid:#x} of unknown size where none may be")
            self.pos += hlen
            self.skip = size

    def _emit(self) -> list[Piece]:
        safe = self.base + self.pos
        for off, tc in self.cuts:
            if tc < 0:  # a cluster whose timecode has not arrived: stop before it
                safe = min(safe, off)
        out: list[Piece] = []
        start = self.base
        if not self.init_done:
            if not self.cuts or self.cuts[0][0] > safe:
                if len(self.buf) > MAX_INIT:
                    raise WebmError(f"no cluster in the first {MAX_INIT} bytes")
                return out
            end = self.cuts[0][0]
            out.append(Piece("init", bytes(self.buf[: end - self.base]), 0))
            self.init_done = True
            start = end
        bounds = sorted({start, safe, *(c[0] for c in self.cuts if start < c[0] < safe)})
        tcs = {c[0]: c[1] for c in self.cuts}
        for a, b in itertools.pairwise(bounds):
            if a in tcs:
                kind, tc = "cluster", tcs[a]
            else:
                kind = "more"
                tc = next((t for off, t in self.blocks if a <= off < b), self.last_tc)
            self.last_tc = max(self.last_tc, tc)
            out.append(Piece(kind, bytes(self.buf[a - self.base : b - self.base]), tc))
        if safe > self.base:
            drop = safe - self.base
            del self.buf[:drop]
            self.pos -= drop
            self.base = safe
        self.cuts = [c for c in self.cuts if c[0] >= safe]
        self.blocks = [b for b in self.blocks if b[0] >= safe]
        return out


def shift_cluster(piece: bytes, delta_ms: int) -> bytes:
    """A cluster piece with its timecode moved by ``delta_ms`` (the cluster's first child
    must be its Timecode, as every muxer writes it)."""
    if delta_ms == 0:
        return piece
    h = header(piece, 0)
    if h is None or h[0] != CLUSTER:
        raise WebmError("not a cluster")
    _, size, hlen = h
    t = header(piece, hlen)
    if t is None or t[0] != TIMECODE:
        raise WebmError("cluster does not start with its timecode")
    tsize, thlen = t[1], t[2]
    old = int.from_bytes(piece[hlen + thlen : hlen + thlen + tsize], "big")
    new_tc = bytes([TIMECODE, 0x88]) + max(0, old + delta_ms).to_bytes(8, "big")
    rest = piece[hlen + thlen + tsize :]
    if size < 0:
        head = piece[:hlen]
    else:
        head = CLUSTER.to_bytes(4, "big") + _size8(size - thlen - tsize + len(new_tc))
    return head + new_tc + rest


def with_duration(init: bytes, seconds: float) -> bytes:
    """The init segment with Info's Duration set to ``seconds`` (timecode scale: 1 ms, a
    MediaRecorder's), and the Segment's size made unknown (what follows may be any length)."""
    h = header(init, 0)
    if h is None or h[0] != EBML:
        raise WebmError("not a WebM init segment")
    pos = h[2] + h[1]
    seg = header(init, pos)
    if seg is None or seg[0] != SEGMENT:
        raise WebmError("no Segment after the EBML header")
    out = bytearray(init[:pos])
    out += SEGMENT.to_bytes(4, "big") + bytes([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    pos += seg[2]
    while pos < len(init):
        el = header(init, pos)
        if el is None or el[1] < 0:
            raise WebmError("truncated init segment")
        eid, size, hlen = el
        body = init[pos + hlen : pos + hlen + size]
        if eid == INFO:
            kept = bytearray()
            p = 0
            while p < len(body):
                child = header(body, p)
                if child is None or child[1] < 0:
                    raise WebmError("truncated Info")
                if child[0] != DURATION:
                    kept += body[p : p + child[2] + child[1]]
                p += child[2] + child[1]
            kept += DURATION.to_bytes(2, "big") + bytes([0x88]) + struct.pack(">d", seconds * 1000)
            out += INFO.to_bytes(4, "big") + _size8(len(kept)) + kept
        else:
            out += init[pos : pos + hlen + size]
        pos += hlen + size
    return bytes(out)


def block_times(data: bytes) -> int:
    """The newest block timecode (ms) in a run of whole pieces that starts at a cluster."""
    s = Splitter()
    s.where = "segment"
    s.init_done = True
    s.feed(data)
    return s.max_tc
