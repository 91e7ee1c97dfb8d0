r"""Disruption scenarios: what a scenario is, running one, and sweeps of many.

A scenario is a set of origin cuts, capacity shocks and substitutability overrides; the loss model
that propagates it is :mod:`chokepoint.core.propagate` (one implementation, vectorised over a batch:
a scenario is a batch of one, a sweep a batch of many). See ``docs/methodology.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..countries import is_standard_region, suggest_country
from ..errors import ScenarioError
from ..io.forms import parse_cut, parse_severities, parse_shock, parse_substitution
from ..io.limits import Limit
from ..model import OTHER, Chain, Cut, ScenarioSpec, Shock
from .compiled import BoolArray, Compiled, FloatArray, IntArray, compile_chain, standard_note
from .metrics import direct_metrics, rests_on_unknown
from .propagate import MODELS, LossModel, check_model, cut_matrix, import_losses, propagate

__all__ = [
    "MAX_SWEEP_ROWS",
    "MODELS",
    "SWEEP_ROWS",
    "LossModel",
    "RANK_TOLERANCE",
    "NodeLoss",
    "Scenario",
    "ScenarioResult",
    "SweepResult",
    "SweepRow",
    "check_scenario",
    "cut_notes",
    "hit_reason",
    "rank_sweep_rows",
    "require_scenario",
    "resolve_scenario",
    "run_scenario",
    "run_scenarios",
    "scenario_result",
    "sweep",
    "uncosted_hits",
    "unknown_mask",
]

#: The most rows (scenarios) one sweep runs unless raised: each row is one propagation of the
#: whole chain. ``sweep(max_rows=N)`` or ``CHOKEPOINT_MAX_SWEEP_ROWS=N`` raise it.
MAX_SWEEP_ROWS = 10_000
#: The sweep ceiling with the environment variable that raises it.
SWEEP_ROWS = Limit("CHOKEPOINT_MAX_SWEEP_ROWS", MAX_SWEEP_ROWS, "rows")
#: How to raise the sweep ceiling, named in refusals.
_RAISE_ROWS = "raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N"


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
    """A node's output loss split into its import and domestic parts.

    ``loss`` and ``domestic_loss`` are None when they rest on a figure the chain does not give
    (with the ``linear`` model, an input without a cost share that the scenario hits);
    ``unknown`` then says which.
    """

    id: str
    stage: str
    loss: float | None
    import_loss: float
    domestic_loss: float | None
    unknown: str | None = None


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """Losses of every node under a scenario; ``final`` lists the final products' losses."""

    chain: str
    perspective: str
    model: LossModel
    scenario: Scenario
    nodes: tuple[NodeLoss, ...]
    final: tuple[tuple[str, float | None], ...]
    assumptions: tuple[str, ...] = ()
    year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint scenario --format json``."""
        unknown = {n.id: n.unknown for n in self.nodes if n.unknown}
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
                    "unknown": n.unknown,
                }
                for n in self.nodes
            ],
            "final": [
                {"id": node, "loss": loss, "unknown": unknown.get(node)}
                for node, loss in self.final
            ],
            "assumptions": list(self.assumptions),
        }


# ------------------------------------------------------------------------------------------
# Checking and running


def _origin_matches(cut_origin: str, key: str, c: Compiled) -> bool:
    return key in c.members(cut_origin)


def _node_hint(c: Compiled, node: str) -> str:
    """``; did you mean 'x'?`` for a mistyped node, else the list of nodes."""
    from ..io.check import Suggester

    found = Suggester(c.nodes)(node[:200])
    if found:
        return f"; did you mean '{found}'?"
    shown = ", ".join(c.nodes[:20])
    return f" (nodes: {shown}" + (f", ... ({len(c.nodes):,} nodes))" if len(c.nodes) > 20 else ")")


def _holders(c: Compiled, keys: frozenset[str], foreign: Iterable[str]) -> list[str]:
    """The share-key regions among ``foreign`` that hold one of ``keys`` without being reached
    by them: a cut of ``keys`` cannot reach the part of its members inside them."""
    regions = c.chain.regions
    return sorted(
        r for r in set(foreign) if r in regions and r not in keys and set(regions[r]) & keys
    )


def _inside(c: Compiled, origin: str, keys: frozenset[str], holders: list[str]) -> str:
    """Why a cut of ``origin`` misses the regions ``holders``: which of its keys lie inside them.

    >>> from chokepoint import load_chain
    >>> from chokepoint.core.compiled import compile_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> _inside(c, "EU27", c.members("EU27"), ["EUROPE"])
    'DE and SK, members of EU27, lie inside EUROPE (DE, CH, SK)'
    """
    regions = c.chain.regions
    parts = []
    for region in holders:
        hit = sorted(set(regions[region]) & keys)
        members = f"{', '.join(hit[:-1])} and {hit[-1]}" if len(hit) > 1 else hit[0]
        who = (
            origin
            if hit == [origin]
            else f"{members}, member{'s' if len(hit) > 1 else ''} of {origin},"
        )
        verb = "lie" if len(hit) > 1 else "lies"
        parts.append(f"{who} {verb} inside {region} ({', '.join(regions[region])})")
    return "; ".join(parts)


def check_scenario(scenario: Scenario, c: Compiled) -> None:
    """Refuse cuts of unknown or domestic origins, unknown nodes and out-of-range severities.

    A cut that reaches no share key because its origin (or its members) lies inside a region
    that the chain gives as one origin (``--cut DE=1`` where the shares say ``EUROPE``) is
    refused with that explanation: the chain does not give the part of the members.

    Raises
    ------
    ScenarioError
        Naming the valid choices, or the likely meant one.
    RegionsUnavailableError
        For a cut of a standard region when country_converter is not installed.
    """
    chain = c.chain
    origins = c.origins()
    regions_used = sorted(r for r, members in chain.regions.items() if set(members) & set(origins))
    for cut in scenario.cuts:
        if cut.origin in c.domestic_keys:
            msg = (
                f"cut {cut.origin}: {cut.origin} is the perspective's own supply; use a capacity "
                "shock (NODE=SEVERITY) for a loss of domestic capacity"
            )
            raise ScenarioError(msg)
        keys = c.members(cut.origin)
        if not keys & set(origins):
            holders = _holders(c, keys, origins)
            if holders:
                at = f":{','.join(cut.nodes)}" if cut.nodes else ""
                instead = " or ".join(f"{h}{at}" for h in holders)
                msg = (
                    f"cut {cut.origin}{at}: {_inside(c, cut.origin, keys, holders)}, which "
                    f"chain '{chain.name}' gives as one origin whose split is not given, so the "
                    f"cut cannot be measured; cut {instead} instead, or give the members' "
                    "shares in the chain"
                )
                raise ScenarioError(msg)
            valid = [*origins, *regions_used]
            guess = suggest_country(cut.origin[:100], tuple(valid))
            hint = f"; did you mean '{guess}'?" if guess in valid else ""
            msg = (
                f"cut {cut.origin}: not a foreign origin of chain '{chain.name}' "
                f"(origins: {', '.join(valid) or 'none'}){hint}"
            )
            raise ScenarioError(msg)
        for node in cut.nodes:
            if node not in c.index:
                msg = f"cut {cut.origin}:{node}: unknown node '{node}'{_node_hint(c, node)}"
                raise ScenarioError(msg)
            foreign = c.splits[c.index[node]].foreign
            if not any(_origin_matches(cut.origin, code, c) for code in foreign):
                holders = _holders(c, keys, foreign)
                if holders:
                    msg = (
                        f"cut {cut.origin}:{node}: {_inside(c, cut.origin, keys, holders)}, "
                        f"which {node}'s shares give as one origin whose split is not given; "
                        f"cut {holders[0]}:{node} instead"
                    )
                    raise ScenarioError(msg)
                there = ", ".join(sorted(foreign)) or "none named"
                msg = (
                    f"cut {cut.origin}:{node}: {cut.origin} has no share in {node} "
                    f"(its foreign origins: {there})"
                )
                raise ScenarioError(msg)
        _check_unit(cut.severity, f"cut {cut.origin}")
    for shock in scenario.shocks:
        if shock.node not in c.index:
            msg = f"shock {shock.node}: unknown node{_node_hint(c, shock.node)}"
            raise ScenarioError(msg)
        _check_unit(shock.severity, f"shock {shock.node}")
    for node, sigma in scenario.substitution.items():
        if node not in c.index:
            msg = f"substitution {node}: unknown node{_node_hint(c, node)}"
            raise ScenarioError(msg)
        _check_unit(sigma, f"substitution {node}")


def cut_notes(scenario: Scenario, c: Compiled) -> list[str]:
    """What the cuts of a checked scenario do not reach, for the result's assumptions.

    A cut of a region (or a country) whose members lie partly inside another region that the
    chain gives as one origin reaches the named keys only; the perspective's own members are
    never cut (a capacity shock is that).
    """
    notes: list[str] = []
    named = sorted({cut.origin for cut in scenario.cuts} - set(c.chain.regions) - {c.perspective})
    notes.extend(standard_note(o) for o in named if is_standard_region(o))
    for cut in scenario.cuts:
        keys = c.members(cut.origin)
        foreign = (
            {k for n in cut.nodes for k in c.splits[c.index[n]].foreign}
            if cut.nodes
            else set(c.pair_origin)
        )
        holders = _holders(c, keys, foreign)
        if holders:
            notes.append(
                f"cut {cut.origin}: {_inside(c, cut.origin, keys, holders)}, given as one "
                "origin: their part of it is not given and is not cut, so the losses are those "
                "of the keys reached, a lower bound"
            )
        own = sorted((keys - {cut.origin}) & c.domestic_keys)
        if own:
            notes.append(
                f"cut {cut.origin}: {', '.join(own)} (the perspective {c.perspective}) "
                "is not cut: a cut stops foreign supply; use a capacity shock for the own one"
            )
    return notes


def _check_unit(value: float, what: str) -> None:
    if not 0 <= value <= 1:
        msg = f"{what}: {value} is outside [0, 1]"
        raise ScenarioError(msg)


def resolve_scenario(
    chain: Chain,
    scenario: Scenario | str | None = None,
    *,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
) -> Scenario | None:
    """The scenario that a name (of the chain or of ``scenario_file``) and extra shocks describe.

    Parameters
    ----------
    chain
        The chain whose ``scenarios:`` are looked up.
    scenario
        A :class:`Scenario`, the name of one in the chain or in ``scenario_file``, or None.
    cuts, shocks
        Added to the scenario (or making one of their own): :class:`~chokepoint.model.Cut` and
        :class:`~chokepoint.model.Shock` values, or their text forms ``JP:reducers=1`` and
        ``reducers=0.3`` (:mod:`chokepoint.io.forms`).
    substitution
        Substitutability overrides, ``{node: value}`` or texts ``node=value``; they change a
        scenario, so they need a name, a cut or a shock.
    scenario_file
        A YAML file with ``scenarios:`` in the chain file's form
        (:func:`~chokepoint.io.loader.load_scenarios`); its names are added to the chain's.

    Returns
    -------
    Scenario or None
        None when nothing was asked for (no name, no cut, no shock).

    Raises
    ------
    ScenarioError
        For an unknown name (listing the names), malformed text, or overrides alone.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> resolve_scenario(load_chain("robots"), cuts=["JP:reducers=1"]).cuts
    (Cut(origin='JP', severity=1.0, nodes=('reducers',), months=None),)
    >>> resolve_scenario(load_chain("robots")) is None
    True
    """
    if isinstance(substitution, Mapping):
        overrides = dict(substitution)
    else:
        overrides = dict(parse_substitution(s) for s in substitution or ())
    extra = Scenario(
        cuts=tuple(parse_cut(c) if isinstance(c, str) else c for c in cuts),
        shocks=tuple(parse_shock(s) if isinstance(s, str) else s for s in shocks),
        substitution=overrides,
    )
    named = dict(chain.scenarios)
    where = f"chain '{chain.name}'"
    if scenario_file is not None:  # read and checked even when no name is asked of it
        from ..io.loader import load_scenarios

        named = {**named, **load_scenarios(scenario_file, chain)}
        where += f" or {os.fspath(scenario_file)}"
    if isinstance(scenario, Scenario):
        return scenario.plus(extra)
    if scenario is not None:
        if scenario not in named:
            from ..io.check import Suggester

            names = ", ".join(named) or "none defined"
            close = Suggester(named)(scenario[:200])
            hint = f"; did you mean '{close}'?" if close else ""
            msg = f"unknown scenario '{scenario}' in {where}{hint} (scenarios: {names})"
            raise ScenarioError(msg)
        return Scenario.from_spec(named[scenario]).plus(extra)
    if extra.cuts or extra.shocks:
        return extra
    if extra.substitution:
        msg = "a substitution override changes a scenario: name a scenario, or add a cut or a shock"
        raise ScenarioError(msg)
    return None


def run_scenarios(
    c: Compiled, scenarios: Sequence[Scenario], model: LossModel = "leontief"
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check and propagate a batch of scenarios on a compiled chain.

    Returns the ``nodes x S`` matrices of losses, import parts and domestic parts. Scenarios
    with substitution overrides are propagated one at a time (each changes :math:`\\sigma`).
    """
    check_model(model)
    for scenario in scenarios:
        check_scenario(scenario, c)
    imports = np.zeros((c.size, len(scenarios)), dtype=np.float64)
    shocks = np.zeros_like(imports)
    plain = [j for j, s in enumerate(scenarios) if not s.substitution]
    if plain:
        kappa = cut_matrix(c, [scenarios[j].cuts for j in plain])
        imports[:, plain] = import_losses(c, kappa)
    for j, scenario in enumerate(scenarios):
        if scenario.substitution:
            kappa = cut_matrix(c, [scenario.cuts])
            imports[:, [j]] = import_losses(c, kappa, scenario.substitution)
        for shock in scenario.shocks:
            row = c.index[shock.node]
            shocks[row, j] = max(shocks[row, j], shock.severity)
    q, dom = propagate(c, imports, shocks, model)
    return q, imports, dom


