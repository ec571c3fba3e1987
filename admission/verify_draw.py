#!/usr/bin/env python3
"""Re-run a published enrollment draw (电脑随机派位) and check it: Python 3 standard library only.

    python3 verify_draw.py FOLDER [--commitment HEX]

FOLDER holds the published `lottery.json` and `admissions.csv` of one zone. The script checks:

1. the seed's SHA-256 is the commitment (and, with --commitment, the one announced before the draw);
2. every family's lottery number: key = SHA-256(seed + ":" + applicant_id) in hex, families sorted by
   key (then id), number = position from 1;
3. the set of families is the one the draw recorded (SHA-256 of the sorted ids, one per line);
4. every oversubscribed lottery school: its participants in key order, and exactly the first
   `seats` of them admitted there by lottery;
5. every tie in points at a cut-off: the tied families in key order, the first `seats` admitted there.

It prints what it checked and ends with exit status 0 when everything agrees, 1 otherwise.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def key(seed: str, applicant_id: str) -> str:
    return hashlib.sha256(f"{seed}:{applicant_id}".encode("utf-8")).hexdigest()


def unguarded(text: str) -> str:
    """Spreadsheet-safe cells are written with a leading ' before =, +, -, @: take it off."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS else text


def read_admissions(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: unguarded(v or "") for k, v in row.items()} for row in csv.DictReader(handle)]


def verify(folder: Path, announced: str | None = None) -> list[str]:
    """Every disagreement found, in words; empty when the published draw re-runs exactly."""
    record = json.loads((folder / "lottery.json").read_text(encoding="utf-8"))
    rows = read_admissions(folder / "admissions.csv")
    seed, problems = record["seed"], []
    if hashlib.sha256(seed.encode("utf-8")).hexdigest() != record["commitment"]:
        problems.append("the seed's SHA-256 is not the commitment in lottery.json")
    if announced is not None and announced.strip().lower() != record["commitment"]:
        problems.append("the commitment in lottery.json is not the one announced before the draw")
    ids = [row["applicant_id"] for row in rows]
    digest = hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()
    if digest != record.get("applicant_ids_sha256", digest) or len(ids) != record.get("applicants", len(ids)):
        problems.append("admissions.csv does not list the families the draw covered")
    order = sorted(ids, key=lambda a: (key(seed, a), a))
    numbers = {a: n for n, a in enumerate(order, start=1)}
    wrong = [row["applicant_id"] for row in rows if row["lottery_number"] != str(numbers[row["applicant_id"]])]
    if wrong:
        problems.append(f"{len(wrong)} lottery number(s) differ from the draw, e.g. {wrong[:3]}")
    by_id = {row["applicant_id"]: row for row in rows}
    for kind, entries in (("draw", record.get("draws", [])), ("tie", record.get("tie_breaks", []))):
        for entry in entries:
            school, seats, listed = entry["school_id"], entry["seats"], entry["order"]
            where = f"{kind} at {school}, round {entry['round']}"
            if listed != sorted(listed, key=lambda a: (key(seed, a), a)):
                problems.append(f"{where}: the order is not the order of the seed")
            missing = [a for a in listed if a not in by_id]
            if missing:
                problems.append(f"{where}: {len(missing)} participant(s) not in admissions.csv, e.g. {missing[:3]}")
                continue
            for position, applicant in enumerate(listed):
                row = by_id[applicant]
                if kind == "draw":
                    here = row["school_id"] == school and row["round"] == "lottery"
                else:
                    here = row["school_id"] == school and row["choice_rank"] == str(entry["round"])
                if here != (position < seats):
                    problems.append(f"{where}: {applicant} is {'admitted' if here else 'not admitted'} "
                                    f"at position {position + 1} of {len(listed)} with {seats} seat(s)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-run a published enrollment draw and check it.")
    parser.add_argument("folder", type=Path, help="the folder with lottery.json and admissions.csv")
    parser.add_argument("--commitment", help="the commitment announced before the draw (64 hex digits)")
    args = parser.parse_args(argv)
    problems = verify(args.folder, args.commitment)
    record = json.loads((args.folder / "lottery.json").read_text(encoding="utf-8"))
    print(f"zone {record['zone_id']}: {record['applicants']} families, {len(record.get('draws', []))} lottery "
          f"draw(s), {len(record.get('tie_breaks', []))} tie(s) in points")
    for problem in problems:
        print("MISMATCH:", problem)
    print("the draw re-runs exactly (验证通过)" if not problems else f"{len(problems)} mismatch(es) (验证未通过)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
