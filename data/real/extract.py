"""Build the staging set of real public Spanish complaints from openly licensed snapshots.

Why this exists: the corpus under data/complaints is written by hand and reads cleaner than what
customers post. The real set gives the model (and its evaluation) text as people actually write
it. Every record must be traceable to a licensed source, so this script is the only way records
enter data/real/raw: it reads the source files exactly as published, keeps the text verbatim
apart from masking private contact data, filters, deduplicates and samples with a fixed seed.

Usage (each --src is SLUG=PATH to the file as published in the source repository):

    python data/real/extract.py --out data/real/raw \\
        --src coah=/tmp/realsrc/corpus_coah.xml \\
        --src coar=/tmp/realsrc/CorpusCOAR_0.xlsx

Only the standard library is used so the script runs anywhere the repository is checked out.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

SEED = 13
MIN_WORDS = 5
MAX_WORDS = 400


@dataclass
class Raw:
    """One text as read from a source, before masking and selection."""

    text: str
    rating: int | None
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- readers (one per source format)


def read_coah(path: Path) -> Iterator[Raw]:
    """SINAI COAH: TripAdvisor hotel reviews (Andalusia) in one XML file, rank 1-5."""
    ns = "{http://sinai.ujaen.es/coah}"
    root = ET.parse(path).getroot()
    for review in root.iter(f"{ns}hotel_review"):
        body = (review.findtext(f"{ns}review") or "").strip()
        rank = review.findtext(f"{ns}rank")
        yield Raw(
            text=body,
            rating=int(rank) if rank and rank.strip().isdigit() else None,
            meta={
                "source_id": (review.findtext(f"{ns}id") or "").strip(),
                "title": (review.findtext(f"{ns}abstract") or "").strip(),
            },
        )


def _xlsx_rows(path: Path, sheet_name: str) -> Iterator[list[str]]:
    """Rows of one sheet of an .xlsx file as lists of strings (stdlib only, no openpyxl)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(path) as zf:
        shared = [
            "".join(t.text or "" for t in si.iter(f"{main}t"))
            for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).findall(f"{main}si")
        ]
        workbook = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheet = next(s for s in workbook.iter(f"{main}sheet") if s.get("name") == sheet_name)
        target = targets[sheet.get(f"{rel}id")].lstrip("/")
        target = target if target.startswith("xl/") else f"xl/{target}"
        for row in ET.fromstring(zf.read(target)).iter(f"{main}row"):
            cells: dict[int, str] = {}
            for cell in row.findall(f"{main}c"):
                col = re.match(r"[A-Z]+", cell.get("r", "A")).group(0)
                index = 0
                for ch in col:
                    index = index * 26 + (ord(ch) - 64)
                value = cell.find(f"{main}v")
                if value is None:
                    inline = cell.find(f"{main}is")
                    text = "".join(t.text or "" for t in inline.iter(f"{main}t")) if inline is not None else ""
                elif cell.get("t") == "s":
                    text = shared[int(value.text)]
                else:
                    text = value.text or ""
                cells[index - 1] = text
            if cells:
                yield [cells.get(i, "") for i in range(max(cells) + 1)]


def read_coar(path: Path) -> Iterator[Raw]:
    """SINAI COAR: TripAdvisor restaurant reviews (Andalusia); sheet COAR_Orden_Nombre."""
    rows = _xlsx_rows(path, "COAR_Orden_Nombre")
    header = next(rows)
    col = {name: i for i, name in enumerate(header)}
    for row in rows:
        row = row + [""] * (len(header) - len(row))
        stars = re.match(r"\s*(\d)", row[col["rank"]])
        yield Raw(
            text=row[col["Comentario"]].strip(),
            rating=int(stars.group(1)) if stars else None,
            meta={
                "source_id": row[col["id"]].strip(),
                "title": row[col["Titulo"]].strip().strip("“”\""),
                "place": row[col["Hotel"]].strip(),
            },
        )


