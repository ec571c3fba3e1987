"""Enrollment (招生录取), the use case: files in, admissions and the published draw out.

`run_enrollment` reads applications and capacities (CSV or Excel; every problem by file, row and
column), admits the zone by the seeds' rule with the seed whose commitment was published, and
writes admissions.csv, lottery.json, the district pool list, the cut-offs, a workbook and the
verify script; with `compare_da`, the deferred-acceptance what-if beside it. The console keeps runs
in the database (`models.enrollment`): upload → publish the commitment → draw with the seed →
download; the CLI works on files alone.
"""
from __future__ import annotations

import dataclasses
import io
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from admission.deferred_acceptance import Comparison, choice_rank, compare, deferred_acceptance
from admission.inputs import RuleSettings, Zone
from admission.io import OUTPUT_FILES, cutoff_summary, load_zone, write_outputs, zones_in
from admission.lottery import SeedError, check_seed, commitment
from admission.rules import ZoneResult, admit
from app.errors import UserError
from bundle.problems import BundleError

WHATIF_FILE = "whatif_da.csv"
WHATIF_COLUMNS = ("applicant_id", "school_id_rule", "choice_rule", "school_id_da", "choice_da", "change")

__all__ = ["EnrollmentOutcome", "commit_seed", "load_zone", "run_enrollment", "verify_published", "zones_in"]


class SeedRefused(UserError):
    pass


def commit_seed(seed: str) -> tuple[str, str]:
    """(the seed as hashed, its commitment); a seed too short to keep secret is refused in words."""
    try:
        text = check_seed(seed)
    except SeedError as error:
        raise SeedRefused(error.en, error.zh) from None
    return text, commitment(text)


def _checked_seed(seed: str, expected_commitment: str | None) -> str:
    text, made = commit_seed(seed)
    if expected_commitment is not None and made != expected_commitment.strip().lower():
        raise SeedRefused("this seed's SHA-256 is not the published commitment: check the seed (no other seed may "
                          "be used once the commitment is published)",
                          "该种子的 SHA-256 与已公布的承诺值不符：请核对种子（承诺值公布后不能改用其他种子）")
    return text


@dataclass(frozen=True)
class EnrollmentOutcome:
    result: ZoneResult
    comparison: Comparison | None
    files: list[Path]

    @property
    def counts(self) -> Counter:
        return Counter(a.round for a in self.result.admissions.values())


def whatif_frame(result: ZoneResult, da: dict[str, str | None]) -> pd.DataFrame:
    """Each family under the seeds' rule and under deferred acceptance (choice 4 = unplaced)."""
    rows = []
    for application in result.zone.applications:
        rule_school = result.admissions[application.applicant_id].school_id
        da_school = da[application.applicant_id]
        rule, other = choice_rank(application, rule_school), choice_rank(application, da_school)
        change = "better" if other < rule else "worse" if other > rule else "same"
        rows.append((application.applicant_id, rule_school or "", rule, da_school or "", other, change))
    return pd.DataFrame(rows, columns=list(WHATIF_COLUMNS))


def admit_zone(zone: Zone, seed: str, *, compare_da: bool = False, settings: RuleSettings | None = None
               ) -> tuple[ZoneResult, Comparison | None, pd.DataFrame | None]:
    result = admit(zone, seed, settings)
    if not compare_da:
        return result, None, None
    da = deferred_acceptance(zone, result.numbers, settings)
    return result, compare(result, da), whatif_frame(result, da)


def run_enrollment(applications: Path, capacities: Path, zone_id: str | None, seed: str, out: Path, *,
                   compare_da: bool = False, lang: str = "zh", settings: RuleSettings | None = None,
                   expected_commitment: str | None = None, names: dict[str, str] | None = None) -> EnrollmentOutcome:
    """Admit one zone and write its published files into `out` (BundleError on bad input, nothing written)."""
    text = _checked_seed(seed, expected_commitment)
    zone = load_zone(applications, capacities, zone_id, names)
    result, comparison, whatif = admit_zone(zone, text, compare_da=compare_da, settings=settings)
    files = write_outputs(result, out, lang, {WHATIF_FILE: whatif} if whatif is not None else None)
    return EnrollmentOutcome(result, comparison, files)


