"""Ids and names of the proposed clusters: a proposed cluster continues today's cluster it shares the
most schools with (an assignment that maximises the schools kept), keeping its id and name, so that
what refers to a cluster (exams, stored policies, accounts) still finds it after the import. A new
cluster is named after its lead (「实验小学学区」) with an id no cluster has (P01, P02, …). Today's
clusters no proposed cluster continues are `retired`: `clusters.csv` keeps them, without schools.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .inputs import FormationInput
from .results import FormationPlan, ProposedCluster


def name_clusters(data: FormationInput, partition: Sequence[tuple[str, Sequence[str]]]) -> FormationPlan:
    """`partition`: (lead id, school ids with the lead) of each proposed cluster."""
    today_ids = [c.cluster_id for c in data.clusters] or sorted({s.cluster_id for s in data.schools if s.cluster_id})
    for s in data.schools:  # a school's cluster missing from clusters.csv still counts as today's
        if s.cluster_id and s.cluster_id not in today_ids:
            today_ids.append(s.cluster_id)
    names = {c.cluster_id: c.name for c in data.clusters}
    today_of = {s.school_id: s.cluster_id for s in data.schools}
    overlap = np.zeros((len(partition), len(today_ids)), dtype=int)
    column = {cid: k for k, cid in enumerate(today_ids)}
    for row, (_, ids) in enumerate(partition):
        for sid in ids:
            k = column.get(today_of.get(sid, ""))
            if k is not None:
                overlap[row, k] += 1
    matched: dict[int, str] = {}
    if overlap.size:
        rows, cols = linear_sum_assignment(-overlap)
        matched = {int(r): today_ids[int(c)] for r, c in zip(rows, cols) if overlap[r, c] > 0}
    by_id = data.by_id()
    used = set(today_ids)
    fresh = (f"P{n:02d}" for n in range(1, 10_000))
    clusters = []
    for row, (lead, ids) in enumerate(partition):
        members = (lead, *sorted(s for s in ids if s != lead))
        if row in matched:
            cid = matched[row]
            clusters.append(ProposedCluster(cid, names.get(cid, cid), lead, members, today_id=cid))
            continue
        cid = next(c for c in fresh if c not in used)
        used.add(cid)
        clusters.append(ProposedCluster(cid, f"{by_id[lead].name}学区", lead, members))
    taken = {c.today_id for c in clusters if c.today_id}
    retired = tuple(cid for cid in today_ids if cid not in taken)
    order = {cid: k for k, cid in enumerate(today_ids)}
    clusters.sort(key=lambda c: (c.today_id is None, order.get(c.cluster_id, 0), c.cluster_id))
    return FormationPlan(clusters=tuple(clusters), retired=retired)
