"""Correlated inputs: a model's rank-correlation matrices, checked and
turned into what the core applies.

    "correlations": [{"inputs": ["a", "b", "c"],
                      "matrix": [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]],
                      "repair": false}]                 (repair optional)

Each matrix holds Spearman rank correlations among stochastic inputs
(cell names; the second distribution of cell x is "x#2"). Groups are
independent of one another, and an input belongs to one group at most.

The core (csrc/correlate.h) reorders each group's uniforms chunk by chunk
(Iman and Conover) so that their normal scores have Pearson correlation
R = 2 sin(pi rho / 6), the normal copula's image of rank correlation rho.
So positive semi-definiteness is checked for R, where the correlation is
applied: a valid Spearman matrix can fail there. A failing matrix is
refused with R's smallest eigenvalue, or, with "repair": true, replaced by
the nearest correlation matrix to R in the Frobenius norm (Higham, 2002:
alternating projections with Dykstra's correction), and the largest change
it made to a rank correlation reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcengine.model.errors import Violation
from mcengine.model.names import key

# Entries of a matrix may differ from symmetry, and eigenvalues of R from
# zero, by rounding of this size (a JSON matrix of 17-digit decimals).
SYMMETRY_TOLERANCE = 1e-12
EIGEN_TOLERANCE = 1e-10
# The most inputs one group may hold: the core's work per chunk grows with
# the square of it.
MAX_GROUP_INPUTS = 100
_HIGHAM_ITERATIONS = 500
_HIGHAM_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Group:
    """One checked group: the matrix asked for and the one applied."""

    inputs: tuple[str, ...]
    streams: tuple[int, ...]
    target: np.ndarray  # Spearman, as the model gave it
    applied: np.ndarray  # Spearman, what the core aims at
    smallest_eigenvalue: float  # of the target's R
    repaired: bool
    largest_change: float  # max |applied - target|
    factor: np.ndarray  # lower L with L L^T = the applied R

    def to_dict(self, achieved: np.ndarray | None, iterations: int) -> dict:
        """The group in a result: targets beside achieved rank correlations
        over the first `iterations` iterations."""
        return {
            "inputs": list(self.inputs),
            "target": self.target.tolist(),
            "applied": self.applied.tolist(),
            "repaired": self.repaired,
            "largest_change": self.largest_change,
            "smallest_eigenvalue": self.smallest_eigenvalue,
            "achieved": None if achieved is None else achieved.tolist(),
            "achieved_iterations": iterations,
        }


def check_structure(raw, add) -> list[dict]:
    """The groups of a model's "correlations" value with sound shapes;
    add(field, reason) is called for each problem."""
    if not isinstance(raw, list):
        add("correlations", "must be a list of {inputs, matrix} objects")
        return []
    groups = []
    for g, item in enumerate(raw):
        where = f"correlations[{g}]"
        if not isinstance(item, dict):
            add(where, "must be an object with 'inputs' and 'matrix'")
            continue
        extra = sorted(set(item) - {"inputs", "matrix", "repair"})
        if extra:
            add(
                f"{where}.{extra[0]}",
                "unknown key; a group has inputs, matrix and repair",
            )
        inputs = _names(item.get("inputs"), f"{where}.inputs", add)
        matrix = _matrix(item.get("matrix"), f"{where}.matrix", add)
        repair = item.get("repair", False)
        if not isinstance(repair, bool):
            add(f"{where}.repair", "must be true or false")
        if inputs is None or matrix is None:
            continue
        if matrix.shape[0] != len(inputs):
            add(
                f"{where}.matrix",
                f"is {matrix.shape[0]} x {matrix.shape[0]} but the group "
                f"has {len(inputs)} inputs",
            )
            continue
        groups.append({"inputs": inputs, "matrix": matrix, "repair": repair})
    return groups


def _names(raw, where: str, add) -> list[str] | None:
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        add(where, "must be a list of stochastic input names")
        return None
    if len(raw) < 2 or len(raw) > MAX_GROUP_INPUTS:
        add(
            where,
            f"a group holds 2 to {MAX_GROUP_INPUTS} inputs, got {len(raw)}",
        )
        return None
    seen = set()
    for i, name in enumerate(raw):
        if key(name) in seen:
            add(f"{where}[{i}]", f"'{name}' is listed twice")
            return None
        seen.add(key(name))
    return raw


def _matrix(raw, where: str, add) -> np.ndarray | None:
    ok = isinstance(raw, list) and all(
        isinstance(row, list)
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in row
        )
        for row in raw
    )
    if not ok or not raw:
        add(where, "must be a list of rows of numbers")
        return None
    d = len(raw)
    for r, row in enumerate(raw):
        if len(row) != d:
            add(
                f"{where}[{r}]",
                f"has {len(row)} entries; the matrix must "
                f"be square ({d} x {d})",
            )
            return None
    for r, row in enumerate(raw):
        for c, v in enumerate(row):
            try:
                float(v)
            except OverflowError:
                add(
                    f"{where}[{r}][{c}]",
                    "is too large; each must be in [-1, 1]",
                )
                return None
    m = np.array(raw, dtype=np.float64)
    problem = _entry_problem(m)
    if problem:
        add(where, problem)
        return None
    return m


def _entry_problem(m: np.ndarray) -> str | None:
    """Why m is not a correlation matrix entry by entry, if it is not."""
    d = m.shape[0]
    for i in range(d):
        for j in range(d):
            v = float(m[i, j])
            if not math.isfinite(v) or abs(v) > 1:
                return f"entry [{i}][{j}] is {v!r}; each must be in [-1, 1]"
        if m[i, i] != 1:
            diagonal = float(m[i, i])
            return f"diagonal entry [{i}][{i}] is {diagonal!r}; it must be 1"
    for i in range(d):
        for j in range(i):
            if abs(m[i, j] - m[j, i]) > SYMMETRY_TOLERANCE:
                below, above = float(m[i, j]), float(m[j, i])
                return (
                    f"entries [{i}][{j}] = {below!r} and [{j}][{i}] = "
                    f"{above!r} differ; the matrix must be symmetric"
                )
    return None


def resolve(groups: list[dict], input_names: list[str]):
    """The checked Groups of a model whose stochastic inputs are
    input_names (in stream order), and the Violations found."""
    by_key = {key(n): s for s, n in enumerate(input_names)}
    owner: dict[int, int] = {}
    found, violations = [], []
    for g, group in enumerate(groups):
        streams = []
        for i, name in enumerate(group["inputs"]):
            where = f"correlations[{g}].inputs[{i}]"
            stream = by_key.get(key(name))
            if stream is None:
                known = ", ".join(input_names) or "none"
                violations.append(
                    Violation(
                        where,
                        f"'{name}' is not a stochastic input (a cell holding "
                        f"a distribution); the model's inputs: {known}",
                    )
                )
            elif stream in owner:
                violations.append(
                    Violation(
                        where,
                        f"'{name}' is already in correlations["
                        f"{owner[stream]}]; an input belongs to one group at "
                        "most",
                    )
                )
            else:
                owner[stream] = g
                streams.append(stream)
        if len(streams) != len(group["inputs"]):
            continue
        made = _group(group, streams, f"correlations[{g}].matrix")
        if isinstance(made, Violation):
            violations.append(made)
        else:
            found.append(made)
    return found, violations


def _group(group: dict, streams: list[int], where: str):
    target = group["matrix"]
    target = (target + target.T) / 2
    normal = normal_scores(target)
    smallest = float(np.linalg.eigvalsh(normal)[0])
    applied, change, repaired = target, 0.0, False
    if smallest < -EIGEN_TOLERANCE:
        if not group["repair"]:
            return Violation(
                where,
                "is not positive semi-definite where it is applied (as "
                "normal-score correlations 2 sin(pi r / 6)): smallest "
                f"eigenvalue {smallest:.6g}; correct it, or set "
                '"repair": true to use the nearest valid matrix',
            )
        normal = nearest_correlation(normal)
        applied = rank_correlations(normal)
        change = float(np.max(np.abs(applied - target)))
        repaired = True
    return Group(
        inputs=tuple(group["inputs"]),
        streams=tuple(streams),
        target=target,
        applied=applied,
        smallest_eigenvalue=smallest,
        repaired=repaired,
        largest_change=change,
        factor=semidefinite_factor(normal),
    )


def normal_scores(rho: np.ndarray) -> np.ndarray:
    """Pearson correlations of normal scores with rank correlations rho."""
    r = 2.0 * np.sin(np.pi * rho / 6.0)
    np.fill_diagonal(r, 1.0)
    return r


def rank_correlations(r: np.ndarray) -> np.ndarray:
    """The inverse of normal_scores."""
    rho = 6.0 / np.pi * np.arcsin(np.clip(r, -1.0, 1.0) / 2.0)
    np.fill_diagonal(rho, 1.0)
    return rho


def nearest_correlation(a: np.ndarray) -> np.ndarray:
    """Higham's nearest correlation matrix to the symmetric a: alternating
    projections onto the positive semi-definite cone and onto unit-diagonal
    matrices, with Dykstra's correction on the first."""
    y = a.copy()
    correction = np.zeros_like(a)
    for _ in range(_HIGHAM_ITERATIONS):
        r = y - correction
        w, v = np.linalg.eigh(r)
        x = (v * np.maximum(w, 0.0)) @ v.T
        correction = x - r
        previous = y
        y = x.copy()
        np.fill_diagonal(y, 1.0)
        if np.max(np.abs(y - previous)) < _HIGHAM_TOLERANCE:
            break
    y = (y + y.T) / 2
    np.fill_diagonal(y, 1.0)
    return y


def semidefinite_factor(r: np.ndarray) -> np.ndarray:
    """Lower L with L L^T = r for a correlation matrix r that is positive
    semi-definite within rounding: a pivot that is not clearly positive
    (a perfectly correlated input) gets a zero column. Rows are scaled to
    unit length, so L L^T has an exact unit diagonal."""
    d = r.shape[0]
    factor = np.zeros((d, d))
    for j in range(d):
        pivot = r[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot <= EIGEN_TOLERANCE * 100:
            continue
        root = math.sqrt(pivot)
        factor[j, j] = root
        below = r[j + 1 :, j] - factor[j + 1 :, :j] @ factor[j, :j]
        factor[j + 1 :, j] = below / root
    norms = np.linalg.norm(factor, axis=1)
    norms[norms == 0] = 1.0
    factor /= norms[:, None]
    factor[0, 0] = 1.0
    return factor
