r"""Disruption scenarios: origin cuts and capacity shocks propagated through the chain.

One implementation serves ``chokepoint scenario``, ``sweep``, ``montecarlo`` and the choke-point
``impact`` of ``analyze``. For perspective :math:`P`, node :math:`n`, cuts :math:`\kappa(c, n)`,
capacity shocks :math:`h_n` and substitutability :math:`\sigma_n`:

.. math::

    m_n = \sum_{c\ \mathrm{foreign}} s_n(c)\,\kappa(c, n)

    d_n = \max\bigl(h_n, \max_{i\ \mathrm{essential}} q_i\bigr) \quad \text{(leontief)}, \qquad
    d_n = \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr) \quad \text{(linear)}

    q_n = \min\bigl(1, (1 - \sigma_n)\, m_n + s_n(P)\, d_n\bigr)

solved to the least fixed point (one pass in topological order on a DAG, iteration on cycles).
See ``docs/methodology.md``.

References
----------
.. [1] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
.. [2] Haimes, Y. Y. and Jiang, P. (2001), "Leontief-based model of risk in complex interconnected
       infrastructures", *Journal of Infrastructure Systems* 7(1), 1-12.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ScenarioError
from ..io.forms import parse_cut
from ..model import OTHER, Chain, Cut, ScenarioSpec, Shock
from .graph import COST_SHARE, ESSENTIAL, SHARES, SUBSTITUTABILITY, final_products
from .metrics import OriginSplit, components_in_order, split_shares

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "MODELS",
    "LossModel",
    "NodeLoss",
    "Scenario",
    "ScenarioResult",
    "import_losses",
    "propagate_losses",
    "SweepResult",
    "SweepRow",
    "prepare",
    "run_scenario",
    "sweep_cuts",
]

LossModel = Literal["leontief", "linear"]
MODELS: tuple[LossModel, ...] = ("leontief", "linear")
#: Iterations allowed on a cycle before the fixed point is declared not reached.
MAX_ITERATIONS = 10_000
TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class Scenario:
    """A set of shocks: origin cuts, capacity shocks and substitutability overrides."""

    cuts: tuple[Cut, ...] = ()
    shocks: tuple[Shock, ...] = ()
    substitution: Mapping[str, float] = field(default_factory=dict)
    name: str | None = None
    title: str | None = None

    @classmethod
    def from_spec(cls, spec: ScenarioSpec) -> Scenario:
        """The scenario a chain file's ``scenarios:`` entry describes."""
        return cls(spec.cuts, spec.shocks, dict(spec.substitution), spec.name, spec.title)

    def plus(self, other: Scenario) -> Scenario:
        """This scenario with ``other``'s shocks added (``other`` wins substitution overrides)."""
        return Scenario(
            self.cuts + other.cuts,
            self.shocks + other.shocks,
            {**self.substitution, **other.substitution},
            self.name or other.name,
            self.title or other.title,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "name": self.name,
            "title": self.title,
            "cuts": [
                {"origin": c.origin, "nodes": list(c.nodes) or None, "severity": c.severity}
                for c in self.cuts
            ],
            "shocks": [{"node": s.node, "severity": s.severity} for s in self.shocks],
            "substitution": dict(self.substitution),
        }


@dataclass(frozen=True, slots=True)
class NodeLoss:
    """A node's output loss split into its import and domestic parts."""

    id: str
    stage: str
    loss: float
    import_loss: float
    domestic_loss: float


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """Losses of every node under a scenario; ``final`` lists the final products' losses."""

    chain: str
    perspective: str
    model: LossModel
    scenario: Scenario
    nodes: tuple[NodeLoss, ...]
    final: tuple[tuple[str, float], ...]
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint scenario --format json``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "scenario": self.scenario.to_dict(),
            "nodes": [
                {
                    "id": n.id,
                    "stage": n.stage,
                    "loss": n.loss,
                    "import_loss": n.import_loss,
                    "domestic_loss": n.domestic_loss,
                }
                for n in self.nodes
            ],
            "final": [{"id": node, "loss": loss} for node, loss in self.final],
            "assumptions": list(self.assumptions),
        }


# ------------------------------------------------------------------------------------------
# The model


def _origin_matches(cut_origin: str, key: str, regions: Mapping[str, tuple[str, ...]]) -> bool:
    return key == cut_origin or key in regions.get(cut_origin, ())


