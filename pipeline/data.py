"""Fixed train/dev/test splits and the ``datasets.DatasetDict`` the trainer consumes.

Splits are stored as lists of ids in ``data/splits.json`` so they never change silently when the
corpus is re-read or re-ordered; new records are added to a split without moving old ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from datasets import Dataset, DatasetDict, Features, Value, concatenate_datasets
from datasets import Sequence as ListFeature

from pipeline import paths
from pipeline.corpus import CorpusRecord, RealRecord, load_real_records, load_records
from pipeline.errors import InputDataError
from pipeline.own_data import OwnRecord
from pipeline.taxonomy import CAUSE_IDS, RISK_IDS, SENTIMENT_IDS, TAXONOMY, Taxonomy

SPLIT_NAMES = ("train", "dev", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
# A sentiment label that adds no loss (torch's CrossEntropyLoss ignore_index); unknown risks are NaN.
UNKNOWN_SENTIMENT = -100


def cause_vector(causes: list[str], taxonomy: Taxonomy = TAXONOMY) -> list[float]:
    return [1.0 if cause in causes else 0.0 for cause in taxonomy.cause_ids]


def risk_vector(record: CorpusRecord) -> list[float]:
    return [float(getattr(record.risk, risk)) for risk in RISK_IDS]


def _stratification_targets(records: list[CorpusRecord]) -> np.ndarray:
    """Everything we want balanced across splits: causes, no-cause, sentiment and risk."""
    rows = []
    for r in records:
        sentiment = [1.0 if r.sentiment == s else 0.0 for s in SENTIMENT_IDS]
        rows.append(cause_vector(r.causes) + [0.0 if r.causes else 1.0] + sentiment + risk_vector(r))
    return np.array(rows)


def stratified_split(ids: list[str], targets: np.ndarray, seed: int = 13) -> dict[str, list[str]]:
    """80/10/10 with iterative stratification (Sechidis et al.), the standard for multi-label data."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    id_array = np.array(ids)
    if len(ids) < 10:
        # Too few to stratify: keep everything in train so tiny corpora still train.
        return {"train": sorted(ids), "dev": [], "test": []}
    held_out = SPLIT_FRACTIONS[1] + SPLIT_FRACTIONS[2]
    first = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=held_out, random_state=seed)
    train_idx, rest_idx = next(first.split(id_array, targets))
    second = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=SPLIT_FRACTIONS[2] / held_out, random_state=seed)
    dev_rel, test_rel = next(second.split(id_array[rest_idx], targets[rest_idx]))
    return {
        "train": sorted(id_array[train_idx].tolist()),
        "dev": sorted(id_array[rest_idx][dev_rel].tolist()),
        "test": sorted(id_array[rest_idx][test_rel].tolist()),
    }


def stratified_assign(records: list[CorpusRecord], seed: int = 13) -> dict[str, list[str]]:
    """`stratified_split` of corpus records over causes, no-cause, sentiment and risk."""
    return stratified_split([r.id for r in records], _stratification_targets(records), seed)


def make_splits(
    records: list[CorpusRecord], existing: dict[str, list[str]] | None = None, seed: int = 13
) -> dict[str, list[str]]:
    """Assign records to splits; records already assigned keep their split forever."""
    existing = existing or {name: [] for name in SPLIT_NAMES}
    assigned = {i for name in SPLIT_NAMES for i in existing.get(name, [])}
    new_records = [r for r in records if r.id not in assigned]
    additions = stratified_assign(new_records, seed=seed) if new_records else {n: [] for n in SPLIT_NAMES}
    return {name: sorted(existing.get(name, []) + additions[name]) for name in SPLIT_NAMES}


def read_splits(path: Path | None = None) -> dict[str, list[str]]:
    path = path or paths.splits_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; create it with `quejas split`")
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    return {name: list(raw[name]) for name in SPLIT_NAMES}


def write_splits(splits: dict[str, list[str]], path: Path | None = None) -> None:
    payload = {
        "method": "iterative stratification over causes, no-cause, sentiment and risk; 80/10/10",
        **{name: splits[name] for name in SPLIT_NAMES},
    }
    path = path or paths.splits_path()
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def check_splits(records: Sequence[CorpusRecord | RealRecord], path: Path | None = None) -> list[str]:
    """Problems with the stored splits: missing file, overlaps, unknown or unassigned ids."""
    try:
        splits = read_splits(path)
    except FileNotFoundError as exc:
        return [str(exc)]
    errors = []
    ids = {r.id for r in records}
    seen: dict[str, str] = {}
    for name in SPLIT_NAMES:
        for record_id in splits[name]:
            if record_id in seen:
                errors.append(f"{record_id} is in both {seen[record_id]} and {name}")
            seen[record_id] = name
    unknown = sorted(set(seen) - ids)
    unassigned = sorted(ids - set(seen))
    if unknown:
        errors.append(f"{len(unknown)} split ids are not in the corpus, e.g. {unknown[:3]}")
    if unassigned:
        errors.append(f"{len(unassigned)} records are in no split, e.g. {unassigned[:3]}; run `quejas split`")
    return errors


