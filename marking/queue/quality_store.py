"""Quality control in the queue (阅卷质量监控): pauses, trial marking (试评), 回评 and seeded standard scripts.

The queue calls in here at three places, each a small hook:
- `lease_next` → `quality_lease`: a paused marker gets nothing (`MarkingBlocked`, with the reason);
  a marker who must pass the trial gets trial scripts (kind "trial") until the trial is over; a
  marker due a re-mark of their own script (回评) or a seeded standard script gets it first, looking
  like any first mark (kind "first", a fresh code). Otherwise the queue goes on as before.
- `submit_mark` → `submit_check` for a check's task id (the mark goes to the check, never to the
  script: no final score changes), and `after_mark` after a counted first or second mark: a seeded
  draw (policy `recheck_share`, `standard_share`) schedules a re-mark of that script, or a standard
  script, some marks later (`recheck_after_marks`).
- `release_lease` → `release_check`.

A check's "later" is counted on the exam's marks: it is due once the marks' ids (one sequence)
have gone `recheck_after_marks` × (markers of the exam) past the mark that scheduled it, i.e. after
about that many of the marker's own marks when the markers work at a similar pace.

The lease path must stay cheap: what it needs (who is paused, who is in a trial, whose checks are
due, the marks' clock) is read once per `quality.refresh_seconds` per process and exam, and updated
in place by this process's own writes. A pause made through another process applies within that time.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy
from marking.quality import TrialResult, drawn, trial_outcome, trial_results, unit_hash
from marking.rules import InvalidScores
from marking.sql import Driver
from models.marking import Marker, MarkingMark
from models.marking_quality import MarkerState, MarkingCheck, MarkingStandard

from .connection import _reading, _url, _writing
from .records import Lease, MarkerRef, SubmitResult, group_items


class MarkingBlocked(Exception):
    """The marker may not mark now: paused by the group leader, or a failed trial (试评未通过).

    Not a QueueError: the marker API answers /next with no task and the reason, not an error."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en  # code: paused, trial_failed

    def reason(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


# --- what the lease path needs, cached per process and exam --------------------------------------

@dataclass
class _MarkerQc:
    paused: bool = False
    reason: str | None = None
    trial_state: str = "not_started"
    trial_round: int = 0


@dataclass
class _ExamQc:
    loaded_at: float
    clock: int = 0  # the highest mark id seen (marks share one sequence)
    markers: dict[str, _MarkerQc] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)  # teacher → lowest due_mark of their waiting checks
    leased: set[str] = field(default_factory=set)  # teachers holding a re-mark or standard check
    trial_groups: set[tuple[str, str]] = field(default_factory=set)  # groups with trial standards
    seed_groups: set[tuple[str, str]] = field(default_factory=set)  # groups with standards to seed
    registered: int = 1  # markers of the exam


_cache: dict[tuple[str, str], _ExamQc] = {}
_guard = threading.Lock()


def forget_exam(exam_id: str | None = None) -> None:
    """Drop the cached state (of one exam, or all): the next lease reads it again."""
    with _guard:
        for key in [k for k in _cache if exam_id is None or k[1] == exam_id]:
            del _cache[key]


def _load(session: Session, exam_id: str, now: float) -> _ExamQc:
    state = _ExamQc(loaded_at=now)
    for row in session.scalars(select(MarkerState).where(MarkerState.exam_id == exam_id)):
        state.markers[row.teacher_id] = _MarkerQc(row.paused, row.pause_reason, row.trial_state, row.trial_round)
    for teacher, check_state, due in session.execute(
            select(MarkingCheck.teacher_id, MarkingCheck.state, func.min(MarkingCheck.due_mark))
            .where(MarkingCheck.exam_id == exam_id, MarkingCheck.kind != "trial",
                   MarkingCheck.state.in_(("waiting", "leased")))
            .group_by(MarkingCheck.teacher_id, MarkingCheck.state)).tuples():
        if check_state == "leased":
            state.leased.add(teacher)
        else:
            state.due[teacher] = int(due)
    for subject, group, purpose in session.execute(
            select(MarkingStandard.subject, MarkingStandard.item_group, MarkingStandard.purpose)
            .where(MarkingStandard.exam_id == exam_id).distinct()).tuples():
        if purpose in ("trial", "both"):
            state.trial_groups.add((subject, group))
        if purpose in ("seed", "both"):
            state.seed_groups.add((subject, group))
    state.clock = int(session.scalar(select(func.max(MarkingMark.mark_id))) or 0)
    state.registered = max(1, int(session.scalar(select(func.count()).select_from(Marker)
                                                 .where(Marker.exam_id == exam_id)) or 0))
    session.commit()  # leave no read transaction open on the lease path
    return state


