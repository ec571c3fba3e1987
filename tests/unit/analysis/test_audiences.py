"""The reports for each audience against hand computations on a tiny exam, the hooks (临界生,
应考/实考/缺考, school trends), the folder layout, and the PDFs' text (Chinese names extracted back)."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.audience_reports import parse_audiences, write_audience_reports
from analysis.audiences import (ItemRates, People, bureau_doc, class_doc, percentile_ranks, school_doc, student_docs,
                                teacher_doc)
from analysis.pipeline import analyse_exam
from analysis.report_doc import LOW, Facts, Table, to_html
from analysis.school_report import school_reports

# One cluster (东城学区), two schools, three classes, two papers. Math: 第1题 single choice (2 marks,
# key A), 第2题 worked (3 marks); Chinese: one question of 5 marks.
#
#            class   math Q1 Q2 (total)   chinese   answer to math 第1题
#   王小明 a1  S1-A        2  3  (5)          5        A
#   李娜   a2  S1-A        0  3  (3)          4        B
#   张伟   a3  S1-A        2  1  (3)          2        A
#   刘洋   b1  S1-B        2  0  (2)          3        A
#   陈静   b2  S1-B        0  0  (0)          1        C
#   杨帆   c1  S2-C        2  2  (4)          5        A
#   赵磊   c2  S2-C        2  3  (5)          0        A
#   黄丽   c3  S2-C        0  1  (1)          3        (blank)
MATH = {"a1": (2, 3), "a2": (0, 3), "a3": (2, 1), "b1": (2, 0), "b2": (0, 0), "c1": (2, 2), "c2": (2, 3), "c3": (0, 1)}
CHINESE = {"a1": 5, "a2": 4, "a3": 2, "b1": 3, "b2": 1, "c1": 5, "c2": 0, "c3": 3}
CLASS = {"a1": "S1-A", "a2": "S1-A", "a3": "S1-A", "b1": "S1-B", "b2": "S1-B", "c1": "S2-C", "c2": "S2-C",
         "c3": "S2-C"}
NAMES = {"a1": "王小明", "a2": "李娜", "a3": "张伟", "b1": "刘洋", "b2": "陈静", "c1": "杨帆", "c2": "赵磊", "c3": "黄丽"}
ANSWERS = {"a1": "A", "a2": "B", "a3": "A", "b1": "A", "b2": "C", "c1": "A", "c2": "A", "c3": ""}


def tiny_exam():
    rows = []
    for s, (q1, q2) in MATH.items():
        school = CLASS[s][:2]
        rows += [("E", s, school, CLASS[s], "math", "M1", q1), ("E", s, school, CLASS[s], "math", "M2", q2),
                 ("E", s, school, CLASS[s], "chinese", "C1", CHINESE[s])]
    scores = pd.DataFrame(rows, columns=["exam_id", "student_id", "school_id", "class_id", "subject", "item_id",
                                         "score"])
    items = pd.DataFrame({"subject": ["math", "math", "chinese"], "item_id": ["M1", "M2", "C1"],
                          "max_score": [2.0, 3.0, 5.0], "item_type": ["single_choice", "subjective", "subjective"],
                          "key": ["A", None, None], "position": [1, 2, 1],
                          "knowledge_area": ["数与代数", "图形与几何", "现代文阅读"],
                          "cognitive_level": ["remember", "apply", "understand"]})
    schools = pd.DataFrame({"school_id": ["S1", "S2"], "name": ["第一中学", "第二中学"], "cluster_id": "K",
                            "cluster_name": "东城学区"})
    classes = pd.DataFrame({"class_id": ["S1-A", "S1-B", "S2-C"], "school_id": ["S1", "S1", "S2"], "grade": 8,
                            "size": [3, 2, 3]})
    class_teachers = pd.DataFrame({"class_id": ["S1-A", "S1-B", "S2-C"] * 2, "subject": ["math"] * 3 + ["chinese"] * 3,
                                   "teacher_id": ["T1", "T1", "T2", "T3", "T3", "T4"]})
    teachers = pd.DataFrame({"teacher_id": ["T1", "T2", "T3", "T4"], "name": ["周老师", "吴老师", "郑老师", "孙老师"]})
    students = pd.DataFrame({"student_id": list(NAMES), "name": list(NAMES.values())})
    # the class lists (应考): everyone above, and 吴刚 of class A, who sat nothing (缺考)
    roster = pd.DataFrame({"student_id": [*NAMES, "a4"], "class_id": [*CLASS.values(), "S1-A"],
                           "school_id": [c[:2] for c in CLASS.values()] + ["S1"], "name": [*NAMES.values(), "吴刚"]})
    responses = pd.DataFrame({"student_id": list(ANSWERS), "subject": "math", "item_id": "M1",
                              "answer": list(ANSWERS.values())})
    blueprints = {"math": {"cells": [
        {"knowledge_area": "数与代数", "cognitive_level": "remember", "item_type": "single_choice", "points": 2},
        {"knowledge_area": "图形与几何", "cognitive_level": "apply", "item_type": "subjective", "points": 4}]}}
    return analyse_exam(scores, items, schools, classes, class_teachers, teachers=teachers, students=students,
                        responses=responses, blueprints=blueprints, roster=roster)


@pytest.fixture(scope="module")
def tiny():
    return tiny_exam()


def _tables(doc, title_part=""):
    return [b for b in doc.blocks if isinstance(b, Table) and title_part in b.title]


def _column(table: Table, header: str) -> list[str]:
    j = table.headers.index(header)
    return [row[j] for row in table.rows]


def test_percentile_ranks_by_hand(tiny):
    pr = percentile_ranks(tiny.student_scores).astype({"student_id": str, "subject": str}).set_index(
        ["student_id", "subject"])
    # 李娜's math 3 in class A (5, 3, 3): nobody lower, two on 3 (herself included): (0 + 2/2) / 3
    assert pr.loc[("a2", "math"), "pr_class"] == pytest.approx(1 / 3)
    # 王小明's math 5 in school 1 (5, 3, 3, 2, 0): four lower, one on 5: (4 + ½) / 5
    assert pr.loc[("a1", "math"), "pr_school"] == pytest.approx(0.9)
    # … in the cluster (5, 3, 3, 2, 0, 4, 5, 1): six lower, two on 5: (6 + 1) / 8
    assert pr.loc[("a1", "math"), "pr_cluster"] == pytest.approx(7 / 8)
    assert pr.loc[("a1", "math"), "n_cluster"] == 8
    # the lowest of a group still counts half of itself: 陈静's 0 in class B (2, 0): (0 + ½) / 2
    assert pr.loc[("b2", "math"), "pr_class"] == pytest.approx(0.25)


def test_score_report_of_a_student(tiny):
    docs = student_docs(tiny, class_id="S1-A")
    assert len(docs) == 1
    doc = docs[0]
    assert doc.title == "第一中学 八年级(1)班 · 成绩单"
    # one page per student, by name
    headings = [b.text for b in doc.blocks if type(b).__name__ == "Heading"]
    assert headings == ["张伟 · 成绩单", "李娜 · 成绩单", "王小明 · 成绩单"]
    subjects = _tables(doc, "各科成绩")
    li_na = subjects[1]  # 李娜
    math = li_na.rows[[r[0] for r in li_na.rows].index("数学")]
    row = dict(zip(li_na.headers, math))
    # math 3 of 5; class mean (5 + 3 + 3) / 3 = 3.7; ranks (ties share the best): 2/3 in the class (with
    # 张伟), 2/5 in school 1 (5, 3, 3, 2, 0), 4/8 in the cluster (three above her);
    # percentiles 33, (2 + 1)/5 = 60, (3 + 1)/8 = 50
    assert (row["分数"], row["满分"], row["班级平均分"]) == ("3", "5", "3.7")
    assert (row["班级名次"], row["学校名次"], row["学区名次"]) == ("2/3", "2/5", "4/8")
    assert (row["班级百分等级"], row["学校百分等级"], row["学区百分等级"]) == ("33", "60", "50")
    # her score is below the class mean: red
    assert li_na.marks[[r[0] for r in li_na.rows].index("数学")][1] == LOW
    # question grid: 第1题 0/2 against the class's (2 + 0 + 2) / 3 / 2 = 66.7 %; 第2题 3/3 against 7/9 = 77.8 %
    grids = _tables(doc, "数学 · 小题得分")
    li_na_grid = grids[1]
    assert li_na_grid.headers == ["题号", "第1题", "第2题"]
    assert li_na_grid.rows == [["得分", "0/2", "3/3"], ["班级得分率", "66.7%", "77.8%"]]
    assert li_na_grid.marks[0] == ["", LOW, ""]


def test_class_report_question_rates_against_school_and_cluster(tiny):
    doc = class_doc(tiny, "S1-A")
    assert "第一中学 八年级(1)班" in doc.title
    math = _tables(doc, "数学 · 小题得分率")[0]
    # 第1题: class A (2, 0, 2) → 66.7 %; school 1 (2, 0, 2, 2, 0) → 60 %; cluster 10 of 16 → 62.5 %
    assert _column(math, "题号") == ["第1题", "第2题"]
    assert _column(math, "题型") == ["单选题", "主观题"]
    assert _column(math, "本班")[0] == "66.7%"
    assert _column(math, "本校得分率")[0] == "60.0%"
    assert _column(math, "学区得分率")[0] == "62.5%"
    # 三率一分 of the class beside its school and cluster, subject written once per block
    rates = _tables(doc, "")[0]
    assert _column(rates, "单位")[:3] == ["本班", "本校", "东城学区"]
    assert _column(rates, "平均分")[:3] == ["3.7", "2.6", "2.9"]  # math: 11/3, 13/5, 23/8
    # red where a group trails the cluster: class B's math mean (2 + 0)/2 = 1.0 and school 1's 2.6 < 2.9
    b_rates = _tables(class_doc(tiny, "S1-B"), "")[0]
    mean = b_rates.headers.index("平均分")
    assert [row[mean] for row in b_rates.marks[:3]] == [LOW, LOW, ""]
    # students listed by total, names not ids
    students = doc.blocks[-1]
    assert _column(students, "姓名") == ["王小明", "李娜", "张伟"]  # totals 10, 7, 5


def test_borderline_students_in_the_class_teacher_school_and_bureau_reports(tiny):
    # lines at 85 % and 60 % of full marks, a band of 5 % below each (the policy's defaults). Chinese (5
    # marks): excellent 4.25, borderline from 4.0 → 李娜 (4), 0.25 below; math: 杨帆 (4) likewise; the
    # pass lines (3.0, band from 2.75) and the total's (8.5 and 6 of 10) catch nobody.
    table = _tables(class_doc(tiny, "S1-A"), "临界生")[0]
    assert _column(table, "姓名") == ["李娜"] and _column(table, "分数线") == ["优秀线"]
    assert _column(table, "学科") == ["语文"] and _column(table, "距线分数") == ["0.25"]
    assert _column(table, "教师") == ["郑老师"]
    teacher = _tables(teacher_doc(tiny, "T2"), "临界生")[0]
    assert _column(teacher, "姓名") == ["杨帆"]
    report = school_reports(tiny)[0]
    assert _column(_tables(school_doc(tiny, report), "临界生")[0], "姓名") == ["李娜"]
    assert _tables(bureau_doc(tiny), "临界生")
    class_b = class_doc(tiny, "S1-B")  # nobody near a line in class B: a line says so
    assert not _tables(class_b, "临界生") and any("临界生：无" in getattr(b, "text", "") for b in class_b.blocks)
    saved = tiny.borderline
    del tiny.borderline  # an analysis without the list: neither table nor line
    try:
        doc = class_doc(tiny, "S1-A")
        assert not _tables(doc, "临界生") and not any("临界生" in getattr(b, "text", "") for b in doc.blocks)
    finally:
        tiny.borderline = saved


def test_attendance_columns_render_when_present(tiny):
    report = school_reports(tiny)[0]
    doc = school_doc(tiny, report)
    facts = dict(next(b for b in doc.blocks if isinstance(b, Facts)).pairs)
    # school 1: six on its class lists, five sat (吴刚 did not)
    assert (facts["应考"], facts["实考"], facts["缺考"]) == ("6", "5", "1")
    rates = _tables(doc, "三率一分")[0]
    assert {"应考", "实考", "缺考"} <= set(rates.headers)
    absent = _tables(class_doc(tiny, "S1-A"), "缺考")[0]
    assert absent.rows == [["八年级(1)班", "吴刚", "缺考", "数学、语文"]]
    schools = _tables(bureau_doc(tiny), "学校对比")[0]
    # ranked by the total's mean: school 2 (9, 5, 4 → 6.0) before school 1 (10, 7, 5, 5, 1 → 5.6)
    assert _column(schools, "学校") == ["第二中学", "第一中学"] and _column(schools, "应考") == ["3", "6"]
    # an analysis without the counts shows no such columns
    saved = tiny.summary
    tiny.summary = saved.drop(columns=["expected", "sat", "absent"])
    try:
        assert "应考" not in _tables(school_doc(tiny, report), "三率一分")[0].headers
    finally:
        tiny.summary = saved


def test_teacher_report_has_each_class(tiny):
    doc = teacher_doc(tiny, "T1")
    assert doc.title == "周老师 · 教师质量分析"
    math = _tables(doc, "小题得分率")[0]
    # 周老师 teaches classes A and B: 第1题 A (2, 0, 2) → 4/6, B (2, 0) → 2/4; 第2题 A (3, 3, 1) → 7/9, B (0, 0) → 0
    assert _column(math, "八年级(1)班") == ["66.7%", "77.8%"]
    assert _column(math, "八年级(2)班") == ["50.0%", "0.0%"]
    rates = _tables(doc, "三率一分")[0]
    assert _column(rates, "单位") == ["八年级(1)班", "八年级(2)班", "第一中学", "东城学区"]


def test_bureau_report_paper_quality_options_and_blueprint(tiny):
    doc = bureau_doc(tiny)
    html = to_html(doc)
    assert "东城学区" in html and "第一中学" in html
    # SEM of math: totals 5, 3, 3, 2, 0, 4, 5, 1; α = 7/22.875; SEM = √((22.875 − 7)/8) = 1.41
    facts = [dict(b.pairs) for b in doc.blocks if isinstance(b, Facts) and "测量标准误" in dict(b.pairs)]
    assert facts[0]["测量标准误"] == "1.41" and facts[0]["信度α"] == "0.31"
    # options of 第1题: A 5/8, B 1/8, C 1/8, blank 1/8; the key A
    options = _tables(doc, "选项分析")[0]
    row = dict(zip(options.headers, options.rows[0]))
    assert (row["题号"], row["答案"], row["A"], row["B"], row["C"], row["未答率"]) == \
        ("第1题", "A", "62.5%", "12.5%", "12.5%", "12.5%")
    # knowledge areas beside the blueprint: 图形与几何 has 3 points on the paper, 4 planned: marked
    areas = [t for t in _tables(doc, "知识点") if "细目表分值" in t.headers][0]
    i = _column(areas, "知识点").index("图形与几何")
    assert _column(areas, "分值")[i] == "3" and _column(areas, "细目表分值")[i] == "4"
    assert areas.marks[i][areas.headers.index("分值")] == LOW
    # questions by number and type, not bank ids
    questions = _tables(doc, "小题分析")[0]
    assert _column(questions, "题号")[:2] == ["第1题", "第2题"] and "M1" not in html


def test_school_trend_hook(tiny):
    # exams in the order given (ids need not sort by date)
    tiny.school_trends = pd.DataFrame({"school_id": ["S1", "S2", "S1", "S2"], "exam_id": ["E0", "E0", "E", "E"],
                                       "subject": "total", "mean_z": [0.1, -0.1, 0.3, -0.3]})
    try:
        trend = _tables(bureau_doc(tiny), "平均标准分")[0]
        assert trend.headers == ["学校", "E0", "E", "变化"]
        assert trend.rows[0] == ["第一中学", "0.10", "0.30", "0.20"]
    finally:
        del tiny.school_trends


def test_school_trend_from_the_cohort_record(tiny):
    # the cohort's record as the analysis may carry it: per group, subject and exam, oldest first
    groups = pd.DataFrame({"level": ["school", "school", "class", "school", "school"],
                           "group_id": ["S1", "S2", "S1-A", "S1", "S2"], "subject": "total",
                           "exam_id": ["G7-FIN", "G7-FIN", "G7-FIN", "E", "E"], "order": [0, 0, 0, 1, 1],
                           "mean_z": [-0.2, 0.2, 0.5, 0.1, -0.1]})
    tiny.trends = SimpleNamespace(groups=groups)
    try:
        trend = _tables(bureau_doc(tiny), "平均标准分")[0]
        assert trend.headers == ["学校", "G7-FIN", "E", "变化"]
        assert trend.rows == [["第一中学", "-0.20", "0.10", "0.30"], ["第二中学", "0.20", "-0.10", "-0.30"]]
    finally:
        del tiny.trends


def test_parse_audiences():
    assert parse_audiences("all") == ("bureau", "schools", "classes", "teachers", "students")
    assert parse_audiences("students,bureau") == ("bureau", "students")
    with pytest.raises(ValueError, match="parents"):
        parse_audiences("parents")


def _squeeze(text: str) -> str:
    """Text as pypdf extracts it from fpdf2's two-byte CID fonts: NUL bytes between characters (poppler's
    pdftotext reads the same files cleanly) and line breaks where table cells wrap."""
    return "".join(ch for ch in text if ch not in "\x00 \n")


def test_files_and_pdf_text(tiny, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    try:
        from analysis.pdf_font import find_font
        find_font()
    except Exception as error:  # pragma: no cover - a machine without fonts-noto-cjk
        pytest.skip(str(error))
    out = tmp_path / "report"
    # the PDFs of the bureau, the schools and (pdf="classes") the classes' score reports
    result = write_audience_reports(tiny, out, audiences="bureau,schools,students", pdf="classes")
    html = write_audience_reports(tiny, out, audiences="classes,teachers", pdf="none")
    names = {p.relative_to(out).as_posix() for p in result.paths + html.paths}
    assert {"index.html", "bureau.html", "bureau.pdf", "schools/S1.html", "schools/S1.pdf", "schools/S2.pdf",
            "classes/S1/S1-A.html", "teachers/S1/T1.html", "students/S1/S1-A.html", "students/S1/S1-A.pdf",
            "students/S2/S2-C.pdf"} <= names
    assert not result.notes
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out / "students/S1/S1-A.pdf").pages)
    squeezed = _squeeze(text)
    for name in ("王小明", "李娜", "张伟", "第一中学", "成绩单", "第1题"):
        assert name in squeezed
    reader = pypdf.PdfReader(out / "schools/S1.pdf")
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all(str(f["/BaseFont"]).endswith("NotoSansCJKSC") for f in fonts)  # embedded, a subset
    school_text = _squeeze("".join(p.extract_text() for p in reader.pages))
    assert "第一中学" in school_text and "整改措施" in school_text and "东城学区" in school_text
    index = (out / "index.html").read_text(encoding="utf-8")  # the last call's index lists what it wrote
    assert "classes/S1/S1-A.html" in index and "八年级(1)班" in index
    # English on request, with its own suffix
    english = write_audience_reports(tiny, out, "en", audiences="bureau", pdf="none")
    assert [p.name for p in english.paths] == ["bureau.en.html", "index.en.html"]
    assert "Paper quality" in (out / "bureau.en.html").read_text(encoding="utf-8")


def test_item_rates_need_the_matrices(tiny):
    rates = ItemRates(tiny)
    np.testing.assert_allclose(rates.rates("math", "school", "S2"), [4 / 6, 6 / 9])
    assert np.isnan(rates.rates("math", "class", "nowhere")).all()
    assert People(tiny, "zh").class_("S2-C") == "八年级(1)班"
