"""How good the model is on the company's own messages, measured against what agents corrected.

A correction is the truth for its complaint and the prediction stored beside it is what the model
said, so every stored correction is one test example drawn from real traffic: precision, recall and
F1 per cause come from sklearn exactly as in training (pipeline/metrics.py), overall and per model
version so a team sees whether a new model helps on its own data.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import precision_recall_fscore_support

from pipeline.feedback.models import StoredCorrection
from pipeline.taxonomy import CAUSE_IDS


class CauseCounts(BaseModel):
    corrected: int = Field(description="Corrections whose agreed causes include this cause.")
    added: int = Field(description="Times agents added it (the model missed it).")
    removed: int = Field(description="Times agents removed it (the model gave it wrongly).")


class CauseQuality(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Corrections whose agreed causes include this cause.")


class Quality(BaseModel):
    n_corrections: int
    cause_micro_f1: float
    cause_macro_f1: float = Field(description="Mean F1 over the causes that were predicted or agreed at least once.")
    exact_match: float = Field(description="Share of corrections whose cause set the model got exactly right.")
    per_cause: dict[str, CauseQuality]


class FeedbackStats(BaseModel):
    n_corrections: int
    per_cause: dict[str, CauseCounts]
    overall: Quality | None = Field(description="None until the first correction.")
    by_model_version: dict[str, Quality]


def _multi_hot(label_sets: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(label_sets), len(labels)), dtype=int)
    for i, labels_of_row in enumerate(label_sets):
        for label in labels_of_row:
            if label in index:
                matrix[i, index[label]] = 1
    return matrix


def quality(corrections: list[StoredCorrection], labels: list[str] = CAUSE_IDS) -> Quality:
    gold = _multi_hot([c.causes for c in corrections], labels)
    pred = _multi_hot([[p.id for p in c.prediction.causes] for c in corrections], labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=range(len(labels)), average=None, zero_division=0
    )
    seen = [j for j in range(len(labels)) if gold[:, j].any() or pred[:, j].any()]
    micro = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)[2]
    macro = (
        precision_recall_fscore_support(gold, pred, labels=seen, average="macro", zero_division=0)[2] if seen else 0.0
    )
    return Quality(
        n_corrections=len(corrections),
        cause_micro_f1=float(micro),
        cause_macro_f1=float(macro),
        exact_match=float(np.mean((gold == pred).all(axis=1))) if len(corrections) else 0.0,
        per_cause={
            labels[j]: CauseQuality(
                precision=float(precision[j]), recall=float(recall[j]), f1=float(f1[j]), support=int(support[j])
            )
            for j in seen
        },
    )


def feedback_stats(corrections: list[StoredCorrection], labels: list[str] = CAUSE_IDS) -> FeedbackStats:
    counts = {label: CauseCounts(corrected=0, added=0, removed=0) for label in labels}
    by_version: dict[str, list[StoredCorrection]] = defaultdict(list)
    for correction in corrections:
        by_version[correction.prediction.model.version].append(correction)
        predicted = {p.id for p in correction.prediction.causes}
        agreed = set(correction.causes)
        for label in agreed & counts.keys():
            counts[label].corrected += 1
        for label in (agreed - predicted) & counts.keys():
            counts[label].added += 1
        for label in (predicted - agreed) & counts.keys():
            counts[label].removed += 1
    return FeedbackStats(
        n_corrections=len(corrections),
        per_cause=counts,
        overall=quality(corrections, labels) if corrections else None,
        by_model_version={version: quality(rows, labels) for version, rows in sorted(by_version.items())},
    )
