"""What the audience may write: message text made safe to store and show, and display names
that cannot pass for someone else's.

Text is never trusted to be rendered as HTML (web/static/js/markdown.js and ``markdown.py``
build it from plain text); the cleaning here is about what survives as *text*: control
characters, direction overrides that reorder what a reader sees, invisible characters, and
"zalgo" stacks of combining marks that paint over the lines around them.

Names must also not impersonate. A name is refused when it holds anything invisible or
direction-changing, mixes scripts whose letters look alike (Latin with Cyrillic or Greek), or
when its *skeleton* — the name with look-alike characters folded together, case folded and
separators dropped (after Unicode TR39's skeleton, with a compact table of the confusables
that matter for names) — matches a reserved word or an account's name.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest chat message, in characters after cleaning (questions and comments: MAX_LONG).
MAX_CHAT = 500
MAX_LONG = 2000
MAX_LINES = 20
MAX_MARKS = 2  # combining marks kept after one base character (zalgo stacks are cut)
NAME_MIN, NAME_MAX = 2, 24

# Direction controls, and characters that render as nothing (or as a blank letter).
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_BLANK_LETTERS = set("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e\u2060\u2061\u2062\u2063")
_KEEP_FORMAT = {"\u200d", "\u200c"}  # joiners: emoji sequences and Persian need them


class TextError(ValueError):
    """Refused text; ``str()`` says why, fit to show the person who wrote it."""


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def clean_text(text: str, limit: int = MAX_CHAT, what: str = "message") -> str:
    """Text as it is stored: NFC, without control, direction or invisible characters, at
    most ``MAX_MARKS`` combining marks per character and ``MAX_LINES`` lines. Raises
    TextError when nothing is left or it is longer than ``limit``."""
    if not isinstance(text, str):
        raise TextError(f"the {what} must be text")
    if len(text) > limit * 4:  # before any work: a megabyte is refused, not normalised
        raise TextError(f"the {what} is too long: at most {limit} characters")
    out: list[str] = []
    marks = 0
    for ch in unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", "  ")):
        cat = unicodedata.category(ch)
        if ch == "\n":
            out.append(ch)
            marks = 0
            continue
        if cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or ch in _BIDI or ch in _BLANK_LETTERS:
            continue
        if cat == "Cf" and ch not in _KEEP_FORMAT:
            continue
        if cat in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        out.append(ch)
    lines = [line.rstrip() for line in "".join(out).split("\n")]
    # Runs of blank lines collapse to one; the message keeps at most MAX_LINES lines.
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    cleaned = "\n".join(kept[:MAX_LINES]).strip()
    if not cleaned:
        raise TextError(f"the {what} is empty")
    if len(cleaned) > limit:
        raise TextError(f"the {what} is too long: at most {limit} characters")
    return cleaned


# ── names ─────────────────────────────────────────────────────────────────────────────────

#: Words no guest or account may take as a name (compared by skeleton).
RESERVED = (
    "streamer",
    "moderator",
    "mod",
    "admin",
    "administrator",
    "benchcast",
    "system",
    "server",
    "staff",
    "owner",
    "host",
    "guest",
    "anonymous",
)

#: Scripts whose letters pass for each other: a name may use at most one of them.
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")

# Look-alikes folded to one Latin letter before comparing (case-sensitive, applied before the
# name is case folded: "I" looks like "l", "i" does not).
_FOLD = str.maketrans(
    # Cyrillic, Greek, Armenian and Latin look-alikes; digits and marks that pass for letters
    (
        "\u0430\u0410\u0432\u0412\u0441\u0421\u0501\u0435\u0415\u0451\u04bb\u041d"
        "\u0456\u0406\u0457\u0458\u0408\u043a\u041a\u04cf\u04c0\u043c\u041c\u043e"
        "\u041e\u0440\u0420\u051b\u0433\u0455\u0405\u0442\u0422\u0443\u0423\u0445"
        "\u0425\u051d\u051c\u04af\u044c\u043f\u0438\u043b\u03b1\u0391\u03b2\u0392"
        "\u03b5\u0395\u0396\u03b7\u0397\u03b9\u0399\u03ba\u039a\u039c\u03bd\u039d"
        "\u03bf\u039f\u03c1\u03a1\u03c4\u03a4\u03c5\u03a5\u03c7\u03a7\u03c9\u03f2"
        "\u03f9\u03f3\u0585\u057d\u0581\u0570\u0578\u0131\u0251\u0261\u029f\u0269"
        "\u017f01I|!5$@347"
        "89"
    ),
    (
        "aabbccdeeehh"
        "ilijjkkllmmo"
        "oppqrssttyyx"
        "xwwybnunaabb"
        "eeznhilkkmvn"
        "ooppttuyxxwc"
        "cjoughniagli"
        "follllssaeat"
        "bg"
    ),
)
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_SEPARATORS = re.compile(r"[\s_.\-']+")
_NAME_PUNCT = set(" _-.'")


def skeleton(name: str) -> str:
    """The form two names share when a reader could take one for the other."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not _is_mark(ch) and unicodedata.category(ch)[0] != "C")
    s = s.translate(_FOLD).casefold().translate(_FOLD)
    s = _SEPARATORS.sub("", s)
    for pair, one in _MULTI:
        s = s.replace(pair, one)
    return s


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0]


def clean_name(name: str) -> str:
    """A display name as it is kept: NFKC, single spaces, checked to be visible, in one
    confusable script at most, and ``NAME_MIN`` to ``NAME_MAX`` characters. Raises TextError."""
    if not isinstance(name, str):
        raise TextError("the name must be text")
    if len(name) > NAME_MAX * 4:
        raise TextError(f"a name is {NAME_MIN} to {NAME_MAX} characters")
    s = unicodedata.normalize("NFKC", name).strip()
    s = re.sub(r" {2,}", " ", s)
    if not NAME_MIN <= len(s) <= NAME_MAX:
        raise TextError(f"a name is {NAME_MIN} to {NAME_MAX} characters")
    scripts: set[str] = set()
    marks = 0
    for ch in s:
        cat = unicodedata.category(ch)
        if ch in _BIDI or ch in _BLANK_LETTERS or (cat[0] in ("C", "Z") and ch != " "):
            raise TextError(
                "names may not hold invisible, direction-changing or control characters"
            )
        if cat in ("Mn", "Mc", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                raise TextError("too many accents stacked on one letter")
            continue
        marks = 0
        if cat[0] == "L":
            script = _script(ch)
            if script in _CONFUSABLE_SCRIPTS:
                scripts.add(script)
        elif cat[0] != "N" and ch not in _NAME_PUNCT:
            raise TextError("names are letters, digits, spaces and _ - . '")
    if len(scripts) > 1:
        raise TextError(
            "a name may not mix " + " and ".join(sorted(s.title() for s in scripts)) + " letters"
        )
    key = skeleton(s)
    if len(key) < NAME_MIN:
        raise TextError("the name needs at least two letters or digits")
    if any(key == skeleton(word) for word in RESERVED):
        raise TextError(f"{s!r} is reserved")
    return s
