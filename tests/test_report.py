"""`quejas report`: a self-contained HTML report with every section, plus md and csv summary tables."""

from __future__ import annotations

import io
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.analyzer import Analyzer
from pipeline.batch import LabelOptions, LocalEngine, label_file, model_manifest
from pipeline.cli import app
from pipeline.priority import priority_display
from pipeline.report import (
    HISTOGRAM_BINS,
    SECTION_IDS,
    URGENT_ROWS,
    cause_table_columns,
    collect,
    negative_spread,
    render_csv,
    render_markdown,
    report_columns,
    summary_risk_column,
    urgent_rows,
)
from pipeline.taxonomy import TAXONOMY

runner = CliRunner()
CHANNELS = ["email", "chat", "web_form"]


@pytest.fixture(scope="module")
def labelled(tiny_model, corpus_records, tmp_path_factory) -> Path:
    """A labelled CSV with a date column (mixed formats), a channel, a sector and one bad row."""
    records = corpus_records[:90]
    folder = tmp_path_factory.mktemp("report")
    dates = [
        f"2024-{1 + i % 3:02d}-{1 + i % 27:02d}" if i % 2 else f"{1 + i % 27:02d}/{1 + i % 3:02d}/2024"
        for i in range(len(records))
    ]
    frame = pd.DataFrame(
        {
            "id": range(len(records)),
            "fecha": dates,
            "Canal": [CHANNELS[i % 3] for i in range(len(records))],
            "sector": [r.sector for r in records],
            "texto": [r.text for r in records],
        }
    )
    frame.loc[5, "texto"] = ""
    source = folder / "quejas.csv"
    frame.to_csv(source, index=False)
    output = folder / "quejas.labeled.csv"
    engine = LocalEngine(Analyzer.load(tiny_model, device="cpu"))
    label_file(source, output, engine, model_manifest(tiny_model), LabelOptions(chunk_size=25), progress=False)
    return output


@pytest.fixture(scope="module")
def truth(labelled) -> pd.DataFrame:
    return pd.read_csv(labelled, dtype=str, keep_default_na=False)


class Sections(HTMLParser):
    """Text of every element with an id, plus every src/href and tag name seen."""

    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []
        self.text: dict[str, list[str]] = {}
        self.links: list[str] = []
        self.tags: Counter = Counter()
        self.svgs_in: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] += 1
        for name in ("src", "href"):
            if attrs.get(name):
                self.links.append(attrs[name])
        self.stack.append(attrs.get("id"))
        if attrs.get("id"):
            self.text.setdefault(attrs["id"], [])
        if tag == "svg":
            for section in filter(None, self.stack):
                self.svgs_in[section] += 1
        if tag in ("meta", "br", "line", "rect", "link", "img", "input"):
            self.stack.pop()  # void / self-closed elements

    def handle_endtag(self, tag):
        if tag not in ("meta", "br", "line", "rect", "link", "img", "input") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for section in filter(None, self.stack):
            self.text[section].append(data)

    def section(self, name: str) -> str:
        return " ".join(" ".join(self.text.get(name, [])).split())


def parse(path: Path) -> Sections:
    parser = Sections()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def report(labelled: Path, output: Path, *args: str):
    result = runner.invoke(app, ["report", str(labelled), "-o", str(output), *args])
    assert result.exit_code == 0, result.output
    return result


