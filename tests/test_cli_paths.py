"""The command line's less travelled paths: refused file names, failures of chokepoint itself,
the writing forms of `import eto`, `sweep --plot` and `plot`, the progress bar and the one-command
fast path of ``main``.

Figures are worked out by hand. robots.yaml: reducers {CN .28, JP .614}; robot bodies {CN .20,
other .80} need reducers (Leontief, no cost shares); system integration (no shares: domestic)
needs robot bodies and PLCs; the three end uses need system integration. Cutting JP from
reducers at severity s: reducers lose .614 s, robot bodies .2 x .614 s = .1228 s (their imports
are untouched), and system integration and every end use the same .1228 s (PLCs are not cut).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import chokepoint
from chokepoint import cli
from chokepoint.cli import app

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "valid" / "mini.yaml")
ETO_MINI = DATA / "eto" / "mini"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUG_HINT = "This is a bug in chokepoint; rerun with --debug for the traceback and report it.\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (signature, then the IHDR chunk)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------------------
# File names the system cannot take, refused before any file is opened


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("chain\x00.yaml", "'chain\\x00.yaml': it holds a NUL character"),
        ("chain\ud800.yaml", "'chain\\ud800.yaml': it is not a valid file name on this system"),
        (
            "a/" * 2100 + "c.yaml",
            "'a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/...a/a/a/c.yaml': it is 4,206 bytes long, "
            "over the system's limit of 4096 bytes per path",
        ),
    ],
    ids=["nul", "unencodable", "path-over-4096-bytes"],
)
def test_a_chain_path_the_system_cannot_take_is_refused(
    runner: CliRunner, name: str, problem: str
) -> None:
    code, out, err = invoke(runner, "analyze", name)
    assert code == 2, err
    assert out == ""
    assert f"{problem}; give a shorter path or a chain name" in err
    assert "Traceback" not in err


def test_an_output_path_over_4096_bytes_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    target = "o/" * 2050 + "x.dot"  # 4,105 bytes, every name 1 byte
    code, _, err = invoke(runner, "export", MINI, "-f", "dot", "-o", target)
    assert code == 2, err
    assert "it is 4,105 bytes long, over the system's limit of 4096 bytes per path; " in err
    assert "give a shorter file name" in err


@pytest.mark.parametrize("failure", [OSError, ValueError])
def test_the_name_limit_falls_back_to_255_bytes(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, failure: type[Exception]
) -> None:
    """Where pathconf cannot answer (OSError, or ValueError for an unknown name), 255 bytes."""
    asked: list[str] = []

    def unanswered(path: str, name: str) -> int:
        asked.append(name)
        raise failure(name)

    monkeypatch.setattr(os, "pathconf", unanswered)
    code, _, err = invoke(runner, "analyze", "n" * 256 + ".yaml")
    assert code == 2, err
    assert "a name in it is 261 bytes long, over the system's limit of 255 bytes per file" in err
    assert asked == ["PC_NAME_MAX"]
    code, _, err = invoke(runner, "analyze", "n" * 250 + ".yaml")  # 255 bytes: allowed
    assert code == 2
    assert "error: no such file 'nnnnnnnnnn" in err
    assert "limit" not in err


def test_the_name_limit_is_the_systems(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system with short names (14 bytes, System V's): the refusal names that limit."""
    monkeypatch.setattr(os, "pathconf", lambda path, name: 14)
    code, _, err = invoke(runner, "analyze", "fifteen-bytes.y")
    assert code == 2, err
    assert "a name in it is 15 bytes long, over the system's limit of 14 bytes per file" in err


# ------------------------------------------------------------------------------------------
# The command wrapper: a name too long found while reading, and chokepoint's own failures


def test_a_folder_name_too_long_for_the_system_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    """`import eto FOLDER` takes any path; the system's ENAMETOOLONG becomes a message."""
    folder = tmp_path / ("f" * 300)
    limit = os.pathconf(".", "PC_NAME_MAX")
    assert limit < 300
    code, out, err = invoke(runner, "import", "eto", str(folder))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {folder}: a file name is longer than the system allows ({limit} bytes per "
        "name); give a shorter one\n"
    )


