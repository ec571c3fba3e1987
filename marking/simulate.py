"""Simulated markers (模拟阅卷): each with a bias, noise and speed, marking through the real queue.

They drive the demo and the tests through the same queue functions (or the same HTTP API) as real
marker clients: worker threads, each with its own session, lease a script for one of their markers,
mark it from the script's true scores (the simulator alone knows which student a code belongs to)
and submit. Faster markers (fewer `seconds_per_script`) take more scripts: each worker gives the
next script to its marker with the earliest simulated clock.
"""
from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from marking.policy import MarkingPolicy, load_policy
from marking.queue import (AlreadyMarked, Lease, LeaseLost, MarkerRef, get_marker, lease_next, submit_mark)
from marking.queue.quality_store import MarkingBlocked, TrialError, retake_trial
from marking.rules import ItemStandard, round_to_step
from models.db import get_engine, make_engine
from models.marking import MarkingScript

TRUTH_FILE = "_simulated_true_scores.csv"  # beside simulated response files: what a perfect marker gives


@dataclass(frozen=True)
class SimulatedMarker:
    teacher_id: str
    bias: float = 0.0  # added to every item score, as a share of its max (−0.05: strict, +0.05: lenient)
    noise: float = 0.05  # standard deviation of the error, as a share of the item's max
    seconds_per_script: float = 30.0  # speed: simulated working time per script
    careless: float = 0.0  # chance of giving a random score instead of looking (to test the flags)
    token: str | None = None  # for marking through the HTTP API
    day_seconds: float | None = None  # simulated working seconds in one marking day (None: no end of day)


def simulated_markers(plan: pd.DataFrame, *, seed: int = 0, careless_share: float = 0.0,
                      tokens: Mapping[str, str] | None = None,
                      hours: Mapping[tuple[str, str], float] | None = None) -> list[SimulatedMarker]:
    """Markers for every teacher of a marking plan, with drawn bias, noise and speed.

    Leaders are careful (small noise, no bias); a `careless_share` of markers answer at random
    half the time. `hours`: (subject, item_group) → the group's planned marking hours a day; its
    markers stop for the day when their simulated working time reaches them.
    """
    rng = np.random.default_rng(seed)
    out = []
    for row in plan.itertuples(index=False):
        leader = row.role == "leader"
        careless = 0.0 if leader or rng.random() >= careless_share else 0.5
        out.append(SimulatedMarker(
            str(row.teacher_id), bias=0.0 if leader else float(rng.normal(0, 0.02)),
            noise=0.02 if leader else float(rng.uniform(0.02, 0.06)),
            seconds_per_script=float(rng.uniform(20, 60)), careless=careless,
            token=(tokens or {}).get(str(row.teacher_id)),
            day_seconds=_day_seconds(hours, row)))
    return out


def _day_seconds(hours: Mapping[tuple[str, str], float] | None, row) -> float | None:  # noqa: ANN001
    if not hours:
        return None
    value = hours.get((str(getattr(row, "subject", "")), str(getattr(row, "item_group", ""))))
    return None if value is None else float(value) * 3600.0


@dataclass
class SimulationReport:
    marks: int = 0
    duplicates: int = 0  # retried submits that counted once (the simulator retries some on purpose)
    lease_lost: int = 0
    already_marked: int = 0
    elapsed_seconds: float = 0.0
    timed_out: bool = False
    day_over: int = 0  # markers who stopped at the end of their marking day (day_seconds reached)
    lease_latencies: list[float] = field(default_factory=list)  # seconds
    submit_latencies: list[float] = field(default_factory=list)  # seconds
    marks_by_marker: Counter = field(default_factory=Counter)
    check_marks: int = 0  # trial scripts, 回评 and standard scripts marked (quality control; never counted)
    blocked: int = 0  # times a marker was told to wait (paused, or a failed trial)

    @property
    def marks_per_second(self) -> float:
        return self.marks / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def percentile_ms(self, which: str, q: float) -> float:
        values = self.submit_latencies if which == "submit" else self.lease_latencies
        return float(np.percentile(values, q) * 1000) if values else float("nan")


