"""The one way in to a trained model: CLI, batch labelling, the API and the web page all call this.

`Analyzer.load` reads a model folder once; `analyze` takes a list of texts, runs them in batches
sorted by length (little padding, so CPU time goes into real tokens) and returns `Analysis`
objects in the input order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import torch

from pipeline import paths
from pipeline.confidence import confidence_level, set_margins
from pipeline.cues import find_cues, raise_cued_risks
from pipeline.intensity import apply_mapping, polarity
from pipeline.language import detect_language
from pipeline.model import (
    BFloat16Model,
    QuejasModel,
    QuejasModelConfig,
    bf16_available,
    load_model,
    load_tokenizer,
    read_metrics,
    read_model_config,
    resolve_device,
)
from pipeline.neighbours import NEIGHBOURS_FILE, NeighbourVote, mix_votes
from pipeline.onnx_runtime import OnnxModel, load_onnx
from pipeline.schema import Analysis, CauseScore, ModelInfo, Risk, RiskCue, RiskScores, Sentiment
from pipeline.taxonomy import TAXONOMY
from pipeline.tokenization import BatchTokenizer

Runtime = Literal["torch", "onnx"]
RUNTIMES: tuple[str, ...] = get_args(Runtime)


class EmptyTextError(ValueError):
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


def quantize_int8(model: QuejasModel, device: torch.device) -> QuejasModel:
    """Dynamic int8 quantization of every nn.Linear (int8 weights, activations quantized on the fly)."""
    if device.type != "cpu":
        raise ValueError("int8 quantization runs on the CPU only; use device='cpu' or quantize=False")
    import warnings

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao deprecation notices; the API works in the torch range we pin
        quantized = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    # Activations are scaled per tensor, so in a padded batch every text would take its neighbours' scale:
    # on the test split that changed the causes of 44 of 341 texts. One text per pass keeps results exact.
    quantized.max_batch_size = 1
    return quantized


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
    is_torch = isinstance(model, torch.nn.Module)
    device = device or (next(model.parameters()).device if is_torch else torch.device("cpu"))
    was_training = is_torch and model.training
    if is_torch:
        model.eval()
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
    if was_training:
        model.train()
    return Probabilities(causes=causes, sentiment=sentiment, risk=risk, embeddings=embeddings, intensity=intensity)


def sentiment_scores(config: QuejasModelConfig, probs: Probabilities) -> np.ndarray | None:
    """`sentiment.score` per text from the folder's intensity_source; None means the polarity (older folders)."""
    if config.intensity_source == "head":
        if probs.intensity is None:
            raise ValueError(f"{config.name} scores with its intensity head, but the model gave no intensity output")
        return np.clip(probs.intensity.astype(np.float64), -1.0, 1.0)
    if config.intensity_source == "mapping":
        return apply_mapping(config.intensity_mapping, polarity(probs.sentiment, config.sentiments))
    return None


