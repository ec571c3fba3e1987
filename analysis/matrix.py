"""From long scores (one row per student × item, FORMATS.md `scores.csv`) to one students × items
numpy matrix per paper (subject). Everything downstream works on these matrices and on small
per-student tables, so 4 million long rows are touched only here, once, with integer codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SCORE_COLUMNS = ("exam_id", "student_id", "school_id", "class_id", "subject", "item_id", "score")
# a score cell that says the student was absent (缺考); an empty cell means the same (FORMATS.md v2)
ABSENT_WORDS = ("缺考", "缺", "absent", "Absent", "ABSENT")
_EPS = 1e-9


@dataclass
class Paper:
    """One subject's paper and the scores of the students who sat it."""

    subject: str
    item_ids: list[str]  # column order of `matrix` (the paper's order when `items` gives it)
    max_scores: np.ndarray  # (k,) item full marks
    item_types: list[str | None]
    keys: list[str | None]  # answer keys of choice items, when known
    students: np.ndarray  # (n,) indices into ScoreData.student_ids, ascending
    matrix: np.ndarray  # (n, k) float64; an item row missing for a student who sat the paper is 0
    missing_cells: int = 0
    # students with rows of this paper that are all empty or 缺考 (absent, not 0): indices into student_ids
    blank_students: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def full_marks(self) -> float:
        return float(self.max_scores.sum())

    @property
    def totals(self) -> np.ndarray:
        return self.matrix.sum(axis=1)


