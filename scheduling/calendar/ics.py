"""iCalendar feeds (RFC 5545) written by hand: the few lines a subscribed phone calendar needs.

One VCALENDAR per school or teacher, times in Asia/Shanghai with its VTIMEZONE (China has kept
UTC+8 without daylight saving since 1991), CRLF line ends, text escaped (backslash, semicolon,
comma, newline) and lines folded at 75 octets without splitting a UTF-8 character. The tests read
every feed back with the `icalendar` package.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TZID = "Asia/Shanghai"
VTIMEZONE = ("BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0800",
             "TZOFFSETTO:+0800", "TZNAME:CST", "END:STANDARD", "END:VTIMEZONE")


@dataclass(frozen=True)
class Event:
    uid: str
    start: dt.datetime  # local time in Asia/Shanghai
    end: dt.datetime
    summary: str
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"  # CONFIRMED, CANCELLED
    category: str = ""


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Content lines longer than 75 octets continue on the next line after CRLF and a space (§3.1)."""
    if len(line) <= 25 or len(line.encode("utf-8")) <= 75:
        return line
    out, current, size = [], "", 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def _local(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def calendar_text(events: Iterable[Event], name: str, stamp: dt.datetime | None = None) -> str:
    stamp = (stamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//xuequ//activity calendar//ZH", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}", f"X-WR-TIMEZONE:{TZID}", *VTIMEZONE]
    seen: set[str] = set()
    body = []
    for e in sorted(events, key=lambda e: (e.start, e.uid)):
        if e.uid in seen:
            continue
        seen.add(e.uid)
        body.append(event_text(e, stamp))
    head = "".join(fold(line) + "\r\n" for line in lines)
    return head + "".join(body) + "END:VCALENDAR\r\n"


_RENDERED: dict[tuple[Event, dt.datetime], str] = {}


def event_text(e: Event, stamp: dt.datetime) -> str:
    """One VEVENT, folded, with CRLF line ends (kept: an activity is in many teachers' feeds)."""
    found = _RENDERED.get((e, stamp))
    if found is not None:
        return found
    lines = ["BEGIN:VEVENT", f"UID:{escape(e.uid)}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
             f"DTSTART;TZID={TZID}:{_local(e.start)}", f"DTEND;TZID={TZID}:{_local(e.end)}",
             f"SUMMARY:{escape(e.summary)}"]
    if e.location:
        lines.append(f"LOCATION:{escape(e.location)}")
    if e.description:
        lines.append(f"DESCRIPTION:{escape(e.description)}")
    if e.category:
        lines.append(f"CATEGORIES:{escape(e.category)}")
    lines += [f"STATUS:{e.status}", "END:VEVENT"]
    text = "".join(fold(line) + "\r\n" for line in lines)
    if len(_RENDERED) > 200_000:
        _RENDERED.clear()
    _RENDERED[(e, stamp)] = text
    return text


def write_calendar(path: str | Path, events: Iterable[Event], name: str, stamp: dt.datetime | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(calendar_text(events, name, stamp).encode("utf-8"))
    return path
