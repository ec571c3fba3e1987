"""Words of the reports in Chinese (default) and English: column headers, sheet names, levels,
flags and section titles. Subject names come from domain.vocab."""
from __future__ import annotations

from domain.vocab import COGNITIVE_LEVELS, SUBJECTS

LANGS = ("zh", "en")

COLUMNS: dict[str, tuple[str, str]] = {
    # ids and groups
    "exam_id": ("考试编号", "Exam"), "level": ("层级", "Level"), "group_id": ("单位", "Group"),
    "group_name": ("单位名称", "Name"), "cluster_id": ("学区", "Cluster"), "school_id": ("学校编号", "School id"),
    "school_name": ("学校", "School"), "class_id": ("班级", "Class"), "student_id": ("学籍号", "Student"),
    "subject": ("学科", "Subject"), "teacher_id": ("教师编号", "Teacher id"), "teacher_name": ("教师", "Teacher"),
    "item_id": ("题库编号", "Bank item id"), "item_type": ("题型", "Item type"),
    # 三率一分
    "students": ("人数", "Students"), "full_marks": ("满分", "Full marks"), "mean": ("平均分", "Mean"),
    "std": ("标准差", "SD"), "max": ("最高分", "Max"), "min": ("最低分", "Min"), "score_rate": ("得分率", "Score rate"),
    "excellent_rate": ("优秀率", "Excellent rate"), "pass_rate": ("及格率", "Pass rate"),
    "low_rate": ("低分率", "Low rate"), "mean_z": ("平均标准分", "Mean z"),
    "ref_mean": ("参照平均分", "Reference mean"), "mean_diff": ("均分差", "Mean difference"),
    "above_mean_rate": ("超均率", "Above-mean rate"), "excellent_rate_diff": ("优秀率差", "Excellent rate diff."),
    "pass_rate_diff": ("及格率差", "Pass rate diff."), "low_rate_diff": ("低分率差", "Low rate diff."),
    "rank": ("名次", "Rank"), "peers": ("参评数", "Out of"), "rank_in_school": ("校内名次", "Rank in school"),
    # vertical
    "matched_students": ("两次均参考人数", "Matched students"), "improvement_rate": ("提高率", "Improvement rate"),
    "mean_z_change": ("平均标准分变化", "Mean z change"), "prev_mean_z": ("上次平均标准分", "Previous mean z"),
    "prev_excellent_rate": ("上次优秀率", "Previous excellent rate"),
    "prev_pass_rate": ("上次及格率", "Previous pass rate"),
    "excellent_rate_change": ("优秀率变化", "Excellent rate change"),
    "pass_rate_change": ("及格率变化", "Pass rate change"),
    # students
    "score": ("分数", "Score"), "total": ("总分", "Total"), "z": ("标准分Z", "z"), "t": ("T分数", "T"),
    "total_z": ("总分标准分Z", "Total z"), "total_t": ("总分T分数", "Total T"),
    "rank_class": ("班级名次", "Rank in class"), "rank_school": ("学校名次", "Rank in school"),
    "rank_cluster": ("学区名次", "Rank in cluster"), "rank_district": ("全区名次", "Rank in district"),
    "complete": ("全科参考", "Sat all subjects"), "prev_z": ("上次标准分", "Previous z"),
    "z_gain": ("标准分增幅", "z gain"), "improved": ("进步", "Improved"),
    # bands and segments
    "band": ("段号", "Band"), "label": ("分数段", "Band"), "lower_score": ("下限", "From"),
    "upper_score": ("上限", "To"), "count": ("人数", "Count"), "share": ("占比", "Share"),
    "cumulative": ("累计人数", "Cumulative"), "cumulative_share": ("累计占比", "Cumulative share"),
    # items
    "max_score": ("分值", "Max score"), "difficulty": ("难度", "Difficulty"),
    "discrimination": ("区分度(校正题总相关)", "Discrimination (corrected r)"),
    "discrimination_ul": ("区分度(高低分组27%)", "Discrimination (upper–lower 27%)"),
    "upper_rate": ("高分组得分率", "Upper group rate"), "lower_rate": ("低分组得分率", "Lower group rate"),
    "alpha_if_deleted": ("删除该题后α", "Alpha if deleted"), "flags": ("提示", "Flags"),
    "items": ("题数", "Items"), "alpha": ("信度α", "Cronbach's alpha"), "group_size": ("高/低分组人数", "Group size"),
    "flagged_items": ("需关注小题", "Flagged items"), "missing_cells": ("缺失小题分", "Missing item scores"),
    "cluster_score_rate": ("学区得分率", "Cluster score rate"), "gap": ("差距", "Gap"),
    "key": ("答案", "Key"), "option": ("选项", "Option"), "is_key": ("正确答案", "Key?"),
    "upper": ("高分组", "Upper"), "middle": ("中间组", "Middle"), "lower": ("低分组", "Lower"),
    "upper_share": ("高分组选择率", "Upper share"), "lower_share": ("低分组选择率", "Lower share"),
    "flag": ("提示", "Flag"),
    # assessment
    "class_score": ("班级考核分", "Class score"), "score_basis": ("计分依据", "Basis"),
    "school_ids": ("学校", "Schools"), "class_ids": ("任教班级", "Classes taught"), "classes": ("班级数", "Number of classes"),
    "teacher_score": ("教师考核分", "Teacher score"),
    "mentor_id": ("师傅", "Mentor"), "apprentice_id": ("徒弟", "Apprentice"), "apprentices": ("徒弟", "Apprentices"),
    "members": ("成员数", "Members"), "tests": ("检测次数", "Tests"), "class_tests": ("班级·次", "Class-tests"),
    "mentor_class_tests": ("师傅班级·次", "Mentor class-tests"),
    "apprentice_class_tests": ("徒弟班级·次", "Apprentice class-tests"),
    "mentor_score": ("师傅得分", "Mentor score"), "apprentice_score": ("徒弟得分", "Apprentice score"),
    "pair_score": ("捆绑总分", "Pair score"), "group_score": ("组合总分", "Group score"),
    "score_per_class_test": ("平均每班次得分", "Score per class-test"),
    "enrolled": ("班额", "Enrolled"), "field": ("项目", "Item"), "value": ("内容", "Value"),
    "total_count": ("合计", "Total"), "cluster_mean": ("学区平均分", "Cluster mean"),
    "cluster_excellent_rate": ("学区优秀率", "Cluster excellent rate"),
    "cluster_pass_rate": ("学区及格率", "Cluster pass rate"), "cluster_low_rate": ("学区低分率", "Cluster low rate"),
    # questions, paper quality and the blueprint (第 N 题, 试卷质量, 双向细目表)
    "number": ("题号", "Question"), "knowledge_area": ("知识点", "Knowledge area"),
    "cognitive_level": ("能力层次", "Cognitive level"), "item_total_r": ("题总相关", "Item–total r"),
    "sem": ("测量标准误", "SEM"), "mean_discrimination_ul": ("平均区分度D", "Mean D"),
    "points": ("分值", "Points"), "blueprint_points": ("细目表分值", "Blueprint points"),
    "points_share": ("分值占比", "Share of marks"), "numbers": ("题号", "Questions"),
    "category": ("类别", "Category"), "dimension": ("维度", "Dimension"), "index": ("指标", "Index"),
    "reliability": ("信度评价", "Reliability"),
    # the audiences' reports
    "student_name": ("姓名", "Name"), "class_name": ("班级", "Class"), "unit": ("单位", "Group"),
    "full_score": ("满分", "Full marks"), "pr_class": ("班级百分等级", "Class percentile"),
    "pr_school": ("学校百分等级", "School percentile"), "pr_cluster": ("学区百分等级", "Cluster percentile"),
    "class_mean": ("班级平均分", "Class mean"), "school_mean": ("学校平均分", "School mean"),
    "class_score_rate": ("本班得分率", "Class rate"), "school_score_rate": ("本校得分率", "School rate"),
    "district_score_rate": ("全体得分率", "Overall rate"), "own_score_rate": ("本人得分率", "Own rate"),
    "gap_cluster": ("与学区差", "Gap to cluster"), "teachers": ("任课教师", "Teachers"),
    "points_to_line": ("距线分数", "Points to the line"),
    "prev_mean": ("上次平均分", "Previous mean"), "mean_z_now": ("本次平均标准分", "Mean z now"),
    "chosen_share": ("选择率", "Chosen by"), "key_share": ("选对率", "Right"),
    "key_upper_share": ("高分组答对率", "Upper group right"),
    "key_lower_share": ("低分组答对率", "Lower group right"), "blank_share": ("未答率", "Blank"),
    "distractors": ("干扰项", "Distractors"),
    # attendance, borderline students, value added, trends, appraisal (analysis/FORMAT.md)
    "expected": ("应考", "Expected"), "sat": ("实考", "Sat"), "absent": ("缺考", "Absent"), "exempt": ("免考", "Exempt"),
    "participation_rate": ("参考率", "Participation rate"), "status": ("状态", "Status"), "source": ("依据", "Source"),
    "name": ("姓名", "Name"), "value_added": ("平均增值", "Mean value added"), "expected_z": ("预期标准分", "Expected z"),
    "prev_total_z": ("上次总分标准分", "Previous total z"), "line": ("分数线", "Line"), "line_score": ("线上分数", "Line score"),
    "borderline_before": ("上次临界人数", "Borderline last time"), "sat_again": ("本次参考", "Sat again"),
    "crossed": ("达线人数", "Crossed"), "conversion_rate": ("转化率", "Conversion rate"),
    "first_mean_z": ("首次平均标准分", "First mean z"), "last_mean_z": ("本次平均标准分", "Latest mean z"),
    "z_slope": ("标准分趋势（每次）", "z trend (per exam)"), "primary_school_id": ("毕业小学编号", "Primary school id"),
    "primary_school_name": ("毕业小学", "Primary school"), "junior_schools": ("初中学校", "Junior schools"),
    "year_score": ("学年考核分", "Year score"), "scored_tests": ("计分次数", "Scored tests"),
    "exam_ids": ("考试", "Exams"), "teacher_ids": ("任课教师编号", "Teacher ids"), "teacher_names": ("任课教师", "Teachers"),
    "ranked": ("参加排名", "Ranked"), "kind": ("类别", "Kind"), "mentor_name": ("师傅姓名", "Mentor name"),
    "apprentice_ids": ("徒弟", "Apprentices"), "apprentice_names": ("徒弟姓名", "Apprentice names"),
}

