"""Build the staging set of real public Spanish complaints from openly licensed snapshots.

Why this exists: the corpus under data/complaints is written by hand and reads cleaner than what
customers post. The real set gives the model (and its evaluation) text as people actually write
it. Every record must be traceable to a licensed source, so this script is the only way records
enter data/real/raw: it reads the source files exactly as published, keeps the text verbatim
apart from masking private contact data, filters, deduplicates and samples with a fixed seed.

Usage (each --src is SLUG=PATH to the file or folder as published in the source repository;
data/real/SOURCES.md says which repository, commit and path each one comes from):

    python data/real/extract.py --out data/real/raw \\
        --src coah=corpus_coah.xml \\
        --src coar=CorpusCOAR_0.xlsx \\
        --src sfu_reviewsp=SFU_Review_SP_NEG_xml \\
        --src decide_madrid=decide_madrid_data

Only the standard library is used so the script runs anywhere the repository is checked out.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
                "title": row[col["Titulo"]].strip().strip('“”"'),
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


def _detokenize(tokens: list[tuple[str, str, str]]) -> str:
    """Undo FreeLing tokenisation: punctuation spacing, multiword '_' joins and split contractions.

    The SFU ReviewSP-NEG corpus only ships tokenised text, so this is the one source whose text is
    reconstructed rather than copied; the rules below restore the original surface forms that
    tokenisation is known to change (a+el, de+el, enclitic pronouns, spaces around punctuation).
    Each token is (word, PoS tag, verb mood).
    """
    closing = {",", ".", ";", ":", "!", "?", ")", "]", "»", "%", "...", "”"}
    opening = {"(", "¿", "¡", "[", "«", "“"}
    out = ""
    glue_next = False
    quote_open = False
    previous_mood = ""
    for token, pos, mood in tokens:
        token = token.replace("_", " ")
        enclitic = previous_mood in {"infinitive", "gerund", "imperative"} and pos.startswith(("pp", "p0"))
        previous_mood = mood
        if enclitic and out:
            out += token
            glue_next = False
            continue
        if token == '"':
            if quote_open:
                out += token
            else:
                out += (" " if out else "") + token
                glue_next = True
            quote_open = not quote_open
            continue
        if not out or glue_next or token in closing:
            out += token
        else:
            out += " " + token
        glue_next = token in opening
    out = re.sub(r"\b([Aa]) el\b", r"\1l", out)
    out = re.sub(r"\b([Dd]e) el\b", r"\1l", out)
    return out


_SFU_SECTORS = {
    "hoteles": "hotels",
    "lavadoras": "appliances",
    "moviles": "appliances",
    "ordenadores": "appliances",
    "coches": "other",
}


def read_sfu(path: Path) -> Iterator[Raw]:
    """SFU ReviewSP-NEG (Ciao.es reviews): one XML per review in SFU_Review_SP_NEG_xml/<domain>/.

    ``path`` is the folder SFU_Review_SP_NEG_xml. File names carry the star rating
    (no_1_11 = 1 star). Books, music and film reviews are skipped: they judge works, not services.
    """
    for domain, sector in _SFU_SECTORS.items():
        for xml_file in sorted((Path(path) / domain).glob("*.xml")):
            match = re.match(r"(yes|no)_(\d)_(\d+)", xml_file.name)
            if not match:
                continue
            root = ET.parse(xml_file).getroot()
            sentences = [
                _detokenize(
                    [
                        (el.get("wd"), el.get("pos", ""), el.get("mood", ""))
                        for el in sentence.iter()
                        if el.get("wd") is not None
                    ]
                )
                for sentence in root.iter("sentence")
            ]
            yield Raw(
                text=" ".join(s for s in sentences if s),
                rating=int(match.group(2)),
                meta={"source_id": f"{domain}/{xml_file.stem}", "domain": domain, "sector": sector},
            )


def read_decide_madrid(path: Path) -> Iterator[Raw]:
    """Decide Madrid (citizen participation portal, 2015-2019): proposals.csv and comments.csv.

    ``path`` is the folder holding both CSV files. Proposals keep summary and body as the author
    wrote them; only top-level comments are taken (replies lean on context the reader lacks).
    """
    with open(Path(path) / "proposals.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            parts = [row["summary"].strip(), row["text"].strip()]
            yield Raw(
                text="\n\n".join(p for p in parts if p),
                rating=None,
                meta={"source_id": row["code"], "kind": "proposal", "title": row["title"].strip(), "date": row["date"]},
            )
    with open(Path(path) / "comments.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["parentId"] != "-1":
                continue
            yield Raw(
                text=row["text"].strip(),
                rating=None,
                meta={
                    "source_id": f"comment-{row['id']}",
                    "kind": "comment",
                    "proposal_id": row["proposalId"],
                    "date": row["date"],
                },
            )


# ------------------------------------------------------------------------------- source registry


@dataclass
class Pool:
    """A slice of a source chosen by rating (or by kind for unrated sources) with its quota."""

    name: str
    accepts: Callable[[Raw], bool]
    quota: int


def stars(*values: int) -> Callable[[Raw], bool]:
    return lambda raw: raw.rating in values


def kind(value: str) -> Callable[[Raw], bool]:
    return lambda raw: raw.meta.get("kind") == value


@dataclass
class Source:
    """How one source is read, what it is, and how many records each pool contributes."""

    reader: Callable[[Path], Iterable[Raw]]
    genre: str | Callable[[Raw], str]
    variety: str | None
    sector: str | Callable[[Raw], str]
    pools: list[Pool]


SOURCES: dict[str, Source] = {
    # complaints = 1-2 stars, "mixed" = 3 stars (usually a complaint next to praise), praise = 4-5
    "coah": Source(
        read_coah,
        "review",
        "es-ES",
        "hotels",
        [Pool("complaint", stars(1, 2), 480), Pool("mixed", stars(3), 70), Pool("praise", stars(4, 5), 80)],
    ),
    "coar": Source(
        read_coar,
        "review",
        "es-ES",
        "other",
        [Pool("complaint", stars(1, 2), 560), Pool("mixed", stars(3), 50), Pool("praise", stars(4, 5), 70)],
    ),
    "sfu_reviewsp": Source(
        read_sfu,
        "review",
        "es-ES",
        lambda raw: raw.meta["sector"],
        [Pool("complaint", stars(1, 2), 125), Pool("praise", stars(4, 5), 25)],
    ),
    "decide_madrid": Source(
        read_decide_madrid,
        lambda raw: "portal" if raw.meta["kind"] == "proposal" else "forum",
        "es-ES",
        "public_services",
        [Pool("proposal", kind("proposal"), 80), Pool("comment", kind("comment"), 250)],
    ),
}


# ---------------------------------------------------------------------------------- text helpers

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# an address broken up by spaces ("bap 555 @ hotmail. com"); "tod@s" has no domain and is kept
_SPACED_EMAIL = re.compile(r"[\w.+-]+(?: [\w.+-]+)? ?@ ?[\w-]+ ?\. ?(?:com|es|net|org|info|eu)\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){3,7}(?:[ -]?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_DNI = re.compile(r"\b(?:\d{8}[ -]?[A-HJ-NP-TV-Z]|[XYZ][ -]?\d{7}[ -]?[A-HJ-NP-TV-Z])\b")
_PHONE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[ .-]?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{2,4}(?![\w/])")


_REFERENCE_CUE = re.compile(
    r"\b(pedido|orden|ticket|reserva|factura|referencia|localizador|expediente|reclamaci[oó]n|incidencia|n[º°]|no\.)\W{0,3}(de\s+\w+\s*)?[:#]?\s*$",
    re.IGNORECASE,
)


def _phone_or_keep(match: re.Match) -> str:
    """Mask a digit run as a phone unless it is too short/long or reads as an order or ticket code."""
    value = match.group(0)
    digits = re.sub(r"\D", "", value)
    if not 9 <= len(digits) <= 13:
        return value
    before = match.string[max(0, match.start() - 30) : match.start()]
    if _REFERENCE_CUE.search(before):
        return value
    grouped = bool(re.search(r"[ .-]", value.strip()))
    if value.strip().startswith("+") or grouped or digits[0] in "6789":
        return "[TELÉFONO]"
    return value


def mask(text: str) -> str:
    """Replace private contact data; order and ticket codes (letters and digits) are kept."""
    text = _EMAIL.sub("[EMAIL]", text)
    text = _SPACED_EMAIL.sub("[EMAIL]", text)
    text = _IBAN.sub("[NÚMERO]", text)
    text = _DNI.sub("[NÚMERO]", text)
    text = _CARD.sub(lambda m: "[NÚMERO]" if len(re.sub(r"\D", "", m.group(0))) >= 13 else m.group(0), text)
    text = _PHONE.sub(_phone_or_keep, text)
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
    """Filter, shuffle with the seed, then fill each pool's quota while deduplicating."""
    pool = [r for r in source.reader(path) if r.text and usable(r)]
    rng.shuffle(pool)
    taken: list[dict] = []
    for slice_ in source.pools:
        count = 0
        for raw in pool:
            if count >= slice_.quota:
                break
            if not slice_.accepts(raw):
                continue
            text = mask(raw.text)
            if dedupe.seen(text):
                continue
            sector = source.sector(raw) if callable(source.sector) else source.sector
            meta = {k: v for k, v in raw.meta.items() if v not in (None, "") and k != "sector"}
            if raw.rating is not None:
                meta["rating"] = raw.rating
            meta["pool"] = slice_.name
            taken.append(
                {
                    "text": text,
                    "source": slug,
                    "genre": source.genre(raw) if callable(source.genre) else source.genre,
                    "variety_hint": source.variety,
                    "sector_hint": sector,
                    "meta": meta,
                }
            )
            count += 1
        if count < slice_.quota:
            print(f"{slug}: pool {slice_.name} has only {count} of {slice_.quota}", file=sys.stderr)
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