def verify_published(folder: Path, *, applications: Path | None = None, capacities: Path | None = None,
                     announced: str | None = None) -> list[str]:
    """What does not agree in a published folder: the draw (verify_draw.py), and with the input files,
    every admission recomputed by the seeds' rule. Empty when all agrees."""
    import json

    from admission.verify_draw import read_admissions, verify

    folder = Path(folder)
    for name in ("lottery.json", "admissions.csv"):
        if not (folder / name).is_file():
            raise UserError(f"no {name} in {folder}", f"{folder} 中没有 {name}")
    problems = verify(folder, announced)
    if applications is None or capacities is None:
        return problems
    record = json.loads((folder / "lottery.json").read_text(encoding="utf-8"))
    settings = RuleSettings(record.get("catchment_bonus", 10.0), record.get("bonus_first_choice_only", False))
    zone = load_zone(applications, capacities, record["zone_id"])
    result = admit(zone, record["seed"], settings)
    published = {row["applicant_id"]: row for row in read_admissions(folder / "admissions.csv")}
    differ = []
    for applicant_id, admission in result.admissions.items():
        row = published.get(applicant_id)
        if row is None or row["school_id"] != (admission.school_id or "") or row["round"] != admission.round:
            differ.append(applicant_id)
    if differ or len(published) != len(result.admissions):
        problems.append(f"{len(differ)} admission(s) differ from the seeds' rule recomputed on the input files, "
                        f"e.g. {differ[:3]}")
    return problems


# --- the console's runs (models.enrollment) ---

@dataclass(frozen=True)
class RunView:
    run_id: int
    zone_id: str
    status: str
    applications_name: str
    capacities_name: str
    applicants: int
    schools: int
    seats: int
    commitment: str | None
    committed_by: str | None
    committed_at: object
    seed: str | None
    drawn_by: str | None
    drawn_at: object
    created_by: str
    created_at: object
    summary: dict | None


def _view(run) -> RunView:
    fields = {f.name for f in dataclasses.fields(RunView)}
    return RunView(**{name: getattr(run, name) for name in fields})


def upload_name(name: str) -> str:
    return (Path(name.replace("\\", "/")).name or "upload.csv")[:200]


def _as_file(folder: Path, stem: str, name: str, data: bytes) -> Path:
    suffix = ".xlsx" if name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = folder / f"{stem}{suffix}"
    path.write_bytes(data)
    return path


def school_names(session) -> dict[str, str]:
    """The district's school names (the notices name schools that capacities.csv leaves unnamed)."""
    from sqlalchemy import select

    from models import School

    return dict(session.execute(select(School.school_id, School.name)).tuples().all())


def _renamed(file: str, given: dict[str, str]) -> str:
    name, colon, sheet = file.partition(":")
    return given.get(name, name) + colon + sheet


def upload_run(url: str, actor: str, applications: tuple[str, bytes], capacities: tuple[str, bytes],
               zone_id: str | None = None) -> int:
    """Check the two files and keep them as a new run; `BundleError` lists every problem, nothing kept."""
    from models.db import session_scope
    from models.enrollment import add_run

    with tempfile.TemporaryDirectory(prefix="xuequ-enrollment-") as folder:
        apps = _as_file(Path(folder), "applications", applications[0], applications[1])
        caps = _as_file(Path(folder), "capacities", capacities[0], capacities[1])
        try:
            zone = load_zone(apps, caps, zone_id or None)
        except BundleError as error:  # name the files as the person uploaded them
            given = {apps.name: upload_name(applications[0]), caps.name: upload_name(capacities[0])}
            raise BundleError([dataclasses.replace(p, file=_renamed(p.file, given)) for p in error.problems]) from None
    with session_scope(url) as session:
        session.info["actor"] = actor
        run = add_run(session, zone_id=zone.zone_id, applications_name=upload_name(applications[0]),
                      applications=applications[1], capacities_name=upload_name(capacities[0]),
                      capacities=capacities[1], applicants=len(zone.applications), schools=len(zone.schools),
                      seats=sum(s.seats for s in zone.schools))
        return run.run_id