class Analyzer:
    """A loaded model plus the rules that turn its probabilities into an `Analysis`."""

    def __init__(
        self,
        model: QuejasModel | BFloat16Model | OnnxModel,
        batcher: BatchTokenizer,
        device: torch.device,
        metrics: dict | None = None,
        lexical: object | None = None,
        neighbours: NeighbourVote | None = None,
        cues: bool = True,
    ):
        self.model = model
        self.cues = cues
        self.neighbours = neighbours
        self.batcher = batcher
        self.device = device
        self.metrics = metrics or {}
        self.lexical = lexical
        # Agents' corrections remembered until the next training (pipeline/feedback/memory.py); set by the service.
        self.memory = None
        config = model.config
        causes, risks = config.cause_thresholds, config.risk_thresholds
        if lexical is None and config.blend_weights:
            # Encoder alone on a blended model: use the thresholds tuned for the encoder alone.
            causes = config.encoder_thresholds.get("causes", causes)
            risks = config.encoder_thresholds.get("risk", risks)
        self.cause_cut = np.array([causes.get(c, 0.5) for c in config.causes])
        self.risk_cut = np.array([risks.get(r, 0.5) for r in config.risks])

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        device: str = "auto",
        blend: bool = True,
        quantize: bool = False,
        runtime: Runtime = "torch",
        bf16: bool = False,
        cues: bool = True,
    ) -> Analyzer:
        """Load a model folder once.

        ``blend=False`` uses the encoder alone even if the folder has a lexical model. ``quantize`` makes the
        encoder's linear layers dynamic int8 (CPU only), measured with `quejas eval --quantize` to cost well
        under a point of cause macro-F1. ``runtime="onnx"`` runs the folder's ONNX export with ONNX Runtime
        (CPU only; exported on first use): the lowest latency for one text on a CPU. ``bf16`` runs PyTorch
        under bfloat16 autocast: the highest throughput for batches on AMX/BF16 hardware. See bench/README.md.
        ``cues=False`` leaves risk to the model alone, without the labeling guide's phrases (pipeline/cues.py).
        """
        folder = Path(path) if path is not None else paths.default_model_path()
        if not folder.exists():
            raise FileNotFoundError(
                f"no model at {folder}; train one with `make train` (or `quejas train`) or pass a model folder"
            )
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; use one of {', '.join(RUNTIMES)}")
        resolved = folder.resolve()
        torch_device = resolve_device(device)
        if bf16 and (quantize or runtime != "torch"):
            raise ValueError("bf16 applies to the PyTorch float32 model; drop quantize and runtime='onnx' to use it")
        if bf16 and not bf16_available(torch_device):
            raise ValueError(f"this {torch_device.type} has no bfloat16 kernels; drop bf16 (or use quantize on a CPU)")
        if runtime == "onnx":
            if torch_device.type != "cpu":
                raise ValueError("the ONNX runtime path is for CPUs; on a GPU use runtime='torch'")
            model = load_onnx(resolved, read_model_config(resolved), int8=quantize)
            tokenizer = load_tokenizer(resolved)
        else:
            model, tokenizer = load_model(resolved, torch_device)
            if quantize:
                model = quantize_int8(model, torch_device)
            if bf16:
                model = BFloat16Model(model)
        config = model.config
        batcher = BatchTokenizer(tokenizer, config.max_length, config.head_fraction, config.text_prefix)
        lexical = neighbours = None
        if blend and config.blend_weights:
            from pipeline.blend import load_lexical

            lexical = load_lexical(folder)
            if lexical is None:
                raise FileNotFoundError(f"{folder} is a blended model but its lexical.joblib is missing")
        if blend and config.neighbour_share:
            neighbours = NeighbourVote.load(folder, config.neighbour_k, config.neighbour_temperature)
            if neighbours is None:
                raise FileNotFoundError(f"{folder} uses a neighbour vote but its {NEIGHBOURS_FILE} is missing")
        return cls(model, batcher, torch_device, read_metrics(folder), lexical, neighbours, cues)

    @property
    def config(self) -> QuejasModelConfig:
        return self.model.config

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(name=self.config.name, version=self.config.version)

    def probabilities(self, texts: list[str], batch_size: int = 32) -> Probabilities:
        check_texts(texts)
        batch_size = min(batch_size, getattr(self.model, "max_batch_size", batch_size))
        probs = predict_probabilities(self.model, self.batcher, texts, batch_size, self.device)
        if self.lexical is not None:
            from pipeline.blend import lexical_probabilities, mix

            probs = mix(probs, lexical_probabilities(self.lexical, texts), self.config.blend_weights)
        if self.neighbours is not None:
            votes = self.neighbours.cause_probabilities(probs.embeddings)
            probs.causes = mix_votes(probs.causes, votes, self.config.neighbour_share)
        if self.memory is not None:
            probs.causes = self.memory.adjust(probs.causes, probs.embeddings)
        if self.cues:
            probs.risk = raise_cued_risks(probs.risk, texts, self.config.risks)
        probs.sentiment_score = sentiment_scores(self.config, probs)
        return probs

    def embeddings(self, texts: list[str], batch_size: int = 32) -> np.ndarray | None:
        """The pooled unit vector of each text's head+tail reading (None if the model gives none)."""
        check_texts(texts)
        batch_size = min(batch_size, getattr(self.model, "max_batch_size", batch_size))
        return predict_probabilities(self.model, self.batcher, texts, batch_size, self.device, windows=False).embeddings

    def analyze(self, texts: list[str], batch_size: int = 32, entities: bool = True) -> list[Analysis]:
        """Analyse texts (any number; batched internally). Raises EmptyTextError on blank input.

        ``entities`` adds the customer name, references, dates, amounts and contacts found by the
        spaCy pipeline in pipeline.text; the model itself predicts causes, sentiment and risk only.
        """
        if not texts:
            return []
        probs = self.probabilities(texts, batch_size)
        analyses = [self.analysis_at(probs, i) for i in range(len(texts))]
        margins = set_margins(probs.causes, self.cause_cut)
        for analysis, text, margin in zip(analyses, texts, margins):
            analysis.language = detect_language(text)
            spanish = analysis.language.spanish
            analysis.confidence = confidence_level(margin, self.config.confidence_cutoffs) if spanish else "low"
        if self.cues:
            for analysis, text in zip(analyses, texts):
                analysis.risk.cues = [RiskCue(**asdict(match)) for match in find_cues(text)]
        if entities:
            from pipeline.entities import extract_entities

            for analysis, text in zip(analyses, texts):
                analysis.entities = extract_entities(text)
        return analyses

    def analyze_one(self, text: str) -> Analysis:
        return self.analyze([text])[0]

    def analysis_at(self, probs: Probabilities, i: int) -> Analysis:
        """The `Analysis` of row ``i`` of `probabilities` output (no cues or entities: `analyze` adds those)."""
        score = None if probs.sentiment_score is None else float(probs.sentiment_score[i])
        return self._to_analysis(probs.causes[i], probs.sentiment[i], probs.risk[i], score)

    def _to_analysis(
        self,
        cause_probs: np.ndarray,
        sentiment_probs: np.ndarray,
        risk_probs: np.ndarray,
        sentiment_score: float | None = None,
    ) -> Analysis:
        """``sentiment_score`` is the graded intensity of this text; without one the score is the polarity."""
        config = self.config
        chosen = [j for j in np.argsort(-cause_probs) if cause_probs[j] >= self.cause_cut[j]]
        causes = []
        for j in chosen:
            cause = TAXONOMY.cause(config.causes[j])
            causes.append(
                CauseScore(id=cause.id, group=cause.group, display=cause.display, score=float(cause_probs[j]))
            )
        sentiment_index = int(np.argmax(sentiment_probs))
        if sentiment_score is None:
            score, kind = float(polarity(sentiment_probs[None, :], config.sentiments)[0]), "polarity"
        else:
            score, kind = float(np.clip(sentiment_score, -1.0, 1.0)), "intensity"
        risk_flags = {r: bool(risk_probs[j] >= self.risk_cut[j]) for j, r in enumerate(config.risks)}
        risk_scores = {r: float(risk_probs[j]) for j, r in enumerate(config.risks)}
        return Analysis(
            causes=causes,
            group=TAXONOMY.group_of(c.id for c in causes),
            sentiment=Sentiment(label=config.sentiments[sentiment_index], score=score, score_kind=kind),
            risk=Risk(**risk_flags, scores=RiskScores(**risk_scores)),
            model=self.info,
        )
