"""Plain typed inputs of cluster formation (学区划分), and their construction from bundle-shaped tables.

The lead feeds `formation_input_from_tables` from the database (`models.bundles.export_tables`) or a
bundle (`bundle.validate.load_bundle`): schools, clusters, and optionally classes or students (the
schools' sizes) and distances. Cells are read by `bundle.cells`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from bundle.cells import cell_bool, cell_float, cell_int, cell_text, is_blank


@dataclass(frozen=True)
class FormationSchool:
    school_id: str
    name: str
    stage: str  # primary, junior, nine_year, high
    locality: str  # 城乡: urban, township, rural
    tier: str  # 办学水平: quality, ordinary, weak
    lat: float
    lon: float
    hardship: int = 0
    students: int = 0  # 在校生（班额之和；未知为 0）
    cluster_id: str = ""  # today's cluster (may be empty)
    is_lead: bool = False  # today's lead (学区长学校)


@dataclass(frozen=True)
class TodayCluster:
    cluster_id: str
    name: str


@dataclass(frozen=True)
class Together:
    """同学区指定: these schools must be in one cluster."""

    school_ids: tuple[str, ...]


@dataclass(frozen=True)
class LeadPin:
    """学区长指定: this school must lead its cluster."""

    school_id: str


@dataclass(frozen=True)
class FormationInput:
    schools: tuple[FormationSchool, ...]
    clusters: tuple[TodayCluster, ...] = ()  # today's clusters (ids and names), in the bundle's order
    distances: Mapping[tuple[str, str], float] = field(default_factory=dict)  # distances.csv km (either way)
    together: tuple[Together, ...] = ()
    leads: tuple[LeadPin, ...] = ()
    clusters_wanted: int | None = None  # the number of clusters asked for this run (overrides size.clusters)

    def school(self, school_id: str) -> FormationSchool:
        return self.by_id()[school_id]

    def by_id(self) -> dict[str, FormationSchool]:
        return {s.school_id: s for s in self.schools}

    def today_cluster_count(self) -> int:
        return len({s.cluster_id for s in self.schools if s.cluster_id})

    def unknown_ids(self) -> list[str]:
        """Pinned school ids that are not schools of the district (a caller turns them into a UserError)."""
        known = {s.school_id for s in self.schools}
        pinned = [sid for group in self.together for sid in group.school_ids] + [p.school_id for p in self.leads]
        return sorted({sid for sid in pinned if sid not in known})

    def check(self) -> None:
        ids = [s.school_id for s in self.schools]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate school ids")
        unknown = self.unknown_ids()
        if unknown:
            raise ValueError(f"pins name unknown schools: {', '.join(unknown)}")


def _students_by_school(tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Students a school teaches: the sum of its class sizes, else its rows of students.csv."""
    classes = tables.get("classes")
    if classes is not None and len(classes) and {"school_id", "size"} <= set(classes.columns):
        sizes: dict[str, int] = {}
        for school_id, size in zip(classes["school_id"].tolist(), classes["size"].tolist()):
            sizes[cell_text(school_id)] = sizes.get(cell_text(school_id), 0) + cell_int(size, 0)
        return sizes
    students = tables.get("students")
    if students is not None and len(students) and "school_id" in students.columns:
        return {cell_text(k): int(v) for k, v in students["school_id"].value_counts().items()}
    return {}


def _given_distances(tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], float]:
    frame = tables.get("distances")
    if frame is None or not len(frame):
        return {}
    out = {}
    for a, b, km in zip(frame["from_id"].tolist(), frame["to_id"].tolist(), frame["km"].tolist()):
        if not is_blank(km):
            out[(cell_text(a), cell_text(b))] = cell_float(km, 0.0)
    return out


def parse_together(values: Iterable[str]) -> tuple[Together, ...]:
    """`--together S1,S2` (repeatable) → groups of at least two distinct schools."""
    groups = []
    for value in values:
        ids = tuple(dict.fromkeys(v.strip() for v in value.replace("，", ",").split(",") if v.strip()))
        if len(ids) >= 2:
            groups.append(Together(ids))
    return tuple(groups)


def formation_input_from_tables(tables: Mapping[str, pd.DataFrame], *, together: Sequence[Together] = (),
                                leads: Sequence[LeadPin] = (), clusters_wanted: int | None = None) -> FormationInput:
    """The formation input of a district's bundle-shaped tables (schools required; clusters, classes or
    students, distances optional)."""
    schools_frame = tables["schools"]
    students = _students_by_school(tables)
    schools = []
    for row in schools_frame.to_dict("records"):
        school_id = cell_text(row["school_id"])
        schools.append(FormationSchool(
            school_id=school_id, name=cell_text(row.get("name")) or school_id, stage=cell_text(row["stage"]),
            locality=cell_text(row["locality"]), tier=cell_text(row["tier"]), lat=cell_float(row["lat"], 0.0),
            lon=cell_float(row["lon"], 0.0), hardship=cell_int(row.get("hardship"), 0),
            students=students.get(school_id, 0), cluster_id=cell_text(row.get("cluster_id")),
            is_lead=cell_bool(row.get("is_lead"))))
    clusters_frame = tables.get("clusters")
    clusters = tuple(TodayCluster(cell_text(c), cell_text(n) or cell_text(c))
                     for c, n in zip(clusters_frame["cluster_id"].tolist(), clusters_frame["name"].tolist())
                     ) if clusters_frame is not None and len(clusters_frame) else ()
    return FormationInput(schools=tuple(schools), clusters=clusters, distances=_given_distances(tables),
                          together=tuple(together), leads=tuple(leads), clusters_wanted=clusters_wanted)
