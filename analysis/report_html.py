"""The per-exam HTML report: one self-contained file (plotly's JavaScript inlined once), readable
offline and printable: cluster overview, each school, each subject, item analysis, vertical
comparison, unified assessment and methods. Charts are drawn from pre-aggregated numbers (box-plot
quartiles, histogram counts), so the file stays small however many students there are."""
from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pandas as pd
import plotly.io as pio

from analysis import labels as L
from analysis.pipeline import ExamAnalysis
from analysis.report_tables import Namer, format_cell
from analysis.school_report import SchoolReport
from analysis.stats import TOTAL

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif'
PLOTLY_WHITE = pio.templates["plotly_white"].to_plotly_json()
COLORS = {"excellent": "#2e7d32", "pass": "#1565c0", "low": "#c62828", "school": "#1565c0", "cluster": "#9e9e9e"}
CSS = """
body { font-family: %(font)s; margin: 0 auto; max-width: 1180px; padding: 16px 24px; color: #222; }
h1 { font-size: 26px; border-bottom: 3px solid #1565c0; padding-bottom: 6px; }
h2 { font-size: 21px; margin-top: 36px; border-left: 6px solid #1565c0; padding-left: 8px; }
h3 { font-size: 17px; margin-top: 24px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; white-space: nowrap; }
th { background: #ddebf7; text-align: center; white-space: normal; max-width: 90px; }
td.t { text-align: left; }
tr:nth-child(even) td { background: #f7f9fc; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.kpi { border: 1px solid #cfd8e3; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.kpi b { display: block; font-size: 22px; color: #1565c0; }
.note { color: #555; font-size: 13px; }
.flag { color: #c62828; }
nav a { margin-right: 14px; }
.chart { page-break-inside: avoid; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
@media print { h2 { page-break-before: always; } nav { display: none; } body { max-width: none; } }
""" % {"font": FONT}


class Charts:
    """Embeds figures (plain plotly dicts, not validated: fast); the first one carries plotly.js."""

    def __init__(self, lang: str):
        self.lang = lang
        self.first = True

    def embed(self, fig: dict, height: int = 360) -> str:
        layout = {"height": height, "margin": {"l": 50, "r": 20, "t": 40, "b": 50},
                  "font": {"family": FONT, "size": 12}, "template": PLOTLY_WHITE,
                  "legend": {"orientation": "h", "y": -0.18}, **fig.get("layout", {})}
        out = pio.to_html({"data": fig["data"], "layout": layout}, full_html=False, include_plotlyjs=self.first,
                          validate=False, config={"displayModeBar": False, "responsive": True})
        self.first = False
        return f'<div class="chart">{out}</div>'


def _line(axis: str, value: float, color: str, dash: str = "dash") -> dict:
    """A reference line across the plot: vertical at x = value, or horizontal at y = value."""
    if axis == "x":
        return {"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value, "y0": 0, "y1": 1,
                "line": {"color": color, "dash": dash, "width": 1.5}}
    return {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": value, "y1": value,
            "line": {"color": color, "dash": dash, "width": 1.5}}


def _list(values) -> list:
    return [None if isinstance(v, float) and np.isnan(v) else v for v in np.asarray(values).tolist()]


def _fmt(column: str, value) -> str:
    return html.escape(format_cell(column, value))


def table(frame: pd.DataFrame, lang: str, max_rows: int | None = None) -> str:
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{html.escape(L.column(c, lang))}</th>" for c in shown.columns)
    text_columns = {c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c].dtype)}
    body = []
    for row in shown.itertuples(index=False):
        cells = "".join(f'<td class="t">{_fmt(c, v)}</td>' if c in text_columns else f"<td>{_fmt(c, v)}</td>"
                        for c, v in zip(shown.columns, row))
        body.append(f"<tr>{cells}</tr>")
    note = ""
    if max_rows is not None and len(frame) > max_rows:
        note = f'<p class="note">{html.escape(L.text("truncated", lang, n=max_rows))}</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


# --- charts --------------------------------------------------------------------------------------

def distribution_chart(analysis: ExamAnalysis, subject: str, names: Namer) -> dict:
    ss = analysis.student_scores
    part = ss[ss["subject"] == subject]
    scores = part["score"].to_numpy()
    full = float(part["full_marks"].max())
    width = max(1.0, round(full / 40))
    counts, edges = np.histogram(scores, bins=np.arange(0, full + width, width))
    p = analysis.policy
    return {
        "data": [{"type": "bar", "x": _list(edges[:-1] + width / 2), "y": _list(counts), "width": width * 0.95,
                  "marker": {"color": COLORS["school"]}, "name": L.text("frequency", names.lang)}],
        "layout": {"title": {"text": f"{names.subject(subject)} · {L.text('distribution', names.lang)}"},
                   "xaxis": {"title": {"text": L.text("score_axis", names.lang)}},
                   "yaxis": {"title": {"text": L.text("frequency", names.lang)}}, "showlegend": False,
                   "shapes": [_line("x", f * full, color) for f, color in
                              ((p.low_fraction, COLORS["low"]), (p.pass_fraction, COLORS["pass"]),
                               (p.excellent_fraction, COLORS["excellent"]))]},
    }


