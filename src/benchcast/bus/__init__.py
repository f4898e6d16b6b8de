"""Fan-out between server processes: "stream S has new events up to seq N".

The in-process bus (``memory://``) is the embedded default; ``redis://host:port/db`` spans any
number of processes. The store is the truth and the bus only says that events exist, so a
process that sees a gap fills it from the store. Each backend imports its driver only when
chosen.
"""

from __future__ import annotations

from benchcast.bus.base import MAX_BODY, Appended, Bus, Handler, Message, Notice

__all__ = ["MAX_BODY", "Appended", "Bus", "Handler", "Message", "Notice", "bus_from_url"]


def bus_from_url(url: str, node: str | None = None) -> Bus:
    """The bus for ``url``: ``memory://``, ``memory://NAME`` or ``redis://…`` (``rediss://``)."""
    scheme = url.split(":", 1)[0]
    if scheme == "memory":
        from benchcast.bus.local import LocalBus

        return LocalBus(url[len("memory://") :].strip("/"), node)
    if scheme in ("redis", "rediss", "unix"):
        from benchcast.bus.redis import RedisBus

        return RedisBus(url, node)
    raise ValueError(f"unsupported bus URL scheme {scheme!r}: use memory:// or redis://…")