_loading: set[tuple[str, str]] = set()  # exams whose state a thread of this process is reading now


def _exam_state(session: Session, exam_id: str, policy: MarkingPolicy, now: float) -> _ExamQc:
    """The exam's state, read again when older than `refresh_seconds` (by one thread: the others go on
    with the state they have meanwhile, so many markers do not all reread at once)."""
    key = (_url(session), exam_id)
    with _guard:
        state = _cache.get(key)
        stale = state is None or now - state.loaded_at >= policy.quality.refresh_seconds or now < state.loaded_at
        if state is not None and (not stale or key in _loading):
            return state  # fresh, or stale and being reread by another thread
        _loading.add(key)
    try:
        state = _load(session, exam_id, now)
        with _guard:
            _cache[key] = state
    finally:
        with _guard:
            _loading.discard(key)
    return state


def _update(session: Session, exam_id: str, change) -> None:  # noqa: ANN001  (a function of the cached state)
    with _guard:
        state = _cache.get((_url(session), exam_id))
        if state is not None:
            change(state)


# --- the lease hook --------------------------------------------------------------------------------

_CHECK_COLUMNS = "check_id, kind, script_id, standard_id, code, leased_at, lease_expires_at, subject, item_group"
_HELD_CHECK = f"""
SELECT {_CHECK_COLUMNS} FROM marking_check
WHERE exam_id = :exam AND teacher_id = :teacher AND state = 'leased' AND lease_expires_at > :now AND {{kind}}
ORDER BY check_id LIMIT 1
"""
_LEASE_CHECK = f"""
UPDATE marking_check SET state = 'leased', leased_at = :now, lease_expires_at = :expires
WHERE check_id = (
    SELECT check_id FROM marking_check
    WHERE exam_id = :exam AND teacher_id = :teacher AND {{kind}} AND due_mark <= :clock
      AND (state = 'waiting' OR (state = 'leased' AND lease_expires_at <= :now))
    ORDER BY due_mark, check_id LIMIT 1)
RETURNING {_CHECK_COLUMNS}
"""


def quality_lease(session: Session, marker: MarkerRef, kinds, policy: MarkingPolicy,  # noqa: ANN001
                  now: float) -> Lease | None:
    """What quality control hands this marker before the queue does: a trial script, a due re-mark or
    standard script, else None (the queue's next script). Raises MarkingBlocked for a paused marker or
    a failed trial. `kinds` given (e.g. arbitration only): only the pause applies."""
    state = _exam_state(session, marker.exam_id, policy, now)
    mine = state.markers.get(marker.teacher_id)
    if mine is not None and mine.paused:
        raise MarkingBlocked("paused", f"题组长已暂停你的评卷：{mine.reason or '未说明原因'}",
                             f"the group leader paused your marking: {mine.reason or 'no reason given'}")
    if kinds is not None or marker.role != "marker":
        return None
    group = (marker.subject, marker.item_group)
    trial = policy.quality.trial_required and group in state.trial_groups \
        and (mine is None or mine.trial_state not in ("passed", "waived"))
    due = state.due.get(marker.teacher_id)
    checks = marker.teacher_id in state.leased or (due is not None and due <= state.clock)
    if not (trial or checks) or _holds_lease(session, marker):
        return None  # nothing for quality control now, or the marker holds a script: the queue hands it back
    if trial:
        lease = _trial_lease(session, marker, policy, now, mine)
        if lease is not None:
            return lease
    if checks:
        lease = _lease_check(session, marker, policy, now, state.clock, "kind <> 'trial'")
        if lease is not None:
            return lease
        _reload_checks(session, marker)
    return None