def _run_or_refuse(session, run_id: int):
    from models.enrollment import get_run

    run = get_run(session, run_id)
    if run is None:
        raise UserError(f"no enrollment run {run_id}", f"没有第 {run_id} 次招生录取")
    return run


def commit_run(url: str, actor: str, run_id: int, seed: str) -> str:
    """Publish the commitment of a seed the bureau keeps secret until the draw; the seed is not stored."""
    from models.db import session_scope
    from models.enrollment import set_commitment

    _, made = commit_seed(seed)
    with session_scope(url) as session:
        session.info["actor"] = actor
        run = _run_or_refuse(session, run_id)
        if run.status != "uploaded":
            raise UserError("the commitment of this run is already published; it cannot change",
                            "本次录取的承诺值已公布，不能更改")
        set_commitment(session, run, made)
    return made


def draw_run(url: str, actor: str, run_id: int, seed: str, lang: str = "zh") -> RunView:
    """Draw with the seed of the published commitment, admit the zone, keep the published files."""
    from models.db import session_scope
    from models.enrollment import set_drawn

    with session_scope(url) as session:
        session.info["actor"] = actor
        run = _run_or_refuse(session, run_id)
        if run.status != "committed":
            raise UserError("publish the commitment before the draw" if run.status == "uploaded"
                            else "this run is drawn already", "请先公布承诺值再派位" if run.status == "uploaded"
                            else "本次录取已完成派位")
        text = _checked_seed(seed, run.commitment)
        with tempfile.TemporaryDirectory(prefix="xuequ-enrollment-") as folder:
            apps = _as_file(Path(folder), "applications", run.applications_name, run.applications)
            caps = _as_file(Path(folder), "capacities", run.capacities_name, run.capacities)
            zone = load_zone(apps, caps, run.zone_id, school_names(session))
            result, comparison, whatif = admit_zone(zone, text, compare_da=True)
            out = Path(folder) / "out"
            files = write_outputs(result, out, lang, {WHATIF_FILE: whatif} if whatif is not None else None)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    archive.write(file, arcname=file.name)
        counts = Counter(a.round for a in result.admissions.values())
        summary = {"applicants": len(zone.applications), "pool": counts.get("pool", 0), "rounds": dict(counts),
                   "draws": len(result.draws), "tie_breaks": len(result.tie_breaks),
                   "schools": cutoff_summary(result),
                   "comparison": dataclasses.asdict(comparison) if comparison is not None else None}
        set_drawn(session, run, text, summary, buffer.getvalue())
        return _view(run)


def list_runs(url: str) -> list[RunView]:
    from models.db import session_scope
    from models.enrollment import recent_runs

    with session_scope(url) as session:
        return [_view(run) for run in recent_runs(session)]


def get_run_view(url: str, run_id: int) -> RunView:
    from models.db import session_scope

    with session_scope(url) as session:
        return _view(_run_or_refuse(session, run_id))


DOWNLOADS = OUTPUT_FILES + (WHATIF_FILE,)


def run_file(url: str, run_id: int, name: str) -> bytes:
    """One published file of a drawn run."""
    from models.db import session_scope

    if name not in DOWNLOADS:
        raise UserError(f"no file {name}", f"没有文件 {name}")
    with session_scope(url) as session:
        run = _run_or_refuse(session, run_id)
        if run.outputs is None:
            raise UserError("this run is not drawn yet", "本次录取尚未派位")
        with zipfile.ZipFile(io.BytesIO(run.outputs)) as archive:
            return archive.read(name)


def family_outcome(url: str, run_id: int, applicant_id: str) -> dict[str, str] | None:
    """One family's row of admissions.csv (with its reason), or None."""
    import csv

    text = run_file(url, run_id, "admissions.csv").decode("utf-8-sig")
    wanted = applicant_id.strip()
    for row in csv.DictReader(io.StringIO(text)):
        if row["applicant_id"] == wanted:
            return row
    return None
