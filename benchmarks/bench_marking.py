"""Marking queue benchmark: sustained marks per second and submit latency with 50+ concurrent markers.

PostgreSQL: XUEQU_BENCH_POSTGRES_URL (default the local server's `test` database) is used to
create a database of our own for each run, dropped at the end. SQLite: a temporary file.

Each marker is a thread with its own session that leases and submits through marking.queue
(simulated marks from true scores; 2 item groups, 5 schools, 50 markers and 4 leaders). Between
lease and submit a marker "marks" for a think time of 50 ms on average (a real teacher takes
30-90 s per script, so this is a stress far beyond marking day), and again with no think time at
all (saturation: every marker hammers the queue; latency there is queueing for the 2 cores). The
markers run in one client process, and again spread over 3 processes (as several API worker
processes would serve real marker clients): one Python process cannot use more than one core, and
with 50+ threads its own scheduling shows up in the latencies. No solver is involved
(num_workers: n/a).

Target (issue 6): PostgreSQL, 50 concurrent markers: >= 500 marks/s sustained, p99 submit <= 50 ms.

    python benchmarks/bench_marking.py [--students 1000] [--processes 1,3] [--think-ms 50,0] [--skip-sqlite]
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from marking.queue import open_marking, register_markers  # noqa: E402
from marking.sample import build_sample_exam  # noqa: E402
from marking.simulate import run_simulated_marking, simulated_markers  # noqa: E402
from models.db import dispose_engines, session_scope  # noqa: E402
from models.marking import MarkingMark, MarkingScript, MarkingTask  # noqa: E402
from models.migrate import upgrade  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _client(url: str, exam_id: str, markers: list, true_scores, start_at: float, seed: int,
            time_scale: float, connections: int | None) -> dict:
    """One client process: its markers as threads, from a common start time."""
    # Long-lived objects (pandas, SQLAlchemy, the exam) out of the collector's way: a full
    # collection over them would pause every marker thread at once (as a server would set up).
    gc.collect()
    gc.freeze()
    time.sleep(max(0.0, start_at - time.time()))
    cpu = time.process_time()
    report = run_simulated_marking(url, exam_id, markers, true_scores, threads=len(markers), seed=seed,
                                   retry_share=0.0, time_scale=time_scale, connections=connections)
    return {"marks": report.marks, "submit": report.submit_latencies, "lease": report.lease_latencies,
            "end": time.time(), "cpu": time.process_time() - cpu}


def _client_entry(args: tuple, results) -> None:  # noqa: ANN001
    results.put(_client(*args))


class _ServerCpu:
    """Samples the CPU time of this run's PostgreSQL backends (local server, readable /proc) twice a second."""

    def __init__(self, url: str):
        import threading

        self.url, self.seen = url, {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        engine = create_engine(self.url)
        with engine.connect() as connection:
            while not self.stop.wait(0.5):
                pids = connection.execute(text("select pid from pg_stat_activity where datname = current_database() "
                                               "and pid <> pg_backend_pid()")).scalars().all()
                connection.commit()
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        engine.dispose()

    def __enter__(self) -> "_ServerCpu":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:  # noqa: ANN002
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def calibrate(url: str, label: str, args: argparse.Namespace, cycles: int = 600) -> None:
    """CPU per mark, one marker at a time on one connection: the client's and the database server's."""
    from sqlalchemy.orm import Session

    from marking.policy import load_policy
    from marking.queue import get_marker, lease_next, submit_mark
    from models.db import make_engine

    upgrade(url)
    with session_scope(url) as session:
        exam = build_sample_exam(session, prefix="K", schools=args.schools, students_per_school=args.students,
                                 markers_per_school=args.markers_per_school, seed=1)
        open_marking(session, exam.exam_id)
        register_markers(session, exam.exam_id, exam.plan)
    engine = make_engine(url)
    policy = load_policy()
    with Session(bind=engine.connect()) as session:
        backend = None
        if label == "PostgreSQL":
            backend = session.execute(text("select pg_backend_pid()")).scalar()
            session.commit()

        def server_seconds() -> float:
            if backend is None:
                return 0.0
            try:
                fields = Path(f"/proc/{backend}/stat").read_text().split(")")[1].split()
            except OSError:  # the server runs elsewhere
                return float("nan")
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        plan = exam.plan[exam.plan["role"] == "marker"]
        markers = [get_marker(session, exam.exam_id, t) for t in plan["teacher_id"]]
        session.commit()
        done, wall, cpu, server = 0, time.perf_counter(), time.process_time(), server_seconds()
        for k in range(cycles):
            marker = markers[k % len(markers)]
            lease = lease_next(session, marker, policy=policy)
            if lease is not None:
                submit_mark(session, marker, lease.task_id, {i.item_id: 0 for i in lease.items}, policy=policy)
                done += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = server_seconds() - server
    engine.dispose()
    per_mark = (cpu + (server if server == server else 0.0)) / done * 1000
    print(f"\n== {label}: calibration, one marker at a time on one connection ({done} marks) ==")
    print(f"per mark (lease + submit): {wall / done * 1000:.2f} ms wall, client CPU {cpu / done * 1000:.2f} ms, "
          f"database server CPU {server / done * 1000:.2f} ms"
          + (f" -> 2 idle cores would allow about {2000 / per_mark:.0f} marks/s" if label == "PostgreSQL" else ""))


def run(url: str, label: str, processes: int, think_ms: float, args: argparse.Namespace) -> dict:
    upgrade(url)
    started = time.perf_counter()
    with session_scope(url) as session:
        exam = build_sample_exam(session, prefix="B", schools=args.schools, students_per_school=args.students,
                                 markers_per_school=args.markers_per_school, leaders_per_group=2, seed=1)
        opened = open_marking(session, exam.exam_id)
        register_markers(session, exam.exam_id, exam.plan)
    setup = time.perf_counter() - started
    markers = simulated_markers(exam.plan, seed=2)
    regular = sum(1 for m in exam.plan.itertuples() if m.role == "marker")
    # think time: each marker "marks" a script for seconds_per_script × time_scale before submitting
    time_scale = think_ms / 1000 / float(np.mean([m.seconds_per_script for m in markers]))
    start_at = time.time() + (3.0 if processes > 1 else 0.0)  # spawned interpreters need a moment
    server = _ServerCpu(url) if label == "PostgreSQL" else None
    if server is not None:
        server.__enter__()
    if processes == 1:
        outcomes = [_client(url, exam.exam_id, markers, exam.true_scores, start_at, 3, time_scale, args.connections)]
    else:
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        chunks = [markers[k::processes] for k in range(processes)]
        workers = [context.Process(target=_client_entry, args=((url, exam.exam_id, chunk, exam.true_scores,
                                                                 start_at, 3 + k, time_scale, args.connections),
                                                                results))
                   for k, chunk in enumerate(chunks)]
        for worker in workers:
            worker.start()
        outcomes = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
    elapsed = max(o["end"] for o in outcomes) - start_at
    if server is not None:
        server.__exit__()
    client_cpu = sum(o["cpu"] for o in outcomes)
    server_cpu = server.seconds if server is not None else 0.0
    # A client process stops when none of its markers can take a script; third marks that only
    # another process's markers could take are swept up here (not counted in the figures).
    sweep = run_simulated_marking(url, exam.exam_id, markers, exam.true_scores, threads=8, seed=99,
                                  retry_share=0.0)
    submit = np.array([x for o in outcomes for x in o["submit"]]) * 1000
    lease = np.array([x for o in outcomes for x in o["lease"]]) * 1000
    marks = sum(o["marks"] for o in outcomes)
    with session_scope(url) as session:
        in_db = session.scalar(select(func.count()).select_from(MarkingMark))
        scanned = None
        if label == "PostgreSQL":  # how far the lease's index scan walks: its cost under concurrency
            scanned = session.execute(text("select idx_tup_read, idx_scan from pg_stat_user_indexes "
                                           "where indexrelname = 'ix_marking_task_waiting'")).first()
        open_tasks = session.scalar(select(func.count()).select_from(MarkingTask).where(MarkingTask.state != "done"))
        not_final = session.scalar(select(func.count()).select_from(MarkingScript)
                                   .where(MarkingScript.status != "final"))
    print(f"\n== {label}: {processes} client process(es), {len(markers)} marker threads "
          f"({regular} markers + {len(markers) - regular} leaders, each its own session), "
          f"think time {think_ms:.0f} ms per script on average ==")
    print(f"{opened.scripts} scripts; setup {setup:.1f} s")
    print(f"marks: {marks} in {elapsed:.2f} s = {marks / elapsed:.0f} marks/s sustained "
          f"(+{sweep.marks} in the final sweep; marks in database: {in_db})")
    print(f"submit latency ms: p50 {np.percentile(submit, 50):.1f}  p95 {np.percentile(submit, 95):.1f}  "
          f"p99 {np.percentile(submit, 99):.1f}")
    print(f"lease latency ms:  p50 {np.percentile(lease, 50):.1f}  p99 {np.percentile(lease, 99):.1f}")
    if scanned is not None:
        print(f"lease index scans: {scanned[1]}, {scanned[0] / max(scanned[1], 1):.1f} queue entries read per scan")
    print(f"CPU used: clients {client_cpu:.1f} s + database {server_cpu:.1f} s in {elapsed:.1f} s = "
          f"{(client_cpu + server_cpu) / elapsed / 2:.0%} of the 2 cores ({(client_cpu + server_cpu) / marks * 1000:.2f} "
          f"ms per mark; the rest went to other work on the machine)")
    print(f"left over: {open_tasks} open tasks, {not_final} scripts not final; "
          f"load average now {os.getloadavg()[0]:.1f}")
    if label == "PostgreSQL" and think_ms > 0:
        met = marks / elapsed >= 500 and np.percentile(submit, 99) <= 50
        print(f"target (>= 500 marks/s, p99 submit <= 50 ms): {'met' if met else 'NOT met'}")
    return {"marks_per_second": marks / elapsed, "submit_p99_ms": float(np.percentile(submit, 99))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000, help="students per school (1000: about 21,000 marks)")
    parser.add_argument("--schools", type=int, default=5)
    parser.add_argument("--markers-per-school", type=int, default=5, help="per school and item group (2 groups)")
    parser.add_argument("--processes", default="1,3", help="client process counts to run, e.g. 1,3")
    parser.add_argument("--think-ms", default="70,0",
                        help="mean think (marking) time per script in ms, per run; 0 = saturation")
    parser.add_argument("--connections", type=int, default=None,
                        help="database connections per client process, shared by its marker threads "
                             "(default: one per marker thread)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    counts = [int(p) for p in args.processes.split(",")]
    thinks = [float(t) for t in args.think_ms.split(",")]
    runs = [(p, t) for t in thinks for p in counts]
    print(f"machine: {os.cpu_count()} cores, shared with other agents' work while measuring "
          f"(load average {os.getloadavg()[0]:.1f} at start); num_workers: n/a (no solver)")
    if not args.skip_postgres:
        admin_url = os.environ.get("XUEQU_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        for processes, think_ms in [(0, 0.0)] + runs:
            name = f"xuequ_bench_marking_{uuid.uuid4().hex[:8]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
                if processes == 0:
                    calibrate(url, "PostgreSQL", args)
                else:
                    run(url, "PostgreSQL", processes, think_ms, args)
            finally:
                dispose_engines(name)
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    if not args.skip_sqlite:
        for processes, think_ms in [(0, 0.0)] + runs:
            with tempfile.TemporaryDirectory() as folder:
                if processes == 0:
                    calibrate(f"sqlite:///{folder}/bench.db", "SQLite", args)
                else:
                    run(f"sqlite:///{folder}/bench.db", "SQLite", processes, think_ms, args)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