def read_play_reviews_json(path: Path) -> Iterator[Raw]:
    """google-play-scraper output (a JSON list with content/score/at), as stored by several repos."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for item in data:
        yield Raw(
            text=(item.get("content") or "").strip(),
            rating=item.get("score"),
            meta={"source_id": item.get("reviewId"), "date": item.get("at"), "app": Path(path).name.split("___")[0]},
        )


# ------------------------------------------------------------------------------- source registry


@dataclass
class Source:
    """How one source is read, what it is, and how many records to take from it."""

    reader: Callable[[Path], Iterable[Raw]]
    genre: str
    variety: str | None
    sector: str | Callable[[Raw], str]
    complaints: int  # records taken from the complaint pool (ratings in complaint_ratings)
    others: int  # records taken from the non-complaint pool (ratings in other_ratings)
    complaint_ratings: tuple[int, ...] = (1, 2)
    other_ratings: tuple[int, ...] = (4, 5)


SOURCES: dict[str, Source] = {
    "coah": Source(read_coah, "review", "es-ES", "hotels", complaints=330, others=40),
    "coar": Source(read_coar, "review", "es-ES", "other", complaints=420, others=50),
}


# ---------------------------------------------------------------------------------- text helpers

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){3,7}(?:[ -]?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_DNI = re.compile(r"\b(?:\d{8}[ -]?[A-HJ-NP-TV-Z]|[XYZ][ -]?\d{7}[ -]?[A-HJ-NP-TV-Z])\b")
_PHONE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[ .-]?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{2,4}(?![\w/])")


def _is_phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    return 9 <= len(digits) <= 13


def mask(text: str) -> str:
    """Replace private contact data; order and ticket codes (letters and digits) are kept."""
    text = _EMAIL.sub("[EMAIL]", text)
    text = _IBAN.sub("[NÚMERO]", text)
    text = _DNI.sub("[NÚMERO]", text)
    text = _CARD.sub(lambda m: "[NÚMERO]" if len(re.sub(r"\D", "", m.group(0))) >= 13 else m.group(0), text)
    text = _PHONE.sub(lambda m: "[TELÉFONO]" if _is_phone(m.group(0)) else m.group(0), text)
    return text


_WORD = re.compile(r"\w+", re.UNICODE)
_SPANISH = set(
    "el la los las de del que y en un una por con para no es se lo le les me mi al pero muy más "
    "como todo nos fue era está están hay son sin ya su sus este esta esto porque cuando también "
    "nada bien mal nunca hemos tienen tiene".split()
)
_OTHER = set(
    # Catalan, English and Portuguese function words that Spanish does not use
    "amb els és per perquè molt però aquesta aquest també nosaltres hem vam seva "
    "the and is it to of was this that with for you not have are "
    "não uma com muito também você isso está".split()
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_spanish(text: str) -> bool:
    """Cheap function-word vote: enough to drop Catalan, English and Portuguese posts."""
    tokens = words(text)
    if not tokens:
        return False
    es = sum(t in _SPANISH for t in tokens)
    other = sum(t in _OTHER for t in tokens)
    return es >= max(2, 2 * other) and es / len(tokens) >= 0.12


def norm_key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9ñ]+", folded))


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    tokens = norm_key(text).split()
    if len(tokens) < n:
        return {tuple(tokens)}
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


class Deduper:
    """Exact duplicates by normalised text; near duplicates by word 3-gram Jaccard >= 0.7."""

    def __init__(self, threshold: float = 0.7) -> None:
        self.threshold = threshold
        self.exact: set[str] = set()
        self.kept: list[set[tuple[str, ...]]] = []
        self.index: dict[tuple[str, ...], list[int]] = {}

    def seen(self, text: str) -> bool:
        key = norm_key(text)
        if key in self.exact:
            return True
        sh = shingles(text)
        candidates: dict[int, int] = {}
        for s in sh:
            for i in self.index.get(s, ()):
                candidates[i] = candidates.get(i, 0) + 1
        for i, common in candidates.items():
            other = self.kept[i]
            if common / (len(sh) + len(other) - common) >= self.threshold:
                return True
        self.exact.add(key)
        self.kept.append(sh)
        for s in sh:
            self.index.setdefault(s, []).append(len(self.kept) - 1)
        return False


# ------------------------------------------------------------------------------------- pipeline


def usable(raw: Raw) -> bool:
    n = len(raw.text.split())
    return MIN_WORDS <= n <= MAX_WORDS and is_spanish(raw.text)


def select(slug: str, source: Source, path: Path, dedupe: Deduper, rng: random.Random) -> list[dict]:
    """Filter, shuffle with the seed, then take the quota from each pool while deduplicating."""
    pool = [r for r in source.reader(path) if r.text and usable(r)]
    rng.shuffle(pool)
    taken: list[dict] = []
    for ratings, quota, kind in (
        (source.complaint_ratings, source.complaints, "complaint_pool"),
        (source.other_ratings, source.others, "other_pool"),
    ):
        count = 0
        for raw in pool:
            if count >= quota:
                break
            if raw.rating not in ratings:
                continue
            text = mask(raw.text)
            if dedupe.seen(text):
                continue
            sector = source.sector(raw) if callable(source.sector) else source.sector
            meta = {k: v for k, v in raw.meta.items() if v not in (None, "")}
            meta.update({"rating": raw.rating, "pool": kind})
            taken.append(
                {
                    "text": text,
                    "source": slug,
                    "genre": source.genre,
                    "variety_hint": source.variety,
                    "sector_hint": sector,
                    "meta": meta,
                }
            )
            count += 1
    for i, record in enumerate(taken, start=1):
        record["id"] = f"{slug}-{i:05d}"
    return [{"id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in taken]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", action="append", required=True, metavar="SLUG=PATH", help="a source and its file")
    parser.add_argument("--out", type=Path, default=Path("data/real/raw"), help="output folder")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    dedupe = Deduper()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for spec in args.src:
        slug, _, raw_path = spec.partition("=")
        if slug not in SOURCES or not raw_path:
            parser.error(f"unknown source or missing path in {spec!r}; known: {', '.join(SOURCES)}")
        path = Path(raw_path)
        if not path.exists():
            parser.error(f"{path} does not exist")
        records = select(slug, SOURCES[slug], path, dedupe, random.Random(f"{args.seed}-{slug}"))
        with open(args.out / f"{slug}.jsonl", "w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{slug}: {len(records)} records", file=sys.stderr)
        total += len(records)
    print(f"total: {total}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