def box_chart(analysis: ExamAnalysis, subject: str, names: Namer) -> dict:
    """Box plot by school from quartiles (whiskers: Tukey's 1.5 IQR, within min and max)."""
    ss = analysis.student_scores
    g = ss[ss["subject"] == subject].groupby("school_id", observed=True)["score"]
    q = g.quantile([0.25, 0.5, 0.75]).unstack()
    schools = [s for s in analysis.schools["school_id"] if s in q.index]
    q1, median, q3 = (q.loc[schools, c].to_numpy() for c in (0.25, 0.5, 0.75))
    iqr = q3 - q1
    return {
        "data": [{"type": "box", "x": [names.school(s) for s in schools], "q1": _list(q1), "median": _list(median),
                  "q3": _list(q3), "lowerfence": _list(np.maximum(g.min()[schools].to_numpy(), q1 - 1.5 * iqr)),
                  "upperfence": _list(np.minimum(g.max()[schools].to_numpy(), q3 + 1.5 * iqr)),
                  "mean": _list(g.mean()[schools].to_numpy()), "marker": {"color": COLORS["school"]},
                  "name": names.subject(subject)}],
        "layout": {"title": {"text": f"{names.subject(subject)} · {L.text('boxplot', names.lang)}"},
                   "yaxis": {"title": {"text": L.text("score_axis", names.lang)}}, "showlegend": False},
    }


def _ordered_school_rows(analysis: ExamAnalysis, subject: str) -> pd.DataFrame:
    s = analysis.summary
    order = {school: i for i, school in enumerate(analysis.schools["school_id"])}
    rows = s[(s["level"] == "school") & (s["subject"] == subject)]
    return rows.assign(_o=rows["group_id"].map(order)).sort_values("_o")


def rates_chart(analysis: ExamAnalysis, subject: str, names: Namer) -> dict:
    s = analysis.summary
    rows = pd.concat([_ordered_school_rows(analysis, subject),
                      s[(s["level"] == "cluster") & (s["subject"] == subject)]])
    x = [names.group(lv, g) for lv, g in zip(rows["level"], rows["group_id"])]
    data = [{"type": "bar", "x": x, "y": _list(rows[column]), "name": L.column(column, names.lang),
             "marker": {"color": COLORS[key]}, "text": [f"{v:.0%}" for v in rows[column]], "textposition": "outside"}
            for column, key in (("excellent_rate", "excellent"), ("pass_rate", "pass"), ("low_rate", "low"))]
    title = f"{names.subject(subject)} · {L.text('rates_chart', names.lang)}"
    return {"data": data, "layout": {"title": {"text": title}, "barmode": "group",
                                     "yaxis": {"tickformat": ".0%", "range": [0, 1.1]}}}


def scatter_chart(analysis: ExamAnalysis, subject: str, names: Namer) -> dict:
    items = analysis.items[analysis.items["subject"] == subject]
    p = analysis.policy
    flagged = items["flags"].astype(bool).to_numpy()
    data = []
    groups = ((~flagged, COLORS["pass"], "OK"), (flagged, COLORS["low"], L.text("flagged", names.lang)))
    for mask, color, label in groups:
        part = items[mask]
        data.append({"type": "scatter", "mode": "markers+text", "x": _list(part["difficulty"]),
                     "y": _list(part["discrimination_ul"]),
                     "text": [L.question(n, names.lang) for n in part["number"]],
                     "textposition": "top center", "marker": {"size": 9, "color": color}, "name": label})
    return {"data": data, "layout": {
        "title": {"text": f"{names.subject(subject)} · {L.text('scatter', names.lang)}"},
        "xaxis": {"title": {"text": L.column("difficulty", names.lang)}, "range": [0, 1.05]},
        "yaxis": {"title": {"text": L.column("discrimination_ul", names.lang)}},
        "shapes": [_line("y", p.min_discrimination, COLORS["low"]), _line("x", p.min_difficulty, "#888", "dot"),
                   _line("x", p.max_difficulty, "#888", "dot")]}}


