r"""The array form of a chain: ``analyze`` and scenarios for networks of millions of links.

For a curated chain of a few dozen nodes, :mod:`chokepoint.core.metrics` and
:mod:`chokepoint.core.scenarios` walk a networkx graph node by node. A firm-level network of 300,000
firms and 1,000,000 links needs another form: :class:`Network` holds the same chain as numpy
arrays (inputs grouped by user, compressed-sparse-row style, and the nodes grouped by topological
*generation*: a node's generation is one more than its inputs' highest), built straight from the
model without a networkx graph, and every computation runs one generation at a time over all of
its nodes and links at once.

It computes exactly what the graph form computes (the tests compare both on random networks):

* **exposure** :math:`X = S + \operatorname{diag}(s_P)\, W X` and **total dependence** by
  forward substitution, generation by generation: a sparse lower-triangular solve
  (:math:`I - \operatorname{diag}(s_P) W` is lower triangular in generation order). Each node's
  sum is formed in the graph form's order, base first and inputs in file order (``reduceat``
  over rows), so the results agree to the last bit; a cyclic component is solved by the graph
  form's own Gaussian elimination.
* **choke-point impact** of every node at once, in one backward pass rather than one scenario per
  node. Cutting node :math:`n`'s top supplier changes nothing upstream of it; downstream, fixed
  proportions give :math:`q_m = s_m(P) \max_{i \in E_m} q_i`, a product along the best
  essential path, so the loss of final product :math:`f` is :math:`q_n \prod_{m \in p} s_m(P)`
  maximised over essential paths :math:`p` from :math:`n` to :math:`f`. With

  .. math:: G_x = \max\Bigl(\mathbb{1}[x \text{ final}],\ \max_{x \to m \text{ essential}}
            s_m(P)\, G_m\Bigr)

  computed from the final products backwards, :math:`\mathrm{impact}_n = q_n G_n` with
  :math:`q_n = \min(1, (1 - \sigma_n) s_n(c^*_n))`: :math:`O(\text{links})` for all nodes, where
  one scenario per node costs :math:`O(\text{nodes} \times \text{links})`. Products are formed
  from the other end than in the forward propagation, so impacts agree to a few ulps (the same
  final product is named, save exact ties of different products). A node on a cycle feeds its
  own loss back: its scenario is iterated on its component, exactly as the graph form does.
* **scenarios** (:meth:`Network.propagate`): any number of them as columns of a
  ``nodes x scenarios`` matrix, each generation one vectorised step (``maximum.reduceat`` for
  fixed proportions, ``add.reduceat`` for the linear model), cyclic components iterated like the
  graph form; bit-identical to :func:`~chokepoint.core.scenarios.propagate_losses` column by column.

Strongly connected components come from ``scipy.sparse.csgraph`` when scipy is installed (the
``fast`` extra) and from an iterative Tarjan search over the cyclic core otherwise (the same
components). numpy is required: only large networks import this module.

References
----------
.. [1] Miller, R. E. and Blair, P. D. (2009), *Input-Output Analysis*, 2nd ed., Cambridge UP, ch. 2.
.. [2] Leontief, W. (1951), *The Structure of American Economy 1919-1939*, 2nd ed., Oxford UP.
.. [3] Tarjan, R. (1972), "Depth-first search and linear graph algorithms", *SIAM Journal on
       Computing* 1(2), 146-160.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import AnalysisError, ScenarioError
from ..model import Chain, Cut
from .metrics import EPS, OriginSplit, _gauss, split_shares
from .scenarios import (
    MAX_ITERATIONS,
    MODELS,
    TOLERANCE,
    LossModel,
    resolve,
    unknown_shares_assumption,
)

__all__ = [
    "CHUNK",
    "SCIPY_MIN_LINKS",
    "Network",
    "strong_components",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Cells (rows x columns) of a working matrix built at once; bounds the memory of a step.
CHUNK = 1 << 22
#: Cyclic cores with at least this many links are split into components by scipy when it is
#: installed (0.1 s for a million links, where Tarjan's search in Python takes seconds).
SCIPY_MIN_LINKS = 50_000


def _gather(ptr: IntArray, rows: IntArray) -> IntArray:
    """The positions ``ptr[r] .. ptr[r + 1] - 1`` of every row ``r`` in ``rows``, concatenated."""
    starts = ptr[rows]
    counts = ptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(total, dtype=np.intp)


def _ordered_sums(
    ptr: IntArray, rows: IntArray, first: FloatArray, term: Callable[[IntArray], FloatArray]
) -> FloatArray:
    """``first_r + term(ptr[r]) + term(ptr[r] + 1) + ...`` for every ``r`` in ``rows``, in order.

    Step ``j`` adds the ``j``-th term of every row that has one (rows sorted by falling length),
    so that each row's sum is formed left to right, as a Python loop would form it.
    """
    length = ptr[rows + 1] - ptr[rows]
    order = np.argsort(-length, kind="stable")
    falling = length[order]
    start = ptr[rows[order]]
    total = first[order].copy()
    for j in range(int(falling[0]) if falling.size else 0):
        count = int(np.searchsorted(-falling, -j, side="left"))  # rows with more than j terms
        total[:count] += term(start[:count] + j)
    out = np.empty_like(total)
    out[order] = total
    return out


def _generations(size: int, src: IntArray, dst: IntArray) -> IntArray:
    """Longest-path generation of every node of a graph (Kahn's algorithm, one level at a time).

    Nodes on or downstream of a cycle are never reached and get -1.
    """
    level = np.full(size, -1, dtype=np.intp)
    indegree = np.bincount(dst, minlength=size).astype(np.intp)
    order = np.argsort(src, kind="stable")
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

    Uses ``scipy.sparse.csgraph.connected_components(connection="strong")`` for graphs of
    :data:`SCIPY_MIN_LINKS` links or more when scipy is installed (importing it costs about
    0.3 s), else an iterative Tarjan search in Python (the same partition; labels may differ).
    """
    if len(src) < SCIPY_MIN_LINKS:
        return _tarjan(size, src, dst)
    try:
        from scipy.sparse import csr_array  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from scipy.sparse.csgraph import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            connected_components,
        )
    except ImportError:  # pragma: no cover - exercised in the tests by calling _tarjan
        return _tarjan(size, src, dst)
    graph = csr_array(
        (np.ones(len(src), dtype=np.int8), (src, dst)), shape=(size, size), dtype=np.int8
    )
    _, labels = connected_components(graph, directed=True, connection="strong")
    return np.asarray(labels, dtype=np.intp)


