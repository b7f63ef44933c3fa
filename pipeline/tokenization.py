"""Turning texts into padded token batches, with head+tail and window handling of long complaints.

Complaints state the problem early and put threats ("los denuncio", "me doy de baja") and the
signature at the end, so a plain right-truncation would throw away exactly the risk cues. Texts
longer than ``max_length`` keep their first ``head_fraction`` and their last tokens instead; the
same rule is used in training and inference so the model sees at run time what it learned from.

Head+tail still drops the middle, and long complaints often name a second or third cause there (the
wrong size, then the three calls, then the refund). The ``windows`` strategy therefore also reads
overlapping ``max_length`` windows covering the whole text and takes each cause's highest
probability over them; sentiment and risk keep the head+tail reading, whose cues sit at the ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from transformers import PreTrainedTokenizerBase

from pipeline.errors import ConfigurationError


@dataclass
class BatchTokenizer:
    tokenizer: PreTrainedTokenizerBase
    max_length: int = 128
    head_fraction: float = 0.5
    prefix: str = ""
    _specials: tuple[list[int], list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_length < 8:
            raise ConfigurationError(f"max_length={self.max_length} is too small to hold a complaint; use 64 or more")
        if not 0.0 < self.head_fraction < 1.0:
            raise ConfigurationError("head_fraction must be between 0 and 1 (e.g. 0.5 keeps half head, half tail)")
        # Works for any tokenizer: <s> … </s> (XLM-R, E5) or [CLS] … [SEP] (BERT).
        with_specials = self.tokenizer("", add_special_tokens=True)["input_ids"]
        split = 1 if with_specials else 0
        self._specials = (with_specials[:split], with_specials[split:])

    @property
    def content_length(self) -> int:
        return self.max_length - len(self._specials[0]) - len(self._specials[1])

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Content ids (no special tokens) of each text, before any truncation."""
        prefixed = [self.prefix + t for t in texts]
        return self.tokenizer(prefixed, add_special_tokens=False, truncation=False)["input_ids"]

    def fit(self, ids: list[int]) -> tuple[list[int], bool]:
        """Head+tail cut of one sequence; returns the ids with specials and whether anything was dropped."""
        limit = self.content_length
        truncated = len(ids) > limit
        if truncated:
            head = int(limit * self.head_fraction)
            ids = ids[:head] + ids[len(ids) - (limit - head) :]
        first, last = self._specials
        return first + ids + last, truncated

    def windows(self, ids: list[int]) -> list[list[int]]:
        """Overlapping windows (stride half a window) that together cover every token; specials added.

        Half-window overlap means a cue phrase cut by one window's edge sits whole in the next one.
        """
        limit = self.content_length
        first, last = self._specials
        if len(ids) <= limit:
            return [first + ids + last]
        stride = max(1, limit // 2)
        starts = list(range(0, len(ids) - limit + 1, stride))
        if starts[-1] != len(ids) - limit:
            starts.append(len(ids) - limit)
        return [first + ids[s : s + limit] + last for s in starts]

    def __call__(self, texts: list[str]) -> dict[str, torch.Tensor]:
        return self.pad([self.fit(ids)[0] for ids in self.token_ids(texts)])

    def pad(self, sequences: list[list[int]]) -> dict[str, torch.Tensor]:
        """Right-pad ready sequences (specials included) into input ids and an attention mask."""
        width = max(len(s) for s in sequences)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
        attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            attention_mask[row, : len(seq)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}
