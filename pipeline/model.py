"""The multi-task complaint model: a transformer encoder, mean pooling and its heads.

One shared encoder feeds the cause (multi-label), sentiment (3-way), intensity (regression) and risk
(multi-label) heads: the tasks read the same cues ("me doy de baja" is both churn and strongly
negative), and one forward pass per text keeps serving cheap. A trained model is a self-describing folder::

    config.json        QuejasModelConfig: base, labels, thresholds, intensity, max length, corpus hash, version
    model.safetensors  encoder + heads
    encoder/config.json  architecture of the encoder, so loading never needs the base weights
    tokenizer/         the base tokenizer
    metrics.json, MODEL_CARD.md   written by training
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from pydantic import BaseModel, Field
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase
from transformers.masking_utils import create_bidirectional_mask

from pipeline.intensity import IntensitySource
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS, SENTIMENT_IDS, ScoreKind
from pipeline.tokenization import LongTextStrategy

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
ENCODER_DIR = "encoder"
TOKENIZER_DIR = "tokenizer"
METRICS_FILE = "metrics.json"


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
        "P(positive) - P(negative)), both chosen on dev at training time (pipeline/intensity.py); 'polarity' "
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

    def threshold_vector(self, kind: str) -> torch.Tensor:
        labels, thresholds = (
            (self.causes, self.cause_thresholds) if kind == "causes" else (self.risks, self.risk_thresholds)
        )
        return torch.tensor([thresholds.get(label, 0.5) for label in labels])


def default_text_prefix(base_model: str) -> str:
    """E5 models were trained with "query: "/"passage: " prefixes; keeping one matches pre-training."""
    return "query: " if "e5" in Path(base_model).name.lower() else ""


class QuejasModel(nn.Module):
    """Encoder + mean pooling + cause / sentiment / risk heads, and the intensity head when the config has one.

    The intensity head is one linear unit squashed by tanh into [-1, 1], the range of sentiment_score; it
    reads the same pooled vector as the sentiment classifier, which keeps its own label.

    Mean pooling for the causes too: a learned attention per cause over the tokens, added to the mean-pooled
    head (so each cause could read its own cue words), was trained with the default settings and scored
    lower on dev (encoder cause macro-F1 0.794 against 0.802, group accuracy 0.781 against 0.842).
    """

    def __init__(self, encoder: nn.Module, config: QuejasModelConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = encoder.config.hidden_size
        # E5-style encoders are anisotropic (any two texts have cosine ~0.85), so raw pooled vectors differ
        # little between texts; normalising them lets freshly initialised heads learn at a useful speed.
        self.pooled_norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.cause_head = nn.Linear(hidden, len(config.causes))
        self.sentiment_head = nn.Linear(hidden, len(config.sentiments))
        self.risk_head = nn.Linear(hidden, len(config.risks))
        self.intensity_head = nn.Linear(hidden, 1) if config.intensity_head else None

    @classmethod
    def from_base(cls, base_model: str, config: QuejasModelConfig) -> QuejasModel:
        """Start training from pretrained encoder weights (HF id or local folder)."""
        encoder = AutoModel.from_pretrained(base_model, add_pooling_layer=False)
        return cls(encoder, config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.heads(hidden, attention_mask)

    def lower_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, n_layers: int) -> torch.Tensor:
        """Token states after the embeddings and the first ``n_layers`` blocks.

        With those blocks frozen, these states never change during training, so they are computed once per
        training text and every step runs only the blocks above them (`forward_from_states`).
        """
        states = self.encoder.embeddings(input_ids=input_ids)
        stack, mask = self._blocks_and_mask(states, attention_mask)
        for block in stack[:n_layers]:
            states = block(states, mask)
        return states

    def forward_from_states(
        self, states: torch.Tensor, attention_mask: torch.Tensor, n_layers: int
    ) -> dict[str, torch.Tensor]:
        """The blocks above the first ``n_layers`` and the heads, from states made by `lower_states`."""
        stack, mask = self._blocks_and_mask(states, attention_mask)
        for block in stack[n_layers:]:
            states = block(states, mask)
        return self.heads(states, attention_mask)

    def _blocks_and_mask(self, states: torch.Tensor, attention_mask: torch.Tensor):
        stack = transformer_blocks(self.encoder)
        if stack is None:
            raise ValueError(f"{type(self.encoder).__name__} does not expose its transformer blocks")
        mask = create_bidirectional_mask(self.encoder.config, inputs_embeds=states, attention_mask=attention_mask)
        return stack, mask

    def heads(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Pool the encoder's last token states and apply the task heads."""
        normed = self.pooled_norm(mean_pool(hidden, attention_mask))
        pooled = self.dropout(normed)
        out = {
            "causes": self.cause_head(pooled),
            "sentiment": self.sentiment_head(pooled),
            "risk": self.risk_head(pooled),
            # The vector the heads read, unit length: what the nearest-neighbour vote compares (neighbours.py).
            "embedding": nn.functional.normalize(normed.float(), dim=-1),
        }
        if self.intensity_head is not None:
            out["intensity"] = torch.tanh(self.intensity_head(pooled)).squeeze(-1)
        return out

    def freeze_word_embeddings(self) -> None:
        """The 250k-row vocabulary matrix is most of e5-small's weights; freezing it makes CPU steps ~2.5x cheaper."""
        embeddings = self.encoder.get_input_embeddings()
        embeddings.weight.requires_grad_(False)

    def freeze_lower_layers(self, n_layers: int) -> None:
        """Freeze the embeddings and the first ``n_layers`` blocks (the general-purpose lower encoder)."""
        stack = transformer_blocks(self.encoder)
        if stack is None or not 0 <= n_layers <= len(stack):
            raise ValueError(f"cannot freeze {n_layers} layers of {type(self.encoder).__name__}")
        for module in (self.encoder.embeddings, *stack[:n_layers]):
            module.requires_grad_(False)


