"""The ledger's figures against counts done by hand on a small county (two clusters, five schools)."""
from __future__ import annotations

import datetime as dt

from cluster_office.dossier import dossiers
from cluster_office.policy import LedgerPolicy
from cluster_office.records import ActivityRecord, LedgerInput, LogRecord, MeetingHeld, PostingRecord, SchoolRecord
from cluster_office.rules import ledger_lines, term_of, year_of

D = dt.date


def county() -> LedgerInput:
    schools = [
        SchoolRecord("L", "城关一小", "C1", True, "quality", "urban", True, eligible=21, subjects=("math", "chinese")),
        SchoolRecord("A", "东山小学", "C1", False, "weak", "rural", False, eligible=5, subjects=("math", "chinese")),
        SchoolRecord("B", "西河小学", "C1", False, "ordinary", "township", False, eligible=4, subjects=("math",)),
        SchoolRecord("M", "城关二中", "C2", True, "quality", "urban", True, eligible=9, subjects=("math",)),
        SchoolRecord("N", "北坡中学", "C2", False, "weak", "rural", False, eligible=3, subjects=("math",)),
    ]

    def teacher(tid, frm, to, backbone, term=1, mentor=None):
        return PostingRecord(tid, frm, to, "teacher", term, D(2026, 9, 1) if term == 1 else D(2027, 3, 1),
                             backbone, mentor)

    def leader(tid, frm, to, month):
        year = 2026 if month >= 8 else 2027
        return PostingRecord(tid, frm, to, "leader", 1 if month >= 8 else 2, D(year, month, 1), False)

    postings = [
        # C1: L sends t1..t4 to A (t1, t2, t3 backbone; t1 and t2 mentor), t5 to B; t1 again in term 2 to A
        teacher("t1", "L", "A", True, mentor="a1"), teacher("t2", "L", "A", True, mentor="a2"),
        teacher("t3", "L", "A", True), teacher("t4", "L", "A", False), teacher("t5", "L", "B", False),
        teacher("t1", "L", "A", True, term=2, mentor="a1"),
        # a rural teacher learning at L: a posting, not from a quota school
        teacher("r1", "A", "L", False),
        # leaders L–A: September 2 (one each way), October 1, November 2, December 0
        leader("l1", "L", "A", 9), leader("l2", "A", "L", 9), leader("l1", "L", "A", 10),
        leader("l3", "L", "A", 11), leader("l4", "A", "L", 11),
        # C2: M sends one backbone to N
        teacher("m1", "M", "N", True),
    ]
    activities = [
        ActivityRecord("x1", "C1", "demo_lesson", D(2026, 10, 9), 1, "A", "math", ("t1",)),
        ActivityRecord("x2", "C1", "demo_lesson", D(2026, 11, 9), 1, "A", "math", ("t2",)),
        ActivityRecord("x3", "C1", "demo_lesson", D(2026, 11, 19), 1, "A", "chinese", ("t3",), status="cancelled"),
        ActivityRecord("x4", "C1", "famous_lesson", D(2026, 12, 1), 1, "B", "math", ("t5",)),
        ActivityRecord("p1", "C1", "lesson_prep", D(2026, 9, 20), 1, "L", "math", ("t1", "a1")),  # a1 teaches at A
        ActivityRecord("p2", "C1", "lesson_prep", D(2026, 10, 20), 1, "A", "chinese", ()),
        ActivityRecord("p3", "C1", "lesson_prep", D(2026, 10, 21), 1, "B", "math", (), status="planned"),
        *[ActivityRecord(f"tr{i}", "C1", "training", D(2026, 9 + i, 3), 1, "L", "math") for i in range(3)],
        *[ActivityRecord(f"tc{i}", "C1", "training", D(2026, 9 + i, 4), 1, "L", "chinese") for i in range(2)],
        ActivityRecord("rs1", "C1", "research", D(2026, 9, 5), 1, "L", "math"),
        ActivityRecord("jm", "C1", "joint_meeting", D(2026, 12, 2), 1, "L"),
    ]
    logs = [
        LogRecord("l1", "A", D(2026, 9, 8), "observation", 2), LogRecord("l1", "A", D(2026, 10, 8), "observation"),
        LogRecord("l2", "L", D(2026, 9, 9), "observation", 1), LogRecord("l3", "A", D(2026, 11, 9), "observation", 3),
        LogRecord("t1", "A", D(2026, 9, 30), "attendance", 20), LogRecord("t2", "A", D(2026, 9, 30), "attendance", 10),
        LogRecord("t1", "A", D(2026, 9, 30), "log", 4), LogRecord("t2", "A", D(2026, 9, 30), "log", 4),
        LogRecord("t1", "L", D(2026, 9, 30), "log", 9),  # not at a host school: does not count
        LogRecord("t2", "A", D(2026, 10, 30), "mentoring", 6),
    ]
    meetings = [MeetingHeld("C1", "principals", D(2026, 9, 7), 1), MeetingHeld("C1", "principals", D(2026, 9, 28), 1),
                MeetingHeld("C1", "monthly", D(2026, 10, 5), 1), MeetingHeld("C1", "teaching", D(2026, 10, 12), 1)]
    return LedgerInput(2026, schools, postings, activities, logs, meetings,
                       teacher_names={"t1": "张一", "t2": "王二", "t3": "李三", "t4": "赵四", "t5": "钱五"},
                       teacher_school={"a1": "A", "a2": "A", "t1": "L"})


