"""Build the final labels of the real set from the two blind passes and the settled disagreements.

    python data/real/settle.py          # writes data/real/labels/final.jsonl

Every record has pass A. The 450 records labelled twice keep what both passes agree on (the intensity
score is the mean of the two); where the passes disagreed on causes, sentiment or risk, the settled
labels (labels/settled.jsonl, decided record by record with the guide's section 6) replace both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Runnable as a plain script from a fresh checkout, before `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline.taxonomy import TAXONOMY  # noqa: E402

LABELS = Path(__file__).resolve().parent / "labels"
FIELDS = ("causes", "sentiment", "sentiment_score", "risk", "customer_name", "references", "sector")


def read(name: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: row for row in rows}


def settle(pass_a: dict, pass_b: dict, settled: dict) -> list[dict]:
    final = []
    for record_id, a in sorted(pass_a.items()):
        row = {key: a.get(key) for key in FIELDS}
        row["references"] = row["references"] or []
        if record_id in settled:
            row.update({key: settled[record_id][key] for key in ("causes", "sentiment", "sentiment_score", "risk")})
        elif record_id in pass_b:
            row["sentiment_score"] = round((a["sentiment_score"] + pass_b[record_id]["sentiment_score"]) / 2, 2)
        final.append({"id": record_id, **row, "group": TAXONOMY.group_of(row["causes"])})
    return final


def main() -> None:
    final = settle(read("pass_a.jsonl"), read("pass_b.jsonl"), read("settled.jsonl"))
    with open(LABELS / "final.jsonl", "w", encoding="utf-8") as fh:
        for row in final:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(final)} records to {LABELS / 'final.jsonl'}")


if __name__ == "__main__":
    main()
