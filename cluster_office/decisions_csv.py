"""decisions.csv (FORMATS.md "The cluster office's year"; cluster_office/FORMAT.md): read and write.

Reading checks every row and reports each problem with file, row and column (bundle.problems); a
file with any problem is refused as a whole, so minutes are never half recorded."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from bundle.cells import cell_text, safe_frame
from bundle.problems import BundleError, Problem
from cluster_office.meetings import DECISION_STATES, DecisionRecord

DECISION_COLUMNS = ("meeting_id", "decision_id", "date", "text", "host_school_id", "assisting_school_ids", "due",
                    "status", "reason")
SYNONYMS = {"会议编号": "meeting_id", "决议编号": "decision_id", "日期": "date", "决议": "text", "决议内容": "text",
            "主办学校": "host_school_id", "协助学校": "assisting_school_ids", "完成期限": "due", "期限": "due",
            "状态": "status", "原因": "reason"}
STATE_SYNONYMS = {"进行中": "open", "未完成": "open", "已完成": "done", "完成": "done", "逾期": "late"}
REQUIRED = ("text", "host_school_id", "due")


def read_decisions(path: Path | str, *, meeting_id: str, meeting_date: dt.date, cluster_schools: set[str],
                   school_names: dict[str, str] | None = None) -> list[DecisionRecord]:
    """The decisions of one meeting's minutes. `meeting_id` may be empty in the file (it is this
    meeting); ids may be empty (numbered M-1, M-2 …); schools are ids, or names of the cluster's schools."""
    path = Path(path)
    name = path.name
    by_name = {v: k for k, v in (school_names or {}).items() if k in cluster_schools}
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise BundleError([Problem(name, None, None, f"找不到文件 {path}", f"file not found: {path}")]) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise BundleError([Problem(name, None, None, f"无法读取：请保存为 UTF-8 编码的 CSV（{type(error).__name__}）",
                                   f"cannot be read: save it as UTF-8 CSV ({type(error).__name__})")]) from None
    frame = frame.rename(columns={c: SYNONYMS.get(c.strip(), c.strip()) for c in frame.columns})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BundleError([Problem(name, 1, c, f"缺少列 {c}（表头须有 {', '.join(DECISION_COLUMNS)}）",
                                   f"missing column {c} (the header needs {', '.join(DECISION_COLUMNS)})")
                           for c in missing])
    problems: list[Problem] = []
    out: list[DecisionRecord] = []
    seen: set[str] = set()
    number = 0  # the decision's place in the minutes (blank lines skipped): its id when none is given

    def school(value: str, row: int, column: str) -> str | None:
        value = value.strip()
        if value in cluster_schools:
            return value
        if value in by_name:
            return by_name[value]
        problems.append(Problem(name, row, column, f"{value!r} 不是本学区的学校（填学校编号或校名）",
                                f"{value!r} is not a school of this cluster (give a school id or name)"))
        return None

    for index, raw in enumerate(frame.to_dict("records")):
        row = index + 2  # the header is row 1
        get = {k: cell_text(v) for k, v in raw.items()}
        if not any(get.get(c, "") for c in DECISION_COLUMNS):
            continue  # a blank line
        given_meeting = get.get("meeting_id", "")
        if given_meeting and given_meeting != meeting_id:
            problems.append(Problem(name, row, "meeting_id", f"会议编号 {given_meeting} 不是本次会议 {meeting_id}",
                                    f"meeting {given_meeting} is not this meeting {meeting_id}"))
        number += 1
        decision_id = get.get("decision_id", "") or f"{meeting_id}-{number}"
        if decision_id in seen:
            problems.append(Problem(name, row, "decision_id", f"决议编号 {decision_id} 重复",
                                    f"decision id {decision_id} appears twice"))
        seen.add(decision_id)
        text = get.get("text", "")
        if not text:
            problems.append(Problem(name, row, "text", "决议内容为空", "the decision's text is empty"))
        host = school(get.get("host_school_id", ""), row, "host_school_id") if get.get("host_school_id") else None
        if not get.get("host_school_id"):
            problems.append(Problem(name, row, "host_school_id", "每项决议须明确主办学校",
                                    "every decision names its host school (主办学校)"))
        assisting = []
        for part in [p for p in get.get("assisting_school_ids", "").replace("；", ";").split(";") if p.strip()]:
            found = school(part, row, "assisting_school_ids")
            if found is not None and found != host:
                assisting.append(found)
        due = _date(get.get("due", ""), name, row, "due", problems)
        if due is not None and due < meeting_date:
            problems.append(Problem(name, row, "due", f"完成期限 {due} 早于会议日期 {meeting_date}",
                                    f"deadline {due} is before the meeting's date {meeting_date}"))
        date = _date(get.get("date", ""), name, row, "date", problems, required=False) or meeting_date
        status = STATE_SYNONYMS.get(get.get("status", ""), get.get("status", "") or "open")
        if status not in DECISION_STATES:
            problems.append(Problem(name, row, "status", f"状态 {status!r} 无效：open、done 或 late",
                                    f"status {status!r} is not open, done or late"))
        reason = get.get("reason", "")
        if status == "late" and not reason:
            problems.append(Problem(name, row, "reason", "逾期的决议须说明原因", "a late decision needs a reason"))
        if host is not None and due is not None:
            out.append(DecisionRecord(decision_id, meeting_id, date, text, host, tuple(dict.fromkeys(assisting)), due,
                                      status, reason))
    if not out and not problems:
        problems.append(Problem(name, None, None, "没有决议行", "no decision rows"))
    if problems:
        raise BundleError(problems)
    return out


def _date(value: str, file: str, row: int, column: str, problems: list[Problem], *,
          required: bool = True) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            problems.append(Problem(file, row, column, "须填日期（YYYY-MM-DD）", "a date is needed (YYYY-MM-DD)"))
        return None
    try:
        return dt.date.fromisoformat(value.replace("/", "-"))
    except ValueError:
        problems.append(Problem(file, row, column, f"{value!r} 不是日期（YYYY-MM-DD）",
                                f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def decisions_frame(decisions: list[DecisionRecord]) -> pd.DataFrame:
    rows = [{"meeting_id": d.meeting_id, "decision_id": d.decision_id, "date": d.date.isoformat(), "text": d.text,
             "host_school_id": d.host_school_id, "assisting_school_ids": ";".join(d.assisting_school_ids),
             "due": d.due.isoformat() if d.due else "", "status": d.status, "reason": d.reason} for d in decisions]
    return pd.DataFrame(rows, columns=list(DECISION_COLUMNS))


def write_decisions_csv(decisions: list[DecisionRecord], path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(decisions_frame(decisions)).to_csv(path, index=False, encoding="utf-8-sig")
    return path