def _holds_lease(session: Session, marker: MarkerRef) -> bool:
    """Whether the marker holds a script of the queue in their group (one at a time: marking/queue/leasing.py)."""
    from marking import sql as sql_text

    params = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
              "marker": marker.teacher_id}
    with _reading(session) as db:
        return db.execute(sql_text.HELD, params).fetchone() is not None


def _lease_from(session: Session, marker: MarkerRef, row, policy: MarkingPolicy) -> Lease:  # noqa: ANN001
    check_id, kind, script_id, standard_id, code, leased_at, expires, subject, item_group = row
    items = group_items(session, marker.exam_id, subject, item_group)  # the check's group (the marker's own)
    shown_kind = "trial" if kind == "trial" else "first"  # 回评 and standard scripts come unannounced
    return Lease(check_id, script_id if script_id is not None else -int(standard_id), code, shown_kind, items,
                 leased_at, expires)


def _lease_check(session: Session, marker: MarkerRef, policy: MarkingPolicy, now: float, clock: int,
                 kind_condition: str) -> Lease | None:
    params = {"exam": marker.exam_id, "teacher": marker.teacher_id, "now": now, "clock": clock,
              "expires": now + policy.queue.lease_seconds}
    with _writing(session) as db:
        row = db.execute(_HELD_CHECK.format(kind=kind_condition), params).fetchone()
        if row is None:
            row = db.execute(_LEASE_CHECK.format(kind=kind_condition), params).fetchone()
    if row is None:
        return None
    _update(session, marker.exam_id, lambda s: s.leased.add(marker.teacher_id) if row[1] != "trial" else None)
    return _lease_from(session, marker, row, policy)


def _reload_checks(session: Session, marker: MarkerRef) -> None:
    """This marker's waiting and leased checks as the database has them now (the cache was stale)."""
    rows = session.execute(select(MarkingCheck.state, func.min(MarkingCheck.due_mark))
                           .where(MarkingCheck.exam_id == marker.exam_id, MarkingCheck.teacher_id == marker.teacher_id,
                                  MarkingCheck.kind != "trial", MarkingCheck.state.in_(("waiting", "leased")))
                           .group_by(MarkingCheck.state)).tuples().all()
    session.commit()
    found = dict(rows)

    def change(state: _ExamQc) -> None:
        state.leased.discard(marker.teacher_id)
        state.due.pop(marker.teacher_id, None)
        if "leased" in found:
            state.leased.add(marker.teacher_id)
        if "waiting" in found:
            state.due[marker.teacher_id] = int(found["waiting"])

    _update(session, marker.exam_id, change)


# --- trial marking (试评) --------------------------------------------------------------------------

def _new_code(db: Driver, exam_id: str) -> str:
    """A fresh code like a script's (密号), taken by no script of the exam (scan keys are by code)."""
    while True:
        code = secrets.token_hex(6).upper()
        if db.execute("SELECT 1 FROM marking_script WHERE exam_id = :exam AND code = :code",
                      {"exam": exam_id, "code": code}).fetchone() is None:
            return code


_STATE_ROW = """
INSERT INTO marking_marker_state (exam_id, teacher_id, paused, trial_state, trial_round, updated_at)
VALUES (:exam, :teacher, :false, 'not_started', 0, :now)
ON CONFLICT (exam_id, teacher_id) DO NOTHING
"""
_NEW_CHECK = """
INSERT INTO marking_check (exam_id, subject, item_group, teacher_id, kind, trial_round, standard_id, script_id,
                           original_mark_id, original_scores, code, state, due_mark, created_at)
VALUES (:exam, :subject, :item_group, :teacher, :kind, :round, :standard, :script, :original, :original_scores,
        :code, 'waiting', :due, :now)
"""


