"""The scanner's fast paths give the answers of the plain ways they replace: the byte-level
search for long runs, the passes that strip escapes (and the map back to the raw text), the
search for in-line edits and the progress-bar overlay. Plus the cases the fast paths now
catch that were missed before."""

from __future__ import annotations

import re
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from benchcast.broadcast.redact import Redactor
from benchcast.secrets import scanner as scanner_module
from benchcast.secrets.scanner import Scanner
from benchcast.secrets.visible import (
    LINE_EDITS,
    _overlay,
    _overlay_erases,
    edit_line,
    edited_lines,
    has_edits,
    project,
    strip_colours,
)
from tests.secrets.fake_secrets import FAKE, secret_part

# Pieces that exercise every branch: runs, padding, case, non-ASCII (one and two UTF-16
# units), escapes of every kind, invisible characters, edits and line ends.
PIECES = [
    "a",
    "Z",
    "7",
    "+",
    "/",
    "_",
    "-",
    "=",
    " ",
    ".",
    "é",
    "█",
    "\U0001f600",
    "\u212a",
    "\u0130",
    "\u200b",
    "\u00ad",
    "\x1b",
    "[",
    "]",
    "?",
    ";",
    "0",
    "2",
    "m",
    "K",
    "C",
    "P",
    "\x07",
    "\\",
    "\r",
    "\n",
    "\b",
    "\x7f",
    "\t",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[K",
    "\x1b[2K",
    "\x1b[1K",
    "\x1b[0K",
    "\x1b[?25l",
    "\x1b[3D",
    "\x1b]0;title\x07",
    "aB3dE5gH7jK9mN1pQ3sT5",
    "0123456789abcdef0123456789abcdef",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)

_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def reference_runs(text: str) -> list[tuple[int, int]]:
    """What ``_runs`` replaced: a regular expression, then the filter on each match."""
    return [
        m.span()
        for m in _RUN.finditer(text)
        if not (m.group().islower() or m.group().isupper() or _HEX.fullmatch(m.group()))
    ]


def reference_edited_lines(text: str) -> list[tuple[int, int]]:
    out = []
    m = LINE_EDITS.search(text)
    while m is not None:
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start()) + 1 or len(text)
        out.append((start, end))
        m = LINE_EDITS.search(text, end)
    return out


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_long_runs_are_the_spans_the_regular_expression_finds(text: str) -> None:
    assert scanner_module._runs(text, scanner_module._ascii(text)) == reference_runs(text)


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_the_projection_maps_each_visible_character_to_where_it_was_drawn(text: str) -> None:
    proj = project(text)
    assert "".join(text[i] for i in proj.raw_span(0, len(proj.plain))) == proj.plain


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_edited_lines_are_found_as_the_one_pattern_finds_them(text: str) -> None:
    assert edited_lines(text) == reference_edited_lines(text)
    assert edited_lines(text, strip_colours(text)) == reference_edited_lines(text)
    assert has_edits(text) == (LINE_EDITS.search(text) is not None)


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_the_progress_bar_overlay_agrees_with_the_general_one(text: str) -> None:
    if "\b" in text or "\x7f" in text or "\x1b[3D" in text:
        return  # cursor moves take the general path
    assert _overlay(text, strip_colours(text)) == _overlay_erases(text)
    colourless = strip_colours(text)
    assert edit_line(text, colourless.removesuffix("\n")) == edit_line(text)


def test_an_escape_that_forms_only_once_another_is_removed_does_not_shift_the_mask() -> None:
    # "\x1b\x1b[mP": removing the colour leaves "\x1bP", an escape of its own. The mask must
    # land on the secret itself, to its last character.
    text = f"ok \x1b\x1b[mP{FAKE['github-token']} done\r\n"
    out = Redactor().preview(text)
    secret = secret_part("github-token")
    assert not any(secret[i : i + 2] in out for i in range(len(secret) - 1))
    assert out.endswith(" done\r\n")


def test_a_percent_encoded_secret_after_hundreds_of_percent_signs_is_found() -> None:
    bars = "45%|" * 300  # a progress bar's percentages, scrolled by
    encoded = urllib.parse.quote("password=Sup3r$ecret!", safe="")
    text = f"{bars} https://x.test/?q={encoded}\r\n"
    assert encoded not in Redactor().preview(text)


def test_a_json_escaped_secret_in_a_token_with_a_stray_percent_sign_is_found() -> None:
    token = "x%zz-\\u0067" + FAKE["github-token"][1:]
    text = f"payload {token} sent\r\n"
    findings = Scanner().find(text)
    assert [f.rule for f in findings] == ["encoded-secret"]
    assert text[findings[0].start : findings[0].end] == token


def test_a_keyword_spelled_with_the_kelvin_sign_is_still_a_keyword() -> None:
    # "\u212a" (KELVIN SIGN) lowercases to an ASCII "k".
    text = "$ tool --to\u212aen s3cr3tVal9Xq\r\n"
    assert "s3cr3tVal9Xq" not in Redactor().preview(text)


def test_a_known_value_is_found_whatever_characters_it_holds() -> None:
    scanner = Scanner(["naïve-Sécret-9876", "пароль-12345678"])
    for value in ("naïve-Sécret-9876", "пароль-12345678"):
        text = f"login {value} ok"
        assert [(f.start, f.end) for f in scanner.find(text)] == [(6, 6 + len(value))]
    # Another character in the same place is not the value.
    assert scanner.find("login naëve-Sécret-9876 ok") == []
    assert scanner.find("login жжжжжж-12345678 ok") == []


def test_a_token_typed_after_a_character_that_lowercases_to_two_is_held_at_its_key() -> None:
    # "\u0130".lower() is two characters: positions must not shift after it.
    hold = Scanner().hold_start("$ echo \u0130-AKIA12")
    assert hold is not None and hold.strong
    assert "$ echo \u0130-AKIA12"[hold.start :] == "AKIA12"


def test_a_secret_learned_on_an_earlier_line_is_hidden_in_a_redrawn_line() -> None:
    doppler, github = FAKE["doppler-token"], FAKE["github-token"]
    # The second line is redrawn (it shows a GitHub token); the Doppler token on it, glued
    # to the text after it, is no rule's match: it is hidden as the value learned above.
    text = f"using {doppler}\r\nprogress 10%\rdone {doppler}loss=0.123 {github}\r\n"
    out = Redactor().preview(text)
    assert secret_part("doppler-token") not in out
    assert secret_part("github-token") not in out


def test_a_redrawn_line_shows_nothing_the_masked_bytes_would_not() -> None:
    gitlab = FAKE["gitlab-token"]
    # Each copy is found in the bytes (a backspace before it); on screen the second overwrites
    # the last character of the first, and only the second matches as a whole (as a learned
    # value), so the line is redrawn: the first copy's characters must stay masked in it.
    text = f"v=2abcd\b{gitlab}\b{gitlab}\x1b[0m\r\n"
    out = Redactor().preview(text)
    secret = secret_part("gitlab-token")
    assert not any(secret[i : i + 8] in out for i in range(len(secret) - 8))
