"""The one owner of a model folder: every file name, and every read and write of the folder's files.

A trained model is a self-describing folder::

    config.json          QuejasModelConfig: base, labels, thresholds, blend, intensity, max length, corpus hash
    taxonomy.yaml        the label set it was trained on: cause ids, names, groups, priority rule (folders
                         written before it have none and use the built-in taxonomy)
    model.safetensors    encoder + heads
    encoder/config.json  architecture of the encoder, so loading never needs the base weights
    tokenizer/           the base tokenizer
    metrics.json         results per split, written by training and updated by each tuning step
    MODEL_CARD.md        rendered from config.json and metrics.json
    lexical.joblib       the TF-IDF model of the blend (blended folders only)
    neighbours.npz       the training embeddings of the neighbour vote (when the vote is used)
    intensity.npz        the intensity scorer's arrays (when sentiment.score comes from it)
    onnx/                ONNX exports, built on first use

Training writes a folder in steps (weights, then the blend, the intensity choice, the confidence
cut-offs, the real-set results), each step reading and updating config.json and metrics.json. Having one
class do it keeps the file names in one place and every update atomic: a step interrupted halfway leaves
the previous complete file, never half a JSON document.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from pipeline.errors import QuejasError
from pipeline.model_config import QuejasModelConfig
from pipeline.taxonomy import TAXONOMY, Taxonomy, TaxonomyError, parse_taxonomy, taxonomy_yaml

CONFIG_FILE = "config.json"
TAXONOMY_FILE = "taxonomy.yaml"
WEIGHTS_FILE = "model.safetensors"
ENCODER_DIR = "encoder"
TOKENIZER_DIR = "tokenizer"
METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "MODEL_CARD.md"
LEXICAL_FILE = "lexical.joblib"
NEIGHBOURS_FILE = "neighbours.npz"
INTENSITY_FILE = "intensity.npz"
ONNX_DIR = "onnx"


class ModelFolderError(QuejasError, FileNotFoundError):
    """The folder is missing, is not a quejas model, or lacks a file its config.json says it has."""


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class ModelFolder:
    """A model folder on disk; cheap to create, it reads nothing until asked."""

    path: Path

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    # ------------------------------------------------------------------------------------------ locations
    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def taxonomy_file(self) -> Path:
        return self.path / TAXONOMY_FILE

    @property
    def weights_file(self) -> Path:
        return self.path / WEIGHTS_FILE

    @property
    def encoder_dir(self) -> Path:
        return self.path / ENCODER_DIR

    @property
    def tokenizer_dir(self) -> Path:
        return self.path / TOKENIZER_DIR

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def model_card_file(self) -> Path:
        return self.path / MODEL_CARD_FILE

    @property
    def lexical_file(self) -> Path:
        return self.path / LEXICAL_FILE

    @property
    def neighbours_file(self) -> Path:
        return self.path / NEIGHBOURS_FILE

    @property
    def intensity_file(self) -> Path:
        return self.path / INTENSITY_FILE

    @property
    def onnx_dir(self) -> Path:
        return self.path / ONNX_DIR

    def onnx_file(self, int8: bool) -> Path:
        return self.onnx_dir / ("model.int8.onnx" if int8 else "model.onnx")

    # ------------------------------------------------------------------------------------------ config
    def is_model(self) -> bool:
        return self.config_file.exists()

    def read_config(self) -> QuejasModelConfig:
        if not self.path.exists():
            raise ModelFolderError(
                f"no model at {self.path}; train one with `make train` (or `quejas train`) or pass a model folder"
            )
        if not self.config_file.exists():
            raise ModelFolderError(
                f"{self.path} is not a quejas model folder (no {CONFIG_FILE}); train one with `make train` or "
                "`quejas train`"
            )
        return QuejasModelConfig.model_validate_json(self.config_file.read_text(encoding="utf-8"))

    def write_config(self, config: QuejasModelConfig) -> None:
        _write_atomically(self.config_file, config.model_dump_json(indent=2) + "\n")

    # ------------------------------------------------------------------------------------------ taxonomy
    def read_taxonomy(self) -> Taxonomy:
        """The folder's own label set; the built-in one for folders written before models carried theirs."""
        if not self.taxonomy_file.exists():
            return TAXONOMY
        try:
            return parse_taxonomy(self.taxonomy_file.read_text(encoding="utf-8"), str(self.taxonomy_file))
        except TaxonomyError as exc:
            raise ModelFolderError(f"{exc}; the model folder is damaged, train it again") from None

    def write_taxonomy(self, taxonomy: Taxonomy) -> None:
        _write_atomically(self.taxonomy_file, taxonomy_yaml(taxonomy))

    # ------------------------------------------------------------------------------------------ metrics
    def read_metrics(self) -> dict[str, Any]:
        if not self.metrics_file.exists():
            return {}
        return json.loads(self.metrics_file.read_text(encoding="utf-8"))

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        _write_atomically(self.metrics_file, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")

    def update_metrics(self, blocks: dict[str, Any]) -> dict[str, Any]:
        """Add or replace top-level blocks of metrics.json, keeping the others; returns the whole document."""
        metrics = self.read_metrics()
        metrics.update(blocks)
        self.write_metrics(metrics)
        return metrics

    # ------------------------------------------------------------------------------------------ model card
    def write_model_card(self, text: str) -> Path:
        _write_atomically(self.model_card_file, text)
        return self.model_card_file

    # ------------------------------------------------------------------------------------------ blend parts
    def save_lexical(self, lexical: object) -> None:
        """joblib (pickle): load model folders only from sources you trust."""
        joblib.dump(lexical, self.lexical_file, compress=3)

    def load_lexical(self) -> Any:
        if not self.lexical_file.exists():
            raise ModelFolderError(f"{self.path} is a blended model but its {LEXICAL_FILE} is missing")
        return joblib.load(self.lexical_file)

    def save_neighbours(self, embeddings: np.ndarray, causes: np.ndarray) -> Path:
        np.savez_compressed(
            self.neighbours_file, embeddings=embeddings.astype(np.float32), causes=causes.astype(np.uint8)
        )
        return self.neighbours_file

    def load_neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """Training embeddings (unit length) and their multi-hot causes."""
        if not self.neighbours_file.exists():
            raise ModelFolderError(f"{self.path} uses a neighbour vote but its {NEIGHBOURS_FILE} is missing")
        with np.load(self.neighbours_file) as stored:
            return stored["embeddings"], stored["causes"].astype(np.float32)

    def save_intensity(self, arrays: dict[str, Any]) -> Path:
        """Written to a temporary file and renamed, like config.json: a reader never sees half the arrays."""
        handle, temporary = tempfile.mkstemp(dir=self.path, prefix=f".{INTENSITY_FILE}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            os.replace(temporary, self.intensity_file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return self.intensity_file

    def load_intensity(self) -> dict[str, np.ndarray]:
        if not self.intensity_file.exists():
            raise ModelFolderError(f"{self.path} scores intensity with a scorer but its {INTENSITY_FILE} is missing")
        with np.load(self.intensity_file, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
