"""Statistics and reports of joint exams: pure pandas/numpy (no database, no Prefect)."""
