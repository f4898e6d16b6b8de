"""The audience's markdown renders its small subset, and nothing a viewer writes becomes
markup: the HTML it makes holds only the tags and attributes it writes itself."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from benchcast.server.audience.markdown import REL, mentions, render, safe_url
from tests.xss import PAYLOADS

ALLOWED = {
    "p": set(),
    "br": set(),
    "code": {"class"},
    "pre": set(),
    "strong": set(),
    "em": set(),
    "span": {"class"},
    "a": {"href", "rel", "target"},
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def test_the_subset_renders() -> None:
    html = render("**hi** *there* `x<y` @ada see [docs](https://example.org/a?b=1&c=2)")
    assert "<strong>hi</strong>" in html and "<em>there</em>" in html
    assert "<code>x&lt;y</code>" in html
    assert '<span class="mention">@ada</span>' in html
    assert (
        f'<a href="https://example.org/a?b=1&amp;c=2" rel="{REL}" target="_blank">docs</a>' in html
    )


def test_code_blocks_keep_their_text_and_language() -> None:
    html = render("look:\n```python\nif a < b:\n    print('<b>')\n```\nafter")
    assert (
        '<pre><code class="language-python">if a &lt; b:\n    print(&#x27;&lt;b&gt;&#x27;)' in html
    )
    assert html.endswith("<p>after</p>")


def test_bare_links_stop_before_trailing_punctuation() -> None:
    html = render("(see https://example.org/x).")
    assert 'href="https://example.org/x"' in html and html.endswith(").</p>")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "https://",
        "//example.org",
        'https://example.org/"onmouseover="x',
    ],
)
def test_only_plain_http_links_are_links(url: str) -> None:
    assert safe_url(url) is None
    assert "<a " not in render(f"[x]({url})")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_makes_markup_of_its_own(payload: str) -> None:
    for tag, attrs in _tags(render(payload)):
        assert tag in ALLOWED, (payload, tag)
        assert set(attrs) <= ALLOWED[tag], (payload, tag, attrs)
        for name, value in attrs.items():
            assert value is not None
            if name == "href":
                assert value.startswith(("http://", "https://")), (payload, value)
            if name == "class":
                assert value == "mention" or value.startswith("language-"), (payload, value)
            if name == "rel":
                assert value == REL


def test_mentions_are_found_outside_code() -> None:
    assert mentions("@ada and @bo, not `@cy`; @ada again") == ["ada", "bo"]