class _Coordinator:
    """Knows when the whole simulation is finished: every worker found nothing since the last mark."""

    def __init__(self, workers: int, deadline: float):
        self.cond = threading.Condition()
        self.workers = workers
        self.epoch = 0  # bumps after every lease (a mark may create a third or arbitration task)
        self.idle = 0
        self.finished = False
        self.deadline = deadline

    def changed(self) -> None:
        with self.cond:
            self.epoch += 1
            self.cond.notify_all()

    def wait_idle(self, scan_epoch: int) -> bool:
        """After a fruitless scan: True when the simulation is over, False to scan again."""
        with self.cond:
            if self.finished:
                return True
            if self.epoch != scan_epoch:
                return False
            self.idle += 1
            if self.idle == self.workers:
                self.finished = True
                self.cond.notify_all()
                return True
            self.cond.wait_for(lambda: self.finished or self.epoch != scan_epoch,
                               timeout=max(0.0, self.deadline - time.monotonic()))
            self.idle -= 1
            if time.monotonic() >= self.deadline:
                self.finished = True
                self.cond.notify_all()
            return self.finished


def _truth_lookup(true_scores) -> Callable[[str, str], float]:
    if isinstance(true_scores, pd.DataFrame):
        column = "true_score" if "true_score" in true_scores.columns else "score"
        table = {(str(s), str(i)): float(v) for s, i, v in
                 zip(true_scores["student_id"], true_scores["item_id"], true_scores[column])}
        return lambda s, i: table[(s, i)]
    if callable(true_scores):
        return true_scores
    return lambda s, i: float(true_scores[(s, i)])


def _simulated_score(marker: SimulatedMarker, item: ItemStandard, truth: float, rng: np.random.Generator,
                     arbitration: bool) -> float:
    if not arbitration and marker.careless and rng.random() < marker.careless:
        value = rng.uniform(0, item.max_score)
    else:
        value = truth + (marker.bias * item.max_score) + rng.normal(0, marker.noise * item.max_score)
    return min(item.max_score, max(0.0, round_to_step(value, item.step)))


def _expert_score(expert: Mapping[str, float], item: str) -> float:
    return float(expert[item])


class _CheckOracle:
    """What a perfect marker gives a quality-control check (the simulator alone knows): the expert scores
    of a standard script, or the true scores of the student behind a re-marked script (回评)."""

    def __init__(self, url: str, exam_id: str, truth: Callable[[str, str], float]):
        self.url, self.exam_id, self.truth_of = url, exam_id, truth
        self.known: dict[str, Callable[[str], float]] = {}
        self.lock = threading.Lock()

    def truth(self, code: str) -> Callable[[str], float]:
        with self.lock:
            if code not in self.known:
                self._load()
            return self.known[code]

    def _load(self) -> None:
        """Every check of the exam so far, in one go (checks appear as the marking goes on)."""
        from models.marking_quality import MarkingCheck, MarkingStandard

        with sessionmaker(get_engine(self.url))() as session:
            expert: dict[int, dict] = dict(session.execute(select(MarkingStandard.standard_id, MarkingStandard.expert_scores)
                                          .where(MarkingStandard.exam_id == self.exam_id)).tuples().all())
            rows = session.execute(select(MarkingCheck.code, MarkingCheck.standard_id, MarkingScript.student_id)
                                   .outerjoin(MarkingScript, MarkingScript.script_id == MarkingCheck.script_id)
                                   .where(MarkingCheck.exam_id == self.exam_id)).tuples().all()
        for code, standard_id, student in rows:
            if code in self.known:
                continue
            if standard_id is not None:
                self.known[code] = functools.partial(_expert_score, dict(expert[standard_id]))
            else:
                self.known[code] = functools.partial(self.truth_of, student)


class _Transport(Protocol):
    """How a simulated marker reaches the queue: in-process (a database session per thread) or over HTTP (none)."""

    def session(self) -> Session | None: ...

    def close(self) -> None: ...

    def lease(self, session: Any, marker: SimulatedMarker) -> Lease | None: ...

    def submit(self, session: Any, marker: SimulatedMarker, lease: Lease, scores: dict, seconds: float) -> bool: ...