def _lock_state(db: Driver, marker: MarkerRef, now: float) -> tuple[str, int]:
    """The marker's state row (created if missing), locked for this transaction: (trial_state, round)."""
    db.execute(_STATE_ROW, {"exam": marker.exam_id, "teacher": marker.teacher_id, "now": now, "false": False})
    lock = " FOR UPDATE" if db.postgres else ""
    row = db.execute("SELECT trial_state, trial_round FROM marking_marker_state WHERE exam_id = :exam "
                     f"AND teacher_id = :teacher{lock}", {"exam": marker.exam_id, "teacher": marker.teacher_id}
                     ).fetchone()
    return str(row[0]), int(row[1])


def _start_round(db: Driver, marker: MarkerRef, policy: MarkingPolicy, round_: int, now: float,
                 decided_by: str | None = None) -> int:
    """Trial scripts of round `round_` for the marker: the group's trial standards in order, the next
    `trial_scripts` of them each round (a retake gets other scripts while there are any). Returns how many."""
    standards = [r[0] for r in db.execute(
        "SELECT standard_id FROM marking_standard WHERE exam_id = :exam AND subject = :subject "
        "AND item_group = :item_group AND purpose IN ('trial', 'both') ORDER BY name, standard_id",
        {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group}).fetchall()]
    if not standards:
        return 0
    count = min(policy.quality.trial_scripts, len(standards))
    start = (round_ - 1) * count
    chosen = [standards[(start + k) % len(standards)] for k in range(count)]
    for standard_id in chosen:
        db.execute(_NEW_CHECK, {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
                                "teacher": marker.teacher_id, "kind": "trial", "round": round_,
                                "standard": standard_id, "script": None, "original": None, "original_scores": None,
                                "code": _new_code(db, marker.exam_id), "due": 0, "now": now})
    db.execute("UPDATE marking_marker_state SET trial_state = 'in_progress', trial_round = :round, updated_at = :now, "
               "trial_decided_by = COALESCE(:decided, trial_decided_by) WHERE exam_id = :exam AND teacher_id = :teacher",
               {"round": round_, "now": now, "decided": decided_by, "exam": marker.exam_id,
                "teacher": marker.teacher_id})
    return count


def _set_trial(session: Session, marker: MarkerRef, trial_state: str, round_: int) -> None:
    def change(state: _ExamQc) -> None:
        mine = state.markers.setdefault(marker.teacher_id, _MarkerQc())
        mine.trial_state, mine.trial_round = trial_state, round_

    _update(session, marker.exam_id, change)


def _trial_lease(session: Session, marker: MarkerRef, policy: MarkingPolicy, now: float,
                 mine: _MarkerQc | None) -> Lease | None:
    """The marker's next trial script; None once the trial is passed (or cannot be held: no standards)."""
    if mine is None or mine.trial_state == "not_started":
        with _writing(session) as db:
            trial_state, round_ = _lock_state(db, marker, now)
            if trial_state == "not_started":
                if not _start_round(db, marker, policy, 1, now):
                    return None
                trial_state, round_ = "in_progress", 1
        _set_trial(session, marker, trial_state, round_)
        mine = _MarkerQc(trial_state=trial_state, trial_round=round_)
    trial_state = mine.trial_state
    if trial_state == "in_progress":
        lease = _lease_check(session, marker, policy, now, 0, f"kind = 'trial' AND trial_round = {int(mine.trial_round)}")
        if lease is not None:
            return lease
        trial_state = finish_trial(session, marker, policy)  # every trial script is marked (or the cache was stale)
    if trial_state in ("passed", "waived", "not_started"):
        return None
    if trial_state == "in_progress":  # its last script is held by another request of the same marker
        raise MarkingBlocked("trial_in_progress", "试评进行中", "trial marking in progress")
    raise _trial_failed(session, marker, policy)


