"""Liveness, readiness and Prometheus metrics; never behind an API key (orchestrators call them)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serve.deps import StateDep
from serve.errors import error_response

router = APIRouter(tags=["salud"])


@router.get("/health/live", summary="El proceso responde")
async def live() -> dict:
    return {"status": "ok"}


@router.get("/health/ready", summary="Modelo cargado y calentado", responses={503: {"description": "Aún no listo"}})
async def ready(state: StateDep):
    if state.ready:
        return {"status": "ready", "model": state.analyzer.info.name if state.analyzer else None}
    if state.load_error:
        return error_response(503, "model_failed", f"El modelo no se pudo cargar: {state.load_error}")
    return error_response(503, "loading", "Cargando el modelo.")


@router.get("/metrics", summary="Métricas Prometheus", response_class=Response)
async def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
