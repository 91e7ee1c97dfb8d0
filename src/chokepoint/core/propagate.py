r"""The disruption model: origin cuts and capacity shocks propagated through the chain.

One implementation, vectorised over a batch of scenarios (the columns of ``nodes x S``
matrices; a single scenario is a batch of one), serves ``scenario``, ``sweep``, ``montecarlo``
and the checks of the choke-point impacts. For perspective :math:`P`, node :math:`n`, cuts
:math:`\kappa(c, n)`, capacity shocks :math:`h_n` and substitutability :math:`\sigma_n`:

.. math::

    m_n = \sum_{c\ \mathrm{foreign}} s_n(c)\,\kappa(c, n)

    d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \quad \text{(leontief)}, \qquad
    d_n = \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr) \quad \text{(linear)}

    q_n = \min\bigl(1, (1 - \sigma_n)\, m_n + s_n(P)\, d_n\bigr)

solved to the least fixed point: one step per generation on the acyclic part, and on a cyclic
component a Gauss-Seidel iteration from zero loss (the map is monotone, so the iteration rises to
the least fixed point) until no value moves by more than :data:`TOLERANCE`. See
``docs/methodology.md``.

References
----------
.. [1] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
.. [2] Haimes, Y. Y. and Jiang, P. (2001), "Leontief-based model of risk in complex interconnected
       infrastructures", *Journal of Infrastructure Systems* 7(1), 1-12.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from ..errors import ScenarioError
from ..model import Cut
from .compiled import BoolArray, Compiled, FloatArray, IntArray

__all__ = [
    "MAX_ITERATIONS",
    "MODELS",
    "TOLERANCE",
    "LossModel",
    "check_model",
    "cut_matrix",
    "cycle_fixed_point",
    "import_losses",
    "propagate",
]

LossModel = Literal["leontief", "linear"]
MODELS: tuple[LossModel, ...] = ("leontief", "linear")
#: Iterations allowed on a cycle before the fixed point is declared not reached.
MAX_ITERATIONS = 10_000
TOLERANCE = 1e-12


def check_model(model: str) -> LossModel:
    """Return ``model`` if it is one of :data:`MODELS`.

    Raises
    ------
    ScenarioError
        Naming the models.
    """
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    return model


def cut_matrix(c: Compiled, scenarios: Sequence[Sequence[Cut]]) -> FloatArray:
    r"""The cuts :math:`\kappa(c, n)` of each scenario, as a ``pairs x S`` matrix.

    A cut of an origin reaches the pairs of the keys :meth:`Compiled.members` gives (the origin;
    for a region of the chain or a standard region, its members and the chain's regions inside
    it) at the nodes it names, or at every node. When several cuts of a scenario reach the same
    pair, the largest severity applies.

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> k = cut_matrix(c, [[Cut("JP", 0.5, ("reducers",))]])
    >>> [(c.pair_origin[p], c.nodes[c.pair_row[p]]) for p in np.flatnonzero(k[:, 0])]
    [('JP', 'reducers')]
    """
    by_origin: dict[str, list[int]] = {}
    ptr = c.pair_ptr.tolist()
    kappa = np.zeros((len(c.pair_origin), len(scenarios)), dtype=np.float64)
    for j, cuts in enumerate(scenarios):
        for cut in cuts:
            keys = c.members(cut.origin)
            if cut.nodes:  # the named nodes' own pairs: no walk over every pair of the origin
                rows = {c.index[n] for n in cut.nodes}
                pairs = [
                    p
                    for n in sorted(rows)
                    for p in range(ptr[n], ptr[n + 1])
                    if c.pair_origin[p] in keys
                ]
            else:
                if not by_origin:
                    for p, origin in enumerate(c.pair_origin):
                        by_origin.setdefault(origin, []).append(p)
                pairs = [p for key in keys for p in by_origin.get(key, ())]
            if pairs:
                column = kappa[pairs, j]
                kappa[pairs, j] = np.maximum(column, cut.severity)
    return kappa


def import_losses(
    c: Compiled, kappa: FloatArray, substitution: Mapping[str, float] | None = None
) -> FloatArray:
    r"""Import losses net of substitution, :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)`.

    ``kappa`` is ``pairs x S`` (:func:`cut_matrix`); ``substitution`` overrides
    :math:`\sigma_n` of the nodes it names, in every column. Returns a ``nodes x S`` matrix.
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    if kappa.ndim != 2 or kappa.shape[0] != c.pair_share.size:
        msg = f"kappa must have shape (pairs, S) = ({c.pair_share.size}, S), not {kappa.shape}"
        raise ScenarioError(msg)
    sigma = c.substitutability
    if substitution:
        sigma = sigma.copy()
        for node, value in substitution.items():
            sigma[c.index[node]] = value
    summed = c.reduce_pairs(c.pair_share[:, None] * kappa)
    out: FloatArray = summed * (1.0 - sigma)[:, None]
    return out


def propagate(
    c: Compiled,
    imports: FloatArray,
    shocks: FloatArray | None = None,
    model: LossModel = "leontief",
    buffered: BoolArray | None = None,
    *,
    start: tuple[FloatArray, FloatArray] | None = None,
    dirty: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    r"""Propagate a batch of scenarios; return the losses :math:`q` and their domestic parts.

    ``imports`` (:math:`(1 - \sigma_n) m_n`) and ``shocks`` (:math:`h_n`) are ``nodes x S``.
    ``buffered`` (``nodes x S``, optional) marks the nodes whose stock still covers their
    shortfall (:mod:`chokepoint.core.timeline`): their users read a loss of 0 from them, while
    their own :math:`q_n` (the shortfall before the stock) is still computed and returned.
    ``start`` (the ``(q, domestic)`` of an earlier call on the same columns) with ``dirty`` (a
    ``nodes`` mask) recomputes the marked nodes only and keeps every other node's values from
    ``start``: exact when ``dirty`` holds every node whose imports, shock or inputs' ``buffered``
    changed since that call and everything downstream of them
    (:meth:`~chokepoint.core.compiled.Compiled.downstream`), as the time model's events do.

    .. math::

        q_n = \min\bigl(1, (1 - \sigma_n) m_n + s_n(P)\, d_n\bigr), \qquad
        d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \ \text{or}\
        \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr)

    Returns
    -------
    (q, domestic)
        Losses and their domestic parts :math:`s_n(P)\, d_n`, both ``nodes x S``.

    Raises
    ------
    ScenarioError
        For an unknown model or a cycle that does not converge in :data:`MAX_ITERATIONS`.

    Examples
    --------
    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> q, _ = propagate(c, import_losses(c, cut_matrix(c, [[Cut("JP", 1.0, ("reducers",))]])))
    >>> round(float(q[c.index["reducers"], 0]), 3)
    0.614
    """
    leontief = check_model(model) == "leontief"
    imports = np.asarray(imports, dtype=np.float64)
    if imports.ndim != 2 or imports.shape[0] != c.size:
        msg = f"imports must have shape (nodes, S) = ({c.size}, S), not {imports.shape}"
        raise ScenarioError(msg)
    h = np.zeros_like(imports) if shocks is None else np.asarray(shocks, dtype=np.float64)
    width = imports.shape[1]
    visit = None
    if start is not None and dirty is not None:
        if start[0].shape != imports.shape or start[1].shape != imports.shape:
            msg = f"start must hold two matrices of the shape of imports {imports.shape}"
            raise ScenarioError(msg)
        q, dom = np.array(start[0], dtype=np.float64), np.array(start[1], dtype=np.float64)
        visit = np.asarray(dirty, dtype=np.bool_)
    else:
        q, dom = np.zeros_like(imports), np.zeros_like(imports)
    if buffered is not None:
        buffered = np.asarray(buffered, dtype=np.bool_)
        if buffered.shape != imports.shape:
            msg = f"buffered must have the shape of imports {imports.shape}, not {buffered.shape}"
            raise ScenarioError(msg)

    def read(nodes: IntArray) -> FloatArray:
        """The losses users read from ``nodes``: 0 from a node whose stock still covers it."""
        if buffered is None:
            return q[nodes]
        out: FloatArray = np.where(buffered[nodes], 0.0, q[nodes])
        return out

    def essential(links: IntArray) -> FloatArray:
        out: FloatArray = np.where(c.in_essential[links, None], read(c.in_src[links]), 0.0)
        return out

    def weighted(links: IntArray) -> FloatArray:
        out: FloatArray = c.in_cost[links, None] * read(c.in_src[links])
        return out

    def rows_step(rows: IntArray) -> None:
        if leontief:
            d = c.reduce_inputs(np.maximum, rows, h[rows], essential)
        else:
            d = np.minimum(c.reduce_inputs(np.add, rows, h[rows], weighted), 1.0)
        dom[rows] = c.domestic[rows, None] * d
        q[rows] = np.minimum(imports[rows] + dom[rows], 1.0)

    def cycle_step(members: tuple[int, ...]) -> None:
        rows = list(members)
        inside = set(members)
        base = h[rows].copy()  # d from the shocks and the inputs outside the component
        for k, x in enumerate(members):
            for e in range(int(c.in_ptr[x]), int(c.in_ptr[x + 1])):
                i = int(c.in_src[e])
                if i in inside:
                    continue
                seen = q[i] if buffered is None else np.where(buffered[i], 0.0, q[i])
                if leontief and c.in_essential[e]:
                    np.maximum(base[k], seen, out=base[k])
                elif not leontief and c.in_cost[e]:
                    base[k] += c.in_cost[e] * seen
        covered = None if buffered is None else buffered[rows]
        q[rows], dom[rows] = cycle_fixed_point(c, members, imports[rows], base, leontief, covered)

    c.walk(width, rows_step, cycle_step, visit)
    return q, dom


def cycle_fixed_point(
    c: Compiled,
    members: tuple[int, ...],
    imports: FloatArray,
    base: FloatArray,
    leontief: bool,
    buffered: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    r"""The least fixed point of the loss model on one cyclic component, for ``S`` columns.

    ``imports`` and ``base`` are ``members x S``: the import losses and what :math:`d_n` takes
    from outside the component (the shock :math:`h_n` and the inputs already solved, combined by
    the model: their maximum or their weighted sum). Gauss-Seidel from zero loss, each column
    until no value moves by more than :data:`TOLERANCE`; returns :math:`q` and
    :math:`s_n(P)\, d_n` for the members. ``buffered`` (``members x S``) marks members whose
    stock still covers them: the other members read a loss of 0 from them.

    Raises
    ------
    ScenarioError
        When a column does not converge within :data:`MAX_ITERATIONS`.
    """
    where = {x: k for k, x in enumerate(members)}
    links = [
        [
            (where[int(c.in_src[e])], float(c.in_cost[e]), bool(c.in_essential[e]))
            for e in range(int(c.in_ptr[x]), int(c.in_ptr[x + 1]))
            if int(c.in_src[e]) in where
        ]
        for x in members
    ]
    share = [float(c.domestic[x]) for x in members]
    width = imports.shape[1]
    q = np.zeros((len(members), width), dtype=np.float64)
    dom = np.zeros_like(q)
    active = np.ones(width, dtype=np.bool_)
    for _ in range(MAX_ITERATIONS):
        change = np.zeros(width, dtype=np.float64)
        for k, inputs in enumerate(links):
            d = base[k].copy()
            for i, w, is_essential in inputs:
                seen = q[i] if buffered is None else np.where(buffered[i], 0.0, q[i])
                if leontief:
                    if is_essential:
                        np.maximum(d, seen, out=d)
                elif w:
                    d += w * seen
            if not leontief:
                np.minimum(d, 1.0, out=d)
            domestic = share[k] * d
            value = np.minimum(imports[k] + domestic, 1.0)
            np.maximum(change, np.abs(value - q[k]), out=change)
            q[k] = np.where(active, value, q[k])
            dom[k] = np.where(active, domestic, dom[k])
        active &= change > TOLERANCE
        if not active.any():
            return q, dom
    names = ", ".join(c.nodes[x] for x in members)
    msg = (
        f"the losses on the cycle {names} did not converge in {MAX_ITERATIONS:,} iterations; "
        "lower a cost share on the cycle or use the leontief model"
    )
    raise ScenarioError(msg)
