"""`/v1/feedback`: agents' corrections in, quality on the company's own messages out, and what to review next.

A correction needs no model, so these routes answer while the model loads. The store is blocking I/O
(SQLite or PostgreSQL), so every call runs in the thread pool; a store that cannot be reached is a
503 that says so, never a stack trace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from pipeline.analyzer import Analyzer
from pipeline.feedback.memory import CorrectionMemory, model_key
from pipeline.feedback.models import Correction, Prediction, SeenComplaint, StoredSeenComplaint, label_problems
from pipeline.feedback.seen import SeenRecorder
from pipeline.feedback.stats import FeedbackStats, feedback_stats
from pipeline.feedback.store import FeedbackStore, FeedbackStoreError
from pipeline.schema import Analysis, ModelInfo
from pipeline.taxonomy import SentimentLabel
from serve.deps import StateDep, check_texts
from serve.errors import ApiError
from serve.schemas import EXAMPLE_COMPLAINT, NAME_CHARS, TEXT_CHARS_CEILING, RequestModel
from serve.settings import Settings

log = logging.getLogger("quejas.serve")
router = APIRouter(prefix="/feedback", tags=["correcciones"])

LABELS_CEILING = 64
Label = Annotated[str, Field(max_length=NAME_CHARS)]


class FeedbackService:
    """The store the routes write to and the memory the loaded model reads from."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = FeedbackStore(settings.feedback_url, mask=settings.feedback_mask_contacts)
        self.memory: CorrectionMemory | None = None
        self.recorder: SeenRecorder | None = None
        if settings.feedback_review_queue:
            self.recorder = SeenRecorder(self.store, settings.feedback_review_queue_size)

    def seen(self, texts: list[str], analyses: list[Analysis]) -> None:
        """Hand the model's analyses to the review queue's writer thread (returns at once, never raises)."""
        if self.recorder is not None:
            self.recorder.submit(texts, analyses)

    def seen_rows(self, items: list[SeenComplaint | None]) -> None:
        """The same for rows labelled on the page, already in the stored shape."""
        if self.recorder is not None:
            self.recorder.submit_seen(items)

    def attach(self, analyzer: Analyzer | None) -> None:
        """Let the loaded model consult the corrections (unless QUEJAS_FEEDBACK_MEMORY=false)."""
        if analyzer is None or not self.settings.feedback_memory:
            return
        self.memory = CorrectionMemory(
            self.store,
            model_key(analyzer.config),
            analyzer.config.causes,
            analyzer.embeddings,
            min_similarity=self.settings.feedback_memory_min_similarity,
            **calibration_options(self.settings, analyzer),
        )
        analyzer.memory = self.memory  # type: ignore[assignment]  # pipeline/analyzer.py declares memory as None
        threading.Thread(target=self.memory.prime, name="quejas-feedback-memory", daemon=True).start()

    def close(self, analyzer: Analyzer | None) -> None:
        if analyzer is not None and analyzer.memory is self.memory:
            analyzer.memory = None
        if self.recorder is not None:
            self.recorder.close()
        self.store.close()


def calibration_options(settings: Settings, analyzer: Analyzer) -> dict:
    """What the memory needs to fit the company calibration (nothing when the setting turns it off)."""
    if not settings.feedback_memory_calibrate:
        return {}
    return {
        "model_causes": lambda texts: analyzer.probabilities(texts, memory=False).causes,
        "cause_cut": analyzer.cause_cut,
        "calibration_floor": settings.feedback_memory_calibration_floor,
        "min_corrections": settings.feedback_memory_min_corrections,
    }


def attach_when_loaded(service: FeedbackService, state, loading: asyncio.Task) -> None:
    """Give the model its correction memory as soon as it has loaded."""
    loading.add_done_callback(lambda _: service.attach(state.analyzer))


def get_feedback(request: Request) -> FeedbackService:
    return request.app.state.feedback


FeedbackDep = Annotated[FeedbackService, Depends(get_feedback)]


class FeedbackRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": EXAMPLE_COMPLAINT,
                    "prediction": {
                        "model": {"name": "quejas-es-0.1.0", "version": "0.1.0"},
                        "causes": [{"id": "delay", "score": 0.91}, {"id": "bad_attitude", "score": 0.55}],
                        "sentiment": "negative",
                        "sentiment_score": -0.7,
                        "risks": ["churn"],
                    },
                    "causes": ["delay", "transfer_runaround", "broken_promise"],
                    "sentiment": "negative",
                    "risks": ["churn"],
                    "final_reply": "Estimada Lucía: ...",
                    "agent_id": "maria.g",
                }
            ]
        }
    )

    text: str = Field(max_length=TEXT_CHARS_CEILING, description="The complaint as analysed.")
    prediction: Prediction = Field(description="What the model said: `model` and `causes` of its analysis.")
    causes: list[Label] = Field(max_length=LABELS_CEILING, description="The causes the agent agreed on (ids).")
    sentiment: SentimentLabel = Field(description="The sentiment the agent agreed on.")
    risks: list[Label] = Field(default_factory=list, max_length=LABELS_CEILING, description="Risk ids that apply.")
    final_reply: str | None = Field(
        default=None, max_length=TEXT_CHARS_CEILING, description="The reply finally sent, if any."
    )
    agent_id: str | None = Field(default=None, max_length=NAME_CHARS, description="Who corrected it.")


