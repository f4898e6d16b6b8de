"""A small reader of TensorBoard event files, for tailing them as they grow.

An event file is a sequence of TFRecords::

    uint64 length | uint32 masked crc32c(length) | bytes data[length] | uint32 masked crc32c(data)

each ``data`` an ``Event`` protocol buffer. Both checksums are checked: a record whose data
fails its check is reported and skipped (its length is still trusted, so reading goes on);
a length that fails its check leaves nothing to trust, so the rest of the file is reported
and skipped. A record cut short at the end of the file is *incomplete* — the writer may
still be writing it — until the file stops growing.

The protobufs are decoded by hand (only what Benchcast streams: scalars, images and
histograms, in TF1 and TF2 layouts), so no tensorflow or protobuf package is needed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# ── crc32c (Castagnoli), as TFRecord masks it ────────────────────────────────────────────


def _table() -> list[int]:
    out = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        out.append(c)
    return out


_CRC_TABLE = _table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord holding ``data`` (for tests and tools that write event files)."""
    length = struct.pack("<Q", len(data))
    return (
        length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))
    )


# ── records ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Problem:
    """Something wrong with a file, at a byte offset, said so a person can act on it."""

    offset: int
    message: str


@dataclass
class RecordReader:
    """Reads the complete records of ``buffer`` from ``offset`` on; call ``feed`` as the file
    grows. ``problems`` collects what was skipped; ``broken`` means nothing more can be read.
    """

    buffer: bytes = b""
    offset: int = 0
    broken: bool = False
    problems: list[Problem] = field(default_factory=list)

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def records(self) -> Iterator[bytes]:
        while not self.broken and len(self.buffer) >= 12:
            header = self.buffer[:8]
            (length,) = struct.unpack("<Q", header)
            (length_crc,) = struct.unpack("<I", self.buffer[8:12])
            if masked_crc(header) != length_crc:
                self.problems.append(
                    Problem(self.offset, "a record's length failed its checksum; the rest of "
                            "the file is skipped")
                )  # fmt: skip
                self.broken = True
                return
            end = 12 + length + 4
            if len(self.buffer) < end:
                return  # incomplete: wait for the rest
            data = self.buffer[12 : 12 + length]
            (data_crc,) = struct.unpack("<I", self.buffer[12 + length : end])
            start = self.offset
            self.buffer = self.buffer[end:]
            self.offset += end
            if masked_crc(data) != data_crc:
                self.problems.append(
                    Problem(start, "a record failed its checksum (corrupt); it was skipped")
                )
                continue
            yield data

    @property
    def incomplete(self) -> int:
        """Bytes of a record not complete yet (0: the file ends on a record boundary)."""
        return 0 if self.broken else len(self.buffer)


# ── protocol buffers ─────────────────────────────────────────────────────────────────────


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 70:
            raise ValueError("varint too long")


def fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a message: ints, bytes, or raw 4/8 bytes."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if i > n:
            raise ValueError("message cut short")
        yield num, wire, value


def _doubles(wire: int, value: bytes) -> list[float]:
    if wire == 1:
        return [struct.unpack("<d", value)[0]]
    return list(struct.unpack(f"<{len(value) // 8}d", value))


def _floats(wire: int, value: bytes) -> list[float]:
    if wire == 5:
        return [struct.unpack("<f", value)[0]]
    return list(struct.unpack(f"<{len(value) // 4}f", value))


@dataclass
class Value:
    """One summary value: a scalar, an image (encoded bytes) or a histogram."""

    tag: str
    scalar: float | None = None
    image: bytes | None = None
    histogram: tuple[list[float], list[float]] | None = None  # (edges, counts)


@dataclass
class Record:
    step: int
    wall_time: float
    values: list[Value]


_DT_FLOAT, _DT_DOUBLE, _DT_INT32, _DT_STRING, _DT_INT64 = 1, 2, 3, 7, 9


