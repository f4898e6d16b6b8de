"""Known values: where they are gathered from, and gathered again when those files change."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from benchcast.broadcast.redact import Redactor
from benchcast.secrets import known

SECRETS = {
    "aws": "wJalrXUtnFEMIK7MDENGbPxRfiCYzz9Q",
    "netrc": "n3tRc-pass-7f2b9",
    "pypi": "pypi-Ag3xT7cQ9wE2rY5u",
    "docker": "dckr-pw-Q8s2Lx0v",
    "git": "gitpw-M4n8B2v6C1",
    "hf": "hf_KqPzXwYtRsNmLoJiHuGf",
    "wandb": "a9f3c1e7b5d2f8a4c6e0b1d3f5a7c9e2b4d6f8a0",
    "kaggle": "kgl-9c2e7a1f4b8d3e6a",
}


def home_with_credentials(home: Path) -> None:
    docker_auth = base64.b64encode(f"ada:{SECRETS['docker']}".encode()).decode()
    files = {
        ".aws/credentials": f"[default]\naws_access_key_id = AKIA0\n"
        f"aws_secret_access_key = {SECRETS['aws']}\n",
        ".netrc": f"machine example.test login ada password {SECRETS['netrc']}\n",
        ".pypirc": f"[pypi]\nusername = __token__\npassword = {SECRETS['pypi']}\n",
        ".docker/config.json": json.dumps({"auths": {"r.test": {"auth": docker_auth}}}),
        ".git-credentials": f"https://ada:{SECRETS['git']}@git.example.test\n",
        ".cache/huggingface/token": SECRETS["hf"] + "\n",
        ".config/wandb/api_key": SECRETS["wandb"],
        ".kaggle/kaggle.json": json.dumps({"username": "ada", "key": SECRETS["kaggle"]}),
    }
    for name, text in files.items():
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_every_common_credential_file_gives_its_secret(tmp_path: Path) -> None:
    home_with_credentials(tmp_path)
    found = known.from_credential_files(tmp_path)
    assert {name for name, value in SECRETS.items() if value in found} == set(SECRETS)


def test_a_malformed_credential_file_gives_nothing_and_the_others_still_count(
    tmp_path: Path,
) -> None:
    home_with_credentials(tmp_path)
    (tmp_path / ".kaggle" / "kaggle.json").write_text("[]")  # JSON, but not an object
    (tmp_path / ".docker" / "config.json").write_text("{not json")
    (tmp_path / ".aws" / "credentials").write_text("no section header\n")
    (tmp_path / ".netrc").write_text("machine\n")
    found = known.from_credential_files(tmp_path)
    assert {name for name, value in SECRETS.items() if value in found} == {
        "pypi",
        "git",
        "hf",
        "wandb",
    }


def test_files_changed_since_the_last_look_are_read_again(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    folder.mkdir()
    redactor = Redactor.for_streamer(folders=[folder], env={}, home=home)
    assert redactor.refresh_known() == 0  # nothing changed
    value = "Zr8q7Vd2mXk9Lp4Ws1Tn6Bh"
    (folder / ".env.local").write_text(f"SERVICE_ID={value}\n")
    assert redactor.refresh_known() >= 1
    assert redactor.preview(f"id {value}\n") != f"id {value}\n"
    assert redactor.refresh_known() == 0
    home_with_credentials(home)
    (home / ".kaggle" / "kaggle.json").write_text("[]")  # one odd file among them
    assert redactor.refresh_known() >= 1
    assert SECRETS["hf"] not in redactor.preview(f"token {SECRETS['hf']}\n")


def test_a_change_is_accepted_only_once_its_values_are_read(tmp_path: Path) -> None:
    changes = known.Changes(tmp_path / "home", [tmp_path])
    assert changes.look() is None
    (tmp_path / ".env").write_text("A=1\n")
    state = changes.look()
    assert state is not None
    assert changes.look() == state  # not accepted yet (reading failed, say): still a change
    changes.accept(state)
    assert changes.look() is None
    (tmp_path / "checkpoint.pt").write_bytes(b"x")  # the folder changes, its .env files do not
    assert changes.look() is None
