"""The analysis held as columns (``NodeTable``), the JSON written as bytes, and the console
script ending the process once a large result is written."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from chokepoint import analyze, load_chain
from chokepoint.core.analysis import FIELDS, NodeDicts, NodeMetrics, NodeTable, _json_objects
from chokepoint.output import render

MINI = Path(__file__).parent / "data" / "valid" / "mini.yaml"


def test_node_table_holds_the_figures_by_column() -> None:
    """mini.yaml worked by hand: dependence is one minus the perspective's (CN) share:
    reducers 1 - 0.28 = 0.72, plc 1 - 0.2 = 0.8, robots 1 - 0.5 = 0.5; cars has no shares, so
    its direct figures are n/a (None). Top suppliers: JP 0.65, EU 0.5, JP 0.5, none."""
    result = analyze(load_chain(MINI))
    table = result.nodes
    assert isinstance(table, NodeTable)
    assert table.column("id") == ["reducers", "plc", "robots", "cars"]
    assert table.column("dependence") == pytest.approx([0.72, 0.8, 0.5, None])
    assert table.column("top_supplier") == ["JP", "EU", "JP", None]
    assert table.column("top_share") == pytest.approx([0.65, 0.5, 0.5, None])
    assert len(table) == 4
    with pytest.raises(KeyError):
        table.column("not-a-field")


def test_node_table_is_the_tuple_of_its_objects() -> None:
    """Made on first access, the objects are those of the columns; the table compares equal to
    their tuple (so an Analysis does too), prints and pickles as it, and is not hashable (the
    objects hold dicts)."""
    result = analyze(load_chain(MINI))
    table = result.nodes
    assert isinstance(table, NodeTable)
    made = table.made()
    assert made is table.made()  # once
    assert isinstance(made, tuple)
    assert all(isinstance(n, NodeMetrics) for n in made)
    assert [n.dependence for n in made] == table.column("dependence")
    assert table[2] is made[2]
    assert table[1:3] == made[1:3]
    assert list(table) == list(made)
    assert table == made
    assert table == NodeTable([list(c) for c in _columns(table)])
    assert table != list(made)  # as a tuple: not equal to a list
    assert repr(table) == repr(made)
    assert pickle.loads(pickle.dumps(table)) == made
    assert replace(result, nodes=made) == result
    with pytest.raises(TypeError):
        hash(table)
    with pytest.raises(ValueError, match="columns for the 22 fields"):
        NodeTable([["a"]])


def _columns(table: NodeTable) -> list[list[object]]:
    from dataclasses import fields

    return [table.column(f.name) for f in fields(NodeMetrics)]


def test_json_objects_from_columns_are_those_of_the_objects() -> None:
    """NodeDicts of a table builds each JSON object from the columns, never making the node
    objects; the objects equal :meth:`NodeMetrics.to_dict`, keys in FIELDS order."""
    result = analyze(load_chain("robots"))
    table = result.nodes
    assert isinstance(table, NodeTable)
    dicts = NodeDicts(table)
    assert table._made is None  # the columns were enough
    first = dicts[0]
    assert list(first) == list(FIELDS)
    assert isinstance(first["reasons"], list)
    assert dicts[:] == [n.to_dict() for n in table]
    assert dicts[-1] == table[-1].to_dict()
    with pytest.raises(ValueError, match="18 columns for the 19 fields"):
        _json_objects([[1]] * 18)


def test_large_json_goes_to_the_byte_stream_or_to_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the compact threshold, the JSON is the same text whether stdout has a UTF-8 byte
    stream (written as the encoder made it) or is text only (a StringIO); what was written
    before it stays before it."""
    document = analyze(load_chain("robots")).to_dict(lazy=True)
    monkeypatch.setattr(render, "COMPACT_JSON_ABOVE", 3)
    monkeypatch.setattr(render, "JSON_BLOCK", 4)
    raw = io.BytesIO()
    wrapped = io.TextIOWrapper(raw, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", wrapped)
    sys.stdout.write("before:")
    render.emit_json(document)
    wrapped.flush()
    as_bytes = raw.getvalue().decode("utf-8")
    text = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text)
    sys.stdout.write("before:")
    render.emit_json(document)
    assert as_bytes == text.getvalue()
    assert as_bytes.startswith('before:{"chain":"robots"')
    assert as_bytes.endswith("}\n")
    assert json.loads(as_bytes.removeprefix("before:"))["nodes"] == document["nodes"][:]
    # another encoding: through the text layer, which encodes
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", latin)
    assert render._binary_stdout() is None


