"""Standard scripts (标准卷): scripts with the expert group's scores, for trial marking (试评) and quality checks.

The research office imports them with `xuequ marking standards FILE --exam E` (format in
marking/FORMAT.md, "Standard scripts"): one row per standard script and item, with the answer (text
or a scan reference) and the expert score. Each standard covers one item group, every item of it.
`purpose` says what it is for: `trial` (试评), `seed` (inserted unannounced into live marking to
measure accuracy) or `both`.

`pick_standard_scripts` chooses standards from scored responses (for the demo: the simulated true
scores; in practice also last year's double-checked scripts): per group, scripts spread over the
score range.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bundle.problems import BundleError, Problem
from marking.paper import PaperEntry, paper_entries, subjective_groups
from marking.responses import ResponseSheet, read_response_file
from models import audit
from models.exams import Exam
from models.marking_quality import MarkingStandard

PURPOSES = ("trial", "seed", "both")
PURPOSE_SYNONYMS = {"trial": "trial", "试评": "trial", "seed": "seed", "质检": "seed", "标准卷": "seed",
                    "both": "both", "两者": "both", "": "both"}
HEADER_SYNONYMS = {
    "standard_id": ("standard_id", "标准卷编号", "样卷编号", "name"),
    "subject": ("subject", "学科", "科目"),
    "item_id": ("item_id", "题目编号"),
    "question": ("question", "题号"),
    "answer": ("answer", "作答", "答案", "scan", "扫描"),
    "expert_score": ("expert_score", "专家分", "标准分", "score"),
    "purpose": ("purpose", "用途"),
    "exam_id": ("exam_id", "考试编号"),
}
COLUMNS = ["standard_id", "subject", "question", "answer", "expert_score", "purpose"]


@dataclass
class StandardScript:
    """One standard script as read: its group, answers and expert scores per item."""

    name: str
    subject: str
    item_group: str
    purpose: str
    answers: dict[str, str] = field(default_factory=dict)
    expert_scores: dict[str, float] = field(default_factory=dict)
    source: str = ""
    first_row: int = 0


@dataclass
class StandardsReport:
    standards: int = 0  # imported now (new or replaced)
    replaced: int = 0
    by_group: dict[tuple[str, str], int] = field(default_factory=dict)


def _columns(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        for canonical, spellings in HEADER_SYNONYMS.items():
            if name.strip().lower() in spellings or name.strip() in spellings:
                found.setdefault(canonical, index)
    return found


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_standards(sheets: Iterable[ResponseSheet], entries: Sequence[PaperEntry], exam_id: str, *,
                    subject: str | None = None) -> tuple[list[StandardScript], list[Problem]]:
    """Standard scripts from the sheets, checked against the exam's papers; every problem by file, row, column."""
    problems: list[Problem] = []
    subjective = {(e.subject, e.item_id): e for e in entries if not e.objective}
    by_position = {(e.subject, e.position): e for e in entries}
    groups = subjective_groups(entries)
    scripts: dict[tuple[str, str], StandardScript] = {}
    for sheet in sheets:
        columns = _columns(sheet.header)

        def p(row: int | None, column: str | None, zh: str, en: str) -> None:
            problems.append(Problem(sheet.source, row, column, zh, en))

        missing = [c for c in ("standard_id", "answer", "expert_score") if c not in columns]
        if "question" not in columns and "item_id" not in columns:
            missing.append("question")
        if "subject" not in columns and subject is None:
            missing.append("subject")
        if missing:
            for column in missing:
                p(1, column, f"缺少列 {column}", f"missing column {column}")
            continue
        for row, cells in zip(sheet.rows, sheet.cells):
            def cell(name: str) -> str:
                return cells[columns[name]].strip() if name in columns and columns[name] < len(cells) else ""

            name = cell("standard_id")
            subj = cell("subject") or (subject or "")
            if "exam_id" in columns and cell("exam_id") not in ("", exam_id):
                p(row, "exam_id", f"考试编号应为 {exam_id}", f"exam_id must be {exam_id}")
                continue
            if not name:
                p(row, "standard_id", "标准卷编号为空", "empty standard_id")
                continue
            entry: PaperEntry | None = None
            if cell("item_id"):
                entry = subjective.get((subj, cell("item_id")))
                if entry is None:
                    p(row, "item_id", f"{subj} 试卷上没有主观题 {cell('item_id')}",
                      f"no subjective item {cell('item_id')} on the {subj} paper")
                    continue
            else:
                text = cell("question")
                position = int(text) if text.isdigit() else None
                found = by_position.get((subj, position)) if position is not None else None
                if found is None or found.objective:
                    p(row, "question", f"{subj} 试卷上没有主观题第 {text} 题",
                      f"no subjective question {text} on the {subj} paper")
                    continue
                entry = found
            purpose = PURPOSE_SYNONYMS.get(cell("purpose").lower()) if "purpose" in columns else "both"
            if purpose is None:
                p(row, "purpose", "用途应为 trial（试评）、seed（质检）或 both", "purpose must be trial, seed or both")
                continue
            score = _number(cell("expert_score"))
            if score is None or score < 0 or score > entry.max_score + 1e-9 \
                    or abs(score / entry.step - round(score / entry.step)) > 1e-6:
                p(row, "expert_score", f"专家分应为 0–{entry.max_score:g} 之间、给分步长 {entry.step:g} 的倍数",
                  f"expert_score must be in 0–{entry.max_score:g} in steps of {entry.step:g}")
                continue
            key = (entry.subject, name)
            script = scripts.get(key)
            if script is None:
                script = scripts[key] = StandardScript(name, entry.subject, entry.item_group, purpose,
                                                       source=sheet.source, first_row=row)
            elif script.item_group != entry.item_group:
                p(row, "question", f"标准卷 {name} 的题目应同属题组 {script.item_group}",
                  f"standard {name} must cover one item group ({script.item_group})")
                continue
            elif script.purpose != purpose:
                p(row, "purpose", f"标准卷 {name} 各行用途不一致", f"standard {name} has rows of different purposes")
                continue
            if entry.item_id in script.expert_scores:
                p(row, "question", f"标准卷 {name} 第 {entry.position} 题重复", f"standard {name}: question "
                  f"{entry.position} twice")
                continue
            script.answers[entry.item_id] = cell("answer")
            script.expert_scores[entry.item_id] = round(score, 6)
    for script in scripts.values():
        wanted = {e.item_id: e for e in groups.get((script.subject, script.item_group), [])}
        lacking = [e.position for e in wanted.values() if e.item_id not in script.expert_scores]
        if lacking:
            problems.append(Problem(script.source, script.first_row, "question",
                                    f"标准卷 {script.name} 缺少题组 {script.item_group} 的第 "
                                    f"{'、'.join(map(str, lacking))} 题",
                                    f"standard {script.name} lacks question(s) {lacking} of group {script.item_group}"))
    return list(scripts.values()), problems


