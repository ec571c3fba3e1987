"""Benchmark of the exam analysis: 100,000 students × 40 items (4,000,000 long score rows).

    python benchmarks/bench_analysis.py [--students 100000] [--out DIR] [--csv-dir DIR] [--no-reports]

Prints the time of reading scores.csv and the previous exam's (the way `xuequ report --scores` does,
and the way it did before: pandas 3's `str` dtype for every column, then `to_numeric` on the scores),
of the full analysis on those frames (target ≤ 10 s; absentees, borderline students, value added and
conversion included) and of writing the reports (target ≤ 30 s). CPU time is printed beside wall time:
on a shared machine wall time above CPU time means other processes had the CPU.
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

import pandas as pd  # noqa: E402

from analysis.pipeline import analyse_exam  # noqa: E402
from analysis.synthetic import generate_exam  # noqa: E402
from app.exam_analysis import read_scores_csv  # noqa: E402

# 40 items over three papers, each of 100 marks
PAPERS = {
    "chinese": (("single_choice", 3),) * 8 + (("fill_in", 4),) * 2 + tuple(("subjective", m) for m in (20, 24, 24)),
    "math": (("single_choice", 3),) * 8 + (("fill_in", 4),) * 2 + tuple(("subjective", m) for m in (14, 16, 18, 20)),
    "english": (("single_choice", 3),) * 10 + tuple(("subjective", m) for m in (20, 25, 25)),
}


def read_scores_csv_before(path: Path) -> pd.DataFrame:
    """The reader before this benchmark's fix (kept to print the before figure): every column as pandas 3's
    `str` dtype (Python-object storage without pyarrow), then `to_numeric` on the score strings."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame = frame[["exam_id", "student_id", "school_id", "class_id", "subject", "item_id", "score"]].copy()
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


def timed(what: str, run, note: str = ""):
    t0, c0 = time.perf_counter(), time.process_time()
    result = run()
    print(f"{what}: {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU{note}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-reports", action="store_true")
    parser.add_argument("--no-responses", action="store_true")
    parser.add_argument("--csv-dir", type=Path, default=None,
                        help="Where to keep the generated CSV files (reused when present; writing them takes a while).")
    args = parser.parse_args()

    n_items = sum(len(v) for v in PAPERS.values())
    t0 = time.perf_counter()
    exam = generate_exam(n_students=args.students, n_schools=args.schools, papers=PAPERS, seed=2026,
                         with_responses=not args.no_responses, absent_rate=0.005)
    t_gen = time.perf_counter() - t0
    print(f"generated {args.students:,} students × {n_items} items: {len(exam.scores):,} score rows "
          f"(+ {len(exam.previous_scores):,} previous, "
          f"{0 if exam.responses is None else len(exam.responses):,} answers) in {t_gen:.1f} s")

    csv_dir = args.csv_dir or Path(tempfile.gettempdir()) / f"bench_analysis_csv_{args.students}_{args.schools}"
    csv_dir.mkdir(parents=True, exist_ok=True)
    paths = {"scores": csv_dir / "scores.csv", "previous": csv_dir / "previous_scores.csv"}
    if not all(p.exists() for p in paths.values()):
        timed("writing the CSV files (once)", lambda: (exam.scores.to_csv(paths["scores"], index=False),
                                                       exam.previous_scores.to_csv(paths["previous"], index=False)))
    for path in paths.values():
        timed(f"read {path.name} before (str dtype + to_numeric)", lambda: read_scores_csv_before(path))  # noqa: B023
    scores = timed(f"read {paths['scores'].name} now (objects + C float parser)", lambda: read_scores_csv(paths["scores"]))
    previous = timed(f"read {paths['previous'].name} now", lambda: read_scores_csv(paths["previous"]))

    analysis = timed("analysis (from the CSV frames)", lambda: analyse_exam(
        scores, exam.items, exam.schools, exam.classes, exam.class_teachers, previous,
        previous_items=exam.previous_items, responses=exam.responses, teachers=exam.teachers),
        " (target ≤ 10 s)")
    print(f"  {len(analysis.summary):,} summary rows, {len(analysis.items)} items, "
          f"{len(analysis.teacher_assessment):,} teachers, {len(analysis.absentees):,} absentee rows, "
          f"{len(analysis.borderline):,} borderline rows")

    if not args.no_reports:
        from analysis.exports import write_exam_figures
        from analysis.report import write_reports

        out = args.out or Path(tempfile.mkdtemp(prefix="bench_analysis_"))
        t0, c0 = time.perf_counter(), time.process_time()
        files = write_reports(analysis, out) + write_exam_figures(analysis, out)
        t_reports, c_reports = time.perf_counter() - t0, time.process_time() - c0
        size = sum(p.stat().st_size for p in files if p.is_file()) / 1e6
        print(f"reports: {t_reports:.2f} s wall, {c_reports:.2f} s CPU (target ≤ 30 s) — {len(files)} files, "
              f"{size:.1f} MB in {out}")
    print(f"num_workers: n/a (one process, one thread; cpu_count={os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}: wall time above CPU time means other processes shared the CPU)")


if __name__ == "__main__":
    main()
