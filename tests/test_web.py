"""The triage page in a real browser: Debian's chromium driven by Playwright against a live uvicorn server.

The tiny model is barely trained, so these tests check structure (causes or the "no cause" message,
a sentiment, a draft, highlighted findings, a labelled CSV), never specific labels.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from live_server import LiveServer
from typer.testing import CliRunner
from web_fixtures import MAX_UPLOAD_ROWS, expect, open_page, settings_for

from pipeline.actions import DONE_ACTION_IDS
from pipeline.batch import added_columns
from pipeline.cli import app as cli
from pipeline.priority import priority_display
from pipeline.spreadsheet_safety import escape_cell
from pipeline.taxonomy import TAXONOMY

pytest_plugins = ["web_fixtures"]  # the browser and analyzer fixtures

COMPLAINT = (
    "Buenas tardes. Soy Lucía Ferrer y el pedido PED-48213 tenía que llegar el lunes. Llamé tres veces y me "
    "pasaron de un departamento a otro. Si no se soluciona esta semana me doy de baja."
)
KEY = "clave-de-prueba-" + "x" * 16
runner = CliRunner()


@pytest.fixture(scope="module")
def server(tiny_model, analyzer):
    with LiveServer(settings_for(tiny_model), analyzer) as live:
        yield live


@pytest.fixture
def page(browser, server):
    with open_page(browser, server.url) as page:
        yield page


def test_a_cue_phrase_raises_its_badge_and_says_why(page):
    page.fill("#complaint", "El pedido no llegó y nadie contesta. Pediré la hoja de reclamaciones.")
    page.press("#complaint", "Control+Enter")
    legal = page.locator("#result-risks .badge[data-risk=legal]")
    expect(legal).to_have_attribute("data-on", "true")
    expect(legal).to_have_attribute("title", "Por la frase «hoja de reclamaciones»")


def test_language_and_confidence_are_shown_and_foreign_text_is_flagged(page):
    page.fill("#complaint", "El pedido no llegó y nadie contesta el teléfono desde el lunes.")
    page.press("#complaint", "Control+Enter")
    expect(page.locator("#result-language")).to_contain_text("español")
    expect(page.locator("#result-confidence")).to_have_text(re.compile("^(Alta|Media|Baja)$"))
    expect(page.locator("#result-language-warning")).to_have_count(0)
    page.fill("#complaint", "The parcel never arrived and nobody answers the phone, this is the worst service ever.")
    page.press("#complaint", "Control+Enter")
    expect(page.locator("#result-language-warning")).to_contain_text("inglés")
    expect(page.locator("#result-confidence")).to_have_text("Baja")


def test_analyze_edit_review_and_copy(page, server):
    groups = httpx.get(f"{server.url}/v1/labels").json()["groups"]
    page.fill("#complaint", COMPLAINT)
    page.press("#complaint", "Control+Enter")
    expect(page.locator("#draft-card")).to_be_visible()

    causes = page.locator("#result-causes")
    expect(causes).to_be_visible()
    items = causes.locator("li.cause")
    if items.count():
        first = items.first
        expect(first.locator(".cause-name")).not_to_be_empty()
        names = "|".join(re.escape(groups[g]) for g in ("operational", "emotional"))
        expect(first.locator(".badge")).to_have_text(re.compile(f"^({names})$"))
        expect(first.locator(".cause-score")).to_contain_text("%")
        assert first.locator(".bar > span").get_attribute("style").startswith("width:")
    else:
        expect(causes).to_contain_text("No se detectó ninguna causa")
    expect(page.locator("#result-sentiment")).to_contain_text(re.compile("(Negativo|Neutro|Positivo) [−+]?[0-9.]+"))
    expect(page.locator("#result-risks .badge")).to_have_count(3)
    expect(page.locator("#result-group .badge")).not_to_be_empty()
    assert page.input_value("#draft-subject").strip()
    body = page.input_value("#draft-body")
    assert body.strip()

    # The agent edits the draft with a vague promise and a bit of markup: it is flagged and shown as text.
    page.fill("#draft-body", body + "\nLo resolveremos <b>lo antes posible</b>.")
    page.click("#review")
    mark = page.locator("#review-marked mark[data-kind=vague_promise]")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("lo antes posible")
    expect(page.locator("#review-marked")).to_contain_text("<b>lo antes posible</b>")
    assert page.locator("#review-marked b").count() == 0
    expect(page.locator("#review-findings li[data-kind=vague_promise]")).to_contain_text("Sugerencia")
    score = float(page.inner_text("#review-score"))
    assert 0 <= score < 100

    page.fill("#draft-body", "Hola, Lucía. Lo vemos hoy.")
    expect(page.locator("#review-stale")).to_be_visible()

    page.click("#copy")
    expect(page.locator("#copy-status")).to_contain_text("Copiado")
    assert page.evaluate("navigator.clipboard.readText()") == "Hola, Lucía. Lo vemos hoy."


def test_every_name_on_the_page_is_the_apis(page, server):
    """Causes, groups, sentiments, risks, priorities, confidence and findings are named as /v1/labels names them."""
    labels = httpx.get(f"{server.url}/v1/labels").json()
    causes = {c["id"]: c for c in labels["causes"]}
    risks = {r["id"]: r["display"] for r in labels["risks"]}
    priorities = {p["id"]: p["display"] for p in labels["priorities"]}
    page.fill("#complaint", COMPLAINT + " Pediré la hoja de reclamaciones.")
    page.press("#complaint", "Control+Enter")
    expect(page.locator("#correction-card")).to_be_visible()

    group = page.locator("#result-group .badge")
    assert group.inner_text() == labels["groups"][group.get_attribute("data-group")]
    sentiment = page.locator("#result-sentiment")
    (label,) = [c.removeprefix("sentiment-") for c in sentiment.get_attribute("class").split() if c != "sentiment"]
    assert sentiment.text_content().startswith(labels["sentiments"][label] + " ")
    confidence = page.locator("#result-confidence")
    level = confidence.get_attribute("class").split("badge-confidence-")[1]
    assert confidence.inner_text() == labels["confidence"][level]
    priority = page.locator("#result-priority")
    level = priority.get_attribute("data-priority")
    assert priority.inner_text() == f"{level} · {priorities[level]}"
    shown_risks = page.locator("#result-risks .badge").evaluate_all(
        "bs => bs.map(b => [b.dataset.risk, b.dataset.on === 'true', b.textContent])"
    )
    assert [r for r, _, _ in shown_risks] == list(risks)
    assert ("legal", True, f"⚠ {risks['legal']}") in [tuple(r) for r in shown_risks]
    assert all(text == (f"⚠ {risks[r]}" if on else f"{risks[r]}: no") for r, on, text in shown_risks)
    for item in page.locator("#result-causes li.cause").all():
        cause = causes[item.get_attribute("data-cause")]
        assert item.locator(".cause-name").inner_text() == cause["display"]
        assert item.locator(".badge").inner_text() == labels["groups"][cause["group"]]

    options = page.locator("#fix-sentiment option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
    assert [tuple(o) for o in options] == list(labels["sentiments"].items())
    boxes = page.locator("#fix-risks label").evaluate_all("ls => ls.map(l => l.textContent.trim())")
    assert boxes == list(risks.values())
    for value, text in page.locator("#fix-add-cause option").evaluate_all("os => os.map(o => [o.value, o.text])"):
        assert not value or text == causes[value]["display"]

    page.fill("#draft-body", "Por medio de la presente le informamos que lo resolveremos lo antes posible.")
    page.click("#review")
    findings = page.locator("#review-findings li[data-kind]")
    expect(findings.first).to_be_visible()
    for item in findings.all():
        assert item.locator(".finding-name").inner_text() == labels["findings"][item.get_attribute("data-kind")]
    for mark in page.locator("#review-marked mark").all():
        assert mark.get_attribute("title").startswith(labels["findings"][mark.get_attribute("data-kind")] + ": ")


def test_sector_and_done_actions_are_sent_with_the_complaint(page):
    options = page.locator("#sector option")
    expect(options).to_have_count(16)  # the policy's own sector plus the 15 presets
    expect(page.locator("#done-actions input[type=checkbox]")).to_have_count(len(DONE_ACTION_IDS))
    page.select_option("#sector", "banking")
    page.check("#done-actions input[value=refund_issued]")
    page.click("label[for=channel-public]")
    page.fill("#complaint", COMPLAINT)
    with page.expect_request("**/v1/analyze") as request:
        page.click("#analyze")
    sent = request.value.post_data_json
    assert sent["sector"] == "banking" and sent["done_actions"] == ["refund_issued"] and sent["channel"] == "public"
    expect(page.locator("#draft-card")).to_be_visible()
    with page.expect_request("**/v1/review") as review:
        page.click("#review")
    assert review.value.post_data_json["sector"] == "banking"
    assert review.value.post_data_json["done_actions"] == ["refund_issued"]


def test_the_review_channel_is_sent_and_named_on_the_draft(page):
    page.click("label[for=channel-review]")
    page.fill("#complaint", COMPLAINT)
    with page.expect_request("**/v1/analyze") as request:
        page.click("#analyze")
    assert request.value.post_data_json["channel"] == "review"
    expect(page.locator("#draft-meta")).to_contain_text("Respuesta a una reseña")
    expect(page.locator("#draft-body")).to_have_value(re.compile(r"\[CORREO:"))


def test_errors_are_readable_spanish_messages(page):
    page.fill("#complaint", "   ")
    page.click("#analyze")
    error = page.locator("#single-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("vacía")
    assert "{" not in error.inner_text()

    # Keyboard only: the tab list moves with the arrow keys and the upload field is reachable.
    page.focus("#tab-single")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-batch")).to_be_focused()
    expect(page.locator("#panel-batch")).to_be_visible()
    expect(page.locator("#batch-limit")).to_contain_text(f"Máximo {MAX_UPLOAD_ROWS} filas")


BATCH_ROWS = [
    ["id", "comentario", "canal"],
    ["1", "El pedido PED-1 no llega, nadie contesta. Pediré la hoja de reclamaciones.", "email"],
    ["2", "", "chat"],
    ["3", '=HYPERLINK("http://x","clic") Me cobraron dos veces la factura F2024/00871.', "email"],
    ["4", "¡Gracias por la ayuda!", "chat"],
    ["5", "-12", "chat"],
]


def read_labelled(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_batch_upload_label_and_download(page, tiny_model, analyzer, tmp_path):
    """The page's file has the columns and values of `quejas label` and goes through `quejas report`."""
    source = tmp_path / "quejas.csv"
    with open(source, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(BATCH_ROWS)
    page.click("#tab-batch")
    page.set_input_files("#batch-file", str(source))
    expect(page.locator("#batch-start")).to_be_enabled()
    assert page.input_value("#batch-column") == "comentario"
    page.click("#batch-start")
    expect(page.locator("#batch-download")).to_be_enabled()
    expect(page.locator("#batch-progress-text")).to_contain_text("Listo")
    assert page.locator("#batch-bar").evaluate("bar => bar.value === bar.max")
    expect(page.locator("#batch-table tbody tr")).to_have_count(5)
    expect(page.locator("#batch-table tbody tr.row-error")).to_have_count(2)
    expect(page.locator("#batch-table tbody tr[data-row='1'] .state-error")).to_have_text("Texto vacío")

    with page.expect_download() as info:
        page.click("#batch-download")
    assert info.value.suggested_filename == "quejas.etiquetado.csv"
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode()) and raw.count(b"\r\n") == raw.count(b"\n") == len(BATCH_ROWS)
    on_page = read_labelled(saved)
    assert list(on_page.columns) == BATCH_ROWS[0] + added_columns()
    assert on_page["comentario"][0] == BATCH_ROWS[1][1]
    assert on_page["comentario"][2] == "'" + BATCH_ROWS[3][1]  # a formula is written as text, as the CLI does
    assert list(on_page["error"]) == ["", "empty", "", "", "not_text"]

    # The same file labelled by `quejas label`: the same columns and values (scores to rounding).
    by_cli = tmp_path / "quejas.labeled.csv"
    result = runner.invoke(cli, ["label", str(source), "-o", str(by_cli), "-m", str(tiny_model), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    by_cli_frame = read_labelled(by_cli)
    scores = ["sentiment_score", *(f"score_{c}" for c in TAXONOMY.cause_ids)]
    exact = [c for c in by_cli_frame.columns if c not in scores]
    assert on_page[exact].equals(by_cli_frame[exact])
    ok = on_page["error"] == ""
    for column in scores:
        assert np.allclose(on_page.loc[ok, column].astype(float), by_cli_frame.loc[ok, column].astype(float), atol=1e-5)

    # `quejas report` reads it: 5 rows, 2 errors, the complaints and causes the model finds in the 3 texts.
    texts = [row[1] for row in BATCH_ROWS[1:] if row[1] not in ("", "-12")]
    analyses = analyzer.analyze(texts)
    complaints = sum(1 for a in analyses if a.causes)
    report = runner.invoke(cli, ["report", str(saved), "-o", str(tmp_path / "resumen.md")])
    assert report.exit_code == 0, report.output
    assert f"(5 rows, {complaints} complaints)" in " ".join(report.output.split())
    assert "Filas con error (no analizadas) | 2 |" in (tmp_path / "resumen.md").read_text(encoding="utf-8")
    if complaints:
        runner.invoke(cli, ["report", str(saved), "-o", str(tmp_path / "resumen.csv")])
        table = pd.read_csv(tmp_path / "resumen.csv")
        counted = Counter(c.id for a in analyses for c in a.causes)
        assert dict(zip(table["id"], table["quejas"])) == dict(counted)

    # A file that already has result columns (a labelled file) is refused, as `quejas label` refuses it.
    page.set_input_files("#batch-file", str(saved))
    expect(page.locator("#batch-error")).to_contain_text("ya tiene columnas de resultado")
    expect(page.locator("#batch-start")).to_be_disabled()

    # Too many rows: a clear message from the server, nothing labelled.
    big = tmp_path / "grande.csv"
    big.write_text("texto\n" + "".join(f"queja número {i}\n" for i in range(MAX_UPLOAD_ROWS + 1)), encoding="utf-8")
    page.set_input_files("#batch-file", str(big))
    error = page.locator("#batch-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(f"máximo es {MAX_UPLOAD_ROWS}")
    expect(page.locator("#batch-start")).to_be_disabled()


CELLS = [
    "=1+2",
    "+34",
    "-12.5",
    "-0,420",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "a,b",
    'di "hola"',
    " x ",
    "texto",
    "",
    "-",
    "1e5",
    "+1,5",
    "=",
    "línea\r\notra",
    "-2.5e-07",
]
FLOATS = [
    0.0,
    1.0,
    -1.0,
    0.5,
    0.1 + 0.2,
    1e-05,
    3.2e-05,
    0.0001,
    0.000123,
    123456.789,
    1e16,
    1.5e16,
    -0.42,
    1 / 3,
    2.5e-7,
]


def test_the_page_writes_cells_as_quejas_label_does(page):
    """Formula escaping as pipeline/spreadsheet_safety.py, values printed as Python's csv writer prints them."""
    written = page.evaluate(
        """async ([cells, floats]) => {
            const csv = await import("/static/js/csv.js");
            return [cells.map(csv.csvCell), floats.map(csv.cellText), [true, false, null].map(csv.cellText)];
        }""",
        [CELLS, FLOATS],
    )
    escaped, numbers, others = written
    read_back = [next(csv.reader(io.StringIO(cell, newline="")), [""]) for cell in escaped]
    assert [fields[0] for fields in read_back] == [escape_cell(c) for c in CELLS]
    assert all(len(fields) == 1 for fields in read_back)
    assert numbers == [str(x) for x in FLOATS] and others == ["True", "False", ""]


def test_phone_width_has_no_sideways_scroll(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#complaint", COMPLAINT)
    page.click("#analyze")
    expect(page.locator("#draft-card")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_api_key_field(browser, tiny_model, analyzer):
    with LiveServer(settings_for(tiny_model, api_keys=KEY), analyzer) as live:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(live.url)
        expect(page.locator("#key-panel")).to_be_visible()
        expect(page.locator("#key-help")).to_contain_text("pide una clave")

        page.fill("#complaint", COMPLAINT)
        page.fill("#api-key", "no-es-la-clave-buena")
        page.press("#api-key", "Enter")
        page.click("#analyze")
        expect(page.locator("#single-error")).to_contain_text("clave de API")

        page.fill("#api-key", KEY)
        page.press("#api-key", "Enter")
        assert page.evaluate("sessionStorage.getItem('quejas.apiKey')") == KEY
        page.click("#analyze")
        expect(page.locator("#draft-card")).to_be_visible()
        expect(page.locator("#single-error")).to_be_hidden()
        context.close()


def test_not_ready_and_too_long(browser, tiny_model, tmp_path):
    """A model that cannot load: the page says so instead of showing a blank or raw JSON."""
    settings = settings_for(tiny_model, model_path=tmp_path / "no-model", max_text_chars=60, warmup=False)
    with LiveServer(settings, None, wait_for="/health/live") as live:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(live.url)
        expect(page.locator("#status")).to_have_attribute("data-state", "error")
        expect(page.locator("#complaint-count")).to_contain_text("/ 60 caracteres")

        page.fill("#complaint", "x" * 61)
        page.click("#analyze")
        expect(page.locator("#single-error")).to_contain_text("el máximo es 60")

        page.fill("#complaint", "El pedido no llega.")
        page.click("#analyze")
        expect(page.locator("#single-error")).to_contain_text("aún no está disponible")
        context.close()


def test_parse_file_reads_xlsx_and_semicolon_csv(server):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Nº", "Descripción", "Fecha"])
    sheet.append([1, "El técnico no vino", "2024-05-01"])
    sheet.append([2, "Factura duplicada", "2024-05-02"])
    data = io.BytesIO()
    book.save(data)
    xlsx = httpx.post(f"{server.url}/v1/parse-file", files={"file": ("quejas.xlsx", data.getvalue())})
    assert xlsx.status_code == 200, xlsx.text
    body = xlsx.json()
    assert body["columns"] == ["Nº", "Descripción", "Fecha"] and body["text_column"] == "Descripción"
    assert body["rows"][0][:2] == ["1", "El técnico no vino"]

    latin = "codigo;detalle\n7;No me atendió nadie en la tienda\n".encode("cp1252")
    csv_response = httpx.post(f"{server.url}/v1/parse-file", files={"file": ("q.csv", latin)})
    assert csv_response.status_code == 200, csv_response.text
    assert csv_response.json()["text_column"] == "detalle"
    assert csv_response.json()["rows"] == [["7", "No me atendió nadie en la tienda"]]

    ragged = b"id;texto\n1;El pedido no llega; nadie contesta\n"
    bad = httpx.post(f"{server.url}/v1/parse-file", files={"file": ("q.csv", ragged)})
    assert bad.status_code == 422 and "entre comillas" in bad.json()["error"]["message"]

    config = httpx.get(f"{server.url}/v1/config").json()
    assert config["max_upload_rows"] == MAX_UPLOAD_ROWS and config["api_key_required"] is False


def test_priority_badge_and_sorting_the_batch_by_priority(page, analyzer, tmp_path):
    page.fill("#complaint", COMPLAINT)
    page.press("#complaint", "Control+Enter")
    expected = analyzer.analyze([COMPLAINT])[0].priority
    badge = page.locator("#result-priority")
    expect(badge).to_have_attribute("data-priority", expected)
    expect(badge).to_have_text(f"{expected} · {priority_display(expected)}")

    texts = [
        "¡Muchas gracias por la ayuda!",
        "El pedido PED-1 no llega y nadie contesta.",
        "Me cobraron dos veces. Pediré la hoja de reclamaciones y os demandaré y lo publicaré en Twitter.",
        "¿A qué hora abren el sábado?",
    ]
    source = tmp_path / "quejas.csv"
    source.write_text("texto\n" + "".join(f'"{t}"\n' for t in texts), encoding="utf-8")
    page.click("#tab-batch")
    page.set_input_files("#batch-file", str(source))
    page.click("#batch-start")
    expect(page.locator("#batch-progress-text")).to_contain_text("Listo")

    analyses = analyzer.analyze(texts)
    levels = ["P1", "P2", "P3", "P4"]
    urgent_first = sorted(
        range(len(texts)), key=lambda i: (levels.index(analyses[i].priority), analyses[i].sentiment.score, i)
    )
    assert urgent_first != list(range(len(texts)))  # the cue-raised risks make the sort move rows

    def shown() -> list[tuple[int, str]]:
        rows = page.locator("#batch-table tbody tr")
        return [
            (
                int(rows.nth(k).get_attribute("data-row")),
                rows.nth(k).locator(".badge-priority").get_attribute("data-priority"),
            )
            for k in range(rows.count())
        ]

    assert shown() == [(i, analyses[i].priority) for i in range(len(texts))]
    page.click("#batch-sort")
    expect(page.locator("#batch-sort-header")).to_have_attribute("aria-sort", "ascending")
    assert shown() == [(i, analyses[i].priority) for i in urgent_first]
    page.click("#batch-sort")
    expect(page.locator("#batch-sort-header")).to_have_attribute("aria-sort", "none")
    assert [row for row, _ in shown()] == list(range(len(texts)))

    with page.expect_download() as info:
        page.click("#batch-download")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert [row["priority"] for row in rows] == [a.priority for a in analyses]
