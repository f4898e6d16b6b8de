"""The command line: every command documented, settings by one precedence, the contract's
commands working against a real store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchcast import settings
from benchcast.cli import build_parser
from tests.conftest import BENCHCAST, ServerProcess, run_cli
from tests.helpers import publish, publisher

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["serve"],
    ["channel"],
    ["channel", "create"],
    ["stream"],
    ["live"],
    ["demo"],
    ["streams"],
    ["export"],
    ["db"],
    ["db", "upgrade"],
    ["user"],
    ["user", "add"],
    ["user", "grant"],
    ["inbox"],
    ["paper"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    res = run_cli(*command, "--help")
    assert res.returncode == 0
    assert "usage: benchcast " + " ".join(command) in res.stdout
    assert res.stdout.count("\n") > 3


def test_every_option_of_every_command_has_help_text() -> None:
    parser = build_parser()
    stack = [parser]
    seen = 0
    while stack:
        p = stack.pop()
        for action in p._actions:
            if action.choices and isinstance(action.choices, dict):
                stack.extend(action.choices.values())
            elif action.option_strings and action.dest != "help":
                assert action.help, f"{p.prog} {action.option_strings} has no help"
                seen += 1
    assert seen > 15


def test_settings_precedence_is_flag_then_env_then_config_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('port = 9001\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("BENCHCAST_CONFIG", str(config))
    monkeypatch.delenv("BENCHCAST_PORT", raising=False)
    monkeypatch.delenv("BENCHCAST_HOST", raising=False)
    assert settings.resolve("port") == 9001
    monkeypatch.setenv("BENCHCAST_PORT", "9002")
    assert settings.resolve("port") == 9002
    assert settings.resolve("port", 9003) == 9003
    assert settings.resolve("host") == "0.0.0.0"
    config.unlink()
    monkeypatch.delenv("BENCHCAST_PORT")
    assert settings.resolve("port") == 8765
    assert settings.resolve("host") == "127.0.0.1"


def test_serve_binds_loopback_by_default_and_port_0_picks_a_free_port(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*BENCHCAST, "serve", "--port", "0", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_channel_create_prints_the_key_last_and_streams_lists_json(server: ServerProcess) -> None:
    key = server.create_channel("ada")
    assert key.startswith("bck_")
    ws, welcome = publisher(server.url, key, title="listed")
    publish(
        ws,
        [
            {
                "pseq": 1,
                "t": 0.0,
                "kind": "term.output",
                "source": "term:1",
                "data": {"text": "hi\r\n"},
            }
        ],
    )
    ws.close()
    res = run_cli("streams", "--json", "--data", str(server.data))
    assert res.returncode == 0, res.stderr
    listed = json.loads(res.stdout)
    assert listed[0]["title"] == "listed" and listed[0]["id"] == welcome["stream"]
    plain = run_cli("streams", "--data", str(server.data))
    assert welcome["stream"] in plain.stdout and "listed" in plain.stdout


def test_export_jsonl_writes_one_envelope_per_line(server: ServerProcess, tmp_path: Path) -> None:
    key = server.create_channel("ada")
    ws, welcome = publisher(server.url, key)
    publish(
        ws,
        [
            {
                "pseq": i,
                "t": i / 10,
                "kind": "term.output",
                "source": "term:1",
                "data": {"text": f"line {i}\r\n"},
            }
            for i in range(1, 6)
        ],
    )
    ws.close()
    target = tmp_path / "out.jsonl"
    res = run_cli(
        "export",
        welcome["stream"],
        "--format",
        "jsonl",
        "-o",
        str(target),
        "--data",
        str(server.data),
    )
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4, 5]
    assert set(lines[0]) == {"seq", "t", "kind", "source", "data"}
    assert (
        run_cli("export", "nope", "--format", "jsonl", "--data", str(server.data)).returncode == 2
    )


def test_stream_without_a_server_says_what_it_needs(env_clean: dict[str, str]) -> None:
    res = subprocess.run(
        [*BENCHCAST, "stream", "--", "true"],
        capture_output=True,
        text=True,
        env=env_clean,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 2
    assert res.stderr.startswith("benchcast: stream needs --server URL and --key KEY")


def test_stream_with_a_wrong_key_fails_before_running_the_command(
    server: ServerProcess, tmp_path: Path, env_clean: dict[str, str]
) -> None:
    marker = tmp_path / "ran"
    res = subprocess.run(
        [
            *BENCHCAST,
            "stream",
            "--server",
            server.url,
            "--key",
            "bck_wrong",
            "--data",
            str(tmp_path / "p"),
            "--",
            "touch",
            str(marker),
        ],
        capture_output=True,
        text=True,
        env=env_clean,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode != 0
    assert "stream key not accepted" in res.stderr
    assert not marker.exists()


def test_ci_runs_the_readme_test_command_exactly() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(
        r"```sh\n\s*(.+?)\n\s*```", readme.split("## Quick start")[1].split("##")[0], re.S
    )
    assert len(commands) == 2
    assert commands[1].strip() in ci.splitlines()
    assert "benchcast demo" in commands[0]


def test_python_m_benchcast_is_the_cli() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "benchcast", "--help"], capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 0 and "benchcast" in res.stdout
