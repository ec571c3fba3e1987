"""End to end: a generated district goes through import and export unchanged, on both databases."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def files_of(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(folder.glob("*.csv"))}


def test_generate_export_import_export_gives_identical_files(tmp_path, db_url, postgres_database):
    generated = tmp_path / "generated"
    assert runner.invoke(app, ["demo-data", "--out", str(generated), "--schools", "8", "--seed", "5"]).exit_code == 0
    first_db = f"sqlite:///{tmp_path / 'first.db'}"
    result = runner.invoke(app, ["import", str(generated), "--db", first_db])
    assert result.exit_code == 0, result.output
    exported = tmp_path / "exported"
    assert runner.invoke(app, ["export", str(exported), "--db", first_db]).exit_code == 0

    # into a fresh database (SQLite or PostgreSQL), and out again
    result = runner.invoke(app, ["import", str(exported), "--db", db_url])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again"
    assert runner.invoke(app, ["export", str(again), "--db", db_url]).exit_code == 0

    assert files_of(exported) == files_of(again)
    assert files_of(generated) == files_of(exported)  # the generator writes exactly what an export writes
    assert len(files_of(again)) == len(files_of(generated)) >= 13

    reimport = runner.invoke(app, ["import", str(again), "--db", db_url])
    assert "0 row(s) changed" in reimport.output


def test_workbook_bundle_round_trip(tmp_path):
    workbook = tmp_path / "district.xlsx"
    assert runner.invoke(app, ["demo-data", "--out", str(workbook), "--schools", "4", "--seed", "2"]).exit_code == 0
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(workbook), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "out.xlsx"), "--db", db]).exit_code == 0
    db2 = f"sqlite:///{tmp_path / 'y.db'}"
    assert runner.invoke(app, ["import", str(tmp_path / "out.xlsx"), "--db", db2]).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "a"), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "b"), "--db", db2]).exit_code == 0
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