def figures(lines, rule, school=None, term=None, cluster="C1"):
    found = [(x.target, x.achieved) for x in lines if x.rule == rule and x.school_id == school and x.term == term
             and x.cluster_id == cluster]
    assert len(found) == 1, (rule, school, term, found)
    return found[0]


def test_school_year_and_term_of_a_date():
    assert (year_of(D(2026, 9, 1)), term_of(D(2026, 9, 1))) == (2026, 1)
    assert (year_of(D(2027, 1, 10)), term_of(D(2027, 1, 10))) == (2026, 1)
    assert (year_of(D(2027, 3, 1)), term_of(D(2027, 3, 1))) == (2026, 2)


def test_teachers_exchanged_against_hand_counts():
    lines = ledger_lines(county())
    # L: ⌈10% × 21⌉ = 3 required; t1..t5 rotated (t1 twice is one teacher) = 5
    assert figures(lines, "rotation_quota", "L") == (3, 5)
    # backbone ≥ ⌈20% × 5⌉ = 1; t1, t2, t3 are backbone = 3
    assert figures(lines, "backbone_share", "L") == (1, 3)
    # A and B carry no quota
    assert not [x for x in lines if x.rule == "rotation_quota" and x.school_id in ("A", "B")]
    # Mingzhu: C1 postings t1 ×2, t2, t3, t4, t5, r1 = 7 person-times of 8; C2 has 1
    assert figures(lines, "person_times") == (8, 7)
    assert figures(lines, "person_times", cluster="C2") == (8, 1)
    # 001: excellent teachers from L: to A t1, t2, t3 = 3 of 4; to B none = 0 of 4
    assert figures(lines, "excellent_teachers_sent", "A") == (4, 3)
    assert figures(lines, "excellent_teachers_sent", "B") == (4, 0)
    assert figures(lines, "excellent_teachers_sent", "N", cluster="C2") == (4, 1)
    # mentoring at A: excellent hosted t1, t2, t3; t1 and t2 have an apprentice
    assert figures(lines, "mentoring", "A") == (3, 2)


