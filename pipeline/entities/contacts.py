"""E-mail addresses and phone numbers, and how they are masked for storage and display.

spaCy's EntityRuler finds e-mails and URLs; a regular expression adds the addresses its tokenizer
splits. A phone is only a phone once references, dates and amounts have claimed their digits, so
pipeline.entities.extract runs this last; masking works on the spans it found.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from pipeline.entities.amounts import UNIT_AFTER
from pipeline.schema import Entities

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<![.-])", re.UNICODE)
_PHONE_KEYWORD = re.compile(
    r"(?:tel[eé]fono|tel\.?|tlf\.?|tfno\.?|m[oó]vil|celular|cel\.?|whats?app|wsp|fijo|contacto|ll[aá]m(?:en|e|ame|"
    r"enme|eme|ar)\s+al|marc(?:ar|a|en|ue)\s+al|al\s+n[uú]mero|mi\s+n[uú]mero(?:\s+es)?|phone)\s*(?:es|:|al|el)?\s*",
    re.IGNORECASE,
)
_PHONE_BODY = r"\+?\(?\d[\d\s().-]{5,18}\d"
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}(?!\d)")
_PHONE_BARE = re.compile(
    r"(?<![\w.,/-])(?:\(\d{2,3}\)\s?\d{3,4}[\s.-]\d{4}|\d{3}[\s.-]\d{3}[\s.-]\d{3,4}|\d{3}[\s.-]\d{2}[\s.-]\d{2}"
    r"[\s.-]\d{2}|\d{2}[\s.-]\d{4}[\s.-]\d{4}|[6-9]\d{8})(?![\w,/-]|\.\d)"
)


def find_emails(doc: Doc, text: str) -> list[tuple[int, int]]:
    """E-mail spans: the EntityRuler's, then the regular expression's that start outside them."""
    emails = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "EMAIL"]
    emails += [m.span() for m in _EMAIL_RE.finditer(text) if not any(a <= m.start() < b for a, b in emails)]
    return emails


def find_urls(doc: Doc) -> list[tuple[int, int]]:
    """URL spans, which no reference or phone may overlap."""
    return [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "URL"]


def find_phones(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Phone numbers outside ``taken`` (references, dates, amounts claim digits first); 7-15 digits."""
    found: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < b and a < e for a, b in taken + found)

    for m in _PHONE_KEYWORD.finditer(text):
        body = re.match(_PHONE_BODY, text[m.end() :])
        if not body:
            continue
        s, e = m.end(), m.end() + body.end()
        digits = sum(ch.isdigit() for ch in body.group())
        if 7 <= digits <= 15 and free(s, e) and not UNIT_AFTER.match(text[e : e + 8]):
            found.append((s, e))
    for pattern in (_PHONE_INTL, _PHONE_BARE):
        for m in pattern.finditer(text):
            s, e = m.span()
            digits = sum(ch.isdigit() for ch in m.group())
            if 8 <= digits <= 15 and free(s, e) and not UNIT_AFTER.match(text[e : e + 8]):
                found.append((s, e))
    return sorted(found)


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(value: str) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    keep = set(digits[-2:])
    return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(value))


def mask_found_contacts(text: str, entities: Entities) -> str:
    """``text`` with the e-mails (``a***@dominio.com``) and phones (all digits but the last two) of ``entities`` hidden.

    ``entities`` must have been extracted from this very ``text``: their offsets are replaced.
    """
    pieces = [(s.start, s.end, _mask_email(s.text)) for s in entities.emails]
    pieces += [(s.start, s.end, _mask_phone(s.text)) for s in entities.phones]
    for start, end, replacement in sorted(pieces, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
