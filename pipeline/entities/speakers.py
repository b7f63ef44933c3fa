"""Who speaks on a line of a transcript ("Agente: ...", "Cliente: ...").

Names and references both depend on it: on an agent's line "habla Julieta" names the agent and
"doña Yolanda" the customer, and "Cliente: 2231." is a speaker label, not an account number.
"""

from __future__ import annotations

import re

SPEAKER_STAFF = re.compile(
    r"^\s*(?:agente|operador|operadora|ejecutivo|ejecutiva|asesor|asesora|recepción|recepcion|vendedor|vendedora|"
    r"supervisor|supervisora|cajero|cajera|recepcionista|log[ií]stica|postventa|facturaci[oó]n|equipajes|"
    r"representante|empleado|empleada|técnico|tecnico|secretaria|enfermera|call\s*center|soporte)(?:\s*\d+)?\s*:",
    re.IGNORECASE,
)
SPEAKER_CUSTOMER = re.compile(r"^\s*(?:cliente|clienta|paciente|usuario|usuaria)(?:\s*\d+)?\s*:", re.IGNORECASE)


def line_kind(text: str, char: int) -> str:
    """'staff' / 'customer' / 'plain': who speaks on the line (transcripts: 'Agente:', 'Cliente:')."""
    line_start = text.rfind("\n", 0, char) + 1
    # Transcripts written on one line separate turns with " / ": look back to the turn start.
    slash = text.rfind(" / ", line_start, char)
    turn = text[(slash + 3 if slash != -1 else line_start) : char]
    if SPEAKER_STAFF.match(turn):
        return "staff"
    if SPEAKER_CUSTOMER.match(turn):
        return "customer"
    return "plain"
