"""The demo district: contract shape, referential integrity, and the county it should look like."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from bundle.io import write_bundle
from bundle.spec import INPUT_BY_NAME
from bundle.validate import load_bundle
from demo.district import DEFAULT_SCHOOLS, FRAMES, DemoSize, generate_district
from demo.layout import KM_PER_DEG_LAT
from demo.needs import eligible_for_rotation, sending_schools
from demo.policy import DemoPolicy
from domain.geo import distance_matrix_km
from domain.vocab import STAGE_GRADES, subjects_for_grade

JUNIOR_TYPE = {"junior", "nine_year"}


def _assert_frames_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


# --- shape of the contract ---

def test_same_seed_same_frames_and_other_seed_differs():
    first = generate_district(seed=3, schools=12)
    again = generate_district(seed=3, schools=12)
    _assert_frames_equal(first, again)
    other = generate_district(seed=4, schools=12)
    for name in ("schools", "teachers", "students", "items"):
        assert not first[name].equals(other[name]), name


def test_every_frame_has_exactly_the_spec_columns(district30):
    assert set(district30) == set(FRAMES)
    assert "distances" not in district30
    for name, frame in district30.items():
        assert list(frame.columns) == INPUT_BY_NAME[name].column_names, name
        assert len(frame) > 0, name


def test_values_have_the_spec_types(district30):
    for name, frame in district30.items():
        for column in INPUT_BY_NAME[name].columns:
            values = frame[column.name]
            present = values[values.notna()]
            if not column.nullable:
                assert values.notna().all(), f"{name}.{column.name} has empty cells"
            if column.kind == "id":
                assert all(isinstance(v, str) and v for v in present), f"{name}.{column.name}"
            elif column.kind == "bool":
                assert values.dtype == bool, f"{name}.{column.name}"
            elif column.kind == "grade_list":
                assert all(isinstance(v, list) and v and all(isinstance(g, int) for g in v) for v in present)
            elif column.kind == "list":
                assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in present)
            elif column.kind == "date":
                assert all(dt.date.fromisoformat(v).isoformat() == v for v in present)
            elif column.kind == "time":
                assert all(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v) for v in present)
            elif column.kind in ("int", "grade", "float"):
                numbers = pd.to_numeric(present)
                if column.min is not None:
                    assert (numbers >= column.min).all(), f"{name}.{column.name}"
                if column.max is not None:
                    assert (numbers <= column.max).all(), f"{name}.{column.name}"
            elif column.kind == "choice" and column.choices:
                assert set(present) <= set(column.choices), f"{name}.{column.name}"


@pytest.mark.parametrize("schools", [1, 2, 5, DEFAULT_SCHOOLS])
def test_written_bundle_passes_the_validator(tmp_path, schools, district30):
    """The frames written as a CSV bundle read back without a single problem (ids, leads, grades)."""
    frames = district30 if schools == DEFAULT_SCHOOLS else generate_district(seed=2, schools=schools)
    write_bundle(frames, tmp_path)
    tables = load_bundle(tmp_path)
    for name, frame in frames.items():
        assert len(tables[name]) == len(frame), name


# --- referential integrity ---

def test_references_hold(district30):
    f = district30
    schools, teachers = f["schools"], f["teachers"]
    assert set(schools["cluster_id"]) == set(f["clusters"]["cluster_id"])
    assert set(teachers["school_id"]) <= set(schools["school_id"])
    assert set(f["rooms"]["school_id"]) == set(schools["school_id"])  # rooms at every school site
    assert set(f["needs"]["school_id"]) <= set(schools["school_id"])
    assert set(f["unavailability"]["teacher_id"]) <= set(teachers["teacher_id"])
    assert set(f["item_usage"]["item_id"]) <= set(f["items"]["item_id"])
    assert set(f["item_usage"]["exam_id"]) <= set(f["exams"]["exam_id"])
    assert set(f["exam_sessions"]["exam_id"]) <= set(f["exams"]["exam_id"])
    for frame in ("teachers", "classes", "students", "items", "clusters", "schools"):
        key = list(INPUT_BY_NAME[frame].key)
        assert not f[frame].duplicated(key).any(), frame


def test_class_teachers_teach_their_subject_at_their_school(district30):
    f = district30
    ct = f["class_teachers"].merge(f["classes"], on="class_id", how="left", validate="many_to_one")
    ct = ct.merge(f["teachers"], on="teacher_id", how="left", suffixes=("", "_t"), validate="many_to_one")
    assert ct["school_id"].notna().all() and ct["school_id_t"].notna().all()
    assert (ct["school_id"] == ct["school_id_t"]).all()
    assert (ct["subject"] == ct["subject_t"]).all()
    assert all(g in grades for g, grades in zip(ct["grade"], ct["grades"]))


def test_every_class_has_a_teacher_for_every_subject_of_its_grade(district30):
    f = district30
    taught = f["class_teachers"].groupby("class_id")["subject"].apply(set)
    for class_id, grade in zip(f["classes"]["class_id"], f["classes"]["grade"]):
        assert taught[class_id] == set(subjects_for_grade(int(grade))), class_id


def test_teacher_loads_are_one_to_three_classes_in_at_most_two_adjacent_grades(district30):
    f = district30
    load = f["class_teachers"].groupby("teacher_id").size()
    assert load.between(1, 3).all()
    assert set(load.index) == set(f["teachers"]["teacher_id"])
    for grades in f["teachers"]["grades"]:
        assert 1 <= len(grades) <= 2 and grades == sorted(grades)
        assert len(grades) == 1 or grades[1] - grades[0] == 1


def test_students_match_their_class_school_and_size(district30):
    f = district30
    school_of_class = f["classes"].set_index("class_id")["school_id"]
    students = f["students"]
    assert (students["class_id"].map(school_of_class) == students["school_id"]).all()
    counted = students.groupby("class_id").size()
    sizes = f["classes"].set_index("class_id")["size"]
    assert counted.reindex(sizes.index).fillna(0).astype(int).equals(sizes)


def test_classes_and_needs_have_grades_of_the_school_stage(district30):
    f = district30
    stage = f["schools"].set_index("school_id")["stage"]
    for frame in ("classes", "needs"):
        for school_id, grade in zip(f[frame]["school_id"], f[frame]["grade"]):
            assert grade in STAGE_GRADES[stage[school_id]], (frame, school_id, grade)


# --- clusters: 城乡统筹、强弱搭配、相对就近 ---

def test_each_cluster_has_one_quality_urban_lead_and_at_most_ten_schools(district100):
    frames, _ = district100
    schools = frames["schools"]
    for cluster_id, members in schools.groupby("cluster_id"):
        leads = members[members["is_lead"]]
        assert len(leads) == 1, cluster_id
        assert leads["tier"].iat[0] == "quality" and leads["locality"].iat[0] == "urban"
        assert 2 <= len(members) <= 10, cluster_id


def test_clusters_mix_town_and_country_and_juniors_are_led_by_junior_schools(district100):
    frames, _ = district100
    schools = frames["schools"]
    sizes = schools.groupby("cluster_id").size()
    assert sizes.between(3, 6).mean() >= 0.8  # typically 3–6 schools
    for cluster_id, members in schools.groupby("cluster_id"):
        lead = members[members["is_lead"]].iloc[0]
        assert (members["locality"] != "urban").any(), f"{cluster_id} has no township or village school"
        if members.loc[~members["is_lead"], "stage"].isin(JUNIOR_TYPE).any():
            assert lead["stage"] in JUNIOR_TYPE, f"{cluster_id}: a primary school leads junior schools"
        # strong with weak: the cluster holds a weaker school than its quality lead
        assert (members["tier"] != "quality").any(), cluster_id


def test_members_are_relatively_near_their_lead(district100):
    """Members lie in their lead's direction: nearer to their own lead than to the average lead."""
    frames, _ = district100
    schools = frames["schools"]
    leads = schools[schools["is_lead"]].set_index("cluster_id")
    rural = schools[schools["locality"] != "urban"]
    km = distance_matrix_km(rural["lat"], rural["lon"], leads["lat"], leads["lon"])
    own = km[np.arange(len(rural)), leads.index.get_indexer(rural["cluster_id"])]
    bearing_lead = np.arctan2(leads["lon"] - leads["lon"].mean(), leads["lat"] - leads["lat"].mean())
    bearing_school = np.arctan2(rural["lon"] - leads["lon"].mean(), rural["lat"] - leads["lat"].mean())
    diff = np.abs((bearing_school.to_numpy()[:, None] - bearing_lead.to_numpy()[None, :] + np.pi) % (2 * np.pi) - np.pi)
    own_diff = diff[np.arange(len(rural)), leads.index.get_indexer(rural["cluster_id"])]
    assert np.median(own_diff) < np.pi / 3  # the same direction, roughly
    assert (own <= km.mean(axis=1)).mean() > 0.8


