"""Training on cached frozen-layer states must compute what the full encoder computes."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer

from pipeline.model import QuejasModel, transformer_blocks
from pipeline.model_config import QuejasModelConfig
from pipeline.state_cache import LowerStateCache
from pipeline.tokenization import BatchTokenizer

TEXTS = [
    "El pedido no llega y nadie contesta el teléfono.",
    "Me cobraron dos veces la factura de marzo, quiero el reembolso ya.",
    "Gracias",
]


@pytest.fixture()
def tiny(tiny_base):
    torch.manual_seed(0)
    model = QuejasModel.from_base(str(tiny_base), QuejasModelConfig(name="t", version="t", base_model="t"))
    batcher = BatchTokenizer(AutoTokenizer.from_pretrained(tiny_base), max_length=32)
    return model.eval(), batcher


@pytest.mark.parametrize("n_layers", [0, 1, 2])
def test_forward_from_cached_states_matches_full_forward(tiny, n_layers):
    model, batcher = tiny
    batch = batcher(TEXTS)
    full = model(**batch)
    cache = LowerStateCache.build(model, batcher, TEXTS, n_layers, torch.device("cpu"), batch_size=2)
    states, mask = cache.batch([0, 1, 2], torch.device("cpu"))
    assert torch.equal(mask, batch["attention_mask"])
    cached = model.forward_from_states(states, mask, n_layers)
    for head in ("causes", "sentiment", "risk"):
        torch.testing.assert_close(cached[head], full[head], rtol=1e-4, atol=1e-5)


def test_cache_keeps_each_text_unpadded(tiny):
    model, batcher = tiny
    cache = LowerStateCache.build(model, batcher, TEXTS, 1, torch.device("cpu"))
    lengths = [len(batcher.fit(ids)[0]) for ids in batcher.token_ids(TEXTS)]
    assert [s.shape[0] for s in cache.states] == lengths


def test_freeze_lower_layers_rejects_more_layers_than_the_encoder_has(tiny):
    model, _ = tiny
    with pytest.raises(ValueError, match="cannot freeze 3 layers"):
        model.freeze_lower_layers(3)


def test_training_with_frozen_layers_moves_only_the_upper_blocks(tiny_base, tiny_dataset, tmp_path):
    from pipeline.train import train
    from pipeline.training_args import TrainingConfig

    config = TrainingConfig(
        base_model=str(tiny_base),
        output_dir=str(tmp_path),
        version="frozen",
        max_length=64,
        epochs=1,
        max_steps=6,
        frozen_layers=1,
        update_latest=False,
        run_baselines=False,
        lexical_blend=False,
        device="cpu",
    )
    folder = train(config, tiny_dataset).folder
    fresh = QuejasModel.from_base(str(tiny_base), QuejasModelConfig(name="b", version="b", base_model="b"))
    before = fresh.state_dict()
    after = load_file(str(folder / "model.safetensors"))
    lower = [k for k in before if k.startswith("encoder.encoder.layer.0.") or k.startswith("encoder.embeddings.")]
    upper = [k for k in before if k.startswith("encoder.encoder.layer.1.") and k.endswith("weight")]
    assert lower and upper
    assert all(torch.equal(before[k], after[k]) for k in lower)
    assert any(not torch.equal(before[k], after[k]) for k in upper)


def test_encoders_without_a_block_stack_are_recognised():
    assert transformer_blocks(torch.nn.Linear(2, 2)) is None
