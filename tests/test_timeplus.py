"""Known-answer tests of the time model's tools: sweeps over time (``sweep --months/--stock``),
``stress --months-from`` and the loss-over-time picture (``scenario --months --plot``).

Figures are worked out by hand in the comments from the model of issue 15
(``docs/methodology.md``, "Disruptions over time"), on the issue's worked example: M {JP 0.6,
CN 0.4} -> C -> F, essential links with cost share 0.5, stocks M 1, C 2 (``WORKED``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import chokepoint
from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core import timesweep as timesweep_module
from chokepoint.core.compiled import Compiled, compile_chain
from chokepoint.core.propagate import LossModel, cut_matrix, import_losses, propagate
from chokepoint.core.scenarios import Scenario
from chokepoint.core.stress import StressResult, stress
from chokepoint.core.timeline import horizon_of, run_timeline, timeline
from chokepoint.core.timesweep import TimeSweepResult, time_sweep
from chokepoint.errors import ChainError, OutputError, ScenarioError
from chokepoint.io.check import check_document
from chokepoint.io.forms import parse_month_range, parse_stock_range
from chokepoint.io.generate import build_network
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain, Cut, Shock
from chokepoint.output.plot import PlotDependencyError
from chokepoint.output.timeplot import events, plot_timeline

from .chains import write_chain
from .test_stress import THREE
from .test_timeline import WORKED

# WORKED with F's link to C left without a cost share: in the linear model F's loss is unknown.
NO_SHARE = """\
- {id: m, name: M, stage: up, shares: {JP: 0.6, CN: 0.4}, source: s, stock_months: 1}
- {id: c, name: C, stage: mid, shares: {CN: 1.0}, source: s, stock_months: 2, inputs: [{node: m, cost_share: 0.5}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: c}]}
"""


def chain_of(tmp_path: Path, name: str, nodes: str) -> Chain:
    return load_chain(write_chain(tmp_path, name, nodes))


def f_figures(
    result: TimeSweepResult,
) -> list[tuple[float, float | None, float | None, float | None]]:
    """(months or stock, TTS, CL, peak) of F per row."""
    out = []
    for row in result.rows:
        f = next(x for x in row.final if x.id == "f")
        value = row.stock if row.stock is not None else row.months
        out.append((value, f.tts, f.cumulative_loss, f.peak_loss))
    return out


# -- sweep over the cut's duration ---------------------------------------------------------


def test_months_sweep_of_the_worked_example(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = time_sweep(chain, "JP:m=1", months="0:12:1")
    assert result.vary == "months"
    assert result.node is None
    assert [r.months for r in result.rows] == [float(m) for m in range(13)]
    for months, tts, cumulative, peak in f_figures(result):
        if months <= 5:
            # M's stock lasts 1 / 0.6 = 1.667 months, C's 2 / 0.6 = 3.333 more: F is covered
            # until month 5, so a cut of at most 5 months costs F nothing
            assert (tts, cumulative, peak) == (None, 0.0, 0.0), months
        else:
            # from month 5 to the cut's end F loses 0.6: CL = 0.6 x (months - 5)
            assert tts == pytest.approx(5.0)
            assert cumulative == pytest.approx(0.6 * (months - 5))
            assert peak == pytest.approx(0.6)
    assert dict(result.stocks) == {"m": 1.0, "c": 2.0}


def test_months_sweep_in_the_linear_model(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = time_sweep(chain, "JP:m", months=[8.0, 9.0, 12.0], model="linear")
    # u_M = 0.6 empties M's stock at 5/3; u_C = 0.5 x 0.6 = 0.3 empties C's 2 months 20/3 later,
    # at 25/3 = 8.333; then L_F = 0.5 x 0.3 = 0.15 until the cut ends
    figures = f_figures(result)
    assert figures[0] == (8.0, None, 0.0, 0.0)
    assert figures[1][1] == pytest.approx(25 / 3)
    assert figures[1][2] == pytest.approx(0.15 * (9 - 25 / 3))
    assert figures[2][2] == pytest.approx(0.55)
    assert figures[2][3] == pytest.approx(0.15)


def test_a_half_cut_and_a_severity_option(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    # severity 0.5: u_M = 0.3, M's stock lasts 1 / 0.3 = 3.333, C's 2 / 0.3 = 6.667 more: 10
    for result in (
        time_sweep(chain, "JP:m=0.5", months="12"),
        time_sweep(chain, "JP:m", months=12, severity="50%"),
    ):
        assert result.severity == 0.5
        assert result.cut == "JP:m=0.5"
        (_, tts, cumulative, peak) = f_figures(result)[0]
        assert tts == pytest.approx(10.0)
        assert cumulative == pytest.approx(0.3 * 2)
        assert peak == pytest.approx(0.3)


def test_each_row_equals_its_scenario_run_alone() -> None:
    robots = load_chain("robots")
    result = time_sweep(robots, "JP:reducers", months="1:13:4", stocks={"reducers": 3})
    for row in result.rows:
        alone = run_timeline(
            robots,
            Scenario(cuts=(Cut("JP", 1.0, ("reducers",), row.months),)),
            stocks={"reducers": 3.0},
        )
        for f, g in zip(row.final, alone.final, strict=True):
            assert (f.id, f.tts) == (g.id, g.tts)
            assert f.cumulative_loss == pytest.approx(g.cumulative_loss, abs=1e-12)
            assert f.peak_loss == pytest.approx(g.peak_loss, abs=1e-12)


# -- sweep over one node's stock -----------------------------------------------------------


def test_stock_sweep_of_the_worked_example(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = time_sweep(chain, "JP:m", months=6, stocks=["c=0:6:1"])
    assert (result.vary, result.node) == ("stock", "c")
    assert dict(result.stocks) == {"m": 1.0}  # the varied stock is in the rows
    # M runs out at 1/0.6; C's stock s lasts s/0.6 more: F short from (1 + s)/0.6 to 6,
    # CL = 0.6 x (6 - (1 + s)/0.6) = 2.6 - s while that is above 0
    expected = {0: 1 / 0.6, 1: 2 / 0.6, 2: 5.0}
    for stock, tts, cumulative, peak in f_figures(result):
        assert result.rows[int(stock)].months == 6.0
        if stock in expected:
            assert tts == pytest.approx(expected[int(stock)])
            assert cumulative == pytest.approx(2.6 - stock)
            assert peak == pytest.approx(0.6)
        else:
            assert (tts, cumulative, peak) == (None, 0.0, 0.0)


def test_a_stock_mapping_and_the_chain_stock_overridden(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    # M holds none now: its loss reaches C at once, C's 2 months last 2 / 0.6 = 3.333
    result = time_sweep(chain, "JP:m", months=6, stocks={"m": 0, "c": "2:3:1"})
    figures = f_figures(result)
    assert figures[0][1] == pytest.approx(2 / 0.6)
    assert figures[0][2] == pytest.approx(0.6 * (6 - 2 / 0.6))
    assert figures[1][1] == pytest.approx(5.0)  # 3 / 0.6


def test_linear_losses_resting_on_a_missing_cost_share_are_unknown(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "noshare", NO_SHARE)
    result = time_sweep(chain, "JP:m", months="0:12:6", model="linear")
    f = [next(x for x in r.final if x.id == "f") for r in result.rows]
    assert (f[0].tts, f[0].cumulative_loss) == (None, 0.0)  # no disruption: known to be 0
    assert [(x.tts, x.cumulative_loss, x.peak_loss) for x in f[1:]] == [(None, None, None)] * 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": "0:6:1", "stocks": ["c=0:2:1"]}, "vary one thing at a time"),
        ({"months": "0:100:0.001", "max_rows": 50}, "above the ceiling of 50"),
        ({"months": 6, "stocks": ["c=0:100:0.001"], "max_rows": 50}, "above the ceiling of 50"),
        ({"months": "-1"}, "outside [0, 1200]"),
        ({"months": "6:1:1"}, "START <= STOP"),
        ({"months": 6, "stocks": ["x=2"]}, "stock x: unknown node"),
        ({"months": 6, "severity": "0:1:0.5"}, "takes one severity"),
    ],
)
def test_sweep_refusals(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        time_sweep(chain, "JP:m", **kwargs)  # type: ignore[arg-type]


def test_sweep_refuses_a_bad_cut(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    with pytest.raises(ScenarioError, match="not a foreign origin"):
        time_sweep(chain, "US:m", months=6)
    with pytest.raises(ScenarioError, match="carries its severity"):
        time_sweep(chain, "JP:m=1", months=6, severity=1)


def test_ranges_of_months_and_stocks() -> None:
    assert parse_month_range("0:1:0.25") == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_month_range("0:1:0.3") == (0.0, 0.3, 0.6, 0.9, 1.0)  # STOP always included
    assert parse_stock_range("c = 1:2:1") == ("c", (1.0, 2.0))
    with pytest.raises(ScenarioError, match="is malformed; write NODE=MONTHS"):
        parse_stock_range("c:1")
    with pytest.raises(ScenarioError, match=r"gives 1,000,001 values, above the ceiling of 9"):
        parse_month_range("0:1:1e-6", limit=9)
    with pytest.raises(ScenarioError, match="must be START:STOP:STEP"):
        parse_month_range("0:1")
    with pytest.raises(ScenarioError, match="STEP is too small to count"):
        parse_month_range("0:1200:1e-306")


# -- the command line of the sweep ---------------------------------------------------------


def test_cli_sweep_over_months(runner: CliRunner, tmp_path: Path) -> None:
    path = write_chain(tmp_path, "worked", WORKED)
    done = runner.invoke(app, ["sweep", str(path), "--cut", "JP:m=1", "--months", "0:12:1"])
    assert done.exit_code == 0, done.output
    assert "f runs short when the cut lasts 6 months or more of those tried (from month 5.00)" in (
        " ".join(done.stdout.split())
    )
    done = runner.invoke(
        app, ["sweep", str(path), "--cut", "JP:m=1", "--months", "0:12:1", "-f", "json"]
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert list(document) == [
        "chain",
        "perspective",
        "model",
        "cut",
        "vary",
        "node",
        "stocks",
        "rows",
    ]
    assert document["cut"] == {"origin": "JP", "nodes": ["m"], "severity": 1.0}
    assert document["rows"][5] == {
        "months": 5.0,
        "stock": None,
        "final": [
            {"id": "f", "tts": None, "cumulative_loss": 0.0, "peak_loss": 0.0, "unknown": None}
        ],
    }
    row = document["rows"][8]["final"][0]
    assert (row["tts"], row["cumulative_loss"]) == (pytest.approx(5.0), pytest.approx(1.8))


def test_cli_sweep_over_a_stock(runner: CliRunner, tmp_path: Path) -> None:
    path = write_chain(tmp_path, "worked", WORKED)
    args = ["sweep", str(path), "--cut", "JP:m", "--months", "6", "--stock", "c=0:4:1"]
    done = runner.invoke(app, [*args, "-f", "csv"])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["stock"] for r in rows] == ["0.0", "1.0", "2.0", "3.0", "4.0"]
    assert float(rows[1]["cumulative_loss"]) == pytest.approx(1.6)  # 2.6 - 1
    assert rows[3]["tts"] == ""  # never: null
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    text = " ".join(done.stdout.split())
    assert "f does not run short with a stock of c of 3 months or more of those tried" in text
    assert "stocks: c as in the table, others m 1 months; not refilled" in text


def test_cli_sweep_table_marks_unknown_losses(runner: CliRunner, tmp_path: Path) -> None:
    path = write_chain(tmp_path, "noshare", NO_SHARE)
    done = runner.invoke(
        app, ["sweep", str(path), "--cut", "JP:m", "--months", "6", "--model", "linear"]
    )
    assert done.exit_code == 0, done.output
    assert "n/a" in done.stdout
    assert "rests on inputs without a cost share" in " ".join(done.stdout.split())


def test_cli_sweep_table_is_capped(runner: CliRunner, tmp_path: Path) -> None:
    path = write_chain(tmp_path, "worked", WORKED)
    done = runner.invoke(app, ["sweep", str(path), "--cut", "JP:m", "--months", "0:300:1"])
    assert done.exit_code == 0, done.output
    assert "the first 200 of 301 rows" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--over", "origins", "--months", "6"], "give --cut ORIGIN[:NODE]"),
        (["--months", "6"], "give --cut ORIGIN[:NODE]"),
        (["--cut", "JP:m", "--stock", "c=1"], "--stock needs --months"),
        (["--cut", "JP:m", "--months", "6", "--plot", "x.svg"], "leave it out with --months"),
        (["--cut", "JP:m", "--months", "0:9:0.001", "--max-rows", "9"], "--max-rows N"),
        (["--cut", "JP:m=1", "--months", "6", "--severity", "1"], "leave out --severity"),
        (["--cut", "JP:m", "--months", "6", "--severity", "0:1:1"], "--severity: a sweep"),
    ],
)
def test_cli_sweep_refusals(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write_chain(tmp_path, "worked", WORKED)
    done = runner.invoke(app, ["sweep", str(path), *args])
    assert done.exit_code == 2, done.output
    assert message in done.stderr


# -- stress with durations from a scenario file --------------------------------------------


def scenario_file(tmp_path: Path, cuts: str, name: str = "durations") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"scenarios:\n  plan:\n    title: Plan\n    cuts:\n{cuts}", encoding="utf-8")
    return path


DURATIONS = """\
      - {origin: JP, severity: 1, months: 4}
      - {origin: KR, nodes: [m], severity: 0.5, months: 10}
      - {origin: JP, nodes: [g], severity: 1, months: 8}
