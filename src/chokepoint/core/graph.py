"""Model -> networkx DiGraph, built once and read by every algorithm.

Edges run from an input to the node that uses it (``reducers -> robot-bodies``), so that
"upstream" is "predecessor". Attribute names are defined here once and used everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Chain

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "COST_SHARE",
    "ESSENTIAL",
    "NAME",
    "SHARES",
    "STAGE",
    "SUBSTITUTABILITY",
    "build_graph",
]

# node attributes
NAME = "name"
STAGE = "stage"
SHARES = "shares"  #: Mapping[origin, share] or None when unknown
SUBSTITUTABILITY = "substitutability"
# edge attributes
COST_SHARE = "cost_share"  #: float, or None when the source gives none
ESSENTIAL = "essential"


def build_graph(chain: Chain, year: int | None = None) -> nx.DiGraph[str]:
    """Build the chain's directed graph: one node per chain node, one edge per input.

    Parameters
    ----------
    chain
        The checked chain.
    year
        Use ``history[year]`` as the shares of nodes that have it (others keep their shares).

    Returns
    -------
    networkx.DiGraph
        Node attributes :data:`NAME`, :data:`STAGE`, :data:`SHARES`, :data:`SUBSTITUTABILITY`;
        edge attributes :data:`COST_SHARE` and :data:`ESSENTIAL`. Graph attributes ``chain`` and
        ``year``. Self-inputs become self-loops.
    """
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph(chain=chain.name, year=year or chain.year)
    for node in chain.nodes:
        graph.add_node(
            node.id,
            **{
                NAME: node.name,
                STAGE: node.stage,
                SHARES: node.shares_for(year),
                SUBSTITUTABILITY: node.substitutability,
            },
        )
    for node in chain.nodes:
        for item in node.inputs:
            graph.add_edge(
                item.node, node.id, **{COST_SHARE: item.cost_share, ESSENTIAL: item.essential}
            )
    return graph
