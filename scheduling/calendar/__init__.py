"""The cluster's activity calendar (学区活动日历): joint lesson preparation, research, training,
demonstration lessons, famous teachers' lessons and the shared facilities' term plans of use.

`plan_calendar` is the one button; see FORMAT.md in this folder for the files and README.md for the API.
"""
from .activities import Demand, Demands, build_demands
from .inputs import (CalendarInput, CalendarSchool, CalendarTeacher, Facility, FacilityRequest, LeaderDay, Pin,
                     Recorded, Unavailable, calendar_input_from_tables, teaching_days, term_dates)
from .policy import DEFAULT_POLICY_PATH, CalendarPolicy, load_calendar_policy
from .results import Activity, Booking, CalendarPlan, CalendarResult, Explanation
from .solve import plan_calendar

__all__ = [
    "Activity", "Booking", "CalendarInput", "CalendarPlan", "CalendarPolicy", "CalendarResult", "CalendarSchool",
    "CalendarTeacher", "DEFAULT_POLICY_PATH", "Demand", "Demands", "Explanation", "Facility", "FacilityRequest",
    "LeaderDay", "Pin", "Recorded", "Unavailable", "build_demands", "calendar_input_from_tables",
    "load_calendar_policy", "plan_calendar", "teaching_days", "term_dates",
]
