"""Nothing secret reaches the server or a viewer, end to end.

Every fake secret (one or more per rule, and the shared fixtures' secrets) is streamed by the
real publisher from a real pty to a real server in each form a stream can carry it: printed
plainly, split across two reads at a random byte (inside a UTF-8 character too), typed a
character at a time, coloured mid-token, base64- and percent-encoded, in a URL, in a window
title; and through the other channels: an edited file and a notebook's outputs on the code
panel, an SDK run's config values, metric names and an SVG figure's title, the stream's title
and tags. A viewer watches live in Chromium. Then the server's files and the publisher's
spool are read byte by byte, and so is every byte the viewer's page received (HTTP responses
and websocket frames) and all the text it shows.

Which form comes first varies by secret (rotated): after its first appearance the publisher
knows a secret as a value and hides it wherever it appears, so each form is also tested as the
one that meets a secret unknown. ``tests/broadcast/test_redact.py`` tests every form alone
(every split position included) on the redactor itself.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from benchcast.secrets.visible import project
from tests.broadcast.test_redact import SUFFIX_KEYED
from tests.secrets.fake_secrets import FAKE, FIXTURE_SECRETS, FIXTURES, secret_part

from .conftest import BrowserServer, open_stream, wait_text

pytestmark = pytest.mark.timeout(180)

LEAK_SCRIPT = Path(__file__).with_name("leak_script.py")
SINGLE_LINE = sorted(r for r in FAKE if "\n" not in FAKE[r])
FORMS = ("split", "typed", "coloured", "encoded", "url", "title", "plain")


def out(text: str | bytes) -> dict[str, str]:
    data = text.encode() if isinstance(text, str) else text
    return {"out": data.decode("latin-1")}


def form_steps(form: str, rule: str, rng: random.Random) -> list[dict[str, Any]]:
    """The steps that show ``FAKE[rule]`` in one form."""
    value = FAKE[rule]
    if form == "plain":
        return [out(f"plain → {value}\n")]
    if form == "split":
        line = f"split → {value} ←\n".encode()
        cut = rng.randrange(1, len(line))
        # Longer than the idle hold: the first part must wait for the rest on its own merits.
        return [out(line[:cut]), {"sleep": 0.12}, out(line[cut:])]
    if form == "typed":
        if rule in SUFFIX_KEYED:  # known only once complete: see test_redact.py
            return [out(f"typed → {value}\n")]
        steps: list[dict[str, Any]] = [out("typed → ")]
        for ch in value:
            steps += [out(ch), {"sleep": 0.003}]
        return [*steps, out("\n")]
    if form == "coloured":
        mid = len(value) // 2
        return [out(f"coloured → {value[:mid]}\x1b[1;31m{value[mid:]}\x1b[0m ok\n")]
    if form == "encoded":
        b64 = base64.b64encode(f"creds={value}".encode()).decode()
        pct = urllib.parse.quote(value, safe="")
        return [out(f"base64 → {b64}\n"), out(f"percent → {pct}\n")]
    if form == "url":
        return [out(f"url → https://ci.example.test/jobs/7?next=%2Fhome&auth={value} (302)\n")]
    assert form == "title"
    return [out(f"\x1b]0;title → {value}\x07\x1b]2;{value}\x07title set\n")]


def forbidden(rule: str) -> list[str]:
    """What must appear nowhere: the secret, and the encoded forms the plan printed."""
    value = FAKE[rule]
    return [
        secret_part(rule),
        base64.b64encode(f"creds={value}".encode()).decode(),
        urllib.parse.quote(value, safe=""),
    ]


NOTEBOOK_SECRETS = ("huggingface-token", "replicate-token")
FILE_SECRETS = ("openai-key", "groq-key", "anthropic-key")
CONFIG_SECRETS = ("huggingface-org-token", "url-credentials", "wandb-key")
METRIC_SECRET = "npm-token"
FIGURE_SECRET = "pypi-token"


def notebook(outputs: list[dict[str, Any]]) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": ["import os\n", "print(os.environ['HF_HOME'])"],
        "outputs": outputs,
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1)


def plan() -> list[dict[str, Any]]:
    rng = random.Random(20261126)
    steps: list[dict[str, Any]] = []
    for i, rule in enumerate(SINGLE_LINE):
        k = i % len(FORMS)
        for form in FORMS[k:] + FORMS[:k]:
            steps += form_steps(form, rule, rng)
    steps.append(out(f"key → \n{FAKE['private-key']}\nend of key\n"))
    for name in sorted({name for name, _ in FIXTURE_SECRETS}):
        text = (FIXTURES / name).read_text(errors="replace")
        steps.append(out(f"cat {name}\n{text}\n"))
    hf, rep = (FAKE[r] for r in NOTEBOOK_SECRETS)
    openai, groq, anthropic = (FAKE[r] for r in FILE_SECRETS)
    train = "import os\n\nLR = 3e-4\n"
    steps += [
        {"file": "train.py", "text": f'{train}OPENAI_API_KEY = "{openai}"  # {groq}\n'},
        {"sleep": 1.5},  # well past the folder watcher's debounce: two versions, not one
        {"file": "train.py", "text": f'{train}client = Client(api_key="{anthropic}")\n'},
        {
            "file": "analysis.ipynb",
            "text": notebook(
                [
                    {"output_type": "stream", "name": "stdout", "text": [f"token {hf}\n"]},
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": [f"'{rep}'"]},
                    },
                ]
            ),
        },
        {"sleep": 0.6},
        {
            "sdk": {
                "config": {
                    "hf_token": FAKE[CONFIG_SECRETS[0]],
                    "data": {"dsn": FAKE[CONFIG_SECRETS[1]], "env": FAKE[CONFIG_SECRETS[2]]},
                    "lr": 0.0003,
                },
                "metrics": {f"loss/{FAKE[METRIC_SECRET]}": 0.5, "loss/train": 0.25},
                # An SVG carries its text: this one is withheld whole.
                "figure": f"loss, with {FAKE[FIGURE_SECRET]}",
            }
        },
        out("all-done\n"),
        {"sleep": 1.0},
    ]
    return steps


def everything_forbidden() -> dict[str, str]:
    """Each forbidden text, and where it comes from (for a failure's message)."""
    found = {text: rule for rule in FAKE for text in forbidden(rule)}
    found.update({secret: f"fixture {name}" for name, secret in FIXTURE_SECRETS})
    found.update({line: "private-key" for line in FAKE["private-key"].splitlines()[1:-1]})
    return found


def pieces() -> dict[str, str]:
    """Pieces of each secret's random second half (10 characters: none of them turns up by
    chance): one that shows was sent before its secret was recognised, as in a line sent in
    parts (formats known only by how they end aside: see test_redact.py)."""
    out = {}
    for rule in SINGLE_LINE:
        if rule in SUFFIX_KEYED:
            continue
        secret = secret_part(rule)
        half = len(secret) // 2
        out.update({secret[i : i + 10]: f"{rule} (a piece)" for i in range(half, len(secret) - 9)})
    return out


def leaks(blob: bytes, what: dict[str, str]) -> list[str]:
    return sorted({rule for text, rule in what.items() if text.encode() in blob})


def output_text(events: list[dict[str, Any]]) -> str:
    """All terminal output of these events, joined, as it shows without escape sequences: a
    secret sent in pieces (a frame or a row each) is whole again here."""
    raw = "".join(e["data"]["text"] for e in events if e.get("kind") == "term.output")
    return project(raw).plain


def events_in(frame: bytes) -> list[dict[str, Any]]:
    """The events a websocket frame carries (any JSON object with a kind and data in it)."""
    try:
        found: list[Any] = [json.loads(frame)]
    except ValueError:
        return []
    out = []
    while found:
        item = found.pop()
        if isinstance(item, dict):
            if isinstance(item.get("kind"), str) and isinstance(item.get("data"), dict):
                out.append(item)
            found.extend(item.values())
        elif isinstance(item, list):
            found.extend(item)
    return sorted(out, key=lambda e: e.get("seq", 0))


def test_no_secret_in_any_form_or_channel_reaches_the_server_or_a_viewer(
    bserver: BrowserServer, page: Any, page_errors: list[str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text("import os\n\nLR = 3e-4\n")
    (work / "analysis.ipynb").write_text(notebook([]))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan()))
    script = (
        "echo ready; while [ ! -e ../go ]; do sleep 0.05; done; "
        f"{sys.executable} {LEAK_SCRIPT} {plan_file}"
    )
    # Secrets of their own (not FAKE's): the title and tags reach the publisher first, and
    # the output's secrets must each meet the redactor unknown in some form.
    rng = random.Random(7)
    title_secret = "lin_api_" + "".join(rng.choices(string.ascii_letters + string.digits, k=40))
    tag_secret = "sk_live_" + "".join(rng.choices(string.ascii_letters + string.digits, k=24))
    stream = bserver.publish(
        script, title=f"debugging {title_secret}", tags=("ml", tag_secret), watch=work
    )

    # Everything the viewer's page receives, from its first request on.
    frames: list[bytes] = []
    responses: list[Any] = []

    def on_frame(payload: str | bytes) -> None:
        frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def on_socket(ws: Any) -> None:
        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    page.on("response", lambda response: responses.append(response))
    open_stream(page, bserver.url, stream.id)
    wait_text(page, "ready")
    (tmp_path / "go").touch()
    stream.wait(120)
    assert stream.proc.returncode == 0
    wait_text(page, "all-done", timeout=60_000)
    page.wait_for_function("() => !window.benchcast.state().streamLive", timeout=30_000)

    what = everything_forbidden()
    what.update({title_secret: "the title", tag_secret: "a tag"})
    # What the page shows: the terminal's whole buffer (scrollback too; a wrapped row goes on
    # the row before it), and every panel's text, with the code panel on each file.
    shown = page.evaluate(
        """() => {
            const buf = window.benchcast.term.buffer.active;
            const lines = [];
            for (let y = 0; y < buf.length; y++) {
                const line = buf.getLine(y);
                const text = line.translateToString(true);
                if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
                else lines.push(text);
            }
            return lines.join("\\n");
        }"""
    )
    page.click('[data-tab="code"]')
    texts = [shown, page.inner_text("body")]
    for path, marker in (("train.py", "Client(api_key="), ("analysis.ipynb", "token ••")):
        page.click(f'.tree-row[data-path="{path}"]')
        page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=marker)
        texts.append(page.inner_text("body"))
    page.click('[data-tab="runs"]')
    figure = page.locator('.rfig[data-figure="plot"]')
    figure.scroll_into_view_if_needed()
    figure.locator(".img-missing").wait_for()  # withheld: the viewer is told, not shown it
    # The browser reports the withheld image's 404 as an error in the page: expected here,
    # and only for that image.
    plot = next(e for e in bserver.events(stream.id) if e["data"].get("key") == "plot")
    missing = [r.url for r in responses if r.status == 404]
    assert missing and all(u.endswith("/blobs/" + plot["data"]["blob"]) for u in missing), missing
    not_found = [e for e in page_errors if "404" in e]
    assert len(not_found) == len(missing), page_errors
    page_errors[:] = [e for e in page_errors if "404" not in e]
    texts.append(page.inner_text("body"))
    received = b"".join(frames)
    bodies = []
    for response in responses:
        try:
            bodies.append(response.body())
        except Exception:  # a redirect or an aborted request has no body
            continue
    assert any(b'id="stream-data"' in body for body in bodies), "the page itself was read"
    received += b"".join(bodies)

    # It all arrived, masked: the checks below look where the secrets would be.
    assert shown.count("plain → ") == len(SINGLE_LINE)
    assert "all-done" in shown and "[github-token]" in shown
    events = bserver.events(stream.id)
    kinds = {e["kind"] for e in events}
    assert {"redacted", "file.snapshot", "run.start", "metric"} <= kinds, kinds
    redacted = [e["data"] for e in events if e["kind"] == "redacted"]
    assert sum(r["count"] for r in redacted) >= len(SINGLE_LINE) * len(FORMS)
    # The publisher counted the title's secret (the server's rules would mask it silently).
    assert any("linear-key" in r["rules"] for r in redacted)
    hello = next(json.loads(f) for f in frames if f.startswith(b'{"type":"hello"'))
    title, tags = hello["stream"]["title"], hello["stream"]["tags"]
    assert title.startswith("debugging ••") and title.endswith("[linear-key]")
    assert tags[0] == "ml" and tags[1].startswith("••") and tags[1].endswith("[stripe-key]")
    # JSON escapes the mask's bullets and the quotes in file text.
    got = received.decode(errors="replace").replace("\\u2022", "•").replace('\\"', '"')
    for masked in (
        'OPENAI_API_KEY = "••',  # the file, as first written
        'Client(api_key="••',  # edited
        "token ••",  # the notebook's output
        '"hf_token":"••',  # the run's config
        "loss/train",
    ):
        assert masked in got, masked

    # Output sent in pieces is joined again here: a secret or a piece of one sent before it
    # was recognised shows whole.
    what_in_pieces = {**what, **pieces()}
    viewer_output = output_text([e for f in frames for e in events_in(f)])
    assert "all-done" in viewer_output
    assert not leaks(received + got.encode(), what), "the viewer's page received secrets"
    assert not leaks(viewer_output.encode(), what_in_pieces), "the viewer got secrets in pieces"
    assert not leaks("\n".join(texts).encode(), what), "the viewer's page shows secrets"
    stored_output = output_text(events)
    assert "all-done" in stored_output
    assert not leaks(stored_output.encode(), what_in_pieces), "the server stored secrets in pieces"
    files = [p for p in bserver.data.rglob("*") if p.is_file()] + [bserver.log]
    stored = b"".join(p.read_bytes() for p in files)
    assert not leaks(stored, what), "the server stored or logged secrets"
    spool = b"".join(
        p.read_bytes() for p in (bserver.root / f"pub-{stream.channel}").rglob("*") if p.is_file()
    )
    assert spool, "the publisher's spool is where it was expected"
    assert not leaks(spool, what), "the publisher spooled secrets"