def corpus_hash(records: list[CorpusRecord]) -> str:
    """A content hash stored with each model so a model can name the exact data it was trained on."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.id):
        digest.update(record.model_dump_json().encode("utf-8"))
    return digest.hexdigest()[:16]


def to_example(record: CorpusRecord) -> dict:
    return {
        "id": record.id,
        "text": record.text,
        "cause_labels": cause_vector(record.causes),
        "sentiment_label": SENTIMENT_IDS.index(record.sentiment),
        "sentiment_score": float(record.sentiment_score),
        "risk_labels": risk_vector(record),
        "group": record.group,
        "sector": record.sector,
        "channel": record.channel,
        "origin": "real" if isinstance(record, RealRecord) else "corpus",
    }


def label_arrays(split: Dataset) -> dict[str, np.ndarray]:
    """Gold labels of a split as arrays: multi-hot causes, sentiment class ids, multi-hot risks, intensity.

    ``intensity`` is the labelled sentiment_score (the regression target); NaN where a split has none, so
    such rows train and score everything else and are left out of the intensity loss and metrics only.
    Own records without a sentiment carry `UNKNOWN_SENTIMENT`, without risks a row of NaN (only in the
    ``own_train_partial`` and ``own_test`` splits; see `add_own_records`).
    """
    if "sentiment_score" in split.column_names:
        scores = [np.nan if v is None else v for v in split["sentiment_score"]]
        intensity = np.array(scores, dtype=np.float32)
    else:
        intensity = np.full(len(split), np.nan, dtype=np.float32)
    causes = np.array(split["cause_labels"], dtype=np.float32)
    # As many cause columns as the data has: a model trained on its own taxonomy has its own number of causes.
    return {
        "causes": causes.reshape(len(split), -1) if len(split) else causes.reshape(0, len(CAUSE_IDS)),
        "sentiment": np.array(split["sentiment_label"], dtype=np.int64),
        "risk": np.array(split["risk_labels"], dtype=np.float32).reshape(len(split), len(RISK_IDS)),
        "intensity": intensity,
    }


def build_dataset(records: Sequence[CorpusRecord | RealRecord], splits: dict[str, list[str]]) -> DatasetDict:
    by_id = {r.id: r for r in records}
    missing = [i for name in SPLIT_NAMES for i in splits[name] if i not in by_id]
    if missing:
        raise InputDataError(f"splits name {len(missing)} ids missing from the corpus, e.g. {missing[:3]}")
    return DatasetDict({name: Dataset.from_list([to_example(by_id[i]) for i in splits[name]]) for name in SPLIT_NAMES})


def load_dataset_dict(splits_path: Path | None = None, include_real: bool = True) -> DatasetDict:
    """The corpus as train/dev/test with multi-hot cause and risk labels and a sentiment class id.

    With the labelled real set (data/real) present and ``include_real``, its train and dev parts join the
    corpus train and dev splits, so the model learns from real text and every choice made on dev (early
    stopping, blend weights, thresholds) weighs it too; ``test`` stays the corpus test split so results
    remain comparable across models, and ``real_dev`` / ``real_test`` hold the real parts on their own.
    """
    records = load_records()
    errors = check_splits(records, splits_path)
    if errors:
        raise InputDataError("the stored splits do not match the corpus: " + "; ".join(errors))
    corpus = build_dataset(records, read_splits(splits_path))
    real_records = load_real_records() if include_real else []
    if not real_records:
        return corpus
    errors = check_splits(real_records, paths.real_splits_path())
    if errors:
        raise InputDataError("the stored real-set splits do not match data/real: " + "; ".join(errors))
    real = build_dataset(real_records, read_splits(paths.real_splits_path()))
    return DatasetDict(
        {
            "train": concatenate_datasets([corpus["train"], real["train"]]),
            "dev": concatenate_datasets([corpus["dev"], real["dev"]]),
            "test": corpus["test"],
            "corpus_dev": corpus["dev"],
            "real_dev": real["dev"],
            "real_test": real["test"],
        }
    )


def dataset_hash(include_real: bool = True) -> str:
    """`corpus_hash` over everything a model trains and is tuned on."""
    records: list[CorpusRecord] = list(load_records())
    if include_real:
        records += load_real_records()
    return corpus_hash(records)


def own_example(record: OwnRecord, taxonomy: Taxonomy = TAXONOMY) -> dict:
    """An own record in the columns of `to_example`; unknown labels as `UNKNOWN_SENTIMENT`, NaN and None."""
    risks = [float("nan")] * len(RISK_IDS) if record.risks is None else [float(flag) for flag in record.risks]
    return {
        "id": record.id,
        "text": record.text,
        "cause_labels": cause_vector(list(record.causes), taxonomy),
        "sentiment_label": UNKNOWN_SENTIMENT if record.sentiment is None else SENTIMENT_IDS.index(record.sentiment),
        "sentiment_score": record.sentiment_score,
        "risk_labels": risks,
        "group": taxonomy.group_of(list(record.causes)),
        "sector": record.sector,
        "channel": "own",
        "origin": "own",
    }


def _own_targets(records: list[OwnRecord], taxonomy: Taxonomy) -> np.ndarray:
    """Causes, no-cause and whether the record is complete are balanced across the own splits."""
    return np.array(
        [cause_vector(list(r.causes), taxonomy) + [float(not r.causes), float(r.complete)] for r in records]
    )


def add_own_records(
    dataset: DatasetDict, records: list[OwnRecord], seed: int = 13, taxonomy: Taxonomy = TAXONOMY
) -> tuple[DatasetDict, dict]:
    """Join a company's own records to the dataset, with their own stratified 80/10/10 split.

    Complete records (causes, sentiment and risks) of the train part join ``train``, of the dev part ``dev``
    (so early stopping, blend weights and thresholds weigh them) and ``own_dev``. Records lacking a sentiment
    or risks go to ``own_train_partial`` instead (train and dev parts alike): the encoder learns from them
    with those losses masked, while the blend, the baselines and every choice made on dev, which need all
    labels, never see a made-up one. The test part of both kinds is ``own_test``, reported apart from the
    corpus. Returns the dataset and what metrics.json records about the split.
    """
    split = stratified_split([r.id for r in records], _own_targets(records, taxonomy), seed)
    by_id = {r.id: r for r in records}
    train_ids = [i for i in split["train"] if by_id[i].complete]
    dev_ids = [i for i in split["dev"] if by_id[i].complete]
    partial_ids = [i for i in split["train"] + split["dev"] if not by_id[i].complete]
    template = dataset["train"]

    def part(ids: list[str]) -> Dataset:
        if not ids:
            return template.select([])
        return Dataset.from_list([own_example(by_id[i], taxonomy) for i in ids], features=template.features)

    joined = dict(dataset)
    joined["train"] = concatenate_datasets([dataset["train"], part(train_ids)])
    joined["dev"] = concatenate_datasets([dataset["dev"], part(dev_ids)])
    joined.update(own_dev=part(dev_ids), own_test=part(split["test"]), own_train_partial=part(partial_ids))
    info = {
        "sources": sorted({r.source for r in records}),
        "records": len(records),
        "complete": sum(r.complete for r in records),
        "split_seed": seed,
        "split": {
            "train": len(train_ids),
            "train_partial": len(partial_ids),
            "dev": len(dev_ids),
            "test": len(split["test"]),
        },
    }
    return DatasetDict(joined), info


# The columns of `to_example`, for a dataset that starts empty (a taxonomy the corpus cannot teach).
EXAMPLE_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "cause_labels": ListFeature(Value("float64")),
        "sentiment_label": Value("int64"),
        "sentiment_score": Value("float64"),
        "risk_labels": ListFeature(Value("float64")),
        "group": Value("string"),
        "sector": Value("string"),
        "channel": Value("string"),
        "origin": Value("string"),
    }
)


def corpus_fits(taxonomy: Taxonomy) -> bool:
    """Whether the corpus (and the real set) can train this taxonomy: it has every cause they are labelled with.

    Their records then count as negatives for the taxonomy's added causes. A taxonomy that drops or renames
    built-in causes trains on the organisation's own records alone: a corpus label it lacks would be lost,
    and one it renamed would teach the wrong thing.
    """
    return set(CAUSE_IDS) <= set(taxonomy.cause_ids)


def relabel_causes(dataset: DatasetDict, taxonomy: Taxonomy) -> DatasetDict:
    """Corpus splits with their cause columns in the order of ``taxonomy`` (a superset of the built-in causes)."""
    if taxonomy.cause_ids == CAUSE_IDS:
        return dataset
    if not corpus_fits(taxonomy):
        raise InputDataError("the corpus cannot be relabelled to a taxonomy that lacks some of its causes")
    order = [CAUSE_IDS.index(c) if c in CAUSE_IDS else -1 for c in taxonomy.cause_ids]

    def move(example: dict) -> dict:
        labels = example["cause_labels"]
        return {"cause_labels": [labels[j] if j >= 0 else 0.0 for j in order]}

    return DatasetDict({name: split.map(move) for name, split in dataset.items()})


def empty_dataset() -> DatasetDict:
    """Train, dev and test with the columns of `to_example` and no rows, for own records to join."""
    empty: dict[str, list] = {column: [] for column in EXAMPLE_FEATURES}
    return DatasetDict({name: Dataset.from_dict(empty, features=EXAMPLE_FEATURES) for name in SPLIT_NAMES})
