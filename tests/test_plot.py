"""Known-answer tests of the chain and sweep pictures (matplotlib, the optional ``plot`` extra).

Sizes are worked out by hand from :func:`chokepoint.output.plot.chain_figure_size`'s rule: width
``max(8, 2.7 * stages + 0.6)`` inches, height ``0.62 * max(3, fullest stage) + 2.5`` inches, at
150 dots per inch. mini.yaml has 3 stages, at most 2 nodes in one: 8.7 x 4.36 in = 1305 x 654 px.
"""

from __future__ import annotations

import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import chokepoint
from chokepoint.core.analysis import Analysis
from chokepoint.core.scenarios import Scenario, ScenarioResult
from chokepoint.errors import ChokepointError, OutputError
from chokepoint.io.atomic import write_atomic
from chokepoint.model import Chain, Cut, Input, Node
from chokepoint.output.export import ramp_colour
from chokepoint.output.plot import (
    PlotDependencyError,
    chain_figure,
    chain_figure_size,
    layout,
    placement,
    plot_chain,
    plot_format,
    plot_ranking,
    plot_sweep,
    ranking_bars,
    routes,
    sweep_series,
)

ROOT = Path(__file__).resolve().parents[1]
#: Every chain shipped in src/chokepoint/chains/ when the tests are collected (others are added as they land).
SHIPPED = sorted((ROOT / "src" / "chokepoint" / "chains").glob("*.yaml"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (signature, then the IHDR chunk)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def lines_after(texts: list[str], line: str) -> str:
    """The text drawn right after ``line`` (a box's second line: matplotlib draws each line)."""
    return texts[texts.index(line) + 1]


# ------------------------------------------------------------------------------------------
# Layout and size: pure functions


def test_layout_of_mini(mini: Chain) -> None:
    assert layout(mini) == {
        "reducers": (0, 0.5),
        "plc": (0, -0.5),
        "robots": (1, 0.0),
        "cars": (2, 0.0),
    }


def test_layout_uncrosses_edges() -> None:
    # a1 feeds b2 and a2 feeds b1: file order would cross the two edges; the barycentre
    # ordering puts b2 (fed from the top row) on top.
    chain = Chain(
        "cross",
        "Crossing",
        "CN",
        2020,
        ("a", "b"),
        (
            Node("a1", "A1", "a"),
            Node("a2", "A2", "a"),
            Node("b1", "B1", "b", inputs=(Input("a2", 0.5),)),
            Node("b2", "B2", "b", inputs=(Input("a1", 0.5),)),
        ),
    )
    assert layout(chain) == {"a1": (0, 0.5), "a2": (0, -0.5), "b2": (1, 0.5), "b1": (1, -0.5)}


def test_figure_size_wraps_a_full_stage() -> None:
    nodes = tuple(Node(f"n{k}", f"Node {k}", "wide") for k in range(45))
    chain = Chain("big", "Big", "CN", 2020, ("wide", "narrow"), nodes)
    # 45 nodes in one layer wrap at 16 into ceil(45 / 16) = 3 columns of 15 rows, plus one for
    # the empty stage: max(8, 2.7 * 4 + 0.6) = 11.4 wide; 0.62 * 15 + 2.5 = 11.8 high
    assert chain_figure_size(chain) == (11.4, 11.8)
    grid = placement(chain)
    assert (grid.columns, grid.rows, grid.stages) == (4, 15, (("wide", 0, 2), ("narrow", 3, 3)))
    # row by row: n0, n1, n2 side by side on the top row, n3 under n0
    assert [grid.where[f"n{k}"] for k in range(4)] == [(0, 7.0), (1, 7.0), (2, 7.0), (0, 6.0)]


def test_a_stage_that_feeds_itself_is_split_into_layers() -> None:
    # one stage: a -> b -> c, and t -> c. By longest path t would sit with a in layer 0; it
    # moves right to layer 1, just before its only user c, so its arrow crosses no column.
    chain = Chain(
        "layers",
        "Layers",
        "CN",
        2020,
        ("all",),
        (
            Node("a", "A", "all"),
            Node("b", "B", "all", inputs=(Input("a", 0.1),)),
            Node("t", "T", "all"),
            Node("c", "C", "all", inputs=(Input("b", 0.1), Input("t", 0.1))),
        ),
    )
    grid = placement(chain)
    assert grid.where == {"a": (0, 0.0), "b": (1, 0.5), "t": (1, -0.5), "c": (2, 0.0)}
    assert (grid.stages, grid.columns, grid.rows) == ((("all", 0, 2),), 3, 2)
    assert [len(r.points) for r in routes(chain, grid.where)] == [2, 2, 2]  # none crosses a column


def test_mini_figure_size(mini: Chain) -> None:
    assert chain_figure_size(mini) == (8.7, 4.36)


# ------------------------------------------------------------------------------------------
# Pictures


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_png_of_every_shipped_chain_opens(path: Path, tmp_path: Path) -> None:
    image = pytest.importorskip("matplotlib.image")
    chain = chokepoint.load_chain(path)
    target = write_atomic(
        tmp_path / f"{chain.name}.png", plot_chain(chain, chokepoint.analyze(chain))
    )
    data = target.read_bytes()
    width, height = chain_figure_size(chain)
    assert png_size(data) == (round(width * 150), round(height * 150))
    pixels = image.imread(target)
    assert pixels.shape == (round(height * 150), round(width * 150), 4)
    assert len(data) > 20_000  # boxes, text and colour, not a blank page


def test_png_of_mini(mini: Chain, analysis: Analysis, jp_cut: ScenarioResult) -> None:
    pytest.importorskip("matplotlib")
    assert png_size(plot_chain(mini, analysis)) == (1305, 654)
    assert png_size(plot_chain(mini, analysis, jp_cut)) == (1305, 654)


def test_svg_shows_title_values_and_choke_points(mini: Chain, analysis: Analysis) -> None:
    pytest.importorskip("matplotlib")
    data = plot_chain(mini, analysis, fmt="svg")
    texts = svg_texts(data)
    assert "A small chain (mini)" in texts
    assert "perspective CN · 2018" in texts
    assert texts[:3] == ["upstream", "midstream", "downstream"]
    assert lines_after(texts, "Reduction gears") == "72% · choke point"  # the second line
    assert lines_after(texts, "PLCs") == "80% · choke point"
    assert lines_after(texts, "Cars") == "n/a"
    # robots' dependence is exactly 50%: not above the EU threshold, not a choke point
    assert lines_after(texts, "Robots") == "50%"
    assert sum("choke point" in t for t in texts) == 3  # two boxes and the legend
    assert "import dependence" in texts
    text = data.decode("utf-8")
    assert f"fill: {ramp_colour(0.72)}" in text  # reducers
    assert f"fill: {ramp_colour(None)}" in text  # cars


def test_svg_marks_the_nodes_not_ruled_out() -> None:
    pytest.importorskip("matplotlib")
    chain = chokepoint.load_chain("robots")
    texts = svg_texts(plot_chain(chain, chokepoint.analyze(chain), fmt="svg"))
    assert lines_after(texts, "motors, amplifiers)") == "78% · not ruled out"  # servo, wrapped
    assert "not ruled out (origins incomplete)" in texts  # the legend


def test_svg_under_a_scenario_colours_by_loss(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult
) -> None:
    pytest.importorskip("matplotlib")
    data = plot_chain(mini, analysis, jp_cut, fmt="svg")
    texts = svg_texts(data)
    assert "perspective CN · 2018 · scenario: jp-cut (leontief model)" in texts
    assert lines_after(texts, "Robots") == "82%"  # .825: 82.4999...%; not a choke point
    assert lines_after(texts, "Cars") == "82%"
    assert "output loss under the scenario" in texts
    assert f"fill: {ramp_colour(0.65)}" in data.decode("utf-8")


def test_plots_leave_matplotlib_state_alone(mini: Chain, analysis: Analysis) -> None:
    mpl = pytest.importorskip("matplotlib")
    before = dict(mpl.rcParams)
    had_pyplot = "matplotlib.pyplot" in sys.modules
    first = plot_chain(mini, analysis, fmt="svg")
    plot_sweep([(0.0, "cars", 0.0), (1.0, "cars", 0.8)])
    assert dict(mpl.rcParams) == before
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot
    assert plot_chain(mini, analysis, fmt="svg") == first  # no state carried between calls


def test_without_matplotlib_the_error_says_how_to_install(
    mini: Chain, analysis: Analysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotDependencyError, match=r"pip install 'chokepoint-supply\[plot\]'"):
        plot_chain(mini, analysis)
    with pytest.raises(ChokepointError, match="plots need matplotlib"):
        plot_sweep([(0.0, "cars", 0.0)])


@pytest.mark.parametrize(("name", "fmt"), [("a.png", "png"), ("out/b.SVG", "svg")])
def test_plot_format(name: str, fmt: str) -> None:
    assert plot_format(name) == fmt


def test_plot_format_refuses_other_images() -> None:
    with pytest.raises(OutputError, match=r"cannot draw 'a\.jpg': the file name must end in"):
        plot_format("a.jpg")


# ------------------------------------------------------------------------------------------
# Sweeps


def test_sweep_series_groups_and_sorts() -> None:
    rows = [(1.0, "cars", 0.825), (0.0, "cars", 0.0), (0.5, "trucks", 0.2), (0.5, "cars", 0.4125)]
    assert sweep_series(rows) == {
        "cars": ([0.0, 0.5, 1.0], [0.0, 0.4125, 0.825]),
        "trucks": ([0.5], [0.2]),
    }


def test_sweep_plot_of_mini_cuts(mini: Chain) -> None:
    pytest.importorskip("matplotlib")
    rows = [
        (s, node, loss)
        for s in (0.0, 0.25, 0.5, 0.75, 1.0)
        for node, loss in chokepoint.run_scenario(mini, Scenario(cuts=(Cut("JP", s),))).final
    ]
    # cars lose .825 at s = 1, and linearly less below (Leontief, one origin)
    assert rows[-1] == (1.0, "cars", pytest.approx(0.825))
    assert rows[2] == (0.5, "cars", pytest.approx(0.4125))
    assert png_size(plot_sweep(rows, title="mini: JP cut")) == (1050, 675)
    texts = svg_texts(plot_sweep(rows, fmt="svg", names={"cars": "Cars"}, title="mini"))
    assert "Cars" in texts
    assert "final product" in texts
    assert "mini" in texts


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "nothing to plot: the sweep has no rows"),
        ([(float("nan"), "cars", 0.1)], "cannot plot a sweep point of cars: severity nan"),
        (
            [(0.5, "cars", float("inf"))],
            "cannot plot a sweep point of cars: severity 0.5, loss inf",
        ),
    ],
)
def test_sweep_refuses_empty_or_non_finite_rows(
    rows: list[tuple[float, str, float]], message: str
) -> None:
    with pytest.raises(OutputError, match=message):
        sweep_series(rows)


