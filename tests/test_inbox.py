"""``benchcast inbox``: the streamer's inbox in a terminal, never in the streamed one, and
nothing a viewer writes can restyle or retitle that terminal."""

from __future__ import annotations

import io

from rich.console import Console

from benchcast.inbox import notify, plain, render
from tests.conftest import ServerProcess, run_cli
from tests.server.audience.conftest import Viewer, go_live


def test_inbox_once_lists_bug_reports_questions_and_mentions(server: ServerProcess) -> None:
    live = go_live(server)
    bo = Viewer(server.url)
    bo.guest("bo")
    anchor = {"file": "train.py", "line": 42}
    bo.act(live.sid, "/comments", {"kind": "bug", "text": "off by one here", "anchor": anchor})
    bo.act(live.sid, "/questions", {"text": "why adam?"})
    bo.chat(live.sid, "hey @ada look")
    env = {"BENCHCAST_STREAMING": "0", "COLUMNS": "160"}
    res = run_cli("inbox", "--server", server.url, "--key", live.key, "--once", env=env)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "off by one here" in out and "train.py:42" in out and "open" in out
    assert "why adam?" in out and "hey @ada look" in out
    wrong = run_cli("inbox", "--server", server.url, "--key", "bck_wrong", "--once", env=env)
    assert wrong.returncode == 1 and "401" in wrong.stderr
    bo.close()
    live.close()


def test_inbox_refuses_to_run_in_a_streamed_terminal() -> None:
    res = run_cli(
        "inbox", "--server", "http://127.0.0.1:9", "--key", "k", env={"BENCHCAST_STREAMING": "1"}
    )
    assert res.returncode == 1 and "being streamed" in res.stderr


def test_viewer_text_cannot_escape_into_the_terminal() -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J[bold red]x[/]\u202eevil\r\nline"
    assert plain(hostile) == "]0;pwned[2J[bold red]x[/]evil line"
    inbox = {
        "channel": "ada",
        "stream": {"title": hostile, "live": True},
        "bugs": [
            {
                "id": "c1",
                "t": 1.0,
                "status": "open",
                "data": {"name": hostile, "text": hostile, "anchor": {"file": hostile, "line": 1}},
            }
        ],
        "questions": [],
        "mentions": [],
    }
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=200).print(render(inbox))
    out = buf.getvalue()
    assert "pwned" in out  # shown as text …
    assert "\x1b]0;" not in out and "\x1b[2J" not in out  # … never as a sequence
    assert "[bold red]x[/]" in out  # markup is not interpreted
    title = io.StringIO()
    title.isatty = lambda: True  # type: ignore[method-assign]
    notify("title", "bug from \x1b]0;x\x07 \x07bo", title)
    assert title.getvalue() == "\x1b]0;bug from ]0;x bo\x07"
