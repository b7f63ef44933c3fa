"""Request body size limit, enforced before anything parses the body or checks the API key.

Without it a client with no key could send a 60 MB body and the service would decode and parse it
all before answering 401. The limit is checked twice: a declared ``Content-Length`` above it is
refused at once, and the bytes actually received are counted, so a chunked or lying body is cut off
as soon as it passes the limit. The body is buffered here (at most the limit) and handed on to the
app, which then never sees more than ``max_body_bytes``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.errors import error_response


def route_template(app: ASGIApp, scope: Scope) -> str:
    """The route's path template (``/v1/classify``), never the raw URL: metric labels must stay a small set."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", "unmatched")
    for candidate in getattr(app, "routes", ()):
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            return getattr(candidate, "path", "unmatched")
    return "unmatched"


class BodySizeLimit:
    """Pure ASGI middleware: 413 ``body_too_large`` for request bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_reject: Callable[[Scope], None] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_reject = on_reject or (lambda scope: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            received += len(body)
            if received > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.on_reject(scope)
        megabytes = self.max_bytes / (1024 * 1024)
        response = error_response(
            413,
            "body_too_large",
            f"El cuerpo de la solicitud supera el máximo de {megabytes:g} MB ({self.max_bytes} bytes).",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