def _trial_failed(session: Session, marker: MarkerRef, policy: MarkingPolicy) -> MarkingBlocked:
    status = trial_status(session, marker, policy)
    zh = f"试评未通过：{status['within']}/{status['scored']} 个小题在误差内（需 {policy.quality.trial_pass_share:.0%}）；"
    en = (f"trial marking not passed: {status['within']}/{status['scored']} item scores within tolerance (needs "
          f"{policy.quality.trial_pass_share:.0%}); ")
    if status["retakes_left"] > 0:
        zh += "可重新试评"
        en += "you may retake it"
    else:
        zh += "请等待题组长处理"
        en += "the group leader decides"
    return MarkingBlocked("trial_failed", zh, en)


def _round_rows(session: Session, marker: MarkerRef, round_: int) -> list[MarkingCheck]:
    return list(session.scalars(select(MarkingCheck).where(
        MarkingCheck.exam_id == marker.exam_id, MarkingCheck.teacher_id == marker.teacher_id,
        MarkingCheck.kind == "trial", MarkingCheck.trial_round == round_).order_by(MarkingCheck.check_id)))


def _results(session: Session, marker: MarkerRef, checks: list[MarkingCheck], policy: MarkingPolicy
             ) -> list[TrialResult]:
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    expert: dict[int | None, dict] = dict(session.execute(select(MarkingStandard.standard_id, MarkingStandard.expert_scores).where(
        MarkingStandard.standard_id.in_([c.standard_id for c in checks if c.standard_id is not None]))).tuples().all())
    done = [(c.scores or {}, expert.get(c.standard_id, {})) for c in checks if c.state == "done"]
    return trial_results(items, done, policy.quality.trial_tolerance)


def finish_trial(session: Session, marker: MarkerRef, policy: MarkingPolicy) -> str:
    """Judge the marker's trial round once every script of it is marked (or dropped as a problem script),
    and store passed or failed; returns the trial state after (in_progress while scripts are left)."""
    now = time.time()
    with _writing(session) as db:
        trial_state, round_ = _lock_state(db, marker, now)
        left = db.execute("SELECT count(*) FROM marking_check WHERE exam_id = :exam AND teacher_id = :teacher "
                          "AND kind = 'trial' AND trial_round = :round AND state IN ('waiting', 'leased')",
                          {"exam": marker.exam_id, "teacher": marker.teacher_id, "round": round_}).fetchone()[0]
    if trial_state == "in_progress" and not left:
        results = _results(session, marker, _round_rows(session, marker, round_), policy)
        session.commit()
        trial_state = trial_outcome(results, policy.quality.trial_pass_share).state
        with _writing(session) as db:
            db.execute("UPDATE marking_marker_state SET trial_state = :state, updated_at = :now WHERE exam_id = :exam "
                       "AND teacher_id = :teacher AND trial_state = 'in_progress' AND trial_round = :round",
                       {"state": trial_state, "now": now, "exam": marker.exam_id, "teacher": marker.teacher_id,
                        "round": round_})
    _set_trial(session, marker, trial_state, round_)
    return trial_state


