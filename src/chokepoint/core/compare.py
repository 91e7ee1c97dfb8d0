r"""``compare`` and ``rank``: results side by side, within a chain and across chains.

* :func:`compare` puts two or more *columns* of one chain side by side: scenarios (named ones and
  ad-hoc cuts; each node's loss), years or perspectives (each node's dependence), or another
  measure that :func:`~chokepoint.core.analysis.analyze` or
  :func:`~chokepoint.core.scenarios.run_scenario` computes. Every column is computed by those
  functions' own code on the compiled form (:func:`~chokepoint.core.compiled.compile_chain`):
  nothing here holds a metric. The one formula of its own is the difference of each column
  against the first,

  .. math:: \Delta_{n,j} = v_{n,j} - v_{n,1} \qquad (j = 2, \dots, J),

  null when either value is null, and, for a measure that rests on the node's own shares only,
  when the two columns are of different years but read the node's shares of the same year (the
  node has no figures of its own for one of them: a difference of 0 would say nothing about the
  change).
* :func:`rank` ranks the choke points of several chains (every chain on the search path, or those
  given) by their impact, unknown impacts after every known one.

See ``docs/methodology.md`` (*Comparisons*).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import AnalysisError, ArgumentError, ChokepointError, ScenarioError
from ..model import Chain, Cut, Node
from .analysis import Analysis, NodeMetrics, analyze, analyze_compiled
from .chokepoints import DEFAULT_MIN_CONCENTRATION, DEFAULT_MIN_DEPENDENCE
from .compiled import Compiled, compile_chain, resolve_perspective
from .propagate import LossModel, check_model
from .scenarios import NodeLoss, Scenario, resolve_scenario, scenario_result

__all__ = [
    "CHAIN_MEASURES",
    "MEASURE_KIND",
    "SCENARIO_MEASURES",
    "CompareColumn",
    "CompareResult",
    "CompareRow",
    "RankResult",
    "RankRow",
    "RankedChain",
    "compare",
    "rank",
]

#: Measures of a chain, as :class:`~chokepoint.core.analysis.NodeMetrics` names them: the
#: default for years and perspectives is ``dependence``. ``total`` is accepted for
#: ``total_dependence``.
CHAIN_MEASURES = (
    "dependence",
    "hhi",
    "import_hhi",
    "import_hhi_max",
    "top_share",
    "countries_to_75",
    "total_dependence",
    "impact",
)
#: Measures of a scenario, as :class:`~chokepoint.core.scenarios.NodeLoss` names them: the
#: default when scenarios are compared (or one scenario over years or perspectives) is ``loss``.
SCENARIO_MEASURES = ("loss", "import_loss", "domestic_loss")
#: How each measure is written: ``fraction`` (a share, in percent; differences in percentage
#: points), ``index`` (an HHI, 0 to 1) or ``count``.
MEASURE_KIND: dict[str, Literal["fraction", "index", "count"]] = {
    "dependence": "fraction",
    "hhi": "index",
    "import_hhi": "index",
    "import_hhi_max": "index",
    "top_share": "fraction",
    "countries_to_75": "count",
    "total_dependence": "fraction",
    "impact": "fraction",
    "loss": "fraction",
    "import_loss": "fraction",
    "domestic_loss": "fraction",
}
#: Measures that rest on the node's own shares only (their difference between two years is
#: null when both columns read the node's shares of the same year).
_OWN_SHARES = frozenset(
    {"dependence", "hhi", "import_hhi", "import_hhi_max", "top_share", "countries_to_75"}
)
_ALIASES = {"total": "total_dependence"}

Kind = Literal["scenarios", "years", "perspectives"]


# ------------------------------------------------------------------------------------------
# compare


@dataclass(frozen=True, slots=True)
class CompareColumn:
    """One column of a comparison: what it shows and the perspective, year and scenario used."""

    label: str
    perspective: str
    year: int
    scenario: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"label", "perspective", "year", "scenario"}``."""
        return {
            "label": self.label,
            "perspective": self.perspective,
            "year": self.year,
            "scenario": self.scenario,
        }


