"""Why a proposal falls short of a rule, in Chinese and English, with the numbers and the policy key to change.

A count proves most shortfalls (`exact`): fewer urban schools than clusters, fewer quality schools than
the clusters need, a pinned group larger than a cluster may be, two pinned leads pinned together. What
no count proves is put to the solver: the smallest set of the policy's rules that cannot hold together
(`scheduling.cpsat.minimal_core` on the model's rule groups), when the whole district was one model
and time allows. Every explanation names the proposal's own clusters and schools by name.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from ..cpsat import Explanation, minimal_core
from .candidates import FormationIndex
from .model import FormationModel
from .results import FormationPlan
from .rules import is_high, is_quality, is_urban

#: a rule key's words (the policy key of the TOML file, and the pins)
RULE_WORDS = {
    "mix.urban_rural": ("城乡统筹（每个学区有城区和非城区学校）", "urban–rural mix (an urban and a non-urban school each)"),
    "mix.min_quality": ("强弱搭配（每个学区的优质学校数）", "strong with weak (quality schools a cluster)"),
    "distance.max_km_to_lead": ("相对就近（到学区长学校的最远距离）", "relatively close (farthest km to the lead)"),
    "mix.high_apart": ("高中单独组成学区", "high schools apart"),
    "pin.together": ("同学区指定", "pinned together"),
    "pin.lead": ("学区长指定", "pinned lead"),
    "size.clusters": ("学区个数", "number of clusters"),
}
LISTED = 6  # names listed in one sentence before "等 N 个"


def rule_words(key: str, lang: str = "zh") -> str:
    pair = RULE_WORDS.get(key.split(":", 1)[0])
    return key if pair is None else pair[0 if lang == "zh" else 1]


class _Words:
    def __init__(self, index: FormationIndex, plan: FormationPlan):
        self.index = index
        self.by_id = {s.school_id: s for s in index.schools}
        self.cluster_name = {c.lead_id: c.name for c in plan.clusters}
        self.groups = plan.groups()
        self.members = dict(self.groups)

    def school(self, sid: str, lang: str = "zh") -> str:
        s = self.by_id.get(sid)
        if s is None or s.name == sid:
            return sid
        return f"{s.name}（{sid}）" if lang == "zh" else f"{s.name} ({sid})"

    def listed(self, names: Sequence[str], lang: str) -> str:
        shown = list(names[:LISTED])
        more = len(names) - len(shown)
        if lang == "zh":
            return "、".join(shown) + (f" 等 {len(names)} 个" if more > 0 else "")
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _scopes(broken: dict[str, int], rule: str) -> list[tuple[str, int]]:
    return [(key.split(":", 1)[1], units) for key, units in broken.items() if key.split(":", 1)[0] == rule]


def explain_count(index: FormationIndex) -> list[Explanation]:
    """The number of clusters asked cannot be: the sizes allow only low..high."""
    count, size = index.count, index.policy.size
    if not count.clamped:
        return []
    n = index.n
    return [Explanation(
        "size.clusters",
        f"要求 {count.requested} 个学区，但 {n} 所学校按每区 {size.min_schools}–{size.max_schools} 所只能分为 "
        f"{count.low}–{count.high} 个学区：方案分为 {count.count} 个",
        f"{count.requested} clusters were asked, but {n} schools at {size.min_schools}–{size.max_schools} a cluster "
        f"make {count.low}–{count.high} clusters: the proposal has {count.count}",
        numbers={"requested": count.requested, "low": count.low, "high": count.high, "schools": n},
        suggestion_zh=f"学区个数设为 {count.count}（size.clusters = {count.count}），或调整 size.min_schools、size.max_schools",
        suggestion_en=f"set size.clusters = {count.count}, or change size.min_schools, size.max_schools",
        policy_key="size.clusters", suggested_value=count.count)]


def _urban_rural(index: FormationIndex, words: _Words, broken: dict[str, int]) -> list[Explanation]:
    short = _scopes(broken, "mix.urban_rural")
    if not short:
        return []
    k = index.count.count
    urban = sum(map(is_urban, index.schools))
    rural = index.n - urban
    leads = [lead for lead, _ in short]
    urban_in = {lead: sum(is_urban(words.by_id[s]) for s in words.members.get(lead, ())) for lead in leads}
    no_urban = [words.cluster_name.get(lead, lead) for lead in leads if urban_in[lead] == 0]
    all_urban = [words.cluster_name.get(lead, lead) for lead in leads
                 if urban_in[lead] == len(words.members.get(lead, ()))]
    out = []
    low = index.count.low
    for missing, clusters, have, zh_kind, en_kind in (
            ("urban", no_urban, urban, "城区学校", "urban schools"),
            ("non_urban", all_urban, rural, "乡镇和农村学校", "township and village schools")):
        if not clusters:
            continue
        exact = have < k
        if exact:
            zh = (f"全区只有 {have} 所{zh_kind}，却分为 {k} 个学区：至少 {k - have} 个学区没有{zh_kind}；"
                  f"本方案为 {words.listed(clusters, 'zh')}")
            en = (f"the district has {have} {en_kind} for {k} clusters: at least {k - have} cluster(s) have none; "
                  f"in this proposal {words.listed(clusters, 'en')}")
        else:
            zh = (f"{words.listed(clusters, 'zh')} 学区没有{zh_kind}（全区有 {have} 所，{k} 个学区）："
                  "在其他规则之下未能避免")
            en = (f"{words.listed(clusters, 'en')} ha{'s' if len(clusters) == 1 else 've'} no {en_kind[:-1]} "
                  f"(the district has {have} for {k} clusters): the other rules did not allow it")
        fewer = have if have >= low else None
        if fewer is not None and exact:
            sug_zh = f"学区个数减为 {fewer}（size.clusters = {fewer}），或不要求城乡搭配（mix.urban_rural = false）"
            sug_en = f"make {fewer} clusters (size.clusters = {fewer}), or drop the rule (mix.urban_rural = false)"
            key, value = "size.clusters", fewer
        else:
            sug_zh, sug_en = "不要求每个学区城乡搭配（mix.urban_rural = false）", "drop the rule (mix.urban_rural = false)"
            key, value = "mix.urban_rural", False
        out.append(Explanation("mix.urban_rural", zh, en, exact=exact, scope=missing,
                               numbers={"clusters": k, "have": have, "short": len(clusters)},
                               suggestion_zh=sug_zh, suggestion_en=sug_en, policy_key=key, suggested_value=value))
    return out


def _quality(index: FormationIndex, words: _Words, broken: dict[str, int]) -> list[Explanation]:
    short = _scopes(broken, "mix.min_quality")
    if not short:
        return []
    need, k = index.policy.mix.min_quality, index.count.count
    have = sum(map(is_quality, index.schools))
    total = sum(units for _, units in short)
    clusters = [words.cluster_name.get(lead, lead) for lead, _ in short]
    exact = have < need * k
    if exact:
        zh = (f"全区只有 {have} 所优质学校，{k} 个学区每区至少 {need} 所共需 {need * k} 所：至少差 {need * k - have} 所；"
              f"本方案差 {total} 所（{words.listed(clusters, 'zh')}）")
        en = (f"the district has {have} quality schools; {k} clusters with at least {need} each need {need * k}: "
              f"at least {need * k - have} short; this proposal is {total} short ({words.listed(clusters, 'en')})")
    else:
        zh = f"{words.listed(clusters, 'zh')}：优质学校不足 {need} 所（共差 {total} 所），在其他规则之下未能避免"
        en = (f"{words.listed(clusters, 'en')}: fewer than {need} quality school(s) ({total} short in all); "
              "the other rules did not allow more")
    fewer = have // need if need else k
    if not exact:
        sug_zh = f"降低每区优质学校数（mix.min_quality = {need - 1}），或放宽与它冲突的规则"
        sug_en = f"ask fewer quality schools a cluster (mix.min_quality = {need - 1}), or loosen the rules it clashes with"
        key, value = "mix.min_quality", need - 1
    elif fewer >= index.count.low and fewer >= 1:
        sug_zh = f"学区个数减为 {fewer}（size.clusters = {fewer}），或降低每区优质学校数（mix.min_quality = {have // k}）"
        sug_en = f"make {fewer} clusters (size.clusters = {fewer}), or ask fewer (mix.min_quality = {have // k})"
        key, value = "size.clusters", fewer
    else:
        sug_zh = f"降低每区优质学校数（mix.min_quality = {have // k}）"
        sug_en = f"ask fewer quality schools a cluster (mix.min_quality = {have // k})"
        key, value = "mix.min_quality", have // k
    return [Explanation("mix.min_quality", zh, en, exact=exact, numbers={"clusters": k, "have": have, "need": need,
                                                                        "short": total},
                        suggestion_zh=sug_zh, suggestion_en=sug_en, policy_key=key, suggested_value=value)]


def _distance(index: FormationIndex, words: _Words) -> list[Explanation]:
    reach = index.policy.distance.max_km_to_lead
    far = []
    for lead, members in words.groups:
        i = index.position[lead]
        for sid in members:
            j = index.position[sid]
            if j != i and float(index.km[i, j]) > reach + 1e-9:
                far.append((float(index.km[i, j]), sid, lead))
    if not far:
        return []
    far.sort(reverse=True)
    worst = math.ceil(far[0][0])
    out = []
    for km, sid, lead in far[:LISTED]:
        j = index.position[sid]
        stronger = [float(index.km[i, j]) for i in range(index.n) if i != j and index.keys[i] >= index.keys[j]]
        nearest = min(stronger, default=math.inf)
        exact = nearest > reach
        zh = f"{words.school(sid)} 距学区长学校 {words.school(lead)} {km:.1f} 公里，超过 {reach:g} 公里"
        en = f"{words.school(sid, 'en')} is {km:.1f} km from its lead {words.school(lead, 'en')}, beyond {reach:g} km"
        if exact:
            zh += f"；可作其学区长的最近学校也有 {nearest:.1f} 公里"
            en += f"; the nearest school that may lead it is {nearest:.1f} km away"
        out.append(Explanation("distance.max_km_to_lead", zh, en, exact=exact, scope=sid,
                               numbers={"km": round(km, 1), "max_km": reach, "nearest_lead_km": round(nearest, 1)},
                               suggestion_zh=f"最远距离放宽到 {worst} 公里（distance.max_km_to_lead = {worst}）",
                               suggestion_en=f"allow {worst} km (distance.max_km_to_lead = {worst})",
                               policy_key="distance.max_km_to_lead", suggested_value=worst))
    if len(far) > LISTED:
        out.append(Explanation("distance.max_km_to_lead", f"另有 {len(far) - LISTED} 所成员学校超出最远距离",
                               f"{len(far) - LISTED} more members are beyond the distance limit", exact=False,
                               numbers={"more": len(far) - LISTED}, policy_key="distance.max_km_to_lead",
                               suggested_value=worst))
    return out


def _high(index: FormationIndex, broken: dict[str, int]) -> list[Explanation]:
    short = _scopes(broken, "mix.high_apart")
    if not short:
        return []
    high = sum(map(is_high, index.schools))
    low = index.policy.size.min_schools
    exact = 0 < high < low
    zh = (f"全区只有 {high} 所高中，不足一个学区的最少学校数 {low} 所：高中只能与其他学校同区" if exact else
          f"{len(short)} 所学校与学区长学校一所是高中、一所不是：在其他规则之下未能避免")
    en = (f"the district has {high} high school(s), fewer than a cluster's minimum of {low}: they share a cluster "
          "with other schools" if exact else
          f"{len(short)} school(s) are on the other side of the high-school line from their lead: the other rules "
          "did not allow better")
    return [Explanation("mix.high_apart", zh, en, exact=exact, numbers={"high": high, "short": len(short)},
                        suggestion_zh="允许高中与其他学校同区（mix.high_apart = false）",
                        suggestion_en="let high schools join other schools (mix.high_apart = false)",
                        policy_key="mix.high_apart", suggested_value=False)]


def _pins(index: FormationIndex, words: _Words, broken: dict[str, int]) -> list[Explanation]:
    out = []
    pinned_leads = {p.school_id for p in index.data.leads}
    max_schools = index.policy.size.max_schools
    for number, pin in enumerate(index.data.together, 1):
        key = f"pin.together:{number}:{','.join(pin.school_ids)}"
        if key not in broken:
            continue
        names_zh = "、".join(words.school(s) for s in pin.school_ids)
        names_en = ", ".join(words.school(s, "en") for s in pin.school_ids)
        leads_inside = [s for s in pin.school_ids if s in pinned_leads]
        if len(pin.school_ids) > max_schools:
            out.append(Explanation(
                "pin.together", f"指定同一学区的 {len(pin.school_ids)} 所学校（{names_zh}）多于每区上限 {max_schools} 所",
                f"{len(pin.school_ids)} schools pinned together ({names_en}) exceed the limit of {max_schools}",
                scope=str(number), numbers={"schools": len(pin.school_ids), "max": max_schools},
                suggestion_zh=f"每区上限提高到 {len(pin.school_ids)}（size.max_schools = {len(pin.school_ids)}），或拆分这条指定",
                suggestion_en=f"raise size.max_schools to {len(pin.school_ids)}, or split the pin",
                policy_key="size.max_schools", suggested_value=len(pin.school_ids)))
        elif len(leads_inside) > 1:
            out.append(Explanation(
                "pin.together", f"指定同一学区的 {names_zh} 中有 {len(leads_inside)} 所被指定为学区长学校：一个学区只有一所",
                f"{names_en} are pinned together, yet {len(leads_inside)} of them are pinned as leads: a cluster has one",
                scope=str(number), numbers={"leads": len(leads_inside)},
                suggestion_zh="取消其中一条学区长指定或这条同学区指定", suggestion_en="drop one of the lead pins or this pin"))
        else:
            out.append(Explanation(
                "pin.together", f"未能把 {names_zh} 排在同一学区：与其他规则或指定冲突",
                f"{names_en} could not be put in one cluster: it clashes with other rules or pins", exact=False,
                scope=str(number), suggestion_zh="检查这条指定与学区长指定、学区规模是否相容",
                suggestion_en="check the pin against the lead pins and the cluster sizes"))
    for lead_pin in index.data.leads:
        if f"pin.lead:{lead_pin.school_id}:{lead_pin.school_id}" not in broken:
            continue
        stronger = [s for group in index.data.together if lead_pin.school_id in group.school_ids for s in group.school_ids
                    if index.keys[index.position[s]] > index.keys[index.position[lead_pin.school_id]]]
        if stronger:
            zh = (f"{words.school(lead_pin.school_id)} 被指定为学区长学校，但被指定与它同区的 {words.school(stronger[0])} 更强"
                  f"（按 {'、'.join(index.policy.lead.order)} 比较，学区长学校须为本区最强）")
            en = (f"{words.school(lead_pin.school_id, 'en')} is pinned as a lead, but {words.school(stronger[0], 'en')}, "
                  f"pinned with it, is stronger (the lead is the strongest by {', '.join(index.policy.lead.order)})")
            exact = True
        else:
            zh = f"{words.school(lead_pin.school_id)} 未能作为学区长学校：与其他规则或指定冲突"
            en = f"{words.school(lead_pin.school_id, 'en')} could not lead: it clashes with other rules or pins"
            exact = False
        out.append(Explanation("pin.lead", zh, en, exact=exact, scope=lead_pin.school_id,
                               suggestion_zh="调整学区长学校的选取顺序（lead.order）或取消这条指定",
                               suggestion_en="change the lead order (lead.order) or drop the pin",
                               policy_key="lead.order"))
    return out


def _group_words(group, words: _Words, lang: str) -> str:
    """A rule of a core as a person reads it; a pin with its schools' names."""
    text = rule_words(group.key, lang)
    sep = "、" if lang == "zh" else ", "
    if group.key.startswith("pin.together"):
        return f"{text}（{sep.join(words.school(s, lang) for s in group.numbers['schools'])}）" if lang == "zh" else \
            f"{text} ({sep.join(words.school(s, lang) for s in group.numbers['schools'])})"
    if group.key.startswith("pin.lead"):
        sid = group.key.split(":", 1)[1]
        return f"{text}（{words.school(sid)}）" if lang == "zh" else f"{text} ({words.school(sid, lang)})"
    return text


