"""Draft review: each problem is found where it is, good drafts pass, generated drafts pass; the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.policy import load_policy
from pipeline.reply import analysis_from_causes, draft_reply
from pipeline.review import PENALTIES, review_draft
from pipeline.schema import Entities, Reference
from pipeline.taxonomy import TAXONOMY

GOOD = """Hola, Ana:

Le escribo por su queja sobre el retraso del pedido PED-48213. Tiene razón, nos equivocamos: el pedido tenía que haber llegado el lunes. Lo siento.

Su pedido sale hoy con envío urgente, sin coste. Además, le aplicamos un descuento del 15 % en su próxima compra.

El viernes 8 de marzo, antes de las 18:00, le escribo para confirmar que lo ha recibido.

Si algo no le cuadra, respóndame a este correo.

Un saludo,
Lucía Martín"""  # noqa: E501


def kinds(review) -> list[str]:
    return [f.kind for f in review.findings]


def only(review, kind):
    found = [f for f in review.findings if f.kind == kind]
    assert len(found) == 1, kinds(review)
    return found[0]


def test_a_good_draft_has_no_findings():
    review = review_draft(GOOD, customer_name="Ana Pérez")
    assert review.findings == []
    assert review.score == 100


@pytest.mark.parametrize(
    ("kind", "insert", "flagged"),
    [
        ("vague_promise", "Le devolveremos el dinero lo antes posible.", "lo antes posible"),
        ("vague_promise", "Le llamaremos en breve.", "en breve"),
        ("vague_promise", "Lo resolveremos a la mayor brevedad posible.", "a la mayor brevedad posible"),
        ("vague_promise", "Pronto tendrá noticias nuestras.", "Pronto"),
        ("self_praise", "Somos líderes en el sector desde 1990.", "Somos líderes"),
        ("self_praise", "Como sabe, nuestro excelente servicio es conocido.", "nuestro excelente"),
        ("archaic_formula", "Por medio de la presente le comunicamos el cambio.", "Por medio de la presente"),
        ("archaic_formula", "Sin otro particular, se despide.", "Sin otro particular"),
        ("archaic_formula", "Quedo a su entera disposición.", "Quedo a su entera disposición"),
        ("blames_customer", "Usted debió revisar el pedido al recibirlo.", "Usted debió"),
        ("blames_customer", "Al fin y al cabo fue su culpa.", "fue su culpa"),
        ("blames_customer", "Como ya le indicamos, no hay cambios.", "Como ya le indicamos"),
    ],
)
def test_wording_problems_are_located(kind, insert, flagged):
    draft = GOOD.replace("Si algo no le cuadra", insert + " Si algo no le cuadra")
    review = review_draft(draft, customer_name="Ana")
    finding = only(review, kind)
    assert draft[finding.start : finding.end] == flagged
    assert finding.message and finding.suggestion
    assert review.score == 100 - PENALTIES[kind]


def test_long_sentence_span_is_the_sentence():
    long_sentence = "Queremos que sepa que " + "hemos revisado cada detalle de su pedido y " * 6 + "todo está bien."
    draft = GOOD.replace("Lo siento.", "Lo siento. " + long_sentence)
    finding = only(review_draft(draft, customer_name="Ana"), "long_sentence")
    assert draft[finding.start : finding.end] == long_sentence


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("no_apology", "Tiene razón, nos equivocamos: el pedido tenía que haber llegado el lunes. Lo siento.", ""),
        ("no_purpose", "Le escribo por su queja sobre el retraso del pedido PED-48213. ", ""),
        (
            "no_resolution",
            "Su pedido sale hoy con envío urgente, sin coste. Además, le aplicamos un "
            "descuento del 15 % en su próxima compra.",
            "",
        ),
        ("no_call_to_action", "Si algo no le cuadra, respóndame a este correo.", ""),
        ("name_not_used", "Hola, Ana:", "Hola:"),
    ],
)
def test_missing_steps_are_found(kind, old, new):
    draft = GOOD.replace(old, new)
    assert draft != GOOD
    review = review_draft(draft, customer_name="Ana Pérez")
    finding = only(review, kind)
    assert kinds(review) == [kind]
    if kind == "name_not_used":
        assert draft[finding.start : finding.end] == "Hola:"
        assert "Ana" in finding.suggestion
    else:
        assert (finding.start, finding.end) == (0, 0)


def test_name_match_ignores_accents_and_case():
    assert review_draft(GOOD.replace("Ana", "IÑIGO"), customer_name="Íñigo Salaberria").findings == []
    assert "name_not_used" not in kinds(review_draft(GOOD))  # no name known: nothing to check


def test_name_comes_from_the_analysis_when_not_given():
    analysis = analysis_from_causes(["delay"], entities=Entities(customer_name="Marta López"))
    assert "name_not_used" in kinds(review_draft(GOOD, analysis=analysis))


def test_non_complaints_need_no_apology_or_resolution():
    thanks = (
        "Hola, Ana:\n\nGracias por su mensaje; nos alegra que todo saliera bien.\n\n"
        "Si necesita algo, responda a este correo."
    )
    assert kinds(review_draft(thanks, customer_name="Ana")) == ["no_apology", "no_resolution"]
    analysis = analysis_from_causes([], sentiment="positive")
    assert review_draft(thanks, analysis=analysis, customer_name="Ana").findings == []


def test_a_bad_draft_scores_low():
    bad = (
        "Por medio de la presente le informamos que su caso se resolverá lo antes posible. Como ya le indicamos, "
        "usted debió leer las condiciones. Somos líderes en el sector. Sin otro particular."
    )
    review = review_draft(bad, customer_name="Ana")
    assert set(kinds(review)) == {
        "archaic_formula",
        "vague_promise",
        "blames_customer",
        "self_praise",
        "no_apology",
        "no_purpose",
        "no_resolution",
        "no_call_to_action",
        "name_not_used",
        "too_long",  # one paragraph is read as chat: four sentences are two too many
    }
    assert review.score == 0
    for finding in review.findings:
        assert 0 <= finding.start <= finding.end <= len(bad)


@pytest.mark.parametrize("tone", ["usted", "tú"])
@pytest.mark.parametrize("channel", ["email", "chat"])
def test_generated_drafts_pass_review(tone, channel):
    policy = load_policy().model_copy(update={"tone": tone})
    reference = Reference(text="FIB-228810", start=0, end=10, kind="order")
    entities = Entities(customer_name="Nuria Campos", references=[reference])
    causes = TAXONOMY.cause_ids
    combos = [[c] for c in causes] + [causes[i : i + 3] for i in range(0, len(causes), 2)] + [causes]
    for combo in combos:
        analysis = analysis_from_causes(combo, entities=entities)
        draft = draft_reply(analysis, policy, channel=channel, today=dt.date(2024, 11, 29))
        review = review_draft(draft.body, analysis=analysis, channel=channel)
        assert review.findings == [], (combo, [(f.kind, draft.body[f.start : f.end]) for f in review.findings])


# --- command line ------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_review_prints_findings_and_score(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("Le devolveremos el dinero lo antes posible. Sin otro particular.", encoding="utf-8")
    complaint = tmp_path / "complaint.txt"
    complaint.write_text("Me cobraron dos veces.\nUn saludo,\nMarta López", encoding="utf-8")
    result = runner.invoke(app, ["review", str(draft), "--complaint", str(complaint)])
    assert result.exit_code == 0, result.output
    for kind in ("vague_promise", "archaic_formula", "no_apology", "name_not_used"):
        assert kind in result.output
    assert "Puntuación" in result.output


def test_cli_review_of_a_good_draft(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(app, ["review", str(draft), "--name", "Ana"])
    assert result.exit_code == 0 and "100/100" in result.output


def test_cli_review_with_sector_done_and_complaint(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(
        "Hola, Ana:\n\nTiene razón, nos equivocamos con su pedido. Hemos anulado el cargo.\n\n"
        "Respóndame a este correo con el número de pedido.",
        encoding="utf-8",
    )
    complaint = tmp_path / "complaint.txt"
    complaint.write_text("Pedido PED-48213 cobrado dos veces. Iré a la OMIC.\nAna Pérez", encoding="utf-8")
    args = ["review", str(draft), "--complaint", str(complaint), "--sector", "hotels"]
    expected = review_draft(
        draft.read_text(encoding="utf-8"), sector="hotels", complaint=complaint.read_text(encoding="utf-8")
    )
    assert {"unconfirmed_action", "asks_known_info", "fault_under_legal"} <= set(kinds(expected))
    assert "other_sector" not in kinds(expected)  # "pedido" is the customer's own word
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{expected.score:.0f}/100" in result.output
    done = runner.invoke(app, [*args, "--done", "charge_cancelled"])
    assert f"{expected.score + PENALTIES['unconfirmed_action']:.0f}/100" in done.output
    assert runner.invoke(app, [*args, "--sector", "shop"]).exit_code == 1
    assert runner.invoke(app, [*args, "--done", "refunded"]).exit_code == 1


def test_cli_reply_sector_and_done(tiny_model):
    text = "Me han cobrado dos veces 95 € en la cuenta. Un saludo, Ana Pérez"
    result = runner.invoke(
        app, ["reply", text, "--model", str(tiny_model), "--sector", "banking", "--done", "refund_issued"]
    )
    assert result.exit_code == 0, result.output
    assert "banking" in result.output and "Ana" in result.output
    bad = runner.invoke(app, ["reply", text, "--model", str(tiny_model), "--sector", "bank"])
    assert bad.exit_code == 1 and "banking" in bad.output


def test_cli_review_missing_file():
    result = runner.invoke(app, ["review", "/nonexistent/draft.txt"])
    assert result.exit_code == 1


def test_cli_reply_without_a_model_fails_in_one_line(tmp_path):
    result = runner.invoke(app, ["reply", "Mi pedido no llega", "--model", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "error" in result.output and "Traceback" not in result.output


def test_cli_reply_refuses_empty_text_and_bad_channel():
    assert runner.invoke(app, ["reply", "   "]).exit_code == 1
    assert runner.invoke(app, ["reply", "Mi pedido no llega", "--channel", "sms"]).exit_code == 1


def test_cli_reply_with_an_analyzer(monkeypatch):
    """The CLI wiring: the analysis comes from the Analyzer, entities from the text, then the draft."""
    import pipeline.analyzer

    class StubAnalyzer:
        taxonomy = TAXONOMY

        def analyze(self, texts):
            return [analysis_from_causes(["delay"]) for _ in texts]

    load = classmethod(lambda cls, path="models/latest", device="auto": StubAnalyzer())
    monkeypatch.setattr(pipeline.analyzer.Analyzer, "load", load)
    text = "El pedido PED-48213 no ha llegado.\nUn saludo,\nMarta López"
    result = runner.invoke(app, ["reply", text, "--channel", "chat"])
    assert result.exit_code == 0, result.output
    assert "Marta" in result.output and "PED-48213" in result.output
    assert "Retrasos" in result.output  # the analysis table


def test_cli_reply_on_a_review_gives_the_contact(tiny_model):
    text = "Dos estrellas. La lavadora llegó con el tambor roto y nadie responde."
    result = runner.invoke(app, ["reply", text, "--model", str(tiny_model), "--channel", "review"])
    assert result.exit_code == 0, result.output
    assert "review" in result.output and "[CORREO:" in result.output and "mensaje privado" not in result.output
    bad = runner.invoke(app, ["reply", text, "--model", str(tiny_model), "--channel", "resena"])
    assert bad.exit_code == 1 and "review" in bad.output


def test_cli_reply_and_analyze_read_the_complaint_from_standard_input(tiny_model):
    """ "-" takes a pasted letter whole, line breaks and signature included, instead of analysing a dash."""
    letter = "Buenos días:\nEl pedido PED-48213 no ha llegado y nadie contesta.\nUn saludo,\nMarta López\n"
    result = runner.invoke(app, ["reply", "-", "--model", str(tiny_model)], input=letter)
    assert result.exit_code == 0, result.output
    assert "Marta" in result.output and "PED-48213" in result.output
    analysed = runner.invoke(app, ["analyze", "-", "--model", str(tiny_model)], input=letter)
    assert analysed.exit_code == 0, analysed.output
    empty = runner.invoke(app, ["reply", "-", "--model", str(tiny_model)], input="  \n")
    assert empty.exit_code == 1 and "empty" in empty.output