def _tarjan(size: int, src: IntArray, dst: IntArray) -> IntArray:
    """Tarjan's strongly connected components without recursion [3]_."""
    order = np.argsort(src, kind="stable")
    targets = dst[order].tolist()
    ptr = np.zeros(size + 1, dtype=np.intp)
    np.cumsum(np.bincount(src, minlength=size), out=ptr[1:])
    starts = ptr.tolist()
    index = [-1] * size
    low = [0] * size
    on_stack = [False] * size
    labels = [-1] * size
    stack: list[int] = []
    counter = 0
    label = 0
    for root in range(size):
        if index[root] >= 0:
            continue
        work = [(root, starts[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            node, position = work[-1]
            if position < starts[node + 1]:
                work[-1] = (node, position + 1)
                nxt = targets[position]
                if index[nxt] < 0:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack[nxt] = True
                    work.append((nxt, starts[nxt]))
                elif on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    labels[member] = label
                    if member == node:
                        break
                label += 1
    return np.array(labels, dtype=np.intp)


@dataclass(frozen=True, slots=True, eq=False)
class Network:
    """A chain as arrays, for one perspective and year; see the module docstring.

    Node ``k`` is ``chain.nodes[k]``. Links are grouped by the node that uses them, in the order
    of its ``inputs``: link ``e`` of node ``n`` (``in_ptr[n] <= e < in_ptr[n + 1]``) brings input
    ``in_src[e]`` with cost share ``in_cost[e]`` (0 when unknown) and flag ``in_essential[e]``.
    ``out_ptr``/``out_links`` list the same links grouped by input. ``generation`` orders the
    strongly connected components inputs first; ``cyclic`` lists the components that have a
    cycle (several nodes or a self-input), inputs first, each in chain order, and ``by_generation``
    the other nodes of each generation.
    """

    chain: Chain
    perspective: str
    domestic_keys: frozenset[str]
    year: int
    assumptions: tuple[str, ...]
    nodes: tuple[str, ...]
    index: Mapping[str, int]
    splits: tuple[OriginSplit, ...]
    domestic: FloatArray
    substitutability: FloatArray
    in_ptr: IntArray
    in_src: IntArray
    in_user: IntArray
    in_cost: FloatArray
    in_known: BoolArray
    in_essential: BoolArray
    out_ptr: IntArray
    out_links: IntArray
    generation: IntArray
    cyclic: tuple[tuple[int, ...], ...]
    cyclic_generation: tuple[int, ...]
    by_generation: tuple[IntArray, ...]
    finals: IntArray
    _lists: dict[str, list[Any]] = field(default_factory=dict, repr=False)

    def _list(self, name: str) -> list[Any]:
        """An array attribute as a Python list, made once (the cyclic parts loop in Python)."""
        found = self._lists.get(name)
        if found is None:
            found = self._lists[name] = getattr(self, name).tolist()
        return found

    @classmethod
    def build(
        cls, chain: Chain, perspective: str | None = None, year: int | None = None
    ) -> Network:
        """Read a chain into arrays for ``perspective`` and ``year`` (checked as ``analyze`` does).

        Raises
        ------
        AnalysisError
            For a bad perspective or year.

        Examples
        --------
        >>> from chokepoint import load_chain
        >>> chain = load_chain("robots")
        >>> network = Network.build(chain)
        >>> origins, x = network.exposure()  # reducers have no inputs: exposure is the share
        >>> float(x[network.index["reducers"], origins.index("JP")])
        0.614
        """
        who, keys, used_year, assumptions = resolve(chain, perspective, year)
        nodes = tuple(n.id for n in chain.nodes)
        index = {n: k for k, n in enumerate(nodes)}
        splits = tuple(split_shares(n.shares_for(used_year), keys) for n in chain.nodes)
        unknown = [n for n, s in zip(nodes, splits, strict=True) if not s.known]
        if unknown:
            assumptions.append(unknown_shares_assumption(unknown))
        size = len(nodes)
        items = [item for node in chain.nodes for item in node.inputs]
        costs = [item.cost_share for item in items]
        in_ptr = np.zeros(size + 1, dtype=np.intp)
        np.cumsum(np.fromiter((len(n.inputs) for n in chain.nodes), np.intp, size), out=in_ptr[1:])
        in_src = np.array(list(map(index.__getitem__, map(attrgetter("node"), items))), np.intp)
        in_user = np.repeat(np.arange(size, dtype=np.intp), np.diff(in_ptr))
        out_links = np.argsort(in_src, kind="stable").astype(np.intp)
        out_ptr = np.zeros(size + 1, dtype=np.intp)
        np.cumsum(np.bincount(in_src, minlength=size), out=out_ptr[1:])
        generation, cyclic, cyclic_generation = _condense(size, in_src, in_user)
        acyclic = np.ones(size, dtype=np.bool_)
        for members in cyclic:
            acyclic[list(members)] = False
        depth = int(generation.max()) + 1 if size else 0
        rank = np.argsort(generation, kind="stable")
        cuts = np.searchsorted(generation[rank], np.arange(depth + 1))
        by_generation = tuple(
            np.sort(rank[cuts[g] : cuts[g + 1]][acyclic[rank[cuts[g] : cuts[g + 1]]]])
            for g in range(depth)
        )
        feeds_other = np.zeros(size, dtype=np.bool_)
        feeds_other[in_src[in_src != in_user]] = True
        return cls(
            chain=chain,
            perspective=who,
            domestic_keys=keys,
            year=used_year,
            assumptions=tuple(assumptions),
            nodes=nodes,
            index=index,
            splits=splits,
            domestic=np.array([s.domestic for s in splits], dtype=np.float64),
            substitutability=np.array([n.substitutability for n in chain.nodes], dtype=np.float64),
            in_ptr=in_ptr,
            in_src=in_src,
            in_user=in_user,
            in_cost=np.array([c or 0.0 for c in costs], dtype=np.float64),
            in_known=np.array([c is not None for c in costs], dtype=np.bool_),
            in_essential=np.array([item.essential for item in items], dtype=np.bool_),
            out_ptr=out_ptr,
            out_links=out_links,
            generation=generation,
            cyclic=cyclic,
            cyclic_generation=cyclic_generation,
            by_generation=by_generation,
            finals=np.flatnonzero(~feeds_other).astype(np.intp),
        )

    # -- exposure --------------------------------------------------------------------------

    def origins(self) -> list[str]:
        """The named foreign origins of every node, sorted (the columns of :meth:`exposure`)."""
        return sorted({c for s in self.splits for c in s.foreign})

    def exposure(self) -> tuple[list[str], FloatArray]:
        r"""Exposure to every origin and total dependence, for every node.

        .. math:: X_n = b_n + s_n(P) \sum_i w_{ni} X_i

        with :math:`b_n = (s_n(c))_c` and, in the last column, :math:`D_n` (0 for a node
        without shares). Returns the origins and the ``nodes x (origins + 1)`` matrix
        :math:`X` whose last column is total dependence :math:`T`.

        Raises
        ------
        AnalysisError
            When a cyclic component's system is singular (as
            :func:`~chokepoint.core.metrics.exposure`).
        """
        origins = self.origins()
        position = {c: k for k, c in enumerate(origins)}
        width = len(origins) + 1
        base = np.zeros((len(self.nodes), width), dtype=np.float64)
        cells = [
            (n, position[c], v)
            for n, split in enumerate(self.splits)
            for c, v in split.foreign.items()
        ]
        if cells:
            at, columns, values = zip(*cells, strict=True)
            base[list(at), list(columns)] = values
        base[:, -1] = [s.dependence if s.known else 0.0 for s in self.splits]
        coef = self.domestic[self.in_user] * self.in_cost  # a_n w_ni, as the graph form forms it
        x = np.zeros_like(base)
        pending = list(zip(self.cyclic, self.cyclic_generation, strict=True))
        for g, rows in enumerate(self.by_generation):
            for chunk in self._chunks(rows, width):
                x[chunk] = self._sums(base, chunk, coef, x)
            while pending and pending[0][1] == g:
                members, _ = pending.pop(0)
                self._solve_cycle(members, base, x)
        return origins, x

    def _chunks(self, rows: IntArray, width: int) -> Iterable[IntArray]:
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

    def _stack(
        self, rows: IntArray, first: FloatArray, links: IntArray, terms: FloatArray
    ) -> tuple[FloatArray, IntArray]:
        """Rows ``[first_r, terms of r's links ...]`` per node ``r``, and where each node starts."""
        counts = self.in_ptr[rows + 1] - self.in_ptr[rows]
        starts = np.cumsum(counts + 1) - (counts + 1)
        stacked = np.empty((int(starts[-1] + counts[-1] + 1), first.shape[1]), dtype=np.float64)
        stacked[starts] = first
        if links.size:
            place = np.repeat(starts + 1 - (np.cumsum(counts) - counts), counts)
            stacked[place + np.arange(links.size, dtype=np.intp)] = terms
        return stacked, starts

    def _ordered_sums(
        self, rows: IntArray, first: FloatArray, term: Callable[[IntArray], FloatArray]
    ) -> FloatArray:
        """``first_r + term(link 1) + term(link 2) + ...`` for every node ``r``, left to right.

        The graph form adds a node's inputs one by one in file order; floating-point addition
        is not associative, and numpy's ``add.reduceat`` sums in blocks, so this adds the
        ``j``-th input of every node that has one at step ``j`` instead: as many steps as the
        largest fan-in, each over all nodes at once, and the same sums to the last bit.
        """
        return _ordered_sums(self.in_ptr, rows, first, term)

    def _sums(
        self, base: FloatArray, rows: IntArray, coef: FloatArray, x: FloatArray
    ) -> FloatArray:
        """:math:`b_n + \\sum_i a_n w_{ni} X_i` for acyclic ``rows``, in the graph form's order."""

        def term(links: IntArray) -> FloatArray:
            product: FloatArray = coef[links, None] * x[self.in_src[links]]
            return product

        return self._ordered_sums(rows, base[rows], term)

    def _solve_cycle(self, members: tuple[int, ...], base: FloatArray, x: FloatArray) -> None:
        """Solve one cyclic component exactly as :func:`~chokepoint.core.metrics.propagate_linear`."""
        inside = set(members)
        where = {n: k for k, n in enumerate(members)}
        size = len(members)
        width = base.shape[1]
        ptr = self._list("in_ptr")
        src = self._list("in_src")
        cost = self._list("in_cost")
        domestic = self._list("domestic")
        matrix: list[list[float]] = []
        for n in members:
            vector = base[n].tolist()
            a = domestic[n]
            if a:
                for e in range(ptr[n], ptr[n + 1]):
                    i = src[e]
                    if i not in inside:
                        w = a * cost[e]
                        if w:
                            xi = x[i].tolist()
                            for k in range(width):
                                vector[k] += w * xi[k]
            row = [0.0] * size + vector
            row[where[n]] += 1.0
            for e in range(ptr[n], ptr[n + 1]):
                if src[e] in inside:
                    row[where[src[e]]] -= domestic[n] * cost[e]
            matrix.append(row)
        solution = _gauss(matrix, size, width)
        if solution is None:
            names = ", ".join(self.nodes[n] for n in members)
            msg = (
                f"the exposure system is singular on the cycle {names}: with no imports, the cost "
                "shares around it add up to 1, so its dependence is undefined; lower a cost share "
                "on the cycle"
            )
            raise AnalysisError(msg)
        for n in members:
            x[n] = solution[where[n]]

    def exposure_dicts(self) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        """:meth:`exposure` in the form of :func:`chokepoint.core.metrics.exposure`."""
        origins, x = self.exposure()
        total = dict(zip(self.nodes, x[:, -1].tolist(), strict=True))
        # the non-zero entries only, row by row and in origin order (as a filter over each row)
        rows, cols = np.nonzero(x[:, :-1] > EPS)
        names = np.array(origins, dtype=object)[cols].tolist()
        values = x[rows, cols].tolist()
        ends = np.cumsum(np.bincount(rows, minlength=len(self.nodes))).tolist()
        exposures: dict[str, dict[str, float]] = {}
        start = 0
        for n, end in zip(self.nodes, ends, strict=True):
            exposures[n] = dict(zip(names[start:end], values[start:end], strict=True))
            start = end
        return exposures, total

    # -- direct metrics --------------------------------------------------------------------

    def direct_metrics(
        self,
    ) -> tuple[list[float], list[float], list[str | None], list[float | None], list[int | None]]:
        r"""HHI, import HHI, top supplier and its share, and countries to 75%, for every node.

        The values of :func:`~chokepoint.core.metrics.hhi`, :func:`~chokepoint.core.metrics.import_hhi`,
        :func:`~chokepoint.core.metrics.top_supplier` and :func:`~chokepoint.core.metrics.countries_to_75`
        to the last bit (sums formed in the same order), computed for all nodes at once; the
        caller reports them only for nodes with shares.

        .. math::

            \mathrm{HHI}_n = s_n(P)^2 + \sum_c s_n(c)^2, \qquad
            \mathrm{HHI}^{imp}_n = \sum_c \left(s_n(c) / D_n\right)^2
        """
        cached = self._lists.get("direct")
        if cached is not None:
            return cached[0], cached[1], cached[2], cached[3], cached[4]
        origins, rows, shares, ptr = self.pairs()
        size = len(self.nodes)
        named = np.flatnonzero(np.diff(ptr))
        squares = np.zeros(size, dtype=np.float64)
        concentration = np.zeros(size, dtype=np.float64)
        dependence = 1.0 - self.domestic
        if named.size:

            def square(p: IntArray) -> FloatArray:
                product: FloatArray = (shares[p] * shares[p])[:, None]
                return product

            squares[named] = _ordered_sums(ptr, named, np.zeros((named.size, 1)), square)[:, 0]
            ratio_of = np.where(dependence > EPS, dependence, 1.0)

            def ratio(p: IntArray) -> FloatArray:
                # float_power is libm's pow, as Python's ``**`` (``** 2`` on an array is x * x,
                # which differs from pow in the last bit for about 1 value in 1,000)
                part: FloatArray = np.float_power(shares[p] / ratio_of[rows[p]], 2)[:, None]
                return part

            concentration[named] = _ordered_sums(ptr, named, np.zeros((named.size, 1)), ratio)[:, 0]
        hhi = (np.float_power(self.domestic, 2) + squares).tolist()
        has_named = np.diff(ptr) > 0
        # sum() of no terms is the integer 0, which the graph form reports as such
        import_hhi: list[Any] = np.where(dependence > EPS, concentration, 0.0).tolist()
        for n in np.flatnonzero((dependence > EPS) & ~has_named).tolist():
            import_hhi[n] = 0
        # top supplier: the largest share, ties to the first code A-Z
        top: list[str | None] = [None] * size
        top_share: list[float | None] = [None] * size
        if shares.size:
            alphabet = {c: k for k, c in enumerate(sorted(set(origins)))}
            code_rank = np.fromiter((alphabet[c] for c in origins), np.intp, len(origins))
            order = np.lexsort((code_rank, -shares, rows))
            first = order[np.flatnonzero(np.diff(rows[order], prepend=-1))]
            for n, p in zip(rows[first].tolist(), first.tolist(), strict=True):
                top[n] = origins[p]
                top_share[n] = float(shares[p])
        # countries to 75%: the perspective and the named origins, largest first
        values = np.concatenate([self.domestic, shares])
        owner = np.concatenate([np.arange(size, dtype=np.intp), rows])
        order = np.lexsort((-values, owner))
        counts = np.bincount(owner, minlength=size)
        start = np.zeros(size + 1, dtype=np.intp)
        np.cumsum(counts, out=start[1:])
        ordered = values[order]
        total = np.zeros(size, dtype=np.float64)
        reached = np.zeros(size, dtype=np.intp)
        threshold = 0.75 - 1e-9
        for j in range(int(counts.max()) if size else 0):
            live = np.flatnonzero(counts > j)
            total[live] += ordered[start[live] + j]
            hit = live[(total[live] >= threshold) & (reached[live] == 0)]
            reached[hit] = j + 1
        c75: list[int | None] = [int(k) if k else None for k in reached.tolist()]
        self._lists["direct"] = [hhi, import_hhi, top, top_share, c75]
        return hhi, import_hhi, top, top_share, c75

    # -- impacts ---------------------------------------------------------------------------

    def _best_paths(self) -> tuple[FloatArray, IntArray]:
        r""":math:`G_x` and the final product it reaches (index into :attr:`finals`, -1 none)."""
        size = len(self.nodes)
        value = np.zeros(size, dtype=np.float64)
        final = np.full(size, -1, dtype=np.intp)
        value[self.finals] = 1.0
        final[self.finals] = np.arange(self.finals.size, dtype=np.intp)
        is_final = np.zeros(size, dtype=np.bool_)
        is_final[self.finals] = True
        big = np.iinfo(np.intp).max
        links = self.out_links
        users = self.in_user[links]  # per link grouped by input: the node it feeds
        useful = self.in_essential[links] & (users != self.in_src[links])
        pending = list(zip(self.cyclic, self.cyclic_generation, strict=True))
        for g in range(len(self.by_generation) - 1, -1, -1):
            while pending and pending[-1][1] == g:
                members, _ = pending.pop()
                self._cycle_paths(members, value, final, is_final)
            rows = self.by_generation[g]
            rows = rows[~is_final[rows]]
            if not rows.size:
                continue
            positions = _gather(self.out_ptr, rows)
            counts = self.out_ptr[rows + 1] - self.out_ptr[rows]
            keep = useful[positions]
            owner = np.repeat(np.arange(rows.size, dtype=np.intp), counts)[keep]
            targets = users[positions][keep]
            if not targets.size:
                continue
            candidate = self.domestic[targets] * value[targets]
            group = np.flatnonzero(np.diff(owner, prepend=-1))
            best = np.maximum.reduceat(candidate, group)
            top = best[np.searchsorted(group, np.arange(owner.size), side="right") - 1]
            tied = np.where(candidate == top, final[targets], big)
            tied = np.where(final[targets] < 0, big, tied)
            first = np.minimum.reduceat(tied, group)
            who = rows[owner[group]]
            value[who] = best
            final[who] = np.where(first == big, -1, first)
        return value, final

    def _cycle_paths(
        self, members: tuple[int, ...], value: FloatArray, final: IntArray, is_final: BoolArray
    ) -> None:
        """:math:`G` on a cyclic component: iterate the maximum to its fixed point (finite)."""
        ptr = self._list("out_ptr")
        links = self.out_links
        for _ in range(len(members) + 1):
            changed = False
            for x in members:
                if is_final[x]:
                    continue
                best, which = float(value[x]), int(final[x])
                for e in links[ptr[x] : ptr[x + 1]].tolist():
                    m = int(self.in_user[e])
                    if m == x or not self.in_essential[e]:
                        continue
                    candidate = float(self.domestic[m] * value[m])
                    reach = int(final[m])
                    if reach < 0:
                        continue
                    if candidate > best or (candidate == best and (which < 0 or reach < which)):
                        best, which = candidate, reach
                if best != value[x] or which != final[x]:
                    value[x], final[x] = best, which
                    changed = True
            if not changed:
                return

    def impacts(self) -> dict[str, tuple[float, str] | None]:
        r"""Impact of every node with a named foreign supplier, as
        :func:`chokepoint.core.chokepoints.impacts` gives it: ``{node: (impact, final product)}``.

        .. math:: \mathrm{impact}_n = \max_f q_f \quad\text{when}\quad \kappa(c^*_n, n) = 1

        Raises
        ------
        ScenarioError
            When the losses on a cycle do not converge (as the graph form).
        """
        value, final = self._best_paths()
        finals = [self.nodes[f] for f in self.finals.tolist()]
        final_set = set(self.finals.tolist())
        _, _, _, top_share, _ = self.direct_metrics()  # top_supplier's, for every node
        sigma = self._list("substitutability")
        losses = {
            n: (1.0 - sigma[n]) * share for n, share in enumerate(top_share) if share is not None
        }
        found: dict[int, tuple[float, int]] = {}
        for members in self.cyclic:
            sources = [n for n in members if n in losses]
            if sources:
                found.update(self._cycle_impacts(members, sources, losses, value, final))
        out: dict[str, tuple[float, str] | None] = dict.fromkeys(self.nodes)
        values = value.tolist()
        reach = final.tolist()
        for n, loss in losses.items():
            node_id = self.nodes[n]
            if n in found:
                worst, which = found[n]
            else:
                q = min(1.0, loss + 0.0)
                worst, which = q * values[n], reach[n]
                if n in final_set:
                    worst, which = q, -2  # the node itself, preferred on ties
            if which == -2 and worst != 0.0:
                out[node_id] = (worst, node_id)
            elif worst == 0.0 or which < 0:
                name = node_id if n in final_set else (finals[0] if finals else node_id)
                out[node_id] = (0.0, name)
            else:
                out[node_id] = (worst, finals[which])
        return out

    def _cycle_impacts(
        self,
        members: tuple[int, ...],
        sources: list[int],
        losses: Mapping[int, float],
        value: FloatArray,
        final: IntArray,
    ) -> dict[int, tuple[float, int]]:
        """The impacts of the nodes of one cyclic component: their scenarios, one column each,
        iterated on the component as the graph form iterates each (a node's loss comes back to
        it round the cycle), then carried out of it along the best paths."""
        where = {x: k for k, x in enumerate(members)}
        size, width = len(members), len(sources)
        ptr, src = self._list("in_ptr"), self._list("in_src")
        essential = self.in_essential
        preds = [
            [where[src[e]] for e in range(ptr[x], ptr[x + 1]) if essential[e] and src[e] in where]
            for x in members
        ]
        share = [float(self.domestic[x]) for x in members]
        imports = np.zeros((size, width), dtype=np.float64)
        for j, n in enumerate(sources):
            imports[where[n], j] = losses[n]
        q = np.zeros((size, width), dtype=np.float64)
        active = np.ones(width, dtype=np.bool_)
        for _ in range(MAX_ITERATIONS):
            change = np.zeros(width, dtype=np.float64)
            for k in range(size):
                d = np.zeros(width, dtype=np.float64)
                for p in preds[k]:
                    np.maximum(d, q[p], out=d)
                result = np.minimum(imports[k] + share[k] * d, 1.0)
                np.maximum(change, np.abs(result - q[k]), out=change)
                q[k] = np.where(active, result, q[k])
            active &= change > TOLERANCE
            if not active.any():
                break
        else:
            msg = (
                f"the losses on the cycle {', '.join(self.nodes[x] for x in members)} did not "
                f"converge in {MAX_ITERATIONS:,} iterations; lower a cost share on the cycle or "
                "use --model leontief"
            )
            raise ScenarioError(msg)
        finals = set(self._list("finals"))
        out_ptr = self._list("out_ptr")
        exits: list[tuple[float, int]] = []  # best path out of each member, and its final
        for x in members:
            best, which = 0.0, -1
            for e in self.out_links[out_ptr[x] : out_ptr[x + 1]].tolist():
                m = int(self.in_user[e])
                if m in where or not essential[e] or final[m] < 0:
                    continue
                candidate = float(self.domestic[m] * value[m])
                if _better(candidate, int(final[m]), best, which):
                    best, which = candidate, int(final[m])
            exits.append((best, which))
        rows = q.T.tolist()
        found: dict[int, tuple[float, int]] = {}
        for j, n in enumerate(sources):
            best, which = 0.0, -1
            for k, x in enumerate(members):
                if x in finals:  # a final product on a cycle feeds only itself: x == n
                    option = (rows[j][k], -2)
                elif exits[k][1] >= 0:
                    option = (rows[j][k] * exits[k][0], exits[k][1])
                else:
                    continue
                if _better(*option, best, which):
                    best, which = option
            found[n] = (best, which)
        return found

    # -- scenarios -------------------------------------------------------------------------

    def pairs(self) -> tuple[list[str], IntArray, FloatArray, IntArray]:
        """The cuttable (origin, node) pairs, in the order of :class:`chokepoint.core.batch.Plan`.

        Every named foreign origin of every node, nodes in chain order and origins in the
        order of the node's shares: returns the origins, the node of each pair, its share, and
        ``ptr`` (node ``n``'s pairs are ``ptr[n]`` to ``ptr[n + 1] - 1``).
        """
        cached = self._lists.get("pairs")
        if cached is None:
            origins = [c for split in self.splits for c in split.foreign]
            shares = [v for split in self.splits for v in split.foreign.values()]
            counts = np.fromiter((len(s.foreign) for s in self.splits), np.intp, len(self.splits))
            ptr = np.zeros(len(self.splits) + 1, dtype=np.intp)
            np.cumsum(counts, out=ptr[1:])
            rows = np.repeat(np.arange(len(self.splits), dtype=np.intp), counts)
            cached = self._lists["pairs"] = [
                origins,
                rows,
                np.array(shares, dtype=np.float64),
                ptr,
            ]
        return cached[0], cached[1], cached[2], cached[3]

    def pairs_import(self, kappa: FloatArray) -> FloatArray:
        r"""Import losses :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)` of ``pairs x S`` cuts.

        The same numbers as :func:`chokepoint.core.batch.pairs_import` (each node's pairs summed in
        pair order), without a networkx graph.
        """
        _, rows, shares, ptr = self.pairs()
        kappa = np.asarray(kappa, dtype=np.float64)
        if kappa.ndim != 2 or kappa.shape[0] != shares.size:
            msg = f"kappa must have shape (pairs, S) = ({shares.size}, S), not {kappa.shape}"
            raise ScenarioError(msg)
        out = np.zeros((len(self.nodes), kappa.shape[1]), dtype=np.float64)
        cut = np.flatnonzero(np.diff(ptr))

        def term(p: IntArray) -> FloatArray:
            product: FloatArray = shares[p, None] * kappa[p]
            return product

        if cut.size:
            summed = _ordered_sums(ptr, cut, np.zeros((cut.size, kappa.shape[1])), term)
            out[cut] = summed * (1.0 - self.substitutability[cut])[:, None]
        return out

    def import_losses(
        self, cuts: Iterable[Cut], substitution: Mapping[str, float] | None = None
    ) -> FloatArray:
        r"""Import losses :math:`(1 - \sigma_n) \sum_c s_n(c) \kappa(c, n)` of one scenario.

        As :func:`chokepoint.core.scenarios.import_losses`: the largest cut per origin and node
        applies, and a region reaches its members' keys.
        """
        regions = self.chain.regions
        kappa: dict[tuple[str, int], float] = {}
        every = range(len(self.nodes))
        for cut in cuts:
            members = {cut.origin, *regions.get(cut.origin, ())}
            rows = [self.index[n] for n in cut.nodes] if cut.nodes else every
            for n in rows:
                for c in self.splits[n].foreign:
                    if c in members:
                        kappa[c, n] = max(kappa.get((c, n), 0.0), cut.severity)
        losses: dict[int, float] = {}
        for (c, n), severity in kappa.items():
            losses[n] = losses.get(n, 0.0) + self.splits[n].foreign[c] * severity
        out = np.zeros(len(self.nodes), dtype=np.float64)
        overrides = substitution or {}
        for n, m in losses.items():
            sigma = overrides.get(self.nodes[n], float(self.substitutability[n]))
            out[n] = (1.0 - sigma) * m
        return out

    def propagate(
        self,
        import_loss: FloatArray,
        shocks: FloatArray | None = None,
        model: LossModel = "leontief",
    ) -> tuple[FloatArray, FloatArray]:
        r"""Propagate scenarios given as columns; return losses :math:`q` and domestic parts.

        ``import_loss`` and ``shocks`` are ``nodes x S`` (or vectors for one scenario). Column
        by column the result equals :func:`~chokepoint.core.scenarios.propagate_losses`:

        .. math::

            q_n = \min\bigl(1, (1 - \sigma_n) m_n + s_n(P)\, d_n\bigr), \qquad
            d_n = \max\bigl(h_n, \max_{i \in E_n} q_i\bigr) \ \text{or}\
            \min\bigl(1, h_n + \textstyle\sum_i w_{ni} q_i\bigr)

        Returns
        -------
        (q, domestic)
            Losses and their domestic parts :math:`s_n(P) d_n`, shaped like ``import_loss``.

        Raises
        ------
        ScenarioError
            For an unknown model or a cycle that does not converge.
        """
        if model not in MODELS:
            msg = f"unknown model '{model}'; choose one of {', '.join(MODELS)}"
            raise ScenarioError(msg)
        vector = np.ndim(import_loss) == 1
        imports = np.asarray(import_loss, dtype=np.float64).reshape(len(self.nodes), -1)
        width = imports.shape[1]
        h = (
            np.zeros_like(imports)
            if shocks is None
            else np.asarray(shocks, dtype=np.float64).reshape(imports.shape)
        )
        leontief = model == "leontief"
        q = np.zeros_like(imports)
        dom = np.zeros_like(imports)
        pending = list(zip(self.cyclic, self.cyclic_generation, strict=True))
        for g, rows in enumerate(self.by_generation):
            for chunk in self._chunks(rows, width):
                if leontief:
                    links = _gather(self.in_ptr, chunk)
                    mask = self.in_essential[links]
                    terms = np.where(mask[:, None], q[self.in_src[links]], 0.0)
                    stacked, starts = self._stack(chunk, h[chunk], links, terms)
                    d = np.maximum.reduceat(stacked, starts, axis=0)
                else:

                    def term(links: IntArray) -> FloatArray:
                        product: FloatArray = self.in_cost[links, None] * q[self.in_src[links]]
                        return product

                    d = np.minimum(self._ordered_sums(chunk, h[chunk], term), 1.0)
                domestic = self.domestic[chunk, None] * d
                dom[chunk] = domestic
                q[chunk] = np.minimum(imports[chunk] + domestic, 1.0)
            while pending and pending[0][1] == g:
                members, _ = pending.pop(0)
                self._iterate(members, imports, h, q, dom, leontief)
        if vector:
            return q[:, 0], dom[:, 0]
        return q, dom

    def _iterate(
        self,
        members: tuple[int, ...],
        imports: FloatArray,
        h: FloatArray,
        q: FloatArray,
        dom: FloatArray,
        leontief: bool,
    ) -> None:
        """Gauss-Seidel on a cyclic component from zero loss, each column until it stops moving."""
        width = q.shape[1]
        active = np.ones(width, dtype=np.bool_)
        ptr = self._list("in_ptr")
        for _ in range(MAX_ITERATIONS):
            change = np.zeros(width, dtype=np.float64)
            for x in members:
                d = h[x].copy()
                for e in range(ptr[x], ptr[x + 1]):
                    i = int(self.in_src[e])
                    if leontief:
                        if self.in_essential[e]:
                            np.maximum(d, q[i], out=d)
                    elif self.in_cost[e]:
                        d += self.in_cost[e] * q[i]
                if not leontief:
                    np.minimum(d, 1.0, out=d)
                domestic = self.domestic[x] * d
                value = np.minimum(imports[x] + domestic, 1.0)
                np.maximum(change, np.abs(value - q[x]), out=change)
                q[x] = np.where(active, value, q[x])
                dom[x] = np.where(active, domestic, dom[x])
            active &= change > TOLERANCE
            if not active.any():
                return
        names = ", ".join(self.nodes[x] for x in members)
        msg = (
            f"the losses on the cycle {names} did not converge in {MAX_ITERATIONS:,} iterations; "
            "lower a cost share on the cycle or use --model leontief"
        )
        raise ScenarioError(msg)

    def run(
        self,
        cuts: Sequence[Cut],
        shocks: Mapping[str, float],
        substitution: Mapping[str, float],
        model: LossModel,
    ) -> dict[str, tuple[float, float, float]]:
        """One scenario as ``{node: (loss, import, domestic)}``, like ``Prepared.run``."""
        imports = self.import_losses(cuts, substitution)
        h = np.zeros(len(self.nodes), dtype=np.float64)
        for node, severity in shocks.items():
            h[self.index[node]] = severity
        q, dom = self.propagate(imports, h, model)
        return {
            n: (a, b, c)
            for n, a, b, c in zip(
                self.nodes, q.tolist(), imports.tolist(), dom.tolist(), strict=True
            )
        }


def _better(value: float, reach: int, best: float, which: int) -> bool:
    """Whether ``(value, reach)`` beats ``(best, which)``: larger loss, then the cut node itself
    (``-2``), then the first final product in chain order."""
    if value != best:
        return value > best
    if which == -1:
        return True
    if reach == -2 or which == -2:
        return reach == -2 and which != -2
    return reach < which


def _condense(
    size: int, src: IntArray, dst: IntArray
) -> tuple[IntArray, tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Generations of the strongly connected components, and the cyclic components in order."""
    generation = _generations(size, src, dst)
    if not size or generation.min() >= 0:
        return generation, (), ()
    # The nodes never reached lie on a cycle or downstream of one. Trim, from the other end,
    # those that reach no cycle: what remains is the cyclic core, whose components we need.
    rest = generation < 0
    inside = rest[src] & rest[dst]
    back = _generations(size, dst[inside], src[inside])
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
    level = _generations(count, label[src[between]], label[dst[between]])
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
