"""`create_app(settings)`: the FastAPI application for helpdesk tools and the triage page.

The model loads in the background after start-up, so `/health/live` answers at once and
`/health/ready` turns green only when the model is loaded and warmed.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse

from pipeline.analyzer import Analyzer
from serve.deps import require_api_key
from serve.errors import error_response, install_error_handlers
from serve.limits import BodySizeLimit, route_template
from serve.redact import install_secret_filter
from serve.routes import analysis, feedback, health, labelling, meta, review, upload
from serve.settings import Settings
from serve.state import ServiceState
from serve.static_files import PageFiles

STATIC_DIR = Path(__file__).with_name("static")

DESCRIPTION = """
**quejas** lee quejas de clientes en español y dice **por qué** está molesto el cliente (causas
operativas o de trato), **cuánto** (sentimiento), qué **riesgos** hay (baja, legal, exposición
pública) y propone un **borrador de respuesta** que el agente revisa antes de enviar.

Cuando `QUEJAS_API_KEYS` está definida, las rutas `/v1` piden la cabecera `X-API-Key`.
"""


def create_app(settings: Settings | None = None, analyzer: Analyzer | None = None) -> FastAPI:
    """Build the app; pass ``analyzer`` to reuse an already loaded model (tests, benchmarks)."""
    settings = settings or Settings()
    state = ServiceState(settings=settings)
    corrections = feedback.FeedbackService(settings)

    install_secret_filter(settings.api_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        install_secret_filter(settings.api_keys)  # again: the server may have configured logging since
        loading = asyncio.create_task(state.load(analyzer))
        app.state.loading = loading
        feedback.attach_when_loaded(corrections, state, loading)
        yield
        loading.cancel()
        await state.close()
        corrections.close(state.analyzer)

    app = FastAPI(
        title="quejas",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={
            401: {"description": "Clave de API ausente o no válida"},
            413: {"description": "Cuerpo, texto o lista demasiado grandes"},
            422: {"description": "Solicitud no válida"},
            503: {"description": "Modelo aún no disponible, o cola llena (reintentar tras Retry-After)"},
        },
    )
    app.state.quejas = state
    app.state.feedback = corrections
    install_error_handlers(app)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        started = time.perf_counter()
        multipart = request.headers.get("content-type", "").startswith("multipart/")  # uploads may be binary
        if request.method in ("POST", "PUT", "PATCH") and not multipart:
            body = await request.body()
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                response = error_response(400, "invalid_utf8", f"El cuerpo no es UTF-8 válido (byte {exc.start}).")
                state.metrics.requests.labels(route_template(app, request.scope), "400").inc()
                return response
        response = await call_next(request)
        path = route_template(app, request.scope)
        state.metrics.requests.labels(path, str(response.status_code)).inc()
        state.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return response

    def count_rejected(scope) -> None:
        state.metrics.requests.labels(route_template(app, scope), "413").inc()

    # Added last, so it runs first: the body is bounded before the middleware above or any route reads it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, on_reject=count_rejected)

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])
    v1.include_router(analysis.router)
    v1.include_router(review.router)
    v1.include_router(meta.router)
    v1.include_router(upload.router)
    v1.include_router(labelling.router)
    v1.include_router(feedback.router)
    app.include_router(v1)
    app.include_router(health.router)

    if STATIC_DIR.is_dir():
        app.mount("/static", PageFiles(directory=STATIC_DIR), name="static")

        @app.get("/", include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html")

    return app
