"""`quejas feedback stats|export|queue`: the agents' corrections, measured and exported, and what to review next."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli.app import app
from pipeline.cli.render import console, feedback_summary, feedback_table, review_queue_table

feedback_app = typer.Typer(
    help="Agents' corrections: quality of the model on your own messages, and export for training.",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback", rich_help_panel="Service")

FEEDBACK_URL_HELP = (
    "SQLAlchemy URL of the corrections store (default QUEJAS_FEEDBACK_URL, else ~/.local/share/quejas/feedback.db)."
)
MODEL_HELP = "Model folder the corrections are for: its taxonomy gives the causes (default: the built-in taxonomy)."


def _taxonomy(model: Path | None):
    """The causes of the served model (a model trained with --taxonomy has its own), else the built-in ones."""
    from pipeline.model_folder import ModelFolder
    from pipeline.taxonomy import TAXONOMY

    if model is None:
        return TAXONOMY
    folder = ModelFolder(model)
    folder.read_config()  # a clear error when it is not a model folder
    return folder.read_taxonomy()


@feedback_app.command("stats")
def feedback_stats_command(
    url: str = typer.Option(None, "--url", envvar="QUEJAS_FEEDBACK_URL", help=FEEDBACK_URL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON (the /v1/feedback/stats body)."),
    model: Path = typer.Option(None, "--model", "-m", help=MODEL_HELP),
) -> None:
    """Corrections per cause, and the model's precision / recall / F1 per cause against them."""
    from pipeline.feedback.stats import feedback_stats
    from pipeline.feedback.store import FeedbackStore

    store = FeedbackStore(url)
    store.require_existing()
    stats = feedback_stats(store.corrections(), _taxonomy(model).cause_ids)
    if as_json:
        typer.echo(stats.model_dump_json(indent=2))
        return
    if stats.overall is None:
        console.print("No corrections stored yet.")
        return
    console.print(feedback_table(stats))
    for line in feedback_summary(stats):
        console.print(line)


@feedback_app.command("export")
def feedback_export_command(
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write (corpus record format)."),
    url: str = typer.Option(None, "--url", envvar="QUEJAS_FEEDBACK_URL", help=FEEDBACK_URL_HELP),
    model: Path = typer.Option(None, "--model", "-m", help=MODEL_HELP),
) -> None:
    """Write every correction as a corpus record (data/README.md), ready to train on."""
    from pipeline.feedback.export import write_jsonl
    from pipeline.feedback.store import FeedbackStore

    store = FeedbackStore(url)
    store.require_existing()
    written = write_jsonl(store.corrections(), output, _taxonomy(model))
    console.print(f"{written} corrections written to {output}")


@feedback_app.command("queue")
def feedback_queue_command(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000, help="How many complaints to list."),
    url: str = typer.Option(None, "--url", envvar="QUEJAS_FEEDBACK_URL", help=FEEDBACK_URL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON (the review-queue API body)."),
) -> None:
    """The analysed complaints the model was least sure of that no agent has corrected yet.

    The service records what /v1/analyze and /v1/classify analyse (QUEJAS_FEEDBACK_REVIEW_QUEUE); a correction
    of the same text takes it off the list.
    """
    from pipeline.feedback.store import FeedbackStore

    store = FeedbackStore(url)
    store.require_existing()
    items = store.review_queue(limit)
    if as_json:
        typer.echo(
            json.dumps({"items": [item.model_dump(mode="json") for item in items]}, ensure_ascii=False, indent=2)
        )
        return
    if not items:
        console.print("Nothing to review: no analysed complaint is waiting for a correction.")
        return
    console.print(review_queue_table(items))
