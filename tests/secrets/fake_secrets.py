"""Fake credentials, one or more per rule (made up; they open nothing), plus the fake
secrets in ../shared/fixtures/secrets/. Every one must be hidden wherever it appears."""

from __future__ import annotations

import random
import string
from pathlib import Path

_rng = random.Random(20261126)


def _s(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "_-"
UPPER_NUM = string.ascii_uppercase + string.digits

#: rule id → a fake secret in that format (the whole token, as it would be printed).
FAKE: dict[str, str] = {
    "aws-access-key": "AKIA" + _s(UPPER_NUM, 16),
    "aws-presigned-signature": "X-Amz-Signature=" + _s(HEX, 64),
    "gcp-api-key": "AIza" + _s(B64URL, 35),
    "gcp-oauth-secret": "GOCSPX-" + _s(B64URL, 28),
    "gcs-signed-url": "X-Goog-Signature=" + _s(HEX, 128),
    "azure-storage-key": "AccountKey=" + _s(ALNUM + "+/", 86) + "==",
    "azure-sas-signature": "?sv=2022-11-02&sig=" + _s(ALNUM + "%", 44),
    "digitalocean-token": "dop_v1_" + _s(HEX, 64),
    "databricks-token": "dapi" + _s(HEX, 32),
    "heroku-api-key": "HRKU-" + _s(B64URL, 60),
    "alibaba-access-key": "LTAI" + _s(ALNUM, 20),
    "github-token": "ghp_" + _s(ALNUM, 36),
    "github-oauth": "gho_" + _s(ALNUM, 36),
    "github-fine-grained-pat": "github_pat_" + _s(ALNUM + "_", 82),
    "gitlab-token": "glpat-" + _s(B64URL, 20),
    "bitbucket-token": "ATBB" + _s(ALNUM, 32),
    "atlassian-token": "ATATT3" + _s(B64URL, 180),
    "npm-token": "npm_" + _s(ALNUM, 36),
    "pypi-token": "pypi-AgEIcHlwaS5vcmc" + _s(B64URL, 60),
    "docker-hub-pat": "dckr_pat_" + _s(B64URL, 27),
    "rubygems-key": "rubygems_" + _s(HEX, 48),
    "slack-token": "xoxb-" + _s(string.digits, 12) + "-" + _s(ALNUM, 24),
    "slack-app-token": "xapp-1-A"
    + _s(UPPER_NUM, 10)
    + "-"
    + _s(string.digits, 13)
    + "-"
    + _s(HEX, 64),
    "slack-webhook": "https://hooks.slack.com/services/T"
    + _s(UPPER_NUM, 8)
    + "/B"
    + _s(UPPER_NUM, 10)
    + "/"
    + _s(ALNUM, 24),
    "discord-webhook": "https://discord.com/api/webhooks/"
    + _s(string.digits, 18)
    + "/"
    + _s(B64URL, 68),
    "telegram-bot-token": _s(string.digits, 10) + ":AA" + _s(B64URL, 33),
    "teams-webhook": "https://contoso.webhook.office.com/webhookb2/" + _s(HEX, 60),
    "stripe-key": "sk_live_" + _s(ALNUM, 24),
    "stripe-webhook-secret": "whsec_" + _s(ALNUM, 32),
    "square-token": "sq0atp-" + _s(B64URL, 22),
    "shopify-token": "shpat_" + _s(HEX, 32),
    "sendgrid-key": "SG." + _s(B64URL, 22) + "." + _s(B64URL, 43),
    "mailgun-key": "key-" + _s(ALNUM, 32),
    "mailchimp-key": _s(HEX, 32) + "-us14",
    "twilio-api-key": "SK" + _s(HEX, 32),
    "postman-key": "PMAK-" + _s(HEX, 24) + "-" + _s(HEX, 34),
    "linear-key": "lin_api_" + _s(ALNUM, 40),
    "notion-token": "ntn_" + _s(ALNUM, 46),
    "newrelic-key": "NRAK-" + _s(UPPER_NUM, 27),
    "sentry-token": "sntryu_" + _s(HEX, 64),
    "grafana-token": "glsa_" + _s(ALNUM, 32) + "_" + _s(HEX, 8),
    "vault-token": "hvs." + _s(B64URL, 90),
    "terraform-token": _s(ALNUM, 14) + ".atlasv1." + _s(B64URL, 67),
    "doppler-token": "dp.pt." + _s(ALNUM, 43),
    "pulumi-token": "pul-" + _s(HEX, 40),
    "flyio-token": "fo1_" + _s(B64URL, 43),
    "age-secret-key": "AGE-SECRET-KEY-1" + _s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "anthropic-key": "sk-ant-api03-" + _s(B64URL, 93) + "AA",
    "openai-key": "sk-proj-" + _s(B64URL, 40) + "T3BlbkFJ" + _s(B64URL, 40),
    "openai-project-key": "sk-proj-" + _s(B64URL, 64),
    "huggingface-token": "hf_" + _s(string.ascii_letters, 34),
    "huggingface-org-token": "api_org_" + _s(string.ascii_letters, 34),
    "replicate-token": "r8_" + _s(ALNUM, 37),
    "groq-key": "gsk_" + _s(ALNUM, 52),
    "wandb-key": "WANDB_API_KEY=" + _s(HEX, 40),
    "langsmith-key": "lsv2_pt_" + _s(HEX, 32) + "_" + _s(HEX, 10),
    "perplexity-key": "pplx-" + _s(ALNUM, 48),
    "xai-key": "xai-" + _s(ALNUM, 80),
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9."
    + _s(B64URL, 43),
    "url-credentials": "postgresql://ada:" + _s(ALNUM, 16) + "@db.internal:5432/runs",
    "jupyter-token": "http://127.0.0.1:8888/lab?token=" + _s(HEX, 48),
    "authorization-header": "Authorization: Bearer " + _s(B64URL, 40),
    "password-flag": "--password=" + _s(ALNUM, 14),
    "private-key": "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + _s(ALNUM + "+/", 70)
    + "\n"
    + _s(ALNUM + "+/", 70)
    + "\n-----END OPENSSH PRIVATE KEY-----",
    "password-assignment": "DB_PASSWORD=" + _s(HEX, 22),
    "secret-assignment": 'client_secret: "' + _s(ALNUM, 32) + '"',
}


#: The part of each FAKE entry that must not survive (the token itself, without context).
def secret_part(rule: str) -> str:
    value = FAKE[rule]
    for sep in (
        "Signature=",
        "?sv=2022-11-02&sig=",
        "AccountKey=",
        "WANDB_API_KEY=",
        "?token=",
        "Bearer ",
        "--password=",
        "DB_PASSWORD=",
        'client_secret: "',
    ):
        if sep in value:
            return value.split(sep, 1)[1].rstrip('"')
    if rule == "url-credentials":
        return value.split(":")[2].split("@")[0]
    if rule == "private-key":
        return value.splitlines()[1]
    return value


FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "secrets"

#: Secrets in the shared fixtures: (file, the secret text that must be hidden).
FIXTURE_SECRETS = [
    ("gitleaks/env.prod", "8ae31cacf141669ddfb5da"),
    ("gitleaks/api.go.txt", "AKIALALEMEL33243OLIA"),
    ("detect-secrets/private_key", "somethingSuperRandomAndSecretHereThatShouldNeverBeShared"),
    ("detect-secrets/config.yaml", "AKIATESTTESTTESTTEST"),
    ("detect-secrets/config.yaml", "ToCynx5Se4e2PtoZxEhW7lUJcOX15c54"),
    ("detect-secrets/config.ini", "123456789a1234"),
    ("detect-secrets/config.ini", "12345678901234"),
    ("detect-secrets/each_secret.py.txt", "AKIAIOSFODNN7EXAMPLE"),
    ("detect-secrets/each_secret.py.txt", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("detect-secrets/each_secret.py.txt", "whywouldyouusehttpforpasswords"),
    ("detect-secrets/each_secret.py.txt", "8b1118b376c313ed420e5133ba91307817ed52c2"),
    (
        "detect-secrets/each_secret.py.txt",
        "c2VjcmV0IG1lc3NhZ2Ugc28geW91J2xsIG5ldmVyIGd1ZXNzIG15IHBhc3N3b3Jk",
    ),
]