# ------------------------------------------------------------------------------------------
# Arrows never pass behind a box they do not connect


def crosses(a: tuple[float, float], b: tuple[float, float], box: tuple[float, ...]) -> bool:
    """Whether the segment a-b meets the open rectangle (x0, y0, x1, y1) (Liang-Barsky)."""
    x0, y0, x1, y1 = box
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return False
    return True


def trespasses(chain: Chain) -> list[tuple[str, str, str]]:
    """(input, user, box) for every route segment that crosses a box it does not connect."""
    where = layout(chain)
    hw, hh = 0.72 / 2, 0.76 / 2
    boxes = {n: (x - hw, y - hh, x + hw, y + hh) for n, (x, y) in where.items()}
    found = []
    for route in routes(chain, where):
        for a, b in zip(route.points, route.points[1:], strict=False):
            for node, box in boxes.items():
                if node not in (route.source, route.target) and crosses(a, b, box):
                    found.append((route.source, route.target, node))
    return found


def test_crosses_by_hand() -> None:
    box = (0.0, 0.0, 1.0, 1.0)
    assert crosses((-1.0, 0.5), (2.0, 0.5), box)  # straight through
    assert not crosses((-1.0, 1.0), (2.0, 1.0), box)  # along the top edge: outside the open box
    assert not crosses((-1.0, 2.0), (0.4, 1.01), box)  # stops short, above
    assert crosses((-1.0, -1.0), (2.0, 2.0), box)  # the diagonal


