"""Which task runner a fan-out gets: a Dask scheduler when configured, a local Dask cluster for many
units, threads for a few; settings read when the run starts."""
from __future__ import annotations

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from flows.runners import (DASK_ADDRESS_ENV, DASK_WORKERS_ENV, LOCAL_CLUSTER_ABOVE_ENV, FanOutTaskRunner,
                           RunnerSettingError, describe_runner, fan_out_runner)


@pytest.fixture(autouse=True)
def no_fan_out_settings(monkeypatch):
    for name in (DASK_ADDRESS_ENV, DASK_WORKERS_ENV, LOCAL_CLUSTER_ABOVE_ENV):
        monkeypatch.delenv(name, raising=False)


def test_a_configured_scheduler_takes_every_fan_out_however_small(monkeypatch):
    monkeypatch.setenv(DASK_ADDRESS_ENV, "tcp://dask-scheduler:8786")
    for units in (None, 1, 30):
        runner = fan_out_runner(units)
        assert isinstance(runner, DaskTaskRunner)
        assert runner.address == "tcp://dask-scheduler:8786" and runner.cluster_kwargs == {}
    assert describe_runner(fan_out_runner(3)) == "Dask scheduler tcp://dask-scheduler:8786"


def test_many_units_without_a_scheduler_get_a_local_cluster_of_single_threaded_processes(monkeypatch):
    runner = fan_out_runner(5)
    assert isinstance(runner, DaskTaskRunner) and runner.address is None
    assert runner.cluster_class == "distributed.LocalCluster"
    assert runner.cluster_kwargs["n_workers"] == 2 and runner.cluster_kwargs["threads_per_worker"] == 1
    monkeypatch.setenv(DASK_WORKERS_ENV, "6")
    assert fan_out_runner(5).cluster_kwargs["n_workers"] == 6
    assert describe_runner(fan_out_runner(5)) == "Dask LocalCluster, 6 worker processes"


def test_a_few_units_or_an_unknown_count_run_on_a_bounded_thread_pool(monkeypatch):
    for units in (None, 1, 4):
        runner = fan_out_runner(units)
        assert isinstance(runner, ThreadPoolTaskRunner) and not isinstance(runner, DaskTaskRunner)
    assert describe_runner(fan_out_runner(4)) == "threads (2)"
    monkeypatch.setenv(LOCAL_CLUSTER_ABOVE_ENV, "1")
    assert isinstance(fan_out_runner(2), DaskTaskRunner)
    assert isinstance(fan_out_runner(1), ThreadPoolTaskRunner)


@pytest.mark.parametrize("name,value", [(DASK_WORKERS_ENV, "two"), (DASK_WORKERS_ENV, "0"),
                                        (LOCAL_CLUSTER_ABOVE_ENV, "-1")])
def test_a_setting_that_is_not_a_usable_number_is_refused_in_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(RunnerSettingError, match=name):
        fan_out_runner(10)


def test_the_decorator_runner_chooses_when_a_run_starts_not_at_import(monkeypatch):
    decorated = FanOutTaskRunner()  # as at import: nothing configured
    monkeypatch.setenv(DASK_ADDRESS_ENV, "tcp://10.0.0.5:8786")
    chosen = decorated.duplicate()  # what Prefect does for each flow run
    assert isinstance(chosen, DaskTaskRunner) and chosen.address == "tcp://10.0.0.5:8786"
    monkeypatch.delenv(DASK_ADDRESS_ENV)
    assert isinstance(FanOutTaskRunner(units=9).duplicate(), DaskTaskRunner)
    assert isinstance(FanOutTaskRunner().duplicate(), ThreadPoolTaskRunner)


def test_the_question_setting_flow_fans_out_on_the_chosen_runner():
    from flows.question_setting import question_setting

    assert isinstance(question_setting.task_runner, FanOutTaskRunner)
