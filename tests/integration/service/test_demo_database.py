"""The demo starts on an empty database: a second `make demo SEED=7` must not trip over the first."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from models.db import get_engine
from service.cli import app
from service.demo_job import DemoDatabaseInUse, fresh_demo_database


def _imported(mini_bundle, db_url) -> None:
    result = CliRunner().invoke(app, ["import", str(mini_bundle), "--db", db_url])
    assert result.exit_code == 0, result.output


def _schools(db_url) -> int:
    with get_engine(db_url).connect() as connection:
        return connection.execute(text("select count(*) from school")).scalar()


def test_a_sqlite_demo_database_is_replaced(mini_bundle, tmp_path):
    url = f"sqlite:///{tmp_path / 'xuequ.db'}"
    _imported(mini_bundle, url)
    assert _schools(url) > 0
    fresh_demo_database(url)
    assert not (tmp_path / "xuequ.db").exists()


@pytest.mark.postgres
def test_a_server_database_holding_a_district_is_refused_not_wiped(mini_bundle, postgres_database):
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_database)
    _imported(mini_bundle, postgres_database)
    before = _schools(postgres_database)
    with pytest.raises(DemoDatabaseInUse, match="already holds a district"):
        fresh_demo_database(postgres_database)
    assert _schools(postgres_database) == before
    result = CliRunner().invoke(app, ["demo", "--db", postgres_database, "--schools", "8",
                                      "--out", "/tmp/xuequ-demo-refused"])
    assert result.exit_code == 2
    assert "already holds a district" in " ".join(result.output.split())
    assert _schools(postgres_database) == before