def test_html_has_every_section_with_content(labelled, truth, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out)
    html = parse(out)
    for section in SECTION_IDS:
        assert len(html.section(section)) > 40, section

    ok = truth[truth["error"] == ""]
    causes = Counter(c for value in ok["causes"] for c in value.split(";") if c)
    top, count = causes.most_common(1)[0]
    text = html.section("causas")
    assert TAXONOMY.cause(top).display in text and str(count) in text
    assert top not in text.split()  # Spanish names, not ids
    for group_name in TAXONOMY.groups.values():
        assert group_name in html.section("grupos")
    groups = Counter(ok["group"])
    assert f"{groups['operational']} ·" in html.section("grupos")
    for sentiment_name in TAXONOMY.sentiments.values():
        assert sentiment_name in html.section("sentimiento")
    risks = html.section("riesgos")
    for risk in TAXONOMY.risks:
        flagged = int((ok[f"risk_{risk.id}"] == "True").sum())
        assert f"{risk.display}: {flagged} ·" in risks
    assert "Filas con error" in html.section("resumen") and "Texto vacío" in html.section("resumen")
    for section in ("causas", "grupos", "sentimiento", "riesgos", "tendencias"):
        assert html.svgs_in[section] >= 1, section


def test_trends_by_month_read_iso_and_day_first_dates(labelled, truth, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out)
    trends = parse(out).section("tendencias")
    assert "fecha" in trends
    for month in ("2024-01", "2024-02", "2024-03"):
        assert month in trends
    ok = truth[truth["error"] == ""]
    # "2024-02-05" and "05/02/2024" are both February; the month is 1 + id % 3 by construction.
    expected = Counter(f"2024-{1 + int(i) % 3:02d}" for i in ok["id"])
    data = collect(labelled)
    assert {month: stats.labelled for month, stats in data.months.items()} == dict(expected)
    assert data.undated == 0


def test_breakdowns_use_channel_and_sector_columns(labelled, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out)
    breakdown = parse(out).section("desglose")
    assert "Canal (columna Canal)" in breakdown and "Sector (columna sector)" in breakdown
    for channel in CHANNELS:
        assert channel in breakdown
    assert "Producto (columna" not in breakdown  # no product column in this file


def test_examples_are_the_highest_scoring_complaints_per_cause(labelled, truth, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out, "--examples", "2")
    examples = parse(out).section("ejemplos")
    ok = truth[truth["error"] == ""]
    cause = Counter(c for v in ok["causes"] for c in v.split(";") if c).most_common(1)[0][0]
    with_cause = ok[ok["causes"].str.split(";").apply(lambda causes: cause in causes)]
    best = with_cause.assign(s=with_cause[f"score_{cause}"].astype(float)).sort_values("s", ascending=False)
    first_words = " ".join(best["texto"].iloc[0].split()[:8])
    assert TAXONOMY.cause(cause).display in examples
    assert first_words in examples
    assert f"puntuación {best['s'].iloc[0]:.2f}" in examples


def test_html_is_self_contained(labelled, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out)
    html = parse(out)
    assert html.links, "the page has its own anchors"
    assert all(link.startswith("#") for link in html.links), html.links
    assert html.tags["script"] == 0 and html.tags["link"] == 0 and html.tags["img"] == 0
    content = out.read_text(encoding="utf-8")
    assert "http://" not in content and "https://" not in content and "@import" not in content
    assert html.tags["style"] == 1


def test_report_without_a_date_column_explains_how_to_get_trends(labelled, tmp_path):
    frame = pd.read_csv(labelled, dtype=str, keep_default_na=False).drop(columns=["fecha"])
    no_dates = tmp_path / "sin_fecha.csv"
    frame.to_csv(no_dates, index=False)
    out = tmp_path / "informe.html"
    report(no_dates, out)
    assert "--date-column" in parse(out).section("tendencias")


def test_date_column_option(labelled, tmp_path):
    frame = pd.read_csv(labelled, dtype=str, keep_default_na=False).rename(columns={"fecha": "alta"})
    renamed = tmp_path / "renamed.csv"
    frame.to_csv(renamed, index=False)
    out = tmp_path / "informe.html"
    report(renamed, out, "--date-column", "alta")
    assert "2024-02" in parse(out).section("tendencias")


