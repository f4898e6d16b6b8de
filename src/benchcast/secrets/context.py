"""Context: a value assigned to a secret-looking name is a secret, if it looks like one.

``KEY=…``, ``"apiKey": "…"``, ``password: …``, ``export HF_TOKEN=…``. The name decides
which gate applies: passwords need only to be non-trivial; keys and tokens must look random
(Shannon entropy per character) so that identifiers, paths and words are left alone; any other
name needs a long, very random value. Placeholders (``${X}``, ``<YOUR_KEY>``, ``****``) and
code (``os.environ[...]``, ``cfg.key``) never count.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,80})[\"']?\s*(?::=|=>|=|:)[ \t]*"
    r"(?P<quote>[\"'`]?)(?P<value>[^\s\"'`,;<>(){}\[\]=:]{6,400}={0,2})"
)

#: Names whose last part is one of these hold a password: any non-trivial value counts.
PASSWORD_PARTS = {"password", "passwd", "pass", "pwd", "passphrase", "passcode"}
#: … one of these: a key or token, which must look random.
KEY_PARTS = {
    "key",
    "apikey",
    "token",
    "secret",
    "secrets",
    "credential",
    "credentials",
    "cred",
    "creds",
    "auth",
    "dsn",
    "privatekey",
    "session",
    "sessionid",
    "cookie",
    "sig",
    "signature",
    "accesskey",
    "secretkey",
    "clientsecret",
    "authtoken",
    "accesstoken",
    "refreshtoken",
    "bearer",
}
#: A name with one of these parts names something else (an id, a file, a public value …).
NOT_SECRET_PARTS = {
    "png",
    "jpeg",
    "jpg",
    "gif",
    "svg",
    "pdf",
    "image",
    "id",
    "ids",
    "name",
    "names",
    "url",
    "uri",
    "file",
    "path",
    "dir",
    "size",
    "length",
    "len",
    "type",
    "format",
    "version",
    "count",
    "index",
    "public",
    "pub",
    "csrf",
    "xsrf",
    "prefix",
    "suffix",
    "header",
    "field",
    "label",
    "env",
    "var",
    "variable",
    "pattern",
    "regex",
    "hash",
    "digest",
    "checksum",
    "integrity",
    "sha",
    "md5",
    "etag",
    "nonce",
    "salt",
    "mode",
    "policy",
    "algorithm",
    "alg",
    "kind",
    "provider",
    "store",
    "vault",
    "location",
    "region",
    "endpoint",
    "host",
    "user",
    "username",
    "email",
}
PLACEHOLDER = re.compile(
    r"^(?:\$\{?\w+\}?|%\(?\w+\)?s?|<[^>]*>|\{\{.*\}\}|\*+|x{4,}|X{4,}|\.{3,}|•+|#+|-+|_+|"
    r"(?i:changeme|change_me|example\w*|placeholder|dummy\w*|your[_-]?\w*|my[_-]?\w*|"
    r"redacted|null|none|nil|undefined|true|false|todo|fixme|secret|password|token|"
    r"replace\w*|insert\w*|enter\w*|test|testing|default|sample))$"
)
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CODE = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$|^[A-Za-z_]\w*\[|^\$|^@|^&|^%\w")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HASH_PREFIX = re.compile(r"^(?:sha1|sha224|sha256|sha384|sha512|md5|blake2b?)[-:]", re.I)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def name_parts(name: str) -> list[str]:
    """``AWS_SECRET_ACCESS_KEY`` → [aws, secret, access, key]; ``apiKey`` → [api, key]."""
    return list(_name_parts(name))


# Names repeat (the same code and the same log lines scroll by again and again); they are
# names, not values, so remembering them keeps nothing secret.
@functools.lru_cache(maxsize=4096)
def _name_parts(name: str) -> tuple[str, ...]:
    parts: list[str] = []
    for chunk in _NAME_SPLIT.split(name):
        parts.extend(p.lower() for p in _CAMEL.findall(chunk))
    return tuple(parts)


_NAME_SPLIT = re.compile(r"[_.:\-]+")


def _sequential(value: str) -> bool:
    """Alphabets and counters ("abcdef…", "0123…") are not secrets."""
    steps = sum(1 for a, b in itertools.pairwise(value) if ord(b) - ord(a) == 1)
    return steps >= len(value) * 0.5


def _boring(value: str, password: bool = False) -> bool:
    return (
        len(set(value)) <= 2
        or bool(PLACEHOLDER.match(value))
        or bool(_CODE.match(value))
        or bool(_UUID.match(value))
        or bool(_HASH_PREFIX.match(value))
        or (value.isupper() and value.replace("_", "").isalpha())
        or ("/" in value and not _looks_b64(value))
        or (not password and _sequential(value))
        or bool(_FILE_B64.match(value))
    )


def looks_like_placeholder(value: str) -> bool:
    """A placeholder, a variable, code or an identifier: not a value anyone typed in."""
    return _boring(value, password=True)


# Base64 of common file formats (PNG, JPEG, GIF, WebP, PDF, SVG, XML, gzip, zip): data, not
# credentials — a notebook's "image/png": "iVBORw0KGgo…" is the usual case.
_FILE_B64 = re.compile(r"^(?:iVBORw0KGgo|/9j/|R0lGOD|UklGR|JVBERi0|PHN2Zy|PD94bWw|H4sI|UEsDB)")


def _looks_b64(value: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value)) and len(value) >= 16


@dataclass(frozen=True)
class Assignment:
    start: int  # of the value
    end: int
    rule: str


def classify(name: str, value: str) -> str | None:
    """The rule id if ``name = value`` assigns a secret, else None."""
    # Most assignments in ordinary output are settled by the name alone (``tokens_seen: 1734``,
    # ``subkey = …``): its verdict is kept per name, before any look at the value.
    kind = _name_kind(name)
    if kind == _NOT_SECRET_NAME or (kind == _OTHER_NAME and len(value) < 32):
        return None
    if (name, value) in _NOT_SECRET:
        return None
    rule = _classify(name, value)
    if rule is None:
        if len(_NOT_SECRET) >= MAX_NOT_SECRET:
            _NOT_SECRET.clear()
        _NOT_SECRET.add((name, value))
    return rule


#: Assignments judged not to hold a secret (``tokenizer = AutoTokenizer…``, the same log lines
#: again and again), so the verdict is not worked out again. Only those: a value found to be
#: a secret is never kept here.
_NOT_SECRET: set[tuple[str, str]] = set()
MAX_NOT_SECRET = 8192


_NOT_SECRET_NAME, _OTHER_NAME, _SECRET_NAME = 0, 1, 2


@functools.lru_cache(maxsize=4096)
def _name_kind(name: str) -> int:
    """What the name of an assignment says on its own: ``_NOT_SECRET_NAME`` (no value
    counts), ``_SECRET_NAME`` (a password, key or token: the value decides) or ``_OTHER_NAME``
    (only a long, very random value counts)."""
    parts = _name_parts(name)
    if not parts or any(p in NOT_SECRET_PARTS for p in parts[-2:]) or "public" in parts:
        return _NOT_SECRET_NAME
    last = parts[-1]
    secret_name = (
        last in PASSWORD_PARTS
        or (len(parts) >= 2 and parts[-2] + last in {"passwd"})
        or last in KEY_PARTS
        or "".join(parts[-2:]) in KEY_PARTS
    )
    return _SECRET_NAME if secret_name else _OTHER_NAME


def _classify(name: str, value: str) -> str | None:
    """``classify`` for a name that ``_name_kind`` does not settle alone."""
    parts = _name_parts(name)
    last = parts[-1]
    if _boring(value, password=last in PASSWORD_PARTS):
        return None
    if last in PASSWORD_PARTS or (len(parts) >= 2 and parts[-2] + last in {"passwd"}):
        return "password-assignment" if len(value) >= 6 and entropy(value) >= 2.0 else None
    if last in KEY_PARTS or "".join(parts[-2:]) in KEY_PARTS:
        if _HEX.match(value):
            # Hex of md5 length and less reads as a hash or an id; key material is longer.
            return "secret-assignment" if len(value) >= 40 else None
        if len(value) >= 16 and entropy(value) >= 3.7:
            return "secret-assignment"
        return None
    if (
        len(value) >= 32
        and entropy(value) >= 4.5
        and not _HEX.match(value)
        and re.search(r"[a-z]", value)
        and re.search(r"[A-Z]", value)
        and re.search(r"\d", value)
    ):
        return "high-entropy-assignment"
    return None


def classify_name(name: str) -> bool:
    """Whether ``name`` reads as the name of a password, key or token."""
    parts = _name_parts(name)
    if not parts or any(p in NOT_SECRET_PARTS for p in parts[-2:]):
        return False
    return parts[-1] in PASSWORD_PARTS or parts[-1] in KEY_PARTS or "".join(parts[-2:]) in KEY_PARTS


_NAME_HINT = re.compile(
    r"(?i)key|token|secret|pass|pwd|cred|auth|dsn|private|session|cookie|"
    r"sig|bearer"
)


def find_assignments(text: str) -> list[Assignment]:
    out: list[Assignment] = []
    pos = 0
    while True:
        m = ASSIGNMENT.search(text, pos)
        if m is None:
            return out
        value = m.group("value")
        if m.group("quote") and value.endswith(m.group("quote")):
            value = value[:-1]
        name = m.group("name")
        # Most assignments in ordinary output name nothing secret and hold short values:
        # skip them before the (slower) full classification.
        rule = classify(name, value) if len(value) >= 32 or _NAME_HINT.search(name) else None
        if rule is not None:
            start = m.start("value")
            out.append(Assignment(start, start + len(value), rule))
            pos = m.end()
        else:
            # "output: NAME=value" — the value of one match may hold the next assignment.
            pos = m.start("value")


# After a secret word in a name: the rest of the name, the operator, the value.
# Possessive (*+): no character the name, the spaces or the operator gave back could start
# what follows them, so backtracking into them is only wasted time on every near miss.
_AFTER_WORD = re.compile(
    r"[A-Za-z0-9_.-]*+[\"']?\s*+(?::=|=>|=|:)[ \t]*+(?P<quote>[\"'`]?)"
    r"(?P<value>[^\s\"'`,;<>(){}\[\]=:]{6,400}={0,2})"
)
# Before a long run: a name and an operator. Possessive for the same reason: what follows the
# name, the spaces and the operator cannot begin with what they match, so a start that fails
# fails once instead of once per character given back (the search tries every start).
_BEFORE_VALUE = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,80}+)[\"']?\s*+(?::=|=>|=|:)[ \t]*+"
    r"[\"'`]?$"
)
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_VALUE_END = re.compile(r"[^ \t\r\n\"'`,;<>(){}\[\]]*")


def _after_operator(text: str, pos: int) -> bool:
    """Whether ``_BEFORE_VALUE`` may match just before ``pos``: an operator, spaces, a quote.
    Its search tries every start in the window, so a cheap look first pays."""
    if pos > 0 and text[pos - 1] == "\n":
        return True  # "$" also matches before a final newline: leave it to the pattern
    k = pos
    if k > 0 and text[k - 1] in "\"'`":
        k -= 1
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    return k > 0 and text[k - 1] in ":=>"


def _name_start(text: str, end: int) -> int:
    """Where the run of name characters that ends at ``end`` (inclusive) begins."""
    lo = max(0, end - 200)
    window = text[lo : end + 1]
    start = lo + len(window.rstrip(_NAME_CHARS))
    while start == lo and start > 0 and text[start - 1] in _NAME_CHARS:
        start -= 1  # a name longer than the window: rare, walk on
    return start


def assignments_near(text: str, word_ends: list[int], run_starts: list[int]) -> list[Assignment]:
    """Assignments whose name holds a secret word ending at one of ``word_ends`` (from the
    keyword automaton), or whose value is a long run starting at one of ``run_starts``.

    The same verdicts as ``find_assignments``, found from where the evidence is rather than
    by scanning every line: ordinary output mentions "tokens" and "keys" a lot.
    """
    out: list[Assignment] = []
    seen: set[int] = set()
    tried: set[int] = set()  # values already judged (a name may hold two secret words)
    after_word = _AFTER_WORD.match
    for end in sorted(set(word_ends)):
        m = after_word(text, end + 1)
        if m is None:
            continue
        vstart = m.start(2)
        if vstart in tried:
            continue
        tried.add(vstart)
        start = _name_start(text, end)
        name = text[start : m.start(1)].rstrip(" \t:=>\"'")
        quote, value = m.group(1, 2)
        if quote and value.endswith(quote):
            value = value[:-1]
        if not name or not (name[0].isalpha() or name[0] == "_"):
            continue
        rule = classify(name, value)
        if rule is not None:
            seen.add(vstart)
            out.append(Assignment(vstart, vstart + len(value), rule))
    for pos in run_starts:
        if pos in seen or not _after_operator(text, pos):
            continue
        b = _BEFORE_VALUE.search(text, max(0, pos - 120), pos)
        if b is None:
            continue
        run = _VALUE_END.match(text, pos)
        stop = run.end() if run is not None else pos
        value = text[pos:stop]
        rule = classify(b.group("name"), value)
        if rule is not None:
            seen.add(pos)
            out.append(Assignment(pos, stop, rule))
    return out
