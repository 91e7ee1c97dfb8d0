"""The table output of every command, at pinned console widths of 80 and 120 columns.

Each test runs the command through Typer's runner with ``COLUMNS`` pinned, checks that no line is
wider than the console, and reads the figures back out of the table, cell by cell. The figures are
worked out by hand from the chain files (formulas in docs/methodology.md):

``tests/data/valid/mini.yaml`` (perspective CN): reducers {CN .28, JP .65, other .05}, plc
{CN .2, EU .5, JP .3}, robots {CN .5, JP .5} made from reducers (cost share .4) and plc (.2,
inessential); cars (no shares: counted domestic) made from robots (no cost share: weight 0).

- dependence 1 - s_CN: reducers .72, plc .80, robots .50; import HHI (.65/.72)^2 = 0.815,
  (.5/.8)^2 + (.3/.8)^2 = 0.531, (.5/.5)^2 = 1; two origins reach 75% at each; total dependence of
  robots .5 + .5 x (.4 x .72 + .2 x .8) = .724.
- JP cuts everything (leontief): reducers .65, plc .30, robots .5 + .5 x .65 = .825 (plc is
  inessential), cars .825; linear: robots .5 + .5 x (.4 x .65 + .2 x .3) = .66, cars 0 (weight 0).
- JP cuts reducers at severity s: cars .5 x .65 x s = 6.5%, 19.5%, 32.5% at s = .2, .6, 1.
- every pair cut at severity .4: reducers .26, robots .5 x .4 + .5 x .26 = .33 = cars.

``robots`` (src/chokepoint/chains/robots.yaml, CN): reducers {CN .28, JP .614}: dependence 72%,
import HHI (.614/.72)^2 = 0.73, JP 61%; impact: JP stops reducers, robot bodies (CN .2) lose
.2 x .614 = 12.3%, passed on by system integration to the three end uses (12%). A JP cut of
everything: cnc 65.0%, servo 21.8%, reducers 61.4%, plc 37.0%, robot bodies .2 x .65 = 13.0%,
system integration and the end uses max(13.0%, plc 37.0%) = 37.0%.
"""

from __future__ import annotations

import csv
import io
import json
import re
import runpy
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chokepoint import __version__
from chokepoint.cli import app
from chokepoint.output.render import wrap_id

VALID = Path(__file__).parent / "data" / "valid"
MINI = str(VALID / "mini.yaml")
WIDTHS = (80, 120)
#: Box-drawing characters of rich's tables and panels, removed to read wrapped text.
BOX = re.compile(r"[│┃╭╮╰╯─━┏┓┗┛┡┩┣┫╇╋┳┻┯┷┠┨┼┌┐└┘├┤┬┴]")


@pytest.fixture(params=WIDTHS, ids=[f"{w}cols" for w in WIDTHS])
def width(request: pytest.FixtureRequest) -> int:
    """The console width of the test: each test runs at 80 and at 120 columns."""
    return int(request.param)


def table(width: int, *args: str, path: Path | None = None) -> str:
    """Run ``chokepoint ARGS`` at ``width`` columns; return stdout after checking exit and width."""
    env = {
        "COLUMNS": str(width),
        "NO_COLOR": "1",
        "TERM": "dumb",
        "CHOKEPOINT_MAX_BYTES": None,
        "CHOKEPOINT_PATH": str(path) if path else None,
    }
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    widest = max(len(line) for line in result.stdout.splitlines())
    assert widest <= width, result.stdout
    return result.stdout


def rows(out: str, key: int = 1) -> dict[str, list[str]]:
    """The table rows of ``out``, each a list of its stripped cells, by the cell in column
    ``key`` (the node, in most tables); of rows with the same key, the first."""
    found: dict[str, list[str]] = {}
    for cells in lines_of(out):
        if len(cells) > key:
            found.setdefault(cells[key], cells)
    return found


def lines_of(out: str) -> list[list[str]]:
    """Every table row of ``out`` in order, as its stripped cells (lines inside a panel, which
    have one cell, left out)."""
    found = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]
    return [cells for cells in found if len(cells) > 1]


def analysis_cells(out: str) -> dict[str, list[str]]:
    """The node rows of an ``analyze`` table as [node, dep, top, imp.HHI, c75, total, impact],
    whichever its layout: with a stage column and dependence bars when the full table fits,
    without either when it would not (stages are then rows of their own, left out here)."""
    found: dict[str, list[str]] = {}
    for cells in lines_of(out):
        if len(cells) == 8:
            cells = cells[1:]
        if len(cells) != 7 or not cells[1]:
            continue
        cells[1] = cells[1].split(" ")[-1]
        found.setdefault(cells[0], cells)
    return found


def flat(out: str) -> str:
    """``out`` with box drawing removed and all whitespace collapsed: wrapped text reads whole."""
    return " ".join(BOX.sub(" ", out).split())


# ------------------------------------------------------------------------------------------
# analyze


def test_analyze_mini(width: int) -> None:
    out = table(width, "analyze", MINI)
    assert flat(out).startswith(
        "A small chain: dependence of CN (China), 2018 (shares of CN's market)"
    )
    assert "…" not in out  # every figure and header whole, at 80 columns too (issue 13)
    got = analysis_cells(out)
    # reducers' impact, 32.5% rounded to a whole per cent, is left to the scenario tests
    assert got["⚑ reducers"][:6] == ["⚑ reducers", "72%", "JP 65%", "0.82", "2", "72%"]
    # plc is only an inessential input of robots: impact n/a, not 0% (issue 13)
    assert got["⚑ plc"] == ["⚑ plc", "80%", "EU 50%", "0.53", "2", "80%", "n/a"]
    # robots' dependence is exactly 50%: not above the EU's 50%, so not flagged (strict)
    assert got["robots"] == ["robots", "50%", "JP 50%", "1.00", "2", "72%", "50%"]
    # cars has no shares: total n/a, not 0% (issue 13)
    assert got["cars"] == ["cars", "n/a", "-", "n/a", "-", "n/a", "-"]
    if width >= 120:  # the full layout: stages in a column, dependence with its bar
        full = rows(out)
        assert full["⚑ reducers"][:3] == ["upstream", "⚑ reducers", "████░░ 72%"]
        assert full["⚑ plc"][:3] == ["", "⚑ plc", "█████░ 80%"]
        assert full["robots"][:3] == ["midstream", "robots", "███░░░ 50%"]
        assert full["cars"][:3] == ["downstream", "cars", "n/a"]
    text = flat(out)
    assert "Choke points, ranked by impact: dependence > 50% and import HHI > 0.40" in text
    # JP stops reducers: robots lose 0.5 * 0.65 = 0.325, cars (domestic) follow
    assert (
        "1. Reduction gears (reducers, upstream): impact 32% JP supplies 65% of CN's market for "
        "Reduction gears; if JP stops supplying it, the supply of Cars in CN's market falls by 32%"
    ) in text
    # an unknown impact ranks after every known one, with its reason
    assert (
        "2. PLCs (plc, upstream): impact n/a EU supplies 50% of CN's market for PLCs; no node of "
        "the chain takes it as an essential input (it is a non-essential input of robots: a type "
        "of it or an alternative, whose loss stops nothing under fixed proportions); its impact "
        "cannot be measured"
    ) in text
    assert "1. Robots" not in text
    assert "- total and exposure of cars: no shares known for this node" in text
    assert (
        "- impact of plc: no node of the chain takes it as an essential input (it is a "
        "non-essential input of robots: a type of it or an alternative, whose loss stops nothing "
        "under fixed proportions); its impact cannot be measured"
    ) in text
    assert "Not ruled out" not in text
    assert "[s1] A report, A publisher, 2025, Table 1" in text
    assert "- no shares known for cars: direct metrics n/a; counted as domestic (s_P = 1)" in text


