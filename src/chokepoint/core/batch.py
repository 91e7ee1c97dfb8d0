r"""The disruption model of :mod:`chokepoint.core.scenarios`, vectorised over many scenarios at once.

A batch of :math:`S` scenarios is a pair of ``nodes x S`` matrices: the import losses
:math:`(1 - \sigma_n) m_n` and the capacity shocks :math:`h_n`, one column per scenario. Column by
column, :func:`propagate_batch` gives exactly the losses of
:func:`~chokepoint.core.scenarios.propagate_losses`:

.. math::

    d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \quad \text{(leontief)}, \qquad
    d_n = \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr) \quad \text{(linear)}

    q_n = \min\bigl(1, (1 - \sigma_n)\, m_n + s_n(P)\, d_n\bigr)

with the same operations in the same order, so the results agree to the last bit or nearly so
(a few ulps where a sum is grouped differently). The graph is read once into a :class:`Plan`
(node index, domestic shares, essential inputs, cost shares, the (origin, node) pairs that can be
cut); each scenario then costs a few numpy operations on the columns. numpy is needed (the
``fast`` extra): only the commands that run many scenarios import this module.

References
----------
.. [1] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
.. [2] Haimes, Y. Y. and Jiang, P. (2001), "Leontief-based model of risk in complex interconnected
       infrastructures", *Journal of Infrastructure Systems* 7(1), 1-12.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import ScenarioError
from ..model import Cut
from .graph import COST_SHARE, ESSENTIAL, SUBSTITUTABILITY
from .scenarios import (
    MAX_ITERATIONS,
    MODELS,
    TOLERANCE,
    LossModel,
    Prepared,
    Scenario,
    check_scenario,
    import_losses,
)

__all__ = [
    "FloatArray",
    "Plan",
    "cut_matrix",
    "family_matrix",
    "pairs_import",
    "propagate_batch",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class _Entry:
    """One node of the plan: its row, essential inputs and cost-weighted inputs (graph order)."""

    row: int
    essential: tuple[int, ...]
    weighted: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class _Component:
    """A strongly connected component; ``cyclic`` when it has several nodes or a self-input."""

    entries: tuple[_Entry, ...]
    cyclic: bool
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """What every batch on one prepared chain shares, read from the graph once.

    Rows of every ``nodes x S`` matrix follow :attr:`nodes` (``list(prepared.graph)``).
    The cuttable pairs are every named foreign origin key of every node, in node order and then
    in the chain file's order of the node's shares: pair ``p`` is origin :attr:`pair_origins`
    ``[p]`` at row :attr:`pair_rows` ``[p]`` with share :attr:`pair_shares` ``[p]``.
    """

    prepared: Prepared
    nodes: tuple[str, ...]
    index: Mapping[str, int]
    domestic: FloatArray
    substitutability: FloatArray
    components: tuple[_Component, ...]
    pair_origins: tuple[str, ...]
    pair_rows: IntArray
    pair_shares: FloatArray
    finals: IntArray

    @classmethod
    def build(cls, prepared: Prepared) -> Plan:
        """Read graph, splits and component order of ``prepared`` into index arrays."""
        graph = prepared.graph
        nodes = tuple(graph)
        index = {n: k for k, n in enumerate(nodes)}
        components = []
        for component in prepared.order:
            entries = []
            for n in component:
                essential: list[int] = []
                weighted: list[tuple[int, float]] = []
                for i in graph.predecessors(n):
                    edge = graph.edges[i, n]
                    if edge[ESSENTIAL]:
                        essential.append(index[i])
                    if edge[COST_SHARE]:
                        weighted.append((index[i], float(edge[COST_SHARE])))
                entries.append(_Entry(index[n], tuple(essential), tuple(weighted)))
            cyclic = len(component) > 1 or graph.has_edge(component[0], component[0])
            components.append(_Component(tuple(entries), cyclic, tuple(component)))
        origins: list[str] = []
        rows: list[int] = []
        shares: list[float] = []
        for n in nodes:
            for c, share in prepared.splits[n].foreign.items():
                origins.append(c)
                rows.append(index[n])
                shares.append(share)
        return cls(
            prepared,
            nodes,
            index,
            np.array([prepared.splits[n].domestic for n in nodes], dtype=np.float64),
            np.array([graph.nodes[n][SUBSTITUTABILITY] for n in nodes], dtype=np.float64),
            tuple(components),
            tuple(origins),
            np.array(rows, dtype=np.intp),
            np.array(shares, dtype=np.float64),
            np.array([index[f] for f in prepared.finals], dtype=np.intp),
        )

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The cuttable ``(origin, node)`` pairs, in pair order."""
        return [(c, self.nodes[r]) for c, r in zip(self.pair_origins, self.pair_rows, strict=True)]

    def pair_mask(self, origin: str, nodes: Sequence[str] = ()) -> BoolArray:
        """The pairs a cut of ``origin`` (at ``nodes``, or every node when empty) reaches.

        A region reaches its own key and its members' keys, as in
        :func:`~chokepoint.core.scenarios.import_losses`.

        Raises
        ------
        ScenarioError
            For a domestic or unknown origin, or a node where the origin has no share.
        """
        prepared = self.prepared
        check_scenario(
            Scenario(cuts=(Cut(origin, 1.0, tuple(nodes)),)),
            prepared.chain,
            prepared.splits,
            prepared.domestic_keys,
        )
        members = prepared.chain.regions.get(origin, ())
        rows = {self.index[n] for n in nodes}
        return np.array(
            [
                (c == origin or c in members) and (not rows or int(r) in rows)
                for c, r in zip(self.pair_origins, self.pair_rows, strict=True)
            ],
            dtype=np.bool_,
        )