def run_scenario(
    chain: Chain,
    scenario: Scenario | str | None = None,
    *,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
) -> ScenarioResult:
    """Run a scenario (or a named scenario of the chain) and return every node's loss.

    The function behind ``chokepoint scenario``.

    Parameters
    ----------
    chain
        The chain.
    scenario
        A :class:`Scenario`, or the name of one in the chain's ``scenarios:`` (or in
        ``scenario_file``); None to run only ``cuts`` and ``shocks``.
    cuts, shocks, substitution, scenario_file
        Added to the scenario, as for :func:`resolve_scenario`.
    perspective
        The economy hit (default: the chain's); other economies only for ``market: global``.
    model
        ``leontief`` (fixed proportions, default) or ``linear`` (inoperability input-output).
    year
        Use ``history`` shares of that year where nodes have them.

    Raises
    ------
    ScenarioError
        For unknown origins, nodes or scenario names, severities outside [0, 1], or when
        nothing is asked for (no name, no cut, no shock).

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = run_scenario(load_chain("robots"), Scenario(cuts=(Cut("JP", 1.0, ("reducers",)),)))
    >>> {n.id: round(n.loss, 3) for n in result.nodes}["reducers"]
    0.614
    >>> run_scenario(load_chain("robots"), cuts=["JP:reducers=1"]).nodes == result.nodes
    True
    """
    resolved = require_scenario(
        chain,
        scenario,
        cuts=cuts,
        shocks=shocks,
        substitution=substitution,
        scenario_file=scenario_file,
    )
    return scenario_result(compile_chain(chain, perspective, year), resolved, model)


