"""What a trained model is, as stored in its folder's config.json.

Kept apart from the network (pipeline/model.py) so that the folder owner (pipeline/model_folder.py),
the ONNX runtime and the model card read a folder's labels, thresholds and intensity choice without
building the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.intensity import IntensitySource
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS, SENTIMENT_IDS, ScoreKind

# How texts longer than max_length are read (pipeline/tokenization.py).
LongTextStrategy = Literal["head+tail", "windows"]


class QuejasModelConfig(BaseModel):
    """Everything needed to rebuild and use a trained model; stored as the folder's config.json."""

    name: str
    version: str
    base_model: str = Field(description="Base encoder id or path the model was fine-tuned from.")
    causes: list[str] = Field(default_factory=lambda: list(CAUSE_IDS))
    sentiments: list[str] = Field(default_factory=lambda: list(SENTIMENT_IDS))
    risks: list[str] = Field(default_factory=lambda: list(RISK_IDS))
    cause_thresholds: dict[str, float] = Field(default_factory=dict)
    risk_thresholds: dict[str, float] = Field(default_factory=dict)
    max_length: int = 128
    long_text_strategy: LongTextStrategy = Field(
        default="head+tail",
        description="Texts over max_length tokens: 'head+tail' keeps their first and last tokens (the problem is "
        "usually stated first, threats and signatures come last); 'windows' also reads overlapping windows over "
        "the whole text and takes each cause's maximum (see pipeline/tokenization.py). The default is what "
        "folders written before windows existed were tuned with.",
    )
    head_fraction: float = 0.5
    text_prefix: str = Field(default="", description='Prefix the base expects, e.g. "query: " for E5 models.')
    dropout: float = 0.1
    blend_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Encoder share per task when blended with the lexical model (lexical.joblib); empty: encoder only.",
    )
    neighbour_share: float = Field(
        default=0.0,
        description="Share of the cause probabilities given to the vote of the nearest training examples "
        "(neighbours.npz; tuned on dev with the blend); 0: no vote.",
    )
    neighbour_k: int = Field(default=10, description="Training examples that vote for each text.")
    neighbour_temperature: float = Field(
        default=0.1, description="Softmax temperature over cosine similarities when weighting the votes."
    )
    encoder_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Thresholds tuned for the encoder alone (causes, risk), kept for comparison."
    )
    confidence_cutoffs: dict[str, float] = Field(
        default_factory=dict,
        description="Margins from the cause thresholds above which a cause set is 'high' / 'medium' confidence, "
        "tuned on dev (pipeline/confidence.py); empty: the defaults there.",
    )
    intensity_head: bool = Field(
        default=False,
        description="The weights include the regression head trained on the labelled sentiment_score "
        "(False in folders trained before it).",
    )
    intensity_source: IntensitySource = Field(
        default="polarity",
        description="What sentiment.score is: 'head' (the regression head), 'mapping' (intensity_mapping applied to "
        "P(positive) - P(negative)), both chosen on dev at training time (pipeline/intensity.py); 'scorer' (the head, "
        "and intensity.npz for texts labelled negative; pipeline/intensity_scorer.py); 'polarity' "
        "(P(positive) - P(negative) itself) in folders trained before the intensity.",
    )
    intensity_mapping: dict[str, list[float]] = Field(
        default_factory=dict,
        description="Isotonic breakpoints x -> y from P(positive) - P(negative) to sentiment_score, fitted on dev.",
    )
    corpus_hash: str | None = None
    created: str | None = None

    @property
    def score_kind(self) -> ScoreKind:
        return "polarity" if self.intensity_source == "polarity" else "intensity"


def default_text_prefix(base_model: str) -> str:
    """E5 models were trained with "query: "/"passage: " prefixes; keeping one matches pre-training."""
    return "query: " if "e5" in Path(base_model).name.lower() else ""