class _QueueTransport:
    """Marks through the queue functions, one session per worker thread.

    Each thread's session keeps one connection of an engine sized for all the threads, as a
    marking client process would (no pool checkout, no connection ping per transaction).
    """

    def __init__(self, url: str, exam_id: str, policy: MarkingPolicy, threads: int, connections: int | None):
        self.shared = connections is not None
        size = connections if self.shared else threads + 2
        self.engine = make_engine(url, pool_size=size, max_overflow=0 if self.shared else 4)
        self.exam_id, self.policy = exam_id, policy
        self.refs: dict[str, MarkerRef] = {}

    def session(self) -> Session:
        if self.shared:  # the threads share the engine's pool (as an API server's requests would)
            return Session(bind=self.engine, expire_on_commit=False)
        return Session(bind=self.engine.connect(), expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def ref(self, session: Session, teacher_id: str) -> MarkerRef:
        if teacher_id not in self.refs:
            self.refs[teacher_id] = get_marker(session, self.exam_id, teacher_id)
            session.commit()
        return self.refs[teacher_id]

    def lease(self, session: Session, marker: SimulatedMarker) -> Lease | None:
        ref = self.ref(session, marker.teacher_id)
        try:
            return lease_next(session, ref, policy=self.policy)
        except MarkingBlocked as blocked:
            if blocked.code != "trial_failed":
                raise
            try:  # a failed trial: the simulated marker retakes it while retakes are left
                retake_trial(session, ref, self.policy)
            except TrialError:
                raise blocked from None
            return lease_next(session, ref, policy=self.policy)

    def submit(self, session: Session, marker: SimulatedMarker, lease: Lease, scores: dict, seconds: float) -> bool:
        result = submit_mark(session, self.ref(session, marker.teacher_id), lease.task_id, scores,
                             policy=self.policy, seconds=seconds)
        return result.duplicate


class _ApiTransport:
    """Marks through the marker HTTP API (service.marker_api) with any client with .post/.get."""

    def __init__(self, client):
        self.client = client

    def session(self) -> None:
        return None

    def close(self) -> None:
        pass

    def lease(self, _session, marker: SimulatedMarker) -> Lease | None:
        headers = {"Authorization": f"Bearer {marker.token}"}
        response = self.client.post("/api/v1/next", headers=headers)
        response.raise_for_status()
        body = response.json()
        if body.get("task") is None and body.get("code") == "trial_failed":  # retake while retakes are left
            if self.client.post("/api/v1/trial/retake", headers=headers).status_code == 200:
                response = self.client.post("/api/v1/next", headers=headers)
                response.raise_for_status()
                body = response.json()
        task = body.get("task")
        if task is None:
            if body.get("paused"):
                raise MarkingBlocked(str(body.get("code", "paused")), str(body.get("reason", "")), "")
            return None
        items = tuple(ItemStandard(i["item_id"], i["position"], i["max_score"], i["score_step"], 0.0,
                                   i.get("rubric")) for i in task["items"])  # markers are not shown tolerances
        return Lease(task["task_id"], -1, task["code"], task["kind"], items, time.time(), task["lease_expires_at"])

    def submit(self, _session, marker: SimulatedMarker, lease: Lease, scores: dict, seconds: float) -> bool:
        response = self.client.post(f"/api/v1/tasks/{lease.task_id}/marks",
                                    headers={"Authorization": f"Bearer {marker.token}"},
                                    json={"scores": scores, "seconds": seconds})
        if response.status_code == 409:
            code = response.json().get("detail", {}).get("code")
            raise AlreadyMarked(code) if code == "already_marked" else LeaseLost(code)
        response.raise_for_status()
        return bool(response.json().get("duplicate"))


def run_simulated_marking(url: str, exam_id: str, markers: Sequence[SimulatedMarker] | pd.DataFrame, true_scores, *,
                          threads: int = 8, seed: int = 0, policy: MarkingPolicy | None = None, client=None,
                          time_scale: float = 0.0, retry_share: float = 0.05, max_seconds: float = 600.0,
                          connections: int | None = None) -> SimulationReport:
    """Mark the exam with simulated markers until no marker can take any script; a report.

    `markers`: SimulatedMarker objects, or a marking plan DataFrame (parameters drawn by
    `simulated_markers`). `true_scores`: a DataFrame (student_id, item_id, true_score), a mapping
    (student_id, item_id) -> score, or a function of both. `client`: an HTTP client of the marker
    API (e.g. FastAPI's TestClient) to mark through HTTP; markers then need tokens. `time_scale`
    > 0 sleeps `seconds_per_script × time_scale` per script. A `retry_share` of submits is sent
    twice, as a flaky network would; the queue must count each once. `connections`: a pool of that
    many database connections shared by the threads (default: one connection per thread).
    """
    policy = policy or load_policy()
    if isinstance(markers, pd.DataFrame):
        markers = simulated_markers(markers, seed=seed)
    markers = list(markers)
    truth = _truth_lookup(true_scores)
    with sessionmaker(get_engine(url))() as session:
        code_to_student = dict(session.execute(select(MarkingScript.code, MarkingScript.student_id)
                                               .where(MarkingScript.exam_id == exam_id)).tuples().all())
    oracle = _CheckOracle(url, exam_id, truth)
    threads = max(1, min(threads, len(markers)))
    transport: _Transport = (_ApiTransport(client) if client is not None
                             else _QueueTransport(url, exam_id, policy, threads, connections))
    report = SimulationReport()
    lock = threading.Lock()
    started = time.monotonic()
    coordinator = _Coordinator(threads, started + max_seconds)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        rng = np.random.default_rng([seed, index])
        mine = markers[index::threads]
        clocks = {m.teacher_id: float(rng.uniform(0, m.seconds_per_script)) for m in mine}
        tired: set[str] = set()
        session = transport.session()
        try:
            while not coordinator.finished:
                if time.monotonic() >= coordinator.deadline:
                    with coordinator.cond:
                        coordinator.finished = True
                        coordinator.cond.notify_all()
                    break
                scan_epoch = coordinator.epoch
                marked = False
                for marker in sorted(mine, key=lambda m: clocks[m.teacher_id]):
                    if coordinator.finished:
                        break
                    if marker.day_seconds is not None and clocks[marker.teacher_id] >= marker.day_seconds:
                        if marker.teacher_id not in tired:  # the end of their marking day: no more today
                            tired.add(marker.teacher_id)
                            with lock:
                                report.day_over += 1
                        continue
                    t0 = time.perf_counter()
                    try:
                        lease = transport.lease(session, marker)
                    except MarkingBlocked:
                        with lock:
                            report.blocked += 1
                        continue
                    lease_s = time.perf_counter() - t0
                    if lease is None:
                        continue
                    try:
                        arbitration = lease.kind == "arbitration"
                        student = code_to_student.get(lease.code)
                        check = student is None  # a trial script, 回评 or standard script (quality control)
                        if student is None:
                            known = oracle.truth(lease.code)
                        else:
                            known = functools.partial(truth, student)
                        scores = {i.item_id: _simulated_score(marker, i, known(i.item_id), rng,
                                                              arbitration and not check) for i in lease.items}
                        seconds = marker.seconds_per_script * float(rng.lognormal(0, 0.25))
                        if time_scale > 0:
                            time.sleep(seconds * time_scale)
                        t1 = time.perf_counter()
                        outcome = "mark"
                        try:
                            duplicate = transport.submit(session, marker, lease, scores, seconds)
                            if rng.random() < retry_share:  # a flaky client sends it again
                                duplicate = transport.submit(session, marker, lease, scores, seconds) or duplicate
                        except LeaseLost:
                            outcome = "lease_lost"
                        except AlreadyMarked:
                            outcome = "already_marked"
                        submit_s = time.perf_counter() - t1
                        clocks[marker.teacher_id] += seconds
                        with lock:
                            report.lease_latencies.append(lease_s)
                            if outcome == "mark" and check:
                                report.check_marks += 1
                            elif outcome == "mark":
                                report.marks += 1
                                report.duplicates += int(duplicate)
                                report.submit_latencies.append(submit_s)
                                report.marks_by_marker[marker.teacher_id] += 1
                            elif outcome == "lease_lost":
                                report.lease_lost += 1
                            else:
                                report.already_marked += 1
                    finally:
                        coordinator.changed()
                    marked = True
                    break
                if not marked and coordinator.wait_idle(scan_epoch):
                    break
        except BaseException as error:  # surface worker failures to the caller
            errors.append(error)
            with coordinator.cond:
                coordinator.finished = True
                coordinator.cond.notify_all()
        finally:
            if session is not None:
                bind = session.get_bind()
                session.close()
                if isinstance(bind, Connection):
                    bind.close()

    workers = [threading.Thread(target=work, args=(k,), name=f"marker-{k}") for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    transport.close()
    report.elapsed_seconds = time.monotonic() - started
    report.timed_out = report.elapsed_seconds >= max_seconds
    if errors:
        raise errors[0]
    return report
