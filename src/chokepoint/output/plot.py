"""Pictures of chains and sweeps, drawn with matplotlib (the optional ``plot`` extra).

:func:`plot_chain` draws a chain left to right, one column per stage (:func:`placement`), its
arrows routed between the boxes (:func:`routes`), and returns PNG or SVG bytes;
:func:`plot_sweep` draws final-product loss against severity from plain rows, and
:func:`plot_ranking` a sweep over origins or nodes as ranked bars. matplotlib
is imported inside these functions, on the Agg canvas, without :mod:`matplotlib.pyplot`: no
figure, backend or ``rcParams`` change outlives a call. Without matplotlib they raise
:class:`PlotDependencyError`, which says how to install it.

Colours are those of :mod:`chokepoint.output.export` (:func:`~chokepoint.output.export.ramp_colour`), so a
picture and a GEXF/DOT/Mermaid export of the same chain agree.
"""

from __future__ import annotations

import bisect
import io
import math
import os
import textwrap
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ChokepointError, OutputError
from ..model import Chain
from .export import NA_COLOUR, OUTLINE_COLOUR, RAMP, node_rows, ramp_colour, shade, text_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..core.analysis import Analysis
    from ..core.scenarios import ScenarioResult, SweepResult, SweepRow

__all__ = [
    "DPI",
    "MAX_PIXELS",
    "MAX_ROWS",
    "PLOT_FORMATS",
    "RANK_BARS",
    "Bar",
    "Placement",
    "PlotDependencyError",
    "Route",
    "chain_figure",
    "chain_figure_size",
    "layout",
    "placement",
    "plot_chain",
    "plot_format",
    "plot_ranking",
    "plot_sweep",
    "plot_sweep_result",
    "ranking_bars",
    "routes",
    "sweep_series",
]

PlotFormat = Literal["png", "svg"]
PLOT_FORMATS: tuple[PlotFormat, ...] = ("png", "svg")
#: Resolution of PNG files, in dots per inch.
DPI = 150
#: The most pixels a PNG picture may have in each direction (matplotlib's Agg canvas: 2^16 - 1).
MAX_PIXELS = 65_535
INSTALL_HINT = "pip install 'chokepoint-supply[plot]'"

# Geometry of plot_chain, in inches: one column per stage, one row per node of the fullest stage.
COLUMN_WIDTH = 2.7
ROW_HEIGHT = 0.62
TITLE_HEIGHT = 1.0
HEADER_HEIGHT = 0.3
LEGEND_HEIGHT = 1.2
SIDE_MARGIN = 0.3
MIN_WIDTH = 8.0
MIN_ROWS = 3
#: A layer of a stage with more nodes than this wraps into several columns.
MAX_ROWS = 16
# Boxes, in data units (a column is 1 wide, a row 1 high).
BOX_WIDTH = 0.72
BOX_HEIGHT = 0.76
FONT_SIZE = 7.5
WRAP = 26
# Routes: how far a line keeps from a box it passes, and from the side of the column it crosses;
# the share of a box's side over which the ends of its arrows are spread.
CHANNEL_MARGIN = 0.05
GAP_INSET = 0.04
#: Lines crossing a column in one band keep this far apart (closer only in a narrow band).
LANE = 0.05
PORT_SPAN = 0.6
# Edges: line width in points is EDGE_MIN + EDGE_SCALE * cost share.
EDGE_MIN = 0.6
EDGE_SCALE = 6.0
UNKNOWN_EDGE = "#8a8a8a"
UNKNOWN_WIDTH = 0.9
EDGE_COLOUR = "#4d4d4d"
BOX_EDGE = "#666666"
CHOKEPOINT_WIDTH = 2.6
#: Outline of a node not ruled out as a choke point (origins incomplete): thinner, dashed.
POSSIBLE_WIDTH = 1.6
POSSIBLE_STYLE = (0, (3, 2))
SWEEP_SIZE = (7.0, 4.5)
SWEEP_WRAP = 26
SWEEP_LINES = ("-", "--", ":", "-.")
SWEEP_MARKERS = ("o", "s", "^", "D", "v")
# plot_ranking, in inches: width, title room, axis room, label room and height of one bar.
RANK_WIDTH = 9.0
RANK_TOP = 0.85
RANK_BOTTOM = 0.75
RANK_LABELS = 2.6
RANK_BAR = 0.3
RANK_LABEL_CHARS = 42
#: The most cuts plot_ranking draws (the rest are counted under the bars).
RANK_BARS = 60


class PlotDependencyError(ChokepointError):
    """matplotlib, which plots need, is not installed."""


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        msg = f"plots need matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        raise PlotDependencyError(msg) from None


def plot_format(path: str | os.PathLike[str]) -> PlotFormat:
    """The image format a file name asks for: ``png`` or ``svg``.

    Raises
    ------
    OutputError
        For any other suffix.

    >>> plot_format("chain.SVG")
    'svg'
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    for fmt in PLOT_FORMATS:
        if suffix == fmt:
            return fmt
    msg = f"cannot draw '{Path(path).name}': the file name must end in .png or .svg"
    raise OutputError(msg)


# ------------------------------------------------------------------------------------------
# Layout (pure; no matplotlib)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where :func:`plot_chain` puts every node: a grid of columns, stages left to right.

    ``where`` maps a node id to ``(column, row)``; ``stages`` lists ``(stage, first column,
    last column)``; ``rows`` is the height of the fullest column.
    """

    where: dict[str, tuple[int, float]]
    stages: tuple[tuple[str, int, int], ...]
    columns: int
    rows: int


