"""Unified question setting (统一命题): setting team, blueprint, paper assembly, and the review pause.

Stages of the exam season, each its own flow so it can be rerun alone:
- `question-setting`: for each subject of the exam, choose the setting team and assemble a draft paper;
- `paper-approval`: pause for the research office's review (approve, reject with comments, swap items),
  re-assemble after a rejection, lock the approved paper.
"""
from __future__ import annotations

from typing import Literal

import pandas as pd
from prefect import flow, task
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from domain.vocab import SUBJECTS
from app.policies import parse_policy, resolve_in
from flows.common import IO_RETRIES, StageOutcome, load_tables, log, publish_markdown, publish_table, resolved_url
from flows.runners import FanOutTaskRunner
from models import audit
from models.db import session_scope
from models.papers import PaperItemRow, latest_paper, review_paper, store_paper
from scheduling.question_setting import (AssemblyResult, Blueprint, Paper, assemble_paper, bank_from_tables,
                                         candidates_from_tables, choose_setting_team, default_blueprint, load_policy,
                                         recently_used_items)


class PaperReview(RunInput):
    """The research office's decision on a paper (a form in the Prefect UI, or `xuequ paper approve`)."""

    decision: Literal["approve", "reject", "swap"] = "approve"
    reviewer: str = "教研室"
    comment: str = ""
    remove_items: list[str] = []  # swap: items to take out; the rest of the paper stays


def review_key(subject: str, version: int, round_: int = 0) -> str:
    """The pause key of one paper version: the CLI resumes a paused run only for the paper it names.

    A review that leaves the draft as it was (a swap the blueprint cannot absorb) pauses again on the
    same version: each round needs its own key, since Prefect does not pause twice on one key (it
    would hand back the previous input instead).
    """
    return f"review-{subject}-v{version}" + (f"-r{round_}" if round_ else "")


def subject_label(subject: str, lang: str = "zh") -> str:
    return f"{SUBJECTS.get(subject, subject)}（{subject}）" if lang == "zh" else subject


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def exam_facts(url: str, exam_id: str) -> dict:
    """The exam's grade, year, kind, cluster schools and subjects."""
    from sqlalchemy import select

    from models import Exam, ExamSession, School

    with session_scope(url) as session:
        exam = session.get(Exam, exam_id)
        if exam is None:
            raise ValueError(f"unknown exam {exam_id}: import exams.csv first")
        subjects = list(dict.fromkeys(session.scalars(
            select(ExamSession.subject).where(ExamSession.exam_id == exam_id).order_by(ExamSession.date,
                                                                                       ExamSession.start))))
        schools_query = select(School.school_id)
        if exam.cluster_id:
            schools_query = schools_query.where(School.cluster_id == exam.cluster_id)
        # the question-setting policy in force for the exam's cluster (or the district), year and term
        policy = resolve_in(session, "question_setting", cluster_id=exam.cluster_id, school_year=exam.school_year,
                            term=exam.term)
        return {"exam_id": exam_id, "grade": exam.grade, "school_year": exam.school_year, "term": exam.term,
                "kind": exam.kind, "cluster_id": exam.cluster_id, "subjects": subjects, "name": exam.name,
                "schools": list(session.scalars(schools_query)),
                "cohort": exam.school_year - exam.grade + 1,
                "setting_policy": policy.text, "setting_policy_record": policy.record()}


def setting_policy(facts: dict, policy_file: str | None = None):
    """The question-setting policy of this run: `--policy FILE` if given, else the one in force (exam_facts)."""
    if policy_file or "setting_policy" not in facts:
        return load_policy(policy_file)
    return parse_policy("question_setting", facts["setting_policy"])


def _setting_history(url: str, school_year: int, exclude_exam: str) -> dict[str, int]:
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


@task
def assemble_subject(tables: dict[str, pd.DataFrame], facts: dict, subject: str, history: dict[str, int],
                     lang: str, forbidden: list[str] | None = None, previous_ids: list[str] | None = None,
                     blueprint: dict | None = None, policy_file: str | None = None) -> dict:
    """Setting team and a paper for one subject (pure: tables in, plain result out)."""
    policy = setting_policy(facts, policy_file)
    bank = bank_from_tables(tables, subject, facts["grade"])
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
            "blueprint": print_blueprint.to_dict(), "status": result.status,
            "seconds": round(result.solve_seconds, 2)}


