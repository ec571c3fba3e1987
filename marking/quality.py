"""Marking quality control (阅卷质量监控) as pure rules: one function per figure, and the alerts.

Per marker, against their item group:
- agreement (与同评一致率): share of their double-marked scripts, both marks in, where their mark and
  the partner's are within every item's tolerance (the same rule as the queue's);
- third-mark rate (三评率): share of those scripts the queue sent to a third mark;
- mean and spread of their totals against the group's (偏宽/偏严; 保险分: everyone gets the middle,
  so the spread is small);
- self-consistency (回评一致率): share of re-marks of their own scripts (回评) within the items'
  tolerance of their first mark;
- accuracy on standard scripts (标准卷准确率): share of seeded standard scripts within the trial
  tolerance of the expert scores on every item;
- trial marking (试评): share of the trial's item scores within the trial tolerance of the experts';
- speed: median seconds per script against the group's median (速度过快).
An alert is raised when a figure crosses its policy threshold, once the marker has enough marks.
None of these ever changes a score.
"""
from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from marking.policy import ProgressPolicy, QualityPolicy
from marking.rules import EPS, ItemStandard

PROBLEM_REASONS = ("blank", "illegible", "off_topic", "cheating", "other")  # 问题卷原因
CHECK_KINDS = ("trial", "recheck", "standard")  # 试评, 回评, 标准卷
TRIAL_STATES = ("not_started", "in_progress", "passed", "failed", "waived")
NAN = math.nan


