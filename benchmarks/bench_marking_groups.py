"""Sweep of marking groups over generated counties: `python benchmarks/bench_marking_groups.py`.

For SEED 1–10 × SCHOOLS 8, 10, 12, 30 (options change them), every exam of the county's
`exam_sessions.csv` gets its marking plan under the demo policy (policies/demo_exam_logistics.toml, or
`--policy`). The item groups come from the subjective items of the county's last paper of the same
grade and kind (its `item_usage` rows, relabelled to the exam), as the season's locked papers would
give them. Prints per county: strict status, best-effort tiers used (counts), markers planned against
needed, the validator's verdict under the declared relaxations, and the wall time (num_workers noted);
then the totals. Other work shares the machine's 2 cores: the load average is printed before and after.
"""
from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from demo.district import generate_district
from scheduling.exam_logistics import load_policies, marking_input_from_tables, plan_marking, validate_marking

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load average {a:.2f} {b:.2f} {c:.2f} on {os.cpu_count()} cores"


def with_paper_of_a_past_exam(tables: dict, exam_id: str) -> dict:
    """The exam's papers as the question-setting stage would give them: the items of the latest past
    exam of the same grade and kind (midterm, final, …), relabelled."""
    usage, exams = tables.get("item_usage"), tables.get("exams")
    if usage is None or exams is None or exam_id not in set(exams["exam_id"]):
        return tables
    row = exams.loc[exams["exam_id"] == exam_id].iloc[0]
    past = exams[(exams["grade"] == row["grade"]) & (exams["kind"] == row["kind"]) & (exams["exam_id"] != exam_id)
                 & exams["exam_id"].isin(set(usage["exam_id"]))]
    if past.empty:
        return tables
    source = past.sort_values("exam_id")["exam_id"].iloc[-1]
    copied = usage[usage["exam_id"] == source].copy()
    copied["exam_id"] = exam_id
    return {**tables, "item_usage": pd.concat([usage, copied], ignore_index=True)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    ap.add_argument("--schools", type=int, nargs="+", default=[8, 10, 12, 30])
    ap.add_argument("--policy", default=str(ROOT / "policies" / "demo_exam_logistics.toml"))
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-suggest", action="store_true", help="skip the re-solved policy suggestions")
    args = ap.parse_args()
    _, policy = load_policies(args.policy)
    print(f"marking groups sweep — num_workers={args.workers}, time limit {args.time_limit:g} s, policy "
          f"{Path(args.policy).name}, suggestions {'off' if args.no_suggest else 'on'} — {load()}")
    print(f"{'schools':>7} {'seed':>4}  {'exam':<16} {'groups':>6} {'strict':<10} {'plan':<9} "
          f"{'markers':>9} {'valid':>5} {'wall s':>6}  tiers")
    totals: Counter = Counter()
    plans = best_effort = invalid = 0
    walls = []
    for n in args.schools:
        for seed in args.seeds:
            tables = generate_district(seed=seed, schools=n)
            for exam_id in sorted(set(tables["exam_sessions"]["exam_id"])):
                data = marking_input_from_tables(with_paper_of_a_past_exam(tables, exam_id), exam_id, policy)
                t0 = time.perf_counter()
                res = plan_marking(data, policy, time_limit_s=args.time_limit, num_workers=args.workers,
                                   suggest=not args.no_suggest)
                wall = time.perf_counter() - t0
                walls.append(wall)
                violations = validate_marking(data, policy, res.assignments, relaxations=res.relaxations) \
                    if res.ok else ["no plan"]
                tiers = res.stats.get("tiers", {})
                plans += res.ok
                best_effort += res.best_effort
                invalid += bool(violations)
                totals.update(tiers)
                print(f"{n:>7} {seed:>4}  {exam_id:<16} {len(data.groups):>6} {res.stats.get('strict_status', res.status):<10} "
                      f"{'best-eff' if res.best_effort else res.status:<9} "
                      f"{len(res.assignments):>4}/{res.stats.get('markers_needed', 0):<4} "
                      f"{'ok' if not violations else 'NO':>5} {wall:>6.2f}  "
                      + ", ".join(f"{k} {v}" for k, v in tiers.items()))
    walls.sort()
    print(f"\n{plans} plans of {len(walls)} exams ({best_effort} best effort), {invalid} refused by the validator; "
          f"wall s median {walls[len(walls) // 2]:.2f}, max {walls[-1]:.2f}")
    print("tiers used in all: " + ", ".join(f"{k} {v}" for k, v in totals.most_common()))
    print(load())


if __name__ == "__main__":
    main()