def transformer_blocks(encoder: nn.Module) -> nn.ModuleList | None:
    """The block stack of BERT-family encoders (BERT, RoBERTa, XLM-R, ELECTRA); None for other layouts."""
    stack = getattr(getattr(encoder, "encoder", None), "layer", None)
    has_embeddings = isinstance(getattr(encoder, "embeddings", None), nn.Module)
    return stack if isinstance(stack, nn.ModuleList) and has_embeddings else None


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)


def resolve_device(device: str = "auto") -> torch.device:
    """`auto` takes CUDA when present, else CPU; an explicit `cuda` without a GPU is an error, not a fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available; use 'auto' or 'cpu'")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise ValueError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


def bf16_available(device: torch.device) -> bool:
    """bfloat16 kernels exist here (AVX512-BF16/AMX CPUs, Ampere+ GPUs); elsewhere autocast would be slow or fail."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    # oneDNN reports bf16 "supported" on any AVX-512 CPU, but without AVX512-BF16 or AMX it converts in
    # software: measured on such a CPU, a training step took 1.6x as long as in float32.
    native = (
        getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
        or getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    )
    return bool(native) and torch.backends.mkldnn.is_available()


class BFloat16Model(nn.Module):
    """A `QuejasModel` run under bfloat16 autocast (weights stay float32).

    On CPUs with AMX the bf16 matrix units make large batches far cheaper per text than small ones
    (measured: 7.6 ms per test-split text in batches of 16 against 27 ms one at a time), so this is the
    throughput mode for batch labelling; for the HTTP service ONNX int8 still serves more (bench/README.md).
    """

    def __init__(self, model: QuejasModel) -> None:
        super().__init__()
        self.inner = model
        self.config = model.config

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.autocast(input_ids.device.type, dtype=torch.bfloat16):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)


def save_model(model: QuejasModel, tokenizer: PreTrainedTokenizerBase, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(model.config.model_dump_json(indent=2) + "\n", encoding="utf-8")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    model.encoder.config.save_pretrained(folder / ENCODER_DIR)
    tokenizer.save_pretrained(folder / TOKENIZER_DIR)


def read_model_config(folder: Path) -> QuejasModelConfig:
    path = folder / CONFIG_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{folder} is not a quejas model folder (no {CONFIG_FILE}); train one with `make train` or `quejas train`"
        )
    return QuejasModelConfig.model_validate_json(path.read_text(encoding="utf-8"))


def load_model(folder: Path, device: torch.device | None = None) -> tuple[QuejasModel, PreTrainedTokenizerBase]:
    """Rebuild the architecture from the folder alone and load its weights: no base model download needed."""
    folder = Path(folder)
    config = read_model_config(folder)
    encoder_config = AutoConfig.from_pretrained(folder / ENCODER_DIR)
    encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
    model = QuejasModel(encoder, config)
    model.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    model.eval()
    if device is not None:
        model.to(device)
    return model, load_tokenizer(folder)


def load_tokenizer(folder: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(Path(folder) / TOKENIZER_DIR)


def read_metrics(folder: Path) -> dict:
    path = Path(folder) / METRICS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