@dataclass(frozen=True, slots=True)
class CompareRow:
    """A node's values in column order, with the year of the shares each reads and why a value
    or a difference is n/a.

    ``differences[j - 1]`` is column ``j`` minus column 0 (:math:`\\Delta_{n,j}`), for ``j`` from 1.
    ``unknown[j]`` is the reason value ``j`` is None; ``unknown_differences[j - 1]`` the reason
    a difference is None while both its values are known.
    """

    id: str
    stage: str
    values: tuple[float | None, ...]
    years: tuple[int | None, ...]
    differences: tuple[float | None, ...]
    unknown: tuple[str | None, ...]
    unknown_differences: tuple[str | None, ...]

    def to_dict(self, stage: bool = True) -> dict[str, Any]:
        """``{"id", "stage", "values", "differences", "years", "unknown"}`` (``stage`` left out
        for final products); ``unknown`` holds one reason (or null) per value, then one per
        difference whose values are known."""
        out: dict[str, Any] = {"id": self.id}
        if stage:
            out["stage"] = self.stage
        out["values"] = list(self.values)
        out["differences"] = list(self.differences)
        out["years"] = list(self.years)
        out["unknown"] = [*self.unknown, *self.unknown_differences]
        return out


@dataclass(frozen=True, slots=True)
class CompareResult:
    """The result of :func:`compare`: columns, and every node's (and final product's) values."""

    chain: str
    title: str
    measure: str
    kind: Kind
    model: LossModel | None
    columns: tuple[CompareColumn, ...]
    nodes: tuple[CompareRow, ...]
    final: tuple[CompareRow, ...]
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint compare --format json`` (a stable contract)."""
        return {
            "chain": self.chain,
            "measure": self.measure,
            "kind": self.kind,
            "model": self.model,
            "columns": [c.to_dict() for c in self.columns],
            "nodes": [n.to_dict() for n in self.nodes],
            "final": [n.to_dict(stage=False) for n in self.final],
            "assumptions": list(self.assumptions),
        }


def _cut_label(cut: Cut) -> str:
    where = f":{','.join(cut.nodes)}" if cut.nodes else ""
    return f"{cut.origin}{where}={cut.severity:g}"


def _scenario_columns(
    chain: Chain,
    scenarios: Sequence[Scenario | str],
    cuts: Sequence[Cut | str],
    scenario_file: str | os.PathLike[str] | None,
) -> list[tuple[str, Scenario]]:
    """``(label, scenario)`` for every name (or :class:`Scenario`), then every cut on its own."""
    out: list[tuple[str, Scenario]] = []
    for k, item in enumerate(scenarios, start=1):
        resolved = resolve_scenario(chain, item, scenario_file=scenario_file)
        assert resolved is not None  # a name or a Scenario always resolves to one
        label = item if isinstance(item, str) else (item.name or f"scenario {k}")
        out.append((label, resolved))
    for cut in cuts:
        resolved = resolve_scenario(chain, cuts=[cut], scenario_file=scenario_file)
        assert resolved is not None
        label = cut.strip() if isinstance(cut, str) else _cut_label(cut)
        out.append((label, resolved))
    return out


def _check_unique(labels: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            msg = f"{what} {label} is given twice; each column must differ from the others"
            raise ArgumentError(msg)
        seen.add(label)


def _measure(measure: str | None, scenario: bool) -> str:
    """The measure asked for (default ``loss`` with a scenario, else ``dependence``), checked."""
    if measure is None:
        return "loss" if scenario else "dependence"
    name = _ALIASES.get(measure, measure)
    allowed = SCENARIO_MEASURES if scenario else CHAIN_MEASURES
    if name not in MEASURE_KIND:
        msg = (
            f"measure={measure}: unknown measure; choose one of {', '.join(CHAIN_MEASURES)} "
            f"(total for total_dependence), or with scenarios {', '.join(SCENARIO_MEASURES)}"
        )
        raise ArgumentError(msg)
    if name not in allowed:
        if scenario:
            msg = (
                f"measure={measure}: a measure of the chain, the same under every scenario; "
                f"with scenarios choose {', '.join(SCENARIO_MEASURES)}, or leave the scenarios "
                "out to compare years or perspectives"
            )
        else:
            msg = (
                f"measure={measure}: a measure of a scenario; give the scenarios (names or "
                "cuts) to compare, or one scenario to compare over years or perspectives"
            )
        raise ArgumentError(msg)
    return name


def _chain_reason(node: NodeMetrics, measure: str) -> str:
    """Why an analysis figure is None: the analysis's own reason, else why it does not exist."""
    if measure in node.unknown:
        return node.unknown[measure]
    if node.dependence is None:
        return "no shares known for this node"
    if measure == "countries_to_75":
        return "the named shares never reach 75%"
    return "no named foreign supplier"


