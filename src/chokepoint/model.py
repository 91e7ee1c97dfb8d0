"""The typed model of a chain file (format v1): frozen dataclasses, no I/O, no printing.

The loader (:mod:`chokepoint.io.loader`) builds these from YAML, JSON or CSV after checking every rule
of ``docs/chain-format.md``; everything downstream (graph, metrics, scenarios, export) reads only
these objects.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import repeat
from operator import attrgetter
from types import MappingProxyType
from typing import Any, overload

__all__ = [
    "BASES",
    "OTHER",
    "Chain",
    "ChainArrays",
    "Cut",
    "Input",
    "LazyInputs",
    "LinkTable",
    "Node",
    "ScenarioSpec",
    "Shock",
    "Source",
    "StageFigure",
    "Supplier",
    "Target",
    "build_many",
]

#: The share key for known foreign origins that are not named individually.
OTHER = "other"
#: What a share measures: where the supply is produced, or who owns (brands) the producer.
BASES = ("location", "ownership")

_EMPTY: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Source:
    """A publication that figures cite: ``title``, ``publisher`` and ``year`` are required."""

    id: str
    title: str
    publisher: str
    year: int
    url: str | None = None
    locator: str | None = None
    authors: str | None = None
    note: str | None = None

    def citation(self) -> str:
        """Return a one-line citation: authors, title, publisher, year, locator."""
        parts = [p for p in (self.authors, self.title, self.publisher, str(self.year)) if p]
        text = ", ".join(parts)
        if self.locator:
            text += f", {self.locator}"
        return text


@dataclass(frozen=True, slots=True)
class Input:
    """An input ``node`` of a producer, with its cost share (``None`` when unknown)."""

    node: str
    cost_share: float | None = None
    essential: bool = True


class LinkTable:
    """The links of a chain as arrays, shared by the :class:`LazyInputs` of its nodes.

    Node ``k``'s inputs are links ``ptr[k]`` to ``ptr[k + 1] - 1``; link ``e`` is
    ``Input(ids[src[e]], cost[e], essential[e])``, a cost of NaN standing for ``None``
    (unknown). ``src``, ``cost`` and ``essential`` are numpy arrays (those of
    :class:`ChainArrays`), ``ptr`` a list, ``ids`` the node ids by position. The :class:`Input`
    objects are made when a node's inputs are read: one node's at a time (again at each
    reading), until the work of those runs passes :attr:`BULK` of the work of making all the
    links (a walk over every node gets there soon); then all at once (at a third of the cost
    each), kept, and handed out from there.
    """

    __slots__ = ("_asked", "_made", "cost", "essential", "ids", "ptr", "src")

    #: The work of the runs made one at a time, as a share of the work of making all the links at
    #: once, beyond which all are made at once. A run made alone costs about as much as 5 links
    #: made at once plus 1.6 per link of its own (measured at 10^6 links; counted as 4 + 2 per
    #: link): a walk over every node makes 2,475 runs alone (0.02 s), then all 10^6 links
    #: (0.44 s).
    BULK = 1 / 32

    def __init__(
        self, ids: Sequence[str], ptr: list[int], src: Any, cost: Any, essential: Any
    ) -> None:
        self.ids = ids
        self.ptr = ptr
        self.src = src
        self.cost = cost
        self.essential = essential
        self._made: list[Input] | None = None
        self._asked = 0

    def __len__(self) -> int:
        return len(self.src)

    def links(self, start: int, stop: int) -> tuple[Input, ...]:
        """The :class:`Input` of links ``start`` to ``stop - 1``."""
        made = self._made
        if made is None:
            if start == stop:
                return ()
            self._asked += 4 + 2 * (stop - start)
            if self._asked <= len(self) * self.BULK:
                return tuple(map(Input, *self._columns(start, stop)))
            count = len(self)
            nodes, costs, flags = self._columns(0, count)
            made = build_many(Input, count, node=nodes, cost_share=costs, essential=flags)
            self._made = made
        return tuple(made[start:stop])

    def _columns(self, start: int, stop: int) -> tuple[list[str], list[float | None], list[bool]]:
        """The input nodes, cost shares and flags of links ``start`` to ``stop - 1``."""
        ids = self.ids
        costs = self.cost[start:stop].tolist()
        return (
            [ids[k] for k in self.src[start:stop].tolist()],
            [None if c != c else c for c in costs],  # NaN: unknown
            self.essential[start:stop].tolist(),
        )

    def sequences(self) -> list[LazyInputs]:
        """Each node's :class:`LazyInputs`, in node order."""
        count = len(self.ptr) - 1
        made = list(map(object.__new__, repeat(LazyInputs, count)))
        slots = LazyInputs.__dict__
        deque(map(slots["_table"].__set__, made, repeat(self)), maxlen=0)
        deque(map(slots["_node"].__set__, made, range(count)), maxlen=0)
        return made