def check_scenario(
    scenario: Scenario,
    chain: Chain,
    splits: Mapping[str, OriginSplit],
    domestic_keys: Collection[str],
) -> None:
    """Refuse cuts of unknown or domestic origins, unknown nodes and out-of-range severities.

    Raises
    ------
    ScenarioError
        Naming the valid choices.
    """
    node_ids = [n.id for n in chain.nodes]
    origins = sorted({c for s in splits.values() for c in s.foreign})
    regions_used = sorted(r for r, members in chain.regions.items() if set(members) & set(origins))
    for cut in scenario.cuts:
        if cut.origin in domestic_keys:
            msg = (
                f"--cut {cut.origin}: {cut.origin} is the perspective's own supply; use "
                "--shock NODE=SEVERITY for a loss of domestic capacity"
            )
            raise ScenarioError(msg)
        if not any(_origin_matches(cut.origin, c, chain.regions) for c in origins):
            valid = ", ".join([*origins, *regions_used]) or "none"
            msg = f"--cut {cut.origin}: not a foreign origin of chain '{chain.name}' (origins: {valid})"
            raise ScenarioError(msg)
        for node in cut.nodes:
            if node not in splits:
                msg = f"--cut {cut.origin}:{node}: unknown node '{node}' (nodes: {', '.join(node_ids)})"
                raise ScenarioError(msg)
            here = [
                c for c in splits[node].foreign if _origin_matches(cut.origin, c, chain.regions)
            ]
            if not here:
                there = ", ".join(sorted(splits[node].foreign)) or "none named"
                msg = (
                    f"--cut {cut.origin}:{node}: {cut.origin} has no share in {node} "
                    f"(its foreign origins: {there})"
                )
                raise ScenarioError(msg)
        _check_unit(cut.severity, f"cut {cut.origin}")
    for shock in scenario.shocks:
        if shock.node not in splits:
            msg = f"--shock {shock.node}: unknown node (nodes: {', '.join(node_ids)})"
            raise ScenarioError(msg)
        _check_unit(shock.severity, f"shock {shock.node}")
    for node, sigma in scenario.substitution.items():
        if node not in splits:
            msg = f"--substitution {node}: unknown node (nodes: {', '.join(node_ids)})"
            raise ScenarioError(msg)
        _check_unit(sigma, f"substitution {node}")


def _check_unit(value: float, what: str) -> None:
    if not 0 <= value <= 1:
        msg = f"{what}: {value} is outside [0, 1]"
        raise ScenarioError(msg)


def import_losses(
    graph: nx.DiGraph[str],
    splits: Mapping[str, OriginSplit],
    cuts: Iterable[Cut],
    substitution: Mapping[str, float],
    regions: Mapping[str, tuple[str, ...]],
) -> dict[str, float]:
    r"""Import loss net of substitution, :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)`.

    When several cuts name the same origin and node, the largest applies. A cut of a region
    reaches the region's key and its members' keys.
    """
    kappa: dict[tuple[str, str], float] = {}
    all_nodes = list(graph)
    for cut in cuts:
        for n in cut.nodes or all_nodes:
            for c in splits[n].foreign:
                if _origin_matches(cut.origin, c, regions):
                    kappa[c, n] = max(kappa.get((c, n), 0.0), cut.severity)
    losses: dict[str, float] = {}
    for (c, n), severity in kappa.items():
        losses[n] = losses.get(n, 0.0) + splits[n].foreign[c] * severity
    return {
        n: (1.0 - substitution.get(n, graph.nodes[n][SUBSTITUTABILITY])) * m
        for n, m in losses.items()
    }


