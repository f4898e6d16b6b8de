"""What the audience may write: text is cleaned (controls, direction overrides, invisible
characters, zalgo, length), and names that could pass for someone else's are refused."""

from __future__ import annotations

import pytest

from benchcast.server.audience.text import (
    MAX_CHAT,
    MAX_MARKS,
    TextError,
    clean_name,
    clean_text,
    skeleton,
)


def test_text_loses_control_direction_and_invisible_characters() -> None:
    text = "a\x1b]0;pwned\x07b\u202ec\u2066d\u200be\u2060f\x00g"
    assert clean_text(text) == "a]0;pwnedbcdefg"


def test_zalgo_stacks_are_cut_to_a_couple_of_marks() -> None:
    zalgo = "h" + "\u0336\u0301\u0302\u0303\u0304\u0305\u0306" * 20 + "i"
    out = clean_text(zalgo)
    assert out.startswith("h") and out.endswith("i")
    assert len(out) == 2 + MAX_MARKS


def test_too_long_empty_and_megabyte_messages_are_refused() -> None:
    with pytest.raises(TextError, match="too long"):
        clean_text("x" * (MAX_CHAT + 1))
    with pytest.raises(TextError, match="too long"):
        clean_text("x" * 1_000_000)
    with pytest.raises(TextError, match="empty"):
        clean_text(" \u200b\u202e \n\n ")


def test_blank_lines_collapse_and_line_count_is_capped() -> None:
    assert clean_text("a\n\n\n\n\nb") == "a\n\nb"
    assert clean_text("\n".join("x" * 50)).count("\n") == 19


def test_emoji_joiners_survive() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(family) == family


@pytest.mark.parametrize(
    "name",
    [
        "ada\u200b",  # zero-width space
        "\u202eada",  # right-to-left override
        "ad\u2066a",  # isolate
        "\u3164\u3164",  # Hangul fillers: blank "letters"
        "\u2800ada",  # braille blank
        "\u0410da",  # Cyrillic A, Latin da
        "\u0430d\u0430",  # mixed again
        "a\u0301\u0302\u0303\u0304",  # stacked accents
        "<b>ada</b>",
        "ada\nada",
        "a",
        "x" * 25,
    ],
)
def test_invisible_mixed_script_and_odd_names_are_refused(name: str) -> None:
    with pytest.raises(TextError):
        clean_name(name)


@pytest.mark.parametrize(
    "name", ["Streamer", "STREAMER", "str3amer", "s t r e a m e r", "Moderator", "m0d", "Admin"]
)
def test_reserved_words_are_refused_whatever_they_look_like(name: str) -> None:
    with pytest.raises(TextError, match="reserved"):
        clean_name(name)


def test_look_alike_names_share_a_skeleton() -> None:
    # Latin, all-Cyrillic, digits for letters, case and separators: one skeleton.
    same = ["ada", "ADA", "Ada", "4da", "a.d.a", "a_da", "\u0430\u0501\u0430", "\uff41\uff44\uff41"]
    assert {skeleton(n) for n in same} == {"ada"}
    assert skeleton("AdaIovelace") == skeleton("adalovelace")
    assert skeleton("rnallory") == skeleton("mallory")
    assert skeleton("bo") != skeleton("ada")


def test_ordinary_names_in_any_script_are_kept() -> None:
    for name in ["ada", "Ada Lovelace", "José", "山田太郎", "Ελένη", "Анна", "o'brien", "bo_2"]:
        assert clean_name(name) == name
    assert clean_name("  ada   lovelace ") == "ada lovelace"
