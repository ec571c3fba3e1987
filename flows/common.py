"""What every flow shares: loading bundle-shaped tables, stage bookkeeping, artifacts.

Tasks take a database URL (a string), never a session or engine: each task opens its own session,
so tasks can run in other processes or on other machines (workers, Dask).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext, TaskRunContext

from app.stages import StageOutcome, record_stage, stage_status  # noqa: F401 (named here for flows)
from models.db import database_url


IO_RETRIES = 2  # database and file tasks retry: a dropped connection should not fail a season


def resolved_url(url: str | None) -> str:
    """The database URL a flow passes on to its tasks (explicit, so workers agree)."""
    return database_url(url)


# --- stopping cleanly: a killed command leaves no temporary Prefect server behind ---------------------

#: Signals a person or a supervisor sends to stop a command (SIGINT: Ctrl-C or `kill -INT`).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """The command was told to stop (SIGINT, SIGTERM, SIGHUP): unwinds like Ctrl-C, so `finally` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def temporary_servers() -> list:
    """The temporary Prefect API servers this process runs (each a `uvicorn` child process)."""
    import sys

    if "prefect.server.api.server" not in sys.modules:
        return []  # no flow ran here: nothing was started (and importing the server is slow)
    from prefect.server.api.server import SubprocessASGIServer

    return [s for s in list(SubprocessASGIServer._instances.values()) if s.server_process is not None]


def stop_temporary_servers(keep: list | tuple = ()) -> int:
    """Stop the temporary Prefect API servers of this process, except those in `keep`.

    Without a PREFECT_API_URL, running a flow starts one; Prefect stops it only from an atexit hook,
    which a SIGTERM (the default handler ends Python at once) never reaches. Returns how many stopped.
    """
    servers = [s for s in temporary_servers() if not any(s is k for k in keep)]
    for server in servers:
        server.stop()
    return len(servers)


def redeliver_swallowed_stop(previous: Callable[[Any], Any],
                             rearm: Callable[[int], Any] | None = None) -> Callable[[Any], Any]:
    """An unraisable-exception hook that sends a swallowed stop again.

    A signal handler raises in whatever the main thread runs at that moment; when that is an object's
    `__del__` (an asyncio transport collected during a flow), Python prints "Exception ignored" and
    drops the exception, and the stop is lost (the season ran on, waiting for a review). The stop
    signal is delivered again instead, and lands at the next instruction; other unraisables go to the
    previous hook."""
    from prefect.exceptions import TerminationSignal

    def hook(unraisable: Any) -> None:
        error = unraisable.exc_value
        if isinstance(error, Stopped):
            if rearm is not None:
                rearm(error.signum)  # our handler set the stop signals to be ignored before it raised
            os.kill(os.getpid(), error.signum)
        elif isinstance(error, TerminationSignal):
            os.kill(os.getpid(), getattr(error, "signal", signal.SIGTERM))
        elif isinstance(error, KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
        else:
            previous(unraisable)

    return hook


@contextmanager
def stops_cleanly() -> Iterator[None]:
    """Run flows in this process so that SIGINT, SIGTERM or SIGHUP stop them cleanly.

    The signal becomes a `Stopped` exception in the main thread (the flow's `finally` blocks and
    Prefect's own bookkeeping run), and on the way out the temporary API server is stopped, whether
    the flows ended, failed or were stopped. A second signal during the cleanup is ignored so the
    cleanup finishes. Outside the main thread signals cannot be handled: only the server is stopped.
    """
    handled: dict[signal.Signals, Any] = {}

    def interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
        for number in handled:
            signal.signal(number, signal.SIG_IGN)  # one signal is enough: let the cleanup finish
        raise Stopped(signum)

    if threading.current_thread() is threading.main_thread():
        for number in STOP_SIGNALS:
            handled[number] = signal.signal(number, interrupt)
    already = temporary_servers()  # e.g. a test harness's: not ours to stop
    previous_hook = sys.unraisablehook
    sys.unraisablehook = redeliver_swallowed_stop(previous_hook, lambda number: signal.signal(number, interrupt))
    try:
        yield
    finally:
        try:
            stop_temporary_servers(keep=already)
        finally:
            sys.unraisablehook = previous_hook
            for number, previous in handled.items():
                signal.signal(number, previous)


def in_prefect_run() -> bool:
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def log(message: str) -> None:
    """Log through Prefect inside a run, else print (functions here are also called from the CLI)."""
    if in_prefect_run():
        get_run_logger().info(message)
    else:
        print(message)


def publish_markdown(key: str, markdown: str, description: str = "") -> None:
    """A Markdown artifact inside a run (keys: lowercase letters, digits, dashes)."""
    if in_prefect_run():
        create_markdown_artifact(key=_artifact_key(key), markdown=markdown, description=description)


def publish_table(key: str, frame: pd.DataFrame, description: str = "") -> None:
    if in_prefect_run() and len(frame):
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        create_table_artifact(key=_artifact_key(key), table=records, description=description)


def _artifact_key(key: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in key.lower())
    return "-".join(part for part in cleaned.split("-") if part)[:100]


# --- stage bookkeeping: where a season stands, so reruns continue where they stopped ---

def run_stage(url: str, exam_id: str, stage: str, body: Callable[[], StageOutcome], *, force: bool = False) -> StageOutcome:
    """Run a stage once: a stage already done is not redone (idempotent reruns) unless forced."""
    previous = stage_status(url, exam_id, stage)
    if previous is not None and previous[0] == "done" and not force:
        outcome = StageOutcome(stage, "already-done", previous[1] or "")
        log(f"[{stage}] already done: {previous[1]}")
        return outcome
    try:
        outcome = body()
    except Exception as error:
        record_stage(url, exam_id, StageOutcome(stage, "failed", f"{type(error).__name__}: {error}"))
        raise
    record_stage(url, exam_id, outcome)
    log(f"[{stage}] {outcome.status}: {outcome.message}")
    publish_markdown(f"{exam_id}-{stage}", f"### {stage}: {outcome.status}\n\n{outcome.message}\n")
    return outcome


def not_built(stage: str, issue: str) -> StageOutcome:
    """A stage whose module is not built yet: skipped with a clear message, never faked."""
    return StageOutcome(stage, "skipped", f"not built yet ({issue}); skipped, nothing was produced")
