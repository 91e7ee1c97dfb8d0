"""The Python API is as wide as the CLI: one public function per command, with known answers.

Uses tests/data/valid/mini.yaml (worked out in tests/test_cli.py): reducers {CN .28, JP .65,
other .05}; plc {CN .2, EU .5, JP .3}; robots {CN .5, JP .5} made from reducers (w .4, essential)
and plc (w .2, inessential); cars (no shares, counted domestic) made from robots. Leontief:

* cut JP of reducers at s: reducers lose .65 s; robots' domestic half falls with its scarcest
  essential input: .5 x .65 s; cars follow robots: .325 s.
* cut JP everywhere at 1: reducers lose .65; robots lose their JP half .5 plus .5 x .65 = .825.
* robots' top foreign supplier JP cut at 1: robots lose their JP half, cars .5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

import chokepoint
from chokepoint.cli import CLI_TERMS, app, in_cli_terms

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "valid" / "mini.yaml")
ETO = DATA / "eto" / "mini"

#: Commands whose function has another name (documented in chokepoint.__doc__ and the README);
#: a command of a group takes its group's name: ``import eto`` is ``import_eto``.
ALIASES = {"list": "list_chains", "scenario": "run_scenario"}


def _commands() -> list[str]:
    found: list[str] = []
    stack: list[tuple[str, object]] = [("", typer.main.get_command(app))]
    while stack:
        prefix, group = stack.pop()
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                stack.append((f"{prefix}{name} ", command))
            else:
                found.append(f"{prefix}{name}")
    return sorted(found)


@pytest.fixture
def mini() -> chokepoint.Chain:
    return chokepoint.load_chain(MINI)


# ------------------------------------------------------------------------------------------
# Every command has its function


def test_every_command_has_a_public_function_of_its_name() -> None:
    commands = _commands()
    assert len(commands) == 21
    for command in commands:
        name = ALIASES.get(command, command.replace(" ", "_"))
        assert name in chokepoint.__all__, f"`chokepoint {command}` has no chokepoint.{name}"
        function = getattr(chokepoint, name)
        assert callable(function)
        assert function.__doc__, f"chokepoint.{name} has no docstring"
        assert f"chokepoint {command}" in function.__doc__ or command in ALIASES, (
            f"chokepoint.{name}'s docstring does not name the command it mirrors"
        )


def test_the_aliases_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for command, name in ALIASES.items():
        assert f"`chokepoint.{name}`" in readme
        assert f"``{command}``" in (chokepoint.__doc__ or "")


def test_every_public_name_resolves() -> None:
    for name in chokepoint.__all__:
        assert getattr(chokepoint, name) is not None


# ------------------------------------------------------------------------------------------
# Scenarios


def test_run_scenario_from_text_forms(mini: chokepoint.Chain) -> None:
    result = chokepoint.run_scenario(mini, cuts=["JP:reducers=1"])
    assert result.final == (("cars", pytest.approx(0.325)),)
    losses = {n.id: (n.loss, n.import_loss) for n in result.nodes}
    assert losses["reducers"] == (pytest.approx(0.65), pytest.approx(0.65))
    assert losses["robots"][0] == pytest.approx(0.325)
    half = chokepoint.run_scenario(mini, cuts=[chokepoint.Cut("JP", 0.5, ("reducers",))])
    assert half.final == (("cars", pytest.approx(0.1625)),)


def test_run_scenario_from_a_scenario_file(mini: chokepoint.Chain, tmp_path: Path) -> None:
    what_if = tmp_path / "what-if.yaml"
    what_if.write_text(
        "scenarios:\n  jp-half:\n    title: Japan halves reducers\n"
        "    cuts: [{origin: JP, nodes: [reducers], severity: 0.5}]\n",
        encoding="utf-8",
    )
    assert list(chokepoint.load_scenarios(what_if, mini)) == ["jp-half"]
    result = chokepoint.run_scenario(mini, "jp-half", scenario_file=what_if)
    assert result.scenario.title == "Japan halves reducers"
    assert result.final == (("cars", pytest.approx(0.1625)),)
    # a cut added to the named scenario: reducers lose JP's .65 at the larger severity
    more = chokepoint.run_scenario(mini, "jp-half", scenario_file=what_if, cuts=["JP:reducers=1"])
    assert more.final == (("cars", pytest.approx(0.325)),)
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.run_scenario(mini, "nope", scenario_file=what_if)
    assert str(caught.value) == (
        f"unknown scenario 'nope' in chain 'mini' or {what_if} (scenarios: jp-half)"
    )


def test_scenario_messages_speak_of_arguments(mini: chokepoint.Chain) -> None:
    assert chokepoint.resolve_scenario(mini) is None
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.run_scenario(mini)
    assert str(caught.value) == (
        "give a scenario name (none defined) or at least one cut or shock, e.g. a cut JP:reducers=1"
    )
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.run_scenario(mini, substitution={"robots": 0.5})
    assert str(caught.value) == (
        "a substitution override changes a scenario: name a scenario, or add a cut or a shock"
    )


# ------------------------------------------------------------------------------------------
# Sweeps


def test_sweep_severities_and_defaults(mini: chokepoint.Chain) -> None:
    rows = chokepoint.sweep(mini, cut="JP:reducers", severity="0:1:0.5").rows
    assert [(r.severity, r.final) for r in rows] == [
        (0.0, (("cars", 0.0),)),
        (0.5, (("cars", pytest.approx(0.1625)),)),
        (1.0, (("cars", pytest.approx(0.325)),)),
    ]
    default = chokepoint.sweep(mini, cut="JP:reducers").rows
    assert [r.severity for r in default] == pytest.approx([k / 10 for k in range(11)])
    assert default[-1].final == (("cars", pytest.approx(0.325)),)
    over_nodes = chokepoint.sweep(mini, over="nodes").rows  # severity 1 by default
    # ranked by the worst final-product loss (cars is the only final product), worst first
    assert [(r.origin, r.node, r.final[0][1]) for r in over_nodes] == [
        ("JP", "robots", pytest.approx(0.5)),
        ("JP", "reducers", pytest.approx(0.325)),
        ("EU", "plc", 0.0),
    ]
    over_origins = chokepoint.sweep(mini, over="origins").rows
    assert [(r.origin, r.final[0][1]) for r in over_origins] == [
        ("JP", pytest.approx(0.825)),
        ("EU", 0.0),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "give either cut='ORIGIN[:NODE]' or over='origins'|'nodes'"),
        (
            {"cut": "JP", "over": "nodes"},
            "give either cut='ORIGIN[:NODE]' or over='origins'|'nodes', not both",
        ),
        ({"over": "countries"}, "over='countries' must be 'origins' or 'nodes'"),
        (
            {"over": "nodes", "max_rows": 2},
            "sweeping over nodes with 1 severities gives 3 rows, above the ceiling of 2 "
            "(raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
        ),
        (
            {"cut": "JP", "severity": [0.5, 1.0], "max_rows": 1},
            "the cut JP with 2 severities gives 2 rows, above the ceiling of 1 "
            "(raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
        ),
        ({"cut": "JP", "severity": [1.5]}, "severity: 1.5 is outside [0, 1]"),
    ],
)
def test_sweep_refusals(mini: chokepoint.Chain, arguments: dict[str, object], message: str) -> None:
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.sweep(mini, **arguments)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_one_sweep_ceiling_from_the_environment(
    mini: chokepoint.Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chokepoint.core.scenarios import MAX_SWEEP_ROWS

    assert MAX_SWEEP_ROWS == 10_000
    with pytest.raises(chokepoint.ScenarioError, match="gives 10,001 severities"):
        chokepoint.sweep(mini, cut="JP", severity="0:1:0.0001")
    monkeypatch.setenv("CHOKEPOINT_MAX_SWEEP_ROWS", "5")
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.sweep(mini, cut="JP")
    assert str(caught.value) == (
        "--severity '0:1:0.1' gives 11 severities, above the ceiling of 5 (raise it with "
        "max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N); use a larger STEP"
    )
    assert len(chokepoint.sweep(mini, cut="JP", max_rows=11).rows) == 11  # the argument wins
    monkeypatch.setenv("CHOKEPOINT_MAX_SWEEP_ROWS", "many")
    with pytest.raises(chokepoint.SettingError, match="CHOKEPOINT_MAX_SWEEP_ROWS: 'many'"):
        chokepoint.sweep(mini, cut="JP")


# ------------------------------------------------------------------------------------------
# Monte Carlo


def test_montecarlo_known_answer_and_ceiling(
    mini: chokepoint.Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = chokepoint.montecarlo(mini, 100, seed=1, p_cut=1.0, severity_dist="fixed:1")
    assert [(f.id, f.mean, f.p99) for f in result.final] == [
        ("cars", pytest.approx(0.825), pytest.approx(0.825))
    ]
    with pytest.raises(chokepoint.ScenarioError) as caught:
        chokepoint.montecarlo(mini, 100, seed=1, max_samples=50)
    assert str(caught.value).startswith(
        "samples=100 is above the ceiling of 50 samples per call (raise it with max_samples=N "
        "or CHOKEPOINT_MAX_SAMPLES=N if the machine can hold it); to go beyond, run several "
        "calls with different seed values"
    )
    monkeypatch.setenv("CHOKEPOINT_MAX_SAMPLES", "10")
    with pytest.raises(chokepoint.ScenarioError, match="samples=11 is above the ceiling of 10"):
        chokepoint.montecarlo(mini, 11, seed=1)
    assert chokepoint.montecarlo(mini, 10, seed=1).samples == 10


# ------------------------------------------------------------------------------------------
# Reports


def test_stages_and_sources(mini: chokepoint.Chain) -> None:
    rows = chokepoint.stages(mini).stages
    assert [(r.stage, r.nodes, r.mean_dependence, r.chokepoints) for r in rows] == [
        ("upstream", 2, pytest.approx((0.72 + 0.8) / 2), ("reducers", "plc")),
        # robots' dependence is exactly 0.5: not above the threshold, so not a choke point
        ("midstream", 1, pytest.approx(0.5), ()),
        ("downstream", 1, None, ()),
    ]
    assert chokepoint.stages(chokepoint.analyze(mini)) == chokepoint.stages(mini)
    with pytest.raises(chokepoint.AnalysisError, match="give the chain instead"):
        chokepoint.stages(chokepoint.analyze(mini), year=2024)
    assert chokepoint.sources(mini).to_dict() == {
        "chain": "mini",
        "sources": [
            {
                "id": "s1",
                "citation": "A report, A publisher, 2025, Table 1",
                "url": None,
                "supports": ["reducers (shares)", "plc (shares)", "robots (shares)"],
            }
        ],
    }


# ------------------------------------------------------------------------------------------
# Chain files


def test_validate(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nname: x\n", encoding="utf-8")
    result = chokepoint.validate([MINI, "no-such-chain", broken])
    assert not result.ok
    good, missing, bad = result.files
    assert (good.ok, good.chain, good.nodes, good.path) == (True, "mini", 4, MINI)
    assert not missing.ok
    assert missing.problems[0].startswith("no chain named 'no-such-chain'")
    assert bad.problems
    assert all(p.startswith(f"{broken}:") for p in bad.problems)
    assert result.problems == missing.problems + bad.problems
    assert chokepoint.validate([MINI]).to_dict() == {
        "ok": True,
        "files": [
            {
                "given": MINI,
                "path": MINI,
                "chain": "mini",
                "nodes": 4,
                "ok": True,
                "problems": [],
            }
        ],
    }


def test_list_chains_and_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "chains"
    folder.mkdir()
    (folder / "mini.yaml").write_text(Path(MINI).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "broken.yaml").write_text("format: 1\nname: [/]\n  bad: : :\n", encoding="utf-8")
    monkeypatch.setenv("CHOKEPOINT_PATH", str(folder))
    rows = {row.name: row for row in chokepoint.list_chains().chains}
    assert (rows["mini"].nodes, rows["mini"].perspective, rows["mini"].error) == (4, "CN", None)
    assert rows["broken"].error is not None
    assert rows["broken"].to_dict() == {
        "name": "broken",
        "file": "broken.yaml",
        "path": str(folder / "broken.yaml"),
        "error": rows["broken"].error,
    }
    assert "robots" in rows  # the shipped chains
    assert chokepoint.show("mini") == chokepoint.load_chain(folder / "mini.yaml")


def test_schema_is_a_copy() -> None:
    from chokepoint.io.schema import CHAIN_SCHEMA

    document = chokepoint.schema()
    assert document == CHAIN_SCHEMA
    document["properties"].clear()
    assert chokepoint.schema()["properties"]


def test_generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chokepoint.io.generate import build_network

    done = chokepoint.generate(tmp_path / "net.json", 100, seed=1)
    document = build_network(100, 1)
    assert (done.name, done.nodes) == ("synthetic-100-1", 100)
    assert done.links == sum(len(n.get("inputs", ())) for n in document["nodes"])
    assert done.files == (tmp_path / "net.json",)
    assert json.loads((tmp_path / "net.json").read_text(encoding="utf-8")) == document
    with pytest.raises(chokepoint.ArgumentError) as caught:
        chokepoint.generate(tmp_path / "small", 5)
    assert str(caught.value) == "nodes=5: a generated network needs at least 12 nodes"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(chokepoint.ArgumentError) as caught:
        chokepoint.generate(tmp_path / "big", 100, max_nodes=50)
    assert str(caught.value) == (
        "nodes=100 is above the ceiling of 50 generated nodes (about 3 GB of memory per "
        "million); raise it with max_nodes=N or CHOKEPOINT_MAX_NODES=N if the machine can hold it"
    )
    monkeypatch.setenv("CHOKEPOINT_MAX_NODES", "20")
    with pytest.raises(chokepoint.ArgumentError, match="nodes=30 is above the ceiling of 20"):
        chokepoint.generate(tmp_path / "big", 30)
    with pytest.raises(chokepoint.ArgumentError, match=r"^cycles=2 is outside \[0, 1\]$"):
        chokepoint.generate(tmp_path / "big", 12, cycles=2)
    assert not (tmp_path / "big").exists()


def test_import_eto() -> None:
    from chokepoint.io.eto import convert, to_yaml

    done = chokepoint.import_eto(ETO)
    document, warnings = convert(ETO)
    assert done.document == document
    assert done.text == to_yaml(document)
    assert done.warnings == tuple(warnings)
    assert (done.name, done.nodes, done.year) == (
        document["name"],
        len(document["nodes"]),
        document["year"],
    )


# ------------------------------------------------------------------------------------------
# Export and plot take a chain and a scenario


def test_export_with_a_scenario(mini: chokepoint.Chain) -> None:
    from chokepoint.output.export import export as export_results

    text = chokepoint.export(MINI, "json", cuts=["JP:reducers=1"])
    expected = export_results(
        chokepoint.analyze(mini), "json", chokepoint.run_scenario(mini, cuts=["JP:reducers=1"])
    )
    assert text == expected
    nodes = {n["id"]: n for n in json.loads(text)["nodes"]}
    assert nodes["cars"]["loss"] == pytest.approx(0.325)
    assert nodes["reducers"]["loss"] == pytest.approx(0.65)
    plain = chokepoint.export(mini, "json")
    assert "loss" not in {k for n in json.loads(plain)["nodes"] for k in n}
    edges = chokepoint.export(mini, "csv", table="edges")
    assert edges.splitlines()[0] == "source,target,cost_share,weight,essential"


def test_plot_with_a_scenario(mini: chokepoint.Chain) -> None:
    pytest.importorskip("matplotlib")
    plain = chokepoint.plot(mini, "svg")
    hit = chokepoint.plot(mini, "svg", cuts=["JP:reducers=1"])
    assert plain.lstrip().startswith(b"<?xml")
    assert b"65%" in hit  # reducers' loss is shown under its name
    assert plain != hit
    with pytest.raises(chokepoint.OutputError, match="unknown image format 'gif'"):
        chokepoint.plot(mini, "gif")


# ------------------------------------------------------------------------------------------
# The CLI names the options to change


#: A library message and how the CLI shows it.
CLI_CASES = [
    (
        "sweeping over nodes with 1 severities gives 3 rows, above the ceiling of 2 "
        "(raise it with max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
        "--over nodes with 1 severities gives 3 rows, above the ceiling of 2 "
        "(raise it with --max-rows N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
    ),
    (
        "the cut JP with 2 severities gives 2 rows, above the ceiling of 1 (raise it with "
        "max_rows=N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
        "--cut JP with 2 severities gives 2 rows, above the ceiling of 1 (raise it with "
        "--max-rows N or CHOKEPOINT_MAX_SWEEP_ROWS=N)",
    ),
    (
        "give either cut='ORIGIN[:NODE]' or over='origins'|'nodes', not both",
        "give either --cut ORIGIN[:NODE] or --over origins|nodes, not both",
    ),
    ("over='x' must be 'origins' or 'nodes'", "--over 'x' must be 'origins' or 'nodes'"),
    (
        "samples=100 is above the ceiling of 50 samples per call (raise it with "
        "max_samples=N or CHOKEPOINT_MAX_SAMPLES=N if the machine can hold it); to go "
        "beyond, run several calls with different seed values",
        "--samples 100 is above the ceiling of 50 samples per call (raise it with "
        "--max-samples N or CHOKEPOINT_MAX_SAMPLES=N if the machine can hold it); to go "
        "beyond, run several calls with different --seed values",
    ),
    (
        "distribution; workers=N or scheduler=ADDRESS spread a call over a dask cluster",
        "distribution; --workers N or --scheduler ADDRESS spread a call over a dask cluster",
    ),
    (
        "nodes=100 is above the ceiling of 50 generated nodes (about 3 GB of memory per "
        "million); raise it with max_nodes=N or CHOKEPOINT_MAX_NODES=N",
        "--nodes 100 is above the ceiling of 50 generated nodes (about 3 GB of memory per "
        "million); raise it with --max-nodes N or CHOKEPOINT_MAX_NODES=N",
    ),
    ("cycles=2 is outside [0, 1]", "--cycles 2 is outside [0, 1]"),
    (
        "give a scenario name (none defined) or at least one cut or shock, e.g. a cut "
        "JP:reducers=1",
        "give a scenario name (none defined) or at least one --cut or --shock, e.g. --cut "
        "JP:reducers=1",
    ),
    (
        "a substitution override changes a scenario: name a scenario, or add a cut or a shock",
        "--substitution changes a scenario: add --scenario NAME, --cut or --shock",
    ),
    (
        "cannot write 'x': it is a FIFO, not a regular file; chokepoint replaces files "
        "atomically and never writes into devices, pipes or sockets (write to stdout and "
        "redirect it instead)",
        "cannot write 'x': it is a FIFO, not a regular file; chokepoint replaces files "
        "atomically and never writes into devices, pipes or sockets (leave out --output and "
        "redirect stdout instead)",
    ),
    (
        "perspective=US: chain 'x' gives shares of CN's own market",
        "--perspective US: chain 'x' gives shares of CN's own market",
    ),
    (
        "year=2030: chain 'x' has no figures for 2030",
        "--year 2030: chain 'x' has no figures for 2030",
    ),
    ("measure=nope: unknown measure", "--measure nope: unknown measure"),
    (
        "nothing to compare: give two or more scenarios (names or cuts), two or more years, or "
        "two or more perspectives (scenarios of chain 'x': none defined)",
        "nothing to compare: give two or more SCENARIO names or --cut options, --year twice or "
        "more, or --perspective twice or more (scenarios of chain 'x': none defined)",
    ),
    (
        "cut jp: not a foreign origin of chain 'mini' (origins: EU, JP); did you mean 'JP'?",
        "--cut jp: not a foreign origin of chain 'mini' (origins: EU, JP); did you mean 'JP'?",
    ),
    (
        "stock gear: unknown node; did you mean 'gears'?",
        "--stock gear: unknown node; did you mean 'gears'?",
    ),
    (
        "unknown perspective 'cn'; did you mean 'CN'? (an ISO 3166-1 alpha-2 code, ...)",
        "unknown --perspective 'cn'; did you mean 'CN'? (an ISO 3166-1 alpha-2 code, ...)",
    ),
    # words of a chain are never rewritten: the patterns are anchored or distinctive
    (
        "unknown scenario 'samples=1' in chain 'mini' (scenarios: none defined)",
        "unknown scenario 'samples=1' in chain 'mini' (scenarios: none defined)",
    ),
    # stress --months-from and sweep --months (tests/test_timeplus.py)
    (
        "give either months=M (one duration for every cut) or months_from=FILE",
        "give either --months M (one duration for every cut) or --months-from FILE",
    ),
    (
        "f.yaml, line 5: scenario 'p', cut JP has no `months`; months_from takes each cut's "
        "duration from the file: add one (e.g. months: 6), or give one duration to every cut "
        "with months=M",
        "f.yaml, line 5: scenario 'p', cut JP has no `months`; --months-from takes each cut's "
        "duration from the file: add one (e.g. months: 6), or give one duration to every cut "
        "with --months M",
    ),
    (
        "f.yaml: none of its cuts is a row of a stress test over origins (...); use over='all'",
        "f.yaml: none of its cuts is a row of a stress test over origins (...); use --over all",
    ),
    (
        "the cut JP:m=1 carries its severity; leave out severity=1",
        "--cut JP:m=1 carries its severity; leave out --severity",
    ),
    (
        "severity: a sweep over months or a stock takes one severity, e.g. 1",
        "--severity: a sweep over months or a stock takes one severity, e.g. 1",
    ),
]


@pytest.mark.parametrize(("library", "cli"), CLI_CASES)
def test_the_cli_names_the_option(library: str, cli: str) -> None:
    assert in_cli_terms(library) == cli


def test_every_cli_term_is_used() -> None:
    """Each pattern of CLI_TERMS matches a message of the test above (none is dead)."""
    import re

    messages = [library for library, _ in CLI_CASES]
    for pattern, _ in CLI_TERMS:
        assert any(re.search(pattern, m) for m in messages), pattern


def test_cli_prints_the_option_for_a_library_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    runner = CliRunner()
    result = runner.invoke(app, ["scenario", MINI, "--substitution", "robots=0.5"], env=env)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --substitution changes a scenario: add --scenario NAME, --cut or --shock\n"
    )
    result = runner.invoke(app, ["sweep", MINI, "--over", "countries"], env=env)
    assert result.exit_code == 2
    assert result.stderr == "error: --over 'countries' must be 'origins' or 'nodes'\n"
    result = runner.invoke(app, ["sweep", MINI, "--cut", "JP", "--over", "nodes"], env=env)
    assert result.stderr == (
        "error: give either --cut ORIGIN[:NODE] or --over origins|nodes, not both\n"
    )