def unit_hash(*parts: object) -> float:
    """A number in [0, 1) fixed by the parts: the seeded draw behind every share (回评, 标准卷)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def drawn(share: float, *parts: object) -> bool:
    """True for a `share` of all part tuples, the same ones every time."""
    return share > 0 and unit_hash(*parts) < share


def check_tolerance(item: ItemStandard, share: float) -> float:
    """The trial tolerance of an item: `share` × its max in whole steps, at least one step (试评误差)."""
    steps = max(1, math.floor(share * item.max_score / item.step + EPS))
    return min(steps * item.step, item.max_score)


def within_tolerance(items: Sequence[ItemStandard], given: Mapping[str, float], reference: Mapping[str, float],
                     share: float | None = None) -> bool:
    """Every item both marks have is within tolerance: the item's double-marking tolerance (share None)
    or the trial tolerance of `share`."""
    for item in items:
        if item.item_id in given and item.item_id in reference:
            tolerance = item.tolerance if share is None else check_tolerance(item, share)
            if abs(float(given[item.item_id]) - float(reference[item.item_id])) > tolerance + EPS:
                return False
    return True


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else NAN


# --- one function per figure ------------------------------------------------------------------

def agreement_rate(items: Sequence[ItemStandard], pairs: Sequence[tuple[Mapping[str, float], Mapping[str, float]]]
                   ) -> float:
    """与同评一致率: share of (own mark, partner's mark) pairs within every item's tolerance; NaN if none."""
    return _share(within_tolerance(items, own, partner) for own, partner in pairs)


def third_rate(went_to_third: Sequence[bool]) -> float:
    """三评率: share of the marker's double-marked scripts (both marks in) that needed a third mark."""
    return _share(went_to_third)


def mean_and_sd(totals: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of totals (NaN where there are too few)."""
    values = [float(v) for v in totals]
    mean = statistics.fmean(values) if values else NAN
    sd = statistics.stdev(values) if len(values) >= 2 else NAN
    return mean, sd


def spread_ratio(marker_sd: float, group_sd: float) -> float:
    """The marker's spread of totals as a multiple of the group's (保险分 when small); NaN if unknown."""
    if math.isnan(marker_sd) or math.isnan(group_sd) or group_sd <= EPS:
        return NAN
    return marker_sd / group_sd


def self_consistency(items: Sequence[ItemStandard], rechecks: Sequence[tuple[Mapping[str, float], Mapping[str, float]]]
                     ) -> float:
    """回评一致率: share of (first mark, re-mark) pairs of the same marker within every item's tolerance."""
    return _share(within_tolerance(items, again, first) for first, again in rechecks)


def standard_accuracy(items: Sequence[ItemStandard], marks: Sequence[tuple[Mapping[str, float], Mapping[str, float]]],
                      share: float) -> float:
    """标准卷准确率: share of (given, expert) standard scripts within the trial tolerance on every item."""
    return _share(within_tolerance(items, given, expert, share) for given, expert in marks)


def median_seconds(seconds: Sequence[float | None]) -> float:
    values = [float(s) for s in seconds if s is not None and not math.isnan(float(s))]
    return statistics.median(values) if values else NAN


def marks_per_hour(seconds: Sequence[float | None]) -> float:
    """Marks an hour at the marker's mean working time per script."""
    values = [float(s) for s in seconds if s is not None and not math.isnan(float(s))]
    mean = statistics.fmean(values) if values else NAN
    return 3600.0 / mean if values and mean > 0 else NAN


# --- trial marking (试评) ----------------------------------------------------------------------

@dataclass(frozen=True)
class TrialResult:
    """One item of one trial script: the expert's score, the marker's, and whether it is within tolerance."""

    script: int  # 1, 2, … within the round
    item_id: str
    position: int  # 题号
    expert: float
    given: float
    tolerance: float
    within: bool

    def to_dict(self) -> dict:
        return {"script": self.script, "item_id": self.item_id, "position": self.position, "expert": self.expert,
                "given": self.given, "tolerance": self.tolerance, "within": self.within}


def trial_results(items: Sequence[ItemStandard], marked: Sequence[tuple[Mapping[str, float], Mapping[str, float]]],
                  share: float) -> list[TrialResult]:
    """Item by item results of a trial round: `marked` lists (given, expert) per trial script, in order."""
    out = []
    for number, (given, expert) in enumerate(marked, start=1):
        for item in items:
            if item.item_id not in given or item.item_id not in expert:
                continue
            tolerance = check_tolerance(item, share)
            a, b = float(given[item.item_id]), float(expert[item.item_id])
            out.append(TrialResult(number, item.item_id, item.position, b, a, tolerance,
                                   abs(a - b) <= tolerance + EPS))
    return out


@dataclass(frozen=True)
class TrialOutcome:
    passed: bool
    within: int
    total: int

    @property
    def share(self) -> float:
        return self.within / self.total if self.total else NAN

    @property
    def state(self) -> str:
        return "passed" if self.passed else "failed"


def trial_outcome(results: Sequence[TrialResult], pass_share: float) -> TrialOutcome:
    """A trial passes when at least `pass_share` of its item scores are within tolerance (none: fails)."""
    within = sum(1 for r in results if r.within)
    total = len(results)
    return TrialOutcome(bool(total) and within >= pass_share * total - EPS, within, total)


# --- per-marker figures and alerts ----------------------------------------------------------------

@dataclass(frozen=True)
class MarkerFigures:
    """A marker's figures in their item group (NaN where there is nothing to measure yet)."""

    teacher_id: str
    marks: int = 0  # first and second marks that count
    paired: int = 0  # of them, on double-marked scripts with both marks in
    agreement_rate: float = NAN
    third_rate: float = NAN
    mean_score: float = NAN
    score_sd: float = NAN
    median_seconds: float = NAN
    marks_per_hour: float = NAN
    rechecks: int = 0  # 回评 done
    self_consistency: float = NAN
    standards: int = 0  # seeded standard scripts done
    standard_accuracy: float = NAN


@dataclass(frozen=True)
class GroupFigures:
    """The item group's figures the marker is compared with."""

    mean_score: float = NAN
    score_sd: float = NAN
    median_seconds: float = NAN
    max_total: float = NAN  # the group's full marks


@dataclass(frozen=True)
class Alert:
    """A figure past its threshold: `key` names the figure, the message says it with numbers."""

    key: str  # agreement, third_rate, spread, mean_deviation, self_consistency, standard_accuracy, speed, trial
    value: float
    threshold: float
    zh: str
    en: str

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def to_dict(self, lang: str = "zh") -> dict:
        return {"key": self.key, "message": self.message(lang), "value": _json_number(self.value),
                "threshold": _json_number(self.threshold)}


def _json_number(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else round(float(value), 4)


def _ok(value: float) -> bool:
    return not (isinstance(value, float) and math.isnan(value))


def _share_below(kind: str, value: float, minimum: float, zh_what: str, en_what: str) -> Alert | None:
    """An alert when a share (agreement, self-consistency, accuracy) is below its policy minimum."""
    if not _ok(value) or value >= minimum - EPS:
        return None
    return Alert(kind, value, minimum, f"{zh_what} {value:.0%}，低于 {minimum:.0%}",
                 f"{en_what} {value:.0%} is below {minimum:.0%}")


def marker_alerts(marker: MarkerFigures, group: GroupFigures, quality: QualityPolicy, progress: ProgressPolicy, *,
                  trial_state: str | None = None) -> list[Alert]:
    """The alerts of one marker: each figure against its policy threshold, once there is enough to judge.

    Agreement and a lenient or strict mean use the [progress] thresholds (min_agreement,
    min_paired_marks, max_mean_deviation_share); the others the [quality] ones. The third-mark rate
    is not raised again when low agreement already says the same.
    """
    alerts: list[Alert] = []
    if trial_state == "failed":
        alerts.append(Alert("trial", 0.0, quality.trial_pass_share, "试评未通过，尚未正式评卷",
                            "failed the trial marking; not marking live"))
    if marker.paired >= progress.min_paired_marks and _ok(marker.agreement_rate):
        low = _share_below("agreement", marker.agreement_rate, progress.min_agreement,
                           "与同评一致率", "agreement with partner marks")
        if low:
            alerts.append(low)
        elif _ok(marker.third_rate) and marker.third_rate > quality.third_rate_max + EPS:
            alerts.append(Alert("third_rate", marker.third_rate, quality.third_rate_max,
                                f"三评率 {marker.third_rate:.0%}，高于 {quality.third_rate_max:.0%}",
                                f"third-mark rate {marker.third_rate:.0%} is above {quality.third_rate_max:.0%}"))
    enough = marker.marks >= quality.min_marks_before_alerts
    ratio = spread_ratio(marker.score_sd, group.score_sd)
    if enough and _ok(ratio) and ratio < quality.spread_ratio_min - EPS:
        alerts.append(Alert("spread", ratio, quality.spread_ratio_min,
                            f"给分标准差 {marker.score_sd:.2f} 只有本组 {group.score_sd:.2f} 的 {ratio:.0%}（疑似保险分）",
                            f"spread of totals {marker.score_sd:.2f} is only {ratio:.0%} of the group's "
                            f"{group.score_sd:.2f} (safe middle scores?)"))
    if enough and _ok(marker.mean_score) and _ok(group.mean_score) and _ok(group.max_total):
        deviation = marker.mean_score - group.mean_score
        limit = progress.max_mean_deviation_share * group.max_total
        if abs(deviation) > limit + EPS:
            zh_side, en_side = ("偏宽", "lenient") if deviation > 0 else ("偏严", "strict")
            alerts.append(Alert("mean_deviation", deviation, limit,
                                f"平均给分 {marker.mean_score:.1f}，比本组 {group.mean_score:.1f} "
                                f"{'高' if deviation > 0 else '低'} {abs(deviation):.1f} 分（{zh_side}）",
                                f"mean total {marker.mean_score:.1f} is {abs(deviation):.1f} "
                                f"{'above' if deviation > 0 else 'below'} the group's {group.mean_score:.1f} "
                                f"({en_side})"))
    for kind, count, value, minimum, zh, en in (
            ("self_consistency", marker.rechecks, marker.self_consistency, quality.self_consistency_min,
             "回评一致率", "self-consistency on re-marks"),
            ("standard_accuracy", marker.standards, marker.standard_accuracy, quality.standard_accuracy_min,
             "标准卷准确率", "accuracy on standard scripts")):
        low = _share_below(kind, value, minimum, zh, en) if count >= quality.min_checks_before_alerts else None
        if low:
            alerts.append(low)
    if enough and _ok(marker.median_seconds) and _ok(group.median_seconds) and group.median_seconds > 0:
        speed = marker.median_seconds / group.median_seconds
        if speed < quality.fast_ratio_min - EPS:
            alerts.append(Alert("speed", speed, quality.fast_ratio_min,
                                f"每份用时中位数 {marker.median_seconds:.0f} 秒，只有本组 {group.median_seconds:.0f} 秒的 "
                                f"{speed:.0%}（速度过快）",
                                f"median {marker.median_seconds:.0f} s per script is only {speed:.0%} of the "
                                f"group's {group.median_seconds:.0f} s (too fast)"))
    return alerts


@dataclass(frozen=True)
class MarkData:
    """One counted mark, as the figures need it."""

    script_id: int
    marker_id: str
    kind: str  # first, second, third, arbitration, leader
    scores: Mapping[str, float]
    total: float
    seconds: float | None = None


@dataclass(frozen=True)
class CheckData:
    """One finished check of a marker: a re-mark (with the first mark) or a standard (with the experts')."""

    marker_id: str
    kind: str  # recheck, standard
    scores: Mapping[str, float]
    reference: Mapping[str, float]  # recheck: the marker's first mark; standard: the expert scores


@dataclass
class GroupMarks:
    """Everything the figures of one item group are computed from."""

    items: Sequence[ItemStandard]
    marks: Sequence[MarkData]
    went_to_third: Mapping[int, bool] = field(default_factory=dict)  # script → needed a third mark
    checks: Sequence[CheckData] = ()


def group_figures(data: GroupMarks) -> GroupFigures:
    regular = [m for m in data.marks if m.kind in ("first", "second") and _full(m, data.items)]
    mean, sd = mean_and_sd([m.total for m in regular])
    return GroupFigures(mean, sd, median_seconds([m.seconds for m in data.marks if m.kind in ("first", "second")]),
                        float(sum(i.max_score for i in data.items)) if data.items else NAN)


def _full(mark: MarkData, items: Sequence[ItemStandard]) -> bool:
    return all(i.item_id in mark.scores for i in items)


def marker_figures(teacher_id: str, data: GroupMarks, share: float) -> MarkerFigures:
    """One marker's figures in their group (`share`: the trial tolerance, for standard scripts)."""
    by_script: dict[int, list[MarkData]] = {}
    for mark in data.marks:
        if mark.kind in ("first", "second"):
            by_script.setdefault(mark.script_id, []).append(mark)
    mine = [m for m in data.marks if m.marker_id == teacher_id and m.kind in ("first", "second")]
    pairs, thirds = [], []
    for mark in mine:
        partners = [p for p in by_script.get(mark.script_id, []) if p.marker_id != teacher_id]
        if partners:
            pairs.append((mark.scores, partners[0].scores))
            thirds.append(bool(data.went_to_third.get(mark.script_id, False)))
    mean, sd = mean_and_sd([m.total for m in mine if _full(m, data.items)])
    seconds = [m.seconds for m in mine]
    rechecks = [(c.reference, c.scores) for c in data.checks if c.marker_id == teacher_id and c.kind == "recheck"]
    standards = [(c.scores, c.reference) for c in data.checks if c.marker_id == teacher_id and c.kind == "standard"]
    return MarkerFigures(teacher_id, len(mine), len(pairs), agreement_rate(data.items, pairs), third_rate(thirds),
                         mean, sd, median_seconds(seconds), marks_per_hour(seconds), len(rechecks),
                         self_consistency(data.items, rechecks), len(standards),
                         standard_accuracy(data.items, standards, share))
