"""Micro-batching: concurrent requests share one forward pass.

A transformer forward pass over 16 texts costs far less than 16 passes over one, so under load the
service waits up to ``max_wait_ms`` for company and runs everything queued as one batch. Inference
runs in a single worker thread, which keeps the event loop free to accept the next requests while
the current batch computes; when one request makes inference fail, the batch is retried request by
request so only that request gets the error.

The queue is bounded (``max_queue`` texts waiting or running): past it, a request is refused at once
with `Overloaded` instead of waiting behind a backlog it cannot outrun, so accepted requests keep a
bounded latency and a client under load is told to back off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pipeline.errors import QuejasError
from pipeline.schema import Analysis


@dataclass
class _Pending:
    texts: list[str]
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class InferenceError(QuejasError, RuntimeError):
    """Inference failed for this request (the others in its batch were answered)."""


class Overloaded(QuejasError, RuntimeError):
    """The queue in front of the model is full; the request was not queued."""


class MicroBatcher:
    def __init__(
        self,
        infer: Callable[[list[str]], list[Analysis]],
        max_batch_size: int = 32,
        max_wait_ms: float = 8.0,
        on_batch: Callable[[int, list[float]], None] | None = None,
        max_queue: int | None = None,
        on_depth: Callable[[int], None] | None = None,
    ) -> None:
        self._infer = infer
        self.max_queue = max_queue
        self.depth = 0  # texts queued or in the running batch
        self._on_depth = on_depth or (lambda depth: None)
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self._on_batch = on_batch or (lambda size, waits: None)
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quejas-inference")

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(self._queue), name="quejas-micro-batcher")

    async def stop(self) -> None:
        if self._worker:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, texts: list[str]) -> list[Analysis]:
        """Queue texts and wait for their analyses (same order)."""
        if self._queue is None:  # a programming error: the service starts the batcher before it is ready
            raise RuntimeError("MicroBatcher.start() was not called")
        if self.max_queue is not None and self.depth and self.depth + len(texts) > self.max_queue:
            raise Overloaded(f"{self.depth} texts are already waiting (limit {self.max_queue})")
        future = asyncio.get_running_loop().create_future()
        self._set_depth(self.depth + len(texts))
        try:
            self._queue.put_nowait(_Pending(texts, future))
            return await future
        finally:
            self._set_depth(self.depth - len(texts))

    def _set_depth(self, depth: int) -> None:
        self.depth = depth
        self._on_depth(depth)

    async def _collect(self, queue: asyncio.Queue[_Pending]) -> list[_Pending]:
        batch = [await queue.get()]
        size = len(batch[0].texts)
        deadline = time.perf_counter() + self.max_wait
        while size < self.max_batch_size:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError:
                    break
            batch.append(item)
            size += len(item.texts)
        return batch

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        """The worker: takes the queue `start` made, so it cannot run before there is one."""
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect(queue)
            started = time.perf_counter()
            self._on_batch(sum(len(p.texts) for p in batch), [started - p.enqueued for p in batch])
            texts = [t for p in batch for t in p.texts]
            try:
                results = await loop.run_in_executor(self._executor, self._infer, texts)
            except Exception:  # noqa: BLE001 - isolate the failing request below
                await self._one_by_one(batch, loop)
                continue
            offset = 0
            for pending in batch:
                n = len(pending.texts)
                if not pending.future.done():
                    pending.future.set_result(results[offset : offset + n])
                offset += n

    async def _one_by_one(self, batch: list[_Pending], loop: asyncio.AbstractEventLoop) -> None:
        for pending in batch:
            try:
                result = await loop.run_in_executor(self._executor, self._infer, pending.texts)
            except Exception as exc:  # noqa: BLE001 - reported to this request only
                if not pending.future.done():
                    pending.future.set_exception(InferenceError(f"inference failed: {type(exc).__name__}: {exc}"))
                continue
            if not pending.future.done():
                pending.future.set_result(result)
