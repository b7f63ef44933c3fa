"""The result schema shared by the CLI, batch labelling and the HTTP API.

One set of pydantic models means a JSON line written by `quejas analyze`, a row produced by
`quejas label` and a response of `POST /v1/classify` always agree on field names and meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from pipeline.priority import priority_of
from pipeline.taxonomy import TAXONOMY, CauseGroup, ComplaintGroup, PriorityLevel, ScoreKind, SentimentLabel

# "public": a post on a network (the reply may move to a private message); "review": a review site or app store,
# where no private message exists and the reply gives the company's own e-mail and phone.
ReplyChannel = Literal["email", "chat", "public", "review"]
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
    label: SentimentLabel = Field(description="The sentiment classifier's label.")
    score: float = Field(
        ge=-1.0,
        le=1.0,
        description="How upset or pleased, -1 (furious) to +1 (delighted). With score_kind 'intensity' a graded "
        "intensity on the scale of the corpus's labelled sentiment_score (a mild grumble near -0.4, an angry "
        "complaint near -0.8); with 'polarity' P(positive) - P(negative), which sits near -1 for most complaints.",
    )
    score_kind: ScoreKind = Field(
        default="polarity",
        description="'intensity' from models that learned it; 'polarity' from model folders trained before it.",
    )


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


class LanguageGuess(BaseModel):
    """The message's language, so text the model cannot read is flagged rather than silently labelled."""

    code: str | None = Field(
        description="ISO 639-1 code ('es', 'en', 'pt'...), 'und' for letters in no recognisable language, "
        "null for text without letters.",
        examples=["es"],
    )
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the detector is of `code`.")
    spanish: bool = Field(description="The model reads Spanish only; false means its causes are guesses.")


CauseConfidence = Literal["high", "medium", "low"]


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
    language: LanguageGuess | None = Field(default=None, description="Detected language of the text.")
    confidence: CauseConfidence = Field(
        default="medium",
        description="How far the cause set is from the model's decision thresholds: 'high' where dev cause sets "
        "were exactly right 85% of the time, 'low' where at most 35%; always 'low' for text that is not Spanish.",
    )
    uncertainty: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="1 minus the cause set's margin from the thresholds (pipeline/confidence.py): 1 = a cause "
        "right on its threshold, 0 = every cause far from it; the `uncertainty` column of `quejas label`.",
    )
    model: ModelInfo
    priority: PriorityLevel = Field(
        default="P4",
        description="Triage priority, P1 (urgent) to P4, by the rule in pipeline/taxonomy.yaml (docs/TAXONOMY.md "
        "section 7): intensity, legal and public risk, churn, and long-wait or broken-promise causes raise it. "
        "Derived from the other fields when not given.",
    )

    @model_validator(mode="after")
    def _derive_priority(self) -> Analysis:
        """Like the group, the priority follows from the findings, so an analysis built by hand gets one too."""
        if "priority" not in self.model_fields_set:
            raised = [r for r in TAXONOMY.risk_ids if getattr(self.risk, r, False)]
            self.priority = priority_of(self.sentiment.score, self.sentiment.score_kind, self.cause_ids, raised)
        return self

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
