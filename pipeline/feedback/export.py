"""Corrections as corpus records (data/README.md), ready to train on beside the corpus.

Only what the store knows is written: the masked text, the agreed causes with their derived group,
sentiment and risk flags; ``sentiment_score`` only when the agent kept the model's sentiment label,
so the model's graded score is still consistent with it. Sector, variety, channel and names are not
asked of agents, so they are absent rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pipeline.feedback.models import StoredCorrection
from pipeline.taxonomy import RISK_IDS, TAXONOMY, Taxonomy

ID_PREFIX = "fbk"


def corpus_record(correction: StoredCorrection, taxonomy: Taxonomy = TAXONOMY) -> dict:
    """The correction in the corpus format; the group is derived from the causes ``taxonomy`` knows (any other
    id is kept in ``causes``, for whoever reads the record to refuse it by name)."""
    known = [c for c in correction.causes if c in taxonomy.cause_ids]
    record: dict = {
        "id": f"{ID_PREFIX}-{correction.id:04d}",
        "text": correction.text,
        "causes": list(correction.causes),
        "group": taxonomy.group_of(known),
        "sentiment": correction.sentiment,
    }
    predicted = correction.prediction
    if predicted.sentiment == correction.sentiment and predicted.sentiment_score is not None:
        record["sentiment_score"] = predicted.sentiment_score
    record["risk"] = {risk: risk in correction.risks for risk in RISK_IDS}
    return record


def write_jsonl(corrections: Iterable[StoredCorrection], path: Path, taxonomy: Taxonomy = TAXONOMY) -> int:
    """Write one record per line (UTF-8, unescaped accents); returns how many were written."""
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for correction in corrections:
            fh.write(json.dumps(corpus_record(correction, taxonomy), ensure_ascii=False) + "\n")
            written += 1
    return written