def _plan(source: Prepared | Plan) -> Plan:
    return source if isinstance(source, Plan) else Plan.build(source)


def pairs_import(source: Prepared | Plan, kappa: FloatArray) -> FloatArray:
    r"""Import losses of a batch of cuts given per (origin, node) pair.

    .. math:: \bigl((1 - \sigma_n) \textstyle\sum_c s_n(c)\, \kappa(c, n)\bigr)_{n, j}

    Parameters
    ----------
    source
        A :class:`~chokepoint.core.scenarios.Prepared` chain or its :class:`Plan`.
    kappa
        ``pairs x S``: the cut :math:`\kappa(c, n) \in [0, 1]` of each pair (rows in
        :attr:`Plan.pair_origins` order) in each scenario.

    Returns
    -------
    numpy.ndarray
        ``nodes x S`` import losses, the ``import_loss`` argument of :func:`propagate_batch`.
    """
    plan = _plan(source)
    kappa = np.asarray(kappa, dtype=np.float64)
    if kappa.ndim != 2 or kappa.shape[0] != len(plan.pair_origins):
        msg = f"kappa must have shape (pairs, S) = ({len(plan.pair_origins)}, S), not {kappa.shape}"
        raise ScenarioError(msg)
    out = np.zeros((len(plan.nodes), kappa.shape[1]), dtype=np.float64)
    rows = plan.pair_rows.tolist()
    for p, row in enumerate(rows):
        out[row] += plan.pair_shares[p] * kappa[p]
    for row in sorted(set(rows)):
        out[row] *= 1.0 - plan.substitutability[row]
    return out


