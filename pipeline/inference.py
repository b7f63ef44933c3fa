"""From texts to the raw outputs of a model's heads: the forward half of every analysis.

The analyzer (run time), training's tuning steps (blend, intensity, confidence) and evaluation all need
the same probabilities, computed the same way; this module is that one way, and it knows nothing of
thresholds, blends or the result schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pipeline.errors import QuejasError
from pipeline.intensity import apply_mapping, polarity
from pipeline.model import BFloat16Model, QuejasModel
from pipeline.model_config import QuejasModelConfig
from pipeline.onnx_runtime import OnnxModel
from pipeline.tokenization import BatchTokenizer


class EmptyTextError(QuejasError, ValueError):
    """Raised for empty or whitespace-only input: there is nothing to classify, and guessing would mislead."""


@dataclass
class Probabilities:
    """Raw head outputs for a list of texts, rows in input order."""

    causes: np.ndarray
    sentiment: np.ndarray
    risk: np.ndarray
    embeddings: np.ndarray | None = None  # the pooled vector of each head+tail reading, for neighbours.py
    intensity: np.ndarray | None = None  # the intensity head's output in [-1, 1], when the model has one
    # What Analysis.sentiment.score reports per text, set by `Analyzer.probabilities` from the folder's
    # intensity_source (None before that: the score is then P(positive) - P(negative)).
    sentiment_score: np.ndarray | None = None

    def require_embeddings(self) -> np.ndarray:
        """The pooled vectors, for the neighbour vote and the correction memory, which cannot work without."""
        if self.embeddings is None:
            raise QuejasError("this model gives no text embeddings (an ONNX export made before they existed?)")
        return self.embeddings


def check_texts(texts: list[str]) -> None:
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text at position {position} is {type(text).__name__}, not a string")
        if not text.strip():
            raise EmptyTextError(f"text at position {position} is empty or only whitespace; nothing to analyse")


@torch.inference_mode()
def predict_probabilities(
    model: QuejasModel | BFloat16Model | OnnxModel,
    batcher: BatchTokenizer,
    texts: list[str],
    batch_size: int = 32,
    device: torch.device | None = None,
    windows: bool | None = None,
) -> Probabilities:
    """Run the heads over ``texts`` in length-sorted batches; rows come back in input order.

    Every text is read once as head+tail. Under the ``windows`` strategy a text longer than the model's
    window is also read window by window, and its cause probabilities are the maximum over those windows
    (a cause named anywhere counts); sentiment and risk always come from the head+tail reading.
    ``windows=False`` skips the windows whatever the model says (only the embeddings are wanted).
    """
    torch_model = model if isinstance(model, torch.nn.Module) else None
    device = device or (next(torch_model.parameters()).device if torch_model is not None else torch.device("cpu"))
    was_training = torch_model is not None and torch_model.training
    if torch_model is not None:
        torch_model.eval()
    ids = batcher.token_ids(texts)
    sequences = [batcher.fit(x)[0] for x in ids]
    owners = list(range(len(texts)))
    windowed = np.zeros(len(texts), dtype=bool)
    if windows is None:
        windows = model.config.long_text_strategy == "windows"
    if windows:
        for k, x in enumerate(ids):
            if len(x) > batcher.content_length:
                windowed[k] = True
                pieces = batcher.windows(x)
                sequences.extend(pieces)
                owners.extend([k] * len(pieces))
    owner_of = np.array(owners)
    order = np.argsort([len(s) for s in sequences], kind="stable")
    causes = np.zeros((len(texts), len(model.config.causes)), dtype=np.float32)
    sentiment = np.zeros((len(texts), len(model.config.sentiments)), dtype=np.float32)
    risk = np.zeros((len(texts), len(model.config.risks)), dtype=np.float32)
    embeddings = intensity = None
    for start in range(0, len(sequences), batch_size):
        rows = order[start : start + batch_size]
        batch = batcher.pad([sequences[i] for i in rows])
        out = model(**{k: v.to(device) for k, v in batch.items()})
        owner = owner_of[rows]
        whole = rows < len(texts)  # the head+tail reading of each text
        sentiment[owner[whole]] = torch.softmax(out["sentiment"][whole], dim=-1).float().cpu().numpy()
        risk[owner[whole]] = torch.sigmoid(out["risk"][whole]).float().cpu().numpy()
        if "embedding" in out:
            if embeddings is None:
                embeddings = np.zeros((len(texts), out["embedding"].shape[-1]), dtype=np.float32)
            embeddings[owner[whole]] = out["embedding"][whole].float().cpu().numpy()
        if "intensity" in out:
            if intensity is None:
                intensity = np.zeros(len(texts), dtype=np.float32)
            intensity[owner[whole]] = out["intensity"].reshape(-1)[whole].float().cpu().numpy()
        reads_causes = ~whole | ~windowed[owner]
        cause_probs = torch.sigmoid(out["causes"]).float().cpu().numpy()
        np.maximum.at(causes, owner[reads_causes], cause_probs[reads_causes])
    if torch_model is not None and was_training:
        torch_model.train()
    return Probabilities(causes=causes, sentiment=sentiment, risk=risk, embeddings=embeddings, intensity=intensity)


def sentiment_scores(config: QuejasModelConfig, probs: Probabilities) -> np.ndarray | None:
    """`sentiment.score` per text from the folder's intensity_source; None means the polarity (older folders)."""
    if config.intensity_source in ("head", "scorer"):  # the scorer itself needs the texts: Analyzer applies it
        if probs.intensity is None:
            raise ValueError(f"{config.name} scores with its intensity head, but the model gave no intensity output")
        return np.clip(probs.intensity.astype(np.float64), -1.0, 1.0)
    if config.intensity_source == "mapping":
        return apply_mapping(config.intensity_mapping, polarity(probs.sentiment, config.sentiments))
    return None
