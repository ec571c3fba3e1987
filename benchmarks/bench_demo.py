"""Demo district generation and score simulation: sizes and wall-clock seconds.

    python benchmarks/bench_demo.py [--repeat 3]

Single process, no solver (num_workers: not applicable). Other agents share the 2 cores, so the
seconds vary with load; the best of `--repeat` runs is printed.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from demo.district import timed_district
from demo.simulate import simulate_item_scores, simulate_responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"cpu cores visible: {os.cpu_count()}; num_workers: n/a (numpy, one process)")
    print(f"{'schools':>7} {'clusters':>8} {'teachers':>8} {'classes':>7} {'students':>8} {'items':>6} "
          f"{'posts':>5} {'best s':>7}")
    frames = None
    for schools in (30, 100, 300):
        best = None
        for repeat in range(args.repeat):
            frames_now, size = timed_district(seed=1, schools=schools)
            best = size if best is None or size.seconds < best.seconds else best
            if schools == 100:
                frames = frames_now
        print(f"{best.schools:>7} {best.clusters:>8} {best.teachers:>8} {best.classes:>7} {best.students:>8} "
              f"{best.items:>6} {best.needs_posts:>5} {best.seconds:>7.2f}")

    # One paper of the 100-school district: every grade-8 student × the math items of the bank.
    students = frames["students"].merge(frames["classes"][["class_id", "grade"]], on="class_id")
    abilities = students.loc[students["grade"] == 8, "ability"].to_numpy()
    items = frames["items"]
    paper = items[(items["grade"] == 8) & (items["subject"] == "math")].head(25)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    scores = simulate_item_scores(abilities, paper["difficulty"].to_numpy(), paper["discrimination"].to_numpy(),
                                  paper["max_score"].to_numpy(), paper["score_step"].to_numpy(), rng)
    mid = time.perf_counter()
    simulate_responses(paper, abilities, rng, correct=scores == paper["max_score"].to_numpy())
    end = time.perf_counter()
    print(f"simulate {len(abilities)} students × {len(paper)} items: scores {mid - start:.3f} s, "
          f"raw responses {end - mid:.3f} s")


if __name__ == "__main__":
    main()