class LazyInputs(Sequence[Input]):
    """A node's inputs, read from a shared :class:`LinkTable` when used.

    It stands for the tuple of those :class:`Input` (which the table makes, and keeps once it
    has made them all) and behaves as that tuple does: it is equal to it (and to any such
    sequence of the same inputs) and hashes as it does, so that nodes and chains compare as with
    tuples; ``len``, truth, indexing, slicing (a tuple), iteration, ``in``, ``index``,
    ``count``, ``+``, ``repr`` are the tuple's, and it pickles and copies as the tuple. It is
    not an instance of ``tuple``, nor ordered. Made by :meth:`LinkTable.sequences` (the fast
    CSV reader).
    """

    __slots__ = ("_node", "_table")

    _table: LinkTable
    _node: int

    def _tuple(self) -> tuple[Input, ...]:
        ptr, k = self._table.ptr, self._node
        return self._table.links(ptr[k], ptr[k + 1])

    def __len__(self) -> int:
        ptr, k = self._table.ptr, self._node
        return ptr[k + 1] - ptr[k]

    def __bool__(self) -> bool:
        return len(self) > 0

    @overload
    def __getitem__(self, index: int) -> Input: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Input, ...]: ...

    def __getitem__(self, index: int | slice) -> Input | tuple[Input, ...]:
        return self._tuple()[index]

    def __iter__(self) -> Iterator[Input]:
        table = self._table
        made = table._made  # once all are made: a slice of them, without a tuple
        if made is not None:
            ptr, k = table.ptr, self._node
            return iter(made[ptr[k] : ptr[k + 1]])
        return iter(self._tuple())

    def __reversed__(self) -> Iterator[Input]:
        return reversed(self._tuple())

    def __contains__(self, value: object) -> bool:
        return value in self._tuple()

    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> int:
        """The position of the first input equal to ``value`` (as ``tuple.index``)."""
        return self._tuple().index(value, start, stop)

    def count(self, value: Any) -> int:
        """The number of inputs equal to ``value``."""
        return self._tuple().count(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyInputs):
            if other._table is self._table and other._node == self._node:
                return True
            return self._tuple() == other._tuple()
        if isinstance(other, tuple):
            return self._tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __add__(self, other: object) -> tuple[Input, ...]:
        if isinstance(other, tuple | LazyInputs):
            return self._tuple() + tuple(other)
        return NotImplemented

    def __radd__(self, other: object) -> tuple[Any, ...]:
        if isinstance(other, tuple):
            return other + self._tuple()
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._tuple())

    def __reduce__(self) -> tuple[type[tuple[Input, ...]], tuple[tuple[Input, ...]]]:
        """Pickle (and copy) as the plain tuple."""
        return tuple, (self._tuple(),)


def build_many(cls: type[Any], count: int, **columns: Iterable[Any]) -> list[Any]:
    """``count`` objects of the frozen, slotted dataclass ``cls``, built a field at a time.

    The same objects as ``cls(**row)`` for each row of ``columns`` (every field given), at a
    third of the cost: each slot is filled by its descriptor over all objects at C speed,
    where the generated ``__init__`` calls ``object.__setattr__`` once per field and object.

    >>> a, b = build_many(Input, 2, node="ab", cost_share=[0.5, None], essential=[True, False])
    >>> (a, b) == (Input("a", 0.5), Input("b", None, essential=False))
    True
    """
    names = {f.name for f in fields(cls)}
    if set(columns) != names or hasattr(cls, "__post_init__"):  # pragma: no cover - a model change
        msg = f"build_many needs every field of {cls.__name__} and no __post_init__"
        raise TypeError(msg)
    made = list(map(object.__new__, repeat(cls, count)))
    for name, values in columns.items():
        deque(map(cls.__dict__[name].__set__, made, values), maxlen=0)
    return made


