"""Session fixtures: a tiny random BERT + tokenizer built on the spot, and a tiny trained quejas model.

Nothing here needs the real encoder or a model hub, so the default suite runs anywhere in minutes;
the tiny model goes through exactly the same train/save/load code path as the real one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordPiece
from tokenizers.processors import TemplateProcessing
from tokenizers.trainers import WordPieceTrainer
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from pipeline.corpus import load_records
from pipeline.data import build_dataset, read_splits

# The browser tests' shared fixtures (a plugin of test_web*.py) get pytest's assertion messages too.
pytest.register_assert_rewrite("web_fixtures")

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_base(folder: Path, texts: list[str]) -> Path:
    """A 2-layer, 32-wide BERT with a WordPiece vocabulary learned from ``texts``."""
    tokenizer = Tokenizer(WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts, WordPieceTrainer(vocab_size=2000, special_tokens=SPECIALS))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        pad_token_id=tokenizer.token_to_id("[PAD]"),
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def corpus_records():
    return load_records()


@pytest.fixture(scope="session")
def tiny_dataset(corpus_records):
    """A small slice of the real splits: enough examples of every label to exercise training and tuning."""
    splits = read_splits()
    small = {"train": splits["train"][:240], "dev": splits["dev"][:80], "test": splits["test"][:80]}
    return build_dataset(corpus_records, small)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, corpus_records) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-base"), [r.text for r in corpus_records])


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_base, tiny_dataset) -> Path:
    """A tiny quejas model trained for a few steps; the folder every analyzer/CLI/API test loads."""
    from pipeline.train import train
    from pipeline.training_args import TrainingConfig

    out = tmp_path_factory.mktemp("models")
    config = TrainingConfig(
        base_model=str(tiny_base),
        output_dir=str(out),
        version="test",
        max_length=64,
        batch_size=16,
        epochs=2,
        max_steps=24,
        update_latest=True,
        run_baselines=False,
        device="cpu",
        head_learning_rate=5e-3,
        frozen_layers=1,  # the cached-lower-blocks path the real model trains with, on one of the two blocks
    )
    return train(config, tiny_dataset, corpus_hash="test").folder


@pytest.fixture(scope="module")
def analyzer(tiny_model):
    """The tiny model loaded once per test module: a module that patches its analyzer keeps that to itself."""
    from pipeline.analyzer import Analyzer

    return Analyzer.load(tiny_model, device="cpu")


@pytest.fixture(scope="session", autouse=True)
def feedback_store_in_tmp(tmp_path_factory):
    """Services started by any test keep corrections in the session's temporary folder, not the user's."""
    import os

    previous = os.environ.get("QUEJAS_FEEDBACK_URL")
    os.environ["QUEJAS_FEEDBACK_URL"] = f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.db'}"
    yield
    if previous is None:
        os.environ.pop("QUEJAS_FEEDBACK_URL", None)
    else:
        os.environ["QUEJAS_FEEDBACK_URL"] = previous


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL server for the session (tests/postgres_server.py)."""
    from postgres_server import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def feedback_url(request, tmp_path) -> str:
    """A fresh, empty store URL on each backend the feedback store supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.db'}"
    return request.getfixturevalue("postgres").new_database()