def _store_draft(session, exam_id: str, subject: str, assembled: dict, actor: str):
    return store_paper(session, exam_id, subject, paper_rows(assembled["paper"]),
                       blueprint={"blueprint": assembled["blueprint"], "team": assembled["team"],
                                  "team_leader": assembled["team_leader"],
                                  "team_relaxations": assembled.get("team_relaxations", [])}, created_by=actor)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def save_draft(url: str, exam_id: str, subject: str, assembled: dict, actor: str) -> int:
    """Store the assembled paper as a new draft version; returns the version."""
    with session_scope(url) as session:
        session.info["actor"] = actor
        return _store_draft(session, exam_id, subject, assembled, actor).version


@flow(name="question-setting", log_prints=True, task_runner=FanOutTaskRunner())
def question_setting(exam_id: str, db_url: str | None = None, lang: str = "zh",
                     policy_file: str | None = None) -> StageOutcome:
    """Setting team and a draft paper per subject; subjects that already have a paper are left alone."""
    url = resolved_url(db_url)
    facts = exam_facts(url, exam_id)
    tables = load_tables(url, ["schools", "teachers", "researchers", "items", "item_usage"])
    history = _setting_history(url, facts["school_year"], exam_id)
    teams, problems, made = {}, [], []
    to_set = []
    for subject in facts["subjects"]:
        with session_scope(url) as session:
            existing = latest_paper(session, exam_id, subject)
            if existing is not None and existing.status in ("draft", "locked"):
                teams[subject] = existing.blueprint.get("team", [])
                continue
        to_set.append(subject)
    # Each subject's assembly stands alone (tables in, plain result out): all are submitted at once to
    # the flow's runner (flows.runners), then stored one by one in subject order.
    futures = [assemble_subject.submit(tables, facts, subject, history, lang, policy_file=policy_file)
               for subject in to_set]
    for subject, future in zip(to_set, futures, strict=True):
        assembled = future.result()
        if not assembled["ok"]:
            lines = assembled.get("team_explanation", []) + assembled["explanation"]
            problems.append(f"{subject_label(subject, lang)}: " + " ".join(lines))  # which subject, then why
            continue
        version = save_draft(url, exam_id, subject, assembled, actor="question-setting")
        teams[subject] = assembled["team"]
        made.append(f"{subject} v{version} ({len(assembled['paper'].items)} items, "
                    f"{assembled['paper'].total:g} points, {assembled['seconds']} s)")
        if assembled.get("team_best_effort"):  # the team is best-effort: say what fell short, in the summary
            shortfall = " ".join(assembled.get("team_explanation", []))
            made[-1] += (f" — 命题组未满足全部政策：{shortfall}" if lang != "en"
                         else f" — the setting team does not meet every rule: {shortfall}")
        if assembled["team_frame"] is not None:
            publish_table(f"{exam_id}-{subject}-setting-team", assembled["team_frame"], f"{subject} 命题组")
    teams = {subject: teams[subject] for subject in facts["subjects"] if subject in teams}  # subject order
    if problems:
        return StageOutcome("setting", "blocked", "；".join(problems), {"teams": teams})
    return StageOutcome("setting", "done", f"drafts: {', '.join(made) or 'all subjects already had papers'}",
                        {"teams": teams})