# a feeds b and c (one column) and d beyond them; e is fed by d (a later stage feeding an earlier
# one: a route that runs leftwards).
DETOUR = Chain(
    "detour",
    "Detour",
    "CN",
    2020,
    ("up", "mid", "down"),
    (
        Node("a", "A", "up"),
        Node("b", "B", "mid", inputs=(Input("a", 0.2),)),
        Node("c", "C", "mid", inputs=(Input("a", 0.2),)),
        Node("e", "E", "mid", inputs=(Input("d", 0.1),)),
        Node("d", "D", "down", inputs=(Input("a", 0.2), Input("b", 0.2), Input("c", 0.2))),
    ),
)


def flat(points: tuple[tuple[float, float], ...]) -> list[float]:
    return [v for point in points for v in point]


def test_a_long_arrow_runs_between_the_boxes_it_passes() -> None:
    where = layout(DETOUR)
    assert where == {"a": (0, 0.0), "b": (1, 1.0), "c": (1, 0.0), "e": (1, -1.0), "d": (2, 0.0)}
    found = {(r.source, r.target): r.points for r in routes(DETOUR, where)}
    # a's 3 arrows leave its right side (x = 0.36) spread over 0.6 x 0.76 = 0.456: steps of
    # 0.152, in the order of their targets' rows: b (1.0) +0.152, c (0.0) 0, d (0.0) -0.152.
    # d takes a, b, c: entries in the order of their rows b +0.152, a 0, c -0.152 (ties: order).
    # a -> d wants row -0.152 + (0 + 0.152) / 2 = -0.076 at column 1, where c's box spans
    # [-0.38, 0.38]: the nearest free band is [0.43, 0.57] above it (b at 1.0 spans [0.62,
    # 1.38]) or [-0.57, -0.43] below; -0.076 is nearer -0.43 (0.354) than 0.43 (0.506).
    assert flat(found["a", "d"]) == pytest.approx([0.36, -0.152, 0.6, -0.43, 1.4, -0.43, 1.64, 0])
    # d -> e runs leftwards: out of d's right side (2.36, 0), across d's own column 2 at the
    # free row nearest 0 (bands [-1.38, -0.43] and [0.43, 1.38] tie: the upper one), across
    # column 1 in the band below c (e's box [-1.38, -0.62] leaves [-1.5, -1.43] below it and
    # [-0.57, -0.43] above, both 0.43 from -1.0: the upper one), which a -> d shares: lanes 0.05 apart in [-0.57, -0.43],
    # a -> d (wishing -0.076) on top at -0.43, d -> e (wishing -1.0) at -0.57; into e's left
    # side (0.64, -1.0)
    assert flat(found["d", "e"]) == pytest.approx(
        [2.36, 0, 2.4, 0.43, 1.6, 0.43, 1.4, -0.57, 0.6, -0.57, 0.64, -1.0]
    )
    assert trespasses(DETOUR) == []


