"""Agreement between the corpus labels and an independent second labelling pass.

    python data/agreement.py                                   # data/second_pass/dev.jsonl
    python data/agreement.py --second-pass other.jsonl --model models/latest

A model score only means something next to what a second careful reader agrees on: if two annotators
disagreed on one label in five, a 0.85 target would be out of any model's reach. The second pass was
labelled from TAXONOMY.md alone, without seeing the corpus labels, and is scored with the same
metrics as the model (`quejas eval`); `--model` adds the model's column on the same records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

# Runnable as a plain script from a fresh checkout, before `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import typer  # noqa: E402
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator  # noqa: E402
from rich.console import Console  # noqa: E402

from pipeline.corpus import RecordRisk, load_records  # noqa: E402
from pipeline.data import cause_vector, risk_vector  # noqa: E402
from pipeline.metrics import evaluation_metrics, metrics_at  # noqa: E402
from pipeline.results import comparison_table  # noqa: E402
from pipeline.taxonomy import CAUSE_IDS, SENTIMENT_IDS  # noqa: E402

DEFAULT_SECOND_PASS = Path(__file__).resolve().parent / "second_pass" / "dev.jsonl"
console = Console()


class SecondPassLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str
    causes: list[str]
    sentiment: Literal["negative", "neutral", "positive"]
    risk: RecordRisk

    @field_validator("causes")
    @classmethod
    def known_causes(cls, causes: list[str]) -> list[str]:
        unknown = sorted(set(causes) - set(CAUSE_IDS))
        if unknown:
            raise ValueError(f"unknown cause ids {unknown}; use the ids of TAXONOMY.md")
        return causes


def read_second_pass(path: Path) -> list[SecondPassLabel]:
    """Every line parsed and checked; a bad line stops the run with its line number."""
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            labels.append(SecondPassLabel.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return labels


def label_arrays_of(labelled: list) -> dict[str, np.ndarray]:
    """`label_arrays` for corpus records or second-pass labels (anything with causes, sentiment and risk)."""
    return {
        "causes": np.array([cause_vector(item.causes) for item in labelled]),
        "sentiment": np.array([SENTIMENT_IDS.index(item.sentiment) for item in labelled]),
        "risk": np.array([risk_vector(item) for item in labelled]),
    }


def agreement(labels: list[SecondPassLabel]) -> dict:
    """The corpus labels scored as gold against the second pass, with `quejas eval`'s metrics."""
    by_id = {record.id: record for record in load_records()}
    missing = [label.id for label in labels if label.id not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} ids are not in the corpus, e.g. {missing[:3]}")
    second = label_arrays_of(labels)
    gold = label_arrays_of([by_id[label.id] for label in labels])
    return evaluation_metrics(
        second["causes"], gold["causes"], second["sentiment"], gold["sentiment"], second["risk"], gold["risk"]
    )


def model_metrics(model: Path, ids: list[str]) -> dict:
    from pipeline.analyzer import Analyzer

    by_id = {record.id: record for record in load_records()}
    records = [by_id[i] for i in ids]
    analyzer = Analyzer.load(model)
    probs = analyzer.probabilities([r.text for r in records])
    thresholds = (analyzer.config.cause_thresholds, analyzer.config.risk_thresholds)
    return metrics_at(probs, label_arrays_of(records), thresholds)


def main(
    second_pass: Path = typer.Option(DEFAULT_SECOND_PASS, help="JSONL of {id, causes, sentiment, risk}."),
    model: Path | None = typer.Option(
        None, help="Also score this model folder on the same records (its thresholds were tuned on dev)."
    ),
) -> None:
    """Print how far an independent second labelling pass agrees with the corpus labels."""
    if not second_pass.exists():
        console.print(f"[red]no file {second_pass}[/red]")
        raise typer.Exit(1)
    try:
        labels = read_second_pass(second_pass)
        results = {"second annotator": agreement(labels)}
        if model is not None:
            results[f"model {model.name}"] = model_metrics(model, [label.id for label in labels])
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(comparison_table(results, title=f"Agreement with the corpus labels ({len(labels)} records)"))


if __name__ == "__main__":
    typer.run(main)