def trial_status(session: Session, marker: MarkerRef, policy: MarkingPolicy) -> dict:
    """The marker's trial marking (试评): whether required, state, progress of the round, and (once it is
    over) item by item results against the expert scores. For GET /trial."""
    state = session.get(MarkerState, (marker.exam_id, marker.teacher_id))
    has_standards = session.scalar(select(func.count()).select_from(MarkingStandard).where(
        MarkingStandard.exam_id == marker.exam_id, MarkingStandard.subject == marker.subject,
        MarkingStandard.item_group == marker.item_group, MarkingStandard.purpose.in_(("trial", "both")))) or 0
    required = bool(policy.quality.trial_required and has_standards and marker.role == "marker")
    trial_state = state.trial_state if state is not None else "not_started"
    round_ = state.trial_round if state is not None else 0
    checks = _round_rows(session, marker, round_) if round_ else []
    results = _results(session, marker, checks, policy) if checks else []
    over = trial_state in ("passed", "failed", "waived")
    session.commit()
    within = sum(1 for r in results if r.within)
    return {"required": required, "state": trial_state, "round": round_,
            "done": sum(1 for c in checks if c.state in ("done", "dropped")),
            "total": len(checks) if checks else (min(policy.quality.trial_scripts, has_standards) if required else 0),
            "tolerance": policy.quality.trial_tolerance, "pass_share": policy.quality.trial_pass_share,
            "retakes_left": max(0, policy.quality.trial_retakes + 1 - round_) if trial_state == "failed" else 0,
            "within": within if over else None, "scored": len(results) if over else None,
            "results": [r.to_dict() for r in results] if over else []}


class TrialError(Exception):
    """A trial request that cannot be honoured (no retake left, nothing to retake)."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def retake_trial(session: Session, marker: MarkerRef, policy: MarkingPolicy, *, leader: str | None = None) -> dict:
    """A new trial round after a failed one: the marker's own (while retakes are left) or granted by a leader."""
    now = time.time()
    with _writing(session) as db:
        trial_state, round_ = _lock_state(db, marker, now)
        if trial_state not in ("failed",) and not (leader and trial_state in ("passed", "waived")):
            raise TrialError("not_failed", "试评未结束或未失败，无需重新试评", "the trial is not failed: nothing to retake")
        if leader is None and round_ >= policy.quality.trial_retakes + 1:
            raise TrialError("no_retakes", "已无自行重新试评的机会，请等待题组长处理",
                             "no retakes left: the group leader decides")
        if not _start_round(db, marker, policy, round_ + 1, now, leader):
            raise TrialError("no_standards", "本题组没有试评用标准卷", "the group has no trial standard scripts")
    _set_trial(session, marker, "in_progress", round_ + 1)
    return trial_status(session, marker, policy)


def waive_trial(session: Session, marker: MarkerRef, leader: str) -> None:
    """A leader lets the marker mark live without passing the trial (放行)."""
    now = time.time()
    with _writing(session) as db:
        _, round_ = _lock_state(db, marker, now)
        db.execute("UPDATE marking_marker_state SET trial_state = 'waived', trial_decided_by = :leader, "
                   "updated_at = :now WHERE exam_id = :exam AND teacher_id = :teacher",
                   {"leader": leader, "now": now, "exam": marker.exam_id, "teacher": marker.teacher_id})
    _set_trial(session, marker, "waived", round_)


# --- pauses (暂停) ---------------------------------------------------------------------------------

def set_paused(session: Session, exam_id: str, teacher_id: str, paused: bool, reason: str | None, by: str) -> int:
    """Pause a marker (their held scripts go back to the queue) or let them go on; returns leases released."""
    now = time.time()
    marker = MarkerRef(exam_id, teacher_id, "", "", "")
    with _writing(session) as db:
        _lock_state(db, marker, now)
        db.execute("UPDATE marking_marker_state SET paused = :paused, pause_reason = :reason, paused_by = :by, "
                   "paused_at = :now, updated_at = :now WHERE exam_id = :exam AND teacher_id = :teacher",
                   {"paused": paused, "reason": reason if paused else None, "by": by, "now": now, "exam": exam_id,
                    "teacher": teacher_id})
        released = 0
        if paused:
            released = db.execute("UPDATE marking_task SET state = 'waiting', marker_id = NULL, "
                                  "lease_expires_at = NULL WHERE exam_id = :exam AND marker_id = :teacher "
                                  "AND state = 'leased'", {"exam": exam_id, "teacher": teacher_id}).rowcount or 0
            db.execute("UPDATE marking_check SET state = 'waiting', leased_at = NULL, lease_expires_at = NULL "
                       "WHERE exam_id = :exam AND teacher_id = :teacher AND state = 'leased'",
                       {"exam": exam_id, "teacher": teacher_id})

    def change(state: _ExamQc) -> None:
        mine = state.markers.setdefault(teacher_id, _MarkerQc())
        mine.paused, mine.reason = paused, (reason if paused else None)

    _update(session, exam_id, change)
    return released