@pytest.mark.parametrize("path", [*SHIPPED, ROOT / "tests" / "data" / "valid" / "cycle.yaml"],
                         ids=[*(p.stem for p in SHIPPED), "cycle"])  # fmt: skip
def test_no_arrow_crosses_a_box_it_does_not_connect(path: Path) -> None:
    chain = chokepoint.load_chain(path)
    assert trespasses(chain) == []
    # the complaints of issue 13: castings -> CNC machine tools passed behind linear guides,
    # silicon wafers -> fabrication behind etching equipment
    if chain.name in ("machine-tools", "semiconductors"):
        edges = {(r.source, r.target) for r in routes(chain, layout(chain))}
        assert len(edges) == sum(len(n.inputs) for n in chain.nodes)


def test_lanes_keep_lines_apart() -> None:
    from chokepoint.output.plot import _lanes

    # three lines that want the middle of a band 0.14 high: 0.05 apart, centred on their wish
    assert _lanes([0.5, 0.5, 0.5], 0.43, 0.57) == pytest.approx([0.55, 0.5, 0.45])
    # five do not fit at 0.05: spread evenly over the band, 0.14 / 4 = 0.035 apart
    assert _lanes([0.5] * 5, 0.43, 0.57) == pytest.approx([0.57, 0.535, 0.5, 0.465, 0.43])
    # wishes already apart are kept; a wish beyond the band is clipped to it
    assert _lanes([0.1, 0.9], 0.0, 1.0) == [0.1, 0.9]
    assert _lanes([5.0, 5.0], 0.0, 1.0) == pytest.approx([1.0, 0.95])


# ------------------------------------------------------------------------------------------
# Titles fit the picture


def text_extents_inside(figure: object) -> list[tuple[str, bool]]:
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = figure.bbox.width, figure.bbox.height  # type: ignore[attr-defined]
    out = []
    for text in figure.texts:  # type: ignore[attr-defined]
        box = text.get_window_extent(renderer)
        out.append((text.get_text(), box.x0 >= 0 and box.x1 <= width and box.y1 <= height))
    return out


