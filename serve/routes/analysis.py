"""`/v1/classify`, `/v1/analyze` and `/v1/reply`: everything that needs the model."""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.schema import Analysis, Draft
from serve.batching import InferenceError
from serve.deps import ReadyDep, check_texts
from serve.errors import ApiError
from serve.schemas import AnalyzeResponse, ClassifyRequest, ClassifyResponse, ReplyRequest, ReplyResponse
from serve.state import ServiceState

router = APIRouter(tags=["análisis"])


async def analyze_texts(state: ServiceState, texts: list[str]) -> list[Analysis]:
    check_texts(state, texts)
    assert state.batcher is not None
    try:
        return await state.batcher.submit(texts)
    except InferenceError as exc:
        raise ApiError(500, "inference_failed", str(exc)) from None


def check_sector_and_actions(sector: str | None, done_actions: list[str]) -> None:
    """Unknown sector or done action: a 422 that lists the known ones, before any model work."""
    from pipeline.actions import DONE_ACTION_IDS, unknown_actions
    from pipeline.policy import sector_ids

    if sector is not None and sector not in sector_ids():
        known = ", ".join(sector_ids())
        raise ApiError(422, "unknown_sector", f"Sector desconocido: {sector!r}. Use uno de: {known}.")
    unknown = unknown_actions(done_actions)
    if unknown:
        raise ApiError(
            422, "unknown_done_action", f"Acción desconocida: {', '.join(unknown)}. Use: {', '.join(DONE_ACTION_IDS)}."
        )


def make_draft(state: ServiceState, analysis: Analysis, request: ReplyRequest) -> Draft:
    from pipeline.reply import draft_reply

    policy = state.policy_for(request.sector)
    if request.tone is not None:
        policy = policy.model_copy(update={"tone": request.tone})
    return draft_reply(
        analysis, policy, channel=request.channel, complaint_text=request.text, done_actions=request.done_actions
    )


@router.post(
    "/classify", response_model=ClassifyResponse, summary="Causas, sentimiento y riesgos de una o varias quejas"
)
async def classify(body: ClassifyRequest, state: ReadyDep) -> ClassifyResponse:
    return ClassifyResponse(results=await analyze_texts(state, body.items))


@router.post("/analyze", response_model=AnalyzeResponse, summary="Clasificación y borrador de respuesta en una llamada")
async def analyze(body: ReplyRequest, state: ReadyDep) -> AnalyzeResponse:
    check_sector_and_actions(body.sector, body.done_actions)
    analysis = body.analysis or (await analyze_texts(state, [body.text]))[0]
    return AnalyzeResponse(analysis=analysis, draft=make_draft(state, analysis, body))


@router.post("/reply", response_model=ReplyResponse, summary="Borrador de respuesta para una queja")
async def reply(body: ReplyRequest, state: ReadyDep) -> ReplyResponse:
    check_sector_and_actions(body.sector, body.done_actions)
    if body.analysis is None:
        analysis = (await analyze_texts(state, [body.text]))[0]
    else:
        check_texts(state, [body.text])
        analysis = body.analysis
    return ReplyResponse(draft=make_draft(state, analysis, body))
