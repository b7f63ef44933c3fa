"""The label set of a labelled file, kept beside it: which taxonomy its cause and priority ids come from.

A labelled file holds ids (``causes``, ``score_<id>``, ``priority``), not their names or groups. A model
trained on an organisation's own taxonomy (`quejas train --taxonomy`) uses ids the built-in taxonomy lacks
and may name its priority levels its own way, so `quejas label` writes that taxonomy next to the output as
``<output>.taxonomy.yaml`` (the model folder's format) and `quejas report` names the file's causes and
levels from it. One side file serves CSV, JSONL and Parquet alike. A file labelled with the built-in
taxonomy gets none (a stale one from an earlier run on the same output is removed), and files labelled
before this existed have none either: the built-in taxonomy names those.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.batch.errors import BatchError
from pipeline.taxonomy import TAXONOMY, Taxonomy, TaxonomyError, parse_taxonomy, taxonomy_yaml

LABELSET_SUFFIX = ".taxonomy.yaml"


def labelset_file(labelled: Path) -> Path:
    """``informe.csv`` -> ``informe.csv.taxonomy.yaml``: beside the file, named after it, whatever its format."""
    labelled = Path(labelled)
    return labelled.with_name(labelled.name + LABELSET_SUFFIX)


def write_labelset(labelled: Path, taxonomy: Taxonomy) -> Path | None:
    """Write the labelling model's taxonomy beside ``labelled`` when it is not the built-in one; returns its path."""
    path = labelset_file(labelled)
    text = taxonomy_yaml(taxonomy)
    if text == taxonomy_yaml(TAXONOMY):
        path.unlink(missing_ok=True)
        return None
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_labelset(labelled: Path) -> Taxonomy | None:
    """The taxonomy written beside ``labelled`` by `quejas label`, or None when there is none."""
    path = labelset_file(labelled)
    if not path.is_file():
        return None
    try:
        return parse_taxonomy(path.read_text(encoding="utf-8"), str(path))
    except TaxonomyError as exc:
        raise BatchError(f"{exc}; delete it, or label the file again") from None
