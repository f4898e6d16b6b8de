"""What the file source leaves out of the code panel: gitignored files, ``.benchcastignore``
patterns, the git folder and editors' temporary files.

Rules follow git's semantics (via pathspec's ``GitIgnoreSpec``): each folder's ``.gitignore``
applies below that folder, a deeper file's patterns win over a shallower one's, the last
matching pattern decides (``!pattern`` re-includes), and nothing below an ignored folder can
be re-included. ``.git/info/exclude`` applies too, under the root's own ``.gitignore``. A
``.benchcastignore`` (same syntax, in any folder) is read after the ``.gitignore`` beside it,
so it can both hide more and show what git ignores (``!build/report.md``).

Never-streamed secret files (``benchcast.secrets.files``) are a separate, stronger rule: they
are listed as ``secret`` and never read, whatever these patterns say.
"""

from __future__ import annotations

import re
from pathlib import Path

from pathspec import GitIgnoreSpec
from pathspec.pattern import RegexPattern

RULE_FILES = (".gitignore", ".benchcastignore")
#: Left out everywhere: git's own folder, editors' swap, backup and safe-write files.
DEFAULT_IGNORES = (
    ".git/",
    ".hg/",
    ".svn/",
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",  # vim's probe that a folder is writable
    "*___jb_tmp___",
    "*___jb_old___",
    ".DS_Store",
    "__pycache__/",
    "*.pyc",
)
#: Patterns read from one rule file at most (a generated 10 MB .gitignore is not read whole).
MAX_PATTERNS = 5000


class _Spec:
    """A gitignore spec with a quick first question: does any of its patterns match at all?
    (Most paths match none; pathspec then need not try its patterns one by one.)"""

    def __init__(self, lines: list[str] | tuple[str, ...]) -> None:
        self.spec = GitIgnoreSpec.from_lines(lines)
        parts = []
        for p in self.spec.patterns:
            if isinstance(p, RegexPattern) and p.include is not None and p.regex is not None:
                parts.append(re.sub(r"\(\?P<[^>]+>", "(?:", p.regex.pattern))
        try:
            self.any: re.Pattern[str] | None = re.compile("|".join(f"(?:{x})" for x in parts))
        except re.error:  # pragma: no cover - pathspec's regexes always combine
            self.any = None

    def check(self, path: str) -> bool | None:
        """True: ignored, False: re-included (``!pattern``), None: no pattern matches."""
        if self.any is not None and self.any.search(path) is None:
            return None
        include: bool | None = self.spec.check_file(path).include
        return include


def _read_patterns(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for _, line in zip(range(MAX_PATTERNS), f, strict=False)]
    except OSError:
        return []


class IgnoreRules:
    """Answers "is this path left out?" for paths relative to ``root`` ("src/a.py")."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._default = _Spec(DEFAULT_IGNORES)
        self._specs: dict[str, _Spec | None] = {}
        self._dirs: dict[str, bool] = {}

    def invalidate(self) -> None:
        """A rule file changed: read them all again when next needed."""
        self._specs.clear()
        self._dirs.clear()

    def _spec(self, folder: str) -> _Spec | None:
        if folder in self._specs:
            return self._specs[folder]
        base = self.root / folder if folder else self.root
        lines: list[str] = []
        if not folder:
            lines += _read_patterns(self.root / ".git" / "info" / "exclude")
        for name in RULE_FILES:
            lines += _read_patterns(base / name)
        spec = _Spec(lines) if any(s.strip() for s in lines) else None
        self._specs[folder] = spec
        return spec

    def _match(self, parts: list[str], is_dir: bool) -> bool:
        slash = "/" if is_dir else ""
        if self._default.check("/".join(parts) + slash):
            return True
        verdict: bool | None = None
        for depth in range(len(parts)):
            spec = self._spec("/".join(parts[:depth]))
            if spec is None:
                continue
            result = spec.check("/".join(parts[depth:]) + slash)
            if result is not None:
                verdict = result
        return bool(verdict)

    def dir_ignored(self, rel: str) -> bool:
        """Whether folder ``rel`` (and so everything below it) is left out."""
        known = self._dirs.get(rel)
        if known is None:
            parts = rel.split("/")
            parent = "/".join(parts[:-1])
            known = (bool(parent) and self.dir_ignored(parent)) or self._match(parts, True)
            if len(self._dirs) < 100_000:
                self._dirs[rel] = known
        return known

    def ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Whether file (or folder) ``rel`` is left out, its folders' rules included."""
        if is_dir:
            return self.dir_ignored(rel)
        parts = rel.split("/")
        if len(parts) > 1 and self.dir_ignored("/".join(parts[:-1])):
            return True
        return self._match(parts, False)