LEVEL_NAMES = {"class": ("班级", "Class"), "school": ("学校", "School"), "cluster": ("学区", "Cluster"),
               "district": ("全体", "All")}

FLAG_NAMES = {
    "low_discrimination": ("区分度低", "low discrimination"), "too_hard": ("偏难", "too hard"),
    "too_easy": ("偏易", "too easy"), "no_variance": ("无区分(全体同分)", "no variance"),
    "distractor_attracts_upper": ("干扰项吸引高分组", "distractor attracts the upper group"),
    "key_not_discriminating": ("正确项无区分", "key does not discriminate"),
}

BAND_NAMES = {  # paper quality bands (试卷质量分析)
    "hard": ("难（<0.4）", "hard (< 0.4)"), "medium": ("中（0.4–0.7）", "medium (0.4–0.7)"),
    "easy": ("易（≥0.7）", "easy (≥ 0.7)"),
    "poor": ("差（D<0.2）", "poor (D < 0.2)"), "acceptable": ("尚可（0.2–0.3）", "acceptable (0.2–0.3)"),
    "good": ("良好（0.3–0.4）", "good (0.3–0.4)"), "very_good": ("优秀（≥0.4）", "very good (≥ 0.4)"),
    "low": ("偏低（<0.7）", "low (< 0.7)"),
}
RELIABILITY_NAMES = {"low": ("偏低（α<0.7）", "low (α < 0.7)"), "acceptable": ("可接受（0.7–0.8）", "acceptable (0.7–0.8)"),
                     "good": ("良好（0.8–0.9）", "good (0.8–0.9)"), "very_good": ("优秀（≥0.9）", "very good (≥ 0.9)")}
