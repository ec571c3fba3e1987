"""Prefect flows and tasks: thin orchestration that loads, calls, stores and reports."""
