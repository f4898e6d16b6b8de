"""The streaming redactor: a secret is hidden however the output carries it — split at any
byte, typed a character at a time, coloured mid-token, behind zero-width characters, edited
in place, encoded, in a window title — and the screen keeps its layout."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from benchcast.broadcast.intake import Raw
from benchcast.broadcast.redact import IDLE_HOLD, Redactor, TermRedactor
from benchcast.broadcast.session import Broadcast
from benchcast.broadcast.standalone import OwnStreamSink
from benchcast.replay.fold import TerminalFold
from benchcast.secrets.scanner import Finding, Scanner, mask
from tests.secrets.fake_secrets import FAKE, secret_part

# Single-line formats (the private key block spans lines; it has its own test).
RULES = sorted(r for r in FAKE if "\n" not in FAKE[r])
SCANNER = Scanner(["correct-horse-battery-staple-42"])


def stream(chunks: list[str], gap: float = 0.005, scanner: Scanner = SCANNER) -> str:
    """Feed chunks ``gap`` seconds apart (simulated clock); return everything emitted."""
    term = TermRedactor(scanner, 200, 50)
    out: list[str] = []
    now = 0.0
    for chunk in chunks:
        out += term.feed(chunk, now)
        now += gap
        out += term.tick(now)
    for _ in range(4):
        now += 1.0
        out += term.tick(now)
    out += term.flush()
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(rule=st.sampled_from(RULES), data=st.data())
def test_a_secret_split_across_two_reads_at_any_position_is_hidden(
    rule: str, data: st.DataObject
) -> None:
    line = f"$ deploy --with {FAKE[rule]} --now\r\n"
    raw = line.encode()
    cut = data.draw(st.integers(0, len(raw)))
    # Split at a byte, as a pty read can, even inside a UTF-8 character: decode each side
    # the way the pty loop does (incrementally).
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    chunks = [dec.decode(raw[:cut]), dec.decode(raw[cut:], final=True)]
    assert secret_part(rule) not in stream(chunks)


# Formats known only by how they end (Mailchimp's "-us14", a Telegram token's ":AA…"), or by
# a two-letter start (Twilio's "SK"), cannot be recognised while their start is typed; they
# are caught when the token completes.
SUFFIX_KEYED = {"mailchimp-key", "telegram-bot-token", "terraform-token", "twilio-api-key"}


@settings(max_examples=40, deadline=None)
@given(rule=st.sampled_from([r for r in RULES if r not in SUFFIX_KEYED]))
def test_a_secret_typed_one_character_at_a_time_is_hidden(rule: str) -> None:
    secret = secret_part(rule)
    chunks = ["$ export X=", *FAKE[rule], "\r\n"]
    out = stream(chunks, gap=0.25)  # a slow typist: each echo arrives after the idle hold
    assert secret not in out
    # Not even a piece of its random part went out while it was being typed.
    half = len(secret) // 2
    assert not any(secret[i : i + 6] in out for i in range(half, len(secret) - 6))


@settings(max_examples=80, deadline=None)
@given(rule=st.sampled_from(RULES), data=st.data())
def test_a_secret_coloured_mid_token_or_split_by_invisible_characters_is_hidden(
    rule: str, data: st.DataObject
) -> None:
    secret = FAKE[rule]
    at = data.draw(st.integers(1, len(secret) - 1))
    insert = data.draw(
        st.sampled_from(
            ["\x1b[31m", "\x1b[1;38;5;208m", "\x1b[0m", "\u200b", "\u2060", "\x1b[4m\x1b[24m"]
        )
    )
    out = stream([f"token: {secret[:at]}{insert}{secret[at:]}\x1b[0m\r\n"])
    shown = TerminalFold(200, 5)
    shown.feed(out)
    assert secret_part(rule) not in "".join(shown.text())
    assert secret_part(rule) not in out.replace(insert, "")


@settings(max_examples=60, deadline=None)
@given(rule=st.sampled_from(RULES))
def test_a_secret_base64_or_url_encoded_is_hidden(rule: str) -> None:
    secret = secret_part(rule)
    b64 = base64.b64encode(f"creds={FAKE[rule]}".encode()).decode()
    pct = urllib.parse.quote(FAKE[rule], safe="")
    out = stream([f"Authorization-ish blob: {b64}\r\n", f"GET /cb?next={pct}&x=1\r\n"])
    assert b64 not in out and pct not in out and secret not in out


@settings(max_examples=60, deadline=None)
@given(rule=st.sampled_from(RULES))
def test_a_secret_in_a_window_title_or_hyperlink_is_hidden(rule: str) -> None:
    secret = FAKE[rule]
    out = stream(
        [
            f"\x1b]0;deploying {secret}\x07$ ",
            f"\x1b]8;;https://x.test/?k={secret}\x1b\\link\x1b]8;;\x1b\\\r\n",
        ]
    )
    assert secret_part(rule) not in out


def test_clipboard_writes_are_dropped() -> None:
    payload = base64.b64encode(b"anything at all").decode()
    out = stream([f"copied\x1b]52;c;{payload}\x07!\r\n"])
    assert payload not in out and out == "copied!\r\n"


def test_a_secret_edited_into_place_with_backspaces_is_redrawn_masked() -> None:
    secret = FAKE["github-token"]
    out = stream([f"$ echo {secret[:12]}Q\b \b{secret[12:]}\r\n"])
    shown = TerminalFold(200, 5)
    shown.feed(out)
    assert secret not in "".join(shown.text())
    assert secret[12:] not in out


def test_a_secret_drawn_out_of_order_on_a_full_screen_is_masked_on_screen() -> None:
    secret = FAKE["github-token"]
    chunks = [
        "\x1b[?1049h\x1b[H\x1b[2J",
        f"\x1b[3;30H{secret[19:]}",
        f"\x1b[3;1Hexport GH=\x1b[3;11H{secret[:19]}",
        "\x1b[10;1H-- INSERT --",
    ]
    out = stream(chunks)
    screen = TerminalFold(200, 50)
    screen.feed(out)
    assert secret not in "".join(screen.text())
    assert "export GH=••" in screen.text()[2]


def test_the_mask_keeps_the_screen_layout() -> None:
    secret = FAKE["aws-access-key"]
    raw = f"key {secret} end\r\nnext line\r\n"
    out = stream([raw])
    before, after = TerminalFold(80, 4), TerminalFold(80, 4)
    before.feed(raw)
    after.feed(out)
    assert [len(x) for x in before.text()] == [len(x) for x in after.text()]
    assert after.text()[0].endswith(" end") and after.text()[1] == "next line"


def test_a_private_key_block_is_hidden_when_it_arrives_line_by_line() -> None:
    block = FAKE["private-key"].replace("\n", "\r\n") + "\r\n"
    out = stream([line + "\n" for line in block.split("\n") if line])
    for line in FAKE["private-key"].splitlines()[1:-1]:
        assert line not in out


def test_complete_lines_go_out_at_once_and_unfinished_ones_after_the_idle_hold() -> None:
    term = TermRedactor(SCANNER)
    assert term.feed("epoch 1 loss 0.5\r\n", 0.0) == ["epoch 1 loss 0.5\r\n"]
    assert term.feed("$ ", 1.0) == []
    assert term.tick(1.0 + IDLE_HOLD / 2) == []
    assert term.tick(1.0 + IDLE_HOLD) == ["$ "]


def test_a_learned_secret_is_hidden_where_no_rule_would_find_it() -> None:
    secret = FAKE["huggingface-token"]
    out = stream([f"HF_TOKEN={secret}\r\n", f"cache id: {secret}\r\n"])
    assert secret not in out


def test_every_string_of_other_events_is_scanned() -> None:
    secret = FAKE["openai-project-key"]
    redactor = Redactor(Scanner())
    scanned = redactor.scan(
        [
            Raw(0.0, "note", "stream", {"text": f"used {secret}"}),
            Raw(0.0, "stream.start", "stream", {"title": f"debug {secret}", "tags": [secret]}),
            Raw(0.0, "nb.cell", f"nb:{FAKE['stripe-key']}", {"index": 0, "source": "1 + 1"}),
        ]
    )
    assert secret not in repr([s.data for s in scanned])
    # A source named after what the streamer named (a notebook, a log folder) is text too.
    (cell,) = [s for s in scanned if s.kind == "nb.cell"]
    assert cell.source.startswith("nb:••") and cell.source.endswith("[stripe-key]")
    counts = [s for s in scanned if s.kind == "redacted"]
    assert counts and all(c.data["count"] >= 1 for c in counts)
    assert all(secret not in repr(c.data) for c in counts)


def test_the_title_and_tags_the_uplink_says_hello_with_are_masked(tmp_path: Path) -> None:
    """The hello reaches the server before any event: what it carries is masked too, on the
    streamer's machine (a stream, and an SDK run streaming on its own)."""
    secret, tag = FAKE["openai-project-key"], FAKE["stripe-key"]
    bc = Broadcast(
        server="http://127.0.0.1:9",
        key="bc_key",
        data_dir=tmp_path / "pub",
        title=f"debug {secret}",
        tags=["ml", tag],
        redactor=Redactor(Scanner()),
    )
    sdk = OwnStreamSink(
        data_dir=tmp_path / "sdk",
        server="http://127.0.0.1:9",
        key="bc_key",
        title=f"run {secret}",
        tags=[tag],
        redactor=Redactor(Scanner()),
    )
    try:
        assert bc.uplink.title.startswith("debug ••") and bc.uplink.tags[0] == "ml"
        assert sdk.uplink is not None and sdk.uplink.title.startswith("run ••")
        hellos = repr([bc.uplink.title, bc.uplink.tags, sdk.uplink.title, sdk.uplink.tags])
        assert secret not in hellos and tag not in hellos
    finally:
        bc.uplink.start()  # its loop is closed when its thread ends
        bc.uplink.close()
        bc.spool.close()
        sdk.close(drain=0)


