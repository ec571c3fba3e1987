"""The data exchange contract (shared/FORMATS.md, version 2; a version 1 bundle imports as it is), as data.

Every input and export file is a `FileSpec`; its columns carry the Chinese synonym accepted on
import and a note in both languages for the template's notes sheet. Files marked `extension`
are ours (allowed by "may accept more"): the question bank, exam metadata, researchers; a bundle
may leave them out (bundle/derive.py derives the exams from exam_sessions.csv).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, LOCALITIES, ROLES, STAGES, SUBJECTS, TIERS

FORMAT_VERSION = 2


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str  # id, str, int, float, bool, list, grade_list, grade, date, time, subject, choice
    note_en: str
    note_zh: str
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # a cell may be empty
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None  # characters the database column holds (see LENGTHS); None: unlimited text


@dataclass(frozen=True)
class FileSpec:
    name: str  # file stem: "schools" for schools.csv and the sheet "schools"
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique per row; the upsert key
    required: bool = True  # the file must be in every bundle
    extension: bool = False
    note_en: str = ""
    note_zh: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# The one table of text lengths: every id is a String(64) in models/, names String(100) or (200).
# tests/integration/bundle/test_lengths.py checks each against the ORM column it lands in.
ID_LENGTH = 64
LENGTHS: dict[str, int] = {"id": ID_LENGTH, "date": 10, "time": 5, "subject": 16, "choice": 24}
NAME_LENGTH = 100  # a person's name
TITLE_LENGTH = 200  # a cluster's, school's or exam's name


def _c(name, zh, kind, en, zh_note, **kw) -> Column:
    kw.setdefault("max_length", LENGTHS.get(kind))
    return Column(name, zh, kind, en, zh_note, **kw)


SUBJECT_CHOICES = tuple(SUBJECTS)

CLUSTERS = FileSpec("clusters", "学区", (
    _c("cluster_id", "学区编号", "id", "Cluster identifier", "学区唯一编号"),
    _c("name", "学区名称", "str", "Cluster name", "学区名称", max_length=TITLE_LENGTH),
), key=("cluster_id",))

SCHOOLS = FileSpec("schools", "学校", (
    _c("school_id", "学校编号", "id", "School identifier", "学校唯一编号"),
    _c("name", "学校名称", "str", "School name", "学校名称", max_length=TITLE_LENGTH),
    _c("cluster_id", "学区编号", "id", "Cluster the school belongs to (clusters.csv)", "所属学区编号"),
    _c("is_lead", "学区长学校", "bool", "1 for the cluster's lead school; exactly one per cluster",
       "是否学区长学校（每个学区恰好一所）"),
    _c("stage", "学段", "choice", "primary, junior, nine_year or high", "学段：小学、初中、九年一贯制、高中",
       choices=tuple(STAGES)),
    _c("locality", "城乡", "choice", "urban, township or rural", "城乡类别：城区、乡镇、农村",
       choices=tuple(LOCALITIES)),
    _c("tier", "办学水平", "choice", "quality, ordinary or weak", "办学水平：优质、一般、薄弱",
       choices=tuple(TIERS)),
    _c("lat", "纬度", "float", "Latitude, WGS-84 degrees", "纬度（WGS-84）", min=-90, max=90),
    _c("lon", "经度", "float", "Longitude, WGS-84 degrees", "经度（WGS-84）", min=-180, max=180),
    _c("hardship", "艰苦程度", "int", "Hardship level 0 (none) to 3 (most remote)", "艰苦程度 0–3", min=0, max=3),
), key=("school_id",))

TEACHERS = FileSpec("teachers", "教师", (
    _c("teacher_id", "教师编号", "id", "Teacher identifier", "教师唯一编号"),
    _c("name", "姓名", "str", "Full name", "姓名", max_length=NAME_LENGTH),
    _c("school_id", "学校编号", "id", "Current school (schools.csv)", "现任教学校编号"),
    _c("subject", "学科", "subject", "Main subject: " + ", ".join(SUBJECTS), "任教学科"),
    _c("grades", "任教年级", "grade_list", "Grades taught, separated by ; (1–12)", "任教年级，用;分隔（1–12）",
       nullable=True),
    _c("role", "岗位", "choice", "teacher, leader or principal", "岗位：教师、中层干部、校长", choices=tuple(ROLES)),
    _c("backbone", "骨干", "bool", "1 for a backbone teacher (骨干教师)", "是否骨干教师"),
    _c("famous", "名师", "bool", "1 for a famous teacher (名师)", "是否名师"),
    _c("years_at_school", "本校任教年限", "int", "Years at the current school", "在本校连续任教年限", min=0, max=60),
    _c("teaching_years", "教龄", "int", "Years of teaching", "教龄", min=0, max=60),
    _c("birth_year", "出生年份", "int", "Year of birth", "出生年份", min=1940, max=2010),
    _c("volunteer", "自愿交流", "bool", "1 if the teacher applied to rotate", "是否自愿报名交流"),
    _c("last_rotation_year", "上次交流年份", "int", "Year of the last rotation; empty if never",
       "上次交流年份，从未交流则留空", nullable=True, min=1980, max=2100),
    _c("home_lat", "住址纬度", "float", "Home latitude; empty to use the school", "住址纬度，可留空",
       nullable=True, min=-90, max=90),
    _c("home_lon", "住址经度", "float", "Home longitude; empty to use the school", "住址经度，可留空",
       nullable=True, min=-180, max=180),
    _c("gender", "性别", "choice", "Optional: M or F", "可选：M 男、F 女", required=False, nullable=True,
       choices=("M", "F"), max_length=1),
), key=("teacher_id",))

ROOMS = FileSpec("rooms", "考场", (
    _c("school_id", "学校编号", "id", "School whose site holds the room", "考点学校编号"),
    _c("room_id", "考场号", "id", "Room identifier, unique within the school", "考场号（校内唯一）"),
    _c("capacity", "座位数", "int", "Seats", "座位数", min=0, max=500),
), key=("school_id", "room_id"))

CLASSES = FileSpec("classes", "班级", (
    _c("class_id", "班级编号", "id", "Class identifier", "班级唯一编号"),
    _c("school_id", "学校编号", "id", "School", "学校编号"),
    _c("grade", "年级", "grade", "Grade 1–12", "年级 1–12"),
    _c("size", "人数", "int", "Number of students", "学生人数", min=0, max=200),
), key=("class_id",))

CLASS_TEACHERS = FileSpec("class_teachers", "任课安排", (
    _c("class_id", "班级编号", "id", "Class (classes.csv)", "班级编号"),
    _c("subject", "学科", "subject", "Subject", "学科"),
    _c("teacher_id", "教师编号", "id", "Teacher (teachers.csv)", "任课教师编号"),
), key=("class_id", "subject"))

STUDENTS = FileSpec("students", "学生", (
    _c("student_id", "学籍号", "id", "Student identifier", "学籍号"),
    _c("class_id", "班级编号", "id", "Class (classes.csv)", "班级编号"),
    _c("school_id", "学校编号", "id", "School (schools.csv)", "学校编号"),
    _c("name", "姓名", "str", "Optional: name", "可选：姓名", required=False, nullable=True,
       max_length=NAME_LENGTH),
    _c("ability", "能力参数", "float", "Optional: latent ability θ (simulated data only)",
       "可选：潜在能力参数（仅模拟数据）", required=False, nullable=True, min=-10, max=10),
), key=("student_id",))

NEEDS = FileSpec("needs", "岗位需求", (
    _c("school_id", "学校编号", "id", "Receiving school", "需求学校编号"),
    _c("subject", "学科", "subject", "Subject", "学科"),
    _c("grade", "年级", "grade", "Grade 1–12", "年级"),
    _c("posts", "岗位数", "int", "Posts rotation should fill", "需交流教师填补的岗位数", min=0, max=100),
), key=("school_id", "subject", "grade"))

UNAVAILABILITY = FileSpec("unavailability", "不可安排时间", (
    _c("teacher_id", "教师编号", "id", "Teacher", "教师编号"),
    _c("date", "日期", "date", "Date YYYY-MM-DD", "日期 YYYY-MM-DD"),
    _c("session_id", "场次编号", "id", "Session; empty for the whole day", "场次编号，留空表示全天", nullable=True),
), key=("teacher_id", "date", "session_id"), required=False)

EXAM_SESSIONS = FileSpec("exam_sessions", "考试场次", (
    _c("exam_id", "考试编号", "id", "Joint exam", "联考编号"),
    _c("grade", "年级", "grade", "Grade sitting the session", "年级"),
    _c("session_id", "场次编号", "id", "Session identifier, unique within the exam", "场次编号"),
    _c("subject", "学科", "subject", "Subject", "学科"),
    _c("date", "日期", "date", "Date YYYY-MM-DD", "日期"),
    _c("start", "开始时间", "time", "Start HH:MM", "开始时间 HH:MM"),
    _c("end", "结束时间", "time", "End HH:MM", "结束时间 HH:MM"),
), key=("exam_id", "session_id"), required=False)

DISTANCES = FileSpec("distances", "距离", (
    _c("from_id", "起点学校", "id", "From school", "起点学校编号"),
    _c("to_id", "终点学校", "id", "To school", "终点学校编号"),
    _c("km", "公里", "float", "Road km; counts both ways unless a to→from row gives its own",
       "公里数；未另填反向行时，往返按同一距离", min=0, max=2000),
    _c("minutes", "分钟", "float", "Travel minutes", "车程分钟", nullable=True, min=0, max=2000),
), key=("from_id", "to_id"), required=False,
    # The one-way rule, applied by domain.geo.SchoolDistances for every planner (rotation, exam logistics).
    note_en="Road km between schools; it wins over the great-circle km of their coordinates. A row A→B "
            "also gives B→A (the same road both ways; list each pair once) unless a B→A row exists, "
            "which keeps its own km. Pairs without a row use the great-circle km.",
    note_zh="学校间道路公里数，优先于按坐标计算的球面距离。A→B 一行同时适用于 B→A（往返同一条路，每对学校填一行即可），"
            "除非另有 B→A 一行，则各按各的。未填的学校对按坐标计算球面距离。")

# --- extension files (ours) ---
EXAMS = FileSpec("exams", "考试", (
    _c("exam_id", "考试编号", "id", "Joint exam", "联考编号"),
    _c("name", "考试名称", "str", "Name", "考试名称", max_length=TITLE_LENGTH),
    _c("kind", "考试类型", "choice", "unit, midterm, final or feedback", "单元、期中、期末、反馈",
       choices=("unit", "midterm", "final", "feedback")),
    _c("school_year", "学年", "int", "School year (its first calendar year)", "学年（起始年份）", min=2000, max=2100),
    _c("term", "学期", "int", "Term 1 or 2", "学期 1 或 2", min=1, max=2),
    _c("grade", "年级", "grade", "Grade", "年级"),
    _c("cluster_id", "学区编号", "id", "Cluster; empty for a district-wide exam", "学区编号，全区联考留空",
       nullable=True),
), key=("exam_id",), required=False, extension=True)

ITEMS = FileSpec("items", "题库", (
    _c("item_id", "题目编号", "id", "Bank item identifier", "题目编号"),
    _c("subject", "学科", "subject", "Subject", "学科"),
    _c("grade", "年级", "grade", "Grade", "年级"),
    _c("item_type", "题型", "choice", ", ".join(ITEM_TYPES), "题型：单选、多选、填空、主观", choices=tuple(ITEM_TYPES)),
    _c("max_score", "满分", "float", "Maximum score", "分值", min=0, max=150),
    _c("key", "答案", "str", "Key: a letter, letters (multiple choice), or accepted answers separated by |",
       "答案：选项字母、多个字母，或用|分隔的可接受答案", nullable=True),
    _c("knowledge_area", "知识领域", "str", "Knowledge area of the blueprint", "双向细目表的知识领域", max_length=100),
    _c("cognitive_level", "认知层次", "choice", ", ".join(COGNITIVE_LEVELS), "认知层次：识记、理解、应用、分析综合",
       choices=tuple(COGNITIVE_LEVELS)),
    _c("difficulty", "难度估计", "float", "Expected proportion of the max score (0–1, higher is easier)",
       "难度估计（得分率 0–1）", min=0, max=1),
    _c("discrimination", "区分度估计", "float", "Optional: IRT slope used by the simulator",
       "可选：区分度参数（模拟用）", required=False, nullable=True, min=0, max=5),
    _c("options", "选项数", "int", "Number of options for choice items", "选择题选项数", nullable=True, min=0, max=10),
    _c("score_step", "给分步长", "float", "Smallest score step for marking", "评分最小步长", required=False,
       nullable=True, min=0, max=10),
    _c("enemies", "互斥题目", "list", "Items that overlap with this one, separated by ;", "与本题重叠的题目，用;分隔",
       nullable=True),
    _c("stem", "题干", "str", "Optional: item text", "可选：题干", required=False, nullable=True),
    _c("rubric", "评分标准", "str", "Optional: marking rubric", "可选：评分标准", required=False, nullable=True),
), key=("item_id",), required=False, extension=True)

ITEM_USAGE = FileSpec("item_usage", "题目使用记录", (
    _c("item_id", "题目编号", "id", "Bank item", "题目编号"),
    _c("exam_id", "考试编号", "id", "Exam that used it", "使用该题的考试"),
    _c("cohort", "届别", "int", "Cohort: the year it entered grade 1", "届别（入学一年级的年份）", min=1990, max=2100),
    _c("used_on", "使用日期", "date", "Date of the exam", "考试日期"),
), key=("item_id", "exam_id"), required=False, extension=True)

RESEARCHERS = FileSpec("researchers", "教研员", (
    _c("researcher_id", "教研员编号", "id", "District subject researcher (教研员)", "教研员编号"),
    _c("name", "姓名", "str", "Name", "姓名", max_length=NAME_LENGTH),
    _c("subject", "学科", "subject", "Subject", "学科"),
    _c("grades", "负责年级", "grade_list", "Grades, separated by ;", "负责年级，用;分隔", nullable=True),
), key=("researcher_id",), required=False, extension=True)

# The activity calendar's shared facilities (共享设施, 001) and the schools' term plans of use
# (scheduling/calendar/FORMAT.md).
FACILITY_KINDS = ("lab", "gym", "library", "hall")
FACILITIES = FileSpec("facilities", "共享设施", (
    _c("facility_id", "设施编号", "id", "Facility identifier", "设施编号"),
    _c("school_id", "学校编号", "id", "School that offers it", "所属学校编号"),
    _c("kind", "类别", "choice", "lab, gym, library or hall (报告厅/会议室: where cluster activities meet)",
       "类别：实验室、体育馆、图书馆、报告厅（会议室）", choices=FACILITY_KINDS),
    _c("name", "名称", "str", "Name", "名称", max_length=TITLE_LENGTH),
    _c("capacity", "容量", "int", "People it holds at once", "可同时容纳人数", min=1, max=2000),
    _c("weekdays", "开放星期", "list", "Weekdays open (1–5, separated by ;); empty: every weekday",
       "开放的星期（1–5，用;分隔），留空表示每个工作日", nullable=True),
    _c("open_from", "开放时间", "time", "Opens HH:MM; empty: 08:00", "开放时间 HH:MM，留空为 08:00", nullable=True),
    _c("open_until", "关闭时间", "time", "Closes HH:MM; empty: 17:30", "关闭时间 HH:MM，留空为 17:30", nullable=True),
), key=("facility_id",), required=False, extension=True)

FACILITY_REQUESTS = FileSpec("facility_requests", "设施使用计划", (
    _c("request_id", "计划编号", "id", "Plan of use identifier", "计划编号"),
    _c("school_id", "学校编号", "id", "School whose class (or group) uses the facility", "使用学校编号"),
    _c("kind", "设施类别", "choice", "lab, gym, library or hall", "设施类别", choices=FACILITY_KINDS),
    _c("subject", "学科", "subject", "Subject taught there", "学科", nullable=True),
    _c("grade", "年级", "grade", "Grade", "年级", nullable=True),
    _c("class_id", "班级编号", "id", "Class (classes.csv); its teacher is busy then too", "班级编号", nullable=True),
    _c("size", "人数", "int", "People who come", "人数", min=1, max=2000),
    _c("per_week", "每周次数", "int", "Half days a week, on different weekdays", "每周使用几个半天（不同的星期）",
       min=1, max=5),
    _c("teacher_id", "教师编号", "id", "Teacher who comes along; empty: the class's teacher of the subject",
       "带班教师编号，留空按任课安排", nullable=True),
), key=("request_id",), required=False, extension=True)

INPUT_FILES: tuple[FileSpec, ...] = (
    CLUSTERS, SCHOOLS, TEACHERS, ROOMS, CLASSES, CLASS_TEACHERS, STUDENTS, NEEDS, UNAVAILABILITY,
    EXAM_SESSIONS, DISTANCES, EXAMS, ITEMS, ITEM_USAGE, RESEARCHERS, FACILITIES, FACILITY_REQUESTS,
)
INPUT_BY_NAME: dict[str, FileSpec] = {f.name: f for f in INPUT_FILES}

# --- exports (column order is the contract) ---
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "rotation": ("teacher_id", "from_school_id", "to_school_id", "kind", "direction", "start", "end", "backbone",
                 "distance_km", "subsidy_yuan_per_month", "mentor_of", "weekday"),
    "invigilation": ("exam_id", "session_id", "site_school_id", "room_id", "teacher_id", "teacher_school_id",
                     "role", "distance_km"),
    "marking": ("exam_id", "subject", "item_group", "teacher_id", "teacher_school_id", "role"),
    "scores": ("exam_id", "student_id", "school_id", "class_id", "subject", "item_id", "score"),
    "school_summary": ("exam_id", "subject", "school_id", "students", "mean", "std", "excellent_rate",
                       "pass_rate", "low_rate", "improvement_rate", "expected", "sat", "absent"),  # v2: + 应考/实考/缺考
    "borderline": ("exam_id", "subject", "line", "student_id", "school_id", "class_id", "teacher_id", "score", "gap"),
    "item_stats": ("exam_id", "subject", "item_id", "max_score", "mean", "difficulty", "discrimination"),
}