def propagate_losses(
    graph: nx.DiGraph[str],
    splits: Mapping[str, OriginSplit],
    import_loss: Mapping[str, float],
    shocks: Mapping[str, float],
    model: LossModel = "leontief",
    order: list[list[str]] | None = None,
) -> dict[str, tuple[float, float, float]]:
    r"""Propagate losses to the least fixed point; return ``{node: (loss, import, domestic)}``.

    ``import_loss[n]`` is :math:`(1-\sigma_n) m_n` and ``shocks[n]`` is :math:`h_n`. Components
    are visited inputs-first; a cyclic component is iterated from zero loss until no value moves
    by more than 1e-12.

    Raises
    ------
    ScenarioError
        When a cycle does not converge within :data:`MAX_ITERATIONS`.
    """
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    leontief = model == "leontief"
    result: dict[str, tuple[float, float, float]] = {}
    loss: dict[str, float] = {}

    def evaluate(n: str) -> tuple[float, float, float]:
        h = shocks.get(n, 0.0)
        if leontief:
            d = h
            for i in graph.predecessors(n):
                if graph.edges[i, n][ESSENTIAL]:
                    qi = loss.get(i, 0.0)
                    if qi > d:
                        d = qi
        else:
            d = h
            for i in graph.predecessors(n):
                w = graph.edges[i, n][COST_SHARE]
                if w:
                    d += w * loss.get(i, 0.0)
            d = min(1.0, d)
        domestic = splits[n].domestic * d
        imported = import_loss.get(n, 0.0)
        return min(1.0, imported + domestic), imported, domestic

    for component in order if order is not None else components_in_order(graph):
        if len(component) == 1 and not graph.has_edge(component[0], component[0]):
            n = component[0]
            result[n] = evaluate(n)
            loss[n] = result[n][0]
            continue
        for _ in range(MAX_ITERATIONS):
            change = 0.0
            for n in component:
                value = evaluate(n)
                change = max(change, abs(value[0] - loss.get(n, 0.0)))
                result[n] = value
                loss[n] = value[0]
            if change <= TOLERANCE:
                break
        else:
            msg = (
                f"the losses on the cycle {', '.join(component)} did not converge in "
                f"{MAX_ITERATIONS:,} iterations; lower a cost share on the cycle or use --model leontief"
            )
            raise ScenarioError(msg)
    return result


@dataclass(frozen=True, slots=True)
class Prepared:
    """What every scenario on one chain, perspective and year shares: graph, splits, order."""

    chain: Chain
    perspective: str
    domestic_keys: frozenset[str]
    graph: nx.DiGraph[str]
    splits: Mapping[str, OriginSplit]
    order: list[list[str]]
    finals: list[str]
    assumptions: tuple[str, ...]

    def run(self, scenario: Scenario, model: LossModel) -> dict[str, tuple[float, float, float]]:
        """Check and propagate one scenario; return ``{node: (loss, import, domestic)}``."""
        check_scenario(scenario, self.chain, self.splits, self.domestic_keys)
        imported = import_losses(
            self.graph, self.splits, scenario.cuts, scenario.substitution, self.chain.regions
        )
        shocks: dict[str, float] = {}
        for shock in scenario.shocks:
            shocks[shock.node] = max(shocks.get(shock.node, 0.0), shock.severity)
        return propagate_losses(self.graph, self.splits, imported, shocks, model, self.order)


def resolve(
    chain: Chain, perspective: str | None, year: int | None
) -> tuple[str, frozenset[str], int, list[str]]:
    """Check perspective and year; return the perspective, its domestic keys, the year used and
    the assumptions they imply (shared by the graph and the array forms of a chain)."""
    from .analysis import resolve_perspective
    from .graph import shares_year

    who, domestic_keys, assumptions = resolve_perspective(chain, perspective)
    used_year, missing = shares_year(chain, year)
    if missing:
        assumptions.append(
            f"{len(missing)} node(s) have no figures for {used_year}; their {chain.year} shares "
            f"were used: {', '.join(missing)}"
        )
    return who, domestic_keys, used_year, assumptions


def unknown_shares_assumption(unknown: list[str]) -> str:
    """The assumption stated for nodes without shares."""
    return (
        f"no shares known for {', '.join(unknown)}: direct metrics n/a; counted as domestic "
        "(s_P = 1) when propagating"
    )


def prepare(chain: Chain, perspective: str | None = None, year: int | None = None) -> Prepared:
    """Resolve perspective and year, build the graph and split every node's shares once."""
    from .graph import build_graph

    who, domestic_keys, used_year, assumptions = resolve(chain, perspective, year)
    graph = build_graph(chain, used_year)
    splits = {n: split_shares(graph.nodes[n][SHARES], domestic_keys) for n in graph}
    unknown = [n for n, s in splits.items() if not s.known]
    if unknown:
        assumptions.append(unknown_shares_assumption(unknown))
    return Prepared(
        chain,
        who,
        domestic_keys,
        graph,
        splits,
        components_in_order(graph),
        final_products(graph),
        tuple(assumptions),
    )