def require_scenario(
    chain: Chain,
    scenario: Scenario | str | None = None,
    *,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
) -> Scenario:
    """:func:`resolve_scenario`, refusing a request that names no scenario, cut or shock.

    Raises
    ------
    ScenarioError
        As :func:`resolve_scenario`, and when nothing was asked for (naming the chain's scenarios).
    """
    resolved = resolve_scenario(
        chain,
        scenario,
        cuts=cuts,
        shocks=shocks,
        substitution=substitution,
        scenario_file=scenario_file,
    )
    if resolved is None:
        names = ", ".join(chain.scenarios) or "none defined"
        msg = (
            f"give a scenario name ({names}) or at least one cut or shock, e.g. a cut JP:reducers=1"
        )
        raise ScenarioError(msg)
    return resolved


def scenario_result(
    c: Compiled, scenario: Scenario, model: LossModel = "leontief"
) -> ScenarioResult:
    """Check and run one scenario on a compiled chain: every node's loss, as :func:`run_scenario`."""
    chain = c.chain
    q, imports, dom = run_scenarios(c, [scenario], model)
    reasons = _unknown_losses(c, q, dom, model)
    loss: list[float | None] = list(q[:, 0].tolist())
    domestic: list[float | None] = list(dom[:, 0].tolist())
    for k in reasons:
        loss[k] = domestic[k] = None
    imported = imports[:, 0].tolist()
    stages = {s: k for k, s in enumerate(chain.stages)}
    nodes = tuple(
        NodeLoss(n.id, n.stage, loss[k], imported[k], domestic[k], reasons.get(k))
        for k, n in sorted(enumerate(chain.nodes), key=lambda kn: stages[kn[1].stage])
    )
    final = tuple((c.nodes[f], loss[f]) for f in c.finals.tolist())
    assumptions = list(c.assumptions)
    no_cost = sorted(
        f"{c.nodes[int(c.in_src[e])]}->{c.nodes[int(c.in_user[e])]}"
        for e in np.flatnonzero(~c.in_known).tolist()
    )
    if no_cost and model == "linear":
        assumptions.append(
            "inputs without a cost share: a linear loss that would draw on one of them that the "
            f"scenario hits is n/a: {', '.join(no_cost)}"
        )
    assumptions.extend(cut_notes(scenario, c))
    others = [n for n, s in zip(c.nodes, c.splits, strict=True) if s.other > 0]
    if scenario.cuts and others:
        assumptions.append(
            f"`{OTHER}` shares (unnamed foreign origins) are never cut: {', '.join(others)}"
        )
    return ScenarioResult(
        chain.name, c.perspective, model, scenario, nodes, final, tuple(assumptions), c.year
    )


