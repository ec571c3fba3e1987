"""Joint-exam logistics (联考监考与阅卷安排): invigilation and marking assignments, CP-SAT.

Pure functions from plain typed inputs to plain typed results (no database, no Prefect).
"""