def run_scenario(
    chain: Chain,
    scenario: Scenario | str,
    *,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    method: Literal["auto", "graph", "arrays"] = "auto",
) -> ScenarioResult:
    """Run a scenario (or a named scenario of the chain) and return every node's loss.

    Parameters
    ----------
    chain
        The chain.
    scenario
        A :class:`Scenario`, or the name of one in the chain's ``scenarios:``.
    perspective
        The economy hit (default: the chain's); other economies only for ``market: global``.
    model
        ``leontief`` (fixed proportions, default) or ``linear`` (inoperability input-output).
    year
        Use ``history`` shares of that year where nodes have them.
    method
        ``graph`` (networkx), ``arrays`` (numpy, :mod:`chokepoint.core.sparse`) or ``auto``
        (arrays for large chains, as :func:`chokepoint.analyze`); the same losses.

    Raises
    ------
    ScenarioError
        For unknown origins, nodes or scenario names, or severities outside [0, 1].
    """
    if isinstance(scenario, str):
        if scenario not in chain.scenarios:
            names = ", ".join(chain.scenarios) or "none defined"
            msg = f"unknown scenario '{scenario}' in chain '{chain.name}' (scenarios: {names})"
            raise ScenarioError(msg)
        scenario = Scenario.from_spec(chain.scenarios[scenario])
    from .analysis import use_arrays

    if use_arrays(chain, method):  # a large network: the array form, the same losses
        from .sparse import Network

        network = Network.build(chain, perspective, year)
        splits: Mapping[str, OriginSplit] = dict(zip(network.nodes, network.splits, strict=True))
        check_scenario(scenario, chain, splits, network.domestic_keys)
        values = network.run(scenario.cuts, _shock_map(scenario), scenario.substitution, model)
        finals = [network.nodes[f] for f in network.finals.tolist()]
        who, assumptions = network.perspective, list(network.assumptions)
    else:
        prepared = prepare(chain, perspective, year)
        values = prepared.run(scenario, model)
        splits, finals = prepared.splits, prepared.finals
        who, assumptions = prepared.perspective, list(prepared.assumptions)
    stages = {s: k for k, s in enumerate(chain.stages)}
    nodes = tuple(
        NodeLoss(n.id, n.stage, *values[n.id])
        for n in sorted(chain.nodes, key=lambda n: stages[n.stage])
    )
    final = tuple((n, values[n][0]) for n in finals)
    others = [n for n, s in splits.items() if s.other > 0]
    if scenario.cuts and others:
        assumptions.append(
            f"`{OTHER}` shares (unnamed foreign origins) are never cut: {', '.join(others)}"
        )
    return ScenarioResult(chain.name, who, model, scenario, nodes, final, tuple(assumptions))


def _shock_map(scenario: Scenario) -> dict[str, float]:
    """Capacity shocks by node; the largest applies when a node is named twice."""
    shocks: dict[str, float] = {}
    for shock in scenario.shocks:
        shocks[shock.node] = max(shocks.get(shock.node, 0.0), shock.severity)
    return shocks


