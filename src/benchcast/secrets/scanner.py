"""Finding secrets in plain text: known values, provider formats, context, encoded forms.

``Scanner.find(text)`` returns the spans to hide. It is stateless; the streaming redactor on
the streamer's machine decides what text to give it (whole lines, the visible screen) and the
server gives it every string it accepts. One Aho-Corasick pass over the text finds both the
known values (in all their encodings) and the keywords that gate the provider rules, and one
byte-level pass finds the long token-like runs that may be encoded or random values, so text
with nothing suspicious costs two passes in C and no per-character work in Python.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick_rs

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
#: A token-like run this long may be an encoded or random value (see ``_runs``).
MIN_RUN = 20
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_HEXISH_BYTES = re.compile(rb"[0-9a-fA-F]+")
# Where a token may hold a percent escape or a JSON escape: the candidates for decoding. A
# token without a valid escape decodes to itself, so only these positions are worth a look.
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_JSON_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})')
#: At most this many escapes are followed up per text (each costs a decode and a scan).
MAX_ESCAPES = 2000
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
#: Below this many pattern characters the automaton is a full DFA (fastest to search; its size
#: grows with the patterns); above it, a contiguous NFA (a learned secret adds a dozen forms).
DFA_LIMIT = 40_000


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

    One Aho-Corasick automaton over the text as ASCII bytes (``_ascii``: one byte per
    character, so positions carry over), letters folded to lower case, finds rule keywords,
    context words and known values in a single pass; exact case and characters are checked
    afterwards on the few hits (a case-sensitive rule's keyword and a known value must match
    as written). The same bytes give the long runs (``_runs``).
    """

    def __init__(self, known: Iterable[str] = (), rules: Iterable[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._known: dict[str, set[str]] = {}  # form, ASCII-lowercased → the forms
        self._known_prefixes: set[str] = set()
        self._keyword_prefixes: set[str] = set()
        # The automaton's patterns (ASCII-lowercased, as ``_ascii`` bytes) and, by pattern
        # index, what a hit means: the rules it gates (with the spellings that count, None
        # for any case), whether it is a context word, the known values (exact forms) it
        # stands for.
        self._patterns: list[bytes] = []
        self._index: dict[bytes, int] = {}
        self._gates: list[tuple[tuple[int, frozenset[str] | None], ...]] = []
        self._is_context: list[bool] = []
        self._known_forms: list[set[str] | None] = []
        self._auto: ahocorasick_rs.BytesAhoCorasick | None = None
        self._context_only: list[bool] = []  # context words that gate no rule, known no value
        # Rules whose keyword begins the secret itself (ghp_, AKIA, sk-ant-): a token that
        # starts with one is held while it is typed. Context keywords (://, bearer) are not.
        self._prefix_rules = {
            i
            for i, r in enumerate(self.rules)
            if not r.nocase and r.group == 0 and r.id not in _CONTEXT_RULES
        }
        for i, rule in enumerate(self.rules):
            spellings: dict[str, set[str]] = {}
            for kw in rule.keywords:
                spellings.setdefault(kw.lower(), set()).add(kw)
                if len(kw) >= 2 and not rule.nocase and rule.id not in _CONTEXT_RULES:
                    self._keyword_prefixes.update(kw[:j] for j in range(2, len(kw) + 1))
            for low, kws in spellings.items():
                idx = self._pattern(low)
                # A case-sensitive rule's regular expression holds its keyword as written,
                # so a hit in another case cannot lead to a match: it is dropped at once.
                self._gates[idx] += ((i, None if rule.nocase else frozenset(kws)),)
        for kw in CONTEXT_KEYWORDS:
            self._is_context[self._pattern(kw)] = True
        for value in known:
            self._add_known(value)
        self._build()

    def _pattern(self, word: str) -> int:
        """The index of ``word`` (ASCII-lowercased already) among the patterns."""
        key = _ascii(word)
        idx = self._index.get(key)
        if idx is None:
            idx = self._index[key] = len(self._patterns)
            self._patterns.append(key)
            self._gates.append(())
            self._is_context.append(False)
            self._known_forms.append(None)
        return idx

    def _build(self) -> None:
        """(Re)build the automaton over every pattern."""
        self._context_only = [
            context and not gates and forms is None
            for context, gates, forms in zip(
                self._is_context, self._gates, self._known_forms, strict=True
            )
        ]
        if not self._patterns:
            self._auto = None
            return
        size = sum(len(p) for p in self._patterns)
        impl = (
            ahocorasick_rs.Implementation.DFA
            if size <= DFA_LIMIT
            else ahocorasick_rs.Implementation.ContiguousNFA
        )
        self._auto = ahocorasick_rs.BytesAhoCorasick(self._patterns, implementation=impl)

    def _add_known(self, value: str) -> None:
        for form in encodings(value):
            low = _ascii_lower(form)
            forms = self._known.setdefault(low, set())
            if form in forms:
                continue
            forms.add(form)
            self._known_prefixes.update(form[:i] for i in range(2, len(form) + 1))
            idx = self._pattern(low)
            # Forms that differ only outside ASCII share a pattern ("?" stands for the rest).
            same = self._known_forms[idx]
            if same is None:
                same = self._known_forms[idx] = set()
            same.add(form)

    def learn(self, value: str) -> bool:
        """Treat a secret found by a rule as a known value from now on, so it is hidden
        wherever it appears next — under a name no rule would suspect, or encoded."""
        return self.learn_many([value]) > 0

    def learn_many(self, values: Iterable[str]) -> int:
        """``learn`` each of ``values``, rebuilding the automaton once; how many were new."""
        learned = 0
        for value in values:
            if (
                len(value) < 8
                or value in self._known.get(_ascii_lower(value), ())
                or len(self._known) > 50_000
            ):
                continue
            self._add_known(value)
            learned += 1
        if learned:
            self._build()
        return learned

    @property
    def known_count(self) -> int:
        return sum(len(v) for v in self._known.values())

    def _hits(self, text: str, data: bytes) -> list[tuple[int, int, int]]:
        """Every (pattern index, start, end) in ``text``, overlapping ones included. ``data``
        is ``_ascii(text)``."""
        if self._auto is None:
            return []
        hits = self._auto.find_matches_as_indexes(data.lower(), overlapping=True)
        if "\u212a" in text:
            # The Kelvin sign lowercases to an ASCII "k": text.lower() holds a keyword that
            # the ASCII fold does not ("to\u212aen"). Known values match as written.
            more = self._auto.find_matches_as_indexes(
                _ascii(_lower(text)).lower(), overlapping=True
            )
            hits = sorted(set(hits) | {h for h in more if self._known_forms[h[0]] is None})
        return hits

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
            start
            for idx, start, end in self._hits(token, _ascii(token))
            for n, _spellings in self._gates[idx]
            if n in self._prefix_rules
            and end - start >= 3
            and token[start:end] in self.rules[n].keywords
            and (start == 0 or not token[start - 1].isalnum())
        ]
        if starts:
            return Hold(token_start + min(starts), strong=True)
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
        data = _ascii(text)
        hits = self._hits(text, data)
        if hits:
            is_context, gates, known_forms = self._is_context, self._gates, self._known_forms
            # Positions are of a hit's last character (what assignments_near expects).
            context_hits = [end - 1 for idx, _start, end in hits if is_context[idx]]
            # Most hits are context words alone ("token", "key"): the rest are few, and a
            # comprehension picks them out faster than a loop that skips the others.
            context_only = self._context_only
            for idx, start, end in [h for h in hits if not context_only[h[0]]]:
                for n, spellings in gates[idx]:
                    if spellings is None or text[start:end] in spellings:
                        rule_hits.setdefault(n, []).append(end - 1)
                forms = known_forms[idx]
                if forms is not None and text[start:end] in forms:
                    findings.append(Finding(start, end, "known-value"))
        for i, ends in rule_hits.items():
            rule = self.rules[i]
            if rule.pattern is _URL_CREDENTIALS:
                matches = _url_credentials(text, ends)
            else:
                # A rule's match lies on the line of its keyword (a key block spans lines).
                spans = [(0, len(text))] if rule.id == "private-key" else _lines_around(text, ends)
                matches = [m for a, b in spans for m in rule.pattern.finditer(text, a, b)]
            for m in matches:
                if rule.id == "password-flag" and _weak_flag_value(m.group(rule.group)):
                    continue
                findings.append(Finding(m.start(rule.group), m.end(rule.group), rule.id))
        # A long random run may be a value under any name (the generic context rule); hashes
        # and ids (hex, one case) never qualify, and are most of the long runs in practice.
        encoded_runs = _runs(text, data)
        long_runs = [start for start, stop in encoded_runs if stop - start >= 32]
        if context_hits or long_runs:
            findings.extend(
                Finding(a.start, a.end, a.rule)
                for a in assignments_near(text, context_hits, long_runs)
            )
        if depth < MAX_DEPTH:
            findings.extend(self._decoded(text, depth, encoded_runs))
        return _merge(findings) if findings else findings

    def _decoded(self, text: str, depth: int, runs: list[tuple[int, int]]) -> list[Finding]:
        """Encoded runs whose decoded text holds a secret: the whole run is the finding.

        Base64 candidates are the mixed-case runs of 20+ characters (hashes and ids are hex
        or one case, and are most long runs in ordinary output); only those that decode to
        mostly printable text are scanned again. Percent- and JSON-escaped candidates are the
        tokens around a valid escape (a token without one decodes to itself).
        """
        out: list[Finding] = []
        done: set[int] = set()
        for start, stop in runs:
            done.add(start)
            decoded = _b64(text[start:stop])
            if decoded is not None and self.find(decoded, depth + 1):
                out.append(Finding(start, stop, "encoded-secret"))
        for marker, escape, decode in _ESCAPED:
            if marker not in text:
                continue
            for pos in _escapes(text, escape):
                start, stop = _token_around(text, pos)
                if start in done:
                    continue
                done.add(start)
                decoded = decode(text[start:stop])
                if decoded is not None and self.find(decoded, depth + 1):
                    out.append(Finding(start, stop, "encoded-secret"))
        return out


def _unpercent(token: str) -> str | None:
    """A percent-encoded token's text, if it is long enough to hide a secret and changes."""
    if len(token) < 16:
        return None  # "a%2Fb": too short to hide a secret
    decoded = urllib.parse.unquote(token)
    return decoded if decoded != token else None


def _unjson(token: str) -> str | None:
    """A JSON-escaped token's text (its quotes aside), if it is valid and changes."""
    token = token.strip("\"'")
    try:
        decoded = json.loads(f'"{token}"')
    except ValueError:
        return None
    return decoded if decoded != token else None


#: The escaped encodings tried around each of their escapes: (a character every such text
#: holds, the escape, the decoder).
_ESCAPED: tuple[tuple[str, re.Pattern[str], Callable[[str], str | None]], ...] = (
    ("%", _PERCENT_ESCAPE, _unpercent),
    ("\\", _JSON_ESCAPE, _unjson),
)


def _ascii(text: str) -> bytes:
    """``text`` as bytes, one per character: ASCII as it is, anything else ``?``. Keywords
    and run characters are ASCII, so this is all the automaton and ``_runs`` need to see,
    and a position in it is a position in ``text``."""
    return text.encode("ascii", "replace")


def _ascii_lower(text: str) -> str:
    """``text`` with ASCII letters lowercased, and nothing else changed (as ``bytes.lower``)."""
    return text.translate(_ASCII_LOWER) if not text.isascii() else text.lower()


def _lower(text: str) -> str:
    """``text`` lowercased, position for position (a few characters lowercase to two: those
    are left as they are, and only ASCII letters are folded)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


# Byte classes for ``_runs``: run characters ([A-Za-z0-9+/_-]) become "a", all else a space.
_RUN_CLASSES = bytes(
    0x61 if i < 128 and (chr(i).isalnum() or chr(i) in "+/_-") else 0x20 for i in range(256)
)
_RUN_SEED = b"a" * MIN_RUN


def _runs(text: str, data: bytes) -> list[tuple[int, int]]:
    """Each maximal run of ``[A-Za-z0-9+/_-]`` of ``MIN_RUN`` characters or more, with up to
    two ``=`` after it, as (start, stop) positions — except those in one case or all hex
    (hashes, ids, paths, words), which never hide an encoded secret. ``data`` is
    ``_ascii(text)``.

    The same spans as ``re.finditer(r"[A-Za-z0-9+/_-]{20,}={0,2}")``, found in a byte-level
    pass (translate, then find) instead of a regular expression that tries every position of
    every word: ordinary output is mostly words shorter than that.
    """
    classes = data.translate(_RUN_CLASSES)
    find = classes.find
    start = find(_RUN_SEED)
    out: list[tuple[int, int]] = []
    n = len(data)
    while start >= 0:
        stop = find(b" ", start + MIN_RUN)
        if stop < 0:
            stop = n
        pad = stop
        while pad < n and pad - stop < 2 and data[pad] == 0x3D:  # "="
            pad += 1
        # A run is ASCII: its bytes say what its characters would (case, hex), and a slice
        # of bytes costs less than one of the text (often two bytes a character, or four).
        run = data[start:pad]
        if not (run.islower() or run.isupper() or _HEXISH_BYTES.fullmatch(run)):
            out.append((start, pad))
        start = find(_RUN_SEED, stop)
    return out


def _escapes(text: str, pattern: re.Pattern[str]) -> list[int]:
    """Where ``pattern`` (an escape) occurs in ``text``; at most ``MAX_ESCAPES``."""
    out: list[int] = []
    for m in pattern.finditer(text):
        out.append(m.start())
        if len(out) >= MAX_ESCAPES:
            break
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


#: The url-credentials rule's pattern ("scheme://user:password@"), whose keyword is "://".
_URL_CREDENTIALS = next(r.pattern for r in RULES if r.id == "url-credentials")
# What its pattern holds before the "://": up to 21 characters, none of them ":" or "/".
_URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{1,20}://")
_URL_SCHEME_MAX = 21


def _url_credentials(text: str, ends: list[int]) -> list[re.Match[str]]:
    """The matches of the url-credentials pattern on the lines of ``ends`` (where a "://"
    ends): what ``finditer`` over each line gives.

    Every match holds exactly one "://" (nothing else in it may hold a "/" before its "@")
    and begins with the scheme right before it, so each match is tried only where a "://"
    can anchor one: at the leftmost start of a scheme that ends at that "://". ``finditer``
    over the line tries every letter of it instead, and URLs are long and common (package
    downloads): on ordinary output this rule cost about as much as all the others together.
    """
    out: list[re.Match[str]] = []
    hits = sorted({e - 2 for e in ends})  # where each "://" begins
    for start, stop in _lines_around(text, ends):
        i = bisect.bisect_left(hits, start)
        pos = start  # where the previous match ended, as ``finditer`` goes on
        floor = start  # a scheme holds no ":" or "/": none begins before the last "://" ends
        while i < len(hits) and hits[i] < stop:
            at = hits[i]
            i += 1
            lo = max(pos, floor, at - _URL_SCHEME_MAX)
            floor = at + 3
            # In [lo, at + 3) the only "://" is this one: the scheme search finds the
            # leftmost start that reaches it, where ``finditer`` would have found the match.
            head = _URL_SCHEME.search(text, lo, at + 3)
            if head is None:
                continue
            m = _URL_CREDENTIALS.match(text, head.start(), stop)
            if m is not None:
                out.append(m)
                pos = m.end()
    return out


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
