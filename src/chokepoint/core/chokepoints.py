r"""Choke points: criteria, impact and the sentence that explains each.

A node is a choke point for perspective :math:`P` when

.. math:: D_n \ge \delta \quad\text{and}\quad \mathrm{HHI}^{imp}_n \ge \eta

with :math:`\delta = 0.5` and :math:`\eta = 0.4` by default, the thresholds of the European
Commission's screening of strategic dependencies [1]_. Its impact is the largest loss among the
final products when its top foreign supplier stops supplying that node alone, propagated with
fixed proportions (the ``leontief`` model of :mod:`chokepoint.core.scenarios`).

References
----------
.. [1] European Commission (2021), "Strategic dependencies and capacities", SWD(2021) 352, ch. 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .metrics import OriginSplit, components_in_order, top_supplier
from .scenarios import propagate_losses

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DEFAULT_MIN_CONCENTRATION", "DEFAULT_MIN_DEPENDENCE", "criteria", "impacts"]

DEFAULT_MIN_DEPENDENCE = 0.5
DEFAULT_MIN_CONCENTRATION = 0.4


def criteria(
    dependence: float | None,
    concentration: float | None,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
) -> tuple[bool, bool]:
    """Return (dependence criterion met, concentration criterion met); n/a values never meet one."""
    dep = dependence is not None and dependence >= min_dependence - 1e-12
    con = concentration is not None and concentration >= min_concentration - 1e-12
    return dep, con


def impacts(
    graph: nx.DiGraph[str],
    splits: Mapping[str, OriginSplit],
    finals: list[str],
    order: list[list[str]] | None = None,
) -> dict[str, tuple[float, str] | None]:
    r"""For every node with a named foreign supplier: the largest final-product loss and where.

    The scenario is :math:`\kappa(c^*_n, n) = 1` for the node's top foreign supplier
    :math:`c^*_n` and nothing else, under the ``leontief`` model with the node's own
    substitutability. Returns ``{node: (impact, final product)}``, None for nodes without a named
    foreign supplier.
    """
    order = order if order is not None else components_in_order(graph)
    out: dict[str, tuple[float, str] | None] = {}
    for n in graph:
        supplier, share = top_supplier(splits[n])
        if supplier is None or share is None:
            out[n] = None
            continue
        sigma = graph.nodes[n]["substitutability"]
        values = propagate_losses(graph, splits, {n: (1.0 - sigma) * share}, {}, "leontief", order)
        worst = max(finals, key=lambda f: (values[f][0], f == n), default=None)
        out[n] = (values[worst][0], worst) if worst is not None else (0.0, n)
    return out