def test_only_the_redactor_constructs_scanned_events() -> None:
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "benchcast"
    makers = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if re.search(r"\bScanned\(", p.read_text())
    ]
    assert makers == ["broadcast/redact.py"]


def test_secrets_in_file_snapshots_and_diffs_are_masked() -> None:
    secret = FAKE["stripe-key"]
    text = f'STRIPE = "{secret}"\n'
    redactor = Redactor(Scanner())
    scanned = redactor.scan(
        [
            Raw(
                0.0,
                "file.snapshot",
                "files",
                {"path": "pay.py", "text": text, "language": "python", "hash": "0" * 64},
            ),
            Raw(
                0.1,
                "file.patch",
                "files",
                {
                    "path": "pay.py",
                    "base": "0" * 64,
                    "hash": "1" * 64,
                    "diff": f"@@ -1 +1 @@\n-x = 1\n+{text}",
                },
            ),
        ]
    )
    assert secret not in repr([s.data for s in scanned])
    assert sum(s.data["count"] for s in scanned if s.kind == "redacted") >= 2


# Control sequences a terminal takes without complaint but pyte's own screen raises on: extra
# parameters (CUF, CUB, CUP, ICH, DCH, CNL) and an erase mode that does not exist (ED 5).
MALFORMED = ["\x1b[1;2C", "\x1b[3;4;5D", "\x1b[1;1;1H", "\x1b[4;5@", "\x1b[1;2P", "\x1b[1;2E"]
MALFORMED += ["\x1b[5;6J", "\x1b[7J", "\x1b[9K", "\x1b[99;99g"]


