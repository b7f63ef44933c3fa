"""`/v1/classify`, `/v1/analyze` and `/v1/reply`: everything that needs the model.

Drafting renders templates and runs spaCy on the complaint, so it runs in the thread pool: a slow
draft must not hold up every other request on the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from pipeline.actions import DONE_ACTION_IDS, unknown_actions
from pipeline.policy import sector_ids
from pipeline.reply import draft_reply
from pipeline.schema import Analysis, Draft
from serve.deps import ReadyDep, check_texts, run_model
from serve.errors import ApiError
from serve.routes.feedback import FeedbackDep, FeedbackService
from serve.schemas import AnalyzeResponse, ClassifyRequest, ClassifyResponse, ReplyRequest, ReplyResponse
from serve.state import ServiceState

router = APIRouter(tags=["análisis"])


async def analyze_texts(state: ServiceState, texts: list[str], field: str = "texts") -> list[Analysis]:
    check_texts(state, texts, field)
    return await run_model(state, texts)


def check_sector_and_actions(sector: str | None, done_actions: list[str]) -> None:
    """Unknown sector or done action: a 422 that lists the known ones, before any model work."""
    if sector is not None and sector not in sector_ids():
        known = ", ".join(sector_ids())
        raise ApiError(422, "unknown_sector", f"Sector desconocido: {sector!r}. Use uno de: {known}.")
    unknown = unknown_actions(done_actions)
    if unknown:
        raise ApiError(
            422, "unknown_done_action", f"Acción desconocida: {', '.join(unknown)}. Use: {', '.join(DONE_ACTION_IDS)}."
        )


def make_draft(state: ServiceState, analysis: Analysis, request: ReplyRequest) -> Draft:
    policy = state.policy_for(request.sector)
    if request.tone is not None:
        policy = policy.model_copy(update={"tone": request.tone})
    return draft_reply(
        analysis, policy, channel=request.channel, complaint_text=request.text, done_actions=request.done_actions
    )


async def analysis_for(state: ServiceState, body: ReplyRequest) -> Analysis:
    """The given analysis (the model is not called) or a new one; the text is checked either way, and a given
    analysis may only name causes of the served model's taxonomy."""
    if body.analysis is None:
        return (await analyze_texts(state, [body.text], "text"))[0]
    check_texts(state, [body.text], "text")
    known = state.taxonomy.cause_ids
    unknown = [(i, c.id) for i, c in enumerate(body.analysis.causes) if c.id not in known]
    if unknown:
        problems = [
            {"loc": ["body", "analysis", "causes", i, "id"], "msg": f"{cause!r} no existe", "type": "unknown_cause"}
            for i, cause in unknown
        ]
        message = f"Causa desconocida: {unknown[0][1]!r}. Use una de: {', '.join(known)}."
        raise ApiError(422, "unknown_cause", message, problems)
    return body.analysis


async def analysis_and_draft(
    state: ServiceState, body: ReplyRequest, feedback: FeedbackService
) -> tuple[Analysis, Draft]:
    """What /v1/analyze and /v1/reply share. A complaint the model analysed for a draft joins the review queue
    like a classified one: helpdesks that only ask for drafts still get a "Por revisar" list."""
    check_sector_and_actions(body.sector, body.done_actions)
    analysis = await analysis_for(state, body)
    if body.analysis is None:  # an analysis sent by the client is not the model's to record
        feedback.seen([body.text], [analysis])
    return analysis, await run_in_threadpool(make_draft, state, analysis, body)


@router.post(
    "/classify", response_model=ClassifyResponse, summary="Causas, sentimiento y riesgos de una o varias quejas"
)
async def classify(body: ClassifyRequest, state: ReadyDep, feedback: FeedbackDep) -> ClassifyResponse:
    field = "text" if body.text is not None else "texts"
    results = await analyze_texts(state, body.items, field)
    feedback.seen(body.items, results)
    return ClassifyResponse(results=results)


@router.post("/analyze", response_model=AnalyzeResponse, summary="Clasificación y borrador de respuesta en una llamada")
async def analyze(body: ReplyRequest, state: ReadyDep, feedback: FeedbackDep) -> AnalyzeResponse:
    analysis, draft = await analysis_and_draft(state, body, feedback)
    return AnalyzeResponse(analysis=analysis, draft=draft)


@router.post("/reply", response_model=ReplyResponse, summary="Borrador de respuesta para una queja")
async def reply(body: ReplyRequest, state: ReadyDep, feedback: FeedbackDep) -> ReplyResponse:
    return ReplyResponse(draft=(await analysis_and_draft(state, body, feedback))[1])
