"""Known-answer tests of policy targets (`chokepoint targets`): today's value, trend, if met."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core.targets import domestic_share, impose, linear_trend, targets
from chokepoint.errors import AnalysisError, ChainError

from .chains import write_chain


def run_cli(args: list[str], columns: int = 100) -> tuple[int, str, str]:
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


# a: 2010 0.10, 2015 0.15, 2020 0.20 (slope 0.01 a year); b does not give CN and leaves 0.2
# unattributed; c already at 0.9; d falls from 0.40 (2015) to 0.30 (2020); e has one year only.
NODES = """\
- id: a
  name: A
  stage: up
  shares: {CN: 0.2, JP: 0.6, DE: 0.2}
  history: {2010: {CN: 0.1, JP: 0.7, DE: 0.2}, 2015: {CN: 0.15, JP: 0.65, DE: 0.2}}
  source: s
- {id: b, name: B, stage: up, shares: {JP: 0.5, US: 0.3}, source: s}
- {id: c, name: C, stage: up, shares: {CN: 0.9, JP: 0.1}, source: s}
- {id: d, name: D, stage: up, shares: {CN: 0.3, US: 0.7}, history: {2015: {CN: 0.4, US: 0.6}}, source: s}
- {id: e, name: E, stage: up, shares: {CN: 0.35, KR: 0.65}, source: s}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [a, b, c, d, e]}
"""
TARGETS = """\
targets:
  half-by-2030:
    title: Half of a, b and c at home by 2030
    nodes: [a, b, c]
    measure: domestic_share
    value: 0.5
    year: 2030
    source: s
  quarter:
    title: A quarter by 2030
    nodes: [a, d, e]
    measure: domestic_share
    value: 25%
    year: 2030
    source: s
    note: stated in percent