def apply_review(url: str, exam_id: str, subject: str, review: PaperReview, lang: str = "zh",
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
            return f"{subject}: no draft to review (latest: {paper.status if paper else 'none'})"
        if review.decision == "approve":
            review_paper(session, paper, decision="approve", reviewer=review.reviewer, comment=review.comment)
            return f"{subject} v{paper.version} approved and locked by {review.reviewer}"
        if review.decision not in ("reject", "swap"):
            raise ValueError(f"unknown decision {review.decision!r}: approve, reject or swap")
        previous_ids = [item.item_id for item in paper.items]
        blueprint = paper.blueprint.get("blueprint")
        version = paper.version
    facts = exam_facts.fn(url, exam_id)
    tables = load_tables.fn(url, ["schools", "teachers", "researchers", "items", "item_usage"])
    # Reject: a fresh paper (none of the old items); swap: only the named items change.
    forbidden = previous_ids if review.decision == "reject" else list(review.remove_items)
    assembled = assemble_subject.fn(tables, facts, subject, {}, lang, forbidden=forbidden,
                                    previous_ids=None if review.decision == "reject" else previous_ids,
                                    blueprint=blueprint, policy_file=policy_file)
    with session_scope(url) as session:
        session.info["actor"] = review.reviewer
        paper = latest_paper(session, exam_id, subject)
        if paper is None or paper.version != version or paper.status != "draft":
            return f"{subject} v{version}: the paper changed while re-assembling; nothing was done"
        if not assembled["ok"]:
            audit.record(session, f"{review.decision}-not-applied", "paper",
                         f"{exam_id}:{subject}:{paper.form}:v{version}",
                         {"status": "draft", "remove_items": forbidden if review.decision == "swap" else [],
                          "why": assembled["explanation"]}, note=review.comment or None)
            return _review_not_applied(exam_id, subject, version, review, assembled["explanation"], lang)
        review_paper(session, paper, decision=review.decision, reviewer=review.reviewer, comment=review.comment)
        new_version = _store_draft(session, exam_id, subject, assembled, review.reviewer).version
    return f"{subject} v{version} {review.decision}ed ({review.comment}); new draft v{new_version}"


def _why(explanation: list[str], lang: str) -> str:
    """The assembly's explanation as one clause: its heading, then the cells and their shortfalls."""
    if not explanation:
        return ""
    head, rest = explanation[0], explanation[1:]
    return head + ("；" if lang == "zh" else "; ").join(rest)


def _review_not_applied(exam_id: str, subject: str, version: int, review: PaperReview, explanation: list[str],
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
    facts = exam_facts.fn(url, exam_id)
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
    tables = load_tables.fn(url, ["schools", "teachers", "researchers", "items", "item_usage"])
    history = _setting_history(url, facts["school_year"], exam_id)
    gap: list[str] = []
    assembled = None
    if blueprint:
        assembled = assemble_subject.fn(tables, facts, subject, history, lang, previous_ids=previous_ids,
                                        blueprint=blueprint, policy_file=policy_file)
        if not assembled["ok"]:
            gap = assembled["explanation"]
    if assembled is None or not assembled["ok"]:
        assembled = assemble_subject.fn(tables, facts, subject, history, lang, previous_ids=previous_ids,
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
        new = _store_draft(session, exam_id, subject, assembled, actor)
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


@flow(name="paper-approval", log_prints=True)
def paper_approval(exam_id: str, db_url: str | None = None, timeout_s: int = 3600, lang: str = "zh",
                   max_rounds: int = 5, policy_file: str | None = None) -> StageOutcome:
    """Pause for the review of every draft paper; reviews may also arrive by `xuequ paper approve`."""
    url = resolved_url(db_url)
    facts = exam_facts(url, exam_id)
    done = []
    for subject in facts["subjects"]:
        seen_version, round_ = None, 0
        for _ in range(max_rounds):
            with session_scope(url) as session:
                paper = latest_paper(session, exam_id, subject)
                status, version = (paper.status, paper.version) if paper else (None, 0)
                summary = _paper_markdown(paper) if paper else ""
            if status == "locked":
                done.append(f"{subject} v{version}")
                break
            if status != "draft":
                return StageOutcome("approval", "blocked",
                                    f"{subject}: no draft paper to review; set one with `xuequ paper assemble "
                                    f"--exam {exam_id} --subject {subject}`, then rerun the season")
            round_ = round_ + 1 if version == seen_version else 0  # the same draft again: a new pause key
            seen_version = version
            publish_markdown(f"{exam_id}-{subject}-v{version}-for-review", summary, f"{subject} v{version} 待审核")
            log(f"waiting for the review of {subject} v{version}: approve in the Prefect UI or with "
                f"`xuequ paper approve --exam {exam_id} --subject {subject}`")
            try:
                review = pause_flow_run(wait_for_input=PaperReview, timeout=timeout_s, poll_interval=2,
                                        key=review_key(subject, version, round_))
            except FlowPauseTimeout:
                # Nobody reviewed in time: that is the season waiting for people, not a failure.
                _end_expired_pause()
                return waiting_for_review(url, facts, lang)
            log(apply_review(url, exam_id, subject, review, lang, policy_file=policy_file))
        else:
            return StageOutcome("approval", "blocked", f"{subject}: no approved paper after {max_rounds} reviews")
    return StageOutcome("approval", "done", f"locked: {', '.join(done)}")


def _end_expired_pause() -> None:
    """Put this run back to running after its pause expired, so that it ends Completed (as waiting).

    The API holds a run whose pause expired as paused, and fails it at its next state change ("The
    flow was completed and never resumed"); but nobody reviewing in time is the season waiting for
    people, not a failure. The orchestration rules refuse the change, hence `force`.
    """
    from prefect import get_client
    from prefect.context import FlowRunContext
    from prefect.states import Running

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(context.flow_run.id, Running(), force=True)
    except Exception as error:  # best effort: at worst the run shows Failed, the season still waits
        log(f"could not end the expired pause: {error}")


def waiting_for_review(url: str, facts: dict, lang: str = "zh") -> StageOutcome:
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


def _paper_markdown(paper) -> str:
    lines = [f"### {paper.exam_id} {paper.subject} 试卷 v{paper.version}（{paper.status}）", "",
             f"总分 {paper.total:g}；命题组 {', '.join(paper.blueprint.get('team', []))}", "",
             "| 题号 | 题目编号 | 分值 | 步长 | 双评误差 | 题组 |", "|---|---|---|---|---|---|"]
    for item in paper.items:
        lines.append(f"| {item.position} | {item.item_id} | {item.max_score:g} | {item.score_step:g} | "
                     f"{'' if item.tolerance is None else f'{item.tolerance:g}'} | {item.item_group or ''} |")
    return "\n".join(lines)


def submit_review(exam_id: str, subject: str, review: PaperReview, db_url: str | None = None,
                  lang: str = "zh", policy_file: str | None = None) -> str:
    """Hand a review to the paused `paper-approval` run waiting for this paper, or record it directly.

    With a Prefect server (PREFECT_API_URL) the paused run resumes with the review as its input and
    applies it itself. Without one, or when no run is waiting, the review is applied to the
    database here; the next season run carries on from it.
    """
    url = resolved_url(db_url)
    with session_scope(url) as session:
        paper = latest_paper(session, exam_id, subject)
        if paper is None or paper.status != "draft":
            hint = ("" if paper is not None and paper.status == "locked" else
                    f"; set one with `xuequ paper assemble --exam {exam_id} --subject {subject}`")
            return f"{subject}: no draft paper to review (latest: {paper.status if paper else 'none'}){hint}"
        key = review_key(subject, paper.version)
    run_id = _paused_review_run(exam_id, key)
    if run_id is not None:
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(run_id, run_input=review.model_dump())
        return f"{subject} v{key.rsplit('v', 1)[1]}: review sent to the waiting flow run {run_id}"
    return apply_review(url, exam_id, subject, review, lang, policy_file=policy_file)


def _paused_review_run(exam_id: str, key: str):
    """The id of a paused paper-approval run of this exam waiting at `key`, if the API has one."""
    import asyncio

    from prefect import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return None  # no server: a paused run could only live in another process's temporary API

    async def find():
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["paper-approval"])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
            for run in runs:
                pause_key = run.state.state_details.pause_key if run.state else None
                if run.parameters.get("exam_id") == exam_id and pause_key and \
                        (pause_key == key or pause_key.startswith(key + "-r")):  # any round of this version
                    return run.id
            return None

    return asyncio.run(find())