def test_malformed_control_sequences_on_a_full_screen_neither_stop_nor_unmask_output() -> None:
    secret = FAKE["github-token"]
    for seq in [*MALFORMED, "\x1b[1;2;3;4;5r"]:
        chunks = ["\x1b[?1049h\x1b[H\x1b[2J", f"top{seq}", f"\x1b[5;1Htoken {secret} end\r\n"]
        out = stream(chunks)
        screen = TerminalFold(200, 50)
        screen.feed(out)
        shown = "\n".join(screen.text())
        assert secret not in out and secret not in shown, repr(seq)
        assert "token ••" in shown and " end" in shown, repr(seq)


def test_a_fold_draws_what_follows_a_malformed_control_sequence() -> None:
    for seq in MALFORMED:
        fold = TerminalFold(40, 6)
        fold.feed(f"ab{seq}cd\r\nnext line\r\n")
        text = fold.text()
        assert "cd" in "".join(text) and "next line" in text, repr(seq)
    fold = TerminalFold(40, 3)
    fold.feed("ab\x1b[1;2Ccd")  # CUF 1, as xterm reads it: the first parameter counts
    assert fold.text()[0] == "ab cd"


def test_a_script_streaming_on_its_own_learns_a_dot_env_written_while_it_runs(
    tmp_path: Path,
) -> None:
    from tests.sdk.streaming import spooled

    folder = tmp_path / "project"
    folder.mkdir()
    redactor = Redactor.for_streamer(folders=[folder], env={}, home=tmp_path / "home")
    sink = OwnStreamSink(
        data_dir=tmp_path / "data", server=None, key=None, title="run", redactor=redactor
    )
    value = "Zr8" + "q7Vd2mXk9Lp4Ws1Tn6Bh"  # no rule knows it; printed without its name
    (folder / ".env").write_text(f"SERVICE_ID={value}\n")
    sink.send_events([{"kind": "note", "source": "notes", "data": {"text": f"id {value}"}}])
    sink.close(drain=0)
    notes = [e["data"]["text"] for e in spooled(tmp_path / "data") if e["kind"] == "note"]
    assert notes == [f"id {mask(value, 'known-value')}"]


def test_an_svg_that_cannot_be_scanned_is_withheld_and_nothing_raises() -> None:
    class Failing(Scanner):
        def find(self, text: str, depth: int = 0) -> list[Finding]:
            raise RuntimeError("scanner failed")

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><text>loss</text></svg>'
    assert not Redactor(Scanner()).withholds("image/svg+xml", svg)
    assert Redactor(Failing()).withholds("image/svg+xml", svg)  # fail closed
    assert not Redactor(Failing()).withholds("image/png", b"\x89PNG")  # bytes are not read
