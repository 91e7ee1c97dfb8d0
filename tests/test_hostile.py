"""Hostile inputs of issue 11: each is refused with exit code 2 and a located message.

The files are generated here (none is committed); the large ones are made small by lowering a
limit through its environment variable, which is the same code path as the default.
``benchmarks/hostile.py`` runs the full-size inputs and measures their time and memory.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.errors import ChainError, ChainNotFoundError, SettingError
from chokepoint.io import yamlread
from chokepoint.io.check import ProblemLog, Suggester, problem_kind
from chokepoint.io.limits import MAX_LINE, env_int

from .chains import NET_HEADER as HEADER

MINI = """format: 1
name: mini
title: Mini
perspective: CN
year: 2020
stages: [up, down]
sources:
  s: {title: Figures, publisher: tests, year: 2025}
nodes:
  - id: ore
    name: Ore
    stage: up
    shares: {CN: 0.3, AU: 0.7}
    source: s
  - id: chips
    name: Chips
    stage: down
    inputs: [{node: ore, cost_share: 0.2}]
"""
TABLES = {
    "chain.json": json.dumps(HEADER),
    "nodes.csv": "id,name,stage\nore,Ore,up\nchips,Chips,down\n",
    "shares.csv": "node,origin,share,source\nore,CN,0.3,s\nore,AU,0.7,s\n",
    "edges.csv": "input,node,cost_share,essential\nore,chips,0.2,\n",
}
MINI_DOC = yaml.safe_load(MINI)


@pytest.fixture(autouse=True)
def _no_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CHOKEPOINT_"):
            monkeypatch.delenv(name)


def _errors(result: Result) -> list[str]:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    return [line for line in result.output.splitlines() if line.startswith("error: ")]


def _refusal(path: Path | str, **kwargs: int) -> list[tuple[str, int, int, str]]:
    with pytest.raises(ChainError) as info:
        load_chain(path, **kwargs)
    return [(p.file, p.line, p.column, p.message) for p in info.value.problems]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _zip(path: Path, files: dict[str, str], folders: dict[str, str] | None = None) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr((folders or {}).get(name, "net/") + name, text)
    path.write_bytes(buffer.getvalue())
    return path


def _patch_zip(path: Path, patch: Callable[[bytearray, int, int], None]) -> Path:
    """Apply ``patch(data, local_header_offset, central_header_offset)`` to every member."""
    data = bytearray(path.read_bytes())
    locals_ = [k for k in range(len(data)) if data[k : k + 4] == b"PK\x03\x04"]
    centrals = [k for k in range(len(data)) if data[k : k + 4] == b"PK\x01\x02"]
    for local, central in zip(locals_, centrals, strict=True):
        patch(data, local, central)
    path.write_bytes(bytes(data))
    return path


def _limit_text(env: str, default: str) -> str:
    return f"({env}; default {default}): raise it with {env}=N if the file is trusted"


# --- numbers ----------------------------------------------------------------------------------


def test_integer_beyond_float_range_in_a_share(tmp_path: Path, runner: CliRunner) -> None:
    path = _write(tmp_path / "big.yaml", MINI.replace("CN: 0.3", "CN: 1" + "0" * 400))
    for command in (["validate", str(path)], ["analyze", str(path), "-f", "json"]):
        assert _errors(runner.invoke(app, command)) == [
            f"error: {path}:13:14: share at nodes[0].shares.CN must be a finite number: "
            "1000...0 (401 digits) is beyond the range of a number"
        ]


def test_integer_beyond_float_range_in_json_cost_share(tmp_path: Path) -> None:
    document = json.loads(json.dumps(MINI_DOC))
    document["nodes"][1]["inputs"][0]["cost_share"] = 10**400
    path = _write(tmp_path / "big.json", json.dumps(document))
    [(file, line, column, message)] = _refusal(path)
    assert (file, line) == (str(path), 1)
    assert column == json.dumps(document).index('"cost_share"') + 1
    assert message == (
        "cost share at nodes[1].inputs[0].cost_share must be a finite number: 1000...0 "
        "(401 digits) is beyond the range of a number"
    )


@pytest.mark.parametrize("year", ["²", "①", "２０１４"])
def test_history_year_in_other_digits(tmp_path: Path, year: str) -> None:
    text = MINI.replace(
        "    source: s\n", f"    history: {{'{year}': {{CN: 0.5}}}}\n    source: s\n"
    )
    path = _write(tmp_path / "year.yaml", text)
    assert _refusal(path) == [
        (
            str(path),
            14,
            15,
            f"history year '{year}' at nodes[0].history is not a year from 1900 to 2100; key "
            "each entry by its year, e.g. 2014: {CN: 0.11}",
        )
    ]


def test_5000_digit_integer_in_json(tmp_path: Path) -> None:
    document = json.loads(json.dumps(MINI_DOC))
    document["nodes"][0]["year"] = 2020
    text = json.dumps(document).replace('"year": 2020}', '"year": ' + "7" * 5000 + "}")
    path = _write(tmp_path / "digits.json", text)
    [(_, line, column, message)] = _refusal(path)
    assert (line, column) == (1, text.index('"year": 7') + 1)
    assert (
        message == "nodes[0].year must be a whole number, not a number (an integer of 5,000 digits)"
    )


def test_5000_digit_integer_in_a_csv_cell(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    _write(
        folder / "nodes.csv", "id,name,stage,year\nore,Ore,up," + "9" * 5000 + "\nchips,C,down,\n"
    )
    _write(folder / "shares.csv", "node,origin,share,source\nore,CN," + "1" * 5000 + ",s\n")
    assert _refusal(folder) == [
        (
            str(folder / "nodes.csv"),
            2,
            4,
            "nodes[0].year must be a whole number, not a number (an integer of 5,000 digits)",
        ),
        (
            str(folder / "shares.csv"),
            2,
            2,
            "share at nodes[0].shares.CN must be a finite number: inf is not a finite number",
        ),
    ]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("9" * 5000, "'99999999'...'9999' (5,000 characters) is too long to be a number"),
        ("²", "'²' is not a whole number written with the digits 0-9"),
        ("0", "'0' is outside [1, 1.1259e+15]"),
        ("1e9", "'1e9' is not a whole number written with the digits 0-9"),
    ],
)
@pytest.mark.parametrize(
    "env", ["CHOKEPOINT_MAX_BYTES", "CHOKEPOINT_MAX_ROWS", "CHOKEPOINT_MAX_LINE"]
)
def test_bad_limit_in_the_environment(
    tmp_path: Path, runner: CliRunner, env: str, value: str, why: str
) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    result = runner.invoke(app, ["validate", str(folder)], env={env: value})
    assert _errors(result) == [
        f"error: environment variable {env}: {why}; set it to a whole number from 1 to "
        "1,125,899,906,842,624, or unset it for the default"
        + (" (1,073,741,824)" if env == "CHOKEPOINT_MAX_BYTES" else "")
        + (" (10,000,000)" if env == "CHOKEPOINT_MAX_ROWS" else "")
        + (" (1,048,576)" if env == "CHOKEPOINT_MAX_LINE" else "")
    ]


def test_env_int_reads_bounded_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOKEPOINT_X", " 42 ")
    assert env_int("CHOKEPOINT_X", 7) == 42
    monkeypatch.setenv("CHOKEPOINT_X", "")
    assert env_int("CHOKEPOINT_X", 7) == 7
    monkeypatch.setenv("CHOKEPOINT_X", "-1")
    with pytest.raises(SettingError, match=r"CHOKEPOINT_X: '-1' is outside \[0, "):
        env_int("CHOKEPOINT_X", 7)


@pytest.mark.parametrize("figure", [".nan", ".inf", "-.inf"])
def test_nan_and_infinite_subsidy_refused_at_load(
    tmp_path: Path, runner: CliRunner, figure: str
) -> None:
    text = (
        MINI + f"stage_data:\n  up:\n    - {{period: 2020, subsidy_amount: {figure}, source: s}}\n"
    )
    path = _write(tmp_path / "nan.yaml", text)
    shown = {".nan": "nan", ".inf": "inf", "-.inf": "-inf"}[figure]
    expected = [
        f"error: {path}:21:22: subsidy_amount must be a finite number >= 0 ({shown} is not a "
        "finite number)"
    ]
    assert _errors(runner.invoke(app, ["validate", str(path)])) == expected
    assert _errors(runner.invoke(app, ["stages", str(path), "-f", "json"])) == expected


@pytest.mark.parametrize("figure", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_in_json_refused(tmp_path: Path, figure: str) -> None:
    text = json.dumps(MINI_DOC).replace('"CN": 0.3', f'"CN": {figure}')
    path = _write(tmp_path / "nan.json", text)
    [(_, _, column, message)] = _refusal(path)
    assert column == text.index('"CN": ') + 1
    shown = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf", "1e999": "inf"}[figure]
    assert message == (
        f"share at nodes[0].shares.CN must be a finite number: {shown} is not a finite number"
    )


# --- text that cannot be printed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("escape", "code"), [("\\ud800", "d800"), ("\\udfff", "dfff"), ("x\\uDBFF", "dbff")]
)
def test_lone_surrogate_in_json_refused_at_load(
    tmp_path: Path, runner: CliRunner, escape: str, code: str
) -> None:
    text = json.dumps(MINI_DOC).replace('"name": "Ore"', f'"name": "{escape}"')
    path = _write(tmp_path / "s.json", text)
    column = text.index("\\u") + 1
    expected = [
        f"error: {path}:1:{column}: text holds a lone surrogate (\\u{code}), which cannot be "
        "printed or written; remove the escape, or write the character itself (or a pair of "
        "escapes)"
    ]
    assert _errors(runner.invoke(app, ["validate", str(path)])) == expected
    assert _errors(runner.invoke(app, ["analyze", str(path), "-f", "json"])) == expected


def test_surrogate_pairs_and_escaped_backslashes_are_fine(tmp_path: Path) -> None:
    for name in ("\\ud83d\\ude00", "\\\\ud800"):
        text = json.dumps(MINI_DOC).replace('"name": "Ore"', f'"name": "{name}"')
        chain = load_chain(_write(tmp_path / "ok.json", text))
        assert chain.nodes[0].name in ("\U0001f600", "\\ud800")


def test_lone_surrogate_in_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "s.yaml", MINI.replace("name: Ore", 'name: "\\ud800"'))
    [(_, line, column, message)] = _refusal(path)  # libyaml refuses the escape itself
    assert (line, column) == (11, 14)
    assert message == (
        "YAML syntax error: while parsing a quoted scalar found invalid Unicode character "
        "escape code"
    )
    monkeypatch.setattr(yamlread, "_LOADER", yaml.SafeLoader)
    assert _refusal(path) == [
        (
            str(path),
            11,
            11,
            "text holds a lone surrogate (\\ud800), which cannot be printed or written; remove "
            "the escape or write the character itself",
        )
    ]


# --- zip archives -------------------------------------------------------------------------------


def test_zip_encrypted_member(tmp_path: Path) -> None:
    def encrypt(data: bytearray, local: int, central: int) -> None:
        data[local + 6] |= 1
        data[central + 8] |= 1

    archive = _patch_zip(_zip(tmp_path / "net.zip", TABLES), encrypt)
    assert _refusal(archive) == [
        (
            f"{archive}/net/chain.json",
            1,
            1,
            "is encrypted; chokepoint reads unencrypted archives only: re-create the .zip "
            "without a password",
        )
    ]


def test_zip_compression_method_99(tmp_path: Path) -> None:
    def aes(data: bytearray, local: int, central: int) -> None:
        data[local + 8 : local + 10] = struct.pack("<H", 99)
        data[central + 10 : central + 12] = struct.pack("<H", 99)

    archive = _patch_zip(_zip(tmp_path / "net.zip", TABLES), aes)
    assert _refusal(archive) == [
        (
            f"{archive}/net/chain.json",
            1,
            1,
            "uses compression method 99, which chokepoint cannot inflate (99 is AES "
            "encryption); re-create the .zip with deflate (`zip -r`)",
        )
    ]


def test_zip_corrupt_deflate_data(tmp_path: Path, runner: CliRunner) -> None:
    archive = _zip(tmp_path / "net.zip", TABLES)
    data = bytearray(archive.read_bytes())
    start = 30 + len("net/chain.json")
    for k in range(start, start + 10):
        data[k] ^= 0x5A
    archive.write_bytes(bytes(data))
    [line] = _errors(runner.invoke(app, ["validate", str(archive)]))
    assert line.startswith(f"error: {archive}/net/chain.json:1:1: cannot read this member of the ")
    assert line.endswith(
        "the archive is damaged or uses a feature chokepoint does not read: re-create it "
        "with `zip -r`"
    )


def test_zip_odd_version_field(tmp_path: Path) -> None:
    def version(data: bytearray, local: int, central: int) -> None:
        if data[central + 46 : central + 58] == b"net/shares.c":
            data[central + 6] = 0xFF

    archive = _patch_zip(_zip(tmp_path / "net.zip", TABLES), version)
    assert _refusal(archive) == [
        (
            f"{archive}/net/shares.csv",
            1,
            1,
            "needs zip version 25.5 to extract, which chokepoint cannot read; re-create the "
            ".zip with `zip -r`",
        )
    ]


def test_zip_not_a_zip(tmp_path: Path) -> None:
    archive = _write(tmp_path / "net.zip", "PK not really")
    assert _refusal(archive) == [
        (str(archive), 1, 1, "cannot read: not a valid .zip file (re-create it with `zip -r`)")
    ]


def test_zip_tables_in_two_folders_refused(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "net.zip",
        TABLES,
        {name: "x/" if name != "shares.csv" else "yy/" for name in TABLES},
    )
    assert _refusal(archive) == [
        (
            str(archive),
            1,
            1,
            "holds chain tables in more than one folder (x/chain.json, yy/shares.csv); a .zip "
            "holds one chain in one folder: zip one folder per chain",
        )
    ]


def test_zip_in_its_root_or_one_folder_reads(tmp_path: Path) -> None:
    for folder in ("", "net/", "a/b/"):
        archive = _zip(tmp_path / "net.zip", TABLES, dict.fromkeys(TABLES, folder))
        assert [n.id for n in load_chain(archive).nodes] == ["ore", "chips"]


def test_zip_inflated_size_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"n{k},N,up\n" for k in range(20_000))
    archive = _zip(tmp_path / "net.zip", {**TABLES, "nodes.csv": "id,name,stage\n" + rows})
    assert archive.stat().st_size < 100_000
    monkeypatch.setenv("CHOKEPOINT_MAX_BYTES", "100000")
    assert _refusal(archive) == [
        (
            f"{archive}/net/nodes.csv",
            1,
            1,
            "inflated member is too large, above the limit of 100,000 bytes "
            + _limit_text("CHOKEPOINT_MAX_BYTES", "1 GiB"),
        )
    ]


def test_zip_of_blank_lines_refused_by_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = TABLES["nodes.csv"] + "\n" * 5_000
    archive = _zip(tmp_path / "net.zip", {**TABLES, "nodes.csv": nodes})
    monkeypatch.setenv("CHOKEPOINT_MAX_ROWS", "1000")
    assert _refusal(archive) == [
        (
            f"{archive}/net/nodes.csv",
            1002,
            1,
            "too many rows, above the limit of 1,000 rows "
            + _limit_text("CHOKEPOINT_MAX_ROWS", "10,000,000"),
        )
    ]


def test_zip_problems_name_member_line_and_column(tmp_path: Path, runner: CliRunner) -> None:
    shares = TABLES["shares.csv"] + "chips,JPN,0.1,s\n"
    archive = _zip(tmp_path / "net.zip", {**TABLES, "shares.csv": shares})
    assert _errors(runner.invoke(app, ["validate", str(archive)])) == [
        f"error: {archive}/net/shares.csv:4:2: unknown country or region 'JPN' at "
        "nodes[1].shares; did you mean 'JP'?"
    ]


# --- syntax errors at the end of a file ---------------------------------------------------------


@pytest.mark.parametrize(("ending", "line"), [("", 19), ("\n", 20)])
def test_syntax_error_at_end_without_final_newline(tmp_path: Path, ending: str, line: int) -> None:
    path = _write(tmp_path / "eof.yaml", MINI + "extra: [1, 2" + ending)
    [(_, found, column, message)] = _refusal(path)
    assert (found, column) == (line, 13 if ending == "" else 1)
    assert message.startswith("YAML syntax error: while parsing a flow sequence")


# --- many problems: linear, capped, counted -----------------------------------------------------


def test_many_unknown_inputs_are_capped_and_counted(tmp_path: Path, runner: CliRunner) -> None:
    nodes = "".join(
        f"  - id: n{k}\n    name: N{k}\n    stage: down\n    inputs: [{{node: missing-{k}}}]\n"
        for k in range(20_000)
    )
    path = _write(tmp_path / "many.yaml", MINI + nodes)
    errors = _errors(runner.invoke(app, ["validate", str(path)]))
    assert len(errors) == 201
    assert errors[0] == f"error: {path}:22:15: unknown input node 'missing-0' at nodes[2].inputs[0]"
    assert errors[-1] == (
        f"error: {path}: stopped listing after 200 problems: 19,800 more found (19,800 'unknown "
        "input node'); fix these first, or list more with the max_errors argument of load_chain"
    )
    with pytest.raises(ChainError) as info:
        load_chain(path, max_errors=5)
    assert len(info.value.problems) == 6
    assert info.value.omitted == {"unknown input node": 19_995}


def test_many_unknown_edges_in_csv(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    edges = "input,node\n" + "".join(f"ore,ghost{k}\n" for k in range(20_000)) + "ore,chip\n"
    _write(folder / "edges.csv", edges)
    problems = _refusal(folder, max_errors=3)
    assert problems == [
        (str(folder / "edges.csv"), 2, 2, "unknown node 'ghost0' in edges.csv (not in nodes.csv)"),
        (str(folder / "edges.csv"), 3, 2, "unknown node 'ghost1' in edges.csv (not in nodes.csv)"),
        (str(folder / "edges.csv"), 4, 2, "unknown node 'ghost2' in edges.csv (not in nodes.csv)"),
        (
            str(folder),
            0,
            0,
            "stopped listing after 3 problems: 19,998 more found (19,998 'unknown node in "
            "edges.csv'); fix these first, or list more with the max_errors argument of load_chain",
        ),
    ]
    # the suggestion still comes when the cap is not reached
    _write(folder / "edges.csv", "input,node\nore,chip\n")
    assert _refusal(folder)[0][3] == (
        "unknown node 'chip' in edges.csv (not in nodes.csv); did you mean 'chips'?"
    )


def test_doubled_share_rows_name_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    nodes = "id,name,stage\n" + "".join(f"n{k},N,up\n" for k in range(5_000))
    rows = "".join(f"n{k},CN,0.5,s\nn{k},CN,0.5,s\n" for k in range(5_000))
    _write(folder / "nodes.csv", nodes)
    _write(folder / "shares.csv", "node,origin,share,source\n" + rows)
    _write(folder / "edges.csv", "input,node\n")
    problems = _refusal(folder, max_errors=2)
    assert problems[1] == (
        str(folder / "shares.csv"),
        5,
        2,
        "node 'n1' has a second row for origin 'CN' (first on line 4); give each origin once",
    )
    assert problems[2][3].startswith("stopped listing after 2 problems: 4,998 more found (4,998 ")


def test_many_stage_names_twice(tmp_path: Path) -> None:
    names = "".join(f"  - s{k}\n" for k in range(20_000))
    text = MINI.replace("stages: [up, down]", "stages:\n  - up\n  - down\n" + names * 2)
    path = _write(tmp_path / "stages.yaml", text.replace("stage: down", "stage: dwn"))
    problems = _refusal(path, max_errors=2)
    assert problems[0] == (str(path), 20_009, 5, "stage 's0' is listed twice")
    assert problems[-1][3] == (
        "stopped listing after 2 problems: 19,999 more found (19,998 'stage is listed twice'; "
        "1 'unknown stage'); fix these first, or list more with the max_errors argument of load_chain"
    )
    [message] = [p[3] for p in _refusal(path, max_errors=50_000) if "unknown stage" in p[3]]
    assert message == (
        "unknown stage 'dwn' at nodes[1]; did you mean 'down'? (stages: up, down, s0, s1, s2, "
        "s3, s4, s5, s6, s7, s8, s9, ... (20,002 in all))"
    )


def test_suggester_index() -> None:
    names = [f"node-{k}" for k in range(10_000)] + ["reducers", "robots"]
    suggest = Suggester(names)
    assert suggest("reducer") == "reducers"
    assert suggest("Robots") == "robots"
    assert suggest("node_42") == "node-42"
    assert suggest("zzzzzz") is None


def test_problem_log_and_kinds() -> None:
    assert problem_kind("duplicate node id 'a' (first on line 3); node ids must be unique") == (
        "duplicate node id"
    )
    assert problem_kind("nodes[3].year must be a whole number, not a text ('x')") == (
        "must be a whole number, not a text"
    )
    log = ProblemLog(1)
    assert not log.full
    log.tally("x")
    assert log.omitted == {"x": 1}


# --- files that are not files -------------------------------------------------------------------


def test_fifo_is_refused_without_opening(tmp_path: Path, runner: CliRunner) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert _errors(runner.invoke(app, ["validate", str(fifo)])) == [
        f"error: {fifo}:1:1: is a FIFO (named pipe), not a regular file; chokepoint reads chain "
        "files only (copy the data into a file first)"
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_device_is_refused(runner: CliRunner) -> None:
    assert _errors(runner.invoke(app, ["validate", "/dev/zero"])) == [
        "error: /dev/zero:1:1: is a character device, not a regular file; chokepoint reads chain "
        "files only (copy the data into a file first)"
    ]


def test_fifo_inside_a_csv_folder(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    os.mkfifo(folder / "suppliers.csv")
    assert _refusal(folder) == [
        (
            str(folder / "suppliers.csv"),
            1,
            1,
            "is a FIFO (named pipe), not a regular file; chokepoint reads chain files only "
            "(copy the data into a file first)",
        )
    ]


def test_names_over_the_file_name_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ChainNotFoundError, match=r"no chain named 'xxxx.*\(5,000 characters\)"):
        load_chain("x" * 5000)
    monkeypatch.setenv("CHOKEPOINT_PATH", "y" * 5000)
    assert load_chain("robots").name == "robots"


# --- sizes, lines, values, aliases --------------------------------------------------------------


def test_long_line_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "line.yaml", MINI + "note: [" + "0," * 5_000 + "0]\n")
    monkeypatch.setenv("CHOKEPOINT_MAX_LINE", "1000")
    assert _refusal(path) == [
        (
            str(path),
            19,
            1,
            "line 19 is too long, above the limit of 1,000 characters "
            + _limit_text("CHOKEPOINT_MAX_LINE", "1 MiB"),
        )
    ]
    assert MAX_LINE.default == 1 << 20


def test_long_csv_line_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in TABLES.items():
        _write(folder / name, text)
    _write(folder / "edges.csv", "input,node\n" + "x" * 3000 + ",chips\n")
    monkeypatch.setenv("CHOKEPOINT_MAX_LINE", "2000")
    [(file, line, _, message)] = _refusal(folder)
    assert (file, line) == (str(folder / "edges.csv"), 2)
    assert message.startswith("line 2 is too long, above the limit of 2,000 characters")


def test_alias_bytes_counted(tmp_path: Path) -> None:
    lines = [MINI.replace("name: Ore", "name: &big " + "x" * 1_000_000)]
    lines.extend(f"  - {{id: a{k}, name: *big, stage: up}}\n" for k in range(19_999))
    path = _write(tmp_path / "alias.yaml", "".join(lines))
    assert _refusal(path) == [
        (
            str(path),
            35,
            21,
            "aliases expand to more than 16,777,216 bytes of text (*big adds 1,000,001 bytes "
            "each time); write the values out, above the limit of 16,777,216 bytes "
            + _limit_text("CHOKEPOINT_MAX_ALIAS_BYTES", "16 MiB"),
        )
    ]


def test_values_limit_yaml_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOKEPOINT_MAX_VALUES", "20")
    yaml_path = _write(tmp_path / "v.yaml", MINI)
    [(_, line, _, message)] = _refusal(yaml_path)
    assert line == 8  # events counted: stream, document, mapping, then keys and values
    assert message == (
        "the document holds more than 20 values, above the limit of 20 values "
        + _limit_text("CHOKEPOINT_MAX_VALUES", "20,000,000")
    )
    json_path = _write(tmp_path / "v.json", json.dumps(MINI_DOC))
    assert _refusal(json_path) == [
        (
            str(json_path),
            1,
            1,
            "the document holds about 21 values, above the limit of 20 values "
            + _limit_text("CHOKEPOINT_MAX_VALUES", "20,000,000"),
        )
    ]


def test_depth_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "deep.yaml", MINI)
    monkeypatch.setenv("CHOKEPOINT_MAX_DEPTH", "3")
    [(_, line, column, message)] = _refusal(path)
    assert (line, column) == (13, 13)  # chain, nodes, node, then the shares mapping
    assert message == (
        "nesting deeper than 3 levels; a chain file never needs this "
        + _limit_text("CHOKEPOINT_MAX_DEPTH", "64")
    )


@pytest.mark.parametrize(
    "module",
    [
        "chokepoint.io.check",
        "chokepoint.io.files",
        "chokepoint.io.limits",
        "chokepoint.io.numbers",
        "chokepoint.countries",
    ],
)
def test_doctests(module: str) -> None:
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert failures == 0
    assert tried > 0


def test_long_line_in_a_yaml_header_of_the_csv_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = yaml.safe_dump(HEADER) + "description: " + "x" * 3000 + "\n"
    files = {**TABLES, "chain.yaml": header}
    del files["chain.json"]
    archive = _zip(tmp_path / "net.zip", files)
    monkeypatch.setenv("CHOKEPOINT_MAX_LINE", "2000")
    [(file, line, _, message)] = _refusal(archive)
    last = header.count("\n")  # the description is the last line
    assert (file, line) == (f"{archive}/net/chain.yaml", last)
    assert message.startswith(f"line {last} is too long, above the limit of 2,000 characters")