def _layers(stage_nodes: list[str], inputs: Mapping[str, list[str]]) -> list[list[str]]:
    """A stage's nodes in layers: a node one layer right of its latest input of the same stage,
    then as far right as its users in the stage allow.

    Kahn's algorithm on the stage's own inputs; a node on a cycle is placed, in file order, when
    nothing else can be, after the inputs already placed.

    >>> _layers(["a", "b", "c", "d"], {"a": [], "b": ["a"], "c": ["b"], "d": ["c", "x"]})
    [['a'], ['b'], ['c'], ['d']]
    >>> _layers(["t", "u", "v"], {"t": [], "u": [], "v": ["t"], "w": []})
    [['t', 'u'], ['v']]
    """
    inside = set(stage_nodes)
    own = {n: [i for i in inputs[n] if i in inside] for n in stage_nodes}
    users: dict[str, list[str]] = {n: [] for n in stage_nodes}
    waiting = {n: len(own[n]) for n in stage_nodes}
    for n in stage_nodes:
        for i in own[n]:
            users[i].append(n)
    depth: dict[str, int] = {}
    ready = [n for n in stage_nodes if waiting[n] == 0]
    while len(depth) < len(stage_nodes):
        if not ready:  # a cycle: place its first node in file order
            ready = [next(n for n in stage_nodes if n not in depth)]
        node = ready.pop(0)
        if node in depth:
            continue
        depth[node] = max((depth[i] + 1 for i in own[node] if i in depth), default=0)
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0 and user not in depth:
                ready.append(user)
    # then as late as its users allow: right before its earliest user in the stage, so an
    # input feeds the next layer rather than one far right (shorter arrows, fuller columns)
    placed = sorted(depth, key=lambda n: -depth[n])
    for node in placed:
        later = [depth[u] for u in users[node] if depth[u] > depth[node]]
        if later:
            depth[node] = min(later) - 1
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for n in stage_nodes:
        layers[depth[n]].append(n)
    return layers


def placement(chain: Chain, sweeps: int = 4) -> Placement:
    r"""Place each node on a grid: stages left to right, each in one or more columns.

    A stage whose nodes take others of the same stage as inputs is split into layers (a node
    one layer right of its latest input in the stage, by Kahn's algorithm with cycles broken in
    file order; then moved right to just before its earliest user in the stage), so every arrow
    within a stage points right and stays short. A layer of more than
    :data:`MAX_ROWS` nodes wraps into :math:`\lceil k / 16 \rceil` columns, row by row, so a
    126-node chain stays a wide picture rather than a 44-inch strip. Each column is centred on
    row 0 (the first of ``k`` nodes at ``(k - 1) / 2``). Within a layer nodes start in file
    order and are reordered by the barycentre heuristic [1]_: ``sweeps`` passes, each sorting
    every layer by the mean row of its inputs (left to right) and then of its users (right to
    left), which removes most edge crossings; nodes without neighbours on that side keep their
    row, ties keep order.

    References
    ----------
    .. [1] Sugiyama, K., Tagawa, S. and Toda, M. (1981), "Methods for visual understanding of
           hierarchical system structures", *IEEE Trans. SMC* 11(2), 109-125.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> p = placement(load_chain("tests/data/valid/mini.yaml"))
    >>> p.stages, p.columns, p.rows
    ((('upstream', 0, 0), ('midstream', 1, 1), ('downstream', 2, 2)), 3, 2)
    """
    inputs = {n.id: [i.node for i in n.inputs if i.node != n.id] for n in chain.nodes}
    users: dict[str, list[str]] = {n.id: [] for n in chain.nodes}
    for node_id, items in inputs.items():
        for item in items:
            users[item].append(node_id)
    layers: list[list[str]] = []  # every layer of every stage, left to right
    owner: list[int] = []  # the stage of each layer
    for k, stage in enumerate(chain.stages):
        found = _layers([n.id for n in chain.nodes if n.stage == stage], inputs)
        layers.extend(found)
        owner.extend([k] * len(found))
    wraps = [max(1, math.ceil(len(layer) / MAX_ROWS)) for layer in layers]
    first = [sum(wraps[:k]) for k in range(len(layers))]

    def grid() -> dict[str, tuple[int, float]]:
        out: dict[str, tuple[int, float]] = {}
        for k, layer in enumerate(layers):
            per = math.ceil(len(layer) / wraps[k]) if layer else 0
            for j, node_id in enumerate(layer):  # row by row across the layer's columns
                column, row = j % wraps[k], j // wraps[k]
                height = min(per, len(range(column, len(layer), wraps[k])))
                out[node_id] = (first[k] + column, (height - 1) / 2 - row)
        return out

    def reorder(layer: list[str], neighbours: Mapping[str, list[str]]) -> list[str]:
        y = {n: r for n, (_, r) in grid().items()}

        def key(node_id: str) -> float:
            near = neighbours[node_id]
            return -sum(y[n] for n in near) / len(near) if near else -y[node_id]

        return sorted(layer, key=key)

    for _ in range(sweeps):
        for k in range(1, len(layers)):
            layers[k] = reorder(layers[k], inputs)
        for k in range(len(layers) - 2, -1, -1):
            layers[k] = reorder(layers[k], users)
    where = grid()
    stages = []
    for k, stage in enumerate(chain.stages):
        mine = [j for j, o in enumerate(owner) if o == k]
        stages.append((stage, first[mine[0]], first[mine[-1]] + wraps[mine[-1]] - 1))
    heights: dict[int, int] = {}
    for column, _ in where.values():
        heights[column] = heights.get(column, 0) + 1
    rank = {s: k for k, s in enumerate(chain.stages)}
    ordered = {
        n.id: where[n.id]
        for n in sorted(chain.nodes, key=lambda n: (rank[n.stage], where[n.id][0]))
    }
    return Placement(ordered, tuple(stages), sum(wraps), max(heights.values(), default=0))


