"""Where a flow's fan-out runs (分发): the one place that chooses a Prefect task runner.

- `XUEQU_DASK_ADDRESS` set (e.g. `tcp://dask-scheduler:8786`): every fan-out goes to that Dask
  scheduler (`prefect-dask`'s `DaskTaskRunner(address=...)`), whose workers may be other machines;
- no address, and more units than `XUEQU_DASK_LOCAL_ABOVE` (default 4): a temporary Dask
  `LocalCluster` of `XUEQU_DASK_WORKERS` processes (default 2), one thread each: CP-SAT and pandas
  hold the GIL long enough that processes, not threads, use the cores;
- otherwise Prefect's `ThreadPoolTaskRunner`, bounded by the same worker count: a few units do not
  pay for starting worker processes (each imports OR-Tools, pandas and Prefect).

Tasks run this way take plain values (database URLs, not sessions or engines), so they run in
another process or on another machine alike.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

DASK_ADDRESS_ENV = "XUEQU_DASK_ADDRESS"
DASK_WORKERS_ENV = "XUEQU_DASK_WORKERS"
LOCAL_CLUSTER_ABOVE_ENV = "XUEQU_DASK_LOCAL_ABOVE"
DEFAULT_WORKERS = 2  # the machines we run on have 2 cores
DEFAULT_LOCAL_CLUSTER_ABOVE = 4


class RunnerSettingError(ValueError):
    """A fan-out setting in the environment that is not a usable number."""


def dask_address() -> str | None:
    """The Dask scheduler to send fan-out to, if one is configured."""
    address = os.environ.get(DASK_ADDRESS_ENV, "").strip()
    return address or None


def _positive_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RunnerSettingError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise RunnerSettingError(f"{name}={value} must be at least {minimum}")
    return value


def local_workers() -> int:
    """How many worker processes (or threads) run units at once on this machine."""
    return _positive_int(DASK_WORKERS_ENV, DEFAULT_WORKERS, 1)


def local_cluster_above() -> int:
    """More units than this (and no scheduler address): a local Dask cluster rather than threads."""
    return _positive_int(LOCAL_CLUSTER_ABOVE_ENV, DEFAULT_LOCAL_CLUSTER_ABOVE, 0)


def fan_out_runner(units: int | None = None) -> TaskRunner:
    """The task runner for a fan-out of `units` independent units (None: not known yet, e.g. at import).

    A temporary local cluster is only chosen when the number of units is known and large enough.
    """
    from prefect_dask import DaskTaskRunner

    address = dask_address()
    if address:
        return DaskTaskRunner(address=address)
    workers = local_workers()
    if units is not None and units > local_cluster_above():
        # No dashboard (bokeh pages): nobody watches a cluster that lives for one flow run.
        return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                              cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    return ThreadPoolTaskRunner(max_workers=workers)


class FanOutTaskRunner(TaskRunner):
    """A flow decorator's runner that becomes `fan_out_runner(units)` when each flow run starts.

    Prefect starts every flow run on `flow.task_runner.duplicate()`; choosing there reads the
    settings at run time (a bad value fails the run with one line, not the import of the module)
    and lets a deployment's worker environment decide.
    """

    def __init__(self, units: int | None = None):
        super().__init__()
        self.units = units

    def duplicate(self) -> TaskRunner:  # type: ignore[override]  # on purpose: the run gets the runner chosen now
        return fan_out_runner(self.units)

    def submit(self, task, parameters, wait_for=None, dependencies=None):  # TaskRunner.submit
        raise RuntimeError("FanOutTaskRunner only chooses a runner; Prefect runs a flow on its duplicate()")


@contextmanager
def api_for_workers() -> Iterator[None]:
    """Let worker processes report to the Prefect API this process uses, for the fan-out inside.

    Without `PREFECT_API_URL`, Prefect runs a temporary API server for the process that runs the
    flow, and the settings a task carries to a Dask worker name no API: each worker process would
    start a temporary server of its own (about 10 s each; its task runs never reach this run's API,
    and the nanny's kill at shutdown skips the hook that stops it). Naming this process's server
    while the fan-out runs avoids that. With a real server (PREFECT_API_URL set) nothing changes; a
    Dask scheduler on other machines needs such a server, which they can reach.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.common import temporary_servers

    servers = [] if PREFECT_API_URL.value() else temporary_servers()
    if not servers:
        yield
        return
    with temporary_settings({PREFECT_API_URL: servers[0].api_url}):
        yield


def describe_runner(runner: TaskRunner) -> str:
    """Where the units ran, as a person reads it (for logs and the district summary)."""
    from prefect_dask import DaskTaskRunner

    if isinstance(runner, DaskTaskRunner):
        if runner.address:
            return f"Dask scheduler {runner.address}"
        workers = runner.cluster_kwargs.get("n_workers", "?")
        return f"Dask LocalCluster, {workers} worker processes"
    if isinstance(runner, ThreadPoolTaskRunner):
        return f"threads ({runner._max_workers})"
    return type(runner).__name__