# --- the submit hooks -------------------------------------------------------------------------------

_SUBMIT_CHECK = """
UPDATE marking_check SET state = 'done', scores = :scores, seconds = :seconds, done_at = :now
WHERE check_id = :check AND teacher_id = :teacher AND exam_id = :exam AND state = 'leased'
RETURNING kind, subject, item_group, script_id, standard_id, leased_at
"""


def submit_check(session: Session, marker: MarkerRef, task_id: int, clean: Mapping[str, float], *,
                 policy: MarkingPolicy, now: float, seconds: float | None) -> SubmitResult | None:
    """The mark of a check this marker holds (trial, 回评, standard); None when `task_id` is none of
    their checks. A retried submit counts once; it never touches a script's marks or scores."""
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    with _writing(session) as db:
        row = db.execute(_SUBMIT_CHECK, {"check": task_id, "teacher": marker.teacher_id, "exam": marker.exam_id,
                                         "scores": db.json(dict(clean)), "now": now, "seconds": seconds}).fetchone()
        if row is not None:
            kind, subject, group, script_id, standard_id, leased_at = row
            if (subject, group) != (marker.subject, marker.item_group) or set(clean) != {i.item_id for i in items}:
                raise InvalidScores(f"scores must be given for exactly the items {[i.item_id for i in items]}")
            if seconds is None and leased_at is not None:
                db.execute("UPDATE marking_check SET seconds = :seconds WHERE check_id = :check",
                           {"seconds": now - leased_at, "check": task_id})
            duplicate = False
        else:
            row = db.execute("SELECT kind, subject, item_group, script_id, standard_id FROM marking_check "
                             "WHERE check_id = :check AND teacher_id = :teacher AND exam_id = :exam AND state = 'done'",
                             {"check": task_id, "teacher": marker.teacher_id, "exam": marker.exam_id}).fetchone()
            if row is None:
                return None
            kind, subject, group, script_id, standard_id = row
            duplicate = True
    if kind == "trial" and not duplicate:
        finish_trial(session, marker, policy)
    else:
        _update(session, marker.exam_id, lambda s: s.leased.discard(marker.teacher_id))
    trial = kind == "trial"
    return SubmitResult(task_id, task_id, script_id if script_id is not None else -int(standard_id),
                        "trial" if trial else "first", "trial" if trial else "marking", duplicate)


def release_check(session: Session, marker: MarkerRef, task_id: int) -> bool:
    """Give a held check back (the same marker gets it again later)."""
    with _writing(session) as db:
        released = db.execute("UPDATE marking_check SET state = 'waiting', leased_at = NULL, lease_expires_at = NULL "
                              "WHERE check_id = :check AND teacher_id = :teacher AND state = 'leased'",
                              {"check": task_id, "teacher": marker.teacher_id}).rowcount
    return bool(released)


def bump_clock(session: Session, exam_id: str, mark_id: int) -> None:
    """A mark this process just counted moves the marks' clock (checks fall due on it)."""
    with _guard:
        state = _cache.get((_url(session), exam_id))
        if state is not None and mark_id > state.clock:
            state.clock = mark_id


