"""The command line: exit codes, messages and the JSON/CSV contracts, field by field.

Uses tests/data/valid/mini.yaml, whose metrics are worked out in the comments:
reducers {CN .28, JP .65, other .05}; plc {CN .2, EU .5, JP .3}; robots {CN .5, JP .5} made from
reducers (w .4) and plc (w .2, inessential); cars (no shares) made from robots.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import __version__
from chokepoint.cli import app

MINI = str(Path(__file__).parent / "data" / "valid" / "mini.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_version(runner: CliRunner) -> None:
    code, out, _ = run(runner, "--version")
    assert (code, out) == (0, f"chokepoint {__version__}\n")


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chokepoint", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == f"chokepoint {__version__}\n"


def test_analyze_json_contract(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", MINI, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["chain", "title", "perspective", "year", "years", "nodes", "assumptions"]
    assert doc["years"] == [2018]
    assert (doc["chain"], doc["title"], doc["perspective"], doc["year"]) == (
        "mini",
        "A small chain",
        "CN",
        2018,
    )
    reducers = doc["nodes"][0]
    assert list(reducers) == [
        "id", "name", "stage", "dependence", "hhi", "import_hhi", "top_supplier", "top_share",
        "countries_to_75", "total_dependence", "exposure", "chokepoint", "impact", "reasons",
        "import_hhi_max", "possible_chokepoint", "year", "basis", "unknown",
    ]  # fmt: skip
    assert (reducers["year"], reducers["unknown"]) == (2018, {})
    cars = doc["nodes"][3]
    # cars has no shares: no year of figures, its total and exposure are unknown (issue 13)
    assert (cars["year"], cars["total_dependence"]) == (None, None)
    assert cars["unknown"]["total_dependence"] == "no shares known for this node"
    # plc is only an inessential input of robots: its impact cannot be measured (was 0.0)
    plc = doc["nodes"][1]
    assert plc["impact"] is None
    assert plc["unknown"]["impact"] == (
        "no node of the chain takes it as an essential input (it is a non-essential input of "
        "robots: a type of it or an alternative, whose loss stops nothing under fixed "
        "proportions); its impact cannot be measured"
    )
    assert reducers["id"] == "reducers"
    assert reducers["dependence"] == pytest.approx(0.72)
    assert reducers["hhi"] == pytest.approx(0.28**2 + 0.65**2)
    assert reducers["import_hhi"] == pytest.approx((0.65 / 0.72) ** 2)
    assert (reducers["top_supplier"], reducers["top_share"], reducers["countries_to_75"]) == (
        "JP",
        0.65,
        2,
    )
    assert reducers["exposure"] == {"JP": 0.65}
    assert reducers["chokepoint"] is True
    # JP stops reducers: robots lose 0.5 * 0.65, cars (domestic) follow
    assert reducers["impact"] == pytest.approx(0.325)
    # unattributed 0.02 with JP, `other` 0.05 in one economy: (0.67^2 + 0.05^2) / 0.72^2
    assert reducers["import_hhi_max"] == pytest.approx(0.4514 / 0.5184)
    assert reducers["possible_chokepoint"] is False  # flagged outright
    plc = doc["nodes"][1]
    assert plc["import_hhi_max"] == plc["import_hhi"]  # every foreign share is named
    robots = doc["nodes"][2]
    # T = 0.5 + 0.5 (0.4 * 0.72 + 0.2 * 0.8); X_JP = 0.5 + 0.5 (0.4 * 0.65 + 0.2 * 0.3)
    assert robots["total_dependence"] == pytest.approx(0.724)
    assert robots["exposure"] == pytest.approx({"EU": 0.05, "JP": 0.66})
    cars = doc["nodes"][3]
    assert [cars[k] for k in ("dependence", "hhi", "import_hhi", "top_supplier", "impact")] == [
        None
    ] * 5
    # cars has no shares: its total dependence is unknown, not 0.0 (issue 13)
    assert (cars["total_dependence"], cars["exposure"]) == (None, {"EU": None, "JP": None})
    assert (cars["import_hhi_max"], cars["possible_chokepoint"]) == (None, False)
    assert any("no shares known for cars" in a for a in doc["assumptions"])


def test_analyze_csv(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", MINI, "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["reducers", "plc", "robots", "cars"]
    header = out.splitlines()[0].split(",")
    assert header[header.index("total_dependence") + 1 : header.index("chokepoint")] == [
        "exposure_EU",
        "exposure_JP",
    ]
    assert float(rows[2]["exposure_JP"]) == pytest.approx(0.66)
    assert rows[1]["exposure_JP"] == "0.3"
    assert rows[0]["exposure_EU"] == ""
    assert (rows[0]["chokepoint"], rows[3]["chokepoint"]) == ("true", "false")
    assert rows[3]["dependence"] == ""
    assert float(rows[0]["import_hhi"]) == pytest.approx(0.815007716)
    assert header[-5:] == ["import_hhi_max", "possible_chokepoint", "year", "basis", "unknown"]
    assert [r["basis"] for r in rows] == ["location", "location", "location", ""]
    assert (rows[0]["year"], rows[0]["unknown"], rows[3]["total_dependence"]) == ("2018", "", "")
    assert rows[3]["unknown"].startswith("total_dependence: no shares known for this node")
    assert float(rows[0]["import_hhi_max"]) == pytest.approx(0.4514 / 0.5184)
    assert (rows[0]["possible_chokepoint"], rows[3]["import_hhi_max"]) == ("false", "")


def test_analyze_table_at_pinned_width(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", MINI)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "⚑ reducers" in out
    assert "JP 65%" in out
    assert "Choke points, ranked by impact" in out
    # robots' dependence is exactly 50%: not above the EU threshold, not ranked; reducers (32.5%)
    # before plc (impact unknown: ranked last)
    assert "1. Robots" not in out
    assert out.index("1. Reduction gears") < out.index("2. PLCs")
    assert "[s1] A report, A publisher, 2025, Table 1" in out


def test_analyze_table_shows_the_nodes_not_ruled_out(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", "robots")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 100
    for marked in ("? servo*", "? controllers*", "⚑ reducers*"):
        assert marked in out
    panel = out[out.index("Choke points, ranked by impact") :]
    assert panel.index("3. Precision reduction gears") < panel.index("Not ruled out")
    servo = panel[panel.index("? Servo mechanisms") : panel.index("? Semiconductors")]
    flat = " ".join(servo.replace("│", " ").split())
    assert (
        "dependence 78%, import HHI 0.15 counting named origins, up to 0.61; firms based in JP "
        "supply 22%" in (flat)
    )


def test_analyze_refuses_other_perspective(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", MINI, "--perspective", "JP")
    assert code == 2
    assert out == ""
    assert "they say nothing about JP's market" in err
    assert "Traceback" not in err


def test_scenario_json(runner: CliRunner) -> None:
    code, out, err = run(runner, "scenario", MINI, "--cut", "JP:reducers=1", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == [
        "chain",
        "perspective",
        "model",
        "scenario",
        "nodes",
        "final",
        "assumptions",
    ]
    assert (doc["chain"], doc["perspective"], doc["model"]) == ("mini", "CN", "leontief")
    assert doc["scenario"]["cuts"] == [{"origin": "JP", "nodes": ["reducers"], "severity": 1.0}]
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert list(nodes["robots"]) == [
        "id", "stage", "loss", "import_loss", "domestic_loss", "unknown"
    ]  # fmt: skip
    assert nodes["reducers"]["loss"] == pytest.approx(0.65)
    assert nodes["robots"]["domestic_loss"] == pytest.approx(0.325)
    assert doc["final"] == [{"id": "cars", "loss": pytest.approx(0.325), "unknown": None}]


def test_scenario_linear_equals_exposure(runner: CliRunner) -> None:
    _, out, _ = run(runner, "scenario", MINI, "--cut", "JP=1", "--model", "linear", "-f", "json")
    doc = json.loads(out)
    nodes = {n["id"]: n["loss"] for n in doc["nodes"]}
    # cars takes robots (hit: 0.66) without a cost share: its linear loss is unknown, not 0.0
    # (issue 13); the other losses are exposure to JP: 0.65, 0.3, 0.5 + 0.5 (0.4 * 0.65 + 0.2 * 0.3)
    assert nodes == {
        "reducers": pytest.approx(0.65),
        "plc": pytest.approx(0.3),
        "robots": pytest.approx(0.66),
        "cars": None,
    }
    assert doc["final"] == [
        {"id": "cars", "loss": None, "unknown": "linear model: no cost share for the input(s) "
         "the scenario hits: robots->cars"}
    ]  # fmt: skip
    assert any("a linear loss that would draw on one of them" in a for a in doc["assumptions"])


def test_sweep_json_and_csv(runner: CliRunner) -> None:
    code, out, err = run(
        runner, "sweep", MINI, "--cut", "JP:reducers", "--severity", "0:1:0.5", "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [r["severity"] for r in doc["rows"]] == [0.0, 0.5, 1.0]
    assert [r["final"][0]["loss"] for r in doc["rows"]] == pytest.approx([0.0, 0.1625, 0.325])
    assert doc["rows"][0]["node"] == "reducers"
    code, out, _ = run(runner, "sweep", MINI, "--over", "origins", "-f", "csv")
    assert code == 0
    assert out.splitlines()[0] == "severity,origin,node,final,loss,rank,worst_loss"
    rows = list(csv.DictReader(io.StringIO(out)))
    # worst first: JP's cut costs cars 82.5%, EU's nothing
    assert [(r["origin"], r["node"], r["rank"]) for r in rows] == [("JP", "", "1"), ("EU", "", "2")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["scenario", MINI, "--cut", "JPN=1"],
            "not a foreign origin of chain 'mini' (origins: EU, JP)",
        ),
        (["scenario", MINI, "--cut", "JP:reducer=1"], "unknown node 'reducer'"),
        (["scenario", MINI, "--cut", "JP=1.5"], "outside [0, 1]"),
        (["scenario", MINI, "--cut", "JP"], "malformed"),
        (["scenario", MINI], "give a scenario name (none defined) or at least one --cut"),
        (
            ["scenario", MINI, "--cut", "JP=1", "--model", "nonlinear"],
            "choose one of: leontief, linear",
        ),
        (["sweep", MINI], "give either --cut"),
        (["analyze", "no-such-chain"], "no chain named 'no-such-chain'"),
        (["analyze", "missing/file.yaml"], "no such file 'missing/file.yaml'"),
    ],
)
def test_bad_input_exits_2_with_message(runner: CliRunner, args: list[str], message: str) -> None:
    code, out, err = run(runner, *args)
    assert code == 2
    assert message in err
    assert out == ""
    assert "Traceback" not in err


def test_show_and_list(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(runner, "show", MINI, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["nodes"][0]["shares"] == {"CN": 0.28, "JP": 0.65, "other": 0.05}
    assert doc["nodes"][2]["inputs"][1] == {"node": "plc", "cost_share": 0.2, "essential": False}
    monkeypatch.setenv("CHOKEPOINT_PATH", str(Path(MINI).parent))
    code, out, _ = run(runner, "list", "-f", "json")
    assert code == 0
    chains = {c["name"]: c for c in json.loads(out)["chains"]}
    assert chains["mini"]["nodes"] == 4
    assert chains["mini"]["perspective"] == "CN"
    code, out, _ = run(runner, "analyze", "mini", "-f", "json")  # found by name on CHOKEPOINT_PATH
    assert code == 0
    assert json.loads(out)["chain"] == "mini"


def test_montecarlo_json_contract_and_reproducibility(runner: CliRunner) -> None:
    args = ("montecarlo", MINI, "--samples", "2000", "--seed", "7", "--format", "json")
    code, out, err = run(runner, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == [
        "chain", "perspective", "model", "samples", "seed", "p_cut", "severity_dist", "final", "drivers",
    ]  # fmt: skip
    assert (doc["samples"], doc["seed"], doc["p_cut"]) == (2000, 7, 0.1)
    assert [f["id"] for f in doc["final"]] == ["cars"]
    assert run(runner, *args)[1] == out  # same seed, same bytes
    assert err == ""  # no progress bar when stderr is not a terminal


def test_montecarlo_bad_severity(runner: CliRunner) -> None:
    code, _, err = run(runner, "montecarlo", MINI, "--severity", "normal")
    assert code == 2
    assert "write uniform, fixed:X" in err


def test_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "what-if.yaml"
    good.write_text(
        "scenarios:\n  jp-half:\n    title: Japan halves reducers\n"
        "    cuts: [{origin: JP, nodes: [reducers], severity: 0.5}]\n",
        encoding="utf-8",
    )
    code, out, err = run(
        runner, "scenario", MINI, "jp-half", "--scenario-file", str(good), "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["scenario"]["title"] == "Japan halves reducers"
    # reducers lose 0.65 * 0.5; cars follow robots' domestic half: 0.5 * 0.325
    assert doc["final"] == [{"id": "cars", "loss": pytest.approx(0.1625), "unknown": None}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenarios:\n  x:\n    title: X\n    cuts: [{origin: JPN, nodes: [reducer], severity: 1}]\n",
        encoding="utf-8",
    )
    code, out, err = run(runner, "scenario", MINI, "x", "--scenario-file", str(bad))
    assert code == 2
    assert f"{bad}:4:" in err
    assert "unknown country or region 'JPN'" in err
    assert "did you mean 'reducers'?" in err
    code, _, err = run(runner, "scenario", MINI, "nope", "--scenario-file", str(good))
    assert code == 2
    assert "unknown scenario 'nope'" in err
    assert "scenarios: jp-half" in err


def test_show_names_the_origins(runner: CliRunner) -> None:
    code, out, _ = run(runner, "show", MINI)
    assert code == 0
    assert "reducers Reduction gears: JP 65% · CN 28% · other 5.0% · unattributed 2%" in out
    assert "CN (China) · EU (DE, FR) · JP (Japan)" in out


def test_large_results_cap_the_table(runner: CliRunner, tmp_path: Path) -> None:
    from chokepoint.io.generate import build_network, write_network
    from chokepoint.output.render import TABLE_ROWS

    net = tmp_path / "net.json"
    write_network(build_network(400, 1), net)
    code, out, err = run(runner, "analyze", str(net))
    assert code == 0, err
    assert f"{TABLE_ROWS} of 400 nodes shown (choke points first" in out
    code, out, _ = run(runner, "analyze", str(net), "-f", "json")
    assert len(json.loads(out)["nodes"]) == 400


def test_generate_command_and_the_installed_entry_point(tmp_path: Path) -> None:
    """Through the real console script: the --version shortcut and one-command dispatch."""
    exe = Path(sys.executable).parent / "chokepoint"
    done = subprocess.run([str(exe), "-V"], capture_output=True, text=True, check=False)
    assert done.stdout == f"chokepoint {__version__}\n"
    target = tmp_path / "net"
    done = subprocess.run(
        [str(exe), "generate", "--nodes", "50", "--seed", "3", "-o", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        "chain.json", "edges.csv", "nodes.csv", "shares.csv", "suppliers.csv",
    ]  # fmt: skip
    done = subprocess.run(
        [str(exe), "analyze", str(target), "--perspective", "JPN"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "did you mean 'JP'" in done.stderr


# ------------------------------------------------------------------------------------------
# Issue 11: options checked like files, markup, closed pipes, list


MARKUP = """\
format: 1
name: markup
title: "Chips [/] and [bold]wafers"
perspective: JP
year: 2021
stages: [wafers, fab]
sources:
  s1: {title: "Report [/] on wafers", publisher: "[link=x]SEMI", year: 2021}
