"""HTTP request and response bodies. Results reuse pipeline.schema, so the API and the CLI agree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from pipeline.schema import Analysis, Draft, ReplyChannel

# Ceilings every string field has in the schema; the limits a deployment sets (QUEJAS_MAX_TEXT_CHARS,
# QUEJAS_MAX_ITEMS, at most these) are checked by the routes and answer 413.
TEXT_CHARS_CEILING = 200_000
ITEMS_CEILING = 1024
NAME_CHARS = 200
SECTOR_CHARS = 64  # a sector or done-action id
DONE_ACTIONS_CEILING = 32
NESTED_CHARS = 1_000  # any string inside a nested object (an analysis sent back): names, references, labels


def _first_bad_string(value: Any, path: tuple, nested: bool) -> tuple[tuple, str] | None:
    """Where the first string a JSON encoder or tokenizer cannot handle sits, and why."""
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return path, "lone_surrogate"
        if nested and len(value) > NESTED_CHARS:
            return path, "too_long"
        return None
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and _first_bad_string(key, path, False):
            return path, "lone_surrogate"
        found = _first_bad_string(item, (*path, key), nested or isinstance(item, dict))
        if found:
            return found
    return None


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, and so is any string that is not text.

    A lone surrogate (JSON ``"\\ud800"``) is valid JSON but no valid Unicode text: it cannot be
    encoded back to UTF-8 and makes tokenizers raise, so it is refused here with a 422 instead of
    failing deep inside the model or while the response is written.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def only_valid_text(cls, data: Any) -> Any:
        found = _first_bad_string(data, (), False)
        if found:
            where = ".".join(str(p) for p in found[0]) or "cuerpo"
            if found[1] == "lone_surrogate":
                raise PydanticCustomError(
                    "invalid_unicode",
                    "{where} contiene un carácter Unicode no válido (un sustituto aislado)",
                    {"where": where},
                )
            raise PydanticCustomError(
                "string_too_long", "{where} tiene más de {limit} caracteres", {"where": where, "limit": NESTED_CHARS}
            )
        return data


EXAMPLE_COMPLAINT = (
    "Buenas tardes. Soy Lucía Ferrer y el pedido PED-48213 tenía que llegar el lunes. Llamé tres veces y me "
    "pasaron de un departamento a otro; la chica me dijo que me llamaría mañana y nunca llamó. Si no se "
    "soluciona esta semana me doy de baja."
)


class ClassifyRequest(RequestModel):
    """One text (`text`) or several (`texts`), not both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": EXAMPLE_COMPLAINT},
                {"texts": ["Me cobraron dos veces la factura F2024/00871.", "¡Gracias, Raúl, por la ayuda!"]},
            ]
        },
    )

    text: str | None = Field(default=None, max_length=TEXT_CHARS_CEILING, description="A complaint.")
    texts: list[Annotated[str, Field(max_length=TEXT_CHARS_CEILING)]] | None = Field(
        default=None, max_length=ITEMS_CEILING, description="Several complaints, analysed in one call."
    )

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


class ReplyRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": EXAMPLE_COMPLAINT, "channel": "email", "tone": "usted"}]},
    )

    text: str = Field(max_length=TEXT_CHARS_CEILING, description="The customer's complaint.")
    channel: ReplyChannel = Field(
        default="email",
        description="email (full letter), chat (two sentences), public (a post on a network: moves to a "
        "private message) or review (a review site or app store: gives the contact e-mail and phone).",
    )
    tone: Tone | None = Field(default=None, description="Overrides the policy's tone.")
    analysis: Analysis | None = Field(
        default=None, description="An analysis from /v1/classify; when given the model is not called again."
    )
    sector: str | None = Field(
        default=None,
        max_length=SECTOR_CHARS,
        description="Sector preset to use instead of the policy's (GET /v1/policy lists them).",
        examples=["banking"],
    )
    done_actions: list[Annotated[str, Field(max_length=SECTOR_CHARS)]] = Field(
        default_factory=list,
        max_length=DONE_ACTIONS_CEILING,
        description="Actions already done (GET /v1/policy lists them); only these are said in the past tense.",
        examples=[["refund_issued"]],
    )


class ReplyResponse(BaseModel):
    draft: Draft


class AnalyzeResponse(BaseModel):
    analysis: Analysis
    draft: Draft


class ReviewRequest(RequestModel):
    model_config = ConfigDict(
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

    draft: str = Field(max_length=TEXT_CHARS_CEILING, description="The reply an agent wrote or edited.")
    complaint: str | None = Field(
        default=None,
        max_length=TEXT_CHARS_CEILING,
        description="The complaint it answers (enables cause-aware checks).",
    )
    customer_name: str | None = Field(default=None, max_length=NAME_CHARS, description="The customer's name, if known.")
    channel: ReplyChannel | None = Field(default=None, description="email, chat, public or review (length limits).")
    sector: str | None = Field(
        default=None, max_length=SECTOR_CHARS, description="The company's sector: words of other sectors are flagged."
    )
    done_actions: list[Annotated[str, Field(max_length=SECTOR_CHARS)]] = Field(
        default_factory=list,
        max_length=DONE_ACTIONS_CEILING,
        description="Actions already done; any other past-tense action is flagged.",
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


class NamedInfo(BaseModel):
    id: str
    display: str
    description: str


class LabelsResponse(BaseModel):
    """Every id the service answers with and the name an agent sees for it; the triage page shows only these."""

    causes: list[LabelInfo]
    groups: dict[str, str]
    sentiments: dict[str, str]
    risks: list[NamedInfo]
    priorities: list[NamedInfo] = Field(description="Triage levels, most urgent first.")
    confidence: dict[str, str] = Field(description="Levels of `Analysis.confidence`.")
    findings: dict[str, str] = Field(description="Kinds of `/v1/review` findings.")
    labelled_columns: list[str] = Field(
        description="Columns that `quejas label` and `/v1/label-rows` add to every row, in order (the input "
        "must not already have any of them)."
    )


# A cell of a labelled row: text, a score, a risk flag, or empty (null).
LabelCell = str | float | bool | None


class LabelRowsRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"texts": [EXAMPLE_COMPLAINT, "", "12345"]}]},
    )

    texts: list[Annotated[str | None, Field(max_length=TEXT_CHARS_CEILING)]] = Field(
        max_length=ITEMS_CEILING,
        description="One text per row of the file; null or an unusable text (empty, no letters, too long) gives "
        "that row an `error` instead of failing the request.",
    )


class LabelRowsResponse(BaseModel):
    columns: list[str] = Field(description="The result columns of `quejas label`, in file order.")
    rows: list[list[LabelCell]] = Field(description="One row per input text, one value per column.")


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
