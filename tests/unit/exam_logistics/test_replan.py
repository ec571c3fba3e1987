"""Replanning keeps what it can: a forbid or a pin changes a handful of rows, not the whole plan."""
from collections import Counter

import pytest

from scheduling.exam_logistics import (Forbid, InvigilationPolicy, Pin, diff_plans, invigilation_input_from_tables,
                                       plan_invigilation, validate_invigilation)


@pytest.fixture(scope="module")
def cluster_plan(district_tables):
    cluster = sorted(district_tables["schools"]["cluster_id"].unique())[1]
    ids = district_tables["schools"][district_tables["schools"]["cluster_id"] == cluster]["school_id"].tolist()
    data = invigilation_input_from_tables(district_tables, "EX-D", school_ids=ids)
    policy = InvigilationPolicy()
    res = plan_invigilation(data, policy, time_limit_s=20)
    assert res.ok
    return data, policy, res


@pytest.mark.slow
def test_forbidding_one_teacher_changes_a_handful_of_rows(cluster_plan):
    data, policy, res = cluster_plan
    busy, load = Counter(a.teacher_id for a in res.assignments).most_common(1)[0]
    forbids = [Forbid(busy)]
    again = plan_invigilation(data, policy, time_limit_s=20, forbids=forbids, previous=res)
    assert again.ok
    assert validate_invigilation(data, policy, again.assignments, forbids=forbids,
                                 relaxations=again.relaxations) == []
    changes = diff_plans(res.assignments, again.assignments)
    # the teacher's own rows go; a few others move to fill them (and to keep the loads fair)
    assert sum(c.kind == "removed" and c.teacher_id == busy for c in changes) == load
    assert len(changes) <= 6 * load + 4, (len(changes), load, len(res.assignments))
    # without the change penalty the same replan moves far more rows
    fresh = plan_invigilation(data, policy, time_limit_s=20, forbids=forbids)
    assert len(diff_plans(res.assignments, fresh.assignments)) > len(changes)


def test_pinning_keeps_the_rest(cluster_plan):
    data, policy, res = cluster_plan
    on = {(a.teacher_id, a.session_id) for a in res.assignments}
    site_of = {a.site_school_id for a in res.assignments}
    from scheduling.exam_logistics.derive import derive

    facts = derive(data, policy)
    # a teacher with spare capacity, pinned into a session they may work at a site in use
    loads = Counter(a.teacher_id for a in res.assignments)
    pin = None
    for t in data.teachers:
        if loads.get(t.teacher_id, 0) >= facts.cap[t.teacher_id] - 1 or facts.cap[t.teacher_id] == 0:
            continue
        for e in sorted(facts.allowed[t.teacher_id]):
            days = {data.session_by_id[x].date for (tid, x) in on if tid == t.teacher_id}
            if (t.teacher_id, e) not in on and data.session_by_id[e].date not in days and facts.reachable[t.school_id]:
                pin = Pin(t.teacher_id, e)
                break
        if pin:
            break
    assert pin is not None and site_of
    again = plan_invigilation(data, policy, time_limit_s=20, pins=[pin], previous=res)
    assert again.ok
    assert validate_invigilation(data, policy, again.assignments, pins=[pin], relaxations=again.relaxations) == []
    changes = diff_plans(res.assignments, again.assignments)
    assert any(c.kind == "added" and c.teacher_id == pin.teacher_id for c in changes)
    assert len(changes) <= 8, [(c.kind, c.teacher_id, c.session_id) for c in changes]
