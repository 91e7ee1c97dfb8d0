"""Known-answer tests of disruptions over time: durations, stocks, TTS and cumulative loss.

Every expected figure is worked out by hand in the comments, from the model of issue 15
(``docs/methodology.md``, "Disruptions over time"): u_n is the static loss with the cuts active
at t and the inputs' losses after their stocks; a stock B_n drains at u_n and covers n (L_n = 0)
while it lasts.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core.compiled import compile_chain
from chokepoint.core.propagate import LossModel
from chokepoint.core.scenarios import Scenario, run_scenario, run_scenarios
from chokepoint.core.timeline import (
    FinalTimeline,
    TimelineResult,
    horizon_of,
    run_timeline,
    stock_vector,
    timeline,
)
from chokepoint.errors import ChainError, ScenarioError
from chokepoint.io.check import check_document
from chokepoint.io.forms import parse_months, parse_stock
from chokepoint.io.generate import build_network
from chokepoint.io.loader import load_scenarios
from chokepoint.io.schema import CHAIN_SCHEMA
from chokepoint.io.tabular import write_tables
from chokepoint.io.yamlread import Located, parse_yaml
from chokepoint.model import Chain, Cut, Shock

from .chains import write_chain

# The issue's worked example: M {JP 0.6, CN 0.4} -> C (domestic) -> F (domestic), essential
# links with cost shares 0.5 (ignored by leontief, used by linear); stocks M 1, C 2, F 0.
WORKED = """\
- {id: m, name: M, stage: up, shares: {JP: 0.6, CN: 0.4}, source: s, stock_months: 1}
- {id: c, name: C, stage: mid, shares: {CN: 1.0}, source: s, stock_months: 2, inputs: [{node: m, cost_share: 0.5}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: c, cost_share: 0.5}]}
"""

# Two origins of M cut for different durations; F uses M.
TWO = """\
- {id: m, name: M, stage: up, shares: {JP: 0.5, KR: 0.3, CN: 0.2}, source: s}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: m, cost_share: 1.0}]}
"""

# A cycle a <-> b downstream of m; f uses b.
CYCLIC = """\
- {id: m, name: M, stage: up, shares: {JP: 0.4, CN: 0.6}, source: s}
- {id: a, name: A, stage: mid, shares: {CN: 1.0}, source: s, inputs: [{node: m, cost_share: 0.5}, {node: b, cost_share: 0.5}]}
- {id: b, name: B, stage: mid, shares: {CN: 1.0}, source: s, inputs: [{node: a, cost_share: 0.8}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 1.0}]}
"""


def chain_of(tmp_path: Path, name: str, nodes: str, scenarios: str = "") -> Chain:
    path = write_chain(tmp_path, name, nodes, extra="")
    if scenarios:
        path.write_text(path.read_text(encoding="utf-8") + scenarios, encoding="utf-8")
    return load_chain(path)


def jp(months: float | None, nodes: tuple[str, ...] = ("m",)) -> Scenario:
    return Scenario(cuts=(Cut("JP", 1.0, nodes, months),))


def same_curve(curve: object, expected: list[tuple[float, float]] | list[list[float]]) -> None:
    """Breakpoints equal to 1e-12: the same times and losses."""
    got = np.array(curve, dtype=np.float64)
    assert got.shape == (len(expected), 2), curve
    np.testing.assert_allclose(got, np.array(expected, dtype=np.float64), rtol=0, atol=1e-12)


def final(result: TimelineResult, node: str = "f") -> FinalTimeline:
    return next(f for f in result.final if f.id == node)


def test_worked_example_of_the_issue(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = run_timeline(chain, jp(6.0))
    f = final(result)
    # M's stock lasts 1 / 0.6 = 1.667 months; then C's lasts 2 / 0.6 = 3.333 more: 5.0
    assert f.tts == pytest.approx(5.0)
    assert f.cumulative_loss == pytest.approx(0.6 * (6 - 5))
    assert f.peak_loss == pytest.approx(0.6)
    assert f.loss == pytest.approx(0.6)  # the static loss
    same_curve(f.curve, [(0.0, 0.0), (5.0, 0.6), (6.0, 0.0)])
    assert result.months == 6.0
    assert dict(result.exhausted) == pytest.approx({"m": 1 / 0.6, "c": 1 / 0.6 + 2 / 0.6})
    assert dict(result.stocks) == {"m": 1.0, "c": 2.0}


def test_worked_example_with_a_four_month_cut_never_runs_short(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = run_timeline(chain, jp(4.0))
    f = final(result)
    assert f.tts is None
    assert f.cumulative_loss == 0.0
    assert f.peak_loss == 0.0
    assert f.curve == ((0.0, 0.0), (4.0, 0.0))
    # M ran out at 1.667; C drained 0.6 x (4 - 1.667) = 1.4 of its 2 months and lasted
    assert dict(result.exhausted) == pytest.approx({"m": 1 / 0.6})


def test_worked_example_in_the_linear_model(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    result = run_timeline(chain, jp(12.0), model="linear")
    f = final(result)
    # u_M = 0.6 drains M's 1 month by 1.667; then u_C = 0.5 x 0.6 = 0.3 drains C's 2 months in
    # 6.667 more: 25/3. From then L_F = 0.5 x 0.3 = 0.15 until the cut ends at 12.
    assert f.tts == pytest.approx(25 / 3)
    assert f.cumulative_loss == pytest.approx(0.15 * (12 - 25 / 3))
    assert f.cumulative_loss == pytest.approx(0.55)
    assert f.peak_loss == pytest.approx(0.15)
    same_curve(f.curve, [(0.0, 0.0), (25 / 3, 0.15), (12.0, 0.0)])


def test_two_cuts_of_different_durations(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "two", TWO)
    scenario = Scenario(cuts=(Cut("JP", 1.0, ("m",), 2.0), Cut("KR", 1.0, ("m",), 6.0)))
    # without stocks: L = 0.5 + 0.3 = 0.8 on [0, 2), 0.3 on [2, 6)
    bare = final(run_timeline(chain, scenario))
    assert bare.tts == 0.0
    assert bare.cumulative_loss == pytest.approx(0.8 * 2 + 0.3 * 4)
    assert bare.peak_loss == pytest.approx(0.8)
    same_curve(bare.curve, [(0.0, 0.8), (2.0, 0.3), (6.0, 0.0)])
    # M holds 2 months: 0.8 x 2 = 1.6 used by month 2, the 0.4 left lasts 0.4 / 0.3 = 1.333 more
    held = run_timeline(chain, scenario, stocks={"m": 2.0})
    f = final(held)
    assert f.tts == pytest.approx(10 / 3)
    assert f.cumulative_loss == pytest.approx(0.3 * (6 - 10 / 3))
    assert f.peak_loss == pytest.approx(0.3)
    same_curve(f.curve, [(0.0, 0.0), (10 / 3, 0.3), (6.0, 0.0)])
    assert "stock of m = 2 months (assumed)" in held.assumptions


def test_a_shock_with_a_duration_and_a_stock_of_the_final_product(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "two", TWO)
    scenario = Scenario(shocks=(Shock("f", 0.5, 3.0),))
    assert final(run_timeline(chain, scenario)).cumulative_loss == pytest.approx(1.5)
    # F's own stock of 1 month covers a shortfall of 0.5 for 2 months
    f = final(run_timeline(chain, scenario, stocks={"f": 1.0}))
    assert f.tts == pytest.approx(2.0)
    assert f.cumulative_loss == pytest.approx(0.5)


def test_a_cycle_in_the_linear_model(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "cyclic", CYCLIC)
    result = run_timeline(chain, jp(10.0), stocks={"b": 1.0}, model="linear")
    f = final(result)
    # while B's stock lasts, A reads 0 from B: q_A = 0.5 x 0.4 = 0.2, u_B = 0.8 x 0.2 = 0.16, so
    # B's month lasts 1 / 0.16 = 6.25. Then the cycle: q_A = 0.2 + 0.5 q_B, q_B = 0.8 q_A, so
    # q_A = 1/3, q_B = 4/15 = L_F until month 10.
    assert f.tts == pytest.approx(6.25)
    assert f.peak_loss == pytest.approx(4 / 15)
    assert f.cumulative_loss == pytest.approx((10 - 6.25) * 4 / 15)
    assert f.cumulative_loss == pytest.approx(1.0)
    assert dict(result.exhausted) == pytest.approx({"b": 6.25})


def test_a_cycle_in_the_leontief_model(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "cyclic", CYCLIC)
    result = run_timeline(chain, jp(10.0), stocks={"a": 1.0})
    f = final(result)
    # A's shortfall max(0.4, L_B) = 0.4 drains its month in 2.5; B (and F) read 0 from A until
    # then, and the least fixed point of the cycle afterwards is q_A = q_B = 0.4.
    assert f.tts == pytest.approx(2.5)
    assert f.cumulative_loss == pytest.approx(0.4 * (10 - 2.5))
    same_curve(f.curve, [(0.0, 0.0), (2.5, 0.4), (10.0, 0.0)])


def test_a_permanent_cut_needs_a_horizon(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    with pytest.raises(ScenarioError, match=r"cut JP:m is permanent .* give a horizon"):
        run_timeline(chain, jp(None))
    f = final(run_timeline(chain, jp(None), months=12))
    # the loss continues past the horizon: the curve's last point keeps it
    same_curve(f.curve, [(0.0, 0.0), (5.0, 0.6), (12.0, 0.6)])
    assert f.cumulative_loss == pytest.approx(0.6 * 7)
    # a horizon shorter than the cut cuts the integral
    g = final(run_timeline(chain, jp(6.0), months=5.5))
    assert g.cumulative_loss == pytest.approx(0.3)
    same_curve(g.curve, [(0.0, 0.0), (5.0, 0.6), (5.5, 0.6)])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"months": 0}, "the horizon months 0 must be a number of months above 0"),
        ({"months": math.inf}, "above 0 and at most 1,200"),
        ({"stocks": {"nope": 1.0}}, "stock nope: unknown node"),
        ({"stocks": {"m": -1.0}}, "stock m: -1.0 must be a number of months from 0"),
        ({"stocks": {"m": math.nan}}, "stock m: nan must be"),
    ],
)
def test_bad_horizons_and_stocks(tmp_path: Path, call: dict[str, object], message: str) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    with pytest.raises(ScenarioError, match=message):
        run_timeline(chain, jp(6.0), **call)  # type: ignore[arg-type]


def test_bad_durations_in_the_api(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cut JP:m: months -2.0 must be"):
        horizon_of(jp(-2.0))
    with pytest.raises(ScenarioError, match="shock f: months 0.0 must be"):
        horizon_of(Scenario(shocks=(Shock("f", 0.5, 0.0),)))
    assert horizon_of(Scenario()) == 0.0


def test_to_dict_follows_the_json_contract(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    data = json.loads(json.dumps(run_timeline(chain, jp(6.0)).to_dict()))
    static = run_scenario(chain, jp(6.0)).to_dict()
    assert data["nodes"] == static["nodes"]
    assert data["scenario"]["cuts"] == [
        {"origin": "JP", "nodes": ["m"], "severity": 1.0, "months": 6.0}
    ]
    assert data["months"] == 6.0
    assert data["stocks"] == {"m": 1.0, "c": 2.0}
    (f,) = data["final"]
    assert set(f) == {"id", "loss", "tts", "cumulative_loss", "peak_loss", "curve"}
    assert f["id"] == "f"
    assert f["tts"] == pytest.approx(5.0)
    same_curve(f["curve"], [[0.0, 0.0], [5.0, 0.6], [6.0, 0.0]])
    never = json.loads(json.dumps(run_timeline(chain, jp(4.0)).to_dict()))
    assert never["final"][0]["tts"] is None
    assert [e["node"] for e in data["exhausted"]] == ["m", "c"]


# ------------------------------------------------------------------------------------------
# Identities


def _origin_batch(chain: Chain, model: LossModel) -> None:
    """With no stock and permanent cuts, L(t) is the static loss at every t (each origin cut)."""
    c = compile_chain(chain)
    scenarios = [Scenario(cuts=(Cut(o, 1.0),)) for o in c.origins()]
    q, _, _ = run_scenarios(c, scenarios, model)
    out = timeline(c, scenarios, np.zeros(c.size), np.full(len(scenarios), 12.0), model)
    static = q[c.finals]
    np.testing.assert_array_equal(out.peak, static)
    np.testing.assert_allclose(out.cumulative, 12.0 * static, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(np.isnan(out.tts), static == 0)
    assert np.all(out.tts[static > 0] == 0)
    for j, curves in enumerate(out.curves):
        for k, curve in enumerate(curves):
            value = float(static[k, j])
            assert curve == ((0.0, value), (12.0, value))
    assert out.steps == 1  # one interval; nothing changes at the horizon


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("name", ["robots", "semiconductors", "machine-tools"])
def test_no_stock_and_permanent_cuts_equal_the_static_model(name: str, model: LossModel) -> None:
    _origin_batch(load_chain(name), model)


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize(("nodes", "seed", "cycles"), [(60, 3, 0.1), (200, 4, 0.02)])
def test_no_stock_and_permanent_cuts_equal_the_static_model_on_generated_networks(
    nodes: int, seed: int, cycles: float, model: LossModel
) -> None:
    chain = check_document(Located(build_network(nodes, seed, cycles=cycles), "net"))
    assert compile_chain(chain).cyclic
    _origin_batch(chain, model)


@pytest.mark.parametrize("model", ["leontief", "linear"])
def test_a_batch_equals_its_columns_run_one_at_a_time(model: LossModel) -> None:
    """Columns with their own events advance in lock-step without disturbing each other."""
    chain = check_document(Located(build_network(80, 5, cycles=0.1), "net"))
    c = compile_chain(chain)
    rng = np.random.default_rng(5)
    origins = c.origins()
    scenarios = [
        Scenario(
            cuts=tuple(
                Cut(str(o), float(rng.uniform(0.3, 1)), (), float(rng.integers(1, 12)))
                for o in rng.choice(origins, 2, replace=False)
            )
        )
        for _ in range(6)
    ]
    stocks = rng.uniform(0, 2, (c.size, 6)) * (rng.random((c.size, 6)) < 0.4)
    horizons = np.array([horizon_of(s) for s in scenarios])
    batch = timeline(c, scenarios, stocks, horizons, model)
    for j, scenario in enumerate(scenarios):
        alone = timeline(c, [scenario], stocks[:, j], horizons[j : j + 1], model)
        np.testing.assert_array_equal(batch.cumulative[:, j], alone.cumulative[:, 0])
        np.testing.assert_array_equal(batch.tts[:, j], alone.tts[:, 0])
        np.testing.assert_array_equal(batch.exhausted[:, j], alone.exhausted[:, 0])
        assert batch.curves[j] == alone.curves[0]
    # the curves integrate to the cumulative losses
    for j, curves in enumerate(batch.curves):
        for k, curve in enumerate(curves):
            area = sum((b[0] - a[0]) * a[1] for a, b in zip(curve, curve[1:], strict=False))
            assert area == pytest.approx(batch.cumulative[k, j], abs=1e-12)


def test_stocks_only_delay_and_never_add_loss() -> None:
    chain = load_chain("robots")
    c = compile_chain(chain)
    scenario = Scenario(cuts=(Cut("JP", 1.0, (), 6.0),))
    bare = timeline(c, [scenario], np.zeros(c.size), np.array([6.0]))
    held = timeline(c, [scenario], np.full(c.size, 0.5), np.array([6.0]))
    assert np.all(held.cumulative <= bare.cumulative + 1e-15)
    assert np.all(held.tts >= bare.tts)
    assert np.all(bare.tts == 0)


def test_stock_vector_reads_the_chain_and_the_overrides(tmp_path: Path) -> None:
    c = compile_chain(chain_of(tmp_path, "worked", WORKED))
    assert stock_vector(c).tolist() == [1.0, 2.0, 0.0]
    assert stock_vector(c, {"c": 0, "f": 0.5}).tolist() == [1.0, 0.0, 0.5]


# ------------------------------------------------------------------------------------------
# The format


def test_the_schema_has_the_new_keys() -> None:
    node = CHAIN_SCHEMA["$defs"]["node"]["properties"]
    assert node["stock_months"]["minimum"] == 0
    cuts = CHAIN_SCHEMA["$defs"]["scenario"]["properties"]["cuts"]["items"]["properties"]
    shocks = CHAIN_SCHEMA["$defs"]["scenario"]["properties"]["shocks"]["items"]["properties"]
    assert cuts["months"]["exclusiveMinimum"] == 0
    assert shocks["months"]["maximum"] == 1200


SCENARIOS = """\
scenarios:
  jp-half-year:
    title: Japan stops for six months
    cuts: [{origin: JP, nodes: [m], severity: 1, months: 6}]
    shocks: [{node: c, severity: "10%", months: 2.5}]
