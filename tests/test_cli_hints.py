"""The command line's hints are as good as the validator's: did-you-mean for origins, nodes,
scenario and chain names in every option, the percentage hint for severities, and chains found by
the name they declare (ambiguity named with paths)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint.cli import app
from chokepoint.errors import ChainNotFoundError
from chokepoint.io.loader import declared_name, find_chain

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "CHOKEPOINT_PATH": ""}
VALID = Path(__file__).parent / "data" / "valid"


def fails(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail on its input: exit 2, no output, no traceback; the message."""
    result = runner.invoke(app, list(args), env={**ENV, **(env or {})})
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # a mistyped node in a cut, a shock, a substitution, a stock, trend's NODE
        (
            ["scenario", "robots", "--cut", "JP:reducrs=1"],
            "--cut JP:reducrs: unknown node 'reducrs'; did you mean 'reducers'?",
        ),
        (
            ["sweep", "robots", "--cut", "JP:reducrs"],
            "unknown node 'reducrs'; did you mean 'reducers'?",
        ),
        (
            ["scenario", "robots", "--shock", "reducrs=0.3"],
            "--shock reducrs: unknown node; did you mean 'reducers'?",
        ),
        (
            ["scenario", "robots", "--cut", "JP=1", "--substitution", "reducr=0.5"],
            "--substitution reducr: unknown node; did you mean 'reducers'?",
        ),
        (
            ["stress", "robots", "--months", "3", "--stock", "reducer=2"],
            "--stock reducer: unknown node; did you mean 'reducers'?",
        ),
        (["trend", "robots", "reducer"], "unknown node 'reducer' in chain 'robots'; did you mean"),
        # origins: case, alpha-3, an English name, a region's spelling
        (
            ["scenario", "robots", "--cut", "jp:reducers=1"],
            "--cut jp: not a foreign origin of chain 'robots' (origins: EUROPE, JP); "
            "did you mean 'JP'?",
        ),
        (["scenario", "robots", "--cut", "JPN=1"], "did you mean 'JP'?"),
        (["scenario", "robots", "--cut", "Japan=1"], "did you mean 'JP'?"),
        (["scenario", "robots", "--cut", "europa=1"], "did you mean 'EUROPE'?"),
        (["sweep", "robots", "--cut", "jp:reducers"], "did you mean 'JP'?"),
        # a percentage written without %: 65 -> 65% or 0.65, as the validator says for shares
        (
            ["scenario", "robots", "--cut", "JP:reducers=65"],
            "--cut 'JP:reducers=65': '65' is outside [0, 1]; did you mean 65% (or 0.65)?",
        ),
        (
            ["scenario", "robots", "--shock", "reducers=30"],
            "did you mean 30% (or 0.3)?",
        ),
        (
            ["sweep", "robots", "--cut", "JP:reducers", "--severity", "0:100:10"],
            "did you mean 100% (or 1)?",
        ),
        # perspectives, scenario names, chain names
        (
            ["analyze", "robots", "--perspective", "cn"],
            "unknown --perspective 'cn'; did you mean 'CN'?",
        ),
        (
            ["analyze", "robots", "--perspective", "eu-27"],
            "did you mean 'EU27'?",
        ),
        (
            ["scenario", "robots", "japan-component"],
            "unknown scenario 'japan-component' in chain 'robots'; did you mean 'japan-components'?",
        ),
        (["analyze", "robot"], "no chain named 'robot'; did you mean 'robots'?"),
        (["show", "semiconductor"], "did you mean 'semiconductors'?"),
    ],
)
def test_every_option_suggests_what_was_meant(
    runner: CliRunner, args: list[str], expected: str
) -> None:
    assert expected in fails(runner, *args)


def test_a_cut_inside_a_region_says_why(runner: CliRunner) -> None:
    message = fails(runner, "scenario", "robots", "--cut", "DE:plc=1")
    assert "--cut DE:plc: DE lies inside EUROPE (DE, CH, SK)" in message
    assert "cut EUROPE:plc instead" in message


def test_hints_name_nothing_when_nothing_is_close(runner: CliRunner) -> None:
    message = fails(runner, "scenario", "robots", "--cut", "JP:zzzz=1")
    assert "did you mean" not in message
    assert "(nodes: semiconductors, permanent-magnets" in message


