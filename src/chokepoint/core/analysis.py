"""``analyze``: every metric for every node, choke points ranked, as typed result objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..countries import is_country, suggest_country
from ..errors import AnalysisError
from ..model import OTHER, Chain
from .chokepoints import DEFAULT_MIN_CONCENTRATION, DEFAULT_MIN_DEPENDENCE, criteria, impacts
from .graph import COST_SHARE
from .metrics import (
    OriginSplit,
    countries_to_75,
    exposure,
    hhi,
    import_hhi,
    import_hhi_max,
    top_supplier,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "ARRAY_MIN_NODES",
    "FIELDS",
    "Analysis",
    "Method",
    "NodeMetrics",
    "analyze",
    "resolve_perspective",
    "use_arrays",
]

#: How :func:`analyze` computes: ``graph`` (networkx, node by node), ``arrays`` (numpy, generation
#: by generation, :mod:`chokepoint.core.sparse`) or ``auto`` (arrays from :data:`ARRAY_MIN_NODES` nodes
#: when numpy is installed).
Method = Literal["auto", "graph", "arrays"]
#: Chains with at least this many nodes are analysed in array form by default: below it, the
#: graph form is faster than importing numpy (about 0.15 s), and the shipped chains never pay it.
ARRAY_MIN_NODES = 150

#: The keys of each node in the JSON output, in order (CSV adds ``exposure_XX`` columns).
FIELDS = (
    "id",
    "name",
    "stage",
    "dependence",
    "hhi",
    "import_hhi",
    "top_supplier",
    "top_share",
    "countries_to_75",
    "total_dependence",
    "exposure",
    "chokepoint",
    "impact",
    "reasons",
    "import_hhi_max",
    "possible_chokepoint",
)


@dataclass(frozen=True, slots=True)
class NodeMetrics:
    """Every metric of one node; direct metrics are None (n/a) for a node without shares.

    ``import_hhi`` counts named foreign origins only (the lowest concentration the figures
    allow); ``import_hhi_max`` is the highest, with the ``other`` and unattributed shares as
    concentrated as they could be. ``possible_chokepoint`` marks a node that meets the
    dependence criterion and whose concentration criterion fails at ``import_hhi`` but holds at
    ``import_hhi_max``: the figures cannot rule it out as a choke point.
    """

    id: str
    name: str
    stage: str
    dependence: float | None
    hhi: float | None
    import_hhi: float | None
    top_supplier: str | None
    top_share: float | None
    countries_to_75: int | None
    total_dependence: float
    exposure: dict[str, float]
    chokepoint: bool
    impact: float | None
    reasons: tuple[str, ...] = ()
    impact_on: str | None = None
    sources: tuple[str, ...] = ()
    estimate: bool = False
    import_hhi_max: float | None = None
    possible_chokepoint: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The node's JSON object, keys in :data:`FIELDS` order."""
        return {
            "id": self.id,
            "name": self.name,
            "stage": self.stage,
            "dependence": self.dependence,
            "hhi": self.hhi,
            "import_hhi": self.import_hhi,
            "top_supplier": self.top_supplier,
            "top_share": self.top_share,
            "countries_to_75": self.countries_to_75,
            "total_dependence": self.total_dependence,
            "exposure": dict(self.exposure),
            "chokepoint": self.chokepoint,
            "impact": self.impact,
            "reasons": list(self.reasons),
            "import_hhi_max": self.import_hhi_max,
            "possible_chokepoint": self.possible_chokepoint,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    """The result of :func:`analyze`: node metrics in stage order and the assumptions made."""

    chain: Chain
    perspective: str
    year: int
    nodes: tuple[NodeMetrics, ...]
    assumptions: tuple[str, ...] = ()
    min_dependence: float = DEFAULT_MIN_DEPENDENCE
    min_concentration: float = DEFAULT_MIN_CONCENTRATION
    finals: tuple[str, ...] = field(default=())

    def chokepoints(self) -> list[NodeMetrics]:
        """Flagged nodes ranked by impact (then dependence, then id)."""
        flagged = [n for n in self.nodes if n.chokepoint]
        return sorted(flagged, key=_by_impact)

    def possible_chokepoints(self) -> list[NodeMetrics]:
        """Nodes the figures cannot rule out as choke points, ranked like :meth:`chokepoints`."""
        return sorted([n for n in self.nodes if n.possible_chokepoint], key=_by_impact)

    def node(self, node_id: str) -> NodeMetrics:
        """The metrics of one node (``KeyError`` when absent)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint analyze --format json`` (a stable contract)."""
        return {
            "chain": self.chain.name,
            "title": self.chain.title,
            "perspective": self.perspective,
            "year": self.year,
            "nodes": [n.to_dict() for n in self.nodes],
            "assumptions": list(self.assumptions),
        }


def _by_impact(node: NodeMetrics) -> tuple[float, float, str]:
    return (-(node.impact or 0.0), -(node.dependence or 0.0), node.id)


def resolve_perspective(
    chain: Chain, perspective: str | None
) -> tuple[str, frozenset[str], list[str]]:
    """Check a perspective choice; return it, its domestic keys and the assumptions it implies.

    Raises
    ------
    AnalysisError
        For an unknown code, or another economy on a chain that describes one economy's market.
    """
    who = perspective or chain.perspective
    if who not in chain.regions and not is_country(who):
        guess = suggest_country(who, tuple(chain.regions))
        hint = f"; did you mean '{guess}'?" if guess else ""
        msg = f"unknown perspective '{who}'{hint} (an ISO 3166-1 alpha-2 code or a region of the chain)"
        raise AnalysisError(msg)
    if who != chain.perspective and not chain.is_global:
        msg = (
            f"chain '{chain.name}' gives shares of {chain.perspective}'s own market; they say nothing "
            f"about {who}'s market, so --perspective {who} is refused (only chains with "
            "`market: global` describe world shares that any economy can be measured against)"
        )
        raise AnalysisError(msg)
    keys = chain.members(who)
    assumptions: list[str] = []
    for region, members in chain.regions.items():
        if who in members and region != who:
            used = [n.id for n in chain.nodes if n.shares and region in n.shares]
            if used:
                assumptions.append(
                    f"region {region} includes {who} but is counted as foreign at {', '.join(used)}"
                )
    return who, keys, assumptions


def _criteria_reasons(
    split: OriginSplit,
    dep: float,
    con: float,
    bound: tuple[float, str | None],
    possible: bool,
    min_dependence: float,
    min_concentration: float,
) -> list[str]:
    """Say which choke-point criteria held; when only one did, say why the other did not.

    When dependence holds and concentration fails only because part of the foreign supply has
    no named origin, say how concentrated it could be (``bound``, from
    :func:`~chokepoint.core.metrics.import_hhi_max`) and whether that leaves the node a possible choke
    point (``possible``, decided by :func:`analyze`).
    """
    dep_ok, con_ok = criteria(dep, con, min_dependence, min_concentration)
    dep_text = f"dependence {dep:.0%} {'>=' if dep_ok else '<'} {min_dependence:.0%}"
    con_text = (
        f"import concentration (HHI) {con:.2f} {'>=' if con_ok else '<'} {min_concentration:.2f}"
    )
    if dep_ok and con_ok:
        return [f"{dep_text} and {con_text}"]
    if not dep_ok and not con_ok:
        return []
    text = f"{dep_text if dep_ok else con_text} but {con_text if dep_ok else dep_text}"
    unnamed = split.other + split.unattributed
    high, via = bound
    if dep_ok and unnamed > 0.005 and via is not None:
        parts = [
            f"{value:.0%} {label}"
            for value, label in ((split.other, "`other`"), (split.unattributed, "unattributed"))
            if value > 0.0005
        ]
        if via == OTHER:
            where = "it all came from one economy"
        elif split.other > 0.0005:
            where = f"the unattributed part came from {via} and `other` from one economy"
        else:
            where = f"it all came from {via}"
        text += (
            f" counting named origins only; {unnamed:.0%} of supply has no named origin "
            f"({', '.join(parts)}): "
        )
        if possible:
            text += (
                f"if {where}, the HHI would be {high:.2f}, so the figures cannot rule "
                "this node out as a choke point (origin shares for that part would settle it)"
            )
        else:
            text += f"even if {where}, the HHI would be {high:.2f} < {min_concentration:.2f}"
    return [text]


def analyze(
    chain: Chain,
    *,
    perspective: str | None = None,
    year: int | None = None,
    strict: bool = False,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
    method: Method = "auto",
) -> Analysis:
    """Compute dependence, concentration, exposure and choke points for every node.

    Parameters
    ----------
    chain
        The chain to analyse.
    perspective
        The economy whose dependence is measured (default: the chain's). Another economy is
        allowed only when the chain describes world market shares (``market: global``).
    year
        Use ``history`` shares of that year where nodes have them.
    strict
        Refuse nodes without shares instead of counting them as domestic.
    min_dependence, min_concentration
        Choke-point thresholds (defaults 0.5 and 0.4, after EU SWD(2021) 352).
    method
        ``graph``: networkx, one scenario per node for the impacts (quadratic); ``arrays``:
        numpy, one backward pass for every impact (linear in the links; see
        :mod:`chokepoint.core.sparse`); ``auto`` (default): arrays from :data:`ARRAY_MIN_NODES`
        nodes when numpy is installed. Both give the same figures (to a few ulps for impacts).

    Returns
    -------
    Analysis

    Raises
    ------
    AnalysisError
        Bad perspective or year, a singular exposure system, or unknown shares under ``strict``.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = analyze(load_chain("robots"))
    >>> result.node("reducers").top_supplier
    'JP'
    """
    for value, name in (
        (min_dependence, "min-dependence"),
        (min_concentration, "min-concentration"),
    ):
        if not 0 <= value <= 1:
            msg = f"--{name} {value} is outside [0, 1]"
            raise AnalysisError(msg)
    if method not in ("auto", "graph", "arrays"):
        msg = f"unknown method '{method}'; choose auto, graph or arrays"
        raise AnalysisError(msg)
    if use_arrays(chain, method):
        import gc

        if gc.isenabled():  # a large network: millions of objects, none of them garbage
            from .._gc import paused

            with paused():
                return analyze(
                    chain,
                    perspective=perspective,
                    year=year,
                    strict=strict,
                    min_dependence=min_dependence,
                    min_concentration=min_concentration,
                    method="arrays",
                )
        from .sparse import Network

        network = Network.build(chain, perspective, year)
        splits: Mapping[str, OriginSplit] = dict(zip(network.nodes, network.splits, strict=True))
        who, used_year = network.perspective, network.year
        assumptions = list(network.assumptions)
        _refuse_unknown(splits, strict)
        no_cost = sorted(
            f"{item.node}->{node.id}"
            for node in chain.nodes
            for item in node.inputs
            if item.cost_share is None
        )
        exposures, total = network.exposure_dicts()
        finals = [network.nodes[f] for f in network.finals.tolist()]
        impact = network.impacts()
        hhis, import_hhis, tops, top_shares, c75s = network.direct_metrics()
        direct: dict[str, Any] | None = {
            n: (hhis[k], import_hhis[k], tops[k], top_shares[k], c75s[k])
            for k, n in enumerate(network.nodes)
        }
    else:
        direct = None
        from .scenarios import prepare

        prepared = prepare(chain, perspective, year)
        graph, splits, who = prepared.graph, prepared.splits, prepared.perspective
        used_year = graph.graph["year"]
        assumptions = list(prepared.assumptions)
        _refuse_unknown(splits, strict)
        no_cost = sorted(
            f"{i}->{n}" for i, n, data in graph.edges(data=True) if data[COST_SHARE] is None
        )
        exposures, total = exposure(graph, prepared.domestic_keys)
        finals = prepared.finals
        impact = impacts(graph, splits, finals, prepared.order)
    if no_cost:
        assumptions.append(
            f"inputs without a cost share weigh 0 in exposure and total dependence: {', '.join(no_cost)}"
        )
    names = {n.id: n.name for n in chain.nodes}
    stage_rank = {s: k for k, s in enumerate(chain.stages)}
    results = []
    for node in sorted(chain.nodes, key=lambda n: stage_rank[n.stage]):
        split = splits[node.id]
        dep: float | None
        con: float | None
        h: float | None
        if split.known and direct is not None:  # the array form computed them all at once
            dep = split.dependence
            h, con, top, share, c75 = direct[node.id]
        elif split.known:
            dep = split.dependence
            con = import_hhi(split)
            h = hhi(split)
            top, share = top_supplier(split)
            c75 = countries_to_75(split)
        else:
            dep = con = h = share = None
            top, c75 = None, None
        dep_ok, con_ok = criteria(dep, con, min_dependence, min_concentration)
        flagged = dep_ok and con_ok
        hit = impact[node.id]
        reasons: list[str] = []
        high: float | None = None
        possible = False
        if dep is not None and con is not None:
            bound = import_hhi_max(split, low=con, top=(top, share))
            high = bound[0]
            possible = (
                dep_ok and not con_ok and criteria(dep, high, min_dependence, min_concentration)[1]
            )
            reasons.extend(
                _criteria_reasons(
                    split, dep, con, bound, possible, min_dependence, min_concentration
                )
            )
        if hit is not None and top is not None and share is not None:
            value, final = hit
            reasons.append(
                f"{top} supplies {share:.0%} of {node.name}; if {top} stops supplying it, "
                f"{who}'s {names[final]} output falls by {value:.0%}"
            )
        results.append(
            NodeMetrics(
                id=node.id,
                name=node.name,
                stage=node.stage,
                dependence=dep,
                hhi=h,
                import_hhi=con,
                top_supplier=top,
                top_share=share,
                countries_to_75=c75,
                total_dependence=total[node.id],
                exposure=exposures[node.id],
                chokepoint=flagged,
                impact=hit[0] if hit else None,
                reasons=tuple(reasons),
                impact_on=hit[1] if hit else None,
                sources=node.source,
                estimate=node.estimate,
                import_hhi_max=high,
                possible_chokepoint=possible,
            )
        )
    return Analysis(
        chain=chain,
        perspective=who,
        year=used_year,
        nodes=tuple(results),
        assumptions=tuple(assumptions),
        min_dependence=min_dependence,
        min_concentration=min_concentration,
        finals=tuple(finals),
    )


def use_arrays(chain: Chain, method: Method = "auto") -> bool:
    """Whether :func:`analyze` (and scenarios) use the array form for ``chain``.

    ``auto`` picks it from :data:`ARRAY_MIN_NODES` nodes when numpy can be imported.
    """
    if method != "auto":
        return method == "arrays"
    if len(chain.nodes) < ARRAY_MIN_NODES:
        return False
    from importlib.util import find_spec

    return find_spec("numpy") is not None


def _refuse_unknown(splits: Mapping[str, OriginSplit], strict: bool) -> None:
    unknown = [n for n, s in splits.items() if not s.known]
    if unknown and strict:
        msg = (
            f"--strict: no shares known for {', '.join(unknown)}; add shares (with a source) or "
            "drop --strict to count them as domestic"
        )
        raise AnalysisError(msg)
