"""Best-effort attainment beside what the hard rules allow, in one run, on counties that cannot meet
their policy in full.

    python benchmarks/bench_best_effort.py [--time-limit 20] [--workers 2]

For each county (the demo generator: small counties whose township sites lack teachers of other
schools, and the `mountain` profile with few backbone teachers), two planners:
- rotation (the whole county as one model, default policy): required rotations made and posts filled
  by the best-effort roster, beside the most the hard rules allow for that quantity alone
  (`scheduling.rotation.attainment.hard_rule_ceilings`);
- invigilation (the demo policy): places staffed by the best-effort plan (every relaxation tier of
  the policy allowed, each use counted) beside the most places the rules allow with no relaxation
  but empty places and quota tolerance (`relaxation_tiers = ["quota", "unstaffed"]`).
CP-SAT with num_workers ≤ 2 (printed); the machine has 2 cores, so seconds vary with load.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

POLICIES = Path(__file__).resolve().parents[1] / "policies"
SCHOOL_YEAR = 2026


def counties():
    from demo.district import generate_district
    from demo.profiles import profile

    # the demo counties under the demo's policies (their townships lie 20–60 km out); the mountain
    # county under the defaults
    demo = POLICIES / "demo_rotation.toml"
    yield "demo county, 8 schools, seed 2", generate_district(seed=2, schools=8), demo
    yield "demo county, 12 schools, seed 2", generate_district(seed=2, schools=12), demo
    yield "demo county, 30 schools, seed 3", generate_district(seed=3, schools=30), demo
    yield "mountain county, 30 schools, seed 2", generate_district(seed=2, schools=30, school_year=SCHOOL_YEAR,
                                                                    policy=profile("mountain")), None


def rotation_lines(tables, policy_file: Path | None, time_limit: float, workers: int) -> list[str]:
    from scheduling.rotation import RotationPolicy, load_rotation_policy, plan_rotation, rotation_input_from_tables
    from scheduling.rotation.attainment import attainment, hard_rule_ceilings

    policy = load_rotation_policy(policy_file) if policy_file else RotationPolicy()
    data = rotation_input_from_tables(tables, SCHOOL_YEAR, None, policy, term=1)
    started = time.perf_counter()
    result = plan_rotation(data, policy, time_limit_s=time_limit, num_workers=workers)
    reached = attainment(result, data, policy)
    ceiling = hard_rule_ceilings(data, policy, time_limit_s=time_limit, num_workers=workers)
    seconds = time.perf_counter() - started
    proven = "" if ceiling.exact else " (ceiling not proven: an upper bound)"
    return [f"  rotation {result.status}{' best-effort' if result.relaxed else ''}, {seconds:.0f} s{proven}",
            f"    {'required rotations made':<28} {reached.rotations_made:>6} {ceiling.rotations_made:>8} "
            f"{reached.required_rotations:>6}",
            f"    {'posts filled':<28} {reached.posts_filled:>6} {ceiling.posts_filled:>8} {reached.posts:>6}"]


def invigilation_lines(tables, time_limit: float, workers: int) -> list[str]:
    from scheduling.exam_logistics import invigilation_input_from_tables, load_policies, plan_invigilation

    policy, _ = load_policies(POLICIES / "demo_exam_logistics.toml")
    exam_id = str(tables["exam_sessions"]["exam_id"].iloc[0])
    data = invigilation_input_from_tables(tables, exam_id, policy)
    started = time.perf_counter()
    best = plan_invigilation(data, policy, time_limit_s=time_limit, num_workers=workers, suggest=False)
    # the hard rules kept, only places left empty (and the quota, a fairness target, loosened)
    strict = plan_invigilation(data, dataclasses.replace(policy, relaxation_tiers=("quota", "unstaffed")),
                               time_limit_s=time_limit, num_workers=workers, suggest=False)
    seconds = time.perf_counter() - started

    def staffed(result) -> tuple[int, int]:
        empty = result.tier_counts().get("unstaffed", 0)
        return len(result.assignments), len(result.assignments) + empty

    filled, places = staffed(best)
    strict_filled, strict_places = staffed(strict)
    uses = ", ".join(f"{tier} {n}" for tier, n in best.tier_counts().items() if n) or "none"
    return [f"  invigilation {best.status} (hard rules only: {strict.status}), {seconds:.0f} s; tiers used: {uses}",
            f"    {'invigilator places staffed':<28} {filled:>6} {strict_filled:>8} {max(places, strict_places):>6}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"best-effort attainment — num_workers = {args.workers}, time limit {args.time_limit:g} s per solve, "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"    {'quantity':<28} {'best-effort':>6} {'hard rules allow':>8} {'asked':>6}")
    for label, tables, rotation_policy in counties():
        print(label, flush=True)
        for line in rotation_lines(tables, rotation_policy, args.time_limit, args.workers):
            print(line, flush=True)
        for line in invigilation_lines(tables, args.time_limit, args.workers):
            print(line, flush=True)


if __name__ == "__main__":
    main()
