"""Wording rules every reply text is held to: vague promises, self-praise, archaic formulas, blaming the
customer, sentences too long to follow.

Two users: the review of an agent's draft (pipeline/review.py) and the policy loader (pipeline/policy.py),
which refuses a policy whose texts would fail them, so the drafts built from a policy pass its own review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.schema import ReviewFinding
from pipeline.text import sentence_spans

LONG_SENTENCE_WORDS = 40


@dataclass(frozen=True)
class PhraseRule:
    kind: str
    patterns: tuple[str, ...]
    message: str
    suggestion: str

    def compiled(self) -> re.Pattern:
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)


VAGUE_PROMISE = PhraseRule(
    "vague_promise",
    (
        r"\blo\s+antes\s+posible\b",
        r"\ben\s+breve\b",
        r"\b(?:a|en|con)\s+la\s+mayor\s+brevedad(?:\s+posible)?\b",
        r"\ba\s+la\s+brevedad(?:\s+posible)?\b",
        r"\btan\s+pronto\s+como\s+(?:sea\s+posible|podamos|se\s+pueda)\b",
        r"\bpronto\b",
        r"\bpr[oó]ximamente\b",
        r"\bcuanto\s+antes\b",
        r"\ben\s+cuanto\s+(?:sea\s+posible|podamos|se\s+pueda)\b",
        r"\ben\s+(?:los\s+)?pr[oó]ximos\s+d[ií]as\b",
        r"\ben\s+unos\s+(?:d[ií]as|momentos)\b",
        r"\ben\s+su\s+momento\b",
        r"\bestamos\s+trabajando\s+en\s+ello\b",
        r"\bcon\s+la\s+mayor\s+celeridad\b",
        r"\bharemos\s+(?:todo\s+)?lo\s+(?:posible|que\s+est[eé]\s+en\s+nuestra\s+mano)\b",
        r"\ben\s+un\s+plazo\s+razonable\b",
        r"\bm[aá]s\s+adelante\b",
        r"\bcuando\s+(?:sea\s+posible|podamos)\b",
    ),
    "Promesa vaga: no dice cuándo ocurrirá.",
    "Sustitúyala por una fecha u hora concreta que se pueda cumplir (p. ej. «el jueves 14 antes de las 18:00»).",
)
SELF_PRAISE = PhraseRule(
    "self_praise",
    (
        r"\bsomos\s+(?:l[ií]deres|los\s+mejores|la\s+mejor|el\s+mejor|referentes?|n[uú]mero\s+uno)\b",
        r"\bl[ií]deres\s+(?:en|del)\b",
        r"\bempresa\s+l[ií]der\b",
        r"\bnuestr[oa]s?\s+(?:excelentes?|extraordinari[oa]s?|magn[ií]fic[oa]s?|impecables?|reconocid[oa]s?|"
        r"prestigios[oa]s?|inmejorables?)\b",
        r"\bnuestr[oa]\s+(?:alt[oa]\s+)?(?:calidad|prestigio|excelencia|trayectoria)\b",
        r"\bnuestro\s+compromiso\s+con\s+la\s+(?:excelencia|calidad)\b",
        r"\bnos\s+(?:caracterizamos|distinguimos|destacamos)\s+por\b",
        r"\b(?:que\s+)?nos\s+caracteriza\b",
        r"\bsu\s+satisfacci[oó]n\s+es\s+nuestra\s+(?:prioridad|raz[oó]n\s+de\s+ser)\b",
        r"\bnuestros?\s+altos?\s+est[aá]ndares\b",
        r"\bmejor\s+(?:empresa|servicio|compa[nñ][ií]a|tienda)\s+del\s+(?:mercado|sector|pa[ií]s)\b",
        r"\bcalidad\s+reconocida\b",
        r"\bservicio\s+de\s+excelencia\b",
    ),
    "Autoelogio: hablar bien de la empresa no arregla nada al cliente y suena a excusa.",
    "Quítelo y cuente en su lugar qué va a hacer por el cliente.",
)
ARCHAIC_FORMULA = PhraseRule(
    "archaic_formula",
    (
        r"\bpor\s+medio\s+de\s+la\s+presente\b",
        r"\bpor\s+la\s+presente\b",
        r"\bsirva\s+la\s+presente\b",
        r"\bsin\s+otro\s+particular\b",
        r"\bsin\s+m[aá]s\s+(?:por\s+el\s+momento|que\s+a[nñ]adir)\b",
        r"\b(?:quedo|quedamos)\s+a\s+(?:su|vuestra)\s+(?:entera\s+)?disposici[oó]n\b",
        r"\ba\s+su\s+entera\s+disposici[oó]n\b",
        r"\b(?:me|nos)\s+(?:dirijo|dirigimos)\s+a\s+(?:usted(?:es)?|ti)\b",
        r"\breciba\s+un\s+(?:cordial|afectuoso|atento)\s+saludo\b",
        r"\baprovech(?:o|amos)\s+la\s+ocasi[oó]n\b",
        r"\b(?:le|les)\s+saluda(?:mos)?\s+atentamente\b",
        r"\batentamente\s+(?:le|les)\s+saluda\b",
        r"\ben\s+atenci[oó]n\s+a\s+su\s+(?:escrito|misiva|atenta\s+comunicaci[oó]n)\b",
        r"\bacusamos\s+recibo\b",
        r"\bmuy\s+se[nñ]or(?:es|a)?\s+m[ií](?:o|a|os)\b",
        r"\ben\s+espera\s+de\s+sus\s+(?:noticias|gratas\s+noticias)\b",
        r"\bd[aá]ndole\s+las\s+gracias\s+(?:de|por)\s+anticipado\b",
        r"\bobra\s+en\s+nuestro\s+poder\b",
        r"\bsu\s+atento\s+servidor\b",
        r"\bquien\s+suscribe\b",
    ),
    "Fórmula de carta antigua: suena a plantilla y aleja al cliente.",
    "Escriba como hablaría: «Le escribo por...», «Un saludo».",
)
BLAMES_CUSTOMER = PhraseRule(
    "blames_customer",
    (
        r"\b(?:usted|t[uú])\s+(?:debi[oó]|debiste|deber[ií]as?\s+haber|tendr[ií]as?\s+que\s+haber)\b",
        r"\bdebi[oó]\s+usted\b",
        r"\b(?:fue|es|ha\s+sido)\s+(?:su|tu)\s+culpa\b",
        r"\bpor\s+(?:su|tu)\s+culpa\b",
        r"\bla\s+culpa\s+(?:es|fue)\s+(?:suya|tuya|del\s+cliente)\b",
        r"\bcomo\s+ya\s+(?:se\s+)?(?:le|te|les)\s+(?:indicamos|indic[oó]|dijimos|dijo|explicamos|explic[oó]|"
        r"informamos|inform[oó]|comentamos|advertimos|hab[ií]amos\s+\w+)\b",
        r"\bcomo\s+(?:le|te|les)\s+(?:indicamos|dijimos|explicamos|informamos)\s+(?:anteriormente|previamente|"
        r"en\s+su\s+momento)\b",
        r"\b(?:usted|t[uú])\s+no\s+(?:ley[oó]|le[ií]ste|revis[oó]|revisaste|entendi[oó]|entendiste)\b",
        r"\bno\s+es\s+(?:nuestra\s+responsabilidad|responsabilidad\s+nuestra|responsabilidad\s+de\s+la\s+empresa)\b",
        r"\bresponsabilidad\s+(?:suya|tuya|del\s+cliente)\b",
        r"\b(?:usted|t[uú])\s+se\s+equivoc(?:[oó]|aste)\b",
        r"\b(?:error|fallo)\s+(?:suyo|tuyo|del\s+cliente)\b",
        r"\bsi\s+hubieras?\s+(?:le[ií]do|revisado|llamado)\b",
        r"\bdeber[ií]as?\s+haber\s+(?:le[ií]do|revisado|llamado|comprobado|avisado)\b",
        r"\bmal\s+uso\b",
        r"\bseg[uú]n\s+usted\b",
    ),
    "Culpa al cliente: pone al cliente a la defensiva aunque tenga parte de razón.",
    "Hable de lo que la empresa hace ahora; si hay un dato que el cliente debe saber, explíquelo sin reproche.",
)
PHRASE_RULES = (VAGUE_PROMISE, SELF_PRAISE, ARCHAIC_FORMULA, BLAMES_CUSTOMER)


# "[ACCIÓN: ...]", "[RESPUESTA: ¿...?]": what the agent writes in its place, counted as one word, since the
# length it will have is the agent's (a quoted question must not make a draft "too long").
AGENT_PLACEHOLDER = re.compile(r"\[[A-ZÁÉÍÓÚÑ]+:[^\]]*\]", re.IGNORECASE)


def word_count(sentence: str) -> int:
    """Words as a reader counts them: runs of letters or digits ("1.250,50" and "PED-48213" are one)."""
    return len(re.findall(r"[\w][\w.,/'-]*", AGENT_PLACEHOLDER.sub("X", sentence)))


def phrase_findings(text: str) -> list[ReviewFinding]:
    """Wording problems with a span each: vague promises, self-praise, archaic formulas, blame, long sentences."""
    findings: list[ReviewFinding] = []
    for rule in PHRASE_RULES:
        taken: list[tuple[int, int]] = []
        matches = sorted(rule.compiled().finditer(text), key=lambda m: (m.start(), -m.end()))
        for m in matches:
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append(m.span())
            findings.append(
                ReviewFinding(
                    kind=rule.kind,
                    message=f"{rule.message} («{m.group()}»)",
                    suggestion=rule.suggestion,
                    start=m.start(),
                    end=m.end(),
                )
            )
    for start, end in sentence_spans(text):
        words = word_count(text[start:end])
        if words > LONG_SENTENCE_WORDS:
            findings.append(
                ReviewFinding(
                    kind="long_sentence",
                    message=f"Frase de {words} palabras: cuesta seguirla.",
                    suggestion=f"Pártala en frases de menos de {LONG_SENTENCE_WORDS} palabras, una idea por frase.",
                    start=start,
                    end=end,
                )
            )
    return findings
