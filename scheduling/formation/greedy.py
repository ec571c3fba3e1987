"""A quick plan without the solver: the solver's starting hint, and the plan when it finds none in time.

Leads: the pinned leads, then the strongest candidates, spread apart (the farthest from those already
chosen among equally strong ones), so every other school is at most as strong as every lead and may
join any of them. Members: hardest first (the strongest, then the farthest), each to the nearest lead
with room, preferring a cluster that still lacks what the member brings (an urban or a non-urban
school, a quality school). Then undersized clusters take the nearest members of the largest ones.
"""
from __future__ import annotations

from .candidates import FormationIndex
from .rules import is_high, is_quality, is_urban

Partition = list[tuple[int, list[int]]]  # (lead, members with the lead)


def _choose_leads(index: FormationIndex) -> list[int]:
    k = index.count.count
    chosen = [index.position[p.school_id] for p in index.data.leads][:k]
    pool = [i for i in index.leads if i not in chosen]
    while len(chosen) < k and pool:
        def score(i: int) -> tuple:
            spread = min((float(index.km[i, c]) for c in chosen), default=0.0)
            return (index.keys[i], spread, -i)
        best = max(pool, key=score)
        chosen.append(best)
        pool.remove(best)
    return chosen


def greedy_partition(index: FormationIndex) -> Partition:
    policy = index.policy
    leads = _choose_leads(index)
    if not leads:
        return []
    cap = policy.size.max_schools
    members: dict[int, list[int]] = {i: [i] for i in leads}
    lead_set = set(leads)

    def fits(i: int, j: int) -> bool:
        return index.keys[i] >= index.keys[j]

    placed = set(lead_set)
    for pin in index.data.together:  # a pinned group goes whole to one lead strong enough for all of it
        group = [index.position[s] for s in pin.school_ids if s in index.position]
        home = [i for i in leads if i in group]
        strongest = max(index.keys[j] for j in group)
        room = [i for i in leads if index.keys[i] >= strongest
                and len(members[i]) + sum(1 for j in group if j not in placed) <= cap]
        target = home[0] if home else min(room or leads, key=lambda i: float(index.km[i, group[0]]))
        for j in group:
            if j not in placed:
                members[target].append(j)
                placed.add(j)
    order = sorted((j for j in range(index.n) if j not in placed),
                   key=lambda j: (index.keys[j], min(float(index.km[i, j]) for i in leads)), reverse=True)
    for j in order:
        school = index.schools[j]

        def cost(i: int) -> float:
            group = [index.schools[m] for m in members[i]]
            bonus = 0.0
            if policy.mix.urban_rural and not any(is_urban(s) == is_urban(school) for s in group):
                bonus += 200.0
            if is_quality(school) and sum(map(is_quality, group)) < policy.mix.min_quality:
                bonus += 200.0
            return float(index.km[i, j]) - bonus + 5.0 * len(group)

        room = [i for i in leads if len(members[i]) < cap]
        allowed = [i for i in room if fits(i, j)] or room or leads
        best = min(allowed, key=cost)
        members[best].append(j)
    pinned = {index.position[s] for pin in index.data.together for s in pin.school_ids if s in index.position}
    low = policy.size.min_schools if index.n >= policy.size.min_schools else 1
    for i in leads:  # undersized clusters take the nearest members of the largest ones
        while len(members[i]) < low:
            donors = [(float(index.km[i, j]), d, j) for d in leads if d != i and len(members[d]) > low
                      for j in members[d] if j != d and j not in pinned and fits(i, j)]
            if not donors:
                break
            _, donor, j = min(donors)
            members[donor].remove(j)
            members[i].append(j)
    return [(i, members[i]) for i in leads]


def partition_shortfalls(index: FormationIndex, partition: Partition) -> dict[str, int]:
    """The rules a plan falls short of, counted per unit as the model's shortfall variables count them
    (rule key and the lead or school: the keys `validate.py` gives its violations)."""
    policy = index.policy
    out: dict[str, int] = {}

    def add(key: str, units: int) -> None:
        if units > 0:
            out[key] = out.get(key, 0) + units

    cluster_of = {j: i for i, members in partition for j in members}
    for i, members in partition:
        lead = index.schools[i].school_id
        group = [index.schools[j] for j in members]
        if policy.mix.urban_rural:
            add(f"mix.urban_rural:{lead}", int(not any(map(is_urban, group))) + int(all(map(is_urban, group))))
        add(f"mix.min_quality:{lead}", policy.mix.min_quality - sum(map(is_quality, group)))
        for j in members:
            if j == i:
                continue
            sid = index.schools[j].school_id
            add(f"distance.max_km_to_lead:{sid}", int(float(index.km[i, j]) > policy.distance.max_km_to_lead + 1e-9))
            if policy.mix.high_apart:
                add(f"mix.high_apart:{sid}", int(is_high(index.schools[i]) != is_high(index.schools[j])))
    for number, pin in enumerate(index.data.together, 1):
        where = {cluster_of.get(index.position[s]) for s in pin.school_ids if s in index.position}
        add(f"pin.together:{number}:{','.join(pin.school_ids)}", int(len(where) > 1))
    leads = {i for i, _ in partition}
    for lead_pin in index.data.leads:
        add(f"pin.lead:{lead_pin.school_id}:{lead_pin.school_id}", int(index.position[lead_pin.school_id] not in leads))
    return out