@dataclass
class ScoreData:
    exam_id: str
    student_ids: np.ndarray  # (N,) object, every student with at least one score row
    school_ids: np.ndarray  # (N,) object
    class_ids: np.ndarray  # (N,) object
    papers: dict[str, Paper]
    warnings: list[str] = field(default_factory=list)

    @property
    def subjects(self) -> list[str]:
        return list(self.papers)

    def id_order(self) -> np.ndarray:
        """Rank of each student's id in sorted order: a reproducible tie-break."""
        order = np.argsort(self.student_ids.astype(str), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank


def _require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; it has {list(frame.columns)}")


def _examples(values, n: int = 5) -> str:
    values = list(values)
    more = f" (and {len(values) - n} more)" if len(values) > n else ""
    return ", ".join(str(v) for v in values[:n]) + more


def normalise_items(items: pd.DataFrame) -> pd.DataFrame:
    """subject (may be missing), item_id, max_score, item_type, key, as plain columns."""
    _require_columns(items, ("item_id", "max_score"), "items")
    out = pd.DataFrame({
        "subject": items["subject"].astype(str) if "subject" in items else pd.Series([None] * len(items), dtype=object),
        "item_id": items["item_id"].astype(str),
        "max_score": pd.to_numeric(items["max_score"], errors="raise").astype(float),
        "item_type": items["item_type"].astype(object) if "item_type" in items else None,
        "key": items["key"].astype(object) if "key" in items else None,
    })
    out = out.where(out.notna(), None)
    if (out["max_score"] <= 0).any():
        raise ValueError(f"items with max_score ≤ 0: {_examples(out.loc[out['max_score'] <= 0, 'item_id'])}")
    key = ["subject", "item_id"] if out["subject"].notna().all() else ["item_id"]
    duplicated = out.duplicated(key)
    if duplicated.any():
        raise ValueError(f"items listed twice: {_examples(out.loc[duplicated, 'item_id'])}")
    return out.reset_index(drop=True)


def score_values(column: pd.Series) -> np.ndarray:
    """The score column as float64: an empty cell, NaN or a `缺考` word is NaN (absent, not 0).

    Anything else that is not a number raises ValueError naming the first such row (row 2 is the
    first data row of a CSV file, the header being row 1)."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    text = column.astype(object).to_numpy()
    blank = pd.isna(text)
    as_str = np.where(blank, "", text).astype(str)
    stripped = np.char.strip(as_str)
    absent = (stripped == "") | np.isin(stripped, ABSENT_WORDS)
    values = pd.to_numeric(pd.Series(np.where(absent, "nan", stripped)), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ~absent
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"scores row {row + 2}, column score: not a number ({text[row]!r}); "
                         "leave the cell empty or write 缺考 for an absent student")
    return values


def build_score_data(scores: pd.DataFrame, items: pd.DataFrame, check_membership: bool = True) -> ScoreData:
    """Pivot long scores into per-paper matrices, checking the data as it goes.

    Raises ValueError for: several exam ids, a student in two classes or schools, a student × item
    scored twice, an item without a max score, a score below 0 or above the item's max.
    A student *sat* a paper when at least one of their cells of it holds a number; a student whose
    rows of a paper are all empty (or `缺考`) was absent and is not in the paper (`blank_students`).
    A missing row or an empty cell of a student who sat the paper counts 0 (and is reported).
    check_membership=False skips the class/school consistency check (the previous exam needs only
    each student's scores).
    """
    _require_columns(scores, SCORE_COLUMNS, "scores")
    if len(scores) == 0:
        raise ValueError("scores is empty")
    exam_col = scores["exam_id"].to_numpy(dtype=object)
    if (exam_col != exam_col[0]).any():  # cheaper than hashing millions of strings
        raise ValueError(f"scores must hold one exam; found {_examples(pd.unique(exam_col))}")
    exam_id = exam_col[0]
    item_table = normalise_items(items)

    student_codes, student_ids = pd.factorize(scores["student_id"])
    if (student_codes < 0).any():
        raise ValueError("scores has rows without a student_id")
    n_rows = len(student_codes)
    first_row = np.empty(len(student_ids), dtype=np.int64)  # first row of each student
    first_row[student_codes[::-1]] = np.arange(n_rows - 1, -1, -1)
    school_col = scores["school_id"].to_numpy(dtype=object)
    class_col = scores["class_id"].to_numpy(dtype=object)
    school_ids = school_col[first_row]
    class_ids = class_col[first_row]
    checks = (("class", class_col, class_ids), ("school", school_col, school_ids)) if check_membership else ()
    for name, column, per_student in checks:
        mismatch = column != per_student[student_codes]
        if mismatch.any():
            bad = pd.unique(student_ids.to_numpy(dtype=object)[student_codes[mismatch]])
            raise ValueError(f"students listed in more than one {name}: {_examples(bad)}")

    item_codes, item_uniques = pd.factorize(scores["item_id"])
    subject_codes, subjects = _subject_codes(scores, item_codes, item_uniques, item_table)
    if (subject_codes < 0).any() or (item_codes < 0).any():
        raise ValueError("scores has rows without a subject or item_id")
    values = score_values(scores["score"])
    valid = ~np.isnan(values)

    warnings: list[str] = []
    papers: dict[str, Paper] = {}
    by_subject = item_table["subject"].notna().all()
    for s, subject in enumerate(subjects):
        subject = str(subject)
        rows = np.flatnonzero(subject_codes == s)
        used = np.flatnonzero(np.bincount(item_codes[rows], minlength=len(item_uniques)))  # items of this subject
        used_ids = item_uniques.to_numpy(dtype=object)[used].astype(str)
        listed = item_table[item_table["subject"] == subject] if by_subject else item_table
        listed = listed.set_index("item_id")
        unknown = [i for i in used_ids if i not in listed.index]
        if unknown:
            raise ValueError(f"{subject}: items scored but without a max score in items: {_examples(unknown)}")
        # the paper's order as `items` lists it; items never scored are left out with a warning
        used_set = set(used_ids)
        order = [i for i in listed.index if i in used_set]
        if by_subject:
            never = [i for i in listed.index if i not in used_set]
            if never:
                warnings.append(f"{subject}: items listed but never scored, left out of the analysis: "
                                f"{_examples(never)}")
        column_of_code = np.full(len(item_uniques), -1, dtype=np.int64)
        position = {item_id: j for j, item_id in enumerate(order)}
        column_of_code[used] = [position[i] for i in used_ids]
        k = len(order)
        cols = column_of_code[item_codes[rows]]
        studs = student_codes[rows]
        cell = studs.astype(np.int64) * k + cols
        counts = np.bincount(cell, minlength=len(student_ids) * k)
        if counts.max() > 1:
            twice = np.flatnonzero(counts > 1)[:5]
            examples = [f"{student_ids[c // k]}×{order[c % k]}" for c in twice]
            raise ValueError(f"{subject}: student × item scored more than once: {_examples(examples)}")
        filled = np.bincount(studs[valid[rows]], minlength=len(student_ids))  # cells holding a number
        listed_rows = np.bincount(studs, minlength=len(student_ids))
        sat = np.flatnonzero(filled > 0)
        blank = np.flatnonzero((listed_rows > 0) & (filled == 0))
        position_of = np.full(len(student_ids), -1, dtype=np.int64)
        position_of[sat] = np.arange(len(sat))
        keep = position_of[studs] >= 0
        matrix = np.full((len(sat), k), np.nan)
        matrix[position_of[studs[keep]], cols[keep]] = values[rows[keep]]
        missing = np.isnan(matrix)
        n_missing = int(missing.sum())
        if n_missing:
            matrix[missing] = 0.0
            warnings.append(f"{subject}: {n_missing} item scores missing or empty for students who sat the paper; "
                            "counted as 0")
        max_scores = listed.loc[order, "max_score"].to_numpy(dtype=float)
        below = matrix < -_EPS
        above = matrix > max_scores[None, :] + _EPS
        if below.any() or above.any():
            r, c = np.nonzero(below | above)
            examples = [f"{student_ids[sat[i]]}×{order[j]}={matrix[i, j]:g} (max {max_scores[j]:g})"
                        for i, j in zip(r[:5], c[:5])]
            raise ValueError(f"{subject}: scores outside [0, max]: {_examples(examples)}")
        papers[subject] = Paper(
            subject=subject,
            item_ids=order,
            max_scores=max_scores,
            item_types=[listed.at[i, "item_type"] for i in order],
            keys=[listed.at[i, "key"] for i in order],
            students=sat,
            matrix=matrix,
            missing_cells=n_missing,
            blank_students=blank,
        )
    return ScoreData(
        exam_id=str(exam_id),
        student_ids=student_ids.to_numpy(dtype=object),
        school_ids=school_ids,
        class_ids=class_ids,
        papers=papers,
        warnings=warnings,
    )


def _subject_codes(scores: pd.DataFrame, item_codes: np.ndarray, item_uniques: pd.Index,
                   item_table: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Subject code of every row. When `items` names one subject per item id (ids unique across
    papers, as in the bank), the subject follows from the item and the rows are only checked
    against it: one cheap comparison instead of hashing millions of strings again."""
    column = scores["subject"]
    listed = item_table.dropna(subset=["subject"])
    if len(listed) != len(item_table) or listed["item_id"].duplicated().any():
        return pd.factorize(column)
    subject_of = pd.Series(listed["subject"].to_numpy(dtype=object), index=listed["item_id"].to_numpy(dtype=object))
    item_subject = subject_of.reindex(item_uniques.astype(str)).to_numpy(dtype=object)
    if pd.isna(item_subject).any():  # items without a max score: let the caller name them per subject
        return pd.factorize(column)
    expected = item_subject[item_codes]
    mismatch = column.to_numpy(dtype=object) != expected
    if mismatch.any():
        rows = np.flatnonzero(mismatch)[:5]
        examples = [f"{item_uniques[item_codes[r]]} as {column.iat[r]} (items: {expected[r]})" for r in rows]
        raise ValueError(f"items scored under another subject than in items: {_examples(examples)}")
    codes_of_item, subjects = pd.factorize(pd.Series(item_subject, dtype=object))
    return codes_of_item[item_codes], pd.Index(subjects, dtype=object)