class FeedbackUpdate(RequestModel):
    """Only the fields given change: the labels after a second look, or the reply copied after saving."""

    causes: list[Label] | None = Field(default=None, max_length=LABELS_CEILING)
    sentiment: SentimentLabel | None = None
    risks: list[Label] | None = Field(default=None, max_length=LABELS_CEILING)
    final_reply: str | None = Field(default=None, max_length=TEXT_CHARS_CEILING)


class FeedbackResponse(BaseModel):
    id: int
    created_at: dt.datetime
    masked: bool = Field(description="Contact and payment data were masked before storing.")


def refuse_nul(*values: str | None) -> None:
    """PostgreSQL text cannot hold U+0000, and no complaint or reply needs it: refused on every backend alike."""
    if any(value and "\x00" in value for value in values):
        raise ApiError(422, "invalid_text", "El texto contiene el carácter nulo (U+0000), que no se puede guardar.")


def _unavailable(exc: FeedbackStoreError) -> ApiError:
    log.error("%s", exc)
    return ApiError(503, "feedback_unavailable", "El almacén de correcciones no está disponible; inténtelo más tarde.")


@router.post("", response_model=FeedbackResponse, status_code=201, summary="Guardar la corrección de un agente")
async def record(body: FeedbackRequest, state: StateDep, feedback: FeedbackDep) -> FeedbackResponse:
    check_texts(state, [body.text], "text")
    refuse_nul(body.text, body.final_reply, body.agent_id)
    correction = Correction(**body.model_dump())
    problems = label_problems(correction, state.taxonomy)
    if problems:
        raise ApiError(422, "unknown_label", f"Etiqueta no válida: {problems[0]['msg']}.", problems)
    try:
        stored = await run_in_threadpool(feedback.store.add, correction)
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from None
    if feedback.memory is not None:
        feedback.memory.invalidate()
    return FeedbackResponse(id=stored.id, created_at=stored.created_at, masked=stored.masked)


@router.get("/stats", response_model=FeedbackStats, summary="Calidad del modelo medida con las correcciones")
async def stats(state: StateDep, feedback: FeedbackDep) -> FeedbackStats:
    try:
        corrections = await run_in_threadpool(feedback.store.corrections)
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from None
    return await run_in_threadpool(feedback_stats, corrections, state.taxonomy.cause_ids)


class ReviewQueue(BaseModel):
    items: list[StoredSeenComplaint] = Field(
        description="Analysed complaints no correction covers yet (same text after masking), least sure first."
    )


@router.get("/review-queue", response_model=ReviewQueue, summary="Quejas analizadas de las que el modelo dudó más")
async def review_queue(
    feedback: FeedbackDep,
    limit: Annotated[int, Query(ge=1, le=500, description="How many to list.")] = 20,
) -> ReviewQueue:
    try:
        items = await run_in_threadpool(feedback.store.review_queue, limit)
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from None
    return ReviewQueue(items=items)


@router.patch("/{correction_id}", response_model=FeedbackResponse, summary="Actualizar una corrección guardada")
async def update(
    correction_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: FeedbackUpdate,
    state: StateDep,
    feedback: FeedbackDep,
) -> FeedbackResponse:
    refuse_nul(body.final_reply)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise ApiError(422, "empty_update", "No hay nada que cambiar: envíe causes, sentiment, risks o final_reply.")
    problems = label_problems(
        Correction(
            text="-",
            prediction=Prediction(model=ModelInfo(name="-", version="-"), causes=[]),
            causes=changes.get("causes", []),
            sentiment=changes.get("sentiment", "neutral"),
            risks=changes.get("risks", []),
        ),
        state.taxonomy,
    )
    if problems:
        raise ApiError(422, "unknown_label", f"Etiqueta no válida: {problems[0]['msg']}.", problems)
    try:
        stored = await run_in_threadpool(feedback.store.update, correction_id, changes)
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from None
    if stored is None:
        raise ApiError(404, "not_found", f"No hay ninguna corrección {correction_id}.")
    if feedback.memory is not None:
        feedback.memory.invalidate()
    return FeedbackResponse(id=stored.id, created_at=stored.created_at, masked=stored.masked)
