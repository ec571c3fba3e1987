"""The exchange teacher's dossier (交流教师档案, 003 part 2) and the 先进交流教师 award ranking.

"结合交流教师完成的交流日志、师徒捆绑赛课、考勤、经验交流、民主评议、教学质量等方面，评选先进交流教师":
per exchange teacher of the year, the postings, days present at the host school, weekly logs,
demonstration lessons given, mentoring sessions and the bundled teaching-quality score (捆绑评价,
`analysis.assessment.bundled_evaluation`). Each figure is scaled to the best candidate's (so 1.0 is
the best of the year) and weighted by the policy; the sum ranks the candidates.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from cluster_office.policy import LedgerPolicy
from cluster_office.records import LedgerInput

FIGURES = ("attendance", "logs", "demo_lessons", "mentoring", "quality")


@dataclass(frozen=True)
class Dossier:
    teacher_id: str
    name: str
    home_school_id: str
    host_school_ids: tuple[str, ...]
    apprentice_ids: tuple[str, ...]
    attendance: int  # days present at a host school (考勤)
    logs: int  # weekly logs (交流日志)
    demo_lessons: int  # demonstration lessons given (calendar, held, plus recorded ones)
    mentoring: int  # mentoring sessions recorded (师徒说课)
    quality: float | None  # bundled score (捆绑评价): the pair's summed class scores; None without tests
    award_score: float = 0.0
    rank: int = 0


def dossiers(data: LedgerInput, policy: LedgerPolicy | None = None,
             quality: dict[str, float] | None = None) -> list[Dossier]:
    """Every teacher posted as an exchange teacher in the year, ranked for the award (best first)."""
    policy = policy or LedgerPolicy()
    quality = quality or {}
    hosts: dict[str, list[str]] = defaultdict(list)
    apprentices: dict[str, list[str]] = defaultdict(list)
    home: dict[str, str] = {}
    for p in data.postings:
        if p.kind != "teacher":
            continue
        home.setdefault(p.teacher_id, p.from_school_id)
        if p.to_school_id not in hosts[p.teacher_id]:
            hosts[p.teacher_id].append(p.to_school_id)
        if p.mentor_of and p.mentor_of not in apprentices[p.teacher_id]:
            apprentices[p.teacher_id].append(p.mentor_of)
    recorded: Counter = Counter()
    for r in data.logs:
        if r.teacher_id in hosts and r.school_id in hosts[r.teacher_id]:
            recorded[(r.teacher_id, r.kind)] += r.count
    lessons = Counter(t for a in data.activities if a.status == "held" and a.kind in ("demo_lesson", "famous_lesson")
                      for t in ((a.presenter_id,) if a.presenter_id else a.teacher_ids))
    rows = []
    for teacher_id in sorted(hosts):
        rows.append(Dossier(teacher_id, data.teacher_names.get(teacher_id, teacher_id), home[teacher_id],
                            tuple(hosts[teacher_id]), tuple(apprentices[teacher_id]),
                            recorded[(teacher_id, "attendance")], recorded[(teacher_id, "log")],
                            lessons[teacher_id] + recorded[(teacher_id, "demo_lesson")],
                            recorded[(teacher_id, "mentoring")], quality.get(teacher_id)))
    return rank_for_award(rows, policy)


def rank_for_award(rows: list[Dossier], policy: LedgerPolicy) -> list[Dossier]:
    """award score = Σ weight × figure ÷ the best candidate's figure (a figure nobody has counts 0);
    rank 1 is the best; ties share a rank (competition ranking), then by name."""
    weights = {"attendance": policy.weight_attendance, "logs": policy.weight_logs,
               "demo_lessons": policy.weight_demo_lessons, "mentoring": policy.weight_mentoring,
               "quality": policy.weight_quality}
    best = {f: max((float(getattr(r, f) or 0.0) for r in rows), default=0.0) for f in FIGURES}
    scored = []
    for r in rows:
        score = sum(weights[f] * float(getattr(r, f) or 0.0) / best[f] for f in FIGURES if best[f] > 0)
        scored.append((round(score, 6), r))
    scored.sort(key=lambda x: (-x[0], x[1].name, x[1].teacher_id))
    out, previous, rank = [], None, 0
    for index, (score, r) in enumerate(scored, start=1):
        if score != previous:
            rank, previous = index, score
        out.append(Dossier(**{**r.__dict__, "award_score": score, "rank": rank}))
    return out
