r"""The compiled form of a chain: arrays for one perspective and one year, built once.

Every computation of :mod:`chokepoint.core` (direct metrics, exposure, both loss models,
choke-point impacts, batches of scenarios, Monte Carlo) reads a chain through a
:class:`Compiled` value and nothing else. It holds:

* **nodes** in chain order (node ``k`` is ``chain.nodes[k]``), with each node's origin split for
  the perspective (:class:`OriginSplit`: domestic share :math:`s_n(P)`, named foreign shares,
  ``other``, unattributed remainder), its substitutability :math:`\sigma_n`;
* **inputs** in compressed-sparse-row form grouped by the node that uses them, in the order of
  its ``inputs`` (link ``e`` of node ``n``, ``in_ptr[n] <= e < in_ptr[n + 1]``, brings input
  ``in_src[e]`` with cost share ``in_cost[e]``, 0 when unknown, and flag ``in_essential[e]``),
  and the same links grouped by input (``out_ptr``, ``out_links``);
* **the cuttable pairs**: every named foreign origin of every node (pair ``p`` is origin
  ``pair_origin[p]`` at node ``pair_row[p]`` with share ``pair_share[p]``; node ``n``'s pairs are
  ``pair_ptr[n]`` to ``pair_ptr[n + 1] - 1``);
* **the order of computation**: the strongly connected components of the input graph grouped by
  *generation* (a component's generation is one more than the highest of its inputs'), the
  acyclic nodes of each generation in ``by_generation`` and the components with a cycle (several
  nodes, or a self-input) in ``cyclic``, inputs first.

A step of every algorithm treats one generation at once, over all its nodes and links and over
all the scenarios of a batch (columns of a ``nodes x S`` matrix); cyclic components are solved
or iterated on their own. Strongly connected components come from
``scipy.sparse.csgraph.connected_components`` when scipy is installed and from networkx's
``strongly_connected_components`` otherwise, on the cyclic core only.

References
----------
.. [1] Tarjan, R. (1972), "Depth-first search and linear graph algorithms", *SIAM Journal on
       Computing* 1(2), 146-160.
.. [2] Kahn, A. B. (1962), "Topological sorting of large networks", *Communications of the ACM*
       5(11), 558-562.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain as concat
from itertools import islice
from operator import attrgetter
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from ..countries import (
    STANDARD_REGIONS,
    is_country,
    region_source,
    standard_region,
    suggest_country,
)
from ..errors import AnalysisError
from ..model import OTHER, Chain, Node

__all__ = [
    "CHUNK",
    "BoolArray",
    "Compiled",
    "Supply",
    "FloatArray",
    "IntArray",
    "OriginSplit",
    "compile_chain",
    "region_members",
    "resolve_perspective",
    "share_regions",
    "standard_note",
    "split_shares",
    "strong_components",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

_OTHER_BASIS = {"location": "ownership", "ownership": "location"}
#: Cells (rows x columns) of a working matrix built at once; bounds the memory of a step.
CHUNK = 1 << 22


@dataclass(frozen=True, slots=True)
class OriginSplit:
    """A node's supply split from the perspective's point of view.

    ``domestic`` is :math:`s_n(P)` (the perspective's key plus, for a region, its members);
    ``foreign`` the named foreign origins, in the order of the chain file; ``other`` the
    known-foreign unnamed share; ``unattributed`` the remainder. ``known`` is False for a node
    without shares, which counts as fully domestic in propagation.
    """

    domestic: float
    foreign: Mapping[str, float]
    other: float
    unattributed: float
    known: bool = True

    @property
    def dependence(self) -> float:
        r"""Import dependence :math:`D_n = 1 - s_n(P)`."""
        return 1.0 - self.domestic


def split_shares(shares: Mapping[str, float] | None, domestic_keys: Collection[str]) -> OriginSplit:
    r"""Split origin shares into domestic, named foreign, ``other`` and unattributed parts.

    Shares that sum above 1 (the loader accepts up to ``1 + SUM_TOLERANCE``, for rounding in the
    sources) are first divided by their sum, so that every metric obeys
    :math:`0 \le \mathrm{HHI}^{imp} \le 1` and :math:`\sum_c X(c) \le T \le 1`.

    Examples
    --------
    >>> s = split_shares({"CN": 0.28, "JP": 0.65, "other": 0.05}, {"CN"})
    >>> round(s.dependence, 2), dict(s.foreign), round(s.unattributed, 2)
    (0.72, {'JP': 0.65}, 0.02)
    >>> s = split_shares({"US": 0.497, "JP": 0.306, "KR": 0.2}, {"US"})  # sum 1.003
    >>> round(s.dependence, 6)  # (0.306 + 0.2) / 1.003
    0.504487
    """
    return _Splits(**_origin_table([shares], domestic_keys, totals=False))[0]


def _stable_order(keys: IntArray, bound: int) -> IntArray:
    """``np.argsort(keys, kind="stable")`` for integer keys from 0 to ``bound - 1``.

    Sorts the values ``keys * n + position`` (distinct, so their order is unique and is the
    stable order of ``keys``) and keeps the positions: a sort of values instead of a merge
    sort of indices, 5 to 10 times faster at a million keys (measured).

    >>> _stable_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 4, 3, 0, 2]
    """
    n = int(keys.size)
    if n < 2 or bound * n >= 1 << 62:
        return np.argsort(keys, kind="stable").astype(np.intp)
    combined = keys.astype(np.int64) * n + np.arange(n, dtype=np.int64)
    combined.sort()
    combined %= n
    return combined.astype(np.intp)


def _row_sums(ptr: IntArray, values: FloatArray) -> FloatArray:
    """Each row's values (row ``r``: ``values[ptr[r]:ptr[r + 1]]``) added one by one, left to
    right, as Python's ``sum`` does (numpy's ``add.reduceat`` groups them differently, which
    could move the last bit): one vectorised step per position, over the rows that long.

    >>> _row_sums(np.array([0, 3, 3, 4]), np.array([0.1, 0.2, 0.3, 5.0])).tolist()
    [0.6000000000000001, 0.0, 5.0]
    """
    counts = np.diff(ptr)
    out = np.zeros(counts.size, dtype=np.float64)
    if not counts.size:
        return out
    most = int(counts.max())
    order = _stable_order(most - counts, most + 1)  # longest rows first: those of a step lead
    longest = counts[order]
    starts = ptr[:-1][order]
    total = np.zeros(counts.size, dtype=np.float64)
    for j in range(int(longest[0])):
        live = int(np.searchsorted(-longest, -j, side="left"))  # the rows longer than j
        total[:live] += values[starts[:live] + j]
    out[order] = total
    return out


def _origin_table(
    shares: Sequence[Mapping[str, float] | None],
    domestic_keys: Collection[str],
    totals: bool = True,
) -> dict[str, Any]:
    r"""The origin split of every node at once (the formula of :func:`split_shares`).

    For node :math:`n` with shares :math:`s_n(c)` summing to :math:`t_n`: shares are divided
    by :math:`t_n` when :math:`t_n > 1`; the domestic share is :math:`\min(1, \sum_{c \in P}
    s_n(c))`, ``other`` is :math:`s_n(\mathrm{other})`, the unattributed remainder
    :math:`\max(0, 1 - \sum_c s_n(c))`, and every other origin a named foreign pair, in the
    order of the node's shares. A node without shares (None) is domestic, ``known`` False.
    Returns the arrays of :class:`Supply` (and, with ``totals``, :math:`t_n` as ``total``).
    """
    size = len(shares)
    given = [s for s in shares if s is not None]
    known = np.fromiter((s is not None for s in shares), np.bool_, size)
    counts = np.zeros(size, dtype=np.intp)
    counts[known] = np.fromiter(map(len, given), np.intp, len(given))
    ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(counts, out=ptr[1:])
    keys = list(concat.from_iterable(given))
    values = np.fromiter(concat.from_iterable(s.values() for s in given), np.float64, len(keys))
    codes = {k: j for j, k in enumerate(dict.fromkeys(keys))}
    ids = np.fromiter(map(codes.__getitem__, keys), np.intp, len(keys))
    return _origin_arrays(known, ptr, ids, list(codes), values, domestic_keys, totals)


def _origin_arrays(
    known: BoolArray,
    ptr: IntArray,
    ids: IntArray,
    origins: Sequence[str],
    values: FloatArray,
    domestic_keys: Collection[str],
    totals: bool = True,
) -> dict[str, Any]:
    """:func:`_origin_table` of shares given as arrays: node ``n`` has shares when ``known[n]``,
    and they are ``origins[ids[j]]: values[j]`` for ``j`` from ``ptr[n]`` to ``ptr[n + 1] - 1``."""
    size = known.size
    counts = np.diff(ptr)
    home = np.fromiter((k in domestic_keys for k in origins), np.bool_, len(origins))[ids]
    other_key = np.fromiter((k == OTHER for k in origins), np.bool_, len(origins))[ids]
    row = np.repeat(np.arange(size, dtype=np.intp), counts)
    total = _row_sums(ptr, values)
    over = (total > 1.0)[row]
    scaled = np.divide(values, total[row], out=values.copy(), where=over)
    domestic = np.minimum(_row_sums(ptr, np.where(home, scaled, 0.0)), 1.0)
    domestic[~known] = 1.0
    other = np.zeros(size, dtype=np.float64)
    other[row[other_key]] = scaled[other_key]
    unattributed = np.where(known, np.maximum(0.0, 1.0 - _row_sums(ptr, scaled)), 0.0)
    foreign = ~home & ~other_key
    pair_row = row[foreign]
    pair_ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.bincount(pair_row, minlength=size), out=pair_ptr[1:])
    fields: dict[str, Any] = {
        "known": known,
        "domestic": domestic,
        "other": other,
        "unattributed": unattributed,
        "pair_origin": tuple(np.array(origins, dtype=object)[ids[foreign]].tolist()),
        "pair_row": pair_row,
        "pair_share": scaled[foreign],
        "pair_ptr": pair_ptr,
    }
    if totals:
        fields["total"] = total
    return fields


class _Splits(Sequence[OriginSplit]):
    """The origin splits of a table of nodes (:func:`_origin_table`), each made when asked for:
    a network of a million links needs its arrays, not 300,000 objects."""

    __slots__ = (
        "domestic",
        "known",
        "other",
        "pair_origin",
        "pair_ptr",
        "pair_share",
        "unattributed",
    )

    def __init__(
        self,
        known: BoolArray,
        domestic: FloatArray,
        other: FloatArray,
        unattributed: FloatArray,
        pair_origin: tuple[str, ...],
        pair_row: IntArray,
        pair_share: FloatArray,
        pair_ptr: IntArray,
    ) -> None:
        del pair_row  # implied by pair_ptr
        self.known, self.domestic, self.other = known, domestic, other
        self.unattributed, self.pair_origin = unattributed, pair_origin
        self.pair_share, self.pair_ptr = pair_share, pair_ptr

    def __len__(self) -> int:
        return int(self.known.size)

    @overload
    def __getitem__(self, k: int) -> OriginSplit: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[OriginSplit, ...]: ...

    def __getitem__(self, k: int | slice) -> OriginSplit | tuple[OriginSplit, ...]:
        if isinstance(k, slice):
            return tuple(self[j] for j in range(*k.indices(len(self))))
        k = range(len(self))[k]  # negative positions, and IndexError past the end
        a, b = int(self.pair_ptr[k]), int(self.pair_ptr[k + 1])
        return self._split(
            k, dict(zip(self.pair_origin[a:b], self.pair_share[a:b].tolist(), strict=True))
        )

    def _split(self, k: int, foreign: dict[str, float]) -> OriginSplit:
        if not self.known[k]:
            return OriginSplit(1.0, {}, 0.0, 0.0, known=False)
        return OriginSplit(
            float(self.domestic[k]), foreign, float(self.other[k]), float(self.unattributed[k])
        )

    def __iter__(self) -> Iterator[OriginSplit]:
        shares = iter(self.pair_share.tolist())
        origins = iter(self.pair_origin)
        for k, count in enumerate(np.diff(self.pair_ptr).tolist()):
            yield self._split(
                k, dict(zip(islice(origins, count), islice(shares, count), strict=True))
            )


def region_members(chain: Chain, name: str) -> tuple[str, ...] | None:
    """The member countries of region ``name``: the chain's own ``regions`` first, then the
    standard regions (:data:`chokepoint.countries.STANDARD_REGIONS`); None for a country or an
    unknown name.

    Raises
    ------
    RegionsUnavailableError
        For a standard region when country_converter is not installed.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> region_members(load_chain("robots"), "EUROPE")
    ('DE', 'CH', 'SK')
    >>> region_members(load_chain("robots"), "G7")
    ('CA', 'DE', 'FR', 'GB', 'IT', 'JP', 'US')
    """
    if name in chain.regions:
        return tuple(chain.regions[name])
    return standard_region(name)


def standard_note(name: str) -> str:
    """Where a standard region's members come from, for a result's assumptions.

    >>> standard_note("G7")
    'G7 (Group of Seven): CA, DE, FR, GB, IT, JP, US, as in country_converter ...'
    """
    members = standard_region(name) or ()
    shown = ", ".join(members) if len(members) <= 10 else f"{len(members)} countries"
    return f"{name} ({STANDARD_REGIONS[name][1]}): {shown}, as in {region_source()}"


def share_regions(chain: Chain) -> dict[str, list[str]]:
    """The regions used as share keys (one origin each), with the nodes that use them."""
    used: dict[str, list[str]] = {}
    regions = set(chain.regions)
    if not regions:
        return used
    for node in chain.nodes:
        keys = regions.intersection(node.shares or ()).union(
            *(regions.intersection(h) for h in node.history.values())
        )
        for key in sorted(keys):
            used.setdefault(key, []).append(node.id)
    return used


def resolve_perspective(
    chain: Chain, perspective: str | None
) -> tuple[str, frozenset[str], list[str]]:
    """Check a perspective choice; return it, its domestic keys and the assumptions it implies.

    The domestic keys are the perspective's code, its members when it is a region (of the chain,
    or a standard one), and every region used as a share key whose members all lie inside the
    perspective. A share-key region that lies partly inside counts as foreign, and an assumption
    says so: the chain does not give its members' parts.

    Raises
    ------
    AnalysisError
        For an unknown code, or another economy on a chain that describes one economy's market.
    RegionsUnavailableError
        For a standard region when country_converter is not installed.
    """
    who = perspective or chain.perspective
    members = () if is_country(who) else region_members(chain, who)
    if members is None:
        guess = suggest_country(who, (*chain.regions, *STANDARD_REGIONS))
        hint = f"; did you mean '{guess}'?" if guess else ""
        msg = (
            f"unknown perspective '{who}'{hint} (an ISO 3166-1 alpha-2 code, a region of the "
            f"chain or a standard region: {', '.join(STANDARD_REGIONS)})"
        )
        raise AnalysisError(msg)
    if who != chain.perspective and not chain.is_global:
        msg = (
            f"chain '{chain.name}' gives shares of {chain.perspective}'s own market; they say nothing "
            f"about {who}'s market, so the perspective {who} is refused (only chains with "
            "`market: global` describe world shares that any economy can be measured against)"
        )
        raise AnalysisError(msg)
    inside = frozenset((who, *members))
    keys = set(inside)
    assumptions: list[str] = []
    if members and who not in chain.regions:
        assumptions.append(standard_note(who))
    for region, used in share_regions(chain).items():
        if region == who:
            continue
        within = set(chain.regions[region])
        if within <= inside:
            keys.add(region)
            if within != inside:
                assumptions.append(
                    f"region {region} ({', '.join(sorted(within))}) lies inside {who} and counts "
                    f"as domestic at {', '.join(used)}"
                )
        elif within & inside:
            overlap = ", ".join(sorted(within & inside))
            what = who if who in within else f"{overlap}, inside {who},"
            assumptions.append(
                f"region {region} includes {what} but is counted as foreign at "
                f"{', '.join(used)}: the chain does not give the part of {overlap} in it"
            )
    return who, frozenset(keys), assumptions


def _resolve_year(chain: Chain, year: int | None) -> tuple[int, list[str]]:
    """Check a year choice; return the year used and the nodes without figures for it."""
    if year is None or year == chain.year:
        return chain.year, []
    covered = [n.id for n in chain.nodes if year in n.history]
    if not covered:
        years = sorted({y for n in chain.nodes for y in n.history} | {chain.year})
        msg = (
            f"chain '{chain.name}' has no figures for {year}; years with figures: "
            f"{', '.join(map(str, years))}"
        )
        raise AnalysisError(msg)
    missing = [n.id for n in chain.nodes if n.shares is not None and year not in n.history]
    return year, missing


def _node_years(nodes: Sequence[Node], year: int, chain_year: int) -> tuple[int | None, ...]:
    """The year of the shares used for each node (None: the node has no shares)."""
    return tuple(
        year if year in n.history else (None if n.shares is None else n.year or chain_year)
        for n in nodes
    )


def _cost_shares(
    in_ptr: IntArray, in_user: IntArray, raw: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """The cost share of every link (0 where unknown, NaN in ``raw``) and whether it is known;
    each node's are divided by their sum when it exceeds 1 (within the loader's tolerance), so
    that total dependence stays at most 1."""
    known = ~np.isnan(raw)
    raw[~known] = 0.0
    total = _row_sums(in_ptr, raw)
    scale = np.ones(total.size, dtype=np.float64)
    np.divide(1.0, total, out=scale, where=total > 1.0)
    return np.where(known, raw * scale[in_user], 0.0), known


def _gather(ptr: IntArray, rows: IntArray) -> IntArray:
    """The positions ``ptr[r] .. ptr[r + 1] - 1`` of every row ``r`` in ``rows``, concatenated."""
    starts = ptr[rows]
    counts = ptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(total, dtype=np.intp)


def _levels(size: int, src: IntArray, dst: IntArray, order: IntArray | None = None) -> IntArray:
    """Longest-path level of every node (Kahn's algorithm [2]_, one level at a time).

    Nodes on or downstream of a cycle are never reached and get -1. ``order`` is
    ``np.argsort(src, kind="stable")`` when already known.
    """
    level = np.full(size, -1, dtype=np.intp)
    indegree = np.bincount(dst, minlength=size).astype(np.intp)
    if order is None:
        order = _stable_order(src, size)
    targets = dst[order]
    ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.bincount(src, minlength=size), out=ptr[1:])
    frontier = np.flatnonzero(indegree == 0)
    step = 0
    while frontier.size:
        level[frontier] = step
        reached = targets[_gather(ptr, frontier)]
        if not reached.size:
            break
        hit, count = np.unique(reached, return_counts=True)
        indegree[hit] -= count
        frontier = hit[indegree[hit] == 0]
        step += 1
    return level


def strong_components(size: int, src: IntArray, dst: IntArray) -> IntArray:
    """A component label for every node; nodes share a label when they lie on a common cycle.

    ``scipy.sparse.csgraph.connected_components(connection="strong")`` when scipy is installed
    (the ``fast`` extra), else networkx's ``strongly_connected_components`` [1]_: the same
    partition, labels may differ.

    >>> labels = strong_components(4, np.array([0, 1, 2]), np.array([1, 0, 3]))
    >>> bool(labels[0] == labels[1]), bool(labels[2] == labels[3])
    (True, False)
    """
    try:
        from scipy.sparse import csr_array  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from scipy.sparse.csgraph import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            connected_components,
        )
    except ImportError:
        import networkx as nx

        graph: nx.DiGraph[int] = nx.DiGraph()
        graph.add_nodes_from(range(size))
        graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
        labels = np.empty(size, dtype=np.intp)
        for label, members in enumerate(nx.strongly_connected_components(graph)):
            labels[list(members)] = label
        return labels
    matrix = csr_array(
        (np.ones(len(src), dtype=np.int8), (src, dst)), shape=(size, size), dtype=np.int8
    )
    _, found = connected_components(matrix, directed=True, connection="strong")
    return np.asarray(found, dtype=np.intp)


def _condense(
    size: int, src: IntArray, dst: IntArray, order: IntArray
) -> tuple[IntArray, tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Generation of every node's component, and the cyclic components with their generations
    (``order``: the links sorted by ``src``, stably)."""
    generation = _levels(size, src, dst, order)
    if not size or generation.min() >= 0:
        return generation, (), ()
    # Nodes never reached lie on a cycle or downstream of one. Trim, from the other end, those
    # that reach no cycle: what remains is the cyclic core, the only part that needs components.
    rest = generation < 0
    inside = rest[src] & rest[dst]
    back = _levels(size, dst[inside], src[inside])
    core = rest & (back < 0)
    label = np.arange(size, dtype=np.intp)
    nodes = np.flatnonzero(core)
    if nodes.size:
        local = np.full(size, -1, dtype=np.intp)
        local[nodes] = np.arange(nodes.size, dtype=np.intp)
        keep = core[src] & core[dst]
        parts = strong_components(nodes.size, local[src[keep]], local[dst[keep]])
        label[nodes] = size + parts
    _, label = np.unique(label, return_inverse=True)
    label = label.astype(np.intp).reshape(-1)
    count = int(label.max()) + 1
    between = label[src] != label[dst]
    level = _levels(count, label[src[between]], label[dst[between]])
    generation = level[label]
    sizes = np.bincount(label, minlength=count)
    looped = np.zeros(count, dtype=np.bool_)
    looped[label[src[src == dst]]] = True
    cyclic_labels = np.flatnonzero((sizes > 1) | looped)
    if not cyclic_labels.size:
        return generation, (), ()
    members: dict[int, list[int]] = {int(c): [] for c in cyclic_labels}
    for n in np.flatnonzero(np.isin(label, cyclic_labels)).tolist():
        members[int(label[n])].append(n)
    ordered = sorted(members.values(), key=lambda m: (int(level[label[m[0]]]), m[0]))
    return (
        generation,
        tuple(tuple(m) for m in ordered),
        tuple(int(level[label[m[0]]]) for m in ordered),
    )


@dataclass(frozen=True, slots=True, eq=False)
class Supply:
    """Where each node's supply comes from: origin splits and the cuttable (origin, node) pairs.

    Pair ``p`` is origin ``pair_origin[p]`` at node ``pair_row[p]`` with share ``pair_share[p]``;
    node ``n``'s pairs are ``pair_ptr[n]`` to ``pair_ptr[n + 1] - 1``, in the order of its shares.
    """

    nodes: tuple[str, ...]
    splits: Sequence[OriginSplit]
    known: BoolArray
    domestic: FloatArray
    other: FloatArray
    unattributed: FloatArray
    pair_origin: tuple[str, ...]
    pair_row: IntArray
    pair_share: FloatArray
    pair_ptr: IntArray

    @classmethod
    def of(cls, nodes: tuple[str, ...], splits: tuple[OriginSplit, ...]) -> Supply:
        """The table of ``splits`` (one per node of ``nodes``).

        >>> s = Supply.of(("a",), (split_shares({"CN": 0.3, "JP": 0.5, "US": 0.2}, {"CN"}),))
        >>> s.pair_origin, s.pair_share.tolist(), s.pair_ptr.tolist()
        (('JP', 'US'), [0.5, 0.2], [0, 2])
        """
        return cls(**_supply_fields(nodes, splits))

    @property
    def size(self) -> int:
        """The number of nodes."""
        return len(self.nodes)

    def reduce_pairs(self, values: FloatArray) -> FloatArray:
        """Sum ``pairs x S`` values over each node's pairs: a ``nodes x S`` matrix."""
        out = np.zeros((self.size, values.shape[1]), dtype=np.float64)
        rows = np.flatnonzero(np.diff(self.pair_ptr))
        if rows.size:
            out[rows] = np.add.reduceat(values, self.pair_ptr[rows], axis=0)
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Compiled(Supply):
    """A chain as arrays for one perspective and year; see the module docstring."""

    chain: Chain
    perspective: str
    domestic_keys: frozenset[str]
    year: int
    assumptions: tuple[str, ...]
    node_years: tuple[int | None, ...]
    index: Mapping[str, int]
    substitutability: FloatArray
    in_ptr: IntArray
    in_src: IntArray
    in_user: IntArray
    in_cost: FloatArray
    in_known: BoolArray
    in_essential: BoolArray
    out_ptr: IntArray
    out_links: IntArray
    by_generation: tuple[IntArray, ...]
    cyclic: tuple[tuple[int, ...], ...]
    cyclic_generation: tuple[int, ...]
    finals: IntArray

    def origins(self) -> list[str]:
        """The named foreign origins of every node, sorted."""
        return sorted(set(self.pair_origin))

    def members(self, origin: str) -> frozenset[str]:
        """The share keys a cut of ``origin`` reaches: itself; for a region (of the chain or a
        standard one, :func:`region_members`), its members; and every region of the chain whose
        members all lie inside them (a cut of ``OECD`` reaches ``EUROPE: [DE, CH, SK]``).

        >>> from chokepoint import load_chain
        >>> c = compile_chain(load_chain("robots"))
        >>> sorted(c.members("OECD") & {"EUROPE", "JP", "DE"}), "EUROPE" in c.members("G7")
        (['DE', 'EUROPE', 'JP'], False)
        """
        inside = set(region_members(self.chain, origin) or ())
        within = (
            r
            for r, members in self.chain.regions.items()
            if inside and r != origin and members and set(members) <= inside
        )
        return frozenset((origin, *inside, *within))

    def final_ids(self) -> list[str]:
        """The final products (nodes that feed no node but themselves), in chain order."""
        return [self.nodes[f] for f in self.finals.tolist()]

    def chunks(self, rows: IntArray, width: int) -> Iterator[IntArray]:
        """Split ``rows`` so that a step's working matrix stays within :data:`CHUNK` cells."""
        if not rows.size:
            return
        cells = np.cumsum(self.in_ptr[rows + 1] - self.in_ptr[rows] + 1) * max(width, 1)
        start = 0
        while start < rows.size:
            limit = (cells[start - 1] if start else 0) + CHUNK
            stop = max(start + 1, int(np.searchsorted(cells, limit, side="right")))
            yield rows[start:stop]
            start = stop

    def walk(
        self,
        width: int,
        rows_step: Callable[[IntArray], None],
        cycle_step: Callable[[tuple[int, ...]], None],
        only: BoolArray | None = None,
    ) -> None:
        """Visit the chain inputs first: each generation's acyclic nodes in chunks of rows
        (``rows_step``), then that generation's cyclic components one at a time; with ``only``
        (a nodes mask), the marked nodes and the components holding one of them only."""
        pending = list(zip(self.cyclic, self.cyclic_generation, strict=True))
        at = 0
        for g, rows in enumerate(self.by_generation):
            for chunk in self.chunks(rows if only is None else rows[only[rows]], width):
                rows_step(chunk)
            while at < len(pending) and pending[at][1] == g:
                members = pending[at][0]
                if only is None or only[list(members)].any():
                    cycle_step(members)
                at += 1

    def downstream(self, seeds: BoolArray) -> BoolArray:
        """The nodes marked in ``seeds`` and every node that uses one of them, directly or not.

        A breadth-first walk over the links grouped by input (``out_ptr``, ``out_links``),
        one frontier at a time: O(nodes + links) at most.

        >>> from chokepoint import load_chain
        >>> c = compile_chain(load_chain("robots"))
        >>> seeds = np.zeros(c.size, dtype=np.bool_)
        >>> seeds[c.index["reducers"]] = True
        >>> sorted(c.nodes[n] for n in np.flatnonzero(c.downstream(seeds)))[:3]
        ['automotive', 'electronics', 'metal-machinery']
        """
        mask = np.array(seeds, dtype=np.bool_, copy=True)
        frontier = np.flatnonzero(mask)
        while frontier.size:
            users = self.in_user[self.out_links[_gather(self.out_ptr, frontier)]]
            users = users[~mask[users]]
            mask[users] = True
            frontier = np.unique(users)
        return mask

    def reduce_inputs(
        self,
        ufunc: np.ufunc,
        rows: IntArray,
        first: FloatArray,
        term: Callable[[IntArray], FloatArray],
    ) -> FloatArray:
        """``ufunc.reduce([first_r, term(link) for each input link of r])`` for every row ``r``.

        ``first`` is ``len(rows) x S``; ``term`` maps link positions to their ``links x S``
        values. One ``reduceat`` over all the rows at once.
        """
        links = _gather(self.in_ptr, rows)
        counts = self.in_ptr[rows + 1] - self.in_ptr[rows]
        starts = np.cumsum(counts + 1) - (counts + 1)
        stacked = np.empty((rows.size + links.size, first.shape[1]), dtype=np.float64)
        stacked[starts] = first
        if links.size:
            place = np.repeat(starts + 1 - (np.cumsum(counts) - counts), counts)
            stacked[place + np.arange(links.size, dtype=np.intp)] = term(links)
        out: FloatArray = ufunc.reduceat(stacked, starts, axis=0)
        return out


def _supply_fields(nodes: tuple[str, ...], splits: tuple[OriginSplit, ...]) -> dict[str, Any]:
    size = len(splits)
    pair_origin = tuple(c for s in splits for c in s.foreign)
    pair_ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.fromiter((len(s.foreign) for s in splits), np.intp, size), out=pair_ptr[1:])
    return {
        "nodes": nodes,
        "splits": splits,
        "known": np.fromiter((s.known for s in splits), np.bool_, size),
        "domestic": np.fromiter((s.domestic for s in splits), np.float64, size),
        "other": np.fromiter((s.other for s in splits), np.float64, size),
        "unattributed": np.fromiter((s.unattributed for s in splits), np.float64, size),
        "pair_origin": pair_origin,
        "pair_row": np.repeat(np.arange(size, dtype=np.intp), np.diff(pair_ptr)),
        "pair_share": np.fromiter(
            (v for s in splits for v in s.foreign.values()), np.float64, len(pair_origin)
        ),
        "pair_ptr": pair_ptr,
    }