# ------------------------------------------------------------------------------------------
# Sweeps


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One scenario of a sweep: a cut of ``origin`` (of ``node``, or every node when None)."""

    severity: float
    origin: str
    node: str | None
    final: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Final-product losses for each scenario of a sweep."""

    chain: str
    perspective: str
    model: LossModel
    rows: tuple[SweepRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint sweep --format json``."""
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "rows": [
                {
                    "severity": r.severity,
                    "origin": r.origin,
                    "node": r.node,
                    "final": [{"id": n, "loss": q} for n, q in r.final],
                }
                for r in self.rows
            ],
        }


def sweep_cuts(
    chain: Chain,
    *,
    cut: str | None = None,
    over: Literal["origins", "nodes"] | str | None = None,
    severities: tuple[float, ...] = (1.0,),
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    method: Literal["auto", "graph", "arrays"] = "auto",
) -> SweepResult:
    """Run one cut at several severities, or each origin / each node's top supplier in turn.

    Parameters
    ----------
    cut
        ``ORIGIN`` or ``ORIGIN:NODE[,NODE]`` cut at every severity.
    over
        ``origins``: each foreign origin cut at every node; ``nodes``: each node's top foreign
        supplier cut at that node.
    method
        As for :func:`run_scenario`. With ``graph``, a sweep of :data:`SWEEP_BATCH_MIN`
        scenarios or more runs as one batch (:mod:`chokepoint.core.batch`, numpy) when numpy is
        installed: the same losses, about a hundred times faster than one scenario at a time.
    """
    from .analysis import use_arrays
    from .metrics import top_supplier

    network: Any = None
    prepared: Prepared | None = None
    if use_arrays(chain, method):
        from .sparse import Network

        network = Network.build(chain, perspective, year)
        splits: Mapping[str, OriginSplit] = dict(zip(network.nodes, network.splits, strict=True))
        who, domestic_keys = network.perspective, network.domestic_keys
        finals = [network.nodes[f] for f in network.finals.tolist()]
    else:
        prepared = prepare(chain, perspective, year)
        splits, who, domestic_keys = prepared.splits, prepared.perspective, prepared.domestic_keys
        finals = prepared.finals
    plans: list[tuple[str, tuple[str, ...]]] = []
    if cut is not None:
        parsed = parse_cut(f"{cut}=1") if "=" not in cut else parse_cut(cut)
        plans.append((parsed.origin, parsed.nodes))
    elif over == "origins":
        origins = sorted({c for s in splits.values() for c in s.foreign})
        plans.extend((c, ()) for c in origins)
    elif over == "nodes":
        for n in chain.nodes:
            supplier, _ = top_supplier(splits[n.id])
            if supplier is not None:
                plans.append((supplier, (n.id,)))
    else:
        msg = "give a cut (ORIGIN[:NODE]) or over='origins' or over='nodes'"
        raise ScenarioError(msg)
    count = len(plans) * len(severities)
    if prepared is not None and (count < SWEEP_BATCH_MIN or not _has_numpy()):
        rows = []
        for origin, nodes in plans:
            for severity in severities:
                values = prepared.run(Scenario(cuts=(Cut(origin, severity, nodes),)), model)
                final = tuple((f, values[f][0]) for f in prepared.finals)
                node = ",".join(nodes) if nodes else None
                rows.append(SweepRow(severity, origin, node, final))
        return SweepResult(chain.name, prepared.perspective, model, tuple(rows))
    # Many scenarios, or a large network: one batch, checked as the loop above checks each row
    # (the origins and nodes of --over come from the chain itself and need no check).
    if plans and severities:
        origin, nodes = plans[0]
        if cut is not None:
            check_scenario(
                Scenario(cuts=(Cut(origin, severities[0], nodes),)), chain, splits, domestic_keys
            )
        for severity in severities:
            _check_unit(severity, f"cut {origin}")
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    columns: list[list[float]] = []  # per final product, its loss in every scenario
    if network is not None:
        columns = _sweep_arrays(network, plans, severities, model)
    elif prepared is not None and count:
        from .batch import Plan, family_matrix, propagate_batch

        plan = Plan.build(prepared)
        losses = propagate_batch(plan, family_matrix(plan, plans, severities), None, model)
        columns = losses[[plan.index[f] for f in finals]].tolist()
    per_scenario = list(zip(*columns, strict=True)) if columns else [()] * count
    rows = []
    k = 0
    for origin, nodes in plans:
        node = ",".join(nodes) if nodes else None
        for severity in severities:
            rows.append(
                SweepRow(severity, origin, node, tuple(zip(finals, per_scenario[k], strict=True)))
            )
            k += 1
    return SweepResult(chain.name, who, model, tuple(rows))


#: Sweeps of at least this many scenarios run as one batch (numpy, :mod:`chokepoint.core.batch`),
#: which gives the same losses to the last bit; smaller ones run one scenario at a time and
#: never import numpy.
SWEEP_BATCH_MIN = 64


def _has_numpy() -> bool:
    from importlib.util import find_spec

    return find_spec("numpy") is not None


def _sweep_arrays(
    network: Any,
    plans: list[tuple[str, tuple[str, ...]]],
    severities: tuple[float, ...],
    model: LossModel,
) -> list[list[float]]:
    """Final-product losses of every sweep scenario on a large network, a block of columns at a
    time (:meth:`chokepoint.core.sparse.Network.propagate`)."""
    import numpy as np

    scenarios = [(origin, nodes, s) for origin, nodes in plans for s in severities]
    size = len(network.nodes)
    block = max(1, min(256, (1 << 22) // max(size, 1)))
    out: list[list[float]] = [[] for _ in range(network.finals.size)]
    for start in range(0, len(scenarios), block):
        part = scenarios[start : start + block]
        imports = np.empty((size, len(part)), dtype=np.float64)
        for j, (origin, nodes, severity) in enumerate(part):
            imports[:, j] = network.import_losses([Cut(origin, severity, nodes)])
        losses, _ = network.propagate(imports, None, model)
        for k, values in enumerate(losses[network.finals].tolist()):
            out[k].extend(values)
    return out
