"""Typed dependencies: routes declare what they need (`StateDep`, `ReadyDep`) and get it checked."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from pipeline.analyzer import Analyzer
from pipeline.schema import Analysis
from pipeline.text_checks import has_letters
from serve.batching import InferenceError, MicroBatcher, Overloaded
from serve.errors import ApiError
from serve.state import ServiceState

RETRY_AFTER_SECONDS = 1  # a full queue drains in about a second (QUEJAS_MAX_QUEUE's default)

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


def not_ready(state: ServiceState) -> ApiError:
    """503: start-up has not finished loading the model (or loading failed, and the reason is given)."""
    reason = f": {state.load_error}" if state.load_error else "; vuelva a intentarlo en unos segundos"
    return ApiError(503, "not_ready", f"El modelo aún no está disponible{reason}")


def require_ready(state: StateDep) -> ServiceState:
    if not state.ready:
        raise not_ready(state)
    return state


ReadyDep = Annotated[ServiceState, Depends(require_ready)]


def loaded_analyzer(state: ServiceState) -> Analyzer:
    """The model, or the 503 a request gets before start-up has loaded it (a check that ``python -O`` keeps)."""
    if not state.ready or state.analyzer is None:
        raise not_ready(state)
    return state.analyzer


def loaded_batcher(state: ServiceState) -> MicroBatcher:
    if not state.ready or state.batcher is None:
        raise not_ready(state)
    return state.batcher


def check_texts(state: ServiceState, texts: list[str], field: str = "texts") -> None:
    """Limits give 413 (the request is too big), empty text or text without letters gives 422.

    Texts without a single letter ("12345", "!!!", a zero-width space) get ``not_text``, as
    `quejas label` marks them; the whole request is refused and ``details`` lists every such item
    (``loc`` ends in its index), so a client can drop them and send the rest again.
    """
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
    no_letters = [i for i, text in enumerate(texts) if not has_letters(text)]
    if no_letters:
        locs = [["body", field, i] if field == "texts" else ["body", field] for i in no_letters]
        details = [{"loc": loc, "msg": "sin letras", "type": "not_text"} for loc in locs]
        which = ", ".join(str(i) for i in no_letters[:10]) + ("…" if len(no_letters) > 10 else "")
        raise ApiError(422, "not_text", f"Sin letras, no es un texto que analizar: texto {which}.", details)


async def run_model(state: ServiceState, texts: list[str]) -> list[Analysis]:
    """Analyses from the micro-batcher; a full queue is a fast 503 with Retry-After, not a long wait."""
    batcher = loaded_batcher(state)
    try:
        return await batcher.submit(texts)
    except Overloaded:
        raise ApiError(
            503,
            "overloaded",
            "El servicio está al máximo de su capacidad; vuelva a intentarlo en unos segundos.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    except InferenceError as exc:
        raise ApiError(500, "inference_failed", str(exc)) from None
