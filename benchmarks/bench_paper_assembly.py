"""Benchmark: assemble a 25-item, 100-point paper from a 5,000-item bank (target: ≤ 5 s with 2 workers).

Run: python benchmarks/bench_paper_assembly.py [--items 5000] [--workers 2] [--repeats 3]
Prints wall-clock seconds of each call (checks, model building and solving), for one form, for A/B
forms, for a swap (re-assembly with minimum change) and for an infeasible band's explanation.
Other agents may share the 2 cores: read the figures as upper bounds.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter

from scheduling.question_setting import AssemblyPolicy, Blueprint, assemble_paper, default_blueprint
from scheduling.question_setting.synthetic import synthetic_bank

COHORT = 2018
# A usual 100-point junior maths paper of 25 items: 10 single choice (3), 2 multiple choice (4),
# 6 fill-in (four of 3, two of 4), 7 worked items of 6.
SHAPE = [("single_choice", 3, 10), ("multiple_choice", 4, 2), ("fill_in", 3, 4), ("fill_in", 4, 2),
         ("subjective", 6, 7)]


def paper_shaped_blueprint(bank, seed: int, with_counts: bool = True) -> Blueprint:
    """A 25-item blueprint: a random witness paper of SHAPE from the bank, summed per cell."""
    rng = random.Random(seed)
    points: Counter = Counter()
    counts: Counter = Counter()
    for item_type, score, n in SHAPE:
        pool = [i for i in bank if i.item_type == item_type and i.max_score == score and 0.55 <= i.difficulty <= 0.8]
        for item in rng.sample(pool, n):
            points[item.cell] += item.max_score
            counts[item.cell] += 1
    return Blueprint("math", 8, 100, dict(points), dict(counts) if with_counts else {}, "benchmark 25 items")


def timed(label: str, repeats: int, call) -> list[float]:
    seconds = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    status = getattr(result, "status", "")
    print(f"{label:<46} median {statistics.median(seconds):6.2f} s  max {max(seconds):6.2f} s  {status}")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()

    start = time.perf_counter()
    bank = synthetic_bank(args.items, seed=7, cohorts=(2016, 2017, COHORT), exams_per_cohort=6)
    print(f"bank: {len(bank)} items ({time.perf_counter() - start:.2f} s to generate); "
          f"num_workers={args.workers}; cores visible={os.cpu_count()}; load average={os.getloadavg()[0]:.2f}")
    blueprint = paper_shaped_blueprint(bank, seed=1)
    print(f"blueprint: {len(blueprint.cells)} cells, {sum(blueprint.item_counts.values())} items, "
          f"{blueprint.total:g} points")
    policy = AssemblyPolicy()
    kw = dict(cohort=COHORT, num_workers=args.workers, time_limit_s=args.time_limit)

    one, result = timed("one form (25 items, counts fixed)", args.repeats,
                        lambda: assemble_paper(bank, blueprint, policy, **kw))
    paper = result.paper
    print(f"  -> {len(paper.items)} items, mean difficulty {paper.mean_difficulty:.3f}, "
          f"{len(result.excluded_recent)} items excluded as recent for cohort {COHORT}")
    points_only = paper_shaped_blueprint(bank, seed=1, with_counts=False)
    timed("one form (points only, no item counts)", args.repeats,
          lambda: assemble_paper(bank, points_only, policy, **kw))
    _, ab = timed("A/B forms (disjoint, difficulty matched)", args.repeats,
                  lambda: assemble_paper(bank, blueprint, policy, forms=2, **kw))
    if ab.ok:
        a, b = ab.forms
        print(f"  -> A {a.mean_difficulty:.3f}, B {b.mean_difficulty:.3f}, shared items "
              f"{len(set(a.item_ids) & set(b.item_ids))}")
    forbidden = paper.item_ids[:2]
    _, swap = timed("swap 2 items (minimum change)", args.repeats,
                    lambda: assemble_paper(bank, blueprint, policy, forbidden=forbidden, previous=paper, **kw))
    print(f"  -> removed {swap.removed_ids}, added {swap.added_ids}")
    hard = AssemblyPolicy(difficulty_min=0.95, difficulty_max=0.99)
    _, infeasible = timed("impossible band (0.95-0.99): explanation", 1,
                          lambda: assemble_paper(bank, blueprint, hard, **kw))
    for line in infeasible.explanation[:3]:
        print(f"  | {line}")
    timed("default_blueprint (proposal, 1 worker)", 1, lambda: default_blueprint("math", 8, bank))

    worst = max(one)
    verdict = "OK" if worst <= 5 else "SLOWER THAN TARGET"
    print(f"target: 25-item paper from {len(bank)} items in ≤ 5 s with {args.workers} workers: "
          f"worst {worst:.2f} s — {verdict}")


if __name__ == "__main__":
    main()