def _tensor(buf: bytes) -> tuple[int, list[float], list[bytes], list[int]]:
    """(dtype, numbers, strings, shape) of a TensorProto."""
    dtype, numbers, strings, shape, content = 0, [], [], [], b""
    for num, wire, value in fields(buf):
        if num == 1:
            dtype = value
        elif num == 2:
            for n2, _, dim in fields(value):
                if n2 == 2:
                    for n3, _, size in fields(dim):
                        if n3 == 1:
                            shape.append(size)
        elif num == 4:
            content = value
        elif num == 5 and wire in (2, 5):
            numbers += _floats(wire, value)
        elif num == 6 and wire in (1, 2):
            numbers += _doubles(wire, value)
        elif num == 8:
            strings.append(value)
    if content and not numbers:
        if dtype == _DT_FLOAT:
            numbers = list(struct.unpack(f"<{len(content) // 4}f", content))
        elif dtype == _DT_DOUBLE:
            numbers = list(struct.unpack(f"<{len(content) // 8}d", content))
        elif dtype == _DT_INT32:
            numbers = [float(x) for x in struct.unpack(f"<{len(content) // 4}i", content)]
        elif dtype == _DT_INT64:
            numbers = [float(x) for x in struct.unpack(f"<{len(content) // 8}q", content)]
    return dtype, numbers, strings, shape


def _histo(buf: bytes) -> tuple[list[float], list[float]]:
    lo = hi = 0.0
    limits: list[float] = []
    counts: list[float] = []
    for num, wire, value in fields(buf):
        if num == 1:
            lo = _doubles(wire, value)[0]
        elif num == 2:
            hi = _doubles(wire, value)[0]
        elif num == 6:
            limits += _doubles(wire, value)
        elif num == 7:
            counts += _doubles(wire, value)
    # The last limit is DBL_MAX ("and above"): the largest value seen ends it instead.
    edges = [lo] + [min(limit, hi) for limit in limits]
    return edges[: len(counts) + 1], counts[: len(edges) - 1]


def _value(buf: bytes) -> Value | None:
    tag, plugin = "", ""
    simple: float | None = None
    image = histo = tensor = None
    for num, wire, value in fields(buf):
        if num == 1 or (num == 7 and not tag):  # tag, or the old node_name
            tag = value.decode("utf-8", "replace")
        elif num == 2 and wire == 5:
            simple = _floats(wire, value)[0]
        elif num == 4:
            image = value
        elif num == 5:
            histo = value
        elif num == 8:
            tensor = value
        elif num == 9:
            for n2, _, pd in fields(value):
                if n2 == 1:
                    for n3, _, name in fields(pd):
                        if n3 == 1:
                            plugin = name.decode("utf-8", "replace")
    if simple is not None:
        return Value(tag, scalar=simple)
    if image is not None:
        encoded = next((v for n, _, v in fields(image) if n == 4), None)
        return Value(tag, image=encoded) if encoded else None
    if histo is not None:
        return Value(tag, histogram=_histo(histo))
    if tensor is not None:
        _, numbers, strings, shape = _tensor(tensor)
        if plugin == "images" and len(strings) > 2:  # [width, height, image, …]
            return Value(tag, image=strings[2])
        if plugin == "histograms" and len(shape) == 2 and shape[1] == 3 and numbers:
            triples = [numbers[i : i + 3] for i in range(0, len(numbers) - 2, 3)]
            edges = [triples[0][0]] + [t[1] for t in triples]
            return Value(tag, histogram=(edges, [t[2] for t in triples]))
        if plugin in ("scalars", "") and len(numbers) == 1 and not strings:
            return Value(tag, scalar=numbers[0])
    return None


def parse_event(data: bytes) -> Record | None:
    """The summary values of an ``Event`` (None for events without any: the file version,
    graphs, run metadata)."""
    step, wall = 0, 0.0
    values: list[Value] = []
    for num, wire, value in fields(data):
        if num == 1 and wire == 1:
            wall = _doubles(wire, value)[0]
        elif num == 2 and wire == 0:
            step = value if value < 1 << 63 else value - (1 << 64)
        elif num == 5:
            for n2, _, v in fields(value):
                if n2 == 1:
                    parsed = _value(v)
                    if parsed is not None:
                        values.append(parsed)
    return Record(max(0, step), wall, values) if values else None
