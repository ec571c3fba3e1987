"""Plain domain vocabulary shared by every layer: no database, no Prefect, no solver."""