def test_a_name_too_long_without_a_file_name(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chokepoint.io import loader

    def too_long(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))

    monkeypatch.setattr(loader, "load_chain", too_long)
    monkeypatch.setattr(os, "pathconf", lambda path, name: 143)  # eCryptfs's limit
    code, out, err = invoke(runner, "analyze", MINI)
    assert (code, out) == (2, "")
    assert err == (
        "error: a path: a file name is longer than the system allows (143 bytes per name); "
        "give a shorter one\n"
    )


@pytest.mark.parametrize(
    ("failure", "line"),
    [
        (RuntimeError("a broken invariant"), "RuntimeError: a broken invariant"),
        (
            OSError(errno.EIO, os.strerror(errno.EIO), "mini.yaml"),
            "OSError: [Errno 5] Input/output error: 'mini.yaml'",
        ),
    ],
    ids=["exception", "oserror"],
)
def test_a_bug_exits_1_with_one_line_and_a_hint(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, failure: Exception, line: str
) -> None:
    from chokepoint.io import loader

    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(loader, "load_chain", broken)
    code, out, err = invoke(runner, "analyze", MINI)
    assert (code, out) == (1, "")
    assert err == f"internal error: {line}\n{BUG_HINT}"


def test_debug_lets_the_exception_through_for_that_call_only(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--debug raises the exception itself (the traceback); the next call without it does not."""
    from chokepoint.io import loader

    def broken(*args: object, **kwargs: object) -> None:
        msg = "a broken invariant"
        raise RuntimeError(msg)

    monkeypatch.setattr(loader, "load_chain", broken)
    result = runner.invoke(app, ["--debug", "analyze", MINI], env=ENV)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, RuntimeError)
    assert str(result.exception) == "a broken invariant"
    assert "internal error" not in result.stderr
    code, _, err = invoke(runner, "analyze", MINI)
    assert code == 1
    assert err == f"internal error: RuntimeError: a broken invariant\n{BUG_HINT}"


def test_the_debug_variable_lets_the_exception_through(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chokepoint.io import loader

    def broken(*args: object, **kwargs: object) -> None:
        msg = "a broken invariant"
        raise RuntimeError(msg)

    monkeypatch.setattr(loader, "load_chain", broken)
    result = runner.invoke(app, ["analyze", MINI], env={**ENV, "CHOKEPOINT_DEBUG": "1"})
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, RuntimeError)


# ------------------------------------------------------------------------------------------
# import eto, scenario --months, export


def test_import_eto_to_a_file_prints_warnings_and_what_it_wrote(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "eto.yaml"
    code, out, err = invoke(runner, "import", "eto", str(ETO_MINI), "-o", str(target))
    assert code == 0, err
    assert out == f"wrote {target} (eto-chip-explorer: 5 nodes, year 2025, 6 warnings)\n"
    warnings = err.splitlines()
    assert len(warnings) == 6
    assert all(w.startswith("warning: ") for w in warnings)
    assert warnings[0] == (
        "warning: provision.csv: years mix (2019: 6 rows, 2025: 8 rows); chain year 2025, nodes "
        "with figures of another year only say so in `year`, other years of a node go to `history`"
    )
    assert warnings[4] == (
        "warning: provision.csv: 'Gizmo tools' (2025): country shares sum to 100.2% (rounding); "
        "scaled to 100%"
    )
    chain = chokepoint.load_chain(target)
    assert (chain.name, chain.year, chain.perspective) == ("eto-chip-explorer", 2025, "CN")
    assert [node.id for node in chain.nodes] == [
        "widget-design",
        "gizmo-tools",
        "ultra-gizmo-tools",
        "sprocket-wafers",
        "fabricating-widgets",
    ]


def test_import_eto_quiet_writes_the_same_file(runner: CliRunner, tmp_path: Path) -> None:
    loud, quiet = tmp_path / "loud.yaml", tmp_path / "quiet.yaml"
    assert invoke(runner, "import", "eto", str(ETO_MINI), "-o", str(loud))[0] == 0
    code, out, err = invoke(runner, "import", "eto", str(ETO_MINI), "-q", "-o", str(quiet))
    assert (code, err) == (0, "")
    assert out == f"wrote {quiet} (eto-chip-explorer: 5 nodes, year 2025, 6 warnings)\n"
    assert quiet.read_bytes() == loud.read_bytes()
    code, out, err = invoke(runner, "import", "eto", str(ETO_MINI), "-q")  # to stdout
    assert (code, err) == (0, "")
    assert out == loud.read_text(encoding="utf-8")


def test_scenario_months_0_is_refused(runner: CliRunner) -> None:
    code, out, err = invoke(runner, "scenario", "robots", "--cut", "JP:reducers=1", "--months", "0")
    assert (code, out) == (2, "")
    assert err == "error: --months must be above 0, e.g. --months 6\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give --format (graphml, gexf, json, csv, dot, mermaid) or --output FILE\n"),
        (["-f", "json", "--edges"], "error: --edges is for --format csv, not json\n"),
        (["-o", "chain.dot", "--edges"], "error: --edges is for --format csv, not dot\n"),
    ],
    ids=["no-format-no-output", "edges-json", "edges-dot-from-the-suffix"],
)
def test_export_refusals(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(runner, "export", MINI, *args)
    assert (code, out, err) == (2, "", message)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# sweep --plot and plot


def test_sweep_with_a_plot(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "sweep.png"
    code, out, err = invoke(
        runner,
        "sweep",
        "robots",
        "--cut",
        "JP:reducers",
        "--severity",
        "0:1:0.5",
        "-f",
        "csv",
        "--plot",
        str(image),
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    finals = ["electronics", "automotive", "metal-machinery"]
    assert [(r["severity"], r["origin"], r["node"], r["final"]) for r in rows] == [
        (s, "JP", "reducers", f) for s in ("0.0", "0.5", "1.0") for f in finals
    ]
    # .2 x .614 x s of each end use (module docstring)
    assert [float(r["loss"]) for r in rows] == pytest.approx(
        [0.2 * 0.614 * s for s in (0.0, 0.5, 1.0) for _ in finals]
    )
    assert float(rows[-1]["loss"]) == pytest.approx(0.1228)
    data = image.read_bytes()
    assert png_size(data) == (1050, 675)  # 7 x 4.5 in at 150 dpi
    assert len(data) > 10_000


def test_sweep_over_draws_ranked_bars(runner: CliRunner, tmp_path: Path) -> None:
    """Issue 13, item 3: --plot with --over draws one bar per cut, worst at the top."""
    image = tmp_path / "ranked.svg"
    code, out, err = invoke(
        runner, "sweep", "robots", "--over", "nodes", "-f", "csv", "--plot", str(image)
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    order = [(r["rank"], r["origin"], r["node"]) for r in rows[::3]]  # 3 final products a cut
    # EUROPE's PLCs cost every end use 57%, JP's CNC 13.0%, reducers 12.3% (.2 x .614), servo 4.4%
    assert order == [
        ("1", "EUROPE", "plc"),
        ("2", "JP", "cnc"),
        ("3", "JP", "reducers"),
        ("4", "JP", "servo"),
    ]
    text = image.read_text(encoding="utf-8")
    labels = [line for line in ("1. EUROPE", "2. JP", "3. JP", "4. JP") if line in text]
    assert len(labels) == 4
    assert [text.index(f'id="rank-{k}"') for k in (1, 2, 3, 4)] == sorted(
        text.index(f'id="rank-{k}"') for k in (1, 2, 3, 4)
    )
    assert "57.0% · every final product" in text


def test_sweep_plot_needs_png_or_svg(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "sweep.gif"
    code, out, err = invoke(runner, "sweep", "robots", "--cut", "JP", "--plot", str(image))
    assert (code, out) == (2, "")
    assert err == "error: cannot draw 'sweep.gif': the file name must end in .png or .svg\n"
    assert not image.exists()


def test_plot_writes_a_png(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "mini.png"
    code, out, err = invoke(runner, "plot", MINI, "-o", str(image))
    assert (code, out, err) == (0, "", "")
    # 3 stages, at most 2 nodes in one: 8.7 x 4.36 in at 150 dpi (tests/test_plot.py)
    assert png_size(image.read_bytes()) == (1305, 654)


def test_plot_under_a_cut_writes_an_svg_coloured_by_loss(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "mini.svg"
    code, _, err = invoke(runner, "plot", MINI, "--cut", "JP=1", "-o", str(image))
    assert code == 0, err
    root = ET.fromstring(image.read_bytes())
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "output loss under the scenario" in texts
    # cars: robots' domestic half needs reducers (JP .65) and loses .65 (Leontief), imports .5 lost
    # outright: .5 + .5 x .65 = .825 (tests/test_plot.py), drawn as 82%
    assert texts[texts.index("Cars") + 1] == "82%"


# ------------------------------------------------------------------------------------------
# The progress bar and the fast path of main


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Call the console script's entry point as the shell would; return its exit status."""
    monkeypatch.setattr(sys, "argv", ["chokepoint", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    code = done.value.code
    assert isinstance(code, int)
    return code


MONTECARLO = ["montecarlo", "robots", "--samples", "1000", "--seed", "1", "-f", "json"]
TABLE = ["montecarlo", "robots", "--samples", "1000", "--seed", "1"]


def test_montecarlo_shows_a_progress_bar_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in {**ENV, "TERM": "xterm"}.items():  # rich draws no bar on a dumb terminal
        monkeypatch.setenv(key, value)
    assert run_main(monkeypatch, *TABLE) == 0
    plain, err = capsys.readouterr()
    assert err == ""  # stderr is not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert run_main(monkeypatch, *TABLE) == 0
    out, err = capsys.readouterr()
    assert err == ""  # stdout is not a terminal (a pipe): no bar
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_main(monkeypatch, *MONTECARLO) == 0
    out, err = capsys.readouterr()
    assert err == ""  # JSON (or CSV) on stdout: never a bar
    assert json.loads(out)["samples"] == 1000
    assert run_main(monkeypatch, *TABLE) == 0
    out, err = capsys.readouterr()
    # the bar changes nothing in the result (the table is styled on a terminal)
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain
    # the bar's last frame, complete (a 40-column bar, then done/total and the time left), ...
    assert re.search(r"\r\x1b\[2Ksampling ━{40} 1000/1000 [-:0-9]+\n", err), repr(err)
    assert err.endswith("\x1b[1A\x1b[2K")  # ... then erased (transient)
    assert run_main(monkeypatch, *TABLE, "--quiet") == 0
    out, err = capsys.readouterr()
    assert (re.sub(r"\x1b\[[0-9;]*m", "", out), err) == (plain, "")


def test_sweep_shows_a_progress_bar_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in {**ENV, "TERM": "xterm"}.items():
        monkeypatch.setenv(key, value)
    args = ["sweep", "robots", "--cut", "JP", "--severity", "0:1:0.0001", "--max-rows", "20000"]
    assert run_main(monkeypatch, *args, "-f", "csv") == 0
    plain, err = capsys.readouterr()
    assert err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_main(monkeypatch, *args, "-f", "csv") == 0
    assert capsys.readouterr() == (plain, "")  # CSV on stdout: never a bar
    assert run_main(monkeypatch, *args[:4], "--severity", "0:1:0.5") == 0
    _, err = capsys.readouterr()
    assert re.search(r"sweeping ━{40} 3/3", err), repr(err)


def test_analyze_shows_a_progress_bar_of_its_steps_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading, then the six steps of chokepoint.analyze (compiling, direct metrics, exposure,
    impacts, final products hit alike, result objects); never for JSON or CSV."""
    for key, value in {**ENV, "TERM": "xterm"}.items():
        monkeypatch.setenv(key, value)
    assert run_main(monkeypatch, "analyze", "robots") == 0
    plain, err = capsys.readouterr()
    assert err == ""  # not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_main(monkeypatch, "analyze", "robots", "-f", "json") == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out)["chain"] == "robots"
    assert run_main(monkeypatch, "analyze", "robots") == 0
    out, err = capsys.readouterr()
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain  # the bar changes nothing in the table
    assert re.search(r"analysing ━{40} 6/6", err), repr(err)
    assert err.endswith("\x1b[1A\x1b[2K")  # erased (transient)


def test_main_runs_one_command_without_building_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chokepoint COMMAND ...` registers only COMMAND; the answer is the whole app's."""
    built: list[list[str]] = []
    real = typer.Typer.__call__

    def call(self: typer.Typer, *args: object, **kwargs: object) -> object:
        built.append([c.name or "" for c in self.registered_commands])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(typer.Typer, "__call__", call)
    assert run_main(monkeypatch, "analyze", MINI, "-f", "json") == 0
    fast = capsys.readouterr().out
    assert built == [["analyze"]]
    doc = json.loads(fast)
    assert (doc["chain"], doc["perspective"]) == ("mini", "CN")
    assert run_main(monkeypatch, "--debug", "analyze", MINI, "-f", "json") == 0
    assert len(built[1]) > 10  # a global option: the whole app
    assert capsys.readouterr().out == fast
