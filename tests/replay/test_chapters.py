"""Chapters folded from the log: what the streamer said, what the log shows, edits laid over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchcast.events import Event, validate_payload
from benchcast.replay.chapters import IDLE_GAP, fold_chapters, with_edits
from benchcast.replay.fold import StreamFold

Spec = tuple[float, str, str, dict[str, Any]]


def events(specs: list[Spec]) -> list[Event]:
    return [
        Event(seq=i, t=t, kind=k, source=s, data=validate_payload(k, d))
        for i, (t, k, s, d) in enumerate(specs, 1)
    ]


SESSION: list[Spec] = [
    (0.0, "stream.start", "stream", {"title": "t", "tags": [], "activity": "paper reading"}),
    (1.0, "now", "stream", {"goal": "Reproduce table 2", "hypothesis": "seed matters"}),
    (5.0, "activity", "stream", {"mode": "debugging"}),
    (6.0, "activity", "stream", {"mode": "debugging"}),  # the same again: no new chapter
    (7.0, "marker", "stream", {"label": "found the off-by-one"}),
    (8.0, "run.start", "run:a", {"run": "a", "name": "lr-1e-3"}),
    (9.0, "run.start", "run:b", {"run": "b", "name": "lr-3e-4"}),
    (10.0, "run.end", "run:a", {"run": "a", "status": "finished", "summary": {"loss": 0.31}}),
    (20.0, "air", "stream", {"state": "paused"}),
    (30.0, "air", "stream", {"state": "on"}),
    (30.0 + IDLE_GAP + 60, "term.output", "term:1", {"text": "back\r\n"}),
]


def titles(chapters: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(c["title"], c["type"], c["auto"]) for c in chapters]


def test_chapters_come_from_what_the_streamer_says_and_what_the_log_shows() -> None:
    fold = StreamFold().apply_all(events(SESSION))
    chapters = fold.snapshot()["chapters"]
    assert titles(chapters) == [
        ("Paper reading", "activity", False),
        ("Goal: Reproduce table 2", "now", False),
        ("Debugging", "activity", False),
        ("found the off-by-one", "marker", False),
        ("2 runs started: lr-1e-3, lr-3e-4", "run.start", True),
        ("Run lr-1e-3 finished", "run.end", True),
        ("Off air", "air", True),
        ("Back on air", "air", True),
        ("Back after 6 min idle", "idle", True),
    ]
    assert chapters[1]["summary"] == "seed matters"
    assert chapters[5]["summary"] == "loss 0.31"
    assert chapters[3]["activity"] == "debugging"
    assert [c["seq"] for c in chapters][:4] == [1, 2, 3, 5]


def test_a_keyframe_and_the_events_after_it_give_the_same_chapters_as_the_whole_log() -> None:
    evs = events(SESSION)
    whole = StreamFold().apply_all(evs).snapshot()["chapters"]
    for cut in range(len(evs) + 1):
        state = StreamFold().apply_all(evs[:cut]).snapshot() if cut else None
        assert fold_chapters(state, evs[cut:]) == whole
        # Restoring a keyframe keeps its chapters too.
        if state:
            assert StreamFold.restore(state).snapshot().get("chapters") == state.get("chapters")


def test_edits_retitle_summarise_and_hide_chapters() -> None:
    chapters = StreamFold().apply_all(events(SESSION)).snapshot()["chapters"]
    edited = with_edits(
        chapters,
        {
            5: {"title": "The off-by-one in the loader", "summary": "index 0 was skipped"},
            3: {"hidden": True},
        },
    )
    by_seq = {c["seq"]: c for c in edited}
    assert 3 not in by_seq
    assert by_seq[5]["title"] == "The off-by-one in the loader"
    assert by_seq[5]["summary"] == "index 0 was skipped" and by_seq[5]["edited"]
    assert len(edited) == len(chapters) - 1


def test_the_catch_up_parts_keep_notes_and_open_questions(tmp_path: Path) -> None:
    said = {"user": "u:1", "name": "bo", "role": "viewer"}
    fold = StreamFold().apply_all(
        events(
            [
                (1.0, "note", "notes", {"text": "first"}),
                (2.0, "question", "qa", {"id": "q1", "text": "why adam?", **said}),
                (3.0, "question", "qa", {"id": "q2", "text": "which seed?", **said}),
                (4.0, "question.vote", "qa", {"question": "q2", "user": "u:2"}),
                (5.0, "question.answered", "qa", {"question": "q1", "by": "c:ada"}),
                (
                    6.0,
                    "comment",
                    "comments",
                    {
                        "id": "c1",
                        "kind": "bug",
                        "text": "off by one",
                        "anchor": {"file": "a.py", "line": 3},
                        **said,
                    },
                ),
                (
                    7.0,
                    "comment.status",
                    "comments",
                    {"comment": "c1", "status": "acknowledged", "by": "c:ada"},
                ),
            ]
        )
    )
    snap = fold.snapshot()
    assert [n["text"] for n in snap["notes"]] == ["first"]
    assert [(q["id"], q["votes"]) for q in snap["open"]["questions"]] == [("q2", 1)]
    assert [(b["id"], b["status"]) for b in snap["open"]["bugs"]] == [("c1", "acknowledged")]
