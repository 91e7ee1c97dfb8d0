r"""The disruption model: origin cuts and capacity shocks propagated through the chain.

One implementation, vectorised over a batch of scenarios (the columns of ``nodes x S``
matrices; a single scenario is a batch of one), serves ``scenario``, ``sweep``, ``montecarlo``
and the checks of the choke-point impacts. For perspective :math:`P`, node :math:`n`, cuts
:math:`\kappa(c, n)`, capacity shocks :math:`h_n` and substitutability :math:`\sigma_n`:

.. math::

    m_n = \sum_{c\ \mathrm{foreign}} s_n(c)\,\kappa(c, n)

    d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \quad \text{(leontief)}, \qquad
    d_n = \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr) \quad \text{(linear)}

    q_n = \min\bigl(1, (1 - \sigma_n)\, m_n + s_n(P)\, d_n\bigr)

solved to the least fixed point: one step per generation on the acyclic part, and on a cyclic
component a Gauss-Seidel iteration from zero loss (the map is monotone, so the iteration rises to
the least fixed point) until no value moves by more than :data:`TOLERANCE`. See
``docs/methodology.md``.

References
----------
.. [1] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
.. [2] Haimes, Y. Y. and Jiang, P. (2001), "Leontief-based model of risk in complex interconnected
       infrastructures", *Journal of Infrastructure Systems* 7(1), 1-12.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..errors import ScenarioError
from ..model import Cut
from .compiled import BoolArray, Compiled, FloatArray, IntArray

__all__ = [
    "MAX_ITERATIONS",
    "MODELS",
    "PIECE",
    "TOLERANCE",
    "LossModel",
    "Plan",
    "check_model",
    "cut_imports",
    "cut_matrix",
    "cycle_fixed_point",
    "import_losses",
    "plan",
    "propagate",
]

LossModel = Literal["leontief", "linear"]
MODELS: tuple[LossModel, ...] = ("leontief", "linear")
#: Iterations allowed on a cycle before the fixed point is declared not reached.
MAX_ITERATIONS = 10_000
TOLERANCE = 1e-12
#: Cells of a step's losses combined at once: a piece of rows whose :math:`d` stays in the
#: processor's cache while each column of links is gathered into it (measured on a
#: 3x10^5-link network: 12% faster than 2^22 cells).
PIECE = 1 << 17


def check_model(model: str) -> LossModel:
    """Return ``model`` if it is one of :data:`MODELS`.

    Raises
    ------
    ScenarioError
        Naming the models.
    """
    if model not in MODELS:
        msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
        raise ScenarioError(msg)
    return model


def cut_matrix(c: Compiled, scenarios: Sequence[Sequence[Cut]]) -> FloatArray:
    r"""The cuts :math:`\kappa(c, n)` of each scenario, as a ``pairs x S`` matrix.

    A cut of an origin reaches the pairs of the keys :meth:`Compiled.members` gives (the origin;
    for a region of the chain or a standard region, its members and the chain's regions inside
    it) at the nodes it names, or at every node. When several cuts of a scenario reach the same
    pair, the largest severity applies.

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> k = cut_matrix(c, [[Cut("JP", 0.5, ("reducers",))]])
    >>> [(c.pair_origin[p], c.nodes[c.pair_row[p]]) for p in np.flatnonzero(k[:, 0])]
    [('JP', 'reducers')]
    """
    by_origin: dict[str, list[int]] = {}
    ptr = c.pair_ptr.tolist()
    kappa = np.zeros((len(c.pair_origin), len(scenarios)), dtype=np.float64)
    for j, cuts in enumerate(scenarios):
        for cut in cuts:
            keys = c.members(cut.origin)
            if cut.nodes:  # the named nodes' own pairs: no walk over every pair of the origin
                rows = {c.index[n] for n in cut.nodes}
                pairs = [
                    p
                    for n in sorted(rows)
                    for p in range(ptr[n], ptr[n + 1])
                    if c.pair_origin[p] in keys
                ]
            else:
                if not by_origin:
                    for p, origin in enumerate(c.pair_origin):
                        by_origin.setdefault(origin, []).append(p)
                pairs = [p for key in keys for p in by_origin.get(key, ())]
            if pairs:
                column = kappa[pairs, j]
                kappa[pairs, j] = np.maximum(column, cut.severity)
    return kappa


def import_losses(
    c: Compiled, kappa: FloatArray, substitution: Mapping[str, float] | None = None
) -> FloatArray:
    r"""Import losses net of substitution, :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)`.

    ``kappa`` is ``pairs x S`` (:func:`cut_matrix`); ``substitution`` overrides
    :math:`\sigma_n` of the nodes it names, in every column. Returns a ``nodes x S`` matrix
    (:func:`cut_imports` of the non-zero cuts).
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    if kappa.ndim != 2 or kappa.shape[0] != c.pair_share.size:
        msg = f"kappa must have shape (pairs, S) = ({c.pair_share.size}, S), not {kappa.shape}"
        raise ScenarioError(msg)
    pair, column = np.nonzero(kappa)
    return cut_imports(c, pair, column, kappa[pair, column], kappa.shape[1], substitution)


def cut_imports(
    c: Compiled,
    pair: IntArray,
    column: IntArray,
    severity: FloatArray,
    width: int,
    substitution: Mapping[str, float] | None = None,
    plan: Plan | None = None,
    out: FloatArray | None = None,
    gross: bool = False,
) -> FloatArray:
    r"""Import losses net of substitution, :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)`,
    from a list of cuts: pair ``pair[k]`` cut at severity ``severity[k]`` in column
    ``column[k]`` (of ``width``); the pairs not listed are not cut.

    Each node's terms :math:`s_n(c) \kappa(c, n)` are added in the order of the list (pair
    order when the list is sorted by pair within each column, as :func:`import_losses` gives
    it), from 0; the sum is then multiplied by :math:`1 - \sigma_n` (skipped where it is
    exactly 1: the same bits). Returns a ``nodes x S`` matrix, its rows in the order of
    ``plan`` when one is given (``propagate(..., plan=plan, ordered=True)`` takes it as it
    is); ``out`` (a C-contiguous ``nodes x S`` matrix) receives it instead of a new one (a run
    of batches reuses its memory, with no new pages to fault in). With ``gross`` (and no
    ``substitution``) the sums are returned before the factor :math:`1 - \sigma_n`, which
    ``propagate(..., gross=True)`` applies to each row as it computes it (the same product,
    while the row is in the processor's cache).

    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> p = c.pair_ptr[c.index["reducers"]]  # JP at reducers, share 0.614 (sigma 0)
    >>> m = cut_imports(c, np.array([p]), np.array([1]), np.array([0.5]), 2)
    >>> [round(float(v), 4) for v in m[c.index["reducers"]]]
    [0.0, 0.307]
    """
    if gross and substitution:
        msg = "gross import losses take no substitution override"
        raise ScenarioError(msg)
    sigma = c.substitutability
    if substitution:
        sigma = sigma.copy()
        for node, value in substitution.items():
            sigma[c.index[node]] = value
    if out is None:
        summed: FloatArray = np.zeros((c.size, width), dtype=np.float64)
    else:
        if not out.flags.c_contiguous or out.shape != (c.size, width):
            msg = f"out must be a C-contiguous matrix of shape ({c.size}, {width})"
            raise ScenarioError(msg)
        summed = out
        summed.fill(0.0)
    flat = summed.reshape(-1)
    to_row = c.pair_row if plan is None else plan.pair_rows
    for top in range(0, pair.size, _CUTS):  # pieces whose temporaries stay in cache
        part = pair[top : top + _CUTS]
        keys = to_row[part] * width
        keys += column[top : top + _CUTS]
        weights = c.pair_share[part] * severity[top : top + _CUTS]
        # numpy's own dtypes (views): arrays unpickled on a dask worker carry fresh dtype objects
        # (numpy#32298), and ufunc.at takes its fast path only for numpy's own (7x slower else)
        np.add.at(flat, keys.view(np.intp), weights.view(np.float64))  # in list order, from 0
    if gross:
        return summed
    kept = 1.0 - (sigma if plan is None else sigma[plan.order])
    scaled = np.flatnonzero(kept != 1.0)
    if scaled.size == kept.size:
        _net(summed, kept, summed)
    elif scaled.size:
        summed[scaled] = _net(summed[scaled], kept[scaled])
    return summed


def _net(sums: FloatArray, kept: FloatArray, out: FloatArray | None = None) -> FloatArray:
    r"""Import losses net of substitution from their sums: :math:`(1 - \sigma_n) m_n`, row
    :math:`n` of ``sums`` times ``kept[n]`` :math:`= 1 - \sigma_n`."""
    found: FloatArray = np.multiply(sums, kept[:, None], out=out)
    return found


#: Cuts handled at once by :func:`cut_imports`.
_CUTS = 1 << 16


@dataclass(frozen=True, slots=True)
class _Links:
    r"""The input links that count for a set of rows, in jagged-diagonal order.

    Column :math:`j` holds the :math:`j`-th counted link (in link order) of every row that has
    one: sources ``src[bounds[j]:bounds[j + 1]]`` (cost shares ``weight``) for the rows at
    positions ``pos[bounds[j]:bounds[j + 1]]`` of ``rows``, or, when ``pos`` is None (rows
    sorted by their number of counted links, most first), for ``rows[:bounds[j + 1] -
    bounds[j]]``. Combining the columns in turn adds each row's terms in link order: the
    same operations, in the same order, as a reduction over each row's links.
    """

    rows: IntArray
    src: IntArray
    weight: FloatArray
    bounds: tuple[int, ...]
    pos: IntArray | None
    #: With ``pos``: each column's targets as a slice when they are evenly spaced (None when
    #: not), so that combining them writes in place, not through a gather and a scatter.
    spans: tuple[slice | None, ...] = ()


def _span(targets: IntArray) -> slice | None:
    """``targets`` as a slice when they are evenly spaced and increasing, else None.

    >>> _span(np.array([1, 3, 5])), _span(np.array([0, 2, 3])), _span(np.array([4]))
    (slice(1, 6, 2), None, slice(4, 5, 1))
    """
    if not targets.size:
        return None
    first = int(targets[0])
    step = int(targets[1] - targets[0]) if targets.size > 1 else 1
    if step < 1 or not np.array_equal(targets, np.arange(targets.size) * step + first):
        return None
    return slice(first, int(targets[-1]) + 1, step)


def _with_spans(links: _Links) -> _Links:
    """``links`` with the :attr:`_Links.spans` of its columns (``pos`` given)."""
    if links.pos is None:
        return links
    pos, bounds = links.pos, links.bounds
    spans = tuple(_span(pos[bounds[j] : bounds[j + 1]]) for j in range(len(bounds) - 1))
    return replace(links, spans=spans)


def _links(
    c: Compiled, rows: IntArray, keep: BoolArray | Callable[[IntArray], BoolArray], *, sort: bool
) -> _Links:
    """The links ``keep`` marks of ``rows`` (a links mask, or a function of the rows' link
    positions giving theirs); with ``sort``, the rows reordered by their number of such links,
    most first (stable)."""
    starts = c.in_ptr[rows]
    counts = c.in_ptr[rows + 1] - starts
    total = int(counts.sum())
    owner = np.repeat(np.arange(rows.size, dtype=np.intp), counts)
    before = np.cumsum(counts) - counts
    links = np.repeat(starts - before, counts) + np.arange(total, dtype=np.intp)
    kept = keep(links) if callable(keep) else keep[links]
    links, owner = links[kept], owner[kept]
    number = np.bincount(owner, minlength=rows.size)
    if sort:
        order = np.argsort(-number, kind="stable")
        rows, number = rows[order], number[order]
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size, dtype=np.intp)
        owner = inverse[owner]
        regroup = np.argsort(owner, kind="stable")
        links, owner = links[regroup], owner[regroup]
    rank = np.arange(links.size, dtype=np.intp) - (np.cumsum(number) - number)[owner]
    columns = np.argsort(rank, kind="stable")
    bounds = np.zeros(int(rank.max()) + 2 if rank.size else 1, dtype=np.intp)
    np.cumsum(np.bincount(rank), out=bounds[1:])
    return _Links(
        rows,
        c.in_src[links[columns]],
        c.in_cost[links[columns]],
        tuple(bounds.tolist()),
        None if sort else owner[columns],
    )


def _combine(
    links: _Links,
    d: FloatArray,
    q: FloatArray,
    buffered: BoolArray | None,
    leontief: bool,
    first: int = 0,
    stop: int | None = None,
) -> None:
    r"""Combine into ``d`` the losses that rows ``first`` to ``stop - 1`` of ``links`` read
    from their inputs: :math:`d \leftarrow \max(d, q_i)` (leontief) or :math:`d \leftarrow d +
    w_i q_i` (linear), one column of links after the other (link order within each row).

    ``d`` holds those rows (``stop - first`` of them); ``q`` is indexed by ``links.src``; an
    input marked in ``buffered`` (indexed alike) reads 0.
    """
    end = links.rows.size if stop is None else stop
    for j in range(len(links.bounds) - 1):
        a, b = links.bounds[j], links.bounds[j + 1]
        if links.pos is None:
            if b - a <= first:
                break
            a, b = a + first, a + min(end, b - a)
            target: slice | IntArray = slice(0, b - a)
        else:
            span = links.spans[j] if links.spans else None
            target = links.pos[a:b] if span is None else span
        src = links.src[a:b]
        seen = q.take(src, axis=0)
        if buffered is not None:
            seen[buffered.take(src, axis=0)] = 0.0
        if leontief:
            if isinstance(target, slice):
                np.maximum(d[target], seen, out=d[target])
            else:
                d[target] = np.maximum(d[target], seen)
        else:
            seen *= links.weight[a:b, None]
            if isinstance(target, slice):
                d[target] += seen
            else:
                d[target] = d[target] + seen


@dataclass(frozen=True, slots=True)
class _Cycles:
    """The cyclic components of one generation, solved side by side (see :func:`_solve`)."""

    components: tuple[tuple[int, ...], ...]
    members: IntArray
    #: Links from outside the components (into ``base``), rows ``members``.
    outside: _Links
    #: For each position k: members at position k of their component (indices into
    #: ``members``), those components, and their inside links (sources: indices into ``members``).
    positions: tuple[tuple[IntArray, IntArray, _Links], ...]
    #: Each member's inside links in link order, (source, cost share) (sources: indices into
    #: ``members``), for :func:`_finish`.
    inputs: tuple[tuple[tuple[int, float], ...], ...] = ()


def _cycles(c: Compiled, components: Sequence[tuple[int, ...]], counted: BoolArray) -> _Cycles:
    """The :class:`_Cycles` of ``components``, in time and memory of the order of their members'
    links (a lookup in the sorted members, no array as long as the chain): an impact solves
    each of hundreds of components of a million-link network on its own."""
    members = np.array([x for m in components for x in m], dtype=np.intp)
    comp = np.repeat(np.arange(len(components), dtype=np.intp), [len(m) for m in components])
    order = np.argsort(members, kind="stable")
    ordered = members[order]

    def local(nodes: IntArray) -> IntArray:
        """Each node's index in ``members``; -1 for a node outside them."""
        at = np.searchsorted(ordered, nodes).clip(max=ordered.size - 1)
        return np.where(ordered[at] == nodes, order[at], -1)

    def inside(links: IntArray) -> BoolArray:
        """Whether each link (of a member) comes from a member of the same component."""
        source = local(c.in_src[links])
        user = local(c.in_user[links])
        found: BoolArray = (source >= 0) & (comp[source] == comp[user])
        return found

    position = np.concatenate([np.arange(len(m), dtype=np.intp) for m in components])
    positions = []
    for k in range(max(len(m) for m in components)):
        at = np.flatnonzero(position == k)
        found = _links(c, members[at], lambda ls: counted[ls] & inside(ls), sort=False)
        mine = _Links(at, local(found.src), found.weight, found.bounds, found.pos)
        positions.append((at, comp[at], _with_spans(mine)))
    inputs: list[list[tuple[int, float]]] = [[] for _ in range(members.size)]
    for at, _, mine in positions:  # column after column: each member's links in link order
        assert mine.pos is not None  # built with sort=False
        for j in range(len(mine.bounds) - 1):
            a, b = mine.bounds[j], mine.bounds[j + 1]
            for row, src, weight in zip(
                at[mine.pos[a:b]].tolist(),
                mine.src[a:b].tolist(),
                mine.weight[a:b].tolist(),
                strict=True,
            ):
                inputs[row].append((src, weight))
    return _Cycles(
        tuple(components),
        members,
        _with_spans(_links(c, members, lambda ls: counted[ls] & ~inside(ls), sort=False)),
        tuple(positions),
        tuple(tuple(links) for links in inputs),
    )


def _solve(
    c: Compiled,
    cycles: _Cycles,
    imports: FloatArray,
    base: FloatArray,
    leontief: bool,
    buffered: BoolArray | None,
    domestic: bool = True,
) -> tuple[FloatArray, FloatArray]:
    r"""Gauss-Seidel on each component of ``cycles`` from zero loss, the components side by side.

    ``imports`` and ``base`` are ``members x S``. A sweep updates each component's members in
    their order, each from the latest values of the others (:math:`d = \mathrm{base}` combined
    with the inside inputs, then :math:`q = \min(1, m + s_n(P) d)`); a column of a component
    stops changing once no member moved by more than :data:`TOLERANCE` in a sweep. With
    ``domestic`` False the domestic parts are not kept (zeros are returned for them).
    """
    width = imports.shape[1]
    share = c.domestic[cycles.members]
    q = np.zeros((cycles.members.size, width), dtype=np.float64)
    dom = np.zeros_like(q)
    active = np.ones((len(cycles.components), width), dtype=np.bool_)
    # what each position reads that no sweep changes, gathered once; its members and their
    # components as slices when evenly spaced (read and written in place)
    fixed: list[
        tuple[IntArray | slice, IntArray | slice, _Links, FloatArray, FloatArray, FloatArray]
    ] = []
    for rows, comps, links in cycles.positions:
        where, which = _span(rows), _span(comps)
        fixed.append(
            (
                rows if where is None else where,
                comps if which is None else which,
                links,
                base[rows],
                imports[rows],
                share[rows, None],
            )
        )
    # components of one size: a member's move is |q after the sweep - q before it| (an
    # inactive column does not move, and its change does not matter), its component's the
    # largest over its rows, found at the end of the sweep in one reduction
    size = len(cycles.components[0])
    uniform = all(len(m) == size for m in cycles.components)
    start = np.empty_like(q)
    change = np.zeros(active.shape, dtype=np.float64)
    largest = max(len(m) for m in cycles.components)
    for sweep in range(1, MAX_ITERATIONS + 1):
        if uniform:
            np.copyto(start, q)
        else:
            change.fill(0.0)
        for at, comp, inside, outside, bought, kept in fixed:
            d = outside.copy()
            _combine(inside, d, q, buffered, leontief)
            if not leontief:
                np.minimum(d, 1.0, out=d)
            part = kept * d
            value = bought + part
            np.minimum(value, 1.0, out=value)
            before = q[at]
            now = active[comp]
            if not uniform:
                moved = value - before
                np.abs(moved, out=moved)
                if isinstance(comp, slice):
                    np.maximum(change[comp], moved, out=change[comp])
                else:
                    change[comp] = np.maximum(change[comp], moved)
            if isinstance(at, slice):  # q[at] and dom[at] are views
                np.copyto(q[at], value, where=now)
                if domestic:
                    np.copyto(dom[at], part, where=now)
            else:
                q[at] = np.where(now, value, before)
                if domestic:
                    dom[at] = np.where(now, part, dom[at])
        if uniform:
            np.subtract(q, start, out=start)
            np.abs(start, out=start)
            start.reshape(active.shape[0], size, width).max(axis=1, out=change)
        active &= change > TOLERANCE
        left = int(np.count_nonzero(active))
        if not left:
            return q, dom
        if left * largest <= _FINISH_CELLS:  # a few columns of a few components to go
            stuck = _finish(
                cycles,
                active,
                (q, dom if domestic else None),
                imports,
                base,
                share,
                leontief,
                buffered,
                sweep,
            )
            if stuck is None:
                return q, dom
            break
    else:
        stuck = int(np.flatnonzero(active.any(axis=1))[0])
    names = ", ".join(c.nodes[x] for x in cycles.components[stuck])
    msg = (
        f"the losses on the cycle {names} did not converge in {MAX_ITERATIONS:,} iterations; "
        "lower a cost share on the cycle or use the leontief model"
    )
    raise ScenarioError(msg)


#: The (component, column) cells of members left to solve from which :func:`_solve` goes on
#: with :func:`_finish`.
_FINISH_CELLS = 48


def _finish(
    cycles: _Cycles,
    active: BoolArray,
    solved: tuple[FloatArray, FloatArray | None],
    imports: FloatArray,
    base: FloatArray,
    share: FloatArray,
    leontief: bool,
    buffered: BoolArray | None,
    sweeps: int,
) -> int | None:
    r"""The sweeps of :func:`_solve` that are left after ``sweeps``, for its few ``active``
    (component, column) pairs, one pair at a time, in Python floats.

    The components do not read one another, nor the columns, so each pair goes on by itself
    as it would among the others: the same operations on the same doubles (:math:`d =
    \max(d, q_i)` or :math:`d + q_i w_i` in link order, :math:`\min(1, d)` (linear), then
    :math:`p = s_n(P) d`, :math:`q = \min(1, m + p)`; ties and comparisons as numpy's
    ``maximum`` and ``minimum`` take them), so the same bits, without numpy's cost per call
    on matrices of a few cells. Writes ``solved`` (:math:`q`, and the domestic parts unless
    None); returns the first component that does not converge within :data:`MAX_ITERATIONS`
    sweeps, or None.
    """
    q, dom = solved
    starts = np.cumsum([0, *(len(m) for m in cycles.components)]).tolist()
    stuck: list[int] = []
    for comp, column in np.argwhere(active).tolist():
        rows = range(starts[comp], starts[comp + 1])
        now = q[rows.start : rows.stop, column].tolist()
        part = [0.0] * len(rows)
        outside = base[rows.start : rows.stop, column].tolist()
        bought = imports[rows.start : rows.stop, column].tolist()
        kept = share[rows.start : rows.stop].tolist()
        cover = None if buffered is None else buffered[rows.start : rows.stop, column].tolist()
        links = [[(src - rows.start, w) for src, w in cycles.inputs[r]] for r in rows]
        done = sweeps
        while True:
            if done >= MAX_ITERATIONS:
                stuck.append(comp)
                break
            change = 0.0
            for k in range(len(rows)):
                d = outside[k]
                for src, w in links[k]:
                    seen = 0.0 if cover is not None and cover[src] else now[src]
                    d = (d if d >= seen else seen) if leontief else d + seen * w
                if not leontief:
                    d = d if d <= 1.0 else 1.0
                mine = kept[k] * d
                value = bought[k] + mine
                value = value if value <= 1.0 else 1.0
                moved = abs(value - now[k])
                change = change if change >= moved else moved
                now[k], part[k] = value, mine
            done += 1
            if not change > TOLERANCE:
                break
        q[rows.start : rows.stop, column] = now
        if dom is not None:
            dom[rows.start : rows.stop, column] = part
    return min(stuck) if stuck else None


@dataclass(frozen=True, slots=True)
class Plan:
    """The order of a propagation and the links each step reads, built once for a compiled
    chain and a model (:func:`plan`) and reused by every batch (``propagate(plan=...)``).

    The nodes are renumbered in the order they are computed (:attr:`order`: node ``order[k]``
    is row ``k``), so that each step reads and writes a contiguous block of rows.
    """

    model: LossModel
    #: The nodes in the order of computation (visited ones first), and each node's row.
    order: IntArray
    position: IntArray
    #: How many rows the steps compute (the first ones).
    visited: int
    #: :math:`s_n(P)` of each row.
    domestic: FloatArray
    #: Per generation: its first row, its acyclic rows' links (sources as rows; rows sorted by
    #: links, most first), and its cyclic components, whose members follow (None: it has none).
    steps: tuple[tuple[int, _Links, _Cycles | None], ...]
    #: Each pair's row (``position[pair_row]``: one gather per list of cuts, not two).
    pair_rows: IntArray
    #: :math:`1 - \sigma_n` of each row (for gross import losses, ``propagate(gross=True)``).
    kept: FloatArray


def plan(c: Compiled, model: LossModel = "leontief", only: BoolArray | None = None) -> Plan:
    r"""The :class:`Plan` of ``c`` for ``model``; with ``only`` (a nodes mask), for the marked
    nodes and the cyclic components holding one of them only.

    The links that count are the essential ones (leontief) or those with a cost share
    (linear): another link adds nothing (a maximum with 0, or 0 added). An acyclic node whose
    domestic share :math:`s_n(P)` is 0 reads none of its links: :math:`s_n(P)\, d_n = 0 \cdot
    d_n = 0` whatever they carry (:math:`d_n` is finite), so its step is :math:`q_n = \min(1,
    (1 - \sigma_n) m_n)`, the same bits, without gathering its inputs.
    """
    leontief = check_model(model) == "leontief"
    counted = c.in_essential.copy() if leontief else c.in_cost != 0
    reads = counted & (c.domestic[c.in_user] != 0)
    by_generation: dict[int, list[tuple[int, ...]]] = {}
    for members, g in zip(c.cyclic, c.cyclic_generation, strict=True):
        if only is None or only[list(members)].any():
            by_generation.setdefault(g, []).append(members)
    found: list[tuple[_Links, _Cycles | None]] = []
    parts: list[IntArray] = []
    for g, rows in enumerate(c.by_generation):
        chosen = rows if only is None else rows[only[rows]]
        groups = by_generation.get(g)
        links = _links(c, chosen, reads, sort=True)
        cycles = _cycles(c, groups, counted) if groups else None
        found.append((links, cycles))
        parts += [links.rows] if cycles is None else [links.rows, cycles.members]
    seen = np.zeros(c.size, dtype=np.bool_)
    order = np.concatenate([np.zeros(0, dtype=np.intp), *parts])
    seen[order] = True
    order = np.concatenate([order, np.flatnonzero(~seen)]).astype(np.intp)
    position = np.empty(c.size, dtype=np.intp)
    position[order] = np.arange(c.size, dtype=np.intp)
    steps = []
    first = 0
    for links, cycles in found:
        moved = _Links(links.rows, position[links.src], links.weight, links.bounds, links.pos)
        if cycles is not None:
            outside = cycles.outside
            cycles = replace(cycles, outside=replace(outside, src=position[outside.src]))
        steps.append((first, moved, cycles))
        first += links.rows.size + (0 if cycles is None else cycles.members.size)
    return Plan(
        model,
        order,
        position,
        first,
        c.domestic[order],
        tuple(steps),
        position[c.pair_row],
        1.0 - c.substitutability[order],
    )


def propagate(
    c: Compiled,
    imports: FloatArray,
    shocks: FloatArray | None = None,
    model: LossModel = "leontief",
    buffered: BoolArray | None = None,
    *,
    start: tuple[FloatArray, FloatArray] | None = None,
    dirty: BoolArray | None = None,
    plan: Plan | None = None,
    ordered: bool = False,
    out: FloatArray | None = None,
    domestic: bool = True,
    gross: bool = False,
) -> tuple[FloatArray, FloatArray]:
    r"""Propagate a batch of scenarios; return the losses :math:`q` and their domestic parts.

    ``imports`` (:math:`(1 - \sigma_n) m_n`) and ``shocks`` (:math:`h_n`) are ``nodes x S``.
    ``buffered`` (``nodes x S``, optional) marks the nodes whose stock still covers their
    shortfall (:mod:`chokepoint.core.timeline`): their users read a loss of 0 from them, while
    their own :math:`q_n` (the shortfall before the stock) is still computed and returned.
    ``start`` (the ``(q, domestic)`` of an earlier call on the same columns) with ``dirty`` (a
    ``nodes`` mask) recomputes the marked nodes only and keeps every other node's values from
    ``start``: exact when ``dirty`` holds every node whose imports, shock or inputs' ``buffered``
    changed since that call and everything downstream of them
    (:meth:`~chokepoint.core.compiled.Compiled.downstream`), as the time model's events do.
    ``plan`` (:func:`plan` of ``c`` and ``model``) saves building the order and the links of
    each step again when many batches are propagated (Monte Carlo); it is ignored with
    ``dirty``. With ``ordered``, ``imports`` (and ``shocks``, ``buffered``) and the results
    have their rows in the plan's order (``plan.order``), not the chain's; ``out`` (a ``nodes
    x S`` matrix, ``imports`` itself too: each row's imports are read before its loss is
    written, and a node without inputs keeps its import loss, an import loss of -0 staying
    -0, which :func:`cut_imports` never gives) may then hold :math:`q` (a run of batches
    reuses its memory), with
    ``domestic=False`` the domestic parts are not kept (an empty matrix is returned for them),
    and with ``gross`` the imports are the sums :math:`m_n` of ``cut_imports(..., gross=True)``,
    each row multiplied by :math:`1 - \sigma_n` as it is computed.

    .. math::

        q_n = \min\bigl(1, (1 - \sigma_n) m_n + s_n(P)\, d_n\bigr), \qquad
        d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \ \text{or}\
        \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr)

    Each generation's acyclic nodes take one step: their inputs' losses are gathered one
    column of links at a time (jagged-diagonal order: the first counted input of every node,
    then the second, ...) and combined into :math:`d` in place, in pieces of at most
    :data:`PIECE` cells; then the generation's cyclic components are
    solved side by side (Gauss-Seidel, :func:`cycle_fixed_point`).

    Returns
    -------
    (q, domestic)
        Losses and their domestic parts :math:`s_n(P)\, d_n`, both ``nodes x S``.

    Raises
    ------
    ScenarioError
        For an unknown model or a cycle that does not converge in :data:`MAX_ITERATIONS`.

    Examples
    --------
    >>> from chokepoint.core.compiled import compile_chain
    >>> from chokepoint import load_chain
    >>> c = compile_chain(load_chain("robots"))
    >>> q, _ = propagate(c, import_losses(c, cut_matrix(c, [[Cut("JP", 1.0, ("reducers",))]])))
    >>> round(float(q[c.index["reducers"], 0]), 3)
    0.614
    """
    leontief = check_model(model) == "leontief"
    imports = np.asarray(imports, dtype=np.float64)
    if imports.ndim != 2 or imports.shape[0] != c.size:
        msg = f"imports must have shape (nodes, S) = ({c.size}, S), not {imports.shape}"
        raise ScenarioError(msg)
    h = None if shocks is None else np.asarray(shocks, dtype=np.float64)
    visit = None
    if start is not None and dirty is not None:
        if start[0].shape != imports.shape or start[1].shape != imports.shape:
            msg = f"start must hold two matrices of the shape of imports {imports.shape}"
            raise ScenarioError(msg)
        visit = np.asarray(dirty, dtype=np.bool_)
    if buffered is not None:
        buffered = np.asarray(buffered, dtype=np.bool_)
        if buffered.shape != imports.shape:
            msg = f"buffered must have the shape of imports {imports.shape}, not {buffered.shape}"
            raise ScenarioError(msg)
    if ordered:
        if plan is None or plan.model != model or visit is not None:
            msg = "ordered=True needs the plan of the model, and no dirty mask"
            raise ScenarioError(msg)
        q = np.empty_like(imports) if out is None else out
        q[plan.visited :] = 0.0
        kept = plan.kept if gross else None
        if not domestic:
            _steps(plan, imports, h, buffered, q, None, leontief, c, kept)
            return q, np.zeros((0, imports.shape[1]), dtype=np.float64)
        dom = np.empty_like(imports)
        dom[plan.visited :] = 0.0
        _steps(plan, imports, h, buffered, q, dom, leontief, c, kept)
        return q, dom
    if gross:
        msg = "gross=True needs ordered=True"
        raise ScenarioError(msg)
    if visit is not None or plan is None or plan.model != model:
        plan = _plan_of(c, model, visit)
    order = plan.order
    if start is not None and visit is not None:
        q, dom = start[0][order], start[1][order]
    else:
        q, dom = np.zeros_like(imports), np.zeros_like(imports)
    _steps(
        plan,
        imports[order],
        None if h is None else h[order],
        None if buffered is None else buffered[order],
        q,
        dom,
        leontief,
        c,
    )
    found = np.empty_like(q), np.empty_like(dom)
    found[0][order], found[1][order] = q, dom
    return found


def _steps(
    plan: Plan,
    imports: FloatArray,
    h: FloatArray | None,
    buffered: BoolArray | None,
    q: FloatArray,
    dom: FloatArray | None,
    leontief: bool,
    c: Compiled,
    kept: FloatArray | None = None,
) -> None:
    r"""The steps of :func:`propagate` on matrices whose rows are in the plan's order (``dom``
    None: the domestic parts are not kept; ``kept``: the imports are gross sums, each row's
    :math:`1 - \sigma_n`, applied piece by piece as the rows are computed)."""
    width = imports.shape[1]
    piece = max(1, PIECE // max(width, 1))
    largest = max((links.rows.size for _, links, _ in plan.steps), default=0)
    scratch = np.empty((min(piece, largest), width), dtype=np.float64)  # d, reused
    for first, links, cycles in plan.steps:
        count = links.rows.size
        # rows without a counted input (sorted last) and no shock: d = 0
        linked = count if h is not None or len(links.bounds) < 2 else links.bounds[1]
        for top in range(0, linked, piece):
            stop = min(linked, top + piece)
            rows = slice(first + top, first + stop)
            d = scratch[: stop - top]
            if h is None:
                d.fill(0.0)
            else:
                d[...] = h[rows]
            _combine(links, d, q, buffered, leontief, top, stop)
            if not leontief:
                np.minimum(d, 1.0, out=d)
            np.multiply(plan.domestic[rows, None], d, out=d)  # the domestic part s_n(P) d_n
            if dom is not None:
                dom[rows] = d
            if kept is None:
                np.add(imports[rows], d, out=q[rows])
            else:
                np.add(_net(imports[rows], kept[rows], q[rows]), d, out=q[rows])
            np.minimum(q[rows], 1.0, out=q[rows])
        for top in range(linked, count, piece):  # d = 0
            rows = slice(first + top, first + min(count, top + piece))
            if dom is not None:
                dom[rows] = 0.0  # s_n(P) x 0
            if kept is not None:
                _net(imports[rows], kept[rows], q[rows])
            elif imports is not q:  # q = imports + 0 (in place: the same bits, -0 aside)
                np.add(imports[rows], 0.0, out=q[rows])
            np.minimum(q[rows], 1.0, out=q[rows])
        if cycles is not None:
            rows = slice(first + count, first + count + cycles.members.size)
            base = np.zeros((cycles.members.size, width)) if h is None else h[rows].copy()
            _combine(cycles.outside, base, q, buffered, leontief)
            covered = None if buffered is None else buffered[rows]
            bought = imports[rows] if kept is None else _net(imports[rows], kept[rows])
            solved, parts = _solve(c, cycles, bought, base, leontief, covered, dom is not None)
            q[rows] = solved
            if dom is not None:
                dom[rows] = parts


_plan_of = plan


def cycle_fixed_point(
    c: Compiled,
    members: tuple[int, ...],
    imports: FloatArray,
    base: FloatArray,
    leontief: bool,
    buffered: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    r"""The least fixed point of the loss model on one cyclic component, for ``S`` columns.

    ``imports`` and ``base`` are ``members x S``: the import losses and what :math:`d_n` takes
    from outside the component (the shock :math:`h_n` and the inputs already solved, combined by
    the model: their maximum or their weighted sum). Gauss-Seidel from zero loss, each column
    until no value moves by more than :data:`TOLERANCE`; returns :math:`q` and
    :math:`s_n(P)\, d_n` for the members. ``buffered`` (``members x S``) marks members whose
    stock still covers them: the other members read a loss of 0 from them.

    Raises
    ------
    ScenarioError
        When a column does not converge within :data:`MAX_ITERATIONS`.
    """
    counted = c.in_essential if leontief else c.in_cost != 0  # read, never written
    cycles = _cycles(c, [tuple(members)], counted)
    return _solve(c, cycles, np.asarray(imports, dtype=np.float64), base, leontief, buffered)