# --- geography and tiers ---

def test_distances_are_those_of_a_county(district100):
    frames, _ = district100
    schools = frames["schools"]
    urban = schools[schools["locality"] == "urban"]
    pairs = distance_matrix_km(urban["lat"], urban["lon"])
    assert pairs.max() < 8.0
    core_lat, core_lon = urban["lat"].mean(), urban["lon"].mean()
    assert abs(core_lat - 34.5) < 0.1 and abs(core_lon - 113.0) < 0.1
    outside = schools[schools["locality"] != "urban"]
    km = distance_matrix_km(outside["lat"], outside["lon"], np.array([core_lat]), np.array([core_lon]))[:, 0]
    assert km.min() >= 20 and km.max() <= 60
    # village schools lie near a township school
    township = schools[schools["locality"] == "township"]
    rural = schools[schools["locality"] == "rural"]
    nearest = distance_matrix_km(rural["lat"], rural["lon"], township["lat"], township["lon"]).min(axis=1)
    assert np.median(nearest) < 8


def test_hardship_grows_with_remoteness(district100):
    frames, _ = district100
    schools = frames["schools"]
    assert (schools.loc[schools["locality"] == "urban", "hardship"] == 0).all()
    outside = schools[schools["locality"] != "urban"]
    assert outside["hardship"].between(1, 3).all()
    km = distance_matrix_km(outside["lat"], outside["lon"], np.array([34.5]), np.array([113.0]))[:, 0]
    assert np.corrcoef(km, outside["hardship"])[0, 1] > 0.4
    by_locality = schools.groupby("locality")["hardship"].mean()
    assert by_locality["urban"] < by_locality["township"] < by_locality["rural"]


