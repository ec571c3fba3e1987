"""Benchmark of cluster formation (学区划分): demo counties of 30, 100 and 300 schools, 2 workers.

Target (issue 18): a 300-school district in reasonable time on 2 cores. The exact model (one CP-SAT
model of the whole district) is run beside the default, which above ~135 schools solves region by
region (the greedy plan seeds the clusters; whole clusters are grouped by bearing into regions of
~90 schools; each region is solved exactly against the district's means).

    python benchmarks/bench_formation.py [--schools 30,100,300] [--seed 1] [--time-limit 60] [--whole]

Each line: schools, clusters, status, seconds, objective (and bound for one model), regions, rules the
proposal breaks (the solver's count and the independent checker's), and the balance beside today's
clusters (schools a cluster, weak schools a cluster, mean km to the lead). `--whole` adds the exact
model for every size; a best-effort scenario (four in five schools urban) shows the explanations'
time. Other agents share the 2 cores: the load average is printed with the figures.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo import layout, staff  # noqa: E402
from demo.district import _rng  # noqa: E402
from demo.policy import DemoPolicy  # noqa: E402
from scheduling.formation import (FormationPolicy, formation_input_from_tables, measure, plan_groups,  # noqa: E402
                                  propose_clusters, today_groups, validate_formation)
from scheduling.formation import solve as formation_solve  # noqa: E402


def county(schools: int, seed: int, demo: DemoPolicy | None = None):
    demo = demo or DemoPolicy()
    frame, clusters = layout.build_schools(_rng(seed, "schools"), schools, demo)
    classes = staff.build_classes(_rng(seed, "classes"), frame, demo)
    return formation_input_from_tables({"schools": frame, "clusters": clusters, "classes": classes})


def line(label: str, data, policy, result) -> str:
    violations = validate_formation(data, policy, result.plan)
    today, proposal = measure(data, today_groups(data), policy), measure(data, plan_groups(result.plan), policy)
    regions = result.stats.get("regions", 1)
    objective = f"{result.objective:10.1f}" if result.objective is not None else f"{'–':>10}"
    bound = f"{result.bound:10.1f}" if result.bound is not None else f"{'–':>10}"

    def span(r):
        return f"{r[0]}–{r[1]}"

    return (f"{label:<22} {len(data.schools):>4} schools {len(result.plan.clusters):>3} clusters  {result.status:<8} "
            f"{result.solve_seconds:6.1f} s  objective {objective} bound {bound}  regions {regions}  "
            f"broken {sum(result.broken.values()):>3} checker {len(violations):>3}  "
            f"size {span(today.size_range)}→{span(proposal.size_range)}  weak {span(today.weak_range)}→"
            f"{span(proposal.weak_range)}  km {today.km_mean:.1f}→{proposal.km_mean:.1f}  "
            f"explanations {len(result.explanations)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", default="30,100,300")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--whole", action="store_true", help="also solve each district as one exact model")
    args = parser.parse_args()
    policy = FormationPolicy()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; time limit {args.time_limit:g} s, "
          f"{args.workers} workers; regions above {formation_solve.REGION_SCHOOLS * 1.5:g} schools")
    for n in (int(v) for v in args.schools.split(",")):
        data = county(n, args.seed)
        started = time.perf_counter()
        result = propose_clusters(data, policy, time_limit_s=args.time_limit, num_workers=args.workers)
        print(line("default", data, policy, result) + f"  (wall {time.perf_counter() - started:.1f} s)", flush=True)
        if args.whole and n > formation_solve.REGION_SCHOOLS * 1.5:
            saved = formation_solve.REGION_SCHOOLS
            formation_solve.REGION_SCHOOLS = 10 * n  # one model of the whole district
            try:
                result = propose_clusters(data, policy, time_limit_s=args.time_limit, num_workers=args.workers)
            finally:
                formation_solve.REGION_SCHOOLS = saved
            print(line("one exact model", data, policy, result), flush=True)
    urban = county(100, args.seed, replace(DemoPolicy(), urban_share=0.8))
    result = propose_clusters(replace(urban, clusters_wanted=30), policy, time_limit_s=args.time_limit,
                              num_workers=args.workers)
    print(line("best effort (80% urban)", urban, policy, result), flush=True)
    for e in result.explanations[:3]:
        print(f"    {e.text('zh')}")


if __name__ == "__main__":
    main()