def _conflict(fm: FormationModel, words: _Words, time_limit_s: float, num_workers: int) -> list[Explanation]:
    """The solver's smallest set of rules that cannot hold together, when the counts prove nothing."""
    if time_limit_s < 1.0 or not fm.groups:
        return []
    found = minimal_core(fm.model, fm.groups, time_limit_s=time_limit_s, num_workers=min(num_workers, 2))
    if found is None or not found.core:
        return []
    zh = "；".join(_group_words(g, words, "zh") for g in found.core)
    en = "; ".join(_group_words(g, words, "en") for g in found.core)
    return [Explanation("solver_core", f"求解器证明以下规则不能同时满足：{zh}" + ("" if found.minimal else "（未能在时限内缩到最小）"),
                        f"the solver proves these rules cannot all hold: {en}" +
                        ("" if found.minimal else " (not shrunk to the smallest set in the time)"),
                        exact=True, numbers={"rules": [g.key for g in found.core], "minimal": found.minimal},
                        suggestion_zh="放宽其中任一条（见各条的政策项）", suggestion_en="loosen any one of them (see their policy keys)",
                        policy_key=found.core[0].key if found.core[0].key.startswith(("mix.", "distance.")) else "")]


def explain_plan(index: FormationIndex, plan: FormationPlan, broken: dict[str, int], *,
                 fm: FormationModel | None = None, time_limit_s: float = 5.0, num_workers: int = 2
                 ) -> list[Explanation]:
    """Every shortfall of the proposal explained; the count clamped; the solver's conflict where no count proves it."""
    words = _Words(index, plan)
    out = explain_count(index)
    out += _urban_rural(index, words, broken)
    out += _quality(index, words, broken)
    out += _distance(index, words)
    out += _high(index, broken)
    out += _pins(index, words, broken)
    unproved = [e for e in out if not e.exact and e.code != "size.clusters"]
    if unproved and fm is not None:
        out += _conflict(fm, words, time_limit_s, num_workers)
    numbered = []
    for number, e in enumerate(out, 1):  # each explanation is its own conflict (the core says which clash)
        numbered.append(Explanation(e.code, e.zh, e.en, e.numbers, e.exact, e.scope, e.suggestion_zh, e.suggestion_en,
                                    number, e.policy_key, e.suggested_value))
    return numbered
