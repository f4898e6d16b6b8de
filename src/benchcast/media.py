"""What a run logs besides numbers: images, histograms and tables (``wandb.Image``,
``wandb.Histogram``, ``wandb.Table`` work the same way here).

Each object is turned into plain data when it is made, on the caller's thread: an image
into encoded bytes (PNG unless it already was a file of an image type), a histogram into bin
edges and counts. Logging one is then as cheap as logging a number. numpy, Pillow and
matplotlib are used when the value given is one of theirs; none is needed otherwise.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchcast.events import MAX_BINS, MAX_TABLE_COLUMNS, MAX_TABLE_TOTAL_ROWS

MAX_CELL_CHARS = 1000

_MIME_BY_SUFFIX = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


def encode_png(pixels: bytes, width: int, height: int, channels: int) -> bytes:
    """8-bit PNG of row-major pixels: 1 channel grey, 2 grey+alpha, 3 RGB, 4 RGBA."""
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    stride = width * channels
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def image_size(data: bytes, mime: str) -> tuple[int | None, int | None]:
    """Width and height read from an encoded image's header, where that is cheap."""
    try:
        if mime == "image/png" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if mime == "image/gif" and len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return int(w), int(h)
        if mime == "image/jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    break
                marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return int(w), int(h)
                i += 2 + length
    except (struct.error, IndexError):
        pass
    return None, None


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    return None


def _array_png(value: Any, normalize: bool) -> bytes:
    import numpy as np

    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    arr = np.squeeze(arr) if arr.ndim > 3 else arr
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
        arr = np.transpose(arr, (1, 2, 0))  # CHW, as torch keeps images, to HWC
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(f"an image array is HxW, HxWx3 or HxWx4, not {arr.shape}")
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        finite = arr[np.isfinite(arr)]
        if normalize and finite.size and finite.min() >= 0 and finite.max() <= 1:
            arr = arr * 255
        arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
    h, w = arr.shape[:2]
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    return encode_png(np.ascontiguousarray(arr).tobytes(), w, h, channels)


class Image:
    """An image to log: a path, encoded bytes, a numpy array or torch tensor (HxW, HxWxC or
    CxHxW; floats in [0, 1] are scaled to 0-255), a PIL image, or a matplotlib figure."""

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        *,
        normalize: bool = True,
        file_type: str | None = None,
        **_ignored: Any,
    ) -> None:
        self.caption = "" if caption is None else str(caption)
        self.data, self.mime = self._encode(data_or_path, normalize, file_type)
        self.width, self.height = image_size(self.data, self.mime)

    @staticmethod
    def _encode(value: Any, normalize: bool, file_type: str | None) -> tuple[bytes, str]:
        if isinstance(value, Image):
            return value.data, value.mime
        if isinstance(value, str | Path):
            data = Path(value).read_bytes()
            mime = _MIME_BY_SUFFIX.get(Path(value).suffix.lower()) or _sniff(data)
            if mime is None:
                return _pil_png(data), "image/png"
            return data, mime
        if isinstance(value, bytes | bytearray):
            data = bytes(value)
            mime = _sniff(data)
            if mime is None:
                raise ValueError("bytes given to Image are not PNG, JPEG, GIF, WebP or SVG")
            return data, mime
        if hasattr(value, "savefig"):  # a matplotlib figure
            buf = io.BytesIO()
            fmt = "svg" if file_type == "svg" else "png"
            value.savefig(buf, format=fmt, bbox_inches="tight")
            return buf.getvalue(), "image/svg+xml" if fmt == "svg" else "image/png"
        if type(value).__module__.startswith("PIL.") and hasattr(value, "save"):
            buf = io.BytesIO()
            value.save(buf, format="PNG")
            return buf.getvalue(), "image/png"
        if hasattr(value, "__array__") or hasattr(value, "detach"):
            return _array_png(value, normalize), "image/png"
        raise TypeError(f"cannot make an image of {type(value).__name__}")


