"""The corpus record schema and the JSONL reader for ``data/complaints/*.jsonl``.

A record is the labelled truth for one customer message; pydantic enforces the field types so
that every later step (validation, splits, training) can trust what it reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.taxonomy import ComplaintGroup, SentimentLabel

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT / "data" / "complaints"
SPLITS_PATH = REPO_ROOT / "data" / "splits.json"

Variety = Literal["es-ES", "es-MX", "es-AR", "es-CO", "es-CL", "es-PE", "es-US", "es-VE", "es-UY", "es-EC"]
Channel = Literal["email", "chat", "phone_transcript", "web_form", "review", "social_post", "letter"]


class RecordRisk(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    churn: bool
    legal: bool
    public: bool


class CorpusRecord(BaseModel):
    """One labelled message. ``contrast`` marks records written to sit on one side of a decision rule."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z]{3}-\d{4}$")
    text: str
    causes: list[str]
    group: ComplaintGroup
    sentiment: SentimentLabel
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    risk: RecordRisk
    customer_name: str | None
    references: list[str]
    sector: str
    variety: Variety
    channel: Channel
    contrast: str | None = None


@dataclass(frozen=True)
class ParseProblem:
    """A line that could not become a record; kept so the validator can report it instead of crashing."""

    path: Path
    line: int
    message: str


def read_corpus(paths: list[Path] | None = None) -> tuple[list[CorpusRecord], list[ParseProblem]]:
    """Read records from JSONL files (default: every file in ``data/complaints``), collecting bad lines."""
    if paths is None:
        paths = sorted(CORPUS_DIR.glob("*.jsonl"))
    records: list[CorpusRecord] = []
    problems: list[ParseProblem] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(CorpusRecord.model_validate(json.loads(line)))
                except json.JSONDecodeError as exc:
                    problems.append(ParseProblem(path, number, f"invalid JSON: {exc.msg}"))
                except ValidationError as exc:
                    details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                    problems.append(ParseProblem(path, number, f"schema: {details}"))
    return records, problems


def load_records() -> list[CorpusRecord]:
    """Read the whole corpus and refuse to go on if any line is broken (training must not skip data)."""
    records, problems = read_corpus()
    if problems:
        first = problems[0]
        raise ValueError(
            f"{len(problems)} corpus line(s) are invalid, first: {first.path.name}:{first.line}: {first.message}. "
            "Run `python data/validate.py` for the full list."
        )
    if not records:
        raise ValueError(f"no corpus records found in {CORPUS_DIR}")
    return records