def test_analyze_robots(width: int) -> None:
    out = table(width, "analyze", "robots")
    got = analysis_cells(out)
    assert "…" not in out
    # every figure column at both widths (issue 13: at 80 columns too)
    # the robots chain's shares are brand shares: ° marks the ownership basis
    assert got["⚑ reducers*"] == ["⚑ reducers*", "72%", "JP 61%°", "0.73", "2", "72%", "12%"]
    assert got["⚑ plc* '17"] == ["⚑ plc* '17", "100%", "EUROPE 57%°", "0.46", "2", "100%", "57%"]
    assert got["⚑ cnc* '17"][1:3] == ["100%", "JP 65%°"]
    assert got["? servo*"][1:3] == ["78%", "JP 22%°"]
    assert got["? controllers*"][1:3] == ["70%", "-"]
    if width >= 120:  # the full layout: stages in a column, dependence with its bar
        full = rows(out)
        assert full["⚑ reducers*"][:3] == ["", "⚑ reducers*", "████░░ 72%"]
        assert full["⚑ plc* '17"][2:4] == ["██████ 100%", "EUROPE 57%°"]
        assert full["? controllers*"][2] == "████░░ 70%"
    text = flat(out)
    assert (
        "1. Programmable logic controllers (PLCs) (plc, upstream): impact 57% firms based in "
        "EUROPE supply 57% of CN's market for Programmable logic controllers (PLCs) (their "
        "production in CN included); if EUROPE's firms stop supplying it, the supply of each of "
        "Electrical and electronics industry, Automotive industry and Metalworking and machinery "
        "industries in CN's market falls by 57%"
    ) in text
    assert (
        "3. Precision reduction gears (reducers, upstream): impact 12% firms based in JP supply "
        "61% of CN's market for Precision reduction gears (their production in CN included); if "
        "JP's firms stop supplying it, the supply of each of Electrical and electronics industry, "
        "Automotive industry and Metalworking and machinery industries in CN's market falls by 12%"
    ) in text
    assert (
        "° ownership basis: the share of the firms (brands) based in that origin, their "
        "production in CN included; other shares are by place of production"
    ) in text
    # the shares of cnc and plc are of 2017, the others of 2018: the title says so
    assert flat(out).startswith("Industrial robots: dependence of CN (China), 2017-2018")
    assert (
        "? Servo mechanisms (servo motors, amplifiers) (servo, upstream): dependence 78%, import "
        "HHI 0.15 counting named origins, up to 0.61; firms based in JP supply 22%, impact 4%"
    ) in text
    assert "? Robot controllers (controllers, upstream): dependence 70%" in text


def test_analyze_top_and_thresholds(width: int) -> None:
    out = table(
        width,
        "analyze",
        MINI,
        "--top",
        "1",
        "--min-concentration",
        "0.6",
        "--min-dependence",
        "0.45",
    )
    text = flat(out)
    # import HHI 0.82 and 1.00 pass 0.6; plc's 0.53 does not, and it has no unnamed supply;
    # robots' dependence 50% is above 45%
    assert "dependence > 45% and import HHI > 0.60" in text
    assert "1. Robots (robots, midstream): impact 50%" in text
    assert "... 1 more (--top 2)" in text
    assert "2. Reduction gears" not in text
    got = analysis_cells(out)
    assert "⚑ plc" not in got
    assert got["plc"][1:4] == ["80%", "EU 50%", "0.53"]
    out = table(width, "analyze", MINI, "--min-dependence", "0.9")
    assert "None at these thresholds." in flat(out)


# ------------------------------------------------------------------------------------------
# scenario, sweep, montecarlo


def test_scenario_mini_jp_cut(width: int) -> None:
    out = table(width, "scenario", MINI, "--cut", "JP=1")
    text = flat(out)
    assert "JP cuts 100% of every node (leontief model, CN)" in text
    assert "Cars (cars): supply falls by 82.5%" in text
    assert lines_of(out) == [
        ["upstream", "reducers", "████░░ 65.0%", "65.0%", "0.0%"],
        ["", "plc", "██░░░░ 30.0%", "30.0%", "0.0%"],
        ["midstream", "robots", "█████░ 82.5%", "50.0%", "32.5%"],
        ["downstream", "cars", "█████░ 82.5%", "0.0%", "82.5%"],
    ]
    assert "`other` shares (unnamed foreign origins) are never cut: reducers" in text


def test_scenario_mini_linear(width: int) -> None:
    out = table(width, "scenario", MINI, "--cut", "JP=1", "--model", "linear")
    assert "JP cuts 100% of every node (linear model, CN)" in flat(out)
    got = rows(out)
    assert got["robots"][2:] == ["████░░ 66.0%", "50.0%", "16.0%"]
    # cars takes robots (hit) without a cost share: its linear loss is n/a, not 0.0% (issue 13)
    assert got["cars"][2:] == ["n/a", "0.0%", "n/a"]
    assert "Cars (cars): supply loss n/a" in flat(out)
    assert (
        "- loss of cars: linear model: no cost share for the input(s) the scenario hits: "
        "robots->cars"
    ) in flat(out)


def test_scenario_robots_jp_cut(width: int) -> None:
    out = table(width, "scenario", "robots", "--cut", "JP=1")
    text = flat(out)
    for final in (
        "Electrical and electronics industry (electronics)",
        "Automotive industry (automotive)",
        "Metalworking and machinery industries (metal-machinery)",
    ):
        assert f"{final}: supply falls by 37.0%" in text
    got = rows(out)
    assert got["cnc"][2:] == ["████░░ 65.0%", "65.0%", "0.0%"]
    assert got["servo"][2:] == ["█░░░░░ 21.8%", "21.8%", "0.0%"]
    assert got["reducers"][2:] == ["████░░ 61.4%", "61.4%", "0.0%"]
    assert got["plc"][2:] == ["██░░░░ 37.0%", "37.0%", "0.0%"]
    assert got["controllers"][2:] == ["░░░░░░ 0.0%", "0.0%", "0.0%"]
    assert got["robot-bodies"][2:] == ["█░░░░░ 13.0%", "0.0%", "13.0%"]
    assert got["system-integration"][2:] == ["██░░░░ 37.0%", "0.0%", "37.0%"]
    assert got["automotive"][2:] == ["██░░░░ 37.0%", "0.0%", "37.0%"]


