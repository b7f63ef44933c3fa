"""The one way in to a trained model: CLI, batch labelling, the API and the web page all call this.

`Analyzer.load` reads a model folder once; `analyze` takes a list of texts, runs them in batches
sorted by length (little padding, so CPU time goes into real tokens) and returns `Analysis`
objects in the input order.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import torch

from pipeline import paths
from pipeline.baselines import TfidfBaseline
from pipeline.confidence import confidence_level, set_margins
from pipeline.cues import find_cues, raise_cued_risks
from pipeline.errors import ConfigurationError
from pipeline.inference import Probabilities, check_texts, predict_probabilities, sentiment_scores
from pipeline.intensity import polarity
from pipeline.intensity_scorer import IntensityScorer, ScorerInputs
from pipeline.language import detect_language
from pipeline.lexical import lexical_probabilities, mix
from pipeline.model import BFloat16Model, QuejasModel, bf16_available, load_model, load_tokenizer, resolve_device
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder
from pipeline.neighbours import NeighbourVote, mix_votes
from pipeline.onnx_runtime import OnnxModel, load_onnx
from pipeline.priority import priority_of
from pipeline.schema import Analysis, CauseScore, ModelInfo, Risk, RiskCue, RiskScores, Sentiment
from pipeline.taxonomy import TAXONOMY, ScoreKind, Taxonomy
from pipeline.tokenization import BatchTokenizer

Runtime = Literal["torch", "onnx"]
RUNTIMES: tuple[str, ...] = get_args(Runtime)


def quantize_int8(model: QuejasModel, device: torch.device) -> QuejasModel:
    """Dynamic int8 quantization of every nn.Linear (int8 weights, activations quantized on the fly)."""
    if device.type != "cpu":
        raise ConfigurationError("int8 quantization runs on the CPU only; use device='cpu' or quantize=False")
    import warnings

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao deprecation notices; the API works in the torch range we pin
        quantized = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    # Activations are scaled per tensor, so in a padded batch every text would take its neighbours' scale:
    # on the test split that changed the causes of 44 of 341 texts. One text per pass keeps results exact.
    quantized.max_batch_size = 1
    return quantized


class Analyzer:
    """A loaded model plus the rules that turn its probabilities into an `Analysis`."""

    def __init__(
        self,
        model: QuejasModel | BFloat16Model | OnnxModel,
        batcher: BatchTokenizer,
        device: torch.device,
        metrics: dict | None = None,
        lexical: TfidfBaseline | None = None,
        neighbours: NeighbourVote | None = None,
        cues: bool = True,
        intensity_scorer: IntensityScorer | None = None,
        taxonomy: Taxonomy = TAXONOMY,
    ):
        self.model = model
        # Orders complaints by how upset (pipeline/intensity_scorer.py); it reads the lexical model's features.
        self.intensity_scorer = intensity_scorer if lexical is not None else None
        # The labels this model was trained on (its folder's taxonomy.yaml): every name, group and priority
        # the service, the batch files and the drafts show comes from here, never from the built-in file.
        self.taxonomy = taxonomy
        self.cues = cues
        self.neighbours = neighbours
        self.batcher = batcher
        self.device = device
        self.metrics = metrics or {}
        self.lexical = lexical
        # Agents' corrections remembered until the next training (pipeline/feedback/memory.py); set by the service.
        self.memory = None
        config = model.config
        unknown = [c for c in config.causes if c not in taxonomy.cause_ids]
        if unknown:
            raise ConfigurationError(
                f"model {config.name} predicts causes its taxonomy lacks ({', '.join(unknown)}); train it again"
            )
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
        folder = ModelFolder(path if path is not None else paths.default_model_path())
        stored = folder.read_config()
        if runtime not in RUNTIMES:
            raise ConfigurationError(f"unknown runtime {runtime!r}; use one of {', '.join(RUNTIMES)}")
        resolved = folder.path.resolve()
        torch_device = resolve_device(device)
        if bf16 and (quantize or runtime != "torch"):
            raise ConfigurationError(
                "bf16 applies to the PyTorch float32 model; drop quantize and runtime='onnx' to use it"
            )
        if bf16 and not bf16_available(torch_device):
            raise ConfigurationError(
                f"this {torch_device.type} has no bfloat16 kernels; drop bf16 (or use quantize on a CPU)"
            )
        model: QuejasModel | BFloat16Model | OnnxModel
        if runtime == "onnx":
            if torch_device.type != "cpu":
                raise ConfigurationError("the ONNX runtime path is for CPUs; on a GPU use runtime='torch'")
            model = load_onnx(resolved, stored, int8=quantize)
            tokenizer = load_tokenizer(resolved)
        else:
            network, tokenizer = load_model(resolved, torch_device)
            if quantize:
                network = quantize_int8(network, torch_device)
            model = BFloat16Model(network) if bf16 else network
        config = model.config
        batcher = BatchTokenizer(tokenizer, config.max_length, config.head_fraction, config.text_prefix)
        lexical = neighbours = scorer = None
        if blend and config.blend_weights:
            lexical = folder.load_lexical()
            if config.intensity_source == "scorer":
                scorer = IntensityScorer.from_arrays(folder.load_intensity())
        if blend and config.neighbour_share:
            neighbours = NeighbourVote.load(folder.path, config.neighbour_k, config.neighbour_temperature)
        taxonomy = folder.read_taxonomy()
        return cls(model, batcher, torch_device, folder.read_metrics(), lexical, neighbours, cues, scorer, taxonomy)

    @property
    def config(self) -> QuejasModelConfig:
        return self.model.config

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(name=self.config.name, version=self.config.version)

    def probabilities(self, texts: list[str], batch_size: int = 32, memory: bool = True) -> Probabilities:
        """The model's probabilities for each text; ``memory=False`` leaves out the corrections' memory
        (what the memory itself fits its company calibration on)."""
        check_texts(texts)
        batch_size = min(batch_size, getattr(self.model, "max_batch_size", batch_size))
        probs = predict_probabilities(self.model, self.batcher, texts, batch_size, self.device)
        if self.lexical is not None:
            probs = mix(probs, lexical_probabilities(self.lexical, texts), self.config.blend_weights)
        if self.neighbours is not None:
            votes = self.neighbours.cause_probabilities(probs.require_embeddings())
            probs.causes = mix_votes(probs.causes, votes, self.config.neighbour_share)
        if memory and self.memory is not None:
            probs.causes = self.memory.adjust(probs.causes, probs.embeddings)
        if self.cues:
            probs.risk = raise_cued_risks(probs.risk, texts, self.config.risks)
        probs.sentiment_score = sentiment_scores(self.config, probs)
        if self.intensity_scorer is not None:
            probs.sentiment_score = self.intensity_scorer.score(self.scorer_inputs(texts, probs), texts)
        return probs

    def scorer_inputs(self, texts: list[str], probs: Probabilities) -> ScorerInputs:
        """What the intensity scorer reads besides the texts (also what its fitting reads, so the two agree)."""
        if self.lexical is None:
            raise ConfigurationError("the intensity scorer reads the TF-IDF model of the blend; load with blend=True")
        return ScorerInputs(
            probs=probs,
            sentiments=self.config.sentiments,
            risks=self.config.risks,
            cause_cut=self.cause_cut,
            lexical_features=self.lexical.features(texts),
        )

    @property
    def intensity_kind(self) -> str:
        """Where sentiment.score comes from as loaded: "scorer" only when it is applied (blend on)."""
        source = self.config.intensity_source
        return "head" if source == "scorer" and self.intensity_scorer is None else source

    def embeddings(self, texts: list[str], batch_size: int = 32) -> np.ndarray | None:
        """The pooled unit vector of each text's head+tail reading (None if the model gives none)."""
        check_texts(texts)
        batch_size = min(batch_size, getattr(self.model, "max_batch_size", batch_size))
        return predict_probabilities(self.model, self.batcher, texts, batch_size, self.device, windows=False).embeddings

    def analyze(self, texts: list[str], batch_size: int = 32, entities: bool = True) -> list[Analysis]:
        """Analyse texts (any number; batched internally). Raises EmptyTextError on blank input.

        ``entities`` adds the customer name, references, dates, amounts and contacts found by the
        spaCy pipeline (pipeline/entities); the model itself predicts causes, sentiment and risk only.
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
            analysis.uncertainty = round(1.0 - float(margin), 4)
        if self.cues:
            for analysis, text in zip(analyses, texts):
                analysis.risk.cues = [RiskCue(**asdict(match)) for match in find_cues(text)]
        if entities:
            # Deferred: importing the entity extractors loads spaCy (seconds), which a caller asking for
            # probabilities only (evaluation, training's tuning steps) never needs.
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
            cause = self.taxonomy.cause(config.causes[j])
            causes.append(
                CauseScore(id=cause.id, group=cause.group, display=cause.display, score=float(cause_probs[j]))
            )
        sentiment_index = int(np.argmax(sentiment_probs))
        kind: ScoreKind
        if sentiment_score is None:
            score, kind = float(polarity(sentiment_probs[None, :], config.sentiments)[0]), "polarity"
        else:
            score, kind = float(np.clip(sentiment_score, -1.0, 1.0)), "intensity"
        risk_flags = {r: bool(risk_probs[j] >= self.risk_cut[j]) for j, r in enumerate(config.risks)}
        risk_scores = {r: float(risk_probs[j]) for j, r in enumerate(config.risks)}
        raised = [r for r, flag in risk_flags.items() if flag]
        return Analysis(
            causes=causes,
            group=self.taxonomy.group_of(c.id for c in causes),
            priority=priority_of(score, kind, [c.id for c in causes], raised, self.taxonomy.priority),
            sentiment=Sentiment.model_validate(
                {"label": config.sentiments[sentiment_index], "score": score, "score_kind": kind}
            ),
            risk=Risk.model_validate({**risk_flags, "scores": RiskScores.model_validate(risk_scores)}),
            model=self.info,
        )