LINE_NAMES = {"excellent": ("优秀线", "excellent line"), "pass": ("及格线", "pass line"), "low": ("低分线", "low line")}

ITEM_TYPE_NAMES = {"single_choice": ("单选题", "single choice"), "multiple_choice": ("多选题", "multiple choice"),
                   "fill_in": ("填空题", "fill-in"), "subjective": ("主观题", "constructed response")}

SHEETS: dict[str, tuple[str, str]] = {
    "overview": ("考试概况", "Overview"), "papers": ("试卷概况", "Papers"), "school_summary": ("学校汇总", "Schools"),
    "class_summary": ("班级汇总", "Classes"), "cluster_summary": ("学区汇总", "Clusters"),
    "bands": ("分数段", "Score bands"), "segments": ("一分一段", "One-point segments"),
    "items": ("小题分析", "Item analysis"), "item_by_school": ("学校小题得分率", "Item rates by school"),
    "options": ("选项分析", "Option analysis"), "vertical": ("纵向比较", "Vertical comparison"),
    "class_assessment": ("班级考核", "Class scores"), "teacher_assessment": ("教师考核", "Teacher scores"),
    "students": ("学生成绩", "Students"), "gaps": ("各校差距", "School gaps"), "methods": ("方法说明", "Methods"),
    "bundled_pairs": ("师徒捆绑", "Pairs"), "bundled_groups": ("捆绑组合", "Pair groups"),
}

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("联考质量分析报告", "Joint exam analysis report"),
    "overview": ("学区概况", "Cluster overview"), "schools": ("各校分析", "Schools"),
    "subjects": ("学科分析", "Subjects"), "item_analysis": ("小题分析", "Item analysis"),
    "vertical": ("纵向比较（提高率）", "Vertical comparison (improvement)"),
    "assessment": ("统一考核（教师）", "Unified assessment (teachers)"), "methods": ("方法说明", "Methods"),
    "total": ("总分", "Total"), "all": ("全体", "All"), "cluster": ("学区", "Cluster"),
    "students_n": ("参考人数", "Students"), "schools_n": ("学校数", "Schools"), "classes_n": ("班级数", "Classes"),
    "distribution": ("分数分布", "Score distribution"), "boxplot": ("各校分数箱线图", "Scores by school (box plot)"),
    "rates_chart": ("各校三率", "Rates by school"), "scatter": ("难度–区分度", "Difficulty vs discrimination"),
    "class_table": ("班级对比", "Classes compared"), "school_table": ("学校对比", "Schools compared"),
    "truncated": ("（仅显示前 {n} 行，完整数据见 Excel 工作簿）", "(first {n} rows; the workbook has all)"),
    "no_previous": ("未提供上次联考成绩，本次不计算提高率。", "No previous exam was given: no improvement rate."),
    "previous": ("与上次联考（{exam}）比较。", "Compared with the previous joint exam ({exam})."),
    "generated": ("生成时间", "Generated"), "exam": ("考试", "Exam"), "paper": ("试卷", "Paper"),
    "warnings": ("数据提示", "Data notes"), "flagged": ("需关注的小题", "Items to review"),
    "options_title": ("选择题选项分析", "Options of choice items"),
    "weights": ("考核权重：优秀率 {we:.0%}、及格率 {wp:.0%}、提高率 {wi:.0%}（各校相同）。",
                "Weights: excellent {we:.0%}, pass {wp:.0%}, improvement {wi:.0%} (the same for every school)."),
    "frequency": ("人数", "Students"), "score_axis": ("分数", "Score"),
    "school_report": ("质量分析报告", "analysis report"),
    # the audiences' printable reports
    "transcript": ("成绩单", "Score report"), "class_report": ("班级质量分析", "Class analysis"),
    "teacher_report": ("教师质量分析", "Teacher analysis"), "bureau_report": ("联考质量分析（教育局）", "Joint exam analysis (bureau)"),
    "school_report_title": ("学校质量分析报告", "School analysis report"),
    "this_class": ("本班", "This class"), "this_school": ("本校", "This school"),
    "scores_by_subject": ("各科成绩", "Scores by subject"), "item_scores": ("小题得分", "Question scores"),
    "three_rates": ("三率一分", "Rates and means"), "item_rates": ("小题得分率", "Question score rates"),
    "areas": ("知识点与能力层次", "Knowledge areas and cognitive levels"),
    "borderline": ("临界生", "Students near a line"), "students_list": ("学生成绩", "Students"),
    "paper_quality": ("试卷质量分析", "Paper quality"), "options": ("选项分析", "Option analysis"),
    "school_trend": ("各校发展趋势", "Schools' trend"), "attendance": ("应考/实考/缺考", "Expected / sat / absent"),
    "assessment_row": ("统一考核", "Unified assessment"), "index": ("报告目录", "Reports"),
    "score_of": ("得分", "Score"), "rate_of_class": ("班级得分率", "Class rate"),
    "no_borderline": ("（本次分析未给出临界生名单）", "(no list of students near a line in this analysis)"),
    "no_borderline_here": ("临界生：无（没有学生在各分数线下的临界范围内）。",
                           "Students near a line: none (nobody within the band below a line)."),
    "trend_note": ("平均标准分：本校学生在全体中的相对位置（0 为全体平均）；变化为与上次联考相比。",
                   "Mean z: where the school's students stand in the cohort (0 = average); change: against the "
                   "previous joint exam."),
    "marked_low": ("红色：低于学区（班级、学校）或低于本班。", "Red: below the cluster (class, school) or below the class."),
    "percentile_note": ("百分等级：本组中分数低于本人的学生占比，同分者算一半（100 为最高）。",
                        "Percentile: share of the group scoring below the student, ties counting half."),
    "areas_note": ("得分率 = 该类小题平均得分之和 ÷ 分值；细目表分值来自试卷的双向细目表。",
                   "Score rate = sum of the questions' means ÷ their points; blueprint points from the paper's "
                   "blueprint."),
    "quality_note": ("区分度 D：高分组（前 27%）得分率 − 低分组（后 27%）得分率，同分者按比例分入；按 Ebel 标准 D<0.2 需关注。",
                     "D = upper 27% rate − lower 27% rate (students tied at a cut share its places); Ebel: "
                     "D < 0.2 needs review."),
}