# --- names ------------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder on CHOKEPOINT_PATH whose file name differs from the name its chain declares."""
    found = tmp_path / "chains"
    found.mkdir()
    shutil.copy(VALID / "mini.yaml", found / "my-file.yaml")  # declares name: mini
    return found


def test_declared_names_of_each_form(tmp_path: Path) -> None:
    assert declared_name(VALID / "mini.yaml") == "mini"
    # JSON: the top-level key, not a node's "name"
    doc = {"format": 1, "nodes": [{"id": "a", "name": "inner"}], "name": "outer"}
    (tmp_path / "a.json").write_text(json.dumps(doc), encoding="utf-8")
    assert declared_name(tmp_path / "a.json") == "outer"
    (tmp_path / "b.json").write_text('{"title": "a \\" {name", "name": "b-x"}', encoding="utf-8")
    assert declared_name(tmp_path / "b.json") == "b-x"
    # the CSV form: the name in its chain.yaml
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "chain.yaml").write_text("format: 1\nname: net-x\n", encoding="utf-8")
    assert declared_name(tmp_path / "net") == "net-x"
    assert declared_name(tmp_path / "missing.yaml") is None
    # a .zip of the CSV form: the name in the chain.yaml it holds
    with zipfile.ZipFile(tmp_path / "net.zip", "w") as archive:
        archive.writestr("net/chain.yaml", "format: 1\nname: zipped\n")
        archive.writestr("net/nodes.csv", "id,name,stage\n")
    assert declared_name(tmp_path / "net.zip") == "zipped"
    with zipfile.ZipFile(tmp_path / "bare.zip", "w") as archive:
        archive.writestr("nodes.csv", "id,name,stage\n")
    assert declared_name(tmp_path / "bare.zip") is None  # no header: its file name only
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert declared_name(tmp_path / "bad.zip") is None
    (tmp_path / "empty").mkdir()
    assert declared_name(tmp_path / "empty") is None
    (tmp_path / "n.json").write_text('{"name": 5, "title": "x"}', encoding="utf-8")
    assert declared_name(tmp_path / "n.json") is None  # not a text: no declared name
    (tmp_path / "x.json").write_text('{"title": "bad \\x escape", "name": "x"}', encoding="utf-8")
    assert declared_name(tmp_path / "x.json") is None  # malformed: the full check says where


def test_a_chain_is_found_by_its_declared_name(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHOKEPOINT_PATH", str(folder))
    assert find_chain("mini") == folder / "my-file.yaml"
    assert find_chain("my-file") == folder / "my-file.yaml"  # and by its file name
    result = runner.invoke(
        app, ["analyze", "mini", "-f", "json"], env={**ENV, "CHOKEPOINT_PATH": str(folder)}
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["chain"] == "mini"
    message = fails(runner, "analyze", "minni", env={"CHOKEPOINT_PATH": str(folder)})
    assert "did you mean 'mini'?" in message


def test_two_chains_answering_to_one_name_are_ambiguous(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(VALID / "mini.yaml", folder / "mini.yaml")
    monkeypatch.setenv("CHOKEPOINT_PATH", str(folder))
    with pytest.raises(ChainNotFoundError, match="ambiguous"):
        find_chain("mini")
    message = fails(runner, "analyze", "mini", env={"CHOKEPOINT_PATH": str(folder)})
    assert f"chain name 'mini' is ambiguous: 2 chains in {folder} answer to it" in message
    assert f"{folder / 'mini.yaml'} (file name)" in message
    assert f"{folder / 'my-file.yaml'} (name: mini)" in message


def test_list_shows_name_file_and_path(runner: CliRunner, folder: Path) -> None:
    result = runner.invoke(app, ["list", "-f", "json"], env={**ENV, "CHOKEPOINT_PATH": str(folder)})
    assert result.exit_code == 0, result.stderr
    rows = {row["file"]: row for row in json.loads(result.stdout)["chains"]}
    assert rows["my-file.yaml"]["name"] == "mini"
    assert rows["my-file.yaml"]["path"] == str(folder / "my-file.yaml")
    assert rows["robots.yaml"]["name"] == "robots"
    table = runner.invoke(app, ["list"], env={**ENV, "CHOKEPOINT_PATH": str(folder)})
    assert f"Chainsin{folder}" in "".join(table.stdout.split())  # the title may wrap
    assert "│ mini │ my-file.yaml │" in table.stdout
