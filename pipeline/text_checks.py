"""Whether a string is text worth analysing: shared by `quejas label` and the HTTP API so both agree.

"12345", "!!!???" or a zero-width space hold no words; the model would still return causes and a
sentiment for them, which an analyst or a helpdesk tool would take as a judgement about a complaint.
"""

from __future__ import annotations


def has_letters(text: str) -> bool:
    """True when ``text`` holds at least one letter of any script."""
    return any(ch.isalpha() for ch in text)
