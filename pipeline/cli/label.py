"""`quejas label`: a whole file of complaints, resumable, on this process or on Ray actors."""

from __future__ import annotations

import codecs
from pathlib import Path

import typer

from pipeline.cli.app import app, model_option
from pipeline.cli.render import console, err_console
from pipeline.errors import QuejasError


@app.command("label", rich_help_panel="Files and reports")
def label_command(
    input: Path = typer.Argument(..., help="File to label: .csv, .tsv, .jsonl, .parquet or .xlsx (first sheet)."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write: .csv, .jsonl or .parquet."),
    output_format: str = typer.Option(
        None, "--format", help="csv, jsonl or parquet; overrides the output file's extension."
    ),
    text_column: str = typer.Option(
        None,
        "--text-column",
        "-t",
        help="Column with the complaint text (default: the first of texto, queja, comentario, descripcion, mensaje, "
        "text; any case or accents).",
    ),
    model: Path = model_option(),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(32, help="Texts per forward pass."),
    chunk_size: int = typer.Option(
        1000, help="Rows read, labelled and saved at a time; at most this many rows are redone after an interruption."
    ),
    max_chars: int = typer.Option(
        5000, help="Texts longer than this are not analysed (error too_long) instead of being truncated silently."
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of CSV/TSV/JSONL input (e.g. latin-1, cp1252)."),
    restart: bool = typer.Option(
        False, "--restart", help="Discard the progress of an earlier interrupted run and start from the first row."
    ),
    quantize: bool = typer.Option(
        False, "--quantize", help="int8 encoder on CPU, one text per pass: less memory, slightly less exact."
    ),
    bf16: bool = typer.Option(
        False, "--bf16", help="bfloat16 autocast: the fastest batches on AMX/BF16 CPUs and recent GPUs."
    ),
    engine: str = typer.Option("local", help="local (this process) or ray (Ray Data actors; same output)."),
    ray_address: str = typer.Option(
        None,
        "--ray-address",
        help="Ray cluster to join (ray://host:10001 or auto); default: start a local Ray instance.",
    ),
    ray_num_cpus: int = typer.Option(None, "--ray-num-cpus", help="CPUs of the local Ray instance (default: all)."),
    ray_actors: int = typer.Option(
        None, "--ray-actors", help="Analyzer actors (default: cluster CPUs / CPUs per actor)."
    ),
    ray_cpus_per_actor: float = typer.Option(
        1.0, "--ray-cpus-per-actor", help="CPUs reserved by each actor (also its torch threads)."
    ),
    ray_window: int = typer.Option(
        None, "--ray-window", help="Chunks sent to Ray per Dataset (default 4 x actors); memory grows with it."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
) -> None:
    """Label a file of complaints: keeps every column and adds causes, group, scores, sentiment, risks, entities.

    Resumable: after Ctrl-C or a crash, run the same command again and it continues where it stopped.
    """
    from pipeline.batch import LabelOptions, label_file, make_engine, model_manifest, summary_table

    try:
        codecs.lookup(encoding)
    except LookupError:  # an option's value, checked before hours of labelling rather than at the first read
        raise QuejasError(f"unknown --encoding {encoding!r} (e.g. utf-8, latin-1, cp1252)") from None
    options = LabelOptions(
        text_column=text_column,
        output_format=output_format,
        chunk_size=chunk_size,
        max_chars=max_chars,
        encoding=encoding,
        restart=restart,
    )
    info = model_manifest(model)
    runner = make_engine(
        engine,
        model,
        device=device,
        batch_size=batch_size,
        quantize=quantize,
        bf16=bf16,
        ray_address=ray_address,
        ray_num_cpus=ray_num_cpus,
        ray_actors=ray_actors,
        ray_cpus_per_actor=ray_cpus_per_actor,
        ray_window=ray_window,
    )
    try:
        summary = label_file(input, output, runner, info, options, console=err_console, progress=progress)
    except KeyboardInterrupt:
        err_console.print(
            f"[yellow]interrupted:[/yellow] finished chunks are kept in {output}.parts; "
            "run the same command again to resume",
            highlight=False,
        )
        raise typer.Exit(130) from None
    finally:
        runner.close()
    console.print(summary_table(summary))


@app.command("sample", rich_help_panel="Files and reports")
def sample_command(
    input: Path = typer.Argument(..., help="Complaints to choose from: .csv, .tsv, .jsonl, .parquet or .xlsx."),
    n: int = typer.Option(200, "-n", min=1, help="How many rows to pick."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write: .csv, .jsonl or .parquet."),
    text_column: str = typer.Option(
        None, "--text-column", "-t", help="Column with the complaint text (default: found as `quejas label` does)."
    ),
    model: Path = model_option(),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(32, help="Texts per forward pass."),
    encoding: str = typer.Option("utf-8", help="Text encoding of CSV/TSV/JSONL input (e.g. latin-1, cp1252)."),
) -> None:
    """Pick the rows most worth labelling (uncertain for the model, and unlike each other), ready to fill in.

    The output keeps the picked rows' columns and adds uncertainty, causes (the model's answer, to correct),
    sentiment and risk_<id> (empty: unknown). Pass the filled file to `quejas train --extra_data`. The whole
    input is read into memory: sample from a file of at most a few hundred thousand rows.
    """
    # Deferred: the analyzer loads torch and transformers (see pipeline/cli/__init__.py).
    import pandas as pd

    from pipeline.analyzer import Analyzer
    from pipeline.batch import find_text_column, input_format, output_format, read_chunks, scan_input
    from pipeline.sampling import sample_rows
    from pipeline.spreadsheet_safety import escape_frame

    fmt, out_fmt = input_format(input), output_format(output)
    info = scan_input(input, fmt, encoding)
    frames = list(read_chunks(input, fmt, info.columns, 10_000, encoding))
    frame = pd.concat(frames) if frames else pd.DataFrame(columns=info.columns)
    frame = frame[[c for c in frame.columns if c in info.columns]]
    column = find_text_column(info.columns, text_column, sample=frame)
    analyzer = Analyzer.load(model, device=device)
    picked = sample_rows(analyzer, frame, column, n, batch_size=batch_size)
    if out_fmt == "csv":
        escape_frame(picked).to_csv(output, index=False)
    elif out_fmt == "jsonl":
        picked.to_json(output, orient="records", lines=True, force_ascii=False)
    else:
        picked.to_parquet(output, index=False)
    console.print(f"{len(picked)} of {len(frame)} rows written to {output}; fill in causes, sentiment and risks")
