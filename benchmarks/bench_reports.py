"""Benchmark of the reports for each audience: 30 schools (students' 成绩单, class, teacher, school and
bureau reports as HTML; the bureau's and every school's PDF; optionally every class's PDFs).

    python benchmarks/bench_reports.py [--schools 30] [--students 9000] [--pdf schools|classes|none] [--out DIR]

Prints the seconds of each part: the HTML of all audiences, cutting the Chinese font once for the
run, and the PDFs (per PDF too). Target: the bureau's and 30 schools' PDFs within 30 s on the shared
2-core machine, so the demo's season does not gain minutes. The font cut is cached by its characters
(analysis/pdf_font.py); `--fresh-font` makes it again in a temporary cache, as a first run would.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.audience_reports import write_audience_reports  # noqa: E402
from analysis.pipeline import analyse_exam  # noqa: E402
from analysis.synthetic import generate_exam  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def student_names(ids) -> list[str]:
    return [SURNAMES[i % len(SURNAMES)] + GIVEN[i * 7 % len(GIVEN)] + GIVEN[i * 13 % len(GIVEN)]
            for i in range(len(ids))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=30)
    parser.add_argument("--students", type=int, default=9000)
    parser.add_argument("--pdf", default="schools", choices=("none", "schools", "classes"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--fresh-font", action="store_true")
    args = parser.parse_args()
    if args.fresh_font:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bench_font_")

    exam = generate_exam(n_students=args.students, n_schools=args.schools, n_clusters=max(1, args.schools // 6),
                         seed=2026)
    ids = exam.scores["student_id"].unique()
    import pandas as pd

    names = pd.DataFrame({"student_id": ids, "name": student_names(ids)})
    t0 = time.perf_counter()
    analysis = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                            exam.previous_scores, previous_items=exam.previous_items, responses=exam.responses,
                            teachers=exam.teachers, students=names)
    print(f"analysis of {len(ids):,} students, {args.schools} schools, {len(analysis.classes)} classes: "
          f"{time.perf_counter() - t0:.1f} s")

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_reports_"))
    t0, c0 = time.perf_counter(), time.process_time()
    result = write_audience_reports(analysis, out, pdf=args.pdf)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    pdfs = [p for p in result.paths if p.suffix == ".pdf"]
    html = [p for p in result.paths if p.suffix == ".html"]
    seconds = result.seconds
    print(f"reports: {wall:.1f} s wall, {cpu:.1f} s CPU → {out}")
    print(f"  HTML of every audience: {len(html)} files in {seconds.get('html', 0):.1f} s")
    if pdfs:
        per = (seconds.get("pdf", 0) - seconds.get("font", 0)) / len(pdfs)
        print(f"  font cut for the run: {seconds.get('font', 0):.1f} s")
        print(f"  PDFs: {len(pdfs)} in {seconds.get('pdf', 0):.1f} s ({per:.2f} s each; target ≤ 30 s for "
              f"the bureau and 30 schools), {sum(p.stat().st_size for p in pdfs) / 1e6:.1f} MB")
    for note in result.notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    main()
