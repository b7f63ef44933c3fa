"""Fix the train/dev/test split of the real set before any record is labelled.

The split is drawn from what is known without labels (source, genre, star rating), stratified over
them, so no labelling decision can leak into which records end up in test. It is stored as ids in
data/real/splits.json and never redrawn: new records are added with the same rule, old ones keep their
split. Test (350) is for reporting only; dev (250) joins the corpus dev split for every choice.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"test": 350, "dev": 250}


def stratum(record: dict) -> str:
    rating = record.get("meta", {}).get("rating")
    band = "none" if rating is None else ("low" if rating <= 2 else "mid" if rating == 3 else "high")
    return f"{record['source']}|{record['genre']}|{band}"


def draw(records: list[dict], seed: int = 13) -> dict[str, list[str]]:
    """Proportional allocation per stratum (largest remainders), shuffled with a fixed seed."""
    groups: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        groups[stratum(record)].append(record["id"])
    rng = random.Random(seed)
    for ids in groups.values():
        rng.shuffle(ids)
    total = len(records)
    splits: dict[str, list[str]] = {"train": [], "dev": [], "test": []}
    taken = {key: 0 for key in groups}
    for name, size in SIZES.items():
        quotas = {key: size * len(ids) / total for key, ids in groups.items()}
        counts = {key: int(q) for key, q in quotas.items()}
        by_remainder = sorted(groups, key=lambda key: quotas[key] - counts[key], reverse=True)
        for key in by_remainder[: size - sum(counts.values())]:
            counts[key] += 1
        for key, ids in groups.items():
            splits[name].extend(ids[taken[key] : taken[key] + counts[key]])
            taken[key] += counts[key]
    for key, ids in groups.items():
        splits["train"].extend(ids[taken[key] :])
    return {name: sorted(ids) for name, ids in splits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=HERE / "raw")
    parser.add_argument("--output", type=Path, default=HERE / "splits.json")
    args = parser.parse_args()
    records = [json.loads(line) for path in sorted(args.raw.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    if args.output.exists():
        raise SystemExit(f"{args.output} exists; the real split is fixed once (delete it only to start over)")
    splits = draw(records)
    payload = {"method": "stratified by source, genre and star band before labelling; seed 13", **splits}
    args.output.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print({name: len(ids) for name, ids in splits.items()})


if __name__ == "__main__":
    main()
