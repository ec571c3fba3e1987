"""The validators catch broken plans (each mutation of a valid plan is reported)."""
from dataclasses import replace

import pytest

from scheduling.exam_logistics import InvigilationPolicy, Pin, Forbid, plan_invigilation, validate_invigilation
from scheduling.exam_logistics.derive import derive

from .conftest import make_instance


@pytest.fixture(scope="module")
def solved():
    data = make_instance(21, n_schools=5, teachers_per_school=(12, 15), rooms_per_school=(1, 3), radius_km=9,
                         unavailable_share=0.1)
    policy = InvigilationPolicy()
    res = plan_invigilation(data, policy, time_limit_s=20)
    assert res.ok
    assert validate_invigilation(data, policy, res.assignments) == []
    return data, policy, res.assignments


def codes(data, policy, rows, **kw):
    return {v.code for v in validate_invigilation(data, policy, rows, **kw)}


def test_removed_invigilator(solved):
    data, policy, rows = solved
    i = next(k for k, a in enumerate(rows) if a.role == "assistant")
    assert "room_staff" in codes(data, policy, rows[:i] + rows[i + 1:])
    j = next(k for k, a in enumerate(rows) if a.role == "reserve")
    assert "reserves" in codes(data, policy, rows[:j] + rows[j + 1:])


def test_own_school_and_same_school_in_room(solved):
    data, policy, rows = solved
    a = rows[0]
    own = [t for t in data.teachers if t.school_id == a.site_school_id][0]
    bad = [replace(a, teacher_id=own.teacher_id, teacher_school_id=own.school_id, distance_km=0.0)] + rows[1:]
    assert "own_school" in codes(data, policy, bad)
    chief = next(r for r in rows if r.role == "chief")
    k = next(i for i, r in enumerate(rows) if r.role == "assistant" and (r.session_id, r.site_school_id, r.room_id)
             == (chief.session_id, chief.site_school_id, chief.room_id))
    mate = next(t for t in data.teachers if t.school_id == chief.teacher_school_id and t.teacher_id != chief.teacher_id)
    bad = list(rows)
    bad[k] = replace(rows[k], teacher_id=mate.teacher_id, teacher_school_id=mate.school_id,
                     distance_km=round(data.km(mate.school_id, rows[k].site_school_id), 2))
    assert "room_schools" in codes(data, policy, bad)


def test_subject_load_day_and_unqualified_chief(solved):
    data, policy, rows = solved
    sess = data.session_by_id
    a = rows[0]
    same_subject = next(t for t in data.teachers if t.subject == sess[a.session_id].subject and t.school_id != a.site_school_id)
    bad = [replace(a, teacher_id=same_subject.teacher_id, teacher_school_id=same_subject.school_id,
                   distance_km=round(data.km(same_subject.school_id, a.site_school_id), 2))] + rows[1:]
    assert "own_subject" in codes(data, policy, bad)
    facts = derive(data, policy)
    chief = next(i for i, r in enumerate(rows) if r.role == "chief")
    junior = next((t for t in data.teachers if not facts.chief_ok[t.teacher_id]), None)
    if junior is not None:
        bad = list(rows)
        bad[chief] = replace(rows[chief], teacher_id=junior.teacher_id, teacher_school_id=junior.school_id)
        assert "chief" in codes(data, policy, bad)
    # one teacher takes every session: daily and exam limits and one site a day break
    tid = rows[0].teacher_id
    bad = [replace(r, teacher_id=tid, teacher_school_id=rows[0].teacher_school_id) for r in rows]
    got = codes(data, policy, bad)
    assert {"load_day", "load_exam", "double_booked"} <= got


def test_travel_distance_value_quota_pins_forbids(solved):
    data, policy, rows = solved
    strict = InvigilationPolicy(max_km=0.5, max_km_rural=0.5, quota_tolerance=0.0, quota_slack=0)
    got = codes(data, strict, rows)
    assert "travel" in got
    bad = [replace(rows[0], distance_km=rows[0].distance_km + 5)] + rows[1:]
    assert "distance_value" in codes(data, policy, bad)
    a = rows[0]
    assert "pin" in codes(data, policy, rows, pins=[Pin(a.teacher_id, a.session_id, role="reserve" if a.role != "reserve" else "chief")])
    assert "forbid" in codes(data, policy, rows, forbids=[Forbid(a.teacher_id)])
    assert not codes(data, policy, rows, pins=[Pin(a.teacher_id, a.session_id, a.site_school_id, a.role)],
                     forbids=[Forbid(a.teacher_id, site_school_id="nowhere")])
    # a school's quota: drop all its rows
    school = rows[0].teacher_school_id
    assert "quota" in codes(data, policy, [r for r in rows if r.teacher_school_id != school])


def test_unavailable_teacher_is_reported(solved):
    data, policy, rows = solved
    a = rows[0]
    t = data.teacher_by_id[a.teacher_id]
    data2 = replace(data, teachers=tuple(replace(x, unavailable_sessions=frozenset({a.session_id})) if x is t else x
                                          for x in data.teachers))
    assert "unavailable" in codes(data2, policy, rows)
