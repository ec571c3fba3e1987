"""What the formation page shows: the proposal's clusters by name, the comparison with today's, and two
simple maps (today, proposal) drawn as inline SVG from the schools' coordinates — nothing fetched, no
script: a circle per school, a square per lead, a line from each member to its lead, a colour per
cluster (a continued cluster keeps today's colour), the school's name as the shape's tooltip.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.cluster_formation import FormationOutcome
from scheduling.formation import FormationInput
from scheduling.formation.measures import Group, plan_groups, today_groups

PALETTE = ("#1d5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d", "#4d7c0f",
           "#1e3a8a", "#9a3412", "#047857")
SIZE = 420.0  # the map's longer side, in SVG units
PAD = 14.0


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    colour: str
    lead: bool
    title: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str


@dataclass(frozen=True)
class SchoolMap:
    width: float
    height: float
    dots: tuple[Dot, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ClusterRow:
    cluster_id: str
    name: str
    colour: str
    lead: str
    schools: int
    tiers: str  # 优质/一般/薄弱
    localities: str  # 城区/乡镇/农村
    students: int
    km_max: float
    members: tuple[str, ...]
    continues: str | None  # today's cluster name it continues (None: a new cluster)


def colours(groups: Sequence[Group], more: Sequence[Group] = ()) -> dict[str, str]:
    """A colour per cluster id, in the order the ids first appear (today's first, so continued clusters match)."""
    out: dict[str, str] = {}
    for g in (*groups, *more):
        if g.cluster_id not in out:
            out[g.cluster_id] = PALETTE[len(out) % len(PALETTE)]
    return out


def school_map(data: FormationInput, groups: Sequence[Group], colour_of: dict[str, str]) -> SchoolMap:
    by_id = data.by_id()
    lat0 = sum(s.lat for s in data.schools) / max(1, len(data.schools))
    squeeze = math.cos(math.radians(lat0))
    xs = [s.lon * squeeze for s in data.schools]
    ys = [-s.lat for s in data.schools]
    left, top = min(xs, default=0.0), min(ys, default=0.0)
    span = max(max(xs, default=0.0) - left, max(ys, default=0.0) - top, 1e-6)
    scale = (SIZE - 2 * PAD) / span

    def point(sid: str) -> tuple[float, float]:
        s = by_id[sid]
        return (round(PAD + (s.lon * squeeze - left) * scale, 1), round(PAD + (-s.lat - top) * scale, 1))

    width = round(2 * PAD + (max(xs, default=0.0) - left) * scale, 1)
    height = round(2 * PAD + (max(ys, default=0.0) - top) * scale, 1)
    dots, lines = [], []
    for g in groups:
        colour = colour_of.get(g.cluster_id, PALETTE[0])
        if g.lead_id:
            lx, ly = point(g.lead_id)
            lines += [Line(lx, ly, *point(sid), colour) for sid in g.school_ids if sid != g.lead_id]
        for sid in g.school_ids:
            x, y = point(sid)
            dots.append(Dot(x, y, colour, sid == g.lead_id, f"{by_id[sid].name} · {g.name}"))
    dots.sort(key=lambda d: d.lead)  # leads drawn last, on top
    return SchoolMap(max(width, 2 * PAD), max(height, 2 * PAD), tuple(dots), tuple(lines))


@dataclass(frozen=True)
class FormationView:
    today_map: SchoolMap
    proposal_map: SchoolMap
    clusters: tuple[ClusterRow, ...]
    moved: int  # schools whose cluster changes


def formation_view(outcome: FormationOutcome) -> FormationView:
    data, plan = outcome.data, outcome.result.plan
    today, proposed = today_groups(data), plan_groups(plan)
    colour_of = colours(today, proposed)
    by_id = data.by_id()
    names = {c.cluster_id: c.name for c in data.clusters}
    rows = []
    for cluster, m in zip(plan.clusters, outcome.proposal.clusters):
        rows.append(ClusterRow(
            cluster.cluster_id, cluster.name, colour_of[cluster.cluster_id], by_id[cluster.lead_id].name, m.schools,
            f"{m.quality}/{m.ordinary}/{m.weak}", f"{m.urban}/{m.township}/{m.rural}", m.students,
            round(m.km_max or 0.0, 1), tuple(by_id[s].name for s in cluster.school_ids if s != cluster.lead_id),
            names.get(cluster.today_id, cluster.today_id) if cluster.today_id else None))
    cluster_of = plan.cluster_of()
    moved = sum(1 for s in data.schools if s.cluster_id and s.cluster_id != cluster_of[s.school_id])
    return FormationView(school_map(data, today, colour_of), school_map(data, proposed, colour_of),
                         tuple(rows), moved)