def test_scenario_named_with_shock_and_substitution(width: int) -> None:
    chain = str(VALID / "scenarios_stage_data.yaml")
    out = table(width, "scenario", chain, "eu-wafers")
    text = flat(out)
    # wafers (JP .55, EU .1): EU cuts half with substitutability .4: .6 x .1 x .5 = 3.0%;
    # chips have no JP share, so the capacity shock of chips reaches nothing
    assert "Half of EU wafers lost, chip fabs hit (leontief model, JP)" in text
    assert (
        "EU cuts 50% of wafers; chips loses 30% of domestic capacity; substitutability of "
        "wafers = 0.4; substitutability of chips = 0.1"
    ) in text
    assert "Logic chips (chips): supply falls by 0.0%" in text
    assert rows(out)["wafers"] == ["wafers", "wafers", "░░░░░░ 3.0%", "3.0%", "0.0%"]
    out = table(width, "scenario", chain, "taiwan-cut")
    # TW supplies 17% of wafers and 63% of chips; JP makes no chips
    assert "Taiwan stops delivering (leontief model, JP)" in flat(out)
    assert "TW cuts 100% of every node" in flat(out)
    assert rows(out)["chips"][2:] == ["████░░ 63.0%", "63.0%", "0.0%"]
    assert rows(out)["wafers"][2:] == ["█░░░░░ 17.0%", "17.0%", "0.0%"]


def test_sweep_severities(width: int) -> None:
    out = table(width, "sweep", MINI, "--cut", "JP:reducers", "--severity", "0.2:1:0.4")
    assert "A small chain: final-product loss for" in out
    assert lines_of(out) == [
        ["JP", "reducers", "20%", "6.5%"],
        ["JP", "reducers", "60%", "19.5%"],
        ["JP", "reducers", "100%", "32.5%"],
    ]


def test_sweep_over_origins_and_nodes(width: int) -> None:
    out = table(width, "sweep", MINI, "--over", "origins")
    # EU supplies only plc, an inessential input: nothing reaches cars
    # ranked by the worst final-product loss, worst first
    assert lines_of(out) == [["JP", "(all)", "100%", "82.5%"], ["EU", "(all)", "100%", "0.0%"]]
    out = table(width, "sweep", MINI, "--over", "nodes")
    assert lines_of(out) == [
        ["JP", "robots", "100%", "50.0%"],
        ["JP", "reducers", "100%", "32.5%"],
        ["EU", "plc", "100%", "0.0%"],
    ]


def test_montecarlo_every_pair_cut(width: int) -> None:
    out = table(width, "montecarlo", MINI, "--samples", "200", "--seed", "3", "--p-cut", "1",
                "--severity", "fixed:0.4", "-q", "--top", "2")  # fmt: skip
    text = flat(out)
    assert "final-product loss for CN over 200 samples (leontief model)" in text
    assert "each (origin, node) pair cut with probability 1 at severity fixed:0.4; seed 3" in text
    assert rows(out, key=0)["Cars (cars)"] == [
        "Cars (cars)",
        "██░░░░ 33.0%",
        "33.0%",
        "33.0%",
        "33.0%",
    ]
    # one final product: the tail starts at its P90, the figure of the P90 column (issue 13)
    assert (
        "What drives the tail: the samples whose worst final-product loss is at least its P90, "
        "33.0%, and above 0"
    ) in text
    drivers = [cells for cells in lines_of(out) if len(cells) == 5 and cells[0] != "Cars (cars)"]
    assert drivers == [
        ["EU (DE, FR)", "(any)", "100.0%", "33.0%", "██████ 100%"],
        ["JP (Japan)", "(any)", "100.0%", "33.0%", "██████ 100%"],
        ["EU (DE, FR)", "plc", "100.0%", "33.0%", "██████ 100%"],
        ["JP (Japan)", "plc", "100.0%", "33.0%", "██████ 100%"],
    ]
    assert "... 2 more pairs (--top 4)" in text


def test_montecarlo_nothing_cut(width: int) -> None:
    out = table(width, "montecarlo", MINI, "--samples", "50", "--p-cut", "0", "-q")
    assert rows(out, key=0)["Cars (cars)"][1:] == ["░░░░░░ 0.0%", "0.0%", "0.0%", "0.0%"]
    never = [cells for cells in lines_of(out) if cells[:2] == ["JP (Japan)", "(any)"]]
    assert never == [["JP (Japan)", "(any)", "0.0%", "-", "░░░░░░ 0%"]]


# ------------------------------------------------------------------------------------------
# trend, stages, sources


def test_trend(width: int) -> None:
    out = table(width, "trend", str(VALID / "regions_history.yaml"))
    assert "Lithium-ion cells, world market: dependence of EU" in flat(out)
    # a world-market chain seen from the EU, which mines no lithium: 100% each year
    assert lines_of(out) == [
        ["lithium-ore", "2015", "██████ 100%", "AU 40%"],
        ["", "2019", "██████ 100%", "AU 52%"],
        ["", "2022", "██████ 100%", "AU 47%"],
    ]
    out = table(width, "trend", "robots", "reducers")
    # CN made 11% of its reduction gears in 2014, 28% in 2018
    assert lines_of(out) == [
        ["reducers", "2014", "█████░ 89%", "-"],
        ["", "2018", "████░░ 72%", "JP 61%"],
    ]


def test_stages(width: int) -> None:
    out = table(width, "stages", str(VALID / "scenarios_stage_data.yaml"))
    text = flat(out)
    assert "Wafers and chips: stages seen from JP" in text
    got = rows(out, key=0)
    # wafers: JP .55 -> 45%; chips: JP 0 -> 100%, import HHI .63^2 + .18^2 + .06^2 = 0.43
    assert got["wafers"][:5] == ["wafers", "1", "45%", "45%", "-"]
    fabrication = got["fabrication"]
    assert fabrication[:5] == ["fabrication", "1", "100%", "100%", "chips"]
    if width >= 120:
        assert got["wafers"][5:] == ["2019: 6.0%", "-", "-"]
        assert fabrication[5:] == ["2016-2022: 15.0%*", "2016-2022: 3.0%*", "2016-2022: 50 USD bn*"]
    out = table(width, "stages", "robots")
    upstream = rows(out, key=0)["upstream"]
    # mean over the five upstream nodes with shares: (1 + .78 + .72 + 1 + .7) / 5 = 84%
    assert upstream[:4] == ["upstream", "10", "84%", "100%"]
    if width >= 120:  # at 80 columns the choke-point column folds inside words
        assert "plc, cnc, reducers ? servo, controllers" in text_of_column(out, 4)


def text_of_column(out: str, column: int) -> str:
    """The text of one column of every table row, joined (cells wrap onto several lines)."""
    return " ".join(cells[column] for cells in lines_of(out) if len(cells) > column)


