"""Money amounts: "1.250,50 €", "$ 3 mil", "45 dólares", "S/. 120", and the units that mark other quantities.

Spanish writes thousands and decimals both ways ("1.250,50" and "1,250.50"); a separator followed by
exactly three digits is read as thousands. "$" and "pesos" name several countries' currencies, so
they give no currency code unless another marker settles it.
"""

from __future__ import annotations

import re

# A unit after a number makes it a quantity ("30 días", "2 GB", "50 €"): references and phones skip it.
UNIT_AFTER = re.compile(
    r"\s*(?:€|\$|%|euros?|pesos?|d[oó]lares|soles|usd|eur|mxn|ars|cop|clp|d[ií]as?|horas?|h\b|meses|mes\b|a[nñ]os|"
    r"minutos|min\b|semanas|gb|mb|megas?|kg|cm|mm|km|litros|pulgadas|unidades|cuotas|ml|mg|mil\b)",
    re.IGNORECASE,
)

_CURRENCY_WORDS: list[tuple[str, str | None]] = [
    (r"€|eur(?:os?)?\b|euros?", "EUR"),
    (r"us\$|usd|u\$s|d[oó]lares|dollars?|d[oó]lar", "USD"),
    (r"mxn|pesos\s+mexicanos", "MXN"),
    (r"ars|pesos\s+argentinos", "ARS"),
    (r"cop|pesos\s+colombianos", "COP"),
    (r"clp|pesos\s+chilenos", "CLP"),
    (r"uyu", "UYU"),
    (r"s/\.?|pen|soles?|nuevos\s+soles", "PEN"),
    (r"bs\.?(?:s|f)?|bol[ií]vares", "VES"),
    (r"gtq|quetzales?", "GTQ"),
    (r"dop", "DOP"),
    (r"pesos?|\$|mil\s+pesos", None),  # ambiguous between the peso countries and the dollar
]
_CUR = r"(?:us\$|u\$s|s/\.?|€|\$|eur|usd|mxn|ars|cop|clp|uyu|pen|gtq|dop|bs\.?s?)"
_CUR_WORD = (
    r"(?:euros?|d[oó]lares|dollars?|pesos(?:\s+(?:mexicanos|argentinos|colombianos|chilenos))?|soles|"
    r"nuevos\s+soles|bol[ií]vares|quetzales)"
)
_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<pre>{_CUR})\s?(?P<n1>{_NUMBER})(?:\s?(?P<mil1>mil|millones))?(?:\s?(?P<post1>{_CUR}(?![\w])|"
    rf"{_CUR_WORD}))?|(?P<n2>{_NUMBER})(?:\s?(?P<mil2>mil|millones))?\s?(?P<post2>{_CUR}(?![\w])|{_CUR_WORD}))"
    r"(?![\w])",
    re.IGNORECASE,
)


def _parse_number(raw: str) -> float | None:
    raw = raw.replace(" ", "")
    if "." in raw and "," in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif "," in raw or "." in raw:
        sep = "," if "," in raw else "."
        parts = raw.split(sep)
        if len(parts) > 2 or len(parts[-1]) == 3:
            raw = raw.replace(sep, "")
        else:
            raw = raw.replace(sep, ".")
    try:
        return float(raw)
    except ValueError:
        return None


def _currency(*markers: str | None) -> str | None:
    found: str | None = None
    for marker in markers:
        if not marker:
            continue
        for pattern, code in _CURRENCY_WORDS:
            if re.fullmatch(pattern, marker.strip(), re.IGNORECASE):
                if code is not None:
                    return code
                break
    return found


def find_amounts(text: str) -> list[tuple[int, int, float | None, str | None]]:
    """Money amounts as (start, end, value, ISO currency); the currency is None when "$" or "pesos" is ambiguous."""
    out = []
    for m in _AMOUNT_RE.finditer(text):
        number = m.group("n1") or m.group("n2")
        value = _parse_number(number)
        multiplier = (m.group("mil1") or m.group("mil2") or "").lower()
        if value is not None and multiplier:
            value *= 1_000 if multiplier == "mil" else 1_000_000
        currency = _currency(m.group("post1"), m.group("post2"), m.group("pre"))
        s, e = m.span()
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e, value, currency))
    return out
