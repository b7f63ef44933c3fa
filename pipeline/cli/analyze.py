"""Commands over one complaint or a few: analyze, reply (a draft) and review (an agent's draft)."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import typer

from pipeline.actions import DONE_ACTION_IDS, unknown_actions
from pipeline.cli.app import app, model_option
from pipeline.cli.render import analysis_table, console, draft_panel, review_score, review_table
from pipeline.errors import QuejasError
from pipeline.policy import sector_ids
from pipeline.schema import ReplyChannel

CHANNELS: tuple[str, ...] = get_args(ReplyChannel)


def complaint_text(text: str | None) -> str | None:
    """The text argument, or standard input when it is "-": pasted e-mails and piped files keep their line breaks
    and quotes, which a shell argument mangles."""
    if text != "-":
        return text
    import sys

    if sys.stdin.isatty():
        raise QuejasError(
            '"-" reads the complaint from standard input; pipe or redirect it, e.g. quejas reply - < queja.txt'
        )
    return sys.stdin.read()


def check_channel_and_done(channel: str | None, done: list[str]) -> None:
    if channel is not None and channel not in CHANNELS:
        raise QuejasError(f"--channel must be {', '.join(CHANNELS[:-1])} or {CHANNELS[-1]}, not {channel!r}")
    unknown = unknown_actions(done)
    if unknown:
        raise QuejasError(f"unknown --done {', '.join(unknown)}; choose from {', '.join(DONE_ACTION_IDS)}")


@app.command("analyze", rich_help_panel="Analyse and reply")
def analyze_command(
    text: str = typer.Argument(
        None, help='A complaint to analyse, "-" to read it from standard input (or use --input).'
    ),
    input: Path = typer.Option(None, "--input", "-i", help="JSONL file with one object per line."),
    output: Path = typer.Option(None, "--output", "-o", help="JSONL file to write, one Analysis per input line."),
    text_field: str = typer.Option("text", "--text-field", help="Field holding the text in each input line."),
    model: Path = model_option(),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(32, help="Texts per forward pass."),
) -> None:
    """Analyse one complaint (readable table) or a JSONL file (one Analysis JSON per line, input order)."""
    from pipeline.analyzer import Analyzer
    from pipeline.jsonl import read_texts

    if (text is None) == (input is None):
        raise QuejasError("give either a text or --input FILE (not both)")
    complaint = complaint_text(text)
    if input is not None and output is None:
        raise QuejasError("--input needs --output FILE")
    if input is not None and not input.exists():
        raise QuejasError(f"input file {input} does not exist")
    if complaint is not None and not complaint.strip():
        raise QuejasError("the text is empty; nothing to analyse")
    analyzer = Analyzer.load(model, device=device)
    if complaint is not None:
        console.print(analysis_table(analyzer.analyze([complaint])[0], analyzer.taxonomy))
        return
    analyses = analyzer.analyze(read_texts(input, text_field), batch_size=batch_size)
    with open(output, "w", encoding="utf-8") as fh:
        for analysis in analyses:
            fh.write(analysis.model_dump_json() + "\n")
    console.print(f"{len(analyses)} analyses written to {output}")


@app.command("reply", rich_help_panel="Analyse and reply")
def reply_command(
    text: str = typer.Argument(..., help='The customer\'s complaint, or "-" to read it from standard input.'),
    channel: str = typer.Option(
        "email",
        "--channel",
        "-c",
        help="email (letter), chat (two sentences), public (answer to a post on a network) or review "
        "(answer to a review on Google, TripAdvisor or an app store: gives the contact e-mail and phone).",
    ),
    model: Path = model_option(),
    policy: Path = typer.Option(None, "--policy", "-p", help="Reply policy YAML (default: pipeline/policy.yaml)."),
    sector: str = typer.Option(
        None, "--sector", "-s", help="Sector preset instead of the policy's: " + ", ".join(sector_ids()) + "."
    ),
    done: list[str] = typer.Option(
        [],
        "--done",
        "-d",
        help="An action already done, said in the past tense (repeat): " + ", ".join(DONE_ACTION_IDS),
    ),
) -> None:
    """Analyse a complaint and print a reply draft that follows the seven steps and the company policy.

    Nothing is said as done unless --done says so; e.g. `quejas reply "..." --sector banking --done refund_issued`.
    """
    from datetime import date

    from pipeline.analyzer import Analyzer
    from pipeline.entities import analysis_with_entities
    from pipeline.policy import load_policy
    from pipeline.reply import draft_reply

    check_channel_and_done(channel, done)
    text = complaint_text(text) or ""
    if not text.strip():
        raise QuejasError("the text is empty; nothing to answer")
    reply_policy = load_policy(policy, sector=sector)
    analyzer = Analyzer.load(model)
    analysis = analysis_with_entities(analyzer.analyze([text])[0], text, reference_date=date.today())
    console.print(analysis_table(analysis, analyzer.taxonomy))
    draft = draft_reply(analysis, reply_policy, channel=channel, complaint_text=text, done_actions=done)
    console.print(draft_panel(draft, reply_policy.sector))


@app.command("review", rich_help_panel="Analyse and reply")
def review_command(
    draft: Path = typer.Argument(..., help="Text file with the reply an agent wrote."),
    complaint: Path = typer.Option(None, "--complaint", help="Text file with the complaint it answers."),
    name: str = typer.Option(None, "--name", help="The customer's name, when the complaint does not say it."),
    sector: str = typer.Option(
        None, "--sector", "-s", help="The company's sector: words of other sectors are flagged."
    ),
    channel: str = typer.Option(None, "--channel", "-c", help="email, chat, public or review (default: guessed)."),
    done: list[str] = typer.Option(
        [], "--done", "-d", help="An action already done (repeat); see `quejas reply --help`."
    ),
) -> None:
    """Check a reply draft against the seven steps: findings with where they are and how to fix them.

    With --complaint it also catches requests for what the complaint already gives and, under a legal
    threat, admissions of fault; past-tense actions not listed with --done are always flagged.
    """
    from pipeline.entities import extract_entities
    from pipeline.review import review_draft

    for path in (draft, complaint):
        if path is not None and not path.is_file():
            raise QuejasError(f"no such file: {path}")
    text = draft.read_text(encoding="utf-8")
    if not text.strip():
        raise QuejasError(f"{draft} is empty; nothing to review")
    if sector is not None and sector not in sector_ids():
        raise QuejasError(f"unknown --sector {sector!r}; choose from {', '.join(sector_ids())}")
    check_channel_and_done(channel, done)
    complaint_text = complaint.read_text(encoding="utf-8") if complaint is not None else None
    customer_name = name
    if complaint_text is not None and customer_name is None:
        customer_name = extract_entities(complaint_text).customer_name
    result = review_draft(
        text,
        customer_name=customer_name,
        channel=channel,
        sector=sector,
        complaint=complaint_text,
        done_actions=done,
    )
    if result.findings:
        console.print(review_table(result, text, title=f"Revisión de {draft.name}"))
    else:
        console.print("[green]Sin problemas: el borrador cubre los siete pasos.[/green]")
    console.print(review_score(result.score))
