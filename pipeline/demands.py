"""The customer's explicit requests ("solicito la rectificación del diploma", "devuélvanme la comisión"), quoted.

A draft that answers the cause but not what the customer asked for reads as a form letter: "confirmen
que el PIN anterior está anulado" answered with "compruebo la operación". Only the company knows whether
it will do what is asked, so the draft does not promise it: it quotes each request in the customer's
words inside an ``[ACCIÓN: ...]`` placeholder where the cause's step would be, and the agent writes the
answer there. Requests are read from sentences that ask for something: a verb of asking ("solicito",
"exijo", "pido que", "quiero que", "necesito que", "les ruego", "agradecería que", "me gustaría que"),
"por favor" or an imperative to the company ("cancelen", "devuélvanme", "reexpedid"), in Spain's and
Latin America's forms, with or without accents. Questions are `pipeline.questions`'s job and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.actions import customer_requests
from pipeline.entities.speakers import SPEAKER_CUSTOMER, SPEAKER_STAFF, line_kind
from pipeline.folding import fold
from pipeline.offsets import fold_mapped
from pipeline.text import sentence_spans

MAX_DEMANDS = 2
MAX_DEMAND_WORDS = 14
# A longer request loses its trailing relative clause ("el PIN que ha ido a parar a saber dónde").
LONG_DEMAND_WORDS = 8

_CLITIC = r"(?:me|nos|le|les|lo|la|los|las|se|te)"
# Stems of what a customer asks a company to do. -ar verbs take "-en" (ustedes), "-e" (usted, only with a
# pronoun attached: "cámbieme"; "cambie" alone is also the folded "cambié") and "-ad" (vosotros);
# -er/-ir verbs take "-an", "-a" and "-ed"/"-id".
_AR = (
    r"cancel|tramit|confirm|anul|cambi|mand|envi|reembols|reintegr|arregl|repar|solucion|reactiv|activ|bloque|"
    r"desbloque|revis|llam|contest|quit|elimin|retir|abon|compens|indemnic|agend|program|reprogram|asign|entregu|"
    r"rectifiqu|comuniqu|expliqu|inform|avis|acept|regularic|actualic|modifiqu|apliqu|descuent|gestion|respet|"
    r"cobr|factur|deposit|reenvi|pas|borr|valid|habilit|instal|reinstal|reserv|ubiqu|sustitu"
)
_ER = (
    r"devuelv|reexpid|expid|emit|corrij|repong|pong|sustituy|resuelv|respond|dig|hag|restablezc|atiend|traig|"
    r"permit"
)
_VOS = (
    r"(?:cancel|tramit|confirm|anul|cambi|mand|envi|arregl|repar|solucion|devolv|corregi|reexpedi|emiti|resolv|"
    r"dev|hac|llam|respond|contest)"
)
_IMPERATIVE = (
    rf"(?:(?:{_AR})en|(?:{_ER})an|den|(?:{_AR})e(?:me|nos)|(?:{_ER})a(?:me|nos)|{_VOS}(?:ad|ed|id)|{_VOS}[aei]d?(?:me|nos))"
    rf"{_CLITIC}*"
)
# A request opened by a verb of asking; "que" may follow (it is quoted), or the thing asked for.
_ASKING = (
    r"(?:(?:yo |nosotros )?(?:solicito|solicitamos|exijo|exigimos|pido|pedimos|requiero|requerimos|reclamo que|"
    r"quiero|queremos|quisiera|quisieramos|necesito|necesitamos|deseo|deseamos|ruego|rogamos|"
    r"agradeceria|agradeceriamos|agradecere|agradeceremos|me gustaria|nos gustaria)|"
    r"(?:le|les|os) (?:pido|pedimos|solicito|solicitamos|exijo|exigimos|ruego|rogamos|agradeceria|agradeceriamos))"
)
# What follows "quiero ..." without being a request to the company: asking to know (a question), saying.
_NOT_ASKED = re.compile(
    r"^(?:saber|consultar|preguntar|decir|dejar constancia|comentar|contar|aclarar|agradecer|felicitar|"
    r"pedir(?:les)? disculpas|disculpas|perdon|que sepan|hacer constar|expresar|manifestar|ser claro|"
    r"poner (?:una|esta) (?:queja|reclamacion)|quejarme|reclamar|denunciar|presentar|recordar|informar|avisar|"
    r"creer|pensar|entender|irme|seguir|volver a|mas informacion)\b"
)
_LEAD = re.compile(
    rf"(?:^|[,;:]\s*|\b(?:y|pero|asi que|por eso|por lo tanto|por tanto|entonces|ahora|solo|simplemente|al menos)\s+)"
    rf"(?:(?:por favor|porfa|porfavor)[,\s]+)?"
    rf"(?P<lead>{_ASKING}\s+(?:(?:por favor|encarecidamente|formalmente|nuevamente|otra vez|de nuevo|"
    rf"tambien|ademas|urgentemente|a ustedes|a la empresa)[,\s]+)*)?"
    rf"(?P<what>(?:que\s+)?(?:no\s+)?(?:{_CLITIC}\s+)*(?:{_IMPERATIVE})\b[^.;!?\n]*|"
    rf"(?(lead)[^.;!?\n]+|(?!)))"
)
# Where a quoted request ends: a reason, a condition, a relative clause after a comma, a threat.
_CUT = re.compile(
    r",?\s+(?:porque|ya que|pues|puesto que|dado que|debido a|si no|de lo contrario|o de lo contrario|caso contrario|"
    r"antes de que|antes de \w+(?:ar|er|ir)|mientras|hasta que|cuando|como me|como nos|como se|como ya|"
    r"tal y como|tal como|segun lo)\b|"
    r",\s*(?:que|el cual|la cual|lo cual|quien|donde|ya|pero|aunque|sin embargo|gracias|saludos|un saludo)\b|"
    r"\s+y\s+(?:(?:me|nos|le|les|se)\s+)?(?:dicen|dijeron|contestan|contestaron|negaron|niegan)\b|"
    r"\s+(?:gracias|muchas gracias)\b|\s+(?:por favor|porfa|porfavor|plis)\b"
)
# "... y que no se me cobren más": a second request under the same verb of asking.
_AND_THAT = re.compile(
    rf",?\s+y\s+(?=que\b|(?:no\s+)?(?:{_CLITIC}\s+)*{_IMPERATIVE}\b|(?:no\s+)?se\s+(?:{_CLITIC}\s+)?\w+(?:e|en|a|an)\b)"
)
_IMPERATIVE_START = rf"(?:no\s+)?(?:{_CLITIC}\s+)*{_IMPERATIVE}\b"
# "agradecería que me enviaran": a conditional asks with the past subjunctive; after "pedimos que" it tells a story.
_CONDITIONAL = re.compile(r"(?:le |les |os )?(?:agradeceria\w*|me gustaria|nos gustaria|quisiera\w*)")
_PAST_SUBJUNCTIVE = re.compile(rf"que\s+(?:no\s+)?(?:{_CLITIC}\s+)*\w+(?:aran|ieran|ara|iera|asen|iesen|ase|iese)\b")
# "necesito cambiar el asiento", "quiero cancelar la línea": an infinitive of something the company does.
_ACTION_INFINITIVE = re.compile(
    rf"^(?:(?:{_AR})ar|devolver|reexpedir|expedir|emitir|corregir|reponer|sustituir|resolver|responder|restablecer|"
    rf"atender|hablar con|dar(?:me|nos)? de baja)(?:{_CLITIC})*\b"
)
# Kinds of request the words name beyond pipeline.actions' patterns, to know which cause step they make redundant.
_MORE_KINDS = {
    "cancel": re.compile(r"\b(?:cancelacion|baja|rescision|desafiliacion)\b"),
    "fix": re.compile(
        r"\b(?:rectific\w*|correccion|corrij\w*|correg\w*|reexpid\w*|reexpedicion|reposicion|repong\w*|"
        r"cambi\w*|sustitu\w*|reparacion|repar\w*|reenvi\w*|reactiv\w*)\b"
    ),
    "refund": re.compile(
        r"\b(?:anul\w* (?:el|los|la|las|ese|esos|este|estos) "
        r"(?:re)?(?:cargo|cobro|debito|comision|interes|multa|penalizacion)\w*|"
        r"(?:cargo|cobro|debito)s? (?:indebid|duplicad)\w*|"
        r"no (?:se )?(?:me |nos )?(?:cobren|carguen|debiten|facturen))\b"
    ),
}
# Words that say nothing about what is asked: a request made only of them ("que lo revisen", "el reembolso",
# "que me digan qué pasa", "que me contacten") is already answered by the cause's step and the draft's
# promise to write back by a date; quoting it would only repeat that promise.
_EMPTY = re.compile(
    r"^(?:digan|diga|dijeran|informen|avisen|expliquen|contacten|contacte|comuniquen|escriban|llamen|resuelvan|"
    r"algun|alguna|alguien|noticia|noticias|novedad|novedades|"
    r"que|no|y|o|a|al|de|del|el|la|los|las|lo|le|les|me|nos|se|te|un|una|unos|unas|mi|mis|su|sus|este|esta|"
    r"esto|eso|ello|algo|todo|caso|tema|problema|asunto|favor|ya|mas|pronto|rapido|solucion|respuesta|"
    r"reembolso|devolucion|dinero|plata|reintegro|explicacion|revisen|revision|arreglen|solucionen|atiendan|"
    r"respondan|contesten|hagan|cuanto|antes|posible|urgente|urgencia|inmediato|inmediatamente|"
    r"ahora|hoy|mismo|bien|por|para|con|en|ustedes|usted)$"
)
# A speaker's label in a transcript ("Atención a clientes: ..."): only the customer's lines ask for anything.
_SPEECH = re.compile(r"^\s*\w[\w ]{0,25}:\s*")
# Words a cut quote must not end on ("que me digan qué tiene el televisor y").
_DANGLING = re.compile(
    r"(?:[\s,]+(?:y|e|o|u|ni|por|para|con|sin|de|del|a|al|en|el|la|los|las|lo|un|una|que|qu[eé]|como|sobre|mi|su|sus|mis|desde|hasta|entre))+$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Demand:
    """One thing the customer asks the company to do, in their words, and the kinds of request it is."""

    quote: str  # "que me confirmen que han anulado el PIN"
    kinds: frozenset[str]  # refund / cancel / status / fix / explanation / callback (pipeline.actions)


def _quote(raw: str) -> str | None:
    text = re.sub(r"\s+", " ", raw).strip(" ,;:.¡!¿?«»\"'“”")
    if not text:
        return None
    folded = fold(text)
    cut = _CUT.search(folded)
    if cut and cut.start() > 0:
        text = text[: cut.start()].rstrip(" ,;:")
    comma = text.find(",")
    if comma > 0 and len(text[:comma].split()) >= 3:  # what follows a comma is a reason or an aside
        text = text[:comma]
    words = text.split()
    if len(words) > LONG_DEMAND_WORDS:  # "qué" with its accent asks ("por qué"), it does not relate
        relatives = [i for i, w in enumerate(words) if w.lower() == "que" and i >= 5]
        if relatives:
            words = words[: relatives[-1]]
            text = " ".join(words)
    if len(words) > MAX_DEMAND_WORDS:
        # a long request keeps its first part: up to its last comma or "y"/"o" within the limit, else the limit
        head = " ".join(words[:MAX_DEMAND_WORDS])
        bounds = [m.start() for m in re.finditer(r",| y | o ", head) if m.start() > len(head) // 2]
        text = head[: bounds[-1]] if bounds else _DANGLING.sub("", head) + "…"
    text = _DANGLING.sub("", text.strip(" ,;:"))
    if len(text) > 1 and text[1:2].islower():
        text = text[0].lower() + text[1:]  # "Revisen el video": a quote inside the agent's sentence
    content = [w for w in re.findall(r"[\w-]+", fold(text)) if not _EMPTY.match(w)]
    if not content or len(text.split()) < 2:
        return None
    return text.strip(" ,;:")


def _meaningful(quote: str) -> bool:
    """More than a verb: "devuélvanme la comisión" names what, "que lo revisen" does not."""
    words = [w for w in re.findall(r"[\w-]+", fold(quote)) if not _EMPTY.match(w)]
    verbs = [w for w in words if re.fullmatch(_IMPERATIVE, w) or re.fullmatch(rf"(?:{_AR}|{_ER})\w*", w)]
    return len(words) - min(len(verbs), 1) >= 1


def kinds_of(quote: str) -> frozenset[str]:
    """The kinds of request (pipeline.actions) a quoted request is: refund, cancel, fix, status..."""
    folded = fold(quote)
    kinds = set(customer_requests(folded))
    kinds |= {kind for kind, pattern in _MORE_KINDS.items() if pattern.search(folded)}
    return frozenset(kinds)


def customer_demands(text: str | None) -> list[Demand]:
    """The customer's explicit requests, in their words and in order, at most ``MAX_DEMANDS``.

    A request that names nothing beyond its kind ("quiero el reembolso", "que lo revisen") is left out:
    the cause's own step already answers it.
    """
    if not text:
        return []
    out: list[Demand] = []
    transcript = any(SPEAKER_CUSTOMER.match(line) or SPEAKER_STAFF.match(line) for line in text.splitlines())
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if "?" in sentence or line_kind(text, start) == "staff":
            continue
        line = text[text.rfind("\n", 0, start) + 1 :].split("\n", 1)[0]
        if transcript and _SPEECH.match(line) and not SPEAKER_CUSTOMER.match(line):
            continue  # another speaker of the transcript ("Atención a clientes: permítame...")
        folded = fold_mapped(sentence)
        for m in _LEAD.finditer(folded.text):
            lead = m.group("lead") or ""
            what = m.group("what")
            if lead and _NOT_ASKED.match(what):
                continue
            if re.match(r"(?:nosotros )?(?:pedimos|solicitamos|exigimos|necesitamos|reclamamos)\b", lead) and not (
                what.startswith("que ")
            ):
                continue  # "pedimos un taxi": the past tense reads the same
            if (
                lead
                and not re.match(r"(?:que|el|la|los|las|un|una|unos|unas|mi|mis|su|sus)\b", what)
                and not (_ACTION_INFINITIVE.match(what) or re.match(_IMPERATIVE_START, what))
            ):
                continue  # "quiero dar mi opinión", "pedimos tomate": about the customer, not asked of the company
            if re.match(r"(?:que\s+)?te\b", what):
                continue  # "que te cobren una pasta": anyone, in a review, not this customer
            if lead and not _CONDITIONAL.match(lead) and _PAST_SUBJUNCTIVE.match(what):
                continue  # "pedimos que nos lo retiraran": what was asked then, told as a story
            s, e = folded.original(*m.span("what"))
            raw = sentence[s:e]
            parts = _AND_THAT.split(raw) if raw else []
            for part in parts:
                quote = _quote(part)
                if not quote or not _meaningful(quote):
                    continue
                if fold(quote) in {fold(d.quote) for d in out}:
                    continue
                out.append(Demand(quote=quote, kinds=kinds_of(quote)))
            if len(out) >= MAX_DEMANDS:
                return out[:MAX_DEMANDS]
            break  # one request per opening; "y que ..." is split above
    return out[:MAX_DEMANDS]


def demands_placeholder(demands: list[Demand]) -> str:
    """``[ACCIÓN: confirme si atendemos «...» y «...», y cuándo]``: the agent says what we do about each request."""
    if not demands:
        return ""
    quotes = " y ".join(f"«{d.quote}»" for d in demands)
    return f"[ACCIÓN: confirme si atendemos {quotes}{',' if len(demands) > 1 else ''} y cuándo]"


__all__ = ["MAX_DEMANDS", "Demand", "customer_demands", "demands_placeholder", "kinds_of"]