def _values_of_analysis(
    result: Analysis, ids: Sequence[str], measure: str
) -> tuple[list[float | None], list[str | None]]:
    values: list[float | None] = []
    reasons: list[str | None] = []
    for node_id in ids:
        node = result.node(node_id)
        value = getattr(node, measure)
        values.append(value)
        reasons.append(None if value is not None else _chain_reason(node, measure))
    return values, reasons


def _values_of_losses(
    nodes: Sequence[NodeLoss], ids: Sequence[str], measure: str
) -> tuple[list[float | None], list[str | None]]:
    by_id = {n.id: n for n in nodes}
    values: list[float | None] = []
    reasons: list[str | None] = []
    for node_id in ids:
        node = by_id[node_id]
        value = getattr(node, measure)
        values.append(value)
        reasons.append(None if value is not None else node.unknown or "rests on a missing figure")
    return values, reasons


def compare(
    chain: Chain,
    scenarios: Sequence[Scenario | str] = (),
    *,
    cuts: Sequence[Cut | str] = (),
    years: Sequence[int] = (),
    perspectives: Sequence[str] = (),
    measure: str | None = None,
    model: LossModel = "leontief",
    scenario_file: str | os.PathLike[str] | None = None,
) -> CompareResult:
    r"""Two or more scenarios, years or perspectives of one chain side by side, with differences.

    The function behind ``chokepoint compare``. One of three things varies from column to
    column, and a single value of another sets it for every column:

    * **scenarios**: every name (of the chain or ``scenario_file``, or a :class:`Scenario`),
      then every cut (each a scenario of its own); each node's ``loss`` by default. One year
      and one perspective may be given.
    * **years**: each node's ``dependence`` by default, from the shares of each year (as
      :func:`~chokepoint.core.analysis.analyze` with ``year``); with one scenario, its losses.
    * **perspectives** (``market: global`` chains only): likewise, from each economy.

    Differences are each column minus the first:
    :math:`\Delta_{n,j} = v_{n,j} - v_{n,1}` (see the module's documentation for when one is null).

    Parameters
    ----------
    chain
        The chain.
    scenarios
        Names of scenarios (of the chain or ``scenario_file``) or :class:`Scenario` values.
    cuts
        Cuts, each a column of its own: :class:`~chokepoint.model.Cut` values or their text
        form ``JP:reducers=1``.
    years, perspectives
        Years (of the nodes' ``history``) and economies; two or more make the columns, one sets
        every column's.
    measure
        ``loss`` (default with scenarios), ``import_loss``, ``domestic_loss``; without a scenario
        ``dependence`` (default), ``hhi``, ``import_hhi``, ``import_hhi_max``, ``top_share``,
        ``countries_to_75``, ``total_dependence`` (or ``total``), ``impact``.
    model
        The loss model of scenarios, ``leontief`` (default) or ``linear``.
    scenario_file
        A YAML file of named scenarios, as for :func:`~chokepoint.core.scenarios.resolve_scenario`.

    Returns
    -------
    CompareResult

    Raises
    ------
    ArgumentError
        Fewer than two columns, two things varied at once (two scenarios and two years), a
        column given twice, or an unknown or unfitting measure.
    ScenarioError
        For an unknown scenario name, a bad cut or a bad model.
    AnalysisError
        For a refused perspective (``perspective=XX: ...``) or a year without figures
        (``year=Y: ...``).

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = compare(load_chain("robots"), ["japan-components", "europe-plc"])
    >>> [(r.id, [round(v, 3) for v in r.values], round(r.differences[0], 3)) for r in result.final][0]
    ('electronics', [0.37, 0.57], 0.2)
    >>> [c.label for c in compare(load_chain("robots"), years=[2014, 2018]).columns]
    ['2014', '2018']
    """
    check_model(model)
    scenario_cols = _scenario_columns(chain, scenarios, cuts, scenario_file)
    year_list = [int(y) for y in years]
    perspective_list = list(perspectives)
    _check_unique([label for label, _ in scenario_cols], "the scenario")
    _check_unique([str(y) for y in year_list], "the year")
    _check_unique(perspective_list, "the perspective")
    counts = {
        "scenarios": len(scenario_cols),
        "years": len(year_list),
        "perspectives": len(perspective_list),
    }
    varying = [k for k, n in counts.items() if n >= 2]
    if not varying:
        names = ", ".join(chain.scenarios) or "none defined"
        msg = (
            "nothing to compare: give two or more scenarios (names or cuts), two or more years, "
            f"or two or more perspectives (scenarios of chain '{chain.name}': {names})"
        )
        raise ArgumentError(msg)
    if len(varying) > 1:
        given = " and ".join(f"{counts[k]} {k}" for k in varying)
        msg = (
            f"compare varies one thing at a time, but {given} were given; keep one of them to "
            "a single value (it then applies to every column)"
        )
        raise ArgumentError(msg)
    kind: Kind = varying[0]  # type: ignore[assignment]
    name = _measure(measure, bool(scenario_cols))
    for who in perspective_list:
        try:
            resolve_perspective(chain, who)
        except AnalysisError as error:
            msg = f"perspective={who}: {error}"
            raise AnalysisError(msg) from None

    def compiled(perspective: str | None, year: int | None) -> Compiled:
        try:
            return compile_chain(chain, perspective, year)
        except AnalysisError as error:
            msg = f"year={year}: {error}"
            raise AnalysisError(msg) from None

    one_year = year_list[0] if kind != "years" and year_list else None
    one_perspective = perspective_list[0] if kind != "perspectives" and perspective_list else None
    plan: list[tuple[str, Compiled, tuple[str, Scenario] | None]] = []
    if kind == "scenarios":
        c = compiled(one_perspective, one_year)
        plan = [(label, c, (label, s)) for label, s in scenario_cols]
    else:
        only = scenario_cols[0] if scenario_cols else None
        if kind == "years":
            plan = [(str(y), compiled(one_perspective, y), only) for y in year_list]
        else:
            plan = [(p, compiled(p, one_year), only) for p in perspective_list]
    ids = [n.id for n in sorted(chain.nodes, key=_stage_rank(chain))]
    stages = {n.id: n.stage for n in chain.nodes}
    columns: list[CompareColumn] = []
    values: list[list[float | None]] = []
    reasons: list[list[str | None]] = []
    node_years: list[dict[str, int | None]] = []
    assumptions: list[tuple[str, ...]] = []
    for label, c, scenario in plan:
        if scenario is not None:
            try:
                result = scenario_result(c, scenario[1], model)
            except ScenarioError as error:
                if kind == "scenarios":
                    raise
                msg = f"{'year' if kind == 'years' else 'perspective'}={label}: {error}"
                raise ScenarioError(msg) from None
            column_values, why = _values_of_losses(result.nodes, ids, name)
            assumptions.append(result.assumptions)
        else:
            analysis = analyze_compiled(c)
            column_values, why = _values_of_analysis(analysis, ids, name)
            assumptions.append(analysis.assumptions)
        scenario_name = None
        if scenario is not None:
            scenario_name = scenario[1].name or scenario[0]
        columns.append(CompareColumn(label, c.perspective, c.year, scenario_name))
        values.append(column_values)
        reasons.append(why)
        node_years.append(dict(zip(c.nodes, c.node_years, strict=True)))
    own_shares = kind == "years" and name in _OWN_SHARES
    rows: list[CompareRow] = []
    for k, node_id in enumerate(ids):
        row_values = tuple(v[k] for v in values)
        row_years = tuple(y[node_id] for y in node_years)
        differences: list[float | None] = []
        unknown_differences: list[str | None] = []
        for j in range(1, len(columns)):
            first, this = row_values[0], row_values[j]
            if first is None or this is None:
                differences.append(None)
                unknown_differences.append(None)
            elif own_shares and row_years[j] == row_years[0] and columns[j].year != columns[0].year:
                differences.append(None)
                unknown_differences.append(
                    f"no figures of its own for {_missing_years(columns, row_years, j)}: both "
                    f"columns read its {row_years[0]} shares"
                )
            else:
                differences.append(this - first)
                unknown_differences.append(None)
        rows.append(
            CompareRow(
                node_id,
                stages[node_id],
                row_values,
                row_years,
                tuple(differences),
                tuple(r[k] for r in reasons),
                tuple(unknown_differences),
            )
        )
    by_id = {r.id: r for r in rows}
    finals = plan[0][1].final_ids()
    return CompareResult(
        chain=chain.name,
        title=chain.title,
        measure=name,
        kind=kind,
        model=model if scenario_cols else None,
        columns=tuple(columns),
        nodes=tuple(rows),
        final=tuple(by_id[f] for f in finals),
        assumptions=_merged_assumptions([c.label for c in columns], assumptions),
    )


