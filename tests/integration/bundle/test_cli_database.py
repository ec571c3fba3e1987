"""Commands outside the project folder or on an empty database say what to do, in one line,
and a read never creates xuequ.db (CliRunner in a temporary working folder, no subprocess)."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()

READS = [
    ["export", "out"],
    ["db", "tables"],
    ["season", "status", "--exam", "E1"],
    ["paper", "show", "--exam", "E1"],
    ["report", "--exam", "E1"],
    ["rotation", "plan", "--year", "2026"],
    ["invigilation", "plan", "--exam", "E1"],
    ["marking", "status", "--exam", "E1"],
    ["policy", "show", "--scope", "C1", "--year", "2026"],
]


def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "sqlalchemy" not in result.output.lower()
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a[:2]))
def test_a_read_outside_the_project_folder_says_what_to_run(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUEQU_DATABASE_URL", raising=False)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert str(tmp_path / "xuequ.db") in result.output and "xuequ db upgrade" in result.output
    assert "没有数据库" in result.output  # Chinese by default
    assert not (tmp_path / "xuequ.db").exists()  # a read creates nothing
    assert len(result.output.strip().splitlines()) <= 2


def test_english_with_lang_en(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUEQU_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["report", "--exam", "E1", "--lang", "en"])
    assert result.exit_code == 2
    assert result.output.startswith(f"no database schema at {tmp_path / 'xuequ.db'}")


def test_an_empty_database_says_run_db_upgrade(db_url, tmp_path, monkeypatch):
    """An existing but empty database (SQLite file or PostgreSQL): no schema, and upgrade fixes it."""
    monkeypatch.chdir(tmp_path)
    if db_url.startswith("sqlite"):
        (tmp_path / "test.db").touch()
    result = runner.invoke(app, ["export", "out", "--db", db_url, "--lang", "en"])
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert "no database schema at" in result.output and "xuequ db upgrade" in result.output
    assert runner.invoke(app, ["db", "upgrade", "--db", db_url]).exit_code == 0
    result = runner.invoke(app, ["export", "out", "--db", db_url])
    assert result.exit_code == 0, result.output


def test_commands_that_need_no_database_still_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUEQU_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["policy", "show"]).exit_code == 0
    assert runner.invoke(app, ["template", "t.xlsx"]).exit_code == 0
    assert not (tmp_path / "xuequ.db").exists()


def test_any_database_error_is_one_line_without_sql(migrated_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def locked(*_args, **_kwargs):
        raise OperationalError("SELECT secret_column FROM teacher", {}, Exception("database is locked"))

    monkeypatch.setattr("models.bundles.export_tables", locked)
    result = runner.invoke(app, ["export", "out", "--db", migrated_db])
    assert result.exit_code == 1
    no_traceback(result)
    assert "secret_column" not in result.output and "SELECT" not in result.output
    assert "数据库" in result.output and "OperationalError" in result.output
    assert len(result.output.strip().splitlines()) == 1
