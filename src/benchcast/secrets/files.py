"""Files that are never streamed, whatever else the code panel shows: they hold secrets.

The file source consults ``never_stream`` before reading any file; gitignored files and
``.benchcastignore`` patterns are excluded by the file source itself, on top of these.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

NEVER_STREAM = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "*.gpg",
    "*.asc",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    ".dockercfg",
    "credentials",
    "credentials.json",
    "kaggle.json",
    "service-account*.json",
    "*.tfvars",
    "terraform.tfstate*",
    "secrets.*",
    "*secret*.y*ml",
    ".htpasswd",
)
#: Folders whose whole contents are never streamed.
NEVER_STREAM_DIRS = {".ssh", ".aws", ".gnupg", ".docker", ".kube", ".git"}


#: NEVER_STREAM as one expression: the file source asks about every file it lists.
_NEVER = re.compile("|".join(fnmatch.translate(pattern) for pattern in NEVER_STREAM))


def never_stream(path: str | PurePosixPath) -> bool:
    """Whether a file at this path (relative to the watched folder) must never be streamed."""
    parts = str(path).split("/")
    if any(part in NEVER_STREAM_DIRS for part in parts[:-1]):
        return True
    return _NEVER.match(parts[-1].lower()) is not None
