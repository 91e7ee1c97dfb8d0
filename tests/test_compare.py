"""``compare`` and ``rank``: known answers on small chains worked out by hand, the JSON and CSV
contracts, tables at 80 and 120 columns, and the errors.

Chain TWO (perspective CN, year 2020, figures of the chain's own market; leontief unless said):

- a {CN .4, JP .6} (history 2018: {CN .2, JP .5, US .3}); b {CN .5, US .5}; f {CN .8, DE .2}
  made from a (cost share .5) and b (.25), both essential. f is the final product.
- scenario ``jp`` (JP cuts everything): a loses its JP share .6; f's domestic part falls with
  its scarcest input: .8 x .6 = .48. b: 0.
- scenario ``us-half`` (US cuts half): b loses .5 x .5 = .25; f .8 x .25 = .2; a: 0.
  Differences (us-half - jp): a -.6, b +.25, f -.28.
- linear: jp: f = .8 x (.5 x .6 + .25 x 0) = .24; us-half: f = .8 x (.5 x 0 + .25 x .25) = .05.
- ad-hoc cut JP:a=0.5: a .3, f .8 x .3 = .24.
- dependence 2018 vs 2020: a .8 -> .6 (Δ -.2); b and f have no 2018 figures: both columns read
  their 2020 shares, so their difference is null (it would be 0 by construction).
- total dependence of f: T_f = .2 + .8 x (.5 T_a + .25 x .5): 2018 .2 + .8 x .525 = .62, 2020
  .2 + .8 x .425 = .54 (Δ -.08: a propagated figure, kept).
- import HHI of a: 2018 (.5/.8)^2 + (.3/.8)^2 = .53125, 2020 (.6/.6)^2 = 1.
- impact of a: f loses .8 x top share: 2018 .8 x .5 = .4, 2020 .8 x .6 = .48.
- jp over years: f 2018 .8 x .5 = .4, 2020 .48.

Chain GLOB (``market: global``, world shares): m {CN .5, US .3, DE .2}; p {US .6, CN .1, FR .3}
made from m (cost share .5). Dependence from CN: m .5, p .9; from US: m .7, p .4; from EU (DE,
FR): m .8, p .7. Total dependence of p: CN .9 + .1 x .5 x .5 = .925; US .4 + .6 x .5 x .7 = .61.

Chain UNK: a {CN .4, JP .6}; f {CN .8, DE .2} made from a without a cost share. Linear: the jp
cut hits a, and f's loss would draw on a's unknown weight: null; a DE cut of f alone gives .2.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import chokepoint
from chokepoint import AnalysisError, ArgumentError, ScenarioError, load_chain
from chokepoint.cli import app
from chokepoint.core.compare import compare, rank
from chokepoint.output.compare import wrap_label

from .chains import REGIONS, write_chain

TWO = """\
- id: a
  name: A
  stage: up
  shares: {CN: 0.4, JP: 0.6}
  source: s
  history: {2018: {CN: 0.2, JP: 0.5, US: 0.3}}
- {id: b, name: B, stage: up, shares: {CN: 0.5, US: 0.5}, source: s}
- id: f
  name: F
  stage: down
  shares: {CN: 0.8, DE: 0.2}
  source: s
  inputs: [{node: a, cost_share: 0.5}, {node: b, cost_share: 0.25}]
