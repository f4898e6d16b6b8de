"""The diff format file.patch carries: what the publisher makes, the fold applies exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchcast import diffs

LINES = st.lists(st.sampled_from(["a", "b", "c", "", "  x = 1", "}", "\r", "é"]), max_size=30)


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    old = draw(LINES)
    new = list(old)
    for _ in range(draw(st.integers(0, 6))):
        if new and draw(st.booleans()):
            del new[draw(st.integers(0, len(new) - 1))]
        else:
            new.insert(draw(st.integers(0, len(new))), draw(st.sampled_from(["new", "b", ""])))
    return "\n".join(old), "\n".join(new)


@settings(max_examples=400)
@given(edited())
def test_a_diff_turns_the_old_text_into_the_new_one_exactly(pair: tuple[str, str]) -> None:
    old, new = pair
    hunks = diffs.make(old, new)
    assert diffs.apply(old, diffs.parse(diffs.render(hunks))) == new


@settings(max_examples=300)
@given(edited())
def test_a_line_that_survives_keeps_its_text_where_map_line_puts_it(pair: tuple[str, str]) -> None:
    old, new = pair
    hunks = diffs.parse(diffs.render(diffs.make(old, new)))
    a, b = old.split("\n"), new.split("\n")
    kept = 0
    for n in range(1, len(a) + 1):
        moved = diffs.map_line(hunks, n)
        if moved is not None:
            assert b[moved - 1] == a[n - 1]
            kept += 1
    # The diff is minimal: every line not in it survives.
    assert kept == len(a) - sum(h.old_len for h in hunks)


def test_three_lines_inserted_above_move_a_line_down_by_three() -> None:
    old = "\n".join(f"line {i}" for i in range(1, 21)) + "\n"
    rows = old.split("\n")
    new = "\n".join([*rows[:4], "one", "two", "three", *rows[4:]])
    hunks = diffs.make(old, new)
    assert diffs.render(hunks) == "@@ -4,0 +5,3 @@\n+one\n+two\n+three"
    assert diffs.map_line(hunks, 12) == 15
    assert diffs.map_line(hunks, 3) == 3
    assert diffs.changed_lines(hunks) == [(5, 7)]


def test_a_deleted_line_maps_to_nothing_and_a_range_keeps_what_survives() -> None:
    old = "a\nb\nc\nd\ne"
    hunks = diffs.make(old, "a\nb\nd\ne")
    assert diffs.map_line(hunks, 3) is None
    assert diffs.map_line(hunks, 4) == 3
    assert diffs.map_range(hunks, 2, 4) == (2, 3)
    assert diffs.map_range(hunks, 3, 3) is None


def test_a_wholesale_rewrite_is_one_hunk_in_bounded_time() -> None:
    old = "\n".join(f"old {i}" for i in range(5000))
    new = "\n".join(f"new {i}" for i in range(5000))
    hunks = diffs.make(old, new)
    assert len(hunks) == 1
    assert diffs.apply(old, hunks) == new


@pytest.mark.parametrize(
    "diff",
    [
        "not a diff",
        "@@ -1,1 +1,1 @@\n+only an addition",
        "@@ -1,1 +1,1 @@\n-a\n+b\n*c",
        "@@ -3,1 +3,1 @@\n-a\n+b\n@@ -1,1 +1,1 @@\n-a\n+b",
    ],
)
def test_malformed_diffs_are_refused(diff: str) -> None:
    with pytest.raises(diffs.PatchError):
        diffs.parse(diff)


def test_a_diff_that_does_not_fit_the_text_is_refused() -> None:
    with pytest.raises(diffs.PatchError):
        diffs.apply("a\nb", diffs.parse("@@ -5,1 +5,1 @@\n-x\n+y"))
