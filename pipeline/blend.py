"""Tuning the blend of the fine-tuned encoder with a lexical TF-IDF model (the run-time half is lexical.py).

On this corpus the two make different mistakes: the encoder reads meaning ("marqué 14 veces y nada"
is nobody answering), the lexical model is sharp on the exact cue words a 2-core CPU training budget
cannot teach the encoder in a few epochs. A per-task weighted average of their probabilities, with
the weight and the per-label thresholds tuned on dev, beats either alone. The encoder weight is
stored in the model config (``blend_weights``); with an empty dict the model is the encoder alone.
The vote of the nearest training texts (neighbours.py) is mixed into the blended cause
probabilities last, with its own share tuned on dev the same way. Risk signals named by a phrase of
the labeling guide (cues.py) are raised after the blend, before thresholds are tuned, as at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datasets import DatasetDict
from sklearn.metrics import f1_score

from pipeline.analyzer import Analyzer
from pipeline.baselines import TfidfBaseline
from pipeline.cues import raise_cued_risks
from pipeline.data import label_arrays
from pipeline.errors import ConfigurationError
from pipeline.inference import Probabilities, predict_probabilities
from pipeline.lexical import lexical_probabilities, mix
from pipeline.metrics import apply_thresholds, metrics_at, tune_all_thresholds, tune_thresholds
from pipeline.model_card import write_model_card
from pipeline.model_folder import ModelFolder
from pipeline.neighbours import NeighbourVote, mix_votes
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS, TAXONOMY, Taxonomy

WEIGHT_GRID = np.round(np.arange(0.0, 1.001, 0.1), 2)
NEIGHBOUR_GRID = np.round(np.arange(0.0, 0.501, 0.1), 2)


def _multilabel_score(probs: np.ndarray, gold: np.ndarray, labels: list[str]) -> float:
    thresholds = tune_thresholds(probs, gold, labels)
    return float(f1_score(gold, apply_thresholds(probs, thresholds, labels), average="macro", zero_division=0))


def tune_weights(
    encoder: Probabilities, lexical: Probabilities, gold: dict[str, np.ndarray], cause_ids: list[str] = CAUSE_IDS
) -> dict[str, float]:
    """Encoder share per task maximising dev macro-F1; ties keep more of the encoder."""
    weights = {}
    for task, labels in (("causes", cause_ids), ("risk", RISK_IDS)):
        scores = [
            _multilabel_score(w * getattr(encoder, task) + (1 - w) * getattr(lexical, task), gold[task], labels)
            for w in WEIGHT_GRID
        ]
        weights[task] = float(max(reversed(WEIGHT_GRID), key=lambda w: scores[list(WEIGHT_GRID).index(w)]))
    sentiment_scores = [
        f1_score(
            gold["sentiment"],
            (w * encoder.sentiment + (1 - w) * lexical.sentiment).argmax(axis=1),
            average="macro",
            zero_division=0,
        )
        for w in WEIGHT_GRID
    ]
    weights["sentiment"] = float(max(reversed(WEIGHT_GRID), key=lambda w: sentiment_scores[list(WEIGHT_GRID).index(w)]))
    return weights


def tune_neighbour_share(
    causes: np.ndarray, votes: np.ndarray, gold: np.ndarray, taxonomy: Taxonomy = TAXONOMY
) -> float:
    """Share of the neighbour vote maximising dev cause macro-F1 (thresholds re-tuned); ties keep less vote."""
    ids = taxonomy.cause_ids
    scores = [_multilabel_score(mix_votes(causes, votes, share), gold, ids) for share in NEIGHBOUR_GRID]
    return float(NEIGHBOUR_GRID[int(np.argmax(scores))])


def fit_neighbours(analyzer: Analyzer, train_texts: list[str], train_causes: np.ndarray) -> NeighbourVote:
    """Embed the training split with the fine-tuned encoder (head+tail readings only)."""
    encoded = predict_probabilities(analyzer.model, analyzer.batcher, train_texts, 64, analyzer.device, windows=False)
    config = analyzer.config
    return NeighbourVote(encoded.require_embeddings(), train_causes, config.neighbour_k, config.neighbour_temperature)


def fit_lexical(dataset: DatasetDict, seed: int = 13) -> TfidfBaseline:
    gold = label_arrays(dataset["train"])
    return TfidfBaseline(seed).fit(list(dataset["train"]["text"]), gold["causes"], gold["sentiment"], gold["risk"])


def add_lexical_blend(folder: Path, dataset: DatasetDict, seed: int = 13, neighbours: bool = True) -> dict:
    """Fit the lexical model on train, tune the blend and thresholds on dev, score test, update the folder.

    Works on any encoder-only model folder (training calls it last); test is scored once and never tunes
    anything. With ``neighbours`` the vote of the nearest training texts (neighbours.py) joins the cause
    blend when it helps on dev. Returns the updated metrics.
    """
    target = ModelFolder(folder)
    analyzer = Analyzer.load(target.path, blend=False, cues=False)
    config, taxonomy = analyzer.config, analyzer.taxonomy
    if config.blend_weights:
        raise ConfigurationError(f"{folder} is already blended")
    dev, test = dataset["dev"], dataset["test"]
    gold_dev, gold_test = label_arrays(dev), label_arrays(test)
    lexical = fit_lexical(dataset, seed)
    encoder_dev = analyzer.probabilities(list(dev["text"]))
    encoder_test = analyzer.probabilities(list(test["text"]))
    lexical_dev = lexical_probabilities(lexical, list(dev["text"]))
    lexical_test = lexical_probabilities(lexical, list(test["text"]))

    weights = tune_weights(encoder_dev, lexical_dev, gold_dev, taxonomy.cause_ids)
    blended_dev = mix(encoder_dev, lexical_dev, weights)
    blended_test = mix(encoder_test, lexical_test, weights)
    share, vote = 0.0, None
    if neighbours and encoder_dev.embeddings is not None:
        train = dataset["train"]
        vote = fit_neighbours(analyzer, list(train["text"]), label_arrays(train)["causes"])
        votes_dev = vote.cause_probabilities(encoder_dev.require_embeddings())
        share = tune_neighbour_share(blended_dev.causes, votes_dev, gold_dev["causes"], taxonomy)
        blended_dev.causes = mix_votes(blended_dev.causes, votes_dev, share)
        votes_test = vote.cause_probabilities(encoder_test.require_embeddings())
        blended_test.causes = mix_votes(blended_test.causes, votes_test, share)
    blended_dev.risk = raise_cued_risks(blended_dev.risk, list(dev["text"]), config.risks)
    blended_test.risk = raise_cued_risks(blended_test.risk, list(test["text"]), config.risks)
    thresholds = tune_all_thresholds(blended_dev, gold_dev, taxonomy)

    config.encoder_thresholds = {"causes": dict(config.cause_thresholds), "risk": dict(config.risk_thresholds)}
    config.cause_thresholds, config.risk_thresholds = thresholds
    config.blend_weights = weights
    config.neighbour_share = share
    target.save_lexical(lexical)
    if share and vote is not None:
        vote.save(target.path)
    target.write_config(config)
    before = target.read_metrics()
    metrics = target.update_metrics(
        {
            "test_encoder_only": before.get("test", {}),
            "dev_encoder_only": before.get("dev", {}),
            "test": metrics_at(blended_test, gold_test, thresholds, taxonomy),
            "dev": metrics_at(blended_dev, gold_dev, thresholds, taxonomy),
            "blend_weights": weights,
            "neighbour_share": share,
        }
    )
    write_model_card(target.path, config, metrics)
    return metrics
