"""The audience's markdown: a small subset, rendered to HTML that is safe by construction.

The subset (the browser's ``web/static/js/markdown.js`` renders the same one, building DOM
nodes, and sanitizes with DOMPurify besides):

- a fenced code block: a line of three backticks (optionally a language), the code, and a
  closing line of three backticks (or the end of the message);
- inline code between backticks;
- links: ``[text](https://…)`` and bare ``http(s)://…`` addresses; nothing but http and
  https is ever a link, and every link gets ``rel="nofollow noopener noreferrer"``;
- ``**bold**`` and ``*italic*``; ``@name`` mentions;
- everything else is text: escaped, line breaks kept.

No HTML in the input survives as HTML: every character of it is escaped. There is no way to
produce an attribute other than the ones written here, and each of those is escaped too.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

REL = "nofollow noopener noreferrer"
_FENCE = re.compile(r"^```\s*([A-Za-z0-9_+-]{0,20})\s*$")
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\[(?P<label>[^\]\n]{1,200})\]\((?P<href>[^\s()<>]{1,2000})\)"
    r"|(?P<url>https?://[^\s<>\"'`]+)"
    r"|\*\*(?P<bold>[^*\n]+)\*\*"
    r"|\*(?P<em>[^*\n]+)\*"
    r"|(?<![\w@])@(?P<mention>[\w][\w.-]{1,23})",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) address with a host and nothing odd in it."""
    if any(ord(c) < 0x21 or c in "\\<>\"'`" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _link(href: str, label: str) -> str:
    return (
        f'<a href="{html.escape(href, quote=True)}" rel="{REL}" target="_blank">'
        f"{html.escape(label)}</a>"
    )


def _inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        pos = m.end()
        if m["code"] is not None:
            out.append(f"<code>{html.escape(m['code'])}</code>")
        elif m["label"] is not None:
            href = safe_url(m["href"])
            out.append(_link(href, m["label"]) if href else html.escape(m.group(0)))
        elif m["url"] is not None:
            url = m["url"]
            tail = ""
            while url and url[-1] in _TRAILING:
                tail = url[-1] + tail
                url = url[:-1]
            href = safe_url(url)
            out.append((_link(href, url) if href else html.escape(url)) + html.escape(tail))
        elif m["bold"] is not None:
            out.append(f"<strong>{_inline(m['bold'])}</strong>")
        elif m["em"] is not None:
            out.append(f"<em>{_inline(m['em'])}</em>")
        else:
            out.append(f'<span class="mention">@{html.escape(m["mention"])}</span>')
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render(text: str) -> str:
    """The subset of markdown in ``text`` as HTML (see the module docstring)."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + "<br>".join(_inline(line) for line in para) + "</p>")
            para.clear()

    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence:
            flush()
            lang = fence.group(1).lower()
            end = i + 1
            while end < len(lines) and not _FENCE.match(lines[end]):
                end += 1
            code = html.escape("\n".join(lines[i + 1 : end]))
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>{code}</code></pre>")
            i = end + 1
            continue
        if lines[i].strip():
            para.append(lines[i])
        else:
            flush()
        i += 1
    flush()
    return "".join(out)


def mentions(text: str) -> list[str]:
    """The names ``text`` mentions (``@name``), in order, each once, as written."""
    seen: list[str] = []
    for m in _INLINE.finditer(text):
        name = m["mention"]
        if name and name not in seen:
            seen.append(name)
    return seen[:20]
