"""MODEL_CARD.md for a trained model folder: what it is, how it was trained, how well it does."""

from __future__ import annotations

from pathlib import Path

from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder
from pipeline.results import intensity_markdown, markdown_table
from pipeline.taxonomy import TAXONOMY


def _thresholds(config: QuejasModelConfig) -> str:
    rows = ["| label | threshold |", "|---|---:|"]
    rows += [f"| `{k}` | {v:.3f} |" for k, v in config.cause_thresholds.items()]
    rows += [f"| risk `{k}` | {v:.3f} |" for k, v in config.risk_thresholds.items()]
    return "\n".join(rows)


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
}


def _score(config: QuejasModelConfig) -> str:
    if config.intensity_source == "head":
        return ("a graded intensity from the regression head trained on the labelled `sentiment_score` (tanh, "
                "mean squared error), chosen on dev over the mapping (`score_kind: intensity`)")
    if config.intensity_source == "mapping":
        return ("a graded intensity: P(positive) - P(negative) mapped onto the labelled `sentiment_score` by "
                "isotonic regression fitted on dev, chosen on dev over the regression head (`score_kind: intensity`)")
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
    if block.get("test"):
        test = {SOURCE_NAMES.get(k, k): v for k, v in block["test"].items() if k != "model"}
        parts += ["", "Test split (scored once, never used for the choice):", "", intensity_markdown(test)]
    return "\n".join(parts)


def render_model_card(config: QuejasModelConfig, metrics: dict) -> str:
    results = {}
    if metrics.get("test"):
        results["model"] = metrics["test"]
        if metrics.get("test_encoder_only"):
            results["encoder only"] = metrics["test_encoder_only"]
        results.update(metrics.get("baselines", {}))
    train_cfg = metrics.get("config", {})
    minutes = metrics.get("training_seconds", 0) / 60
    causes = ", ".join(f"`{c.id}` ({c.display})" for c in TAXONOMY.causes)
    return f"""# {config.name}

Spanish complaint triage model of **quejas**: why the customer is unhappy (multi-label causes), how
negative the message is, and whether it signals churn, a legal threat or public exposure.

## Model
- Base encoder: `{config.base_model}`, fine-tuned end to end (word embeddings frozen:
  {train_cfg.get("freeze_word_embeddings", "n/a")}), mean pooling, three heads.
- Causes (sigmoid, per-label thresholds tuned on dev): {causes}.
- Sentiment: softmax over {", ".join(config.sentiments)} gives the label; the score is {_score(config)}.
- Risk (sigmoid, thresholds tuned on dev): {", ".join(config.risks)}. In the pipeline, and in the "model"
  column below, phrases of the labeling guide also raise {_cued_risks()} (`cues:` in
  `pipeline/taxonomy.yaml`, `pipeline/cues.py`); the "encoder only" column is the encoder alone.
- Blend: {_blend(config)}
- Inputs: up to {config.max_length} tokens; longer texts use **{config.long_text_strategy}**: {_long_texts(config)}.
- Text prefix: `{config.text_prefix!r}`.
- Version {config.version}, created {config.created}, corpus hash `{config.corpus_hash}`.

## Training
- Data: the quejas corpus (`data/complaints`, fixed splits in `data/splits.json`) and, when used, the real set
  (`data/real`: labelled public reviews and posts, splits in `data/real/splits.json`, train and dev joined to
  the corpus ones); {metrics.get("train_examples")} training examples. Thresholds and early stopping use dev
  only; each test split is scored once. Frozen lower encoder blocks: {train_cfg.get("frozen_layers", 0)}.
- Best epoch {metrics.get("best_epoch")}; {minutes:.1f} minutes on `{metrics.get("device")}`
  (bfloat16 autocast: {metrics.get("bf16", False)}) with
  {metrics.get("threads")} threads; seed {train_cfg.get("seed")}; batch {train_cfg.get("batch_size")};
  learning rate {train_cfg.get("learning_rate")} (heads {train_cfg.get("head_learning_rate")}).

## Test results (beside the baselines, same splits)
{markdown_table(results) if results else "No test split was available."}

## Real test results (public reviews and posts, `data/real`)
{markdown_table(metrics["real_test"]) if metrics.get("real_test") else "The real set was not used for this model."}

## How upset: sentiment.score against the labelled sentiment_score
{_intensity(metrics)}

## Decision thresholds
{_thresholds(config)}

## Intended use and limits
- Triage and reply assistance for Spanish customer messages; an agent reviews every draft.
- The corpus is hand-written to resemble real complaints across 15 sectors and 10 varieties of
  Spanish; real traffic will differ. Re-train on your own labelled data (`quejas train`) and check
  `quejas eval` before relying on the scores.
- Not for decisions about individuals without human review.
"""


def write_model_card(folder: Path, config: QuejasModelConfig, metrics: dict) -> Path:
    return ModelFolder(folder).write_model_card(render_model_card(config, metrics))
