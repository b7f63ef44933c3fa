"""One way to compare Spanish words without case or accents.

Users type "Descripción", "DESCRIPCION" and "descripcion" for the same column, and real complaints
drop accents ("reclamacion", "atencion"). Every comparison that should not care (column names, names in
a greeting, lexical features, duplicate checks) folds both sides with this function, so they agree.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case (full case folding), compatibility forms unified, combining marks removed.

    NFKD also splits ligatures and full-width forms, so "ﬁ" and "ｆｉ" fold to "fi" like the plain text.
    The ñ folds to n: "Muñoz" and "Munoz" name the same customer when the keyboard had no ñ.
    """
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
