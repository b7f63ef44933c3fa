"""One JSON error shape for every failure: {"error": {"code", "message", "details"}}.

Clients (and the triage page) can show `message` as is; nothing ever answers with an HTML page or
a bare stack trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("quejas.serve")


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: list | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers


def _encodable(value: object) -> object:
    """Strings that UTF-8 can encode: an error may quote a field name holding a lone surrogate."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    return value


def error_response(status: int, code: str, message: str, details: list | None = None, headers=None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(status_code=status, content=_encodable(body), headers=headers)


def _describe(errors: list[dict]) -> tuple[str, str, list]:
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
    types = {e["type"] for e in details}
    if "json_invalid" in types:
        return "invalid_json", "El cuerpo no es JSON válido.", details
    if "invalid_unicode" in types:
        first = next(d for d in details if d["type"] == "invalid_unicode")
        return "invalid_unicode", f"Texto no válido: {first['msg']}.", details
    if "extra_forbidden" in types:
        fields = ", ".join(str(d["loc"][-1]) for d in details if d["type"] == "extra_forbidden")
        return "unknown_field", f"Campo desconocido: {fields}.", details
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"] if p != "body")
    return "invalid_request", f"Solicitud no válida ({where or 'cuerpo'}): {first['msg']}", details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        code, message, details = _describe(list(exc.errors()))
        return error_response(422, code, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        message = exc.detail if isinstance(exc.detail, str) else "error"
        return error_response(
            exc.status_code, codes.get(exc.status_code, "http_error"), message, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(
            500, "internal_error", "Error interno del servicio; el equipo ha sido avisado en los logs."
        )