"""


def test_chain_files_carry_durations_and_stocks(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED, SCENARIOS)
    assert [n.stock_months for n in chain.nodes] == [1.0, 2.0, None]
    spec = chain.scenarios["jp-half-year"]
    assert spec.cuts == (Cut("JP", 1.0, ("m",), 6.0),)
    assert spec.shocks == (Shock("c", 0.1, 2.5),)
    result = run_timeline(chain, "jp-half-year")
    assert result.months == 6.0
    # C's shortfall is the shock's 0.1 while M's stock lasts (to 1/0.6), which drains 1/6 of
    # C's 2 months; then max(0.1, 0.6) = 0.6 (and 0.6 after the shock ends at 2.5).
    f = final(result)
    left = 2 - 0.1 / 0.6  # C's stock when M runs out at 1/0.6
    assert f.tts == pytest.approx(1 / 0.6 + left / 0.6)


def test_scenario_files_carry_durations(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    path = tmp_path / "more.yaml"
    path.write_text(SCENARIOS, encoding="utf-8")
    specs = load_scenarios(path, chain)
    assert specs["jp-half-year"].cuts[0].months == 6.0


BAD_NODES = """\
- {id: m, name: M, stage: up, shares: {JP: 0.6, CN: 0.4}, source: s}
- {id: c, name: C, stage: mid, stock_months: 2, inputs: [m]}
- {id: f, name: F, stage: down, source: s, stock_months: -1, inputs: [c]}
- {id: g, name: G, stage: down, source: s, stock_months: "3 months", inputs: [c]}
"""
BAD_SCENARIOS = """\
scenarios:
  bad:
    title: Bad durations
    cuts: [{origin: JP, severity: 1, months: 0}, {origin: JP, severity: 1, months: 5000}]
    shocks: [{node: c, severity: 1, months: "6"}]
