"""Print the README's reply-draft examples, made by the code (paste the output under "Reply drafts").

Causes and risks are given as the model would detect them, so the examples show the drafting alone.

    python docs/reply_examples.py > /tmp/examples.md
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.policy import load_policy  # noqa: E402
from pipeline.reply import analysis_from_causes, draft_reply  # noqa: E402

TODAY = dt.date(2024, 11, 29)
EXAMPLES = [
    {
        "title": "correo, tienda online, trato de usted",
        "sector": "ecommerce",
        "channel": "email",
        "tone": "usted",
        "causes": ["delay", "transfer_runaround", "broken_promise"],
        "risks": {},
        "done": [],
        "text": "Buenas tardes. Soy Lucía Ferrer y el pedido PED-48213 tenía que llegar el lunes. Llamé tres veces y "
        "me pasaron de un departamento a otro; la chica me dijo que me llamaría mañana y nunca llamó. ¿Cuándo "
        "llega? Si no se soluciona esta semana me doy de baja.",
    },
    {
        "title": "correo, banco, trato de tú, amenaza legal, reembolso ya tramitado (`--done refund_issued`)",
        "sector": "banking",
        "channel": "email",
        "tone": "tú",
        "causes": ["billing_error", "bad_attitude"],
        "risks": {"legal": True},
        "done": ["refund_issued"],
        "text": "Me habéis cobrado dos veces 95 € en la tarjeta y cuando llamé el agente Jorge me dijo de malas "
        "maneras que era culpa mía por no revisar el extracto. Si no me lo devolvéis, voy al Banco de España.\n"
        "Un saludo,\nIgnacio Ferrándiz",
    },
    {
        "title": "chat, telecomunicaciones, trato de usted",
        "sector": "telecom",
        "channel": "chat",
        "tone": "usted",
        "causes": ["product_defect", "unanswered_contact"],
        "risks": {},
        "done": [],
        "text": "llevo 3 días sin fibra en la línea 912 345 678 y en el 1004 nadie contesta",
    },
    {
        "title": "respuesta pública a una reseña, hotel",
        "sector": "hotels",
        "channel": "email",
        "tone": "usted",
        "causes": ["product_defect", "bad_attitude"],
        "risks": {"public": True},
        "done": [],
        "text": "★☆☆☆☆ Habitación con moho en el baño y el aire acondicionado roto. En recepción se rieron cuando "
        "lo dijimos. Reserva QXK7TZ. No volvemos.",
    },
]


def main() -> None:
    out = []
    for number, example in enumerate(EXAMPLES, 1):
        policy = load_policy(sector=example["sector"]).model_copy(update={"tone": example["tone"]})
        analysis = analysis_from_causes(example["causes"])
        risk = analysis.risk.model_copy(update=example["risks"])
        analysis = analysis.model_copy(update={"risk": risk})
        draft = draft_reply(
            analysis,
            policy,
            channel=example["channel"],
            today=TODAY,
            complaint_text=example["text"],
            done_actions=example["done"],
        )
        quoted = "\n".join(f"> {line}" if line else ">" for line in example["text"].splitlines())
        flags = ", ".join(k for k, v in example["risks"].items() if v)
        out += [
            f"### Ejemplo {number}: {example['title']}",
            "",
            f"`--sector {example['sector']}`; causas: {', '.join(example['causes'])}"
            + (f"; riesgo: {flags}" if flags else ""),
            "",
            quoted,
            "",
            f"Borrador ({draft.channel}; asunto: *{draft.subject}*"
            + (f"; seguimiento: {draft.follow_up_date}" if draft.follow_up_date else "")
            + "):",
            "",
            "```text",
            draft.body,
            "```",
            "",
        ]
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
