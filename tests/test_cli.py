"""The command line: exit codes, messages and the JSON/CSV contracts, field by field.

Uses tests/data/valid/mini.yaml, whose metrics are worked out in the comments:
reducers {CN .28, JP .65, other .05}; plc {CN .2, EU .5, JP .3}; robots {CN .5, JP .5} made from
reducers (w .4) and plc (w .2, inessential); cars (no shares) made from robots.
"""

from __future__ import annotations

import csv
import io
import json
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
    assert list(doc) == ["chain", "title", "perspective", "year", "nodes", "assumptions"]
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
        "import_hhi_max", "possible_chokepoint",
    ]  # fmt: skip
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
    assert cars["total_dependence"] == 0.0
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
    assert header[-2:] == ["import_hhi_max", "possible_chokepoint"]
    assert float(rows[0]["import_hhi_max"]) == pytest.approx(0.4514 / 0.5184)
    assert (rows[0]["possible_chokepoint"], rows[3]["import_hhi_max"]) == ("false", "")


def test_analyze_table_at_pinned_width(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", MINI)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "⚑ reducers" in out
    assert "JP 65%" in out
    assert "Choke points, ranked by impact" in out
    # ranked: robots (50%) before reducers (32.5%)
    assert out.index("1. Robots") < out.index("2. Reduction gears")
    assert "[s1] A report, A publisher, 2025, Table 1" in out


def test_analyze_table_shows_the_nodes_not_ruled_out(runner: CliRunner) -> None:
    code, out, err = run(runner, "analyze", "robots")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 100
    for marked in ("? servo*", "? controllers", "⚑ reducers*"):
        assert marked in out
    panel = out[out.index("Choke points, ranked by impact") :]
    assert panel.index("3. Precision reduction gears") < panel.index("Not ruled out")
    servo = panel[panel.index("? Servo mechanisms") : panel.index("? Semiconductors")]
    flat = " ".join(servo.replace("│", " ").split())
    assert (
        "dependence 78%, import HHI 0.15 counting named origins, up to 0.61; JP supplies 22%"
        in (flat)
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
    assert list(nodes["robots"]) == ["id", "stage", "loss", "import_loss", "domestic_loss"]
    assert nodes["reducers"]["loss"] == pytest.approx(0.65)
    assert nodes["robots"]["domestic_loss"] == pytest.approx(0.325)
    assert doc["final"] == [{"id": "cars", "loss": pytest.approx(0.325)}]


def test_scenario_linear_equals_exposure(runner: CliRunner) -> None:
    _, out, _ = run(runner, "scenario", MINI, "--cut", "JP=1", "--model", "linear", "-f", "json")
    nodes = {n["id"]: n["loss"] for n in json.loads(out)["nodes"]}
    assert nodes == pytest.approx({"reducers": 0.65, "plc": 0.3, "robots": 0.66, "cars": 0.0})


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
    assert out.splitlines()[0] == "severity,origin,node,final,loss"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["origin"], r["node"]) for r in rows] == [("EU", ""), ("JP", "")]


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
    assert doc["final"] == [{"id": "cars", "loss": pytest.approx(0.1625)}]
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
    from chokepoint.io.generate import generate, write_network
    from chokepoint.output.render import TABLE_ROWS

    net = tmp_path / "net.json"
    write_network(generate(400, 1), net)
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
