"""Benchmark of the activity calendar (学区活动日历): 10-school clusters and a 30-school county.

Target (issue 17): a cluster's term in seconds with 2 workers. For each cluster it prints the
activities asked and placed, the model's size, the seconds of each stage (host model, building the
time model, solving), how many activities the greedy first calendar already placed (the solver
starts from it and returns it when it finds nothing in the time), the solver status, what is left unplaced and what the independent checker
finds beyond the calendar's own explanations.

    python benchmarks/bench_calendar.py [--seed 1] [--workers 2] [--time-limit 20] [--part clusters|county|all]

- clusters: a county generated with 10 schools per cluster (`DemoPolicy(schools_per_cluster=10)`,
  20 schools: two clusters of ten);
- county: the 30-school demo county (six clusters of about five schools), every cluster in turn.
Other agents share the 2 cores: the load average is printed with the figures.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.district import generate_district  # noqa: E402
from demo.policy import DemoPolicy  # noqa: E402
from scheduling.calendar import CalendarPolicy, calendar_input_from_tables, plan_calendar  # noqa: E402
from scheduling.calendar.validate import unexplained_violations, validate_calendar  # noqa: E402

SCHOOL_YEAR = 2026


def run(tables, label: str, time_limit: float, workers: int) -> float:
    policy = CalendarPolicy()
    total = 0.0
    print(f"\n## {label}")
    print(f"{'cluster':8} {'schools':>7} {'teachers':>8} {'asked':>6} {'placed':>6} {'unplaced':>8} {'vars':>7} "
          f"{'host s':>6} {'build s':>7} {'greedy':>6} {'total s':>7}  status    unexplained")
    for cluster_id in sorted(tables["clusters"]["cluster_id"]):
        data = calendar_input_from_tables(tables, SCHOOL_YEAR, 1, cluster_id, policy)
        started = time.perf_counter()
        result = plan_calendar(data, policy, time_limit_s=time_limit, num_workers=workers)
        seconds = time.perf_counter() - started
        total += seconds
        asked = sum(result.required.values())
        problems = unexplained_violations(result, validate_calendar(data, policy, result.plan))
        s = result.stats
        print(f"{cluster_id:8} {len(data.schools):>7} {len(data.teachers):>8} {asked:>6} "
              f"{len(result.plan.activities):>6} {len(result.unplaced) + result.missing:>8} {s.get('variables', 0):>7} "
              f"{s.get('host_seconds', 0):>6.2f} {s.get('build_seconds', 0):>7.2f} "
              f"{s.get('greedy_placed', 0):>6} {seconds:>7.1f}  "
              f"{result.status:9} {len(problems)}")
    print(f"total {total:.1f} s; load average {os.getloadavg()[0]:.1f}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--part", choices=("clusters", "county", "all"), default="all")
    args = parser.parse_args()
    print(f"# activity calendar, term 1 {SCHOOL_YEAR}; {args.workers} workers, time limit {args.time_limit:g} s a "
          f"cluster; load average {os.getloadavg()[0]:.1f}")
    if args.part in ("clusters", "all"):
        tables = generate_district(seed=args.seed, schools=20, policy=DemoPolicy(schools_per_cluster=10))
        run(tables, "10-school clusters (20 schools, 10 per cluster)", args.time_limit, args.workers)
    if args.part in ("county", "all"):
        tables = generate_district(seed=args.seed, schools=30)
        run(tables, "30-school county (every cluster in turn)", args.time_limit, args.workers)


if __name__ == "__main__":
    main()
