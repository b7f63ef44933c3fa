"""The result schema shared by the CLI, batch labelling and the HTTP API.

One set of pydantic models means a JSON line written by `quejas analyze`, a row produced by
`quejas label` and a response of `POST /v1/classify` always agree on field names and meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.taxonomy import CauseGroup, ComplaintGroup, SentimentLabel

ReplyChannel = Literal["email", "chat", "public"]
ReplyStep = Literal["greeting", "purpose", "apology", "resolution", "benefit", "follow_up", "call_to_action"]
REPLY_STEPS: tuple[str, ...] = (
    "greeting",
    "purpose",
    "apology",
    "resolution",
    "benefit",
    "follow_up",
    "call_to_action",
)


class CauseScore(BaseModel):
    id: str = Field(description="Cause id from the taxonomy.", examples=["delay"])
    group: CauseGroup
    display: str = Field(description="Spanish name for agents.", examples=["Retrasos"])
    score: float = Field(ge=0.0, le=1.0, description="Model probability for this cause.")


class Sentiment(BaseModel):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="P(positive) - P(negative).")


class RiskScores(BaseModel):
    churn: float = Field(ge=0.0, le=1.0)
    legal: float = Field(ge=0.0, le=1.0)
    public: float = Field(ge=0.0, le=1.0)


class Span(BaseModel):
    """A piece of the input text; ``start``/``end`` are character offsets into the original text."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class RiskCue(Span):
    risk: str = Field(description="The risk signal this phrase raises by definition.", examples=["legal"])


class Risk(BaseModel):
    churn: bool = Field(description="The customer says they will leave because of this problem.")
    legal: bool = Field(description="Lawyer, lawsuit, consumer office or official complaint form.")
    public: bool = Field(description="Social networks, review sites or the press.")
    scores: RiskScores = Field(description="Model probabilities; 1.0 where a cue phrase raised the signal.")
    cues: list[RiskCue] = Field(
        default_factory=list,
        description="Phrases of the labeling guide found in the text (e.g. 'hoja de reclamaciones'); each raises "
        "its signal whatever the model's score.",
    )


class Reference(Span):
    kind: str = Field(
        description="order, ticket, invoice, contract, tracking, reservation, policy, case or other.",
        examples=["order"],
    )


class Amount(Span):
    value: float | None = None
    currency: str | None = Field(default=None, examples=["EUR"])


class DateMention(Span):
    date: dt.date | None = Field(default=None, description="The calendar date when it can be resolved.")


class Entities(BaseModel):
    customer_name: str | None = Field(default=None, description="The customer's own name; never a staff name.")
    staff_names: list[Span] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    emails: list[Span] = Field(default_factory=list)
    phones: list[Span] = Field(default_factory=list)


class ModelInfo(BaseModel):
    name: str = Field(examples=["quejas-es-0.1.0"])
    version: str = Field(examples=["0.1.0"])


class Analysis(BaseModel):
    """Why the customer is unhappy, how upset, which risks, and what to personalise a reply with."""

    causes: list[CauseScore] = Field(description="Detected causes, highest score first.")
    group: ComplaintGroup
    sentiment: Sentiment
    risk: Risk
    entities: Entities = Field(default_factory=Entities)
    model: ModelInfo

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def primary_cause(self) -> str | None:
        return self.causes[0].id if self.causes else None

    @property
    def is_complaint(self) -> bool:
        return bool(self.causes)


class Draft(BaseModel):
    """A reply an agent edits and sends; ``steps_covered`` names which of the seven steps it contains."""

    subject: str
    body: str
    channel: ReplyChannel
    steps_covered: list[ReplyStep]
    follow_up_date: dt.date | None = None


class ReviewFinding(BaseModel):
    kind: str = Field(
        description=(
            "no_apology, name_not_used, no_purpose, no_resolution, vague_promise, self_praise, "
            "archaic_formula, blames_customer, no_call_to_action, long_sentence"
        ),
        examples=["vague_promise"],
    )
    message: str = Field(description="What is wrong, in Spanish.")
    suggestion: str = Field(description="How to fix it, in Spanish.")
    start: int = Field(ge=0, description="Character offset of the problem in the draft (0 when it is an absence).")
    end: int = Field(ge=0)


class Review(BaseModel):
    score: float = Field(ge=0.0, le=100.0, description="100 is a draft with no findings.")
    findings: list[ReviewFinding]