"""


def stress_figures(result: StressResult) -> list[tuple[object, ...]]:
    return [
        (r.origin, r.node, r.months, *next((x.tts, x.cumulative_loss) for x in r.final))
        for r in result.rows
    ]


def test_months_from_a_scenario_file(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    result = stress(chain, months_from=scenario_file(tmp_path, DURATIONS))
    assert result.months is None
    # F needs M {JP .5, KR .3} and G {JP .2, 1 month of stock}, leontief: L_F = max(L_M, L_G).
    # JP everywhere for 4 months: L_M = 0.5 at once, CL = 0.5 x 4 = 2 (G's stock lasts 5);
    # (JP, m) takes JP's 4 months: CL 2; (KR, m) its own 10 (the file's severity is not used:
    # stress cuts fully): 0.3 x 10 = 3; (JP, g) 8 months: G's month lasts 1 / 0.2 = 5, then
    # 0.2 x 3 = 0.6. KR as a whole origin is not in the file: no row.
    expected = [
        ("KR", "m", 10.0, 0.0, 3.0),
        ("JP", None, 4.0, 0.0, 2.0),
        ("JP", "m", 4.0, 0.0, 2.0),
        ("JP", "g", 8.0, 5.0, 0.6),
    ]
    got = stress_figures(result)
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g[3:] == pytest.approx(e[3:])
    rows = result.to_dict()["rows"]
    assert [r["months"] for r in rows] == [10.0, 4.0, 4.0, 8.0]
    assert list(rows[0]) == ["origin", "node", "months", "final"]


def test_months_from_a_region_and_the_worked_example(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    path = scenario_file(tmp_path, "      - {origin: JP, nodes: [m], severity: 1, months: 6}\n")
    result = stress(chain, months_from=path, over="pairs")
    assert stress_figures(result) == [("JP", "m", 6.0, pytest.approx(5.0), pytest.approx(0.6))]
    with pytest.raises(
        ScenarioError, match="none of its cuts is a row of a stress test over origins"
    ):
        stress(chain, months_from=path, over="origins")
    regional = chain_of(
        tmp_path,
        "regional",
        "- {id: m, name: M, stage: up, shares: {DE: 0.3, FR: 0.2, CN: 0.5}, source: s}\n"
        "- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: m}]}\n",
    )
    path = scenario_file(tmp_path, "      - {origin: EU, severity: 1, months: 2}\n")
    # EU = DE + FR: each member's row lasts 2 months; DE: 0.3 x 2, FR: 0.2 x 2
    got = stress_figures(stress(regional, months_from=path, over="origins"))
    assert got == [
        ("DE", None, 2.0, 0.0, pytest.approx(0.6)),
        ("FR", None, 2.0, 0.0, pytest.approx(0.4)),
    ]


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        (
            "      - {origin: JP, severity: 1, months: 4}\n      - {origin: KR, severity: 1}\n",
            "durations.yaml, line 6: scenario 'plan', cut KR has no `months`",
        ),
        (
            "      - {origin: US, severity: 1, months: 4}\n",
            "durations.yaml, line 5: scenario 'plan', cut US: not a foreign origin of chain",
        ),
        (
            "      - {origin: KR, nodes: [g], severity: 1, months: 4}\n",
            "line 5: scenario 'plan', cut KR:g: KR has no share in g",
        ),
        (
            "      - {origin: JP, nodes: [m], severity: 1, months: 4}\n"
            "      - {origin: JP, nodes: [m, g], severity: 1, months: 5}\n",
            "line 6: scenario 'plan', cut JP:m,g lasts 5 months, but line 5 (scenario 'plan') "
            "gives it 4",
        ),
    ],
)
def test_months_from_refusals(tmp_path: Path, cuts: str, message: str) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        stress(chain, months_from=scenario_file(tmp_path, cuts))


def test_months_or_months_from(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    with pytest.raises(ScenarioError, match="give either months=M"):
        stress(chain)
    with pytest.raises(ScenarioError, match="not both"):
        stress(chain, 6, months_from=scenario_file(tmp_path, DURATIONS))
    with pytest.raises(ChainError, match="unknown node 'zz'"):
        stress(
            chain,
            months_from=scenario_file(tmp_path, "      - {origin: JP, nodes: [zz], severity: 1}\n"),
        )


def test_cli_stress_months_from(runner: CliRunner, tmp_path: Path) -> None:
    chain = write_chain(tmp_path, "three", THREE)
    path = scenario_file(tmp_path, DURATIONS)
    done = runner.invoke(app, ["stress", str(chain), "--months-from", str(path)])
    assert done.exit_code == 0, done.output
    # rank, origin, node, worst final, TTS, cum., peak, TTR between the table's bars
    body = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in done.stdout.splitlines()
        if line.startswith("│")
    ]
    assert [r[:3] + r[-1:] for r in body] == [
        ["1", "KR", "m", "10"],
        ["2", "JP", "(all)", "4"],
        ["3", "JP", "m", "4"],
        ["4", "JP", "g", "8"],
    ]
    done = runner.invoke(app, ["stress", str(chain), "--months-from", str(path), "-f", "csv"])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    last = rows[-1]
    assert (last["rank"], last["months"], last["final"]) == ("4", "8.0", "f")
    assert float(last["cumulative_loss"]) == pytest.approx(0.6)
    done = runner.invoke(app, ["stress", str(chain), "--months-from", str(path), "-f", "json"])
    assert json.loads(done.stdout)["months"] is None


def test_cli_stress_months_from_unknown_losses_and_refusals(
    runner: CliRunner, tmp_path: Path
) -> None:
    chain = write_chain(tmp_path, "noshare", NO_SHARE)
    path = scenario_file(tmp_path, "      - {origin: JP, severity: 1, months: 6}\n")
    done = runner.invoke(
        app, ["stress", str(chain), "--months-from", str(path), "--model", "linear"]
    )
    assert done.exit_code == 0, done.output
    assert "n/a" in done.stdout
    done = runner.invoke(app, ["stress", str(chain)])
    assert done.exit_code == 2
    assert "give --months M (one duration for every cut) or --months-from FILE" in done.stderr
    no_months = scenario_file(tmp_path, "      - {origin: JP, severity: 1}\n", "no_months")
    done = runner.invoke(app, ["stress", str(chain), "--months-from", str(no_months)])
    assert done.exit_code == 2
    assert "--months-from takes each cut's duration" in done.stderr
    assert "every cut with --months M" in done.stderr
    done = runner.invoke(app, ["stress", str(chain), "--months-from", str(path), "--over", "pairs"])
    assert done.exit_code == 0, done.output  # JP's duration reaches its pair (JP, m)
    only_pair = scenario_file(
        tmp_path, "      - {origin: JP, nodes: [m], severity: 1, months: 6}\n", "only_pair"
    )
    done = runner.invoke(
        app, ["stress", str(chain), "--months-from", str(only_pair), "--over", "origins"]
    )
    assert done.exit_code == 2
    assert "use --over all" in done.stderr


# -- the loss-over-time picture ------------------------------------------------------------


def _x_scale(root: ET.Element) -> tuple[float, float]:
    """Pixels per month and the pixel of month 0, from two labelled x ticks of the SVG."""
    ticks = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if not group.get("id", "").startswith("xtick_"):
            continue
        use = next(group.iter("{http://www.w3.org/2000/svg}use"))
        label = next(group.iter("{http://www.w3.org/2000/svg}text")).text or ""
        ticks.append((float(label.replace("\u2212", "-")), float(use.get("x", "nan"))))
    (m0, x0), (m1, x1) = ticks[0], ticks[-1]
    scale = (x1 - x0) / (m1 - m0)
    return scale, x0 - m0 * scale


def _path_points(root: ET.Element, gid: str) -> list[tuple[float, float]]:
    group = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == gid)
    d = next(group.iter("{http://www.w3.org/2000/svg}path")).get("d", "")
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def test_plot_of_the_worked_example_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = write_chain(tmp_path, "worked", WORKED)
    svg = tmp_path / "loss.svg"
    done = runner.invoke(
        app, ["scenario", str(path), "--cut", "JP:m=1", "--months", "6", "--plot", str(svg)]
    )
    assert done.exit_code == 0, done.output
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    scale, origin = _x_scale(root)

    def month(x: float) -> float:
        return (x - origin) / scale

    # F's step line: 0 from month 0, 0.6 from month 5 (C's stock runs out), 0 at the cut's end
    points = _path_points(root, "loss-f")
    steps = sorted({round(month(x), 3) for x, _ in points})
    assert steps == [0.0, 5.0, 6.0]
    heights = [y for _, y in points]
    assert len(set(heights)) == 2  # two levels: 0 and 0.6
    # the markers: M's stock runs out at 1/0.6, C's at 5, the cut ends at 6
    markers = [round(month(_path_points(root, f"event-{k}")[0][0]), 3) for k in range(3)]
    assert markers == [1.667, 5.0, 6.0]
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "stock of m runs out (1.67)" in text
    assert "stock of c runs out (5)" in text
    assert "cut JP:m ends (6)" in text
    png = tmp_path / "loss.png"
    done = runner.invoke(
        app, ["scenario", str(path), "--cut", "JP:m=1", "--months", "6", "--plot", str(png)]
    )
    assert done.exit_code == 0, done.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_events_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    scenario = Scenario(cuts=(Cut("JP", 1.0, ("m",)),), shocks=(Shock("c", 0.1, 2.5),))
    result = run_timeline(chain, scenario, months=12)
    # a permanent cut has no end to mark; M's stock runs out at 1/0.6 = 1.667, then the
    # shock ends at 2.5 (C's stock, drawn on by the shock and M's loss, runs out later)
    marked = events(result)
    assert [(round(t, 3), kind) for t, kind, _ in marked][:2] == [(1.667, "stock"), (2.5, "end")]
    assert marked[1][2] == "shock c ends (2.5)"
    with pytest.raises(OutputError, match="png or svg"):
        plot_timeline(result, chain, fmt="pdf")  # type: ignore[arg-type]
    noshare = chain_of(tmp_path, "noshare", NO_SHARE)
    unknown = run_timeline(noshare, Scenario(cuts=(Cut("JP", 1.0, ("m",), 6.0),)), model="linear")
    with pytest.raises(OutputError, match="nothing to plot"):
        plot_timeline(unknown, noshare, fmt="svg")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotDependencyError, match="pip install"):
        plot_timeline(result, chain, fmt="svg")


def test_plot_with_no_loss_and_cli_refusals(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    chain = chain_of(tmp_path, "worked", WORKED)
    calm = run_timeline(chain, Scenario(cuts=(Cut("JP", 1.0, ("m",), 4.0),)))
    assert plot_timeline(calm, chain, fmt="svg").startswith(b"<?xml")
    path = write_chain(tmp_path, "worked", WORKED)
    done = runner.invoke(
        app, ["scenario", str(path), "--cut", "JP:m=1", "--plot", str(tmp_path / "x.svg")]
    )
    assert done.exit_code == 2
    assert "--plot draws the loss over time; add --months M" in done.stderr
    done = runner.invoke(
        app,
        [
            "scenario",
            str(path),
            "--cut",
            "JP:m=1",
            "--months",
            "6",
            "--plot",
            str(tmp_path / "x.gif"),
        ],
    )
    assert done.exit_code == 2
    assert "must end in .png or .svg" in done.stderr


def test_public_api() -> None:
    assert "time_sweep" in chokepoint.__all__
    assert "TimeSweepResult" in chokepoint.__all__
    assert chokepoint.time_sweep is time_sweep


# -- re-propagation downstream of an event only ---------------------------------------------


@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_repropagating_downstream_only_equals_a_full_propagation(
    model: LossModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first step, a step recomputes only the nodes downstream of what changed (a
    stock that ran out, a cut that ended); marking every node dirty gives the same numbers."""
    chain = check_document(Located(build_network(120, 7, cycles=0.1), "net"))
    c = compile_chain(chain)
    assert c.cyclic
    rng = np.random.default_rng(7)
    origins = c.origins()
    scenarios = [
        Scenario(
            cuts=tuple(
                Cut(str(o), float(rng.uniform(0.3, 1)), (), float(rng.integers(1, 12)))
                for o in rng.choice(origins, 2, replace=False)
            ),
            shocks=(Shock(c.nodes[int(rng.integers(c.size))], 0.2, 3.0),),
        )
        for _ in range(5)
    ]
    stocks = rng.uniform(0, 2, (c.size, 5)) * (rng.random((c.size, 5)) < 0.4)
    horizons = np.array([horizon_of(s) for s in scenarios]) + 1.0
    quick = timeline(c, scenarios, stocks, horizons, model)
    assert quick.steps > len(scenarios)  # stocks ran out: there were steps after the first
    monkeypatch.setattr(
        Compiled, "downstream", lambda self, seeds: np.ones(self.size, dtype=np.bool_)
    )
    full = timeline(c, scenarios, stocks, horizons, model)
    np.testing.assert_array_equal(quick.cumulative, full.cumulative)
    np.testing.assert_array_equal(quick.tts, full.tts)
    np.testing.assert_array_equal(quick.peak, full.peak)
    np.testing.assert_array_equal(quick.exhausted, full.exhausted)
    assert quick.curves == full.curves


