"""A chain of our own, not shipped: a world market, a region perspective (EU: DE, FR) and inputs
without cost shares. Every command's JSON gives the known figures worked out below and never a
number that rests on an unknown: each null comes with its reason (issue 13).

    ore   CN .6, AU .3, DE .1                 from EU: D = .9, import HHI (.6/.9)^2 + (.3/.9)^2
    film  JP .5, US .2 (.3 unattributed)      from EU: D = 1 (EU's share not given), no inputs
    cell  CN .7, KR .2, FR .1; ore at cost share .4, film without one
    pack  CN .5, DE .3, US .2; cell without a cost share (the final product)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chokepoint.cli import app

OWN = str(Path(__file__).parent / "data" / "valid" / "own_global.yaml")


def run(*args: str, columns: int = 80) -> str:
    done = CliRunner().invoke(
        app, list(args), env={"COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    )
    assert done.exit_code == 0, done.output
    return done.stdout


def document(*args: str) -> Any:
    return json.loads(run(*args, "-f", "json"))


def test_analyze_known_figures_and_every_null_says_why() -> None:
    nodes = {n["id"]: n for n in document("analyze", OWN)["nodes"]}
    ore = nodes["ore"]
    assert ore["dependence"] == pytest.approx(0.9)
    assert ore["import_hhi"] == pytest.approx((0.6 / 0.9) ** 2 + (0.3 / 0.9) ** 2)
    assert ore["total_dependence"] == pytest.approx(0.9)  # no inputs
    assert nodes["pack"]["dependence"] == pytest.approx(0.7)  # DE's .3 is domestic for EU
    assert nodes["cell"]["total_dependence"] is None  # film has no cost share
    assert "film->cell" in nodes["cell"]["unknown"]["total_dependence"]
    assert "cell->pack" in nodes["pack"]["unknown"]["total_dependence"]
    for node in nodes.values():
        for key in ("dependence", "import_hhi", "total_dependence", "impact"):
            if node[key] is None:
                assert node["unknown"].get(key) or node["unknown"], (node["id"], key)
        for origin, value in node["exposure"].items():
            if value is None:
                assert node["unknown"]["exposure"], (node["id"], origin)


def test_linear_scenario_and_sweep_give_reasons() -> None:
    result = document("scenario", OWN, "--cut", "CN=1", "--model", "linear")
    nodes = {n["id"]: n for n in result["nodes"]}
    # cell: CN's .7 lost, plus the domestic .1 times ore's cost share .4 times ore's loss .6
    assert nodes["cell"]["loss"] == pytest.approx(0.7 + 0.1 * 0.4 * 0.6)
    assert nodes["pack"]["loss"] is None
    assert "cell->pack" in nodes["pack"]["unknown"]
    assert result["final"] == [{"id": "pack", "loss": None, "unknown": nodes["pack"]["unknown"]}]
    rows = document("sweep", OWN, "--over", "origins", "--model", "linear")["rows"]
    for row in rows:
        losses = [f["loss"] for f in row["final"]]
        assert losses == [None]
        assert row["worst_loss"] is None
        assert "without a cost share" in row["unknown"]


def test_stress_and_time_sweep_nulls_say_why() -> None:
    rows = document("stress", OWN, "--months", "3", "--model", "linear")["rows"]
    # a direct cut of pack needs no cost share: CN's .5 for 3 months
    first = rows[0]
    assert (first["origin"], first["node"]) == ("CN", "pack")
    assert first["final"][0]["cumulative_loss"] == pytest.approx(0.5 * 3)
    for row in rows:
        for final in row["final"]:
            if final["cumulative_loss"] is None:
                assert "without a cost share" in final["unknown"], row
    swept = document("sweep", OWN, "--cut", "JP:film=1", "--months", "0:2:1", "--model", "linear")
    finals = [r["final"][0] for r in swept["rows"]]
    assert finals[0]["cumulative_loss"] == 0.0  # 0 months: no disruption
    assert [f["cumulative_loss"] for f in finals[1:]] == [None, None]
    assert all("film->cell" in f["unknown"] for f in finals[1:])


def test_montecarlo_unknown_losses_and_drivers() -> None:
    result = document("montecarlo", OWN, "--samples", "200", "--seed", "3", "--model", "linear")
    final = result["final"][0]
    assert [final[k] for k in ("mean", "p50", "p90", "p99")] == [None] * 4
    assert "without a cost share" in final["unknown"]
    for driver in result["drivers"]:
        # what drives a tail of unknown losses is unknown too: never a share of 0
        assert driver["mean_loss_if_cut"] is None
        assert driver["tail_share"] is None


def test_compare_perspectives_and_unknown_totals() -> None:
    result = document("compare", OWN, "--perspective", "EU", "--perspective", "US")
    final = result["final"][0]
    assert final["values"] == pytest.approx([0.7, 0.8])  # 1 - (DE .3), 1 - (US .2)
    totals = document("compare", OWN, "-p", "EU", "-p", "US", "--measure", "total_dependence")[
        "final"
    ][0]
    assert totals["values"] == [None, None]
    assert all("cell->pack" in why for why in totals["unknown"][:2])


def test_tables_say_why_at_80_columns() -> None:
    for args in (
        ("analyze", OWN),
        ("scenario", OWN, "--cut", "CN=1", "--model", "linear"),
        ("sweep", OWN, "--over", "origins", "--model", "linear"),
        ("stress", OWN, "--months", "3", "--model", "linear"),
        ("montecarlo", OWN, "--samples", "200", "--seed", "3", "--model", "linear", "-q"),
        ("compare", OWN, "-p", "EU", "-p", "US", "--measure", "total_dependence"),
    ):
        out = run(*args)
        assert "…" not in out, args
        assert max(len(line) for line in out.splitlines()) <= 80, args
        if "n/a" in out:
            assert "without a cost share" in " ".join(out.split()), args