def test_a_long_title_wraps_inside_the_picture(mini: Chain, analysis: Analysis) -> None:
    pytest.importorskip("matplotlib")
    import dataclasses

    long = dataclasses.replace(mini, title="A small chain " + "with a very long title " * 6)
    scenario = Scenario(
        cuts=(Cut("JP", 1.0),),
        name="long",
        title="Japan stops delivering every component to every producer " * 2,
    )
    result = chokepoint.run_scenario(long, scenario)
    figure = chain_figure(long, chokepoint.analyze(long), result)
    extents = text_extents_inside(figure)
    title, sub = extents[0][0], extents[1][0]
    # 8.7 inches wide: the title (13 pt bold, ~160 characters) needs more than one line
    assert "\n" in title
    assert title.replace("\n", " ") == long.title + " (mini)"
    assert "\n" in sub
    assert all(inside for _, inside in extents), extents


def test_colour_bar_and_legend_do_not_overlap(mini: Chain, analysis: Analysis) -> None:
    pytest.importorskip("matplotlib")
    # mini is 8.7 inches wide: the legend's 3 columns leave the colour bar more than 2 of the
    # 3.05 inches (0.35 x 8.7) it had, which overlapped them: it now ends 0.4 in left of them
    figure = chain_figure(mini, analysis)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    bar = figure.axes[1].get_window_extent(renderer)
    legend = figure.legends[0].get_window_extent(renderer)
    assert bar.x1 + 0.4 * 150 == pytest.approx(legend.x0, abs=1)
    assert 2.0 * 150 <= bar.width < 3.05 * 150
    assert len(figure.legends[0].get_texts()) == 7


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_titles_fit(path: Path) -> None:
    pytest.importorskip("matplotlib")
    chain = chokepoint.load_chain(path)
    name = next(iter(chain.scenarios), None)
    result = chokepoint.run_scenario(chain, name) if name else None
    figure = chain_figure(chain, chokepoint.analyze(chain), result)
    assert all(inside for _, inside in text_extents_inside(figure))


# ------------------------------------------------------------------------------------------
# A 126-node chain: the ETO dataset, when the shared copy is there

ETO = ROOT.parent / "shared" / "data" / "eto-chip-explorer"


@pytest.mark.skipif(not ETO.is_dir(), reason="ETO dataset not at ../shared/data/eto-chip-explorer")
def test_eto_picture_is_readable(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from chokepoint.io.eto import convert, to_yaml

    document, _ = convert(ETO)
    path = tmp_path / "eto.yaml"
    path.write_text(to_yaml(document), encoding="utf-8")
    chain = chokepoint.load_chain(path)
    assert len(chain.nodes) == 126
    grid = placement(chain)
    # no column holds more than 16 boxes, so the picture is wide rather than a 44-inch strip
    assert grid.rows <= 16
    assert chain_figure_size(chain)[1] <= 0.62 * 16 + 2.5
    assert trespasses(chain) == []
    figure = chain_figure(chain, chokepoint.analyze(chain))
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = figure.axes[0]
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("label-")]
    assert len(labels) == 126
    boxes = [t.get_window_extent(renderer) for t in labels]
    overlaps = [
        (labels[i].get_gid(), labels[j].get_gid())
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]
    assert overlaps == []
    # and every label lies inside its box (0.72 x 0.76 of a column and a row)
    to_px = ax.transData
    for text in labels:
        x, y = text.get_position()
        (x0, y0), (x1, y1) = to_px.transform([(x - 0.36, y - 0.38), (x + 0.36, y + 0.38)])
        box = text.get_window_extent(renderer)
        assert box.x0 >= x0, text.get_gid()
        assert box.x1 <= x1, text.get_gid()
        assert box.y0 >= y0, text.get_gid()
        assert box.y1 <= y1, text.get_gid()


# ------------------------------------------------------------------------------------------
# Ranked sweeps (sweep --over ... --plot)


def bar_widths(data: bytes) -> dict[str, float]:
    """Width in points of each bar, from the SVG group ``rank-N`` of its rectangle."""
    root = ET.fromstring(data)
    out = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if gid.startswith("rank-"):
            d = next(group.iter(f"{SVG}path")).get("d", "")
            xs = [float(v) for v in re.findall(r"[ML] ([-\d.]+) [-\d.]+", d)]
            out[gid] = max(xs) - min(xs)
    return out