nodes:
  - id: wafers
    name: "Silicon [/] wafers"
    stage: wafers
    shares: {JP: 0.55, TW: 0.45}
    source: s1
    history:
      2019: {JP: 0.6, TW: 0.4}
  - id: chips
    name: "Logic [/b] chips"
    stage: fab
    shares: {TW: 0.8, KR: 0.2}
    source: s1
    inputs:
      - {node: wafers, cost_share: 0.05}
scenarios:
  cut:
    title: "Taiwan [/] stops"
    cuts:
      - {origin: TW, severity: 1}
stage_data:
  fab:
    - {period: 2019, source: s1, rd_intensity: 0.15, note: "a [/] note"}
"""


@pytest.fixture
def markup_chain(tmp_path: Path) -> str:
    path = tmp_path / "markup.yaml"
    path.write_text(MARKUP, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("analyze",), ["Chips [/] and [bold]wafers", "Logic [/b] chips"]),
        (("stages",), ["Chips [/] and [bold]wafers"]),
        (("sweep", "--cut", "TW", "--severity", "0:1:0.5"), ["Chips [/] and [bold]wafers"]),
        (("montecarlo", "--samples", "50", "--seed", "1", "-q"), ["Logic [/b] chips"]),
        (("show",), ["Chips [/] and [bold]wafers", "Silicon [/] wafers", "Report [/] on"]),
        (("scenario", "cut"), ["Taiwan [/] stops", "Logic [/b] chips"]),
        (("trend",), ["Chips [/] and [bold]wafers"]),
        (("sources",), ["Chips [/] and [bold]wafers", "Report [/] on wafers", "[link=x]SEMI"]),
    ],
)
def test_text_from_a_chain_is_never_markup(
    runner: CliRunner, markup_chain: str, args: tuple[str, ...], shown: list[str]
) -> None:
    code, out, err = run(runner, args[0], markup_chain, *args[1:])
    assert code == 0, err
    for text in shown:
        assert text in out


def test_list_shows_markup_titles_and_survives_a_bad_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "chains"
    folder.mkdir()
    (folder / "markup.yaml").write_text(MARKUP, encoding="utf-8")
    (folder / "broken.yaml").write_text("format: 1\nname: [/]\n  bad: : :\n", encoding="utf-8")
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00[")
    result = runner.invoke(app, ["list"], env={**ENV, "CHOKEPOINT_PATH": str(folder)})
    assert result.exit_code == 0, result.stderr
    assert "Chips [/] and [bold]wafers" in result.stdout
    assert "invalid:" in result.stdout
    assert "robots" in result.stdout  # the shipped chains are still listed
    result = runner.invoke(app, ["list", "-f", "json"], env={**ENV, "CHOKEPOINT_PATH": str(folder)})
    rows = {row["name"]: row for row in json.loads(result.stdout)["chains"]}
    assert "error" in rows["broken"]
    assert "error" in rows["binary"]
    assert rows["markup"]["title"] == "Chips [/] and [bold]wafers"


def test_list_survives_an_unexpected_failure(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever reading one file raises, `list` shows it as invalid and lists the others."""
    from chokepoint.io import loader

    folder = tmp_path / "chains"
    folder.mkdir()
    (folder / "aaa.yaml").write_text(MARKUP, encoding="utf-8")
    real = loader.load_chain

    def flaky(path: object, **kwargs: object) -> object:
        if Path(str(path)).name == "aaa.yaml":
            raise OverflowError("int too large to convert to float")
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "load_chain", flaky)
    result = runner.invoke(app, ["list", "-f", "json"], env={**ENV, "CHOKEPOINT_PATH": str(folder)})
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["chains"]}
    assert rows["aaa"]["error"] == "OverflowError: int too large to convert to float"
    assert rows["robots"]["nodes"] > 0


