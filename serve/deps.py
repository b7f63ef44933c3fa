"""Typed dependencies: routes declare what they need (`StateDep`, `ReadyDep`) and get it checked."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from serve.errors import ApiError
from serve.state import ServiceState

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Required when QUEJAS_API_KEYS is set.")


def get_state(request: Request) -> ServiceState:
    return request.app.state.quejas


StateDep = Annotated[ServiceState, Depends(get_state)]


def require_api_key(state: StateDep, key: Annotated[str | None, Security(api_key_header)] = None) -> None:
    keys = state.settings.api_keys
    if not keys:
        return
    if key is None or not any(secrets.compare_digest(key, k) for k in keys):
        raise ApiError(401, "unauthorized", "Falta la clave de API o no es válida (cabecera X-API-Key).")


def require_ready(state: StateDep) -> ServiceState:
    if not state.ready:
        reason = f": {state.load_error}" if state.load_error else "; vuelva a intentarlo en unos segundos"
        raise ApiError(503, "not_ready", f"El modelo aún no está disponible{reason}")
    return state


ReadyDep = Annotated[ServiceState, Depends(require_ready)]


def check_texts(state: ServiceState, texts: list[str]) -> None:
    """Limits give 413 (the request is too big), empty text gives 422 (the request is wrong)."""
    settings = state.settings
    if len(texts) > settings.max_items:
        raise ApiError(413, "too_many_items", f"Demasiados textos: {len(texts)} (máximo {settings.max_items}).")
    if not texts:
        raise ApiError(422, "empty_text", "La lista de textos está vacía.")
    for i, text in enumerate(texts):
        if len(text) > settings.max_text_chars:
            raise ApiError(
                413, "text_too_long", f"El texto {i} tiene {len(text)} caracteres (máximo {settings.max_text_chars})."
            )
        if not text.strip():
            raise ApiError(422, "empty_text", f"El texto {i} está vacío o solo tiene espacios.")