"""


def test_bad_stocks_and_durations_are_located_and_explained(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "bad", BAD_NODES, extra="")
    path.write_text(path.read_text(encoding="utf-8") + BAD_SCENARIOS, encoding="utf-8")
    with pytest.raises(ChainError) as caught:
        load_chain(path)
    text = str(caught.value)
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(fragment: str) -> int:
        return next(k for k, line in enumerate(lines, 1) if fragment in line)

    expected = [
        (line_of("id: c,"), "node 'c' gives stock_months without a source; add `source: <id>`"),
        (line_of("id: f,"), "stock_months -1 at nodes[2].stock_months is outside 0 to 1,200"),
        (line_of("id: g,"), "must be a number of months, not a text ('3 months'); write the "),
        (line_of("months: 0"), "months 0 at scenarios.bad.cuts[0].months is outside above 0"),
        (line_of("months: 0"), "omit it for a permanent one"),
        (line_of("months: 5000"), "months 5000 at scenarios.bad.cuts[1].months is outside"),
        (line_of('months: "6"'), "write the number alone: 6"),
    ]
    for line, fragment in expected:
        found = [m for m in text.splitlines() if f":{line}:" in m and fragment in m]
        assert found, (line, fragment, text)


def test_the_csv_form_carries_stocks(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "worked", WORKED, extra="")
    document = parse_yaml(path.read_text(encoding="utf-8"), str(path)).value
    write_tables(document, tmp_path / "net")
    header = (tmp_path / "net" / "nodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",stock_months")
    chain = load_chain(tmp_path / "net")
    assert [n.stock_months for n in chain.nodes] == [1.0, 2.0, None]
    # without stocks the table keeps its columns of before
    plain = parse_yaml(write_chain(tmp_path, "two", TWO, extra="").read_text(encoding="utf-8"), "x")
    write_tables(plain.value, tmp_path / "plain")
    first = (tmp_path / "plain" / "nodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "stock_months" not in first
    # a bad cell is located in nodes.csv
    table = tmp_path / "net" / "nodes.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace(",1\n", ",-1\n", 1), encoding="utf-8"
    )
    with pytest.raises(ChainError, match=r"nodes\.csv:2:\d+: stock_months -1 at nodes\[0\]"):
        load_chain(tmp_path / "net")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("reducers=3", ("reducers", 3.0)), (" plc = 0.5 ", ("plc", 0.5)), ("f=0", ("f", 0.0))],
)
def test_parse_stock(text: str, expected: tuple[str, float]) -> None:
    assert parse_stock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reducers", "is malformed; write NODE=MONTHS"),
        ("reducers=nan", "'nan' is not a number"),
        ("reducers=1201", "outside \\[0, 1200\\]"),
        ("reducers=3\n", "control character"),
    ],
)
def test_parse_stock_refuses(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_stock(text)


def test_parse_months() -> None:
    assert parse_months("1.5") == 1.5
    for bad, message in [("0", "above 0"), ("inf", "not a number"), ("1e9", "outside")]:
        with pytest.raises(ScenarioError, match=message):
            parse_months(bad)


def test_timeline_checks_its_arrays(tmp_path: Path) -> None:
    c = compile_chain(chain_of(tmp_path, "worked", WORKED))
    ok = np.zeros(c.size)
    for stocks, horizons, message in [
        (ok, np.array([-1.0]), "horizons must be 1 finite numbers of months >= 0"),
        (ok, np.array([6.0, 6.0]), "horizons must be 1"),
        (np.zeros(2), np.array([6.0]), r"stocks must have shape \(nodes,\) or \(nodes, S\)"),
        (np.full(c.size, -1.0), np.array([6.0]), "stocks must be finite numbers of months"),
    ]:
        with pytest.raises(ScenarioError, match=message):
            timeline(c, [jp(6.0)], stocks, horizons)
    empty = timeline(c, [], ok, np.zeros(0))
    assert empty.tts.shape == (1, 0)
    assert empty.steps == 0
    # a scenario without any cut: no loss, no step
    calm = timeline(c, [Scenario()], ok, np.array([3.0]))
    assert calm.curves == ((((0.0, 0.0), (3.0, 0.0)),),)
    assert calm.steps == 0


# -- the command line: scenario --months / --stock -----------------------------------------


def test_cli_scenario_with_months_and_stock(runner: CliRunner) -> None:
    """robots, JP stops supplying reducers (CN 0.28, JP 0.614) for 6 months; reducer users hold
    3 months: u = 0.614, so the stock lasts 3 / 0.614 = 4.886 months; then robot bodies (20%
    domestic) lose 0.2 x 0.614 = 0.1228, and each end use with them until month 6:
    cumulative 0.1228 x (6 - 4.886) = 0.1368 months of output."""
    args = ["scenario", "robots", "--cut", "JP:reducers=1", "--months", "6"]
    done = runner.invoke(app, [*args, "--stock", "reducers=3", "-f", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["months"] == 6.0
    assert document["scenario"]["cuts"][0]["months"] == 6.0
    assert document["stocks"] == {"reducers": 3.0}
    tts = 3 / 0.614
    for final in document["final"]:
        assert final["tts"] == pytest.approx(tts)
        assert final["peak_loss"] == pytest.approx(0.2 * 0.614)
        assert final["cumulative_loss"] == pytest.approx(0.2 * 0.614 * (6 - tts))
        # the loss holds from each breakpoint to the next; at month 6 the cut ends
        assert [point for pair in final["curve"] for point in pair] == pytest.approx(
            [0.0, 0.0, tts, 0.1228, 6.0, 0.0]
        )
    assert document["exhausted"] == [{"node": "reducers", "month": pytest.approx(tts)}]
    assert "stock of reducers = 3 months (assumed)" in document["assumptions"]
    table = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"}).invoke(
        app, [*args, "--stock", "reducers=3"]
    )
    assert table.exit_code == 0, table.output
    row = next(line for line in table.stdout.splitlines() if line.startswith("│automotive"))
    assert [cell.strip() for cell in row.strip("│").split("│")] == [
        "automotive",
        "12.3%",
        "4.89",
        "0.137",
        "12.3%",
    ]
    assert "stock of reducers runs out at month 4.89" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    # no stock: the loss starts with the cut; 6 months of 0.1228
    plain = runner.invoke(app, [*args, "-f", "csv"])
    assert plain.exit_code == 0, plain.output
    rows = list(csv.DictReader(io.StringIO(plain.stdout)))
    assert [(r["id"], float(r["tts"]), float(r["cumulative_loss"])) for r in rows] == [
        (r["id"], 0.0, pytest.approx(6 * 0.1228)) for r in rows
    ]


def test_cli_scenario_with_a_stock_but_a_permanent_cut(runner: CliRunner) -> None:
    done = runner.invoke(
        app, ["scenario", "robots", "--cut", "JP:reducers=1", "--stock", "reducers=3"]
    )
    assert done.exit_code == 2
    assert "cut JP:reducers is permanent (no `months`), so its loss never ends" in done.output
    bad = runner.invoke(
        app, ["scenario", "robots", "--cut", "JP=1", "--stock", "gears=3", "--months", "2"]
    )
    assert bad.exit_code == 2
    assert "stock gears: unknown node" in bad.output


def test_pair_cuts_run_as_one_cut_per_pair() -> None:
    """``timeline(pair_cuts=(kappa, months))`` (Monte Carlo durations) gives what one Cut per
    pair gives, bit for bit: the docstring's case (JP stops reducers for 6 months, 3 months of
    stock: TTS 4.886, cumulative loss 0.137), a column of two cuts of 4 months, and a column
    with no cut (no loss)."""
    from chokepoint.model import Cut

    c = compile_chain(load_chain("robots"))
    stocks = np.zeros(c.size)
    stocks[c.index["reducers"]] = 3.0
    pair = {(c.pair_origin[p], c.nodes[c.pair_row[p]]): p for p in range(c.pair_share.size)}
    jp_reducers, jp_servos = pair["JP", "reducers"], pair["JP", "servo"]
    cuts = [
        (Cut("JP", 1.0, ("reducers",), 6.0),),
        (Cut("JP", 0.5, ("reducers",), 4.0), Cut("JP", 0.8, ("servo",), 4.0)),
        (),
    ]
    horizons = np.array([6.0, 6.0, 6.0])
    expected = timeline(c, [Scenario(cuts=k) for k in cuts], stocks, horizons, curves=False)
    kappa = np.zeros((c.pair_share.size, 3))
    kappa[jp_reducers, 0] = 1.0
    kappa[jp_reducers, 1], kappa[jp_servos, 1] = 0.5, 0.8
    months = np.array([6.0, 4.0, 1.0])  # column 2 has no cut: its months change nothing
    found = timeline(c, [Scenario()] * 3, stocks, horizons, curves=False, pair_cuts=(kappa, months))
    assert (round(float(found.tts[0, 0]), 3), round(float(found.cumulative[0, 0]), 3)) == (
        4.886,
        0.137,
    )
    np.testing.assert_array_equal(found.cumulative, expected.cumulative)
    np.testing.assert_array_equal(found.tts, expected.tts)
    assert not found.cumulative[:, 2].any()


def test_pair_cuts_refused_with_cuts_a_wrong_shape_or_months() -> None:
    from chokepoint.model import Cut

    c = compile_chain(load_chain("robots"))
    stocks, horizons = np.zeros(c.size), np.array([6.0])
    kappa = np.zeros((c.pair_share.size, 1))
    kappa[0, 0] = 1.0
    with pytest.raises(ScenarioError, match="without cuts or substitution"):
        timeline(
            c,
            [Scenario(cuts=(Cut("JP", 1.0),))],
            stocks,
            horizons,
            pair_cuts=(kappa, np.array([6.0])),
        )
    with pytest.raises(ScenarioError, match=r"must be a \(\d+, 1\) matrix"):
        timeline(c, [Scenario()], stocks, horizons, pair_cuts=(kappa[1:], np.array([6.0])))
    with pytest.raises(ScenarioError, match="pair_cuts: months 0.0 must be a number of months"):
        timeline(c, [Scenario()], stocks, horizons, pair_cuts=(kappa, np.array([0.0])))
