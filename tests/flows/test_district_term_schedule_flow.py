"""The district term schedule: every cluster a separate unit, fanned out (Dask local cluster of 2
worker processes, or threads), each plan stored and written to its own folder, one district summary."""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import ClassVar

import distributed
import pytest
from sqlalchemy import func, select

from flows.runners import DASK_ADDRESS_ENV, DASK_WORKERS_ENV, LOCAL_CLUSTER_ABOVE_ENV
from flows.term_schedule import district_term_schedule
from models import Cluster, Plan, RotationAssignment
from models.db import session_scope

DEMO_POLICY = str(Path(__file__).resolve().parents[2] / "policies" / "demo_rotation.toml")


class RecordingCluster(distributed.LocalCluster):
    """The LocalCluster the runner starts, noting which processes ran which tasks before it closes."""

    started: ClassVar[list[RecordingCluster]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_workers_asked = kwargs.get("n_workers")
        self.worker_pids: set[int] = set()
        self.task_prefixes: dict[str, int] = {}
        RecordingCluster.started.append(self)

    def close(self, *args, **kwargs):
        if self.scheduler is not None and not self.task_prefixes:
            self.worker_pids = {w.pid for w in self.scheduler.workers.values()}
            self.task_prefixes = {name: prefix.state_counts.get("memory", 0)  # tasks that finished
                                  for name, prefix in self.scheduler.task_prefixes.items()}
        return super().close(*args, **kwargs)


def clusters_of(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(Cluster.cluster_id).order_by(Cluster.cluster_id)))


def fresh_copy(demo_bundle_dir: Path, folder: Path) -> str:
    """The same demo district in a database of its own, for the sequential run."""
    from bundle.validate import load_bundle
    from models.bundles import import_tables
    from models.migrate import upgrade

    url = f"sqlite:///{folder / 'sequential.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_tables(session, load_bundle(demo_bundle_dir))
    return url


def test_every_cluster_is_planned_on_a_local_dask_cluster_like_a_sequential_run(demo_db, demo_bundle_dir,
                                                                                  tmp_path, monkeypatch):
    from app.term_planning import plan_rotation

    clusters = clusters_of(demo_db)
    assert len(clusters) >= 2
    monkeypatch.delenv(DASK_ADDRESS_ENV, raising=False)
    monkeypatch.setenv(DASK_WORKERS_ENV, "2")
    monkeypatch.setenv(LOCAL_CLUSTER_ABOVE_ENV, "1")  # the demo district is small: force the local cluster
    monkeypatch.setattr(distributed, "LocalCluster", RecordingCluster)
    RecordingCluster.started.clear()
    out = tmp_path / "district"

    district = district_term_schedule(school_year=2026, term=1, policy_file=DEMO_POLICY, db_url=demo_db,
                                      out_dir=str(out), time_limit_s=15, calendar_time_limit_s=2)

    # it ran on a local cluster of 2 worker processes, other than this one, one task per cluster
    assert len(RecordingCluster.started) == 1
    cluster = RecordingCluster.started[0]
    assert cluster.n_workers_asked == 2 and len(cluster.worker_pids) == 2 and os.getpid() not in cluster.worker_pids
    assert cluster.task_prefixes.get("plan_cluster") == len(clusters)
    assert cluster.task_prefixes.get("plan_cluster_calendar") == len(clusters)  # each calendar after its roster
    assert all(r.calendar is not None and r.calendar.activities > 0 for r in district.results)
    assert district.runner == "Dask LocalCluster, 2 worker processes" and district.failed == {}

    # every cluster's plan is stored, in its own folder, and summed up once for the district
    assert [r.scope for r in district.results] == [f"2026-1:{c}" for c in clusters]
    with session_scope(demo_db) as session:
        stored = {p.scope: (p.version, p.cluster_id, p.solver_status)
                  for p in session.scalars(select(Plan).where(Plan.kind == "rotation"))}
        assignments = dict(session.execute(select(Plan.cluster_id, func.count(RotationAssignment.plan_id))
                                           .join(Plan.rotations).group_by(Plan.cluster_id)).all())
    assert stored == {f"2026-1:{c}": (1, c, r.status) for c, r in zip(clusters, district.results, strict=True)}
    for cluster_id in clusters:
        with open(out / cluster_id / "rotation.csv", encoding="utf-8-sig") as handle:
            assert sum(1 for _ in csv.DictReader(handle)) == assignments[cluster_id]
        assert (out / cluster_id / "calendar.csv").exists() and (out / cluster_id / "ics" / "school").is_dir()
    with open(out / "district_summary.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["学区"] for row in rows] == clusters
    assert [int(row["交流教师"]) for row in rows] == [r.postings for r in district.results]
    assert f"交流教师合计 {district.postings} 人" in (out / "district_summary.md").read_text(encoding="utf-8")

    # the same statuses and counts as planning the clusters one after another, in-process
    sequential_url = fresh_copy(demo_bundle_dir, tmp_path)
    sequential = [plan_rotation(2026, 1, c, policy_file=DEMO_POLICY, url=sequential_url,
                                out_dir=str(tmp_path / "sequential" / c), time_limit_s=15) for c in clusters]
    assert [(r.status, r.postings, r.leader_exchanges, r.violations) for r in district.results] == \
        [(r.status, r.postings, r.leader_exchanges, r.violations) for r in sequential]


def test_a_cluster_that_fails_is_named_in_the_summary_and_the_others_are_still_planned(demo_db, tmp_path,
                                                                                        monkeypatch):
    import flows.term_schedule as term_flow

    clusters = clusters_of(demo_db)
    broken = clusters[-1]
    real = term_flow.plan_rotation

    def plan_rotation(school_year, term, cluster_id, **kwargs):
        if cluster_id == broken:
            raise RuntimeError("disk full")
        return real(school_year, term, cluster_id, **kwargs)

    for name in (DASK_ADDRESS_ENV, LOCAL_CLUSTER_ABOVE_ENV):  # two clusters: the thread pool of this process
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(term_flow, "plan_rotation", plan_rotation)
    out = tmp_path / "district"
    with pytest.raises(RuntimeError, match=f"{broken}: RuntimeError: disk full"):
        district_term_schedule(school_year=2026, term=1, policy_file=DEMO_POLICY, db_url=demo_db, out_dir=str(out),
                               lang="en", time_limit_s=15, calendar=False)
    with session_scope(demo_db) as session:
        planned = set(session.scalars(select(Plan.cluster_id).where(Plan.kind == "rotation")))
    assert planned == set(clusters) - {broken}
    summary = (out / "district_summary.md").read_text(encoding="utf-8")
    assert f"1 clusters failed: {broken}" in summary and "threads (2)" in summary
    assert f"| {broken} | FAILED: RuntimeError: disk full |" in summary


def test_unknown_clusters_are_refused_before_any_planning(demo_db, tmp_path):
    with pytest.raises(ValueError, match="unknown cluster C99: the district has C01, C02"):
        district_term_schedule(clusters=["C01", "C99"], db_url=demo_db, out_dir=str(tmp_path))
    with session_scope(demo_db) as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 0