def test_quality_schools_mostly_urban_weak_mostly_rural(district100):
    frames, _ = district100
    schools = frames["schools"]
    quality = schools[schools["tier"] == "quality"]
    weak = schools[schools["tier"] == "weak"]
    assert (quality["locality"] == "urban").mean() > 0.7
    assert (weak["locality"] != "urban").all() and (weak["locality"] == "rural").mean() > 0.5
    stages = schools["stage"].value_counts(normalize=True)
    assert stages["primary"] > 0.5 and stages["junior"] > 0.1 and 0 < stages["nine_year"] < stages["junior"]


def test_school_names_are_distinct_and_chinese(district100):
    frames, _ = district100
    names = frames["schools"]["name"]
    assert names.is_unique
    assert names.str.fullmatch(r"[\u4e00-\u9fff]+").all()
    assert names.str.contains("小学|中学|学校").all()
    assert frames["clusters"]["name"].str.fullmatch(r"城关第[一二三四五六七八九十]+学区").all()


# --- teachers ---

def test_teacher_attributes_are_realistic(district100):
    frames, _ = district100
    t = frames["teachers"]
    assert 0.15 <= t["backbone"].mean() <= 0.25
    assert 0.005 <= t["famous"].mean() <= 0.04
    assert not (t["famous"] & ~t["backbone"]).any()
    assert 0.2 <= t["volunteer"].mean() <= 0.4
    age = 2026 - t["birth_year"]
    assert age.between(22, 59).all() and age.std() > 6
    assert (t["years_at_school"] <= t["teaching_years"]).all()
    assert t["years_at_school"].between(0, 30).all() and t["years_at_school"].max() >= 25
    rotated = t["last_rotation_year"].dropna().astype(int)
    assert 0.05 < len(rotated) / len(t) < 0.3
    assert rotated.between(2026 - 8, 2026 - 1).all()
    assert ((2026 - t.loc[rotated.index, "last_rotation_year"].astype(int)) <= t.loc[rotated.index, "teaching_years"]).all()
    known = t["home_lat"].notna()
    assert 0.7 < known.mean() < 0.95 and (known == t["home_lon"].notna()).all()
    assert t["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


def test_each_school_has_one_principal_and_two_to_five_leaders(district30):
    t = district30["teachers"]
    roles = t.groupby("school_id")["role"].value_counts().unstack(fill_value=0)
    assert len(roles) == len(district30["schools"])
    assert (roles["principal"] == 1).all()
    assert roles["leader"].between(2, 5).all()


def test_homes_are_near_the_school_or_in_town(district100):
    frames, _ = district100
    t = frames["teachers"].merge(frames["schools"], on="school_id")
    t = t[t["home_lat"].notna()]
    dlat = (t["home_lat"] - t["lat"]) * KM_PER_DEG_LAT
    dlon = (t["home_lon"] - t["lon"]) * KM_PER_DEG_LAT * np.cos(np.radians(t["lat"]))
    to_school = np.hypot(dlat, dlon)
    to_town = distance_matrix_km(t["home_lat"], t["home_lon"], np.array([34.5]), np.array([113.0]))[:, 0]
    assert ((to_school <= 4.5) | (to_town <= 5.0)).all()
    rural = t["locality"] != "urban"
    commuters = (to_town[rural.to_numpy()] <= 5.0).mean()
    assert 0.15 < commuters < 0.6  # some rural teachers live in town


def test_urban_quality_schools_have_enough_teachers_for_a_quota(district100):
    frames, _ = district100
    t = frames["teachers"].merge(frames["schools"], on="school_id")
    per_school = t.groupby(["school_id", "locality", "tier"]).size().rename("n").reset_index()
    urban_quality = per_school[(per_school["locality"] == "urban") & (per_school["tier"] == "quality")]
    assert urban_quality["n"].min() >= 40  # 10% of them is at least 4 teachers
    village = per_school[per_school["locality"] == "rural"]
    assert village["n"].median() < urban_quality["n"].median() / 2
    # short-handed: a teacher at a weak school takes more classes than one at a quality school
    load = frames["class_teachers"].groupby("teacher_id").size().rename("load")
    t = t.join(load, on="teacher_id")
    by_tier = t.groupby("tier")["load"].mean()
    assert by_tier["weak"] > by_tier["quality"] + 0.1


# --- classes, rooms, students ---

def test_class_sizes_are_within_bounds(district100):
    frames, _ = district100
    classes = frames["classes"].merge(frames["schools"], on="school_id")
    rural = classes["locality"] == "rural"
    assert classes.loc[rural, "size"].between(25, 45).all()
    assert classes.loc[~rural, "size"].between(40, 50).all()


def test_rooms_seat_every_exam_grade_student(district30):
    f = district30
    grade = int(f["exam_sessions"]["grade"].iat[0])
    seats = f["rooms"].groupby("school_id")["capacity"].sum()
    sitting = f["classes"][f["classes"]["grade"] == grade].groupby("school_id")["size"].sum()
    assert (seats.reindex(sitting.index) >= sitting).all()
    assert (seats.reindex(sitting.index) < sitting + 40).all()  # about one room per 30 students
    assert (f["rooms"]["capacity"] == 30).mean() > 0.9
    assert f["rooms"].groupby("school_id").size().min() >= 1


def test_ability_follows_school_tier(district100):
    frames, _ = district100
    s = frames["students"].merge(frames["schools"][["school_id", "tier"]], on="school_id")
    means = s.groupby("tier")["ability"].mean()
    assert means["quality"] - means["weak"] > 0.4
    assert means["weak"] < means["ordinary"] < means["quality"]
    assert 0.9 < s["ability"].std() < 1.2
    class_means = s.groupby("class_id")["ability"].mean()
    assert class_means.std() > 0.15  # classes differ beyond sampling noise of ~0.15
    assert s["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


# --- needs and unavailability ---

def test_needs_are_roughly_matchable_with_some_unmatchable(district100):
    frames, _ = district100
    schools, teachers, needs = frames["schools"], frames["teachers"], frames["needs"]
    sending = set(schools.loc[sending_schools(schools), "school_id"])
    pool = teachers[teachers["school_id"].isin(sending) & eligible_for_rotation(teachers, 2026, DemoPolicy())]
    share = needs["posts"].sum() / len(pool)
    assert 0.10 <= share <= 0.15
    receiving = schools.set_index("school_id").loc[needs["school_id"]]
    # Receiving schools owe no quota: neither urban nor quality, so every posting supports a weaker school.
    assert ((receiving["tier"] != "quality") & (receiving["locality"] != "urban")).all()
    assert ((receiving["tier"] == "weak") | (receiving["locality"] == "rural")).mean() > 0.5
    assert needs["posts"].between(1, 3).all()
    supply = pool.explode("grades").groupby(["subject", "grades"]).size()
    demand = needs.groupby(["subject", "grade"])["posts"].sum()
    unmatched = demand - supply.reindex(demand.index).fillna(0)
    assert (unmatched > 0).any() and (unmatched > 0).mean() < 0.2


def test_unavailability_names_exam_days_and_sessions_and_days_of_leave_in_term(district30):
    f = district30
    un, sessions = f["unavailability"], f["exam_sessions"]
    on_exam_days = un[un["date"].isin(set(sessions["date"]))]
    assert len(on_exam_days) >= 5
    with_session = on_exam_days[on_exam_days["session_id"].notna()]
    session_date = sessions.set_index("session_id")["date"]
    assert (with_session["date"] == with_session["session_id"].map(session_date)).all()
    assert on_exam_days["session_id"].isna().any() and on_exam_days["session_id"].notna().any()
    leave = un[~un["date"].isin(set(sessions["date"]))]  # the activity calendar's days of leave: whole weekdays of term 1
    assert len(leave) >= 3 and leave["session_id"].isna().all()
    days = pd.to_datetime(leave["date"])
    assert (days.dt.dayofweek < 5).all() and days.between("2026-09-01", "2027-01-20").all()


# --- sizes ---

def test_hundred_schools_give_about_six_thousand_teachers_and_sixty_thousand_students(district100):
    frames, size = district100
    assert isinstance(size, DemoSize) and size.schools == 100
    assert 5100 <= size.teachers <= 6900
    assert 51000 <= size.students <= 69000
    assert 8 <= size.students / size.teachers <= 12
    assert size.seconds < 30  # a few seconds normally; generous for a loaded 2-core machine


def test_a_primary_only_district_sits_a_grade_six_exam():
    frames = generate_district(seed=1, schools=2)  # an urban lead and one township central primary
    assert set(frames["schools"]["stage"]) == {"primary"}
    sessions = frames["exam_sessions"]
    assert (sessions["grade"] == 6).all()
    assert list(sessions["subject"]) == ["chinese", "math", "english", "science"]
