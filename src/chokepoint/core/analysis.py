"""``analyze``: every metric for every node, choke points ranked, as typed result objects."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import islice
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt

from ..errors import AnalysisError
from ..model import OTHER, Chain, Node
from .chokepoints import (
    DEFAULT_MIN_CONCENTRATION,
    DEFAULT_MIN_DEPENDENCE,
    best_paths,
    criteria,
    impact_finals,
    impacts,
    unmeasurable,
)
from .compiled import BoolArray, Compiled, FloatArray, compile_chain
from .metrics import EPS, DirectMetrics, direct_metrics, exposure, rests_on_unknown

__all__ = [
    "FIELDS",
    "Analysis",
    "NodeDicts",
    "NodeMetrics",
    "NodeTable",
    "analyze",
    "node_column",
    "analyze_compiled",
]

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
    "year",
    "basis",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class NodeMetrics:
    """Every metric of one node; direct metrics are None (n/a) for a node without shares.

    ``import_hhi`` counts named foreign origins only (the lowest concentration the figures
    allow); ``import_hhi_max`` is the highest, with the ``other`` and unattributed shares as
    concentrated as they could be. ``possible_chokepoint`` marks a node that meets the
    dependence criterion and whose concentration criterion fails at ``import_hhi`` but holds at
    ``import_hhi_max``: the figures cannot rule it out as a choke point.

    A figure that rests on something the chain does not give (shares, cost shares, what the node
    is used for) is None, and ``unknown`` maps its name (``total_dependence``, ``exposure``,
    ``impact``) to the reason. ``year`` is the year of the shares used for the node, ``basis``
    what they measure (``location`` or ``ownership``; None without shares).
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
    total_dependence: float | None
    exposure: dict[str, float | None]
    chokepoint: bool
    impact: float | None
    reasons: tuple[str, ...] = ()
    impact_on: str | None = None
    sources: tuple[str, ...] = ()
    estimate: bool = False
    import_hhi_max: float | None = None
    possible_chokepoint: bool = False
    year: int | None = None
    unknown: dict[str, str] = field(default_factory=dict)
    basis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The node's JSON object, keys in :data:`FIELDS` order (its own copies of the
        exposure, reasons and unknown figures)."""
        made = _json_objects([(getattr(self, name),) for name in FIELDS])[0]
        made["exposure"] = dict(self.exposure)
        made["reasons"] = list(self.reasons)
        made["unknown"] = dict(self.unknown)
        return made


def _json_objects(columns: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The JSON objects of nodes given as ``columns``: one sequence per name of :data:`FIELDS`,
    in that order, each holding the nodes' values of that field (the objects share the values:
    the exposure and unknown dicts and the reason tuples are not copied).

    One dict display per node, which CPython builds about a third faster than
    ``dict(zip(FIELDS, row))`` (measured: 0.30 s against 0.44 s for 281,690 nodes).

    >>> _json_objects([[v] for v in range(len(FIELDS))])[0]["unknown"]
    18
    """
    if len(columns) != len(FIELDS):
        msg = f"{len(columns)} columns for the {len(FIELDS)} fields"
        raise ValueError(msg)
    return [
        {
            "id": id_,
            "name": name,
            "stage": stage,
            "dependence": dependence,
            "hhi": hhi,
            "import_hhi": import_hhi,
            "top_supplier": top_supplier,
            "top_share": top_share,
            "countries_to_75": countries_to_75,
            "total_dependence": total_dependence,
            "exposure": exposure,
            "chokepoint": chokepoint,
            "impact": impact,
            "reasons": reasons,
            "import_hhi_max": import_hhi_max,
            "possible_chokepoint": possible_chokepoint,
            "year": year,
            "basis": basis,
            "unknown": unknown,
        }
        for (
            id_,
            name,
            stage,
            dependence,
            hhi,
            import_hhi,
            top_supplier,
            top_share,
            countries_to_75,
            total_dependence,
            exposure,
            chokepoint,
            impact,
            reasons,
            import_hhi_max,
            possible_chokepoint,
            year,
            basis,
            unknown,
        ) in zip(*columns, strict=True)
    ]