SCRIPT = """\
import atexit, sys
import chokepoint.cli as cli
atexit.register(lambda: print("atexit ran", file=sys.stderr))
cli.END_NOW_ABOVE = int(sys.argv[1])
sys.argv = ["chokepoint", *sys.argv[2:]]
try:
    cli.script()
finally:
    print("returned", file=sys.stderr)
"""


@pytest.mark.parametrize("command", ["analyze", "export"])
def test_the_script_ends_once_a_large_result_is_written(command: str) -> None:
    """Run as the console script with a result above END_NOW_ABOVE nodes (lowered to 0 here),
    analyze and export end the process as soon as their output is flushed: the whole output,
    exit code 0, the atexit handlers run, and the code after the call is never reached. Not
    above it, the command returns as before."""
    args = [command, "robots", "--format", "json"]
    ended = subprocess.run(
        [sys.executable, "-c", SCRIPT, "0", *args], capture_output=True, text=True, check=False
    )
    normal = subprocess.run(
        [sys.executable, "-c", SCRIPT, "1000", *args], capture_output=True, text=True, check=False
    )
    assert ended.returncode == 0
    assert normal.returncode == 0
    assert ended.stdout == normal.stdout
    assert json.loads(ended.stdout)
    assert ended.stderr == "atexit ran\n"
    assert normal.stderr == "returned\natexit ran\n"


def test_an_error_ends_as_before() -> None:
    """A failing command run as the script exits 2 with its message, as through main()."""
    failed = subprocess.run(
        [sys.executable, "-c", SCRIPT, "0", "analyze", "no-such-chain"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2
    assert "no-such-chain" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_figures_spelled_a_column_at_a_time_are_those_of_format() -> None:
    """``_percents`` and ``_hundredths`` give ``format(v, ".0%")`` and ``format(v, ".2f")``
    for every value: random figures, four-decimal figures as chains give them, exact halves
    (0.125 -> 0.12, 0.005 -> 0.01 as its binary value is above the half), values a rounding
    error from a half, zero, one, negatives, above one and NaN."""
    import numpy as np

    from chokepoint.core.analysis import _hundredths, _percents

    rng = np.random.default_rng(7)
    halves = np.arange(0, 201) / 200
    values = np.concatenate(
        [
            rng.random(20_000),
            np.round(rng.random(20_000), 4),
            halves,
            np.nextafter(halves, 1),
            np.nextafter(halves, -1),
            [0.0, -0.0, 1.0, -0.004, -0.3, 1.004, 1.5, 17.0, np.nan, np.inf],
        ]
    )
    assert _percents(values) == [format(v, ".0%") for v in values.tolist()]
    assert _hundredths(values) == [format(v, ".2f") for v in values.tolist()]
    assert _hundredths(np.array([0.125, 0.005, 0.015])) == ["0.12", "0.01", "0.01"]


def test_compact_encoder_asks_for_non_text_keys_only_when_there_are_some() -> None:
    """Keys that are not text (years) are written as text, as the standard library does; a
    value that cannot be written at all still raises TypeError."""
    pytest.importorskip("orjson")
    encode = render._compact_encoder()
    assert encode({"a": 1, "b": [0.5, None]}) == '{"a":1,"b":[0.5,null]}'
    assert encode({2020: {"CN": 0.5}}) == '{"2020":{"CN":0.5}}'
    assert render._compact_encoder(binary=True)({2020: 1}) == b'{"2020":1}'
    with pytest.raises(TypeError):
        encode({"a": {1, 2}})


def test_export_parts_printed_one_after_another(capsys: pytest.CaptureFixture[str]) -> None:
    """The export command prints the parts in turn, with the line break ``_emit`` adds to a
    text that lacks one; the API's parts join into its text."""
    from chokepoint import api, cli

    cli._emit_parts(["<a>", "", "</a>"])
    cli._emit_parts(["whole\n"])
    cli._emit_parts([])
    assert capsys.readouterr().out == "<a></a>\nwhole\n\n"
    for fmt in ("graphml", "csv"):
        joined = "".join(api.export(MINI, fmt, cuts=["JP=1"], parts=True))
        assert joined == api.export(MINI, fmt, cuts=["JP=1"])


def test_node_column_reads_a_table_or_the_objects() -> None:
    """The same values from a NodeTable's column (no objects made) and from a tuple."""
    from chokepoint.core.analysis import node_column

    table = analyze(load_chain(MINI)).nodes
    assert isinstance(table, NodeTable)
    assert node_column(table, "top_supplier") == ["JP", "EU", "JP", None]
    assert table._made is None
    assert node_column(tuple(table), "top_supplier") == ["JP", "EU", "JP", None]
