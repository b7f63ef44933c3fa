"""Where a reply goes: the reply channels, and the one read from where a message came from.

A reply to a review on Google, TripAdvisor or an app store cannot move to a private message (there is
none there), while a reply to a tweet can: both are public, but only the second may say "escríbanos
por mensaje privado". The corpus, the real set and a client's own files name the source in many ways
("review", "reseña", "Google Play", "social_post", "WhatsApp"); this module turns any of them into the
channel the draft is written for, so the bench, the API and the page agree.
"""

from __future__ import annotations

import re
from typing import get_args

from pipeline.folding import fold
from pipeline.schema import ReplyChannel

REPLY_CHANNELS: tuple[str, ...] = get_args(ReplyChannel)
# Answered in public: short, no reference quoted, no personal data asked for.
PUBLIC_CHANNELS: tuple[str, ...] = ("public", "review")

# A source name (folded, separators as spaces) -> the reply channel; the first pattern that matches wins.
_SOURCES: list[tuple[str, re.Pattern[str]]] = [
    (
        "review",
        re.compile(
            r"\b(?:reviews?|resenas?|opinion(?:es)?|valoracion(?:es)?|estrellas?|stars?|rating|google(?: maps| play)?|"
            r"play store|app ?store|tienda de apps|tripadvisor|trustpilot|yelp)\b"
        ),
    ),
    (
        "public",
        re.compile(
            r"\b(?:social(?: post)?|post|tweet|twitter|x|facebook|instagram|tiktok|linkedin|redes?(?: sociales)?|"
            r"forum|foro|portal)\b"
        ),
    ),
    ("chat", re.compile(r"\b(?:chat|live chat|whatsapp|messenger|telegram|webchat)\b")),
]


def reply_channel_for(source: str | None) -> ReplyChannel:
    """The channel to answer a message on, from the name of where it came from; e-mail when unknown.

    Letters, web forms, phone notes and e-mails are all answered by e-mail.
    """
    name = re.sub(r"[\s_\-./]+", " ", fold(source or "")).strip()
    for channel, pattern in _SOURCES:
        if pattern.search(name):
            return channel  # type: ignore[return-value]
    return "email"


def is_public(channel: str) -> bool:
    """Answered where everyone reads it (a post or a review)."""
    return channel in PUBLIC_CHANNELS


__all__ = ["PUBLIC_CHANNELS", "REPLY_CHANNELS", "is_public", "reply_channel_for"]
