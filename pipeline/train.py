"""Fine-tuning the multi-task model: training loop, early stopping, threshold tuning, model folder.

The defaults are chosen for a 2-core CPU (the whole run takes about 23 minutes there) and scale up
unchanged on a GPU: word embeddings frozen, length-bucketed batches, 128-token head+tail inputs
(long texts are read in windows at evaluation time).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
import re
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from datasets import DatasetDict, concatenate_datasets
from torch import nn
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerBase, get_linear_schedule_with_warmup

from pipeline.base_model import resolve_base_model
from pipeline.data import UNKNOWN_SENTIMENT, add_own_records, corpus_fits, empty_dataset, label_arrays, relabel_causes
from pipeline.inference import predict_probabilities
from pipeline.intensity import intensity_metrics
from pipeline.metrics import metrics_at, tune_all_thresholds
from pipeline.model import QuejasModel, bf16_available, load_model, resolve_device, save_model
from pipeline.model_config import QuejasModelConfig, default_text_prefix
from pipeline.model_folder import ModelFolder
from pipeline.own_data import load_own_records, own_hash
from pipeline.post_training import finish_model_folder
from pipeline.state_cache import LowerStateCache, cached_probabilities
from pipeline.taxonomy import RISK_IDS, SENTIMENT_IDS, Taxonomy
from pipeline.tokenization import BatchTokenizer
from pipeline.training_args import TrainingConfig, TrainingConfigError, TrainingResult


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def length_bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort within large chunks: batches hold similar lengths (little padding) but stay random."""
    indices = list(range(len(lengths)))
    rng.shuffle(indices)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(indices), chunk):
        part = sorted(indices[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def positive_weights(labels: np.ndarray) -> torch.Tensor:
    """sqrt(neg/pos) per label: counters imbalance without the instability of the full ratio.

    The asymmetric loss of Ridnik et al. (2021; gamma- 4, clip 0.05, no weights) was measured in its place:
    it learned faster (dev cause macro-F1 0.794 after 5 epochs against 0.764) but ended lower after the
    default 7 (encoder 0.798 against 0.802; blended 0.840 against 0.848), so weighted BCE stays.
    """
    positives = labels.sum(axis=0)
    negatives = len(labels) - positives
    return torch.tensor(np.sqrt(negatives / np.maximum(positives, 1.0)), dtype=torch.float32)


def class_weights(classes: np.ndarray, n_classes: int) -> torch.Tensor:
    counts = np.bincount(classes, minlength=n_classes).astype(np.float64)
    weights = np.sqrt(counts.sum() / np.maximum(counts, 1.0) / n_classes)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def encoder_depth(name: str, n_layers: int) -> int:
    """How many layers below the top a parameter sits: 0 for the last layer, n_layers for the embeddings."""
    match = re.search(r"\.layers?\.(\d+)\.", name)
    if match:
        return n_layers - 1 - int(match.group(1))
    return n_layers if "embeddings" in name else 0


def build_optimizer(model: QuejasModel, config: TrainingConfig) -> torch.optim.Optimizer:
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    n_layers = getattr(model.encoder.config, "num_hidden_layers", 0)
    groups: dict[tuple[float, float], list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith("encoder."):
            lr = config.learning_rate * config.layer_lr_decay ** encoder_depth(name, n_layers)
        else:
            lr = config.head_learning_rate
        decay = 0.0 if any(n in name for n in no_decay) else config.weight_decay
        groups.setdefault((lr, decay), []).append(param)
    return torch.optim.AdamW([{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()])


def intensity_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the rows with a labelled score (NaN marks none); 0 when the batch has none."""
    known = ~torch.isnan(target)
    if not known.any():
        return predicted.sum() * 0.0
    return nn.functional.mse_loss(predicted[known], target[known])


def masked_sentiment_loss(loss: nn.CrossEntropyLoss, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The sentiment loss over rows with a known label; 0 (with a zero gradient) when the batch has none.

    Own records may come without a sentiment (`UNKNOWN_SENTIMENT`): they still teach their causes, and an
    unknown label must not count as any class.
    """
    known = target != UNKNOWN_SENTIMENT
    if not known.any():
        return logits.sum() * 0.0
    return loss(logits[known], target[known])


def masked_risk_loss(loss: nn.BCEWithLogitsLoss, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The risk loss over rows whose risks are known (own records without them carry NaN); 0 when none are."""
    known = ~torch.isnan(target).any(dim=1)
    if not known.any():
        return logits.sum() * 0.0
    return loss(logits[known], target[known])


def for_taxonomy(config: TrainingConfig, dataset: DatasetDict, taxonomy: Taxonomy) -> DatasetDict:
    """The corpus splits in ``taxonomy``'s cause order, or no corpus at all when it cannot teach those causes.

    A taxonomy that keeps every built-in cause (and may add its own) trains on the corpus too; any other
    trains on the organisation's records alone, so it needs some (see `data.corpus_fits`).
    """
    if corpus_fits(taxonomy):
        return relabel_causes(dataset, taxonomy)
    if not (config.extra_data or config.feedback):
        raise TrainingConfigError(
            f"--taxonomy {config.taxonomy}: its causes are not a superset of the built-in ones, so the corpus "
            "(data/complaints) cannot teach them; pass records labelled with its cause ids with --extra_data "
            "and/or --feedback"
        )
    return empty_dataset()


def with_own_data(
    config: TrainingConfig, dataset: DatasetDict, taxonomy: Taxonomy | None = None
) -> tuple[DatasetDict, dict | None]:
    """The dataset with the --extra_data files and --feedback corrections joined (data.add_own_records).

    Read and checked against the trained taxonomy before anything slow starts, so a bad row stops the run at
    once. Without corpus rows the test split is the own test part's complete records (the blend, baselines and
    model card need one).
    """
    taxonomy = taxonomy or config.labels()
    if not (config.extra_data or config.feedback) or "own_test" in dataset:
        return dataset, None
    records = load_own_records(config.extra_data, config.feedback, config.feedback_url, taxonomy)
    own_only = len(dataset["train"]) == 0
    joined, info = add_own_records(dataset, records, config.seed, taxonomy)
    if own_only:
        # The blend, baselines and model card score "test", which needs every label: the complete own test
        # records; all of them are still reported under own_test.
        parts = dict(joined)
        parts["test"] = joined["own_test"].filter(
            lambda row: (
                row["sentiment_label"] != UNKNOWN_SENTIMENT and not any(math.isnan(v) for v in row["risk_labels"])
            )
        )
        joined = DatasetDict(parts)
        info["corpus"] = False
    info["hash"] = own_hash(records)
    return joined, info


def continued_model(folder: str, fresh: QuejasModelConfig) -> tuple[QuejasModel, PreTrainedTokenizerBase]:
    """The model of --from with a new name, version and no thresholds; refuses another label set.

    The architecture (base, text prefix, intensity head, dropout) is the folder's: only the weights move on.
    """
    source = ModelFolder(folder)
    stored = source.read_config()
    differing = [
        f"{name}: the folder has {', '.join(have)}, this corpus {', '.join(want)}"
        for name, have, want in (
            ("causes", stored.causes, fresh.causes),
            ("sentiments", stored.sentiments, SENTIMENT_IDS),
            ("risks", stored.risks, RISK_IDS),
        )
        if list(have) != list(want)
    ]
    if differing:
        raise TrainingConfigError(
            f"--from {source.path}: its labels differ from those trained ({'; '.join(differing)}); train from the "
            "base encoder instead"
        )
    model, tokenizer = load_model(source.path)
    model.config = fresh.model_copy(
        update={
            "base_model": stored.base_model,
            "text_prefix": stored.text_prefix,
            "dropout": stored.dropout,
            "intensity_head": stored.intensity_head,
            "intensity_source": "head" if stored.intensity_head else "polarity",
        }
    )
    return model, tokenizer


def score_split(
    model: QuejasModel,
    batcher: BatchTokenizer,
    split,
    config: TrainingConfig,
    device,
    thresholds=None,
    cache=None,
    taxonomy: Taxonomy | None = None,
):
    """Metrics on a split; thresholds default to ones tuned on that same split (used for model selection).

    With a cache of the split's frozen-layer states the split is read head+tail from the cache: the cheap
    per-epoch check. Final thresholds and reported metrics always use the full reading (windows included).
    With an intensity head, ``metrics["intensity"]`` holds its MAE and rank correlations (pipeline/intensity.py).
    """
    if cache is not None:
        probs = cached_probabilities(model, cache, device, config.eval_batch_size)
    else:
        probs = predict_probabilities(model, batcher, list(split["text"]), config.eval_batch_size, device)
    gold = label_arrays(split)
    if thresholds is None:
        thresholds = tune_all_thresholds(probs, gold, taxonomy or config.labels())
    metrics = metrics_at(probs, gold, thresholds, taxonomy or config.labels())
    if probs.intensity is not None:
        negative = gold["sentiment"] == SENTIMENT_IDS.index("negative")
        metrics["intensity"] = intensity_metrics(probs.intensity.astype(np.float64), gold["intensity"], negative)
    return metrics, thresholds


def selection_score(metrics: dict) -> float:
    """Early stopping watches the three tasks together, causes first among equals."""
    return (2 * metrics["cause_macro_f1"] + metrics["sentiment_macro_f1"] + metrics["risk_macro_f1"]) / 4


def _intensity_history(metrics: dict) -> dict:
    found = metrics.get("intensity") or {}
    return {f"dev_intensity_{k}": found.get(k) for k in ("mae", "spearman_negative")} if found else {}


def _intensity_note(metrics: dict) -> str:
    found = metrics.get("intensity") or {}
    if not found or found.get("mae") is None:
        return ""
    rank = found.get("spearman_negative")
    return f", intensity MAE {found['mae']:.3f}" + (f" rank corr. (negatives) {rank:.3f}" if rank is not None else "")


def point_latest(folder: Path) -> None:
    latest = folder.parent / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(folder.name, target_is_directory=True)


def train(config: TrainingConfig, dataset: DatasetDict, corpus_hash: str | None = None) -> TrainingResult:
    """Fine-tune, pick the best epoch on dev, tune thresholds on dev, report test, write the model folder."""
    started = time.perf_counter()
    taxonomy = config.labels()
    if "own_test" not in dataset:
        dataset = for_taxonomy(config, dataset, taxonomy)
    dataset, own_info = with_own_data(config, dataset, taxonomy)
    set_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)

    version = config.version or dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    fresh = QuejasModelConfig(
        name=f"{config.name_prefix}-{version}",
        version=version,
        base_model=config.base_model,
        causes=taxonomy.cause_ids,
        max_length=config.max_length,
        head_fraction=config.head_fraction,
        long_text_strategy=config.long_text_strategy,
        corpus_hash=corpus_hash,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    if config.from_model:
        model, tokenizer = continued_model(config.from_model, fresh)
    else:
        base_path = resolve_base_model(config.base_model)
        with_head = config.intensity_loss_weight > 0
        update = {
            "text_prefix": default_text_prefix(base_path),
            "intensity_head": with_head,
            "intensity_source": "head" if with_head else "polarity",
        }
        tokenizer = AutoTokenizer.from_pretrained(base_path)
        model = QuejasModel.from_base(base_path, fresh.model_copy(update=update))
    model_config = model.config
    batcher = BatchTokenizer(tokenizer, config.max_length, config.head_fraction, model_config.text_prefix)
    if config.freeze_word_embeddings:
        model.freeze_word_embeddings()
    if config.frozen_layers:
        model.freeze_lower_layers(config.frozen_layers)
    model.to(device)

    train_split = dataset["train"]
    if config.max_train_samples:
        train_split = train_split.select(range(min(config.max_train_samples, len(train_split))))
    if "own_train_partial" in dataset and len(dataset["own_train_partial"]):
        train_split = concatenate_datasets([train_split, dataset["own_train_partial"]])
    texts = list(train_split["text"])
    gold = label_arrays(train_split)
    lengths = [len(ids) for ids in batcher.token_ids(texts)]
    known_sentiment = gold["sentiment"][gold["sentiment"] != UNKNOWN_SENTIMENT]
    known_risk = gold["risk"][~np.isnan(gold["risk"]).any(axis=1)]
    cause_loss = nn.BCEWithLogitsLoss(pos_weight=positive_weights(gold["causes"]).to(device))
    risk_loss = nn.BCEWithLogitsLoss(pos_weight=positive_weights(known_risk).to(device))
    sentiment_loss = nn.CrossEntropyLoss(weight=class_weights(known_sentiment, len(SENTIMENT_IDS)).to(device))

    steps_per_epoch = math.ceil(len(texts) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    optimizer = build_optimizer(model, config)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total_steps * config.warmup_ratio), total_steps)
    rng = random.Random(config.seed)
    use_bf16 = config.bf16 and bf16_available(device)
    lower = dev_lower = None
    if config.frozen_layers:
        lower = LowerStateCache.build(
            model, batcher, texts, config.frozen_layers, device, config.eval_batch_size, use_bf16
        )
        dev_lower = LowerStateCache.build(
            model, batcher, list(dataset["dev"]["text"]), config.frozen_layers, device, config.eval_batch_size, use_bf16
        )

    has_dev = len(dataset["dev"]) > 0
    best_score, best_state, best_epoch, stale = -1.0, None, 0, 0
    history = []
    step = 0
    progress = tqdm(total=total_steps, desc="training", unit="step", dynamic_ncols=True)
    for epoch in range(1, config.epochs + 1):
        model.train()
        running = 0.0
        for batch_rows in length_bucketed_batches(lengths, config.batch_size, rng):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                if lower is not None:
                    states, mask = lower.batch(batch_rows, device)
                    out = model.forward_from_states(states, mask, lower.n_layers)
                else:
                    batch = {k: v.to(device) for k, v in batcher([texts[i] for i in batch_rows]).items()}
                    out = model(**batch)
            out = {k: v.float() for k, v in out.items()}
            loss = (
                cause_loss(out["causes"], torch.from_numpy(gold["causes"][batch_rows]).to(device))
                + config.sentiment_loss_weight
                * masked_sentiment_loss(
                    sentiment_loss, out["sentiment"], torch.from_numpy(gold["sentiment"][batch_rows]).to(device)
                )
                + config.risk_loss_weight
                * masked_risk_loss(risk_loss, out["risk"], torch.from_numpy(gold["risk"][batch_rows]).to(device))
            )
            if "intensity" in out:
                target = torch.from_numpy(gold["intensity"][batch_rows]).to(device)
                loss = loss + config.intensity_loss_weight * intensity_loss(out["intensity"], target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running = 0.9 * running + 0.1 * loss.item() if step > 1 else loss.item()
            progress.update(1)
            progress.set_postfix(epoch=epoch, loss=f"{running:.3f}")
            if step >= total_steps:
                break
        if has_dev:
            dev_metrics, _ = score_split(
                model, batcher, dataset["dev"], config, device, cache=dev_lower, taxonomy=taxonomy
            )
            score = selection_score(dev_metrics)
            history.append(
                {
                    "epoch": epoch,
                    "step": step,
                    "loss": running,
                    "dev_selection_score": score,
                    "dev_cause_macro_f1": dev_metrics["cause_macro_f1"],
                    "dev_sentiment_macro_f1": dev_metrics["sentiment_macro_f1"],
                    **_intensity_history(dev_metrics),
                }
            )
            progress.write(
                f"epoch {epoch}: loss {running:.3f}, dev cause macro-F1 {dev_metrics['cause_macro_f1']:.3f}, "
                f"sentiment macro-F1 {dev_metrics['sentiment_macro_f1']:.3f}, risk macro-F1 "
                f"{dev_metrics['risk_macro_f1']:.3f}{_intensity_note(dev_metrics)}"
            )
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            else:
                stale += 1
                if stale >= config.patience:
                    progress.write(f"early stopping: no dev improvement for {stale} epochs (best epoch {best_epoch})")
                    break
        if step >= total_steps:
            break
    progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)

    # Thresholds are tuned on dev only; test is scored once with them and never feeds back.
    if has_dev:
        dev_metrics, thresholds = score_split(model, batcher, dataset["dev"], config, device, taxonomy=taxonomy)
    else:
        dev_metrics, thresholds = {}, ({c: 0.5 for c in taxonomy.cause_ids}, {r: 0.5 for r in RISK_IDS})
    model.config.cause_thresholds, model.config.risk_thresholds = thresholds
    test_metrics = (
        score_split(model, batcher, dataset["test"], config, device, thresholds, taxonomy=taxonomy)[0]
        if len(dataset["test"])
        else {}
    )
    seconds = time.perf_counter() - started

    folder = Path(config.output_dir) / model_config.name
    save_model(model, tokenizer, folder)
    ModelFolder(folder).write_taxonomy(taxonomy)  # before the steps below, which load the folder with its labels
    metrics = {
        "model": model_config.name,
        "test": test_metrics,
        "dev": dev_metrics,
        "best_epoch": best_epoch,
        "history": history,
        "training_seconds": round(seconds, 1),
        "device": str(device),
        "bf16": use_bf16,
        "threads": torch.get_num_threads(),
        "train_examples": len(texts),
        "config": asdict(config),
    }
    if own_info is not None:
        metrics["own_data"] = own_info
    metrics = finish_model_folder(folder, dataset, config, metrics)
    if config.update_latest:
        point_latest(folder)
    return TrainingResult(folder=folder, metrics=metrics, seconds=seconds)
