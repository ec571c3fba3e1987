import pandas as pd
import pytest

from scheduling.exam_logistics import InvigilationPolicy, MarkingPolicy, invigilation_input_from_tables, marking_input_from_tables
from scheduling.exam_logistics.tables import item_groups_from_bank


def _tables():
    schools = pd.DataFrame({"school_id": ["A", "B", "C"], "name": ["甲校", "乙校", "丙校"], "cluster_id": ["K", "K", "L"],
                            "is_lead": ["1", "0", "1"], "stage": "junior", "locality": ["urban", "rural", "urban"],
                            "tier": "ordinary", "lat": [34.5, 34.55, 35.5], "lon": [113.0, 113.05, 114.0], "hardship": 0})
    teachers = pd.DataFrame({"teacher_id": ["t1", "t2", "t3", "t4"], "name": ["张", "李", "王", "赵"],
                             "school_id": ["A", "A", "B", "C"], "subject": ["math", "Chinese", "pe", "math"],
                             "grades": ["9", "8;9", [9], ""], "role": ["teacher", "leader", "teacher", "teacher"],
                             "backbone": ["1", "0", True, "否"], "teaching_years": ["12", 3, 7, None]})
    rooms = pd.DataFrame({"school_id": ["A", "A", "A", "B", "B", "C"], "room_id": ["1", "2", "3", "1", "2", "1"],
                          "capacity": [30, 40, 30, 30, 30, 30]})
    classes = pd.DataFrame({"class_id": ["A9", "A8", "B9", "C9"], "school_id": ["A", "A", "B", "C"],
                            "grade": [9, 8, 9, 9], "size": [65, 40, 20, 10]})
    students = pd.DataFrame({"student_id": [f"s{i}" for i in range(65 + 40 + 20 + 10)],
                             "class_id": ["A9"] * 65 + ["A8"] * 40 + ["B9"] * 20 + ["C9"] * 10,
                             "school_id": ["A"] * 105 + ["B"] * 20 + ["C"] * 10})
    sessions = pd.DataFrame({"exam_id": ["X", "X", "Y"], "grade": [9, 9, 9], "session_id": ["E1", "E2", "E1"],
                             "subject": ["chinese", "math", "chinese"], "date": ["2025-01-14"] * 3,
                             "start": ["08:30", "14:30", "08:30"], "end": ["10:30", "16:30", "10:30"]})
    unav = pd.DataFrame({"teacher_id": ["t1", "t2", "t3"], "date": ["2025-01-14", "2025-01-14", "2025-01-15"],
                         "session_id": [None, "E2", ""]})
    exams = pd.DataFrame({"exam_id": ["X", "Y"], "cluster_id": ["K", None]})
    return {"schools": schools, "teachers": teachers, "rooms": rooms, "classes": classes, "students": students,
            "exam_sessions": sessions, "unavailability": unav, "exams": exams}


def test_invigilation_input_from_raw_and_typed_cells():
    d = invigilation_input_from_tables(_tables(), "X", InvigilationPolicy())
    assert [s.school_id for s in d.schools] == ["A", "B"]  # exam X belongs to cluster K
    assert {t.teacher_id for t in d.teachers} == {"t1", "t2", "t3"}
    assert d.candidates == {("A", 9): 65, ("B", 9): 20}  # students of grade-9 classes only
    t = d.teacher_by_id
    assert t["t1"].backbone and t["t1"].teaching_years == 12 and t["t1"].grades == (9,)
    assert t["t2"].subject == "chinese" and t["t2"].grades == (8, 9) and not t["t2"].backbone
    assert t["t1"].unavailable_dates == frozenset({"2025-01-14"})
    assert t["t2"].unavailable_sessions == frozenset({"E2"}) and not t["t2"].unavailable_dates
    assert d.school_by_id["A"].is_lead and d.school_by_id["B"].rural


def test_class_teachers_add_grades_taught():
    tables = _tables()
    tables["class_teachers"] = pd.DataFrame({"class_id": ["A8"], "subject": ["pe"], "teacher_id": ["t1"]})
    d = invigilation_input_from_tables(tables, "X")
    assert d.teacher_by_id["t1"].grades == (8, 9)


def test_fewest_rooms_that_seat_the_candidates():
    d = invigilation_input_from_tables(_tables(), "X")
    # 65 candidates at A: the 40-seat room plus one 30-seat room (largest first, fewest rooms)
    rooms = d.session_rooms["E1", "A"]
    assert len(rooms) == 2 and sum(r.capacity for r in rooms) >= 65 and rooms[0].capacity == 40
    assert [r.room_id for r in d.session_rooms["E1", "B"]] == ["1"]
    assert not d.room_shortages


def test_room_shortage_is_reported():
    tables = _tables()
    tables["rooms"] = tables["rooms"][tables["rooms"]["school_id"] != "A"].copy()
    tables["rooms"] = pd.concat([tables["rooms"], pd.DataFrame({"school_id": ["A"], "room_id": ["1"], "capacity": [30]})])
    d = invigilation_input_from_tables(tables, "X")
    assert {(s["site"], s["candidates"], s["seats"]) for s in d.room_shortages} == {("A", 65, 30)}