def _pil_png(data: bytes) -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.open(io.BytesIO(data)).save(buf, format="PNG")
    return buf.getvalue()


class Histogram:
    """A distribution: from values (``sequence``, binned into ``num_bins``) or from a numpy
    histogram (``np_histogram=(counts, edges)``). ``bins`` are the edges, ``histogram`` the
    counts, as in wandb."""

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Sequence[float], Sequence[float]] | None = None,
        num_bins: int = 64,
    ) -> None:
        num_bins = max(1, min(int(num_bins), MAX_BINS))
        if np_histogram is not None:
            given_counts, given_edges = np_histogram
            self.histogram = [float(c) for c in given_counts][:MAX_BINS]
            self.bins = [float(e) for e in given_edges][: len(self.histogram) + 1]
            return
        if sequence is None:
            raise ValueError("Histogram needs a sequence or np_histogram")
        if hasattr(sequence, "detach"):
            sequence = sequence.detach().cpu().numpy()
        try:
            import numpy as np
        except ImportError:
            values = [float(v) for v in _flatten(sequence)]
            self.histogram, self.bins = _bin(values, num_bins)
            return
        arr = np.asarray(sequence, dtype=np.float64).ravel()
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            self.histogram, self.bins = [0.0], [0.0, 1.0]
            return
        hist, edges = np.histogram(arr, bins=num_bins)
        self.histogram = [float(c) for c in hist]
        self.bins = [float(e) for e in edges]


def _flatten(value: Any) -> Iterable[Any]:
    if isinstance(value, list | tuple):
        for v in value:
            yield from _flatten(v)
    else:
        yield value


def _bin(values: list[float], n: int) -> tuple[list[float], list[float]]:
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return [0.0], [0.0, 1.0]
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / n
    counts = [0.0] * n
    for v in values:
        counts[min(n - 1, int((v - lo) / width))] += 1
    return counts, [lo + i * width for i in range(n + 1)]


def cell(value: Any) -> str | float | bool | None:
    """A table cell as the log carries it: text, a number, a bool or null."""
    if value is None or isinstance(value, bool | str):
        return value[:MAX_CELL_CHARS] if isinstance(value, str) else value
    if isinstance(value, int | float):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    if isinstance(value, Image):
        return f"[image {value.caption}]".replace(" ]", "]")
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        try:
            return cell(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)[:MAX_CELL_CHARS]


class Table:
    """Rows and columns to log. Up to ``MAX_TABLE_TOTAL_ROWS`` rows are sent."""

    def __init__(
        self,
        columns: Sequence[Any] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        dataframe: Any = None,
        **_ignored: Any,
    ) -> None:
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.values.tolist()
        rows_in = data if data is not None else rows
        if columns is None:
            width = len(rows_in[0]) if rows_in else 3
            columns = ["Input", "Output", "Expected"] if width == 3 else list(range(width))
        self.columns: list[str] = [str(c)[:200] or "_" for c in columns][:MAX_TABLE_COLUMNS]
        self.data: list[list[Any]] = []
        for row in rows_in or ():
            self.add_data(*row)

    def add_data(self, *row: Any) -> None:
        if len(row) != len(self.columns):
            raise ValueError(f"a row has {len(self.columns)} cells; this one has {len(row)}")
        self.data.append(list(row))

    def add_column(self, name: str, data: Sequence[Any]) -> None:
        if self.data and len(data) != len(self.data):
            raise ValueError("a new column needs one value per row")
        self.columns.append(str(name)[:200])
        if not self.data:
            self.data = [[v] for v in data]
        else:
            for row, v in zip(self.data, data, strict=True):
                row.append(v)

    def pages(self, size: int) -> Iterable[tuple[int, list[list[str | float | bool | None]]]]:
        """(offset, rows) in pages of ``size`` rows, cells made plain."""
        total = min(len(self.data), MAX_TABLE_TOTAL_ROWS)
        for offset in range(0, max(total, 1), size):
            page = self.data[offset : min(offset + size, total)]
            yield offset, [[cell(v) for v in row] for row in page]
