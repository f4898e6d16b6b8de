"""Export a stream as one self-contained HTML file that replays it from file://, no server.

The file holds the stream's events and keyframes as JSON, and the stream page's own player
and panels (terminal, code, chapters, notes, "so far", and the chat as it was) bundled into a
single inline module script, with the styles inline too. The archive API the player reads
(web/static/js/api.js) is swapped for one that answers from the embedded data
(static-api.js), so the export replays with the same code as the site: live and replay, and
now offline, are one code path.

Browsers do not load module files from file://, so the modules are bundled here: each
becomes a function whose imports are taken from the modules before it and whose exports are
what it returns. This is a bundler for this project's modules and its vendored libraries
(ES modules with static ``import``/``export`` statements), not a general one.

Images (figures, notebook outputs) are not embedded; everything textual is.
"""

from __future__ import annotations

import json
import posixpath
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from markupsafe import Markup

from benchcast.replay.chapters import stream_chapters
from benchcast.store.archive import Archive
from benchcast.store.database import Store, StoreError
from benchcast.timefmt import clock

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC = WEB / "static"
ENTRY = "js/static-archive.js"
#: Modules replaced in the bundle: the server's API by the embedded data's.
SUBSTITUTES = {"js/api.js": "js/static-api.js"}
STYLES = [
    "vendor/xterm/xterm.css",
    "vendor/highlight/github-dark.min.css",
    "css/benchcast.css",
    "css/audience.css",
    "css/code.css",
    "css/archive.css",
]
#: Keyframes embedded at most (evenly spread): seeking applies the events after one.
MAX_KEYFRAMES = 400

_IMPORT = re.compile(
    r'^import\s+(?P<what>[^;"]*?)\s+from\s+"(?P<path>[^"]+)"\s*;?[ \t]*$', re.MULTILINE
)
_SIDE_IMPORT = re.compile(r'^import\s+"(?P<path>[^"]+)"\s*;?[ \t]*$', re.MULTILINE)
_EXPORT_DECL = re.compile(
    r"^export\s+(?P<kw>(?:async\s+)?function\*?|class|const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_EXPORT_LIST = re.compile(
    r'(?<![\w$.])export\s*\{(?P<names>[^{}]*)\}(?:\s*from\s*"(?P<path>[^"]+)")?\s*;?'
)
_EXPORT_DEFAULT = re.compile(r"(?<![\w$.])export\s+default\s+")


class BundleError(ValueError):
    """A module the bundler cannot take apart."""


@dataclass
class _Module:
    path: str  # relative to STATIC, e.g. "js/player.js"
    var: str
    code: str = ""
    deps: list[str] = field(default_factory=list)


def _resolve(base: str, spec: str) -> str:
    if not spec.startswith("."):
        raise BundleError(f"{base}: only relative imports are bundled, not {spec!r}")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), spec))
    return SUBSTITUTES.get(path, path)