def test_sources(width: int) -> None:
    out = table(width, "sources", MINI)
    assert out.splitlines()[:3] == [
        "A small chain: 1 sources",
        "[s1] A report, A publisher, 2025, Table 1",
        "  supports: reducers (shares), plc (shares), robots (shares)",
    ]
    out = table(width, "sources", str(VALID / "regions_history.yaml"))
    text = flat(out)
    assert text.startswith("Lithium-ion cells, world market: 2 sources")
    assert "https://pubs.usgs.gov/periodicals/mcs2023/mcs2023.pdf" in out
    assert "supports: lithium-ore (shares, history), lithium-chemicals (shares)" in text
    assert "supports: lithium-chemicals (shares), cells (shares, suppliers)" in text


# ------------------------------------------------------------------------------------------
# the same commands as CSV (render.py writes every format): figures as numbers, lists with "; "


def csv_rows(*args: str, path: Path | None = None) -> list[dict[str, str]]:
    """Run ``chokepoint ARGS --format csv``; return its rows (the header checked by the caller)."""
    out = table(200, *args, "--format", "csv", path=path)
    return list(csv.DictReader(io.StringIO(out)))


def test_csv_of_scenario_and_montecarlo() -> None:
    got = {r["id"]: r for r in csv_rows("scenario", MINI, "--cut", "JP=1")}
    assert list(got["robots"]) == [
        "id", "stage", "final", "loss", "import_loss", "domestic_loss", "unknown"
    ]  # fmt: skip
    assert [got[n]["final"] for n in ("reducers", "plc", "robots", "cars")] == [
        "false", "false", "false", "true"]  # fmt: skip
    figures = [float(got["robots"][k]) for k in ("loss", "import_loss", "domestic_loss")]
    assert figures == pytest.approx([0.825, 0.5, 0.325])
    assert float(got["cars"]["loss"]) == pytest.approx(0.825)
    mc = csv_rows("montecarlo", MINI, "--samples", "10", "--p-cut", "1", "--severity",
                  "fixed:0.4", "-q")  # fmt: skip
    assert [float(mc[0][k]) for k in ("mean", "p50", "p90", "p99")] == pytest.approx([0.33] * 4)
    assert (mc[0]["kind"], mc[0]["id"], mc[0]["origin"]) == ("final", "cars", "")
    drivers = [(r["kind"], r["origin"], r["node"], r["probability_cut"]) for r in mc[1:]]
    assert drivers == [
        ("driver", "EU", "", "1.0"),
        ("driver", "JP", "", "1.0"),
        ("driver", "EU", "plc", "1.0"),
        ("driver", "JP", "plc", "1.0"),
        ("driver", "JP", "reducers", "1.0"),
        ("driver", "JP", "robots", "1.0"),
    ]
    assert [float(r["mean_loss_if_cut"]) for r in mc[1:]] == pytest.approx([0.33] * 6)


def test_csv_of_trend_stages_and_sources() -> None:
    trend = csv_rows("trend", str(VALID / "regions_history.yaml"))
    assert [(r["node"], r["year"], r["top_supplier"]) for r in trend] == [
        ("lithium-ore", "2015", "AU"), ("lithium-ore", "2019", "AU"), ("lithium-ore", "2022", "AU")
    ]  # fmt: skip
    assert [float(r["top_share"]) for r in trend] == pytest.approx([0.4, 0.52, 0.47])
    assert {float(r["dependence"]) for r in trend} == {1.0}
    wafers, fabrication = csv_rows("stages", str(VALID / "scenarios_stage_data.yaml"))
    assert float(wafers["mean_dependence"]) == pytest.approx(0.45)
    assert (wafers["period"], wafers["rd_intensity"], wafers["profit_margin"]) == (
        "2019", "0.06", "0.12")  # fmt: skip
    assert (wafers["chokepoints"], wafers["estimate"], wafers["source"]) == (
        "", "false", "semi-2021")  # fmt: skip
    assert {k: fabrication[k] for k in ("chokepoints", "period", "subsidy_amount", "amount_unit",
                                         "profit_margin", "estimate", "source")} == {
        "chokepoints": "chips", "period": "2016-2022", "subsidy_amount": "50.0",
        "amount_unit": "USD bn", "profit_margin": "-0.03", "estimate": "true",
        "source": "oecd-2019",
    }  # fmt: skip
    (source,) = csv_rows("sources", MINI)
    assert source == {
        "id": "s1",
        "citation": "A report, A publisher, 2025, Table 1",
        "url": "",
        "supports": "reducers (shares); plc (shares); robots (shares)",
    }


def test_csv_of_show_and_list(tmp_path: Path, data_dir: Path) -> None:
    shown = {r["id"]: r for r in csv_rows("show", MINI)}
    assert shown["reducers"]["shares"] == "JP 65% · CN 28% · other 5.0% · unattributed 2%"
    assert (shown["robots"]["inputs"], shown["robots"]["source"]) == ("reducers; plc", "s1")
    assert (shown["cars"]["shares"], shown["cars"]["year"]) == ("shares unknown", "2018")
    shutil.copy(data_dir / "valid" / "mini.yaml", tmp_path)
    listed = {r["name"]: r for r in csv_rows("list", path=tmp_path)}
    assert set(listed) == {"mini", "robots", "machine-tools", "semiconductors"}
    mini = listed["mini"]
    assert (mini["title"], mini["perspective"], mini["year"], mini["nodes"]) == (
        "A small chain", "CN", "2018", "4")  # fmt: skip
    assert Path(mini["path"]) == tmp_path / "mini.yaml"
    assert Path(listed["robots"]["path"]).parent.name == "chains"


# ------------------------------------------------------------------------------------------
# show, list, --version


def test_show(width: int) -> None:
    out = table(width, "show", MINI)
    text = " ".join(re.sub(r"[│├└─]", " ", out).split())
    assert out.startswith("A small chain (mini) · perspective CN (China) · CN market · 2018")
    # unattributed: 1 - .28 - .65 - .05 = 2%
    assert "reducers Reduction gears: JP 65% · CN 28% · other 5.0% · unattributed 2% [s1]" in text
    assert "plc PLCs: EU 50% · JP 30% · CN 20% [s1]" in text
    assert "inputs: reducers 40%, plc 20% (inessential)" in text
    assert "cars Cars: shares unknown" in text
    assert "Origins CN (China) · EU (DE, FR) · JP (Japan)" in text
    out = table(width, "show", str(VALID / "regions_history.yaml"))
    text = " ".join(re.sub(r"[│├└─]", " ", out).split())
    assert "perspective EU (DE, FR, PL, HU, SE) · world market · 2022" in text
    assert (
        "lithium-chemicals Refined lithium chemicals: CN 65% · CL 25% · ASEAN 2.0% · "
        "unattributed 8% (2021) estimate [iea-2022, usgs-2023]"
    ) in text
    assert "inputs: lithium-chemicals 12%" in text


