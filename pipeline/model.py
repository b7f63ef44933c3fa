"""The multi-task complaint model: a transformer encoder, mean pooling and its heads.

One shared encoder feeds the cause (multi-label), sentiment (3-way), intensity (regression) and risk
(multi-label) heads: the tasks read the same cues ("me doy de baja" is both churn and strongly
negative), and one forward pass per text keeps serving cheap. The folder a trained model lives in is
described and owned by pipeline/model_folder.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.masking_utils import create_bidirectional_mask

from pipeline.errors import ConfigurationError
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder


class QuejasModel(nn.Module):
    """Encoder + mean pooling + cause / sentiment / risk heads, and the intensity head when the config has one.

    The intensity head is one linear unit squashed by tanh into [-1, 1], the range of sentiment_score; it
    reads the same pooled vector as the sentiment classifier, which keeps its own label.

    Mean pooling for the causes too: a learned attention per cause over the tokens, added to the mean-pooled
    head (so each cause could read its own cue words), was trained with the default settings and scored
    lower on dev (encoder cause macro-F1 0.794 against 0.802, group accuracy 0.781 against 0.842).
    """

    def __init__(self, encoder: PreTrainedModel, config: QuejasModelConfig) -> None:
        super().__init__()
        self.encoder: Any = encoder  # any Hugging Face encoder; its submodules differ by architecture
        self.config = config
        hidden: int = encoder.config.hidden_size
        # E5-style encoders are anisotropic (any two texts have cosine ~0.85), so raw pooled vectors differ
        # little between texts; normalising them lets freshly initialised heads learn at a useful speed.
        self.pooled_norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.cause_head = nn.Linear(hidden, len(config.causes))
        self.sentiment_head = nn.Linear(hidden, len(config.sentiments))
        self.risk_head = nn.Linear(hidden, len(config.risks))
        self.intensity_head: nn.Linear | None = nn.Linear(hidden, 1) if config.intensity_head else None

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
        raise ConfigurationError("device 'cuda' requested but no CUDA GPU is available; use 'auto' or 'cpu'")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise ConfigurationError(f"unknown device {device!r}; use auto, cpu or cuda")
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
    target = ModelFolder(folder)
    target.path.mkdir(parents=True, exist_ok=True)
    target.write_config(model.config)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(target.weights_file), metadata={"format": "pt"})
    model.encoder.config.save_pretrained(target.encoder_dir)
    tokenizer.save_pretrained(target.tokenizer_dir)


def load_model(folder: Path, device: torch.device | None = None) -> tuple[QuejasModel, PreTrainedTokenizerBase]:
    """Rebuild the architecture from the folder alone and load its weights: no base model download needed."""
    source = ModelFolder(folder)
    config = source.read_config()
    encoder_config = AutoConfig.from_pretrained(source.encoder_dir)
    encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
    model = QuejasModel(encoder, config)
    model.load_state_dict(load_file(str(source.weights_file)))
    model.eval()
    if device is not None:
        model.to(device)
    return model, load_tokenizer(folder)


def load_tokenizer(folder: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(ModelFolder(folder).tokenizer_dir)
