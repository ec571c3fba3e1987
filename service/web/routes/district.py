"""The district (学区概况): clusters with their names, a cluster's schools, a school, the teachers.

A school user sees its own school only; a cluster office and a cluster's planner their cluster; the
bureau (and a district planner) everything. Anything else is 403, checked here on the server.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from service.web import reads, reads_district_data
from service.web.auth import Viewer, forbidden, home_of, not_found, reader, signed_in
from service.web.pages import render
from service.web.routes.account import see_other

router = APIRouter()


def district_reader(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    return reader(viewer)


Reader = Annotated[Viewer, Depends(district_reader)]


def school_or_refuse(url: str, viewer: Viewer, school_id: str) -> reads.SchoolRow:
    """The school when the viewer may see it; 403 otherwise (404 only for those who see every school)."""
    row = reads.school(url, school_id)
    if row is None:
        raise not_found() if viewer.scope.district_wide else forbidden()
    if not viewer.scope.sees_school(row.school_id, row.cluster_id):
        raise forbidden()
    return row


@router.get("/district")
def district(request: Request, viewer: Reader):
    if not viewer.scope.district_wide:
        return see_other(home_of(viewer))  # a cluster or a school: its own page is its district
    url = request.app.state.url
    return render(request, "district/index.html", viewer, district_name=reads.district_name(url),
                  clusters=reads.clusters(url))


@router.get("/district/clusters/{cluster_id}")
def cluster(request: Request, cluster_id: str, viewer: Reader):
    if not viewer.scope.sees_cluster(cluster_id):
        raise forbidden()
    url = request.app.state.url
    name = reads.cluster_name(url, cluster_id)
    if name is None:
        raise not_found()
    return render(request, "district/cluster.html", viewer, cluster_id=cluster_id, cluster_name=name,
                  schools=reads.schools_of_cluster(url, cluster_id))


@router.get("/district/schools/{school_id}")
def school(request: Request, school_id: str, viewer: Reader):
    url = request.app.state.url
    row = school_or_refuse(url, viewer, school_id)
    found, total = reads.teachers(url, [row.school_id])
    return render(request, "district/school.html", viewer, school=row, teachers=found, total=total,
                  sees_cluster=viewer.scope.sees_cluster(row.cluster_id),
                  classes=reads_district_data.classes_of_school(url, row.school_id))


@router.get("/district/teachers")
def teachers(request: Request, viewer: Reader, school: str | None = None, subject: str | None = None,
             q: str | None = None):
    url = request.app.state.url
    schools = reads.visible_schools(url, viewer.scope)
    visible = [s.school_id for s in schools]
    if school:
        if school not in visible:
            raise not_found() if viewer.scope.district_wide else forbidden()
        chosen = [school]
    else:
        chosen = visible
    q = (q or "").strip()[:50]
    found, total = reads.teachers(url, chosen, subject=subject or None, name_contains=q or None)
    return render(request, "district/teachers.html", viewer, schools=schools, teachers=found, total=total,
                  limit=reads.MAX_TEACHERS_SHOWN, school=school or "", subject=subject or "", q=q,
                  subjects=reads.subjects_taught(url, visible))