def test_ranked_bars_of_a_hand_made_chain(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from .chains import write_chain
    from .test_sweep_rank import RANK, REASON

    chain = chokepoint.load_chain(write_chain(tmp_path, "rank", RANK, "[up, down]", extra=""))
    result = chokepoint.sweep(chain, over="origins", model="linear")
    bars = ranking_bars(result, chain)
    # linear, severity 1 (tests/test_sweep_rank.py): JP .25, AU .18, KR .108, US .1, DE n/a
    assert [(b.rank, b.label, b.worst, b.finals) for b in bars] == [
        (1, "JP", pytest.approx(0.25), ("f1",)),
        (2, "AU", pytest.approx(0.18), ("f1",)),
        (3, "KR", pytest.approx(0.108), ("f2",)),
        (4, "US", pytest.approx(0.1), ("f2",)),
        (5, "DE", None, ()),
    ]
    assert bars[-1].reason == REASON
    data = plot_ranking(result, chain, fmt="svg")
    texts = svg_texts(data)
    # the y labels, top to bottom, in rank order
    labels = [t for t in texts if re.fullmatch(r"\d\. [A-Z]{2}", t)]
    assert labels == ["1. JP", "2. AU", "3. KR", "4. US", "5. DE"]
    assert "25.0% · f1" in texts
    assert "10.0% · f2" in texts
    # DE has no bar, only its n/a and reason
    widths = bar_widths(data)
    assert sorted(widths) == ["rank-1", "rank-2", "rank-3", "rank-4"]
    assert any(t.startswith("n/a: linear model: the loss of f2 rests") for t in texts)
    # bar widths in proportion to the losses: .18 / .25, .108 / .25, .1 / .25
    base = widths["rank-1"]
    assert [widths[f"rank-{k}"] / base for k in (2, 3, 4)] == pytest.approx(
        [0.72, 0.432, 0.4], rel=1e-4
    )
    width, height = png_size(plot_ranking(result, chain))
    # 9 in wide; 0.85 + 0.3 x 5 + 0.2 + 0.75 = 3.3 in high, at 150 dpi
    assert (width, height) == (1350, 495)


def test_ranked_bars_of_nodes_name_the_node(mini: Chain) -> None:
    bars = ranking_bars(chokepoint.sweep(mini, over="nodes"), mini)
    assert [(b.label, b.worst) for b in bars] == [
        ("JP · Robots", pytest.approx(0.5)),
        ("JP · Reduction gears", pytest.approx(0.325)),
        ("EU · PLCs", 0.0),  # a bar of 0: known, unlike an n/a gap
    ]


def test_ranked_bars_stop_at_sixty(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from chokepoint.output.plot import RANK_BARS

    # 70 origins, each the whole supply of one node that the final product takes
    codes = [f"{a}{b}" for a in "ABDEFGHIJK" for b in "KLMNOPQ"]  # 70 two-letter codes
    chain = Chain(
        "many",
        "Many",
        "CN",
        2020,
        ("up", "down"),
        (
            *(
                Node(f"n{k}", f"N{k}", "up", shares={code: 1.0}, source=("s",))
                for k, code in enumerate(codes)
            ),
            Node("f", "F", "down", inputs=tuple(Input(f"n{k}", 0.01) for k in range(70))),
        ),
    )
    result = chokepoint.sweep(chain, over="origins")
    # every cut costs f everything (leontief: f follows its scarcest input): 70 ties at 100%,
    # in origin order
    assert len(result.rows) == 70
    assert [r.origin for r in result.rows[:3]] == ["AK", "AL", "AM"]
    texts = svg_texts(plot_ranking(result, chain, fmt="svg"))
    assert RANK_BARS == 60
    assert "... 10 more cuts not drawn; --format json or csv lists every cut" in texts


def test_a_sweep_of_one_cut_is_not_ranked(mini: Chain) -> None:
    with pytest.raises(OutputError, match="nothing to rank: draw a sweep over origins or nodes"):
        plot_ranking(chokepoint.sweep(mini, cut="JP"), mini)


def test_a_png_too_wide_for_its_format_is_refused() -> None:
    # 200 nodes in a line within one stage: 200 layers, 2.7 x 200 + 0.6 = 540.6 in = 81,090 px
    nodes = tuple(
        Node(f"n{k}", f"N{k}", "all", inputs=(Input(f"n{k - 1}", 0.5),) if k else ())
        for k in range(200)
    )
    chain = Chain("line", "Line", "CN", 2020, ("all",), nodes)
    assert chain_figure_size(chain) == (540.6, 4.36)
    with pytest.raises(OutputError) as caught:
        plot_chain(chain, chokepoint.analyze(chain))
    assert str(caught.value) == (
        "chain 'line' (200 nodes) makes a picture of 81,090 x 654 pixels, above the 65,535 a "
        "PNG file can hold in each direction; draw it as .svg instead"
    )
