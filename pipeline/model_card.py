"""MODEL_CARD.md for a trained model folder: what it is, how it was trained, how well it does.

The wording is in pipeline/templates/model_card.md.j2; this module computes what the template prints.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder
from pipeline.results import intensity_markdown, markdown_table
from pipeline.taxonomy import TAXONOMY, Taxonomy

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE = "model_card.md.j2"  # Markdown, so nothing is HTML-escaped


def _long_texts(config: QuejasModelConfig) -> str:
    head_tail = f"{config.head_fraction:.0%} of the tokens from the start, the rest from the end"
    if config.long_text_strategy == "windows":
        return (
            f"each cause takes its highest probability over overlapping {config.max_length}-token windows "
            f"(half-window stride) that cover the whole text; sentiment and risk read head+tail ({head_tail})"
        )
    return head_tail


def _cued_risks() -> str:
    return ", ".join(f"`{r.id}`" for r in TAXONOMY.risks if r.cues) or "no signal"


def _blend(config: QuejasModelConfig) -> str:
    if not config.blend_weights:
        return "none; the encoder alone produces every probability."
    shares = ", ".join(f"{task} {weight:.0%}" for task, weight in config.blend_weights.items())
    vote = (
        f" The cause probabilities then give {config.neighbour_share:.0%} to the vote of the "
        f"{config.neighbour_k} nearest training texts in the fine-tuned embedding space (`neighbours.npz`, "
        "share tuned on dev)."
        if config.neighbour_share
        else ""
    )
    return (
        "probabilities are a weighted average of the encoder and a TF-IDF logistic regression "
        f"(`lexical.joblib`) fitted on the same training split; encoder share per task: {shares} "
        f"(tuned on dev, with the thresholds).{vote} The `encoder only` column shows the encoder alone."
    )


SOURCE_NAMES = {
    "head": "regression head",
    "mapping": "isotonic mapping of P(pos) - P(neg)",
    "polarity": "P(pos) - P(neg)",
    "scorer": "scorer over the head",
}


def _score(config: QuejasModelConfig) -> str:
    if config.intensity_source == "head":
        return (
            "a graded intensity from the regression head trained on the labelled `sentiment_score` (tanh, "
            "mean squared error), chosen on dev over the mapping (`score_kind: intensity`)"
        )
    if config.intensity_source == "scorer":
        return (
            "a graded intensity: the regression head, and for texts labelled negative a linear scorer fitted on dev "
            "over the head, a TF-IDF regression, the risk signals and cues of anger, which orders complaints better "
            "(`intensity.npz`, pipeline/intensity_scorer.py; `score_kind: intensity`)"
        )
    if config.intensity_source == "mapping":
        return (
            "a graded intensity: P(positive) - P(negative) mapped onto the labelled `sentiment_score` by "
            "isotonic regression fitted on dev, chosen on dev over the regression head (`score_kind: intensity`)"
        )
    return "P(positive) - P(negative) (`score_kind: polarity`; this folder predates the graded intensity)"


def _intensity(metrics: dict) -> str:
    block = metrics.get("intensity")
    if not block:
        return "Not measured: this folder predates the graded intensity; `sentiment.score` is P(pos) - P(neg)."
    dev = {f"{SOURCE_NAMES.get(k, k)}{' (chosen)' if k == block['source'] else ''}": v for k, v in block["dev"].items()}
    parts = [
        f"Chosen on dev: **{SOURCE_NAMES.get(block['source'], block['source'])}** ({block.get('selection', '')}).",
        "",
        "Dev split:",
        "",
        intensity_markdown(dev),
    ]
    scorer = block.get("scorer")
    if scorer:
        verdict = "kept" if scorer.get("kept") else "not kept: the head measured better"
        parts[0] += f" Scorer over the head {verdict} ({scorer.get('selection', '')}; penalty {scorer.get('alpha')})."
    if block.get("test"):
        test = {SOURCE_NAMES.get(k, k): v for k, v in block["test"].items() if k != "model"}
        parts += ["", "Test split (scored once, never used for the choice):", "", intensity_markdown(test)]
    return "\n".join(parts)


def _without_gaps(metrics: dict) -> dict:
    """Scores measured on no row (None: no own test record had that label) print as nan in the table."""
    filled = {k: float("nan") if v is None else v for k, v in metrics.items()}
    if metrics.get("per_risk_f1") is None:
        filled["per_risk_f1"] = {r: float("nan") for r in TAXONOMY.risk_ids}
    return filled


def _own_data(metrics: dict) -> str:
    """Where the company's own records came from, how they were split, and the scores on their test part."""
    info = metrics.get("own_data")
    if not info:
        return ""
    split = info["split"]
    sources = ", ".join(f"`{source}`" for source in info["sources"])
    lines = [
        f"{info['records']} records from {sources} ({info['complete']} with causes, sentiment and risks; hash "
        f"`{info['hash']}`), split on their own (stratified, seed {info['split_seed']}): {split['train']} joined "
        f"train, {split['train_partial']} trained the encoder without a sentiment or risk loss (labels missing), "
        f"{split['dev']} joined dev, {split['test']} are the test records below.",
        "",
    ]
    results = metrics.get("own_test")
    if not results:
        return "\n".join(lines + ["Too few own records for a test part (at least 10 are split)."])
    counts = results["model"]
    lines += [
        f"Causes over all {counts['n_examples']} test records; sentiment over the {counts['n_sentiment']} with a "
        f"sentiment, risk over the {counts['n_risk']} with risks (nan: none).",
        "",
        markdown_table({name: _without_gaps(block) for name, block in results.items()}),
    ]
    return "\n".join(lines)


def render_model_card(config: QuejasModelConfig, metrics: dict, taxonomy: Taxonomy = TAXONOMY) -> str:
    results = {}
    if metrics.get("test"):
        results["model"] = metrics["test"]
        if metrics.get("test_encoder_only"):
            results["encoder only"] = metrics["test_encoder_only"]
        results.update(metrics.get("baselines", {}))
    return _template().render(
        config=config,
        metrics=metrics,
        train_cfg=metrics.get("config", {}),
        minutes=metrics.get("training_seconds", 0) / 60,
        causes=", ".join(f"`{c.id}` ({c.display})" for c in taxonomy.causes),
        score=_score(config),
        cued_risks=_cued_risks(),
        blend=_blend(config),
        long_texts=_long_texts(config),
        test_table=markdown_table(results) if results else "",
        real_table=markdown_table(metrics["real_test"]) if metrics.get("real_test") else "",
        own_data=_own_data(metrics),
        intensity=_intensity(metrics),
    )


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), keep_trailing_newline=True, autoescape=False
    )
    environment.filters["pyrepr"] = repr
    return environment.get_template(TEMPLATE)


def write_model_card(folder: Path, config: QuejasModelConfig, metrics: dict) -> Path:
    target = ModelFolder(folder)
    return target.write_model_card(render_model_card(config, metrics, target.read_taxonomy()))
