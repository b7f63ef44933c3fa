"""Model building blocks: head+tail and window tokenization, pooling, devices and the model folder round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from pipeline.model import load_model, mean_pool, resolve_device, save_model
from pipeline.model_folder import ModelFolder
from pipeline.tokenization import BatchTokenizer


@pytest.fixture(scope="module")
def tokenizer(tiny_base):
    return AutoTokenizer.from_pretrained(tiny_base)


def test_short_text_is_kept_whole(tokenizer):
    batcher = BatchTokenizer(tokenizer, max_length=32)
    ids = batcher.token_ids(["el pedido no llega"])[0]
    sequence, truncated = batcher.fit(ids)
    assert not truncated
    assert sequence[1:-1] == ids
    assert sequence[0] == tokenizer.cls_token_id and sequence[-1] == tokenizer.sep_token_id


def test_long_text_keeps_head_and_tail(tokenizer):
    batcher = BatchTokenizer(tokenizer, max_length=20, head_fraction=0.5)
    text = " ".join(f"palabra{i}" for i in range(40)) + " abogado"
    ids = batcher.token_ids([text])[0]
    sequence, truncated = batcher.fit(ids)
    assert truncated and len(sequence) == 20
    content = sequence[1:-1]
    assert content[:9] == ids[:9]
    assert content[9:] == ids[-9:]  # the tail, where threats like "abogado" sit, survives
    batch = batcher([text, "hola"])
    assert batch["input_ids"].shape == (2, 20)
    assert batch["attention_mask"][1].sum().item() == len(batcher.fit(batcher.token_ids(["hola"])[0])[0])


def test_windows_cover_every_token_with_half_overlap(tokenizer):
    batcher = BatchTokenizer(tokenizer, max_length=20)
    ids = batcher.token_ids([" ".join(f"palabra{i}" for i in range(40))])[0]
    windows = batcher.windows(ids)
    limit = batcher.content_length
    assert len(ids) > 2 * limit and len(windows) >= 3
    contents = [w[1:-1] for w in windows]
    assert all(len(w) == 20 and w[0] == tokenizer.cls_token_id and w[-1] == tokenizer.sep_token_id for w in windows)
    assert contents[0] == ids[:limit] and contents[-1] == ids[-limit:]
    starts = [next(i for i in range(len(ids)) if ids[i : i + limit] == content) for content in contents]
    assert starts == sorted(starts) and all(b - a <= limit // 2 for a, b in zip(starts, starts[1:]))
    covered = {i for start in starts for i in range(start, start + limit)}
    assert covered == set(range(len(ids)))
    short = batcher.token_ids(["hola"])[0]
    assert batcher.windows(short) == [batcher.fit(short)[0]]


def test_windows_strategy_reads_causes_over_windows_and_the_rest_head_tail(tiny_model):
    from pipeline.inference import predict_probabilities

    model, tokenizer = load_model(tiny_model)
    assert model.config.long_text_strategy == "windows"
    batcher = BatchTokenizer(tokenizer, model.config.max_length)
    long_text = " ".join(["El pedido llegó tarde y roto."] * 6 + ["Nadie contesta el teléfono."] * 6)
    texts = [long_text, "me cobraron dos veces"]
    ids = batcher.token_ids([long_text])[0]
    assert len(ids) > batcher.content_length
    with torch.inference_mode():
        windows = model(**batcher.pad(batcher.windows(ids)))
        whole = model(**batcher(texts))
        probs = predict_probabilities(model, batcher, texts, batch_size=2)
    expected_long = torch.sigmoid(windows["causes"]).max(dim=0).values.numpy()
    assert np.allclose(probs.causes[0], expected_long, atol=1e-5)
    assert not np.allclose(probs.causes[0], torch.sigmoid(whole["causes"][0]).numpy(), atol=1e-3)
    assert np.allclose(probs.causes[1], torch.sigmoid(whole["causes"][1]).numpy(), atol=1e-5)
    assert np.allclose(probs.sentiment, torch.softmax(whole["sentiment"], -1).numpy(), atol=1e-5)
    assert np.allclose(probs.risk, torch.sigmoid(whole["risk"]).numpy(), atol=1e-5)
    model.config.long_text_strategy = "head+tail"
    head_tail = predict_probabilities(model, batcher, texts, batch_size=2)
    assert np.allclose(head_tail.causes, torch.sigmoid(whole["causes"]).numpy(), atol=1e-5)


def test_prefix_is_added(tokenizer):
    plain = BatchTokenizer(tokenizer, max_length=32).token_ids(["hola"])[0]
    prefixed = BatchTokenizer(tokenizer, max_length=32, prefix="query: ").token_ids(["hola"])[0]
    assert len(prefixed) > len(plain) and prefixed[-len(plain) :] == plain


@pytest.mark.parametrize("kwargs", [{"max_length": 4}, {"head_fraction": 1.0}, {"head_fraction": 0.0}])
def test_bad_tokenizer_settings_are_refused(tokenizer, kwargs):
    with pytest.raises(ValueError):
        BatchTokenizer(tokenizer, **kwargs)


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.allclose(mean_pool(hidden, mask), torch.tensor([[2.0, 3.0]]))


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")


def test_save_load_round_trip_gives_identical_outputs(tiny_model, tmp_path):
    model, tokenizer = load_model(tiny_model)
    batcher = BatchTokenizer(tokenizer, model.config.max_length)
    batch = batcher(["me cobraron dos veces la factura", "gracias por todo"])
    with torch.inference_mode():
        before = model(**batch)
    save_model(model, tokenizer, tmp_path / "copy")
    again, _ = load_model(tmp_path / "copy")
    with torch.inference_mode():
        after = again(**batch)
    for head in ("causes", "sentiment", "risk"):
        assert torch.equal(before[head], after[head])
    assert ModelFolder(tmp_path / "copy").read_config() == model.config


def test_loading_a_non_model_folder_explains(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a quejas model folder"):
        load_model(tmp_path)
