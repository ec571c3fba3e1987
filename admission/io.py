"""The enrollment files (FORMATS.md "Enrollment and cluster formation"; admission/FORMAT.md):
applications.csv and capacities.csv in, admissions.csv, lottery.json and the bureau's lists out.

Reading goes through the bundle's one reader and validator (`bundle.io.read_table`,
`bundle.validate.parse_table`): Chinese headers, GB18030, `;` or tab separators and Excel
workbooks are accepted, and every problem names its file, row and column. The checks between the
two files (every choice and catchment school must admit in the zone, no school named twice, no 3rd
choice without a 2nd) follow; nothing runs on a file with a problem.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from admission.explain import points_text, reason
from admission.inputs import Application, Zone, ZoneSchool
from admission.lottery import METHOD, METHOD_ZH
from admission.rules import ZoneResult
from bundle.cells import cell_bool, cell_int, cell_text
from bundle.io import RawTable, read_table, write_csv
from bundle.problems import BundleError, Problem
from bundle.spec import ID_LENGTH, NAME_LENGTH, TITLE_LENGTH, Column, FileSpec
from bundle.validate import parse_table
from bundle.xlsx import Sheet, write_workbook
from domain.labels import label

MAX_POINTS = 10_000
MAX_SEATS = 100_000
LOTTERY_FORMAT = "xuequ-lottery/1"


def _column(name: str, zh: str, kind: str, en: str, zh_note: str, **kw) -> Column:
    kw.setdefault("max_length", {"id": ID_LENGTH, "str": NAME_LENGTH}.get(kind))
    return Column(name, zh, kind, en, zh_note, **kw)


APPLICATIONS = FileSpec("applications", "报名", (
    _column("applicant_id", "报名编号", "id", "Application identifier", "报名编号"),
    _column("name", "姓名", "str", "Child's name", "学生姓名"),
    _column("zone_id", "招生片区", "id", "Enrollment zone", "招生片区编号"),
    _column("home_school_id", "原地段学校", "id", "The catchment school of the family's address", "原地段所属学校编号"),
    _column("choice1", "第一志愿", "id", "1st choice school", "第一志愿学校编号"),
    _column("choice2", "第二志愿", "id", "2nd choice school; may be empty", "第二志愿学校编号，可留空", nullable=True),
    _column("choice3", "第三志愿", "id", "3rd choice school; may be empty", "第三志愿学校编号，可留空", nullable=True),
    _column("points", "积分", "float", "Points by the district's standard, before the catchment bonus",
            "按全区统一标准计算的积分（不含原地段加分）", min=0, max=MAX_POINTS),
), key=("applicant_id",), extension=True)

CAPACITIES = FileSpec("capacities", "招生计划", (
    _column("zone_id", "招生片区", "id", "Enrollment zone", "招生片区编号"),
    _column("school_id", "学校编号", "id", "School admitting in the zone", "招生学校编号"),
    _column("seats", "学位数", "int", "Seats (招生计划)", "招生计划学位数", min=0, max=MAX_SEATS),
    _column("lottery", "电脑派位", "bool", "1 where an oversubscribed school admits by computer lottery",
            "超额时是否电脑随机派位（1 是，0 或空按积分）", nullable=True, required=False),
    _column("name", "学校名称", "str", "Optional: the school's name for the notices", "可选：学校名称",
            required=False, nullable=True, max_length=TITLE_LENGTH),
), key=("zone_id", "school_id"), extension=True)

ADMISSIONS_COLUMNS = ("applicant_id", "school_id", "round", "choice_rank", "points_used", "lottery_number", "reason")
POOL_COLUMNS = ("applicant_id", "name", "home_school_id", "choice1", "choice2", "choice3", "points", "lottery_number")
CUTOFF_COLUMNS = ("zone_id", "school_id", "name", "seats", "admits_by", "round", "seats_left", "applicants",
                  "admitted", "outcome", "cutoff_points", "cutoff_number")


def _read(path: Path, spec: FileSpec, problems: list[Problem]) -> tuple[RawTable | None, pd.DataFrame | None]:
    raw, found = read_table(path, spec)
    problems += found
    if raw is None:
        return None, None
    if raw.missing_columns:
        return raw, None
    return raw, parse_table(raw, problems)


def zones_in(applications: Path, capacities: Path) -> list[str]:
    """The zones the two files name (for a form that offers them); empty when a file cannot be read."""
    found: list[Problem] = []
    names: set[str] = set()
    for path, spec in ((applications, APPLICATIONS), (capacities, CAPACITIES)):
        _, frame = _read(path, spec, found)
        if frame is not None:
            names |= {cell_text(z) for z in frame["zone_id"] if cell_text(z)}
    return sorted(names)


def load_zone(applications: Path, capacities: Path, zone_id: str | None = None,
              names: Mapping[str, str] | None = None) -> Zone:
    """The zone's schools and applications, or `BundleError` with every problem (file, row, column).

    `zone_id` None: the files must hold one zone. `names`: school names for the notices where
    capacities.csv has none (e.g. from the district's schools)."""
    problems: list[Problem] = []
    raw_apps, apps = _read(Path(applications), APPLICATIONS, problems)
    raw_caps, caps = _read(Path(capacities), CAPACITIES, problems)
    if apps is None or caps is None or raw_apps is None or raw_caps is None:
        raise BundleError(problems)
    # Cells with problems are already listed; the checks between the files go on, so every problem shows at once.
    if zone_id is None:
        zones = sorted({cell_text(z) for z in (*caps["zone_id"], *apps["zone_id"])} - {""})
        if len(zones) != 1:
            raise BundleError([Problem(raw_caps.source, None, "zone_id",
                                       f"文件中有 {len(zones)} 个片区（{'、'.join(zones[:10])}）：请指定要录取的片区",
                                       f"the files hold {len(zones)} zones ({', '.join(zones[:10])}): name the zone")])
        zone_id = zones[0]
    zone_caps = caps[caps["zone_id"] == zone_id]
    zone_apps = apps[apps["zone_id"] == zone_id]
    if zone_caps.empty and not problems:
        problems.append(Problem(raw_caps.source, None, "zone_id", f"片区 {zone_id} 没有招生计划（capacities 中无此片区的学校）",
                                f"zone {zone_id} has no school in this file"))
    if zone_apps.empty and not problems:
        problems.append(Problem(raw_apps.source, None, "zone_id", f"片区 {zone_id} 没有报名记录",
                                f"zone {zone_id} has no application in this file"))
    if zone_caps.empty or zone_apps.empty:
        raise BundleError(problems)
    names = names or {}
    schools = []
    for school_id, seats, lottery, given in zip(_texts(zone_caps["school_id"]), zone_caps["seats"].tolist(),
                                                zone_caps["lottery"].tolist(), _texts(zone_caps["name"])):
        schools.append(ZoneSchool(school_id, cell_int(seats, 0), cell_bool(lottery), given or names.get(school_id, "")))
    known = {s.school_id for s in schools}
    shown = "、".join(sorted(known)[:8])
    parsed: list[Application] = []
    columns = [_texts(zone_apps[c]) for c in ("applicant_id", "name", "home_school_id", "choice1", "choice2", "choice3")]
    points = zone_apps["points"].astype("float64").fillna(0.0).tolist()
    for position, applicant_id, name, home, *wanted, own_points in zip(zone_apps.index, *columns, points):
        if home and home not in known:
            problems.append(Problem(raw_apps.source, raw_apps.rows[position], "home_school_id",
                                    f"原地段学校 {home} 不是片区 {zone_id} 的招生学校（{shown}）",
                                    f"catchment school {home} does not admit in zone {zone_id}"))
        choices = _choices(wanted, known, zone_id, shown)
        for column, zh, en in choices[1]:
            problems.append(Problem(raw_apps.source, raw_apps.rows[position], column, zh, en))
        parsed.append(Application(applicant_id, name, home, choices[0], own_points))
    if problems:
        raise BundleError(sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "")))
    return Zone(zone_id, tuple(schools), tuple(parsed))


