"""Token states of the frozen lower encoder, computed once per training text.

Fine-tuning every block of a 12-layer encoder costs most of a CPU training run. With the lower blocks
frozen their output for a given text never changes, so computing it once and running only the upper
blocks at each step makes the step cheaper in proportion to the blocks frozen, with the same result as
running the frozen blocks every time (they are deterministic in eval mode).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from pipeline.inference import Probabilities
from pipeline.model import QuejasModel
from pipeline.tokenization import BatchTokenizer


@dataclass
class LowerStateCache:
    """One ``[tokens, hidden]`` tensor per training text (head+tail cut, no padding), kept on the CPU."""

    states: list[torch.Tensor]
    n_layers: int

    @classmethod
    @torch.inference_mode()
    def build(
        cls,
        model: QuejasModel,
        batcher: BatchTokenizer,
        texts: list[str],
        n_layers: int,
        device: torch.device,
        batch_size: int = 64,
        bf16: bool = False,
    ) -> LowerStateCache:
        was_training = model.training
        model.eval()
        sequences = [batcher.fit(ids)[0] for ids in batcher.token_ids(texts)]
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        states: list[torch.Tensor | None] = [None] * len(sequences)
        for start in tqdm(range(0, len(order), batch_size), desc="frozen layers", unit="batch", leave=False):
            rows = order[start : start + batch_size]
            batch = {k: v.to(device) for k, v in batcher.pad([sequences[i] for i in rows]).items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                out = model.lower_states(batch["input_ids"], batch["attention_mask"], n_layers)
            for row, i in enumerate(rows):
                states[i] = out[row, : len(sequences[i])].float().cpu().clone()
        model.train(was_training)
        return cls(states=[s for s in states if s is not None], n_layers=n_layers)

    def batch(self, rows: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded states and attention mask for the given training rows."""
        width = max(self.states[i].shape[0] for i in rows)
        hidden = self.states[rows[0]].shape[1]
        states = torch.zeros((len(rows), width, hidden), dtype=torch.float32)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, i in enumerate(rows):
            length = self.states[i].shape[0]
            states[k, :length] = self.states[i]
            mask[k, :length] = 1
        return states.to(device), mask.to(device)


@torch.inference_mode()
def cached_probabilities(
    model: QuejasModel, cache: LowerStateCache, device: torch.device, batch_size: int = 64
) -> Probabilities:
    """Head outputs for every cached text (head+tail reading only): the cheap per-epoch dev check."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(cache.states)), key=lambda i: cache.states[i].shape[0])
    outputs: dict[str, list] = {"causes": [], "sentiment": [], "risk": [], "intensity": []}
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        states, mask = cache.batch(rows, device)
        out = model.forward_from_states(states, mask, cache.n_layers)
        outputs["causes"].append(torch.sigmoid(out["causes"]).float().cpu())
        outputs["sentiment"].append(torch.softmax(out["sentiment"], dim=-1).float().cpu())
        outputs["risk"].append(torch.sigmoid(out["risk"]).float().cpu())
        if "intensity" in out:
            outputs["intensity"].append(out["intensity"].reshape(-1).float().cpu())
    model.train(was_training)
    inverse = torch.empty(len(order), dtype=torch.long)
    inverse[torch.tensor(order)] = torch.arange(len(order))
    stacked = {k: torch.cat(v)[inverse].numpy() for k, v in outputs.items() if v}
    return Probabilities(
        causes=stacked["causes"],
        sentiment=stacked["sentiment"],
        risk=stacked["risk"],
        intensity=stacked.get("intensity"),
    )
