"""The service layer (应用层): one module per user job, called alike by the CLI, the HTTP API, the
web console and the Prefect flows. A use case loads through `models/` repositories, calls the pure
core (`scheduling/`, `marking/`, `analysis/`), stores, and returns a typed result."""
