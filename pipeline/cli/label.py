"""`quejas label`: a whole file of complaints, resumable, on this process or on Ray actors."""

from __future__ import annotations

import codecs
from pathlib import Path

import typer

from pipeline.cli.app import app, model_option
from pipeline.cli.render import console, err_console
from pipeline.errors import QuejasError


@app.command("label")
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