def import_standards(session: Session, exam_id: str, files: Sequence[str | Path | ResponseSheet], *,
                     subject: str | None = None) -> StandardsReport:
    """Check and store standard scripts in the caller's transaction: all or nothing (BundleError).

    A standard of the same subject, group and id is replaced (its answers and expert scores); the
    checks already given on it keep their marks."""
    if session.get(Exam, exam_id) is None:
        raise BundleError([Problem(str(files[0]) if files else "standards", None, None, f"没有考试 {exam_id}",
                                   f"no exam {exam_id}")])
    sheets: list[ResponseSheet] = []
    for item in files:
        sheets.extend([item] if isinstance(item, ResponseSheet) else read_response_file(item))
    entries = paper_entries(session, exam_id)
    scripts, problems = parse_standards(sheets, entries, exam_id, subject=subject)
    if not scripts and not problems:
        problems.append(Problem(sheets[0].source if sheets else "standards", None, None, "文件中没有标准卷",
                                "no standard scripts in the file(s)"))
    if problems:
        raise BundleError(problems)
    existing = {(s.subject, s.item_group, s.name): s for s in session.scalars(
        select(MarkingStandard).where(MarkingStandard.exam_id == exam_id))}
    report = StandardsReport()
    now = time.time()
    for script in scripts:
        row = existing.get((script.subject, script.item_group, script.name))
        if row is None:
            session.add(MarkingStandard(exam_id=exam_id, subject=script.subject, item_group=script.item_group,
                                        name=script.name, purpose=script.purpose, answers=script.answers,
                                        expert_scores=script.expert_scores, imported_at=now))
        else:
            row.purpose, row.answers, row.expert_scores, row.imported_at = (
                script.purpose, script.answers, script.expert_scores, now)
            report.replaced += 1
        report.standards += 1
        key = (script.subject, script.item_group)
        report.by_group[key] = report.by_group.get(key, 0) + 1
    session.flush()
    audit.record(session, "import", "marking_standard", exam_id,
                 {"standards": report.standards, "replaced": report.replaced,
                  "groups": {f"{s}/{g}": n for (s, g), n in sorted(report.by_group.items())}})
    from marking.queue.quality_store import forget_exam

    forget_exam(exam_id)  # the trial and seeding follow the standards imported
    return report