def compile_chain(
    chain: Chain, perspective: str | None = None, year: int | None = None
) -> Compiled:
    """Compile ``chain`` for ``perspective`` (default: the chain's) and ``year`` (default: its own).

    Raises
    ------
    AnalysisError
        For an unknown or refused perspective, or a year without figures.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> k = c.index["reducers"]
    >>> c.perspective, c.year, float(c.domestic[k]), c.pair_origin[c.pair_ptr[k] : c.pair_ptr[k + 1]]
    ('CN', 2018, 0.28, ('JP',))
    """
    who, keys, assumptions = resolve_perspective(chain, perspective)
    used_year, missing = _resolve_year(chain, year)
    arrays = chain.arrays
    if arrays is not None and arrays.share_known is not None:  # no history: each node's shares
        years = map(attrgetter("year"), chain.nodes)
        known = arrays.share_known.tolist()
        node_years = tuple(
            y or chain.year if k else None for k, y in zip(known, years, strict=True)
        )
    else:
        node_years = _node_years(chain.nodes, used_year, chain.year)
    if missing:
        by_year: dict[int, list[str]] = {}
        for node in chain.nodes:
            if node.id in missing:
                by_year.setdefault(node.year or chain.year, []).append(node.id)
        used = "; ".join(f"{y} for {', '.join(ids)}" for y, ids in sorted(by_year.items()))
        assumptions.append(
            f"{len(missing)} node(s) have no figures for {used_year}; the figures of another "
            f"year were used: {used}"
        )
    nodes = tuple(map(attrgetter("id"), chain.nodes))
    index = dict(zip(nodes, range(len(nodes)), strict=True))
    if arrays is not None and arrays.share_known is not None:
        table = _origin_arrays(
            np.array(arrays.share_known, dtype=np.bool_),  # a copy: the Compiled's own
            arrays.share_ptr,
            arrays.share_origin,
            arrays.origins,
            arrays.share_value,
            keys,
        )
    else:
        table = _origin_table([n.shares_for(used_year) for n in chain.nodes], keys)
    total = table.pop("total")
    heavy = np.flatnonzero(total > 1.0 + 1e-9)
    above = [
        f"{nodes[k]} ({t:.4g})" for k, t in zip(heavy.tolist(), total[heavy].tolist(), strict=True)
    ]
    del total
    if above:
        assumptions.append(
            "shares summing above 1 (within the loader's tolerance) were divided by their sum: "
            + ", ".join(above)
        )
    owned = [n.id for n in chain.nodes if n.shares is not None and n.basis == "ownership"]
    if owned:
        assumptions.append(
            f"ownership basis at {', '.join(owned)}: an origin's share is that of the firms (brands) "
            f"based there, their production in {who} included, so a cut of an origin stops those "
            "firms wherever they produce (a boycott rather than an export ban); every other node "
            "with shares is on the location basis (where the supply is produced)"
        )
    if chain.on is not None:
        other = [n.id for n in chain.nodes if n.shares is not None and n.basis != chain.on]
        if other:
            assumptions.append(
                f"asked for the {chain.on} basis, but {len(other)} node(s) give shares only on "
                f"the {_OTHER_BASIS[chain.on]} basis, used as they are: {', '.join(other)}"
            )
    unknown = [nodes[k] for k in np.flatnonzero(~table["known"]).tolist()]
    if unknown:
        assumptions.append(
            f"no shares known for {', '.join(unknown)}: direct metrics n/a; counted as domestic "
            "(s_P = 1) when propagating"
        )
    size = len(nodes)
    if arrays is not None:
        in_ptr = np.array(arrays.in_ptr, dtype=np.intp)
        in_src = np.array(arrays.in_src, dtype=np.intp)
        raw_cost = np.array(arrays.in_cost, dtype=np.float64)
        in_essential = np.array(arrays.in_essential, dtype=np.bool_)
        substitutability = np.array(arrays.substitutability, dtype=np.float64)
    else:
        items = list(concat.from_iterable(map(attrgetter("inputs"), chain.nodes)))
        in_ptr = np.zeros(size + 1, dtype=np.intp)
        np.cumsum(
            np.fromiter(map(len, map(attrgetter("inputs"), chain.nodes)), np.intp, size),
            out=in_ptr[1:],
        )
        in_src = np.fromiter(
            map(index.__getitem__, map(attrgetter("node"), items)), np.intp, len(items)
        )
        # None (unknown) becomes NaN
        raw_cost = np.array(list(map(attrgetter("cost_share"), items)), dtype=np.float64)
        in_essential = np.fromiter(map(attrgetter("essential"), items), np.bool_, len(items))
        substitutability = np.fromiter(
            map(attrgetter("substitutability"), chain.nodes), np.float64, size
        )
    in_user = np.repeat(np.arange(size, dtype=np.intp), np.diff(in_ptr))
    in_cost, in_known = _cost_shares(in_ptr, in_user, raw_cost)
    out_links = _stable_order(in_src, size)
    out_ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.bincount(in_src, minlength=size), out=out_ptr[1:])
    generation, cyclic, cyclic_generation = _condense(size, in_src, in_user, out_links)
    acyclic = np.ones(size, dtype=np.bool_)
    for members in cyclic:
        acyclic[list(members)] = False
    depth = int(generation.max()) + 1 if size else 0
    rank = _stable_order(generation, depth)
    bounds = np.searchsorted(generation[rank], np.arange(depth + 1))
    by_generation = tuple(
        np.sort(part[acyclic[part]])
        for part in (rank[bounds[g] : bounds[g + 1]] for g in range(depth))
    )
    feeds_other = np.zeros(size, dtype=np.bool_)
    feeds_other[in_src[in_src != in_user]] = True
    return Compiled(
        nodes=nodes,
        splits=_Splits(**table),
        **table,
        chain=chain,
        perspective=who,
        domestic_keys=keys,
        year=used_year,
        assumptions=tuple(assumptions),
        node_years=node_years,
        index=index,
        substitutability=substitutability,
        in_ptr=in_ptr,
        in_src=in_src,
        in_user=in_user,
        in_cost=in_cost,
        in_known=in_known,
        in_essential=in_essential,
        out_ptr=out_ptr,
        out_links=out_links,
        by_generation=by_generation,
        cyclic=cyclic,
        cyclic_generation=cyclic_generation,
        finals=np.flatnonzero(~feeds_other).astype(np.intp),
    )
