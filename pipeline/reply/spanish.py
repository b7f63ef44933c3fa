"""Spanish lists ("a, b y c", "rápido e inútil"), kept within a word budget.

Every part of a draft that names several causes or steps goes through these, so the conjunction and
the budget are decided in one place.
"""

from __future__ import annotations

import re

from pipeline.wording import word_count


def join_es(items: list[str]) -> str:
    """ "a, b y c"; "y" becomes "e" before an /i/ sound ("rápido e inútil")."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = items[-1]
    conjunction = "e" if re.match(r"(?i)h?i(?![aeiouáéó])", last) else "y"
    return f"{', '.join(items[:-1])} {conjunction} {last}"


def join_within(items: list[str], budget: int, rest: str | None = None) -> str:
    """Join as many items as fit in ``budget`` words (at least one); ``rest`` stands for the ones left out."""
    chosen: list[str] = []
    for item in items:
        if chosen and word_count(join_es(chosen + [item])) > budget:
            break
        chosen.append(item)
    if rest and len(chosen) < len(items):
        chosen.append(rest)
    return join_es(chosen)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