def test_list(width: int, tmp_path: Path, data_dir: Path) -> None:
    shutil.copy(data_dir / "valid" / "mini.yaml", tmp_path)
    shutil.copy(data_dir / "broken" / "duplicate_key.yaml", tmp_path)
    out = table(width, "list", path=tmp_path)
    got = rows(out, key=0)
    assert out.startswith(f"Chains in {tmp_path}")  # one table per folder, titled with it
    # at 80 columns the file column, which only repeats the names, gives way to a caption
    files = width > 80
    assert ("files: each chain's name + .yaml" in out) is not files
    skip = 1 if files else 0
    assert [got["mini"][k + (k > 1) * skip] for k in (0, 2, 3, 4)] == ["mini", "CN", "2018", "4"]
    assert [got["robots"][k + (k > 1) * skip] for k in (0, 2, 3, 4)] == [
        "robots",
        "CN",
        "2018",
        "18",
    ]
    if files:
        assert (got["mini"][1], got["robots"][1]) == ("mini.yaml", "robots.yaml")
    assert [got["machine-tools"][k + (k > 1) * skip] for k in (0, 2, 3, 4)] == [
        "machine-tools",
        "CN",
        "2017",
        "14",
    ]
    broken = text_of_column(out, 1 + skip)
    assert "invalid:" in broken
    assert "duplicate key 'stage' at nodes[0] (first given on line 12)" in " ".join(broken.split())