class NodeTable(Sequence[NodeMetrics]):
    """The :class:`NodeMetrics` of an analysis held as columns, one list per field (in the
    order of the dataclass's fields), the objects made all at once on first access.

    Writing the JSON of a firm-level network needs the values only (:meth:`column`,
    :class:`NodeDicts`), not 300,000 objects of 22 fields each; a table, a CSV or the Python
    API reads the objects as from the tuple :func:`analyze` returned before. Compares equal
    to the tuple of its objects, prints and pickles as it.
    """

    __slots__ = ("_columns", "_made", "_size")

    def __init__(self, columns: Sequence[list[Any]]) -> None:
        names = [f.name for f in fields(NodeMetrics)]
        if len(columns) != len(names):
            msg = f"{len(columns)} columns for the {len(names)} fields of NodeMetrics"
            raise ValueError(msg)
        self._size = len(columns[0]) if columns else 0
        self._columns = dict(zip(names, columns, strict=True))
        self._made: tuple[NodeMetrics, ...] | None = None

    def column(self, name: str) -> list[Any]:
        """The values of field ``name`` for every node, in order (``KeyError`` for another
        name); not a copy: do not change it."""
        return self._columns[name]

    def made(self) -> tuple[NodeMetrics, ...]:
        """The objects, made on the first call."""
        if self._made is None:
            self._made = _node_metrics(self._size, self._columns.values())
        return self._made

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> NodeMetrics: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[NodeMetrics, ...]: ...

    def __getitem__(self, index: int | slice) -> NodeMetrics | tuple[NodeMetrics, ...]:
        return self.made()[index]

    def __iter__(self) -> Iterator[NodeMetrics]:
        return iter(self.made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NodeTable):
            return self.made() == other.made()
        if isinstance(other, tuple):
            return self.made() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as the tuple of its objects (dicts inside)

    def __repr__(self) -> str:
        return repr(self.made())

    def __reduce__(self) -> tuple[Any, ...]:
        return (NodeTable, (list(self._columns.values()),))


@dataclass(frozen=True, slots=True)
class Analysis:
    """The result of :func:`analyze`: node metrics in stage order and the assumptions made."""

    chain: Chain
    perspective: str
    year: int
    nodes: Sequence[NodeMetrics]
    assumptions: tuple[str, ...] = ()
    min_dependence: float = DEFAULT_MIN_DEPENDENCE
    min_concentration: float = DEFAULT_MIN_CONCENTRATION
    finals: tuple[str, ...] = field(default=())
    _index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def chokepoints(self) -> list[NodeMetrics]:
        """Flagged nodes ranked by impact (then dependence, then id)."""
        flagged = [n for n in self.nodes if n.chokepoint]
        return sorted(flagged, key=_by_impact)

    def possible_chokepoints(self) -> list[NodeMetrics]:
        """Nodes the figures cannot rule out as choke points, ranked like :meth:`chokepoints`."""
        return sorted([n for n in self.nodes if n.possible_chokepoint], key=_by_impact)

    def years(self) -> list[int]:
        """The distinct years of the shares used, ascending (one element when not mixed)."""
        nodes = self.nodes
        years = nodes.column("year") if isinstance(nodes, NodeTable) else [n.year for n in nodes]
        return sorted({y for y in years if y is not None} or {self.year})

    def years_text(self) -> str:
        """``2018``, or ``2017-2025`` when the nodes' figures come from several years."""
        years = self.years()
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"

    def node(self, node_id: str) -> NodeMetrics:
        """The metrics of one node (``KeyError`` when absent), by an index of the ids made on
        the first call (a JSON or CSV output never needs it)."""
        index = self._index
        if index is None:
            index = {n.id: k for k, n in enumerate(self.nodes)}
            object.__setattr__(self, "_index", index)
        return self.nodes[index[node_id]]

    def to_dict(self, *, lazy: bool = False) -> dict[str, Any]:
        """The JSON document of ``chokepoint analyze --format json`` (a stable contract).

        ``lazy``: ``nodes`` is a :class:`NodeDicts`, whose objects are made a slice at a time
        (for a writer that encodes a block of nodes after the other), not a list.
        """
        return {
            "chain": self.chain.name,
            "title": self.chain.title,
            "perspective": self.perspective,
            "year": self.year,
            "years": self.years(),
            "nodes": NodeDicts(self.nodes) if lazy else [n.to_dict() for n in self.nodes],
            "assumptions": list(self.assumptions),
        }


#: The position of ``reasons`` in :data:`FIELDS`.
_REASONS = FIELDS.index("reasons")


