"""The rule numbers of exam analysis (统一试卷分析、统一考核), one dataclass.

Defaults and their meaning, in Chinese and English, are written out in `policies/analysis.toml`;
`AnalysisPolicy.from_dict(tomllib.load(f))` reads that file back. Every school of a cluster is
analysed with the same policy: that is the point of the "unified assessment" (003 part 2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import ANY, POSITIVE, UNIT, PolicyError, PolicySection, Range, policy_from_file

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[1] / "policies" / "analysis.toml"
IMPROVEMENT_BASES = ("expected", "z_gain")


@dataclass(frozen=True)
class AnalysisPolicy(PolicySection):
    """One flat table: the file's top-level keys (reported as `[analysis]` in errors)."""

    SECTION = "analysis"
    # other numbers: domain.policy's rule (≥ 0; `…_fraction`, `…_difficulty` in [0, 1])
    RANGES = {"t_mean": ANY, "t_sd": POSITIVE, "band_edges": UNIT, "min_discrimination": Range(-1.0, 1.0)}

    # 三率 thresholds, as fractions of the paper's full marks
    excellent_fraction: float = 0.85  # 优秀: score ≥ 85% of full marks
    pass_fraction: float = 0.60  # 及格: score ≥ 60%
    low_fraction: float = 0.40  # 低分: score < 40%

    # dispersion and standard scores (标准分)
    std_ddof: int = 0  # 0: the candidates are the whole population, not a sample
    t_mean: float = 50.0  # T = t_mean + t_sd · z
    t_sd: float = 10.0

    # score bands (分数段), as fractions of full marks; the top band includes full marks
    band_edges: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 1.0)

    # totals: a student's total counts only when they sat every subject of the exam
    total_requires_all_subjects: bool = True

    # item analysis (小题分析)
    upper_lower_fraction: float = 0.27  # Kelley's upper/lower groups for the D index
    min_discrimination: float = 0.2  # flag items whose upper–lower index D is below this (Ebel)
    min_difficulty: float = 0.2  # flag items whose difficulty (mean ÷ max) is below this (too hard)
    max_difficulty: float = 0.9  # … or above this (too easy)

    # improvement rate (提高率) against the previous joint exam of the same cohort (analysis/improvement.py)
    improvement_basis: str = "expected"  # above the z their previous results predict ("z_gain": z rose)
    improvement_margin: float = 0.0  # "expected": value added must exceed this many SDs
    improvement_class_context: bool = True  # "expected": the class's mean previous z is a predictor too …
    improvement_context_min_classes: int = 20  # … when at least this many classes sat the paper
    improvement_min_z_gain: float = 0.1  # "z_gain": a rise of at least this many SDs counts as progress
    improvement_min_students: int = 5  # fewer matched students: the group's rate is left empty

    # appraisal (统一考核): classes and teachers with fewer students are shown but not ranked
    min_ranked_students: int = 10

    # borderline students (临界生): within a band below each line
    borderline_band_fraction: float = 0.05  # the band, as a share of the paper's full marks …
    borderline_band_points: float = 0.0  # … or in points, when > 0 (then it wins)
    extra_line_fractions: dict[str, float] = field(default_factory=dict)  # more lines, e.g. {good = 0.75}

    # unified assessment (统一考核): relative weights of the three rates in a class/teacher score
    weight_excellent: float = 1.0
    weight_pass: float = 1.0
    weight_improvement: float = 1.0

    # bundled evaluation (捆绑评价): quality tests in a school year
    quality_tests_per_year: int = 4

    # reports
    gap_items_per_subject: int = 5  # items listed in each school's gap analysis
    html_max_table_rows: int = 500  # longer tables are cut in the HTML (the workbook has them all)
    workbook_max_student_rows: int = 20000  # above this the student sheet is left to students.csv

    def __post_init__(self) -> None:
        # frozen dataclass: normalise lists (from TOML) to tuples
        object.__setattr__(self, "band_edges", tuple(float(x) for x in self.band_edges))
        self.validate()

    def validate(self) -> None:
        problems: list[str] = []
        if not 0 < self.low_fraction <= self.pass_fraction <= self.excellent_fraction <= 1:
            problems.append("need 0 < low_fraction ≤ pass_fraction ≤ excellent_fraction ≤ 1")
        edges = self.band_edges
        if len(edges) < 2 or edges[0] != 0.0 or edges[-1] != 1.0 or any(b <= a for a, b in zip(edges, edges[1:])):
            problems.append("band_edges must rise strictly from 0.0 to 1.0")
        if not 0 < self.upper_lower_fraction <= 0.5:
            problems.append("upper_lower_fraction must be in (0, 0.5]")
        if not 0 <= self.min_difficulty < self.max_difficulty <= 1:
            problems.append("need 0 ≤ min_difficulty < max_difficulty ≤ 1")
        if self.improvement_basis not in IMPROVEMENT_BASES:
            problems.append(f"improvement_basis must be one of {IMPROVEMENT_BASES}")
        weights = (self.weight_excellent, self.weight_pass, self.weight_improvement)
        if any(w < 0 or math.isnan(w) for w in weights) or sum(weights) <= 0:
            problems.append("teacher score weights must be ≥ 0 and not all 0")
        if self.std_ddof not in (0, 1):
            problems.append("std_ddof must be 0 or 1")
        if self.t_sd <= 0:
            problems.append("t_sd must be > 0")
        if self.quality_tests_per_year < 1 or self.improvement_min_students < 1:
            problems.append("quality_tests_per_year and improvement_min_students must be ≥ 1")
        for name, fraction in self.extra_line_fractions.items():
            if name in ("excellent", "pass") or not str(name).replace("_", "").isalnum():
                problems.append(f"extra_line_fractions: {name!r} must be a new name of letters, digits and _")
            if not 0 < float(fraction) <= 1:
                problems.append(f"extra_line_fractions.{name} must be in (0, 1]")
        if problems:
            raise PolicyError("invalid AnalysisPolicy: " + "; ".join(problems))

    def check(self) -> None:
        self.validate()

    # --- derived rules -------------------------------------------------------------------------
    def lines(self) -> dict[str, float]:
        """The cut lines of borderline students, as fractions of full marks: excellent, pass, and
        the policy's extra lines, highest first."""
        lines = {"excellent": self.excellent_fraction, "pass": self.pass_fraction,
                 **{str(k): float(v) for k, v in self.extra_line_fractions.items()}}
        return dict(sorted(lines.items(), key=lambda kv: -kv[1]))

    def borderline_band(self, full_marks: float) -> float:
        """The width of the borderline band below a line, in points, for a paper of `full_marks`."""
        return self.borderline_band_points if self.borderline_band_points > 0 else \
            self.borderline_band_fraction * full_marks

    def teacher_weights(self, with_improvement: bool) -> tuple[float, float, float]:
        """Weights of (excellent, pass, improvement), summing to 1; without an improvement rate
        (no previous exam) the other two keep their ratio."""
        we, wp, wi = self.weight_excellent, self.weight_pass, self.weight_improvement
        if not with_improvement or wi == 0:
            wi = 0.0
            if we + wp == 0:  # only improvement was weighted and it is missing
                we = wp = 1.0
        total = we + wp + wi
        return we / total, wp / total, wi / total


def load_policy(path: Path | str | None = None) -> AnalysisPolicy:
    """Read an analysis policy TOML (the repository's `policies/analysis.toml` when no path is given)."""
    return policy_from_file(path or DEFAULT_POLICY_PATH, AnalysisPolicy.from_dict)
