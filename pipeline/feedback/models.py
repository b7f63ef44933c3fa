"""A correction as the API receives it and as every reader of the store sees it.

Validation against the taxonomy lives here, not in the route, so anything that records corrections
(the API today, an import tomorrow) refuses the same unknown labels with the same list of valid ones.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from pipeline.schema import ModelInfo
from pipeline.taxonomy import TAXONOMY, SentimentLabel, Taxonomy


class PredictedCause(BaseModel):
    id: str = Field(description="Cause id the model returned.", examples=["delay"])
    score: float = Field(ge=0.0, le=1.0)


class Prediction(BaseModel):
    """What the model said: the `model` and `causes` of an analysis; sentiment and risks when known."""

    model: ModelInfo
    causes: list[PredictedCause]
    sentiment: SentimentLabel | None = None
    sentiment_score: float | None = Field(default=None, ge=-1.0, le=1.0)
    risks: list[str] | None = None


class Correction(BaseModel):
    """The labels an agent decided on for one complaint, beside what the model said about it."""

    text: str
    prediction: Prediction
    causes: list[str]
    sentiment: SentimentLabel
    risks: list[str] = Field(default_factory=list)
    final_reply: str | None = None
    agent_id: str | None = None
    created_at: dt.datetime | None = None


class StoredCorrection(Correction):
    id: int
    masked: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class SeenComplaint(BaseModel):
    """A complaint the service analysed: what the model said and how unsure it was (pipeline/confidence.py)."""

    text: str
    model: ModelInfo
    causes: list[PredictedCause]
    uncertainty: float = Field(
        ge=0.0, le=1.0, description="1 = a cause right on its threshold, 0 = every cause far from it."
    )
    seen_at: dt.datetime | None = None


class StoredSeenComplaint(SeenComplaint):
    id: int
    masked: bool = Field(description="Contact and payment data were masked before storing.")
    seen_at: dt.datetime


def label_problems(correction: Correction, taxonomy: Taxonomy = TAXONOMY) -> list[dict]:
    """Every cause or risk id ``taxonomy`` (the served model's) lacks, as error details (``loc``, ``msg``,
    ``type``) naming the valid ids."""
    causes, risks = set(taxonomy.cause_ids), set(taxonomy.risk_ids)
    valid_causes, valid_risks = ", ".join(taxonomy.cause_ids), ", ".join(taxonomy.risk_ids)
    problems = []
    checks = [
        (["causes"], correction.causes, causes, valid_causes, "unknown_cause"),
        (["prediction", "causes"], [c.id for c in correction.prediction.causes], causes, valid_causes, "unknown_cause"),
        (["risks"], correction.risks, risks, valid_risks, "unknown_risk"),
        (["prediction", "risks"], correction.prediction.risks or [], risks, valid_risks, "unknown_risk"),
    ]
    for loc, ids, known, valid, kind in checks:
        for i, label in enumerate(ids):
            if label not in known:
                msg = f"{label!r} no existe; válidas: {valid}"
                problems.append({"loc": ["body", *loc, i], "msg": msg, "type": kind})
    for loc, ids in ((["causes"], correction.causes), (["risks"], correction.risks)):
        if len(set(ids)) != len(ids):
            problems.append({"loc": ["body", *loc], "msg": "etiqueta repetida", "type": "duplicate_label"})
    return problems
