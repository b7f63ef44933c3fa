"""`/v1/label-rows`: the rows of a labelled file, as `quejas label` writes them, for the page's batch tab.

The page used to build its download from `/v1/classify` answers with its own column names, so a file
labelled on the page could not go through `quejas report`. Here the result columns and their values
come from the same code as the command line (`pipeline.batch`): `added_columns()` for the order,
`text_problem` for rows that cannot be analysed and `label_texts_safely` for the rest. The page
appends these columns to the input columns and saves the CSV. The analysed rows also go to the review
queue (QUEJAS_FEEDBACK_REVIEW_QUEUE), as the page's single analyses do.

The work needs every cause score, which the micro-batcher's analyses do not carry, so it runs beside
the batcher in the thread pool, one request at a time. Texts waiting here count against the same
``QUEJAS_MAX_QUEUE`` as those in the batcher: a request that would exceed it gets 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from pipeline.analyzer import Analyzer
from pipeline.batch import added_columns, label_texts_safely, text_problem
from pipeline.batch.columns import score_column
from pipeline.feedback.models import PredictedCause, SeenComplaint
from pipeline.schema import ModelInfo
from serve.deps import RETRY_AFTER_SECONDS, ReadyDep
from serve.errors import ApiError
from serve.routes.feedback import FeedbackDep
from serve.schemas import LabelCell, LabelRowsRequest, LabelRowsResponse
from serve.state import ServiceState

router = APIRouter(tags=["lote"])

T = TypeVar("T")


def seen_row(text: str | None, record: dict, model: ModelInfo) -> SeenComplaint | None:
    """A labelled row as the review queue keeps it; None for a row that could not be analysed."""
    if text is None or record.get("error") or record.get("uncertainty") is None:
        return None
    causes = []
    for cause in filter(None, record["causes"].split(";")):
        score = record.get(score_column(cause))
        if score is None:
            return None  # a cause without its score column: not worth failing the labelling for
        causes.append(PredictedCause(id=cause, score=float(score)))
    return SeenComplaint(text=text, model=model, causes=causes, uncertainty=record["uncertainty"])


def label_rows(
    analyzer: Analyzer, texts: list[str | None], max_chars: int, batch_size: int
) -> tuple[list[list[LabelCell]], list[SeenComplaint | None]]:
    """One row of result values per text, in `added_columns()` order (unusable texts get only ``error``),
    and each analysed row as the review queue keeps it."""
    columns = added_columns(analyzer.taxonomy)
    problems = [text_problem(text, max_chars) for text in texts]
    valid = [text for text, problem in zip(texts, problems) if problem is None and text is not None]
    records = iter(label_texts_safely(analyzer, valid, batch_size) if valid else [])
    rows: list[list[LabelCell]] = []
    seen: list[SeenComplaint | None] = []
    for text, problem in zip(texts, problems):
        record = next(records) if problem is None else {"error": problem}
        rows.append([record.get(column) for column in columns])
        seen.append(seen_row(text, record, analyzer.info))
    return rows, seen


class LabelQueue:
    """Labelling requests run one at a time; the texts waiting or running are counted for the queue limit."""

    def __init__(self) -> None:
        self.depth = 0
        self._turn = asyncio.Lock()

    async def run(self, state: ServiceState, size: int, work: Callable[[], T]) -> T:
        waiting = self.depth + (state.batcher.depth if state.batcher is not None else 0)
        if waiting and waiting + size > state.settings.max_queue:
            raise ApiError(
                503,
                "overloaded",
                "El servicio está al máximo de su capacidad; vuelva a intentarlo en unos segundos.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.depth += size
        try:
            async with self._turn:
                return await run_in_threadpool(work)
        finally:
            self.depth -= size


def get_label_queue(request: Request) -> LabelQueue:
    """The app's queue, made on first use (so it belongs to the event loop that serves the app)."""
    queue = getattr(request.app.state, "label_queue", None)
    if queue is None:
        queue = LabelQueue()
        request.app.state.label_queue = queue
    return queue


@router.post(
    "/label-rows",
    response_model=LabelRowsResponse,
    summary="Columnas de resultado de `quejas label` para una lista de textos",
    responses={503: {"description": "Modelo no disponible o cola llena (reintentar tras Retry-After)"}},
)
async def label_rows_route(
    body: LabelRowsRequest,
    state: ReadyDep,
    queue: Annotated[LabelQueue, Depends(get_label_queue)],
    feedback: FeedbackDep,
) -> LabelRowsResponse:
    settings = state.settings
    texts = body.texts
    if len(texts) > settings.max_items:
        raise ApiError(413, "too_many_items", f"Demasiados textos: {len(texts)} (máximo {settings.max_items}).")
    analyzer = state.analyzer
    if analyzer is None:
        raise ApiError(503, "not_ready", "El modelo aún no está disponible; vuelva a intentarlo en unos segundos")

    def work() -> tuple[list[list[LabelCell]], list[SeenComplaint | None]]:
        return label_rows(analyzer, texts, settings.max_text_chars, settings.max_batch_size)

    try:
        rows, seen = await queue.run(state, len(texts), work)
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001 - every text failed: the model itself is broken, not the data
        raise ApiError(500, "inference_failed", f"inference failed: {type(exc).__name__}: {exc}") from None
    feedback.seen_rows(seen)
    return LabelRowsResponse(columns=added_columns(analyzer.taxonomy), rows=rows)