def _missing_years(columns: Sequence[CompareColumn], years: Sequence[int | None], j: int) -> str:
    """The column years (of the first and ``j``-th) that are not the node's own."""
    wanted = [columns[0].year, columns[j].year]
    return " or ".join(str(y) for y in wanted if y not in (years[0], years[j])) or str(wanted[0])


def _stage_rank(chain: Chain) -> Callable[[Node], int]:
    """The sort key of nodes in stage order (chain order within a stage)."""
    order = {s: k for k, s in enumerate(chain.stages)}
    return lambda node: order[node.stage]


def _merged_assumptions(
    labels: Sequence[str], per_column: Sequence[tuple[str, ...]]
) -> tuple[str, ...]:
    """Assumptions common to every column once, then each column's own prefixed by its label."""
    common = [a for a in per_column[0] if all(a in other for other in per_column[1:])]
    out = list(common)
    for label, texts in zip(labels, per_column, strict=True):
        out.extend(f"{label}: {a}" for a in texts if a not in common)
    return tuple(out)


# ------------------------------------------------------------------------------------------
# rank


@dataclass(frozen=True, slots=True)
class RankRow:
    """A choke point of one chain, with the figures that rank it (``unknown``: why its impact is
    n/a)."""

    rank: int
    chain: str
    id: str
    name: str
    stage: str
    impact: float | None
    impact_on: str | None
    dependence: float | None
    import_hhi: float | None
    top_supplier: str | None
    top_share: float | None
    perspective: str
    year: int | None
    unknown: str | None = None
    basis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"rank", "chain", "id", "name", "stage", "impact", "impact_on", "dependence",
        "import_hhi", "top_supplier", "top_share", "perspective", "year", "basis", "unknown"}``
        (``basis``: what the top supplier's share measures, location or ownership)."""
        return {
            "rank": self.rank,
            "chain": self.chain,
            "id": self.id,
            "name": self.name,
            "stage": self.stage,
            "impact": self.impact,
            "impact_on": self.impact_on,
            "dependence": self.dependence,
            "import_hhi": self.import_hhi,
            "top_supplier": self.top_supplier,
            "top_share": self.top_share,
            "perspective": self.perspective,
            "year": self.year,
            "basis": self.basis,
            "unknown": self.unknown,
        }


@dataclass(frozen=True, slots=True)
class RankedChain:
    """A chain that :func:`rank` read: its path, perspective, years and choke-point count, or
    why it was skipped (``error``)."""

    name: str
    path: str | None
    perspective: str | None = None
    years: str | None = None
    chokepoints: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "path", "perspective", "years", "chokepoints", "error"}``."""
        return {
            "name": self.name,
            "path": self.path,
            "perspective": self.perspective,
            "years": self.years,
            "chokepoints": self.chokepoints,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class RankResult:
    """The result of :func:`rank`: choke points of every chain, ranked, and the chains read."""

    rows: tuple[RankRow, ...]
    chains: tuple[RankedChain, ...]
    min_dependence: float = DEFAULT_MIN_DEPENDENCE
    min_concentration: float = DEFAULT_MIN_CONCENTRATION

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``chokepoint rank --format json``:
        ``{"chokepoints": [...], "chains": [...]}``."""
        return {
            "chokepoints": [r.to_dict() for r in self.rows],
            "chains": [c.to_dict() for c in self.chains],
            "min_dependence": self.min_dependence,
            "min_concentration": self.min_concentration,
        }


