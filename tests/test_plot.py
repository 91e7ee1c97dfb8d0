"""Known-answer tests of the chain and sweep pictures (matplotlib, the optional ``plot`` extra).

Sizes are worked out by hand from :func:`chokepoint.output.plot.chain_figure_size`'s rule: width
``max(8, 2.7 * stages + 0.6)`` inches, height ``0.62 * max(3, fullest stage) + 2.5`` inches, at
150 dots per inch. mini.yaml has 3 stages, at most 2 nodes in one: 8.7 x 4.36 in = 1305 x 654 px.
"""

from __future__ import annotations

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
    chain_figure_size,
    layout,
    plot_chain,
    plot_format,
    plot_sweep,
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


def test_figure_size_grows_with_the_fullest_stage() -> None:
    nodes = tuple(Node(f"n{k}", f"Node {k}", "wide") for k in range(45))
    chain = Chain("big", "Big", "CN", 2020, ("wide", "narrow"), nodes)
    # 2 stages: max(8, 5.4 + 0.6) = 8 wide; 45 rows: 0.62 * 45 + 2.5 = 30.4 high
    assert chain_figure_size(chain) == (8.0, 30.4)


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
