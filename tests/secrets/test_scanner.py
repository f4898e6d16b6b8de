"""Detection: every fake format is found, fixtures' secrets are hidden, and the hard
negatives and placeholders are left alone."""

from __future__ import annotations

import pytest

from benchcast.broadcast.redact import Redactor
from benchcast.secrets.rules import RULE_IDS
from benchcast.secrets.scanner import Scanner, apply, mask
from tests.secrets.fake_secrets import FAKE, FIXTURE_SECRETS, FIXTURES, secret_part

SCANNER = Scanner()


def test_the_rule_set_covers_at_least_40_formats_each_with_a_fake() -> None:
    assert len(RULE_IDS) >= 40
    assert len(FAKE) >= 40
    assert RULE_IDS - set(FAKE) <= {"bearer-token", "encoded-secret"}


@pytest.mark.parametrize("rule", sorted(FAKE))
def test_each_fake_secret_is_found_in_a_line_of_output(rule: str) -> None:
    text = f"[12:00:01] INFO using {FAKE[rule]} for the upload\n"
    out = apply(text, SCANNER.find(text))
    assert secret_part(rule) not in out
    assert out.startswith("[12:00:01] INFO using ") and out.endswith(" for the upload\n")


@pytest.mark.parametrize(("path", "secret"), FIXTURE_SECRETS)
def test_the_shared_fixtures_secrets_are_hidden(path: str, secret: str) -> None:
    text = (FIXTURES / path).read_text().replace("\n", "\r\n")
    assert secret in text
    assert secret not in Redactor().preview(text)


def test_none_of_the_63_hard_negatives_is_flagged() -> None:
    lines = (FIXTURES / "gitleaks" / "generic_hard_negatives.txt").read_text().splitlines()
    assert len(lines) == 63
    flagged = [line for line in lines if SCANNER.find(line)]
    assert flagged == []
    text = "\r\n".join(lines) + "\r\n"
    assert Redactor().preview(text) == text


@pytest.mark.parametrize(
    "line",
    [
        "export OPENAI_API_KEY=${OPENAI_API_KEY}",
        "TOKEN=<YOUR_TOKEN_HERE>",
        "password: ********",
        "api_key = 'xxxxxxxxxxxxxxxxxxxx'",
        "secret_key = os.environ['SECRET_KEY']",
        "key = config.secrets.api_key",
        "AWS_SECRET_ACCESS_KEY=changeme",
        "Successfully installed torch-2.13.0 numpy-2.4.6 tokenizers-0.21.1",
        "commit 9a038989604e8da62ecddbe2094b16ce1b778be1",
        "--hash=sha256:5c94767cedb5d6987c902ac850ded2c6b4c1e5c6b8b8f8a1d2c3e4f5a6b7c8d9",
        '"integrity": "sha512-Zq9dO8nRkU3rF5qKp0l6h5cRZ8W5Xw2u1y0mA6n5z4PqLk9bO1pQ+3cSaF4aE==",',
        "run_id = 3f2c9a7e-0b1d-4c8e-9f6a-2d5b7c1e8a90",
        "epoch 3 | step 1200 | loss 0.4312 | lr 3.0e-04 | tokens/s 48213",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@lab",
    ],
)
def test_placeholders_code_and_ordinary_output_are_left_alone(line: str) -> None:
    assert SCANNER.find(line) == []


def test_known_values_are_found_plain_and_encoded() -> None:
    import base64
    import json
    import urllib.parse

    value = "Tr0ub4dor&3-horse-battery"
    scanner = Scanner([value])
    forms = [
        value,
        base64.b64encode(value.encode()).decode(),
        base64.b64encode(b"ada:" + value.encode()).decode(),
        base64.urlsafe_b64encode(b"x" + value.encode()).decode(),
        urllib.parse.quote(value, safe=""),
        json.dumps(value)[1:-1],
    ]
    for form in forms:
        text = f"echo {form} | tee log"
        out = apply(text, scanner.find(text))
        assert form not in out, form


def test_short_and_common_values_are_not_treated_as_known_secrets() -> None:
    from benchcast.secrets.known import from_environment

    env = {
        "DEBUG_TOKEN": "true",
        "API_KEY_PORT": "8080",
        "SESSION": "localhost",
        "PWD": "/home/ada/project",
        "HF_TOKEN": "hf_" + "a" * 10 + "Q7xZ2mK9pL4vB8nR3cT6",
        "SSH_AUTH_SOCK": "/tmp/ssh-XXXX/agent.123",
    }
    assert from_environment(env) == [env["HF_TOKEN"]]


def test_masks_keep_the_width_of_the_secret() -> None:
    for n in (1, 5, 10, 40, 200):
        assert len(mask("x" * n, "github-token")) == n
    assert mask("x" * 40, "github-token").endswith("[github-token]")


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        (".env", True),
        (".env.local", True),
        ("config/prod.env", True),
        ("certs/server.pem", True),
        ("deploy/tls.key", True),
        ("home/.ssh/config", True),
        ("id_ed25519", True),
        ("id_rsa.pub", True),
        (".netrc", True),
        ("gcp/service-account-prod.json", True),
        ("infra/prod.tfvars", True),
        (".aws/credentials", True),
        ("k8s/db-secret.yaml", True),
        ("train.py", False),
        ("README.md", False),
        ("data/keys.csv", False),
        ("src/env.py", False),
        ("notebooks/keyboard.ipynb", False),
        ("configs/model.yaml", False),
    ],
)
def test_files_that_hold_secrets_are_never_streamed(path: str, hidden: bool) -> None:
    from benchcast.secrets.files import never_stream

    assert never_stream(path) is hidden
