"""Password hashing and the role rules, without a database or a server."""
from __future__ import annotations

import pytest

from models.users import AccountError, Scope, check_new_password, hash_password, one_time_password, verify_password
from service.web.auth import Viewer, home_of, safe_next


def test_production_hashes_use_argon2id_with_64_mib_and_3_passes(monkeypatch):
    from argon2 import PasswordHasher

    import models.users

    assert models.users.HASHER_PARAMETERS.type.name == "ID"
    monkeypatch.setattr(models.users, "_hasher", PasswordHasher.from_parameters(models.users.HASHER_PARAMETERS))
    stored = hash_password("correct-horse-7")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, "correct-horse-7") and not verify_password(stored, "correct-horse-8")


def test_a_password_is_stored_as_a_salted_argon2id_hash_that_only_the_password_matches():
    first, second = hash_password("correct-horse-7"), hash_password("correct-horse-7")
    assert first.startswith("$argon2id$") and "correct-horse-7" not in first
    assert first != second  # a new salt each time: equal passwords do not show as equal hashes
    assert verify_password(first, "correct-horse-7") and verify_password(second, "correct-horse-7")
    assert not verify_password(first, "correct-horse-8")
    assert not verify_password(first, "")


def test_a_damaged_hash_is_a_mismatch_not_an_error():
    assert not verify_password("not-a-hash", "anything")
    assert not verify_password(hash_password("correct-horse-7")[:-6], "correct-horse-7")


def test_one_time_passwords_are_long_enough_and_never_repeat():
    issued = {one_time_password() for _ in range(200)}
    assert len(issued) == 200
    for password in issued:
        check_new_password(password)  # each is acceptable as a password itself


@pytest.mark.parametrize("password, name, word", [("short7", None, "8"), ("王老师王老师王老师", "王老师王老师王老师", "登录名")])
def test_weak_passwords_are_refused_in_words(password, name, word):
    with pytest.raises(AccountError) as refused:
        check_new_password(password, name)
    assert word in refused.value.line("zh")


BUREAU = Scope("bureau")
OFFICE_C1 = Scope("cluster", "C1")
PLANNER_C2 = Scope("planner", "C2")
DISTRICT_PLANNER = Scope("planner")
SCHOOL_S1 = Scope("school", "C1", "S1")
MARKER = Scope("marker")


@pytest.mark.parametrize("scope, school, cluster, sees", [
    (BUREAU, "S4", "C2", True), (DISTRICT_PLANNER, "S4", "C2", True),
    (OFFICE_C1, "S2", "C1", True), (OFFICE_C1, "S4", "C2", False),
    (PLANNER_C2, "S4", "C2", True), (PLANNER_C2, "S1", "C1", False),
    (SCHOOL_S1, "S1", "C1", True), (SCHOOL_S1, "S2", "C1", False), (SCHOOL_S1, "S4", "C2", False),
    (MARKER, "S1", "C1", False),
])
def test_who_sees_which_school(scope, school, cluster, sees):
    assert scope.sees_school(school, cluster) is sees


def test_a_school_sees_its_clusters_results_but_not_the_cluster_itself():
    assert not SCHOOL_S1.sees_cluster("C1")  # the cluster's schools and teachers are not its business
    assert SCHOOL_S1.sees_cluster_results("C1")  # the season and roster, as they concern it
    assert not SCHOOL_S1.sees_cluster_results("C2")
    assert not SCHOOL_S1.sees_cluster_results(None)


def test_exams_district_wide_for_every_reader_but_markers():
    for scope in (BUREAU, OFFICE_C1, PLANNER_C2, SCHOOL_S1):
        assert scope.sees_exam(None)
    assert not MARKER.sees_exam(None) and not MARKER.sees_exam("C1")
    assert OFFICE_C1.sees_exam("C1") and not OFFICE_C1.sees_exam("C2")
    assert SCHOOL_S1.sees_exam("C1") and not SCHOOL_S1.sees_exam("C2")
    assert BUREAU.sees_exam("C2")


def test_a_cluster_user_without_a_cluster_sees_no_cluster():
    assert not Scope("cluster").sees_cluster(None)
    assert not Scope("cluster").sees_cluster("C1")


def test_each_role_lands_on_its_widest_page():
    def viewer(scope):
        return Viewer(1, "x", scope.role, scope, "zh", False)

    assert home_of(viewer(BUREAU)) == "/district"
    assert home_of(viewer(OFFICE_C1)) == "/district/clusters/C1"
    assert home_of(viewer(SCHOOL_S1)) == "/district/schools/S1"
    assert home_of(viewer(MARKER)) == "/mark"


@pytest.mark.parametrize("target, kept", [("/exams/E1/season", True), ("//evil.example/x", False),
                                          ("https://evil.example/", False), ("/\\evil", False), ("", False)])
def test_after_sign_in_only_a_path_on_this_site_is_followed(target, kept):
    assert (safe_next(target) == target) is kept


def test_a_page_cannot_replace_another_pages_word_in_the_one_table():
    import pytest as _pytest

    from service.web.i18n import TEXTS, add_texts

    key = next(iter(TEXTS))
    add_texts({key: TEXTS[key]}, "same word")  # the same word twice is fine
    with _pytest.raises(ValueError, match=key):
        add_texts({key: ("另一个词", "another word")}, "a clashing page")
    assert TEXTS[key] != ("另一个词", "another word")
