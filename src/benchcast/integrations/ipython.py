"""The IPython extension: ``%load_ext benchcast`` streams every cell IPython runs, in
Jupyter, VS Code or a terminal.

Each executed cell becomes ``nb.cell`` events (``events.NbCell``): one when it starts, one as
its outputs change while it runs (at most about once a second), and one when it ends, each
the whole cell as it stands — source, execution count, duration, status and outputs:

* stdout and stderr, as written during the cell (the cell's own threads included);
* rich outputs where IPython publishes them: ``display()`` and updated displays (the display
  publisher; an update of an earlier cell's display re-sends that cell), matplotlib figures
  (the inline backend publishes them at the end of the cell), and the cell's result (the
  display hook). Images (PNG, JPEG, GIF, SVG) travel as blobs; HTML is sanitized
  (``integrations/html.py``); markdown and plain text are sent as text;
* the error, when the cell raised.

Text is capped (``MAX_TEXT`` characters a cell, the newest kept; the rest is counted in
``truncated``). Everything goes through the redactor like every other event; image bytes
cannot be scanned (docs/security.md). Nothing here runs while the cell runs except appending
to lists: events are made and sent on the producer's thread.

The notebook's name is ``$BENCHCAST_NOTEBOOK``, else the file Jupyter or VS Code says is
open, else "IPython".
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import sys
import threading
import time
import traceback
from collections import OrderedDict
from typing import Any

from benchcast.broadcast.blobs import BlobError, make_blob
from benchcast.events import MAX_CELL_OUTPUTS, MAX_EVENT_BYTES, dumps
from benchcast.integrations.html import sanitize
from benchcast.media import image_size

#: Characters of text (stdout, stderr, HTML, reprs) one cell keeps, the newest.
MAX_TEXT = 64 * 1024
#: One output's text, at most.
MAX_OUTPUT_TEXT = 32 * 1024
#: Cells remembered so that an update of an earlier cell's display can re-send that cell.
MAX_REMEMBERED = 50
UPDATE_EVERY = 1.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_IMAGE_ORDER = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
RICH_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown")


class _Cell:
    def __init__(self, notebook: str, cell_id: str, source: str, count: int | None) -> None:
        self.notebook = notebook
        self.id = cell_id
        self.source = source
        self.count = count
        self.started = time.monotonic()
        self.status = "running"
        self.duration: float | None = None
        self.outputs: list[dict[str, Any]] = []
        self.truncated = 0
        self.dirty = True

    def payload(self) -> dict[str, Any]:
        outputs = self.outputs[-MAX_CELL_OUTPUTS:]
        data: dict[str, Any] = {
            "notebook": self.notebook,
            "cell": self.id,
            "source": self.source,
            "outputs": outputs,
            "execution_count": self.count,
            "status": self.status,
            "duration": self.duration,
            "truncated": self.truncated,
        }
        # The whole event must fit: drop the oldest outputs until it does.
        while len(outputs) > 1 and len(dumps(data).encode()) > MAX_EVENT_BYTES - 4096:
            dropped = outputs.pop(0)
            self.truncated += len(str(dropped.get("text") or dropped.get("html") or ""))
            data["truncated"] = self.truncated
        return data


class _Tee:
    """Stands in for sys.stdout/sys.stderr during a cell: writes through, and keeps a copy."""

    def __init__(self, original: Any, name: str, extension: Extension) -> None:
        self._original = original
        self._name = name
        self._extension = extension

    def write(self, text: str) -> int:
        n = self._original.write(text)
        if not self._extension.paused and isinstance(text, str) and text:
            self._extension.stream(self._name, text)
        return int(n) if isinstance(n, int) else len(text)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _notebook_name(shell: Any) -> str:
    name = os.environ.get("BENCHCAST_NOTEBOOK") or shell.user_ns.get("__vsc_ipynb_file__")
    name = name or os.environ.get("JPY_SESSION_NAME")
    return os.path.basename(str(name))[:200] if name else "IPython"


class Extension:
    """The extension's state for one shell. ``load``/``unload`` wire it in and out."""

    def __init__(self, shell: Any) -> None:
        from benchcast.sdk import shared_producer

        self.shell = shell
        self.notebook = _notebook_name(shell)
        self.producer = shared_producer(self.notebook)
        self.lock = threading.Lock()
        self.cell: _Cell | None = None
        self.remembered: OrderedDict[str, _Cell] = OrderedDict()
        self.displays: dict[str, _Cell] = {}
        self._pause = 0
        self._saved: tuple[Any, Any] | None = None
        self._originals: dict[str, Any] = {}
        self._active_types: list[str] | None = None
        self._ticker = self.producer.every(UPDATE_EVERY, self._changed_cells)

    @property
    def paused(self) -> bool:
        return self._pause > 0

    @contextlib.contextmanager
    def _quiet(self) -> Any:
        """While IPython itself prints what we already took as a rich output."""
        self._pause += 1
        try:
            yield
        finally:
            self._pause -= 1

    # ── wiring ───────────────────────────────────────────────────────────────────────────

    def load(self) -> None:
        shell = self.shell
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        pub, hook = shell.display_pub, shell.displayhook
        self._originals = {
            "publish": pub.publish,
            "write_format_data": hook.write_format_data,
            "write_output_prompt": hook.write_output_prompt,
            "_showtraceback": shell._showtraceback,
        }
        # A terminal IPython computes only text/plain; ask for the forms viewers can show
        # (the terminal still prints text, ignoring the rest).
        formatter = shell.display_formatter
        self._active_types = list(formatter.active_types)
        formatter.active_types = self._active_types + [
            m for m in RICH_TYPES if m not in self._active_types
        ]
        pub.publish = self._publish
        hook.write_format_data = self._write_format_data
        hook.write_output_prompt = self._write_output_prompt
        shell._showtraceback = self._showtraceback

    def unload(self) -> None:
        shell = self.shell
        with contextlib.suppress(ValueError):
            shell.events.unregister("pre_run_cell", self.pre_run_cell)
        with contextlib.suppress(ValueError):
            shell.events.unregister("post_run_cell", self.post_run_cell)
        for name, target in (
            ("publish", shell.display_pub),
            ("write_format_data", shell.displayhook),
            ("write_output_prompt", shell.displayhook),
            ("_showtraceback", shell),
        ):
            with contextlib.suppress(AttributeError):
                delattr(target, name)  # the instance attribute hid the class's method
        if self._active_types is not None:
            shell.display_formatter.active_types = self._active_types
        self._restore_streams()
        self.producer.cancel(self._ticker)
        self._changed_cells()
        self.producer.flush(5.0)

    def _restore_streams(self) -> None:
        if self._saved is not None:
            out, err = self._saved
            if isinstance(sys.stdout, _Tee):
                sys.stdout = out
            if isinstance(sys.stderr, _Tee):
                sys.stderr = err
            self._saved = None

    # ── IPython's events ─────────────────────────────────────────────────────────────────

    def pre_run_cell(self, info: Any) -> None:
        cell_id = getattr(info, "cell_id", None)
        # IPython has already counted this cell when it says it is about to run it.
        count = self.shell.execution_count - (1 if getattr(info, "store_history", True) else 0)
        cell = _Cell(self.notebook, str(cell_id or f"In[{count}]")[:100], info.raw_cell, count)
        with self.lock:
            self.cell = cell
            self.remembered[cell.id] = cell
            self.remembered.move_to_end(cell.id)
            while len(self.remembered) > MAX_REMEMBERED:
                _, old = self.remembered.popitem(last=False)
                for display_id in [d for d, c in self.displays.items() if c is old]:
                    del self.displays[display_id]
        self._send(cell)
        self._saved = (sys.stdout, sys.stderr)
        sys.stdout = _Tee(sys.stdout, "stdout", self)
        sys.stderr = _Tee(sys.stderr, "stderr", self)

    def post_run_cell(self, result: Any) -> None:
        self._restore_streams()
        with self.lock:
            cell, self.cell = self.cell, None
            if cell is None:
                return
            cell.duration = round(time.monotonic() - cell.started, 6)
            cell.count = getattr(result, "execution_count", None) or cell.count
            failed = not getattr(result, "success", True)
            cell.status = "error" if failed else "ok"
            err = getattr(result, "error_in_exec", None) or getattr(
                result, "error_before_exec", None
            )
            if err is not None and not any(o["type"] == "error" for o in cell.outputs):
                tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))
                self._add(cell, self._error(type(err).__name__, str(err), tb))
        self._send(cell)

    # ── what the cell produces ───────────────────────────────────────────────────────────

    def stream(self, name: str, text: str) -> None:
        with self.lock:
            cell = self.cell
            if cell is None:
                return
            last = cell.outputs[-1] if cell.outputs else None
            if last is not None and last["type"] == "stream" and last["name"] == name:
                merged = last["text"] + text
                if len(merged) > MAX_OUTPUT_TEXT:
                    cell.truncated += len(merged) - MAX_OUTPUT_TEXT
                    merged = merged[-MAX_OUTPUT_TEXT:]
                last["text"] = merged
            else:
                self._add(cell, {"type": "stream", "name": name, "text": text[-MAX_OUTPUT_TEXT:]})
            cell.dirty = True

    def _publish(self, data: dict[str, Any], metadata: Any = None, *args: Any, **kw: Any) -> None:
        try:
            transient = kw.get("transient") or {}
            display_id = transient.get("display_id") if isinstance(transient, dict) else None
            self._rich(data, display_id, update=bool(kw.get("update")))
        except Exception:  # never let streaming break the notebook's own display
            pass
        with self._quiet():
            self._originals["publish"](data, metadata, *args, **kw)

    def _write_format_data(self, format_dict: dict[str, Any], md_dict: Any = None) -> None:
        with contextlib.suppress(Exception):
            self._rich(format_dict, None, update=False)
        with self._quiet():
            self._originals["write_format_data"](format_dict, md_dict)

    def _write_output_prompt(self) -> None:
        with self._quiet():
            self._originals["write_output_prompt"]()

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        with contextlib.suppress(Exception):
            text = _ANSI.sub("", "\n".join(stb))
            name = getattr(etype, "__name__", str(etype))
            with self.lock:
                if self.cell is not None:
                    self._add(self.cell, self._error(name, str(evalue), text))
                    self.cell.dirty = True
        with self._quiet():
            self._originals["_showtraceback"](etype, evalue, stb)

    def _error(self, name: str, value: str, tb: str) -> dict[str, Any]:
        return {
            "type": "error",
            "ename": name[:200],
            "evalue": value[:MAX_OUTPUT_TEXT],
            "traceback": tb[-MAX_OUTPUT_TEXT:],
        }

    def _rich(self, data: dict[str, Any], display_id: str | None, update: bool) -> None:
        output = self._output(data)
        if output is None:
            return
        if display_id:
            output["display_id"] = str(display_id)[:100]
        with self.lock:
            if update and display_id:
                cell = self.displays.get(str(display_id)[:100])
                if cell is None:
                    return
                for i, old in enumerate(cell.outputs):
                    if old.get("display_id") == output["display_id"]:
                        cell.outputs[i] = output
                cell.dirty = True
                return
            cell = self.cell
            if cell is None:
                return
            self._add(cell, output)
            if display_id:
                self.displays[output["display_id"]] = cell
            cell.dirty = True

    def _output(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The richest form of a mime bundle the log carries."""
        for mime in _IMAGE_ORDER:
            if mime in data:
                raw = data[mime]
                if mime == "image/svg+xml":
                    body = raw.encode() if isinstance(raw, str) else bytes(raw)
                elif isinstance(raw, str):
                    try:
                        body = base64.b64decode(raw)
                    except (binascii.Error, ValueError):
                        continue
                else:
                    body = bytes(raw)
                try:
                    blob = make_blob(body, mime)
                except BlobError:
                    continue
                if not self.producer.put((2, blob)):  # producer.BLOB
                    return None
                w, h = image_size(body, mime)
                return {"type": "image", "mime": mime, "blob": blob.digest, "width": w, "height": h}
        if "text/html" in data:
            return {"type": "html", "html": sanitize(str(data["text/html"]))[:MAX_OUTPUT_TEXT]}
        if "text/markdown" in data:
            return {"type": "markdown", "text": str(data["text/markdown"])[:MAX_OUTPUT_TEXT]}
        if "text/plain" in data:
            return {"type": "text", "text": str(data["text/plain"])[:MAX_OUTPUT_TEXT]}
        return None

    def _add(self, cell: _Cell, output: dict[str, Any]) -> None:
        cell.outputs.append(output)
        text = sum(len(o.get("text") or o.get("html") or "") for o in cell.outputs)
        while text > MAX_TEXT and len(cell.outputs) > 1:
            old = cell.outputs.pop(0)
            size = len(old.get("text") or old.get("html") or "")
            cell.truncated += size
            text -= size
        if len(cell.outputs) > MAX_CELL_OUTPUTS:
            del cell.outputs[: len(cell.outputs) - MAX_CELL_OUTPUTS]

    # ── sending ──────────────────────────────────────────────────────────────────────────

    def _send(self, cell: _Cell) -> None:
        with self.lock:
            cell.dirty = False
            data = cell.payload()
        self.producer.event("nb.cell", f"nb:{self.notebook}"[:64], data)

    def _changed_cells(self) -> list[tuple[str, str, dict[str, Any]]]:
        """On the producer's thread, about once a second: cells whose outputs changed."""
        out = []
        with self.lock:
            for cell in self.remembered.values():
                if cell.dirty:
                    cell.dirty = False
                    out.append(("nb.cell", f"nb:{self.notebook}"[:64], cell.payload()))
        return out


_extensions: dict[int, Extension] = {}


def load(shell: Any) -> None:
    if id(shell) in _extensions:
        return
    ext = _extensions[id(shell)] = Extension(shell)
    ext.load()


def unload(shell: Any) -> None:
    ext = _extensions.pop(id(shell), None)
    if ext is not None:
        ext.unload()
