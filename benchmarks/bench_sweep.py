"""Generated counties (seeds × sizes) through the term plan and the whole exam season.

    python benchmarks/bench_sweep.py [--seeds 1-10] [--schools 8,10,12,30] [--out /tmp/sweep]

Each county is the demo county of that seed and size (`xuequ demo` in-process, on its own SQLite
file), so this is `make demo SEED=s SCHOOLS=n` for every pair, in one process (Prefect's temporary
API starts once). Printed per county: each cluster's roster status, how far the season got, the
relaxation tiers the logistics stage used, and the wall-clock seconds. A county whose season does
not reach `analysis done` is a failure; the script exits 1 if any county fails.

CP-SAT runs with the planners' own settings (num_workers ≤ 2). The machine has 2 cores; seconds
vary with load.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
from pathlib import Path


def _int_list(text: str) -> list[int]:
    values: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            values += list(range(int(low), int(high) + 1))
        else:
            values.append(int(part))
    return values


def run_county(seed: int, schools: int, out: Path) -> dict:
    """One demo county end to end; its outcome as a dict of plain values."""
    from rich.console import Console

    from models import db
    from service.demo_job import run_demo

    out.mkdir(parents=True, exist_ok=True)
    os.environ["XUEQU_DATABASE_URL"] = f"sqlite:///{out / 'xuequ.db'}"
    db.dispose_engines()  # a fresh database per county
    started = time.perf_counter()
    console = Console(file=io.StringIO(), width=200)
    error = ""
    try:
        run_demo(out, seed=seed, schools=schools, lang="zh", console=console)
    except Exception as exc:  # a crash is a finding of the sweep, not the end of it
        error = f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - started
    term = (out / "term" / "status.txt")
    seasons = sorted((out / "exam").glob("*/season.md"))
    season_text = seasons[0].read_text(encoding="utf-8") if seasons else ""
    stages = re.findall(r"^\| (\w+) \| ([\w-]+) \|", season_text, flags=re.M)
    return {
        "seed": seed, "schools": schools, "seconds": seconds, "error": error,
        "term": term.read_text(encoding="utf-8").replace("\n", "; ") if term.exists() else "",
        "stages": stages,
        "finished": ("analysis", "done") in stages or ("analysis", "already-done") in stages,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--schools", default="8,10,12,30")
    parser.add_argument("--out", default="/tmp/xuequ-sweep")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    print(f"cpu cores visible: {os.cpu_count()}; CP-SAT num_workers ≤ 2 (the planners' settings)")
    print(f"{'seed':>4} {'schools':>7} {'seconds':>7}  season stages reached / term status")
    failures = 0
    for schools in _int_list(args.schools):
        for seed in _int_list(args.seeds):
            result = run_county(seed, schools, Path(args.out) / f"n{schools}-s{seed}")
            stages = " → ".join(f"{stage} {status}" for stage, status in result["stages"]) or "(no season)"
            mark = "ok " if result["finished"] and not result["error"] else "FAIL"
            failures += mark == "FAIL"
            print(f"{seed:>4} {schools:>7} {result['seconds']:>7.0f}  {mark} {stages}")
            print(f"{'':>21}  term: {result['term']}")
            if result["error"]:
                print(f"{'':>21}  error: {result['error']}")
            sys.stdout.flush()
    print(f"{failures} counties did not finish the season")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