def layout(chain: Chain, sweeps: int = 4) -> dict[str, tuple[int, float]]:
    """``{node id: (column, row)}`` of :func:`placement`.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> layout(load_chain("tests/data/valid/mini.yaml"))
    {'reducers': (0, 0.5), 'plc': (0, -0.5), 'robots': (1, 0.0), 'cars': (2, 0.0)}
    """
    return placement(chain, sweeps).where


@dataclass(frozen=True, slots=True)
class Route:
    """The path of one arrow, from ``source`` (an input) to ``target`` (its user), in data units."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]


def _free_bands(rows: list[float], lowest: float, highest: float) -> list[tuple[float, float]]:
    """The bands of a column (boxes at ``rows``) where a line may cross it, bottom to top.

    They lie between boxes (and above and below them, within ``[lowest, highest]``); each keeps
    :data:`CHANNEL_MARGIN` from the boxes around it.

    >>> _free_bands([1.0, 0.0], -2.0, 2.0)
    [(-2.0, -0.43), (0.43, 0.57), (1.43, 2.0)]
    """
    half = BOX_HEIGHT / 2 + CHANNEL_MARGIN
    bands = []
    low = lowest
    for y in sorted(rows):
        if y - half >= low:
            bands.append((round(low, 9), round(min(highest, y - half), 9)))
        low = max(low, y + half)
    if highest >= low:
        bands.append((round(low, 9), round(highest, 9)))
    return bands or [(lowest, lowest)]


def _nearest_band(
    bands: list[tuple[float, float]], wanted: float, starts: list[float] | None = None
) -> tuple[float, float]:
    """The band of :func:`_free_bands` nearest the row ``wanted`` (the upper one on a tie);
    ``starts``, the bands' lower ends, when the caller has them.

    >>> _nearest_band([(-2.0, -0.43), (0.43, 0.57), (1.43, 2.0)], 0.4)
    (0.43, 0.57)
    """
    k = bisect.bisect_right(starts or [a for a, _ in bands], wanted)
    near = bands[max(0, k - 1) : k + 1]
    return min(
        near,
        key=lambda band: (round(abs(min(max(wanted, band[0]), band[1]) - wanted), 9), -band[0]),
    )


def _lanes(wanted: list[float], low: float, high: float) -> list[float]:
    r"""Rows for lines crossing one band ``[low, high]``: as near the rows they want as can be
    (least squares) while keeping their order and :math:`g` = :data:`LANE` apart (less when
    the band is too narrow: :math:`g = (\mathit{high} - \mathit{low}) / (n - 1)`).

    With the wishes :math:`w_0 \ge w_1 \ge \dots` and :math:`u_j = y_j + j g`, the rule is
    the isotonic regression of :math:`w_j + j g` (non-increasing, pool-adjacent-violators),
    clipped to :math:`[\mathit{low} + (n-1) g, \mathit{high}]`; then :math:`y_j = u_j - j g`.

    >>> _lanes([0.5, 0.5, 0.5], 0.43, 0.57)
    [0.55, 0.5, 0.45]
    >>> _lanes([0.1, 0.9], 0.0, 1.0)
    [0.1, 0.9]
    """
    count = len(wanted)
    if count == 0:
        return []
    order = sorted(range(count), key=lambda k: (-wanted[k], k))
    gap = LANE if count < 2 else min(LANE, (high - low) / (count - 1))
    blocks: list[list[float]] = []  # [sum, size] of pooled values, non-increasing
    for j, k in enumerate(order):
        blocks.append([wanted[k] + j * gap, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            total, size = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += size
    u = [b[0] / b[1] for b in blocks for _ in range(int(b[1]))]
    out = [0.0] * count
    for j, k in enumerate(order):
        value = min(max(u[j], low + (count - 1) * gap), high)
        out[k] = round(value - j * gap, 9)
    return out


def routes(chain: Chain, where: Mapping[str, tuple[int, float]]) -> list[Route]:
    r"""The arrows of :func:`plot_chain`: each leaves its input's box on the right and enters its
    user's box on the left, and never crosses a box it does not connect.

    Between columns (the gaps, where no box is) a route runs straight; across a column it runs
    level, at the free row nearest the straight line from input to user (:func:`_free_bands`),
    so it passes between boxes. An arrow to a column at or left of its input's (a cycle, or a
    node of a later stage feeding an earlier one) crosses the columns leftwards in the same way.
    Where several arrows leave or enter one box, their ends are spread over the box's side in
    the order of the rows they come from or go to, so they do not cross at the box. A node that
    is its own input has no route (:func:`plot_chain` draws a small loop).

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> chain = load_chain("tests/data/valid/mini.yaml")
    >>> [(r.source, r.target, len(r.points)) for r in routes(chain, layout(chain))]
    [('reducers', 'robots', 2), ('plc', 'robots', 2), ('robots', 'cars', 2)]
    """
    half_w = BOX_WIDTH / 2
    columns: dict[int, list[float]] = {}
    for x, y in where.values():
        columns.setdefault(x, []).append(y)
    # lines may pass above and below the outermost boxes, up to half a row beyond their centres
    top = max((abs(y) for _, y in where.values()), default=0.0) + 0.5
    pairs = [(i.node, n.id) for n in chain.nodes for i in n.inputs if i.node != n.id]

    def spread(ends: Mapping[str, list[tuple[float, int]]]) -> dict[int, float]:
        offsets: dict[int, float] = {}
        for node_id, items in ends.items():
            items.sort(key=lambda item: (-item[0], item[1]))
            step = PORT_SPAN * BOX_HEIGHT / max(len(items), 1)
            for k, (_, e) in enumerate(items):
                offsets[e] = where[node_id][1] + step * ((len(items) - 1) / 2 - k)
        return offsets

    outs: dict[str, list[tuple[float, int]]] = {}
    ins: dict[str, list[tuple[float, int]]] = {}
    for e, (a, b) in enumerate(pairs):
        outs.setdefault(a, []).append((where[b][1], e))
        ins.setdefault(b, []).append((where[a][1], e))
    leave, enter = spread(outs), spread(ins)
    # each crossing of a column: (edge, column, wanted row) -> its band; then lanes per band
    crossings: list[tuple[int, int, float]] = []
    for e, (a, b) in enumerate(pairs):
        (x1, _), (x2, _) = where[a], where[b]
        y1, y2 = leave[e], enter[e]
        crossed = list(range(x1 + 1, x2)) if x2 > x1 else list(range(x1, x2 - 1, -1))
        for x in crossed:
            t = (x - x1) / (x2 - x1) if x2 != x1 else 0.5
            crossings.append((e, x, y1 + (y2 - y1) * t))
    free = {x: _free_bands(columns.get(x, []), -top, top) for x in {x for _, x, _ in crossings}}
    starts = {x: [a for a, _ in found] for x, found in free.items()}
    bands: dict[tuple[int, float, float], list[int]] = {}
    for k, (_, x, wanted) in enumerate(crossings):
        low, high = _nearest_band(free[x], wanted, starts[x])
        bands.setdefault((x, low, high), []).append(k)
    level: dict[int, float] = {}
    for (_, low, high), members in bands.items():
        for k, y in zip(
            members, _lanes([crossings[k][2] for k in members], low, high), strict=True
        ):
            level[k] = y
    found = []
    k = 0
    for e, (a, b) in enumerate(pairs):
        (x1, _), (x2, _) = where[a], where[b]
        step = 1 if x2 > x1 else -1
        points = [(x1 + half_w, leave[e])]
        while k < len(crossings) and crossings[k][0] == e:
            x, y = crossings[k][1], level[k]
            points += [(x - step * (half_w + GAP_INSET), y), (x + step * (half_w + GAP_INSET), y)]
            k += 1
        points.append((x2 - half_w, enter[e]))
        found.append(Route(a, b, tuple(points)))
    return found


def chain_figure_size(chain: Chain) -> tuple[float, float]:
    """Width and height in inches of :func:`plot_chain`'s picture of ``chain``.

    ``max(8, 2.7 * columns + 0.6)`` wide; ``0.62 * max(3, nodes in the fullest column) + 2.5``
    high (title 1.0, stage headers 0.3, legend 1.2), with the columns of :func:`placement` (one
    per stage, more where a stage has layers or a layer wraps at 16 nodes), so every box keeps
    the same size however large the chain: 45 nodes of one stage wrap into 3 columns of 15,
    11.4 x 11.8 inches with a second, empty stage.

    >>> from chokepoint import load_chain
    >>> chain_figure_size(load_chain("tests/data/valid/mini.yaml"))
    (8.7, 4.36)
    """
    grid = placement(chain)
    width = max(MIN_WIDTH, COLUMN_WIDTH * grid.columns + 2 * SIDE_MARGIN)
    height = ROW_HEIGHT * max(MIN_ROWS, grid.rows) + TITLE_HEIGHT + HEADER_HEIGHT + LEGEND_HEIGHT
    return round(width, 6), round(height, 6)


# ------------------------------------------------------------------------------------------
# matplotlib helpers


@contextmanager
def _drawing() -> Iterator[None]:
    """Local rcParams (text kept as text in SVG, a fixed hash salt) and quiet glyph warnings."""
    _require_matplotlib()
    import matplotlib as mpl

    local = mpl.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "chokepoint", "font.size": FONT_SIZE}
    )
    with local, warnings.catch_warnings():
        # A name in a script the font lacks is drawn with boxes; that is no reason to fail.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        yield


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, fmt: PlotFormat) -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _colormap() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("chokepoint", list(RAMP))


def _edge_style(cost: float | None, essential: bool) -> dict[str, Any]:
    known = cost is not None
    return {
        "linewidth": EDGE_MIN + EDGE_SCALE * cost if cost is not None else UNKNOWN_WIDTH,
        "color": EDGE_COLOUR if known else UNKNOWN_EDGE,
        "linestyle": "--" if not essential else ("-" if known else ":"),
    }


def _label(name: str, caption: str) -> str:
    lines = textwrap.wrap(name, WRAP) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), WRAP, placeholder="...")]
    return "\n".join([*lines, caption])


def _draw_edges(ax: Axes, chain: Chain, where: Mapping[str, tuple[int, float]]) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MplPath

    items = {(i.node, n.id): i for n in chain.nodes for i in n.inputs}
    for route in routes(chain, where):
        item = items[route.source, route.target]
        style = _edge_style(item.cost_share, item.essential)
        ax.add_patch(
            FancyArrowPatch(
                path=MplPath(route.points),
                arrowstyle="-|>",
                mutation_scale=7 + style["linewidth"],
                joinstyle="round",
                capstyle="round",
                zorder=1,
                **style,
            )
        )
    for node in chain.nodes:  # a self-input: a loop on the right side of the box
        if any(i.node == node.id for i in node.inputs):
            x, y = where[node.id]
            item = items[node.id, node.id]
            style = _edge_style(item.cost_share, item.essential)
            start, end = (x + BOX_WIDTH / 2, y + 0.15), (x + BOX_WIDTH / 2, y - 0.15)
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="-|>",
                    mutation_scale=7 + style["linewidth"],
                    connectionstyle="arc3,rad=-1.6",
                    shrinkA=0,
                    shrinkB=0,
                    zorder=1,
                    **style,
                )
            )


def _legend(figure: Figure, width: float, height: float, what: str) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    bar = figure.add_axes(
        (SIDE_MARGIN / width, 0.55 / height, min(3.2, width * 0.35) / width, 0.16 / height)
    )
    colours = figure.colorbar(
        ScalarMappable(norm=Normalize(0.0, 1.0), cmap=_colormap()),
        cax=bar,
        orientation="horizontal",
    )
    colours.set_label(what, fontsize=FONT_SIZE)
    colours.ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    colours.ax.tick_params(labelsize=FONT_SIZE)
    handles = [
        Patch(facecolor="#ffffff", edgecolor=OUTLINE_COLOUR, linewidth=CHOKEPOINT_WIDTH),
        Patch(
            facecolor="#ffffff",
            edgecolor=OUTLINE_COLOUR,
            linewidth=POSSIBLE_WIDTH,
            linestyle=POSSIBLE_STYLE,
        ),
        Patch(facecolor=NA_COLOUR, edgecolor=BOX_EDGE, linewidth=0.8),
        Line2D([], [], **_edge_style(0.1, True)),
        Line2D([], [], **_edge_style(0.5, True)),
        Line2D([], [], **_edge_style(0.3, False)),
        Line2D([], [], **_edge_style(None, True)),
    ]
    labels = [
        "choke point",
        "not ruled out (origins incomplete)",
        "no shares known",
        "input, cost share 10%",
        "input, cost share 50%",
        "inessential input",
        "cost share unknown",
    ]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for ncols in (3, 2):  # two columns when three leave the colour bar too little room
        legend = figure.legend(
            handles,
            labels,
            loc="lower right",
            bbox_to_anchor=(1 - SIDE_MARGIN / width, 0.2 / height),
            ncols=ncols,
            fontsize=FONT_SIZE,
            frameon=False,
        )
        room = legend.get_window_extent(renderer).x0 / figure.dpi - SIDE_MARGIN - 0.4
        if room >= 2.0 or ncols == 2:
            break
        legend.remove()
    # the colour bar ends 0.4 inches left of the legend
    bar.set_position(
        (SIDE_MARGIN / width, 0.55 / height, max(1.2, min(3.2, room)) / width, 0.16 / height)
    )


def _title(chain: Chain, analysis: Analysis, result: ScenarioResult | None) -> tuple[str, str]:
    sub = f"perspective {analysis.perspective} · {analysis.year}"
    if result is not None:
        name = result.scenario.title or result.scenario.name
        sub += f" · scenario: {name}" if name else " · custom scenario"
        sub += f" ({result.model} model)"
    return f"{chain.title} ({chain.name})", sub


# ------------------------------------------------------------------------------------------
# The pictures


def plot_chain(
    chain: Chain,
    analysis: Analysis,
    result: ScenarioResult | None = None,
    *,
    fmt: PlotFormat = "png",
) -> bytes:
    """Draw the chain left to right, one column per stage, and return the image file's bytes.

    Each node is a box filled by :func:`~chokepoint.output.export.ramp_colour` of its import
    dependence (of its loss when ``result`` is given; grey when unknown) and shows that value
    under its name; choke points have a thick black outline. Arrows run from an input to its
    user, as wide as ``0.6 + 6 * cost_share`` points, dashed when inessential, dotted grey when
    the cost share is unknown. Rows follow :func:`layout`; the size is
    :func:`chain_figure_size` at :data:`DPI` dots per inch. A colour bar, a legend and a title
    (chain, perspective, year, scenario) complete the picture.

    Parameters
    ----------
    chain
        The chain.
    analysis
        Its :func:`~chokepoint.analyze` result.
    result
        A :func:`~chokepoint.run_scenario` result: colour by loss instead of dependence.
    fmt
        ``png`` or ``svg`` (text stays text in SVG).

    Returns
    -------
    bytes
        The image; write it with :func:`~chokepoint.output.export.write_atomic`.

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    OutputError
        For a format other than png or svg, or a PNG picture wider or higher than
        :data:`MAX_PIXELS` (SVG has no such limit).
    """
    if fmt not in PLOT_FORMATS:
        msg = f"unknown image format '{fmt}'; choose png or svg"
        raise OutputError(msg)
    width, height = chain_figure_size(chain)
    pixels = round(width * DPI), round(height * DPI)
    if fmt == "png" and max(pixels) > MAX_PIXELS:
        msg = (
            f"chain '{chain.name}' ({len(chain.nodes):,} nodes) makes a picture of "
            f"{pixels[0]:,} x {pixels[1]:,} pixels, above the {MAX_PIXELS:,} a PNG file can "
            "hold in each direction; draw it as .svg instead"
        )
        raise OutputError(msg)
    with _drawing():
        return _save(chain_figure(chain, analysis, result), fmt)


def chain_figure(chain: Chain, analysis: Analysis, result: ScenarioResult | None = None) -> Figure:
    """The matplotlib figure :func:`plot_chain` saves (on the Agg canvas; no pyplot).

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    """
    rows = dict(node_rows(chain, analysis, result))
    grid = placement(chain)
    where = grid.where
    width, height = chain_figure_size(chain)
    span = max(MIN_ROWS, *(1 + 2 * abs(y) for _, y in where.values()))
    what = "output loss under the scenario" if result is not None else "import dependence"
    with _drawing():
        from matplotlib.patches import FancyBboxPatch

        figure = _new_figure(width, height)
        plot_h = height - TITLE_HEIGHT - HEADER_HEIGHT - LEGEND_HEIGHT
        ax = figure.add_axes(
            (
                SIDE_MARGIN / width,
                LEGEND_HEIGHT / height,
                1 - 2 * SIDE_MARGIN / width,
                plot_h / height,
            )
        )
        columns = max(grid.columns, (width - 2 * SIDE_MARGIN) / COLUMN_WIDTH)
        ax.set_xlim(-0.5, columns - 0.5)
        ax.set_ylim(-span / 2, span / 2)
        ax.set_axis_off()
        for stage, first, last in grid.stages:
            ax.text(
                (first + last) / 2,
                span / 2,
                stage,
                ha="center",
                va="bottom",
                fontsize=9,
                fontweight="bold",
            )
            if last > first:  # a stage of several columns: a rule under its name
                ax.plot(
                    (first - BOX_WIDTH / 2, last + BOX_WIDTH / 2),
                    (span / 2 - 0.02,) * 2,
                    color=BOX_EDGE,
                    linewidth=0.6,
                )
        _draw_edges(ax, chain, where)
        for node_id, (x, y) in where.items():
            row = rows[node_id]
            value = shade(row, result)
            fill = ramp_colour(value)
            flagged = row.get("chokepoint") is True
            possible = row.get("possible_chokepoint") is True
            ax.add_patch(
                FancyBboxPatch(
                    (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
                    BOX_WIDTH,
                    BOX_HEIGHT,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=fill,
                    edgecolor=OUTLINE_COLOUR if flagged or possible else BOX_EDGE,
                    linewidth=CHOKEPOINT_WIDTH if flagged else POSSIBLE_WIDTH if possible else 0.8,
                    linestyle=POSSIBLE_STYLE if possible else "-",
                    zorder=2,
                )
            )
            caption = f"{value:.0%}" if value is not None else "n/a"
            if flagged:
                caption += " · choke point"
            elif possible:
                caption += " · not ruled out"
            ax.text(
                x,
                y,
                _label(str(row["label"]), caption),
                ha="center",
                va="center",
                color=text_colour(fill),
                fontsize=FONT_SIZE,
                linespacing=1.15,
                zorder=3,
                gid=f"label-{node_id}",
            )
        title, sub = _title(chain, analysis, result)
        _headings(figure, [(title, 13, "bold"), (sub, 10, "normal")], TITLE_HEIGHT)
        _legend(figure, width, height, what)
        return figure


def _headings(figure: Figure, lines: list[tuple[str, float, str]], room: float) -> None:
    """Draw title lines centred in the top ``room`` inches of ``figure``, each within its width.

    A line wider than the figure less :data:`SIDE_MARGIN` each side is wrapped at fewer and
    fewer characters until it fits; if the lines then need more than ``room`` inches, every
    size shrinks by 10% and they are drawn again, while the smallest stays at or above
    :data:`FONT_SIZE`. The block is then centred vertically in ``room``.
    """
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    dpi, height = figure.dpi, figure.bbox.height
    limit = figure.bbox.width - 2 * SIDE_MARGIN * dpi
    smallest = min(size for _, size, _ in lines)
    scale = 1.0
    while True:
        drawn = []
        top = height - 0.1 * dpi
        for text, size, weight in lines:
            artist = figure.text(
                0.5, top / height, text, ha="center", va="top",
                fontsize=size * scale, fontweight=weight, linespacing=1.1,
            )  # fmt: skip
            fit = len(text)
            extent = artist.get_window_extent(renderer)
            while extent.width > limit and fit > 8:
                fit = max(8, min(fit - 1, int(fit * limit / extent.width)))
                artist.set_text(textwrap.fill(text, fit))
                extent = artist.get_window_extent(renderer)
            drawn.append(artist)
            top = extent.y0 - 0.06 * dpi
        used = height - top
        if used <= room * dpi or smallest * scale * 0.9 < FONT_SIZE:
            break
        for artist in drawn:
            artist.remove()
        scale *= 0.9
    shift = max(0.0, (room * dpi - used) / 2) / height
    for artist in drawn:
        x, y = artist.get_position()
        artist.set_position((x, y - shift))


def sweep_series(
    rows: Iterable[tuple[float, str, float]],
) -> dict[str, tuple[list[float], list[float]]]:
    """Group ``(severity, final product, loss)`` rows into one curve per product.

    Products keep the order of their first row; each curve is sorted by severity.

    Raises
    ------
    OutputError
        When there is no row, or a severity or loss is not a finite number.

    >>> sweep_series([(1.0, "cars", 0.8), (0.0, "cars", 0.0), (0.5, "cars", 0.4)])
    {'cars': ([0.0, 0.5, 1.0], [0.0, 0.4, 0.8])}
    """
    points: dict[str, list[tuple[float, float]]] = {}
    for severity, product, loss in rows:
        if not (math.isfinite(severity) and math.isfinite(loss)):
            msg = f"cannot plot a sweep point of {product}: severity {severity}, loss {loss}"
            raise OutputError(msg)
        points.setdefault(product, []).append((float(severity), float(loss)))
    if not points:
        msg = "nothing to plot: the sweep has no rows"
        raise OutputError(msg)
    series: dict[str, tuple[list[float], list[float]]] = {}
    for product, pairs in points.items():
        pairs.sort()
        series[product] = ([s for s, _ in pairs], [v for _, v in pairs])
    return series


def plot_sweep(
    rows: Iterable[tuple[float, str, float]],
    *,
    fmt: PlotFormat = "png",
    title: str = "",
    names: Mapping[str, str] | None = None,
    xlabel: str = "severity of the cut",
) -> bytes:
    """Draw final-product loss against severity, one curve per final product.

    Parameters
    ----------
    rows
        ``(severity, final product id, loss)``, severity and loss in [0, 1], in any order.
    fmt
        ``png`` or ``svg``.
    title
        The title (e.g. the chain, perspective, year and the cut).
    names
        Display names of the products for the legend (default: the ids).
    xlabel
        The label of the x axis.

    Returns
    -------
    bytes
        A 7 x 4.5 inch image (1050 x 675 px as PNG).

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    OutputError
        For an empty sweep or a value that is not finite.
    """
    if fmt not in PLOT_FORMATS:
        msg = f"unknown image format '{fmt}'; choose png or svg"
        raise OutputError(msg)
    series = sweep_series(rows)
    labels = names or {}
    with _drawing():
        from matplotlib.ticker import PercentFormatter

        figure = _new_figure(*SWEEP_SIZE)
        ax = figure.add_axes((0.1, 0.13, 0.57, 0.72))
        for k, (product, (severities, losses)) in enumerate(series.items()):
            # curves that coincide stay visible: each has its own dashes and marker
            ax.plot(
                severities,
                losses,
                linestyle=SWEEP_LINES[k % len(SWEEP_LINES)],
                marker=SWEEP_MARKERS[k % len(SWEEP_MARKERS)],
                markersize=3.5,
                clip_on=False,
                label=textwrap.fill(labels.get(product, product), SWEEP_WRAP),
            )
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss of output")
        ax.grid(True, linewidth=0.4, alpha=0.6)
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="final product"
        )
        if title:
            ax.set_title(textwrap.fill(title, 72), fontsize=10)
        return _save(figure, fmt)


def plot_sweep_result(
    result: SweepResult, chain: Chain, *, fmt: PlotFormat = "png", year: int | None = None
) -> bytes:
    """Draw a sweep (``chokepoint sweep ... --plot``): of one cut, loss against severity
    (:func:`plot_sweep`); over origins or nodes, the ranked bars of :func:`plot_ranking`.

    The title names the chain, the cut, the perspective, the year (``year``, default the
    chain's) and the model; the legend, the final products' names.

    Raises
    ------
    OutputError
        For an empty sweep, or a sweep of several cuts that is not ranked (``over``).
    """
    if result.over is not None:
        return plot_ranking(result, chain, fmt=fmt, year=year)
    cuts = {(row.origin, row.node) for row in result.rows}
    if len(cuts) != 1:
        msg = "a sweep picture draws loss against the severity of one cut, not of several"
        raise OutputError(msg)
    origin, node = next(iter(cuts))
    cut = origin if node is None else f"{origin}:{node}"
    # a loss that rests on a missing cost share is only a lower bound: not drawn
    rows = [
        (row.severity, final, loss)
        for row in result.rows
        for final, loss in row.final
        if final not in row.unknown
    ]
    title = (
        f"{chain.title}: cut {cut} · perspective {result.perspective} · "
        f"{year or chain.year} · {result.model} model"
    )
    names = {n.id: n.name for n in chain.nodes}
    return plot_sweep(rows, fmt=fmt, title=title, names=names)


@dataclass(frozen=True, slots=True)
class Bar:
    """One cut of a ranked sweep: its rank, label, worst loss (None when unknown) and why."""

    rank: int
    label: str
    worst: float | None
    finals: tuple[str, ...]
    reason: str | None


def ranking_bars(result: SweepResult, chain: Chain) -> list[Bar]:
    r"""One :class:`Bar` per cut of a ranked sweep, in rank order (worst first).

    A cut's value is its worst final-product loss over its rows,
    :math:`W = \max_s \max_f q_f(s)` (:func:`~chokepoint.core.scenarios.rank_sweep_rows`);
    None when a row's worst loss is unknown. Labels are ``ORIGIN`` for a whole-origin cut and
    ``ORIGIN · node name`` for a cut of one node.

    >>> import chokepoint
    >>> chain = chokepoint.load_chain("tests/data/valid/mini.yaml")
    >>> [(b.rank, b.label, round(b.worst, 3)) for b in ranking_bars(chokepoint.sweep(chain, over="nodes"), chain)]
    [(1, 'JP · Robots', 0.5), (2, 'JP · Reduction gears', 0.325), (3, 'EU · PLCs', 0.0)]
    """
    names = {n.id: n.name for n in chain.nodes}
    cuts: dict[int, list[SweepRow]] = {}
    for row in result.rows:
        cuts.setdefault(row.rank or 0, []).append(row)
    bars = []
    for rank, rows in cuts.items():
        first = rows[0]
        label = first.origin
        if first.node is not None:
            label += " · " + ", ".join(names.get(n, n) for n in first.node.split(","))
        worsts = [r.worst for r in rows]
        if None in worsts:
            reason = next((r.reason for r in rows if r.reason), None) or "rests on an unknown"
            bars.append(Bar(rank, label, None, (), reason))
            continue
        top = max(rows, key=lambda r: r.worst or 0.0)
        bars.append(Bar(rank, label, top.worst, top.worst_final, None))
    return bars


def plot_ranking(
    result: SweepResult, chain: Chain, *, fmt: PlotFormat = "png", year: int | None = None
) -> bytes:
    """Draw a sweep over origins or nodes as ranked horizontal bars, worst at the top.

    One bar per cut (:func:`ranking_bars`), as long as its worst final-product loss and
    coloured by :func:`~chokepoint.output.export.ramp_colour`, with the value and the final
    product(s) it hits at its end. A cut whose worst loss is unknown has no bar: its row says
    ``n/a`` and why. At most :data:`RANK_BARS` cuts are drawn (the rest are counted under the
    bars; JSON and CSV list every one). Each bar's SVG group is ``rank-N``.

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    OutputError
        For a sweep without rows, or one that is not ranked.
    """
    if fmt not in PLOT_FORMATS:
        msg = f"unknown image format '{fmt}'; choose png or svg"
        raise OutputError(msg)
    if result.over is None or not result.rows:
        msg = "nothing to rank: draw a sweep over origins or nodes"
        raise OutputError(msg)
    bars = ranking_bars(result, chain)
    shown = bars[:RANK_BARS]
    finals = len(result.rows[0].final)
    known = [b.worst for b in shown if b.worst is not None]
    reach = max(known, default=0.0)
    limit = min(1.0, reach * 1.45) if reach > 0 else 1.0
    width = RANK_WIDTH
    plot_h = RANK_BAR * len(shown) + 0.2
    height = RANK_TOP + plot_h + RANK_BOTTOM
    severities = sorted({r.severity for r in result.rows})
    at = ", ".join(f"{s:.0%}" for s in severities[:6]) + (", ..." if len(severities) > 6 else "")
    what = (
        "each foreign origin cut at every node"
        if result.over == "origins"
        else ("each node's top foreign supplier cut at that node")
    )
    title = f"{chain.title}: worst final-product loss, worst first"
    sub = (
        f"{what} (severity {at}) · perspective {result.perspective} · "
        f"{year or chain.year} · {result.model} model"
    )
    with _drawing():
        from matplotlib.ticker import PercentFormatter

        figure = _new_figure(width, height)
        ax = figure.add_axes(
            (
                RANK_LABELS / width,
                RANK_BOTTOM / height,
                1 - (RANK_LABELS + SIDE_MARGIN) / width,
                plot_h / height,
            )
        )
        positions = [-k for k in range(len(shown))]
        for y, bar in zip(positions, shown, strict=True):
            if bar.worst is None:
                ax.text(
                    0.005 * limit,
                    y,
                    textwrap.fill(
                        textwrap.shorten(f"n/a: {bar.reason}", 180, placeholder="..."), 95
                    ),
                    va="center",
                    ha="left",
                    fontsize=FONT_SIZE,
                    style="italic",
                    color=UNKNOWN_EDGE,
                    gid=f"na-{bar.rank}",
                )
                continue
            ax.barh(
                y,
                bar.worst,
                height=0.7,
                color=ramp_colour(bar.worst),
                edgecolor=BOX_EDGE,
                linewidth=0.6,
                gid=f"rank-{bar.rank}",
            )
            hit = (
                "every final product"
                if len(bar.finals) == finals > 1
                else ", ".join(bar.finals[:2])
                + (f" +{len(bar.finals) - 2}" if len(bar.finals) > 2 else "")
            )
            ax.text(
                bar.worst + 0.01 * limit,
                y,
                f"{bar.worst:.1%} · {hit}",
                va="center",
                ha="left",
                fontsize=FONT_SIZE,
            )
        ax.set_yticks(
            positions,
            [
                f"{b.rank}. {textwrap.shorten(b.label, RANK_LABEL_CHARS, placeholder='...')}"
                for b in shown
            ],
        )
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-len(shown) + 0.4, 0.6)
        ax.set_xlim(0.0, limit)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("worst final-product loss")
        ax.grid(True, axis="x", linewidth=0.4, alpha=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(bars) > len(shown):
            rest = bars[len(shown) :]
            unknown = sum(b.worst is None for b in rest)
            note = f"... {len(rest):,} more cuts not drawn"
            note += f" ({unknown:,} of them n/a)" if unknown else ""
            figure.text(
                SIDE_MARGIN / width,
                0.12 / height,
                note + "; --format json or csv lists every cut",
                fontsize=FONT_SIZE,
            )
        _headings(figure, [(title, 12, "bold"), (sub, 9, "normal")], RANK_TOP)
        return _save(figure, fmt)