class NodeDicts(Sequence[dict[str, Any]]):
    """The JSON objects (:meth:`NodeMetrics.to_dict`) of ``nodes``, each made when asked for:
    a slice is a list of new dicts, so that a million nodes' objects never exist at once.

    From a :class:`NodeTable`, the objects are made from its columns (the node objects are
    not made) and share its values: the exposure and unknown dicts are the table's own, not
    copies (the reasons are new lists, as in :meth:`NodeMetrics.to_dict`).
    """

    __slots__ = ("_columns", "_nodes")

    def __init__(self, nodes: Sequence[NodeMetrics]) -> None:
        self._nodes = nodes
        self._columns = (
            [nodes.column(name) for name in FIELDS] if isinstance(nodes, NodeTable) else None
        )

    def __len__(self) -> int:
        return len(self._nodes)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        columns = self._columns
        if columns is not None:
            picked = [
                values[index] if isinstance(index, slice) else [values[index]] for values in columns
            ]
            picked[_REASONS] = list(map(list, picked[_REASONS]))  # arrays in JSON, lists here
            made = _json_objects(picked)
            return made if isinstance(index, slice) else made[0]
        if isinstance(index, slice):
            return [n.to_dict() for n in self._nodes[index]]
        return self._nodes[index].to_dict()


def node_column(nodes: Sequence[NodeMetrics], name: str) -> list[Any]:
    """The values of :class:`NodeMetrics` field ``name`` of every node of ``nodes``, in order:
    a :class:`NodeTable`'s own column (its objects need not be made; do not change the list),
    else read from each object. ``AttributeError`` (or ``KeyError`` from a table) for another
    name.

    >>> node_column((NodeMetrics("a", "A", "s", 0.5, None, None, None, None, None, None, {},
    ...     False, None),), "dependence")
    [0.5]
    """
    if isinstance(nodes, NodeTable):
        return nodes.column(name)
    return [getattr(node, name) for node in nodes]


def _by_impact(node: NodeMetrics) -> tuple[bool, float, float, str]:
    """Known impacts first, largest first; an unknown impact never ranks above a known one."""
    return (node.impact is None, -(node.impact or 0.0), -(node.dependence or 0.0), node.id)


def _criteria_reasons(
    ks: list[int],
    figures: _CriteriaFigures,
    min_dependence: str,
    min_concentration: str,
) -> list[str]:
    """For each node of ``ks`` (one that meets at least one choke-point criterion, from
    :func:`criteria`), say which criteria held; when only one did, say why the other did not.
    The thresholds come as their texts (``50%``, ``0.40``: see :func:`_threshold_texts`),
    formatted once for all the nodes, and the nodes' figures as their texts too
    (:class:`_CriteriaFigures`, spelled a column at a time).

    When dependence holds and concentration fails only because part of the foreign supply has
    no named origin (``other`` and ``unattributed`` shares), say how concentrated it could be
    (the bound, from :func:`~chokepoint.core.metrics.import_hhi_max`) and whether that leaves
    the node a possible choke point (decided by :func:`analyze`).
    """
    f = figures
    out: list[str] = []
    append = out.append
    dep_above, dep_below = f" > {min_dependence}", f" <= {min_dependence}"
    con_above, con_below = f" > {min_concentration}", f" <= {min_concentration}"
    for k in ks:
        dep_ok, con_ok = f.dep_ok[k], f.con_ok[k]
        dep_text = f"dependence {f.dep[k]}{dep_above if dep_ok else dep_below}"
        con_text = f"import concentration (HHI) {f.con[k]}{con_above if con_ok else con_below}"
        if dep_ok and con_ok:
            append(f"{dep_text} and {con_text}")
            continue
        text = f"{dep_text} but {con_text}" if dep_ok else f"{con_text} but {dep_text}"
        other, unattributed = f.other[k], f.unattributed[k]
        unnamed = other + unattributed
        high, via = f.bound[k], f.via[k]
        if dep_ok and unnamed > 0.005 and via is not None:
            parts = [
                f"{value:.0%} {label}"
                for value, label in ((other, "`other`"), (unattributed, "unattributed"))
                if value > 0.0005
            ]
            if via == OTHER:
                where = "it all came from one economy"
            elif other > 0.0005:
                where = f"the unattributed part came from {via} and `other` from one economy"
            else:
                where = f"it all came from {via}"
            text += (
                f" counting named origins only; {unnamed:.0%} of supply has no named origin "
                f"({', '.join(parts)}): "
            )
            if f.possible[k]:
                text += (
                    f"if {where}, the HHI would be {high:.2f}, so the figures cannot rule "
                    "this node out as a choke point (origin shares for that part would settle it)"
                )
            else:
                text += f"even if {where}, the HHI would be {high:.2f} <= {min_concentration}"
        append(text)
    return out


