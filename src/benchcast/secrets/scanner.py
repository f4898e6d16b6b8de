"""Finding secrets in plain text: known values, provider formats, context, encoded forms.

``Scanner.find(text)`` returns the spans to hide. It is stateless; the streaming redactor on
the streamer's machine decides what text to give it (whole lines, the visible screen) and the
server gives it every string it accepts. One Aho-Corasick pass over the text finds both the
known values (in all their encodings) and the keywords that gate the provider rules, so text
with nothing suspicious costs one pass and a couple of cheap regex searches.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from benchcast.secrets.context import classify_name, find_assignments
from benchcast.secrets.known import encodings
from benchcast.secrets.rules import RULES, Rule

CONTEXT_KEYWORDS = (
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "auth",
    "cred",
    "dsn",
    "private",
    "session",
    "cookie",
    "sig",
)
_LONG_RUN = re.compile(r"[A-Za-z0-9+/_-]{32,}")
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}")
_PCT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~+-]){3,}")
_JSON_RUN = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\[\\/\"bfnrt]|[^\s\"\\]){8,}")
_TYPED_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,80})[\"']?\s*(?::=|=|:)\s*[\"']?"
    r"(?P<value>[^\s\"'=:]*)$"
)
# A URL being typed with a password in it: "postgresql://ada:hunt…".
_TYPED_URL_PASSWORD = re.compile(r"://[^\s:/@]{1,100}:(?P<value>[^\s/@]*)$")
# What comes before a credential in the next token: "Bearer <…>", "--password <…>",
# "client_secret: <…>" (a name, checked by classify_name).
_INTRODUCES_SECRET = re.compile(
    r"(?:(?i:\bbearer|\bbasic|\btoken|authorization:|--?(?:password|passwd|pass|token|api-key|"
    r"apikey|secret|auth-token))|(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,80})[\"']?\s*(?::=|=|:))"
    r"[\"']?\s*[\"']?$"
)
_CONTEXT_RULES = {"private-key", "mailchimp-key", "telegram-bot-token", "terraform-token",
                  "azure-sas-signature"}
_SCHEMES = ("bearer", "basic", "token", "digest", "apikey")
MAX_DEPTH = 2


@dataclass(frozen=True)
class Hold:
    """Hold terminal output from ``start``; see ``Scanner.hold_start``."""

    start: int
    strong: bool


@dataclass(frozen=True, order=True)
class Finding:
    start: int
    end: int
    rule: str


def mask(secret: str, rule: str) -> str:
    """A same-width stand-in: ``••••••••[aws-access-key]``, trimmed to the secret's width."""
    label = f"[{rule}]"
    n = len(secret)
    if n >= len(label) + 4:
        return "•" * (n - len(label)) + label
    return "•" * n