def test_version_and_python_dash_m(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert table(80, "--version") == f"chokepoint {__version__}\n"
    monkeypatch.setattr(sys, "argv", ["chokepoint", "--version"])
    # python -m chokepoint --version, in this process: main() answers it without Typer
    runpy.run_module("chokepoint", run_name="__main__", alter_sys=True)
    assert capsys.readouterr().out == f"chokepoint {__version__}\n"


def test_analyze_robots_at_80_columns_shows_every_figure() -> None:
    """At 80 columns the full table of robots would not fit: stages become rows of their own and
    dependence loses its bar, so no figure column is elided (issue 13). Reducers: CN 0.28, JP
    0.614: dependence 72%, import HHI (0.614 / 0.72)^2 = 0.73, JP and CN reach 75% (2)."""
    out = table(80, "analyze", "robots")
    assert "…" not in out
    got = rows(out, key=0)
    assert got["⚑ reducers*"] == ["⚑ reducers*", "72%", "JP 61%°", "0.73", "2", "72%", "12%"]
    assert got["upstream"] == ["upstream", "", "", "", "", "", ""]
    wide = table(120, "analyze", "robots")
    assert rows(wide)["⚑ reducers*"][:3] == ["", "⚑ reducers*", "████░░ 72%"]


# ------------------------------------------------------------------------------------------
# every table of every command on the shipped chains: each figure cell whole and equal to the
# JSON figure it shows, formatted (issue 13: at 80 columns as at 120)

SHIPPED = ("robots", "machine-tools", "semiconductors")
ETO = Path(__file__).resolve().parents[2] / "shared" / "data" / "eto-chip-explorer"


def pct(value: float | None, digits: int = 0) -> str:
    """The table's form of a share: 0.653 -> "65%" (digits 0), "65.3%" (digits 1); None -> n/a."""
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def tables_of(out: str) -> list[list[list[str]]]:
    """The tables of ``out`` in order, each as its lines of stripped cells."""
    found: list[list[list[str]]] = []
    inside = False
    for line in out.splitlines():
        if line.startswith("┏"):
            found.append([])
            inside = True
        elif line.startswith("└"):
            inside = False
        elif line.startswith("│") and inside:
            found[-1].append([cell.strip() for cell in line.strip("│").split("│")])
    return found


def records(
    lines: list[list[str]], figures: Sequence[int], heads: Sequence[str] = ()
) -> list[list[str]]:
    """The rows of a table whose cells may run over several lines: a line with every figure cell
    empty continues the row above (an id wrapped after a hyphen, or prose), unless it starts a
    heading (one of ``heads``, the stages, or its start wrapped after a hyphen)."""
    rows: list[list[str]] = []
    for cells in lines:
        empty = all(not cells[k] for k in figures if k < len(cells))
        first = cells[0]
        head = any(h == first or (first.endswith("-") and h.startswith(first)) for h in heads)
        if rows and empty and not head:
            for k, cell in enumerate(cells):
                if cell:
                    joint = "" if rows[-1][k].endswith("-") or not rows[-1][k] else " "
                    rows[-1][k] += joint + cell
            continue
        rows.append(list(cells))
    return rows


def json_of(*args: str) -> Any:
    """The JSON document of ``chokepoint ARGS``."""
    result = CliRunner().invoke(app, [*args, "--format", "json"], env={"CHOKEPOINT_PATH": None})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def node_key(cell: str) -> str:
    """The id in an analyze node cell: without the ⚑/? mark, the * of an estimate, the year."""
    return re.sub(r"^[⚑?] |\*?( '\d\d)?$", "", cell)


def check_analyze(width: int, chain: str, path: Path | None = None) -> None:
    out = table(width, "analyze", chain, path=path)
    assert "…" not in out
    document = json_of("analyze", chain)
    (lines,) = tables_of(out)
    full = len(lines[0]) == 8
    got = {}
    stages = [n["stage"] for n in document["nodes"]]
    for row in records([cells[1:] if full else cells for cells in lines], range(1, 7), stages):
        if any(row[1:]):
            got[node_key(row[0])] = [row[1].split(" ")[-1], *row[2:]]  # dep without its bar
    for node in document["nodes"]:
        impact = pct(node["impact"])
        if node["impact"] is None and "impact" not in node["unknown"]:
            impact = "-"
        top = node["top_supplier"]
        assert got[node["id"]] == [
            pct(node["dependence"]),
            # ° marks a share on the ownership basis (the firms based there)
            f"{top} {pct(node['top_share'])}" + ("°" if node["basis"] == "ownership" else "")
            if top
            else "-",
            "n/a" if node["import_hhi"] is None else f"{node['import_hhi']:.2f}",
            "-" if node["countries_to_75"] is None else str(node["countries_to_75"]),
            pct(node["total_dependence"]),
            impact,
        ], node["id"]


def check_scenario(width: int, chain: str, *args: str) -> None:
    out = table(width, "scenario", chain, *args)
    assert "…" not in out
    document = json_of("scenario", chain, *args)
    nodes = tables_of(out)[0]
    full = len(nodes[0]) == 5
    stages = [n["stage"] for n in document["nodes"]]
    got = {
        row[0]: row[1:]
        for row in records([cells[1:] if full else cells for cells in nodes], (1, 2, 3), stages)
        if any(row[1:])
    }
    for node in document["nodes"]:
        loss, imports, domestic = got[node["id"]]
        assert loss.split(" ")[-1] == pct(node["loss"], 1), node["id"]
        assert [imports, domestic] == [pct(node["import_loss"], 1), pct(node["domestic_loss"], 1)]
    if "--months" not in args:
        return
    finals = {row[0]: row[1:] for row in records(tables_of(out)[1], (1, 2, 3, 4))}
    for final in document["final"]:
        tts = "never" if final["tts"] is None else f"{final['tts']:.2f}"
        assert finals[final["id"]] == [
            pct(final["loss"], 1), tts, f"{final['cumulative_loss']:.3f}",
            pct(final["peak_loss"], 1)]  # fmt: skip


def check_sweep(width: int, chain: str, *args: str) -> None:
    out = table(width, "sweep", chain, *args)
    assert "…" not in out
    document = json_of("sweep", chain, *args)
    (lines,) = tables_of(out)
    expected = [
        [r["origin"], r["node"] or "(all)", pct(r["severity"]),
         *(pct(f["loss"], 1) for f in r["final"])]
        for r in document["rows"]
    ]  # fmt: skip
    if len(lines[0]) == 5 and len(document["rows"][0]["final"]) != 2:  # a row per final
        got = records(lines, (4,))
        expected = [
            [*(row[:3] if k == 0 else ["", "", ""]), f["id"], pct(f["loss"], 1)]
            for row, r in zip(expected, document["rows"], strict=True)
            for k, f in enumerate(r["final"])
        ]
    else:
        got = records(lines, range(2, len(lines[0])))
    assert got == expected


def check_stress(width: int, chain: str) -> None:
    out = table(width, "stress", chain, "--months", "3")
    assert "…" not in out
    document = json_of("stress", chain, "--months", "3")
    got = records(tables_of(out)[0], (4, 5, 6, 7))
    for rank, (row, r) in enumerate(zip(got, document["rows"], strict=True), 1):
        known = [f for f in r["final"] if f["cumulative_loss"] is not None]
        worst = max(known, key=lambda f: f["cumulative_loss"])
        tts = "never" if worst["tts"] is None else f"{worst['tts']:.2f}"
        assert row == [
            str(rank), r["origin"], r["node"] or "(all)", worst["id"], tts,
            f"{worst['cumulative_loss']:.3f}", pct(worst["peak_loss"], 1), "3"]  # fmt: skip


def check_montecarlo(width: int, chain: str) -> None:
    args = ("--samples", "300", "--seed", "7", "-q")
    out = table(width, "montecarlo", chain, *args)
    assert "…" not in out
    document = json_of("montecarlo", chain, *args)
    finals, drivers = tables_of(out)
    got = {row[0].rsplit("(", 1)[-1].rstrip(")"): row[1:] for row in records(finals, (1, 2, 3, 4))}
    for f in document["final"]:
        mean, *quantiles = got[f["id"]]
        assert mean.split(" ")[-1] == pct(f["mean"], 1)
        assert quantiles == [pct(f["p50"], 1), pct(f["p90"], 1), pct(f["p99"], 1)]
    rows = records(drivers, (2, 3, 4))
    origins = [d for d in document["drivers"] if d["node"] is None]
    pairs = [d for d in document["drivers"] if d["node"] is not None][:10]
    for row, d in zip(rows, [*origins, *pairs], strict=True):
        assert row[0].split(" ")[0] == d["origin"]
        assert row[1] == (d["node"] or "(any)")
        loss = "-" if d["mean_loss_if_cut"] is None else pct(d["mean_loss_if_cut"], 1)
        assert row[2:4] == [pct(d["probability_cut"], 1), loss]
        assert row[4].split(" ")[-1] == pct(d["tail_share"])


def check_stages(width: int, chain: str) -> None:
    out = table(width, "stages", chain)
    assert "…" not in out
    document = json_of("stages", chain)
    got = {row[0]: row[1:4] for row in records(tables_of(out)[0], (1, 2, 3))}
    for s in document["stages"]:
        expected = [str(s["nodes"]), pct(s["mean_dependence"]), pct(s["max_dependence"])]
        assert got[s["stage"]] == expected
    text = flat(out)
    for s in document["stages"]:
        for node in [*s["chokepoints"], *s["possible_chokepoints"]]:
            assert re.search(rf"(^|[ ,?]){re.escape(node)}($|[ ,])", text), node
    # R&D, subsidy intensity and subsidies by period: in the stage's cells, or a table of their own
    expected = {}
    for s in document["stages"]:
        for period, f in s["data"].items():
            star = "*" if f["estimate"] else ""
            cells = [
                pct(f["rd_intensity"], 1) + star if "rd_intensity" in f else "-",
                pct(f["subsidy_intensity"], 1) + star if "subsidy_intensity" in f else "-",
                f"{f['subsidy_amount']:g} {f['amount_unit']}{star}" if "subsidy_amount" in f else "-",
            ]  # fmt: skip
            if cells != ["-"] * 3:
                expected[s["stage"], period] = cells
    tables = tables_of(out)
    if len(tables[0][0]) == 8:  # in the stage's cells, a line "PERIOD: figure" each
        got = {}
        for row in records(tables[0], (1, 2, 3)):
            for key, cell in enumerate(row[5:]):
                for period, figure in re.findall(r"(\S+): (\S+(?: [A-Z]+ bn\*?)?)", cell):
                    got.setdefault((row[0], period), ["-"] * 3)[key] = figure
    elif expected:
        got, stage = {}, ""
        for row in records(tables[1], (2, 3, 4)):
            stage = row[0] or stage
            got[stage, row[1]] = row[2:]
    else:
        got = {}
    assert got == expected


@pytest.mark.parametrize("chain", SHIPPED)
def test_every_figure_of_every_table_is_whole_and_the_json_one(width: int, chain: str) -> None:
    check_analyze(width, chain)
    named = next(iter(json_of("show", chain)["scenarios"]))["name"]
    check_scenario(width, chain, named)
    check_scenario(width, chain, named, "--months", "3")
    check_sweep(width, chain, "--over", "nodes")
    check_sweep(width, chain, "--over", "origins")
    if chain == "robots":
        check_sweep(width, chain, "--cut", "JP:reducers", "--severity", "0.5:1:0.25")
    check_stress(width, chain)
    check_montecarlo(width, chain)
    check_stages(width, chain)


@pytest.mark.parametrize("chain", SHIPPED)
def test_trend_and_list_figures_are_the_json_ones(width: int, chain: str) -> None:
    out = table(width, "trend", chain)
    assert "…" not in out
    got = records(tables_of(out)[0], (1, 2, 3))
    expected, previous = [], None
    for r in json_of("trend", chain)["rows"]:
        supplier = f"{r['top_supplier']} {pct(r['top_share'])}" if r["top_supplier"] else "-"
        expected.append([r["node"] if r["node"] != previous else "", str(r["year"]),
                         pct(r["dependence"]), supplier])  # fmt: skip
        previous = r["node"]
    assert [[row[0], row[1], row[2].split(" ")[-1], row[3]] for row in got] == expected
    out = table(width, "list")
    k = 1 if width > 80 else 0  # the file column, which only repeats the names, gives way at 80
    got = records(tables_of(out)[0], (2 + k, 3 + k, 4 + k))
    assert [[row[0], row[2 + k], row[3 + k], row[4 + k]] for row in got] == [
        [c["name"], c["perspective"], str(c["year"]), str(c["nodes"])]
        for c in json_of("list")["chains"]
    ]


@pytest.mark.skipif(not ETO.is_dir(), reason="ETO dataset not at ../shared/data/eto-chip-explorer")
def test_eto_chain_tables_whole_at_80_columns(tmp_path: Path) -> None:
    """ETO's 126 nodes (ids up to 41 characters) at 80 columns: ids wrap after hyphens only,
    every figure is whole and the JSON one."""
    path = tmp_path / "eto.yaml"
    result = CliRunner().invoke(app, ["import", "eto", str(ETO), "-q", "-o", str(path)])
    assert result.exit_code == 0, result.output
    chain = str(path)
    # every node, its id wrapped after hyphens where it is long, read back whole
    check_analyze(80, chain)
    check_scenario(80, chain, "--cut", "US=1")
    check_scenario(80, chain, "--cut", "US=1", "--months", "3")
    check_sweep(80, chain, "--over", "nodes")
    check_montecarlo(80, chain)
    check_stages(80, chain)


def test_show_scenarios_history_and_substitutability(width: int) -> None:
    """show lists the named scenarios (as ``scenario`` describes them), each node's history and
    substitutability, in the table and in JSON (issue 13)."""
    chain = str(VALID / "scenarios_stage_data.yaml")
    text = flat(table(width, "show", chain))
    assert (
        "Scenarios (chokepoint scenario CHAIN NAME) taiwan-cut: Taiwan stops delivering TW cuts "
        "100% of every node eu-wafers: Half of EU wafers lost, chip fabs hit EU cuts 50% of "
        "wafers; chips loses 30% of domestic capacity; substitutability of wafers = 0.4; "
        "substitutability of chips = 0.1"
    ) in text
    document = json_of("show", chain)
    assert [s["name"] for s in document["scenarios"]] == ["taiwan-cut", "eu-wafers"]
    eu = document["scenarios"][1]
    assert eu["cuts"] == [{"origin": "EU", "severity": 0.5, "nodes": ["wafers"], "months": None}]
    assert eu["shocks"] == [{"node": "chips", "severity": 0.3, "months": None}]
    assert eu["substitution"] == {"wafers": 0.4, "chips": 0.1}
    # robots: CN made 11% of its semiconductors in 2013, 13% in 2014 (the chain's history)
    text = " ".join(re.sub(r"[│├└─]", " ", table(width, "show", "robots")).split())
    assert "history: 2013: CN 11% · unattributed 89%; 2014: CN 13% · unattributed 87%;" in text
    nodes = {n["id"]: n for n in json_of("show", "robots")["nodes"]}
    assert nodes["semiconductors"]["history"]["2013"] == {"CN": 0.11}
    assert nodes["reducers"]["substitutability"] == 0.0
    out = table(width, "show", str(VALID / "regions_history.yaml"))
    lithium = {n["id"]: n for n in json_of("show", str(VALID / "regions_history.yaml"))["nodes"]}
    assert list(lithium["lithium-ore"]["history"]) == ["2015", "2019"]
    text = " ".join(re.sub(r"[│├└─]", " ", out).split())
    assert "history: 2015: AU 40%" in text
    # refined lithium chemicals: 10% of lost imports replaced from elsewhere
    assert lithium["lithium-chemicals"]["substitutability"] == 0.1
    assert "[iea-2022, usgs-2023] substitutability 0.1 inputs: lithium-ore" in text


# ------------------------------------------------------------------------------------------
# the narrow layouts, on a chain of long ids and five final products

LONG = str(VALID / "long_ids.yaml")
EUV = "extreme-ultraviolet-lithography-scanner-tools"
GASES = "high-purity-electronic-grade-process-gases"
FINALS = [
    "consumer-electronics-and-personal-computers",
    "automotive-electronics-and-control-units",
    "telecommunications-network-equipment",
    "industrial-automation-and-robotics-systems",
    "data-centre-servers-and-accelerators",
]


def test_long_ids_wrap_after_hyphens_and_figures_stay_whole(width: int) -> None:
    """tests/data/valid/long_ids.yaml (CN): EUV {CN .1, NL .9}, gases {CN .4, JP .35, KR .25};
    the first three finals take both (essential, no cost share), the last two the gases only.
    EUV: dependence 90%, import HHI 1, impact 90%; gases: dependence 60%, import HHI
    (.35/.6)^2 + (.25/.6)^2 = 0.51, JP 35%, impact 35%."""
    check_analyze(width, LONG)
    out = table(width, "analyze", LONG)
    (lines,) = tables_of(out)
    cells = [c[1:] if len(c) == 8 else c for c in lines]
    got = {node_key(r[0]): r[1:] for r in records(cells, range(1, 7), ["final-assembly-and-end"
           "-use-industries", "wafer-fabrication-equipment-and-materials"]) if any(r[1:])}  # fmt: skip
    assert [got[EUV][0].split(" ")[-1], *got[EUV][1:]] == [
        "90%",
        "NL 90%",
        "1.00",
        "1",
        "90%",
        "90%",
    ]
    assert [got[GASES][0].split(" ")[-1], *got[GASES][1:]] == [
        "60%",
        "JP 35%",
        "0.51",
        "2",
        "60%",
        "35%",
    ]
    if width == 80:  # the ids are longer than the room: wrapped after a hyphen, never inside
        assert "│⚑ extreme-ultraviolet-" in out
    check_scenario(width, LONG, "--cut", "NL=1")
    check_stress(width, LONG)
    check_montecarlo(width, LONG)
    check_stages(width, LONG)
    check_sweep(width, LONG, "--over", "nodes")


def test_sweep_headers_abbreviated_then_one_row_per_final() -> None:
    """NL cuts EUV (.9): the first three finals lose 90%, the last two nothing; JP and KR cut the
    gases: every final loses 35% and 25%. Ranked by the worst loss: NL (90%), JP, KR."""
    out = table(80, "sweep", LONG, "--over", "origins")
    assert "┃origin ┃ node  ┃ severity ┃    F1 ┃    F2 ┃    F3 ┃    F4 ┃    F5┃" in out
    assert records(tables_of(out)[0], range(2, 8)) == [
        ["NL", "(all)", "100%", "90.0%", "90.0%", "90.0%", "0.0%", "0.0%"],
        ["JP", "(all)", "100%", *["35.0%"] * 5],
        ["KR", "(all)", "100%", *["25.0%"] * 5],
    ]
    legend = " · ".join(f"F{k} {f}" for k, f in enumerate(FINALS, 1))
    assert f"final products: {legend}" in flat(out)
    # at 64 columns five figure columns do not fit: a row per scenario and final product
    out = table(64, "sweep", LONG, "--over", "origins")
    rows = records(tables_of(out)[0], (4,))
    assert rows[:5] == [
        ["NL", "(all)", "100%", FINALS[0], "90.0%"],
        ["", "", "", FINALS[1], "90.0%"],
        ["", "", "", FINALS[2], "90.0%"],
        ["", "", "", FINALS[3], "0.0%"],
        ["", "", "", FINALS[4], "0.0%"],
    ]
    assert rows[-2:] == [["", "", "", FINALS[3], "25.0%"], ["", "", "", FINALS[4], "25.0%"]]
    assert "final products: F1" not in out
    check_sweep(72, LONG, "--over", "nodes")


def test_stages_choke_points_under_the_table_when_they_do_not_fit() -> None:
    """Mean dependence of the first stage (.9 + .6) / 2 = 75%, max 90%; the finals have no shares:
    n/a, with the reason."""
    out = table(80, "stages", LONG)
    assert records(tables_of(out)[0], (1, 2, 3)) == [
        ["wafer-fabrication-equipment-and-materials", "2", "75%", "90%"],
        ["final-assembly-and-end-use-industries", "5", "n/a", "n/a"],
    ]
    text = flat(out)
    assert (
        f"Choke points (? not ruled out) wafer-fabrication-equipment-and-materials: {EUV}, {GASES}"
    ) in text
    assert (
        "- n/a: mean and max dep of final-assembly-and-end-use-industries: no node of the stage "
        "has known shares"
    ) in text


def test_montecarlo_tail_of_several_final_products() -> None:
    """Every pair cut at .5: EUV loses .45, the gases .5 x (.35 + .25) = .30; the first three
    finals lose 45%, the last two 30%, in every sample. The worst loss of a sample is 45%, so the
    tail starts at 45.0%, which is the P90 of the first three products, not of the last two: the
    caption says the tail's P90 is of the worst loss."""
    out = table(80, "montecarlo", LONG, "--samples", "50", "--seed", "1", "--p-cut", "1",
                "--severity", "fixed:0.5", "-q")  # fmt: skip
    finals = records(tables_of(out)[0], (1, 2, 3, 4))
    assert [row[2:] for row in finals] == [["45.0%"] * 3] * 3 + [["30.0%"] * 3] * 2
    assert finals[0][0] == f"Consumer electronics ({FINALS[0]})"
    text = flat(out)
    assert (
        "What drives the tail: the samples whose worst final-product loss is at least its P90, "
        "45.0%, and above 0"
    ) in text
    assert (
        "a sample's worst loss is the largest of its 5 final products' losses: its P90 (45.0%) "
        "need not be any product's P90 above"
    ) in text
    # narrower: the drivers name their origins by code, with the names under the table
    out = table(60, "montecarlo", LONG, "--samples", "50", "--seed", "1", "--p-cut", "1",
                "--severity", "fixed:0.5", "-q")  # fmt: skip
    drivers = records(tables_of(out)[1], (2, 3, 4))
    assert [row[:2] for row in drivers[:3]] == [["JP", "(any)"], ["KR", "(any)"], ["NL", "(any)"]]
    assert "origins: JP (Japan) · KR (South Korea) · NL (Netherlands)" in flat(out)


def test_wrap_id_never_breaks_inside_a_word() -> None:
    assert wrap_id("a-b-c", 3) == "a-\nb-c"
    assert wrap_id("⚑ tube-based-diffusion '19", 12) == "⚑ tube-\nbased-\ndiffusion\n'19"
    # a part longer than the width stays whole
    assert wrap_id("photolithography-tools", 8) == "photolithography-\ntools"


def test_show_prints_scenario_text_as_written(tmp_path: Path) -> None:
    """Titles and notes are the author's text: rich markup in them is printed, not applied."""
    text = (VALID / "scenarios_stage_data.yaml").read_text(encoding="utf-8")
    text = text.replace("title: Taiwan stops delivering", "title: '[bold]Taiwan[/bold] stops'")
    assert "[bold]Taiwan" in text
    path = tmp_path / "markup.yaml"
    path.write_text(text, encoding="utf-8")
    out = table(80, "show", str(path))
    assert "  taiwan-cut: [bold]Taiwan[/bold] stops" in out
    assert json_of("show", str(path))["scenarios"][0]["title"] == "[bold]Taiwan[/bold] stops"


def test_large_json_is_written_compact_a_block_at_a_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above COMPACT_JSON_ABOVE items the JSON is compact and written a block of items at a time
    (bounded memory at a million links): with the standard library, byte for byte what json.dumps
    gives with compact separators, key order kept; with orjson, the same values."""
    import sys

    import numpy as np

    from chokepoint.output import render

    size = render.COMPACT_JSON_ABOVE + render.JSON_BLOCK + 3  # a partial last block
    document = {
        "chain": "x",
        "title": 'é "quoted"',
        "nodes": [
            {"id": f"n{k}", "v": k / 7, "u": None, "e": {"JP": 0.1}, "t": [True, "a"]}
            for k in range(size)
        ],
        "assumptions": ["a"],
        "empty": [],
    }
    compact = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    rows = {"rows": [[k, None, k * 1e-7] for k in range(size)], "over": "origins"}
    rows_compact = json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n"
    for hidden in (True, False):
        with monkeypatch.context() as m:
            if hidden:
                m.setitem(sys.modules, "orjson", None)  # import orjson raises ImportError
            render.emit_json(document)
            out = capsys.readouterr().out
            assert json.loads(out) == document
            render.emit_json(rows)
            rows_out = capsys.readouterr().out
            assert json.loads(rows_out) == rows
            if hidden:
                assert (out, rows_out) == (compact, rows_compact)
    # numpy scalars (a result's float64) are written as the numbers they hold
    scalars = {"nodes": [{"v": np.float64(0.25), "n": np.int64(3)}] * size}
    render.emit_json(scalars)
    assert json.loads(capsys.readouterr().out)["nodes"][-1] == {"v": 0.25, "n": 3}
    with pytest.raises(TypeError, match="not JSON serializable"):
        render.emit_json({"nodes": [{"v": {1}}] * size})


def test_analysis_json_made_a_block_at_a_time_is_the_same(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``to_dict(lazy=True)`` makes the node objects a slice at a time (NodeDicts): the same
    objects as the list, and the same JSON text, indented (small) or compact in blocks."""
    from chokepoint import analyze, load_chain
    from chokepoint.core.analysis import NodeDicts
    from chokepoint.output import render

    result = analyze(load_chain("robots"))
    listed = result.to_dict()
    lazy = result.to_dict(lazy=True)
    nodes = lazy["nodes"]
    assert isinstance(nodes, NodeDicts)
    assert len(nodes) == len(listed["nodes"]) == len(result.nodes)
    assert nodes[2] == listed["nodes"][2]
    assert nodes[1:4] == listed["nodes"][1:4]
    assert nodes[:] is not nodes[:]  # new objects each time: a writer may drop them
    assert {k: v for k, v in lazy.items() if k != "nodes"} == {
        k: v for k, v in listed.items() if k != "nodes"
    }
    render.emit_json(listed)
    indented = capsys.readouterr().out
    render.emit_json(lazy)
    assert capsys.readouterr().out == indented
    # above the threshold (lowered here), compact and a block of 4 nodes at a time
    monkeypatch.setattr(render, "COMPACT_JSON_ABOVE", 3)
    monkeypatch.setattr(render, "JSON_BLOCK", 4)
    render.emit_json(listed)
    compact = capsys.readouterr().out
    render.emit_json(lazy)
    assert capsys.readouterr().out == compact
    assert json.loads(compact) == listed
    with pytest.raises(TypeError, match="not JSON serializable"):
        render._listed({1})