@dataclass(frozen=True, slots=True)
class _CriteriaFigures:
    """What :func:`_criteria_reasons` says of each node, a list per figure indexed by node:
    dependence as a percentage (``72%``), import HHI with two decimals (``0.81``), the two
    criteria met, the ``other`` and unattributed shares, the HHI's bound and the origin that
    makes it, and whether the node is a possible choke point."""

    dep: list[str]
    con: list[str]
    dep_ok: list[bool]
    con_ok: list[bool]
    other: list[float]
    unattributed: list[float]
    bound: list[float]
    via: list[str | None]
    possible: list[bool]


def _percents(values: FloatArray) -> list[str]:
    """``format(v, ".0%")`` of each value, a column at a time.

    CPython formats a percentage by multiplying by 100 in floating point and rounding to an
    integer half to even, as ``np.rint`` does, so the texts are the same; negative values, NaN
    and figures above 100% are formatted one by one.

    >>> _percents(np.array([0.125, 0.135, 0.7028, 1.0, -0.001, np.nan]))
    ['12%', '14%', '70%', '100%', '-0%', 'nan%']
    """
    scaled = values * 100.0
    whole = np.rint(scaled)
    inside = np.isfinite(scaled) & ~np.signbit(scaled) & (whole <= 100)
    out = _PERCENTS[np.where(inside, whole, 0).astype(np.intp)]
    outside = np.flatnonzero(~inside)
    out[outside] = [format(v, ".0%") for v in values[outside].tolist()]
    return cast("list[str]", out.tolist())


def _hundredths(values: FloatArray) -> list[str]:
    """``format(v, ".2f")`` of each value, a column at a time.

    Formatting rounds the exact binary value half to even; ``np.rint(100 * v)`` rounds the
    product, which can differ only when the product is within rounding error of a half, so
    those values (and any outside [0, 1] or NaN) are formatted one by one.

    >>> _hundredths(np.array([0.125, 0.285, 0.81501, 1.0, 0.0, 2.5, np.nan]))
    ['0.12', '0.28', '0.82', '1.00', '0.00', '2.50', 'nan']
    """
    scaled = values * 100.0
    whole = np.rint(scaled)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, which is formatted one by one
        near_half = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6
    inside = np.isfinite(scaled) & ~np.signbit(scaled) & (whole <= 100) & ~near_half
    out = _HUNDREDTHS[np.where(inside, whole, 0).astype(np.intp)]
    outside = np.flatnonzero(~inside)
    out[outside] = [format(v, ".2f") for v in values[outside].tolist()]
    return cast("list[str]", out.tolist())


#: The texts of 0% to 100%, and of 0.00 to 1.00.
_PERCENTS = np.array([f"{k}%" for k in range(101)], dtype=object)
_HUNDREDTHS = np.array([f"{k / 100:.2f}" for k in range(101)], dtype=object)


def _threshold_texts(min_dependence: float, min_concentration: float) -> tuple[str, str]:
    """The thresholds as the reasons write them: ``50%`` and ``0.40``."""
    return f"{min_dependence:.0%}", f"{min_concentration:.2f}"