def test_leaders_per_pair_per_month_and_their_observations():
    lines = ledger_lines(county())
    # L–A term 1 months 9..12: Sep 2 ✓, Oct 1 ✗, Nov 2 ✓, Dec 0 ✗ → 2 of 4
    assert figures(lines, "leader_months", "A", 1) == (4, 2)
    # L–B: no leaders → 0 of 4; C1 has a term-2 roster (t1) without leaders → 0 of 4 months; C2 has none → no line
    assert figures(lines, "leader_months", "B", 1) == (4, 0)
    assert figures(lines, "leader_months", "A", 2) == (4, 0)
    assert not [x for x in lines if x.rule == "leader_months" and x.term == 2 and x.cluster_id == "C2"]
    # at A: l1 (3 observed, counts 2) and l3 (3, counts 2) → 4 of 2×2; at L: l2 1 + l4 0 → 1 of 4
    assert figures(lines, "leader_observations", "A", 1) == (4, 4)
    assert figures(lines, "leader_observations", "L", 1) == (4, 1)


def test_activities_count_only_when_held():
    lines = ledger_lines(county())
    # A teaches math and chinese: math had x1, x2; chinese only x3, cancelled → 1 of 2
    assert figures(lines, "demo_lessons", "A", 1) == (2, 1)
    assert figures(lines, "demo_lessons", "B", 1) == (1, 1)  # x4, a famous teacher's lesson, math
    # lesson prep with A: p1 (its teacher a1 took part) and p2 (hosted) → 2 of 2; B: p3 only planned → 0
    assert figures(lines, "joint_lesson_prep", "A", 1) == (2, 2)
    assert figures(lines, "joint_lesson_prep", "B", 1) == (2, 0)
    # C1 subjects math, chinese: math 3 trainings ✓, chinese 2 ✗ → 1 of 2; research: math 1 → 0 of 2
    assert figures(lines, "trainings", None, 1) == (2, 1)
    assert figures(lines, "research", None, 1) == (2, 0)


def test_meetings_monthly_and_twice_a_term():
    lines = ledger_lines(county())
    # principals' (or monthly) meetings in Sep (2), Oct (1), Dec (calendar joint_meeting) → 3 of 4 months
    assert figures(lines, "principals_meetings", None, 1) == (4, 3)
    assert figures(lines, "teaching_meetings", None, 1) == (2, 1)


def test_targets_follow_the_policy():
    policy = LedgerPolicy(rotation_min_fraction=0.3, person_times_per_year=5, leaders_per_pair_per_month=1,
                          term1_months=(9, 10))
    lines = ledger_lines(county(), policy)
    assert figures(lines, "rotation_quota", "L") == (7, 5)  # ⌈0.3 × 21⌉ = 7
    assert figures(lines, "person_times") == (5, 7)
    assert figures(lines, "leader_months", "A", 1) == (2, 2)  # Sep 2, Oct 1: both ≥ 1
    line = next(x for x in lines if x.rule == "person_times" and x.cluster_id == "C1")
    assert line.met and line.figure() == "7 / 5 ✓"


def test_dossier_figures_and_award_ranking():
    rows = {d.teacher_id: d for d in dossiers(county(), quality={"t1": 300.0, "t2": 400.0})}
    assert set(rows) == {"t1", "t2", "t3", "t4", "t5", "r1", "m1"}
    t1, t2 = rows["t1"], rows["t2"]
    assert (t1.attendance, t1.logs, t1.demo_lessons, t1.mentoring, t1.apprentice_ids) == (20, 4, 1, 0, ("a1",))
    assert (t2.attendance, t2.logs, t2.demo_lessons, t2.mentoring) == (10, 4, 1, 6)
    assert rows["t3"].demo_lessons == 0  # its lesson was cancelled
    # by hand, weights 1,1,1,1,2, bests: attendance 20, logs 4, demo 1, mentoring 6, quality 400
    # t1 = 20/20 + 4/4 + 1/1 + 0 + 2×300/400 = 4.5 ; t2 = 0.5 + 1 + 1 + 1 + 2 = 5.5
    assert t1.award_score == 4.5 and t2.award_score == 5.5
    assert (t2.rank, t1.rank) == (1, 2)
    assert rows["t5"].award_score == 1.0 and rows["t5"].rank == 3  # one famous lesson
    assert rows["t4"].rank == rows["r1"].rank == rows["m1"].rank == 4  # all zero: tied
