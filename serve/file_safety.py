"""Reading untrusted uploaded files without being fooled: zip bombs and unknown text encodings.

An XLSX file is a zip archive. A few hundred kilobytes can declare hundreds of megabytes of XML (a
million rows, or one giant cell) that a parser would expand in memory while the event loop waits.
The archive's directory declares every member's uncompressed size, and Python's zipfile never
inflates a member past its declared size (it stops with a CRC error), so checking the declared sizes
and compression ratios before opening the workbook bounds the work in advance.

A CSV from a helpdesk export may be UTF-8, Windows-1252, UTF-16 (Excel's "Unicode text") or, from a
Japanese office, Shift-JIS. Byte order marks decide when present; then strict UTF-8; then
Windows-1252 when it yields only Western European letters (the common Spanish case, which generic
detectors confuse with Central European code pages); else charset-normalizer's best guess.
"""

from __future__ import annotations

import codecs
import io
import zipfile

from serve.errors import ApiError

MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # all members of an uploaded XLSX together
MAX_RATIO = 100  # uncompressed / compressed size of any member bigger than RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
WESTERN_LETTERS = set("áéíóúüñÁÉÍÓÚÜÑ¡¿çÇàèìòùÀÈÌÒÙâêîôûÂÊÎÔÛäëïöÄËÏÖãõÃÕ€ºª«»·–—‘’“”…°ß´¨")


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX whose members declare too much data or compress suspiciously well (413 ``xlsx_bomb``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ApiError(422, "bad_file", f"No se pudo leer el Excel: el archivo zip está dañado ({exc}).") from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ApiError(
            413,
            "xlsx_bomb",
            f"El Excel se expande a {total // (1024 * 1024)} MB al abrirlo (máximo "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB). Divídalo o guárdelo como CSV.",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise ApiError(
                413,
                "xlsx_bomb",
                f"El Excel contiene «{member.filename}», que se expande {ratio:.0f} veces al abrirlo (máximo "
                f"{MAX_RATIO}); no parece una hoja de cálculo normal.",
            )


def decode_text(data: bytes) -> str:
    """The text of an uploaded CSV; a clear 422 when no encoding reads it."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ApiError(
                    422, "bad_encoding", f"El archivo dice ser {encoding.upper()} pero no lo es (byte {exc.start})."
                ) from None
    try:
        text = data.decode("utf-8")
        if "\x00" not in text:
            return text
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        if "\x00" not in text and all(ch.isascii() or ch in WESTERN_LETTERS for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ApiError(
            422,
            "bad_encoding",
            "No se reconoce la codificación del archivo: guárdelo como CSV UTF-8 y vuelva a subirlo.",
        )
    return str(best)
