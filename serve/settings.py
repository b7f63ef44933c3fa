"""Service settings, read from `QUEJAS_*` environment variables (or a `.env` file).

Validators refuse values that would make the service unsafe or useless (a zero batch size, an
API key so short it is guessable) at start-up, instead of failing on the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pipeline import paths
from pipeline.analyzer import Runtime
from pipeline.errors import QuejasError
from serve.schemas import ITEMS_CEILING, TEXT_CHARS_CEILING


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUEJAS_", env_file=".env", extra="ignore")

    model_path: Path = Field(
        default_factory=paths.default_model_path, description="Trained model folder (default: models/latest)."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="auto uses CUDA when present.")
    max_batch_size: int = Field(default=32, ge=1, le=1024, description="Most texts in one forward pass.")
    max_wait_ms: float = Field(
        default=8.0, ge=0.0, le=1000.0, description="How long the first request of a batch waits for company."
    )
    max_text_chars: int = Field(
        default=20_000, ge=10, le=TEXT_CHARS_CEILING, description="Longer texts are refused with 413."
    )
    max_items: int = Field(
        default=64, ge=1, le=ITEMS_CEILING, description="Most texts in one /v1/classify request (413 above)."
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest request body (JSON or uploaded file), refused with 413 before it is parsed or the "
        "API key is checked. 10 MiB holds 64 texts of 20,000 characters even with every character escaped.",
    )
    max_queue: int = Field(
        default=16,
        ge=1,
        description="Most texts waiting for or in the model at once; a request that would exceed it gets 503 with "
        "Retry-After (a request alone is always admitted). An accepted text can wait for the running batch and "
        "then run in the next, so its latency is up to about twice this many texts' work: 16 keeps the p99 of "
        "accepted requests under 2 s at 64 clients on 2 idle CPU cores (ONNX int8, about 20 texts/s; "
        "bench/README.md), where 24 reached 2.5-3.3 s.",
    )
    max_upload_rows: int = Field(default=2_000, ge=1, description="Most rows in one file uploaded to the page.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated keys; when set, /v1 requests need X-API-Key."
    )
    policy_path: Path | None = Field(default=None, description="Reply policy YAML (default: pipeline/policy.yaml).")
    warmup: bool = Field(default=True, description="Run one forward pass before reporting ready.")
    quantize: bool = Field(
        default=False, description="Dynamic int8 encoder on CPU, one text per pass (see bench/README.md)."
    )
    bf16: bool = Field(
        default=False,
        description="PyTorch under bfloat16 autocast (AMX/BF16 hardware): batches far cheaper per text.",
    )
    runtime: Runtime = Field(
        default="torch",
        description="onnx runs the model folder's ONNX export with ONNX Runtime (CPU; exported on first start).",
    )
    feedback_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the corrections store (POST /v1/feedback): default an SQLite file in "
        "$XDG_DATA_HOME/quejas (~/.local/share/quejas/feedback.db); postgresql://... when replicas share it.",
    )
    feedback_mask_contacts: bool = Field(
        default=True, description="Mask e-mails, phones, card and IBAN numbers in corrections before storing."
    )
    feedback_memory: bool = Field(
        default=True,
        description="Near-identical complaints take the causes agents agreed on, before any retraining.",
    )
    feedback_memory_min_similarity: float = Field(
        default=0.9, gt=0.0, lt=0.98, description="Cosine similarity below which a correction does not count."
    )
    feedback_memory_calibrate: bool = Field(
        default=True,
        description="Also learn from the corrections where the model's cause thresholds are wrong for this company, "
        "and move texts like the corrections accordingly (fitted on the corrections; no retraining).",
    )
    feedback_memory_calibration_floor: float = Field(
        default=0.6,
        ge=-1.0,
        lt=1.0,
        description="Mean cosine to a text's 5 nearest corrections from which the company calibration starts to "
        "apply (fully 0.2 above); texts less like the corrections keep the model's scores.",
    )
    feedback_memory_min_corrections: int = Field(
        default=20, ge=2, le=100_000, description="Corrections needed before the company calibration is fitted."
    )
    feedback_review_queue: bool = Field(
        default=True,
        description="Keep the complaints /v1/analyze, /v1/reply, /v1/classify and /v1/label-rows analysed (masked like "
        'corrections) in the corrections store, so GET /v1/feedback/review-queue and the page\'s "Por revisar" list '
        "the least sure. On with the store it lives in; false keeps no complaint but the corrections.",
    )
    feedback_review_queue_size: int = Field(
        default=5_000, ge=1, le=1_000_000, description="Most complaints kept for review; the oldest seen go first."
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def keys_are_long_enough(cls, keys: list[str]) -> list[str]:
        short = [k for k in keys if len(k) < 16]
        if short:
            raise ValueError("API keys must be at least 16 characters (generate one with `openssl rand -hex 24`)")
        return keys


class SettingsError(QuejasError, ValueError):
    """A setting out of range, or no model where the settings point: said before the server starts."""


def startup_settings(**options: Any) -> Settings:
    """The environment's settings with the options given on the command line on top (None: not given).

    `quejas serve` refuses to start without a model folder; the app itself would only report not ready.
    """
    given = {name: value for name, value in options.items() if value is not None}
    try:
        settings = Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"invalid settings: {problems}") from None
    if not (settings.model_path / "config.json").exists():
        raise SettingsError(
            f"no model at {settings.model_path}; run `make train` (or `make serve`, which trains one if missing)"
        )
    return settings