"""
SCENARIOS = (
    REGIONS + "\nscenarios: {jp: {title: JP cuts all, cuts: [{origin: JP, severity: 1}]}, "
    "us-half: {title: US cuts half, cuts: [{origin: US, severity: 0.5}]}}"
)
GLOB = """\
- {id: m, name: M, stage: up, shares: {CN: 0.5, US: 0.3, DE: 0.2}, source: s}
- {id: p, name: P, stage: down, shares: {US: 0.6, CN: 0.1, FR: 0.3}, source: s, inputs: [{node: m, cost_share: 0.5}]}
"""
UNK = """\
- {id: a, name: A, stage: up, shares: {CN: 0.4, JP: 0.6}, source: s}
- {id: f, name: F, stage: down, shares: {CN: 0.8, DE: 0.2}, source: s, inputs: [a]}
"""
# x is a choke point (dependence .9, import HHI 1) that no node takes as an essential input.
ORPHAN = """\
- {id: x, name: X, stage: up, shares: {CN: 0.1, KR: 0.9}, source: s}
- {id: y, name: Y, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: x, cost_share: 0.1, essential: false}]}
"""
ENV = {"NO_COLOR": "1", "TERM": "dumb", "CHOKEPOINT_MAX_BYTES": None}


@pytest.fixture
def two(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "two", TWO, "[up, down]", SCENARIOS)


@pytest.fixture
def glob(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "glob", GLOB, "[up, down]", REGIONS + "\nmarket: global")


@pytest.fixture
def unk(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "unk", UNK, "[up, down]")


def invoke(*args: str, width: int = 100, path: Path | None = None) -> tuple[int, str, str]:
    env = {**ENV, "COLUMNS": str(width), "CHOKEPOINT_PATH": str(path) if path else None}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def values(result: chokepoint.CompareResult, node: str) -> list[float | None]:
    return list(next(r for r in result.nodes if r.id == node).values)


def differences(result: chokepoint.CompareResult, node: str) -> list[float | None]:
    return list(next(r for r in result.nodes if r.id == node).differences)


# ------------------------------------------------------------------------------------------
# compare: known answers


def test_scenarios_side_by_side(two: Path) -> None:
    result = compare(load_chain(two), ["jp", "us-half"])
    assert (result.kind, result.measure, result.model) == ("scenarios", "loss", "leontief")
    assert [(c.label, c.perspective, c.year, c.scenario) for c in result.columns] == [
        ("jp", "CN", 2020, "jp"),
        ("us-half", "CN", 2020, "us-half"),
    ]
    assert values(result, "a") == pytest.approx([0.6, 0.0])
    assert values(result, "b") == pytest.approx([0.0, 0.25])
    assert values(result, "f") == pytest.approx([0.8 * 0.6, 0.8 * 0.25])
    assert differences(result, "a") == pytest.approx([-0.6])
    assert differences(result, "b") == pytest.approx([0.25])
    assert differences(result, "f") == pytest.approx([0.2 - 0.48])
    assert [r.id for r in result.final] == ["f"]
    assert [r.id for r in result.nodes] == ["a", "b", "f"]


def test_scenarios_and_cuts_each_against_the_first(two: Path) -> None:
    result = compare(load_chain(two), ["jp", "us-half"], cuts=["JP:a=0.5"])
    assert [c.label for c in result.columns] == ["jp", "us-half", "JP:a=0.5"]
    assert values(result, "f") == pytest.approx([0.48, 0.2, 0.8 * 0.3])
    # each column minus the first: us-half - jp, then cut - jp
    assert differences(result, "f") == pytest.approx([0.2 - 0.48, 0.24 - 0.48])
    assert differences(result, "a") == pytest.approx([-0.6, 0.3 - 0.6])


def test_linear_model_and_import_part(two: Path) -> None:
    chain = load_chain(two)
    linear = compare(chain, ["jp", "us-half"], model="linear")
    assert values(linear, "f") == pytest.approx([0.8 * 0.5 * 0.6, 0.8 * 0.25 * 0.25])
    imported = compare(chain, ["jp", "us-half"], measure="import_loss")
    assert values(imported, "f") == pytest.approx([0.0, 0.0])  # DE is never cut
    assert values(imported, "a") == pytest.approx([0.6, 0.0])


def test_years_dependence_and_same_year_difference_is_null(two: Path) -> None:
    result = compare(load_chain(two), years=[2018, 2020])
    assert (result.kind, result.measure, result.model) == ("years", "dependence", None)
    assert [(c.label, c.year, c.scenario) for c in result.columns] == [
        ("2018", 2018, None),
        ("2020", 2020, None),
    ]
    a = next(r for r in result.nodes if r.id == "a")
    assert a.values == pytest.approx((0.8, 0.6))
    assert a.differences == pytest.approx((-0.2,))
    assert a.years == (2018, 2020)
    b = next(r for r in result.nodes if r.id == "b")
    assert b.values == pytest.approx((0.5, 0.5))
    assert b.years == (2020, 2020)
    assert b.differences == (None,)
    assert b.unknown_differences == (
        "no figures of its own for 2018: both columns read its 2020 shares",
    )
    assert any("no figures for 2018" in a for a in result.assumptions)


def test_years_other_measures(two: Path) -> None:
    chain = load_chain(two)
    total = compare(chain, years=[2018, 2020], measure="total")
    assert total.measure == "total_dependence"
    assert values(total, "f") == pytest.approx([0.2 + 0.8 * 0.525, 0.2 + 0.8 * 0.425])
    assert differences(total, "f") == pytest.approx([0.54 - 0.62])  # propagated: kept
    hhi = compare(chain, years=[2018, 2020], measure="import_hhi")
    assert values(hhi, "a") == pytest.approx([(0.5 / 0.8) ** 2 + (0.3 / 0.8) ** 2, 1.0])
    impact = compare(chain, years=[2018, 2020], measure="impact")
    assert values(impact, "a") == pytest.approx([0.8 * 0.5, 0.8 * 0.6])
    assert differences(impact, "a") == pytest.approx([0.08])


def test_one_scenario_over_years(two: Path) -> None:
    result = compare(load_chain(two), ["jp"], years=[2018, 2020])
    assert (result.kind, result.measure) == ("years", "loss")
    assert [(c.year, c.scenario) for c in result.columns] == [(2018, "jp"), (2020, "jp")]
    assert values(result, "f") == pytest.approx([0.8 * 0.5, 0.8 * 0.6])


def test_perspectives_of_a_global_chain(glob: Path) -> None:
    chain = load_chain(glob)
    result = compare(chain, perspectives=["CN", "US", "EU"])
    assert [(c.label, c.perspective) for c in result.columns] == [
        ("CN", "CN"),
        ("US", "US"),
        ("EU", "EU"),
    ]
    assert values(result, "m") == pytest.approx([0.5, 0.7, 0.8])
    assert values(result, "p") == pytest.approx([0.9, 0.4, 0.7])
    assert differences(result, "p") == pytest.approx([-0.5, -0.2])
    total = compare(chain, perspectives=["CN", "US"], measure="total_dependence")
    assert values(total, "p") == pytest.approx([0.9 + 0.1 * 0.5 * 0.5, 0.4 + 0.6 * 0.5 * 0.7])


def test_unknown_loss_is_null_with_reason(unk: Path) -> None:
    result = compare(load_chain(unk), cuts=["JP=1", "DE:f=1"], model="linear")
    f = next(r for r in result.nodes if r.id == "f")
    assert f.values[0] is None
    assert f.values[1] == pytest.approx(0.2)
    assert f.differences == (None,)
    assert f.unknown[0] == "linear model: no cost share for the input(s) the scenario hits: a->f"
    assert f.unknown[1] is None


def test_unknown_chain_figures_say_why(tmp_path: Path) -> None:
    chain = load_chain(write_chain(tmp_path, "orphan", ORPHAN, "[up, down]", "market: global"))
    result = compare(chain, perspectives=["CN", "US"], measure="impact")
    x = next(r for r in result.nodes if r.id == "x")
    assert x.values == (None, None)
    assert x.unknown[0] == (
        "no node of the chain takes it as an essential input (it is a non-essential input of y: "
        "a type of it or an alternative, whose loss stops nothing under fixed proportions); its "
        "impact cannot be measured"
    )
    y = next(r for r in result.nodes if r.id == "y")  # all domestic from CN: no foreign supplier
    assert y.unknown[0] == "no named foreign supplier"
    assert y.values[1] == pytest.approx(1.0)  # from US, all of y is foreign (CN)


# ------------------------------------------------------------------------------------------
# compare: refusals


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scenarios": ["jp"]}, ArgumentError, "nothing to compare"),
        ({}, ArgumentError, r"scenarios of chain 'two': jp, us-half"),
        (
            {"scenarios": ["jp", "us-half"], "years": [2018, 2020]},
            ArgumentError,
            "compare varies one thing at a time, but 2 scenarios and 2 years were given",
        ),
        ({"years": [2020, 2020]}, ArgumentError, "the year 2020 is given twice"),
        ({"scenarios": ["jp", "jp"]}, ArgumentError, "the scenario jp is given twice"),
        ({"years": [2018, 2030]}, AnalysisError, r"^year=2030: chain 'two' has no figures"),
        (
            {"perspectives": ["CN", "US"]},
            AnalysisError,
            r"^perspective=US: chain 'two' gives shares of CN's own market",
        ),
        ({"scenarios": ["jp", "nope"]}, ScenarioError, r"unknown scenario 'nope'"),
        ({"years": [2018, 2020], "measure": "loss"}, ArgumentError, "^measure=loss: a measure"),
        (
            {"scenarios": ["jp", "us-half"], "measure": "dependence"},
            ArgumentError,
            "^measure=dependence: a measure of the chain",
        ),
        ({"years": [2018, 2020], "measure": "nope"}, ArgumentError, "^measure=nope: unknown"),
    ],
)
def test_compare_refusals(
    two: Path, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compare(load_chain(two), **kwargs)  # type: ignore[arg-type]


def test_scenario_refused_in_one_year_names_the_year(two: Path) -> None:
    # US has a share of a in 2018 only
    with pytest.raises(ScenarioError, match=r"^year=2020: cut US:a: US has no share in a"):
        compare(load_chain(two), cuts=["US:a=1"], years=[2018, 2020])


# ------------------------------------------------------------------------------------------
# compare on the command line: JSON, CSV, tables, errors


def test_compare_json_contract(two: Path) -> None:
    code, out, err = invoke("compare", str(two), "jp", "us-half", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == [
        "chain",
        "measure",
        "kind",
        "model",
        "columns",
        "nodes",
        "final",
        "assumptions",
    ]
    assert (doc["chain"], doc["measure"], doc["kind"], doc["model"]) == (
        "two",
        "loss",
        "scenarios",
        "leontief",
    )
    assert doc["columns"] == [
        {"label": "jp", "perspective": "CN", "year": 2020, "scenario": "jp"},
        {"label": "us-half", "perspective": "CN", "year": 2020, "scenario": "us-half"},
    ]
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert list(nodes["f"]) == ["id", "stage", "values", "differences", "years", "unknown"]
    assert nodes["f"]["stage"] == "down"
    assert nodes["f"]["values"] == pytest.approx([0.48, 0.2])
    assert nodes["f"]["differences"] == pytest.approx([-0.28])
    assert nodes["f"]["years"] == [2020, 2020]
    assert nodes["f"]["unknown"] == [None, None, None]
    assert [f["id"] for f in doc["final"]] == ["f"]
    assert list(doc["final"][0]) == ["id", "values", "differences", "years", "unknown"]
    assert doc["final"][0]["values"] == pytest.approx([0.48, 0.2])


def test_compare_json_null_for_unknown(unk: Path) -> None:
    code, out, err = invoke(
        "compare", str(unk), "--cut", "JP=1", "--cut", "DE:f=1", "--model", "linear", "-f", "json"
    )
    assert code == 0, err
    f = json.loads(out)["final"][0]
    assert f["values"][0] is None
    assert f["values"][1] == pytest.approx(0.2)
    assert f["differences"] == [None]
    assert f["unknown"][0].startswith("linear model: no cost share")


def test_compare_years_json(two: Path) -> None:
    code, out, err = invoke("compare", str(two), "--year", "2018", "--year", "2020", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["measure"] == "dependence"
    assert [c["label"] for c in doc["columns"]] == ["2018", "2020"]
    b = next(n for n in doc["nodes"] if n["id"] == "b")
    assert b["differences"] == [None]
    assert b["unknown"] == [
        None,
        None,
        "no figures of its own for 2018: both columns read its 2020 shares",
    ]


def test_compare_csv(two: Path) -> None:
    code, out, err = invoke("compare", str(two), "jp", "us-half", "--cut", "JP:a=0.5", "-f", "csv")
    assert code == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == [
        "id",
        "stage",
        "final",
        "jp",
        "us-half",
        "JP:a=0.5",
        "delta_us-half",
        "delta_JP:a=0.5",
        "year_jp",
        "year_us-half",
        "year_JP:a=0.5",
        "unknown",
    ]
    rows = {r["id"]: r for r in reader}
    assert list(rows) == ["a", "b", "f"]
    f = rows["f"]
    assert (f["stage"], f["final"], f["unknown"]) == ("down", "true", "")
    assert [float(f[k]) for k in ("jp", "us-half", "JP:a=0.5")] == pytest.approx([0.48, 0.2, 0.24])
    assert float(f["delta_us-half"]) == pytest.approx(-0.28)
    assert float(f["delta_JP:a=0.5"]) == pytest.approx(-0.24)
    assert rows["a"]["final"] == "false"


def test_compare_csv_unknown(unk: Path) -> None:
    code, out, _ = invoke(
        "compare", str(unk), "--cut", "JP=1", "--cut", "DE:f=1", "--model", "linear", "-f", "csv"
    )
    assert code == 0
    f = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}["f"]
    assert (f["JP=1"], f["delta_DE:f=1"]) == ("", "")
    assert (
        f["unknown"] == "JP=1: linear model: no cost share for the input(s) the scenario hits: a->f"
    )


def body_rows(out: str) -> dict[str, list[str]]:
    """Node rows of a comparison table, each as its cells after the node: in the wide layout
    value, Δ, value, ...; in the stacked layout the values, then the differences of the line
    below (which has no node)."""
    found: dict[str, list[str]] = {}
    last: str | None = None
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] and any(cells[1:]):
            last = cells[0]
            found.setdefault(last, cells[1:])
        elif not cells[0] and any(cells[1:]) and last is not None:
            found[last] = found[last] + [c for c in cells[1:] if c]
            last = None
    return found


def check_width(out: str, width: int) -> None:
    assert max(len(line) for line in out.splitlines()) <= width, out
    assert "…" not in out, out


@pytest.mark.parametrize("width", [80, 120])
def test_compare_table_two_scenarios(two: Path, width: int) -> None:
    code, out, err = invoke("compare", str(two), "jp", "us-half", width=width)
    assert (code, err) == (0, "")
    check_width(out, width)
    rows = body_rows(out)
    # two columns fit side by side with their difference at 80 columns
    assert rows["f"] == ["48.0%", "20.0%", "-28.0"]
    assert rows["a"] == ["60.0%", "0.0%", "-60.0"]
    assert rows["b"] == ["0.0%", "25.0%", "+25.0"]
    assert (
        "Δ: a column minus the first (jp), beside or under its value, in percentage points"
        in " ".join(out.split())
    )


@pytest.mark.parametrize("width", [80, 120])
def test_compare_table_four_robot_scenarios(width: int) -> None:
    """Every figure whole at 80 columns with four columns of a shipped chain: robots,
    japan-components (JP cuts cnc, servo, reducers, plc) against europe-plc (EUROPE cuts plc,
    57% of it), reducer-capacity (domestic reducers lose half: .28 x .5 = 14% of reducers) and
    japan-all."""
    args = ["compare", "robots", "japan-components", "europe-plc", "reducer-capacity", "japan-all"]
    code, out, err = invoke(*args, width=width)
    assert (code, err) == (0, "")
    check_width(out, width)
    rows = body_rows(out)
    if width == 80:  # stacked: values, then the differences on the line below
        assert rows["plc"] == [
            "37.0% '17",
            "57.0% '17",
            "0.0% '17",
            "37.0% '17",
            "+20.0",
            "-37.0",
            "0.0",
        ]
        assert rows["reducers"] == ["61.4%", "0.0%", "14.0%", "61.4%", "-61.4", "-47.4", "0.0"]
    else:  # side by side
        assert rows["plc"] == [
            "37.0% '17",
            "57.0% '17",
            "+20.0",
            "0.0% '17",
            "-37.0",
            "37.0% '17",
            "0.0",
        ]
        assert rows["reducers"] == ["61.4%", "0.0%", "-61.4", "14.0%", "-47.4", "61.4%", "0.0"]
    assert "'17: the node's figures are of that year" in " ".join(out.split())


@pytest.mark.parametrize("width", [80, 120])
def test_compare_table_years_with_reasons(two: Path, width: int) -> None:
    code, out, _ = invoke("compare", str(two), "--year", "2018", "--year", "2020", width=width)
    assert code == 0
    check_width(out, width)
    rows = body_rows(out)
    assert rows["a"] == ["80.0%", "60.0%", "-20.0"]
    assert rows["b"] == ["50.0% '20", "50.0%", "n/a"]
    text = " ".join(out.split())
    assert (
        "b, f (Δ 2020): no figures of its own for 2018: both columns read its 2020 shares" in text
    )


def test_compare_table_robots_years_fits_80() -> None:
    code, out, _ = invoke("compare", "robots", "--year", "2014", "--year", "2018", width=80)
    assert code == 0
    check_width(out, 80)
    rows = body_rows(out)
    # reducers: 2014 {CN .11, ...}: dependence 89%; 2018 72%; cnc has only its 2017 figures
    assert rows["reducers"] == ["89.0%", "72.0%", "-17.0"]
    assert rows["cnc"] == ["100.0% '17", "100.0% '17", "n/a"]
    assert rows["castings"] == ["n/a", "n/a", "n/a"]
    assert "no shares known for this node" in " ".join(out.split())


def test_compare_table_splits_many_columns(two: Path) -> None:
    cuts = [f"JP:a={s}" for s in ("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7")]
    args = ["compare", str(two), "jp"] + [x for c in cuts for x in ("--cut", c)]
    code, out, _ = invoke(*args, width=80)
    assert code == 0
    check_width(out, 80)
    assert "(columns 2-" in out  # more tables, each repeating the first column
    assert out.count("jp") >= 4


def test_compare_table_perspectives(glob: Path) -> None:
    code, out, _ = invoke("compare", str(glob), "-p", "CN", "-p", "US", "-p", "EU", width=80)
    assert code == 0
    check_width(out, 80)
    rows = body_rows(out)
    assert rows["p"][:3] == ["90.0%", "40.0%", "-50.0"] or rows["p"] == [
        "90.0%",
        "40.0%",
        "70.0%",
        "-50.0",
        "-20.0",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["semiconductors", "-p", "CN", "-p", "US"],
            "error: --perspective US: chain 'semiconductors'",
        ),
        (
            ["robots", "--year", "2014", "--year", "1999"],
            "error: --year 1999: chain 'robots' has no",
        ),
        (
            ["robots", "--year", "2014", "--year", "2018", "--measure", "nope"],
            "error: --measure nope",
        ),
        (["robots", "japan-all"], "--year twice or more, or --perspective twice or more"),
        (
            ["robots", "japan-all", "europe-plc", "--year", "2014", "--year", "2018"],
            "compare varies one thing at a time, but 2 scenarios and 2 years",
        ),
        (["robots", "japan-all", "--model", "nope"], "unknown --model 'nope'"),
        (["robots", "--year", "20x4", "--year", "2018"], "--year"),
    ],
)
def test_compare_cli_errors(args: list[str], message: str) -> None:
    code, out, err = invoke("compare", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


# ------------------------------------------------------------------------------------------
# rank


@pytest.fixture
def shelf(tmp_path: Path) -> Path:
    """A folder of chains for CHOKEPOINT_PATH: two, glob, orphan and a broken file."""
    folder = tmp_path / "shelf"
    folder.mkdir()
    write_chain(folder, "two", TWO, "[up, down]", SCENARIOS)
    write_chain(folder, "glob", GLOB, "[up, down]", REGIONS + "\nmarket: global")
    write_chain(folder, "orphan", ORPHAN, "[up, down]")
    (folder / "broken.yaml").write_text("format: 1\nname: [\n", encoding="utf-8")
    return folder


def test_rank_given_chains(shelf: Path) -> None:
    """two: a (dependence .6, import HHI 1) is a choke point, impact .48; b's dependence .5 is
    not above .5. glob from CN: p (dependence .9, import HHI (.6/.9)^2 + (.3/.9)^2 = .556), a
    final product, impact its US share .6. orphan: x (.9, HHI 1) reaches no final product
    through an essential input: impact unknown, ranked last."""
    paths = [shelf / f"{n}.yaml" for n in ("two", "orphan", "glob")]
    result = rank(paths)
    assert [(r.rank, r.chain, r.id) for r in result.rows] == [
        (1, "glob", "p"),
        (2, "two", "a"),
        (3, "orphan", "x"),
    ]
    assert [r.impact for r in result.rows] == pytest.approx([0.6, 0.48, None])
    assert result.rows[0].impact_on == "p"
    assert result.rows[1].impact_on == "f"
    assert result.rows[0].import_hhi == pytest.approx((0.6 / 0.9) ** 2 + (0.3 / 0.9) ** 2)
    assert result.rows[2].unknown == (
        "no node of the chain takes it as an essential input (it is a non-essential input of y: "
        "a type of it or an alternative, whose loss stops nothing under fixed proportions); its "
        "impact cannot be measured"
    )
    assert [(c.name, c.chokepoints, c.years) for c in result.chains] == [
        ("two", 1, "2020"),
        ("orphan", 1, "2020"),
        ("glob", 1, "2020"),
    ]


def test_rank_thresholds(shelf: Path) -> None:
    # at a dependence threshold of .45, b (.5, import HHI 1, impact .8 x .5 = .4) joins
    result = rank([shelf / "two.yaml"], min_dependence=0.45)
    assert [(r.id, r.impact) for r in result.rows] == [("a", pytest.approx(0.48)), ("b", 0.4)]


def test_rank_every_chain_on_the_path(shelf: Path) -> None:
    """The shipped chains join: machine-tools' cnc (impact 65%) ranks first; the unknown
    impacts (semiconductors' EUV lithography, dependence 1; orphan's x, .9) come last."""
    code, out, err = invoke("rank", "-f", "json", path=shelf)
    assert code == 0, err
    doc = json.loads(out)
    ranked = [(r["chain"], r["id"], r["impact"]) for r in doc["chokepoints"]]
    assert ranked[0] == ("machine-tools", "cnc", 0.65)
    assert ranked[1] == ("glob", "p", pytest.approx(0.6))
    assert ranked[-2:] == [("semiconductors", "lithography-euv", None), ("orphan", "x", None)]
    known = [r[2] for r in ranked if r[2] is not None]
    assert known == sorted(known, reverse=True)
    assert [r["rank"] for r in doc["chokepoints"]] == list(range(1, len(ranked) + 1))
    broken = next(c for c in doc["chains"] if c["name"] == "broken")
    assert broken["error"]
    assert broken["chokepoints"] is None
    assert list(doc["chokepoints"][0]) == [
        "rank",
        "chain",
        "id",
        "name",
        "stage",
        "impact",
        "impact_on",
        "dependence",
        "import_hhi",
        "top_supplier",
        "top_share",
        "perspective",
        "year",
        "basis",
        "unknown",
    ]


def test_rank_csv(shelf: Path) -> None:
    code, out, _ = invoke("rank", str(shelf / "two.yaml"), str(shelf / "orphan.yaml"), "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["rank"], r["chain"], r["id"], r["impact"]) for r in rows] == [
        ("1", "two", "a", "0.48"),
        ("2", "orphan", "x", ""),
    ]
    assert rows[1]["unknown"].startswith("no node of the chain takes it")


@pytest.mark.parametrize("width", [80, 120])
def test_rank_table(shelf: Path, width: int) -> None:
    code, out, err = invoke("rank", width=width, path=shelf)
    assert (code, err) == (0, "")
    check_width(out, width)
    lines = [
        [c.strip() for c in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]
    first = lines[0]
    assert first[:2] == ["1", "machine-tools"]
    assert first[3:] == ["65%", "100%", "0.51", "JP 65%°"]  # ° brand shares (ownership)
    orphan = next(cells for cells in lines if cells[2] == "x")
    assert orphan[3:] == ["n/a", "90%", "1.00", "KR 90%"]
    text = " ".join(out.split())
    assert "impact of x (orphan): no node of the chain takes it as an essential input" in text
    assert "broken: skipped" in text


def test_rank_table_top(shelf: Path) -> None:
    code, out, _ = invoke("rank", str(shelf / "two.yaml"), str(shelf / "glob.yaml"), "--top", "1")
    assert code == 0
    assert "1 of 2 choke points shown" in out


def test_rank_given_chain_errors() -> None:
    code, _, err = invoke("rank", "robots", "no-such-chain")
    assert code == 2
    assert "no chain named 'no-such-chain'" in err


def test_wrap_label() -> None:
    assert wrap_label("reducer-capacity", 10) == "reducer-\ncapacity"
    assert wrap_label("abcdefghijkl", 5) == "abcde\nfghij\nkl"
    assert wrap_label("EU", 10) == "EU"


def test_public_api() -> None:
    assert chokepoint.compare is compare
    assert chokepoint.rank is rank
    assert {"compare", "rank", "CompareResult", "RankResult"} <= set(chokepoint.__all__)


@pytest.mark.parametrize("width", [80, 120])
def test_compare_table_index_and_count_measures(two: Path, width: int) -> None:
    """Import HHI of a: 2018 (.5/.8)^2 + (.3/.8)^2 = .53, 2020 1 (Δ +.47). Countries to reach
    75%: a 2018 JP .5 + US .3 = 2 origins, 2020 JP .6 + CN .4 = 2 (Δ 0); f CN .8 alone: 1."""
    years = ("--year", "2018", "--year", "2020")
    code, out, _ = invoke("compare", str(two), *years, "--measure", "import_hhi", width=width)
    assert code == 0
    check_width(out, width)
    assert body_rows(out)["a"] == ["0.53", "1.00", "+0.47"]
    code, out, _ = invoke("compare", str(two), *years, "--measure", "countries_to_75", width=width)
    assert code == 0
    rows = body_rows(out)
    assert rows["a"] == ["2", "2", "0"]
    assert rows["f"] == ["1 '20", "1", "n/a"]


def test_rank_skips_a_chain_on_the_path_that_cannot_be_analysed(tmp_path: Path) -> None:
    """A fully domestic cycle whose cost shares add up to 1 has no exposure (a singular system):
    `analyze` refuses it; `rank` lists it with that error and ranks the others."""
    write_chain(
        tmp_path,
        "singular",
        """\
