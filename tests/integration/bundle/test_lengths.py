"""The validator's one table of text lengths (bundle/spec.py) matches the database columns each file lands in,
so a value the validator lets through always fits (no DataError from PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import String

from bundle.spec import INPUT_BY_NAME
from models.bundles import TABLE_OF_FILE


def _stored_columns():
    for name, model in TABLE_OF_FILE.items():
        spec = INPUT_BY_NAME[name]
        for column in spec.columns:
            if column.name in model.__table__.c:
                yield pytest.param(spec, column, model.__table__.c[column.name], id=f"{name}.{column.name}")


@pytest.mark.parametrize("spec,column,db_column", list(_stored_columns()))
def test_every_text_column_fits_its_database_column(spec, column, db_column):
    if not isinstance(db_column.type, String) or db_column.type.length is None:
        return  # Text, numbers, JSON lists: no length to respect
    limit = db_column.type.length
    if column.kind in ("choice", "subject"):
        from domain.vocab import SUBJECTS

        longest = max(len(c) for c in (SUBJECTS if column.kind == "subject" else column.choices))
        assert longest <= limit
        return
    assert column.max_length is not None, f"{spec.name}.{column.name} has no length check"
    assert column.max_length == limit, f"{spec.name}.{column.name}: validator {column.max_length}, database {limit}"
