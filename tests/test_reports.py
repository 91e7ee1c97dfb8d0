"""Known-answer tests of `trend`, `stages` and `sources` on a small chain written out here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import analyze, load_chain
from chokepoint.cli import app
from chokepoint.core.reports import sources, stages, trend
from chokepoint.errors import AnalysisError

CHAIN = """\
format: 1
name: econ
title: Economics test
perspective: CN
year: 2018
stages: [up, mid]
sources:
  a: {title: Report A, publisher: Pub, year: 2025, locator: Table 1}
  b: {title: Report B, publisher: Pub, year: 2024}
nodes:
  - id: gears
    name: Gears
    stage: up
    shares: {CN: 0.3, JP: 0.6, DE: 0.1}
    history: {2014: {CN: 0.1, JP: 0.8}, 2016: {CN: 0.2, DE: 0.5, JP: 0.3}}
    source: a
  - {id: motors, name: Motors, stage: up, shares: {CN: 0.9, KR: 0.1}, source: b}
  - {id: arms, name: Arms, stage: mid, inputs: [gears, motors], note: no figures published}
stage_data:
  up:
    - {period: 2022, source: a, subsidy_amount: 0.81, amount_unit: RMB bn}
    - {period: "2018-2022", source: b, rd_intensity: "6%", estimate: true, note: midpoint}
  mid:
    - {period: 2022, source: a, subsidy_amount: 3.01, amount_unit: RMB bn, profit_margin: -0.02}
"""


@pytest.fixture
def chain_path(tmp_path: Path) -> Path:
    path = tmp_path / "econ.yaml"
    path.write_text(CHAIN, encoding="utf-8")
    return path


def test_trend_rows(chain_path: Path) -> None:
    rows = trend(load_chain(chain_path)).rows
    assert [(r.node, r.year) for r in rows] == [("gears", 2014), ("gears", 2016), ("gears", 2018)]
    assert [r.dependence for r in rows] == pytest.approx([0.9, 0.8, 0.7])
    # 2016: DE 0.5 beats JP 0.3; 2014 and 2018: JP
    assert [(r.top_supplier, r.top_share) for r in rows] == [("JP", 0.8), ("DE", 0.5), ("JP", 0.6)]
    with pytest.raises(
        AnalysisError, match=r"node 'motors' has no history.*nodes with history: gears"
    ):
        trend(load_chain(chain_path), "motors")
    with pytest.raises(AnalysisError, match="unknown node 'gear'"):
        trend(load_chain(chain_path), "gear")


def test_stage_summary(chain_path: Path) -> None:
    result = stages(analyze(load_chain(chain_path)))
    up, mid = result.stages
    assert (up.stage, up.nodes, mid.nodes) == ("up", 2, 1)
    # mean of D(gears) = 0.7 and D(motors) = 0.1; arms has no shares
    assert up.mean_dependence == pytest.approx(0.4)
    assert up.max_dependence == pytest.approx(0.7)
    assert (mid.mean_dependence, mid.max_dependence) == (None, None)
    # gears: D 0.7, import HHI (0.6/0.7)^2 + (0.1/0.7)^2 = 0.755 -> a choke point
    assert up.chokepoints == ("gears",)
    assert up.possible_chokepoints == ()  # every foreign share is named
    assert up.data == {
        "2018-2022": {
            "source": ["b"],
            "estimate": True,
            "notes": ["midpoint"],
            "rd_intensity": 0.06,
        },
        "2022": {
            "source": ["a"],
            "estimate": False,
            "notes": [],
            "subsidy_amount": 0.81,
            "amount_unit": "RMB bn",
        },
    }
    assert mid.data["2022"]["profit_margin"] == -0.02


def test_source_usage(chain_path: Path) -> None:
    uses = {u.id: u for u in sources(load_chain(chain_path)).sources}
    assert uses["a"].citation == "Report A, Pub, 2025, Table 1"
    assert uses["a"].supports == (
        "gears (shares, history)",
        "stage_data up 2022",
        "stage_data mid 2022",
    )
    assert uses["b"].supports == ("motors (shares)", "stage_data up 2018-2022")


def test_cli_json(chain_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["trend", str(chain_path), "gears", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["chain", "perspective", "rows"]
    assert doc["rows"][0] == {"node": "gears", "year": 2014, "dependence": pytest.approx(0.9),
                              "top_supplier": "JP", "top_share": 0.8}  # fmt: skip
    result = runner.invoke(app, ["stages", str(chain_path), "-f", "json"])
    doc = json.loads(result.stdout)
    assert [s["stage"] for s in doc["stages"]] == ["up", "mid"]
    assert list(doc["stages"][0]) == [
        "stage", "nodes", "mean_dependence", "max_dependence", "chokepoints",
        "possible_chokepoints", "data",
    ]  # fmt: skip
    result = runner.invoke(app, ["sources", str(chain_path), "-f", "csv"])
    assert result.stdout.splitlines()[0] == "id,citation,url,supports"


def test_robots_show_the_subsidy_mismatch() -> None:
    """JST (2025) ch. 5: subsidies go midstream (RMB 3.01bn vs 0.81bn upstream in 2022) while the
    choke points sit upstream."""
    result = stages(analyze(load_chain("robots")))
    by_stage = {s.stage: s for s in result.stages}
    assert by_stage["upstream"].data["2022"]["subsidy_amount"] == pytest.approx(0.81)
    assert by_stage["midstream"].data["2022"]["subsidy_amount"] == pytest.approx(3.01)
    assert by_stage["upstream"].chokepoints == ("plc", "cnc", "reducers")
    assert not by_stage["midstream"].chokepoints
    # servo (JP 22% named, 36% unattributed) ranks before controllers (no named supplier)
    assert by_stage["upstream"].possible_chokepoints == ("servo", "controllers")
    assert by_stage["midstream"].possible_chokepoints == ("robot-bodies",)
