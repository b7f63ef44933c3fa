"""A running service whose model is busy until the test says so, to fill the bounded queue on purpose.

Load-shedding tests need requests that sit in the micro-batcher while others arrive; stalling the
batcher's inference function (the real one runs once the gate opens) does that without timing luck.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from serve.state import ServiceState


@asynccontextmanager
async def stalled_model(app: FastAPI) -> AsyncIterator[tuple[ServiceState, httpx.AsyncClient, threading.Event]]:
    """The started app, a client for it, and the gate that lets the model run (opened on exit too)."""
    gate = threading.Event()
    async with app.router.lifespan_context(app):
        state = app.state.quejas
        while not state.ready:
            await asyncio.sleep(0.01)
        real = state.batcher._infer

        def slow(texts):
            gate.wait(10)
            return real(texts)

        state.batcher._infer = slow
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
                yield state, client, gate
        finally:
            gate.set()


async def until_queued(state: ServiceState, texts: int) -> None:
    """Wait until this many texts are queued or running in the micro-batcher."""
    while state.batcher.depth < texts:
        await asyncio.sleep(0.01)