def school_vs_cluster_chart(analysis: ExamAnalysis, school_id: str, names: Namer) -> dict:
    s = analysis.summary
    subjects = [*analysis.subjects, TOTAL]
    mine = s[(s["level"] == "school") & (s["group_id"] == school_id)].set_index("subject").reindex(subjects)
    cluster_id = analysis.schools.set_index("school_id").loc[school_id, "cluster_id"]
    ref = s[(s["level"] == "cluster") & (s["group_id"] == cluster_id)].set_index("subject").reindex(subjects)
    x = [names.subject(x) for x in subjects]
    return {"data": [
        {"type": "bar", "x": x, "y": _list(mine["score_rate"]), "name": names.school(school_id),
         "marker": {"color": COLORS["school"]}},
        {"type": "bar", "x": x, "y": _list(ref["score_rate"]), "name": names.group("cluster", cluster_id),
         "marker": {"color": COLORS["cluster"]}}],
        "layout": {"title": {"text": f"{names.school(school_id)} · {L.column('score_rate', names.lang)}"},
                   "barmode": "group", "yaxis": {"tickformat": ".0%", "range": [0, 1]}}}


def improvement_chart(analysis: ExamAnalysis, names: Namer) -> dict:
    rows = _ordered_school_rows(analysis, TOTAL)
    return {"data": [{"type": "bar", "x": [names.school(g) for g in rows["group_id"]],
                      "y": _list(rows["improvement_rate"]), "marker": {"color": COLORS["excellent"]},
                      "text": [f"{v:.0%}" for v in rows["improvement_rate"]], "textposition": "outside"}],
            "layout": {"title": {"text": f"{L.text('total', names.lang)} · {L.column('improvement_rate', names.lang)}"},
                       "yaxis": {"tickformat": ".0%", "range": [0, 1]}, "showlegend": False}}


# --- the document --------------------------------------------------------------------------------