def _rank_key(item: tuple[str, NodeMetrics]) -> tuple[bool, float, float, str, str]:
    """Known impacts first, largest first; then dependence, chain and node."""
    chain, node = item
    return (node.impact is None, -(node.impact or 0.0), -(node.dependence or 0.0), chain, node.id)


def rank(
    chains: Iterable[Chain | str | os.PathLike[str]] = (),
    *,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
) -> RankResult:
    """The choke points of several chains, ranked by impact across them, each with its chain.

    The function behind ``chokepoint rank``. Each chain is analysed from its own perspective
    and year (:func:`~chokepoint.core.analysis.analyze`); its choke points (dependence and
    import HHI above the thresholds) are ranked together by impact, largest first; an impact
    that is unknown (null) ranks after every known one. Ties: dependence, then chain and node.

    Parameters
    ----------
    chains
        Chains, or their files or names; none: every chain on the search path
        (:func:`~chokepoint.io.listing.list_chains`: ``CHOKEPOINT_PATH``, then the shipped
        chains), where a file that cannot be read or analysed is listed with its error instead
        of stopping the others.
    min_dependence, min_concentration
        The choke-point thresholds, as for :func:`~chokepoint.core.analysis.analyze`.

    Raises
    ------
    ChainError, ChainNotFoundError, AnalysisError
        For a chain given that cannot be read or analysed.

    Examples
    --------
    >>> result = rank(["robots", "machine-tools"])
    >>> [(r.chain, r.id) for r in result.rows][:2]
    [('machine-tools', 'cnc'), ('robots', 'plc')]
    """
    from ..io.loader import load_chain

    found: list[tuple[str, NodeMetrics]] = []
    read: list[RankedChain] = []
    context: dict[str, tuple[str, int]] = {}
    given = list(chains)

    def add(loaded: Chain, path: str | None) -> None:
        result = analyze(loaded, min_dependence=min_dependence, min_concentration=min_concentration)
        flagged = result.chokepoints()
        key = loaded.name if loaded.name not in context else f"{loaded.name} ({path})"
        context[key] = (result.perspective, result.year)
        found.extend((key, node) for node in flagged)
        read.append(RankedChain(key, path, result.perspective, result.years_text(), len(flagged)))

    if given:
        for item in given:
            loaded = item if isinstance(item, Chain) else load_chain(item)
            add(loaded, str(loaded.path) if loaded.path is not None else None)
    else:
        from ..io.listing import list_chains

        for row in list_chains().chains:
            if row.error is not None:
                read.append(RankedChain(row.name, row.path, error=row.error))
                continue
            try:
                add(load_chain(row.path), row.path)
            except ChokepointError as error:
                first = (str(error).splitlines() or ["invalid"])[0]
                read.append(RankedChain(row.name, row.path, error=first))
    rows = []
    for k, (chain, node) in enumerate(sorted(found, key=_rank_key), start=1):
        perspective, _ = context[chain]
        rows.append(
            RankRow(
                k,
                chain,
                node.id,
                node.name,
                node.stage,
                node.impact,
                node.impact_on,
                node.dependence,
                node.import_hhi,
                node.top_supplier,
                node.top_share,
                perspective,
                node.year,
                None if node.impact is not None else _chain_reason(node, "impact"),
                node.basis,
            )
        )
    return RankResult(tuple(rows), tuple(read), min_dependence, min_concentration)
