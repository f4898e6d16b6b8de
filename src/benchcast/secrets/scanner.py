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

from benchcast.secrets.context import assignments_near, classify_name
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
_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Tokens holding a percent escape or a JSON escape: the candidates for decoding.
_HEXISH = re.compile(r"[0-9a-fA-F]+")
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
_CONTEXT_RULES = {
    "private-key",
    "mailchimp-key",
    "telegram-bot-token",
    "terraform-token",
    "azure-sas-signature",
}
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
    """The decoded text if it is mostly printable ASCII (base64 of text), else None."""
    if not data or len(data.translate(None, _PRINTABLE)) > len(data) // 10:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Scanner:
    """Finds secrets. ``known`` are literal values (held in memory only, never written).

    One Aho-Corasick automaton over the lowercased text finds rule keywords, context words
    and known values in a single pass; exact case is checked afterwards on the few hits
    (a rule's regular expression does it for keywords; known values are compared).
    """

    def __init__(self, known: Iterable[str] = (), rules: Iterable[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._known: dict[str, set[str]] = {}  # lowercased form → the forms themselves
        self._known_prefixes: set[str] = set()
        self._keyword_prefixes: set[str] = set()
        self._auto = ahocorasick.Automaton()
        # Rules whose keyword begins the secret itself (ghp_, AKIA, sk-ant-): a token that
        # starts with one is held while it is typed. Context keywords (://, bearer) are not.
        self._prefix_rules = {
            i
            for i, r in enumerate(self.rules)
            if not r.nocase and r.group == 0 and r.id not in _CONTEXT_RULES
        }
        for i, rule in enumerate(self.rules):
            for kw in rule.keywords:
                self._tag(kw.lower(), ("rule", i, len(kw)))
                if len(kw) >= 2 and not rule.nocase and rule.id not in _CONTEXT_RULES:
                    self._keyword_prefixes.update(kw[:j] for j in range(2, len(kw) + 1))
        for kw in CONTEXT_KEYWORDS:
            self._tag(kw, ("context", 0, len(kw)))
        for value in known:
            self._add_known(value)
        self._auto.make_automaton()

    def _tag(self, word: str, tag: tuple[str, int, int]) -> None:
        existing = self._auto.get(word, ())
        if tag not in existing:
            self._auto.add_word(word, (*existing, tag))

    def _add_known(self, value: str) -> None:
        for form in encodings(value):
            low = form.lower()
            if len(low) != len(form):
                continue  # lowercasing changed its length; matched by its other forms
            forms = self._known.setdefault(low, set())
            if form in forms:
                continue
            forms.add(form)
            self._known_prefixes.update(form[:i] for i in range(2, len(form) + 1))
            self._tag(low, ("known", 0, len(form)))

    def learn(self, value: str) -> bool:
        """Treat a secret found by a rule as a known value from now on, so it is hidden
        wherever it appears next — under a name no rule would suspect, or encoded."""
        if (
            len(value) < 8
            or value in self._known.get(value.lower(), ())
            or len(self._known) > 50_000
        ):
            return False
        self._add_known(value)
        self._auto.make_automaton()
        return True

    @property
    def known_count(self) -> int:
        return sum(len(v) for v in self._known.values())

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
            for end, tags in (self._auto.iter(token.lower()) if self._auto.kind else ())
            for tag, n, klen in tags
            if tag == "rule"
            and n in self._prefix_rules
            and klen >= 3
            and token[end - klen + 1 : end + 1] in self.rules[n].keywords
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
        rule_hits: dict[int, list[int]] = {}
        context_hits: list[int] = []
        low = text.lower()
        if len(low) != len(text):  # a few characters lowercase to two: keep positions exact
            low = text.translate(_ASCII_LOWER)
        if self._auto.kind:
            for end, tags in self._auto.iter(low):
                for tag, n, klen in tags:
                    if tag == "rule":
                        rule_hits.setdefault(n, []).append(end)
                    elif tag == "context":
                        context_hits.append(end)
                    elif (
                        text[end - klen + 1 : end + 1] in self._known[low[end - klen + 1 : end + 1]]
                    ):
                        findings.append(Finding(end - klen + 1, end + 1, "known-value"))
        for i, ends in rule_hits.items():
            rule = self.rules[i]
            # A rule's match lies on the line of its keyword (a key block spans lines).
            spans = [(0, len(text))] if rule.id == "private-key" else _lines_around(text, ends)
            for start, stop in spans:
                for m in rule.pattern.finditer(text, start, stop):
                    if rule.id == "password-flag" and _weak_flag_value(m.group(rule.group)):
                        continue
                    findings.append(Finding(m.start(rule.group), m.end(rule.group), rule.id))
        # A long random run may be a value under any name (the generic context rule); hashes
        # and ids (hex, one case) never qualify, and are most of the long runs in practice.
        # A long random run may be a value under any name (the generic context rule); hashes
        # and ids (hex, one case) never qualify, and are most of the long runs in practice.
        encoded_runs = [
            (m.start(), m.end())
            for m in _RUN.finditer(text)
            if not (m.group().islower() or m.group().isupper() or _HEXISH.fullmatch(m.group()))
        ]
        long_runs = [start for start, stop in encoded_runs if stop - start >= 32]
        if context_hits or long_runs:
            findings.extend(
                Finding(a.start, a.end, a.rule)
                for a in assignments_near(text, context_hits, long_runs)
            )
        if depth < MAX_DEPTH:
            findings.extend(self._decoded(text, depth, encoded_runs))
        return _merge(findings)

    def _decoded(self, text: str, depth: int, runs: list[tuple[int, int]]) -> list[Finding]:
        """Encoded runs whose decoded text holds a secret: the whole run is the finding.

        Base64 candidates are the mixed-case runs of 20+ characters (hashes and ids are hex
        or one case, and are most long runs in ordinary output); only those that decode to
        mostly printable text are scanned again.
        """
        out: list[Finding] = []
        done: set[int] = set()
        for start, stop in runs:
            done.add(start)
            decoded = _b64(text[start:stop])
            if decoded is not None and self.find(decoded, depth + 1):
                out.append(Finding(start, stop, "encoded-secret"))
        for pos in _positions(text, "%"):
            start, stop = _token_around(text, pos)
            if start in done:
                continue
            done.add(start)
            token = text[start:stop]
            if len(token) < 16:
                continue  # "50%", "a%2Fb": too short to hide a secret
            decoded = urllib.parse.unquote(token)
            if decoded != token and self.find(decoded, depth + 1):
                out.append(Finding(start, stop, "encoded-secret"))
        for pos in _positions(text, "\\"):
            start, stop = _token_around(text, pos)
            if start in done:
                continue
            done.add(start)
            token = text[start:stop].strip("\"'")
            try:
                decoded = json.loads(f'"{token}"')
            except ValueError:
                continue
            if decoded != token and self.find(decoded, depth + 1):
                out.append(Finding(start, stop, "encoded-secret"))
        return out


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=")
_TOKEN_STOP = frozenset(" \t\r\n\"'`<>()[]{},;|")


def _b64_run_around(text: str, pos: int) -> tuple[int, int]:
    start = pos
    while start > 0 and text[start - 1] in _B64_CHARS:
        start -= 1
    stop = pos
    while stop < len(text) and text[stop] in _B64_CHARS:
        stop += 1
    return start, stop


def _token_around(text: str, pos: int) -> tuple[int, int]:
    start = pos
    while start > 0 and text[start - 1] not in _TOKEN_STOP:
        start -= 1
    stop = pos
    while stop < len(text) and text[stop] not in _TOKEN_STOP:
        stop += 1
    return start, stop


def _positions(text: str, char: str, limit: int = 200) -> list[int]:
    out: list[int] = []
    pos = text.find(char)
    while pos >= 0 and len(out) < limit:
        out.append(pos)
        pos = text.find(char, pos + 1)
    return out


# What help texts put after a flag: metavars and types, not values.
_METAVARS = {
    "string",
    "stringarray",
    "strings",
    "duration",
    "int",
    "int64",
    "uint",
    "float",
    "value",
    "values",
    "file",
    "path",
    "name",
    "token",
    "password",
    "secret",
    "key",
    "bytes",
    "number",
    "list",
    "text",
    "required",
    "optional",
}


def _weak_flag_value(value: str) -> bool:
    from benchcast.secrets.context import looks_like_placeholder

    return value.lower() in _METAVARS or looks_like_placeholder(value)


def _lines_around(text: str, positions: Iterable[int]) -> list[tuple[int, int]]:
    """The distinct lines of ``text`` that hold these positions, as (start, stop)."""
    spans: dict[int, int] = {}
    for pos in sorted(set(positions)):
        start = text.rfind("\n", 0, pos) + 1
        if start in spans:
            continue
        stop = text.find("\n", pos)
        spans[start] = len(text) if stop < 0 else stop
    return list(spans.items())


_PRINTABLE = bytes(range(32, 127)) + b"\r\n\t"


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
