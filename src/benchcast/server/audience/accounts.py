"""Accounts: the streamer, moderators and viewers who log in. Passwords are hashed with
Argon2id (argon2-cffi's defaults, rehashed when those change); names follow the same rules as
guests' names and no two accounts may have names that look alike.

``benchcast user add NAME [--role admin]`` makes one (an admin is the streamer of every
channel); ``benchcast user grant NAME CHANNEL --role streamer|mod`` gives a channel role.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from benchcast.server.audience.text import TextError, clean_name, skeleton
from benchcast.store.audience import AudienceStore, User
from benchcast.store.database import Store, StoreError

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Checked against when the account does not exist, so a login takes as long either way.
_DUMMY = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """Refused; ``str()`` says why."""


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(store: Store, name: str, password: str, role: str = "user") -> User:
    if role not in ("user", "admin"):
        raise AccountError("role is user or admin")
    try:
        name = clean_name(name)
    except TextError as err:
        raise AccountError(str(err)) from None
    try:
        return AudienceStore(store).add_user(name, skeleton(name), hash_password(password), role)
    except StoreError as err:
        raise AccountError(str(err)) from None


def check_login(db: AudienceStore, name: str, password: str) -> User | None:
    """The account if the password is right (slow on purpose: Argon2), else None."""
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return None
    user = db.user_by_key(skeleton(name)) if 0 < len(name) <= 100 else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        db.set_password(user.id, _hasher.hash(password))
        user = db.user(user.id) or user
    return user


def grant(store: Store, name: str, channel: str, role: str | None) -> None:
    """Make an account the channel's ``streamer`` or ``mod`` (None: neither)."""
    db = AudienceStore(store)
    user = db.user_by_key(skeleton(name))
    if user is None:
        raise AccountError(f"no account named {name!r}")
    ch = store.channel(channel)
    if ch is None:
        raise AccountError(f"no channel named {channel!r}")
    db.set_role(ch.id, user.id, role)