def analyze(
    chain: Chain,
    *,
    perspective: str | None = None,
    year: int | None = None,
    strict: bool = False,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Compute dependence, concentration, exposure and choke points for every node.

    The function behind ``chokepoint analyze``.

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
        Choke-point thresholds (defaults 0.5 and 0.4, after EU SWD(2021) 352): a node must
        exceed both.
    progress
        Called with (steps done, :data:`STEPS`) as the analysis goes: compiling, the direct
        metrics, exposure, impacts, the final products hit alike, the result objects.

    Returns
    -------
    Analysis

    Raises
    ------
    AnalysisError
        Bad perspective, year or thresholds, a singular exposure system, or unknown shares
        under ``strict``.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> result = analyze(load_chain("robots"))
    >>> result.node("reducers").top_supplier
    'JP'
    """
    for value, name in (
        (min_dependence, "minimum dependence"),
        (min_concentration, "minimum concentration"),
    ):
        if not 0 <= value <= 1:
            msg = f"the {name} {value} is outside [0, 1]"
            raise AnalysisError(msg)
    import gc

    from .._gc import paused

    step = progress or _no_progress
    if gc.isenabled() and len(chain.nodes) > 10_000:
        with paused():  # a large network: millions of objects, none of them garbage
            c = compile_chain(chain, perspective, year)
            step(1, STEPS)
            return analyze_compiled(c, strict, min_dependence, min_concentration, progress)
    c = compile_chain(chain, perspective, year)
    step(1, STEPS)
    return analyze_compiled(c, strict, min_dependence, min_concentration, progress)


#: The steps :func:`analyze` reports to its ``progress`` callback.
STEPS = 6


def _no_progress(done: int, total: int) -> None:
    """The ``progress`` callback that reports nothing."""


def analyze_compiled(
    c: Compiled,
    strict: bool = False,
    min_dependence: float = DEFAULT_MIN_DEPENDENCE,
    min_concentration: float = DEFAULT_MIN_CONCENTRATION,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """:func:`analyze` of a chain already compiled for a perspective and year (``progress``:
    steps 2 to :data:`STEPS`)."""
    step = progress or _no_progress
    chain = c.chain
    nodes = chain.nodes
    known = c.known
    no_shares = [c.nodes[k] for k in np.flatnonzero(~known).tolist()]
    if no_shares and strict:
        msg = (
            f"strict: no shares known for {', '.join(no_shares)}; add shares (with a source) or "
            "leave strict mode to count them as domestic"
        )
        raise AnalysisError(msg)
    assumptions = list(c.assumptions)
    no_cost_links = np.flatnonzero(~c.in_known)
    no_cost = sorted(
        f"{c.nodes[i]}->{c.nodes[u]}"
        for i, u in zip(
            c.in_src[no_cost_links].tolist(), c.in_user[no_cost_links].tolist(), strict=True
        )
    )
    if no_cost:
        assumptions.append(
            "inputs without a cost share: a total dependence or exposure that would draw on "
            f"one of them is n/a: {', '.join(no_cost)}"
        )
    direct = direct_metrics(c)
    step(2, STEPS)
    origins, x = exposure(c)
    missing = rests_on_unknown(c, x, np.repeat(~c.known[:, None], x.shape[1], axis=1))
    step(3, STEPS)
    # first: the memory of its temporaries is then reused by the objects made after it
    exposures = _exposure_dicts(c.size, origins, x, missing)
    paths = best_paths(c)
    hits = impacts(c, direct.top_share, paths)
    no_impact = unmeasurable(c, paths)
    del paths
    step(4, STEPS)
    # the criteria of every node at once, NaN (never met) where a node has no shares
    dep_all = np.where(known, direct.dependence, np.nan)
    dep_met, con_met = criteria(
        dep_all, np.where(known, direct.import_hhi, np.nan), min_dependence, min_concentration
    )
    high_met = criteria(
        dep_all, np.where(known, direct.import_hhi_max, np.nan), min_dependence, min_concentration
    )[1]
    flagged = dep_met & con_met
    possible = dep_met & ~con_met & high_met
    tied = _tied_finals(c, direct, hits, flagged)
    step(5, STEPS)
    for k in no_impact:
        hits[k] = None
    unknowns: list[dict[str, str]] = [{} for _ in range(c.size)]
    why = _MissingReasons(c, x, missing)
    for k in np.flatnonzero(missing[:, -1]).tolist():
        unknowns[k]["total_dependence"] = why(k)
    for k in np.flatnonzero(missing[:, :-1].any(axis=1)).tolist():
        unknowns[k]["exposure"] = why(k)
    for k, reason in no_impact.items():
        unknowns[k]["impact"] = reason
    stage_rank = {s: k for k, s in enumerate(chain.stages)}
    order = np.argsort(
        np.fromiter((stage_rank[n.stage] for n in nodes), np.intp, c.size), kind="stable"
    )
    rows = order.tolist()
    ordered = [nodes[k] for k in rows]

    def column(values: npt.NDArray[Any], keep: BoolArray) -> list[Any]:
        """``values`` in stage order as Python objects, None where ``keep`` is False."""
        out = values[order].astype(object)
        out[~keep[order]] = None
        return cast("list[Any]", out.tolist())

    has_top = known & (direct.top >= 0)
    pair_origin = np.array([*c.pair_origin, ""], dtype=object)
    reasons = _reasons(
        c,
        rows,
        direct,
        (dep_met, con_met, possible),
        hits,
        tied,
        no_impact,
        (min_dependence, min_concentration),
    )

    def columns() -> Iterator[list[Any]]:
        """NodeMetrics' fields in order, a column each (the :class:`NodeTable` keeps them)."""
        yield [n.id for n in ordered]
        yield [n.name for n in ordered]
        yield [n.stage for n in ordered]
        yield column(direct.dependence, known)
        yield column(direct.hhi, known)
        yield column(direct.import_hhi, known)
        yield column(pair_origin[direct.top], has_top)
        yield column(direct.top_share, has_top)
        yield column(direct.countries_to_75, known & (direct.countries_to_75 > 0))
        yield column(x[:, -1], ~missing[:, -1])
        yield _in_order(exposures, rows)
        yield flagged[order].tolist()
        yield [None if (hit := hits[k]) is None else hit[0] for k in rows]
        yield reasons
        yield [None if (hit := hits[k]) is None else hit[1] for k in rows]
        yield [n.source for n in ordered]
        yield [n.estimate for n in ordered]
        yield column(direct.import_hhi_max, known)
        yield possible[order].tolist()
        yield _in_order(list(c.node_years), rows)
        yield _in_order(unknowns, rows)
        yield [n.basis if k else None for n, k in zip(ordered, known[order].tolist(), strict=True)]

    results = NodeTable(list(columns()))
    step(STEPS, STEPS)
    return Analysis(
        chain=chain,
        perspective=c.perspective,
        year=c.year,
        nodes=results,
        assumptions=tuple(assumptions),
        min_dependence=min_dependence,
        min_concentration=min_concentration,
        finals=tuple(c.final_ids()),
    )


def _node_metrics(size: int, columns: Iterable[list[Any]]) -> tuple[NodeMetrics, ...]:
    """The ``size`` :class:`NodeMetrics` of ``columns`` (one list per field, in field order).

    The same objects as ``tuple(map(NodeMetrics, *columns))``, made a field at a time over all
    the nodes through the slots' own setters: a frozen dataclass's ``__init__`` sets each of
    its 22 fields through ``object.__setattr__``, which at 300,000 nodes costs more than the
    analysis of the figures. The objects stay frozen. ``ValueError`` when there are not as many
    columns as fields, or not as many values in each.
    """
    setters = [getattr(NodeMetrics, f.name).__set__ for f in fields(NodeMetrics)]
    new = object.__new__
    out = tuple(new(NodeMetrics) for _ in range(size))
    for setter, values in zip(setters, columns, strict=True):
        if len(values) != size:
            msg = f"{len(values)} values for the {size} nodes"
            raise ValueError(msg)
        deque(map(setter, out, values), maxlen=0)
    return out


def _in_order(values: list[Any], rows: list[int]) -> list[Any]:
    """``values`` (one per node) in the order of ``rows``."""
    return [values[k] for k in rows]


def _reasons(
    c: Compiled,
    rows: list[int],
    direct: DirectMetrics,
    met: tuple[BoolArray, BoolArray, BoolArray],
    hits: list[tuple[float, str] | None],
    tied: dict[int, list[int]],
    no_impact: dict[int, str],
    thresholds: tuple[float, float],
) -> list[tuple[str, ...]]:
    """The reasons of every node of ``rows``, in that order: the choke-point criteria
    (:func:`_criteria_reasons`; ``met``: dependence, concentration, possible choke point), then
    the impact sentence (:class:`_Sentences`; ``hits``: the impacts, None where unknown).

    Each kind of sentence is made for all the nodes that have one, a list at a time, with the
    figures spelled a column at a time (:func:`_percents`, :func:`_hundredths`): a firm-level
    network has hundreds of thousands of them."""
    nodes = c.chain.nodes
    say = _Sentences(c)
    known = cast("list[bool]", c.known.tolist())
    dep_met, con_met, possible = met
    criteria_of = np.flatnonzero(c.known & (dep_met | con_met)).tolist()
    figures = _CriteriaFigures(
        dep=_percents(direct.dependence),
        con=_hundredths(direct.import_hhi),
        dep_ok=cast("list[bool]", dep_met.tolist()),
        con_ok=cast("list[bool]", con_met.tolist()),
        other=c.other.tolist(),
        unattributed=c.unattributed.tolist(),
        bound=direct.import_hhi_max.tolist(),
        via=list(direct.hhi_max_via),
        possible=cast("list[bool]", possible.tolist()),
    )
    said = _criteria_reasons(criteria_of, figures, *_threshold_texts(*thresholds))
    criteria_texts = dict(zip(criteria_of, said, strict=True))
    # the impact sentence: a known impact, or why it is unknown, of a node with a top supplier
    tops = direct.top.tolist()
    with_top = np.flatnonzero(c.known & (direct.top >= 0)).tolist()
    hit_of = [k for k in with_top if hits[k] is not None]
    shares = _percents(direct.top_share)
    origin = c.pair_origin
    values = _percents(np.array([hit[0] for k in hit_of if (hit := hits[k]) is not None]))
    # the name of each final product, by id: what an impact sentence names
    named = {c.nodes[f]: name for f, name in zip(c.finals.tolist(), say.final_names, strict=True)}
    hardest: dict[str, str | None] = {}  # the final product a node hits hardest, as said
    items: list[tuple[Node, str, str, str, str | None]] = []
    for k, value in zip(hit_of, values, strict=True):
        hit = cast("tuple[float, str]", hits[k])
        ties = tied.get(k)
        if ties is None:
            what = hardest.get(hit[1], "")
            if what == "":
                name = named.get(hit[1]) or nodes[c.index[hit[1]]].name
                what = hardest[hit[1]] = say.what([name], checked=False)
        else:
            what = say.what([say.final_names[f] for f in ties])
        items.append((nodes[k], origin[tops[k]], shares[k], value, what))
    lines = say.impacts(items)
    impact_texts = dict(zip(hit_of, lines, strict=True))
    for k in with_top:
        if hits[k] is None and k in no_impact:
            supplies = say.supplies(nodes[k], origin[tops[k]], shares[k])
            impact_texts[k] = f"{supplies}; {no_impact[k]}"
    out: list[tuple[str, ...]] = []
    append = out.append
    criterion, impact = criteria_texts.get, impact_texts.get
    for k in rows:
        if not known[k]:
            append(())
            continue
        first, second = criterion(k), impact(k)
        if first is None:
            append(() if second is None else (second,))
        else:
            append((first,) if second is None else (first, second))
    return out


def _exposure_dicts(
    size: int, origins: list[str], x: FloatArray, missing: BoolArray
) -> list[dict[str, float | None]]:
    """Each node's non-zero exposures by origin, in origin order (from the matrix at once);
    None where the exposure rests on a missing figure."""
    rows, cols = np.nonzero((x[:, :-1] > EPS) | missing[:, :-1])
    names = np.array(origins, dtype=object)[cols].tolist()
    values = x[rows, cols]
    shown = values.astype(object)
    shown[missing[rows, cols] | np.isnan(values)] = None
    items = zip(names, shown.tolist(), strict=True)
    return [dict(islice(items, n)) for n in np.bincount(rows, minlength=size).tolist()]


class _MissingReasons:
    """Why node ``k``'s total dependence (or exposure) is n/a: the figures it would draw on.

    Made once per analysis: which nodes have a figure that is n/a, or not 0, in any column, and
    the links as lists; each node's reason is worded once (total and exposure share it).
    """

    def __init__(self, c: Compiled, x: FloatArray, missing: BoolArray) -> None:
        self.c = c
        self.known = cast("list[bool]", c.known.tolist())
        unknown_any = missing.any(axis=1)
        self.unknown_any = cast("list[bool]", unknown_any.tolist())
        self.drawn = cast("list[bool]", (unknown_any | (x > EPS).any(axis=1)).tolist())
        self.cache: dict[int, str] = {}
        self.links: tuple[list[int], list[int], list[bool], list[float]] | None = None

    def __call__(self, k: int) -> str:
        found = self.cache.get(k)
        if found is None:
            found = self.cache[k] = self._reason(k)
        return found

    def _reason(self, k: int) -> str:
        c = self.c
        if not self.known[k]:
            return "no shares known for this node"
        if self.links is None:  # the links as lists, once: slicing them costs nothing
            self.links = (
                c.in_ptr.tolist(),
                c.in_src.tolist(),
                cast("list[bool]", c.in_known.tolist()),
                c.in_cost.tolist(),
            )
        ptr, src, in_known, in_cost = self.links
        no_cost: list[str] = []
        unknown_inputs: list[str] = []
        a, b = ptr[k], ptr[k + 1]
        for i, known, cost in zip(src[a:b], in_known[a:b], in_cost[a:b], strict=True):
            if not known and self.drawn[i]:
                no_cost.append(f"{c.nodes[i]}->{c.nodes[k]}")
            elif known and cost > 0 and self.unknown_any[i]:
                unknown_inputs.append(c.nodes[i])
        parts = []
        if no_cost:
            parts.append(f"inputs without a cost share ({', '.join(no_cost)})")
        if unknown_inputs:
            parts.append(f"inputs whose own figure is n/a ({', '.join(unknown_inputs)})")
        return "rests on " + " and on ".join(parts) if parts else "rests on a missing figure"


def _tied_finals(
    c: Compiled,
    direct: DirectMetrics,
    hits: list[tuple[float, str] | None],
    flagged: BoolArray,
) -> dict[int, list[int]]:
    """The final products hit alike by each node's impact scenario (see
    :func:`~chokepoint.core.chokepoints.impact_finals`; positions index ``c.finals``).

    One propagation of the chain per node: every node while that stays within
    :data:`_TIES_CELLS` (nodes x scenarios), else the choke points (``flagged``) first, largest
    impact first, then the other nodes by impact, up to that budget. The others' sentences say
    that other final products may be hit alike. ``hits``: each node's impact and final product
    by position (:func:`~chokepoint.core.chokepoints.impacts`), None where it has none."""
    candidates = [k for k, hit in enumerate(hits) if hit is not None]
    budget = max(1, _TIES_CELLS // max(c.size, 1))
    if len(candidates) > budget:
        rows = np.asarray(candidates, dtype=np.intp)
        value = np.array([hit[0] for hit in hits if hit is not None], dtype=np.float64)
        # a stable sort: choke points first, then the largest impact, then chain order
        candidates = rows[np.lexsort((-value, ~flagged[rows]))[:budget]].tolist()
    rows = np.asarray(sorted(candidates), dtype=np.intp)
    found = impact_finals(c, np.asarray(direct.top, dtype=np.intp), rows)
    where = {f: j for j, f in enumerate(c.finals.tolist())}
    return {n: [where[f] for f in fs] for n, fs in found.items()}


#: Cells (nodes x scenarios) of the propagations that find the final products hit alike.
_TIES_CELLS = 1 << 22


class _Sentences:
    """The wording of the impact sentences of one compiled chain; the parts that depend on the
    chain alone (its market, the perspective, the final products' names) are made once."""

    def __init__(self, c: Compiled) -> None:
        self.perspective = who = c.perspective
        self.is_global = c.chain.is_global
        self.market = "world supply" if self.is_global else f"{who}'s market"
        nodes = c.chain.nodes
        self.final_names = [nodes[f].name for f in c.finals.tolist()]
        if self.is_global:
            self.to = f" to {who}"
            self.where = f"available to {who} (sourced at world shares)"
        else:
            self.to = ""
            self.where = f"in {who}'s market"

    def supplies(self, node: Node, top: str, share: str) -> str:
        """ "JP supplies 61% of CN's market for reducers", or on the ownership basis "firms
        based in JP supply 61% of CN's market for reducers (their production in CN
        included)" (``share``: the percentage as text)."""
        if node.basis == "ownership":
            return (
                f"firms based in {top} supply {share} of {self.market} for {node.name} (their "
                f"production in {self.perspective} included)"
            )
        return f"{top} supplies {share} of {self.market} for {node.name}"

    def what(self, labels: list[str], checked: bool = True) -> str | None:
        """The final products an impact sentence names (``labels``; ``checked``: the ties were
        looked for, else the one named may not be the only one); None when there is none."""
        if not labels:
            return None
        if len(labels) == 1:
            if checked:
                return labels[0]
            return f"{labels[0]} (the hardest hit; other final products may be hit alike)"
        if len(labels) <= 3:
            return "each of " + ", ".join(labels[:-1]) + f" and {labels[-1]}"
        return f"each of {len(labels)} final products (e.g. {labels[0]}, {labels[1]})"

    def impacts(self, items: Iterable[tuple[Node, str, str, str, str | None]]) -> list[str]:
        """ "JP supplies 65% of CN's market for reducers; if JP stops supplying it, the supply
        of robots in CN's market falls by 61%", for each ``(node, top supplier, its share, the
        fall, the final products hit)`` (share and fall as percentage texts; the products as
        :meth:`what` names them, None when there is none)."""
        who = self.perspective
        supplies = self.supplies
        to, where = self.to, self.where
        out: list[str] = []
        append = out.append
        for node, top, share, value, what in items:
            said = supplies(node, top, share)
            stops = f"{top}'s firms stop" if node.basis == "ownership" else f"{top} stops"
            if what is not None:
                append(
                    f"{said}; if {stops} supplying it{to}, the supply of {what} {where} falls by {value}"
                )
            elif self.is_global:
                append(
                    f"{said}; if {stops} supplying it to {who}, the supply of no final "
                    f"product available to {who} falls (0%)"
                )
            else:
                append(
                    f"{said}; if {stops} supplying it, the supply of no final product in "
                    f"{who}'s market falls (0%)"
                )
        return out