def after_mark(session: Session, marker: MarkerRef, result: SubmitResult, clean: Mapping[str, float],
               policy: MarkingPolicy) -> None:
    """After a counted first or second mark in the marker's own group: maybe schedule a re-mark of it (回评)
    and maybe a standard script for this marker, due some marks later (seeded draws: no database work
    for the others)."""
    bump_clock(session, marker.exam_id, result.mark_id)
    if result.duplicate or result.kind not in ("first", "second") or marker.role != "marker":
        return
    quality = policy.quality
    recheck = drawn(quality.recheck_share, marker.exam_id, "recheck", result.script_id, marker.teacher_id)
    standard = drawn(quality.standard_share, marker.exam_id, "standard", result.script_id, marker.teacher_id)
    if not (recheck or standard):
        return
    state = _exam_state(session, marker.exam_id, policy, time.time())
    if (marker.subject, marker.item_group) not in state.seed_groups:
        standard = False
    if not (recheck or standard):
        return
    gap = quality.recheck_after_marks * state.registered
    now = time.time()
    base = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
            "teacher": marker.teacher_id, "round": 0, "now": now}
    dues: list[int] = []
    with _writing(session) as db:
        if recheck:
            due = result.mark_id + gap
            db.execute(_NEW_CHECK, {**base, "kind": "recheck", "standard": None, "script": result.script_id,
                                    "original": result.mark_id, "original_scores": db.json(dict(clean)),
                                    "code": _new_code(db, marker.exam_id), "due": due})
            dues.append(due)
        if standard:
            candidates = [r[0] for r in db.execute(
                "SELECT standard_id FROM marking_standard WHERE exam_id = :exam AND subject = :subject "
                "AND item_group = :item_group AND purpose IN ('seed', 'both') AND standard_id NOT IN "
                "(SELECT standard_id FROM marking_check WHERE exam_id = :exam AND teacher_id = :teacher "
                "AND standard_id IS NOT NULL) ORDER BY standard_id", base).fetchall()]
            if candidates:
                pick = candidates[int(unit_hash(marker.exam_id, marker.teacher_id, result.mark_id) * len(candidates))]
                due = result.mark_id + int(unit_hash("due", result.mark_id) * gap)
                db.execute(_NEW_CHECK, {**base, "kind": "standard", "standard": pick, "script": None,
                                        "original": None, "original_scores": None, "code": _new_code(db, marker.exam_id), "due": due})
                dues.append(due)
    if dues:
        def change(s: _ExamQc) -> None:
            s.due[marker.teacher_id] = min([s.due.get(marker.teacher_id, min(dues))] + dues)

        _update(session, marker.exam_id, change)


def standard_answers(session: Session, standard_id: int, items) -> dict[str, str | None]:  # noqa: ANN001
    """A standard script's answers for these items (what a marker sees of it)."""
    answers = session.scalar(select(MarkingStandard.answers).where(MarkingStandard.standard_id == standard_id)) or {}
    session.commit()
    return {i.item_id: (answers.get(i.item_id) or None) for i in items}


def check_scan(session: Session, marker: MarkerRef, code: str, index: int) -> tuple[bool, bool, str | None] | None:
    """A scan key of a check's code (marking/scans.py): (found, allowed, file reference if allowed), or None
    when the code is no check's. The marker holding the check may see it, and the leaders of its group."""
    from marking.scans import is_scan

    row = session.execute(select(MarkingCheck.teacher_id, MarkingCheck.state, MarkingCheck.subject,
                                 MarkingCheck.item_group, MarkingCheck.script_id, MarkingCheck.standard_id)
                          .where(MarkingCheck.exam_id == marker.exam_id, MarkingCheck.code == code)).first()
    session.commit()
    if row is None:
        return None
    teacher_id, state, subject, item_group, script_id, standard_id = row
    items = group_items(session, marker.exam_id, subject, item_group)
    if index > len(items):
        return (False, False, None)
    allowed = (teacher_id == marker.teacher_id and state == "leased") or (
        marker.is_leader and (marker.subject, marker.item_group) == (subject, item_group))
    item = items[index - 1]
    if standard_id is not None:
        reference = standard_answers(session, int(standard_id), [item])[item.item_id]
    else:
        from .views import script_answers

        reference = script_answers(session, int(script_id or 0), [item])[item.item_id]
        session.commit()
    if not is_scan(reference):
        return (False, allowed, None)
    return (True, allowed, reference if allowed else None)
