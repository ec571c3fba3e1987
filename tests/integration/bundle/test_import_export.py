"""Bundles into real databases (SQLite and PostgreSQL): upsert, all-or-nothing, export."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bundle.io import write_bundle
from bundle.problems import BundleError
from bundle.validate import load_bundle
from models import AuditEntry, School, Score, Student, Teacher
from models.bundles import export_tables, import_tables
from models.db import session_scope
from tests.bundle_edits import append_row, set_cell


def import_folder(url, folder, **kwargs):
    tables = load_bundle(folder)
    with session_scope(url) as session:
        return import_tables(session, tables, **kwargs)


def snapshot(url, tmp_path, name: str) -> dict[str, str]:
    """Every exported file's text: equality means the database did not change."""
    with session_scope(url) as session:
        tables = export_tables(session)
    folder = tmp_path / name
    write_bundle(tables, folder)
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(folder.iterdir())}


def test_import_then_reimport_changes_nothing(migrated_db, mini_bundle):
    first = import_folder(migrated_db, mini_bundle)
    assert first.inserted["teachers"] == 12 and first.inserted["students"] == 6
    second = import_folder(migrated_db, mini_bundle)
    assert second.changed == 0


def test_changed_bundle_updates_what_changed(migrated_db, mini_bundle):
    import_folder(migrated_db, mini_bundle)
    set_cell(mini_bundle, "teachers.csv", 2, "years_at_school", "9")  # T01
    append_row(mini_bundle, "students.csv", {"student_id": "ST007", "class_id": "S5-8-1", "school_id": "S5"})
    report = import_folder(migrated_db, mini_bundle)
    assert report.updated["teachers"] == 1 and report.inserted["students"] == 1
    assert report.changed == 2
    with session_scope(migrated_db) as session:
        assert session.get(Teacher, "T01").years_at_school == 9
        assert session.scalar(select(func.count()).select_from(Student)) == 7


def test_rows_removed_from_the_bundle_are_deleted(migrated_db, mini_bundle):
    import_folder(migrated_db, mini_bundle)
    lines = (mini_bundle / "needs.csv").read_text().splitlines()
    (mini_bundle / "needs.csv").write_text("\n".join(lines[:-1]) + "\n")
    assert import_folder(migrated_db, mini_bundle).deleted["needs"] == 1


def test_a_bundle_can_drop_a_cluster_whose_schools_it_moves(migrated_db, mini_bundle):
    """Re-clustering (学区划分): C2 goes, its schools and its exam move to C1, in one import."""
    import_folder(migrated_db, mini_bundle)
    for row in (5, 6):  # S4, S5
        set_cell(mini_bundle, "schools.csv", row, "cluster_id", "C1")
    set_cell(mini_bundle, "schools.csv", 5, "is_lead", "0")
    set_cell(mini_bundle, "exams.csv", 2, "cluster_id", "C1")
    lines = (mini_bundle / "clusters.csv").read_text(encoding="utf-8-sig").splitlines()
    (mini_bundle / "clusters.csv").write_text("\n".join(line for line in lines if not line.startswith("C2")) + "\n",
                                              encoding="utf-8")
    report = import_folder(migrated_db, mini_bundle)
    assert report.deleted["clusters"] == 1 and report.updated["schools"] == 2
    with session_scope(migrated_db) as session:
        assert {s.cluster_id for s in session.scalars(select(School))} == {"C1"}


def test_imports_are_audited(migrated_db, mini_bundle):
    import_folder(migrated_db, mini_bundle)
    with session_scope(migrated_db) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
        assert entry.detail["inserted"]["teachers"] == 12


@pytest.mark.parametrize("file,row,column,value", [
    ("teachers.csv", 4, "school_id", "S99"),
    ("rooms.csv", 3, "capacity", "-5"),
    ("schools.csv", 2, "lat", "134"),
    ("teachers.csv", 2, "subject", "calligraphy"),
    ("classes.csv", 2, "grade", "13"),
    ("schools.csv", 3, "is_lead", "1"),  # a second lead in C1
])
def test_bad_bundle_leaves_the_database_unchanged(migrated_db, mini_bundle, tmp_path, file, row, column, value):
    import_folder(migrated_db, mini_bundle)
    before = snapshot(migrated_db, tmp_path, "before")
    set_cell(mini_bundle, "teachers.csv", 3, "name", "改名了")  # a valid change that must not land either
    set_cell(mini_bundle, file, row, column, value)
    with pytest.raises(BundleError) as caught:
        import_folder(migrated_db, mini_bundle)
    assert any(p.file == file and p.row == row and p.column == column for p in caught.value.problems)
    assert snapshot(migrated_db, tmp_path, "after") == before


def test_a_database_failure_midway_rolls_back_everything(migrated_db, mini_bundle, tmp_path):
    """A removed student who already has scores cannot be deleted: the whole import rolls back."""
    import_folder(migrated_db, mini_bundle)
    from models import Exam, Item

    with session_scope(migrated_db) as session:
        session.add(Item(item_id="I1", subject="math", grade=8, item_type="single_choice", max_score=3,
                         key="A", knowledge_area="数与代数", cognitive_level="remember", difficulty=0.7))
        session.flush()
        session.add(Score(exam_id=session.get(Exam, "E1").exam_id, student_id="ST006", item_id="I1",
                          subject="math", score=3))
    before = snapshot(migrated_db, tmp_path, "before")
    set_cell(mini_bundle, "teachers.csv", 3, "name", "改名了")
    lines = (mini_bundle / "students.csv").read_text().splitlines()
    (mini_bundle / "students.csv").write_text("\n".join(lines[:-1]) + "\n")  # drops ST006
    with pytest.raises(BundleError) as caught:
        import_folder(migrated_db, mini_bundle)
    assert "referenced" in caught.value.problems[0].message_en
    assert snapshot(migrated_db, tmp_path, "after") == before


def test_export_matches_the_imported_bundle(migrated_db, mini_bundle, tmp_path):
    import_folder(migrated_db, mini_bundle)
    exported = snapshot(migrated_db, tmp_path, "export")
    write_bundle(load_bundle(mini_bundle), tmp_path / "direct")
    direct = {p.name: p.read_text(encoding="utf-8-sig") for p in sorted((tmp_path / "direct").iterdir())}
    assert exported == direct
