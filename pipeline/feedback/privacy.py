"""Contact and payment data out of stored corrections.

A correction is kept for months and read by whoever trains the next model, so the customer's e-mail,
phone, card and IBAN numbers are masked before it is written. E-mails and phones are found by the
entity extractor the whole pipeline uses (pipeline.entities.mask_contacts); card and IBAN numbers, which
it does not look for, are found here and only when their check digits are right (Luhn, ISO 7064
mod 97), so an order number of 16 digits is not taken for a card.
"""

from __future__ import annotations

import re

_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![\w])", re.IGNORECASE)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(code: str) -> bool:
    code = code.replace(" ", "").upper()
    moved = code[4:] + code[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _keep_last_four(value: str) -> str:
    """Every letter and digit but the last four becomes '*'; spaces and dashes stay, so the shape is kept."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(positions[-4:])
    return "".join("*" if ch.isalnum() and i not in keep else ch for i, ch in enumerate(value))


def mask_payment_numbers(text: str) -> str:
    """Card numbers (Luhn-valid, 13-19 digits) and IBANs (mod-97 valid) with all but the last four hidden."""
    text = _IBAN.sub(lambda m: _keep_last_four(m.group()) if _iban_ok(m.group()) else m.group(), text)
    return _CARD.sub(lambda m: _keep_last_four(m.group()) if _luhn(re.sub(r"\D", "", m.group())) else m.group(), text)


def mask_private(text: str) -> str:
    """Payment numbers first (so no phone pattern can claim part of a card), then e-mails and phones."""
    from pipeline.entities import mask_contacts  # spaCy: loaded by the first store that masks, not on import

    return mask_contacts(mask_payment_numbers(text))
