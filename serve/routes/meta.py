"""`/v1/labels` and `/v1/model`: what the service can say and which model says it."""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.taxonomy import TAXONOMY
from serve.deps import ReadyDep, loaded_analyzer
from serve.schemas import LabelInfo, LabelsResponse, ModelResponse

router = APIRouter(tags=["metadatos"])


@router.get("/labels", response_model=LabelsResponse, summary="Causas, grupos, sentimientos y riesgos")
async def labels() -> LabelsResponse:
    return LabelsResponse(
        causes=[
            LabelInfo(id=c.id, group=c.group, display=c.display, description=c.description) for c in TAXONOMY.causes
        ],
        groups=TAXONOMY.groups,
        sentiments=TAXONOMY.sentiments,
        risks=[{"id": r.id, "display": r.display, "description": r.description} for r in TAXONOMY.risks],
    )


@router.get("/model", response_model=ModelResponse, summary="Modelo cargado, umbrales y métricas")
async def model(state: ReadyDep) -> ModelResponse:
    analyzer = loaded_analyzer(state)
    config = analyzer.config
    return ModelResponse(
        name=config.name,
        version=config.version,
        base_model=config.base_model,
        labels=config.causes,
        risks=config.risks,
        thresholds=config.cause_thresholds,
        risk_thresholds=config.risk_thresholds,
        max_length=config.max_length,
        long_text_strategy=config.long_text_strategy,
        metrics=analyzer.metrics.get("test", {}),
    )