def unknown_mask(c: Compiled, q: FloatArray, dom: FloatArray, model: LossModel) -> BoolArray | None:
    """Which ``linear`` losses of a batch (``nodes x S``) rest on a missing cost share, by the
    rule of :func:`_unknown_losses`; None when none can (``leontief``, or every cost share known)."""
    if model != "linear" or bool(c.in_known.all()):
        return None
    saturated = (q >= 1.0 - 1e-12) | (dom >= c.domestic[:, None] - 1e-12)
    mask: BoolArray = rests_on_unknown(c, q, np.zeros_like(q, dtype=np.bool_), saturated)
    return mask


def _unknown_losses(
    c: Compiled, q: FloatArray, dom: FloatArray, model: LossModel, column: int = 0
) -> dict[int, str]:
    r"""The nodes whose ``linear`` loss (column ``column``) rests on a missing cost share, with
    the reason; ``{}`` for ``leontief``, which weighs no cost share.

    A loss is unknown when the node has domestic production (:math:`s_n(P) > 0`), is not
    already at its ceiling (:math:`q_n < 1` and :math:`d_n < 1`), and draws on an input without
    a cost share that the scenario hits (its loss is not 0, or is itself unknown), while the
    node's known cost shares leave room for one (they sum below 1); or on an input with a cost
    share whose loss is unknown (:func:`chokepoint.core.metrics.rests_on_unknown`).
    """
    mask = unknown_mask(c, q[:, [column]], dom[:, [column]], model)
    if mask is None:
        return {}
    values = q[:, [column]]
    unknown = mask
    out: dict[int, str] = {}
    for k in np.flatnonzero(unknown[:, 0]).tolist():
        no_cost: list[str] = []
        inherited: list[str] = []
        for e in range(int(c.in_ptr[k]), int(c.in_ptr[k + 1])):
            i = int(c.in_src[e])
            if not c.in_known[e] and (unknown[i, 0] or values[i, 0] > 1e-12):
                no_cost.append(f"{c.nodes[i]}->{c.nodes[k]}")
            elif c.in_known[e] and c.in_cost[e] > 0 and unknown[i, 0]:
                inherited.append(c.nodes[i])
        parts = []
        if no_cost:
            parts.append(f"no cost share for the input(s) the scenario hits: {', '.join(no_cost)}")
        if inherited:
            parts.append(f"the loss of input(s) {', '.join(inherited)} is n/a")
        out[k] = "linear model: " + "; ".join(parts)
    return out