def _names(spec: str) -> list[tuple[str, str]]:
    """``a, b as c`` → [(a, a), (b, c)]: (name in the source module, local name)."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        bits = re.split(r"\s+as\s+", part)
        out.append((bits[0], bits[-1]))
    return out


def _import_binding(what: str, dep_var: str) -> str:
    what = what.strip()
    lines = []
    default = re.match(r"^([A-Za-z_$][\w$]*)\s*(?:,|$)", what)
    if default and not what.startswith("{") and not what.startswith("*"):
        lines.append(f"const {default.group(1)} = {dep_var}.default;")
        what = what[default.end() :].strip()
    if what.startswith("* as "):
        lines.append(f"const {what[5:].strip()} = {dep_var};")
    elif what.startswith("{"):
        pairs = _names(what.strip("{} \n"))
        body = ", ".join(src if src == local else f"{src}: {local}" for src, local in pairs)
        lines.append(f"const {{ {body} }} = {dep_var};")
    elif what:
        raise BundleError(f"cannot bundle the import {what!r}")
    return "\n".join(lines)


def _transform(mod: _Module, source: str, var_of: dict[str, str]) -> str:
    exports: list[tuple[str, str]] = []  # (exported name, expression)

    def imp(m: re.Match[str]) -> str:
        return _import_binding(m.group("what"), var_of[_resolve(mod.path, m.group("path"))])

    code = _IMPORT.sub(imp, source)
    code = _SIDE_IMPORT.sub("", code)

    def decl(m: re.Match[str]) -> str:
        exports.append((m.group("name"), m.group("name")))
        return m.group("kw") + " " + m.group("name")

    code = _EXPORT_DECL.sub(decl, code)

    def lst(m: re.Match[str]) -> str:
        src = m.group("path")
        for name, exported in _names(m.group("names")):
            if src:
                exports.append((exported, f"{var_of[_resolve(mod.path, src)]}.{name}"))
            else:
                exports.append((exported, name))
        return ";"

    code = _EXPORT_LIST.sub(lst, code)
    if _EXPORT_DEFAULT.search(code):
        code = _EXPORT_DEFAULT.sub("const __default = ", code, count=1)
        exports.append(("default", "__default"))
    body = ", ".join(f"{json.dumps(name)}: {expr}" for name, expr in exports)
    return f"const {mod.var} = (() => {{\n{code}\n;return {{ {body} }};\n}})();\n"


def _deps(path: str, source: str) -> list[str]:
    specs = [m.group("path") for m in _IMPORT.finditer(source)]
    specs += [m.group("path") for m in _SIDE_IMPORT.finditer(source)]
    specs += [m.group("path") for m in _EXPORT_LIST.finditer(source) if m.group("path")]
    return [_resolve(path, s) for s in specs]


def bundle(entry: str = ENTRY) -> str:
    """The entry module and everything it imports, as one script (dependencies first)."""
    order: list[str] = []
    sources: dict[str, str] = {}
    visiting: set[str] = set()

    def visit(path: str) -> None:
        if path in sources:
            return
        if path in visiting:
            raise BundleError(f"import cycle through {path}")
        visiting.add(path)
        source = (STATIC / path).read_text(encoding="utf-8")
        source = re.sub(r"^//# sourceMappingURL=.*$", "", source, flags=re.MULTILINE)
        for dep in _deps(path, source):
            visit(dep)
        visiting.discard(path)
        sources[path] = source
        order.append(path)

    visit(entry)
    var_of = {p: f"__m{i}" for i, p in enumerate(order)}
    parts = [_transform(_Module(p, var_of[p]), sources[p], var_of) for p in order]
    js = "\n".join(parts)
    # Inside <script>, "</script" would end it; "<\/" is the same string to JavaScript.
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _styles() -> str:
    css = "\n".join(
        (STATIC / p).read_text(encoding="utf-8") for p in STYLES if (STATIC / p).exists()
    )
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def _json(value: Any) -> str:
    # "<" only ever appears inside JSON strings, where \u003c means the same.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def export_html(store: Store, stream_id: str, out: TextIO) -> int:
    """Write the stream as a self-contained HTML page; return how many events it holds.

    Raises StoreError when there is no such stream.
    """
    from benchcast.server.pages import templates  # the site's Jinja environment and filters

    stream = store.stream(stream_id)
    if stream is None:
        raise StoreError(f"no stream {stream_id!r}")
    summary = {**stream.summary(), "live": False, "viewers": None}
    archive = Archive(store)
    chapters = stream_chapters(store, stream_id, archive.chapter_edits(stream_id))
    moments: dict[str, Any] = {"chapters": chapters, "notes": [], "runs": [], "bugs": []}
    seen_runs: set[str] = set()
    for t, kind, text in archive.search.moments(stream_id, ("note", "run", "bug")):
        if kind == "note":
            moments["notes"].append({"t": t, "text": text})
        elif kind == "bug":
            moments["bugs"].append({"t": t, "text": text})
        elif (name := text.split(" ", 1)[0]) not in seen_runs:
            seen_runs.add(name)
            moments["runs"].append({"t": t, "name": name})
    index = store.keyframe_index(stream_id)
    step = max(1, -(-len(index) // MAX_KEYFRAMES))
    keyframes = []
    for seq, _t in index[::step]:
        kf = store.keyframe(stream_id, at_seq=seq)
        if kf is not None:
            keyframes.append({"seq": kf.seq, "t": kf.t, "state": kf.state})

    # The events are written straight from the store, one page at a time.
    head = _json({"stream": summary, "moments": moments, "keyframes": keyframes})
    html = templates.get_template("export.html").render(
        stream=stream,
        started=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stream.started_at)),
        length=clock(stream.last_t),
        css=Markup(_styles()),
        js=Markup(bundle()),
        data=Markup("\0"),
    )
    before, after = html.split("\0", 1)
    out.write(before)
    out.write(head[:-1] + ',"events":[')
    n = 0
    since = 0
    while True:
        rows = store.events_json(stream_id, since, 5000)
        for _seq, _t, line in rows:
            out.write(("," if n else "") + line.replace("<", "\\u003c"))
            n += 1
        if len(rows) < 5000:
            break
        since = rows[-1][0]
    out.write("]}")
    out.write(after)
    return n
