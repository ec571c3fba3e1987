"""SQLAlchemy 2 typed ORM: the one place that knows tables."""
from models import audit  # noqa: F401  (registers the audit hook)
from models.base import Base
from models.district import (ClassTeacher, Cluster, Distance, District, Researcher, Room, School, SchoolClass,
                             Student, Teacher, TeachingNeed, Term, Unavailability)
from models.calendar import CalendarActivity, CalendarFeed, Facility, FacilityBooking, FacilityRequest
from models.enrollment import EnrollmentRun
from models.exams import Exam, ExamSession, Item, ItemUsage, Paper, PaperItem, Response, Score, SeasonStage
from models.marking import Marker, MarkingGroup, MarkingMark, MarkingScript, MarkingTask
from models.marking_quality import MarkerState, MarkingCheck, MarkingProblem, MarkingStandard, SetAsideMark
from models.meetings import AgendaItem, ExchangeLogEntry, Meeting, MeetingDecision
from models.plans import (AuditEntry, InvigilationAssignment, MarkingAssignment, Plan, PolicySet,
                          RotationAssignment)
from models.users import User

__all__ = [
    "Base", "District", "Cluster", "School", "Teacher", "Room", "SchoolClass", "ClassTeacher", "Student", "Term",
    "TeachingNeed", "Unavailability", "Distance", "Researcher", "Exam", "ExamSession", "Item", "ItemUsage",
    "Paper", "PaperItem", "Response", "Score", "SeasonStage", "PolicySet", "Plan", "RotationAssignment",
    "InvigilationAssignment", "MarkingAssignment", "AuditEntry",
    "MarkingGroup", "MarkingScript", "MarkingTask", "MarkingMark", "Marker", "User", "EnrollmentRun",
    "Meeting", "AgendaItem", "MeetingDecision", "ExchangeLogEntry",
    "CalendarActivity", "CalendarFeed", "Facility", "FacilityBooking", "FacilityRequest",
    "MarkingStandard", "MarkingCheck", "MarkerState", "MarkingProblem", "SetAsideMark",
]