# ------------------------------------------------------------------------------------------
# Sweeps


#: Two worst losses closer than this are a tie (broken by origin, then node).
RANK_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One scenario of a sweep: a cut of ``origin`` (of ``node``, or every node when None)."""

    severity: float
    origin: str
    node: str | None
    final: tuple[tuple[str, float], ...]
    unknown: tuple[str, ...] = ()
    """Final products whose loss rests on a missing cost share (``linear``): their value in
    ``final`` is only a lower bound, and null in JSON and CSV."""
    reason: str | None = None
    """Why the losses of ``unknown`` are not known (None when every loss is)."""
    rank: int | None = None
    """The cut's place in a sweep ``over`` origins or nodes (1 = worst); None for one cut."""

    @property
    def worst(self) -> float | None:
        r"""The worst final-product loss, :math:`\max_f q_f`; None when it rests on an unknown.

        It is unknown when a final product's loss is unknown (that loss is only a lower bound,
        so the maximum could be larger), unless a known loss is already 1 (nothing is larger),
        and when the chain has no final product.

        >>> SweepRow(1.0, "JP", None, (("a", 0.2), ("b", 0.5))).worst
        0.5
        >>> SweepRow(1.0, "JP", None, (("a", 0.2), ("b", 0.5)), ("b",)).worst is None
        True
        """
        known = [q for f, q in self.final if f not in self.unknown]
        best = max(known, default=None)
        if self.unknown and (best is None or best < 1.0 - RANK_TOLERANCE):
            return None
        return best

    @property
    def worst_final(self) -> tuple[str, ...]:
        """The final products whose loss is the worst (to :data:`RANK_TOLERANCE`); () when unknown.

        >>> SweepRow(1.0, "JP", None, (("a", 0.5), ("b", 0.2), ("c", 0.5))).worst_final
        ('a', 'c')
        """
        worst = self.worst
        if worst is None:
            return ()
        return tuple(
            f for f, q in self.final if f not in self.unknown and q >= worst - RANK_TOLERANCE
        )


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Final-product losses for each scenario of a sweep.

    A sweep ``over`` origins or nodes is ranked (:func:`rank_sweep_rows`): worst final-product
    loss first, rows whose worst loss is unknown last.
    """

    chain: str
    perspective: str
    model: LossModel
    rows: tuple[SweepRow, ...]
    over: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint sweep --format json``.

        Each row has ``rank`` (null for a sweep of one cut), ``worst_loss`` (null when it rests
        on an unknown), ``worst_final`` (the final products with that loss) and ``unknown``
        (why, or null), beside ``severity``, ``origin``, ``node`` and ``final``.
        """
        return {
            "chain": self.chain,
            "perspective": self.perspective,
            "model": self.model,
            "over": self.over,
            "rows": [
                {
                    "severity": r.severity,
                    "origin": r.origin,
                    "node": r.node,
                    "final": [{"id": n, "loss": None if n in r.unknown else q} for n, q in r.final],
                    "rank": r.rank,
                    "worst_loss": r.worst,
                    "worst_final": list(r.worst_final),
                    "unknown": r.reason,
                }
                for r in self.rows
            ],
        }