def test_downstream_and_a_restricted_propagation(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    c = compile_chain(chain)
    seeds = np.zeros(c.size, dtype=np.bool_)
    seeds[c.index["c"]] = True
    # C feeds F; M is upstream and stays clean
    assert [c.nodes[n] for n in np.flatnonzero(c.downstream(seeds))] == ["c", "f"]
    imports = import_losses(c, cut_matrix(c, [[Cut("JP", 1.0, ("m",))]]))
    q, dom = propagate(c, imports)
    # M's loss 0.6 reaches C and F (domestic, essential): all three lose 0.6
    np.testing.assert_allclose(q[:, 0], [0.6, 0.6, 0.6])
    # with C's users reading 0 (its stock covers it), only F needs recomputing: F reads 0
    covered = np.zeros_like(imports, dtype=np.bool_)
    covered[c.index["c"]] = True
    dirty = c.downstream(seeds) & ~seeds
    q2, _ = propagate(c, imports, None, "leontief", covered, start=(q, dom), dirty=dirty)
    np.testing.assert_allclose(q2[:, 0], [0.6, 0.6, 0.0])
    with pytest.raises(ScenarioError, match="start must hold two matrices"):
        propagate(c, imports, start=(q[:, :0], dom), dirty=dirty)


@pytest.mark.parametrize(("months", "stocks"), [("0:12:1", {"c": 2.0}), (6.0, {"c": "0:6:0.5"})])
def test_blocks_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, months: object, stocks: object
) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    whole = time_sweep(chain, "JP:m", months=months, stocks=stocks)  # type: ignore[arg-type]
    monkeypatch.setattr(timesweep_module, "BLOCK", 2)
    blocks = time_sweep(chain, "JP:m", months=months, stocks=stocks)  # type: ignore[arg-type]
    assert blocks == whole
    assert len(whole.rows) == 13
