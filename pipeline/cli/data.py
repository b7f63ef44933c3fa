"""Commands over the corpus: `quejas split`."""

from __future__ import annotations

import typer

from pipeline import paths
from pipeline.cli.app import app
from pipeline.cli.render import console
from pipeline.errors import QuejasError


@app.command("split", rich_help_panel="Model and data")
def split_command(
    seed: int = typer.Option(13, help="Seed for iterative stratification of records not yet assigned."),
) -> None:
    """Assign corpus records to the fixed train/dev/test splits; already assigned records never move."""
    from pipeline.corpus import load_records
    from pipeline.data import SPLIT_NAMES, make_splits, read_splits, write_splits

    records = load_records()
    existing = read_splits() if paths.splits_path().exists() else None
    known = {r.id for r in records}
    if existing:
        stale = [i for name in SPLIT_NAMES for i in existing[name] if i not in known]
        if stale:
            raise QuejasError(
                f"{len(stale)} ids in {paths.splits_path().name} are no longer in the corpus (e.g. {stale[:3]}); "
                "removing records changes the evaluation, edit the split file deliberately"
            )
    splits = make_splits(records, existing, seed=seed)
    write_splits(splits)
    sizes = ", ".join(f"{name}={len(splits[name])}" for name in SPLIT_NAMES)
    console.print(f"splits written to {paths.splits_path()}: {sizes}")