def rank_sweep_rows(rows: Iterable[SweepRow]) -> tuple[SweepRow, ...]:
    r"""Rank the cuts of a sweep by their worst final-product loss, worst first.

    Rows of one cut (``origin``, ``node``) stay together, in their order. A cut's key is
    :math:`W = \max_{s} \max_f q_f(s)` over its rows (:attr:`SweepRow.worst`); a cut with a
    row whose worst loss is unknown has no key and comes after every cut with one. Ties (keys
    within :data:`RANK_TOLERANCE`, which rounds :math:`W` to 12 decimals) and unknown keys are
    ordered by origin, then node id, a whole-origin cut (``node`` None) first. Every row of a
    cut carries the cut's ``rank`` (1 = worst).

    >>> rows = [SweepRow(1.0, "JP", None, (("f", 0.2),)), SweepRow(1.0, "DE", None, (("f", 0.2),)),
    ...         SweepRow(1.0, "US", None, (("f", 0.1),), ("f",)), SweepRow(1.0, "KR", None, (("f", 0.5),))]
    >>> [(r.rank, r.origin) for r in rank_sweep_rows(rows)]
    [(1, 'KR'), (2, 'DE'), (3, 'JP'), (4, 'US')]
    """
    cuts: dict[tuple[str, str | None], list[SweepRow]] = {}
    for row in rows:
        cuts.setdefault((row.origin, row.node), []).append(row)

    def key(item: tuple[tuple[str, str | None], list[SweepRow]]) -> tuple[bool, float, str, str]:
        (origin, node), group = item
        worst = [r.worst for r in group]
        known = None not in worst
        value = round(max((w for w in worst if w is not None), default=0.0), 12)
        return (not known, -value if known else 0.0, origin, node or "")

    ranked = sorted(cuts.items(), key=key)
    return tuple(
        SweepRow(r.severity, r.origin, r.node, r.final, r.unknown, r.reason, k)
        for k, (_, group) in enumerate(ranked, 1)
        for r in group
    )