def test_a_lone_surrogate_prints_escaped(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text that cannot be encoded (a lone surrogate) prints as an escape, never crashes."""
    import dataclasses

    from chokepoint.io import loader

    real = loader.load_chain
    monkeypatch.setattr(
        loader, "load_chain", lambda *a, **k: dataclasses.replace(real(MINI), title="a\ud800b")
    )
    for fmt in ("json", "table"):
        code, out, err = run(runner, "analyze", MINI, "-f", fmt)
        assert code == 0, err
        assert "a\\ud800b" in out


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("sweep", MINI, "--cut", "JP", "--severity", "0:1:nan"),
            ["--severity '0:1:nan'", "not a number"],
        ),
        (("sweep", MINI, "--cut", "JP", "--severity", "0:1:1e-320"), ["'1e-320' is too small"]),
        (
            ("sweep", MINI, "--cut", "JP", "--severity", "0:1:1e-7"),
            [
                "gives 10,000,001 severities",
                "ceiling of 10,000",
                "--max-rows N or CHOKEPOINT_MAX_SWEEP_ROWS=N",
            ],
        ),
        (
            ("sweep", MINI, "--cut", "JP", "--severity", "0:1:1e-12"),
            ["gives 1,000,000,000,001 severities"],
        ),
        (("sweep", MINI, "--cut", "JP", "--severity", "0:1:" + "0" * 60), ["STEP must be > 0"]),
        (("sweep", MINI, "--cut", "JP", "--severity", "0:1:0." + "0" * 60), ["STEP must be > 0"]),
        (("sweep", MINI, "--cut", "JP", "--severity", ""), ["--severity '' is empty"]),
        (
            ("sweep", MINI, "--cut", "JP", "--severity", "0:1:0.5:1"),
            ["--severity '0:1:0.5:1' must be START:STOP:STEP"],
        ),
        (
            ("sweep", MINI, "--cut", "JP", "--severity", "0:1:0.1", "--max-rows", "5"),
            ["gives 11 severities, above the ceiling of 5"],
        ),
        (
            # reducers, plc and robots have a top foreign supplier (cars has no shares): 3 rows
            ("sweep", MINI, "--over", "nodes", "--severity", "0.5", "--max-rows", "2"),
            ["--over nodes with 1 severities gives 3 rows, above the ceiling of 2"],
        ),
        (
            ("montecarlo", MINI, "--samples", "1000000000000"),
            [
                "--samples 1,000,000,000,000 is above the ceiling of 10,000,000 samples per call",
                "--max-samples N or CHOKEPOINT_MAX_SAMPLES=N",
                "different --seed values",
                "--workers N or --scheduler ADDRESS spread a call over a dask cluster",
            ],
        ),
        (
            ("montecarlo", MINI, "--samples", "100000000"),
            ["--samples 100,000,000 is above the ceiling"],
        ),
        (
            ("montecarlo", MINI, "--samples", "2000", "--max-samples", "1000"),
            ["ceiling of 1,000 samples"],
        ),
        (
            ("montecarlo", MINI, "--samples", "0"),
            ["Invalid value for '--samples'", "'0' is outside [1, inf]"],
        ),
        (
            ("montecarlo", MINI, "--samples", "1e3"),
            ["Invalid value for '--samples'", "not a whole number"],
        ),
        (
            ("montecarlo", MINI, "--p-cut", "nan"),
            ["Invalid value for '--p-cut'", "'nan' is not a number", "from 0 to 1"],
        ),
        (("montecarlo", MINI, "--seed", "²"), ["Invalid value for '--seed'", "digits 0-9"]),
        (
            ("montecarlo", MINI, "--severity", "fixed:nan"),
            ["--severity 'fixed:nan'", "not a number"],
        ),
        (
            ("montecarlo", MINI, "--severity", "beta:0,1"),
            ["--severity 'beta:0,1': A and B must be above 0"],
        ),
        (("montecarlo", MINI, "--severity", ""), ["--severity '' is empty"]),
        (
            ("generate", "-o", "unused", "--nodes", "1000000000000"),
            [
                "--nodes 1,000,000,000,000 is above the ceiling of 1,000,000 generated nodes",
                "--max-nodes N or CHOKEPOINT_MAX_NODES=N",
            ],
        ),
        (
            ("generate", "-o", "unused", "--nodes", "5"),
            ["Invalid value for '--nodes'", "of at least 12"],
        ),
        (("generate", "-o", "unused", "--cycles", "inf"), ["Invalid value for '--cycles'"]),
        (
            ("analyze", MINI, "--perspective", ""),
            ["Invalid value for '--perspective'", "it is empty"],
        ),
        (
            ("analyze", MINI, "--perspective", "J\tP"),
            ["Invalid value for '--perspective'", "control character"],
        ),
        (("analyze", MINI, "--perspective", "X" * 65), ["too long for an economy code"]),
        (
            ("analyze", MINI, "--min-dependence", "1.5"),
            ["Invalid value for '--min-dependence'", "'1.5' is outside [0, 1]"],
        ),
        (("analyze", MINI, "--top", "0"), ["Invalid value for '--top'"]),
        (
            ("analyze", MINI, "--year", "20000"),
            ["Invalid value for '--year'", "from 1,900 to 2,100"],
        ),
        (("scenario", MINI, "--cut", "JP\n=1"), ["--cut 'JP\\n=1' holds a control character"]),
        (("scenario", MINI, "--cut", "JP=1\n"), ["holds a control character"]),
        (("scenario", MINI, "--shock", "robots=nan"), ["--shock 'robots=nan'", "not a number"]),
        (("scenario", MINI, "--cut", "JP=1", "--substitution", ""), ["--substitution '' is empty"]),
        (
            ("analyze", "x" * 300),
            ["Invalid value for 'chain'", "300 bytes long, over the system's limit of 255"],
        ),
        (("schema", "-o", "y" * 300), ["Invalid value for '--output'", "300 bytes long"]),
    ],
)
def test_options_are_checked_like_files(
    runner: CliRunner, args: tuple[str, ...], fragments: list[str]
) -> None:
    code, out, err = run(runner, *args)
    assert code == 2, (out, err)
    for fragment in fragments:
        assert fragment in err


def test_ceilings_from_the_environment(runner: CliRunner) -> None:
    env = {**ENV, "CHOKEPOINT_MAX_SAMPLES": "1000"}
    result = runner.invoke(app, ["montecarlo", MINI, "--samples", "2000"], env=env)
    assert result.exit_code == 2
    assert "ceiling of 1,000 samples per call" in result.stderr
    result = runner.invoke(app, ["montecarlo", MINI, "--samples", "500", "--seed", "1"], env=env)
    assert result.exit_code == 0, result.stderr
    env = {**ENV, "CHOKEPOINT_MAX_SAMPLES": "²"}
    result = runner.invoke(app, ["montecarlo", MINI, "--samples", "10"], env=env)
    assert result.exit_code == 2
    assert "CHOKEPOINT_MAX_SAMPLES: '²' is not a whole number" in result.stderr
    env = {**ENV, "CHOKEPOINT_MAX_SWEEP_ROWS": "20"}
    result = runner.invoke(app, ["sweep", MINI, "--cut", "JP", "--severity", "0:1:0.01"], env=env)
    assert result.exit_code == 2
    assert "gives 101 severities, above the ceiling of 20" in result.stderr
    env = {**ENV, "CHOKEPOINT_MAX_NODES": "20"}
    result = runner.invoke(app, ["generate", "-o", "unused", "--nodes", "30"], env=env)
    assert result.exit_code == 2
    assert "--nodes 30 is above the ceiling of 20 generated nodes" in result.stderr


def test_ranges_are_in_the_help(runner: CliRunner) -> None:
    wanted = {
        "montecarlo": ["10,000,000 per call", "CHOKEPOINT_MAX_SAMPLES", "0 to 2^63-1", "0 to 1"],
        "sweep": ["CHOKEPOINT_MAX_SWEEP_ROWS", "[0, 1]"],
        "generate": ["default 1,000,000", "CHOKEPOINT_MAX_NODES", "0 to 1"],
        "analyze": ["1900 to 2100", "1 to 1,000,000", "0 to 1"],
    }
    for command, fragments in wanted.items():
        result = runner.invoke(app, [command, "--help"], env=ENV)
        text = " ".join(result.stdout.split())
        for fragment in fragments:
            assert fragment in text, (command, fragment)


def test_a_too_long_search_path_entry_is_skipped(runner: CliRunner) -> None:
    env = {**ENV, "CHOKEPOINT_PATH": "/tmp/" + "p" * 300}
    result = runner.invoke(app, ["analyze", "robots", "-f", "json"], env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["chain"] == "robots"
    assert "warning: CHOKEPOINT_PATH entry '/tmp/ppppp" in result.stderr
    assert "skipped: a name in it is 300 bytes long" in result.stderr


def test_writing_to_a_device_or_fifo_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(runner, "schema", "-o", "/dev/full")
    assert code == 2
    assert "cannot write /dev/full: it is a device, not a regular file" in err
    assert Path("/dev/full").is_char_device()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = run(runner, "export", MINI, "-f", "dot", "-o", str(fifo))
    assert code == 2
    assert "it is a FIFO (named pipe), not a regular file" in err
    assert fifo.is_fifo()


CHOKEPOINT = str(Path(sys.executable).parent / "chokepoint")
PIPED = [
    ["analyze", "robots"],
    ["analyze", "robots", "-f", "json"],
    ["show", "robots"],
    ["list"],
    ["stages", "robots"],
    ["sources", "robots"],
    ["trend", "robots"],
    ["schema"],
    ["export", "robots", "-f", "graphml"],
    ["sweep", "robots", "--cut", "JP"],
    ["scenario", "robots", "--cut", "JP=1"],
    ["montecarlo", "robots", "--samples", "100", "--seed", "1"],
    ["validate", "robots"],
    ["--help"],
    ["--version"],
]


@pytest.mark.parametrize("args", PIPED, ids=[" ".join(a) for a in PIPED])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """The reader closed the pipe before chokepoint wrote anything: exit 0, empty stderr."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [CHOKEPOINT, *args], stdout=write, stderr=subprocess.PIPE, check=False
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, b"")


def test_head_minus_one() -> None:
    script = f"'{CHOKEPOINT}' analyze robots | head -1; echo \"status=${{PIPESTATUS[0]}}\""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    # the robots chain's nodes carry figures of 2017 and 2018: the title says so (issue 13)
    assert lines[0].startswith("Industrial robots: dependence of CN (China), 2017-2018")
    assert lines[-1] in ("status=0", "status=141")
    assert done.stderr == ""


def test_ctrl_c_exits_130(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from chokepoint.io import loader

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load_chain", interrupted)
    code, out, err = run(runner, "analyze", MINI)
    assert (code, out, err) == (130, "", "")
