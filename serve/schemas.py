"""HTTP request and response bodies. Results reuse pipeline.schema, so the API and the CLI agree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.schema import Analysis, Draft, ReplyChannel

EXAMPLE_COMPLAINT = (
    "Buenas tardes. Soy Lucía Ferrer y el pedido PED-48213 tenía que llegar el lunes. Llamé tres veces y me "
    "pasaron de un departamento a otro; la chica me dijo que me llamaría mañana y nunca llamó. Si no se "
    "soluciona esta semana me doy de baja."
)


class ClassifyRequest(BaseModel):
    """One text (`text`) or several (`texts`), not both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": EXAMPLE_COMPLAINT},
                {"texts": ["Me cobraron dos veces la factura F2024/00871.", "¡Gracias, Raúl, por la ayuda!"]},
            ]
        },
    )

    text: str | None = Field(default=None, description="A complaint.")
    texts: list[str] | None = Field(default=None, description="Several complaints, analysed in one call.")

    @model_validator(mode="after")
    def one_of(self) -> ClassifyRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("send either 'text' or 'texts' (a list), not both and not neither")
        return self

    @property
    def items(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class ClassifyResponse(BaseModel):
    results: list[Analysis] = Field(description="One analysis per input text, in input order.")


Tone = Literal["usted", "tú"]


class ReplyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": EXAMPLE_COMPLAINT, "channel": "email", "tone": "usted"}]},
    )

    text: str = Field(description="The customer's complaint.")
    channel: ReplyChannel = Field(default="email", description="email (full letter) or chat (three sentences at most).")
    tone: Tone | None = Field(default=None, description="Overrides the policy's tone.")
    analysis: Analysis | None = Field(
        default=None, description="An analysis from /v1/classify; when given the model is not called again."
    )
    sector: str | None = Field(
        default=None,
        description="Sector preset to use instead of the policy's (GET /v1/policy lists them).",
        examples=["banking"],
    )
    done_actions: list[str] = Field(
        default_factory=list,
        description="Actions already done (GET /v1/policy lists them); only these are said in the past tense.",
        examples=[["refund_issued"]],
    )


class ReplyResponse(BaseModel):
    draft: Draft


class AnalyzeResponse(BaseModel):
    analysis: Analysis
    draft: Draft


class ReviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "draft": "Por medio de la presente le informamos que su caso se resolverá lo antes posible. "
                    "Sin otro particular, un saludo.",
                    "customer_name": "Lucía",
                }
            ]
        },
    )

    draft: str = Field(description="The reply an agent wrote or edited.")
    complaint: str | None = Field(default=None, description="The complaint it answers (enables cause-aware checks).")
    customer_name: str | None = Field(default=None, description="The customer's name, if known.")
    channel: ReplyChannel | None = Field(default=None, description="email, chat or public (length limits).")
    sector: str | None = Field(default=None, description="The company's sector: words of other sectors are flagged.")
    done_actions: list[str] = Field(
        default_factory=list, description="Actions already done; any other past-tense action is flagged."
    )


class DoneActionInfo(BaseModel):
    id: str
    label: str


class PolicyResponse(BaseModel):
    sector: str = Field(description="The sector of the loaded policy.")
    sectors: list[str] = Field(description="Sector presets a request may ask for.")
    done_actions: list[DoneActionInfo]


class LabelInfo(BaseModel):
    id: str
    group: str
    display: str
    description: str


class LabelsResponse(BaseModel):
    causes: list[LabelInfo]
    groups: dict[str, str]
    sentiments: dict[str, str]
    risks: list[dict[str, str]]


class ModelResponse(BaseModel):
    name: str
    version: str
    base_model: str
    labels: list[str]
    risks: list[str]
    thresholds: dict[str, float]
    risk_thresholds: dict[str, float]
    max_length: int
    long_text_strategy: str
    metrics: dict


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