@dataclass(frozen=True, slots=True)
class Supplier:
    """A firm that supplies a node, with its headquarters country and, where known, its share."""

    firm: str
    country: str
    share: float | None = None
    year: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """One product or activity of the chain.

    ``shares`` maps an origin (ISO code, region name or :data:`OTHER`) to its share of the supply of
    the market the chain describes; ``None`` when no figure is known. ``basis`` says what the
    shares (and ``history``) measure: ``location``, where the supply is produced, or
    ``ownership``, the home country of the firms (brands) that supply it, their production in
    the perspective's own economy included; ``basis_shares`` holds the other basis when the
    source gives both. Shares sum to at most 1; the
    rest is unattributed. ``stock_months`` is the stock of the node's output held by the
    perspective, downstream included, in months of normal use (``None``: no figure, no stock).
    """

    id: str
    name: str
    stage: str
    shares: Mapping[str, float] | None = None
    year: int | None = None
    source: tuple[str, ...] = ()
    estimate: bool = False
    note: str | None = None
    substitutability: float = 0.0
    history: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    suppliers: tuple[Supplier, ...] = ()
    #: A tuple, or (from the fast CSV reader) a :class:`LazyInputs` equal to that tuple.
    inputs: Sequence[Input] = ()
    line: int = 0
    stock_months: float | None = None
    basis: str = "location"
    basis_shares: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: HS-6 product codes (six-digit texts, leading zeros kept) that the node's goods fall
    #: under, for ``chokepoint import trade``; empty when none is given.
    hs: tuple[str, ...] = ()

    def shares_for(self, year: int | None) -> Mapping[str, float] | None:
        """Return the shares of ``year`` from ``history`` if given there, else the node's shares."""
        if year is not None and year in self.history:
            return self.history[year]
        return self.shares

    def shares_on(
        self, basis: str | None, year: int | None
    ) -> tuple[Mapping[str, float] | None, str]:
        """The shares to use on ``basis`` (None: the node's own) in ``year``, and their basis.

        The node's own basis covers ``shares`` and ``history``; ``basis_shares`` gives the other
        basis for the node's own year only. Where the node has no shares on ``basis`` (or the
        year is another), its own shares are returned with their basis.
        """
        if (
            basis is not None
            and basis != self.basis
            and basis in self.basis_shares
            and (year is None or year not in self.history)
        ):
            return self.basis_shares[basis], basis
        return self.shares_for(year), self.basis


@dataclass(frozen=True, slots=True)
class Cut:
    """Origin ``origin`` stops delivering ``severity`` of its supply of ``nodes`` (empty: every node).

    ``months`` is how long the cut lasts from month 0 (its time to recover); ``None``: permanent.
    """

    origin: str
    severity: float
    nodes: tuple[str, ...] = ()
    months: float | None = None