"""


@pytest.fixture
def chain_path(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "goals", NODES, extra=TARGETS)


def test_progress_today_trend_and_year(chain_path: Path) -> None:
    result = targets(load_chain(chain_path))
    half = {n.id: n for n in result.targets[0].nodes}
    a = half["a"]
    assert (a.year, a.value, a.trend_years) == (2020, 0.2, (2010, 2015, 2020))
    # slope: ((-5)(-0.05) + 0 + 5 * 0.05) / (25 + 0 + 25) = 0.01 a year
    assert a.trend_per_year == pytest.approx(0.01, abs=1e-15)
    # mean year 2015, mean value 0.15: 2015 + (0.5 - 0.15) / 0.01 = 2050, after 2030
    assert (a.reaches_in, a.status, a.gap(0.5)) == (2050, "behind", 0.3)
    b = half["b"]
    assert (b.value, b.status, b.reaches_in, b.gap(0.5)) == (None, "unknown", None, None)
    assert b.unknown is not None
    assert "between 0 and 0.2" in b.unknown
    c = half["c"]
    assert (c.value, c.status, c.reaches_in, c.gap(0.5)) == (0.9, "met", None, 0.0)
    quarter = {n.id: n for n in result.targets[1].nodes}
    assert result.targets[1].target.value == 0.25  # "25%"
    # a: 2015 + (0.25 - 0.15) / 0.01 = 2025 <= 2030
    assert (quarter["a"].reaches_in, quarter["a"].status) == (2025, "on track")
    # d: (0.30 - 0.40) / 5 = -0.02 a year, and 0.30 >= 0.25 already: met
    assert quarter["d"].trend_per_year == pytest.approx(-0.02)
    assert quarter["d"].status == "met"
    e = quarter["e"]
    assert (e.status, e.trend_per_year, e.trend_years) == ("met", None, (2020,))


def test_off_track_and_no_trend(tmp_path: Path) -> None:
    extra = TARGETS.replace("value: 25%", "value: 0.45")
    result = targets(load_chain(write_chain(tmp_path, "goals", NODES, extra=extra)))
    quarter = {n.id: n for n in result.targets[1].nodes}
    assert (quarter["d"].status, quarter["d"].reaches_in) == ("off track", None)  # falling
    assert (quarter["e"].status, quarter["e"].gap(0.45)) == ("no trend", 0.1)  # 0.45 - 0.35


def test_chokepoints_if_met(chain_path: Path) -> None:
    half = targets(load_chain(chain_path), "half-by-2030").targets[0]
    # a today: D = 0.8, import HHI = (0.6/0.8)^2 + (0.2/0.8)^2 = 0.625: a choke point.
    assert "a" in half.chokepoints_now
    # a at 0.5: JP 0.6 * 0.5 / 0.8 = 0.375, DE 0.125, D = 0.5, not above the 50% threshold.
    assert "a" not in half.chokepoints_if_met
    assert half.removed == ("a",)
    assert half.not_applied == {}


def test_impose_scales_foreign_shares_in_proportion() -> None:
    new = impose({"CN": 0.2, "JP": 0.6, "DE": 0.2}, {"CN"}, "CN", 0.5)
    assert new == pytest.approx({"CN": 0.5, "JP": 0.375, "DE": 0.125})
    # no domestic key: CN takes the target, the rest (0.2 unattributed included) shrinks by half
    new = impose({"JP": 0.5, "US": 0.3}, {"CN"}, "CN", 0.5)
    assert new == pytest.approx({"CN": 0.5, "JP": 0.25, "US": 0.15})
    # a region's members scale together: DE 0.1 and FR 0.3 to 0.6 in all
    new = impose({"DE": 0.1, "FR": 0.3, "US": 0.6}, {"EU", "DE", "FR"}, "EU", 0.6)
    assert new == pytest.approx({"DE": 0.15, "FR": 0.45, "US": 0.4})
    # a domestic key at 0: the perspective's key takes the target
    assert impose({"CN": 0.0, "JP": 1.0}, {"CN"}, "CN", 0.3) == pytest.approx(
        {"CN": 0.3, "JP": 0.7}
    )
    # already there: unchanged
    assert impose({"CN": 0.9, "JP": 0.1}, {"CN"}, "CN", 0.5) == {"CN": 0.9, "JP": 0.1}


def test_domestic_share_and_trend_helpers() -> None:
    assert domestic_share({"CN": 0.5, "JP": 0.503}, {"CN"})[0] == pytest.approx(0.5 / 1.003)
    assert domestic_share({"JP": 1.0}, {"CN"}) == (0.0, None)
    assert domestic_share(None, {"CN"}) == (None, "no shares known for this node")
    assert linear_trend({2020: 0.3}) is None
    t_mean, d_mean, slope = linear_trend({2010: 0.1, 2012: 0.1, 2014: 0.4}) or (0, 0, 0)
    # mean year 2012, mean 0.2; slope ((-2)(-0.1) + 0 + 2 * 0.2) / 8 = 0.075
    assert (t_mean, d_mean) == (2012.0, pytest.approx(0.2))
    assert slope == pytest.approx(0.075)


def test_shipped_chains_carry_the_reports_targets() -> None:
    robots = targets(load_chain("robots")).targets[0]
    assert robots.target.value == 0.7
    assert robots.target.year == 2025
    by_id = {n.id: n for n in robots.nodes}
    # reducers: domestic 0.11 (2014), 0.28 (2018): slope 0.0425, 2016 + (0.7 - 0.195) / 0.0425
    assert by_id["reducers"].reaches_in == math.ceil(2016 + (0.7 - 0.195) / 0.0425) == 2028
    assert (by_id["servo"].value, by_id["controllers"].value) == (0.22, 0.3)
    assert "reducers" in robots.removed
    semis = targets(load_chain("semiconductors"))
    years = [t.target.year for t in semis.targets]
    assert years == [2020, 2030]
    ics = semis.targets[0].nodes[0]
    # Table 4-4, 2013-2021: mean year 2017, mean 1.595 / 9, slope 1.09 / 60
    assert ics.trend_per_year == pytest.approx(1.09 / 60)
    assert ics.reaches_in == math.ceil(2017 + (0.58 - 1.595 / 9) / (1.09 / 60)) == 2040
    assert semis.targets[1].nodes[0].reaches_in == 2052


def test_errors() -> None:
    with pytest.raises(AnalysisError, match="states no targets"):
        targets(load_chain("machine-tools"))
    with pytest.raises(AnalysisError, match="did you mean 'core-components-2025'"):
        targets(load_chain("robots"), "core-components")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nodes: [a, b, c]", "unknown node 'zz'"),
        ("measure: domestic_share\n    value: 0.5", "did you mean 'domestic_share'"),
        ("value: 0.5", 'did you mean "50%"'),
        ("nodes: [a, b, c]", "listed twice"),
    ],
)
def test_checker_messages(tmp_path: Path, change: str, message: str) -> None:
    broken = {
        "unknown node 'zz'": TARGETS.replace(change, "nodes: [a, zz]"),
        "did you mean 'domestic_share'": TARGETS.replace(
            change, "measure: domestic-shares\n    value: 0.5", 1
        ),
        'did you mean "50%"': TARGETS.replace(change, "value: 50", 1),
        "listed twice": TARGETS.replace(change, "nodes: [a, a]"),
    }[message]
    path = write_chain(tmp_path, "goals", NODES, extra=broken)
    with pytest.raises(ChainError, match=message.replace("(", r"\(")) as caught:
        load_chain(path)
    assert "goals.yaml:" in str(caught.value)


def test_cli_table_json_csv(chain_path: Path) -> None:
    code, out, err = run_cli(["targets", str(chain_path), "-f", "json"])
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["chain", "perspective", "targets"]
    half = doc["targets"][0]
    assert half["removed"] == ["a"]
    b = half["nodes"][1]
    assert (b["id"], b["value"], b["gap"], b["status"]) == ("b", None, None, "unknown")
    rows = list(csv.DictReader(io.StringIO(run_cli(["targets", str(chain_path), "-f", "csv"])[1])))
    assert [(r["target"], r["node"], r["status"]) for r in rows] == [
        ("half-by-2030", "a", "behind"),
        ("half-by-2030", "b", "unknown"),
        ("half-by-2030", "c", "met"),
        ("quarter", "a", "on track"),
        ("quarter", "d", "met"),
        ("quarter", "e", "met"),
    ]
    assert rows[0]["reaches_in"] == "2050"
    assert rows[1]["value"] == ""
    table = run_cli(["targets", str(chain_path)], columns=80)[1]
    assert "20.0% (2020)" in table
    assert "30.0 pt" in table
    assert "+1.00 pt" in table
    assert "n/a b: the shares do not give the domestic share" in table
    assert "if met:" in table
    assert "no longer: a" in table
    assert "…" not in table
    code, _, err = run_cli(["targets", str(chain_path), "nope"])
    assert code == 2
    assert "unknown target 'nope'" in err
