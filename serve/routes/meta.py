"""`/v1/labels` and `/v1/model`: what the service can say and which model says it.

`/v1/labels` is also where the triage page gets every name it shows for an id, so a name changed in
pipeline/taxonomy.yaml (or beside the review checks) changes on the page without touching the page. The
labels are the served model's own (its folder's taxonomy.yaml), so a model trained on an organisation's
causes shows those.
"""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.batch import added_columns
from pipeline.confidence import LEVEL_NAMES
from pipeline.review import FINDING_NAMES
from serve.deps import ReadyDep, StateDep, loaded_analyzer
from serve.schemas import LabelInfo, LabelsResponse, ModelResponse, NamedInfo

router = APIRouter(tags=["metadatos"])


@router.get(
    "/labels", response_model=LabelsResponse, summary="Causas, grupos, sentimientos, riesgos, prioridades y sus nombres"
)
async def labels(state: StateDep) -> LabelsResponse:
    taxonomy = state.taxonomy
    levels = taxonomy.priority.levels if taxonomy.priority is not None else ()
    return LabelsResponse(
        causes=[
            LabelInfo(id=c.id, group=c.group, display=c.display, description=c.description) for c in taxonomy.causes
        ],
        groups=taxonomy.groups,
        sentiments=taxonomy.sentiments,
        risks=[NamedInfo(id=r.id, display=r.display, description=r.description) for r in taxonomy.risks],
        priorities=[NamedInfo(id=lv.id, display=lv.display, description=lv.description) for lv in levels],
        confidence={level: name for level, name in LEVEL_NAMES.items()},
        findings=FINDING_NAMES,
        labelled_columns=added_columns(taxonomy),
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
