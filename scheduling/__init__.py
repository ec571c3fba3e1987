"""OR-Tools models: pure functions from plain typed inputs to plain typed results (no database, no Prefect)."""
