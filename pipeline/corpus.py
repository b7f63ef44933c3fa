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

from pipeline import paths as project_paths
from pipeline.errors import InputDataError
from pipeline.taxonomy import ComplaintGroup, SentimentLabel

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


def schema_message(exc: ValidationError) -> str:
    """One line naming each field that failed, for the validator's report."""
    return "schema: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def read_corpus(paths: list[Path] | None = None) -> tuple[list[CorpusRecord], list[ParseProblem]]:
    """Read records from JSONL files (default: every file in ``data/complaints``), collecting bad lines."""
    if paths is None:
        paths = sorted(project_paths.corpus_dir().glob("*.jsonl"))
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
                    problems.append(ParseProblem(path, number, schema_message(exc)))
    return records, problems


def load_records() -> list[CorpusRecord]:
    """Read the whole corpus and refuse to go on if any line is broken (training must not skip data)."""
    records, problems = read_corpus()
    if problems:
        first = problems[0]
        raise InputDataError(
            f"{len(problems)} corpus line(s) are invalid, first: {first.path.name}:{first.line}: {first.message}. "
            "Run `python data/validate.py` for the full list."
        )
    if not records:
        raise InputDataError(f"no corpus records found in {project_paths.corpus_dir()}")
    return records


# Genres of the real set and the corpus channel each one is read as (public posts and reviews).
REAL_CHANNELS = {"review": "review", "forum": "social_post", "portal": "social_post", "social_post": "social_post"}


class RealRecord(CorpusRecord):
    """A real public message: its text and provenance from ``data/real/raw``, its labels from
    ``data/real/labels/final.jsonl``. Same labels as a corpus record; sector may be `restaurants` or
    `other`, and texts run longer (up to 400 words)."""

    id: str = Field(pattern=r"^[a-z_]+-\d{5}$")
    source: str
    genre: str


def read_real(real_dir: Path | None = None) -> tuple[list[RealRecord], list[ParseProblem]]:
    """Join the raw texts with their final labels; a labelled id without text (or the reverse) is a problem."""
    real_dir = real_dir or project_paths.real_dir()
    labels_path = real_dir / "labels" / "final.jsonl"
    if not labels_path.exists():
        return [], []
    texts: dict[str, dict] = {}
    problems: list[ParseProblem] = []
    for path in sorted((real_dir / "raw").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    raw = json.loads(line)
                    texts[raw["id"]] = raw
    records: list[RealRecord] = []
    with open(labels_path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                labels = json.loads(line)
                raw = texts.pop(labels["id"])
                records.append(
                    RealRecord.model_validate(
                        {
                            **labels,
                            "text": raw["text"],
                            "source": raw["source"],
                            "genre": raw["genre"],
                            "variety": raw.get("variety_hint") or "es-ES",
                            "channel": REAL_CHANNELS.get(raw["genre"], "review"),
                        }
                    )
                )
            except KeyError as exc:
                problems.append(ParseProblem(labels_path, number, f"no raw text or field for {exc}"))
            except json.JSONDecodeError as exc:
                problems.append(ParseProblem(labels_path, number, f"invalid JSON: {exc.msg}"))
            except ValidationError as exc:
                problems.append(ParseProblem(labels_path, number, schema_message(exc)))
    for missing in sorted(texts)[:5]:
        problems.append(ParseProblem(labels_path, 0, f"{missing} has a raw text but no labels"))
    return records, problems


def load_real_records(real_dir: Path | None = None) -> list[RealRecord]:
    """The labelled real set, refusing to go on with a broken or incomplete label file."""
    records, problems = read_real(real_dir)
    if problems:
        first = problems[0]
        raise InputDataError(
            f"{len(problems)} problem(s) in the real set, first: {first.path.name}:{first.line}: {first.message}. "
            "Run `python data/validate.py` for the full list."
        )
    return records