def render_html(analysis: ExamAnalysis, tables: dict[str, pd.DataFrame], reports: list[SchoolReport],
                lang: str) -> str:
    names = Namer(analysis, lang)
    charts = Charts(lang)
    max_rows = analysis.policy.html_max_table_rows
    zh = lang == "zh"
    title = f"{analysis.exam_id} {L.text('report_title', lang)}"
    sections = [("overview", L.text("overview", lang)), ("schools", L.text("schools", lang)),
                ("subjects", L.text("subjects", lang)), ("items", L.text("item_analysis", lang)),
                ("vertical", L.text("vertical", lang)), ("assessment", L.text("assessment", lang)),
                ("methods", L.text("methods", lang))]
    out = [f'<h1>{html.escape(title)}</h1>',
           "<nav>" + "".join(f'<a href="#{k}">{html.escape(v)}</a>' for k, v in sections) + "</nav>"]

    # overview
    total = analysis.summary[analysis.summary["subject"] == TOTAL]
    district = total[total["level"] == "district"].iloc[0]
    kpis = [(L.text("students_n", lang), f"{len(analysis.students)}"),
            (L.text("schools_n", lang), f"{len(analysis.schools)}"),
            (L.text("classes_n", lang), f"{len(analysis.classes)}"),
            (L.column("mean", lang) + f" ({L.text('total', lang)})",
             f"{district['mean']:.1f} / {district['full_marks']:g}"),
            (L.column("excellent_rate", lang), f"{district['excellent_rate']:.1%}"),
            (L.column("pass_rate", lang), f"{district['pass_rate']:.1%}"),
            (L.column("low_rate", lang), f"{district['low_rate']:.1%}")]
    if analysis.has_previous:
        kpis.append((L.column("improvement_rate", lang), f"{district['improvement_rate']:.1%}"))
    out.append(f'<h2 id="overview">{html.escape(L.text("overview", lang))}</h2>')
    out.append('<div class="kpis">' + "".join(f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>'
                                              for k, v in kpis) + "</div>")
    out.append(f'<p class="note">{html.escape(L.text("exam", lang))}: {html.escape(analysis.exam_id)} · '
               f'{html.escape(L.text("generated", lang))}: {dt.datetime.now():%Y-%m-%d %H:%M}</p>')
    if analysis.warnings:
        out.append(f'<p class="note flag">{html.escape(L.text("warnings", lang))}: '
                   + html.escape("; ".join(analysis.warnings)) + "</p>")
    out.append(f'<h3>{html.escape(L.text("total", lang))} · {html.escape(L.text("school_table", lang))}</h3>')
    school_table = tables["school_summary"]
    total_name = names.subject(TOTAL)
    overview_drop = ["school_id", "subject", "full_marks"]
    if analysis.schools["cluster_id"].nunique() == 1:
        overview_drop.append("cluster_id")
    out.append(table(school_table[school_table["subject"] == total_name].drop(columns=overview_drop), lang))
    out.append(charts.embed(distribution_chart(analysis, TOTAL, names)))
    pair = "grid" if len(analysis.schools) <= 10 else "stack"  # many schools: one chart per row
    out.append(f'<div class="{pair}">' + charts.embed(box_chart(analysis, TOTAL, names))
               + charts.embed(rates_chart(analysis, TOTAL, names)) + "</div>")
    out.append(f"<h3>{html.escape(L.sheet('papers', lang))}</h3>" + table(tables["papers"], lang))
    out.append(f"<h3>{html.escape(L.sheet('cluster_summary', lang))}</h3>" + table(tables["cluster_summary"], lang))

    # schools
    out.append(f'<h2 id="schools">{html.escape(L.text("schools", lang))}</h2>')
    for report in reports:
        out.append(f'<h3 id="school-{html.escape(report.school_id)}">{html.escape(report.name)}</h3>')
        out.append(table(report.state, lang))
        out.append(charts.embed(school_vs_cluster_chart(analysis, report.school_id, names), height=300))
        out.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in report.gap_lines) + "</ul>")
        if len(report.classes):
            out.append(table(report.classes, lang, max_rows))
        if len(report.weak_items):
            out.append(f'<p class="note">{"得分率差距最大的小题" if zh else "Items furthest below the cluster"}</p>')
            out.append(table(report.weak_items, lang, max_rows))

    # subjects
    out.append(f'<h2 id="subjects">{html.escape(L.text("subjects", lang))}</h2>')
    class_table = tables["class_summary"]
    for subject in analysis.subjects:
        label = names.subject(subject)
        out.append(f"<h3>{html.escape(label)}</h3>")
        out.append(table(school_table[school_table["subject"] == label].drop(columns=["school_id", "subject"]), lang))
        out.append(f'<div class="{pair}">' + charts.embed(box_chart(analysis, subject, names))
                   + charts.embed(rates_chart(analysis, subject, names)) + "</div>")
        out.append(charts.embed(distribution_chart(analysis, subject, names), height=300))
        out.append(f'<p class="note">{html.escape(L.text("class_table", lang))}</p>')
        out.append(table(class_table[class_table["subject"] == label].drop(columns=["subject"]), lang, max_rows))

    # item analysis
    out.append(f'<h2 id="items">{html.escape(L.text("item_analysis", lang))}</h2>')
    item_table = tables["items"]
    for subject in analysis.subjects:
        label = names.subject(subject)
        paper = analysis.papers.set_index("subject").loc[subject]
        out.append(f"<h3>{html.escape(label)} · {html.escape(L.column('alpha', lang))} = {paper['alpha']:.3f}</h3>")
        out.append(charts.embed(scatter_chart(analysis, subject, names), height=380))
        out.append(table(item_table[item_table["subject"] == label].drop(columns=["subject", "item_id"]), lang))
    if "options" in tables:
        out.append(f"<h3>{html.escape(L.text('options_title', lang))}</h3>")
        options = tables["options"]
        flagged = options[options["flag"] != ""]
        out.append(table(flagged if len(flagged) else options, lang, max_rows))

    # vertical
    out.append(f'<h2 id="vertical">{html.escape(L.text("vertical", lang))}</h2>')
    if analysis.has_previous:
        improvement_key = "提高率" if zh else "Improvement rate"
        out.append(f'<p class="note">{html.escape(L.text("previous", lang, exam=analysis.previous_exam_id))} '
                   f'{html.escape(dict(tables["methods"].itertuples(index=False))[improvement_key])}</p>')
        out.append(charts.embed(improvement_chart(analysis, names), height=320))
        vertical = tables["vertical"]
        level_school = L.level("school", lang)
        level_cluster = L.level("cluster", lang)
        out.append(table(vertical[vertical["level"].isin([level_school, level_cluster])], lang, max_rows))
    else:
        out.append(f'<p class="note">{html.escape(L.text("no_previous", lang))}</p>')

    # assessment
    out.append(f'<h2 id="assessment">{html.escape(L.text("assessment", lang))}</h2>')
    we, wp, wi = analysis.policy.teacher_weights(analysis.has_previous)
    out.append(f'<p class="note">{html.escape(L.text("weights", lang, we=we, wp=wp, wi=wi))}</p>')
    out.append(table(tables["teacher_assessment"].drop(columns=["teacher_id", "class_ids"]), lang, max_rows))

    # methods
    out.append(f'<h2 id="methods">{html.escape(L.text("methods", lang))}</h2>')
    out.append(table(tables["methods"], lang))

    return (f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(out) + "</body></html>")