@dataclass(frozen=True, slots=True)
class Shock:
    """The perspective's own production of ``node`` loses ``severity`` of its capacity.

    ``months`` is how long the shock lasts from month 0; ``None``: permanent.
    """

    node: str
    severity: float
    months: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A named disruption scenario: origin cuts, capacity shocks and substitutability overrides."""

    name: str
    title: str
    cuts: tuple[Cut, ...] = ()
    shocks: tuple[Shock, ...] = ()
    substitution: Mapping[str, float] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StageFigure:
    """Economic figures of one stage in one period (R&D and subsidy intensity, margins), sourced."""

    stage: str
    period: str
    source: tuple[str, ...]
    rd_intensity: float | None = None
    subsidy_intensity: float | None = None
    subsidy_amount: float | None = None
    amount_unit: str | None = None
    profit_margin: float | None = None
    estimate: bool = False
    note: str | None = None


#: The measures a policy target may set (the perspective's share of a node's supply).
TARGET_MEASURES = ("domestic_share",)


@dataclass(frozen=True, slots=True)
class Target:
    """A stated policy goal: ``measure`` of every node in ``nodes`` reaches ``value`` by ``year``.

    ``domestic_share`` is the perspective's share of the supply of the node's market
    (self-sufficiency, one minus import dependence), the only measure of format v1.
    """

    name: str
    title: str
    nodes: tuple[str, ...]
    measure: str
    value: float
    year: int
    source: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ChainArrays:
    """The nodes of a chain as arrays (numpy), kept by the reader that built them from arrays,
    so that :func:`chokepoint.core.compiled.compile_chain` need not read the objects back.

    Node ``k``'s inputs are links ``in_ptr[k]`` to ``in_ptr[k + 1] - 1``, in the order of its
    ``inputs``: input node (a position) ``in_src[e]``, cost share ``in_cost[e]`` (NaN when
    unknown), flag ``in_essential[e]``; its substitutability is ``substitutability[k]``. When
    ``share_known`` is not None (no node has a history), node ``k`` has shares when
    ``share_known[k]``, and they are ``origins[share_origin[j]]: share_value[j]`` for ``j`` from
    ``share_ptr[k]`` to ``share_ptr[k + 1] - 1``, in the order of its ``shares``.
    """

    in_ptr: Any
    in_src: Any
    in_cost: Any
    in_essential: Any
    substitutability: Any
    share_known: Any = None
    share_ptr: Any = None
    share_origin: Any = None
    share_value: Any = None
    origins: tuple[str, ...] = ()


#: The fields of :class:`Chain` that are caches.
_CACHES = ("_index", "_arrays")


@dataclass(frozen=True, slots=True)
class Chain:
    """A whole supply chain as described by one chain file."""

    name: str
    title: str
    perspective: str
    year: int
    stages: tuple[str, ...]
    nodes: tuple[Node, ...]
    market: str | None = None
    description: str | None = None
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: Mapping[str, Source] = field(default_factory=dict)
    scenarios: Mapping[str, ScenarioSpec] = field(default_factory=dict)
    stage_data: tuple[StageFigure, ...] = ()
    targets: Mapping[str, Target] = field(default_factory=dict)
    basis: str = "location"
    on: str | None = None
    path: str | None = None
    format: int = 1
    #: Each node's position by id, made by the first call of :meth:`node` (a cache).
    _index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)
    #: A cache (see :attr:`arrays`). The caches are never compared nor pickled, and ``replace``
    #: leaves them out.
    _arrays: ChainArrays | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_global(self) -> bool:
        """True when the shares describe the world market rather than the perspective's own."""
        return self.market == "global"

    def __getstate__(self) -> list[Any]:
        """The fields, for pickle, without the caches (:attr:`arrays`, the index of ids)."""
        return [getattr(self, f.name) for f in fields(self) if f.name not in _CACHES]

    def __setstate__(self, state: list[Any]) -> None:
        names = [f.name for f in fields(self) if f.name not in _CACHES]
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)
        for name in _CACHES:
            object.__setattr__(self, name, None)

    @property
    def arrays(self) -> ChainArrays | None:
        """The nodes as arrays, when the reader that built this very chain kept them (the fast
        CSV reader does); None otherwise, and for a chain made by ``dataclasses.replace``."""
        return self._arrays

    def keep_arrays(self, arrays: ChainArrays) -> None:
        """Remember ``arrays``, which must describe exactly :attr:`nodes` (a cache: the chain's
        value, equality and pickled form do not change)."""
        if len(arrays.in_ptr) != len(self.nodes) + 1:
            msg = "the arrays describe another number of nodes"
            raise ValueError(msg)
        object.__setattr__(self, "_arrays", arrays)

    def node(self, node_id: str) -> Node:
        """Return the node with id ``node_id`` (``KeyError`` when absent), by index."""
        index = self._index
        if index is None:
            ids = map(attrgetter("id"), self.nodes)
            index = dict(zip(ids, range(len(self.nodes)), strict=True))
            object.__setattr__(self, "_index", index)
        return self.nodes[index[node_id]]

    def on_basis(self, basis: str | None) -> Chain:
        """This chain with each node's shares on ``basis`` where the node gives them.

        A node whose own basis is the other one and that gives ``location_shares`` or
        ``ownership_shares`` takes those (for its own year; its ``history``, of the other basis,
        is set aside). Other nodes keep their shares and basis; :attr:`on` records the basis asked
        for, so that the analysis can list them. ``None`` returns the chain as it is (each node
        on its own basis).
        """
        if basis is None:
            return self
        nodes = tuple(
            replace(
                n,
                shares=n.basis_shares[basis],
                basis=basis,
                basis_shares={n.basis: n.shares} if n.shares is not None else {},
                history={},
            )
            if n.basis != basis and basis in n.basis_shares
            else n
            for n in self.nodes
        )
        return replace(self, nodes=nodes, on=basis)

    def members(self, origin: str) -> frozenset[str]:
        """Return the origin itself plus, for a region, its member countries."""
        return frozenset((origin, *self.regions.get(origin, ())))
