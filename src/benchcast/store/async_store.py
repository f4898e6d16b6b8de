"""The store as the server's event loop sees it: awaitable, with every write on one thread.

SQLite allows one writer at a time; funnelling writes through a single thread keeps them in
order and never makes the event loop wait on a lock. Reads go to a small pool of their own so
a viewer catching up never queues behind an append.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from benchcast.events import Draft, Event
from benchcast.store.database import Keyframe, Store, Stream

T = TypeVar("T")


class AsyncStore:
    def __init__(self, store: Store, readers: int = 4) -> None:
        self.sync = store
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="benchcast-store-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="benchcast-store-reader")

    async def _run(
        self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._run(self._writer, fn, *args, **kwargs)

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._run(self._readers, fn, *args, **kwargs)

    async def append(
        self, stream_id: str, drafts: Sequence[Draft], holder: str | None = None
    ) -> list[Event]:
        return await self.write(self.sync.append, stream_id, drafts, holder=holder)

    async def stream(self, stream_id: str) -> Stream | None:
        return await self.read(self.sync.stream, stream_id)

    async def events_json(
        self,
        stream_id: str,
        since: int,
        limit: int,
        until_seq: int | None = None,
        *,
        kinds: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> list[tuple[int, float, str]]:
        return await self.read(
            self.sync.events_json,
            stream_id,
            since,
            limit,
            until_seq,
            kinds=kinds,
            sources=sources,
        )

    async def heads(self, stream_ids: Sequence[str]) -> dict[str, int]:
        return await self.read(self.sync.heads, stream_ids)

    async def keyframe(self, stream_id: str, at_seq: int | None = None) -> Keyframe | None:
        return await self.read(self.sync.keyframe, stream_id, at_seq=at_seq)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
