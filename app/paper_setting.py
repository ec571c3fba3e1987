"""Unified question setting (统一命题) for the research office: setting team, blueprint, paper assembly,
and the review (审题) — approve, reject with comments, or swap items — as use cases.

`set_papers` drafts a paper for every subject that has none; `apply_review` applies a decision
(a swap or rejection only together with the paper that replaces the draft, so a subject never ends
with no paper); `assemble_again` sets one subject's paper again. The `question-setting` and
`paper-approval` flows (flows/question_setting.py) run them, the latter pausing for the review;
`xuequ paper approve|assemble` run them in-process.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from app.exam_context import ExamContext, exam_context
from app.policies import ResolvedPolicy
from app.stages import StageOutcome
from domain.vocab import SUBJECTS
from models import audit
from models.bundles import export_tables
from models.db import session_scope
from models.papers import PaperItemRow, latest_paper, review_paper, store_paper
from scheduling.question_setting import (AssemblyResult, Blueprint, Paper, assemble_paper, bank_from_tables,
                                         candidates_from_tables, choose_setting_team, default_blueprint,
                                         recently_used_items)

SETTING_TABLES = ["schools", "teachers", "researchers", "items", "item_usage"]
PAPER_STATUS = {"draft": "待审草稿", "locked": "已批准锁定", "rejected": "已驳回", "none": "无"}


class ReviewDecision(Protocol):
    """What a review says, whoever sends it (a `Review`, or the flow's Prefect form `PaperReview`)."""

    @property
    def decision(self) -> str: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def comment(self) -> str: ...
    @property
    def remove_items(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Review:
    """The research office's decision on a paper (the Prefect UI's form and `xuequ paper approve` alike)."""

    decision: str = "approve"  # approve, reject or swap
    reviewer: str = "教研室"
    comment: str = ""
    remove_items: tuple[str, ...] = ()  # swap: items to take out; the rest of the paper stays


def setting_policy(context: ExamContext, policy_file: str | None = None) -> ResolvedPolicy:
    """The question-setting policy of this run: `--policy FILE` if given, else the one in force."""
    return context.policy("question_setting", policy_file)


def setting_tables(url: str) -> dict[str, pd.DataFrame]:
    with session_scope(url) as session:
        return export_tables(session, SETTING_TABLES)


def subject_label(subject: str, lang: str = "zh") -> str:
    return f"{SUBJECTS.get(subject, subject)}（{subject}）" if lang == "zh" else subject


def setting_history(url: str, school_year: int, exclude_exam: str) -> dict[str, int]:
    """How many papers each person has set this school year (from earlier seasons' setting stages)."""
    from sqlalchemy import select

    from models import Exam, SeasonStage

    counts: dict[str, int] = {}
    with session_scope(url) as session:
        rows = session.execute(select(SeasonStage.detail).join(Exam, Exam.exam_id == SeasonStage.exam_id).where(
            SeasonStage.stage == "setting", Exam.school_year == school_year, Exam.exam_id != exclude_exam))
        for (detail,) in rows:
            for members in (detail or {}).get("teams", {}).values():
                for person in members:
                    counts[person] = counts.get(person, 0) + 1
    return counts


def paper_rows(paper: Paper) -> list[PaperItemRow]:
    """A scheduled paper as rows to store; each subjective item is its own marking group (题组)."""
    return [PaperItemRow(position=p.number, item_id=p.item.item_id, max_score=p.marking.max_score,
                         score_step=p.marking.score_step, tolerance=p.marking.tolerance, key=p.marking.key,
                         rubric=p.marking.rubric,
                         item_group=f"Q{p.number}" if p.item.item_type == "subjective" else None)
                for p in paper.items]


def assemble_subject(tables: dict[str, pd.DataFrame], facts: ExamContext, subject: str, history: dict[str, int],
                     lang: str, forbidden: list[str] | None = None, previous_ids: list[str] | None = None,
                     blueprint: dict | None = None, policy_file: str | None = None) -> dict:
    """Setting team and a paper for one subject (pure: tables in, plain result out)."""
    resolved = setting_policy(facts, policy_file)
    policy = resolved.policy
    if "items" not in tables or tables["items"].empty:  # no question bank imported yet
        return {"ok": False, "explanation": ["题库为空：请先导入 items.csv（题库）" if lang == "zh"
                                              else "the question bank is empty: import items.csv first"]}
    try:
        bank = bank_from_tables(tables, subject, facts["grade"])
    except ValueError as error:  # a bank row the contract refuses: said, not raised
        return {"ok": False, "explanation": [str(error)]}
    if not bank:
        return {"ok": False, "explanation": [f"{subject}: 题库中没有 {facts['grade']} 年级的题目"
                                              if lang == "zh" else f"{subject}: no bank items for grade {facts['grade']}"]}
    team = choose_setting_team(candidates_from_tables(tables, subject, facts["schools"]), facts["kind"],
                               policy.setting_team, history, subject=subject, grade=facts["grade"], lang=lang)
    # Propose the blueprint from the items this cohort may still see, so the proposal can be met.
    recent = recently_used_items(bank, facts["cohort"], policy.assembly.recent_exams_excluded)
    usable = [item for item in bank if item.item_id not in recent and item.item_id not in set(forbidden or ())]
    print_blueprint = (Blueprint.from_dict(blueprint) if blueprint
                       else default_blueprint(subject, facts["grade"], usable, policy.blueprint,
                                              assembly=policy.assembly))
    previous = None
    if previous_ids:
        by_id = {item.item_id: item for item in bank}
        previous = Paper.from_items([by_id[i] for i in previous_ids if i in by_id], policy.assembly,
                                    subject=subject, grade=facts["grade"], cohort=facts["cohort"])
    result: AssemblyResult = assemble_paper(bank, print_blueprint, policy.assembly, cohort=facts["cohort"],
                                            forbidden=forbidden or (), previous=previous, lang=lang)
    if not blueprint and result.status == "infeasible":
        # Our own proposal cannot be met (it counted both items of an enemy pair): propose again from
        # at most one item of each pair, which the assembly can always use.
        print_blueprint = default_blueprint(subject, facts["grade"], usable, policy.blueprint,
                                            assembly=policy.assembly, enemy_free=True)
        result = assemble_paper(bank, print_blueprint, policy.assembly, cohort=facts["cohort"],
                                forbidden=forbidden or (), previous=previous, lang=lang)
    return {"ok": result.ok and team.ok, "team": team.member_ids, "team_leader": team.leader_id,
            "team_explanation": team.explanation, "team_frame": team.to_frame(lang) if team.ok else None,
            # A best-effort team keeps the stage going; its shortfall (relaxations, explained) travels with it.
            "team_best_effort": team.best_effort, "team_relaxations": [r.to_dict() for r in team.relaxations],
            "paper": result.paper if result.ok else None, "explanation": result.explanation,
            "blueprint": print_blueprint.to_dict(), "status": result.status, "policy": resolved.record(),
            "seconds": round(result.solve_seconds, 2)}


def store_draft(session, exam_id: str, subject: str, assembled: dict, actor: str):
    return store_paper(session, exam_id, subject, paper_rows(assembled["paper"]),
                       blueprint={"blueprint": assembled["blueprint"], "team": assembled["team"],
                                  "team_leader": assembled["team_leader"],
                                  "team_relaxations": assembled.get("team_relaxations", []),
                                  "policy": assembled.get("policy")}, created_by=actor)


def save_draft(url: str, exam_id: str, subject: str, assembled: dict, actor: str) -> int:
    """Store the assembled paper as a new draft version; returns the version."""
    with session_scope(url) as session:
        session.info["actor"] = actor
        return store_draft(session, exam_id, subject, assembled, actor).version


def papers_to_set(url: str, context: ExamContext) -> tuple[dict[str, list[str]], list[str]]:
    """(teams of subjects that already have a draft or locked paper, subjects still to set)."""
    teams: dict[str, list[str]] = {}
    to_set = []
    with session_scope(url) as session:
        for subject in context.subjects:
            existing = latest_paper(session, context.exam_id, subject)
            if existing is not None and existing.status in ("draft", "locked"):
                teams[subject] = existing.blueprint.get("team", [])
            else:
                to_set.append(subject)
    return teams, to_set


def setting_outcome(context: ExamContext, teams: dict[str, list[str]], results: list[tuple[str, dict, int | None]],
                    lang: str) -> StageOutcome:
    """The setting stage's outcome from each subject's assembly (subject, result, stored version or None)."""
    problems, made = [], []
    for subject, assembled, version in results:
        if not assembled["ok"]:
            lines = assembled.get("team_explanation", []) + assembled["explanation"]
            problems.append(f"{subject_label(subject, lang)}: " + " ".join(lines))  # which subject, then why
            continue
        teams[subject] = assembled["team"]
        paper = assembled["paper"]
        made.append(f"{subject_label(subject, lang)} 第 {version} 版（{len(paper.items)} 题，{paper.total:g} 分，"
                    f"用时 {assembled['seconds']} 秒）" if lang == "zh" else
                    f"{subject} v{version} ({len(paper.items)} items, {paper.total:g} points, {assembled['seconds']} s)")
        if assembled.get("team_best_effort"):  # the team is best-effort: say what fell short, in the summary
            shortfall = " ".join(assembled.get("team_explanation", []))
            made[-1] += (f" — 命题组未满足全部政策：{shortfall}" if lang != "en"
                         else f" — the setting team does not meet every rule: {shortfall}")
    teams = {subject: teams[subject] for subject in context.subjects if subject in teams}  # subject order
    if problems:
        return StageOutcome("setting", "blocked", "；".join(problems), {"teams": teams})
    return StageOutcome("setting", "done", (f"草稿：{'；'.join(made) or '各科都已有试卷'}" if lang == "zh" else
                                            f"drafts: {', '.join(made) or 'all subjects already had papers'}"),
                        {"teams": teams})


def set_papers(exam_id: str, url: str, lang: str = "zh", policy_file: str | None = None) -> StageOutcome:
    """Setting team and a draft paper per subject, in-process and one subject after another (the flow
    fans the subjects out); subjects that already have a paper are left alone."""
    context = exam_context(url, exam_id)
    tables = setting_tables(url)
    history = setting_history(url, context.school_year, exam_id)
    teams, to_set = papers_to_set(url, context)
    results = []
    for subject in to_set:
        assembled = assemble_subject(tables, context, subject, history, lang, policy_file=policy_file)
        version = save_draft(url, exam_id, subject, assembled, "question-setting") if assembled["ok"] else None
        results.append((subject, assembled, version))
    return setting_outcome(context, teams, results, lang)


def paper_state(url: str, exam_id: str, subject: str) -> tuple[str | None, int, str]:
    """(status, version, the paper as Markdown) of the subject's latest paper; (None, 0, '') if none."""
    with session_scope(url) as session:
        paper = latest_paper(session, exam_id, subject)
        return (paper.status, paper.version, paper_markdown(paper)) if paper else (None, 0, "")


def draft_to_review(url: str, exam_id: str, subject: str) -> tuple[str | None, int]:
    """(status, version) of the subject's latest paper, for sending a review to the run waiting for it."""
    with session_scope(url) as session:
        paper = latest_paper(session, exam_id, subject)
        return (paper.status, paper.version) if paper else (None, 0)


def apply_review(url: str, exam_id: str, subject: str, review: ReviewDecision, lang: str = "zh",
                 policy_file: str | None = None) -> str:
    """Apply a review to the subject's latest draft: lock it, or re-assemble a new draft. Returns a summary.

    A swap (or rejection) is applied only together with the paper that replaces the draft, in one
    transaction: when the blueprint cannot absorb it, the draft stays as it was, still waiting for
    review, and the summary says which blueprint cell falls short and by how many points. So a
    subject never ends with no paper.
    """
    with session_scope(url) as session:
        session.info["actor"] = review.reviewer
        paper = latest_paper(session, exam_id, subject)
        if paper is None or paper.status != "draft":
            latest = paper.status if paper else "none"
            return (f"{subject_label(subject, lang)}：没有待审草稿（最新一版：{PAPER_STATUS.get(latest, latest)}）"
                    if lang == "zh" else f"{subject}: no draft to review (latest: {latest})")
        if review.decision == "approve":
            review_paper(session, paper, decision="approve", reviewer=review.reviewer, comment=review.comment)
            return (f"{subject_label(subject, lang)} 第 {paper.version} 版已由 {review.reviewer} 批准并锁定" if lang == "zh"
                    else f"{subject} v{paper.version} approved and locked by {review.reviewer}")
        if review.decision not in ("reject", "swap"):
            raise ValueError(f"unknown decision {review.decision!r}: approve, reject or swap")
        previous_ids = [item.item_id for item in paper.items]
        blueprint = paper.blueprint.get("blueprint")
        version = paper.version
    facts = exam_context(url, exam_id)
    tables = setting_tables(url)
    # Reject: a fresh paper (none of the old items); swap: only the named items change.
    forbidden = previous_ids if review.decision == "reject" else list(review.remove_items)
    assembled = assemble_subject(tables, facts, subject, {}, lang, forbidden=forbidden,
                                    previous_ids=None if review.decision == "reject" else previous_ids,
                                    blueprint=blueprint, policy_file=policy_file)
    with session_scope(url) as session:
        session.info["actor"] = review.reviewer
        paper = latest_paper(session, exam_id, subject)
        if paper is None or paper.version != version or paper.status != "draft":
            return (f"{subject_label(subject, lang)} 第 {version} 版在重新组卷期间已有改动，本次未做修改" if lang == "zh"
                    else f"{subject} v{version}: the paper changed while re-assembling; nothing was done")
        if not assembled["ok"]:
            audit.record(session, f"{review.decision}-not-applied", "paper",
                         f"{exam_id}:{subject}:{paper.form}:v{version}",
                         {"status": "draft", "remove_items": forbidden if review.decision == "swap" else [],
                          "why": assembled["explanation"]}, note=review.comment or None)
            return _review_not_applied(exam_id, subject, version, review, assembled["explanation"], lang)
        review_paper(session, paper, decision=review.decision, reviewer=review.reviewer, comment=review.comment)
        new_version = store_draft(session, exam_id, subject, assembled, review.reviewer).version
    done_zh = "已驳回" if review.decision == "reject" else "已换题"
    said_zh, said_en = (f"（{review.comment}）", f" ({review.comment})") if review.comment else ("", "")
    return (f"{subject_label(subject, lang)} 第 {version} 版{done_zh}{said_zh}；新草稿 第 {new_version} 版，待审核"
            if lang == "zh" else f"{subject} v{version} {review.decision}ed{said_en}; new draft v{new_version}")


def _why(explanation: list[str], lang: str) -> str:
    """The assembly's explanation as one clause: its heading, then the cells and their shortfalls."""
    if not explanation:
        return ""
    head, rest = explanation[0], explanation[1:]
    return head + ("；" if lang == "zh" else "; ").join(rest)


def _review_not_applied(exam_id: str, subject: str, version: int, review: ReviewDecision, explanation: list[str],
                        lang: str) -> str:
    label, why = subject_label(subject, lang), _why(explanation, lang)
    again = f"xuequ paper assemble --exam {exam_id} --subject {subject}"
    if review.decision == "swap":
        removed = ", ".join(review.remove_items)
        return (f"{label} v{version} 仍为待审草稿，未换题：移除 {removed} 后{why}。可另选要换的题、直接批准，"
                f"或用 `{again}` 重新组卷" if lang == "zh" else
                f"{subject} v{version} stays a draft awaiting review, nothing swapped: without {removed}, {why}. "
                f"Swap other items, approve it, or re-assemble with `{again}`")
    return (f"{label} v{version} 仍为待审草稿，驳回未生效：题库中没有不含原卷题目的另一套试卷，{why}。可改为换题、"
            f"直接批准，或补充题库后用 `{again}` 重新组卷" if lang == "zh" else
            f"{subject} v{version} stays a draft awaiting review, the rejection is not applied: the bank has no "
            f"other paper without its items; {why}. Swap items instead, approve it, or add bank items and "
            f"re-assemble with `{again}`")


def assemble_again(url: str, exam_id: str, subject: str, actor: str = "question-setting", lang: str = "zh",
                   policy_file: str | None = None) -> tuple[bool, str]:
    """Set a subject's paper again (`xuequ paper assemble`): a new draft, whatever state the last one is in.

    The new paper keeps as many items of the last paper as it can, under the last paper's blueprint;
    when that blueprint cannot be met any more, a blueprint is proposed from the bank again and the
    summary states the gap of the old one. A draft it replaces is marked rejected in the same
    transaction; an approved (locked) paper is never replaced. Returns (made, summary).
    """
    label = subject_label(subject, lang)
    facts = exam_context(url, exam_id)
    if subject not in facts["subjects"]:
        return False, (f"{label}：考试 {exam_id} 没有这一科（科目：{', '.join(facts['subjects'])}）" if lang == "zh"
                       else f"exam {exam_id} has no subject {subject} (subjects: {', '.join(facts['subjects'])})")
    with session_scope(url) as session:
        last = latest_paper(session, exam_id, subject)
        if last is not None and last.status == "locked":
            return False, (f"{label} v{last.version} 已批准并锁定，不能重新组卷" if lang == "zh"
                           else f"{subject} v{last.version} is approved and locked; it cannot be set again")
        last_version = last.version if last is not None else None
        previous_ids = [item.item_id for item in last.items] if last is not None else None
        blueprint = last.blueprint.get("blueprint") if last is not None else None
    tables = setting_tables(url)
    history = setting_history(url, facts["school_year"], exam_id)
    gap: list[str] = []
    assembled = None
    if blueprint:
        assembled = assemble_subject(tables, facts, subject, history, lang, previous_ids=previous_ids,
                                        blueprint=blueprint, policy_file=policy_file)
        if not assembled["ok"]:
            gap = assembled["explanation"]
    if assembled is None or not assembled["ok"]:
        assembled = assemble_subject(tables, facts, subject, history, lang, previous_ids=previous_ids,
                                        policy_file=policy_file)
    if not assembled["ok"]:
        lines = assembled.get("team_explanation", []) + assembled["explanation"]
        return False, (f"{label}：仍无法组卷：" if lang == "zh" else f"{subject}: still no paper: ") + " ".join(lines)
    with session_scope(url) as session:
        session.info["actor"] = actor
        last = latest_paper(session, exam_id, subject)
        if last is not None and last.version != last_version:
            return False, f"{subject}: the paper changed while re-assembling; nothing was done"
        if last is not None and last.status == "draft":
            review_paper(session, last, decision="reject", reviewer=actor,
                         comment="重新组卷 replaced by xuequ paper assemble")
        new = store_draft(session, exam_id, subject, assembled, actor)
        version, items, total = new.version, len(new.items), new.total
    kept = len(set(previous_ids or ()) & {p.item.item_id for p in assembled["paper"].items})
    summary = (f"{label} 新草稿 v{version}：{items} 题，{total:g} 分（保留上一版 {kept} 题），待审核" if lang == "zh"
               else f"{subject}: new draft v{version}, {items} items, {total:g} points ({kept} kept from the last "
                    "version), awaiting review")
    if gap:
        summary += ((f"；原细目表已无法满足（{_why(gap, lang)}），已按题库重新拟定细目表" if lang == "zh"
                     else f"; the old blueprint cannot be met any more ({_why(gap, lang)}), so a new one was "
                          "proposed from the bank"))
    return True, summary


def waiting_for_review(url: str, facts: ExamContext, lang: str = "zh") -> StageOutcome:
    """The approval stage waiting for people: one line naming the exam, the papers to review and the command."""
    exam_id = facts["exam_id"]
    with session_scope(url) as session:
        pending = [s for s in facts["subjects"] if (p := latest_paper(session, exam_id, s)) is None
                   or p.status != "locked"]
    first = pending[0] if pending else (facts["subjects"] or ["..."])[0]
    command = f"xuequ paper approve --exam {exam_id} --subject {first}"
    if lang == "zh":
        names = "、".join(SUBJECTS.get(s, s) for s in pending)
        line = f"{facts.get('name') or exam_id} {names}试卷待审：请用 {command} 审核后再运行 xuequ season run --exam {exam_id}"
    else:
        line = (f"{facts.get('name') or exam_id}: paper(s) of {', '.join(pending)} await review: review with "
                f"{command}, then run xuequ season run --exam {exam_id} again")
    return StageOutcome("approval", "waiting", line, {"pending": pending})


def paper_markdown(paper) -> str:
    lines = [f"### {paper.exam_id} {paper.subject} 试卷 v{paper.version}（{paper.status}）", "",
             f"总分 {paper.total:g}；命题组 {', '.join(paper.blueprint.get('team', []))}", "",
             "| 题号 | 题目编号 | 分值 | 步长 | 双评误差 | 题组 |", "|---|---|---|---|---|---|"]
    for item in paper.items:
        lines.append(f"| {item.position} | {item.item_id} | {item.max_score:g} | {item.score_step:g} | "
                     f"{'' if item.tolerance is None else f'{item.tolerance:g}'} | {item.item_group or ''} |")
    return "\n".join(lines)