def family_matrix(
    source: Prepared | Plan,
    cuts: Sequence[tuple[str, Sequence[str]]],
    severities: Sequence[float] | FloatArray,
) -> FloatArray:
    r"""Import losses of the family "origin :math:`c` cuts nodes :math:`N` at severity :math:`k`".

    Column ``j * len(severities) + k`` is cut ``j`` (an ``(origin, nodes)`` pair; no nodes means
    every node) at ``severities[k]``, the row order of ``chokepoint sweep``:

    .. math:: (1 - \sigma_n)\, \textstyle\sum_{c \in C_j} s_n(c)\, k

    where :math:`C_j` are the origin keys that cut ``j`` reaches at node :math:`n`.

    Raises
    ------
    ScenarioError
        For unknown or domestic origins, unknown nodes and severities outside [0, 1].
    """
    plan = _plan(source)
    levels = np.asarray(severities, dtype=np.float64).reshape(-1)
    if levels.size and not (np.all(levels >= 0) and np.all(levels <= 1)):
        msg = "every severity must be in [0, 1]"
        raise ScenarioError(msg)
    width = len(levels)
    kappa = np.zeros((len(plan.pair_origins), len(cuts) * width), dtype=np.float64)
    for j, (origin, nodes) in enumerate(cuts):
        mask = plan.pair_mask(origin, nodes)
        kappa[mask, j * width : (j + 1) * width] = levels
    return pairs_import(plan, kappa)