def _texts(series: pd.Series) -> list[str]:
    """A parsed text column as plain strings, blank for a missing cell."""
    return ["" if value is None or value != value else str(value) for value in series.astype(object).tolist()]


def _choices(wanted: list[str], known: set[str], zone_id: str, shown: str
             ) -> tuple[tuple[str, ...], list[tuple[str, str, str]]]:
    """A family's choices in order, and what is wrong with them as (column, 中文, English)."""
    choices: list[str] = []
    wrong: list[tuple[str, str, str]] = []
    for rank, school in enumerate(wanted, start=1):
        if not school:
            continue
        column = f"choice{rank}"
        if len(choices) < rank - 1:
            wrong.append((column, f"第{rank - 1}志愿为空时不能填第{rank}志愿", f"choice {rank} given without choice {rank - 1}"))
        if school not in known:
            wrong.append((column, f"学校 {school} 不是片区 {zone_id} 的招生学校（{shown}）",
                          f"school {school} does not admit in zone {zone_id}"))
        elif school in choices:
            wrong.append((column, f"学校 {school} 已在前面的志愿中填过", f"school {school} is already an earlier choice"))
        choices.append(school)
    return tuple(choices), wrong


# --- writing ---

def admissions_frame(result: ZoneResult, lang: str = "zh") -> pd.DataFrame:
    """admissions.csv: one row per family, in the order of the applications."""
    rows = []
    for application in result.zone.applications:
        a = result.admissions[application.applicant_id]
        rows.append((a.applicant_id, a.school_id or "", a.round, a.choice_rank, a.points_used, a.lottery_number,
                     reason(result, application, lang)))
    frame = pd.DataFrame(rows, columns=list(ADMISSIONS_COLUMNS))
    frame["choice_rank"] = frame["choice_rank"].astype("Int64")
    return frame


