"""Small edits of a bundle folder for bad-input tests (row numbers as the user sees them)."""
from __future__ import annotations

import csv
from pathlib import Path


def read_rows(folder: Path, file: str) -> list[list[str]]:
    with open(folder / file, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(folder: Path, file: str, rows: list[list[str]]) -> None:
    with open(folder / file, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set the cell at a user-visible row (header = row 1) and column name."""
    rows = read_rows(folder, file)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder, file, rows)


def append_row(folder: Path, file: str, values: dict[str, str]) -> int:
    """Append a row; returns its user-visible row number."""
    rows = read_rows(folder, file)
    rows.append([values.get(column, "") for column in rows[0]])
    write_rows(folder, file, rows)
    return len(rows)


def drop_column(folder: Path, file: str, column: str) -> None:
    rows = read_rows(folder, file)
    index = rows[0].index(column)
    write_rows(folder, file, [row[:index] + row[index + 1:] for row in rows])
