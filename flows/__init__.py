"""Prefect flows and tasks: thin orchestration that loads, calls, stores and reports."""
import os

# Set before Prefect reads its settings (at import).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no internet here: telemetry only logs errors
# The ephemeral API server starts in every process that runs a flow without a server; on a busy
# 2-core machine it can need more than Prefect's default 20 s.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