def pool_frame(result: ZoneResult) -> pd.DataFrame:
    """The district pool (全区统筹调剂) list for the bureau."""
    pooled = {a.applicant_id for a in result.pool}
    rows = [(a.applicant_id, a.name, a.home_school_id, *(list(a.choices) + ["", "", ""])[:3], a.points,
             result.numbers[a.applicant_id]) for a in result.zone.applications if a.applicant_id in pooled]
    return pd.DataFrame(rows, columns=list(POOL_COLUMNS))


def cutoff_frame(result: ZoneResult) -> pd.DataFrame:
    """Each school and round: seats left, applicants, admitted, cut-off points or lottery number."""
    schools = {s.school_id: s for s in result.zone.schools}
    rows = []
    for r in sorted(result.rounds, key=lambda r: (r.school_id, r.round)):
        school = schools[r.school_id]
        rows.append((result.zone.zone_id, r.school_id, school.name, school.seats,
                     "lottery" if school.lottery else "points", r.round, r.seats_left, r.applicants, r.admitted,
                     r.outcome, r.cutoff_points, r.cutoff_number))
    frame = pd.DataFrame(rows, columns=list(CUTOFF_COLUMNS))
    frame["cutoff_number"] = frame["cutoff_number"].astype("Int64")
    return frame


def applicant_digest(applicant_ids) -> str:
    """SHA-256 of the sorted applicant ids, one per line: says which families the draw covered."""
    return hashlib.sha256("\n".join(sorted(applicant_ids)).encode("utf-8")).hexdigest()


def lottery_record(result: ZoneResult) -> dict:
    """lottery.json: enough to re-run the draw (admission/verify_draw.py)."""
    return {
        "format": LOTTERY_FORMAT,
        "zone_id": result.zone.zone_id,
        "commitment": result.commitment,
        "seed": result.seed,
        "method": METHOD,
        "method_zh": METHOD_ZH,
        "applicants": len(result.zone.applications),
        "applicant_ids_sha256": applicant_digest(a.applicant_id for a in result.zone.applications),
        "catchment_bonus": result.settings.catchment_bonus,
        "bonus_first_choice_only": result.settings.bonus_first_choice_only,
        "schools": [{"school_id": s.school_id, "seats": s.seats, "lottery": s.lottery} for s in result.zone.schools],
        "draws": [{"school_id": d.school_id, "round": d.round, "seats": d.seats, "order": list(d.order)}
                  for d in result.draws],
        "tie_breaks": [{"school_id": t.school_id, "round": t.round, "points": t.points, "seats": t.seats,
                        "order": list(t.order)} for t in result.tie_breaks],
    }