def cut_matrix(
    source: Prepared | Plan,
    cuts_per_scenario: Iterable[Iterable[Cut]],
    substitution: Mapping[str, float] | None = None,
) -> FloatArray:
    r"""Import losses of arbitrary scenarios, one column each, exactly as a single scenario.

    Column ``j`` is :func:`~chokepoint.core.scenarios.import_losses` of the ``j``-th collection of
    cuts (largest cut per origin and node; regions reach their members), net of substitution:
    :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)`. One pure-Python pass per scenario: use
    :func:`family_matrix` or :func:`pairs_import` for large families.

    Raises
    ------
    ScenarioError
        For unknown or domestic origins, unknown nodes and severities outside [0, 1].
    """
    plan = _plan(source)
    prepared = plan.prepared
    columns: list[dict[str, float]] = []
    for cuts in cuts_per_scenario:
        scenario = Scenario(cuts=tuple(cuts), substitution=dict(substitution or {}))
        check_scenario(scenario, prepared.chain, prepared.splits, prepared.domestic_keys)
        columns.append(
            import_losses(
                prepared.graph,
                prepared.splits,
                scenario.cuts,
                scenario.substitution,
                prepared.chain.regions,
            )
        )
    out = np.zeros((len(plan.nodes), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        for n, value in column.items():
            out[plan.index[n], j] = value
    return out


def _domestic_need(
    entry: _Entry, q: FloatArray, shocks: FloatArray | None, leontief: bool, width: int
) -> FloatArray | None:
    """:math:`d_n` for every column, or None when it is 0 everywhere (no input, no shock)."""
    h = shocks[entry.row] if shocks is not None else None
    if leontief:
        if not entry.essential:
            return None if h is None else h.copy()
        d = h.copy() if h is not None else np.zeros(width, dtype=np.float64)
        for i in entry.essential:
            np.maximum(d, q[i], out=d)
        return d
    if not entry.weighted:
        return None if h is None else np.minimum(h, 1.0)
    d = h.copy() if h is not None else np.zeros(width, dtype=np.float64)
    for i, w in entry.weighted:
        d += w * q[i]
    np.minimum(d, 1.0, out=d)
    return d


def _evaluate(
    plan: Plan,
    entry: _Entry,
    q: FloatArray,
    import_loss: FloatArray,
    shocks: FloatArray | None,
    leontief: bool,
) -> FloatArray:
    r""":math:`q_n = \min(1, \text{import}_n + s_n(P) d_n)` for every column."""
    row = entry.row
    share = plan.domestic[row]
    d = _domestic_need(entry, q, shocks, leontief, q.shape[1])
    if d is None or share == 0.0:
        # s_P * 0 (or 0 * d) adds exactly 0.0: the loss is the import loss alone
        alone: FloatArray = np.minimum(import_loss[row] + 0.0, 1.0)
        return alone
    d *= share
    d += import_loss[row]
    np.minimum(d, 1.0, out=d)
    return d


def propagate_batch(
    source: Prepared | Plan,
    import_loss: FloatArray,
    shocks: FloatArray | None = None,
    model: LossModel = "leontief",
) -> FloatArray:
    r"""Propagate ``S`` scenarios at once; return the ``nodes x S`` losses :math:`q`.

    Column ``j`` equals ``propagate_losses(graph, splits, import_loss[:, j], shocks[:, j], model,
    order)`` (the loss, first item of each node's triple):

    .. math::

        q_n = \min\bigl(1, (1 - \sigma_n) m_n + s_n(P)\, d_n\bigr), \qquad
        d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \ \text{or}\
        \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr)

    Components are visited inputs first. A cyclic component is iterated from zero loss
    (Gauss-Seidel in component order, like the scalar code); each column stops moving once its own
    largest change is at most 1e-12, so every column follows the scalar iteration step by step.

    Parameters
    ----------
    source
        A :class:`~chokepoint.core.scenarios.Prepared` chain or its :class:`Plan` (build the plan once
        when propagating several batches).
    import_loss
        ``nodes x S``: :math:`(1 - \sigma_n) m_n`, rows in :attr:`Plan.nodes` order.
    shocks
        ``nodes x S`` capacity shocks :math:`h_n`, or None for none.
    model
        ``leontief`` (fixed proportions [1]_) or ``linear`` (inoperability input-output [2]_).

    Returns
    -------
    numpy.ndarray
        ``nodes x S`` losses in [0, 1].

    Raises
    ------
    ScenarioError
        For an unknown model, wrongly shaped matrices, or a cycle that does not converge within
        :data:`~chokepoint.core.scenarios.MAX_ITERATIONS` iterations.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> from chokepoint.core.scenarios import prepare
    >>> plan = Plan.build(prepare(load_chain("robots")))
    >>> imports = family_matrix(plan, [("JP", ["reducers"])], [0.0, 0.5, 1.0])
    >>> q = propagate_batch(plan, imports)
    >>> [round(float(v), 3) for v in q[plan.index["reducers"]]]
    [0.0, 0.307, 0.614]
    """
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    plan = _plan(source)
    import_loss = np.asarray(import_loss, dtype=np.float64)
    size = len(plan.nodes)
    if import_loss.ndim != 2 or import_loss.shape[0] != size:
        msg = f"import_loss must have shape (nodes, S) = ({size}, S), not {import_loss.shape}"
        raise ScenarioError(msg)
    if shocks is not None:
        shocks = np.asarray(shocks, dtype=np.float64)
        if shocks.shape != import_loss.shape:
            msg = (
                f"shocks must have the shape of import_loss {import_loss.shape}, not {shocks.shape}"
            )
            raise ScenarioError(msg)
    leontief = model == "leontief"
    width = import_loss.shape[1]
    q = np.zeros((size, width), dtype=np.float64)
    for component in plan.components:
        if not component.cyclic:
            entry = component.entries[0]
            q[entry.row] = _evaluate(plan, entry, q, import_loss, shocks, leontief)
            continue
        _iterate(plan, component, q, import_loss, shocks, leontief)
    return q


def _iterate(
    plan: Plan,
    component: _Component,
    q: FloatArray,
    import_loss: FloatArray,
    shocks: FloatArray | None,
    leontief: bool,
) -> None:
    """Iterate a cyclic component to its least fixed point, freezing each converged column."""
    width = q.shape[1]
    active = np.ones(width, dtype=np.bool_)
    for _ in range(MAX_ITERATIONS):
        change = np.zeros(width, dtype=np.float64)
        every = bool(active.all())
        for entry in component.entries:
            value = _evaluate(plan, entry, q, import_loss, shocks, leontief)
            np.maximum(change, np.abs(value - q[entry.row]), out=change)
            if every:
                q[entry.row] = value
            else:
                q[entry.row] = np.where(active, value, q[entry.row])
        active &= change > TOLERANCE
        if not active.any():
            return
    msg = (
        f"the losses on the cycle {', '.join(component.names)} did not converge in "
        f"{MAX_ITERATIONS:,} iterations; lower a cost share on the cycle or use --model leontief"
    )
    raise ScenarioError(msg)
