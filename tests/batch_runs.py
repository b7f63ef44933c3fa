"""What the `quejas label` tests share: one run through the library, and the command line of one run.

Every test that labels through the CLI (in this process or as its own, to kill or race it) spells the same
arguments, so they are built here once: a new required option changes one place.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.batch import LabelOptions, LabelSummary, label_file, model_manifest

REPO = Path(__file__).resolve().parents[1]


def label(
    engine, model: Path, source: Path, output: Path, after_chunk: Callable[[int], None] | None = None, **options
) -> LabelSummary:
    """`label_file` with the model's manifest, ``options`` as `LabelOptions`, no progress bar."""
    return label_file(
        source, output, engine, model_manifest(model), LabelOptions(**options), progress=False, after_chunk=after_chunk
    )


def interrupted(engine, model: Path, source: Path, output: Path, after: int, **options) -> None:
    """A run stopped (as by Ctrl-C) once chunk number ``after`` is written, its progress left behind."""

    def stop(number: int) -> None:
        if number == after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        label(engine, model, source, output, after_chunk=stop, **options)


def label_args(source: Path, output: Path, model: Path, *options: str) -> list[str]:
    """`quejas label SOURCE -o OUTPUT --model MODEL --device cpu --no-progress OPTIONS...` as CLI arguments."""
    return [
        "label",
        str(source),
        "-o",
        str(output),
        "--model",
        str(model),
        "--device",
        "cpu",
        "--no-progress",
        *options,
    ]


def label_command(source: Path, output: Path, model: Path, *options: str) -> list[str]:
    """The same run as a process of its own (``python -m pipeline.cli``), run from the repository root."""
    return [sys.executable, "-m", "pipeline.cli", *label_args(source, output, model, *options)]