- {id: a, name: A, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: b, cost_share: 1.0}]}
- {id: b, name: B, stage: up, shares: {CN: 1.0}, source: s, inputs: [{node: a, cost_share: 1.0}]}
""",
    )
    code, out, err = invoke("rank", "-f", "json", path=tmp_path)
    assert code == 0, err
    doc = json.loads(out)
    singular = next(c for c in doc["chains"] if c["name"] == "singular")
    assert singular["error"].startswith("the exposure system is singular on the cycle a, b")
    assert doc["chokepoints"][0]["chain"] == "machine-tools"


def test_csv_value_columns_never_take_another_fields_name(two: Path) -> None:
    from chokepoint import Cut, Scenario
    from chokepoint.output.compare import compare_rows

    final = Scenario(cuts=(Cut("JP", 1.0),), name="final")
    result = compare(load_chain(two), [final, "us-half"])
    rows, fields = compare_rows(result)
    assert fields[:5] == ["id", "stage", "final", "value_final", "value_us-half"]
    f = rows[-1]
    assert f["final"] is True
    assert (f["value_final"], f["value_us-half"]) == pytest.approx((0.48, 0.2))


def test_scenario_file_names(two: Path, tmp_path: Path) -> None:
    """A named scenario of --scenario-file beside one of the chain: JP cuts half of a: a .3,
    f .8 x .3 = .24, against jp's .48."""
    what_if = tmp_path / "what-if.yaml"
    what_if.write_text(
        "scenarios:\n  jp-half-a:\n    title: JP halves a\n"
        "    cuts: [{origin: JP, nodes: [a], severity: 0.5}]\n",
        encoding="utf-8",
    )
    code, out, err = invoke(
        "compare", str(two), "jp", "jp-half-a", "--scenario-file", str(what_if), "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [c["scenario"] for c in doc["columns"]] == ["jp", "jp-half-a"]
    assert doc["final"][0]["values"] == pytest.approx([0.48, 0.24])
    assert doc["final"][0]["differences"] == pytest.approx([-0.24])
