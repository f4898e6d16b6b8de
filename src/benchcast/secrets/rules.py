"""Provider token formats: public facts about what credentials look like.

Each rule has keywords — literal strings that every match contains — so the scanner runs a
rule's regular expression only near a keyword hit (one Aho-Corasick pass finds them all).
The secret is the rule's ``group`` (0 for the whole match). Rules are ordered from most to
least specific; overlapping findings keep the first.

To add a rule: append a ``Rule`` with a unique id, a pattern, the keywords every match must
contain, and a fake example in ``tests/secrets/fake_secrets.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    group: int = 0
    #: Case-insensitive keyword matching (the keyword list is lowercase then).
    nocase: bool = False
    description: str = field(default="", compare=False)


def _r(
    id: str,
    pattern: str,
    keywords: tuple[str, ...],
    group: int = 0,
    flags: int = 0,
    nocase: bool = False,
) -> Rule:
    return Rule(id, re.compile(pattern, flags), keywords, group, nocase)


_B = r"(?<![A-Za-z0-9_])"  # a token boundary on the left
_E = r"(?![A-Za-z0-9_])"  # … and on the right

RULES: tuple[Rule, ...] = (
    # Private keys: the whole block (the streaming redactor also masks across lines).
    _r(
        "private-key",
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
        ("PRIVATE KEY",),
    ),
    # Cloud providers
    _r(
        "aws-access-key",
        _B + r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + _E,
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    _r(
        "aws-presigned-signature",
        r"X-Amz-(?:Signature|Security-Token|Credential)="
        r"[^&\s\"'<>]{16,}",
        ("X-Amz-",),
    ),
    _r("gcp-api-key", _B + r"AIza[0-9A-Za-z_-]{35}" + _E, ("AIza",)),
    _r("gcp-oauth-secret", _B + r"GOCSPX-[A-Za-z0-9_-]{28}" + _E, ("GOCSPX-",)),
    _r("gcs-signed-url", r"X-Goog-(?:Signature|Credential)=[^&\s\"'<>]{16,}", ("X-Goog-",)),
    _r("azure-storage-key", r"AccountKey=[A-Za-z0-9+/]{86}==", ("AccountKey=",)),
    _r("azure-sas-signature", r"[?&]sig=[A-Za-z0-9%+/=]{20,}", ("sig=",)),
    _r(
        "digitalocean-token",
        _B + r"do[por]_v1_[a-f0-9]{64}" + _E,
        ("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    _r("databricks-token", _B + r"dapi[a-f0-9]{32}(?:-\d)?" + _E, ("dapi",)),
    _r("heroku-api-key", _B + r"HRKU-[A-Za-z0-9_-]{60}" + _E, ("HRKU-",)),
    _r("alibaba-access-key", _B + r"LTAI[a-zA-Z0-9]{20}" + _E, ("LTAI",)),
    # Git hosts and package registries
    _r(
        "github-token",
        _B + r"gh[pousr]_[A-Za-z0-9]{36,255}" + _E,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    _r("github-fine-grained-pat", _B + r"github_pat_[A-Za-z0-9_]{82}" + _E, ("github_pat_",)),
    _r(
        "gitlab-token",
        _B + r"gl(?:pat|dt|ptt|rt|soat|cbt|imt|ft|oas)-[A-Za-z0-9_-]{20,}" + _E,
        ("glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glimt-", "glft-", "gloas-"),
    ),
    _r("bitbucket-token", _B + r"ATBB[A-Za-z0-9_=.-]{32,}" + _E, ("ATBB",)),
    _r("atlassian-token", _B + r"ATATT3[A-Za-z0-9_=-]{100,}" + _E, ("ATATT3",)),
    _r("npm-token", _B + r"npm_[A-Za-z0-9]{36}" + _E, ("npm_",)),
    _r("pypi-token", _B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", ("pypi-AgEIcHlwaS5vcmc",)),
    _r("docker-hub-pat", _B + r"dckr_pat_[A-Za-z0-9_-]{27,}" + _E, ("dckr_pat_",)),
    _r("rubygems-key", _B + r"rubygems_[a-f0-9]{48}" + _E, ("rubygems_",)),
    # Chat and webhooks
    _r(
        "slack-token",
        _B + r"xox[abposr]-[0-9A-Za-z-]{10,}" + _E,
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
    ),
    _r("slack-app-token", _B + r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+" + _E, ("xapp-",)),
    _r(
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}",
        ("hooks.slack.com/",),
    ),
    _r(
        "discord-webhook",
        r"discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}",
        ("discord.com/api/webhooks", "discordapp.com/api/webhooks"),
    ),
    _r("telegram-bot-token", _B + r"\d{8,10}:AA[0-9A-Za-z_-]{33}" + _E, (":AA",)),
    _r("teams-webhook", r"webhook\.office\.com/webhookb2/[\w@/-]{40,}", ("webhook.office.com",)),
    # Payment, mail, SaaS
    _r(
        "stripe-key",
        _B + r"(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,99}" + _E,
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    ),
    _r("stripe-webhook-secret", _B + r"whsec_[A-Za-z0-9+/]{32,}" + _E, ("whsec_",)),
    _r("square-token", _B + r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}" + _E, ("sq0atp-", "sq0csp-")),
    _r(
        "shopify-token",
        _B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _E,
        ("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    _r("sendgrid-key", _B + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _E, ("SG.",)),
    _r("mailgun-key", _B + r"key-[0-9a-zA-Z]{32}" + _E, ("key-",)),
    _r("mailchimp-key", _B + r"[0-9a-f]{32}-us\d{1,2}" + _E, ("-us",)),
    _r("twilio-api-key", _B + r"SK[0-9a-f]{32}" + _E, ("SK",)),
    _r("postman-key", _B + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _E, ("PMAK-",)),
    _r("linear-key", _B + r"lin_api_[a-zA-Z0-9]{40}" + _E, ("lin_api_",)),
    _r(
        "notion-token",
        _B + r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{46})" + _E,
        ("secret_", "ntn_"),
    ),
    _r("newrelic-key", _B + r"NRAK-[A-Z0-9]{27}" + _E, ("NRAK-",)),
    _r(
        "sentry-token",
        _B + r"(?:sntrys_[A-Za-z0-9+/=_]{60,}|sntryu_[a-f0-9]{64})",
        ("sntrys_", "sntryu_"),
    ),
    _r(
        "grafana-token",
        _B + r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}"
        r"={0,2})",
        ("glsa_", "glc_"),
    ),
    _r("vault-token", _B + r"hv[sbr]\.[A-Za-z0-9_-]{24,}" + _E, ("hvs.", "hvb.", "hvr.")),
    _r("terraform-token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", (".atlasv1.",)),
    _r(
        "doppler-token",
        _B + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[a-zA-Z0-9]{40,44}" + _E,
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
    ),
    _r("pulumi-token", _B + r"pul-[a-f0-9]{40}" + _E, ("pul-",)),
    _r("flyio-token", _B + r"fo1_[\w-]{43}" + _E, ("fo1_",)),
    _r(
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ("AGE-SECRET-KEY-1",),
    ),
    # ML platforms
    _r("anthropic-key", _B + r"sk-ant-(?:api|admin|sid)\d\d-[A-Za-z0-9_-]{80,}", ("sk-ant-",)),
    _r(
        "openai-key",
        _B + r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}T3BlbkFJ"
        r"[A-Za-z0-9_-]{20,}" + _E,
        ("T3BlbkFJ",),
    ),
    _r(
        "openai-project-key",
        _B + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}" + _E,
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
    ),
    _r("huggingface-token", _B + r"hf_[A-Za-z0-9]{34,40}" + _E, ("hf_",)),
    _r("huggingface-org-token", _B + r"api_org_[A-Za-z0-9]{34}" + _E, ("api_org_",)),
    _r("replicate-token", _B + r"r8_[A-Za-z0-9]{37}" + _E, ("r8_",)),
    _r("groq-key", _B + r"gsk_[A-Za-z0-9]{52}" + _E, ("gsk_",)),
    _r(
        "wandb-key",
        r"(?i:wandb)[\w.-]{0,20}?[\s'\"]*(?:[:=]|login)[\s'\"]*([a-f0-9]{40}"
        r"|(?:local|wandb_v1)-?[A-Za-z0-9_-]{40,86})" + _E,
        ("wandb",),
        group=1,
        nocase=True,
    ),
    _r("langsmith-key", _B + r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _E, ("lsv2_",)),
    _r("perplexity-key", _B + r"pplx-[A-Za-z0-9]{48}" + _E, ("pplx-",)),
    _r("xai-key", _B + r"xai-[A-Za-z0-9]{80}" + _E, ("xai-",)),
    # Tokens in any text
    _r("jwt", _B + r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", ("eyJ",)),
    _r(
        "url-credentials",
        r"[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\"<>]{1,100}:"
        # …@sha256:… is an image digest (docker://ubuntu:22.04@sha256:…), not a password.
        r"([^\s/@'\"<>]{3,200})@(?!sha\d{3}:[0-9a-f])",
        ("://",),
        group=1,
    ),
    _r("jupyter-token", r"[?&]token=([A-Za-z0-9_-]{16,})", ("token=",), group=1),
    _r(
        "authorization-header",
        r"(?i:authorization|proxy-authorization)[\"']?\s*[:=]\s*[\"']?"
        r"(?i:bearer|basic|token|digest|apikey)\s+([A-Za-z0-9._~+/=-]{8,})",
        ("authorization",),
        group=1,
        nocase=True,
    ),
    _r(
        "bearer-token",
        r"(?i:bearer)\s+([A-Za-z0-9._~+/-]{20,}=*)",
        ("bearer",),
        group=1,
        nocase=True,
    ),
    _r(
        "password-flag",
        # The value follows on the same line: "--password" at the end of a line must not take
        # the next prompt for its value. Metavars ([--token TOKEN]) and $VARS are filtered
        # out by the scanner (see scanner._weak_value).
        r"(?<![\w-])--?(?i:password|passwd|pass|pw|token|api-key|apikey|secret|auth-token)"
        r"(?:=|[ \t]+)(['\"]?)([^\s'\"\[\](){},<>|]{6,})\1",
        ("-pass", "-pw", "-token", "-api-key", "-apikey", "-secret", "-auth-token"),
        group=2,
        nocase=True,
    ),
)

RULE_IDS = frozenset(r.id for r in RULES)
assert len(RULE_IDS) == len(RULES), "rule ids must be unique"