def pick_standard_scripts(responses: pd.DataFrame, scores: pd.DataFrame, entries: Sequence[PaperEntry], *,
                          trial: int = 5, seed: int = 5) -> pd.DataFrame:
    """Standard scripts chosen from scored responses, per subjective item group: `trial` for trial
    marking and `seed` for quality checks, spread evenly over the range of totals (low to high).

    `responses`: student_id, item_id, answer; `scores`: student_id, item_id and `true_score` (or
    `score`). Returns rows in the standard_scripts.csv shape (COLUMNS)."""
    column = "true_score" if "true_score" in scores.columns else "score"
    score_of = {(str(s), str(i)): float(v) for s, i, v in zip(scores["student_id"], scores["item_id"],
                                                             scores[column])}
    answer_of = {(str(s), str(i)): ("" if a is None or (isinstance(a, float) and math.isnan(a)) else str(a))
                 for s, i, a in zip(responses["student_id"], responses["item_id"], responses["answer"])}
    students = sorted({str(s) for s in responses["student_id"]})
    rows: list[dict] = []
    for (subject, group), items in sorted(subjective_groups(entries).items()):
        scored = [(sum(score_of[(s, e.item_id)] for e in items), s) for s in students
                  if all((s, e.item_id) in score_of and (s, e.item_id) in answer_of for e in items)]
        wanted = min(trial + seed, len(scored))
        if not wanted:
            continue
        scored.sort()
        chosen = [scored[round(k * (len(scored) - 1) / max(1, wanted - 1))][1] for k in range(wanted)]
        chosen = list(dict.fromkeys(chosen))  # a small group may pick a student twice: once is enough
        trial_left, seed_left = trial, seed
        for number, student in enumerate(chosen):
            # alternate, so that both sets span the range of totals: trial, seed, trial, seed, …
            if (number % 2 == 0 and trial_left) or not seed_left:
                purpose, trial_left = "trial", trial_left - 1
            else:
                purpose, seed_left = "seed", seed_left - 1
            name = f"{group}-{number + 1:02d}"
            for e in items:
                rows.append({"standard_id": name, "subject": subject, "question": e.position,
                             "answer": answer_of[(student, e.item_id)], "expert_score": score_of[(student, e.item_id)],
                             "purpose": purpose})
    return pd.DataFrame(rows, columns=COLUMNS)


def standards_by_group(session: Session, exam_id: str) -> Mapping[tuple[str, str], dict[str, int]]:
    """(subject, item_group) → how many standards per purpose."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for subj, group, purpose in session.execute(select(MarkingStandard.subject, MarkingStandard.item_group,
                                                       MarkingStandard.purpose)
                                                .where(MarkingStandard.exam_id == exam_id)).tuples():
        counts = out.setdefault((subj, group), {p: 0 for p in PURPOSES})
        counts[purpose] += 1
    return out
