"""Marker API benchmark over HTTP: `xuequ marking serve --workers 3` on PostgreSQL, 50 markers and 4 leaders.

Creates a fresh PostgreSQL database (XUEQU_BENCH_POSTGRES_URL, default the local server's `test`
database is used to create and drop it), builds a sample exam (5 schools × --students students,
2 item groups; 5 markers per school and group = 50 markers, 2 leaders per group = 4), opens its
marking queue, registers the markers and starts the real server (`xuequ marking serve`, uvicorn)
as a subprocess. Simulated marker clients then log in and mark over HTTP with keep-alive
connections (one connection per marker, `http.client`: the lightest client, so that the client
processes take as little of the 2 cores as possible), spread over --client-processes processes
with one thread per marker:

- markers, as the marker page does: POST /next once, then "mark" for the think time and
  POST /tasks/{id}/marks with `"next": true`, whose answer brings the next script (one request per
  script; `--two-requests`: /next and submit apart, as before); every 10th mark also GET /me/progress
  (the page's figures). "submit" timings are then submit + lease of the next script;
- leaders: GET /arbitration, POST /arbitration/next (and submit), GET /group/progress, every 2 s.

Phases: a think time of --think-s seconds per script on average (uniform ±25 %), then
saturation (no think time: every marker hammers the server). Each phase runs --seconds seconds
after a short warm-up. Printed per phase: marks/s, p50/p99 of next and submit (and progress),
server CPU per mark (the uvicorn worker processes, from psutil) and database CPU per mark (this
database's backends, from /proc), PostgreSQL connections (pg_stat_activity of the database: most
seen open and most seen active), and the load average (the machine is shared: compare ratios).

Targets (issue 15), 2 cores: next and submit p99 <= 50 ms at 2 s think time; >= 300 marks/s at saturation.

    python benchmarks/bench_marking_http.py [--workers 3] [--students 1000] [--seconds 30] [--think-s 2]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ENDPOINTS = ("next", "submit", "me_progress", "group_progress", "arbitration")


# --- the server ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stdout.read() if server.stdout else ''}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/openapi.json")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the marker API did not come up")


def _cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _server_pids(server: subprocess.Popen) -> list[int]:
    import psutil

    try:
        parent = psutil.Process(server.pid)
        return [parent.pid] + [child.pid for child in parent.children(recursive=True)]
    except psutil.Error:
        return []


class _Database:
    """Samples this database's connections (open, active) and its backends' CPU (/proc) twice a second."""

    def __init__(self, url: str):
        self.url = url
        self.stop = threading.Event()
        self.cpu: dict[int, float] = {}
        self.most_open = self.most_active = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def reset(self) -> None:
        self.most_open = self.most_active = 0

    def _loop(self) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            while not self.stop.wait(0.5):
                rows = connection.execute(text(
                    "select pid, state from pg_stat_activity where datname = current_database() "
                    "and pid <> pg_backend_pid()")).all()
                self.most_open = max(self.most_open, len(rows))
                self.most_active = max(self.most_active, sum(1 for _, state in rows if state == "active"))
                for pid, _ in rows:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
                    except OSError:  # the server runs elsewhere, or the backend ended
                        continue
                    self.cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        engine.dispose()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


# --- the clients ---------------------------------------------------------------------------------

class _Client:
    """One keep-alive HTTP connection of one marker."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        payload = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=payload, headers=self.headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, (json.loads(data) if data else {})
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _marker_loop(client: _Client, leader: bool, think_s: float, stop_at: float, measure_from: float,
                 seed: int, out: dict, one_request: bool = True) -> None:
    rng = random.Random(seed)
    timings = out["timings"]
    marks = 0
    task: dict | None = None

    def timed(name: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        started = time.time()
        t0 = time.perf_counter()
        status, data = client.call(method, path, body)
        if started >= measure_from:
            timings[name].append(time.perf_counter() - t0)
        if status >= 500:
            out["errors"] += 1
        return status, data

    def mark(task: dict, then_next: bool = False) -> dict | None:
        """Mark the task; with `then_next` the same request leases the next script (returned)."""
        nonlocal marks
        if think_s > 0:
            time.sleep(rng.uniform(0.75, 1.25) * think_s)
        scores = {i["item_id"]: float(int(rng.uniform(0, i["max_score"]) / i["score_step"]) * i["score_step"])
                  for i in task["items"]}
        started = time.time()
        body = {"scores": scores, "seconds": rng.uniform(20, 60)} | ({"next": True} if then_next else {})
        status, data = timed("submit", "POST", f"/api/v1/tasks/{task['task_id']}/marks", body)
        if status == 200 and started >= measure_from:
            out["marks"] += 1
        elif status == 409:
            out["conflicts"] += 1
        marks += 1
        return ((data.get("next") or {}).get("task") if status == 200 else None) if then_next else None

    while time.time() < stop_at:
        if leader:
            timed("arbitration", "GET", "/api/v1/arbitration")
            status, data = timed("next", "POST", "/api/v1/arbitration/next")
            if status == 200 and data.get("task"):
                mark(data["task"])
            timed("group_progress", "GET", "/api/v1/group/progress")
            time.sleep(2.0)
            continue
        if task is None:
            status, data = timed("next", "POST", "/api/v1/next")
            task = data.get("task") if status == 200 else None
            if task is None:
                time.sleep(0.5)  # nothing to mark now: a client polls again a little later
                continue
        task = mark(task, then_next=one_request)  # the page's path: the submit brings the next script
        if marks % 10 == 0:
            timed("me_progress", "GET", "/api/v1/me/progress")


def _client_process(port: int, markers: list[tuple[str, bool]], think_s: float, start_at: float, measure_from: float,
                    stop_at: float, seed: int, results, one_request: bool = True) -> None:  # noqa: ANN001
    """One client process: a thread per marker (token, is leader); puts its measurements on `results`."""
    out: dict = {"timings": {name: [] for name in ENDPOINTS}, "marks": 0, "conflicts": 0, "errors": 0}
    clients = [_Client(port, token) for token, _ in markers]
    time.sleep(max(0.0, start_at - time.time()))
    cpu = time.process_time()
    threads = [threading.Thread(target=_marker_loop, args=(client, leader, think_s, stop_at, measure_from,
                                                            seed * 1000 + k, out, one_request))
               for k, (client, (_, leader)) in enumerate(zip(clients, markers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["cpu"] = time.process_time() - cpu  # this client process, over its whole run (warm-up included)
    out["seconds"] = stop_at - start_at
    results.put(out)


def _phase(port: int, markers: list[tuple[str, bool]], think_s: float, seconds: float, warmup: float,
           processes: int, server_pids: list[int], database: _Database, one_request: bool = True) -> dict:
    context = multiprocessing.get_context("spawn")  # no inherited threads or pools
    results = context.Queue()
    start_at = time.time() + 4.0  # spawned interpreters need a moment
    measure_from, stop_at = start_at + warmup, start_at + warmup + seconds
    chunks = [markers[k::processes] for k in range(processes)]
    workers = [context.Process(target=_client_process, args=(port, chunk, think_s, start_at, measure_from, stop_at,
                                                             k + 1, results, one_request))
               for k, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, measure_from - time.time()))
    server_cpu, db_cpu, database_seen = _cpu_seconds(server_pids), database.cpu_seconds, time.time()
    database.reset()
    load_before = os.getloadavg()[0]
    time.sleep(max(0.0, stop_at - time.time()))
    server_cpu, db_cpu = _cpu_seconds(server_pids) - server_cpu, database.cpu_seconds - db_cpu
    elapsed = time.time() - database_seen
    most_open, most_active = database.most_open, database.most_active
    outcomes = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    timings = {name: np.array([x for o in outcomes for x in o["timings"][name]]) * 1000 for name in ENDPOINTS}
    marks = sum(o["marks"] for o in outcomes)
    client_cpu = sum(o["cpu"] * elapsed / o["seconds"] for o in outcomes)  # scaled to the measured window
    return {"client_cpu": client_cpu, "marks": marks, "elapsed": elapsed, "timings": timings, "server_cpu": server_cpu, "db_cpu": db_cpu,
            "conflicts": sum(o["conflicts"] for o in outcomes), "errors": sum(o["errors"] for o in outcomes),
            "most_open": most_open, "most_active": most_active, "load": (load_before, os.getloadavg()[0])}


def _report(label: str, result: dict, workers: int) -> None:
    elapsed, marks = result["elapsed"], max(result["marks"], 1)
    print(f"\n== {label}: {result['marks']} marks in {elapsed:.1f} s = {result['marks'] / elapsed:.0f} marks/s "
          f"({result['conflicts']} conflicts, {result['errors']} server errors) ==")
    for name in ENDPOINTS:
        values = result["timings"][name]
        if len(values):
            print(f"{name:>15} ms: p50 {np.percentile(values, 50):7.1f}  p99 {np.percentile(values, 99):7.1f}  "
                  f"max {values.max():7.1f}  ({len(values)} calls)")
    print(f"server CPU: {result['server_cpu']:.1f} s = {result['server_cpu'] / elapsed:.2f} cores over {workers} "
          f"workers, {result['server_cpu'] / marks * 1000:.2f} ms per mark; database CPU "
          f"{result['db_cpu'] / marks * 1000:.2f} ms per mark")
    total = result["server_cpu"] + result["db_cpu"] + result["client_cpu"]
    print(f"client CPU {result['client_cpu'] / marks * 1000:.2f} ms per mark; all together {total / marks * 1000:.2f} "
          f"ms per mark: 2 otherwise idle cores would sustain about {2 * marks / total:.0f} marks/s")
    print(f"PostgreSQL connections to the database: up to {result['most_open']} open, up to {result['most_active']} "
          f"active; load average {result['load'][0]:.1f} → {result['load'][1]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3, help="uvicorn worker processes")
    parser.add_argument("--students", type=int, default=1000, help="students per school (5 schools)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring, per phase")
    parser.add_argument("--think-s", type=float, default=2.0, help="mean think time per script in the first phase")
    parser.add_argument("--client-processes", type=int, default=3)
    parser.add_argument("--phases", default="think,saturation", help="think, saturation or both")
    parser.add_argument("--server-env", action="append", default=[], help="NAME=VALUE for the server, repeatable")
    parser.add_argument("--clients", type=int, default=0,
                        help="only this many markers as clients (1: the latency of one client alone); 0 = all 54")
    parser.add_argument("--two-requests", action="store_true",
                        help="markers call /next and then submit (two requests a script) instead of the page's path, "
                             "a submit that brings the next script")
    args = parser.parse_args()

    from marking.queue import open_marking, register_markers
    from marking.sample import build_sample_exam
    from models.db import dispose_engines, session_scope
    from models.migrate import upgrade

    started = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, shared with other work; uptime at start: {started}")
    admin_url = os.environ.get("XUEQU_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"xuequ_bench_http_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    server = None
    database = _Database(url)
    try:
        upgrade(url)
        with session_scope(url) as session:
            exam = build_sample_exam(session, prefix="H", schools=5, students_per_school=args.students,
                                     markers_per_school=5, leaders_per_group=2, seed=1)
            opened = open_marking(session, exam.exam_id)
            tokens = register_markers(session, exam.exam_id, exam.plan)
        dispose_engines(name)
        print(f"{opened.scripts} scripts, {opened.tasks} tasks; {len(tokens)} markers "
              f"({int((tokens['role'] == 'leader').sum())} leaders)")
        markers = [(str(t), r == "leader") for t, r in zip(tokens["token"], tokens["role"])]
        if args.clients:
            markers = [m for m in markers if not m[1]][:args.clients]
        port = _free_port()
        xuequ = str(Path(sys.executable).parent / "xuequ")
        env = dict(os.environ)
        env.update(dict(pair.split("=", 1) for pair in args.server_env))
        server = subprocess.Popen([xuequ, "marking", "serve", "--db", url, "--port", str(port),
                                   "--workers", str(args.workers)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        _wait_until_up(port, server)
        time.sleep(2.0)  # every worker up
        pids = _server_pids(server)
        print(f"server: xuequ marking serve --workers {args.workers} (pids {pids})")
        database.thread.start()
        for phase in args.phases.split(","):
            think = args.think_s if phase == "think" else 0.0
            result = _phase(port, markers, think, args.seconds, args.warmup, min(args.client_processes, len(markers)),
                            pids, database, not args.two_requests)
            _report(f"{'think time %.1f s' % think if think else 'saturation'}, {len(markers)} clients", result,
                    args.workers)
            if phase == "think":
                met = all(np.percentile(result["timings"][name], 99) <= 50 for name in ("next", "submit")
                          if len(result["timings"][name]))
                print(f"target (p99 next and submit <= 50 ms): {'met' if met else 'NOT met'}")
            else:
                rate = result["marks"] / result["elapsed"]
                print(f"target (>= 300 marks/s): {'met' if rate >= 300 else 'NOT met'}")
    finally:
        database.stop.set()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        dispose_engines(name)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"\nuptime at end: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
