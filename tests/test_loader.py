"""Loading chain files: every deliberately broken file fails with the right line and message.

Each file in ``tests/data/broken/`` is the same tiny valid chain with one deliberate fault
(``several_faults.yaml`` has five). The CLI must exit with code 2, report the fault as
``FILE:LINE:COLUMN: message`` on the right line, suggest the fix where there is one, and never
show a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from chokepoint.cli import app
from chokepoint.errors import ChainError, Problem
from chokepoint.io import yamlread
from chokepoint.io.loader import DEFAULT_MAX_BYTES, load_chain
from chokepoint.model import Cut, Input, Shock, StageFigure, Supplier

# (file in tests/data/broken/, line of the fault, fragment the message must contain)
# fmt: off
BROKEN: list[tuple[str, int, str]] = [
    # YAML itself
    ("yaml_unclosed_flow", 14, "while parsing a flow mapping started on line 13"),
    ("yaml_bad_indent", 12, "YAML syntax error: mapping values are not allowed"),
    ("yaml_tab_indent", 17, "indent with spaces: YAML does not allow tabs there"),
    ("duplicate_key", 13, "duplicate key 'stage' at nodes[0] (first given on line 12)"),
    ("unknown_alias", 14, "unknown alias *ifr"),
    ("multiple_documents", 20, "more than one YAML document ('---'); a chain is one document"),
    ("unsupported_tag", 3, "unsupported YAML tag '!!python/str'"),
    ("bad_explicit_tag", 19, "cannot read 'maybe' as !!bool"),
    ("merge_key", 10, "YAML merge keys ('<<: *anchor') are not supported in chain files"),
    ("billion_laughs", 11, "aliases expand to more than 100,000 values (a 'billion laughs'"),
    ("deep_nesting", 6, "nesting deeper than 64 levels; a chain file never needs this"),
    ("control_character", 3, 'character U+0007 is not allowed in YAML; remove it, or write it as the escape "\\x07"'),
    ("not_utf8", 3, "not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    ("empty", 1, "the file is empty"),
    ("top_level_list", 1, "(top level) must be a mapping, not a list"),
    # keys
    ("unknown_key_top", 6, "unknown key 'descripton' in the chain; did you mean 'description'?"),
    ("unknown_key_node", 17, "unknown key 'substitutabilty' in node nodes[1]; did you mean 'substitutability'?"),
    ("missing_top_key", 1, "missing required key 'perspective' in the chain"),
    ("missing_required_key", 15, "missing required key 'name' in node nodes[1]"),
    # types and values
    ("wrong_type_year", 5, "year must be a whole number, not a text ('2018')"),
    ("wrong_type_essential", 19, "nodes[1].inputs[0].essential must be true or false, not a text ('no')"),
    ("wrong_type_inputs", 18, "nodes[1].inputs must be a list of {node, cost_share, essential}"),
    ("wrong_type_stage", 17, "nodes[1].stage must be one of the stages (upstream, downstream), not a list"),
    ("unsupported_format", 1, "unsupported format 2; this version of chokepoint reads format 1"),
    ("bad_slug_name", 2, "'Tiny Chain' at name is not a slug (lower-case letters, digits and single hyphens); try 'tiny-chain'"),
    ("history_bad_year", 16, "history year 14 at nodes[0].history is not a year from 1900 to 2100"),
    # references
    ("duplicate_node_id", 15, "duplicate node id 'reducers' (first on line 10); node ids must be unique"),
    ("unknown_stage", 17, "unknown stage 'downstrem' at nodes[1]; did you mean 'downstream'?"),
    ("unknown_input_node", 19, "unknown input node 'reducer' at nodes[1].inputs[0]; did you mean 'reducers'?"),
    ("unknown_region_member", 7, "unknown country 'FRA' in region 'EU' at regions.EU; did you mean 'FR'?"),
    ("unknown_country", 13, "unknown country or region 'JPN' at nodes[0].shares; did you mean 'JP'?"),
    ("unknown_source", 18, "unknown source 'ifr-2091' at nodes[1].source; did you mean 'ifr-2019'?"),
    ("unknown_scenario_node", 24, "unknown node 'robot' at scenarios.strike.shocks[0].node; did you mean 'robots'?"),
    ("unknown_scenario_origin", 24, "unknown country or region 'JPN' at scenarios.embargo.cuts[0].origin; did you mean 'JP'?"),
    # shares and cost shares
    ("share_negative", 13, "share -0.28 at nodes[0].shares.CN is outside [0, 1]"),
    ("share_looks_like_percent", 13, 'share 65 at nodes[0].shares.JP is above 1; did you mean "65%" (or 0.65)?'),
    ("share_percent_over_100", 13, "share 165% at nodes[0].shares.JP is outside [0%, 100%]"),
    ("cost_share_negative", 19, "cost share -0.4 at nodes[1].inputs[0].cost_share is outside [0, 1]"),
    ("cost_share_looks_like_percent", 19, 'cost share 40 at nodes[1].inputs[0].cost_share is above 1; did you mean "40%" (or 0.4)?'),
    ("shares_sum_above_one", 13, "shares at nodes[0].shares sum to 1.03, above 1"),
    ("cost_shares_sum_above_one", 18, "cost shares at nodes[1].inputs sum to 1.2, above 1"),
    ("supplier_shares_sum_above_one", 15, "supplier shares at nodes[0].suppliers sum to 1.1, above 1"),
    ("region_counted_twice", 15, "nodes[0].shares gives both region 'EU' and its member(s) DE: that counts them twice"),
    # sources
    ("figures_without_source", 15, "node 'robots' gives shares without a source; add `source: <id>` (sources: ifr-2019)"),
    ("unused_source", 9, "source 'ifr-2020' is defined but no figure cites it; cite it or remove it"),
]

# the five faults of several_faults.yaml, in file order
SEVERAL: list[tuple[int, int, str, str]] = [
    (5, 1, "year", "year must be a whole number, not a text ('2018')"),
    (13, 14, "nodes[0].shares.JPN", "unknown country or region 'JPN' at nodes[0].shares; did you mean 'JP'?"),
    (17, 5, "nodes[1].substitutabilty", "unknown key 'substitutabilty' in node nodes[1]; did you mean 'substitutability'?"),
    (18, 5, "nodes[1].stage", "unknown stage 'downstrem' at nodes[1]; did you mean 'downstream'? (stages: upstream, downstream)"),
    (20, 26, "nodes[1].inputs[0].cost_share", 'cost share 40 at nodes[1].inputs[0].cost_share is above 1; did you mean "40%" (or 0.4)?'),
]
# fmt: on


def _broken(data_dir: Path, name: str) -> Path:
    return data_dir / "broken" / f"{name}.yaml"


def _assert_clean_failure(result: Result) -> None:
    """Exit code 2, no traceback and no "internal error" (the CLI's message for a bug)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def _error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error: ")]


# ------------------------------------------------------------------------------------------
# Broken files through the CLI


def test_every_broken_file_is_in_the_table(data_dir: Path) -> None:
    on_disk = {p.stem for p in (data_dir / "broken").glob("*.yaml")}
    listed = {name for name, _, _ in BROKEN} | {"several_faults"}
    assert on_disk == listed
    assert len(on_disk) >= 25


@pytest.mark.parametrize(("name", "line", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_fails_with_line_and_message(
    runner: CliRunner, data_dir: Path, name: str, line: int, fragment: str
) -> None:
    path = _broken(data_dir, name)
    result = runner.invoke(app, ["validate", str(path)])
    _assert_clean_failure(result)
    prefix = f"error: {path}:{line}:"
    matching = [text for text in _error_lines(result) if text.startswith(prefix)]
    assert any(fragment in text for text in matching), (prefix, fragment, result.output)
    # every problem is located: FILE:LINE:COLUMN with a positive line and column
    for text in _error_lines(result):
        where = text.removeprefix(f"error: {path}:").split(":", 2)
        assert int(where[0]) >= 1, text
        assert int(where[1]) >= 1, text


@pytest.mark.parametrize(
    "name",
    [b[0] for b in BROKEN if b[0] not in {"merge_key", "bad_explicit_tag"}],
)
def test_one_fault_one_problem(runner: CliRunner, data_dir: Path, name: str) -> None:
    """A single deliberate fault gives a single problem, not a cascade of follow-on errors."""
    result = runner.invoke(app, ["validate", str(_broken(data_dir, name))])
    assert len(_error_lines(result)) == 1, result.output
    assert result.output.rstrip().endswith("1 problem found")


def test_validate_reports_every_problem_in_a_file(runner: CliRunner, data_dir: Path) -> None:
    path = _broken(data_dir, "several_faults")
    result = runner.invoke(app, ["validate", str(path)])
    _assert_clean_failure(result)
    expected = [f"error: {path}:{line}:{column}: {message}" for line, column, _, message in SEVERAL]
    assert _error_lines(result) == expected
    assert result.output.rstrip().endswith("5 problems found")


def test_validate_reports_every_file(runner: CliRunner, data_dir: Path) -> None:
    valid = data_dir / "valid" / "mini.yaml"
    first, second = _broken(data_dir, "unknown_country"), _broken(data_dir, "unknown_stage")
    result = runner.invoke(app, ["validate", str(first), str(valid), str(second)])
    _assert_clean_failure(result)
    assert f"ok: {valid} (mini: 4 nodes)" in result.output
    files = [text.removeprefix("error: ").split(":")[0] for text in _error_lines(result)]
    assert files == [str(first), str(second)]
    assert result.output.rstrip().endswith("2 problems found")


def test_validate_usage_error_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_validate_folder_exits_2(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["validate", str(data_dir)])
    _assert_clean_failure(result)
    assert f"error: {data_dir}:1:1: is a folder, not a chain file" in result.output


def test_validate_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    _assert_clean_failure(result)
    assert "no such file" in result.output


# ------------------------------------------------------------------------------------------
# Size limit


def test_default_size_limit_is_50_mb() -> None:
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024


def test_size_limit_from_environment(runner: CliRunner, data_dir: Path) -> None:
    path = data_dir / "valid" / "mini.yaml"
    size = path.stat().st_size
    result = runner.invoke(app, ["validate", str(path)], env={"CHOKEPOINT_MAX_BYTES": "100"})
    _assert_clean_failure(result)
    assert _error_lines(result) == [
        f"error: {path}:1:1: file is {size:,} bytes, above the limit of 100 bytes "
        f"(CHOKEPOINT_MAX_BYTES; default 50 MiB): raise it with CHOKEPOINT_MAX_BYTES={size} if "
        "the file is trusted; for large networks use the CSV or JSON form"
    ]
    # the same file passes under a limit just large enough
    result = runner.invoke(app, ["validate", str(path)], env={"CHOKEPOINT_MAX_BYTES": str(size)})
    assert result.exit_code == 0, result.output


def test_size_limit_argument(data_dir: Path) -> None:
    path = data_dir / "valid" / "mini.yaml"
    with pytest.raises(ChainError) as info:
        load_chain(path, max_bytes=100)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 1)
    assert "above the limit of 100 bytes (CHOKEPOINT_MAX_BYTES; default 50 MiB)" in problem.message
    assert load_chain(path, max_bytes=path.stat().st_size).name == "mini"


# ------------------------------------------------------------------------------------------
# load_chain raises ChainError listing every problem


def test_load_chain_lists_every_problem(data_dir: Path) -> None:
    path = _broken(data_dir, "several_faults")
    with pytest.raises(ChainError) as info:
        load_chain(path)
    problems = info.value.problems
    assert all(isinstance(p, Problem) and p.file == str(path) for p in problems)
    assert [(p.line, p.column, p.path, p.message) for p in problems] == SEVERAL
    assert str(info.value).splitlines() == [str(p) for p in problems]
    assert str(problems[0]) == f"{path}:5:1: year must be a whole number, not a text ('2018')"


@pytest.mark.parametrize(
    ("name", "line", "column", "path"),
    [
        ("duplicate_key", 13, 5, "nodes[0].stage"),
        ("unknown_country", 13, 14, "nodes[0].shares.JPN"),
        ("unknown_input_node", 19, 10, "nodes[1].inputs[0].node"),
        ("missing_required_key", 15, 5, "nodes[1]"),
        ("not_utf8", 3, 25, ""),
        ("control_character", 3, 14, ""),
        ("billion_laughs", 11, 38, "description.e[7]"),
    ],
)
def test_load_chain_problem_location(
    data_dir: Path, name: str, line: int, column: int, path: str
) -> None:
    with pytest.raises(ChainError) as info:
        load_chain(_broken(data_dir, name))
    [problem] = info.value.problems
    assert (problem.line, problem.column, problem.path) == (line, column, path)


# ------------------------------------------------------------------------------------------
# libyaml and the pure-Python parser give the same results


_C_LOADER = getattr(yaml, "CSafeLoader", None)


@pytest.fixture(
    params=[
        pytest.param(
            _C_LOADER,
            id="libyaml",
            marks=pytest.mark.skipif(_C_LOADER is None, reason="PyYAML built without libyaml"),
        ),
        pytest.param(yaml.SafeLoader, id="python"),
    ]
)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> object:
    """Make :mod:`chokepoint.io.yamlread` parse with libyaml or with the pure-Python parser."""
    monkeypatch.setattr(yamlread, "_LOADER", request.param)
    return request.param


def _problems(path: Path) -> list[str]:
    with pytest.raises(ChainError) as info:
        load_chain(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "name",
    [
        "several_faults",
        "duplicate_key",
        "unknown_alias",
        "multiple_documents",
        "unsupported_tag",
        "bad_explicit_tag",
        "merge_key",
        "billion_laughs",
        "control_character",
        "missing_required_key",
    ],
)
def test_python_parser_gives_identical_messages(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    if _C_LOADER is None:
        pytest.skip("PyYAML built without libyaml")
    path = _broken(data_dir, name)
    monkeypatch.setattr(yamlread, "_LOADER", _C_LOADER)
    fast = _problems(path)
    monkeypatch.setattr(yamlread, "_LOADER", yaml.SafeLoader)
    assert _problems(path) == fast


@pytest.mark.parametrize(
    ("name", "line", "column"),
    [("yaml_unclosed_flow", 14, 11), ("yaml_bad_indent", 12, 11), ("yaml_tab_indent", 17, 1)],
)
def test_syntax_error_position_with_both_parsers(
    data_dir: Path, yaml_loader: object, name: str, line: int, column: int
) -> None:
    """The parsers word syntax errors differently but agree on where they are."""
    with pytest.raises(ChainError) as info:
        load_chain(_broken(data_dir, name))
    [problem] = info.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert problem.message.startswith("YAML syntax error: ")


def test_valid_files_identical_with_both_parsers(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if _C_LOADER is None:
        pytest.skip("PyYAML built without libyaml")
    for path in sorted((data_dir / "valid").glob("*.yaml")):
        monkeypatch.setattr(yamlread, "_LOADER", _C_LOADER)
        fast = load_chain(path)
        monkeypatch.setattr(yamlread, "_LOADER", yaml.SafeLoader)
        assert load_chain(path) == fast, path


# ------------------------------------------------------------------------------------------
# Documents built to exhaust memory or the stack


DEPTH_MESSAGE = (
    "nesting deeper than 64 levels; a chain file never needs this (CHOKEPOINT_MAX_DEPTH; "
    "default 64): raise it with CHOKEPOINT_MAX_DEPTH=N if the file is trusted"
)


def test_billion_laughs_is_refused(data_dir: Path, yaml_loader: object) -> None:
    with pytest.raises(ChainError) as info:
        load_chain(_broken(data_dir, "billion_laughs"))
    [problem] = info.value.problems
    assert problem.line == 11
    assert problem.message == (
        "aliases expand to more than 100,000 values (a 'billion laughs' document?); write the "
        "values out or use fewer nested aliases (CHOKEPOINT_MAX_ALIAS_VALUES; default 100,000): "
        "raise it with CHOKEPOINT_MAX_ALIAS_VALUES=N if the file is trusted"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("[" * 10_000 + "]" * 10_000, 1, id="10000-flow-sequences"),
        pytest.param("[" * 10_000, 1, id="10000-unclosed"),
        pytest.param("{a: " * 10_000 + "}" * 10_000, 1, id="10000-flow-mappings"),
        pytest.param("".join(" " * i + "a:\n" for i in range(200)), 65, id="200-block-mappings"),
        pytest.param("- " * 10_000 + "x\n", 1, id="10000-block-sequences"),
        pytest.param("\n".join(["["] * 10_000), 65, id="10000-lines"),
    ],
)
def test_deep_nesting_is_refused(tmp_path: Path, yaml_loader: object, text: str, line: int) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChainError) as info:  # not RecursionError, not MemoryError
        load_chain(path)
    [problem] = info.value.problems
    assert problem.line == line
    assert problem.message == DEPTH_MESSAGE


def test_deep_nesting_file_with_both_parsers(data_dir: Path, yaml_loader: object) -> None:
    with pytest.raises(ChainError) as info:
        load_chain(_broken(data_dir, "deep_nesting"))
    [problem] = info.value.problems
    assert problem.line == 6
    assert problem.message == DEPTH_MESSAGE


def test_nesting_within_the_limit_is_read(yaml_loader: object) -> None:
    depth = yamlread.MAX_DEPTH
    located = yamlread.parse_yaml("[" * depth + "]" * depth, "ok.yaml")
    value = located.value
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


# ------------------------------------------------------------------------------------------
# Valid files load with the right typed values


@pytest.mark.parametrize("name", ["mini", "regions_history", "scenarios_stage_data", "cycle"])
def test_valid_file_passes_validate(runner: CliRunner, data_dir: Path, name: str) -> None:
    path = data_dir / "valid" / f"{name}.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {path} ({load_chain(path).name}: ")


def test_mini_values(data_dir: Path) -> None:
    chain = load_chain(data_dir / "valid" / "mini.yaml")
    assert (chain.name, chain.perspective, chain.year, chain.market) == ("mini", "CN", 2018, None)
    assert chain.stages == ("upstream", "midstream", "downstream")
    assert chain.regions == {"EU": ("DE", "FR")}
    reducers = chain.node("reducers")
    assert reducers.shares == {"CN": 0.28, "JP": pytest.approx(0.65), "other": 0.05}
    assert reducers.source == ("s1",)
    assert reducers.line == 12
    assert chain.node("robots").inputs == (
        Input("reducers", 0.4, True),
        Input("plc", 0.2, False),
    )
    assert chain.node("cars").inputs == (Input("robots", None, True),)
    assert chain.sources["s1"].locator == "Table 1"


def test_regions_history_suppliers_and_percentages(data_dir: Path) -> None:
    chain = load_chain(data_dir / "valid" / "regions_history.yaml")
    assert chain.perspective == "EU"
    assert chain.is_global
    assert chain.regions["ASEAN"] == ("ID", "MY", "PH", "SG", "TH", "VN")
    assert chain.members("EU") == frozenset({"EU", "DE", "FR", "PL", "HU", "SE"})

    ore = chain.node("lithium-ore")
    assert ore.shares == pytest.approx({"AU": 0.47, "CL": 0.30, "CN": 0.15, "other": 0.08})
    # history keys are years as numbers, whether written 2015 or "2019"; "35 %" is a percentage
    assert set(ore.history) == {2015, 2019}
    assert ore.history[2015] == pytest.approx({"AU": 0.4, "CL": 0.35, "CN": 0.06})
    assert ore.shares_for(2019) == pytest.approx({"AU": 0.52, "CL": 0.22, "CN": 0.1})
    assert ore.shares_for(2022) == ore.shares

    chemicals = chain.node("lithium-chemicals")
    assert (chemicals.year, chemicals.estimate, chemicals.substitutability) == (2021, True, 0.1)
    assert chemicals.source == ("iea-2022", "usgs-2023")
    assert chemicals.note == "Derived from capacity shares."
    assert chemicals.shares == {"CN": 0.65, "CL": 0.25, "ASEAN": 0.02}
    assert chemicals.inputs == (Input("lithium-ore", None, True),)

    cells = chain.node("cells")
    assert cells.shares is not None
    assert cells.shares["CN"] == pytest.approx(0.765)
    assert cells.suppliers[0] == Supplier("CATL", "CN", pytest.approx(0.37), 2022, None)
    assert cells.suppliers[2] == Supplier("Panasonic", "JP", None, None, "share not published")
    assert [s.year for s in cells.suppliers] == [2022, 2022, None, 2021]
    [chem_input] = cells.inputs
    assert chem_input.cost_share == pytest.approx(0.12)

    usgs = chain.sources["usgs-2023"]
    assert (usgs.publisher, usgs.year, usgs.locator) == ("USGS", 2023, "Lithium, p. 108")
    assert chain.sources["iea-2022"].citation() == (
        "IEA, Global Supply Chains of EV Batteries, IEA, 2022"
    )


def test_scenarios_and_stage_data(data_dir: Path) -> None:
    chain = load_chain(data_dir / "valid" / "scenarios_stage_data.yaml")
    assert set(chain.scenarios) == {"taiwan-cut", "eu-wafers"}
    taiwan = chain.scenarios["taiwan-cut"]
    assert taiwan.cuts == (Cut("TW", 1.0, ()),)
    assert taiwan.note == "Every product from TW, all of it."
    eu = chain.scenarios["eu-wafers"]
    assert eu.cuts == (Cut("EU", 0.5, ("wafers",)),)
    assert eu.shocks == (Shock("chips", 0.3),)
    assert eu.substitution == {"wafers": 0.4, "chips": pytest.approx(0.1)}

    wafers, fabrication = chain.stage_data
    assert wafers == StageFigure(
        stage="wafers",
        period="2019",
        source=("semi-2021",),
        rd_intensity=0.06,
        profit_margin=pytest.approx(0.12),
    )
    assert fabrication.period == "2016-2022"
    assert fabrication.source == ("oecd-2019",)
    assert fabrication.rd_intensity == pytest.approx(0.15)
    assert fabrication.subsidy_intensity == 0.03
    assert fabrication.subsidy_amount == 50.0
    assert isinstance(fabrication.subsidy_amount, float)
    assert fabrication.amount_unit == "USD bn"
    assert fabrication.profit_margin == pytest.approx(-0.03)
    assert fabrication.estimate is True


def test_cycle_and_self_input(data_dir: Path) -> None:
    chain = load_chain(data_dir / "valid" / "cycle.yaml")
    assert chain.node("spindles").inputs == (Input("machine-tools", pytest.approx(0.25), True),)
    assert chain.node("machine-tools").inputs == (
        Input("machine-tools", 0.1, False),
        Input("spindles", None, True),
    )
    assert chain.node("machine-tools").shares is None


# ------------------------------------------------------------------------------------------
# Odd YAML values are problems, never crashes


@pytest.mark.parametrize(
    ("text", "value", "problem"),
    [
        ("a: =\n", {"a": "="}, None),
        ("a: !!timestamp x\n", {"a": "x"}, "f.yaml:1:4: cannot read 'x' as !!timestamp"),
        ("a: !!bool maybe\n", {"a": "maybe"}, "f.yaml:1:4: cannot read 'maybe' as !!bool"),
        (
            "a: 2018-02-30\n",
            {"a": "2018-02-30"},
            "f.yaml:1:4: cannot read '2018-02-30' as !!timestamp: day is out of range for month",
        ),
        (
            "list:\n  - ? [x, y]\n    : 1\n",
            {"list": [{}]},
            "f.yaml:2:7: a mapping key must be a plain value, not a collection",
        ),
    ],
)
def test_odd_values(yaml_loader: object, text: str, value: object, problem: str | None) -> None:
    located = yamlread.parse_yaml(text, "f.yaml")
    assert located.value == value
    assert [str(p) for p in located.problems] == ([problem] if problem else [])


def test_control_character_located_as_yaml_counts_lines(yaml_loader: object) -> None:
    with pytest.raises(ChainError) as info:
        yamlread.parse_yaml("a: b\n\u2028c: \x01\n", "f.yaml")
    assert [str(p) for p in info.value.problems] == [
        "f.yaml:3:4: character U+0001 is not allowed in YAML; remove it, or write it as the "
        'escape "\\x01" inside double quotes'
    ]
