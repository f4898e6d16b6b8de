"""HTML from notebook outputs, cut down to what a table or a formatted value needs.

Tables (pandas' ``to_html``), text formatting and lists keep their structure; scripts,
styles, frames, forms, event handlers, links and everything else are removed (an element's
text is kept unless it is code, like a script's). Viewers sanitize again (DOMPurify); this
first pass runs on the streamer's machine so that less leaves it.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

ALLOWED = frozenset(
    {
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
        "div", "span", "p", "br", "hr", "b", "i", "em", "strong", "small", "sub", "sup",
        "code", "pre", "kbd", "samp", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
        "h1", "h2", "h3", "h4", "h5", "h6", "abbr",
    }
)  # fmt: skip
ATTRIBUTES = frozenset({"class", "colspan", "rowspan", "align", "valign", "scope", "title"})
#: Elements dropped with everything inside them.
DROPPED = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "template", "svg", "math",
        "noscript", "textarea", "select", "head", "title",
    }
)  # fmt: skip
VOID = frozenset({"br", "hr", "col"})


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED:
            self.dropping += 1
        elif not self.dropping and tag in ALLOWED:
            kept = "".join(
                f' {name}="{html.escape(value or "", quote=True)}"'
                for name, value in attrs
                if name in ATTRIBUTES
            )
            self.out.append(f"<{tag}{kept}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in DROPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif not self.dropping and tag in ALLOWED and tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))


def sanitize(markup: str) -> str:
    """``markup`` with only the allowed elements and attributes left."""
    parser = _Sanitizer()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
