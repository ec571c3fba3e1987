"""Building the rotation input from bundle-shaped tables (typed by bundle.validate, or raw text)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bundle.validate import load_bundle
from scheduling.rotation import Pin, RotationPolicy, rotation_input_from_tables

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini_bundle"


@pytest.fixture(scope="module")
def tables():
    return load_bundle(MINI)


def test_typed_bundle_tables(tables):
    data = rotation_input_from_tables(tables, 2025)
    assert {s.school_id for s in data.schools} == {"S1", "S2", "S3", "S4", "S5"}
    s1 = data.school("S1")
    assert s1.is_lead and s1.tier == "quality" and s1.grades == (3, 4)  # grades of its classes
    t01 = data.teacher("T01")
    assert t01.backbone and t01.volunteer and t01.grades == (3, 4) and t01.has_home
    t02 = data.teacher("T02")
    assert t02.last_rotation_year == 2019 and not t02.has_home
    assert data.teacher("T12").famous and data.teacher("T12").role == "principal"
    assert sum(n.posts for n in data.needs) == 3


def test_grades_come_from_teachers_and_their_classes(tables):
    teachers = tables["teachers"].copy()
    teachers["grades"] = [[] for _ in range(len(teachers))]  # only class_teachers says who teaches what
    data = rotation_input_from_tables({**tables, "teachers": teachers}, 2025)
    assert data.teacher("T01").grades == (3, 4)
    assert data.teacher("T05").grades == (3,)
    assert data.teacher("T12").grades == ()


def test_one_cluster(tables):
    data = rotation_input_from_tables(tables, 2025, "C2")
    assert {s.school_id for s in data.schools} == {"S4", "S5"}
    assert {t.school_id for t in data.teachers} == {"S4", "S5"}
    assert [(n.school_id, n.subject, n.grade) for n in data.needs] == [("S5", "math", 8)]
    with pytest.raises(ValueError, match="no schools"):
        rotation_input_from_tables(tables, 2025, "C9")


def test_cross_cluster_policy_needs_the_whole_district(tables):
    with pytest.raises(ValueError, match="cross-cluster"):
        rotation_input_from_tables(tables, 2025, "C1", RotationPolicy().replace(scope={"cross_cluster": True}))


def test_raw_text_tables_as_read_from_csv():
    text = {name: pd.read_csv(MINI / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("schools", "teachers", "classes", "class_teachers", "needs")}
    text["teachers"].loc[0, "backbone"] = "是"
    text["needs"] = pd.concat([text["needs"], pd.DataFrame([{"school_id": "S3", "subject": "Chinese", "grade": "3",
                                                              "posts": "2"}])])
    data = rotation_input_from_tables(text, 2025)
    assert data.teacher("T01").backbone
    assert data.teacher("T02").last_rotation_year == 2019 and data.teacher("T03").last_rotation_year is None
    assert {(n.school_id, n.subject, n.grade): n.posts for n in data.needs}[("S3", "chinese", 3)] == 3


def test_distances_table_overrides_great_circle(tables):
    distances = pd.DataFrame([{"from_id": "S1", "to_id": "S3", "km": 55.0, "minutes": 70}])
    data = rotation_input_from_tables({**tables, "distances": distances}, 2025)
    assert data.distances[("S1", "S3")] == 55.0


def test_unknown_references_are_errors(tables):
    with pytest.raises(ValueError, match="unknown teacher"):
        rotation_input_from_tables(tables, 2025, pins=[Pin("T99", "S3")])


def test_one_way_distance_row_counts_both_ways_and_a_reverse_row_keeps_its_own(tables):
    from domain.geo import haversine_km
    from scheduling.rotation.rules import Distances

    one_way = pd.DataFrame([{"from_id": "S1", "to_id": "S3", "km": 55.0, "minutes": 70}])
    data = rotation_input_from_tables({**tables, "distances": one_way}, 2025)
    distances = Distances(data)
    assert distances.schools_km("S1", "S3") == distances.schools_km("S3", "S1") == 55.0
    homeless = next(t for t in data.teachers if t.school_id == "S3" and not t.has_home)
    assert distances.teacher_km(homeless, "S1") == 55.0  # teacher_km: from the teacher's school
    s2, s4 = data.school("S2"), data.school("S4")
    assert distances.schools_km("S2", "S4") == pytest.approx(haversine_km(s2.lat, s2.lon, s4.lat, s4.lon))

    both = pd.DataFrame([{"from_id": "S1", "to_id": "S3", "km": 55.0, "minutes": 70},
                         {"from_id": "S3", "to_id": "S1", "km": 61.0, "minutes": 80}])
    distances = Distances(rotation_input_from_tables({**tables, "distances": both}, 2025))
    assert (distances.schools_km("S1", "S3"), distances.schools_km("S3", "S1")) == (55.0, 61.0)
