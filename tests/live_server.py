"""A real uvicorn server for the app on a free 127.0.0.1 port, in a background thread (browser and fuzz tests)."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn

from pipeline.analyzer import Analyzer
from serve.app import create_app
from serve.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app in a real uvicorn server on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, settings: Settings, analyzer: Analyzer | None, wait_for: str = "/health/ready") -> None:
        self.wait_for = wait_for
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, analyzer=analyzer), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}{self.wait_for}", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("the live server did not become ready")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