def test_csv_summary_counts_each_cause(labelled, truth, tmp_path):
    out = tmp_path / "resumen.csv"
    report(labelled, out)
    table = pd.read_csv(out)
    ok = truth[truth["error"] == ""]
    causes = Counter(c for v in ok["causes"] for c in v.split(";") if c)
    assert dict(zip(table["id"], table["quejas"])) == dict(causes)
    assert table["quejas"].is_monotonic_decreasing
    assert set(table["causa"]) == {TAXONOMY.cause(c).display for c in causes}
    assert list(table.columns[:4]) == ["id", "causa", "grupo", "quejas"]


def test_markdown_summary(labelled, tmp_path):
    out = tmp_path / "resumen.md"
    report(labelled, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Informe de quejas")
    assert "| Causa | Grupo | Quejas |" in text and "## Evolución mensual (fecha)" in text
    assert "Filas con error (no analizadas) | 1 |" in text
    report(labelled, tmp_path / "resumen.txt", "--format", "md")
    assert (tmp_path / "resumen.txt").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_labelled_files_give_the_same_summary(tiny_model, labelled, tmp_path, fmt):
    # The labelling input, not the labelled CSV's text column: CSV output escapes formula-leading cells
    # ("@handle ..." becomes "'@handle ..."), which the model would read as a different text.
    source = labelled.with_name("quejas.csv")
    other = tmp_path / f"quejas.labeled.{fmt}"
    engine = LocalEngine(Analyzer.load(tiny_model, device="cpu"))
    label_file(source, other, engine, model_manifest(tiny_model), LabelOptions(chunk_size=25), progress=False)
    assert render_csv(collect(other)) == render_csv(collect(labelled))
    assert render_markdown(collect(other)).splitlines()[1:] == render_markdown(collect(labelled)).splitlines()[1:]


def test_report_reads_in_chunks(labelled):
    small = collect(labelled, chunk_size=7)
    whole = collect(labelled, chunk_size=100_000)
    assert render_csv(small) == render_csv(whole)
    assert small.examples == whole.examples
    assert {m: s.labelled for m, s in small.months.items()} == {m: s.labelled for m, s in whole.months.items()}


def test_report_refuses_a_file_that_is_not_labelled(tmp_path):
    plain = tmp_path / "quejas.csv"
    plain.write_text("id,texto\n1,hola\n")
    result = runner.invoke(app, ["report", str(plain), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert "quejas label" in result.output and "Traceback" not in result.output
    assert pd.read_csv(io.StringIO(plain.read_text())).shape == (1, 2)


def _expected_urgent(truth: pd.DataFrame) -> list[int]:
    """Row numbers (from 1) of the most urgent rows: highest level, then most negative score, then first."""
    ok = truth[truth["error"] == ""].copy()
    ok["row"] = ok.index + 1
    ok["score"] = ok["sentiment_score"].astype(float)
    ordered = ok.sort_values(["priority", "score", "row"], kind="stable")  # "P1" < "P2": text order is level order
    return ordered["row"].head(URGENT_ROWS).tolist()


def test_the_most_urgent_section_lists_rows_by_priority_then_intensity(labelled, truth, tmp_path):
    data = collect(labelled)
    ok = truth[truth["error"] == ""]
    assert dict(data.priorities) == dict(Counter(ok["priority"]))
    assert [u["fila"] for u in urgent_rows(data)] == _expected_urgent(truth)
    assert collect(labelled, chunk_size=7).urgent == data.urgent  # the same whatever the chunking

    out = tmp_path / "informe.html"
    report(labelled, out)
    section = parse(out).section("urgentes")
    assert section.startswith("Las más urgentes")
    for level in ("P1", "P2", "P3", "P4"):
        assert f"{level} · {priority_display(level)}: {data.priorities[level]} ·" in section
    first = urgent_rows(data)[0]
    assert f"{first['prioridad']} · {first['nombre']}" in section
    assert " ".join(first["texto"][:40].split()) in section
    md = tmp_path / "resumen.md"
    report(labelled, md)
    text = md.read_text(encoding="utf-8")
    table = text.split("| Fila | Prioridad |")[1].split("\n\n")[0].splitlines()[2:]
    rows = [int(line.split("|")[1]) for line in table]
    assert rows == _expected_urgent(truth)


def test_a_file_labelled_before_the_priority_says_how_to_get_it(labelled, tmp_path):
    older = tmp_path / "antiguo.csv"
    pd.read_csv(labelled, dtype=str, keep_default_na=False).drop(columns=["priority"]).to_csv(older, index=False)
    out = tmp_path / "informe.html"
    report(older, out)
    section = parse(out).section("urgentes")
    assert "no tiene la columna priority" in section and "Vuelva a etiquetarlo" in section


def test_the_histogram_shows_the_spread_of_the_score(labelled, truth, tmp_path):
    out = tmp_path / "informe.html"
    report(labelled, out)
    html = out.read_text(encoding="utf-8")
    sentiment = html[html.index('<section id="sentimiento">') : html.index('<section id="riesgos">')]
    assert sentiment.count("<rect") == len(TAXONOMY.sentiments) + HISTOGRAM_BINS == 3 + 20  # 0.1-wide bins
    ok = truth[truth["error"] == ""]
    negative = ok.loc[ok["sentiment"] == "negative", "sentiment_score"].astype(float)
    spread = negative_spread(collect(labelled))
    assert spread["n"] == len(negative)
    assert abs(spread["median"] - negative.median()) <= 0.011
    assert spread["below_0_9"] == pytest.approx((negative < -0.9).mean())
    assert f"Entre los {len(negative)} mensajes negativos: mediana" in parse(out).section("dispersion")


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_a_file_written_by_quejas_label_goes_through_quejas_report(tiny_model, corpus_records, tmp_path, ext):
    """The one labelled-file schema end to end: the CLI's output is the report's input, every result column read."""
    source = tmp_path / "quejas.csv"
    records = corpus_records[:30]
    pd.DataFrame(
        {
            "id": range(30),
            "Fecha": [f"2024-0{1 + i % 2}-1{i % 9}" for i in range(30)],
            "canal": [CHANNELS[i % 3] for i in range(30)],
            "Comentario": [r.text for r in records],
        }
    ).to_csv(source, sep=";", index=False)  # a semicolon CSV, as Spanish spreadsheets save it
    labelled = tmp_path / f"quejas.labeled{ext}"
    label = runner.invoke(
        app, ["label", str(source), "-o", str(labelled), "--model", str(tiny_model), "--device", "cpu", "--no-progress"]
    )
    assert label.exit_code == 0, label.output

    columns = report_columns(labelled)
    assert columns.text == "Comentario" and columns.date == "Fecha" and columns.breakdowns == {"Canal": "canal"}
    assert list(columns.risks) == list(TAXONOMY.risk_ids) and list(columns.scores) == list(TAXONOMY.cause_ids)
    assert columns.has_priority and columns.has_model_version

    out = tmp_path / "resumen.csv"
    result = runner.invoke(app, ["report", str(labelled), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "30 rows" in " ".join(result.output.split())
    table = pd.read_csv(out)
    assert list(table.columns) == cause_table_columns()
    assert [c for c in table.columns if c.startswith("riesgo_")] == [summary_risk_column(r) for r in TAXONOMY.risk_ids]
    rows = pd.read_csv(labelled, dtype=str, keep_default_na=False) if ext == ".csv" else pd.read_parquet(labelled)
    causes = Counter(c for v in rows["causes"] if isinstance(v, str) for c in v.split(";") if c)
    assert dict(zip(table["id"], table["quejas"])) == dict(causes)
    html = tmp_path / "informe.html"
    assert runner.invoke(app, ["report", str(labelled), "-o", str(html)]).exit_code == 0
    assert "2024-02" in parse(html).section("tendencias")


def test_every_error_kind_of_the_schema_has_a_spanish_name():
    from pipeline.batch import ERROR_KINDS
    from pipeline.report.render import ERROR_NAMES

    assert set(ERROR_NAMES) == set(ERROR_KINDS)