def _workbook_sheets(result: ZoneResult, admissions: pd.DataFrame, lang: str) -> list[Sheet]:
    en = lang == "en"
    schools = {s.school_id: s for s in result.zone.schools}
    names = {a.applicant_id: a.name for a in result.zone.applications}

    def school_name(school_id: object) -> str:
        return schools[school_id].label if isinstance(school_id, str) and school_id in schools else ""

    table = pd.DataFrame({
        "报名编号" if not en else "Application": admissions["applicant_id"],
        "姓名" if not en else "Name": admissions["applicant_id"].map(names),
        "录取学校" if not en else "School": admissions["school_id"].map(school_name),
        "录取方式" if not en else "Admitted by": admissions["round"].map(lambda r: label("admission_round", r, lang)),
        "志愿" if not en else "Choice": admissions["choice_rank"],
        "积分（含加分）" if not en else "Points (with bonus)": admissions["points_used"],
        "派位号" if not en else "Lottery number": admissions["lottery_number"],
        "录取说明" if not en else "Reason": admissions["reason"],
    })
    cut = cutoff_frame(result)
    cutoffs = pd.DataFrame({
        "学校" if not en else "School": cut["school_id"].map(school_name),
        "学位" if not en else "Seats": cut["seats"],
        "录取方式" if not en else "Admits by": cut["admits_by"].map(lambda v: label("admission_mode", v, lang)),
        "志愿轮次" if not en else "Round": cut["round"],
        "剩余学位" if not en else "Seats left": cut["seats_left"],
        "报名人数" if not en else "Applied": cut["applicants"],
        "录取人数" if not en else "Admitted": cut["admitted"],
        "结果" if not en else "Outcome": cut["outcome"].map(lambda v: label("admission_outcome", v, lang)),
        "录取最低积分" if not en else "Cut-off points": cut["cutoff_points"],
        "录取至派位号" if not en else "Up to lottery number": cut["cutoff_number"],
    })
    pool = pool_frame(result)
    pool_sheet = pd.DataFrame({
        "报名编号" if not en else "Application": pool["applicant_id"],
        "姓名" if not en else "Name": pool["name"],
        "原地段学校" if not en else "Catchment school": pool["home_school_id"].map(school_name),
        "第一志愿" if not en else "1st choice": pool["choice1"].map(school_name),
        "第二志愿" if not en else "2nd choice": pool["choice2"].map(school_name),
        "第三志愿" if not en else "3rd choice": pool["choice3"].map(school_name),
        "积分" if not en else "Points": pool["points"],
        "派位号" if not en else "Lottery number": pool["lottery_number"],
    })
    notes = (("派位记录" if not en else "The draw"),
             (f"片区 {result.zone.zone_id}" if not en else f"zone {result.zone.zone_id}"),
             ("承诺值（开奖前公布）：" if not en else "commitment (published before the draw): ") + result.commitment,
             ("种子（开奖后公布）：" if not en else "seed (published after the draw): ") + result.seed,
             ("方法：" + METHOD_ZH) if not en else ("method: " + METHOD))
    draws = pd.DataFrame(
        [(school_name(d.school_id), d.round, d.seats, position, applicant, result.numbers[applicant], position <= d.seats)
         for d in result.draws for position, applicant in enumerate(d.order, start=1)],
        columns=["学校", "志愿轮次", "学位", "顺序", "报名编号", "派位号", "录取"] if not en else
        ["School", "Round", "Seats", "Position", "Application", "Lottery number", "Admitted"])
    return [Sheet("录取结果" if not en else "admissions", table, formats={"录取说明": "wrap", "Reason": "wrap"},
                  widths={"录取说明": 90, "Reason": 90}),
            Sheet("各校录取情况" if not en else "schools", cutoffs),
            Sheet("统筹调剂名单" if not en else "district pool", pool_sheet),
            Sheet("派位记录" if not en else "draw", draws, notes=notes)]


VERIFY_SCRIPT = Path(__file__).with_name("verify_draw.py")
OUTPUT_FILES = ("admissions.csv", "lottery.json", "pool.csv", "cutoffs.csv", "admissions.xlsx", "verify_draw.py")


def write_outputs(result: ZoneResult, out: Path, lang: str = "zh", extra: Mapping[str, pd.DataFrame] | None = None
                  ) -> list[Path]:
    """admissions.csv, lottery.json, pool.csv, cutoffs.csv, admissions.xlsx and a copy of verify_draw.py
    into `out`, written beside it first and moved in only when all are done (nothing half written)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    admissions = admissions_frame(result, lang)
    with tempfile.TemporaryDirectory(prefix=".enrollment-", dir=out) as folder:
        work = Path(folder)
        write_csv(admissions, work / "admissions.csv", ADMISSIONS_COLUMNS)
        (work / "lottery.json").write_text(json.dumps(lottery_record(result), ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
        write_csv(pool_frame(result), work / "pool.csv", POOL_COLUMNS)
        write_csv(cutoff_frame(result), work / "cutoffs.csv", CUTOFF_COLUMNS)
        write_workbook(work / "admissions.xlsx", _workbook_sheets(result, admissions, lang))
        shutil.copyfile(VERIFY_SCRIPT, work / "verify_draw.py")
        names = list(OUTPUT_FILES)
        for name, frame in (extra or {}).items():
            write_csv(frame, work / name, tuple(frame.columns))
            names.append(name)
        for name in names:
            os.replace(work / name, out / name)
    return [out / name for name in names]


def cutoff_summary(result: ZoneResult) -> list[dict]:
    """Per school, for a page: seats, how it admits, admitted, and each round's outcome in numbers."""
    rows = []
    for school in result.zone.schools:
        rounds = []
        for number in (1, 2, 3):
            r = result.round_at(school.school_id, number)
            if r is None:
                continue
            rounds.append({"round": number, "seats_left": r.seats_left, "applicants": r.applicants,
                           "admitted": r.admitted, "outcome": r.outcome,
                           "cutoff_points": None if r.cutoff_points is None else points_text(r.cutoff_points),
                           "cutoff_number": r.cutoff_number})
        rows.append({"school_id": school.school_id, "name": school.label, "seats": school.seats,
                     "lottery": school.lottery, "admitted": result.admitted_at(school.school_id), "rounds": rounds})
    return rows
