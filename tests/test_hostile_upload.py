"""Hostile files sent to the page's upload route: zip bombs, giant cells, foreign encodings, id columns."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import zipfile

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from serve.app import create_app
from serve.settings import Settings

MAX_ROWS = 50


def make_settings(tiny_model) -> Settings:
    return Settings(model_path=tiny_model, device="cpu", max_upload_rows=MAX_ROWS, max_wait_ms=0)


@pytest.fixture(scope="module")
def client(tiny_model, analyzer):
    with TestClient(create_app(make_settings(tiny_model), analyzer=analyzer)) as c:
        yield c


def upload(client, name: str, data: bytes):
    return client.post("/v1/parse-file", files={"file": (name, data)})


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip_with(data: bytes, member: str, content: bytes) -> bytes:
    """The same workbook with ``member`` replaced by ``content`` (deflated at the highest level)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == member else source.read(info.filename))
    return out.getvalue()


def million_row_sheet() -> bytes:
    rows = '<row><c t="inlineStr"><is><t>queja</t></is></c></row>' * 1_000_000  # row numbers are optional
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def giant_cell_sheet(chars: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>texto</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"a" * chars}</t></is></c></row></sheetData></worksheet>'
    ).encode()


def test_an_xlsx_bomb_is_refused_before_it_is_expanded(client):
    bomb = rezip_with(xlsx([["texto"], ["x"]]), "xl/worksheets/sheet1.xml", million_row_sheet())
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    response = upload(client, "bomba.xlsx", bomb)
    assert response.status_code == 413 and response.json()["error"]["code"] in {"xlsx_bomb", "too_many_rows"}
    assert time.perf_counter() - started < 2


def test_a_giant_cell_is_refused_not_echoed(client):
    data = rezip_with(xlsx([["texto"], ["x"]]), "xl/worksheets/sheet1.xml", giant_cell_sheet(80 * 1024 * 1024))
    response = upload(client, "celda.xlsx", data)
    assert response.status_code == 413 and response.json()["error"]["code"] == "xlsx_bomb"
    assert len(response.content) < 10_000
    smaller = rezip_with(xlsx([["texto"], ["x"]]), "xl/worksheets/sheet1.xml", giant_cell_sheet(40_000))
    response = upload(client, "celda.xlsx", smaller)
    assert response.status_code == 413 and response.json()["error"]["code"] == "cell_too_large"


def test_rows_past_the_limit_stop_the_reading(client):
    many = xlsx([["texto"]] + [[f"queja número {i}"] for i in range(MAX_ROWS + 1)])
    response = upload(client, "muchas.xlsx", many)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_rows"
    assert f"máximo es {MAX_ROWS}" in response.json()["error"]["message"]
    csv = ("texto\n" + "".join(f"queja {i}\n" for i in range(MAX_ROWS + 1))).encode()
    assert upload(client, "muchas.csv", csv).status_code == 413


def test_parsing_runs_off_the_event_loop(tiny_model, analyzer, monkeypatch):
    import serve.routes.upload as upload_route

    real = upload_route.parse_upload
    parsing = threading.Event()

    def slow_parse(*args):
        parsing.set()
        time.sleep(0.8)  # a big file
        return real(*args)

    monkeypatch.setattr(upload_route, "parse_upload", slow_parse)
    app = create_app(make_settings(tiny_model), analyzer=analyzer)

    async def scenario():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                started = time.perf_counter()
                parse = asyncio.create_task(c.post("/v1/parse-file", files={"file": ("q.csv", b"texto\nhola\n")}))
                while not parsing.is_set():
                    await asyncio.sleep(0.005)
                live = await c.get("/health/live")
                live_seconds = time.perf_counter() - started
                parsed = await parse
                return live, live_seconds, parsed, time.perf_counter() - started

    live, live_seconds, parsed, parse_seconds = asyncio.run(scenario())
    assert live.status_code == 200 and parsed.status_code == 200
    assert live_seconds < parse_seconds - 0.3


ROWS = [
    ["id", "comentario_cliente"],
    ["PED-48213", "El pedido no llega y nadie contesta"],
    ["PED-48214", "Me cobraron dos veces la factura de marzo"],
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "cp1252"])
def test_csv_in_other_encodings_is_read_as_text(client, encoding):
    text = "\n".join(";".join(r) for r in ROWS) + "\nPED-5;Atención pésima, ¡qué vergüenza!\n"
    data = text.encode(encoding)  # utf-16-le has no byte order mark: found by detection
    response = upload(client, "q.csv", data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["id", "comentario_cliente"]
    assert body["text_column"] == "comentario_cliente"
    assert body["rows"][2] == ["PED-5", "Atención pésima, ¡qué vergüenza!"]


def test_shift_jis_csv_is_decoded(client):
    text = (
        "番号,内容\n1,注文した商品がまだ届きません。何度も電話しましたが誰も出ません。\n"
        "2,請求書が二重に届きました。返金をお願いします。\n"
    )
    response = upload(client, "q.csv", text.encode("shift_jis"))
    assert response.status_code == 200, response.text
    assert response.json()["rows"][0][1] == "注文した商品がまだ届きません。何度も電話しましたが誰も出ません。"
    assert response.json()["text_column"] == "内容"


def test_an_id_column_is_never_the_text_column(client):
    ids_only = "\n".join(f"A{i:03d},{i * 3.5}" for i in range(10))
    response = upload(client, "q.csv", ("codigo,importe\n" + ids_only + "\n").encode())
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_text_column"
    assert "«codigo», «importe»" in response.json()["error"]["message"]
    mixed = "ref,canal,detalle\n" + "".join(
        f"PED-{i},email,El pedido {i} llegó roto y nadie responde\n" for i in range(5)
    )
    assert upload(client, "q.csv", mixed.encode()).json()["text_column"] == "detalle"
