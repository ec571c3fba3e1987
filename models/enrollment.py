"""Enrollment runs kept for the console (招生录取): the uploaded files, the published commitment, the
seed once drawn, and the published files — so the bureau can upload, publish the commitment, draw
later and download, across requests and restarts. The rules themselves are in `admission/`.

A run moves uploaded → committed → drawn and never back; each step is audited with who and when.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit import record
from models.base import Base, utcnow
from models.district import Id

STATUSES = ("uploaded", "committed", "drawn")


class EnrollmentRun(Base):
    __tablename__ = "enrollment_runs"
    run_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    zone_id: Mapped[str] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    applications_name: Mapped[str] = mapped_column(String(200))
    capacities_name: Mapped[str] = mapped_column(String(200))
    # the files as uploaded (CSV or xlsx bytes); loaded only when the draw runs
    applications: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    capacities: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    applicants: Mapped[int]
    schools: Mapped[int]
    seats: Mapped[int]
    commitment: Mapped[str | None] = mapped_column(String(64))
    committed_by: Mapped[str | None] = mapped_column(String(100))
    committed_at: Mapped[dt.datetime | None]
    seed: Mapped[str | None] = mapped_column(String(200))  # published with the results, never before
    drawn_by: Mapped[str | None] = mapped_column(String(100))
    drawn_at: Mapped[dt.datetime | None]
    summary: Mapped[dict | None]  # counts, each school's rounds and cut-offs, the what-if comparison
    outputs: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # zip of the published files
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def add_run(session: Session, *, zone_id: str, applications_name: str, applications: bytes, capacities_name: str,
            capacities: bytes, applicants: int, schools: int, seats: int) -> EnrollmentRun:
    run = EnrollmentRun(zone_id=zone_id, status="uploaded", applications_name=applications_name,
                        applications=applications, capacities_name=capacities_name, capacities=capacities,
                        applicants=applicants, schools=schools, seats=seats,
                        created_by=session.info.get("actor", "system"))
    session.add(run)
    session.flush()
    record(session, "upload", "enrollment_run", str(run.run_id),
           {"zone_id": zone_id, "applicants": applicants, "files": [applications_name, capacities_name]})
    return run


def get_run(session: Session, run_id: int) -> EnrollmentRun | None:
    return session.get(EnrollmentRun, run_id)


def recent_runs(session: Session, limit: int = 50) -> list[EnrollmentRun]:
    return list(session.scalars(select(EnrollmentRun).order_by(EnrollmentRun.run_id.desc()).limit(limit)))


def set_commitment(session: Session, run: EnrollmentRun, commitment: str) -> None:
    run.commitment, run.status = commitment, "committed"
    run.committed_by, run.committed_at = session.info.get("actor", "system"), utcnow()
    record(session, "commit", "enrollment_run", str(run.run_id), {"commitment": commitment})


def set_drawn(session: Session, run: EnrollmentRun, seed: str, summary: dict, outputs: bytes) -> None:
    run.seed, run.summary, run.outputs, run.status = seed, summary, outputs, "drawn"
    run.drawn_by, run.drawn_at = session.info.get("actor", "system"), utcnow()
    record(session, "draw", "enrollment_run", str(run.run_id),
           {"zone_id": run.zone_id, "commitment": run.commitment, "pool": summary.get("pool")})
