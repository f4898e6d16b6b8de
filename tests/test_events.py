"""The event contract refuses what it does not know, with a message a person can act on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchcast.events import KINDS, MAX_EVENT_BYTES, EventError, parse_draft, validate_payload


def test_every_kind_has_a_payload_model_and_defaults_fill_in() -> None:
    assert {"stream.start", "term.open", "term.output", "term.resize", "term.close"} <= set(KINDS)
    assert validate_payload("stream.start", {"title": "t"}) == {
        "title": "t",
        "tags": [],
        "activity": None,
    }


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"t": 0, "kind": "nope", "source": "s", "data": {}}, "unknown event kind 'nope'"),
        (
            {"t": 0, "kind": "term.open", "source": "s", "data": {"cols": 0, "rows": 5}},
            "term.open: cols: Input should be greater than or equal to 1",
        ),
        (
            {"t": 0, "kind": "term.output", "source": "s", "data": {"text": 5}},
            "term.output: text: Input should be a valid string",
        ),
        (
            {"t": 0, "kind": "term.output", "source": "s", "data": {"text": "x", "extra": 1}},
            "term.output: extra: Extra inputs are not permitted",
        ),
        ({"t": -1, "kind": "term.output", "source": "s", "data": {"text": "x"}}, "event.t"),
        (
            {"t": float("nan"), "kind": "term.output", "source": "s", "data": {"text": "x"}},
            "event.t",
        ),
        ({"t": 0, "kind": "term.output", "source": "", "data": {"text": "x"}}, "event.source"),
        ({"t": 0, "kind": "term.output", "source": "s", "data": []}, "data must be a JSON object"),
        (
            {"t": 0, "kind": "term.output", "source": "s", "data": {"text": "x"}, "seq": 3},
            "unknown event fields: seq",
        ),
        (
            {
                "t": 0,
                "kind": "stream.start",
                "source": "s",
                "data": {"title": "x", "tags": ["a" * 50]},
            },
            "each tag must be 1 to 40 characters",
        ),
        (
            {"t": 0, "kind": "activity", "source": "s", "data": {"mode": "napping"}},
            "activity: mode",
        ),
        (
            {"t": 0, "kind": "term.output", "source": "s", "data": {"text": "x" * MAX_EVENT_BYTES}},
            "the limit is",
        ),
        ("not an object", "an event must be a JSON object"),
    ],
)
def test_bad_events_are_refused_with_a_reason(obj: object, message: str) -> None:
    with pytest.raises(EventError) as err:
        parse_draft(obj)
    assert message in str(err.value)


@given(st.text(max_size=2000), st.floats(min_value=0, max_value=1e7))
def test_any_text_output_is_accepted_as_is(text: str, t: float) -> None:
    draft = parse_draft(
        {"pseq": 1, "t": t, "kind": "term.output", "source": "term:1", "data": {"text": text}}
    )
    assert draft.data == {"text": text} and draft.t == t
