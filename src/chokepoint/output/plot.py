"""Pictures of chains and sweeps, drawn with matplotlib (the optional ``plot`` extra).

:func:`plot_chain` draws a chain left to right, one column per stage, and returns PNG or SVG
bytes; :func:`plot_sweep` draws final-product loss against severity from plain rows. matplotlib
is imported inside these functions, on the Agg canvas, without :mod:`matplotlib.pyplot`: no
figure, backend or ``rcParams`` change outlives a call. Without matplotlib they raise
:class:`PlotDependencyError`, which says how to install it.

Colours are those of :mod:`chokepoint.output.export` (:func:`~chokepoint.output.export.ramp_colour`), so a
picture and a GEXF/DOT/Mermaid export of the same chain agree.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ChokepointError, OutputError
from ..model import Chain
from .export import NA_COLOUR, OUTLINE_COLOUR, RAMP, node_rows, ramp_colour, shade, text_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..core.analysis import Analysis
    from ..core.scenarios import ScenarioResult, SweepResult

__all__ = [
    "DPI",
    "PLOT_FORMATS",
    "PlotDependencyError",
    "chain_figure_size",
    "layout",
    "plot_chain",
    "plot_format",
    "plot_sweep",
    "sweep_series",
]

PlotFormat = Literal["png", "svg"]
PLOT_FORMATS: tuple[PlotFormat, ...] = ("png", "svg")
#: Resolution of PNG files, in dots per inch.
DPI = 150
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
# Boxes, in data units (a column is 1 wide, a row 1 high).
BOX_WIDTH = 0.72
BOX_HEIGHT = 0.76
FONT_SIZE = 7.5
WRAP = 26
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


def layout(chain: Chain, sweeps: int = 4) -> dict[str, tuple[int, float]]:
    """Place each node: column = its stage's index, row = its place in the stage.

    Rows are centred on 0 (the first node of a stage of ``k`` nodes is at ``(k - 1) / 2``, the
    last at ``-(k - 1) / 2``). Within a stage nodes start in file order and are reordered by
    the barycentre heuristic [1]_: ``sweeps`` passes, each sorting every stage by the mean row
    of its inputs (left to right) and then of its users (right to left), which removes most
    edge crossings. Nodes without neighbours on that side keep their row; ties keep order.

    Returns
    -------
    dict
        ``{node id: (column, row)}``.

    References
    ----------
    .. [1] Sugiyama, K., Tagawa, S. and Toda, M. (1981), "Methods for visual understanding of
           hierarchical system structures", *IEEE Trans. SMC* 11(2), 109-125.

    Examples
    --------
    >>> from chokepoint import load_chain
    >>> layout(load_chain("tests/data/valid/mini.yaml"))
    {'reducers': (0, 0.5), 'plc': (0, -0.5), 'robots': (1, 0.0), 'cars': (2, 0.0)}
    """
    rank = {s: k for k, s in enumerate(chain.stages)}
    columns: list[list[str]] = [[] for _ in chain.stages]
    for node in chain.nodes:
        columns[rank[node.stage]].append(node.id)
    inputs = {n.id: [i.node for i in n.inputs if i.node != n.id] for n in chain.nodes}
    users: dict[str, list[str]] = {n.id: [] for n in chain.nodes}
    for node_id, items in inputs.items():
        for item in items:
            users[item].append(node_id)

    def rows() -> dict[str, float]:
        return {
            node_id: (len(column) - 1) / 2 - k
            for column in columns
            for k, node_id in enumerate(column)
        }

    def reorder(column: list[str], neighbours: Mapping[str, list[str]]) -> list[str]:
        y = rows()

        def key(node_id: str) -> float:
            near = neighbours[node_id]
            return -sum(y[n] for n in near) / len(near) if near else -y[node_id]

        return sorted(column, key=key)

    for _ in range(sweeps):
        for k in range(1, len(columns)):
            columns[k] = reorder(columns[k], inputs)
        for k in range(len(columns) - 2, -1, -1):
            columns[k] = reorder(columns[k], users)
    y = rows()
    return {
        n.id: (rank[n.stage], y[n.id]) for n in sorted(chain.nodes, key=lambda n: rank[n.stage])
    }


def chain_figure_size(chain: Chain) -> tuple[float, float]:
    """Width and height in inches of :func:`plot_chain`'s picture of ``chain``.

    ``max(8, 2.7 * stages + 0.6)`` wide; ``0.62 * max(3, nodes in the fullest stage) + 2.5``
    high (title 1.0, stage headers 0.3, legend 1.2), so every box keeps the same size however
    large the chain: 40 nodes in one stage make a picture 27.3 inches (4,095 px) high.

    >>> from chokepoint import load_chain
    >>> chain_figure_size(load_chain("tests/data/valid/mini.yaml"))
    (8.7, 4.36)
    """
    fullest = max((sum(1 for n in chain.nodes if n.stage == s) for s in chain.stages), default=0)
    width = max(MIN_WIDTH, COLUMN_WIDTH * len(chain.stages) + 2 * SIDE_MARGIN)
    height = ROW_HEIGHT * max(MIN_ROWS, fullest) + TITLE_HEIGHT + HEADER_HEIGHT + LEGEND_HEIGHT
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

    half_w, half_h = BOX_WIDTH / 2, BOX_HEIGHT / 2
    for node in chain.nodes:
        x2, y2 = where[node.id]
        for item in node.inputs:
            x1, y1 = where[item.node]
            style = _edge_style(item.cost_share, item.essential)
            if item.node == node.id:  # a self-input: a loop on the right side of the box
                start, end, bend = (x1 + half_w, y1 + 0.15), (x1 + half_w, y1 - 0.15), -1.6
            elif x2 > x1:
                start, end, bend = (x1 + half_w, y1), (x2 - half_w, y2), 0.0
            else:  # same stage or upstream: an arc between the boxes' tops or bottoms
                side = half_h if y2 >= y1 else -half_h
                start, end, bend = (x1, y1 + side), (x2, y2 - side), 0.35
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="-|>",
                    mutation_scale=7 + style["linewidth"],
                    connectionstyle=f"arc3,rad={bend}",
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
    figure.legend(
        handles,
        labels,
        loc="lower right",
        bbox_to_anchor=(1 - SIDE_MARGIN / width, 0.2 / height),
        ncols=3,
        fontsize=FONT_SIZE,
        frameon=False,
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
    """
    if fmt not in PLOT_FORMATS:
        msg = f"unknown image format '{fmt}'; choose png or svg"
        raise OutputError(msg)
    rows = dict(node_rows(chain, analysis, result))
    where = layout(chain)
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
        columns = max(len(chain.stages), (width - 2 * SIDE_MARGIN) / COLUMN_WIDTH)
        ax.set_xlim(-0.5, columns - 0.5)
        ax.set_ylim(-span / 2, span / 2)
        ax.set_axis_off()
        for k, stage in enumerate(chain.stages):
            ax.text(k, span / 2, stage, ha="center", va="bottom", fontsize=9, fontweight="bold")
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
            )
        title, sub = _title(chain, analysis, result)
        figure.text(
            0.5, 1 - 0.4 / height, title, ha="center", va="center", fontsize=13, fontweight="bold"
        )
        figure.text(0.5, 1 - 0.75 / height, sub, ha="center", va="center", fontsize=10)
        _legend(figure, width, height, what)
        return _save(figure, fmt)


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
    """Draw a sweep of one cut (``chokepoint sweep --cut ... --plot``) with :func:`plot_sweep`.

    The title names the chain, the cut, the perspective, the year (``year``, default the
    chain's) and the model; the legend, the final products' names.

    Raises
    ------
    OutputError
        For an empty sweep, or one of several cuts (``over``): its x axis is the severity.
    """
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
