"""Benchmark of the exam analysis: 100,000 students × 40 items (4,000,000 long score rows).

    python benchmarks/bench_analysis.py [--students 100000] [--out DIR] [--no-reports]

Prints the time of the full analysis (target ≤ 10 s) and of writing the reports (target ≤ 30 s).
No solver here: num_workers does not apply (numpy/pandas run single-threaded).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.pipeline import analyse_exam  # noqa: E402
from analysis.synthetic import generate_exam  # noqa: E402

# 40 items over three papers, each of 100 marks
PAPERS = {
    "chinese": (("single_choice", 3),) * 8 + (("fill_in", 4),) * 2 + tuple(("subjective", m) for m in (20, 24, 24)),
    "math": (("single_choice", 3),) * 8 + (("fill_in", 4),) * 2 + tuple(("subjective", m) for m in (14, 16, 18, 20)),
    "english": (("single_choice", 3),) * 10 + tuple(("subjective", m) for m in (20, 25, 25)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--no-responses", action="store_true")
    args = parser.parse_args()

    n_items = sum(len(v) for v in PAPERS.values())
    t0 = time.perf_counter()
    exam = generate_exam(n_students=args.students, n_schools=args.schools, papers=PAPERS, seed=2026,
                         with_responses=not args.no_responses, absent_rate=0.005)
    t_gen = time.perf_counter() - t0
    print(f"generated {args.students:,} students × {n_items} items: {len(exam.scores):,} score rows "
          f"(+ {len(exam.previous_scores):,} previous, "
          f"{0 if exam.responses is None else len(exam.responses):,} answers) in {t_gen:.1f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    analysis = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                            exam.previous_scores, previous_items=exam.previous_items, responses=exam.responses,
                            teachers=exam.teachers)
    t_analysis, c_analysis = time.perf_counter() - t0, time.process_time() - c0
    print(f"analysis: {t_analysis:.2f} s wall, {c_analysis:.2f} s CPU (target ≤ 10 s) — "
          f"{len(analysis.summary):,} summary rows, {len(analysis.items)} items, "
          f"{len(analysis.teacher_assessment):,} teachers")

    if not args.no_reports:
        from analysis.report import write_reports

        out = args.out or Path(tempfile.mkdtemp(prefix="bench_analysis_"))
        t0, c0 = time.perf_counter(), time.process_time()
        paths = write_reports(analysis, out)
        t_reports, c_reports = time.perf_counter() - t0, time.process_time() - c0
        size = sum(p.stat().st_size for p in paths if p.is_file()) / 1e6
        print(f"reports: {t_reports:.2f} s wall, {c_reports:.2f} s CPU (target ≤ 30 s) — {len(paths)} files, "
              f"{size:.1f} MB in {out}")
    print(f"num_workers: n/a (one process, one thread; cpu_count={os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}: wall time above CPU time means other processes shared the CPU)")


if __name__ == "__main__":
    main()