def sweep(
    chain: Chain,
    *,
    cut: str | None = None,
    over: Literal["origins", "nodes"] | str | None = None,
    severity: str | Sequence[float] | None = None,
    max_rows: int | None = None,
    perspective: str | None = None,
    model: LossModel = "leontief",
    year: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run one cut at several severities, or each origin / each node's top supplier in turn.

    The function behind ``chokepoint sweep``. Every row is one scenario; all run as batches of
    :func:`run_scenarios`. With ``over``, the cuts are ranked by their worst final-product loss,
    worst first (:func:`rank_sweep_rows`); a row whose worst loss is unknown carries the reason.

    Parameters
    ----------
    chain
        The chain.
    cut
        ``ORIGIN`` or ``ORIGIN:NODE[,NODE]`` cut at every severity.
    over
        ``origins``: each foreign origin cut at every node; ``nodes``: each node's top foreign
        supplier cut at that node. Give ``cut`` or ``over``, not both.
    severity
        The severities of every cut, each in [0, 1]: a sequence of numbers, or the text
        ``START:STOP:STEP`` (both ends included) or one value
        (:func:`~chokepoint.io.forms.parse_severities`). Default: ``0:1:0.1`` with ``cut``,
        ``1`` with ``over``.
    max_rows
        The ceiling on rows (cuts x severities); default :data:`MAX_SWEEP_ROWS` (10,000), or the
        environment variable ``CHOKEPOINT_MAX_SWEEP_ROWS``.
    perspective, model, year
        As for :func:`run_scenario`.
    workers, scheduler
        Propagate the blocks of rows on dask workers (:mod:`chokepoint.core.distributed`,
        the ``dask`` extra): a local cluster of ``workers`` processes, or the scheduler at
        ``scheduler``. The rows are the same as in one process.
    progress
        Called with (rows done, rows) after each block of rows.

    Raises
    ------
    ScenarioError
        For a bad cut, both or neither of ``cut`` and ``over``, an unknown ``over``, a severity
        outside [0, 1], or more rows than the ceiling.
    DistributedError
        With ``workers`` or ``scheduler``, when dask is missing or the scheduler unreachable.
    SettingError
        For a ``CHOKEPOINT_MAX_SWEEP_ROWS`` that is not a whole number.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = sweep(load_chain("robots"), cut="JP:reducers", severity="0:1:0.5")
    >>> [(row.severity, round(row.final[0][1], 3)) for row in result.rows]
    [(0.0, 0.0), (0.5, 0.061), (1.0, 0.123)]
    """
    if (cut is None) == (over is None):
        msg = "give either cut='ORIGIN[:NODE]' or over='origins'|'nodes', not both"
        if cut is None:
            msg = "give either cut='ORIGIN[:NODE]' or over='origins'|'nodes'"
        raise ScenarioError(msg)
    if over is not None and over not in ("origins", "nodes"):
        msg = f"over={over!r} must be 'origins' or 'nodes'"
        raise ScenarioError(msg)
    check_model(model)
    ceiling = SWEEP_ROWS.get(max_rows)
    if severity is None:
        severity = "0:1:0.1" if cut is not None else "1"
    if isinstance(severity, str):
        severities = parse_severities(severity, limit=ceiling, raise_with=_RAISE_ROWS)
    else:
        severities = tuple(float(v) for v in severity)
    for value in severities:
        _check_unit(value, "severity")
    c = compile_chain(chain, perspective, year)
    plans: list[tuple[str, tuple[str, ...]]] = []
    if cut is not None:
        parsed = parse_cut(cut if "=" in cut else f"{cut}=1")
        plans.append((parsed.origin, parsed.nodes))
    elif over == "origins":
        plans.extend((code, ()) for code in c.origins())
    else:
        top = direct_metrics(c).top.tolist()
        plans.extend((c.pair_origin[p], (c.nodes[n],)) for n, p in enumerate(top) if p >= 0)
    count = len(plans) * len(severities)
    if count > ceiling:
        what = f"sweeping over {over}" if over is not None else f"the cut {cut}"
        msg = (
            f"{what} with {len(severities):,} severities gives {count:,} rows, above the "
            f"ceiling of {ceiling:,} ({_RAISE_ROWS})"
        )
        raise ScenarioError(msg)
    # each cut is checked once, and its pairs make one column of cuts at severity 1, scaled by
    # every severity: a block of rows is then one multiplication and one propagation
    for origin, nodes in plans:
        check_scenario(Scenario(cuts=(Cut(origin, 1.0, nodes),)), c)
    unit = cut_matrix(c, [[Cut(origin, 1.0, nodes)] for origin, nodes in plans])
    levels = np.asarray(severities, dtype=np.float64)
    finals = c.final_ids()
    labels = [",".join(nodes) if nodes else None for _, nodes in plans]
    rows: list[SweepRow] = []
    reasons: dict[tuple[tuple[str, ...], bytes], str] = {}
    block = max(1, min(1024, (1 << 22) // max(c.size, 1)))
    shared = (c, unit, levels, model, block, count)
    if workers is None and scheduler is None:
        parts: Iterable[_SweepBlock] = (
            _sweep_block(shared, None, index, index + 1)[0] for index in range(-(-count // block))
        )
    else:
        from .distributed import map_blocks

        parts = map_blocks(
            _sweep_block, shared, None, -(-count // block), workers=workers, scheduler=scheduler
        )
    for plan, level, values, hidden, causes in parts:
        if progress is not None:
            progress(min(count, len(rows) + len(values)), count)
        for j, (p, s, final) in enumerate(zip(plan.tolist(), level.tolist(), values, strict=True)):
            unknown = (
                tuple(f for f, hit in zip(finals, hidden[j], strict=True) if hit) if hidden else ()
            )
            reason = None if finals else _NO_FINAL
            if unknown and causes is not None:
                edges = causes[1][causes[0][:, j]]
                key = (unknown, edges.tobytes())
                if key not in reasons:  # many rows share their causes: each text made once
                    reasons[key] = hit_reason(c, unknown, edges)
                reason = reasons[key]
            rows.append(
                SweepRow(
                    severities[s],
                    plans[p][0],
                    labels[p],
                    tuple(zip(finals, final, strict=True)),
                    unknown,
                    reason,
                )
            )
    ranked = rank_sweep_rows(rows) if over is not None else tuple(rows)
    return SweepResult(chain.name, c.perspective, model, ranked, over)


_NO_FINAL = "the chain has no final product (every node feeds another): no loss to rank"


def uncosted_hits(c: Compiled, q: FloatArray, mask: BoolArray) -> tuple[BoolArray, IntArray]:
    """For a block of scenarios (``nodes x S``): which inputs without a cost share make a loss
    unknown in which column (``uncosted inputs x S``), and the inputs' edge numbers.

    An input without a cost share is a cause in a column when its user's loss is unknown there
    and the input is hit (its loss is above 0, or unknown): the root of every unknown loss
    (:func:`unknown_mask`).
    """
    edges = np.flatnonzero(~c.in_known)
    src, user = c.in_src[edges], c.in_user[edges]
    hit: BoolArray = mask[user] & (mask[src] | (q[src] > 1e-12))
    return hit, edges


def hit_reason(c: Compiled, unknown: Sequence[str], edges: IntArray) -> str:
    """Why the losses of the final products ``unknown`` are n/a: the inputs ``edges``."""
    named = [f"{c.nodes[int(c.in_src[e])]}->{c.nodes[int(c.in_user[e])]}" for e in edges[:6]]
    more = f" and {len(edges) - 6:,} more" if len(edges) > 6 else ""
    return (
        f"linear model: the loss of {', '.join(unknown)} rests on inputs without a cost share "
        f"that the cut hits: {', '.join(named) or 'none named'}{more}"
    )


_SweepBlock = tuple[
    IntArray,
    IntArray,
    list[list[float]],
    list[list[bool]] | None,
    tuple[BoolArray, IntArray] | None,
]


def _sweep_block(shared: Any, _: Any, first: int, stop: int) -> list[_SweepBlock]:
    """Blocks ``first`` to ``stop - 1`` of a sweep's rows: their plans, severity positions,
    final-product losses, unknown flags and the inputs without a cost share behind them
    (:func:`uncosted_hits`; a task of the distributed mode)."""
    c, unit, levels, model, block, count = shared
    out: list[_SweepBlock] = []
    for index in range(first, stop):
        columns = np.arange(index * block, min(count, (index + 1) * block))
        plan, level = np.divmod(columns, len(levels))
        q, dom = propagate(c, import_losses(c, unit[:, plan] * levels[level]), None, model)
        mask = unknown_mask(c, q, dom, model)
        hidden = mask[c.finals].T.tolist() if mask is not None else None
        causes = uncosted_hits(c, q, mask) if mask is not None else None
        out.append((plan, level, q[c.finals].T.tolist(), hidden, causes))
    return out
