"""A proven lower bound from the LP relaxation of a CP-SAT model.

CP-SAT's own bound on the district model rises slowly (its LP is built lazily); the LP relaxation
of the same model, solved once by HiGHS (scipy), is a valid lower bound on every integer solution
and, thanks to the plan-count formulation, a tight one. The model is exported and parsed as a
protobuf (fast), then turned into sparse matrices. Only linear, at-most-one and exactly-one
constraints without enforcement literals are read (what `InvigilationModel` uses outside its
explanation mode); anything else is dropped, which only weakens the bound.
"""
from __future__ import annotations

import math
import os
import tempfile
import time

import numpy as np
import scipy.sparse as sp
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model
from scipy.optimize import linprog

_BIG = 2 ** 62


def _proto(model: cp_model.CpModel) -> cp_model_pb2.CpModelProto:
    fd, path = tempfile.mkstemp(suffix=".pb")
    os.close(fd)
    try:
        model.export_to_file(path)
        proto = cp_model_pb2.CpModelProto()
        with open(path, "rb") as f:
            proto.ParseFromString(f.read())
        return proto
    finally:
        os.unlink(path)


def lp_relaxation_bound(model: cp_model.CpModel, time_limit_s: float = 30.0) -> dict:
    """{"status", "bound", "lp_value", "seconds", "x"}: bound is None unless the LP was solved."""
    t0 = time.perf_counter()
    p = _proto(model)
    n = len(p.variables)
    lb = np.empty(n)
    ub = np.empty(n)
    for i, v in enumerate(p.variables):
        dom = v.domain
        lb[i] = dom[0]
        ub[i] = dom[len(dom) - 1]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    r = 0
    for c in p.constraints:
        if c.enforcement_literal:
            continue
        kind = c.WhichOneof("constraint")
        if kind == "linear":
            vs, cs = list(c.linear.vars), list(c.linear.coeffs)
            dom = c.linear.domain
            a, b = dom[0], dom[len(dom) - 1]
            lo.append(-np.inf if a <= -_BIG else a)
            hi.append(np.inf if b >= _BIG else b)
        elif kind in ("at_most_one", "exactly_one"):
            lits = list(getattr(c, kind).literals)
            if any(lit < 0 for lit in lits):
                continue
            vs, cs = lits, [1] * len(lits)
            lo.append(-np.inf if kind == "at_most_one" else 1)
            hi.append(1)
        else:
            continue
        rows.extend([r] * len(vs))
        cols.extend(vs)
        vals.extend(cs)
        r += 1
    a_mat = sp.csr_matrix((np.array(vals, dtype=float), (rows, cols)), shape=(r, n))
    lo_a, hi_a = np.array(lo, dtype=float), np.array(hi, dtype=float)
    cost = np.zeros(n)
    for v, c in zip(p.objective.vars, p.objective.coeffs):
        cost[v] += c
    eq = lo_a == hi_a
    up = ~eq & np.isfinite(hi_a)
    down = ~eq & np.isfinite(lo_a)
    a_ub = sp.vstack([a_mat[up], -a_mat[down]]).tocsr()
    b_ub = np.concatenate([hi_a[up], -lo_a[down]])
    res = linprog(cost, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=a_mat[eq] if eq.any() else None, b_eq=lo_a[eq] if eq.any() else None,
                  bounds=np.c_[lb, ub], method="highs",
                  options={"time_limit": max(1.0, time_limit_s - (time.perf_counter() - t0))})
    out = {"status": int(res.status), "seconds": round(time.perf_counter() - t0, 3), "bound": None,
           "lp_value": None, "x": None}
    if res.status == 0:
        value = float(res.fun) + p.objective.offset
        out["lp_value"] = value
        # the objective has integer coefficients: round up, minus a tolerance for the LP's accuracy
        out["bound"] = math.ceil(value - 1e-6 * max(1.0, abs(value)))
        out["x"] = res.x
    return out