def check_lang(lang: str) -> int:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return LANGS.index(lang)


def column(name: str, lang: str) -> str:
    i = check_lang(lang)
    if name in COLUMNS:
        return COLUMNS[name][i]
    if name in SUBJECTS:
        return subject(name, lang)
    return name


def subject(code: str, lang: str) -> str:
    if code == "total":
        return TEXT["total"][check_lang(lang)]
    return SUBJECTS.get(code, code) if lang == "zh" else code.capitalize()


def text(key: str, lang: str, **kw) -> str:
    s = TEXT[key][check_lang(lang)]
    return s.format(**kw) if kw else s


def sheet(key: str, lang: str) -> str:
    return SHEETS[key][check_lang(lang)]


def level(name: str, lang: str) -> str:
    return LEVEL_NAMES[name][check_lang(lang)]


def flags(value: str, lang: str) -> str:
    if not isinstance(value, str) or not value:
        return ""
    i = check_lang(lang)
    return "、".join(FLAG_NAMES.get(f, (f, f))[i] for f in value.split(";")) if lang == "zh" else \
        ", ".join(FLAG_NAMES.get(f, (f, f))[i] for f in value.split(";"))


def band(code: str, lang: str) -> str:
    return BAND_NAMES.get(code, (code, code))[check_lang(lang)]


def reliability(code: str | None, lang: str) -> str:
    return "" if code is None else RELIABILITY_NAMES.get(code, (code, code))[check_lang(lang)]


def line(code: str, lang: str) -> str:
    return LINE_NAMES.get(str(code), (str(code), str(code)))[check_lang(lang)]


def cognitive_level(code, lang: str) -> str:
    if not isinstance(code, str) or not code:
        return ""
    return COGNITIVE_LEVELS.get(code, code) if lang == "zh" else code.replace("_", " ")


def question(number, lang: str) -> str:
    """第 N 题 (Q N): how a person names a question of a paper."""
    try:
        n = int(number)
    except (TypeError, ValueError):
        return str(number)
    return f"第{n}题" if lang == "zh" else f"Q{n}"


def item_type(value, lang: str) -> str:
    if not isinstance(value, str):
        return ""
    return ITEM_TYPE_NAMES.get(value, (value, value))[check_lang(lang)]