def test_district_exam_without_cluster_takes_schools_with_candidates():
    d = invigilation_input_from_tables(_tables(), "Y")
    assert {s.school_id for s in d.schools} == {"A", "B", "C"}


def test_unknown_exam_raises():
    with pytest.raises(ValueError, match="no sessions"):
        invigilation_input_from_tables(_tables(), "Z")


def test_marking_input_groups_items_from_the_bank():
    tables = _tables()
    tables["items"] = pd.DataFrame({
        "item_id": ["q1", "q2", "q3", "q4", "q5"], "subject": ["math"] * 4 + ["chinese"], "grade": [9] * 5,
        "item_type": ["single_choice", "subjective", "subjective", "subjective", "subjective"],
        "max_score": [3, 6, 4, 20, 50]})
    tables["item_usage"] = pd.DataFrame({"item_id": ["q1", "q2", "q3", "q4", "q5"], "exam_id": ["X"] * 5})
    policy = MarkingPolicy(seconds_base=5, seconds_per_point=2, min_group_seconds=30)
    groups = item_groups_from_bank(tables, "X", "math", 9, policy)
    # q2 (17 s) and q3 (13 s) make a 30-s group; q4 (45 s) its own group; the choice item is not marked by hand
    assert [(g.items, g.seconds_per_script) for g in groups] == [(("q2", "q3"), 30.0), (("q4",), 45.0)]
    m = marking_input_from_tables(tables, "X", policy, hours_available=10)
    assert m.grade == 9 and set(m.subjects) == {"chinese", "math"}
    assert m.scripts == {"chinese": 85, "math": 85} and m.candidates == {"A": 65, "B": 20}
    assert m.site_school_id == "A"  # the cluster's lead school
    assert m.hours_available == 10


def test_at_most_n_groups_a_subject():
    tables = _tables()
    tables["items"] = pd.DataFrame({"item_id": ["q1", "q2", "q3"], "subject": ["math"] * 3, "grade": [9] * 3,
                                    "item_type": ["subjective"] * 3, "max_score": [20, 5, 20]})
    tables["item_usage"] = pd.DataFrame({"item_id": ["q1", "q2", "q3"], "exam_id": ["X"] * 3})
    policy = MarkingPolicy(seconds_base=5, seconds_per_point=2, min_group_seconds=10, max_groups_per_subject=2)
    groups = item_groups_from_bank(tables, "X", "math", 9, policy)
    # 45, 15, 45 s: the cheapest adjacent pair (q1+q2 = 60 s, ties go left) is merged
    assert [(g.items, g.seconds_per_script) for g in groups] == [(("q1", "q2"), 60.0), (("q3",), 45.0)]


def test_default_groups_when_the_bank_has_none():
    policy = MarkingPolicy(default_groups_per_subject=2, default_group_seconds=70)
    m = marking_input_from_tables(_tables(), "X", policy)
    assert [(g.subject, g.seconds_per_script) for g in m.groups] == [("chinese", 70.0)] * 2 + [("math", 70.0)] * 2


def test_one_way_distance_row_counts_both_ways():
    """The bug of issue 13: a row A→B once applied only from A to B in exam logistics."""
    from domain.geo import haversine_km

    tables = {**_tables(), "distances": pd.DataFrame({"from_id": ["A"], "to_id": ["B"], "km": [33.0],
                                                      "minutes": [None]})}
    d = invigilation_input_from_tables(tables, "X")
    assert d.km("A", "B") == d.km("B", "A") == 33.0
    assert d.distance_matrix[0, 1] == d.distance_matrix[1, 0] == 33.0  # rows and columns in the order of schools
    m = marking_input_from_tables(tables, "X", MarkingPolicy())
    assert m.km("B", "A") == 33.0
    everyone = {**tables, "exams": pd.DataFrame({"exam_id": ["X"], "cluster_id": [None]})}
    d = invigilation_input_from_tables(everyone, "X")  # C has no row: great-circle km
    a, c = d.school_by_id["A"], d.school_by_id["C"]
    assert d.km("C", "A") == pytest.approx(haversine_km(a.lat, a.lon, c.lat, c.lon))


def test_two_way_distance_rows_keep_each_direction_and_blank_km_is_no_row():
    tables = {**_tables(), "distances": pd.DataFrame({"from_id": ["A", "B", "A"], "to_id": ["B", "A", "C"],
                                                      "km": [33.0, 41.0, None]})}
    d = invigilation_input_from_tables({**tables, "exams": pd.DataFrame({"exam_id": ["X"], "cluster_id": [None]})},
                                       "X")
    assert (d.km("A", "B"), d.km("B", "A")) == (33.0, 41.0)
    assert d.km("A", "C") > 100  # the blank row is skipped: great-circle km, not nan
