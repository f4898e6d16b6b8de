"""Nothing secret reaches the server: the real publisher, a real pty, a real server, and the
server's own files read byte by byte."""

from __future__ import annotations

import base64
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.broadcast.test_terminal import Terminal
from tests.conftest import BENCHCAST, ServerProcess, run_cli
from tests.helpers import archive, publish, publisher, terminal_text, wait_for
from tests.secrets.fake_secrets import FAKE


def stored_bytes(srv: ServerProcess) -> bytes:
    """Everything the server has on disk: the database and its write-ahead log."""
    return b"".join(p.read_bytes() for p in srv.data.glob("benchcast.db*"))


def stream(
    srv: ServerProcess,
    key: str,
    tmp: Path,
    env: dict[str, str],
    script: str,
    *extra: str,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *BENCHCAST,
            "stream",
            "--server",
            srv.url,
            "--key",
            key,
            "--data",
            str(tmp / "pub"),
            *extra,
            "--",
            "bash",
            "-c",
            script,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def last_stream(srv: ServerProcess) -> str:
    return str(httpx.get(srv.url + "/api/streams").json()["streams"][0]["id"])


def test_a_secret_environment_variable_never_reaches_the_server(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    value = "qX7" + secrets.token_urlsafe(24)
    env = dict(env_clean, LAB_API_TOKEN=value)
    res = stream(
        server,
        key,
        tmp_path,
        env,
        "printenv LAB_API_TOKEN; printenv LAB_API_TOKEN | base64; "
        'echo "url: https://x.test/?k=$(printf %s "$LAB_API_TOKEN" | '
        "python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.stdin.read()))')\";"
        " echo done",
    )
    assert res.returncode == 0, res.stderr
    assert "hid" in res.stderr  # the streamer is told, locally
    text = terminal_text(archive(server.url, last_stream(server)))
    assert "done" in text and "•" in text
    disk = stored_bytes(server)
    assert value.encode() not in disk
    assert base64.b64encode(value.encode()).decode()[:24].encode() not in disk
    assert value not in text


def test_the_values_in_a_dot_env_file_never_reach_the_server(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    project = tmp_path / "project"
    project.mkdir()
    db_password = "pw-" + secrets.token_hex(10)
    odd_value = "Zr8" + secrets.token_urlsafe(18)
    (project / ".env").write_text(
        f"DB_PASSWORD={db_password}\nSERVICE_ID={odd_value}\nDEBUG=true\n"
    )
    res = stream(
        server,
        key,
        tmp_path,
        env_clean,
        "cat .env; echo; echo the id is $(grep SERVICE_ID .env | cut -d= -f2)",
        cwd=project,
    )
    assert res.returncode == 0, res.stderr
    disk = stored_bytes(server)
    assert db_password.encode() not in disk and odd_value.encode() not in disk
    assert b"DEBUG=true" in disk


def test_a_dot_env_written_during_the_stream_is_known_before_its_value_is_printed(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    project = tmp_path / "project"
    project.mkdir()
    # No rule knows this value, and it is printed without its name: only as a known value.
    odd_value = "Zr8" + secrets.token_urlsafe(18)
    token_file = tmp_path / "home" / ".cache" / "huggingface" / "token"
    token_file.parent.mkdir(parents=True)
    hf_value = "Qm2" + secrets.token_urlsafe(18)
    # The values come from files outside: the command line (the terminal's title) has none.
    (tmp_path / "id").write_text(odd_value)
    (tmp_path / "hf").write_text(hf_value)
    res = stream(
        server,
        key,
        tmp_path,
        dict(env_clean, HOME=str(tmp_path / "home")),
        "echo starting; sleep 0.5; "
        'printf "SERVICE_ID=%s\\n" "$(cat ../id)" > .env; echo "the id is $(cat ../id)"; '
        f'cp ../hf {token_file}; echo "logged in as $(cat ../hf)"; echo done',
        cwd=project,
    )
    assert res.returncode == 0, res.stderr
    text = terminal_text(archive(server.url, last_stream(server)))
    assert "the id is ••" in text and "logged in as ••" in text and "done" in text
    disk = stored_bytes(server)
    assert odd_value.encode() not in disk and hf_value.encode() not in disk


def test_a_password_typed_at_a_silent_prompt_never_appears(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    password = "typed-" + secrets.token_hex(6)
    term = Terminal(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            key,
            "--data",
            str(tmp_path / "pub"),
            "--",
            "bash",
            "--norc",
            "--noprofile",
            "-c",
            'read -s -p "Password: " PW; echo; echo "got ${#PW} chars"; sudo_like=$PW; echo ok',
        ],
        env_clean,
        cols=80,
        rows=24,
    )
    term.read_until(b"Password: ")
    term.type(password + "\r")
    term.read_until(b"ok")
    assert term.wait() == 0
    assert password.encode() not in term.screen  # not echoed locally either
    events = wait_for(
        lambda: (
            (a := archive(server.url, last_stream(server))) and a[-1]["kind"] == "stream.end" and a
        )
    )
    assert "got 18 chars" in terminal_text(events)
    assert password.encode() not in stored_bytes(server)


def test_panic_with_a_10s_delay_keeps_the_last_10s_off_the_server(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    proc = subprocess.Popen(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            key,
            "--data",
            str(tmp_path / "pub"),
            "--delay",
            "10",
            "--",
            "bash",
            "-c",
            "for i in $(seq 1 30); do echo tick-$i; sleep 0.2; done",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env_clean,
    )
    try:
        sid = wait_for(lambda: httpx.get(server.url + "/api/streams").json()["streams"])[0]["id"]
        time.sleep(3.0)
        panic = run_cli("panic", "--data", str(tmp_path / "pub"))
        assert panic.returncode == 0, panic.stderr
        assert "off air" in panic.stderr
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    finally:
        proc.kill()
    events = archive(server.url, sid)
    assert [e["data"] for e in events if e["kind"] == "air"] == [{"state": "paused"}]
    assert "tick-" not in terminal_text(events)
    assert b"tick-" not in stored_bytes(server)
    assert events[-1]["kind"] == "stream.end"


def test_pause_sends_nothing_and_resume_sends_the_screen_not_a_backlog(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    key = server.create_channel("ada")
    data = str(tmp_path / "pub")
    script = (
        "echo before-pause; benchcast pause; for i in $(seq 1 40); do echo off-air-$i; "
        "done; clear; echo still-paused; benchcast resume; sleep 0.3; echo after-resume"
    )
    env = dict(env_clean, PATH=str(Path(sys.executable).parent) + ":" + env_clean["PATH"])
    res = stream(server, key, tmp_path, env, script)
    assert res.returncode == 0, res.stderr
    del data
    events = archive(server.url, last_stream(server))
    text = terminal_text(events)
    assert "before-pause" in text and "after-resume" in text
    assert "off-air-" not in text  # printed off air and cleared before resuming
    assert "still-paused" in text  # on screen when the stream resumed: sent as the screen
    states = [e["data"]["state"] for e in events if e["kind"] == "air"]
    assert states == ["paused", "on"]


def test_the_server_masks_what_a_publisher_failed_to(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key, title=f"rotating {FAKE['openai-key']}")
    token = FAKE["github-token"]
    publish(
        ws,
        [
            {
                "pseq": 1,
                "t": 0.0,
                "kind": "term.output",
                "source": "term:1",
                "data": {"text": f"\x1b[32m{token}\x1b[0m\r\n"},
            },
            {
                "pseq": 2,
                "t": 0.1,
                "kind": "note",
                "source": "stream",
                "data": {"text": f"rotated {FAKE['stripe-key']}"},
            },
            {
                "pseq": 3,
                "t": 0.2,
                "kind": "note",
                "source": f"run:{FAKE['npm-token']}",
                "data": {"text": "a source is text too"},
            },
        ],
    )
    events = archive(server.url, welcome["stream"])
    assert token not in repr(events) and FAKE["stripe-key"] not in repr(events)
    assert FAKE["npm-token"] not in repr(events) and events[2]["source"].endswith("[npm-token]")
    assert token.encode() not in stored_bytes(server)
    assert "[github-token]" in events[0]["data"]["text"]
    # The title came in the hello, before any event.
    (listed,) = httpx.get(server.url + "/api/streams").json()["streams"]
    assert listed["title"].startswith("rotating ••") and "openai" in listed["title"]
    assert FAKE["openai-key"].encode() not in stored_bytes(server)


def test_preview_shows_what_viewers_would_receive(tmp_path: Path) -> None:
    text = f"deploying with {FAKE['stripe-key']} and {FAKE['huggingface-token']}\n"
    res = subprocess.run(
        [*BENCHCAST, "preview"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert res.returncode == 0
    assert FAKE["stripe-key"] not in res.stdout and "[stripe-key]" in res.stdout
    assert res.stdout.startswith("deploying with ")