def apply(text: str, findings: Iterable[Finding]) -> str:
    out: list[str] = []
    pos = 0
    for f in sorted(findings):
        if f.start < pos:
            continue
        out.append(text[pos : f.start])
        out.append(mask(text[f.start : f.end], f.rule))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def _merge(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings become one span (keeping the first rule's name)."""
    out: list[Finding] = []
    # Longest first at each start, and a rule's name before "known-value" (it says more).
    for f in sorted(findings, key=lambda f: (f.start, -f.end, f.rule == "known-value")):
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end > last.end:
                out[-1] = Finding(last.start, f.end, last.rule)
            continue
        out.append(f)
    return out


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    ok = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return text if ok >= len(text) * 0.9 else None


class Scanner:
    """Finds secrets. ``known`` are literal values (held in memory only, never written)."""

    def __init__(self, known: Iterable[str] = (), rules: Iterable[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._known: set[str] = set()
        self._known_prefixes: set[str] = set()
        self._keyword_prefixes: set[str] = set()
        self._case = ahocorasick.Automaton()
        self._nocase = ahocorasick.Automaton()
        # Rules whose keyword begins the secret itself (ghp_, AKIA, sk-ant-): a token that
        # starts with one is held while it is typed. Context keywords (://, bearer) are not.
        self._prefix_rules = {
            i
            for i, r in enumerate(self.rules)
            if not r.nocase and r.group == 0 and r.id not in _CONTEXT_RULES
        }
        for i, rule in enumerate(self.rules):
            for kw in rule.keywords:
                target = self._nocase if rule.nocase else self._case
                key = kw.lower() if rule.nocase else kw
                existing = target.get(key, None)
                target.add_word(key, (existing or ()) + (("rule", i, len(key)),))
                if len(kw) >= 2 and not rule.nocase and rule.id not in _CONTEXT_RULES:
                    self._keyword_prefixes.update(key[:j] for j in range(2, len(key) + 1))
        for kw in CONTEXT_KEYWORDS:
            existing = self._nocase.get(kw, None)
            self._nocase.add_word(kw, (existing or ()) + (("context", 0, len(kw)),))
        for value in known:
            self._add_known(value)
        self._case.make_automaton()
        self._nocase.make_automaton()

    def _add_known(self, value: str) -> None:
        for form in encodings(value):
            if form in self._known:
                continue
            self._known.add(form)
            self._known_prefixes.update(form[:i] for i in range(2, len(form) + 1))
            existing = self._case.get(form, None)
            self._case.add_word(form, (existing or ()) + (("known", 0, len(form)),))

    def learn(self, value: str) -> bool:
        """Treat a secret found by a rule as a known value from now on, so it is hidden
        wherever it appears next — under a name no rule would suspect, or encoded."""
        if len(value) < 8 or value in self._known or len(self._known) > 50_000:
            return False
        self._add_known(value)
        self._case.make_automaton()
        return True

    @property
    def known_count(self) -> int:
        return len(self._known)

    def hold_start(self, tail: str) -> Hold | None:
        """Where the unfinished end of ``tail`` might be the start of a secret still arriving.

        Strong holds — a token that contains a rule's keyword, the beginning of a known value
        (four characters or more), a value typed after a secret-looking name (``TOKEN=ab…``,
        ``password: ab…``, ``Bearer ab…``) — are masked if still unresolved when the wait
        ends. Weak holds — text that could still become a keyword (``gh`` of ``ghp_``) — are
        released then.
        """
        if not tail or tail[-1].isspace():
            return None
        token_start = len(tail)
        while token_start > 0 and not tail[token_start - 1].isspace():
            token_start -= 1
        token = tail[token_start:]
        if len(token) > 400:
            return None
        starts = [
            end - klen + 1
            for end, tags in (self._case.iter(token) if self._case.kind else ())
            for tag, n, klen in tags
            if tag == "rule"
            and n in self._prefix_rules
            and klen >= 3
            and (end - klen < 0 or not token[end - klen].isalnum())
        ]
        if starts:
            return Hold(token_start + int(min(starts)), strong=True)
        before = tail[:token_start]
        m = _INTRODUCES_SECRET.search(before)
        if m and (m.group("name") is None or classify_name(m.group("name"))):
            # "Authorization: Bea…" is the scheme being typed, not yet the credential.
            scheme = any(w.startswith(token.lower()) for w in _SCHEMES)
            return Hold(token_start, strong=not scheme)
        m2 = _TYPED_ASSIGNMENT.search(token)
        if m2 and classify_name(m2.group("name")):
            return Hold(token_start + m2.start("value"), strong=True)
        m3 = _TYPED_URL_PASSWORD.search(token)
        if m3:
            return Hold(token_start + m3.start("value"), strong=True)
        for i in range(len(token)):
            piece = token[i:]
            if piece in self._known_prefixes:
                return Hold(token_start + i, strong=len(piece) >= 4)
            if piece in self._keyword_prefixes:
                return Hold(token_start + i, strong=False)
        return None

    def find(self, text: str, depth: int = 0) -> list[Finding]:
        if not text:
            return []
        findings: list[Finding] = []
        rules_hit: set[int] = set()
        context = False
        if self._case.kind:
            for end, tags in self._case.iter(text):
                for tag, n, klen in tags:
                    if tag == "known":
                        findings.append(Finding(end - klen + 1, end + 1, "known-value"))
                    else:
                        rules_hit.add(n)
        if self._nocase.kind:
            for _end, tags in self._nocase.iter(text.lower()):
                for tag, n, _klen in tags:
                    if tag == "rule":
                        rules_hit.add(n)
                    else:
                        context = True
        for i in sorted(rules_hit):
            rule = self.rules[i]
            for m in rule.pattern.finditer(text):
                findings.append(Finding(m.start(rule.group), m.end(rule.group), rule.id))
        if context or _LONG_RUN.search(text):
            findings.extend(Finding(a.start, a.end, a.rule) for a in find_assignments(text))
        if depth < MAX_DEPTH:
            findings.extend(self._decoded(text, depth))
        return _merge(findings)

    def _decoded(self, text: str, depth: int) -> list[Finding]:
        """Encoded runs whose decoded text holds a secret: the whole run is the finding."""
        out: list[Finding] = []
        for m in _B64_RUN.finditer(text):
            run = m.group()
            decoded = _b64(run)
            if decoded is not None and self.find(decoded, depth + 1):
                out.append(Finding(m.start(), m.end(), "encoded-secret"))
        if "%" in text:
            for m in _PCT_RUN.finditer(text):
                if "%" not in m.group():
                    continue
                decoded = urllib.parse.unquote(m.group())
                if decoded != m.group() and self.find(decoded, depth + 1):
                    out.append(Finding(m.start(), m.end(), "encoded-secret"))
        if "\\" in text:
            for m in _JSON_RUN.finditer(text):
                if "\\" not in m.group():
                    continue
                try:
                    decoded = json.loads(f'"{m.group()}"')
                except ValueError:
                    continue
                if decoded != m.group() and self.find(decoded, depth + 1):
                    out.append(Finding(m.start(), m.end(), "encoded-secret"))
        return out


def _b64(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        body = body[:-1]
    padded = body + "=" * (-len(body) % 4)
    alt = "-" in body or "_" in body
    try:
        data = base64.urlsafe_b64decode(padded) if alt else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(data)
