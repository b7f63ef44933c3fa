"""The table core shared by `quejas label` and the page's upload route: one reading of a file, one text column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.batch import BatchError, find_text_column, read_chunks, scan_input
from pipeline.batch.errors import CellTooLarge, TooManyRows
from pipeline.batch.tables import Limits, column_names, csv_records, guess_separator, table_records
from serve.routes.upload import parse_upload


def batch_table(path: Path, fmt: str) -> tuple[list[str], list[list]]:
    info = scan_input(path, fmt)
    frames = list(read_chunks(path, fmt, info.columns, 100))
    rows = [row[: len(info.columns)] for frame in frames for row in frame.values.tolist()]
    return info.columns, rows


def page_table(path: Path) -> tuple[list[str], list[list[str]], str]:
    parsed = parse_upload(path.name, path.read_bytes(), max_rows=1000, max_cell_chars=10_000)
    return parsed.columns, parsed.rows, parsed.text_column


def test_a_semicolon_csv_reads_the_same_in_batch_and_on_the_page(tmp_path):
    source = tmp_path / "quejas.csv"
    source.write_text(
        "id;Descripción;canal\n1;El pedido no llega, y nadie contesta;email\n2;Cobro doble;chat\n", encoding="utf-8"
    )
    columns, rows = batch_table(source, "csv")
    page_columns, page_rows, page_text = page_table(source)
    assert columns == page_columns == ["id", "Descripción", "canal"]
    assert rows == page_rows == [["1", "El pedido no llega, y nadie contesta", "email"], ["2", "Cobro doble", "chat"]]
    assert find_text_column(columns) == page_text == "Descripción"


def test_blank_and_repeated_header_names_are_the_same_in_batch_and_on_the_page(tmp_path):
    source = tmp_path / "quejas.csv"
    source.write_text(" id ,,texto,texto\n\n1,a,hola,adiós\n,,,\n2,b,buenas,tardes\n", encoding="utf-8")
    columns, rows = batch_table(source, "csv")
    page_columns, page_rows, _ = page_table(source)
    assert columns == page_columns == ["id", "columna_2", "texto", "texto_2"]
    assert rows == page_rows == [["1", "a", "hola", "adiós"], ["2", "b", "buenas", "tardes"]]  # blank records skipped


def test_an_xlsx_reads_the_same_in_batch_and_on_the_page(tmp_path):
    book = Workbook()
    sheet = book.active
    for row in (
        ["Nº", "Comentario", None],
        [1, "El técnico no vino", None],
        [None, None, None],
        [2, "Factura duplicada", None],
    ):
        sheet.append(row)
    source = tmp_path / "quejas.xlsx"
    book.save(source)
    columns, rows = batch_table(source, "xlsx")
    page_columns, page_rows, page_text = page_table(source)
    assert columns == page_columns == ["Nº", "Comentario"]  # the trailing empty header cell is formatting
    assert (
        [[str(v) for v in row] for row in rows]
        == page_rows
        == [["1", "El técnico no vino"], ["2", "Factura duplicada"]]
    )
    assert find_text_column(columns) == page_text == "Comentario"


def test_the_page_guesses_the_text_column_by_content_and_label_asks_for_it():
    import pandas as pd

    sample = pd.DataFrame(
        {
            "ref": ["PED-1", "PED-2"],
            "canal": ["email", "chat"],
            "detalle": ["El pedido llegó roto y nadie responde", "Me cobraron dos veces"],
        }
    )
    assert find_text_column(list(sample.columns), sample=sample) == "detalle"
    with pytest.raises(BatchError, match="--text-column"):
        find_text_column(list(sample.columns))
    ids = pd.DataFrame({"codigo": ["A001", "A002"], "importe": ["3.5", "7"]})
    with pytest.raises(BatchError):
        find_text_column(list(ids.columns), sample=ids)


def test_limits_stop_the_reading_at_the_first_row_over_them():
    text = "texto\n" + "".join(f"queja {i}\n" for i in range(10))
    records = table_records(csv_records(io.StringIO(text, newline=""), ","), Limits(max_rows=10))
    assert len(list(records)) == 11  # the header and exactly max_rows rows
    consumed = []
    lines = iter(("texto\n" + "".join(f"queja {i}\n" for i in range(1000))).splitlines(keepends=True))

    def counting():
        for line in lines:
            consumed.append(line)
            yield line

    with pytest.raises(TooManyRows):
        list(table_records(csv_records(counting(), ","), Limits(max_rows=5)))
    assert len(consumed) == 7  # stopped, not parsed to the end
    with pytest.raises(CellTooLarge) as raised:
        list(table_records([["texto"], ["ok"], ["x" * 51]], Limits(max_cell_chars=50)))
    assert (raised.value.row, raised.value.column, raised.value.chars) == (3, 1, 51)


@pytest.mark.parametrize(
    "header, separator",
    [("id;texto", ";"), ("id,texto", ","), ("id\ttexto", "\t"), ("id|texto", "|"), ("a;b;c,d", ";")],
)
def test_separator_is_the_one_the_header_uses_most(header, separator):
    assert guess_separator(header + "\n1;2\n") == separator


def test_column_names_are_addressable():
    assert column_names(["a", None, "a", " b ", "", "a"]) == ["a", "columna_2", "a_2", "b", "columna_5", "a_3"]
