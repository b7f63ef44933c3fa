"""`/v1/review`: checks an agent's draft against the seven steps; needs no model.

The checks are regular expressions and spaCy over the draft, so they run in the thread pool, never
on the event loop that every other request shares.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from pipeline import review as draft_review
from pipeline.actions import DONE_ACTIONS
from pipeline.policy import sector_ids
from pipeline.schema import Review
from serve.deps import StateDep, run_model
from serve.errors import ApiError
from serve.routes.analysis import check_sector_and_actions
from serve.schemas import DoneActionInfo, PolicyResponse, ReviewRequest

router = APIRouter(tags=["revisión"])


@router.post("/review", response_model=Review, summary="Revisar un borrador escrito por un agente")
async def review(body: ReviewRequest, state: StateDep) -> Review:
    if not body.draft.strip():
        raise ApiError(422, "empty_text", "El borrador está vacío.")
    limit = state.settings.max_text_chars
    for name, value in (("draft", body.draft), ("complaint", body.complaint or "")):
        if len(value) > limit:
            raise ApiError(413, "text_too_long", f"El campo {name} tiene {len(value)} caracteres (máximo {limit}).")
    analysis = None
    if body.complaint and body.complaint.strip() and state.ready and state.batcher is not None:
        analysis = (await run_model(state, [body.complaint]))[0]
    customer_name = body.customer_name or (analysis.entities.customer_name if analysis else None)
    check_sector_and_actions(body.sector, body.done_actions)
    return await run_in_threadpool(
        draft_review.review_draft,  # looked up per call, so a test can slow it down
        body.draft,
        analysis=analysis,
        customer_name=customer_name,
        channel=body.channel,
        sector=body.sector,
        complaint=body.complaint,
        done_actions=body.done_actions,
    )


@router.get("/policy", response_model=PolicyResponse, summary="Sectores y acciones ya hechas que admite un borrador")
async def policy(state: StateDep) -> PolicyResponse:
    loaded = state.policy_for(None)
    return PolicyResponse(
        sector=loaded.sector,
        sectors=sector_ids(),
        done_actions=[DoneActionInfo(id=a.id, label=a.label) for a in DONE_ACTIONS.values()],
    )
